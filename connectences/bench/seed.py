"""`flask --app connectences bench seed`: a region-sized database, built fast.

The demo of the territory is loaded first (reference data, operators, partners and
one account per role with its known password, which ``bench load`` logs in with);
then companies, candidates, needs, visits, leads, referrals and placements are added
with Core bulk inserts (``executemany`` of plain dicts, explicit ids, no ORM unit of
work), in the proportions of a living platform:

- one company in three has a contact person; one in five visits detected a need;
- needs spread over the whole state machine (a third new, a fifth qualified, a quarter
  in search, and the rest proposed, filled, re-oriented or abandoned), each with its
  transition log, so that the observatory's timings have something to measure;
- every proposed or filled need has a lead to an operator with two or three candidates;
  a filled need has its placement and its follow-up points; a re-oriented need has
  its referral to a partner.

Everything is seeded by ``--seed``. Each phase prints one JSON line with its row count
and its time. Runs on SQLite and PostgreSQL (sequences are moved past the explicit ids).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from stdnum import luhn

from connectences import clock, vocab
from connectences.bench.synth import Generator, need_columns
from connectences.contacts import email_key, fold_name, name_key, phone_key
from connectences.demo import seed_demo
from connectences.demo.candidates import AROUND_COMMUNE_WEIGHTS, HELD_WORK, PAYS_COMMUNE_WEIGHTS
from connectences.models import (
    Base,
    Candidate,
    CandidateRome,
    CandidateSkill,
    Commitment,
    Commune,
    Company,
    CompanyContact,
    FollowUpPoint,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    User,
    Visit,
)
from connectences.models.candidates import rome_code_rows
from connectences.skills import concept_of, normalize
from connectences.text import sort_key
from connectences.workflows import LeadState as L
from connectences.workflows import NeedState as N
from connectences.workflows import ReferralState as R

BENCH_PREFIX = "bench-"
BATCH = 5000

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Julie", "Laura", "Marie",
    "Lucas", "Hugo", "Thomas", "Nathan", "Théo", "Louis", "Maxime", "Antoine", "Julien",
    "Karim", "Yasmine", "Sofiane", "Nadia", "Éloïse", "Jérôme", "Sébastien", "Hélène",
    "Françoise", "Gaëlle", "Noé",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "Simon",
    "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Lacoste", "Castaing",
    "Dulucq", "Lafitte", "Dubos", "Ducourau", "Larrieu", "Baudin", "Cazenave", "Lalanne",
]  # fmt: skip
COMPANY_WORDS = [
    "Boulangerie", "Garage", "Cabinet", "Atelier", "Ostréiculture", "Camping", "Pharmacie",
    "Menuiserie", "Restaurant", "Hôtel", "Plomberie", "Agence", "Librairie", "Fromagerie",
    "Transports", "Chantier naval", "Paysagiste", "Électricité", "Boucherie", "Salon",
]  # fmt: skip
NAFS = ["1071C", "4520A", "6920Z", "0321Z", "5530Z", "4773Z", "1623Z", "5610A", "5510Z",
        "4322A", "6831Z", "4761Z", "4729Z", "4941A", "3315Z", "8130Z", "4321A", "4722Z", "9602A"]  # fmt: skip
SOURCES = ["forum", "job dating", "permanence France Travail", "réseaux sociaux", None]

# Share of needs in each state (sums to 100): a register that has been living for years.
NEED_STATES = {
    N.NOUVEAU: 30,
    N.QUALIFIE: 20,
    N.EN_RECHERCHE: 25,
    N.PROPOSE: 8,
    N.POURVU: 7,
    N.REORIENTE: 6,
    N.ABANDONNE: 4,
}
# The path a need took to reach each state, from N.NOUVEAU.
NEED_PATHS = {
    N.NOUVEAU: [],
    N.QUALIFIE: [N.QUALIFIE],
    N.EN_RECHERCHE: [N.QUALIFIE, N.EN_RECHERCHE],
    N.PROPOSE: [N.QUALIFIE, N.EN_RECHERCHE, N.PROPOSE],
    N.POURVU: [N.QUALIFIE, N.EN_RECHERCHE, N.PROPOSE, N.POURVU],
    N.REORIENTE: [N.QUALIFIE, N.REORIENTE],
    N.ABANDONNE: [N.ABANDONNE],
}
LEAD_OPEN_STATES = {L.ENVOYE: 3, L.VU: 3, L.ACCEPTE: 2, L.EN_COURS: 2}
LEAD_PATHS = {
    L.ENVOYE: [],
    L.VU: [L.VU],
    L.ACCEPTE: [L.VU, L.ACCEPTE],
    L.EN_COURS: [L.VU, L.ACCEPTE, L.EN_COURS],
    L.PLACE: [L.VU, L.ACCEPTE, L.EN_COURS, L.PLACE],
}
REFERRAL_STATES = {R.ENVOYEE: 3, R.RECUE: 3, R.PRISE_EN_CHARGE: 2, R.CLOSE: 2}
REFERRAL_PATHS = {
    R.ENVOYEE: [],
    R.RECUE: [R.RECUE],
    R.PRISE_EN_CHARGE: [R.RECUE, R.PRISE_EN_CHARGE],
    R.CLOSE: [R.RECUE, R.PRISE_EN_CHARGE, R.CLOSE],
}


class AlreadySeeded(RuntimeError):
    """The database already holds benchmark rows: seed a fresh one."""


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _insert(session: Session, model, rows: list[dict]) -> None:
    """Bulk insert: ``executemany`` on SQLite; ``COPY`` on PostgreSQL, which loads rows
    several times faster than any form of INSERT."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, model.__table__, rows)
        return
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def _copy_value(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # the UTC columns store naive UTC
    return value


def _copy(session: Session, table, rows: list[dict]) -> None:
    columns = list(rows[0])
    names = ", ".join(f'"{table.c[name].name}"' for name in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_copy_value(row[name]) for name in columns])
    cursor.close()


