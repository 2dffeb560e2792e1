"""Operators and partners as the administrator sees them: the list, and switching one
off (« désactiver ») or on again. No HTTP here (``web/admin.py``, the ``organisations``
command).

An inactive organisation is left out of everything that would bring it new work: the
routing of needs (``matching.routing``), the operators a need may be proposed to and the
partners it may be re-oriented to (``workflows.dispatch``), the public « Qui fait quoi »
directory (``content.directory``) and the partners an event may name
(``events.catalogue``). What it already holds goes on: its open leads and referrals
stay its own, and its members keep their accounts, so that a need already proposed or
re-oriented to it reaches its end (a placement followed, a referral closed) instead of
waiting on nobody. Cutting a person's access is the account's business (disable the
account), not the organisation's. Its address and its working members (an invitation
never accepted makes nobody a member yet) are told by mail, queued in the same
transaction as the change (``tell_members``); the members read it on their pages too.

The interchange format has no such field: an import never sets it
(``exchange.importer``), so only this module does, and the export leaves an inactive
organisation out (``exchange.exporter``) rather than hand it to another platform as one
to route needs to. The API's records of operators and partners say it (``active``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connectences import config
from connectences.accounts.audit import audit
from connectences.accounts.users import INVITED_ACCOUNT, WORKING_ACCOUNT
from connectences.contacts import email_key
from connectences.errors import DomainError
from connectences.mail import MailKind, queue_mail
from connectences.mail.outbox import platform_reply_to
from connectences.models import AuditLog, Lead, Operator, Partner, Referral, User
from connectences.territory import epci_name
from connectences.typography import plural
from connectences.urls import external_url
from connectences.vocab import OPERATOR_KINDS, PARTNER_KINDS, label
from connectences.workflows import LEAD_LIVE, REFERRAL_LIVE

Organisation = Operator | Partner

# The two sides, as the command line names them (``--kind operator|partner``).
SIDES: dict[str, type[Operator] | type[Partner]] = {"operator": Operator, "partner": Partner}
SIDE_LABELS = {"operator": "Opérateur", "partner": "Partenaire"}
# The partner kind routing falls back to (``matching.route``).
DEFAULT_PARTNER_KIND = "france_travail"


class OrganisationError(DomainError):
    """A change of an organisation refused; ``message`` is French, for people."""


class AlreadySo(OrganisationError):
    """The organisation is already in the state asked for (a second tab, a second
    administrator): nothing was written, and it is no error."""

    flash_category = "info"


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    """One operator or partner on the administrator's list."""

    side: str  # "operator" | "partner"
    organisation: Organisation
    kind_label: str
    # Names of the intercommunalities it serves (empty: see ``territory_text``).
    areas: tuple[str, ...]
    # Its member accounts someone logs in with (``users.WORKING_ACCOUNT``), and those
    # invited and never opened (``users.INVITED_ACCOUNT``): a disabled one is neither.
    members: int
    invited: int
    # Its live leads (an operator) or referrals (a partner).
    open_items: int

    @property
    def territory_text(self) -> str:
        """What it serves, in words: a partner without intercommunalities serves every
        one (routing reads it so); an operator without any covers no need."""
        if self.areas:
            return ", ".join(self.areas)
        if self.side == "partner":
            return "Tout le territoire"
        return "Aucune intercommunalité (aucun besoin ne lui est routé)"


def side_of(organisation: Organisation) -> str:
    return "operator" if isinstance(organisation, Operator) else "partner"


def _member_column(organisation: Organisation):
    """The column of ``User`` that ties a member account to ``organisation``."""
    return User.operator_id if isinstance(organisation, Operator) else User.partner_id


def kind_label(organisation: Organisation) -> str:
    kinds = OPERATOR_KINDS if isinstance(organisation, Operator) else PARTNER_KINDS
    return label(kinds, organisation.kind)


def _members(session: Session, column, state) -> dict[int, int]:
    rows = session.execute(
        select(column, func.count(User.id)).where(column.is_not(None), *state).group_by(column)
    )
    return dict(rows.all())


def _open(session: Session, model, column, live) -> dict[int, int]:
    rows = session.execute(
        select(column, func.count(model.id)).where(model.status.in_(live)).group_by(column)
    )
    return dict(rows.all())


