"""One-click unsubscribe from the newsletter (RFC 8058).

The link is signed for this purpose only (its own salt: it cannot confirm, cancel or
open anything else) and names one company and the address the issue went to: it stops
the newsletter for that address, that is for that company and any other company whose
address is the same one (the person asked not to receive it; an issue goes once to an
address, for whichever of them comes first), and stops nothing once the company's
address has changed (the new person did not receive that mail). It needs no login and no CSRF token:
the signature is the proof, so that mail clients can POST it in one click.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences.accounts.audit import audit
from connectences.contacts import email_key
from connectences.models import Company
from connectences.signed import LinkError, make_token, read_token
from connectences.urls import external_url

SALT = "newsletter-unsubscribe"
MAX_AGE = 3 * 366 * 24 * 3600  # an old issue's link still works for three years
ONE_CLICK = "List-Unsubscribe=One-Click"
STALE = (
    "Ce lien de désinscription ne correspond plus à l'adresse de l'entreprise. "
    "Écrivez-nous pour ne plus recevoir la lettre d'information."
)


def unsubscribe_token(company: Company, address: str) -> str:
    return make_token(SALT, {"c": company.id, "e": email_key(address)})


def unsubscribe_url(company: Company, address: str) -> str:
    return external_url("newsletter_public.unsubscribe", token=unsubscribe_token(company, address))


def list_headers(url: str) -> dict[str, str]:
    """The headers of one newsletter mail: where to unsubscribe, and that one POST does it."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


def company_for(session: Session, token: str) -> Company:
    """The company a link unsubscribes; LinkError when forged, for another purpose, or
    when the company's address is no longer the one the mail went to."""
    payload = read_token(SALT, token, MAX_AGE)
    company_id = payload.get("c")
    company = session.get(Company, company_id) if isinstance(company_id, int) else None
    if company is None or email_key(company.contact_email) != payload.get("e"):
        raise LinkError(STALE)
    return company


def unsubscribe(session: Session, token: str, *, ip: str | None = None) -> Company:
    """Stop the newsletter for the link's address: the link's company and every other
    company with the same address (their other choices are untouched); doing it twice
    changes nothing. Raises LinkError."""
    company = company_for(session, token)
    same_address = session.scalars(
        select(Company).where(
            Company.newsletter_consent.is_(True),
            func.lower(func.trim(Company.contact_email)) == email_key(company.contact_email),
        )
    )
    for reader in sorted({company, *same_address}, key=lambda c: c.id):
        if reader.newsletter_consent:
            reader.newsletter_consent = False
            audit(
                session,
                "company.newsletter_unsubscribe",
                entity="company",
                entity_id=reader.id,
                ip=ip,
            )
    return company
