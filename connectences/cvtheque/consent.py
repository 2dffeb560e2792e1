"""Consent, address confirmation (double opt-in) and the personal link of each person.

The person reads ``NOTICE`` before giving explicit consent. Their address is then
confirmed through a signed, expiring link sent by mail (``send_confirmation`` /
``confirm``); until then they are not matched (``matching.data`` requires
``email_confirmed_at``). Their personal space is reached through another signed,
expiring link (``space_token``), renewable by mail (``send_space_link``) and
revocable at once (``revoke_links`` bumps ``Candidate.token_version``).

Every self-service action counts as a contact (``touch``): the 2-year retention
period starts again from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from connectences import config
from connectences.accounts.audit import audit
from connectences.accounts.passwords import CLOSED_HASH
from connectences.accounts.roles import close_password
from connectences.accounts.users import LoginRefused, end_mailed_links, reauthenticate
from connectences.clock import LOCAL_TZ, local_date
from connectences.contacts import email_key, masked_email
from connectences.cvtheque.erase import ON_REQUEST, erasure_after, erasure_of
from connectences.cvtheque.history import LEFT_ADDRESS, former_addresses, record_event
from connectences.errors import DomainError
from connectences.mail import MailKind, queue_template, sent_recently
from connectences.mail.outbox import platform_reply_to
from connectences.models import (
    AuditLog,
    Candidate,
    User,
    utcnow,
)
from connectences.signed import LinkError, make_token, read_token, read_token_issued
from connectences.urls import external_url

SELF = "la personne elle-même"
CONSENT_REQUIRED = (
    "Cochez la case pour accepter que votre profil soit enregistré : sans votre accord, "
    "nous ne pouvons pas le conserver."
)
CONSENT_LABEL = (
    "J'ai lu l'information ci-dessus et j'accepte que mon profil et mon CV soient "
    "enregistrés dans la CVthèque et proposés à des employeurs."
)
# The information notice shown before consent: (title, text) pairs, in plain French.
NOTICE: tuple[tuple[str, str], ...] = (
    (
        "Pourquoi",
        "Pour vous proposer des emplois à temps partiel ou à temps partagé près de chez "
        "vous, qui correspondent à ce que vous indiquez (compétences, heures, jours, "
        "contrats, distance).",
    ),
    (
        "Qui voit votre profil",
        "Les animateurs de la plateforme, et les structures (groupements d'employeurs, "
        "associations de cadres à temps partagé) à qui votre profil est proposé pour un "
        "poste. Votre CV n'est pas publié et n'est jamais vendu.",
    ),
    (
        "Combien de temps",
        "2 ans après notre dernier contact avec vous. Un mois avant, nous vous écrivons : "
        "si vous voulez rester, il suffit d'ouvrir votre espace.",
    ),
    (
        "Vos droits",
        "À tout moment, depuis votre espace personnel : voir vos informations, les "
        "corriger, les télécharger, mettre votre profil en pause ou tout supprimer. Vous "
        "pouvez aussi retirer votre accord et saisir la CNIL (www.cnil.fr).",
    ),
)
CONFIRM_SALT = "cvtheque-confirm"
SPACE_SALT = "cvtheque-space"
LINK_SUBJECT = "Votre lien vers votre espace CVthèque"
ACCOUNT_SUBJECT = "Un compte a été créé pour votre profil"
CONFIRM_SUBJECT = "Confirmez votre adresse pour la CVthèque"
ADDRESS_CHANGED_SUBJECT = "L'adresse e-mail de votre profil a changé"
ADDRESS_RESTORED_SUBJECT = "L'équipe a remis l'ancienne adresse e-mail de ce profil"
SEND_AGAIN_SUBJECT = "Votre profil n'a pas pu être enregistré : déposez-le à nouveau"
CHANGE_BEFORE_ACCOUNT = (
    "Ce lien ne change plus l'adresse de votre profil : il a été envoyé avant la création "
    "de son compte. Demandez de nouveau le changement depuis votre espace : le mot de passe "
    "du compte vous sera demandé."
)
# Said next to the password field when an address change comes without it.
ADDRESS_NEEDS_PROOF = (
    "Pour changer l'adresse e-mail de votre profil, tapez le mot de passe de votre compte "
    "(l'adresse est aussi votre identifiant de connexion)."
)
RESEND_MINUTES = 2
# Most mails of one kind an address receives in 24 hours, whoever asks and through
# whichever form (a profile switched back and forth to someone's address, the public
# form sent again and again): a bound on what strangers can make the platform send.
MAX_CONFIRMATIONS_PER_DAY = 3
MAX_LINKS_PER_DAY = 5


def link_days() -> int:
    """Days a link to the person's space lasts (``CV_LINK_MAX_AGE_DAYS``)."""
    return config.integer("CV_LINK_MAX_AGE_DAYS")


