"""The demo: a valid interchange document, seeded once, with an account per role that logs in."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, time

import pytest
from flask import url_for
from sqlalchemy import func, select
from stdnum.fr import siret as siret_check

from connectences import vocab
from connectences.accounts import public_animateurs
from connectences.clock import LOCAL_TZ
from connectences.cvtheque.erase import ON_REQUEST, erase_candidate
from connectences.demo import build_demo_document, build_demo_visits, demo_accounts, seed_demo
from connectences.demo.candidates import AROUND_COMMUNE_WEIGHTS
from connectences.demo.events import EVENTS
from connectences.events import attendance, catalogue, registrations
from connectences.exchange import validate
from connectences.extensions import db
from connectences.matching.open_bundles import open_need_bundles
from connectences.models import (
    Candidate,
    Company,
    Event,
    EventRegistration,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Testimonial,
    User,
    Visit,
)
from connectences.skills.taxonomy import rome_codes
from connectences.territory import PAYS_EPCIS, in_pays, pays_communes
from connectences.web.access import ROLE_HOME
from connectences.workflows import NEED_SEARCHING
from tests.helpers import page_text

TODAY = date(2027, 1, 4)


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            Operator,
            Partner,
            Company,
            Need,
            Candidate,
            Visit,
            User,
            Event,
            EventRegistration,
        )
    }


@pytest.fixture(scope="module")
def document():
    return build_demo_document(today=TODAY)


def test_the_demo_document_is_valid_interchange(document):
    assert validate(document) == []
    assert document["format"] == "connectences/v1.1"


def test_some_demo_people_hold_commitments_and_one_has_a_week_to_complete(document):
    holding = [c for c in document["candidates"] if c.get("commitments")]
    assert len(holding) >= 5
    assert all(c["status"] == "en_mission" for c in holding)
    assert {len(c["commitments"]) for c in holding} == {1, 2}
    showcase = document["candidates"][0]
    assert showcase["commitments"][0]["days"] == ["tue"]
    # Free time left: more hours than held, and free days.
    for c in holding:
        held = sum(k["hours_per_week"] for k in c["commitments"])
        taken = {d for k in c["commitments"] for d in k["days"]}
        assert held <= c["hours_max"] - 4 and set(c["days"]) - taken


def test_the_demo_document_is_deterministic():
    first = build_demo_document(seed=7, today=TODAY)
    assert json.dumps(first) == json.dumps(build_demo_document(seed=7, today=TODAY))
    assert json.dumps(first) != json.dumps(build_demo_document(seed=8, today=TODAY))


def test_companies_are_tpes_of_the_pays_with_valid_unique_sirets(document):
    companies = document["companies"]
    assert len(companies) >= 40
    sirets = [c["siret"] for c in companies]
    assert all(siret_check.is_valid(s) for s in sirets)
    assert len(set(sirets)) == len(sirets)
    assert all(in_pays(c["commune"]) for c in companies)
    # Every commune of the Pays has at least one company, and they are small.
    assert {c["commune"] for c in companies} == {c.insee for c in pays_communes()}
    assert all(0 < c["employees"] < 20 for c in companies)
    assert Counter(c["naf"] for c in companies)["03.21Z"] >= 3  # oyster farms


def test_operators_and_partners_cover_the_kinds_the_territory_has(document):
    ge, cadres = document["operators"]
    assert ge["kind"] == "groupement_employeurs"
    assert set(ge["epcis"]) == set(PAYS_EPCIS)
    assert cadres["kind"] == "cadres_temps_partage"
    assert set(cadres["levels"]) == {"technicien", "cadre"}
    kinds = {p["kind"] for p in document["partners"]}
    assert {"france_travail", "mission_locale", "cap_emploi", "interim", "cci"} <= kinds


def test_needs_and_candidates_look_like_real_ones(document):
    needs, candidates = document["needs"], document["candidates"]
    assert len(needs) == 60
    assert len(candidates) == 150
    titles = {n["title"] for n in needs}
    assert len(titles) >= 40  # written in many ways, not one template
    assert len({(n["company"], n["title"]) for n in needs}) == len(needs)  # no duplicate
    assert any("rome" not in n for n in needs)
    assert sum("rome" in n for n in needs) > len(needs) / 2
    assert {n["contract"] for n in needs} == set(vocab.CONTRACTS)
    # Part-time work dominates, with some full-time needs to re-orient.
    assert sum(n["hours_per_week"] < 35 for n in needs) > 40
    assert any(n["hours_per_week"] >= 35 for n in needs)

    assert len({c["email"] for c in candidates}) == len(candidates)
    assert all(c["email"].endswith("@exemple.fr") for c in candidates)
    from_around = [c for c in candidates if c["commune"] in AROUND_COMMUNE_WEIGHTS]
    assert 10 < len(from_around) < 75
    assert any("rome" not in c for c in candidates)
    sources = {c["source"] for c in candidates}
    assert {"forum", "job dating", "permanence", "réseaux sociaux"} <= sources
    # Skills as people type them: some without their accents, some in capitals.
    skills = [s for c in candidates for s in c["skills"]]
    assert any(s.isupper() and len(s) > 4 for s in skills)
    assert "compta generale" in skills or "saisie compta" in skills


def test_every_rome_code_of_the_demo_is_in_the_taxonomy(document):
    codes = {n["rome"] for n in document["needs"] if "rome" in n}
    codes |= {code for c in document["candidates"] for code in c.get("rome", [])}
    assert len(codes) >= 25
    assert sorted(codes - set(rome_codes())) == []


def test_visits_cover_every_company_and_follow_the_vocabularies(document):
    visits = build_demo_visits(document, today=TODAY)
    assert len(visits) == 100
    assert {v["company"] for v in visits} == {c["ref"] for c in document["companies"]}
    assert {v["channel"] for v in visits} <= set(vocab.VISIT_CHANNELS)
    assert {v["outcome"] for v in visits} <= set(vocab.VISIT_OUTCOMES)
    assert all(set(v["topics"]) <= set(vocab.VISIT_TOPICS) and v["topics"] for v in visits)
    assert all(v["visited_on"] < TODAY for v in visits)
    refusing = {c["ref"] for c in document["companies"] if c.get("do_not_solicit")}
    assert refusing
    for ref in refusing:
        last = [v for v in visits if v["company"] == ref][-1]
        assert last["outcome"] == "ne_plus_solliciter"
    assert any(v["follow_up_on"] and not v["follow_up_closed"] for v in visits)


def test_the_command_seeds_the_demo_once_and_prints_the_accounts(app, runner, document):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    first = _counts()
    assert first["company"] >= 40
    assert first["need"] == 60
    assert first["candidate"] == 150
    assert first["visit"] == 100
    assert first["user"] == 7
    assert first["operator"] == 2 and first["partner"] == 5
    for account in demo_accounts(build_demo_document()):
        assert account.email in result.output
        assert account.password in result.output
    assert "/connexion" in result.output
    # Seeded on the day it is run: the public list of events has something to show.
    assert first["event"] == len(EVENTS) and first["event_registration"] > 50
    page = app.test_client().get("/evenements").get_data(as_text=True)
    upcoming = [spec.title for spec in EVENTS if spec.days_from_today > 0]
    assert len(upcoming) == 4 and all(title.replace("'", "&#39;") in page for title in upcoming)

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert _counts() == first
    assert "mot de passe n'a pas été modifié" in again.output


def test_a_demo_person_erased_stays_erased_when_the_demo_is_seeded_again(app, runner):
    # bin/run seeds the demo at each start: the showcase person who erased their
    # profile (or whom the retention rules deleted) must not come back with it.
    assert runner.invoke(args=["demo"]).exit_code == 0
    showcase = build_demo_document()["candidates"][0]
    person = db.session.scalar(select(Candidate).where(Candidate.ref == showcase["ref"]))
    erase_candidate(db.session, person, reason=ON_REQUEST)
    db.session.commit()
    before = _counts()

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert _counts() == before
    assert db.session.scalar(select(Candidate).where(Candidate.ref == showcase["ref"])) is None
    assert db.session.scalar(select(User).where(User.email == showcase["email"])) is None
    assert showcase["email"] not in again.output


def test_the_command_refuses_a_production_install(app, runner):
    app.config["CONNECTENCES_ENV"] = "production"
    try:
        result = runner.invoke(args=["demo"])
    finally:
        app.config["CONNECTENCES_ENV"] = "development"
    assert result.exit_code != 0
    assert "production" in result.output
    assert _counts()["company"] == 0


def test_seeding_links_accounts_and_visits_to_the_demo_records():
    summary = seed_demo(db.session, today=TODAY)
    assert len(summary.created_accounts) == 7 and summary.created_visits == 100
    users = {u.role: u for u in db.session.scalars(select(User))}
    assert set(users) == set(vocab.ROLES)
    assert users["operator"].operator.ref == "ge-bassin-emploi"
    assert users["partner"].partner.kind == "france_travail"
    assert [c.name for c in users["company"].companies] == ["Au Fournil d'Andernos"]
    assert users["territoire"].epci_siren == "243300563"
    candidate = db.session.get(Candidate, users["candidate"].candidate_id)
    assert candidate.email == users["candidate"].email
    animateur = users["animateur"]
    # The public home names the demo's animateur with a work phone to call.
    assert [(u.full_name, u.phone) for u in public_animateurs(db.session)] == [
        ("Marc Dulucq", animateur.phone)
    ] and animateur.phone
    assert (
        db.session.scalar(select(func.count(Visit.id)).where(Visit.animateur_id == animateur.id))
        == 100
    )
    # Needs detected on a visit point back to it.
    linked = db.session.scalars(select(Need).where(Need.visit_id.is_not(None))).all()
    assert len(linked) >= 20
    for need in linked:
        visit = db.session.get(Visit, need.visit_id)
        assert visit.company_id == need.company_id
        assert need.created_at.date() == visit.visited_on
    # The register looks lived-in: needs and people arrived over months, not all today.
    need_days = {n.created_at.date() for n in db.session.scalars(select(Need))}
    assert len(need_days) > 20 and max(need_days) < TODAY
    joined = {c.created_at.date() for c in db.session.scalars(select(Candidate))}
    assert len(joined) > 50

    # Some companies have their own switchboard and website, stored as the forms store them.
    companies = db.session.scalars(select(Company)).all()
    phones = [c.phone for c in companies if c.phone]
    sites = [c.website for c in companies if c.website]
    assert len(companies) > len(phones) >= 10 and len(companies) > len(sites) >= 5
    assert all(len(p) == 10 and p.startswith("053649") for p in phones)
    assert all(s.startswith("https://www.") and s.endswith(".example") for s in sites)

    again = seed_demo(db.session, today=TODAY)
    assert again.created_accounts == [] and again.created_visits == 0
    assert again.counts == summary.counts


def test_each_demo_testimonial_tells_of_a_need_it_fits():
    seed_demo(db.session, today=TODAY)
    told = {t.body.split(".")[0]: t for t in db.session.scalars(select(Testimonial))}
    accounting = told["Je faisais la comptabilité le soir"]
    season = told[
        "Pour la saison, l'animateur nous a mis en relation avec la Mission Locale : deux jeunes recrutés en quinze jours"
    ]
    # The title names the need: the accounting story is a need for accounting, the
    # season one a seasonal need (the first two needs were a cook's and a cleaner's).
    assert accounting.need.rome == "M1203" and season.need.contract == "saisonnier"
    for testimonial in (accounting, season):
        assert testimonial.title == f"« {testimonial.need.title} » : un besoin résolu"


def test_each_demo_account_logs_in_and_lands_on_its_home(app):
    # One seeding for the seven accounts: seeding is the slow part.
    seed_demo(db.session, today=TODAY)
    accounts = demo_accounts(build_demo_document(today=TODAY))
    assert sorted(a.role for a in accounts) == sorted(vocab.ROLES)
    with app.test_request_context():
        login_url = url_for("auth.login")
        homes = {role: url_for(endpoint) for role, endpoint in ROLE_HOME.items()}
    landed = {}
    for account in accounts:
        client = app.test_client()  # a fresh browser per account
        response = client.post(
            login_url,
            data={"email": account.email, "password": account.password},
            follow_redirects=True,
        )
        landed[account.role] = (response.status_code, response.request.path)
    assert landed == {role: (200, homes[role]) for role in vocab.ROLES}


def test_the_demo_shows_a_shared_time_post_to_propose_and_others_to_qualify(app):
    """Every third need qualified left each demo post of « Postes en temps partagé » a need
    still new, and a post's proposal form shows only once all its needs are qualified: a
    person trying the demo never saw it. The best post someone fits is now qualified;
    the others still lead to their needs' qualification."""
    seed_demo(db.session, today=TODAY)
    posts = open_need_bundles(db.session).bundles
    status = dict(db.session.execute(select(Need.ref, Need.status)).all())
    ready = [p for p in posts if all(status[ref] in NEED_SEARCHING for ref in p.needs)]
    assert next(p for p in posts if p.candidates) in ready
    assert len(ready) < len(posts)
    [animateur] = [
        a for a in demo_accounts(build_demo_document(today=TODAY)) if a.role == "animateur"
    ]
    client = app.test_client()
    with app.test_request_context():
        login_url, posts_url = url_for("auth.login"), url_for("bundles.index")
    client.post(login_url, data={"email": animateur.email, "password": animateur.password})
    page = page_text(client.get(posts_url))
    assert "Proposer ce poste en temps partagé" in page
    assert re.search(r"Qualifier « [^»]+ » \(", page)


