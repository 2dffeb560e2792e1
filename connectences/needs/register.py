"""Creating, confirming and qualifying needs, and spotting a duplicate before creation.

A need posted by its owner on the public form is stored unconfirmed (``source``
"entreprise", ``owner_confirmed_at`` empty): it enters the animateurs' queue, with its
workflow log started, only when the owner clicks the link mailed to them. A need an
animateur enters (from a visit or from scratch) starts its log at once.

An unconfirmed need names and claims nothing: the company its SIRET did not know is
created provisional (``prospection.companies.is_provisional``), and the first author to
confirm their address names it and becomes its contact; whether an author speaks for a
company is decided when they confirm.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, func, or_, select

from connectences import vocab
from connectences.accounts.audit import audit
from connectences.contacts import email_key
from connectences.db_session import begin_writing
from connectences.mail import MailKind, queue_template, sent_recently
from connectences.mail.outbox import platform_reply_to
from connectences.models import (
    Company,
    CompanyContact,
    Deletion,
    Need,
    OwnerLinks,
    User,
    utcnow,
)
from connectences.models.accounts import user_company
from connectences.needs import links
from connectences.needs.conditions import in_queue
from connectences.needs.listed import LISTED_COLUMNS, ListedNeed, listed_needs
from connectences.needs.status_words import UNATTACHED_REFUSAL, awaiting_owner, unattached_owner
from connectences.prospection.companies import (
    create_provisional,
    find_company_by_siret,
    is_provisional,
    listed,
    lock_stale_provisional,
    name_company,
    siret_display,
)
from connectences.skills import normalize
from connectences.tombstones import record_deletion
from connectences.urls import external_url
from connectences.workflows import (
    NEED,
    NEED_FINAL,
    NEED_UNROUTED,
    NeedState,
    TransitionError,
    start,
    transition,
)

NEED_FIELDS = (
    "title",
    "skills",
    "level",
    "hours_per_week",
    "days",
    "contract",
    "reason",
    "reason_text",
    "start",
    "duration_months",
    "commune",
)
# What a need form sends as one value per field: all but the days (check boxes, a list).
NEED_TEXT_FIELDS = tuple(name for name in NEED_FIELDS if name != "days") + ("hours_period",)


def normalise_title(title: str) -> str:
    """The title as compared for duplicates: no case, accents, punctuation or extra spaces."""
    return normalize(title or "")


def find_duplicates(session, company_id: int | None, title: str) -> list[Need]:
    """Open needs of the company whose title is the same once normalised (oldest first)."""
    if company_id is None:
        return []
    wanted = normalise_title(title)
    candidates = session.scalars(
        select(Need)
        .where(Need.company_id == company_id, Need.status.not_in(NEED_FINAL))
        .order_by(Need.created_at, Need.id)
    )
    return [need for need in candidates if normalise_title(need.title) == wanted]


def company_by_siret(session, siret: str | None) -> Company | None:
    """The stored company with this SIRET (one company per SIRET), or None."""
    return find_company_by_siret(session, siret)


def new_ref(session) -> str:
    """A fresh, unguessable need ref (refs are shown in URLs)."""
    while True:
        ref = f"besoin-{utcnow():%Y%m%d}-{secrets.token_hex(3)}"
        if session.scalar(select(func.count()).where(Need.ref == ref)) == 0:
            return ref


def apply_values(need: Need, values: dict) -> None:
    """Set on ``need`` the fields of :data:`NEED_FIELDS` that ``values`` (checked by
    ``form_rules.check_need``) holds."""
    for name in NEED_FIELDS:
        if name in values:
            setattr(need, name, values[name])


# Unconfirmed needs one address may have waiting: beyond, the public form refuses, so
# that nobody can flood someone's mailbox with confirmation mails through it.
MAX_WAITING_PER_ADDRESS = 3


def too_many_waiting(session, email: str, now: datetime | None = None) -> bool:
    """Whether ``email`` already has the most unconfirmed needs of the last 24 hours."""
    since = (now or utcnow()) - timedelta(hours=24)
    waiting = session.scalar(
        select(func.count())
        .select_from(Need)
        .where(
            func.lower(Need.owner_email) == (email_key(email) or ""),
            Need.owner_confirmed_at.is_(None),
            Need.source == "entreprise",
            Need.created_at >= since,
        )
    )
    return waiting >= MAX_WAITING_PER_ADDRESS


SPACE_LINK_SUBJECT = "Votre lien de suivi"
SPACE_LINK_GAP = timedelta(minutes=2)
MAX_SPACE_LINKS_PER_DAY = 5


def may_send_space_link(session, email: str, now: datetime | None = None) -> bool:
    """Whether a company-space link may be mailed to ``email`` now.

    Anyone may ask for one by typing an address: at most one every two minutes and
    ``MAX_SPACE_LINKS_PER_DAY`` a day, so that nobody can flood an owner's mailbox.
    """
    now = now or utcnow()
    kind = MailKind.COMPANY_SPACE_LINK
    if sent_recently(session, kind, email, now - timedelta(hours=24)) >= MAX_SPACE_LINKS_PER_DAY:
        return False
    return sent_recently(session, kind, email, now - SPACE_LINK_GAP) == 0


def mail_space_link(session, secret: str, email: str) -> bool:
    """Queue a new company-space link to ``email`` (signed with ``secret``, of its links'
    current version) unless one left a moment ago or too many today
    (``may_send_space_link``); whether one was queued."""
    if not may_send_space_link(session, email):
        return False
    queue_template(
        session,
        kind=MailKind.COMPANY_SPACE_LINK,
        to=email,
        subject=SPACE_LINK_SUBJECT,
        template="company_space_link",
        reply_to=platform_reply_to(),
        link=external_url("need_public.space", token=space_token(session, secret, email)),
        renew_link=external_url("need_public.renew"),
        days=links.space_days(),
    )
    return True


def delete_unconfirmed(session, before: datetime) -> int:
    """Delete the public needs never confirmed and posted before ``before``; their count.

    They never entered the queue: nobody worked on them, and the address was never proven.
    The provisional companies that may go with them (``delete_forgotten_provisional``,
    with the same ``before``, afterwards) are locked first: the deletion bumps the
    generation of the pooled needs, which a need being stored for such a company waits
    for while holding the company's key-share lock (``lock_stale_provisional``).
    """
    lock_stale_provisional(session, before)
    stale = session.scalars(
        select(Need).where(
            Need.source == "entreprise",
            Need.owner_confirmed_at.is_(None),
            Need.created_at < before,
        )
    ).all()
    for need in stale:
        record_deletion(session, "needs", need.ref, company_id=need.company_id)
        session.delete(need)
    return len(stale)


def speaks_for(session, company: Company, email: str | None) -> bool:
    """Whether ``email`` is one the company is known by: its registered address, one of
    its contacts' (recorded by the staff, or by a confirmed need the staff accepted), or
    the login of one of its owners' accounts."""
    key = email_key(email)
    if not key:
        return False
    if email_key(company.contact_email) == key:
        return True
    if any(email_key(contact.email) == key for contact in company.contacts):
        return True
    owner = session.scalar(
        select(User.id)
        .join(user_company, user_company.c.user_id == User.id)
        .where(
            user_company.c.company_id == company.id,
            User.role == "company",
            func.lower(User.email) == key,
        )
        .limit(1)
    )
    return owner is not None