def confirm_days() -> int:
    """Days the person has to confirm their address (``CV_CONFIRM_MAX_AGE_DAYS``)."""
    return config.integer("CV_CONFIRM_MAX_AGE_DAYS")


def unconfirmed_deadline(candidate: Candidate) -> datetime:
    """When the retention job deletes the profile if its address is still unconfirmed:
    ``UNCONFIRMED_TTL_DAYS`` after the submission (``retention.delete_unconfirmed``). A
    confirmation link sent again does not push it back: anyone may have one sent by
    typing the address, and a submission nobody confirms is kept 7 days (docs/rgpd.md)."""
    return candidate.created_at + timedelta(days=config.integer("UNCONFIRMED_TTL_DAYS"))


def confirm_until(candidate: Candidate, now: datetime | None = None) -> datetime:
    """The last moment a confirmation link sent now can serve: its own life
    (``CV_CONFIRM_MAX_AGE_DAYS``), cut to the profile's deletion while it is unconfirmed
    (a link sent on day 6 does not give 7 more days: the profile goes on day 7)."""
    until = (now or utcnow()) + timedelta(days=confirm_days())
    if candidate.email_confirmed_at is None:
        until = min(until, unconfirmed_deadline(candidate))
    return until


def touch(candidate: Candidate, now: datetime | None = None) -> None:
    """Record a contact with the person (their retention period starts again)."""
    candidate.last_contact_at = now or utcnow()


def touch_on_visit(session: Session, candidate: Candidate, now: datetime | None = None) -> None:
    """Record a contact when the person opens a page of their space, the profile left as it
    is: its ``updated_at`` says the profile changed (re-matching, and the read stamp of
    its forms, ``workflows.unchanged_since``). Stamped by a visit, a save from a page
    opened before would be refused though nothing changed: two tabs, or the profile
    page opened and the space looked at in another."""
    touch(candidate, now)
    if candidate.id is not None and candidate.updated_at is not None:
        # Written with the rest at the flush, not at once (a page's request must not take
        # the database's write lock on opening): ``updated_at`` goes into the UPDATE with
        # the value it has, so its ``onupdate`` stamp is not applied.
        flag_modified(candidate, "updated_at")


def tell_account_created(session: Session, candidate: Candidate) -> None:
    """Mail the profile's address that a password account was just created for it:
    anyone holding a personal link may create one, and the person must be able to tell
    it was not them (and close it by disabling their links)."""
    queue_template(
        session,
        kind=MailKind.CV_ACCOUNT_CREATED,
        to=candidate.email,
        subject=ACCOUNT_SUBJECT,
        template="cv_account_created",
        reply_to=platform_reply_to(),
        candidate_id=candidate.id,
        first_name=candidate.first_name,
        email=candidate.email,
        space_url=space_url(candidate),
        days=link_days(),
    )


# --------------------------------------------------------------------------- confirmation


def confirmation_token(candidate: Candidate, address: str | None = None) -> str:
    """The signed token of the confirmation link (tied to the address it confirms: the
    profile's, or the new one asked for), with the version of the person's links
    (``token_version``): it leads on to their space only while that version holds."""
    return make_token(
        CONFIRM_SALT,
        {"c": candidate.id, "e": address or candidate.email, "v": candidate.token_version or 0},
    )


class Confirmation(NamedTuple):
    """What a confirmation link did: the person, and whether the link may open their
    space (its links' version is still theirs: a mail sent before they asked for a new
    link, read by someone else, confirms and opens nothing more)."""

    candidate: Candidate
    opens_space: bool
    # False when the address was confirmed already (the link opened a second time).
    newly: bool = True


