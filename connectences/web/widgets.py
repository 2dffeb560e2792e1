"""How WTForms writes a field's HTML attributes, at a fraction of its cost.

``wtforms.widgets.core.html_params`` builds each ``name="value"`` pair with
``Markup.format``, which goes through ``string.Formatter``: on a small form page (the login
page, the public forms) that was a quarter of the request's CPU. ``html_params`` below
gives the same ``Markup``, character for character (tests/test_widgets.py compares the
two on generated attributes), by joining texts that are already escaped. ``install``
puts it in place of WTForms' own, where every WTForms widget looks it up when it renders.
"""

from __future__ import annotations

import wtforms.widgets
from markupsafe import Markup, escape
from wtforms.widgets import core

# WTForms' own, kept for the comparison of the tests (read before any install()).
WTFORMS_HTML_PARAMS = core.html_params

_QUOTE, _ENTITY = Markup('"'), Markup("&quot;")


def html_params(**kwargs) -> Markup:
    """``wtforms.widgets.core.html_params``: the attributes sorted by name, ``name_`` for
    ``name``, ``data_x_y`` and ``aria_x_y`` as ``data-x-y``, True as the bare name, False
    left out, every name and value escaped."""
    params = []
    for key, value in sorted(kwargs.items()):
        name = escape(core.clean_key(key))
        if value is True:
            params.append(name)
        elif value is not False:
            value = escape(value).replace(_QUOTE, _ENTITY)
            params.append(f'{name}="{value}"')
    return Markup(" ".join(params))  # noqa: S704 — each name and value escaped above


def install() -> None:
    """WTForms writes attributes with :func:`html_params`: its widgets' module function,
    the class attribute of the widgets that hold one (inputs, buttons) and the package's
    name that labels use. Once per process: every app shares WTForms' modules."""
    core.html_params = wtforms.widgets.html_params = html_params
    for widget in vars(core).values():
        if isinstance(widget, type) and "html_params" in vars(widget):
            widget.html_params = staticmethod(html_params)
