"""Property tests of object-level access: for generated organisations, users and records,
nobody reaches a record outside their scope, and everyone reaches what is theirs.

Each example builds a small world in the database (operators, partners, companies in
communes of several intercommunalities, people, needs, leads in any state, referrals,
users of every role, some disabled), then compares each access function with the rule
written out here from the plain generated data.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectences.accounts.passwords import hash_password
from connectences.accounts.scope import (
    may_open_company,
    may_open_lead,
    may_open_referral,
    observatory_scope,
)
from connectences.cvtheque.access import may_read_cv
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Commune,
    Company,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    Operator,
    Partner,
    Referral,
    User,
)
from connectences.observatory import figures
from connectences.vocab import LEAD_STATUSES, REFERRAL_STATUSES
from tests import factories
from tests.helpers import api_token_of, empty_domain_tables
from tests.known_secrets import PASSWORD

# Property tests over many generated worlds: seconds each.
pytestmark = pytest.mark.slow

# The policy, as the privacy notice states it: an operator reads a person's CV once
# it has taken on a lead naming them.
CV_STATES = {"accepte", "en_cours", "place"}
EPCIS = (factories.COBAS, factories.COBAN, factories.VAL_DE_L_EYRE)
ROLES = ("admin", "animateur", "operator", "partner", "company", "candidate", "territoire")

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The password of the accounts built here, hashed once (none of them logs in by it).
OPENED_ACCOUNT = hash_password(PASSWORD)


@st.composite
def worlds(draw):
    n_ops = draw(st.integers(1, 3))
    n_partners = draw(st.integers(1, 2))
    n_companies = draw(st.integers(1, 4))
    n_people = draw(st.integers(1, 4))
    companies = [draw(st.integers(0, 5)) for _ in range(n_companies)]  # commune slot
    needs = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_companies - 1),  # company
                st.one_of(st.none(), st.integers(0, 5)),  # own place of work, or the company's
                st.booleans(),  # posted by the company and never confirmed
            ),
            min_size=1,
            max_size=6,
        )
    )
    leads = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_ops - 1),
                st.sampled_from(sorted(LEAD_STATUSES)),
                st.sets(st.integers(0, len(needs) - 1), min_size=1, max_size=2),
                st.sets(st.integers(0, n_people - 1), max_size=3),
            ),
            max_size=5,
        )
    )
    referrals = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_partners - 1),
                st.integers(0, len(needs) - 1),
                st.sampled_from(sorted(REFERRAL_STATUSES)),
            ),
            max_size=3,
        )
    )
    users = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ROLES),
                st.integers(0, 5),  # which organisation (modulo how many there are)
                st.booleans(),  # active
                st.sets(st.integers(0, n_companies - 1), max_size=2),  # owned companies
            ),
            min_size=1,
            max_size=6,
        )
    )
    return {
        "n_ops": n_ops,
        "n_partners": n_partners,
        "companies": companies,
        "n_people": n_people,
        "needs": needs,
        "leads": leads,
        "referrals": referrals,
        "users": users,
    }


def _communes() -> list[Commune]:
    """Two communes of each intercommunality of the Pays, in a fixed order."""
    out = []
    for siren in EPCIS:
        out += db.session.scalars(
            select(Commune).where(Commune.epci_siren == siren).order_by(Commune.insee).limit(2)
        ).all()
    assert len(out) == 6
    return out


def _build(world, communes):
    """Store the world; return its records in the generated order."""
    s = db.session
    ops = [
        Operator(ref=f"op{i}", name=f"Op {i}", kind="geiq", email=f"op{i}@exemple.fr")
        for i in range(world["n_ops"])
    ]
    partners = [
        Partner(ref=f"pa{i}", name=f"Pa {i}", kind="plie", email=f"pa{i}@exemple.fr")
        for i in range(world["n_partners"])
    ]
    companies = []
    for i, slot in enumerate(world["companies"]):
        siret = factories.make_siret(700 + i)
        companies.append(
            Company(
                ref=f"co{i}",
                name=f"Co {i}",
                siret=siret,
                siren=siret[:9],
                commune=communes[slot].insee,
            )
        )
    people = [
        Candidate(
            ref=f"p{i}",
            first_name="Camille",
            last_name=f"P{i}",
            email=f"p{i}@exemple.fr",
            commune=factories.LA_TESTE,
            mobility_km=10,
            level="technicien",
            hours_min=5,
            hours_max=20,
            available_from=date(2027, 1, 4),
            consent=True,
        )
        for i in range(world["n_people"])
    ]
    s.add_all(ops + partners + companies + people)
    s.flush()
    needs = []
    for i, (company, place, unconfirmed) in enumerate(world["needs"]):
        needs.append(
            Need(
                ref=f"n{i}",
                company_id=companies[company].id,
                commune=communes[place].insee if place is not None else None,
                title="Besoin",
                level="technicien",
                hours_per_week=7,
                contract="cdd",
                reason="temps_partiel",
                start=date(2027, 2, 1),
                source="entreprise" if unconfirmed else "animateur",
            )
        )
    s.add_all(needs)
    s.flush()
    leads = []
    for op, status, need_ids, person_ids in world["leads"]:
        lead = Lead(operator_id=ops[op].id, status=status)
        lead.needs = [LeadNeed(need_id=needs[n].id) for n in sorted(need_ids)]
        lead.candidates = [LeadCandidate(candidate_id=people[p].id) for p in sorted(person_ids)]
        leads.append(lead)
    referrals = [
        Referral(partner_id=partners[p].id, need_id=needs[n].id, status=status)
        for p, n, status in world["referrals"]
    ]
    s.add_all(leads + referrals)
    users = []
    for i, (role, org, active, owned) in enumerate(world["users"]):
        # Accounts opened (a password chosen): a token of an invitation never accepted
        # opens nothing, whatever its role (tested in test_web_api_tokens).
        user = User(
            email=f"u{i}@exemple.fr", role=role, active=active, password_hash=OPENED_ACCOUNT
        )
        if role == "operator":
            user.operator_id = ops[org % len(ops)].id
        elif role == "partner":
            user.partner_id = partners[org % len(partners)].id
        elif role == "company":
            user.companies = [companies[c] for c in sorted(owned)]
        elif role == "territoire":
            user.epci_siren = EPCIS[org % len(EPCIS)]
        elif role == "candidate":
            user.candidate_id = people[org % len(people)].id
        users.append(user)
    s.add_all(users)
    s.commit()
    return ops, partners, companies, people, needs, leads, referrals, users


@PROPERTY_SETTINGS
@given(world=worlds())
def test_nobody_reaches_a_record_outside_their_scope(world):
    communes = _communes()
    try:
        ops, partners, companies, people, needs, leads, referrals, users = _build(world, communes)
        for user, (role, _org, active, owned) in zip(users, world["users"], strict=True):
            staff = active and role in ("admin", "animateur")
            # Leads: staff, or a member of the operator the lead went to.
            for lead, (op, status, _n, person_ids) in zip(leads, world["leads"], strict=True):
                mine = active and role == "operator" and user.operator_id == ops[op].id
                assert may_open_lead(user, lead) is (staff or mine)
            # Referrals: staff, or a member of the partner it went to.
            for referral, (p, _n, _s) in zip(referrals, world["referrals"], strict=True):
                mine = active and role == "partner" and user.partner_id == partners[p].id
                assert may_open_referral(user, referral) is (staff or mine)
            # Companies (and their needs): staff, or the accounts of their owners.
            for index, company in enumerate(companies):
                mine = active and role == "company" and index in owned
                assert may_open_company(user, company) is (staff or mine)
            # CVs: staff, or an operator whose taken-on lead names the person.
            for index, person in enumerate(people):
                taken_on = [
                    leads[k]
                    for k, (op, status, _n, person_ids) in enumerate(world["leads"])
                    if status in CV_STATES
                    and index in person_ids
                    and role == "operator"
                    and user.operator_id == ops[op].id
                ]
                expected = staff or (active and bool(taken_on))
                assert may_read_cv(db.session, user, person.id) is expected
                for lead in leads:
                    assert may_read_cv(db.session, user, person.id, lead_id=lead.id) is (
                        staff or (active and lead in taken_on)
                    )
            # The observatory: one intercommunality, the territory officer's own.
            scope = observatory_scope(user)
            assert scope == (user.epci_siren if active and role == "territoire" else None)
    finally:
        empty_domain_tables()


@PROPERTY_SETTINGS
@given(world=worlds())
def test_the_observatory_counts_only_the_needs_of_its_own_intercommunality(world):
    communes = _communes()
    epci_of = {c.insee: c.epci_siren for c in communes}
    name_of = {c.insee: c.name for c in communes}
    try:
        _, _, companies, _, needs, _, _, _ = _build(world, communes)
        now = datetime(2030, 1, 1)
        for siren in EPCIS:
            counted = [
                need
                for need, (company, place, unconfirmed) in zip(needs, world["needs"], strict=True)
                if not unconfirmed
                and epci_of[
                    communes[place].insee if place is not None else companies[company].commune
                ]
                == siren
            ]
            seen = figures.observatory(db.session, siren, "tout", now=now)
            assert seen.total == len(counted)
            assert seen.companies == len({need.company_id for need in counted})
            assert {name for name, _ in seen.by_commune} <= {
                name_of[insee] for insee, epci in epci_of.items() if epci == siren
            }
            assert sum(count for _, count in seen.by_commune) == len(counted)
    finally:
        empty_domain_tables()


@PROPERTY_SETTINGS
@given(world=worlds())
def test_api_tokens_reach_exactly_what_their_owner_reaches_on_the_web(app, world):
    """A personal API token opens the records of its owner's scope and nothing else: the
    staff every need, lead and referral, a company account its own companies' needs (as
    its area shows them: not one whose address nobody confirmed), an operator its leads,
    a partner its referrals, other roles none; a disabled owner's token opens nothing;
    candidates (in matches) only for the staff."""
    communes = _communes()
    client = app.test_client()
    try:
        ops, partners, companies, _, needs, leads, referrals, users = _build(world, communes)
        issuer = User(email="emetteur@exemple.fr", role="admin", active=True)
        db.session.add(issuer)
        secrets: list[str] = []
        for user in users:
            active = user.active
            user.active = True  # tokens are issued to active accounts only
            secret = api_token_of(user, actor=issuer)
            user.active = active
            secrets.append(secret)
        db.session.commit()
        company_of = {need.id: world["needs"][i][0] for i, need in enumerate(needs)}
        # A need sent on the public form whose address nobody confirmed is no company's:
        # its area does not show it, and neither does its token (nobody here sent it).
        unconfirmed = {need.id for i, need in enumerate(needs) if world["needs"][i][2]}
        for secret, user, (role, _org, active, owned) in zip(
            secrets, users, world["users"], strict=True
        ):
            headers = {"Authorization": f"Bearer {secret}"}
            staff = active and role in ("admin", "animateur")
            # Leads: staff, or a member of the operator each went to; referrals likewise
            # for partners (the list, then each record).
            for kind, rows, generated, member, owner_of in (
                ("leads", leads, world["leads"], "operator", lambda g: ops[g[0]].id),
                (
                    "referrals",
                    referrals,
                    world["referrals"],
                    "partner",
                    lambda g: partners[g[0]].id,
                ),
            ):
                listed = client.get(f"/api/v1/{kind}", query_string={"limit": 200}, headers=headers)
                reached = {
                    str(row.id)
                    for row, g in zip(rows, generated, strict=True)
                    if staff
                    or (active and role == member and getattr(user, f"{member}_id") == owner_of(g))
                }
                if not active:
                    assert listed.status_code == 401
                elif staff or role == member:
                    assert {i["ref"] for i in listed.get_json()["items"]} == reached, kind
                else:
                    assert listed.status_code == 403
                for row in rows:
                    one = client.get(f"/api/v1/{kind}/{row.id}", headers=headers)
                    assert (one.status_code == 200) is (str(row.id) in reached), (kind, role)
            listed = client.get("/api/v1/needs", query_string={"limit": 200}, headers=headers)
            if not active:
                assert listed.status_code == 401
            elif staff or role == "company":
                expected = {
                    need.ref
                    for need in needs
                    if staff or (company_of[need.id] in owned and need.id not in unconfirmed)
                }
                assert listed.status_code == 200
                assert {item["ref"] for item in listed.get_json()["items"]} == expected
            else:
                assert listed.status_code == 403
            for need in needs:
                one = client.get(f"/api/v1/needs/{need.ref}", headers=headers)
                mine = (
                    active
                    and role == "company"
                    and company_of[need.id] in owned
                    and need.id not in unconfirmed
                )
                assert (one.status_code == 200) is (staff or mine), (role, active, need.ref)
                matches = client.get(f"/api/v1/needs/{need.ref}/matches", headers=headers)
                assert (matches.status_code == 200) is staff, (role, active, need.ref)
    finally:
        empty_domain_tables()