def _mails_today(session: Session, kind: MailKind, address: str) -> int:
    """How many mails of ``kind`` went to ``address`` in the last 24 hours."""
    return sent_recently(session, kind, address, utcnow() - timedelta(hours=24))


def _mailed_recently(session: Session, kind: MailKind, address: str) -> bool:
    """Whether the same mail went to the address in the last minutes: anyone may ask for
    it by typing an address, and nobody should be able to flood a mailbox that way."""
    since = utcnow() - timedelta(minutes=RESEND_MINUTES)
    return sent_recently(session, kind, address, since) > 0


def send_confirmation(session: Session, candidate: Candidate, address: str | None = None) -> bool:
    """Queue the mail asking the person to confirm their address (same transaction), or
    the new ``address`` they asked for.

    Returns False (nothing queued) when the address already had
    ``MAX_CONFIRMATIONS_PER_DAY`` of them in the last 24 hours.
    """
    address = address or candidate.email
    if _mails_today(session, MailKind.CV_CONFIRM, address) >= MAX_CONFIRMATIONS_PER_DAY:
        return False
    token = confirmation_token(candidate, address)
    until = confirm_until(candidate).astimezone(LOCAL_TZ)
    queue_template(
        session,
        kind=MailKind.CV_CONFIRM,
        to=address,
        subject=CONFIRM_SUBJECT,
        template="cv_confirm",
        reply_to=platform_reply_to(),
        candidate_id=candidate.id,
        first_name=candidate.first_name,
        confirm_url=external_url("cv_public.confirm", token=token),
        # What the link says of its life is what it has: the profile's deletion cuts
        # it short while the address is unconfirmed (``confirm_until``).
        confirm_by=f"{until:%d/%m/%Y à %H h %M}",
        deleted=candidate.email_confirmed_at is None,
        change=address != candidate.email,
    )
    return True


def confirmation_of(session: Session, token: str) -> tuple[Candidate, str, dict]:
    """The person a confirmation link names, the address it confirms and its payload,
    read without changing anything (the page a link opens says what its button will do).

    Raises ``LinkError`` for a tampered, expired or outdated link (the address was
    changed since, or the profile deleted)."""
    max_age = confirm_days() * 86400
    payload, issued = read_token_issued(
        CONFIRM_SALT,
        token,
        max_age,
        expired="Ce lien de confirmation a expiré. Recevez-en un nouveau par e-mail avec le "
        "bouton ci-dessous. Si vous n'aviez jamais confirmé votre adresse, votre profil a pu "
        "être effacé entre-temps : déposez-le alors à nouveau.",
        invalid="Ce lien de confirmation n'est pas valide.",
    )
    candidate = session.get(Candidate, payload.get("c"))
    address = payload.get("e")
    if (
        candidate is None
        or not isinstance(address, str)
        or address not in (candidate.email, candidate.pending_email)
    ):
        # The profile the link was made for, erased since: nothing is left to confirm,
        # nor a new link to send. Its id may be someone else's now: the link is the
        # erased one's only when surely made before that person's profile (the link's
        # time is to the second; in doubt, the general answer).
        erased = erasure_after(session, payload.get("c"), issued)
        if erased is not None and (
            candidate is None or issued + timedelta(seconds=1) <= candidate.created_at
        ):
            raise ErasedLink(erased)
        raise LinkError("Ce lien de confirmation n'est plus valide.")
    if candidate.email_confirmed_at is None and candidate.pending_email not in (None, address):
        # A correction of the address typed is waiting for the minute job
        # (``ask_address_correction``): the link mailed to the mistyped one confirms
        # nothing, as once the correction is made.
        raise LinkError("Ce lien de confirmation n'est plus valide.")
    if address != candidate.email and _account_made_after(session, candidate, issued):
        # Asked by the link alone, before an account whose login would follow it: a
        # change asked now needs the account (``address_needs_password``).
        raise LinkError(CHANGE_BEFORE_ACCOUNT)
    return candidate, address, payload


def _account_made_after(session: Session, candidate: Candidate, issued: datetime) -> bool:
    """Whether the profile's account was surely made after ``issued`` (a link's time is
    to the second)."""
    account = account_of(session, candidate)
    return account is not None and issued + timedelta(seconds=1) <= account.created_at


