"""A small territory whose observatory figures were counted by hand (see each test).

COBAS (Arcachon, La Teste-de-Buch, Gujan-Mestras) with companies A, B, C and E, and one
company D in the COBAN (Andernos) whose need and visit must never be counted for the COBAS.

    need  company  job    hours  received    history (transition log)
    n1    A        M1203   7     02/03/2026  qualifié 04/03, proposé 12/03 (poste partagé,
                                             O1, accepté 13/03, placé), pourvu 01/04
    n2    A        G1602  14     10/03/2026  abandonné 20/03 (budget)
    n3    B        M1203  10     05/04/2026  qualifié 06/04, réorienté 10/04 (France Travail)
    n4    C        M1607  20     20/05/2026  nouveau
    n5    B        G1602   8     25/05/2026  qualifié 26/05, proposé 28/05 (O1, accepté 30/05)
    n6    D        M1203   5     01/04/2026  (COBAN)
    n7    A        M1203   5     01/04/2026  posted by the company, never confirmed
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from connectences.extensions import db
from connectences.models import (
    Candidate,
    Commitment,
    Company,
    CompanyMailing,
    FollowUpPoint,
    Lead,
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
from tests import factories

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
ANDERNOS = "33005"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


def _company(ref, commune, naf, employees) -> Company:
    siret = factories.make_siret()
    company = Company(
        ref=ref,
        name=f"Entreprise {ref}",
        siret=siret,
        siren=siret[:9],
        commune=commune,
        naf=naf,
        employees=employees,
    )
    db.session.add(company)
    return company


def _need(company, rome, hours, received, *, log=(), **extra) -> Need:
    need = factories.need_row(
        company,
        ref=f"besoin-{company.ref}-{received}-{rome}",
        rome=rome,
        hours_per_week=hours,
        created_at=at(received),
        **extra,
    )
    db.session.add(need)
    db.session.flush()
    state = None
    for day, to_state, *reason in [(received, "nouveau"), *log]:
        db.session.add(
            Transition(
                entity="need",
                entity_id=need.id,
                from_state=state,
                to_state=to_state,
                reason_code=reason[0] if reason else None,
                at=at(day),
            )
        )
        state = to_state
    need.status = state
    return need


def build() -> dict:
    """The territory above, committed; returns its records by name."""
    a = _company("a", factories.ARCACHON, "56.10A", 3)
    b = _company("b", factories.LA_TESTE, "47.11B", 8)
    c = _company("c", factories.GUJAN, "56.10A", 12)
    d = _company("d", ANDERNOS, "43.21A", 2)
    e = _company("e", factories.LA_TESTE, "56.30Z", 2)
    db.session.flush()
    n1 = _need(
        a,
        "M1203",
        7,
        "2026-03-02",
        shared_time=True,
        log=[("2026-03-04", "qualifie"), ("2026-03-12", "propose"), ("2026-04-01", "pourvu")],
    )
    n2 = _need(
        a,
        "G1602",
        14,
        "2026-03-10",
        reason="pic_activite",
        contract="cdd",
        log=[("2026-03-20", "abandonne", "budget")],
    )
    n3 = _need(
        b,
        "M1203",
        10,
        "2026-04-05",
        skills=["facturation"],
        log=[("2026-04-06", "qualifie"), ("2026-04-10", "reoriente")],
    )
    n4 = _need(c, "M1607", 20, "2026-05-20", level="non_qualifie")
    n5 = _need(
        b,
        "G1602",
        8,
        "2026-05-25",
        log=[("2026-05-26", "qualifie"), ("2026-05-28", "propose")],
    )
    _need(d, "M1203", 5, "2026-04-01")
    _need(a, "M1203", 5, "2026-04-01", source="entreprise")

    operator = Operator(
        ref="o1", name="Groupement O1", kind="groupement_employeurs", email="o1@x.fr"
    )
    partner = Partner(ref="p1", name="Agence FT", kind="france_travail", email="ft@x.fr")
    db.session.add_all([operator, partner])
    db.session.flush()
    bundle = Lead(
        operator_id=operator.id, is_bundle=True, status="place", created_at=at("2026-03-12")
    )
    single = Lead(operator_id=operator.id, status="accepte", created_at=at("2026-05-28"))
    db.session.add_all([bundle, single])
    db.session.flush()
    db.session.add_all(
        [
            LeadNeed(lead_id=bundle.id, need_id=n1.id),
            LeadNeed(lead_id=single.id, need_id=n5.id),
            Transition(
                entity="lead",
                entity_id=bundle.id,
                from_state="vu",
                to_state="accepte",
                at=at("2026-03-13"),
            ),
            Transition(
                entity="lead",
                entity_id=single.id,
                from_state="vu",
                to_state="accepte",
                at=at("2026-05-30"),
            ),
            Referral(
                partner_id=partner.id, need_id=n3.id, status="recue", created_at=at("2026-04-10")
            ),
        ]
    )
    person = Candidate(
        ref="cv-x",
        first_name="Camille",
        last_name="Placée",
        email="camille.placee@exemple.fr",
        commune=factories.LA_TESTE,
        mobility_km=20,
        rome=["M1203"],
        level="employe_qualifie",
        hours_min=7,
        hours_max=35,
        days=["tue"],
        contracts=["cdi"],
        available_from=date(2026, 1, 1),
        status="en_mission",
        consent=True,
        email_confirmed_at=at("2026-01-02"),
    )
    db.session.add(person)
    db.session.flush()
    from connectences.cvtheque.profile import set_skills

    set_skills(person, ["saisie comptable", "facturation"])
    placement = Placement(
        lead_id=bundle.id,
        candidate_id=person.id,
        hours_per_week=7,
        contract="cdi",
        start_date=date(2026, 4, 1),
        created_at=at("2026-04-01"),
    )
    db.session.add(placement)
    db.session.flush()
    db.session.add_all(
        [
            PlacementNeed(placement_id=placement.id, need_id=n1.id),
            FollowUpPoint(placement_id=placement.id, months=1, due_on=date(2026, 5, 1), done_at=at("2026-05-02"), holds=True),
            FollowUpPoint(placement_id=placement.id, months=3, due_on=date(2026, 7, 1), done_at=at("2026-06-01"), holds=False),
            FollowUpPoint(placement_id=placement.id, months=6, due_on=date(2026, 10, 1)),
            Commitment(candidate_id=person.id, hours_per_week=7, days=["tue"], source="placement", placement_id=placement.id),
        ]
    )  # fmt: skip
    lea = User(email="lea@x.fr", role="animateur", full_name="Léa Martin")
    hugo = User(email="hugo@x.fr", role="animateur", full_name="Hugo Petit")
    db.session.add_all([lea, hugo])
    db.session.flush()
    db.session.add_all(
        [
            Visit(company_id=a.id, animateur_id=lea.id, channel="porte_a_porte", visited_on=date(2026, 3, 1)),
            Visit(company_id=a.id, animateur_id=lea.id, channel="telephone", visited_on=date(2026, 4, 1)),
            Visit(company_id=b.id, animateur_id=hugo.id, channel="porte_a_porte", visited_on=date(2026, 5, 1)),
            Visit(company_id=d.id, animateur_id=hugo.id, channel="porte_a_porte", visited_on=date(2026, 5, 1)),
            CompanyMailing(company_id=e.id, subject="Lettre", sent_at=at("2026-05-05")),
        ]
    )  # fmt: skip
    db.session.commit()
    return {"needs": [n1, n2, n3, n4, n5], "companies": [a, b, c, d, e]}
