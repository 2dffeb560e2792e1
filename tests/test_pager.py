"""The one pager of every paginated list: previous/next links keep the list's filters."""

import pytest

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)


def _render(app, page, pages):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "_pager.html" import pager %}'
            "{{ pager('visits.index', page, pages, {'canal': 'telephone'}) }}"
        )
        return template.render(page=page, pages=pages)


def test_middle_page_links_both_ways_with_the_filters(app):
    html = _render(app, 2, 3)
    assert 'href="/animateur/visites?page=1&amp;canal=telephone" rel="prev"' in html
    assert 'href="/animateur/visites?page=3&amp;canal=telephone" rel="next"' in html
    assert "Page 2 sur 3" in html


def test_first_and_last_pages_and_a_single_page(app):
    assert 'rel="prev"' not in _render(app, 1, 3) and 'rel="next"' in _render(app, 1, 3)
    assert 'rel="next"' not in _render(app, 3, 3)
    assert _render(app, 1, 1).strip() == ""
