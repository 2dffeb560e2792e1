"""The animateur's prospection visits to the demo companies (not in the interchange format:
stored directly), the needs detected on them pointing back to them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import vocab
from connectences.clock import local_today
from connectences.demo.common import DEMO_PREFIX, DEMO_SEED, load_json, weighted
from connectences.models import Company, Need, User, Visit

VISITS = load_json("visits.json")


def build_demo_visits(
    document: dict, seed: int = DEMO_SEED, today: date | None = None, n_visits: int = 100
) -> list[dict]:
    """About `n_visits` prospection visits to the document's companies, oldest first.

    Each company is visited at least once; a company with needs had the need
    detected at its latest visit; a company that refuses contact said so.
    Each visit is a dict with `company` (ref), `channel`, `visited_on`, `topics`,
    `outcome`, `notes`, `need_detected`, `follow_up_on`, `follow_up_closed`.
    """
    today = today or local_today()
    rng = random.Random(seed * 7919 + 1)  # noqa: S311 — synthetic or sampled data, never a secret
    companies = document["companies"]
    need_title = {}
    for need in document["needs"]:
        need_title.setdefault(need["company"], need["title"])

    per_company: dict[str, list[date]] = {c["ref"]: [] for c in companies}
    refs = [c["ref"] for c in companies]
    chosen = refs + [rng.choice(refs) for _ in range(max(0, n_visits - len(refs)))]
    for ref in chosen:
        while True:
            day = today - timedelta(days=rng.randint(1, 300))
            if day.weekday() < 5 and day not in per_company[ref]:
                break
        per_company[ref].append(day)

    do_not_solicit = {c["ref"] for c in companies if c.get("do_not_solicit")}
    # A quarter of the needs came from the owners themselves (public form), not from a visit.
    own_initiative = {ref for ref in sorted(need_title) if rng.random() < 0.25}
    visits = []
    topics = list(vocab.VISIT_TOPICS)
    for ref, days in per_company.items():
        days.sort()
        for position, day in enumerate(days):
            last = position == len(days) - 1
            if last and ref in do_not_solicit:
                outcome = "ne_plus_solliciter"
            elif last and ref in need_title and ref not in own_initiative:
                outcome = "besoin_detecte"
            else:
                outcome = weighted(rng, VISITS["outcomes"])
            note = rng.choice(VISITS["notes"][outcome]).format(
                need=need_title.get(ref, "un renfort")
            )
            follow_up = None
            closed = False
            if outcome in {"besoin_detecte", "a_relancer", "absent"}:
                follow_up = day + timedelta(days=rng.choice([7, 14, 21, 30, 45, 60]))
                # Follow-ups long past were mostly done; recent ones are still open or overdue.
                closed = follow_up < today - timedelta(days=20) and rng.random() < 0.85
            visits.append(
                {
                    "company": ref,
                    "channel": weighted(rng, VISITS["channels"]),
                    "visited_on": day,
                    "topics": sorted(rng.sample(topics, k=rng.randint(1, 3)), key=topics.index),
                    "outcome": outcome,
                    "notes": note,
                    "need_detected": outcome == "besoin_detecte",
                    "follow_up_on": follow_up,
                    "follow_up_closed": closed,
                }
            )
    visits.sort(key=lambda v: (v["visited_on"], v["company"]))
    return visits


def seed_visits(session: Session, document: dict, seed: int, today: date, animateur: User) -> int:
    """Store the visits as ``animateur``'s and return how many; a company's first demo need
    is linked to the visit that detected a need there (and recorded by the animateur)."""
    company_ids = dict(session.execute(select(Company.ref, Company.id)).all())
    first_need = {}
    for need_id, company_id in session.execute(
        select(Need.id, Need.company_id).where(Need.ref.startswith(DEMO_PREFIX)).order_by(Need.ref)
    ):
        first_need.setdefault(company_id, need_id)
    created = 0
    for item in build_demo_visits(document, seed, today):
        company_id = company_ids[item["company"]]
        visit = Visit(
            company_id=company_id,
            animateur_id=animateur.id,
            channel=item["channel"],
            visited_on=item["visited_on"],
            topics=item["topics"],
            outcome=item["outcome"],
            notes=item["notes"],
            need_detected=item["need_detected"],
            follow_up_on=item["follow_up_on"],
            created_at=datetime.combine(item["visited_on"], time(18, 0), tzinfo=UTC),
            follow_up_closed_at=(
                datetime.combine(item["follow_up_on"], time(17, 0), tzinfo=UTC)
                if item["follow_up_closed"]
                else None
            ),
        )
        session.add(visit)
        created += 1
        if item["need_detected"] and company_id in first_need:
            session.flush()
            need = session.get(Need, first_need[company_id])
            if need.visit_id is None:
                need.visit_id = visit.id
                need.created_by_id = animateur.id
    session.flush()
    return created
