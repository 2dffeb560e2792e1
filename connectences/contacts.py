"""E-mail addresses, phone numbers, websites and names people type: one rule for every
form and import.

A name is checked too (``clean_name``): it is a name, not a message. Names go into mails
the platform sends to whatever address was typed (« Bonjour <prénom> »), so a name
holding a link or an address would have the platform deliver someone else's lure.

Two forms of each:

- the *stored* form (``clean_email``, ``clean_phone``): what a form or an import writes,
  after checking the value; an invalid value raises ``InvalidEmail`` / ``InvalidPhone``
  (``ValueError`` with a French message), so that each caller can keep its own wording;
- the *comparison key* (``email_key``, ``phone_key``): lenient, never raises, used to
  find the same person written two ways (duplicate search, indexed columns); names have
  a comparison key too (``fold_name``, ``name_key``).

This module imports nothing of the application: the models use it.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import DamerauLevenshtein

from connectences.errors import DomainError
from connectences.text import (
    compatibility_folded,
    composed,
    letters_and,
    look_alike_scripts,
    strip_accents,
)
from connectences.typography import too_long

_NOT_DIGIT = re.compile(r"\D")
# What may separate the digits of a number as people write it: "06 12.34-56 78",
# "+33 (0)6 12 34 56 78", "05/56/00/00/00".
_SEPARATORS = re.compile(r"[\s.\-()/]")
_FRENCH = re.compile(r"0[1-9][0-9]{8}")
_FRENCH_INTL = re.compile(r"(?:\+|00)33(?:0)?([1-9][0-9]{8})")
_FOREIGN = re.compile(r"(?:\+|00)([1-9][0-9]{7,14})")
# A French number without its leading 0, as a spreadsheet keeps it in a number cell.
_NATIONAL_WITHOUT_ZERO = re.compile(r"[1-9][0-9]{8}")


class InvalidEmail(DomainError):
    """Not an e-mail address; the message is French."""


class AccentedEmail(InvalidEmail):
    """An address with a letter or sign outside ASCII before the @: an address, but one
    that many mail servers refuse; the message says so, and every form shows it as is."""


class InvalidPhone(DomainError):
    """Not a phone number; the message is French."""


class InvalidName(DomainError):
    """Not a name (a link, an address, signs, too long); the message is French."""


def clean_email(text: Any, *, required: bool = False, to_find: bool = False) -> str | None:
    """The address in its stored form: checked, normalised, lower case; None when empty
    (``InvalidEmail`` instead when ``required``).

    Lower case throughout (not only the domain) so that an address typed with capitals
    still finds the same account, candidate or company owner. Raises ``InvalidEmail``
    for anything that is not an address (addresses over 254 characters included).
    Addresses are compared through ``email_key``, which gives this same form.

    The part before the @ must be ASCII (``AccentedEmail`` otherwise): "élodie@…" or an
    emoji there is an address only for servers offering SMTPUTF8, and a relay without it
    refuses the mail, so the person would never receive the platform's link. An accented
    domain ("exémple.fr") is accepted as typed: it has an ASCII form (IDNA), which the
    sender uses (``mail.sender.smtp_address``).

    ``to_find``: the address of someone already stored, looked up (an account, a person,
    a company's owner), takes an accented name before the @ as it was stored before the
    rule (an old import): what is stored is found; a new entry never passes it.
    """
    typed = str(text or "").strip()
    if not typed:
        if required:
            raise InvalidEmail("Indiquez votre adresse e-mail.")
        return None
    try:
        checked = validate_email(typed, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail(
            f"« {typed[:100]} » n'est pas une adresse e-mail valide "
            "(exemple : prenom.nom@exemple.fr)."
        ) from None
    if not to_find and not checked.local_part.isascii():
        signs = "".join(dict.fromkeys(c for c in checked.local_part if not c.isascii()))
        raise AccentedEmail(
            f"L'adresse « {typed[:100]} » contient avant le @ des caractères accentués ou "
            f"spéciaux ({' '.join(signs[:10])}) que de nombreuses messageries refusent : "
            "les courriels de la plateforme n'y arriveraient pas. Indiquez une adresse sans "
            "accent ni symbole avant le @ (par exemple prenom.nom@exemple.fr)."
        )
    return checked.normalized.lower()


def email_refusal(refusal: InvalidEmail, usual: str) -> str:
    """The words a form refuses an address with: its own ``usual`` ones for what is no
    address, the rule's when the address is refused for a reason worth saying (an
    accented name before the @, ``AccentedEmail``)."""
    return refusal.message if isinstance(refusal, AccentedEmail) else usual


def read_email(text: Any, usual: str, *, to_find: bool = False) -> tuple[str | None, str | None]:
    """The address required by a form: its stored form and None, or None and the words
    refusing it (``usual`` when nothing or no address was typed, see ``email_refusal``;
    ``to_find``: see ``clean_email``)."""
    try:
        return clean_email(text, required=True, to_find=to_find), None
    except InvalidEmail as refusal:
        return None, email_refusal(refusal, usual)


# The mailbox providers most people here use: a domain one letter away from one of them
# is most likely a slip ("gmial.com"), pointed out to the person, never refused.
MAILBOX_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.fr", "hotmail.com", "outlook.fr",
        "outlook.com", "live.fr", "live.com", "msn.com", "yahoo.fr", "yahoo.com",
        "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "laposte.net",
        "bbox.fr", "icloud.com", "me.com", "aol.com", "gmx.fr", "gmx.com",
        "numericable.fr", "club-internet.fr", "aliceadsl.fr", "protonmail.com", "proton.me",
    }
)  # fmt: skip
# Domains that exist but are not the mailbox people mean.
_MEANT_DOMAINS = {"gmail.fr": "gmail.com", "gmail.co": "gmail.com", "hotmail.co": "hotmail.com"}


def likely_typo(email: str | None) -> str | None:
    """The address the person probably meant when its domain is a common mailbox
    provider's mistyped ("sophie.martin@gmial.com" → "…@gmail.com"); None otherwise
    (a right domain, a company's own, or not an address). A hint to show, not a refusal.
    """
    local, at, domain = str(email or "").strip().lower().rpartition("@")
    if not at or not local or not domain or domain in MAILBOX_DOMAINS:
        return None
    meant = _MEANT_DOMAINS.get(domain)
    if meant is None:
        close = [
            known for known in MAILBOX_DOMAINS if DamerauLevenshtein.distance(domain, known) == 1
        ]
        meant = close[0] if len(close) == 1 else None
    return f"{local}@{meant}" if meant else None


def clean_phone(text: Any, *, foreign: bool = True) -> str | None:
    """The number in its stored form; None when empty; ``InvalidPhone`` when invalid.

    A French number in national form, ten digits ("06 12 34 56 78", "+33 6 12 34 56 78",
    "0033 (0)6 12 34 56 78" all give "0612345678"); with ``foreign``, another country's
    number as "+" and its digits ("+44 20 7946 0958" gives "+442079460958"). Only digits,
    a leading "+" and separators (spaces, dots, hyphens, brackets, slashes) are accepted.
    """
    typed = str(text or "").strip()
    if not typed:
        return None
    compact = _SEPARATORS.sub("", typed)
    if _FRENCH.fullmatch(compact):
        return compact
    french = _FRENCH_INTL.fullmatch(compact)
    if french:
        return "0" + french.group(1)
    other = _FOREIGN.fullmatch(compact)
    if foreign and other:
        return "+" + other.group(1)
    if _NATIONAL_WITHOUT_ZERO.fullmatch(compact):
        # "6 12 34 56 78": a French number that lost its 0, or one that lost another digit;
        # the person who typed it knows which, so it is said rather than guessed.
        raise InvalidPhone(
            f"« {typed[:40]} » n'est pas un numéro de téléphone valide : il manque un chiffre. "
            f"S'il manque le 0 du début, écrivez {_spaced('0' + compact)}."
        )
    raise InvalidPhone(
        f"« {typed[:40]} » n'est pas un numéro de téléphone valide (exemple : 06 12 34 56 78)."
    )


def _spaced(national: str) -> str:
    return " ".join(national[i : i + 2] for i in range(0, len(national), 2))


def phone_from_number(value: int | float) -> str:
    """The stored form of a phone number a spreadsheet cell holds as a number;
    ``InvalidPhone`` when it cannot be one.

    Typed in a cell of the default format, "06 12 34 56 78" becomes the number
    612345678: the spreadsheet drops the leading 0. Nine digits, the first not 0, are
    therefore that French number ("0612345678"). Any other number (with decimals,
    negative, of another length) is refused with a French message: which digits it
    lost cannot be told. Only for cells read as numbers: text goes to ``clean_phone``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a number is expected, not {type(value).__name__}")
    shown = repr(value).replace(".", ",") if isinstance(value, float) else str(value)
    if isinstance(value, float):
        if not value.is_integer():
            decimal = f"« {shown[:40]} » est un nombre à virgule, pas un numéro de téléphone."
            raise InvalidPhone(f"{decimal} {_AS_TEXT}")
        value = int(value)
    digits = str(value)
    if _NATIONAL_WITHOUT_ZERO.fullmatch(digits):
        return "0" + digits
    raise InvalidPhone(
        f"« {shown.removesuffix(',0')[:40]} » n'est pas un numéro de téléphone valide : le "
        "tableur l'a lu comme un nombre et a pu en retirer des chiffres (le 0 ou le + du "
        f"début). {_AS_TEXT}"
    )


_AS_TEXT = (
    "Écrivez le numéro en entier dans une cellule au format Texte (par exemple "
    "06 12 34 56 78 ou +33 6 12 34 56 78)."
)


def email_key(email: str | None) -> str | None:
    """Comparison form of an address: its stored form (``clean_email``, ``to_find``: an
    accented name before the @ stored before the rule is found) when it is one, else
    trimmed and lower case (what was typed may still be compared); None when empty.

    (Gmail dots are kept on purpose: other providers treat them as significant.)
    """
    try:
        return clean_email(email, to_find=True)
    except InvalidEmail:
        return str(email).strip().lower() or None


def masked_email(email: str) -> str:
    """An address as a mail to someone else may show it: the first character of its
    local part, then dots, and its domain whole (« c•••@exemple.fr »): its owner knows
    it, whoever else reads the mail learns no address to write to."""
    local, at, domain = email.rpartition("@")
    if not at:
        return "•••"
    return f"{local[:1]}•••@{domain}"


def phone_display(value: str | None, empty: str = "—") -> str:
    """``06 12 34 56 78`` for a stored French number (``0612345678``); others as stored
    (pages through the ``phone_fr`` filter, and mails)."""
    if not value:
        return empty
    if len(value) == 10 and value.isdigit():
        return " ".join(value[i : i + 2] for i in range(0, 10, 2))
    return value


def phone_key(phone: str | None) -> str | None:
    """Comparison form of a number: a French one in national form, 10 digits ("0612345678").

    "06 12 34 56 78", "+33 6 12 34 56 78", "+33 (0)6 12...", "0033612345678" and
    "33612345678" all give the same result. Foreign numbers keep their digits with a
    "+" so that two identical foreign numbers still compare equal. None when there are
    too few digits to identify anyone. Equal to ``clean_phone`` for any valid number.
    """
    if not phone:
        return None
    text = phone.strip()
    digits = _NOT_DIGIT.sub("", text)
    international = text.startswith("+")
    if digits.startswith("00"):
        digits, international = digits[2:], True
    if international or (digits.startswith("33") and len(digits) in (11, 12)):
        if digits.startswith("33"):
            national = digits[2:]
            if national.startswith("0"):  # "+33 (0)6 ..."
                national = national[1:]
            digits = "0" + national
        else:
            return "+" + digits if len(digits) >= 8 else None
    elif len(digits) == 9 and not digits.startswith("0"):  # "6 12 34 56 78"
        digits = "0" + digits
    if len(digits) != 10 or not digits.startswith("0"):
        return digits if len(digits) >= 8 else None
    return digits


class InvalidWebsite(DomainError):
    """Not the address of a website; the message is French."""


# A scheme before the address ("https:", "javascript:", "mailto:"), told from a host
# and its port ("exemple.fr:8080/page"), whose name has a dot.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+\-]*):")
# A label of a host name: letters (accented ones too) and digits, hyphens inside.
_HOST_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
# Characters an address never carries as typed (RFC 3986): a link built from them is
# read differently by browsers ("\\" as "/") or breaks out of where it is written.
_NOT_IN_ADDRESS = frozenset('<>"\\`{}|^')
WEBSITE_MAX = 300


def clean_website(text: Any, *, limit: int = WEBSITE_MAX) -> str | None:
    """The address of a website in its stored form; None when empty; ``InvalidWebsite``
    (a French message) otherwise.

    "www.exemple.fr", "exemple.fr" and "https://exemple.fr/page" are addresses: one
    typed without its scheme is stored with ``https://``, the scheme and the host in
    lower case, the rest as typed. Only http and https are links to a site
    (``javascript:``, ``data:``, ``ftp:``, ``mailto:`` are refused: a page shows the
    address as a link); neither are spaces, a host without a dot, a name and password
    before the host (« https://exemple.fr@autre.example » leads to the second), a host
    without a name (an IP address), nor an address over ``limit`` characters once stored.
    The host is stored as browsers read it (compatibility forms folded, NFKC: full-width
    « ｅｘｅｍｐｌｅ.fr » is exemple.fr), so that the link reads where it leads; one mixing
    Latin, Cyrillic or Greek letters, which look alike, is refused.
    """
    typed = str(text or "").strip()
    if not typed:
        return None
    shown = "".join(char for char in typed[:100] if char.isprintable())
    if too := too_long("L'adresse du site web", typed, limit):
        raise InvalidWebsite(too)
    if any(char.isspace() for char in typed):
        raise InvalidWebsite(f"Une adresse de site web ne contient pas d'espace : « {shown} ».")
    if any(not char.isprintable() or char in _NOT_IN_ADDRESS for char in typed):
        raise InvalidWebsite(f"« {shown} » contient des caractères qu'une adresse web n'a pas.")
    scheme = _SCHEME.match(typed)
    url = typed if scheme else f"https://{typed}"
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise InvalidWebsite(
            f"« {shown} » n'est pas l'adresse d'un site web : indiquez une adresse "
            "commençant par https:// ou http://, ou seulement son nom (www.exemple.fr)."
        )
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a malformed bracketed host, a port that is no number
        parts, port_ok = None, False
    if parts is not None and (parts.username is not None or parts.password is not None):
        raise InvalidWebsite(
            f"« {shown} » contient un identifiant avant le nom du site (avant « @ ») : "
            "indiquez seulement l'adresse du site (exemple : www.exemple.fr)."
        )
    if parts is not None:
        # The host as a browser reads it (its IDNA mapping folds compatibility forms):
        # checked and stored so, the link reads where it leads.
        parts = parts._replace(netloc=compatibility_folded(parts.netloc).lower())
    labels = (parts.hostname or "").split(".") if parts is not None else []
    if (
        not port_ok
        or len(labels) < 2
        or not all(_HOST_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidWebsite(
            f"« {shown} » n'est pas une adresse de site web (exemple : www.exemple.fr)."
        )
    if len(labels) == 2 and labels[0] == "www":
        # « www.monfournil »: the name's end (.fr, .com) left out, not a name under a
        # top-level domain « monfournil »; stored, it made a link leading nowhere.
        raise InvalidWebsite(
            f"« {shown} » n'est pas une adresse complète : il manque la fin du nom du site "
            f"(.fr, .com…), par exemple www.{labels[1]}.fr."
        )
    # A host mixing alphabets whose letters look alike reads as one site and leads to
    # another (« раураl.com »: Cyrillic but for its « l »).
    if len(look_alike_scripts(parts.hostname)) > 1:
        raise InvalidWebsite(
            f"« {shown} » mêle dans le nom du site des lettres d'alphabets différents (latin, "
            "cyrillique, grec) qui se ressemblent : l'adresse mènerait ailleurs qu'elle ne "
            "se lit. Recopiez-la lettre à lettre (exemple : www.exemple.fr)."
        )
    stored = parts._replace(scheme=parts.scheme.lower()).geturl()
    if len(stored) > limit:  # within it as typed, over it once « https:// » is added
        raise InvalidWebsite(
            f"L'adresse du site web ne doit pas dépasser {limit} caractères une fois "
            f"« https:// » ajouté devant ({len(stored)})."
        )
    return stored


_NOT_LETTER = re.compile(r"[^a-z]+")

# Prefix length used to find namesakes through an index (range query on last_name_norm).
NAME_PREFIX = 3


def fold_name(text: str | None) -> str:
    """Lower-case ASCII letters and single spaces: "Lefèvre-Dupré" -> "lefevre dupre"."""
    return _NOT_LETTER.sub(" ", strip_accents(text).lower()).strip()


def name_key(first_name: str | None, last_name: str | None) -> str:
    """The name with its words sorted: equal for "Marie Dupont" and "DUPONT Marie"."""
    return " ".join(sorted(f"{fold_name(first_name)} {fold_name(last_name)}".split()))


# How long a name may be. Columns allow more; people's names do not need it, and a long
# "name" is a sentence. SIRENE's company names are 120 characters at most.
FIRST_NAME_MAX = 60
LAST_NAME_MAX = 80
FULL_NAME_MAX = 120
COMPANY_NAME_MAX = 120


class NameKind(Enum):
    """What a name field holds: (how the message calls it, its length, whether a person's)."""

    FIRST = ("Le prénom", FIRST_NAME_MAX, True)
    LAST = ("Le nom", LAST_NAME_MAX, True)
    FULL = ("Le nom", FULL_NAME_MAX, True)  # first and last name in one field
    COMPANY = ("Le nom de l'entreprise", COMPANY_NAME_MAX, False)

    @property
    def what(self) -> str:
        return self.value[0]

    @property
    def limit(self) -> int:
        return self.value[1]

    @property
    def person(self) -> bool:
        return self.value[2]


# A link or an address: a scheme, "www.", an "@", or a domain (a word, a dot, a top-level
# domain people type, or any dotted word followed by a path).
_TLDS = (
    "fr|com|net|org|eu|info|biz|io|co|ly|me|app|xyz|site|online|shop|store|top|link|"
    "click|example|be|ch|de|uk|us|ru|cn|tk|gl|gd|to|cc|tv|pro|live|club|page|bzh|paris"
)
# The commonest domains are also caught spelled with spaces around the dot ("evil .com",
# "colis-relais . fr"), which a reader still follows by hand.
_SPACED_TLDS = "fr|com|net|org|info|biz|io|ly|xyz"
_LINK = re.compile(
    rf"\bhttps?|://|www\.|@|[^\W_][\w-]*\.(?:{_TLDS})(?![\w-])|[^\W_][\w-]*\.[^\W\d_]{{2,}}/"
    rf"|[^\W_][\w-]+ *\. *(?:{_SPACED_TLDS})(?![\w-])",
    re.IGNORECASE,
)
# Between the letters of a person's name: spaces, hyphens, apostrophes (typed or
# typographic) and the dots of initials ("J.-P. Martin").
_NAME_MARKS = frozenset(" -\u2010\u2011'\u2019\u02bc.")
LINK_IN_NAME = "Écrivez seulement le nom, sans lien ni adresse (de site ou d'e-mail)."
SIGNS_IN_NAME = (
    "Un nom s'écrit en lettres, avec au besoin des espaces, tirets, apostrophes ou points "
    "(sans chiffres ni autres signes)."
)


# A line break, a tab or another control character (NUL aside: every way in refuses it on
# its own): a name is one line, and a line break in « Bonjour <prénom> » starts a message.
_LINE_OR_CONTROL = re.compile("[\x01-\x1f\x7f-\x9f\u2028\u2029]")
LINE_IN_NAME = (
    "Un nom s'écrit sur une seule ligne, sans retour à la ligne, tabulation ni caractère "
    "de contrôle."
)


def _check_name(name: str, kind: NameKind, *, letters: bool) -> None:
    """Raise ``InvalidName`` for a link or an address, for signs in a person's name (when
    ``letters``) and beyond the kind's length; ``name`` has its spaces collapsed."""
    if _LINK.search(name):
        raise InvalidName(LINK_IN_NAME)
    if letters and kind.person and not letters_and(name, _NAME_MARKS):
        raise InvalidName(SIGNS_IN_NAME)
    if too := too_long(kind.what, name, kind.limit):
        raise InvalidName(too)


def clean_name(text: Any, kind: NameKind) -> str:
    """A typed name, its spaces collapsed ("" when empty: the caller asks for it).

    Raises ``InvalidName`` (French) for a link or an address (in any kind of name), for
    anything but letters, spaces, hyphens, apostrophes and dots in a person's name
    (accents and every script welcome: "N'Diaye", "Jean-Édouard", "李"), and beyond the
    kind's length. A company's name may hold digits and signs ("Garage 2000", "& Fils").
    """
    name = spaced_name(text)
    if not name:
        return ""
    _check_name(name, kind, letters=True)
    return name


def spaced_name(text: Any) -> str | None:
    """A name as :func:`clean_name` writes it, unchecked: its spaces collapsed, its
    accents composed; None when empty. The comparison form of a name typed again
    (« Marie  Claire » as an import stored it and « Marie Claire » are one name)."""
    return composed(" ".join(str(text or "").split())) or None


def check_sent_name(text: str, kind: NameKind) -> str:
    """A name another system sends (the interchange import), kept as it is: the part of
    the rule that protects the people it is written to. Raises ``InvalidName`` (French)
    for a line break, a tab or a control character, a link or an address, and beyond the
    kind's length; digits and signs are the sender's affair (its format allows them)."""
    if _LINE_OR_CONTROL.search(text):
        raise InvalidName(LINE_IN_NAME)
    _check_name(" ".join(text.split()), kind, letters=False)
    if too := too_long(kind.what, text, kind.limit):  # its spaces are stored as sent
        raise InvalidName(too)
    return text


def read_name(
    data: Any, key: str, errors: dict[str, str], kind: NameKind, *, missing: str | None = None
) -> str:
    """The name typed under ``key`` of a form's ``data`` (:func:`clean_name`); why it is
    refused goes into ``errors[key]``, and so does ``missing`` when it is empty (a
    required name). What was typed comes back either way, to be shown again."""
    typed = data.get(key)
    try:
        name = clean_name(typed, kind)
    except InvalidName as refusal:
        errors[key] = refusal.message
        return " ".join(str(typed or "").split())
    if not name and missing:
        errors[key] = missing
    return name
