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


def test_a_list_among_several_moves_its_own_page_and_keeps_the_others(app):
    # A page of several lists hands every list's page to each pager (``kept_pages``),
    # this list's own too: the link's page must win, or « Page suivante » of the
    # operators' inbox at its page 2 led to page 2 again.
    with app.test_request_context():
        html = app.jinja_env.from_string(
            '{% from "_pager.html" import pager %}'
            "{{ pager('leads.index', 2, 3, {'new_page': 2, 'closed_page': 4}, param='new_page') }}"
        ).render()
    assert 'href="/operateur/propositions?new_page=3&amp;closed_page=4" rel="next"' in html
    assert 'href="/operateur/propositions?new_page=1&amp;closed_page=4" rel="prev"' in html
