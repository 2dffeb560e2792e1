"""Personal links asked for by typing an address: recorded by the form, resolved by the
minute job. No HTTP here.

Three public forms mail a link to the address typed: a password reset
(``users.request_password_reset``), a CV-space link (``consent.send_space_link``), a
company-space link (``register.mail_space_link``); so does the correction, on the CV
form's thanks page, of the address a profile was sent with
(``consent.ask_address_correction``), which mails a confirmation, the link of the
profile holding that address, or (the sending stored nothing) an invitation to send it
again. Each answers the same page whatever
the address, but finding the account, making the token, rendering and queueing the mail
took time that finding nobody did not: measured from outside, enough to tell who has an
account. So the form does the same work for every address: ``ask`` records the request
(one insert, committed with the form's throttle count), and ``resolve_due``, run by the
job that sends the outbox (and ``flask mail send``) just before it sends, hands each
request to its link's rule, which mails whoever the address belongs to exactly as the
form used to (same mail, same validity counted from then, same flood limits per address)
and nothing to anybody else. The request is deleted either way: an unknown address
leaves nothing behind. Mail only ever left at the minute job, so nobody waits longer.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from connectences.accounts.users import request_password_reset
from connectences.cvtheque.consent import (
    resolve_address_corrections,
    resolve_unstored_correction,
    send_space_link,
)
from connectences.models import LinkRequest
from connectences.needs import register

log = logging.getLogger(__name__)

RESET = "reset"
CV_SPACE = "cv"
COMPANY_SPACE = "company"
# Not a link, but decided the same way: the address a new profile's author corrects on
# the thanks page (``consent.ask_address_correction``).
CV_ADDRESS = "cv_address"
# The same, for a sending that stored nothing (its address held a profile already): the
# thanks page is the same for both, and so is the request (``web.cv_public.thanks``).
CV_UNSTORED = "cv_again"
LINKS = (RESET, CV_SPACE, COMPANY_SPACE, CV_ADDRESS, CV_UNSTORED)
# Requests resolved by one run at most (each costs a few statements); any more wait for
# the next minute.
BATCH = 1000


def ask(session: Session, link: str, email: str, ip: str | None = None) -> None:
    """Record that ``link`` was asked for ``email`` (as typed) from ``ip`` (given for a
    reset only, whose rule audits it): one insert, whatever the address. The caller
    commits."""
    if link not in LINKS:
        raise ValueError(f"unknown link: {link}")
    session.add(LinkRequest(link=link, email=(email or "")[:254], ip=ip[:45] if ip else None))


def _resolve(session: Session, link: str, email: str, ip: str | None) -> bool:
    """Mail ``link`` to whom ``email`` belongs, under its rule; whether a mail was queued."""
    if link == RESET:
        return request_password_reset(session, email, ip=ip) is not None
    if link == CV_SPACE:
        return send_space_link(session, email)
    if link == CV_ADDRESS:
        return resolve_address_corrections(session, email)
    if link == CV_UNSTORED:
        return resolve_unstored_correction(session, email)
    if link == COMPANY_SPACE:
        return register.owner_has_space(session, email) and register.mail_space_link(
            session, current_app.secret_key, email
        )
    return False  # a link this version does not know: dropped


def pending(session: Session) -> int:
    """How many requests wait to be resolved."""
    return session.scalar(select(func.count(LinkRequest.id))) or 0


def resolve_due(session: Session, limit: int = BATCH) -> int:
    """Resolve the requests waiting (oldest first, at most ``limit``), each in a
    transaction of its own that deletes it; the number of mails queued. Commits.

    Each request is claimed by its delete: of two runs at once (the scheduler and
    ``flask mail send``), only the one whose delete removed the row resolves it. A
    request whose rule fails is dropped, logged, and the others go on.
    """
    ids = session.scalars(select(LinkRequest.id).order_by(LinkRequest.id).limit(limit)).all()
    session.commit()
    queued = 0
    for request_id in ids:
        claim = delete(LinkRequest).where(LinkRequest.id == request_id)
        try:
            row = session.execute(
                claim.returning(LinkRequest.link, LinkRequest.email, LinkRequest.ip)
            ).one_or_none()
            if row is not None and _resolve(session, row.link, row.email, row.ip):
                queued += 1
            session.commit()
        except Exception:
            session.rollback()
            log.exception("link request %s could not be resolved: dropped", request_id)
            session.execute(claim)
            session.commit()
    return queued