def _unattached_until_confirmed(session, company: Company, email: str | None) -> bool:
    """``Need.owner_unattached`` of a need waiting for its author's confirmation: what
    the company knows of the address says it for a named company; a provisional one
    knows nobody (who speaks for it is decided by the first confirmation). Decided
    again at confirmation (:func:`confirm_need`): the company may have changed since."""
    return is_provisional(company) or not speaks_for(session, company, email)


def moved_to_company(session, need: Need, company: Company) -> None:
    """``need``, of a provisional company the staff attached to the listed ``company``
    (``prospection.provisional_merge``), is that company's now. Whether its author speaks
    for it is decided as if they had typed its SIRET (:func:`_unattached_until_confirmed`):
    an address the company does not know stays apart (``owner_unattached``) until an
    animateur attaches it, and confirming decides it again (:func:`confirm_need`). The
    author becomes no contact of the company here: the staff vouched for the SIRET, not
    for them."""
    need.company = company
    if need.source == "entreprise":
        need.owner_unattached = _unattached_until_confirmed(session, company, need.owner_email)


def correct_owner_email(session, need: Need, email: str) -> None:
    """The author of an unconfirmed public need corrects the address it was sent with
    (a need posted with the company's own address, then moved to another one, is not
    the company's). The caller sends the confirmation again and commits."""
    need.owner_email = email
    need.owner_unattached = _unattached_until_confirmed(session, need.company, email)


