"""The templates' environment finds in a plain dict exactly what Jinja's own does,
without raising an AttributeError for each key (``connectences.templating``)."""

from __future__ import annotations

from collections import OrderedDict, defaultdict

import jinja2
import pytest

from connectences.templating import Environment


def test_the_app_renders_with_it(app):
    assert isinstance(app.jinja_env, Environment)


@pytest.mark.parametrize(
    "source",
    [
        "{{ d.points }}",  # a key
        "{{ d.items is callable }}",  # a method's name stays the method, even when a key
        "{{ d.get('points') }}",
        "{{ d.missing is defined }}",
        "{{ d.missing }}",
        "{{ d.__class__.__name__ }}",
        "{{ d['items'] }}",
        "{% for k, v in d.items() | sort %}{{ k }}={{ v }};{% endfor %}",
    ],
)
@pytest.mark.parametrize(
    "value",
    [
        {"points": 3, "items": "clé", "text": "<b>"},
        OrderedDict(points=3, items="clé"),
        defaultdict(int, points=3),
        {},
    ],
    ids=["dict", "ordered", "default", "empty"],
)
def test_it_answers_as_jinja_does(app, source, value):
    with app.app_context():
        ours = app.jinja_env.from_string(source).render(d=value)
    theirs = jinja2.Environment(autoescape=True).from_string(source).render(d=value)
    assert ours == theirs


def test_a_missing_key_is_undefined_as_configured(app):
    strict = Environment(app, undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError, match="missing"):
        strict.from_string("{{ d.missing }}").render(d={"points": 1})
