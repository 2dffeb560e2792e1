"""The demo's events: a job dating, a forum emploi, a meeting for company owners on
shared-time employment and a webinar to come, and a job dating held a fortnight ago
whose attendance was recorded.

Each is made as the animateur and the public make them, weeks before the demo's day:
announced with the staff form (``catalogue.create_event``), people registering and
confirming by their links (``registrations.register`` / ``confirm``), one cancelling
(the first person waiting takes the seat), the organiser ticking who came
(``attendance.record``). The mails these steps queued belong to that past and are not
sent. The registrants are people and companies of the demo; the demo's own accounts are
left out, so that trying the registration with them starts from nothing.

An event is seeded when its title has none by the demo's animateur still to come (the
past one: none at all): a second run the same day adds nothing; a run after the events
are over announces them again on new days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectences.clock import LOCAL_TZ
from connectences.demo.common import DEMO_PREFIX
from connectences.events import attendance, catalogue, registrations
from connectences.jobs.tasks import is_working_day
from connectences.mail.kinds import MailKind
from connectences.models import (
    Candidate,
    Company,
    CompanyContact,
    Event,
    OutboxMessage,
    Partner,
    User,
)


@dataclass(frozen=True)
class DemoEvent:
    kind: str
    title: str
    description: str
    audience: str
    days_from_today: int  # negative: held already (moved to the nearest working day before)
    start: str
    end: str
    place: str | None
    link: str | None
    capacity: int
    partners: tuple[str, ...]  # partner refs
    announced_days_before: int
    registrants: int  # confirmed, in turn: seated while seats are free, then waiting
    cancelled: int = 0  # of the seated, cancelled once the waiting list formed
    present: int | None = None  # past event: how many of the seated came
    walk_ins: int = 0


EVENTS = (
    DemoEvent(
        kind="job_dating",
        title="Job dating de la saison : hôtellerie, restauration et ostréiculture",
        description=(
            "Dix minutes pour convaincre, sans CV obligatoire : une quinzaine d'employeurs "
            "du Bassin recrutent pour la saison (serveurs, commis, plongeurs, ouvriers "
            "ostréicoles, vendeurs).\n\nEntreprises : inscrivez-vous pour tenir une table. "
            "Personnes en recherche d'emploi : venez avec vos disponibilités."
        ),
        audience="tous",
        days_from_today=9,
        start="09:30",
        end="12:30",
        place="Salle des fêtes, avenue de la Libération, 33510 Andernos-les-Bains",
        link=None,
        capacity=24,
        partners=("france-travail-arcachon", "mission-locale-bassin"),
        announced_days_before=30,
        registrants=23,
    ),
    DemoEvent(
        kind="job_dating",
        title="Forum emploi du Val de l'Eyre",
        description=(
            "Les employeurs, le groupement d'employeurs, France Travail, la Mission Locale "
            "et Cap Emploi réunis l'après-midi : offres en temps partiel et temps partagé, "
            "conseils pour le CV, informations sur les formations du territoire."
        ),
        audience="tous",
        days_from_today=23,
        start="14:00",
        end="17:30",
        place="Salle polyvalente, 33830 Belin-Béliet",
        link=None,
        capacity=150,
        partners=("france-travail-arcachon", "mission-locale-bassin", "cap-emploi-gironde"),
        announced_days_before=40,
        registrants=17,
    ),
    DemoEvent(
        kind="reunion_information",
        title="Partager un salarié à temps partagé : réunion pour les dirigeants de TPE",
        description=(
            "Une heure et demie autour d'un café pour comprendre le groupement d'employeurs : "
            "qui emploie, combien cela coûte, comment partager une comptable, un agent "
            "d'entretien ou un vendeur avec d'autres entreprises du Bassin.\n\n"
            "Avec GE Bassin Emploi et des dirigeants qui le pratiquent déjà."
        ),
        audience="entreprises",
        days_from_today=6,
        start="08:30",
        end="10:00",
        place="Pépinière d'entreprises, 33470 Gujan-Mestras",
        link=None,
        capacity=12,
        partners=("cci-bordeaux-gironde-bassin",),
        announced_days_before=21,
        registrants=15,
        cancelled=1,
    ),
    DemoEvent(
        kind="webinaire",
        title="Embaucher son premier salarié : les aides et les démarches",
        description=(
            "Un webinaire de 45 minutes avec l'Urssaf et France Travail : la déclaration "
            "préalable, les aides à l'embauche, le coût réel d'un temps partiel. "
            "Le lien de connexion est envoyé aux inscrits."
        ),
        audience="entreprises",
        days_from_today=15,
        start="12:30",
        end="13:15",
        place=None,
        link="https://visio.connectences.example/premier-salarie",
        capacity=100,
        partners=("france-travail-arcachon",),
        announced_days_before=20,
        registrants=6,
    ),
    DemoEvent(
        kind="job_dating",
        title="Job dating des services à la personne et de l'entretien",
        description=(
            "Aides à domicile, agents d'entretien, jardiniers : des employeurs du Bassin "
            "et du Val de l'Eyre recrutent, souvent à temps partiel."
        ),
        audience="tous",
        days_from_today=-13,
        start="09:00",
        end="12:00",
        place="Maison des associations, 33260 La Teste-de-Buch",
        link=None,
        capacity=30,
        partners=("france-travail-arcachon", "mission-locale-bassin"),
        announced_days_before=35,
        registrants=26,
        present=20,
        walk_ins=7,
    ),
)
EVENT_MAILS = tuple(kind for kind in MailKind if kind.name.startswith("EVENT_"))


def _working_day(day: date, step: int) -> date:
    while not is_working_day(day):
        day += timedelta(days=step)
    return day


def event_day(spec: DemoEvent, today: date) -> date:
    """The working day of ``spec`` around ``today``."""
    step = -1 if spec.days_from_today < 0 else 1
    return _working_day(today + timedelta(days=spec.days_from_today), step)


def _registrants(session: Session, excluded: set[str], seed: int) -> tuple[list, list]:
    """(companies, people) who may register: each a dict of the public form's fields."""
    companies = []
    for contact, company in session.execute(
        select(CompanyContact, Company)
        .join(Company)
        .where(
            Company.ref.startswith(DEMO_PREFIX),
            Company.do_not_solicit.is_(False),
            CompanyContact.email.is_not(None),
        )
        .order_by(Company.ref, CompanyContact.id)
    ):
        if contact.email.lower() in excluded or any(c["email"] == contact.email for c in companies):
            continue
        companies.append(
            {
                "name": contact.name,
                "email": contact.email,
                "organisation": company.name,
                "siret": company.siret,
            }
        )
    people = [
        {"name": f"{c.first_name} {c.last_name}", "email": c.email}
        for c in session.scalars(
            select(Candidate).where(Candidate.ref.startswith(DEMO_PREFIX)).order_by(Candidate.ref)
        )
        if c.email.lower() not in excluded
    ]
    rng = random.Random(seed * 131 + 7)  # noqa: S311 — synthetic data, never a secret
    rng.shuffle(companies)
    rng.shuffle(people)
    return companies, people