def submitted_need(session, key: str | None) -> Need | None:
    """The need stored from the sending ``key`` (``submissions.key``), or None."""
    if key is None:
        return None
    return session.scalar(select(Need).where(Need.submission_key == key))


def submit_public_need(
    session,
    need_values: dict,
    company_values: dict,
    owner: dict,
    *,
    author=None,
    submission_key: str | None = None,
) -> Need:
    """Store a need posted on the public form, and its company, provisional, when new.

    An existing company (same SIRET) is reused as it is: an unconfirmed form never
    changes nor names a company (``company_values`` name it at confirmation, when it is
    still provisional). The need waits for the owner's confirmation outside the queue,
    unless the account that sent it proves the address (:func:`confirmed_by_login`):
    it is then confirmed at once.
    Anyone can type a known company's SIRET: when the address is none the company is
    known by (:func:`speaks_for`), the need is flagged ``owner_unattached`` and is not
    the company's until an animateur attaches its author (:func:`attach_owner`).

    ``submission_key`` (``submissions.key``) is unique among needs: when a request
    sending the same form committed first, the flush or the commit raises
    IntegrityError, and the caller answers with :func:`submitted_need` (a new company
    of the same SIRET, inserted first, may be the row that collides).
    """
    company = create_provisional(
        session, company_values["siret"], company_values["company_commune"]
    )
    by_login = confirmed_by_login(author, owner["owner_email"])
    if by_login and is_provisional(company):
        _lock_before_naming(session, company)
    need = Need(
        ref=new_ref(session),
        company_id=company.id,
        status=NEED.initial,
        source="entreprise",
        owner_email=owner["owner_email"],
        owner_name=owner["owner_name"],
        owner_phone=owner["owner_phone"],
        owner_unattached=_unattached_until_confirmed(session, company, owner["owner_email"]),
        # The account that sent it, logged in: its own unconfirmed need shows in its area.
        created_by_id=getattr(author, "id", None),
        submission_key=submission_key,
    )
    need.company = company
    apply_values(need, need_values)
    session.add(need)
    session.flush()
    if by_login:
        confirm_need(session, need, need.owner_email, by_login=True, company_values=company_values)
    return need


