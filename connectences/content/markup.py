"""The one way text written by people becomes HTML: Markdown by markdown-it-py, then
sanitised by nh3 (ammonia). Raw HTML in the Markdown is escaped, not passed through;
whatever reaches the HTML goes through an allow-list of tags, attributes and link
schemes, so scripts, iframes, event handlers and ``javascript:`` links never survive."""

from __future__ import annotations

import html
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Headings start at level 2: the page's own title is its only <h1>.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# "#" and "##" both give a section heading under the title; deeper levels stop at h4.
_HEADING = {"h1": "h2", "h5": "h4", "h6": "h4"}


@cache
def _parser() -> MarkdownIt:
    # "js-default": CommonMark without raw HTML (typed tags are shown as text), plus tables.
    md = MarkdownIt("js-default", {"linkify": False, "typographer": False})

    def shifted_heading(renderer, tokens, idx, options, env):
        tokens[idx].tag = _HEADING.get(tokens[idx].tag, tokens[idx].tag)
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", shifted_heading)
    md.add_render_rule("heading_close", shifted_heading)
    return md


def sanitize_html(html: str) -> str:
    """``html`` reduced to the allow-list (tags, attributes, link schemes)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for a page from Markdown written by a person (a level-1 heading becomes
    level 2, so that the page's title stays its only level 1)."""
    return Markup(sanitize_html(_parser().render(text or "")))  # noqa: S704 — sanitised just above by nh3


def plain_text(text: str | None) -> str:
    """The words of a Markdown text without its markup (search, mail summaries)."""
    return html.unescape(nh3.clean(_parser().render(text or ""), tags=set())).strip()