def organisation_rows(session: Session) -> list[OrganisationRow]:
    """Every operator, then every partner, by name: with its kind and territory in
    words, its member accounts (working, invited) and the open leads or referrals it
    holds (six counting statements, whatever the number of organisations)."""
    members = {
        "operator": _members(session, User.operator_id, WORKING_ACCOUNT),
        "partner": _members(session, User.partner_id, WORKING_ACCOUNT),
    }
    invited = {
        "operator": _members(session, User.operator_id, INVITED_ACCOUNT),
        "partner": _members(session, User.partner_id, INVITED_ACCOUNT),
    }
    held = {
        "operator": _open(session, Lead, Lead.operator_id, LEAD_LIVE),
        "partner": _open(session, Referral, Referral.partner_id, REFERRAL_LIVE),
    }
    rows = []
    for side, model in SIDES.items():
        for organisation in session.scalars(select(model).order_by(model.sort_name, model.id)):
            rows.append(
                OrganisationRow(
                    side=side,
                    organisation=organisation,
                    kind_label=kind_label(organisation),
                    areas=tuple(epci_name(siren) for siren in organisation.epcis or ()),
                    members=members[side].get(organisation.id, 0),
                    invited=invited[side].get(organisation.id, 0),
                    open_items=held[side].get(organisation.id, 0),
                )
            )
    return rows


def organisation_row(session: Session, organisation: Organisation) -> OrganisationRow:
    """The list's row of one organisation (its confirmation page)."""
    side = side_of(organisation)
    if side == "operator":
        held = select(func.count(Lead.id)).where(
            Lead.operator_id == organisation.id, Lead.status.in_(LEAD_LIVE)
        )
    else:
        held = select(func.count(Referral.id)).where(
            Referral.partner_id == organisation.id, Referral.status.in_(REFERRAL_LIVE)
        )
    mine = select(func.count(User.id)).where(_member_column(organisation) == organisation.id)
    return OrganisationRow(
        side=side,
        organisation=organisation,
        kind_label=kind_label(organisation),
        areas=tuple(epci_name(siren) for siren in organisation.epcis or ()),
        members=session.scalar(mine.where(*WORKING_ACCOUNT)) or 0,
        invited=session.scalar(mine.where(*INVITED_ACCOUNT)) or 0,
        open_items=session.scalar(held) or 0,
    )


def without_working_member(
    session: Session, organisations: Iterable[Organisation]
) -> list[Organisation]:
    """Those of ``organisations`` (operators, partners, or both) none of whose member
    accounts someone logs in with (``users.WORKING_ACCOUNT``: no account, invitations
    never opened, disabled ones): what is sent to them waits on the platform for
    nobody. One statement, whatever their number."""
    organisations = list(organisations)
    operators = [o.id for o in organisations if isinstance(o, Operator)]
    partners = [o.id for o in organisations if isinstance(o, Partner)]
    if not organisations:
        return []
    rows = session.execute(
        select(User.operator_id, User.partner_id)
        .where(
            or_(User.operator_id.in_(operators), User.partner_id.in_(partners)),
            *WORKING_ACCOUNT,
        )
        .distinct()
    ).all()
    staffed = {("operator", op) for op, _ in rows if op} | {("partner", p) for _, p in rows if p}
    return [o for o in organisations if (side_of(o), o.id) not in staffed]


def nobody_answers(session: Session, organisation: Organisation) -> str | None:
    """What the animateur who just sent a need to ``organisation`` is told, in French,
    when none of its members can answer on the platform (``without_working_member``);
    None when one can. The mail went to its own address all the same; the owner's
    words promise no call from it (``status_words.FOLLOWED_BY_ANIMATEUR``)."""
    if not without_working_member(session, [organisation]):
        return None
    invited = session.scalar(
        select(func.count(User.id)).where(
            _member_column(organisation) == organisation.id, *INVITED_ACCOUNT
        )
    )
    waiting = (
        f" ({plural(invited, 'invitation envoyée')}, jamais ouverte{'s' if invited > 1 else ''})"
        if invited
        else ""
    )
    answer = (
        "l'accepter ou la refuser" if isinstance(organisation, Operator) else "la prendre en charge"
    )
    return (
        f"Personne ne lira cet envoi sur la plateforme : aucun membre de {organisation.name} "
        f"n'a de compte actif{waiting}. L'e-mail est parti à son adresse "
        f"({organisation.email}), mais personne ne pourra {answer} tant qu'un membre "
        "n'aura pas ouvert son compte. Prévenez-les, ou demandez à l'administrateur "
        "d'inviter un de leurs membres. L'entreprise, elle, lit que l'animateur de la "
        "plateforme suit son besoin avec eux : aucun appel ne lui est promis."
    )


def check_side(side: str) -> type[Operator] | type[Partner]:
    model = SIDES.get((side or "").strip().lower())
    if model is None:
        raise OrganisationError(
            f"Type d'organisation inconnu : « {side} ». Choisissez operator (opérateur) "
            "ou partner (partenaire)."
        )
    return model


def find_by_ref(session: Session, side: str, ref: str) -> Organisation:
    """The operator or partner with this reference; refused (French) when there is none."""
    model = check_side(side)
    ref = (ref or "").strip()
    organisation = session.scalar(select(model).where(model.ref == ref)) if ref else None
    if organisation is None:
        what = "Aucun opérateur" if model is Operator else "Aucun partenaire"
        raise OrganisationError(f"{what} n'a la référence « {ref} ».")
    return organisation


