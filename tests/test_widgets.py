"""WTForms' field attributes written by connectences.web.widgets: the same HTML as
WTForms' own function, for any attributes, and what every widget of the app uses."""

from __future__ import annotations

import pytest
import wtforms.widgets
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms.widgets import core

from connectences.web import widgets

pytestmark = pytest.mark.engine_free  # no SQL: run on SQLite only (tests/conftest.py)

NAMES = st.from_regex(r"(data_|aria_)?[a-z][a-z_]{0,8}_?", fullmatch=True)
TEXTS = st.text(alphabet=st.sampled_from("ab é<>&\"'=_-"), max_size=12)
VALUES = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    TEXTS,
    TEXTS.map(Markup),  # already safe, quotes and all
)


@given(st.dictionaries(NAMES, VALUES, max_size=6))
def test_the_same_markup_as_wtforms_for_any_attributes(attributes):
    ours = widgets.html_params(**attributes)
    assert isinstance(ours, Markup)
    assert ours == widgets.WTFORMS_HTML_PARAMS(**attributes)


def test_the_documented_cases_of_wtforms():
    assert widgets.html_params(data_attr="user.name", aria_labeledby="name") == (
        'aria-labeledby="name" data-attr="user.name"'
    )
    assert widgets.html_params(name="text1", id="f", class_="text") == (
        'class="text" id="f" name="text1"'
    )
    assert widgets.html_params(checked=True, readonly=False, name="text1", abc="hello") == (
        'abc="hello" checked name="text1"'
    )
    assert widgets.html_params(value='a"b<c', title=Markup('x"y')) == (
        'title="x&quot;y" value="a&#34;b&lt;c"'
    )


def test_the_app_renders_its_fields_with_it(app):
    from connectences.web.forms import LoginForm

    assert core.html_params is wtforms.widgets.html_params is widgets.html_params
    assert core.Input.html_params is core.SubmitInput.html_params is widgets.html_params
    with app.test_request_context("/connexion"):
        form = LoginForm(meta={"csrf": False})
        rendered = form.email(class_="champ", aria_describedby="aide", required=True)
    assert rendered == (
        '<input aria-describedby="aide" autocomplete="username" class="champ" id="email" '
        'maxlength="254" name="email" required type="email" value="">'
    )