def already_confirmed(candidate: Candidate, address: str) -> bool:
    """Whether the address a confirmation link confirms is the profile's, confirmed."""
    return candidate.email == address and candidate.email_confirmed_at is not None


def confirm(session: Session, token: str, *, now: datetime | None = None) -> Confirmation:
    """Confirm the address a confirmation link was sent to; return the person, whether
    the link may open their space, and whether it confirmed anything (``newly``).

    Raises ``LinkError`` as :func:`confirmation_of`. Confirming twice is harmless.
    """
    candidate, address, payload = confirmation_of(session, token)
    newly = not already_confirmed(candidate, address)
    # Read before a change of address outdates the links: this one was mailed to the new
    # address, and leads on to the space with a fresh link.
    opens_space = payload.get("v", 0) == (candidate.token_version or 0)
    former = None
    if candidate.email != address:
        former = _take_pending_address(session, candidate)
    if candidate.email_confirmed_at is None:
        now = now or utcnow()
        candidate.email_confirmed_at = now
        touch(candidate, now)
        record_event(
            session,
            candidate,
            "confirmed",
            "Adresse e-mail confirmée : le profil peut être proposé.",
            actor_label=SELF,
        )
        audit(session, "candidate.confirmed", entity="candidate", entity_id=candidate.id)
        login_moved = _login_follows_address(session, candidate)
        if former is not None:
            _tell_former_address(session, candidate, former, login_moved=login_moved, now=now)
    return Confirmation(candidate, opens_space, newly)


def asks_another_address(candidate: Candidate, address: str | None) -> bool:
    """Whether ``address`` (cleaned, from the person's space) is another address than the
    profile's own: their own typed back as an import stored it (« Camille@Exemple.fr »)
    is the same address, nothing to confirm."""
    return address is not None and address != email_key(candidate.email)


def request_address_change(session: Session, candidate: Candidate, address: str) -> bool:
    """The person asks, from their space, that their profile use ``address`` (already
    cleaned): it waits in ``pending_email`` and a confirmation link goes to it. Whether
    another profile holds that address shows nowhere: its owner is sent their own
    personal link instead, and the change can never be confirmed. Returns whether a mail
    was queued (False when that mailbox had its share today). The caller commits."""
    if not asks_another_address(candidate, address):
        candidate.pending_email = None  # back to the address they have: nothing to confirm
        return False
    candidate.pending_email = address
    record_event(
        session,
        candidate,
        "updated",
        "Changement d'adresse e-mail demandé : en attente de confirmation.",
        actor_label=SELF,
    )
    if find_by_email(session, address) is not None:
        return send_space_link(session, address)
    return send_confirmation(session, candidate, address)


