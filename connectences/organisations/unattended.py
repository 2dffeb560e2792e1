"""An operator or partner left with nobody to answer: the account of its last working
member stopped working (disabled, or moved to another role or organisation) while it
still holds live work. No HTTP here: the views and the command line disable an account
or change its role through ``disable_account`` and ``change_account_role``, which wrap
``accounts.roles`` (the accounts know nothing of what organisations hold) and say what
waits.

What it holds goes on waiting on the platform for nobody: its live leads
(``workflows.LEAD_LIVE``) or referrals (``workflows.REFERRAL_LIVE``), and the placements
it still follows (not ended, a follow-up point left to record). The owners' pages
already switch to « l'animateur de la plateforme suit votre besoin avec cette
structure » (``needs.status_words.held_by``, read live); this module tells the staff,
once, at the moment of the loss: one mail to each animateur concerned (those who sent
that work, ``created_by_id``, when they still log in; every working animateur too when
some of it has no such sender), listing what waits and what to do, queued in the
caller's transaction (a refused change sends nothing). Only a loss counts: the account
must have been working (``users.is_working``) and its organisation have no working
member left (``organisations.without_working_member``). An invitation never opened that
expires or is disabled loses nothing; a second disabling is refused before this runs.
Re-enabling or a new member opening their account needs no mail: the owners' words
switch back by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from connectences import config, locks
from connectences.accounts import roles
from connectences.accounts.users import (
    WORKING_ACCOUNT,
    AccountError,
    is_working,
    user_by_email,
)
from connectences.clock import local_date
from connectences.mail import MailKind, queue_mail
from connectences.models import FollowUpPoint, Lead, Operator, Placement, Referral, User
from connectences.organisations import Organisation, side_of, without_working_member
from connectences.typography import plural
from connectences.urls import external_url
from connectences.vocab import LEAD_STATUSES, REFERRAL_STATUSES
from connectences.workflows import LEAD_LIVE, REFERRAL_LIVE


@dataclass(frozen=True)
class AccountStopped:
    """An account disabled or moved to another role: the account, and what its former
    operator or partner now holds with nobody to answer (None when someone still can,
    or nothing waits; the animateurs concerned were mailed otherwise)."""

    user: User
    left_alone: LeftAlone | None


# Each operator's or partner's members change one account at a time (``locks.hold``): two
# admins disabling its last two working members at once each still saw the other working,
# and neither told anyone it was left alone.
MEMBERS_LOCK_WAIT_SECONDS = 10


def _one_change_at_a_time(session: Session, user: User) -> None:
    """Hold the lock of the members of ``user``'s operator or partner for the rest of the
    transaction (on SQLite, the database's write lock): the next change of one of its
    accounts waits for this one to be committed, and then counts its working members
    with it. ``user`` is read again once it is held (another change may have been
    committed meanwhile, moving it elsewhere: that organisation's lock is held too).
    AccountError (French) when another change held one too long."""
    held: set[str] = set()
    while (organisation := user.operator or user.partner) is not None:
        name = f"organisations.members:{side_of(organisation)}:{organisation.id}"
        if name in held:
            return
        if not locks.hold(session, name, wait_seconds=MEMBERS_LOCK_WAIT_SECONDS):
            raise AccountError(
                f"Un autre compte de {organisation.name} est en train d'être modifié : "
                "réessayez dans un instant."
            )
        held.add(name)
        session.refresh(user)


def disable_account(session: Session, email: str, *, actor: User | None = None) -> AccountStopped:
    """``accounts.roles.disable``, then ``tell_if_left_alone`` for the operator or partner
    the account was a member of, one change of its members at a time. Raises what
    ``disable`` raises, changing nothing. The caller commits."""
    user = user_by_email(session, email)
    _one_change_at_a_time(session, user)
    was_working = is_working(user)
    roles.disable(session, email, actor=actor)
    former = user.operator or user.partner
    return AccountStopped(
        user, tell_if_left_alone(session, former, lost=user, was_working=was_working)
    )


def change_account_role(
    session: Session, email: str, role: str, org_ref: str | None, **options
) -> AccountStopped:
    """``accounts.roles.change_role`` (``options``: its keywords), then
    ``tell_if_left_alone`` for the operator or partner the account leaves, when it leaves
    one, one change of its members at a time. Raises what ``change_role`` raises, changing
    nothing. The caller commits."""
    user = user_by_email(session, email)
    _one_change_at_a_time(session, user)
    former, was_working = user.operator or user.partner, is_working(user)
    roles.change_role(session, email, role, org_ref, **options)
    if former is None or former is (user.operator or user.partner):
        return AccountStopped(user, None)
    return AccountStopped(
        user, tell_if_left_alone(session, former, lost=user, was_working=was_working)
    )


@dataclass(frozen=True)
class LeftAlone:
    """What ``organisation`` holds that now waits for nobody, and whom it was told to."""

    organisation: Organisation
    leads: tuple[Lead, ...]
    referrals: tuple[Referral, ...]
    placements: tuple[Placement, ...]
    told: tuple[str, ...]

    @property
    def waiting(self) -> str:
        """« 3 propositions en cours », « 1 proposition en cours et 1 placement en suivi »."""
        parts = []
        if self.leads:
            parts.append(plural(len(self.leads), "proposition en cours", "propositions en cours"))
        if self.referrals:
            parts.append(
                plural(len(self.referrals), "réorientation en cours", "réorientations en cours")
            )
        if self.placements:
            parts.append(plural(len(self.placements), "placement en suivi", "placements en suivi"))
        return " et ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)

    @property
    def notice(self) -> str:
        """What the administrator who made the change reads, in French: « GE Bassin
        Emploi n'a plus de compte actif : 3 propositions en cours attendent une
        réponse. », then who was told."""
        many = len(self.leads) + len(self.referrals) + len(self.placements) > 1
        told = (
            f"Prévenu{'s' if len(self.told) > 1 else ''} par e-mail : {', '.join(self.told)}."
            if self.told
            else "Personne n'a pu en être prévenu par e-mail : dites-le aux animateurs."
        )
        return (
            f"{self.organisation.name} n'a plus de compte actif : {self.waiting} "
            f"{'attendent' if many else 'attend'} une réponse. {told}"
        )


def _live(session: Session, model, column, live, organisation_id: int) -> list:
    """The live leads (``Lead``, ``Lead.operator_id``, ``LEAD_LIVE``) or referrals of one
    organisation, the oldest sent first."""
    return list(
        session.scalars(
            select(model)
            .where(column == organisation_id, model.status.in_(live))
            .order_by(model.created_at, model.id)
        )
    )


def _followed_placements(session: Session, operator_id: int) -> list[Placement]:
    """The operator's placements still followed: not ended, a point left to record."""
    point_left = exists().where(
        FollowUpPoint.placement_id == Placement.id, FollowUpPoint.done_at.is_(None)
    )
    return list(
        session.scalars(
            select(Placement)
            .join(Lead, Lead.id == Placement.lead_id)
            .where(Lead.operator_id == operator_id, Placement.ended_on.is_(None), point_left)
            .order_by(Placement.start_date, Placement.id)
        )
    )


def _recipients(session: Session, senders: list[int | None]) -> list[str]:
    """The animateurs to tell: each sender of the work who still logs in, and every
    working animateur when some of it has no such sender (the one who sent it left, or
    an import made it); the platform's contact address when that finds nobody."""
    ids = {sender for sender in senders if sender}
    working = {
        user.id: user.email
        for user in session.scalars(select(User).where(User.id.in_(ids), *WORKING_ACCOUNT))
    }
    emails = [working[sender] for sender in senders if sender in working]
    if any(sender not in working for sender in senders):
        emails += session.scalars(
            select(User.email).where(User.role == "animateur", *WORKING_ACCOUNT).order_by(User.id)
        )
    emails = list(dict.fromkeys(emails))
    if not emails and (contact := config.setting("CONTACT_EMAIL")):
        emails = [contact]
    return emails


def _need_line(need, extra: str) -> str:
    return (
        f"- « {need.title} » ({need.company.name}, {need.ref}), {extra} :\n"
        f"  {external_url('needs.show', ref=need.ref)}"
    )


def _mail(left: LeftAlone, lost: User) -> tuple[str, str]:
    organisation = left.organisation
    operator = isinstance(organisation, Operator)
    who = f"{lost.full_name} ({lost.email})" if lost.full_name else lost.email
    lines = []
    if left.leads:
        lines.append("Propositions en cours, sans personne pour y répondre :")
        for lead in left.leads:
            state = LEAD_STATUSES.get(lead.status, lead.status)
            sent = f"envoyée le {local_date(lead.created_at):%d/%m/%Y}, état « {state} »"
            lines += [_need_line(item.need, sent) for item in lead.needs]
    if left.referrals:
        lines.append("Réorientations en cours, sans personne pour les traiter :")
        for referral in left.referrals:
            state = REFERRAL_STATUSES.get(referral.status, referral.status)
            sent = f"envoyée le {local_date(referral.created_at):%d/%m/%Y}, état « {state} »"
            lines.append(_need_line(referral.need, sent))
    if left.placements:
        lines.append("Placements en suivi, dont personne ne remplira les points de suivi :")
        for placement in left.placements:
            started = f"placement commencé le {placement.start_date:%d/%m/%Y}"
            lines += [_need_line(need, started) for need in placement.needs_in_play]
    listed = "\n".join(lines)
    which = "l'opérateur" if operator else "le partenaire"
    answer = "les accepter ou les refuser" if operator else "les prendre en charge"
    subject = f"Plus personne chez {organisation.name} pour répondre : {left.waiting}"
    body = (
        "Bonjour,\n\n"
        f"Le compte de {who} ne fonctionne plus : {which} {organisation.name} "
        f"({organisation.ref}) n'a plus aucun membre qui se connecte à la plateforme. Ce "
        "qui lui a été confié attend "
        f"donc une réponse que personne ne donnera : personne ne peut {answer} ni mettre "
        "à jour ses dossiers.\n\n"
        f"{listed}\n\n"
        "Les entreprises concernées lisent dans leur espace que l'animateur de la "
        "plateforme suit leur besoin avec cette structure : aucun appel ne leur est "
        "promis.\n\n"
        "Ce que vous pouvez faire :\n"
        f"- demander à l'administrateur de la plateforme d'inviter un autre membre de "
        f"{organisation.name} (ou de rétablir ce compte si c'est une erreur) : ses "
        "dossiers lui reviendront tels quels ;\n"
        "- ou, si cela tarde, reprendre chaque besoin depuis sa page et l'envoyer à une "
        "autre structure.\n"
    )
    return subject, body


def tell_if_left_alone(
    session: Session, organisation: Organisation | None, *, lost: User, was_working: bool
) -> LeftAlone | None:
    """After the account ``lost`` stopped being one of ``organisation``'s working members
    (``was_working``: it was one before the change): when the organisation now has none
    and still holds live work, queue the mail to the animateurs concerned (see the
    module) and return what waits; None otherwise (nothing queued). The caller commits."""
    if organisation is None or not was_working:
        return None
    session.flush()
    if not without_working_member(session, [organisation]):
        return None
    if isinstance(organisation, Operator):
        leads = _live(session, Lead, Lead.operator_id, LEAD_LIVE, organisation.id)
        placements = _followed_placements(session, organisation.id)
        referrals: list[Referral] = []
        senders = [lead.created_by_id for lead in leads] + [
            placement.lead.created_by_id for placement in placements
        ]
    else:
        leads, placements = [], []
        referrals = _live(session, Referral, Referral.partner_id, REFERRAL_LIVE, organisation.id)
        senders = [referral.created_by_id for referral in referrals]
    if not senders:
        return None
    emails = _recipients(session, senders)
    left = LeftAlone(
        organisation=organisation,
        leads=tuple(leads),
        referrals=tuple(referrals),
        placements=tuple(placements),
        told=tuple(emails),
    )
    subject, body = _mail(left, lost)
    for email in emails:
        queue_mail(
            session,
            kind=MailKind.ORGANISATION_UNATTENDED,
            to=email,
            subject=subject,
            body_text=body,
        )
    return left