def _lock_before_naming(session, company: Company) -> None:
    """PostgreSQL: lock the row of the provisional ``company`` that a need confirmed in
    the same transaction (a logged-in owner's) will name, before the need is inserted;
    the company is read again. Nothing on SQLite (one writer at a time).

    Naming it changes its ``ref``, under a unique index: the UPDATE takes FOR UPDATE,
    which waits for every transaction holding the key-share lock of a need inserted for
    the company meanwhile (its foreign key). Such a transaction then waits for this one's
    own locks: the generation row its need's flush bumped (``changes``), held since this
    one's need was inserted. A deadlock (two owners, or an owner and anyone else, sending
    a need for the same provisional company at once), unless this lock is taken first: a
    need for the company waits for it before holding anything this transaction needs.
    A company gone meanwhile (attached or deleted by the staff) is found so by the
    insert of the need (IntegrityError; the caller sends the need again)."""
    session.scalars(
        select(Company)
        .where(Company.id == company.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def confirmed_by_login(author, email: str | None) -> bool:
    """Whether the account ``author`` (logged in when the form was sent; None when
    anonymous) proves ``email``: a company owner's own login address. Their need is
    then confirmed without the mail; any other address is confirmed by its mailbox."""
    login = getattr(author, "email", None)
    return (
        getattr(author, "role", None) == "company"
        and login is not None
        and email_key(login) == email_key(email)
    )


def confirm_need(
    session,
    need: Need,
    email: str,
    at: datetime | None = None,
    *,
    by_login: bool = False,
    company_values: Mapping | None = None,
) -> bool:
    """Record that the owner confirmed ``email`` for ``need``: the need enters the queue
    (``nouveau``, log started) and the owner becomes a contact of the company.

    Whether they speak for the company is decided now. A company still provisional is
    theirs to name: it takes the name and commune they typed (``company_values``, the
    form's ``company_name`` and ``company_commune``; without them it keeps its
    provisional name) and they become its contact, whoever sent a need for it first.
    For a named company, an author it does not know (``owner_unattached``) does not
    become its contact: the need enters the queue flagged, for an animateur to check.

    Returns False (and changes nothing) when it was already confirmed; raises
    TransitionError when the address is not the one the need was posted with.
    """
    if email_key(need.owner_email) != email_key(email):
        raise TransitionError("Ce lien ne correspond pas à ce besoin.")
    _hold_company(session, need)
    if need.owner_confirmed_at is not None:
        return False
    need.owner_confirmed_at = at or utcnow()
    company = need.company
    if is_provisional(company):
        values = company_values or {}
        name_company(
            session,
            company,
            values.get("company_name") or company.name,
            values.get("company_commune") or company.commune,
            actor=None,
        )
        need.owner_unattached = False
    else:
        need.owner_unattached = not speaks_for(session, company, email)
    confirmed = "Envoyé depuis son compte" if by_login else "Adresse e-mail confirmée"
    if unattached_owner(need):
        why = f"{confirmed} ; demandeur non rattaché à l'entreprise, à vérifier"
    else:
        why = f"{confirmed} par l'entreprise"
    start(session, need, NEED, reason_text=why)
    if not unattached_owner(need):
        _add_owner_as_contact(need)
    return True


# Told to the author of a need deleted before they confirmed it (``delete_unconfirmed``:
# the retention job), its mail's link still at hand.
NEED_GONE = (
    "Ce besoin n'est plus enregistré : sans confirmation de votre adresse, il a été "
    "supprimé. Exprimez-le de nouveau ci-dessous si vous en avez toujours besoin."
)
# Told when the need's company kept changing while it was being confirmed (each try
# found it attached to another): never seen unless the staff attach it over and over.
COMPANY_CHANGING = (
    "La fiche de l'entreprise de ce besoin changeait au même instant : rien n'a été "
    "confirmé. Rouvrez le lien de l'e-mail « Confirmez votre besoin » et confirmez de nouveau."
)


def _hold_company(session, need: Need) -> None:
    """Lock the row of the company ``need`` is on now and read both again, before its
    confirmation decides anything on them.

    What the caller read may be gone: the staff may have attached the need's provisional
    company to a listed one meanwhile (``provisional_merge.merge_provisional`` locks the
    provisional row, moves its needs to the record and deletes it), and the retention
    job deletes the needs never confirmed (:func:`delete_unconfirmed`). The need is
    confirmed on the company it is on once that lock is held (a provisional company
    named by its author, or the record it was attached to), else TransitionError
    (French). PostgreSQL: for a listed company FOR NO KEY UPDATE, which waits for an
    attach (FOR UPDATE) and another confirmation of the same company, not for a need
    being inserted for it (its foreign key's KEY SHARE). For a provisional one FOR
    UPDATE, which naming it takes anyway (its ``ref``, under a unique index): taken
    later, it waited for the key-share lock of a need inserted meanwhile, whose request
    waited for this one's bump of the pooled needs' generation (``changes``), a
    deadlock; taken now, that need waits before holding anything. SQLite: the
    database's write lock, taken now.
    """
    begin_writing(session.connection())
    session.flush()
    for _attempt in range(3):
        found = session.execute(
            select(Need.company_id, listed())
            .outerjoin(Company, Company.id == Need.company_id)
            .where(Need.id == need.id)
        ).one_or_none()
        if found is None or found[0] is None:
            raise TransitionError(NEED_GONE)
        company_id, is_listed = found
        company = session.scalars(
            select(Company)
            .where(Company.id == company_id)
            .with_for_update(key_share=bool(is_listed))
            .execution_options(populate_existing=True)
        ).one_or_none()
        if company is not None:
            # Once the company is locked, no attach can move the need off it.
            session.expire(need)
            return
    raise TransitionError(COMPANY_CHANGING)


def _add_owner_as_contact(need: Need) -> None:
    company = need.company
    known = {email_key(contact.email) for contact in company.contacts}
    if email_key(need.owner_email) not in known:
        company.contacts.append(
            CompanyContact(
                name=need.owner_name or need.owner_email,
                role="A exprimé un besoin",
                phone=need.owner_phone,
                email=need.owner_email,
            )
        )


def attach_owner(session, need: Need, *, actor) -> None:
    """Record that an animateur checked with the company that the need's author speaks
    for it: the need becomes the company's (its owners see it, it may be qualified) and
    its author one of the company's contacts. Raises TransitionError (French) when there
    is nothing to attach."""
    if not unattached_owner(need):
        raise TransitionError("L'auteur de ce besoin est déjà rattaché à l'entreprise.")
    if awaiting_owner(need):
        raise TransitionError(
            "Ce besoin attend la confirmation de l'adresse e-mail de son auteur : "
            "il ne peut pas encore être rattaché."
        )
    need.owner_unattached = False
    _add_owner_as_contact(need)
    audit(
        session,
        "need_owner_attached",
        actor=actor,
        entity="need",
        entity_id=need.id,
        details={"company": need.company.ref},
    )


def create_need(session, company: Company, values: dict, *, actor, visit=None) -> Need:
    """A need entered by an animateur (from a visit or from scratch), in the queue at once."""
    need = Need(
        ref=new_ref(session),
        company_id=company.id,
        source="animateur",
        visit_id=getattr(visit, "id", None),
        created_by_id=getattr(actor, "id", None),
        rome=values.get("rome"),
        shared_time=values.get("shared_time"),
        notes=values.get("notes"),
    )
    need.company = company
    apply_values(need, values)
    session.add(need)
    why = "Besoin détecté lors d'une visite" if visit is not None else "Saisi par l'animateur"
    start(session, need, NEED, actor=actor, reason_text=why)
    return need


# A need is qualified (or its qualification completed) until it is routed somewhere.
QUALIFIABLE = NEED_UNROUTED


def may_qualify(need: Need) -> bool:
    """Whether the need may be qualified now: not routed yet, confirmed by its owner, and
    its owner attached to the company."""
    return need.status in QUALIFIABLE and not awaiting_owner(need) and not unattached_owner(need)


def qualify_need(session, need: Need, values: dict, *, actor) -> bool:
    """Complete a need's fields, its ROME code and whether it is shared-time work.

    A ``nouveau`` need moves to ``qualifie`` through the workflow (returns True); a need
    already qualified or in search only has its fields updated (returns False). Raises
    TransitionError (French) for a need its owner has not confirmed yet or already routed.
    """
    if awaiting_owner(need):
        raise TransitionError(
            "Ce besoin attend la confirmation de l'adresse e-mail de l'entreprise : "
            "il ne peut pas encore être qualifié."
        )
    if unattached_owner(need):
        raise TransitionError(UNATTACHED_REFUSAL)
    if need.status not in QUALIFIABLE:
        raise TransitionError(
            f"Un besoin « {vocab.label(vocab.NEED_STATUSES, need.status).lower()} » "
            "ne se qualifie plus."
        )
    apply_values(need, values)
    need.rome = values["rome"]
    need.shared_time = values["shared_time"]
    if "notes" in values:
        need.notes = values["notes"]
    if need.status == NeedState.NOUVEAU:
        transition(
            session, need, NEED, NeedState.QUALIFIE, actor=actor, reason_text="Qualification"
        )
        return True
    return False


# What is computed from the queue alone (its counts by state, the observatory's figures)
# is kept per process under the queue's version: its latest change and the latest
# tombstone, each alone in its subquery, each read from the end of an index (one select
# of several aggregates made SQLite scan every need for each).
#
# - A need entering the queue (recorded by the staff, or confirmed by its owner) or
#   changed in it has the newest ``updated_at`` (set at each insert and update, Core
#   updates included): the partial index ``ix_need_queue_changed`` gives the queue's
#   newest (``updated_at``, id). Needs posted by companies and not confirmed are not in
#   it: a flood of them (the public form, a load test's submissions) no longer makes the
#   counts and the observatory's figures computed again at each request.
# - A need deleted for good leaves a tombstone (``tombstones.record_deletion``: other
#   platforms read them to delete their copy); counting the needs instead read every
#   one of them on PostgreSQL (1 ms at 10,000 needs).
#
# Built once: read at every request of the pages that keep what they compute.
def _latest_in_queue_change(column):
    return (
        select(column)
        .where(in_queue())
        .order_by(Need.updated_at.desc(), Need.id.desc())
        .limit(1)
        .scalar_subquery()
    )


_QUEUE_VERSION = select(
    _latest_in_queue_change(Need.updated_at),
    _latest_in_queue_change(Need.id),
    select(func.max(Deletion.id)).scalar_subquery(),
)


def queue_version(session) -> tuple:
    """What changes whenever a need of the animateurs' queue is added, changed, or
    deleted (with its tombstone), in three index reads: the key of what is computed from
    the queue alone and kept per process."""
    return tuple(session.execute(_QUEUE_VERSION).one())


def latest_in_queue(session, limit: int) -> list[ListedNeed]:
    """The needs last entered in the animateurs' queue, newest first, as listed (with
    their company)."""
    return listed_needs(session.execute(_latest_in_queue(limit)).all())


@lru_cache(maxsize=8)
def _latest_in_queue(limit: int):
    # Read by every animateur's home: built once.
    return (
        select(*LISTED_COLUMNS)
        .join(Company, Company.id == Need.company_id)
        .where(in_queue())
        # In the order of the queue's own index (ties on the time by id): PostgreSQL
        # otherwise walked the index of every need, the unconfirmed ones with them.
        .order_by(Need.created_at.desc(), Need.id.desc())
        .limit(limit)
    )


def _followable_by(email: str):
    """The condition a need meets when an owner holding a company-space link for the
    (normalised) ``email`` may follow it; the query joins ``Need.company``."""
    own = func.lower(Need.owner_email) == email
    company_is_theirs = func.lower(Company.contact_email) == email
    return or_(own, company_is_theirs & in_queue() & Need.owner_unattached.is_(False))


def needs_for_owner_email(session, email: str) -> list[Need]:
    """Needs an owner holding a company-space link for ``email`` may follow.

    Those they posted themselves, and every queued need of the companies whose
    registered contact address is theirs (set by the staff, an import, or the company's
    own owner on its details page: never by the public need form), but those whose
    author is not attached to the company. A need posted with someone's SIRET never
    opens that company's other needs.
    """
    email = email_key(email)
    if not email:
        return []
    return list(
        session.scalars(
            select(Need)
            .join(Need.company)
            .where(_followable_by(email))
            .order_by(Company.sort_name, Company.id, Need.created_at.desc(), Need.id.desc())
        )
    )


def followed_as_company_own(need: Need) -> bool:
    """Whether the space of a need's follower shows it as its company's own (under the
    company's name): not when its author is not attached to the company, nor when nobody
    has named the company yet (provisional). Only then does the follower speak for the
    company (:func:`followed_company`)."""
    return not (unattached_owner(need) or is_provisional(need.company))


def followed_company_name(need: Need) -> str:
    """The company of ``need`` as its follower's pages name it: its name when the need is
    the company's own to them (:func:`followed_as_company_own`), else only the SIRET its
    author typed, since they may have no part in the company the platform knows under it
    (its stored name is not theirs to learn)."""
    if followed_as_company_own(need):
        return need.company.name
    return f"Entreprise au SIRET {siret_display(need.company.siret)}"


def followed_company(session, email: str, ref: str) -> Company | None:
    """The company ``ref`` when the space of ``email`` shows one of its needs as its own
    (:func:`needs_for_owner_email`, :func:`followed_as_company_own`): a company whose
    owner the link's holder is; else None."""
    email = email_key(email)
    if not email:
        return None
    needs = session.scalars(
        select(Need).join(Need.company).where(Company.ref == ref, _followable_by(email))
    )
    return next((need.company for need in needs if followed_as_company_own(need)), None)


def duplicates_for_owner(session, company_id: int | None, title: str, email: str) -> list[Need]:
    """The duplicates an anonymous owner may be told about: only among the needs that the
    same address may follow (see :func:`needs_for_owner_email`). Otherwise the public
    form would tell anyone whether a company, by its public SIRET, has an open need."""
    duplicates = find_duplicates(session, company_id, title)
    email = email_key(email)
    if not duplicates or not email:
        return []
    # Only the duplicates are checked: the needs the address may follow are a scan of
    # every need (no index on lower(e-mail)), 15 ms at 10,000 needs, for each form sent.
    visible = set(
        session.scalars(
            select(Need.id)
            .join(Need.company)
            .where(Need.id.in_([need.id for need in duplicates]), _followable_by(email))
        )
    )
    return [need for need in duplicates if need.id in visible]


def shown_to_company_account(user_id: int | None = None):
    """SQL condition: among its companies' needs, one a company account reaches (its area,
    its API token): not one whose author is not attached to the company (anyone may type
    a SIRET on the public form: such a need is not the company's until checked), nor one
    still waiting for its address's confirmation that this account (``user_id``) did not
    send itself (anyone may type the owner's address too: until its mailbox confirms,
    the need is nobody's)."""
    return and_(
        Need.owner_unattached.is_(False),
        in_queue() if user_id is None else or_(in_queue(), Need.created_by_id == user_id),
    )


def needs_of_companies(session, company_ids: list[int], user_id: int | None = None) -> list[Need]:
    """The needs a company's owners see in their area, newest first: their companies'
    needs that :func:`shown_to_company_account`."""
    if not company_ids:
        return []
    return list(
        session.scalars(
            select(Need)
            .where(Need.company_id.in_(company_ids), shown_to_company_account(user_id))
            .order_by(Need.created_at.desc())
        )
    )


def company_need(session, company_ids: list[int], user_id: int | None, ref: str) -> Need | None:
    """The need ``ref`` when it is one of :func:`needs_of_companies`, else None."""
    if not company_ids:
        return None
    return session.scalar(
        select(Need).where(
            Need.ref == ref, Need.company_id.in_(company_ids), shown_to_company_account(user_id)
        )
    )


def _sent_elsewhere(company_ids: list[int], user) -> ColumnElement[bool]:
    """SQL condition: a need the company account ``user`` sent itself, with its own
    address (confirmed by its login, ``confirmed_by_login``), for a company it is not
    attached to (not among ``company_ids``): another SIRET typed on the form, a company
    new to the platform. The account's area shows it apart, as the space of the same
    address does (:func:`needs_for_owner_email`), so that its author follows, corrects or
    stops what they were told was sent."""
    return and_(
        Need.created_by_id == user.id,
        func.lower(Need.owner_email) == email_key(user.email),
        Need.company_id.not_in(company_ids),
    )


def needs_sent_elsewhere(session, company_ids: list[int], user) -> list[Need]:
    """The needs :func:`_sent_elsewhere` of the account ``user``, newest first: sorted
    here, since SQLite ordered by the index of dates, walking every need, rather than
    seek the account's few by its own index (``ix_need_created_by_id``)."""
    found = session.scalars(select(Need).where(_sent_elsewhere(company_ids, user))).all()
    return sorted(found, key=lambda need: (need.created_at, need.id), reverse=True)


def account_need(session, company_ids: list[int], user, ref: str) -> Need | None:
    """The need ``ref`` when the company account ``user``'s area shows it: one of its
    companies' (:func:`company_need`) or one it sent for another company
    (:func:`needs_sent_elsewhere`); else None."""
    return company_need(session, company_ids, user.id, ref) or session.scalar(
        select(Need).where(Need.ref == ref, _sent_elsewhere(company_ids, user))
    )


def followed_need(session, email: str, ref: str) -> Need | None:
    """The need ``ref`` when it is one of :func:`needs_for_owner_email`, else None."""
    email = email_key(email)
    if not email:
        return None
    return session.scalar(
        select(Need).join(Need.company).where(Need.ref == ref, _followable_by(email))
    )


DISABLED_LINK = (
    "Ce lien a été désactivé. Demandez un nouveau lien : il vous sera envoyé par e-mail."
)


def space_link_version(session, email: str) -> int:
    """The version the company-space links of ``email`` carry now (0: never disabled)."""
    row = session.get(OwnerLinks, email_key(email))
    return row.version if row is not None else 0


def space_token(session, secret: str, email: str) -> str:
    """A link's token to the company space of ``email``, of its links' current version."""
    return links.space_token(secret, email, version=space_link_version(session, email))


def space_email(session, secret: str, token: str) -> str:
    """The owner's address a company-space link opens; ``LinkError`` when it is
    tampered, expired, or was disabled by its owner since it was sent."""
    email, version = links.read_space(secret, token)
    if version != space_link_version(session, email):
        raise links.LinkError(DISABLED_LINK)
    return email


def disable_space_links(session, email: str) -> int:
    """Make every company-space link sent so far to ``email`` open nothing; the
    version new links carry. The caller commits (and mails the new link)."""
    key = email_key(email)
    row = session.get(OwnerLinks, key)
    if row is None:
        row = OwnerLinks(email=key, version=0)
        session.add(row)
    row.version += 1
    row.revoked_at = utcnow()
    session.flush()
    return row.version


def forget_space_links(session) -> int:
    """Delete the link versions of the addresses that follow no need any more (their
    space shows nothing; the address is personal data kept for nothing). How many."""
    gone = [
        row
        for row in session.scalars(select(OwnerLinks))
        if not owner_has_space(session, row.email)
    ]
    for row in gone:
        session.delete(row)
    session.flush()
    return len(gone)


def owner_has_space(session, email: str) -> bool:
    """True when a company-space link for ``email`` would show something."""
    return bool(needs_for_owner_email(session, email))


def reply_to_for(session, need: Need) -> str | None:
    """Where a company's answer to a mail about ``need`` goes: the animateur who entered
    it while their account is active, else the platform's contact address."""
    author = session.get(User, need.created_by_id) if need.created_by_id else None
    if author is not None and author.active and author.role == "animateur":
        return author.email
    return platform_reply_to()
