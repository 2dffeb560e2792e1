""" "Être rappelé": a short public form (name, phone, best time, topic, optionally the
company and its commune) that becomes a follow-up for the animateur of the company's
intercommunality.

Routing (``route``): the working animateur (an account someone logs in with,
``users.WORKING_ACCOUNT``) attached to the intercommunality of the company's commune (``User.epci_siren``, set by the admin), the lowest id first; else,
for a known company, the animateur of its latest visit; else an animateur attached to
no intercommunality (the whole Pays); else nobody in particular, and the request shows
to every animateur. The request is a contact the company asked for: its timeline shows
it, and the contact-pressure guard does not count it (``prospection.pressure``). The
form is throttled per address (``accounts.throttle``). The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session, joinedload

from connectences import config, territory, vocab
from connectences.accounts import throttle
from connectences.accounts.scope import STAFF_ROLES
from connectences.accounts.users import WORKING_ACCOUNT
from connectences.contacts import InvalidPhone, NameKind, clean_phone, phone_display, read_name
from connectences.errors import DomainError
from connectences.mail import MailKind, queue_mail
from connectences.models import CallbackRequest, Company, User, Visit, utcnow
from connectences.territory.text import fold
from connectences.urls import external_url

TOPICS: dict[str, str] = vocab.VISIT_TOPICS
BEST_TIMES: dict[str, str] = {
    "matin": "Le matin (9 h – 12 h)",
    "midi": "Entre 12 h et 14 h",
    "apres_midi": "L'après-midi (14 h – 17 h)",
    "fin_journee": "En fin de journée (17 h – 19 h)",
}
FORM = "rappel"


class CallbackError(DomainError):
    """Invalid request: ``errors`` maps each field to a French message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=errors)


class TooManyRequests(DomainError):
    """Too many requests from one address within the hour."""


def check(data: Mapping) -> dict:
    """The request's values from the form; ``CallbackError`` (French, per field)."""
    errors: dict[str, str] = {}
    values: dict = {}
    values["name"] = read_name(data, "name", errors, NameKind.FULL, missing="Indiquez votre nom.")
    try:
        values["phone"] = clean_phone(data.get("phone"))
        if values["phone"] is None:
            errors["phone"] = "Indiquez le numéro auquel vous rappeler."
    except InvalidPhone as error:
        errors["phone"] = error.message
    best_time = str(data.get("best_time") or "")
    if best_time not in BEST_TIMES:
        errors["best_time"] = "Choisissez le moment où vous rappeler."
    values["best_time"] = best_time
    topic = str(data.get("topic") or "")
    if topic not in TOPICS:
        errors["topic"] = "Choisissez le sujet dont vous voulez parler."
    values["topic"] = topic
    values["company_name"] = read_name(data, "company_name", errors, NameKind.COMPANY) or None
    commune_text = str(data.get("commune") or "").strip()
    values["commune"] = None
    if commune_text:
        try:
            values["commune"] = territory.resolve_commune(commune_text[:120]).insee
        except territory.UnknownCommune as error:
            errors["commune"] = error.message
    if errors:
        raise CallbackError(errors)
    return values


def find_company(session: Session, name: str | None, commune: str | None) -> Company | None:
    """The known company of that name (accents and case aside) in that commune, if exactly one."""
    if not name or not commune:
        return None
    wanted = fold(name)
    found = [
        c
        for c in session.scalars(select(Company).where(Company.commune == commune))
        if fold(c.name) == wanted
    ]
    return found[0] if len(found) == 1 else None


def _active_animateurs():
    """The animateurs someone logs in with (``users.WORKING_ACCOUNT``): a request routed
    to one invited and never opened would be mailed to an address nobody confirmed, and
    hidden from every other animateur's list."""
    return select(User).where(User.role == "animateur", *WORKING_ACCOUNT).order_by(User.id)


def route(session: Session, commune: str | None, company: Company | None = None) -> User | None:
    """The animateur who should call back (see the module's rules), or None."""
    place = company.commune if company is not None else commune
    epci = territory.epci_of(place) if place else None
    if epci:
        local = session.scalars(_active_animateurs().where(User.epci_siren == epci)).first()
        if local is not None:
            return local
    if company is not None:
        last = session.scalar(
            select(User)
            .join(Visit, Visit.animateur_id == User.id)
            .where(Visit.company_id == company.id, User.role == "animateur", *WORKING_ACCOUNT)
            .order_by(Visit.visited_on.desc(), Visit.id.desc())
            .limit(1)
        )
        if last is not None:
            return last
    return session.scalars(_active_animateurs().where(User.epci_siren.is_(None))).first()


