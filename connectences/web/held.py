"""The keep-alive of a login session while a form is being typed in.

A login session ends after ``SESSION_IDLE_MINUTES`` unused (30): the length of a visit
noted on a doorstep while talking with the owner. ``static/js/form-keep.js``, on every
page of a logged-in person, keeps it alive while a form is typed in: it calls
``auth.keep_alive`` at most every ``keep_alive_seconds()``, and only while a form has
edits not sent; an idle page calls nothing, and its session ends as before.
"""

from __future__ import annotations

from flask import Flask

from connectences import config
from connectences.accounts.sessions import TOUCH_SECONDS

# The keep-alive is called at most this often (and at least once a third of the idle
# lifetime, so that a shorter lifetime configured is still kept).
KEEP_ALIVE_MAX_SECONDS = 300


def keep_alive_seconds() -> int:
    """How often, at most, a page being typed in keeps its session alive."""
    idle = config.number("SESSION_IDLE_MINUTES") * 60
    return int(max(TOUCH_SECONDS, min(KEEP_ALIVE_MAX_SECONDS, idle / 3)))


def register_held(app: Flask) -> None:
    app.add_template_global(keep_alive_seconds, "keep_alive_seconds")