def _daytime(moment: datetime, rng: random.Random) -> datetime:
    """``moment`` moved to the morning or afternoon of its day (Paris) when at night: a
    page of registrants confirmed at 4 a.m. looks made up. Never later than it was."""
    local = moment.astimezone(LOCAL_TZ)
    if 8 <= local.hour < 21:
        return moment
    day = local.date() if local.hour >= 21 else local.date() - timedelta(days=1)
    return datetime.combine(day, time(rng.randint(8, 20), rng.randrange(60)), tzinfo=LOCAL_TZ)


def _interleave(companies: list, people: list) -> list:
    """One company then two people, in turn, while both last."""
    merged = []
    for index, person in enumerate(people):
        if index % 2 == 0 and index // 2 < len(companies):
            merged.append(companies[index // 2])
        merged.append(person)
    return merged


def _already_seeded(session: Session, spec: DemoEvent, organiser: User, moment: datetime) -> bool:
    query = select(Event.id).where(Event.organiser_id == organiser.id, Event.title == spec.title)
    if spec.days_from_today >= 0:
        query = query.where(Event.ends_at >= moment)
    return session.scalar(query.limit(1)) is not None


def seed_events(
    session: Session, organiser: User, today: date, excluded: set[str], seed: int
) -> int:
    """Seed the demo's events not there yet (see the module); how many were created."""
    # Everything seeded happened by the evening before the demo's day.
    moment = datetime.combine(today - timedelta(days=1), time(19, 0), tzinfo=LOCAL_TZ)
    to_seed = [spec for spec in EVENTS if not _already_seeded(session, spec, organiser, moment)]
    if not to_seed:
        return 0
    partner_ids = dict(session.execute(select(Partner.ref, Partner.id)).all())
    companies, people = _registrants(session, {e.lower() for e in excluded}, seed)
    rng = random.Random(seed * 17 + 3)  # noqa: S311 — synthetic data, never a secret
    last_mail = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    for number, spec in enumerate(to_seed):
        day = event_day(spec, today)
        announced = datetime.combine(
            day - timedelta(days=spec.announced_days_before), time(10, 15), tzinfo=LOCAL_TZ
        )
        event = catalogue.create_event(
            session,
            {
                "kind": spec.kind,
                "title": spec.title,
                "description": spec.description,
                "audience": spec.audience,
                "day": day.strftime("%d/%m/%Y"),
                "start": spec.start,
                "end": spec.end,
                "place": spec.place or "",
                "link": spec.link or "",
                "capacity": str(spec.capacity),
                "partners": [str(partner_ids[ref]) for ref in spec.partners if ref in partner_ids],
            },
            by=organiser,
            now=announced,
        )
        _register_people(session, event, spec, announced, min(moment, event.starts_at), rng,
                         companies, people, number)  # fmt: skip
    # The mails of these registrations were sent back then: none leaves now.
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.id > (last_mail or 0), OutboxMessage.kind.in_(EVENT_MAILS)
        )
    )
    session.flush()
    return len(to_seed)


