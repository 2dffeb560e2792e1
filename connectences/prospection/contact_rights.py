"""The rights of a company's contact person (GDPR articles 15, 17 and 20): what the
platform holds about them, as a file they can take away, and its erasure on request.

A contact person is someone the animateurs recorded on a company's record (name, job,
phone, address). Their address may also be on needs they posted themselves, on the
mail the platform sent them, on a diagnosis questionnaire mailed to them and not
answered yet and on their registrations to events; their number on the call-back
requests made for the company. Both actions are written to the audit log, without the
person's details (an erasure must not leave them behind in the log).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from connectences.accounts.audit import REQUEST_NOTE_MAX, audit
from connectences.contacts import phone_key
from connectences.events.registrations import erase_registrations_of, registrations_of_address
from connectences.models import (
    AuditLog,
    CallbackRequest,
    CompanyContact,
    Diagnosis,
    Need,
    OutboxMessage,
    User,
    utcnow,
)
from connectences.prospection.pressure import (
    COMPANY_DETAILS,
    COMPANY_PREFERENCES,
    ERASED_ADDRESS,
    ERASED_PHONE,
)

EXPORT_FORMAT = "connectences/contact-entreprise-v1"


def _same_address(column, email: str | None):
    return func.lower(column) == (email or "").strip().lower()


def _diagnosis_links_to(contact: CompanyContact):
    """Questionnaires of the contact's company mailed to the contact, not answered yet
    (an answer forgets the address)."""
    return (Diagnosis.company_id == contact.company_id) & _same_address(
        Diagnosis.sent_to, contact.email
    )


def _needs_posted_by(session: Session, contact: CompanyContact) -> list[Need]:
    if not contact.email:
        return []
    return list(
        session.scalars(
            select(Need)
            .where(
                Need.company_id == contact.company_id,
                _same_address(Need.owner_email, contact.email),
            )
            .order_by(Need.created_at)
        )
    )


def _mail_sent_to(session: Session, contact: CompanyContact) -> list[OutboxMessage]:
    if not contact.email:
        return []
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(_same_address(OutboxMessage.to, contact.email))
            .order_by(OutboxMessage.created_at)
        )
    )


def _callbacks_of(session: Session, contact: CompanyContact) -> list[CallbackRequest]:
    """The call-back requests made for the contact's company from the contact's number."""
    number = phone_key(contact.phone)
    if number is None:
        return []
    return [
        request
        for request in session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.company_id == contact.company_id)
            .order_by(CallbackRequest.created_at, CallbackRequest.id)
        )
        if phone_key(request.phone) == number
    ]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_contact(
    session: Session, contact: CompanyContact, *, actor: User | None, now: datetime | None = None
) -> dict:
    """Everything held about the contact person, as one JSON-ready document (access and
    portability). The export is recorded in the audit log."""
    company = contact.company
    document = {
        "format": EXPORT_FORMAT,
        "exporte_le": (now or utcnow()).isoformat(),
        "personne": {
            "nom": contact.name,
            "fonction": contact.role,
            "telephone": contact.phone,
            "email": contact.email,
        },
        "entreprise": {"nom": company.name, "siret": company.siret},
        "adresse_de_contact_de_l_entreprise": (
            company.contact_email
            if contact.email and (company.contact_email or "").lower() == contact.email.lower()
            else None
        ),
        "telephone_de_l_entreprise": (
            company.phone
            if contact.phone and phone_key(company.phone) == phone_key(contact.phone)
            else None
        ),
        "besoins_exprimes": [
            {
                "intitule": need.title,
                "nom": need.owner_name,
                "email": need.owner_email,
                "telephone": need.owner_phone,
                "recu_le": _when(need.created_at),
            }
            for need in _needs_posted_by(session, contact)
        ],
        "courriels_envoyes": [
            {"objet": mail.subject, "ecrit_le": _when(mail.created_at), "etat": mail.status}
            for mail in _mail_sent_to(session, contact)
        ],
        "inscriptions_aux_evenements": [
            {
                "evenement": registration.event.title,
                "le": _when(registration.event.starts_at),
                "nom": registration.name,
                "email": registration.email,
                "organisation": registration.organisation,
                "etat": registration.status,
                "inscrit_le": _when(registration.created_at),
            }
            for registration in registrations_of_address(session, contact.email)
        ],
        "demandes_de_rappel": [
            {
                "nom": request.name,
                "telephone": request.phone,
                "sujet": request.topic,
                "demande_le": _when(request.created_at),
            }
            for request in _callbacks_of(session, contact)
        ],
        "questionnaires_de_diagnostic_envoyes": [
            {"envoye_le": _when(sent_at)}
            for sent_at in session.scalars(
                select(Diagnosis.sent_at)
                .where(_diagnosis_links_to(contact))
                .order_by(Diagnosis.sent_at, Diagnosis.id)
            )
        ],
    }
    audit(
        session,
        "company.contact_export",
        actor=actor,
        entity="company_contact",
        entity_id=contact.id,
        details={"company_id": contact.company_id},
    )
    return document


def _clear_from_company_history(
    session: Session, company_id: int, email: str | None, phone: str | None = None
) -> int:
    """The erased ``email`` and ``phone`` taken out of the company's history the audit
    log keeps: the changes of its details (``companies.update_details``: its contact
    address and its phone number before and after, the address of the owner who said
    it) and of its contact preferences (``companies.set_preferences``: the address of
    the owner who said them); they become :data:`pressure.ERASED_ADDRESS` and
    :data:`pressure.ERASED_PHONE`, the rest of each change stays. The number of entries
    cleared."""
    key = (email or "").strip().lower()
    number = phone_key(phone)
    cleared = 0
    for entry in session.scalars(
        select(AuditLog).where(
            AuditLog.action.in_((COMPANY_DETAILS, COMPANY_PREFERENCES)),
            AuditLog.entity == "company",
            AuditLog.entity_id == company_id,
        )
    ):
        details = json.loads(json.dumps(entry.details or {}))  # a copy: a new value is saved
        found = False
        for side in ("before", "after"):
            values = details.get(side) or {}
            if key and (values.get("contact_email") or "").lower() == key:
                values["contact_email"], found = ERASED_ADDRESS, True
            if number and phone_key(values.get("phone")) == number:
                values["phone"], found = ERASED_PHONE, True
        if key and (details.get("said_by_owner") or "").lower() == key:
            details["said_by_owner"], found = ERASED_ADDRESS, True
        if found:
            entry.details = details
            cleared += 1
    return cleared


def erase_contact(
    session: Session, contact: CompanyContact, *, actor: User | None, reason: str
) -> dict[str, int]:
    """Erase the contact person on their request: their entry on the company's record,
    their details on the needs they posted (the needs stay, for the company), the
    company's contact address and phone number when they are theirs (in its history
    too), the mail kept for them, their event
    registrations (a seat they held goes to the waiting list) and the call-back requests
    from their number. Returns what was erased; the audit entry names no detail of the
    person."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("reason required")
    company = contact.company
    counts = {
        "needs_cleared": 0,
        "mail_deleted": 0,
        "company_address_cleared": 0,
        "company_phone_cleared": 0,
        "diagnosis_links_cleared": 0,
        "registrations_deleted": 0,
        "callbacks_deleted": 0,
        "audit_addresses_cleared": 0,
    }
    counts["registrations_deleted"] = erase_registrations_of(session, contact.email)
    for request in _callbacks_of(session, contact):
        session.delete(request)
        counts["callbacks_deleted"] += 1
    session.flush()
    for need in _needs_posted_by(session, contact):
        need.owner_name = need.owner_email = need.owner_phone = None
        counts["needs_cleared"] += 1
    if contact.email:
        counts["mail_deleted"] = session.execute(
            delete(OutboxMessage)
            .where(_same_address(OutboxMessage.to, contact.email))
            .execution_options(synchronize_session=False)
        ).rowcount
        counts["diagnosis_links_cleared"] = session.execute(
            update(Diagnosis)
            .where(_diagnosis_links_to(contact))
            .values(sent_to=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if (company.contact_email or "").lower() == contact.email.lower():
            company.contact_email = None
            counts["company_address_cleared"] = 1
    # The company's own number when it is the person's (a sole trader's mobile), as its
    # address above.
    if contact.phone and phone_key(company.phone) == phone_key(contact.phone):
        company.phone = None
        counts["company_phone_cleared"] = 1
    if contact.email or contact.phone:
        counts["audit_addresses_cleared"] = _clear_from_company_history(
            session, company.id, contact.email, contact.phone
        )
    contact_id, company_id = contact.id, contact.company_id
    session.delete(contact)
    session.flush()
    audit(
        session,
        "company.contact_erased",
        actor=actor,
        entity="company_contact",
        entity_id=contact_id,
        details={"company_id": company_id, "reason": reason[:REQUEST_NOTE_MAX], **counts},
    )
    return counts
