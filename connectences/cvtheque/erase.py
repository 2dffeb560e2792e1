"""The right to erasure and the right of access: delete everything, export everything.

``erase_candidate`` is the one way a person leaves the library, whoever asks (the
person, an animateur, the retention job): their row, skills, history, CV file, the
lead lines naming them, their queued mail, their account, at once. Only an audit
entry stays, by id and reason, without personal data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from connectences import territory
from connectences.accounts import held_forms
from connectences.accounts.audit import REQUEST_NOTE_MAX, action_label, audit
from connectences.accounts.sessions import account_binding
from connectences.clock import local_date
from connectences.contacts import email_key
from connectences.cvtheque import files
from connectences.cvtheque.history import events_of, former_addresses
from connectences.cvtheque.scrub import person_pattern, scrub_leads, scrub_mentions
from connectences.events.registrations import erase_registrations_of, registrations_of_address
from connectences.mail import MailKind, queue_template
from connectences.mail.outbox import platform_reply_to
from connectences.models import (
    AuditLog,
    Candidate,
    CandidateEvent,
    Deletion,
    FollowUpPoint,
    JobNotice,
    Lead,
    LeadCandidate,
    OutboxMessage,
    Placement,
    User,
    utcnow,
)
from connectences.text import slug
from connectences.tombstones import record_deletion
from connectences.urls import external_url
from connectences.vocab import (
    CANDIDATE_STATUSES,
    CONTRACTS,
    DAYS,
    LEVELS,
    PLACEMENT_ENDINGS,
    ROLES,
)
from connectences.workflows.leads import tell_person_withdrawn

# The reason of an erasure the person asked for themself, from their space.
ON_REQUEST = "demande de la personne"
ERASED_SUBJECT = "Votre profil a été supprimé de la CVthèque"


def erase_candidate(
    session: Session,
    candidate: Candidate,
    *,
    reason: str,
    actor: User | int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    event_registrations: bool = True,
    tell_the_person: bool = False,
    request: str | None = None,
) -> bool:
    """Delete a person and everything naming them; True if they had a CV file.

    Removes the row, skills and history, the lead lines naming them, every mail to or
    about them (sent ones too), their name, addresses and phone in the staff's words on
    the leads that proposed them and the mails quoting them (``scrub``; the leads stay),
    their retention notices, a linked candidate account and, unless
    ``event_registrations`` is false, their registrations to events made with their
    address or their account's (a seat they held goes to the next person waiting);
    placements keep their figures without the person (nor the feedback of their follow-up
    points). The CV file goes once the deletion is
    committed (never with ``dry_run``, whose transaction the caller rolls back). An
    audit entry records the deletion by id and ``reason`` only. With ``tell_the_person``,
    one mail tells them it is done (the receipt a person expects of an erasure): it
    names no profile, and the outbox forgets it once sent (``FORGOTTEN_ONCE_SENT``).
    ``request``: how the request reached the staff (its date and means, as they noted
    it), kept in the audit entry beside ``reason`` (:func:`erase_on_request`).
    The caller commits.
    """
    cid = candidate.id
    had_file = files.pdf_exists(candidate.cv_filename)
    if had_file and not dry_run:
        files.delete_pdf_after_commit(session, candidate.cv_filename)
    # The operators of the live leads proposing them, and their animateurs, are told
    # (without a name) that the person is no longer in them.
    if not dry_run:
        tell_person_withdrawn(session, cid)
    # The staff's words on the leads that proposed them (note, refusal, hand-back, the
    # mails quoting them) keep the leads, without the person's name, address or phone.
    named_in = select(LeadCandidate.lead_id).where(LeadCandidate.candidate_id == cid)
    identity = _identity(session, candidate)
    scrub_leads(session, session.scalars(named_in).all(), person_pattern(*identity))
    # The staff's other texts (leads, re-orientations, visits, follow-up points) that
    # mention them without proposing them: their full name, addresses and phone.
    scrub_mentions(session, *identity, but=cid)
    # The leads naming them change: their last change moves, so that a platform
    # synchronising leads drops the person from its copy too.
    session.execute(
        update(Lead)
        .where(Lead.id.in_(named_in))
        .values(updated_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(LeadCandidate).where(LeadCandidate.candidate_id == cid))
    # Their placements keep their figures (the points done, whether the job held), not
    # the words written about the person or by them at each point.
    session.execute(
        update(FollowUpPoint)
        .where(
            FollowUpPoint.placement_id.in_(
                select(Placement.id).where(Placement.candidate_id == cid)
            )
        )
        .values(company_feedback=None, candidate_feedback=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Placement).where(Placement.candidate_id == cid).values(candidate_id=None)
    )
    # Every mail to or about them, sent ones too: they hold the address, the name and the
    # links; and a person created later may take the same id (SQLite reuses the highest),
    # who would then read them as theirs.
    session.execute(delete(OutboxMessage).where(OutboxMessage.candidate_id == cid))
    session.execute(delete(JobNotice).where(JobNotice.key.like(f"candidate:{cid}:%")))
    session.execute(delete(CandidateEvent).where(CandidateEvent.candidate_id == cid))
    accounts = session.scalars(
        select(User).where(User.candidate_id == cid, User.role == "candidate")
    ).all()
    account_ids = {account.id for account in accounts}
    if not dry_run:
        # A form held for their account while it logged in again (their profile's
        # fields, typed): nobody can log in with it any more to be given it back.
        for account in accounts:
            held_forms.forget_owner(held_forms.held_forms_folder(), account_binding(account))
    if event_registrations:
        for address in _addresses_of(session, candidate):
            erase_registrations_of(session, address)
    forget_account_addresses(session, account_ids)
    if (actor.id if isinstance(actor, User) else actor) in account_ids:
        # The person deleting their own profile from their account: the account goes with
        # it, so the entry cannot point at it; its reason says who asked.
        actor = None
    session.execute(delete(User).where(User.candidate_id == cid, User.role == "candidate"))
    # Another role's account that happened to point at the person only loses the link.
    session.execute(update(User).where(User.candidate_id == cid).values(candidate_id=None))
    record_deletion(session, "candidates", candidate.ref, now=now)
    if tell_the_person:
        _mail_erasure_done(session, candidate, had_account=bool(account_ids), now=now)
    session.delete(candidate)  # its skills go with it (ORM cascade)
    entry = audit(
        session,
        "candidate.deleted",
        actor=actor,
        entity="candidate",
        entity_id=cid,
        details={"reason": reason, **({"request": request} if request else {})},
    )
    if now is not None:
        entry.at = now
    session.flush()
    return had_file


def export_on_request(session: Session, candidate: Candidate, *, actor: User) -> dict:
    """The person's copy of their data (:func:`export_candidate`), taken by the staff
    for a person who asked them (by phone, by post, at a permanence): the same document
    as from their space, recorded in the audit log without any of its data."""
    document = export_candidate(session, candidate)
    audit(
        session,
        "candidate.exported",
        actor=actor,
        entity="candidate",
        entity_id=candidate.id,
        details={"format": "json"},
    )
    return document


def copy_basename(candidate: Candidate) -> str:
    """The name of the person's copy taken by the team (:func:`export_on_request`),
    before its day: whose it is, by the record's reference (as in its address), in
    ASCII letters, digits and hyphens whatever the reference holds; by the record's
    number when the reference is an address (a sender's choice) or holds no letter."""
    ref = "" if "@" in (candidate.ref or "") else slug(candidate.ref)
    return f"donnees-cvtheque-{ref or candidate.id}"


def erase_on_request(
    session: Session, candidate: Candidate, *, actor: User, request: str, receipt: bool
) -> bool:
    """Erase the person who asked the staff to (:func:`erase_candidate`): recorded as
    their own request (:data:`ON_REQUEST`, so that their old links say so) with
    ``request``, the staff's note of its date and means. ``receipt``: the person still
    reads the profile's address, and gets the erasure's receipt there; it is never
    sent to an address nobody confirmed. The caller commits."""
    request = (request or "").strip()
    if not request or len(request) > REQUEST_NOTE_MAX:
        raise ValueError("the request's date and means, at most REQUEST_NOTE_MAX characters")
    return erase_candidate(
        session,
        candidate,
        reason=ON_REQUEST,
        request=request,
        actor=actor,
        tell_the_person=receipt and candidate.email_confirmed_at is not None,
    )


def _identity(session: Session, candidate: Candidate):
    """What names the person in a text (``scrub.person_pattern``): their first and last
    names, every address they had (the profile's, their account's, those the profile
    left) and their phones."""
    addresses = _addresses_of(session, candidate) | {
        former.address for former in former_addresses(session, candidate)
    }
    return candidate.first_name, candidate.last_name, sorted(addresses), [candidate.phone]


def _mail_erasure_done(
    session: Session, candidate: Candidate, *, had_account: bool, now: datetime | None
) -> None:
    """Queue the receipt of the erasure, to the profile's address (after the deletion of
    the person's mails, and tied to no profile: the id is free again)."""
    queue_template(
        session,
        kind=MailKind.CV_ERASED,
        to=candidate.email,
        subject=ERASED_SUBJECT,
        template="cv_erased",
        reply_to=platform_reply_to(),
        first_name=candidate.first_name,
        day=f"{local_date(now or utcnow()):%d/%m/%Y}",
        had_account=had_account,
        submit_url=external_url("cv_public.submit"),
    )


def _erasures(candidate_id: int):
    """The audit entries of the erasures of the profiles that had this id (a select)."""
    return select(AuditLog).where(
        AuditLog.action == "candidate.deleted",
        AuditLog.entity == "candidate",
        AuditLog.entity_id == candidate_id,
    )


def erasure_of(session: Session, candidate_id: object, ref: object) -> AuditLog | None:
    """The audit entry of the erasure of the profile a personal link named (its id and
    ref), or None when that profile was not erased (a link of a profile merged into
    another leaves a tombstone too, but no such entry). What the link's page tells its
    holder: when, and whether they asked for it (``details["reason"]``)."""
    if not isinstance(candidate_id, int) or not isinstance(ref, str):
        return None
    gone_at = session.scalar(
        select(Deletion.deleted_at)
        .where(Deletion.kind == "candidates", Deletion.ref == ref)
        .order_by(Deletion.deleted_at.desc())
        .limit(1)
    )
    if gone_at is None:
        return None
    # Written in the same transaction as the tombstone; an earlier erasure of another
    # person who had the same id (SQLite reuses the highest) is older than it.
    return session.scalar(
        _erasures(candidate_id)
        .where(AuditLog.at >= gone_at - timedelta(minutes=1))
        .order_by(AuditLog.at.desc())
        .limit(1)
    )


def erasure_after(session: Session, candidate_id: object, since: datetime) -> AuditLog | None:
    """The audit entry of the erasure of the profile with this id that a link made at
    ``since`` named (a link naming the id and not the ref, as a confirmation link): the
    first erasure of that id after the link was made, or None. An id is handed out again
    once erased (SQLite reuses the highest): an erasure of an earlier holder is older
    than the link, one of a later holder comes after the first."""
    if not isinstance(candidate_id, int) or isinstance(candidate_id, bool):
        return None
    return session.scalar(
        _erasures(candidate_id)
        # The token's time is to the second, truncated.
        .where(AuditLog.at >= since.replace(microsecond=0))
        .order_by(AuditLog.at, AuditLog.id)
        .limit(1)
    )


def _addresses_of(session: Session, candidate: Candidate) -> set[str]:
    """The person's address and their candidate account's, in comparison form."""
    found = {candidate.email} | set(
        session.scalars(
            select(User.email).where(User.candidate_id == candidate.id, User.role == "candidate")
        )
    )
    return {key for address in found if (key := email_key(address))}


def forget_account_addresses(session: Session, user_ids: set[int]) -> None:
    """Take the address out of the audit entries about accounts that are being deleted
    (``user_created`` keeps the address it created): what stays says that an account
    was created, with its id and role, not whose it was."""
    if not user_ids:
        return
    entries = session.scalars(
        select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id.in_(user_ids))
    )
    for entry in entries:
        if entry.details and "email" in entry.details:
            entry.details = {k: v for k, v in entry.details.items() if k != "email"}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_candidate(session: Session, candidate: Candidate) -> dict:
    """Everything held about the person, as a JSON-ready dict (the right of access).

    Profile (with French labels beside codes, and the work they hold: commitments),
    skills as written and as placed in the taxonomy, consent and confirmation dates,
    history, the addresses the profile left, the leads that named them, their placements with the words of each
    follow-up point (the erasure takes those as theirs), their account, the mail written
    to them, their registrations to events, and the audit log of their record: who (a
    role and an organisation, never a member's name or address) read, exported or
    changed it, and when.
    """
    commune = territory.get_commune(candidate.commune)
    leads = session.execute(
        select(Lead, LeadCandidate)
        .join(LeadCandidate, LeadCandidate.lead_id == Lead.id)
        .where(LeadCandidate.candidate_id == candidate.id)
        .order_by(Lead.created_at)
    ).all()
    account = session.scalar(select(User).where(User.candidate_id == candidate.id))
    # The mails sent to them (those about them to the staff, a placement's news, hold
    # the staff's addresses).
    mails = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.candidate_id == candidate.id,
            OutboxMessage.kind != MailKind.WORKFLOW_UPDATE,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    placements = session.scalars(
        select(Placement)
        .where(Placement.candidate_id == candidate.id)
        .order_by(Placement.start_date, Placement.id)
    ).all()
    # Entries of this record only: an id an erased person had may be given again
    # (SQLite reuses the highest), so none written before this record existed.
    entries = session.scalars(
        select(AuditLog)
        .where(
            AuditLog.entity == "candidate",
            AuditLog.entity_id == candidate.id,
            AuditLog.at >= candidate.created_at,
        )
        .order_by(AuditLog.at, AuditLog.id)
    ).all()
    own_accounts = {account.id} if account is not None else set()
    return {
        "format": "connectences/cvtheque-export-v1",
        "exported_at": _iso(utcnow()),
        "profile": {
            "ref": candidate.ref,
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "email": candidate.email,
            "phone": candidate.phone,
            "commune": candidate.commune,
            "commune_name": commune.name if commune else None,
            "mobility_km": candidate.mobility_km,
            "rome": list(candidate.rome or []),
            "level": candidate.level,
            "level_label": LEVELS.get(candidate.level),
            "hours_min": candidate.hours_min,
            "hours_max": candidate.hours_max,
            "days": list(candidate.days or []),
            "days_labels": [DAYS.get(d, d) for d in candidate.days or []],
            "contracts": list(candidate.contracts or []),
            "contracts_labels": [CONTRACTS.get(c, c) for c in candidate.contracts or []],
            "available_from": _iso(candidate.available_from),
            "status": candidate.status,
            "status_label": CANDIDATE_STATUSES.get(candidate.status),
            "week_complete": candidate.week_complete,
            "commitments": [
                {
                    "label": c.label,
                    "hours_per_week": c.hours_per_week,
                    "days": list(c.days or []),
                    "start": _iso(c.start),
                    "until": _iso(c.until),
                    "source": c.source,
                }
                for c in candidate.commitments
            ],
            "source": candidate.source,
            "notes": candidate.notes,
            "cv_file": bool(candidate.cv_filename),
        },
        "skills": [
            {"label": s.label, "normalised": s.norm, "concept": s.concept} for s in candidate.skills
        ],
        "consent": {
            "consent": bool(candidate.consent),
            "consent_at": _iso(candidate.consent_at),
            "email_confirmed_at": _iso(candidate.email_confirmed_at),
            "pending_email": candidate.pending_email,
            "last_contact_at": _iso(candidate.last_contact_at),
            "created_at": _iso(candidate.created_at),
            "updated_at": _iso(candidate.updated_at),
        },
        "history": [
            {
                "at": _iso(e.at),
                "kind": e.kind,
                "summary": e.summary,
                "by": e.actor_label or ("un membre de l'équipe" if e.actor_id else None),
            }
            for e in events_of(session, candidate.id)
        ],
        "leads": [
            {
                "lead": lead.id,
                "operator": lead.operator.name if lead.operator else None,
                "status": lead.status,
                "proposed_at": _iso(lead.created_at),
                "needs": [item.need.title for item in lead.needs if item.need is not None],
                "score": line.score,
                "explanation": list(line.explanation or []),
            }
            for lead, line in leads
        ],
        "placements": [_placement_export(p) for p in placements],
        "account": (
            {"email": account.email, "created_at": _iso(account.created_at)} if account else None
        ),
        # Kept with the profile for the staff to put one back (docs/rgpd.md T2, § 2).
        "former_addresses": [
            {"email": former.address, "left_at": _iso(former.left_at)}
            for former in former_addresses(session, candidate)
        ],
        "mails": [
            {"subject": m.subject, "created_at": _iso(m.created_at), "status": m.status}
            for m in mails
        ],
        "event_registrations": [
            {
                "event": r.event.title,
                "starts_at": _iso(r.event.starts_at),
                "name": r.name,
                "email": r.email,
                "organisation": r.organisation,
                "siret": r.siret,
                "status": r.status,
                "registered_at": _iso(r.created_at),
                "confirmed_at": _iso(r.confirmed_at),
            }
            for address in sorted(_addresses_of(session, candidate))
            for r in registrations_of_address(session, address)
        ],
        "audit": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "action_label": action_label(e.action),
                "by": _reader(session, e, own_accounts),
            }
            for e in entries
        ],
    }