def ask_address_correction(session: Session, candidate_id: int | None, address: str) -> bool:
    """The person who has just sent the public form asks, from the thanks page, that it
    use ``address`` (already cleaned): the wish waits in the new profile's
    ``pending_email`` until the minute job carries it out
    (:func:`resolve_address_corrections`, asked through ``accounts.link_requests``).
    Meanwhile the link mailed to the address typed first confirms nothing
    (:func:`confirmation_of`).

    One UPDATE whatever the case, so that the request runs the same statements: the
    sending of an address another profile held already stored nothing
    (``profile.submit_candidate``), and ``candidate_id`` is then None, an id no row has;
    a profile confirmed since is changed from its space only, and is left as it is too.
    Whether a profile took the wish. The caller commits."""
    taken = session.execute(
        update(Candidate)
        # 0: no profile's id (they start at 1), the same statement as for a real one.
        .where(Candidate.id == (candidate_id or 0), Candidate.email_confirmed_at.is_(None))
        .values(pending_email=address)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def resolve_address_corrections(session: Session, address: str) -> bool:
    """Carry out the corrections to ``address`` asked on the thanks page
    (:func:`ask_address_correction`), oldest profile first, each by
    :func:`correct_unconfirmed_address`; whether a mail was queued. Only the link to the
    address typed again may have confirmed a profile meanwhile (that of a mistyped one
    confirms nothing while a correction waits): it keeps it, and forgets the wish. The
    caller commits."""
    asked = session.scalars(
        select(Candidate).where(Candidate.pending_email == address).order_by(Candidate.id)
    ).all()
    queued = False
    for candidate in asked:
        if candidate.email_confirmed_at is not None:
            if candidate.pending_email == candidate.email:
                candidate.pending_email = None
            continue  # else a change asked from the space: its own rule mailed it
        candidate.pending_email = None
        queued = correct_unconfirmed_address(session, candidate, address) or queued
    return queued


def resolve_unstored_correction(session: Session, address: str) -> bool:
    """Carry out the correction asked on the thanks page of a sending that stored
    nothing: its address held a profile already, whose owner was mailed their own link
    (``profile.submit_candidate``), and its author gave ``address`` as the right one.
    Whoever holds a profile at ``address`` is sent its link, as by the link form
    (:func:`send_space_link`); anybody else is told that the profile sent could not be
    recorded and invited to send it again (``SEND_AGAIN_SUBJECT``). Neither mail names the
    address typed first, nor anything of its owner. Whether a mail was queued; at most
    ``MAX_CONFIRMATIONS_PER_DAY`` of the invitation a day to one address, none twice
    within ``RESEND_MINUTES``. The caller commits."""
    if find_by_email(session, address) is not None:
        return send_space_link(session, address)
    if (
        _mailed_recently(session, MailKind.CV_SEND_AGAIN, address)
        or _mails_today(session, MailKind.CV_SEND_AGAIN, address) >= MAX_CONFIRMATIONS_PER_DAY
    ):
        return False
    queue_template(
        session,
        kind=MailKind.CV_SEND_AGAIN,
        to=address,
        subject=SEND_AGAIN_SUBJECT,
        template="cv_send_again",
        reply_to=platform_reply_to(),
        email=address,
        submit_url=external_url("cv_public.submit"),
    )
    return True


def correct_unconfirmed_address(session: Session, candidate: Candidate, address: str) -> bool:
    """The person who has just submitted a profile corrects the address they typed
    (``address``, already cleaned), before confirming it: the profile takes it and the
    confirmation goes to it; the link sent to the mistyped one confirms nothing any more.

    As for a change asked from the space (:func:`request_address_change`), whether
    another profile holds ``address`` shows nowhere: its owner is sent their own link,
    and this profile keeps the address it had. Returns whether a mail was queued. The
    caller commits; a confirmed profile's address changes from its space only
    (ValueError)."""
    if candidate.email_confirmed_at is not None:
        raise ValueError("a confirmed address is changed from the personal space")
    if address == candidate.email:
        return send_confirmation(session, candidate)
    if find_by_email(session, address) is not None:
        return send_space_link(session, address)
    candidate.email = address
    record_event(
        session,
        candidate,
        "updated",
        "Adresse e-mail corrigée avant sa confirmation.",
        actor_label=SELF,
    )
    return send_confirmation(session, candidate)


def _take_pending_address(session: Session, candidate: Candidate) -> str:
    """Confirming the new address from its mailbox makes it the profile's; returns the
    former one."""
    if find_by_email(session, candidate.pending_email) is not None:
        raise LinkError(
            "Cette adresse est déjà celle d'un autre profil : utilisez le lien personnel "
            "de ce profil-là, ou choisissez une autre adresse."
        )
    former = candidate.email
    candidate.email = candidate.pending_email
    candidate.pending_email = None
    candidate.email_confirmed_at = None  # confirmed just below, with the address it has now
    # The personal links mailed to the former address stop working: whoever reads that
    # mailbox must not keep the space, nor change its address (and login) again.
    _outdate_links(candidate)
    record_event(
        session,
        candidate,
        "updated",
        "Adresse e-mail changée.",
        actor_label=SELF,
        details={LEFT_ADDRESS: former},
    )
    return former


def _tell_former_address(
    session: Session, candidate: Candidate, former: str, *, login_moved: bool, now: datetime
) -> None:
    """Mail the address a profile just left: whoever changed it may not be its owner (a
    personal link forwarded, left open on a shared computer), and the owner must learn
    it from the mailbox they still read. The new address is masked (the former mailbox
    may be read by someone else too); no link: those mailed there work no more."""
    queue_template(
        session,
        kind=MailKind.CV_ADDRESS_CHANGED,
        to=former,
        subject=ADDRESS_CHANGED_SUBJECT,
        template="cv_address_changed",
        reply_to=platform_reply_to(),
        candidate_id=candidate.id,
        first_name=candidate.first_name,
        new_address=masked_email(candidate.email),
        changed_at=f"{now.astimezone(LOCAL_TZ):%d/%m/%Y à %H h %M}",
        login_moved=login_moved,
        contact=platform_reply_to(),
    )


def account_of(session: Session, candidate: Candidate) -> User | None:
    """The login account made for the profile: the one whose login follows its address
    (:func:`_login_follows_address`)."""
    return session.scalar(select(User).where(User.candidate_id == candidate.id))


def address_needs_password(session: Session, candidate: Candidate, user) -> bool:
    """Whether an address change asked from the space needs the account's password: the
    profile has an account, whose login will follow the new address, and ``user`` (the
    one logged in, if anyone) is not that account. A link alone (forwarded, found on a
    shared computer) must not hand over the account; a profile without one keeps its
    link as its only credential."""
    account = account_of(session, candidate)
    if account is None:
        return False
    return not (getattr(user, "is_authenticated", False) and user.id == account.id)


def prove_account(
    session: Session, candidate: Candidate, user, password: str | None, ip: str | None
) -> None:
    """Check, when :func:`address_needs_password`, the account's ``password`` for an
    address change: the check of the « confirmer votre mot de passe » page and of the login
    page, with their lock (``users._typed_password_holds``: failures counted for the account
    from this address, for the account and for the address, committed). Raises ``LoginRefused``
    (``ADDRESS_NEEDS_PROOF`` when none was typed) or ``AccountLocked``."""
    if not address_needs_password(session, candidate, user):
        return
    if not password:
        raise LoginRefused(ADDRESS_NEEDS_PROOF)
    reauthenticate(session, account_of(session, candidate), password, ip)


def _login_follows_address(session: Session, candidate: Candidate) -> bool:
    """The person's account (if they made one) logs in with the address they confirmed:
    after a change of address, the old one would otherwise stay their login, unknown to
    them. Left as it is when another account already logs in with the new address.
    Returns whether the login moved."""
    account = account_of(session, candidate)
    if account is None or account.email == candidate.email:
        return False
    if session.scalar(select(User.id).where(User.email == candidate.email)) is not None:
        return False
    account.email = candidate.email
    # The links mailed to the former address (a reset asked for just before) die with it.
    end_mailed_links(session, account)
    audit(session, "user.email_changed", entity="user", entity_id=account.id, actor=account)
    return True


# --------------------------------------------------------------------------- personal space


def space_token(candidate: Candidate) -> str:
    """The signed token of the person's space (expires after ``CV_LINK_MAX_AGE_DAYS``).

    It names the record by id *and* ref: an id alone is handed out again once the row
    is deleted (SQLite reuses the highest rowid), and a deleted person's old link must
    never open the space of whoever gets their id next.
    """
    return make_token(
        SPACE_SALT, {"c": candidate.id, "r": candidate.ref, "v": candidate.token_version or 0}
    )


def space_url(candidate: Candidate) -> str:
    """The full address of the person's space, for mails."""
    return external_url("cv_public.space", token=space_token(candidate))


def candidate_from_space_token(session: Session, token: str) -> Candidate:
    """The person a space link belongs to; ``LinkError`` if tampered, expired or revoked."""
    max_age = link_days() * 86400
    payload = read_token(
        SPACE_SALT,
        token,
        max_age,
        expired="Ce lien a expiré. Demandez un nouveau lien : il vous sera envoyé par e-mail.",
        invalid="Ce lien n'est pas valide.",
    )
    candidate = session.get(Candidate, payload.get("c"))
    if candidate is None or candidate.ref != payload.get("r"):
        erased = erasure_of(session, payload.get("c"), payload.get("r"))
        if erased is not None:
            raise ErasedLink(erased)
    if (
        candidate is None
        or candidate.ref != payload.get("r")
        or (candidate.token_version or 0) != payload.get("v")
    ):
        raise LinkError(
            "Ce lien n'est plus valide. Demandez un nouveau lien : il vous sera envoyé par e-mail."
        )
    if account_disabled(session, candidate):
        raise LinkError(DISABLED)
    return candidate


class ErasedLink(LinkError):
    """The link of a profile erased since: nothing is left to open, nor a new link to
    send (``message`` says when, and whether the person asked for it)."""

    def __init__(self, entry: AuditLog):
        day = f"{local_date(entry.at):%d/%m/%Y}"
        if (entry.details or {}).get("reason") == ON_REQUEST:
            message = (
                f"Votre profil a été supprimé à votre demande le {day} : ce lien ne mène plus "
                "à rien, il ne reste rien de vous dans la CVthèque."
            )
        else:
            message = (
                f"Ce profil a été supprimé de la CVthèque le {day}, comme prévu par nos "
                "durées de conservation : ce lien ne mène plus à rien."
            )
        super().__init__(message)


DISABLED = (
    "Le compte de ce profil est désactivé : ce lien ne l'ouvre plus. "
    "Contactez l'équipe de la plateforme."
)


def disabled_people():
    """The ids of the people whose login account an administrator disabled (a select):
    their links close with it (a link opened the same profile the account did)."""
    return select(User.candidate_id).where(
        User.role == "candidate", User.active.is_(False), User.candidate_id.is_not(None)
    )


def account_disabled(session: Session, candidate: Candidate) -> bool:
    """Whether ``candidate`` is among :func:`disabled_people`."""
    return session.scalar(
        select(exists(disabled_people().where(User.candidate_id == candidate.id)))
    )


def find_by_email(session: Session, email: str) -> Candidate | None:
    """The profile held under an address (normalised first), or None."""
    address = email_key(email)
    if address is None:
        return None
    return session.scalar(select(Candidate).where(Candidate.email == address))


def send_space_link(session: Session, email: str, *, force: bool = False) -> bool:
    """Mail the person holding ``email`` a fresh link to their space.

    The caller shows the same neutral answer whatever happens (no way to learn who is
    in the library); the return value (True when a mail was queued) is for tests and
    logs only. An unconfirmed person gets the confirmation mail again instead.
    """
    candidate = find_by_email(session, email)
    if candidate is None or account_disabled(session, candidate):
        return False
    if candidate.email_confirmed_at is None:
        if not force and _mailed_recently(session, MailKind.CV_CONFIRM, candidate.email):
            return False
        return send_confirmation(session, candidate)
    if not force and (
        _mailed_recently(session, MailKind.CV_SPACE_LINK, candidate.email)
        or _mails_today(session, MailKind.CV_SPACE_LINK, candidate.email) >= MAX_LINKS_PER_DAY
    ):
        return False
    queue_template(
        session,
        kind=MailKind.CV_SPACE_LINK,
        to=candidate.email,
        subject=LINK_SUBJECT,
        template="cv_space_link",
        reply_to=platform_reply_to(),
        candidate_id=candidate.id,
        first_name=candidate.first_name,
        space_url=space_url(candidate),
        days=link_days(),
    )
    return True


def _outdate_links(candidate: Candidate) -> None:
    """Make every personal link made so far for the person stop working (their space,
    and a confirmation link's way on to it): the links carry ``token_version``."""
    candidate.token_version = (candidate.token_version or 0) + 1


def revoke_links(
    session: Session,
    candidate: Candidate,
    *,
    actor_label: str = SELF,
    actor: User | None = None,
) -> bool:
    """Make every personal link sent so far invalid (a new one must be asked for).

    A link shared by mistake may have served to create a password account (anyone
    holding it could): that account's password stops working too, and its sessions end.
    Its owner chooses a new password through "mot de passe oublié", mailed to the
    profile's address (:func:`tell_account_created` said so when it was created).
    ``actor`` is the staff member acting for the person (:func:`revoke_links_for`).
    Returns whether an account's password was closed."""
    _outdate_links(candidate)
    account = session.scalar(
        select(User).where(
            User.candidate_id == candidate.id,
            User.password_hash.is_not(None),
            User.password_hash != CLOSED_HASH,
        )
    )
    if account is not None:
        close_password(session, account, actor=actor)
    record_event(
        session,
        candidate,
        "links_revoked",
        "Tous les liens personnels envoyés jusqu'ici ont été désactivés.",
        actor=actor,
        actor_label=None if actor is not None else actor_label,
    )
    return account is not None


class LinksRevoked(NamedTuple):
    """What the staff's « Désactiver ses liens » did: whether a fresh link (or, the
    address unconfirmed, a new confirmation) went to the profile's address, and whether
    the password of an account made from the links was closed with them."""

    mailed: bool
    password_closed: bool


def revoke_links_for(session: Session, candidate: Candidate, *, actor: User) -> LinksRevoked:
    """A staff member ends every link of the person on their request (a lost phone, a
    mail read by someone else): the links and any password made with them stop working,
    and a fresh link goes to the address on the profile, never to another one (whoever
    calls may not be the person; the profile's mailbox is theirs). Recorded in the
    person's history and the audit log with who did it. The caller commits."""
    closed = revoke_links(session, candidate, actor=actor)
    mailed = send_space_link(session, candidate.email, force=True)
    audit(
        session,
        "candidate.links_revoked",
        actor=actor,
        entity="candidate",
        entity_id=candidate.id,
        details={"link_mailed": mailed, "password_closed": closed},
    )
    return LinksRevoked(mailed, closed)


# --------------------------------------------------------------------------- former addresses


class AddressNotRestored(DomainError):
    """The staff's restoring of a former address refused; ``message`` is French."""


class AddressRestored(NamedTuple):
    """What restoring a former address did: the address it replaced (told of it), whether
    the account's login followed, and what ending the links did (:class:`LinksRevoked`)."""

    replaced: str
    login_moved: bool
    links: LinksRevoked


def restore_address(
    session: Session, candidate: Candidate, address: str, *, actor: User
) -> AddressRestored:
    """A staff member puts back one of the profile's :func:`former_addresses` after
    someone else took it over (a personal link leaked, the address changed to theirs):
    the profile takes that address again, a change waiting for confirmation is dropped,
    the account's login follows it, the address it replaces is told (who reads it learns
    the staff did it, and whom to write to), and every link ends as with « Désactiver ses
    liens » (:func:`revoke_links_for`): the links and a password made with them stop
    working, a fresh link goes to the restored address. The profile stays confirmed: its
    space opens only once its address is confirmed, so the address it left was proven.
    Only an address it held before is accepted (whoever calls may not be the person: the
    staff chooses among the addresses the profile had, never a new one). Refused
    (``AddressNotRestored``, French, nothing changed) for another address, or one another
    profile holds now. Recorded in the person's history and the audit log with who did
    it. The caller commits."""
    key = email_key(address)
    if key is None or key not in {f.address for f in former_addresses(session, candidate)}:
        raise AddressNotRestored(
            "Cette adresse n'est pas une adresse précédente de ce profil : choisissez-en "
            "une dans la liste de ses anciennes adresses."
        )
    if find_by_email(session, key) is not None:
        raise AddressNotRestored(
            f"L'adresse {key} est maintenant celle d'un autre profil : elle ne peut pas être "
            "remise sur celui-ci. Voyez les doublons de la CVthèque."
        )
    now = utcnow()
    replaced = candidate.email
    candidate.email = key
    candidate.pending_email = None
    candidate.updated_at = now
    record_event(
        session,
        candidate,
        "updated",
        "Adresse e-mail précédente remise par l'équipe (profil repris par quelqu'un "
        "d'autre) ; l'adresse remplacée en est informée.",
        actor=actor,
        details={LEFT_ADDRESS: replaced},
    )
    login_moved = _login_follows_address(session, candidate)
    queue_template(
        session,
        kind=MailKind.CV_ADDRESS_RESTORED,
        to=replaced,
        subject=ADDRESS_RESTORED_SUBJECT,
        template="cv_address_restored",
        reply_to=platform_reply_to(),
        candidate_id=candidate.id,
        first_name=candidate.first_name,
        restored_address=masked_email(key),
        changed_at=f"{now.astimezone(LOCAL_TZ):%d/%m/%Y à %H h %M}",
        login_moved=login_moved,
        contact=platform_reply_to(),
    )
    audit(
        session,
        "candidate.address_restored",
        actor=actor,
        entity="candidate",
        entity_id=candidate.id,
        details={
            "restored": masked_email(key),
            "replaced": masked_email(replaced),
            "login_moved": login_moved,
        },
    )
    links = revoke_links_for(session, candidate, actor=actor)
    return AddressRestored(replaced, login_moved, links)
