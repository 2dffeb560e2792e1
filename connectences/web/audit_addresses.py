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
    if user_id is None or not request.remote_addr:
        return
    for entry in session.new:
        if isinstance(entry, AuditLog) and entry.ip is None and entry.actor_id == user_id:
            entry.ip = request.remote_addr[:45]


def register_audit_addresses() -> None:
    """Listen to every session's flushes (once, whatever the number of applications)."""
    if not event.contains(Session, "before_flush", _fill_addresses):
        event.listen(Session, "before_flush", _fill_addresses)