def _placement_export(placement: Placement) -> dict:
    """One placement of the person, with its follow-up points and their words."""
    return {
        "companies": [item.need.company.name for item in placement.needs],
        "needs": [item.need.title for item in placement.needs],
        "hours_per_week": placement.hours_per_week,
        "contract": placement.contract,
        "contract_label": CONTRACTS.get(placement.contract),
        "start_date": _iso(placement.start_date),
        "trial": placement.trial,
        "trial_end": _iso(placement.trial_end),
        "ended_on": _iso(placement.ended_on),
        "ended_by": PLACEMENT_ENDINGS.get(placement.ended_by or "", placement.ended_by),
        "created_at": _iso(placement.created_at),
        "follow_ups": [
            {
                "months": point.months,
                "due_on": _iso(point.due_on),
                "done_at": _iso(point.done_at),
                "holds": point.holds,
                "company_feedback": point.company_feedback,
                "candidate_feedback": point.candidate_feedback,
            }
            for point in placement.follow_ups
        ],
    }


def _reader(session: Session, entry: AuditLog, own_accounts: set[int]) -> str:
    """Who an audit entry of the person's record names, as they may be told: themself,
    the platform, or a role with its organisation (a member's name and address are
    that member's data, not the person's)."""
    actor_id = entry.actor_id
    if actor_id in own_accounts or (entry.details or {}).get("by") == "self":
        return "vous-même"
    if actor_id is None:
        return "la plateforme"
    user = session.get(User, actor_id)
    if user is None:  # an account deleted since
        return "un compte supprimé depuis"
    role = ROLES.get(user.role, user.role)
    organisation = user.operator or user.partner
    return f"{role} ({organisation.name})" if organisation is not None else role