def _next_id(session: Session, model) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _siret(number: int) -> str:
    base = f"9{number:07d}0"[:9]
    siren = base[:8] + luhn.calc_check_digit(base[:8])
    body = siren + f"{number % 100000:04d}"[-4:]
    return body + luhn.calc_check_digit(body)


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randrange(60), tzinfo=UTC)


class Seeder:
    """Builds the rows of one benchmark database; each ``phase`` is timed."""

    def __init__(self, session: Session, *, seed: int, today: date) -> None:
        self.session = session
        self.rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
        self.seed = seed
        self.today = today
        self.now = datetime.now(UTC)
        self.operators = list(session.scalars(select(Operator.id).where(Operator.active)))
        self.partners = list(session.scalars(select(Partner.id).where(Partner.active)))
        self.animateurs = list(
            session.scalars(select(User.id).where(User.role == "animateur").order_by(User.id))
        )

        known = set(session.scalars(select(Commune.insee)))
        self.company_communes = {c: w for c, w in PAYS_COMMUNE_WEIGHTS.items() if c in known}
        self.people_communes = {
            **self.company_communes,
            **{c: w for c, w in AROUND_COMMUNE_WEIGHTS.items() if c in known},
        }
        self.company_ids: list[int] = []
        self.company_names: dict[int, str] = {}
        self.candidate_ids: list[int] = []
        # Work the people already hold: (candidate id, the generator's commitments) for
        # the people "en mission"; (placement, candidate, need, company, operator ids)
        # for every placement. ``seed_commitments`` writes both.
        self.held: list[tuple[int, tuple]] = []
        self.placed: list[tuple[int, int, int, int, int]] = []
        self.need_days: dict[int, list[str]] = {}
        self.needs_by_state: dict[str, list[tuple[int, int]]] = {}
        self.transitions: list[dict] = []

    # ----------------------------------------------------------------- companies
    def companies(self, count: int) -> int:
        rng = self.rng
        first = _next_id(self.session, Company)
        contact_first = _next_id(self.session, CompanyContact)
        communes = list(self.company_communes)
        weights = list(self.company_communes.values())
        rows, contacts = [], []
        for n in range(count):
            cid = first + n
            created = _moment(rng, self.today - timedelta(days=rng.randint(30, 1500)))
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST_NAMES)} {cid}"
            rows.append(
                {
                    "id": cid,
                    "ref": f"{BENCH_PREFIX}entreprise-{cid:06d}",
                    "name": name,
                    # Bulk inserts skip the model's validators: the key they set.
                    "sort_name": sort_key(name),
                    "siret": _siret(cid),
                    "siren": _siret(cid)[:9],
                    "naf": rng.choice(NAFS),
                    "employees": rng.choice([1, 1, 2, 3, 4, 5, 7, 9, 12, 18]),
                    "commune": rng.choices(communes, weights)[0],
                    "address": f"{rng.randint(1, 120)} rue {rng.choice(LAST_NAMES)}",
                    "contact_email": f"contact{cid}@entreprise.example",
                    "newsletter_consent": rng.random() < 0.3,
                    "do_not_solicit": rng.random() < 0.02,
                    "max_contacts_per_month": rng.choice([None, None, None, 1, 2]),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if rng.random() < 0.34:
                contacts.append(
                    {
                        "id": contact_first + len(contacts),
                        "company_id": cid,
                        "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        "role": rng.choice(["Gérant", "Gérante", "Responsable", None]),
                        "phone": f"0639980{n % 1000:03d}",
                        "email": None,
                        # COPY (PostgreSQL) skips the model's defaults: each column written.
                        "updated_at": created,
                    }
                )
        _insert(self.session, Company, rows)
        _insert(self.session, CompanyContact, contacts)
        self.company_ids = [r["id"] for r in rows]
        self.company_names.update((r["id"], r["name"]) for r in rows)
        return len(rows) + len(contacts)

    # ---------------------------------------------------------------- candidates
    def candidates(self, count: int) -> int:
        rng = self.rng
        first = _next_id(self.session, Candidate)
        generator = Generator(seed=self.seed + first, codes=None)
        generator.communes = list(self.people_communes) or generator.communes
        skill_first = _next_id(self.session, CandidateSkill)
        concepts: dict[str, tuple[str, str | None]] = {}
        rows, skills, rome_rows = [], [], []
        for n in range(count):
            person = generator.candidate()
            cid = first + n
            first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{fold_name(first_name).replace(' ', '')}.{cid}@{BENCH_PREFIX}exemple.fr"
            phone = f"06 39 98 {n % 100:02d} {(n // 100) % 100:02d}"
            joined = _moment(rng, self.today - timedelta(days=rng.randint(1, 1000)))
            rows.append(
                {
                    "id": cid,
                    "ref": f"{BENCH_PREFIX}cv-{cid:07d}",
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": email,
                    "phone": phone,
                    "commune": person.commune,
                    "mobility_km": person.mobility_km,
                    "rome": list(person.rome),
                    "level": person.level,
                    "hours_min": person.hours_min,
                    "hours_max": person.hours_max,
                    "days": sorted(person.days),
                    "contracts": sorted(person.contracts),
                    "available_from": person.available_from,
                    "status": person.status,
                    "consent": True,
                    "consent_at": joined,
                    "source": rng.choice(SOURCES),
                    "email_confirmed_at": joined if rng.random() < 0.8 else None,
                    "token_version": 0,
                    "last_contact_at": joined,
                    "created_at": joined,
                    "updated_at": joined,
                    "email_norm": email_key(email),
                    "phone_norm": phone_key(phone),
                    "last_name_norm": fold_name(last_name)[:100] or None,
                    "name_key": name_key(first_name, last_name)[:200] or None,
                    # Bulk inserts skip the model's validators: the key they set.
                    "sort_name": sort_key(last_name, first_name),
                }
            )
            rome_rows.extend(rome_code_rows(cid, person.rome))
            if person.commitments:
                self.held.append((cid, person.commitments))
            for position, label in enumerate(person.skills):
                if label not in concepts:
                    concepts[label] = (normalize(label), concept_of(label))
                norm, concept = concepts[label]
                skills.append(
                    {
                        "id": skill_first + len(skills),
                        "candidate_id": cid,
                        "position": position,
                        "label": label,
                        "norm": norm,
                        "concept": concept,
                    }
                )
        _insert(self.session, Candidate, rows)
        _insert(self.session, CandidateSkill, skills)
        _insert(self.session, CandidateRome, rome_rows)
        self.candidate_ids = [r["id"] for r in rows]
        return len(rows) + len(skills)

    # ---------------------------------------------------------------- visits
    def visits(self, count: int) -> int:
        rng = self.rng
        first = _next_id(self.session, Visit)
        channels, topics, outcomes = (
            list(vocab.VISIT_CHANNELS),
            list(vocab.VISIT_TOPICS),
            list(vocab.VISIT_OUTCOMES),
        )
        rows = []
        self.visit_of_company: dict[int, int] = {}
        for n in range(count):
            company = rng.choice(self.company_ids)
            day = self.today - timedelta(days=rng.randint(0, 730))
            follow = day + timedelta(days=rng.choice([7, 14, 30])) if rng.random() < 0.3 else None
            detected = rng.random() < 0.2
            rows.append(
                {
                    "id": first + n,
                    "company_id": company,
                    "animateur_id": rng.choice(self.animateurs) if self.animateurs else None,
                    "channel": rng.choice(channels),
                    "visited_on": day,
                    "topics": rng.sample(topics, rng.randint(1, 2)),
                    "outcome": rng.choice(outcomes),
                    "notes": "Échange avec le gérant." if rng.random() < 0.5 else None,
                    "need_detected": detected,
                    "follow_up_on": follow,
                    "follow_up_closed_at": (
                        _moment(rng, follow) if follow and follow < self.today else None
                    ),
                    "created_at": _moment(rng, day),
                }
            )
            if detected:
                self.visit_of_company[company] = first + n
        _insert(self.session, Visit, rows)
        return len(rows)

    # ---------------------------------------------------------------- needs
    def needs(self, count: int, cycle: list[str] | None = None) -> int:
        """``count`` needs in states drawn from NEED_STATES (or taken in turn from
        ``cycle``); ``outcomes`` then adds the leads, referrals and placements of these."""

        rng = self.rng
        self.needs_by_state = {}
        first = _next_id(self.session, Need)
        generator = Generator(seed=self.seed + first, codes=None)
        animateur = self.animateurs[0] if self.animateurs else None
        rows = []
        for n in range(count):
            need = generator.need()
            nid = first + n
            company = rng.choice(self.company_ids)
            state = cycle[n % len(cycle)] if cycle else _pick(rng, NEED_STATES)
            created = _moment(rng, self.today - timedelta(days=rng.randint(1, 700)))
            rows.append(
                {
                    "id": nid,
                    "ref": f"{BENCH_PREFIX}besoin-{nid:06d}",
                    "company_id": company,
                    **need_columns(need),
                    "reason": rng.choice(list(vocab.REASONS)),
                    "start": self.today + timedelta(days=rng.randint(-300, 90)),
                    "commune": None,
                    "shared_time": None if state in (N.NOUVEAU, N.ABANDONNE) else True,
                    "status": state,
                    "source": rng.choice(["animateur", "animateur", "formulaire"]),
                    "visit_id": self.visit_of_company.get(company),
                    "created_by_id": animateur,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            self.needs_by_state.setdefault(state, []).append((nid, company))
            if state == N.POURVU:
                self.need_days[nid] = rows[-1]["days"]
            self._log("need", nid, ["nouveau", *NEED_PATHS[state]], created, animateur)
        _insert(self.session, Need, rows)
        return len(rows)

    def _log(self, entity: str, entity_id: int, states: list[str], start: datetime, actor):
        at = start
        previous = None
        for state in states:
            self.transitions.append(
                {
                    "entity": entity,
                    "entity_id": entity_id,
                    "from_state": previous,
                    "to_state": state,
                    "actor_id": actor,
                    "at": at,
                }
            )
            previous = state
            at = at + timedelta(days=self.rng.randint(1, 20), hours=self.rng.randint(0, 8))

    # ----------------------------------------------------- leads, referrals, placements
    def outcomes(self) -> int:
        rng = self.rng
        lead_id = _next_id(self.session, Lead)
        lead_need_id = _next_id(self.session, LeadNeed)
        lead_cand_id = _next_id(self.session, LeadCandidate)
        placement_id = _next_id(self.session, Placement)
        referral_id = _next_id(self.session, Referral)
        leads, lead_needs, lead_cands, placements, placement_needs, follow_ups = (
            [], [], [], [], [], []
        )  # fmt: skip
        referrals = []
        actor = self.animateurs[0] if self.animateurs else None
        if self.operators and self.candidate_ids:
            for state in (N.PROPOSE, N.POURVU):
                for need_id, company in self.needs_by_state.get(state, []):
                    lead_state = _pick(rng, LEAD_OPEN_STATES) if state == N.PROPOSE else L.PLACE
                    created = _moment(rng, self.today - timedelta(days=rng.randint(1, 400)))
                    leads.append(
                        {
                            "id": lead_id,
                            "operator_id": rng.choice(self.operators),
                            "is_bundle": False,
                            "status": lead_state,
                            "note": None,
                            "reasons": ["Métier et territoire couverts par l'opérateur."],
                            "created_by_id": actor,
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
                    lead_needs.append({"id": lead_need_id, "lead_id": lead_id, "need_id": need_id})
                    lead_need_id += 1
                    chosen = rng.sample(
                        self.candidate_ids, min(len(self.candidate_ids), rng.randint(2, 3))
                    )
                    for cand in chosen:
                        lead_cands.append(
                            {
                                "id": lead_cand_id,
                                "lead_id": lead_id,
                                "candidate_id": cand,
                                "score": rng.randint(55, 95),
                                "explanation": [],
                            }
                        )
                        lead_cand_id += 1
                    self._log("lead", lead_id, ["envoye", *LEAD_PATHS[lead_state]], created, None)
                    if lead_state == "place":
                        start = created.date() + timedelta(days=rng.randint(7, 30))
                        placements.append(
                            {
                                "id": placement_id,
                                "lead_id": lead_id,
                                "candidate_id": chosen[0],
                                "hours_per_week": float(rng.choice([8, 10, 15, 20, 24])),
                                "contract": rng.choice(list(vocab.CONTRACTS)),
                                "start_date": start,
                                "created_by_id": None,
                                "created_at": created,
                            }
                        )
                        placement_needs.append({"placement_id": placement_id, "need_id": need_id})
                        self.placed.append(
                            (placement_id, chosen[0], need_id, company, leads[-1]["operator_id"])
                        )
                        for months in (1, 3, 6):
                            due = start + timedelta(days=30 * months)
                            done = due < self.today and rng.random() < 0.8
                            follow_ups.append(
                                {
                                    "placement_id": placement_id,
                                    "months": months,
                                    "due_on": due,
                                    "done_at": _moment(rng, due) if done else None,
                                    "holds": (rng.random() < 0.85) if done else None,
                                }
                            )
                        placement_id += 1
                    lead_id += 1
        if self.partners:
            for need_id, _company in self.needs_by_state.get("reoriente", []):
                state = _pick(rng, REFERRAL_STATES)
                created = _moment(rng, self.today - timedelta(days=rng.randint(1, 400)))
                referrals.append(
                    {
                        "id": referral_id,
                        "partner_id": rng.choice(self.partners),
                        "need_id": need_id,
                        "status": state,
                        "reasons": ["Besoin à temps plein : orienté vers le partenaire."],
                        "outcome": "Personne recrutée." if state == "close" else None,
                        "created_by_id": actor,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                self._log(
                    "referral", referral_id, ["envoyee", *REFERRAL_PATHS[state]], created, None
                )
                referral_id += 1
        _insert(self.session, Lead, leads)
        _insert(self.session, LeadNeed, lead_needs)
        _insert(self.session, LeadCandidate, lead_cands)
        _insert(self.session, Placement, placements)
        _insert(self.session, PlacementNeed, placement_needs)
        _insert(self.session, FollowUpPoint, follow_ups)
        _insert(self.session, Referral, referrals)
        return (
            len(leads) + len(lead_needs) + len(lead_cands) + len(placements)
            + len(placement_needs) + len(follow_ups) + len(referrals)
        )  # fmt: skip

    def transition_log(self) -> int:
        _insert(self.session, Transition, self.transitions)
        written, self.transitions = len(self.transitions), []
        return written


def seed_commitments(seeder: Seeder) -> int:
    """Part-time work the people hold (the ``commitment`` table), as a living platform has:

    - every placement recorded on the platform is a commitment of the person placed
      (``source="placement"``), on the need's days, labelled with the company and the
      operator, as ``workflows.leads`` records it;
    - the people "en mission" of the synthetic generator declared one or two jobs found
      elsewhere (``source="declared"``), some of them ending soon.

    Placements and people come from the phases before (``outcomes``, ``candidates``).
    """

    session, rng = seeder.session, seeder.rng
    operators = dict(session.execute(select(Operator.id, Operator.name)).all())
    placements = {
        row.id: row
        for row in session.execute(
            select(Placement.id, Placement.hours_per_week, Placement.start_date).where(
                Placement.id.in_([p[0] for p in seeder.placed])
            )
        )
    }
    first = _next_id(session, Commitment)
    rows = []
    for placement_id, candidate_id, need_id, company_id, operator_id in seeder.placed:
        placement = placements[placement_id]
        company = seeder.company_names.get(company_id, "")
        rows.append(
            {
                "id": first + len(rows),
                "candidate_id": candidate_id,
                "label": f"{company}, {operators.get(operator_id, '')}"[:200],
                "hours_per_week": placement.hours_per_week,
                "days": [d for d in vocab.DAYS if d in seeder.need_days.get(need_id, ())],
                "start": placement.start_date,
                "until": None,
                "source": "placement",
                "placement_id": placement_id,
                "created_by_id": None,
                "created_at": seeder.now,
                "updated_at": seeder.now,
            }
        )
    for candidate_id, held in seeder.held:
        for item in held:
            rows.append(
                {
                    "id": first + len(rows),
                    "candidate_id": candidate_id,
                    "label": rng.choice(HELD_WORK),
                    "hours_per_week": item.hours_per_week,
                    "days": [d for d in vocab.DAYS if d in item.days],
                    "start": None,
                    "until": item.until,
                    "source": "declared",
                    "placement_id": None,
                    "created_by_id": None,
                    "created_at": seeder.now,
                    "updated_at": seeder.now,
                }
            )
    _insert(session, Commitment, rows)
    seeder.held, seeder.placed = [], []
    return len(rows)


def reset_sequences(session: Session) -> None:
    """PostgreSQL: move each id sequence past the explicit ids written by the seeder."""
    if session.get_bind().dialect.name != "postgresql":
        return

    for table in Base.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608 — table names come from our own metadata, no input
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )


def run_seed(
    session: Session,
    *,
    candidates: int,
    needs: int,
    visits: int,
    companies: int,
    seed: int = 11,
    today: date | None = None,
) -> Iterator[dict]:
    """Seed the demo, then the benchmark rows; yield one record per timed phase."""

    today = today or clock.local_today()
    started = time.perf_counter()
    if session.scalar(select(Company.id).where(Company.ref.startswith(BENCH_PREFIX)).limit(1)):
        raise AlreadySeeded("La base contient déjà des données de mesure : partez d'une base vide.")

    def timed(phase: str, work: Callable[[], int]) -> dict:
        t0 = time.perf_counter()
        rows = work()
        session.flush()
        return {"metric": f"seed_{phase}_s", "value": round(time.perf_counter() - t0, 2),
                "unit": "s", "rows": rows}  # fmt: skip

    def demo() -> int:
        seed_demo(session, today=today)
        return 0

    yield timed("demo", demo)
    seeder = Seeder(session, seed=seed, today=today)
    yield timed("companies", lambda: seeder.companies(companies))
    yield timed("candidates", lambda: seeder.candidates(candidates))
    yield timed("visits", lambda: seeder.visits(visits))
    yield timed("needs", lambda: seeder.needs(needs))
    yield timed("outcomes", seeder.outcomes)
    yield timed("commitments", lambda: seed_commitments(seeder))
    yield timed("transitions", seeder.transition_log)
    t0 = time.perf_counter()
    reset_sequences(session)
    session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Rows just copied in are not yet marked visible to all in PostgreSQL's visibility
        # map: index-only scans would read the table for each (as until autovacuum came),
        # and the pages measured would not be those of a settled database. VACUUM runs
        # outside a transaction.
        with bind.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    else:
        session.execute(text("ANALYZE"))  # fresh planner statistics
        session.commit()
    yield {"metric": "seed_commit_s", "value": round(time.perf_counter() - t0, 2), "unit": "s"}
    yield {
        "metric": "seed_total_s",
        "value": round(time.perf_counter() - started, 2),
        "unit": "s",
        "database": session.get_bind().dialect.name,
        "candidates": candidates,
        "needs": needs,
        "visits": visits,
        "companies": companies,
    }
