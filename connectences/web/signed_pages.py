"""The pages behind the signed links mailed to people without an account (confirm or
cancel a registration, unsubscribe): one way for all of them.

GET only reads (mail scanners open links on their own) and shows a button or where
things stand; POST acts, commits and comes back to the GET (a refresh repeats nothing);
a link that is forged, expired or no longer valid gets the French page, 400.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, request, url_for

from connectences.extensions import db
from connectences.signed import LinkError


def signed_link_page(
    token: str,
    *,
    endpoint: str,
    read: Callable,
    act: Callable,
    show: Callable,
):
    """``read(session, token)`` gives the record, ``act(session, token)`` acts on it and
    ``show(record)`` renders the page; both raise ``LinkError`` for a bad link."""
    try:
        if request.method == "POST":
            act(db.session, token)
            db.session.commit()
            return redirect(url_for(endpoint, token=token), code=303)
        record = read(db.session, token)
    except LinkError as refusal:
        db.session.rollback()
        return render_template("link_invalid.html", message=refusal.message), 400
    return show(record)
