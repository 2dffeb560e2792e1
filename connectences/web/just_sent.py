"""What a browser has just sent on a public form, kept in its session for the pages that
follow: the "confirm your address" page (its address shown in full, so that a typo can
be seen and corrected), the CV's skills to tick.

Public forms are filled in on shared computers too (a France Services kiosk, a library):
the next person must not find the previous one's address, correct it to their own and
receive the link, nor tick skills on their profile. So what was just sent lasts
``WINDOW`` only, and is forgotten as soon as the browser opens any page outside the flow
of its form (``FLOWS``): leaving the page is the end of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request, session

from connectences.models import utcnow

WINDOW = timedelta(minutes=10)
# Each sending's key in the session, with the pages that follow the sending: any other
# page forgets it. (The form's own POST stores a new sending after forgetting the last.)
FLOWS: dict[str, frozenset[str]] = {
    "need_sent": frozenset({"need_public.sent"}),
    "cv_sent": frozenset({"cv_public.skills_found", "cv_public.thanks"}),
}
# Requests that are not pages: the page's own stylesheets, scripts and images.
_NOT_PAGES = frozenset({"static"})


def remember(key: str, **values: Any) -> None:
    """Keep ``values`` as what this browser has just sent under ``key`` (a ``FLOWS`` key)."""
    if key not in FLOWS:
        raise KeyError(key)
    session[key] = {**values, "at": utcnow().isoformat()}


def recall(key: str) -> dict[str, Any] | None:
    """What this browser sent under ``key`` within ``WINDOW``, else None (and forgotten)."""
    kept = session.get(key)
    if not isinstance(kept, dict):
        forget(key)
        return None
    try:
        at = datetime.fromisoformat(kept.get("at", ""))
    except (TypeError, ValueError):
        at = None
    if at is None or not timedelta(0) <= utcnow() - at <= WINDOW:
        forget(key)
        return None
    return kept


def revise(key: str, **changes: Any) -> None:
    """Change some values of what was just sent under ``key``; its time stays the
    sending's (a step taken does not lengthen ``WINDOW``). Nothing when none is kept."""
    kept = session.get(key)
    if isinstance(kept, dict):
        session[key] = {**kept, **changes}


def forget(key: str) -> None:
    if key in session:
        session.pop(key)


def _forget_outside_flows() -> None:
    if request.endpoint in _NOT_PAGES:
        return
    for key, pages in FLOWS.items():
        # ``in`` reads the session without marking it used: pages that never had a
        # sending answer without "Vary: Cookie".
        if key in session and request.endpoint not in pages:
            session.pop(key)


def register_just_sent(app: Flask) -> None:
    app.before_request(_forget_outside_flows)