def throttle_key(ip: str | None) -> str:
    return throttle.form_key(FORM, ip)


def submit(
    session: Session, data: Mapping, *, ip: str | None, now: datetime | None = None
) -> CallbackRequest:
    """Record a request from the public form, route it and mail its animateur.

    Raises ``TooManyRequests`` when the address already sent ``CALLBACK_MAX_REQUESTS``
    requests within the hour (nothing is written), ``CallbackError`` for invalid data.
    """
    now = now or utcnow()
    key = throttle_key(ip)
    if throttle.locked_until(session, [key], now) is not None:
        raise TooManyRequests(
            "Plusieurs demandes de rappel ont déjà été envoyées depuis votre connexion : "
            "nous vous rappelons au plus vite. Si c'est urgent, appelez-nous directement."
        )
    values = check(data)
    company = find_company(session, values["company_name"], values["commune"])
    animateur = route(session, values["commune"], company)
    request = CallbackRequest(
        **values,
        company_id=company.id if company else None,
        animateur_id=animateur.id if animateur else None,
        created_at=now,
    )
    session.add(request)
    session.flush()
    throttle.record_failure(
        session, key, throttle.form_policy(config.integer("CALLBACK_MAX_REQUESTS")), now
    )
    _notify(session, request, animateur)
    return request


def _notify(session: Session, request: CallbackRequest, animateur: User | None) -> None:
    recipients = (
        [animateur.email]
        if animateur is not None
        else [u.email for u in session.scalars(_active_animateurs())]
    )
    where = territory.commune_label(request.commune) if request.commune else "commune non précisée"
    body = (
        "Bonjour,\n\n"
        f"{request.name} demande à être rappelé(e) au {phone_display(request.phone)}, "
        f"{BEST_TIMES[request.best_time].lower()}, au sujet de : {TOPICS[request.topic].lower()}.\n"
        f"Entreprise : {request.company_name or 'non précisée'} ({where}).\n\n"
        f"Vos demandes de rappel : {external_url('visits.follow_ups')}\n"
    )
    for to in recipients:
        queue_mail(
            session,
            kind=MailKind.CALLBACK_REQUEST,
            to=to,
            # Without the name: a sent mail's subject outlives its body and the request
            # (``MAIL_BODY_RETENTION_DAYS``, ``CALLBACK_RETENTION_MONTHS``).
            subject=f"Demande de rappel ({where})",
            body_text=body,
        )


def open_for(animateur: User) -> Select:
    """The requests an animateur has to call back: theirs and those routed to nobody,
    oldest first (a query to page)."""
    return (
        select(CallbackRequest)
        .options(joinedload(CallbackRequest.company))
        .where(
            CallbackRequest.done_at.is_(None),
            or_(
                CallbackRequest.animateur_id == animateur.id,
                CallbackRequest.animateur_id.is_(None),
            ),
        )
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
    )


def mark_done(session: Session, request: CallbackRequest, *, by: User) -> None:
    """The person was called back: the request leaves the list (it stays on the timeline)."""
    if by.role not in STAFF_ROLES:
        raise CallbackError({"_": "Seule l'équipe d'animation traite les demandes de rappel."})
    if request.animateur_id not in (None, by.id) and by.role != "admin":
        raise CallbackError({"_": "Cette demande est suivie par un autre animateur."})
    if request.done_at is None:
        request.done_at = utcnow()
        request.animateur_id = request.animateur_id or by.id


def for_company(session: Session, company_id: int) -> list[CallbackRequest]:
    """A company's call-back requests, newest first (its timeline)."""
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.company_id == company_id)
            .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
        )
    )


def delete_old(session: Session, before: datetime) -> int:
    """Delete the requests made before ``before`` (their name and phone go with them);
    how many. Run by the ``data_retention`` job with ``CALLBACK_RETENTION_MONTHS``."""
    return session.execute(
        delete(CallbackRequest).where(CallbackRequest.created_at < before)
    ).rowcount
