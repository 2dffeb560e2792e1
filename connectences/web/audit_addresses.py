"""The address a logged-in person's action came from, in its audit entries.

The audit page says who did what, when and « depuis quelle adresse », but the domain
writes its entries knowing nothing of HTTP: only the views that passed ``ip`` (logins,
refusals, exports, the API's writes) gave one, and the administration's actions
(accounts, tokens, organisations) and the staff's had none. Before each flush, an entry
added during a request, of the person logged in (``flask_login`` keeps them in
``g._login_user``; the API's token sets it too), without an address, takes the
request's (``remote_addr``, the client's behind the trusted proxies). An entry of nobody
(a visitor's form: the privacy notice says its address is not kept) or of another
account keeps none.

An entry of a request the API authenticated also names the token it came with
(``token``, its number on the tokens' page): one account may hold several tokens, one
per tool, and the administrator must be able to tell which tool made a change and which
token to revoke.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from connectences.models import AuditLog


def _fill_addresses(session: Session, _context, _instances) -> None:
    if not has_request_context():
        return
    user = g.get("_login_user")
    user_id = getattr(user, "id", None)
    if user_id is None:
        return
    address, token_id = request.remote_addr, g.get("api_token_id")
    for entry in session.new:
        if not isinstance(entry, AuditLog) or entry.actor_id != user_id:
            continue
        if entry.ip is None and address:
            entry.ip = address[:45]
        if token_id is not None and "token" not in (entry.details or {}):
            entry.details = {**(entry.details or {}), "token": token_id}


def register_audit_addresses() -> None:
    """Listen to every session's flushes (once, whatever the number of applications)."""
    if not event.contains(Session, "before_flush", _fill_addresses):
        event.listen(Session, "before_flush", _fill_addresses)