def named(organisation: Organisation) -> str:
    """« Le partenaire France Travail Arcachon (ft-arcachon) »: how messages name it."""
    what = "L'opérateur" if isinstance(organisation, Operator) else "Le partenaire"
    return f"{what} {organisation.name} ({organisation.ref})"


def deactivated_since(session: Session, organisation: Organisation | None) -> datetime | None:
    """When ``organisation`` was last switched off, for its members' pages; None when
    there is none, when it is active, or when the record is gone.

    Read from the audit entry ``deactivate`` wrote, not from ``updated_at``: that one
    moves with any later change of the row (an import renaming it, new
    intercommunalities), so it would date the deactivation wrongly. The audit log is
    purged after ``AUDIT_RETENTION_DAYS``: past that, no date rather than a wrong one."""
    if organisation is None or organisation.active:
        return None
    return session.scalar(
        select(AuditLog.at)
        .where(
            AuditLog.action == "organisation_deactivated",
            AuditLog.entity == side_of(organisation),
            AuditLog.entity_id == organisation.id,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    )


def deactivation_warnings(session: Session, organisation: Organisation) -> list[str]:
    """What switching ``organisation`` off would leave routing without, in French: the
    last active partner (no re-orientation can be sent at all), the last active France
    Travail partner (routing has no partner to fall back on), the last active operator
    (every need goes to a partner). Empty when it is inactive already or nothing is lost."""
    if not organisation.active:
        return []
    model = type(organisation)
    others = select(model.id).where(model.active.is_(True), model.id != organisation.id)
    if model is Operator:
        if session.scalar(others.limit(1)) is None:
            return [
                "C'est le dernier opérateur actif : aucun besoin ne pourra plus être proposé "
                "à un opérateur, l'orientation les réorientera tous vers un partenaire."
            ]
        return []
    if session.scalar(others.limit(1)) is None:
        return [
            "C'est le dernier partenaire actif : plus aucune réorientation ne pourra être "
            "envoyée, la page du besoin n'aura aucun partenaire à proposer."
        ]
    if organisation.kind == DEFAULT_PARTNER_KIND and (
        session.scalar(others.where(model.kind == DEFAULT_PARTNER_KIND).limit(1)) is None
    ):
        return [
            "C'est le dernier partenaire France Travail actif : l'orientation n'aura plus de "
            "partenaire par défaut ; un besoin qu'aucun partenaire de son type ne couvre ne "
            "sera plus réorienté d'office, l'animateur choisira le partenaire à la main."
        ]
    return []


def _audit_details(row: OrganisationRow) -> dict:
    held = "open_leads" if row.side == "operator" else "open_referrals"
    organisation = row.organisation
    return {
        "ref": organisation.ref,
        "name": organisation.name,
        "members": row.members,
        "invited": row.invited,
        held: row.open_items,
    }


def _recipients(session: Session, organisation: Organisation) -> list[str]:
    """Whom a change of ``organisation`` is told: its own address (where its new leads or
    referrals went: someone reads it even when no member has an account yet), then each
    of its working member accounts (``users.WORKING_ACCOUNT``: a disabled one is told
    nothing, nor one invited and never opened, which gives nobody access to what the
    mail points to). Each address once, whatever its case."""
    members = session.scalars(
        select(User.email)
        .where(_member_column(organisation) == organisation.id, *WORKING_ACCOUNT)
        .order_by(User.id)
    )
    recipients: dict[str, str] = {}
    for address in (organisation.email, *members):
        key = email_key(address) or address
        recipients.setdefault(key, address)
    return list(recipients.values())


def _whom_to_ask() -> str:
    """The platform's team and how to reach it (the CONTACT_* settings), in one line."""
    ways = [config.setting(name) for name in ("CONTACT_TEAM", "CONTACT_EMAIL", "CONTACT_PHONE")]
    text = ", ".join(way for way in ways if way)
    hours = config.setting("CONTACT_HOURS")
    return f"{text} ({hours})" if hours else text


def _told() -> str:
    """Why the reader receives the mail (its address, or their member account)."""
    return (
        "Ce message est envoyé à son adresse de contact et à chacun de ses membres "
        "inscrits sur la plateforme."
    )


def _members_mail(organisation: Organisation, deactivated: bool) -> tuple[str, str]:
    """The subject and text told to its address and members when it is switched off or
    on again: what changes, what they can still do, whom to ask (the same words as the
    notice of ``_organisation_inactive.html``)."""
    operator = isinstance(organisation, Operator)
    name = organisation.name
    platform = config.setting("PLATFORM_NAME")
    which = "l'opérateur" if operator else "le partenaire"
    inbox = external_url("leads.index" if operator else "referrals.index")
    if deactivated:
        subject = f"{name} ne reçoit plus de nouveaux besoins"
        changes = (
            f"aucun besoin ne vous est plus proposé, et {which} n'apparaît plus dans "
            "l'annuaire « Qui fait quoi »."
            if operator
            else f"aucun besoin ne vous est plus réorienté, et {which} n'apparaît plus "
            "dans l'annuaire « Qui fait quoi » ni parmi les partenaires des événements."
        )
        still = (
            "répondre aux propositions déjà reçues et suivre les placements"
            if operator
            else "prendre en charge et clore les réorientations déjà reçues"
        )
        body = (
            "Bonjour,\n\n"
            f"L'administrateur de {platform} a désactivé {which} {name} : il ne reçoit "
            f"plus de nouveaux besoins. {_told()}\n\n"
            f"Ce qui change : {changes}\n\n"
            "Ce que vous pouvez encore faire : les comptes de ses membres restent ouverts "
            f"pour terminer ce qui est en cours : {still}. Tout se trouve ici :\n{inbox}\n\n"
            "Pour toute question, ou pour demander sa réactivation, contactez "
            f"l'administrateur de la plateforme : {_whom_to_ask()}.\n"
        )
    else:
        subject = f"{name} reçoit de nouveau des besoins"
        changes = (
            f"des besoins peuvent de nouveau vous être proposés, et {which} figure de "
            "nouveau dans l'annuaire « Qui fait quoi »."
            if operator
            else "des besoins peuvent de nouveau vous être réorientés, et "
            f"{which} figure de nouveau dans l'annuaire « Qui fait quoi » et parmi les "
            "partenaires des événements."
        )
        body = (
            "Bonjour,\n\n"
            f"L'administrateur de {platform} a réactivé {which} {name}. {_told()}\n\n"
            f"Ce qui change : {changes}\n\n"
            "Vous n'avez rien à faire : les comptes de ses membres et ce qui était en "
            f"cours restent tels quels, ici :\n{inbox}\n\n"
            "Pour toute question, contactez l'administrateur de la plateforme : "
            f"{_whom_to_ask()}.\n"
        )
    return subject, body


def tell_members(session: Session, organisation: Organisation, *, deactivated: bool) -> int:
    """Queue one mail to the address of ``organisation`` and one to each of its working
    member accounts (``_recipients``), switched off (``deactivated``) or on again; in
    the caller's transaction, so a refused or rolled-back change sends nothing. Returns
    how many were queued."""
    emails = _recipients(session, organisation)
    subject, body = _members_mail(organisation, deactivated)
    kind = MailKind.ORGANISATION_DEACTIVATED if deactivated else MailKind.ORGANISATION_REACTIVATED
    for email in emails:
        # "Why?" and "Switch us on again" reach the team, not the no-reply sender.
        queue_mail(
            session,
            kind=kind,
            to=email,
            subject=subject,
            body_text=body,
            reply_to=platform_reply_to(),
        )
    return len(emails)


def deactivate(
    session: Session, side: str, ref: str, *, actor: User | None = None
) -> tuple[Organisation, list[str]]:
    """Switch an operator or partner off: no new need is routed or proposed to it, no
    new re-orientation, no place in the directory or among an event's partners. Its
    open leads or referrals and its member accounts are kept (see the module). Returns
    it with the warnings of ``deactivation_warnings`` (allowed, but said); its address and
    working members are mailed (``tell_members``). Refused (French) for an unknown reference
    or one inactive already, then nothing is queued; the caller commits."""
    organisation = find_by_ref(session, side, ref)
    if not organisation.active:
        raise AlreadySo(f"{named(organisation)} est déjà désactivé.")
    warnings = deactivation_warnings(session, organisation)
    row = organisation_row(session, organisation)
    organisation.active = False
    details = _audit_details(row)
    if warnings:
        details["warnings"] = warnings
    audit(
        session,
        "organisation_deactivated",
        actor=actor,
        entity=row.side,
        entity_id=organisation.id,
        details=details,
    )
    tell_members(session, organisation, deactivated=True)
    return organisation, warnings


def reactivate(session: Session, side: str, ref: str, *, actor: User | None = None) -> Organisation:
    """Switch an operator or partner on again: routing, dispatch, the directory and the
    events take it back; its address and working members are mailed
    (``tell_members``). Refused (French) for an unknown reference or one active already,
    then nothing is queued; the caller commits."""
    organisation = find_by_ref(session, side, ref)
    if organisation.active:
        raise AlreadySo(f"{named(organisation)} est déjà actif.")
    organisation.active = True
    row = organisation_row(session, organisation)
    audit(
        session,
        "organisation_reactivated",
        actor=actor,
        entity=row.side,
        entity_id=organisation.id,
        details=_audit_details(row),
    )
    tell_members(session, organisation, deactivated=False)
    return organisation