def test_the_demo_events_show_a_waiting_list_a_last_seat_and_an_attendance():
    seed_demo(db.session, today=TODAY)
    the_day = datetime.combine(TODAY, time(8, 0), tzinfo=LOCAL_TZ)
    events = {e.title: e for e in db.session.scalars(select(Event))}
    assert set(events) == {spec.title for spec in EVENTS}
    coming = catalogue.upcoming(db.session, now=the_day)
    assert len(coming) == 4 and {e.kind for e in coming} >= {"job_dating", "reunion_information"}
    assert all(e.starts_at.astimezone(LOCAL_TZ).weekday() < 5 for e in events.values())
    by_kind = {}
    for event in coming:
        seats = registrations.seats_taken(db.session, event)
        by_kind[event.title] = (
            event.capacity - seats,
            registrations.waiting_count(db.session, event),
        )
    # The owners' meeting is full with two waiting (one seated cancelled: the first
    # waiting took the seat); the season's job dating has one seat left.
    meeting, dating = EVENTS[2].title, EVENTS[0].title
    assert by_kind[meeting] == (0, 2) and by_kind[dating] == (1, 0)
    statuses = [r.status for r in db.session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == events[meeting].id)
    )]  # fmt: skip
    assert statuses.count(catalogue.CANCELLED) == 1
    # Companies registered with their SIRET are on their timeline.
    assert any(r.company_id for r in registrations.attendees(db.session, events[meeting]))

    held = events[EVENTS[4].title]
    assert held.ends_at < the_day and held.attendance_at is not None
    people = registrations.attendees(db.session, held)
    assert attendance.summary(held, people) == attendance.Attendance(20, 6, 7)
    # Nothing seeded happens after the day before the demo's, and no registrant is one
    # of the demo's accounts (whose registration is for the visitor to try).
    seeded = db.session.scalars(select(EventRegistration)).all()
    assert max(r.confirmed_at for r in seeded) < the_day
    assert max(e.created_at for e in events.values()) < the_day
    # People registered after the event was announced, by day (not at 4 a.m.).
    assert all(r.created_at >= r.event.created_at for r in seeded)
    assert {r.created_at.astimezone(LOCAL_TZ).hour for r in seeded} <= set(range(8, 21))
    accounts = {a.email for a in demo_accounts(build_demo_document(today=TODAY))}
    assert not accounts & {r.email for r in seeded}
    # Their mails belong to that past: none is queued to leave now.
    assert not db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.kind.like("event_%"))
    )

    before = _counts()
    seed_demo(db.session, today=TODAY)
    assert _counts() == before