def _register_people(session, event, spec, opened, closed, rng, companies, people, number) -> None:
    """Register and confirm ``spec``'s people between ``opened`` and ``closed``, cancel
    and record attendance as ``spec`` says."""
    total = spec.registrants
    if spec.audience == "entreprises":
        pool = companies
    elif spec.audience == "candidats":
        pool = people
    else:  # one registrant in three comes for an employer
        pool = _interleave(companies[number::3], people[number::2])
    offset = (number * 7) % max(len(pool), 1)
    chosen = (pool[offset:] + pool[:offset])[:total]
    # Registered from an hour after the announcement; each confirmed within 90 minutes,
    # all before the cancellation an hour before ``closed``.
    span = (closed - opened).total_seconds() - 3 * 3600
    earliest = opened + timedelta(hours=1)
    moments = sorted(
        max(_daytime(earliest + timedelta(seconds=rng.random() * span), rng), earliest)
        for _ in chosen
    )
    made = []
    for data, moment in zip(chosen, moments, strict=False):
        registration = registrations.register(session, event, data, ip=f"demo-{number}", now=moment)
        registration.created_at = moment
        registrations.confirm(
            session,
            registrations.confirm_token(registration),
            now=moment + timedelta(minutes=rng.randint(3, 90)),
        )
        made.append(registration)
    seated = [r for r in made if r.status == catalogue.SEATED]
    for registration in seated[: spec.cancelled]:
        registrations.cancel(
            session,
            registrations.cancel_token(registration),
            now=closed - timedelta(minutes=rng.randint(10, 50)),
        )
    if spec.present is not None:
        came = [r.id for r in made if r.status == catalogue.SEATED][: spec.present]
        attendance.record(
            session, event, came, spec.walk_ins, by=session.get(User, event.organiser_id),
            now=event.ends_at + timedelta(minutes=25),
        )  # fmt: skip
