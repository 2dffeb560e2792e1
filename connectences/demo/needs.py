"""The demo's needs: drawn from the templates of ``data/needs.json``, then moved along
their workflow (qualified, in search, proposed, re-oriented) as a living register has them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import workflows
from connectences.demo.common import DEMO_PREFIX, WEEKDAYS, as_tuples, load_json, ordered_days
from connectences.matching.matches import match_need
from connectences.matching.open_bundles import open_need_bundles
from connectences.matching.routing import decide_route
from connectences.models import Candidate, Need, Operator, Partner, User
from connectences.workflows.dispatch import send_lead, send_referral


@dataclass(frozen=True)
class NeedTemplate:
    """A kind of need, with the several ways owners word it; one need draws from each list."""

    titles: tuple[str, ...]
    skills: tuple[str, ...]
    levels: tuple[str, ...]
    hours: tuple[float, ...]
    contracts: tuple[str, ...]
    reasons: tuple[str, ...]
    rome: str | None = None
    days: tuple[str, ...] = tuple(WEEKDAYS)
    durations: tuple[float | None, ...] = (None,)
    # Seasonal work starts in its season (6: June, 12: December); None: soon after today.
    start_month: int | None = None


_TEMPLATES = load_json("needs.json")
# The needs of each trade (the `sector` of data/companies.csv)...
SECTOR_NEEDS: dict[str, list[NeedTemplate]] = {
    sector: [NeedTemplate(**as_tuples(item)) for item in items]
    for sector, items in _TEMPLATES["sectors"].items()
}
# ...and those any TPE has (accounting, HR, admin...).
TRANSVERSE_NEEDS: list[NeedTemplate] = [
    NeedTemplate(**as_tuples(item)) for item in _TEMPLATES["transverse"]
]


def build_needs(
    rng: random.Random, open_companies: list[tuple[dict, str]], today: date, n_needs: int
) -> list[dict]:
    """``n_needs`` needs of the companies that accept contact, given with their sector.

    One need from each company's own trade first, then the functions every TPE lacks and
    a second trade need here and there, never the same need twice in one company.
    """
    needs: list[dict] = []
    used: set[tuple[str, NeedTemplate]] = set()  # (company, template) pairs already drawn

    def add(company: dict, template: NeedTemplate) -> None:
        used.add((company["ref"], template))
        ref = f"{DEMO_PREFIX}besoin-{len(needs) + 1:03d}"
        needs.append(_build_need(rng, ref, company, template, today))

    for company, sector in open_companies:
        if len(needs) >= n_needs:
            break
        templates = SECTOR_NEEDS.get(sector)
        if templates:
            add(company, rng.choice(templates))
    while len(needs) < n_needs:
        company, sector = rng.choice(open_companies)
        if rng.random() < 0.6:
            template = rng.choice(TRANSVERSE_NEEDS)
        else:
            template = rng.choice(SECTOR_NEEDS.get(sector) or TRANSVERSE_NEEDS)
        if (company["ref"], template) not in used:
            add(company, template)
    return needs


def _build_need(
    rng: random.Random, ref: str, company: dict, template: NeedTemplate, today: date
) -> dict:
    hours = rng.choice(template.hours)
    # About seven hours a working day; a need never has more days than its template allows.
    n_days = max(1, min(len(template.days), math.ceil(hours / 7.5)))
    days = ordered_days(rng.sample(template.days, n_days))
    contract = rng.choice(template.contracts)
    need = {
        "ref": ref,
        "company": company["ref"],
        "title": rng.choice(template.titles),
        "skills": rng.sample(template.skills, k=rng.randint(2, len(template.skills))),
        "level": rng.choice(template.levels),
        "hours_per_week": hours,
        "days": days,
        "contract": contract,
        "reason": rng.choice(template.reasons),
        "start": _start(rng, template, today).isoformat(),
    }
    if template.rome:
        need["rome"] = template.rome
    duration = rng.choice(template.durations)
    if contract in {"saisonnier", "cdd", "mission"} and duration is None:
        duration = 6 if contract != "mission" else 1
    if contract in {"cdi", "cdi_temps_partage"}:
        duration = None
    if duration is not None:
        need["duration_months"] = duration
    return need


def _start(rng: random.Random, template: NeedTemplate, today: date) -> date:
    if template.start_month is None:
        return today + timedelta(days=rng.randint(10, 120))
    start = date(today.year, template.start_month, rng.randint(1, 15))
    if start < today + timedelta(days=10):
        start = start.replace(year=today.year + 1)
    return start


# Leads sent in the demo: enough that each browser journey of a test session (inbox,
# company contact, shared-time week) finds one still waiting for the operator.
DEMO_LEADS = 6


def progress_needs(session: Session, animateur: User) -> None:
    """Move part of the register along its state machine, as a living platform has it.

    Every third need is qualified, every sixth is then in search; ``DEMO_LEADS`` of them are
    proposed to their operator with their best candidates and one full-time need is
    re-oriented; then the needs of one shared-time post are qualified
    (:func:`_qualify_a_post`); all through the workflows (so the transition log and the
    outbox are filled as they would be by hand). Done once, with the visits.
    """
    needs = list(
        session.scalars(select(Need).where(Need.ref.startswith(DEMO_PREFIX)).order_by(Need.ref))
    )
    for position, need in enumerate(needs):
        if position % 3 == 0:
            workflows.transition(session, need, workflows.NEED, "qualifie", actor=animateur)
        if position % 6 == 0:
            workflows.transition(session, need, workflows.NEED, "en_recherche", actor=animateur)
    session.flush()
    proposed = referred = 0
    for need in needs:
        if need.status != "en_recherche" or (proposed >= DEMO_LEADS and referred >= 1):
            continue
        decision = decide_route(need.ref, session)
        try:
            if decision.decision == "operator" and proposed < DEMO_LEADS:
                refs = [m["candidate"] for m in match_need(need.ref, 2, session)["matches"]]
                candidates = session.scalars(select(Candidate).where(Candidate.ref.in_(refs)))
                send_lead(
                    session,
                    needs=[need],
                    operator=session.scalar(
                        select(Operator).where(Operator.ref == decision.operator)
                    ),
                    candidates=list(candidates),
                    actor=animateur,
                    reasons=decision.shared,
                    note="Besoin qualifié lors d'une visite ; l'entreprise attend un appel.",
                )
                proposed += 1
            elif decision.decision == "reorientation" and decision.partner and referred < 1:
                send_referral(
                    session,
                    need=need,
                    partner=session.scalar(select(Partner).where(Partner.ref == decision.partner)),
                    actor=animateur,
                    reasons=decision.shared,
                )
                referred += 1
        except workflows.TransitionError:
            continue  # the demo shows what the rules allow, nothing forced
    session.flush()
    _qualify_a_post(session, animateur)


def _qualify_a_post(session: Session, animateur: User) -> None:
    """Qualify the needs of one post of « Postes en temps partagé » still new: the best
    ranked that fits someone of the CV library (else the best ranked), as the page ranks
    them. A post's proposal form shows only once all its needs are qualified, and every
    third need qualified left each demo post one still new: a person trying the demo
    never saw that form. The other posts keep their needs to qualify, and the page's
    links to their qualification."""
    posts = open_need_bundles(session).bundles
    post = next((p for p in posts if p.candidates), posts[0] if posts else None)
    if post is None:
        return
    for need in session.scalars(select(Need).where(Need.ref.in_(post.needs))):
        if need.status == workflows.NeedState.NOUVEAU:
            workflows.transition(session, need, workflows.NEED, "qualifie", actor=animateur)
    session.flush()
