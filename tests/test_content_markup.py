"""Resources are written in Markdown by people: rendered by markdown-it-py and sanitised by
nh3, so that nothing a page's author types can run in a reader's browser."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from connectences.content.markup import ALLOWED_TAGS, plain_text, render_markdown


class _Elements(HTMLParser):
    """Every element of an HTML text with its attributes, as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


HOSTILE = [
    "<script>alert(1)</script>",
    "<iframe src='https://evil.example'></iframe>",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](  javascript:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[clic](vbscript:msgbox(1))",
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<object data=x></object><embed src=x>",
    "<style>body{display:none}</style>",
    "![x](javascript:alert(1))",
    "[a]: javascript:alert(1)\n\n[clic][a]",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_scripts_iframes_handlers_and_javascript_links_are_neutralised(text):
    found = elements(str(render_markdown(text)))
    for tag, attrs in found:
        assert tag in ALLOWED_TAGS, tag
        # No event handler, no style: links keep their address, title and rel only.
        assert set(attrs) <= {"href", "title", "rel"}, attrs
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:")), href


def test_typed_html_is_shown_as_text_not_dropped_silently():
    html = str(render_markdown("Écrivez <script>alert(1)</script> sans crainte"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_ordinary_markdown_keeps_its_structure_and_safe_links():
    html = str(
        render_markdown(
            "# Aide à l'embauche\n\n### Montant\n\n**Montant** : 4 000 €\n\n- un\n- deux\n\n"
            "[Site de la Région](https://www.nouvelle-aquitaine.fr) · [écrire](mailto:a@b.fr)"
        )
    )
    # The page's title is its only <h1>: a level-1 heading becomes a section heading.
    assert "<h1" not in html and "<h2>Aide à l'embauche</h2>" in html
    assert "<h3>Montant</h3>" in html
    assert "<strong>Montant</strong>" in html
    assert "<ul>" in html and "<li>deux</li>" in html
    assert 'href="https://www.nouvelle-aquitaine.fr"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'href="mailto:a@b.fr"' in html


def test_plain_text_drops_markup_for_search():
    assert plain_text("## Titre\n\n**Aide** & *prime*") == "Titre\nAide & prime"
