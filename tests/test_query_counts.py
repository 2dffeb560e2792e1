"""Query discipline: no page issues a number of SQL queries that grows with its rows.

Each page is read three times by the same user: once on a small platform, then twice
after rows of every kind were added (more companies, people, needs, visits, leads, referrals,
placements; and on the record pages, more visits, needs, candidates, events and log
lines of the one record shown). The number of statements sent to the database
(counted by an engine event) must not change: a loop that loads a relation row by
row (N+1) would add one statement per row.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from connectences import clock
from connectences.bench.seed import Seeder, reset_sequences
from connectences.contacts import clean_phone, clean_website
from connectences.extensions import db
from connectences.models import (
    CallbackRequest,
    Candidate,
    CandidateEvent,
    Commitment,
    Company,
    CompanyContact,
    CompanyMailing,
    Diagnosis,
    Lead,
    LeadCandidate,
    LeadNeed,
    Need,
    NewsletterDelivery,
    NewsletterIssue,
    Operator,
    Partner,
    Referral,
    Resource,
    Testimonial,
    Transition,
    User,
    Visit,
)
from tests import factories
from tests.helpers import make_company, recorded_statements

SMALL, GROWTH = 2, 8
# Every state in turn: each list (new, waiting, placed, re-oriented...) has rows.
STATES = ["propose", "pourvu", "reoriente", "en_recherche", "qualifie", "nouveau"]
MATCH_NEED = "besoin-requetes"
_PEOPLE = itertools.count(1)


def _grow(seeder: Seeder, k: int, n_matchable: int) -> None:
    """Add k rows of each kind, then gather the children of each shown record on it."""
    seeder.companies(k)
    seeder.candidates(k)
    seeder.visits(k)
    seeder.needs(len(STATES) * k, cycle=STATES)
    seeder.outcomes()
    seeder.transition_log()
    reset_sequences(db.session)  # PostgreSQL: rows added below take ids after the seeded ones
    company = db.session.scalar(select(Company).where(Company.ref.like("bench-%")).limit(1))
    db.session.execute(update(Visit).values(company_id=company.id))
    for i in range(k):
        db.session.add(
            CompanyContact(company_id=company.id, name=f"Contact {i}", phone="0556000000")
        )
    db.session.execute(update(Need).where(Need.ref.like("bench-%")).values(company_id=company.id))
    lead = db.session.scalar(select(Lead).order_by(Lead.id).limit(1))
    present = set(
        db.session.scalars(
            select(LeadCandidate.candidate_id).where(LeadCandidate.lead_id == lead.id)
        )
    )
    for candidate_id in db.session.scalars(select(Candidate.id)):
        if candidate_id not in present:
            db.session.add(LeadCandidate(lead_id=lead.id, candidate_id=candidate_id, score=70))
    # Work held by the people seeded (1 h on Sunday: their matches unchanged): the CV
    # library reads it for its free-time filters and the hours left of the page's people.
    for candidate_id in db.session.scalars(
        select(Candidate.id).where(Candidate.ref.like("bench-%"))
    ):
        db.session.add(Commitment(candidate_id=candidate_id, hours_per_week=1, days=["sun"]))
    person = db.session.scalar(select(Candidate).order_by(Candidate.id).limit(1))
    need = db.session.scalar(select(Need).where(Need.ref == MATCH_NEED))
    # The match need was sent in that lead: its page lists the lead's growing people.
    if not db.session.scalar(
        select(LeadNeed.id).where(LeadNeed.lead_id == lead.id, LeadNeed.need_id == need.id)
    ):
        db.session.add(LeadNeed(lead_id=lead.id, need_id=need.id))
    referral = db.session.scalar(select(Referral).order_by(Referral.id).limit(1))
    at = datetime.now(UTC)
    for i in range(k):
        db.session.add(
            CandidateEvent(candidate_id=person.id, kind="updated", summary=f"Modification {i}")
        )
        for entity, entity_id, state in (
            ("need", need.id, "qualifie"),
            ("referral", referral.id, "recue"),
        ):
            db.session.add(
                Transition(
                    entity=entity, entity_id=entity_id, from_state="x", to_state=state,
                    at=at + timedelta(seconds=i),
                )
            )  # fmt: skip
    # People the match need finds, so that its list of matches grows too.
    # Refs of one width, numbered here: the pools list people in the order of their refs,
    # which must not depend on how many people earlier tests on this worker made.
    people = [
        factories.candidate(ref=f"cv-requetes-{next(_PEOPLE):05d}") for _ in range(n_matchable)
    ]
    factories.load(factories.document(candidates=people))
    now = datetime.now(UTC)  # updated_at moves too, so the matching index reloads them
    db.session.execute(
        update(Candidate).values(email_confirmed_at=now, status="disponible", updated_at=now)
    )
    db.session.commit()


_LIST_ROWS = itertools.count(1)
LETTER = "Lettre des requêtes"


def _grow_lists(k: int, animateur_id: int) -> None:
    """k more rows in each list that grows with a region: the animateur's follow-ups and
    call-back requests, resources (each by its own author), testimonials, newsletter
    issues, and companies the sent letter skipped."""
    today = clock.local_today()
    company_ids = db.session.scalars(select(Company.id).order_by(Company.id)).all()
    letter = db.session.scalar(select(NewsletterIssue).where(NewsletterIssue.subject == LETTER))
    if letter is None:
        letter = NewsletterIssue(subject=LETTER, introduction="Bonjour.", blocks=[],
                                 snapshot=[], sent_at=datetime.now(UTC),
                                 send_done_at=datetime.now(UTC))  # fmt: skip
        db.session.add(letter)
        db.session.flush()
    listed = set(
        db.session.scalars(
            select(NewsletterDelivery.company_id).where(NewsletterDelivery.issue_id == letter.id)
        )
    )
    for company_id in [c for c in company_ids if c not in listed][:k]:
        db.session.add(
            NewsletterDelivery(issue_id=letter.id, company_id=company_id, reason="Déjà contactée.")
        )
    for _ in range(k):
        n = next(_LIST_ROWS)
        company_id = company_ids[n % len(company_ids)]
        for offset in (-2, 0, 3):  # overdue, today, upcoming
            db.session.add(
                Visit(company_id=company_id, channel="telephone", visited_on=today,
                      animateur_id=animateur_id, follow_up_on=today + timedelta(days=offset))
            )  # fmt: skip
        db.session.add(
            CallbackRequest(name=f"Appelant {n}", phone="0556000000", best_time="matin",
                            topic="autre", company_id=company_id, animateur_id=animateur_id)
        )  # fmt: skip
        author = User(email=f"auteur-{n}@exemple.fr", role="animateur", full_name=f"Auteur {n}")
        db.session.add(author)
        db.session.flush()
        db.session.add(
            Resource(slug=f"fiche-requetes-{n}", title=f"Fiche {n}", summary="Résumé.",
                     body="Texte.", topics=["aides_relance"], source="Région",
                     valid_until=today + timedelta(days=90), published=True,
                     author_id=author.id)
        )  # fmt: skip
        db.session.add(
            Testimonial(title=f"Récit {n}", company_label="Arcachon", body="Merci.",
                        consent_by="La gérante", consent_on=today, consent_scope=["site"],
                        published=True, company_id=company_id)
        )  # fmt: skip
        db.session.add(
            NewsletterIssue(subject=f"Lettre {n}", introduction="Bonjour.", blocks=[],
                            created_by_id=author.id)
        )  # fmt: skip
    db.session.commit()


def _letter_id() -> str:
    return _first(select(NewsletterIssue.id).where(NewsletterIssue.subject == LETTER))


@pytest.fixture
def platform(auth):
    """Users of every role on one operator, one partner and the COBAS; a grow(k) function."""
    operator = factories.operator(ref="operateur-requetes")
    partner = factories.partner(ref="partenaire-requetes")
    company = factories.company(ref="entreprise-requetes")
    # A second company whose Thursday completes the match need's Tuesday: the shared-time
    # page has a pool, and the people the platform grows with fit it, from the start.
    other = factories.company(ref="entreprise-requetes-jeudi")
    factories.load(
        factories.document(
            operators=[operator],
            partners=[partner],
            companies=[company, other],
            needs=[
                factories.need(ref=MATCH_NEED, company="entreprise-requetes"),
                factories.need(
                    ref="besoin-requetes-jeudi", company="entreprise-requetes-jeudi", days=["thu"]
                ),
            ],
        )
    )
    users = {
        "animateur": auth.create("animateur"),
        "admin": auth.create("admin"),
        "operator": auth.create("operator", org_ref="operateur-requetes"),
        "partner": auth.create("partner", org_ref="partenaire-requetes"),
        "territoire": auth.create("territoire"),
    }
    db.session.commit()
    seeder = Seeder(db.session, seed=5, today=clock.local_today())

    animateur_id = users["animateur"].id

    def grow(k: int, matchable: int) -> None:
        _grow(seeder, k, matchable)
        _grow_lists(k, animateur_id)

    return users, grow


def _first(query) -> str:
    return str(db.session.scalar(query))


LIST_PAGES = [
    ("animateur", lambda: "/animateur"),
    ("animateur", lambda: "/animateur/besoins"),
    # The board joins companies only for the filters that read them (commune, name).
    ("animateur", lambda: "/animateur/besoins?q=e&intercommunalite=243300563&page=2"),
    ("animateur", lambda: "/animateur/cvtheque?q=comptable&autour=33529&rayon=30"),
    ("animateur", lambda: "/animateur/cvtheque"),
    ("animateur", lambda: "/animateur/cvtheque?q=comptable"),
    # Free hours and days: work held is read in the search and the page's people statements.
    ("animateur", lambda: "/animateur/cvtheque?heures_min=5&heures_max=20&jours=mon"),
    ("animateur", lambda: "/animateur/cvtheque/doublons"),
    ("animateur", lambda: "/animateur/visites"),
    ("animateur", lambda: "/animateur/relances"),
    # Each list of "Mes relances" pages on its own.
    (
        "animateur",
        lambda: "/animateur/relances?page_rappels=2&page_retard=2&page_jour=2&page_a_venir=2",
    ),
    ("animateur", lambda: "/animateur/contenus/ressources"),
    ("animateur", lambda: "/animateur/contenus/temoignages"),
    ("animateur", lambda: "/animateur/lettre"),
    # The issue sent, with the companies it skipped.
    ("animateur", lambda: f"/animateur/lettre/{_letter_id()}"),
    ("animateur", lambda: "/ressources?theme=aides_relance"),
    ("animateur", lambda: "/temoignages"),
    ("animateur", lambda: "/lettres"),
    ("animateur", lambda: "/animateur/entreprises"),
    ("animateur", lambda: "/animateur/postes-partages"),
    ("animateur", lambda: "/animateur/postes-partages?page=2"),
    # The round's companies where the animateur has a follow-up due, each with its
    # contact pressure (« Préparer ma tournée », the data the phone keeps).
    ("animateur", lambda: "/animateur/tournee/preparer?relances=1"),
    ("animateur", lambda: "/api/hors-ligne/tournee?relances=1"),
    ("operator", lambda: "/operateur"),
    ("operator", lambda: "/operateur/propositions"),
    # Each section of the inbox pages on its own.
    (
        "operator",
        lambda: "/operateur/propositions?new_page=2&waiting_page=2&follow_page=2&closed_page=2",
    ),
    ("partner", lambda: "/partenaire"),
    ("partner", lambda: "/partenaire/reorientations"),
    # Each section of the partner's inbox pages on its own too.
    ("partner", lambda: "/partenaire/reorientations?new_page=2&open_page=2&closed_page=2"),
    ("territoire", lambda: "/territoire"),
    ("territoire", lambda: "/territoire?periode=3m"),
    ("admin", lambda: "/admin"),
]
RECORD_PAGES = [
    ("animateur", lambda: f"/animateur/besoins/{MATCH_NEED}"),
    (
        "animateur",
        lambda: "/animateur/cvtheque/" + _first(select(Candidate.ref).order_by(Candidate.id)),
    ),
    (
        "animateur",
        lambda: (
            "/animateur/entreprises/"
            + _first(select(Company.ref).where(Company.ref.like("bench-%")).order_by(Company.id))
        ),
    ),
    # Its contact persons, its needs and its history, each paged on its own.
    (
        "animateur",
        lambda: (
            "/animateur/entreprises/"
            + _first(select(Company.ref).where(Company.ref.like("bench-%")).order_by(Company.id))
            + "?contacts=2&besoins=2&historique=2"
        ),
    ),
    # Its leads and its history, each paged on its own.
    (
        "animateur",
        lambda: (
            "/animateur/cvtheque/"
            + _first(select(Candidate.ref).order_by(Candidate.id))
            + "?propositions=2&historique=2"
        ),
    ),
    ("operator", lambda: "/operateur/propositions/" + _first(select(Lead.id).order_by(Lead.id))),
    (
        "partner",
        lambda: "/partenaire/reorientations/" + _first(select(Referral.id).order_by(Referral.id)),
    ),
]


def _statements(client, url: str) -> int:
    client.get(url)  # the first visit may fill per-process caches (taxonomy, index)
    # A request in production starts with an empty session: rows the first visit (or the
    # test's setup) left in this one would hide the statements that load them one by one.
    db.session.expunge_all()
    with recorded_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


def _by_role(pages: list[tuple]) -> dict[str, list[tuple]]:
    """The pages of each role, in their order (a role's pages are read on one platform)."""
    grouped: dict[str, list[tuple]] = {}
    for role, *rest in pages:
        grouped.setdefault(role, []).append(tuple(rest))
    return grouped


GROWING = _by_role(LIST_PAGES + RECORD_PAGES)


# Reading a page writes nothing the next page counts on: each role reads all its pages at
# each size of one platform (a subtest each), instead of growing a platform per page.
@pytest.mark.parametrize("role", GROWING)
def test_queries_do_not_grow_with_the_rows_shown(platform, auth, client, subtests, role):
    users, grow = platform
    pages = [url for (url,) in GROWING[role]]
    grow(SMALL, SMALL)
    auth.post_login(users[role].email, client=client)
    small = [_statements(client, url()) for url in pages]
    grow(GROWTH, GROWTH)
    grown = [_statements(client, url()) for url in pages]
    grow(GROWTH, GROWTH)
    again = [_statements(client, url()) for url in pages]
    # From the first growth on every section of the page has rows (a section with none,
    # e.g. no shared-time bundle yet, may skip its query: that is not an N+1); from then
    # on, more rows must not mean more statements.
    for url, counts in zip(pages, zip(small, grown, again, strict=True), strict=True):
        with subtests.test(url=url()):
            assert counts[2] <= counts[1] <= counts[0] + 2, (url(), counts)


def test_the_grown_platform_shows_more_rows(platform, auth, client):
    """The comparison above means something: the pages do show more rows after growth."""
    users, grow = platform
    grow(SMALL, SMALL)
    auth.post_login(users["animateur"].email, client=client)
    before = client.get("/animateur/visites").get_data(as_text=True)
    matches_before = client.get(f"/animateur/besoins/{MATCH_NEED}").get_data(as_text=True)
    grow(GROWTH, GROWTH)
    after = client.get("/animateur/visites").get_data(as_text=True)
    matches_after = client.get(f"/animateur/besoins/{MATCH_NEED}").get_data(as_text=True)
    assert after.count("<tr") > before.count("<tr")
    shown = '<caption class="visually-hidden">Détail du score'  # one per candidate listed
    assert matches_after.count(shown) > matches_before.count(shown) > 0
    assert db.session.scalar(select(User.id).where(User.role == "operator")) is not None


# The statements of the busiest staff pages, at most (with every section of the page
# holding rows), login and session included (issue #18): one for the login session and
# its account, then the page's own. Measured, then kept: a page that reads something
# twice, or per row, goes over.
PAGE_BUDGETS = [
    ("animateur", lambda: "/animateur", 12),
    ("animateur", lambda: "/animateur/besoins", 3),
    ("animateur", lambda: "/animateur/visites", 4),
    ("animateur", lambda: "/animateur/entreprises", 3),
    ("territoire", lambda: "/territoire", 4),
    # The animateur's follow-ups due, the companies (up to OFFLINE_ROUND_MAX_COMPANIES),
    # then their contacts for the guard, all companies at once: visits, newsletters,
    # questionnaires, leads (and their needs), re-orientations.
    ("animateur", lambda: "/animateur/tournee/preparer?relances=1", 9),
    ("animateur", lambda: "/api/hors-ligne/tournee?relances=1", 9),
    (
        "animateur",
        lambda: "/animateur/cvtheque/" + _first(select(Candidate.ref).order_by(Candidate.id)),
        # Its leads and its history paged, with their counts for the pagers; the
        # addresses it left (``consent.former_addresses``, for the staff to put one back);
        # its placements, and their needs with their companies in one (« Placements »,
        # where a person's leaving one company is recorded), whatever their number.
        14,
    ),
    (
        "animateur",
        lambda: (
            "/animateur/entreprises/"
            + _first(select(Company.ref).where(Company.ref.like("bench-%")).order_by(Company.id))
        ),
        # 16, and two of the contact preferences: those the owner said (its timeline) and
        # who changed them last (its "Préférences" panel), each one statement a page; and
        # the counts of its needs and of its contact persons for their pagers.
        20,
    ),
    # The need, the index's stamp, the people shown, operators, partners, which of them
    # has a working member (one statement: the choice lists say « aucun compte actif »),
    # leads (their needs, their people), referrals, the log with its authors, the
    # company's contacts, and whether the space of the address news of the need would go
    # to shows it (one statement: « Pas d'e-mail à l'entreprise … » when none would).
    # Its company sets no monthly cap: the guard's refusal said before the forms reads
    # its row only (``pressure.refusal_before_contact``); a company with a cap adds the
    # count of its contacts of the month (one statement a channel, not one a row).
    ("animateur", lambda: f"/animateur/besoins/{MATCH_NEED}", 15),
    # Counts by state, three lists of leads and their needs in one, placements to follow
    # (their next points, their count), the operator.
    ("operator", lambda: "/operateur/propositions", 11),
    # The lead with its needs, its people, the companies' contacts, placements.
    ("operator", lambda: "/operateur/propositions/" + _first(select(Lead.id).order_by(Lead.id)), 6),
]


@pytest.mark.parametrize("role", _by_role(PAGE_BUDGETS))
def test_pages_keep_to_their_statement_budget(platform, auth, client, subtests, role):
    users, grow = platform
    grow(GROWTH, GROWTH)
    auth.post_login(users[role].email, client=client)
    for url, budget in _by_role(PAGE_BUDGETS)[role]:
        with subtests.test(url=url()):
            assert _statements(client, url()) <= budget, url()


ROUND_URLS = ["/animateur/tournee/preparer?commune=33009", "/api/hors-ligne/tournee?commune=33009"]
_ROUND_COMPANIES = itertools.count(1)


def _round_companies(k: int, animateur_id: int) -> None:
    """k more companies of Arcachon, each reached on every channel the guard counts: two
    visits (door to door, a call), a newsletter, a lead and a re-orientation of its need
    (each with its sent log), a diagnosis questionnaire mailed, and one filled in with it."""
    numbers = [next(_ROUND_COMPANIES) for _ in range(k)]
    items = [factories.company(ref=f"tournee-{n}", commune="33009") for n in numbers]
    needs = [factories.need(ref=f"besoin-tournee-{n}", company=f"tournee-{n}") for n in numbers]
    extra = {}
    if db.session.scalar(select(Operator.id).where(Operator.ref == "operateur-tournee")) is None:
        extra = {"operators": [factories.operator(ref="operateur-tournee")],
                 "partners": [factories.partner(ref="partenaire-tournee")]}  # fmt: skip
    factories.load(factories.document(companies=items, needs=needs, **extra))
    operator = db.session.scalar(select(Operator).where(Operator.ref == "operateur-tournee"))
    partner = db.session.scalar(select(Partner).where(Partner.ref == "partenaire-tournee"))
    today = clock.local_today()
    now = datetime.now(UTC)
    for n in numbers:
        company = db.session.scalar(select(Company).where(Company.ref == f"tournee-{n}"))
        need = db.session.scalar(select(Need).where(Need.ref == f"besoin-tournee-{n}"))
        for days, channel in ((3, "porte_a_porte"), (40, "telephone")):
            db.session.add(
                Visit(company_id=company.id, channel=channel, animateur_id=animateur_id,
                      visited_on=today - timedelta(days=days))
            )  # fmt: skip
        db.session.add(CompanyMailing(company_id=company.id, subject="Lettre",
                                      sent_by_id=animateur_id))  # fmt: skip
        lead = Lead(operator_id=operator.id, created_by_id=animateur_id)
        referral = Referral(partner_id=partner.id, need_id=need.id, created_by_id=animateur_id)
        db.session.add_all([lead, referral])
        db.session.flush()
        db.session.add(LeadNeed(lead_id=lead.id, need_id=need.id))
        for entity, entity_id in (("lead", lead.id), ("referral", referral.id)):
            db.session.add(Transition(entity=entity, entity_id=entity_id, from_state=None,
                                      to_state="envoye", reason_text="Envoyé malgré tout."))  # fmt: skip
        db.session.add_all(
            [
                Diagnosis(company_id=company.id, source="lien", sent_by_id=animateur_id,
                          sent_to="dirigeant@exemple.fr", sent_at=now),
                Diagnosis(company_id=company.id, source="visite", filled_by_id=animateur_id,
                          submitted_at=now),
            ]
        )  # fmt: skip
    db.session.commit()


def test_the_round_reads_the_contacts_of_all_its_companies_at_once(auth, client):
    """« Préparer ma tournée » and the data the phone keeps list up to
    OFFLINE_ROUND_MAX_COMPANIES companies, each with the guard's decision: their contacts
    are read for all the companies at once (one statement a channel), not company by
    company."""
    animateur_id = auth.login("animateur").id
    _round_companies(2, animateur_id)
    small = [_statements(client, url) for url in ROUND_URLS]
    _round_companies(10, animateur_id)
    grown = [_statements(client, url) for url in ROUND_URLS]
    assert grown == small
    data = client.get(ROUND_URLS[1]).get_json()
    assert len(data["entreprises"]) == 12
    # Every company's contacts were read: each was visited 3 days ago, in the window.
    assert {company["decision"] for company in data["entreprises"]} == {"warn"}


def test_the_round_gives_phones_and_websites_without_a_statement_more(auth, client):
    """The round's companies (« Préparer ma tournée », the data the phone keeps) carry
    their phone and website: columns of the company's row, read with it."""
    auth.login("animateur")
    companies = [make_company(name=f"Commerce {n}", commune="33009") for n in range(3)]
    without = [_statements(client, url) for url in ROUND_URLS]
    for n, company in enumerate(db.session.merge(c) for c in companies):
        company.phone = clean_phone(f"05 36 49 00 0{n}")
        company.website = clean_website(f"commerce-{n}.example")
    db.session.commit()
    assert [_statements(client, url) for url in ROUND_URLS] == without
    data = client.get(ROUND_URLS[1]).get_json()
    assert [c["telephone"] for c in data["entreprises"]] == [f"05 36 49 00 0{n}" for n in range(3)]
