"""Lists of people, companies, operators, partners and accounts sort names as a French
directory does (accents, ligatures and case folded: "Élodie" before "Zoé", "de Lacanau"
before "Zola"), through a key each model keeps beside the name whatever changes it, with
the id as tie-breaker so that paging neither repeats nor skips anyone."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from connectences.accounts.users import prospection_staff
from connectences.cvtheque.lookup import find_candidates
from connectences.cvtheque.merge import merge_candidates
from connectences.cvtheque.search import SearchFilters, iter_candidates, search_candidates
from connectences.cvtheque.search import _query as _search_query
from connectences.extensions import db
from connectences.models import Candidate, Company, Operator, Partner, User
from connectences.prospection.companies import DirectoryFilters, directory_query
from connectences.text import sort_key
from connectences.workflows.dispatch import active_partners, proposal_operators
from tests import factories as f
from tests.cv_helpers import form_data, post_multipart
from tests.helpers import make_company, page_text, query_plan, read_stamp_at
from tests.test_api_exchange import _post
from tests.test_api_v1 import token_for
from tests.test_cv_public import confirm_from_mail, post_form, the_candidate

# In the order of a directory; each name folds to a key of its own.
DIRECTORY = [
    "de Lacanau",
    "Dupont",
    "Dupont-Aignan",
    "Élodie",
    "L'Abbé",
    "Le Gall",
    "Legall",
    "Œdipe",
    "Oeillet",
    "Zoé",
    "Zola",
]


@pytest.mark.engine_free
def test_the_key_orders_names_as_a_directory_does():
    assert sorted(reversed(DIRECTORY), key=sort_key) == DIRECTORY
    # Raw characters put lower case, accents and ligatures after "Z".
    assert sorted(DIRECTORY) != DIRECTORY


@pytest.mark.engine_free
@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Élodie", "elodie"),
        ("ÉLODIE", "elodie"),
        ("élodie", "elodie"),
        ("L'Œuvre", "l oeuvre"),
        ("L\u2019Hôte", "l hote"),
        ("Lège-Cap-Ferret", "lege cap ferret"),
        ("  Le   Gall ", "le gall"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_key_folds_accents_case_ligatures_apostrophes_hyphens_and_spaces(typed, key):
    assert sort_key(typed) == key


@pytest.mark.engine_free
def test_a_last_name_comes_before_its_longer_forms_whatever_the_first_name():
    people = [("Dupont-Aignan", "Alice"), ("Dupont", "Marie"), ("Dupont", "Alain"), ("Dupré", "")]
    assert sorted(people, key=lambda p: sort_key(*p)) == [
        ("Dupont", "Alain"),
        ("Dupont", "Marie"),
        ("Dupont-Aignan", "Alice"),
        ("Dupré", ""),
    ]


def _directory_names(query) -> list[str]:
    return [row.name for row in db.session.execute(query)]


def test_the_company_directory_lists_names_in_directory_order(app, auth):
    for name in reversed(DIRECTORY):
        make_company(name=name)
    assert _directory_names(directory_query(db.session, DirectoryFilters())) == DIRECTORY
    staff = app.test_client()
    auth.login("animateur", client=staff)
    text = page_text(staff.get("/animateur/entreprises"))
    assert [text.index(name) for name in DIRECTORY] == sorted(
        text.index(name) for name in DIRECTORY
    )


# In the order of a directory, among the Pays' communes: "Le Teich" before
# "Lège-Cap-Ferret" (a space before a letter), and both before "Lugos".
PAYS_L_COMMUNES = ["La Teste-de-Buch", "Le Teich", "Lège-Cap-Ferret", "Lugos"]


@pytest.mark.parametrize(
    "path, role",
    [
        ("/exprimer-un-besoin", None),
        ("/etre-rappele", None),
        ("/deposer-mon-cv", None),
        ("/animateur/besoins/nouveau?entreprise={company}", "animateur"),
        ("/animateur/entreprises", "animateur"),
        ("/animateur/cvtheque", "animateur"),
        ("/animateur/postes-partages", "animateur"),
        ("/animateur/tournee/preparer", "animateur"),
    ],
)
def test_the_communes_a_page_offers_come_in_directory_order(app, auth, path, role):
    visitor = app.test_client()
    if role:
        auth.login(role, client=visitor)
    response = visitor.get(path.format(company=make_company().ref))
    assert response.status_code == 200
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', response.text)
    offered = [
        name
        for value, text in options
        for name in PAYS_L_COMMUNES
        if html.unescape(text or value).split(" (")[0] == name
    ]
    # Once for each list of the page (the CV library filters on two communes).
    assert offered and offered == PAYS_L_COMMUNES * (len(offered) // len(PAYS_L_COMMUNES))


def test_equal_keys_page_by_id_neither_repeated_nor_skipped():
    names = ["ÉLODIE", "élodie", "Elodie", "Élodie", "ELODIE", "elodie", "Zoé"]
    ids = [make_company(name=name).id for name in names]
    query = directory_query(db.session, DirectoryFilters())
    paged = []
    for page in range(4):
        rows = db.session.execute(query.limit(2).offset(page * 2)).all()
        paged += [row.id for row in rows]
    assert paged == sorted(ids[:-1]) + [ids[-1]]


def test_the_directory_reads_its_order_from_the_index():
    make_company(name="Zoé")
    query = directory_query(db.session, DirectoryFilters()).limit(25)
    plan = query_plan(query, ("ix_company_name",))
    assert "ix_company_sort_name" in plan, plan
    assert "TEMP B-TREE" not in plan.upper(), plan


def test_the_key_follows_the_name_through_an_import_and_a_new_import():
    company = make_company(ref="ent-nom", name="Zoé Coiffure")
    assert company.sort_name == "zoe coiffure"
    f.load(
        f.document(companies=[f.company(ref="ent-nom", name="Élodie Fleurs", siret=company.siret)])
    )
    db.session.expire_all()
    assert db.session.get(Company, company.id).sort_name == "elodie fleurs"


def test_the_key_follows_the_name_an_animateur_types_and_a_provisional_company_takes(app, auth):
    staff = app.test_client()
    auth.login("animateur", client=staff)
    siret = f.make_siret(4242)
    response = staff.post(
        "/animateur/entreprises/nouvelle",
        data={
            "name": "L'Œuvre Dorée",
            "siret": siret,
            "commune": "Arès",
            "confirmer_similaire": "1",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    company = db.session.scalars(select(Company).where(Company.siret == siret)).one()
    assert company.sort_name == "l oeuvre doree"


def test_the_key_follows_names_the_api_imports(client, auth):
    token = token_for(auth.create("admin"))
    document = f.document(
        operators=[f.operator(ref="ge-nom", name="Émeraude Emploi")],
        partners=[f.partner(ref="ft-nom", name="Ésope")],
        candidates=[f.candidate(ref="cv-nom", first_name="Zoé", last_name="de Lacanau")],
    )
    assert _post(client, token, document).status_code == 200
    candidate = db.session.scalars(select(Candidate).where(Candidate.ref == "cv-nom")).one()
    assert candidate.sort_name == sort_key("de Lacanau", "Zoé") == "de lacanau\x1fzoe"
    assert db.session.scalars(select(Operator.sort_name)).all() == ["emeraude emploi"]
    assert db.session.scalars(select(Partner.sort_name)).all() == ["esope"]
    document["candidates"][0]["last_name"] = "Zola"
    assert _post(client, token, document).status_code == 200
    db.session.expire_all()
    assert db.session.get(Candidate, candidate.id).sort_name == "zola\x1fzoe"


def test_the_key_follows_the_name_a_person_changes_in_their_space(client):
    assert post_form(client).status_code == 302
    space = confirm_from_mail(client)
    data = form_data(last_name="Élissalde", first_name="Ève")
    data.pop("consent")
    data["lu_le"] = read_stamp_at(client, f"{space}/modifier")
    assert post_multipart(client, f"{space}/modifier", data).status_code == 302
    assert the_candidate().sort_name == "elissalde\x1feve"


def _stored(**fields) -> Candidate:
    item = f.candidate(**fields)
    f.load(f.document(candidates=[item]))
    return db.session.scalars(select(Candidate).where(Candidate.ref == item["ref"])).one()


def test_the_key_follows_the_name_a_merge_keeps(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    keep = _stored(first_name="Sophie", last_name="Bernart")
    drop = _stored(first_name="Sophie", last_name="Bérnard")
    merge_candidates(db.session, keep, drop, actor=None, choices={"last_name": "drop"})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Candidate, keep.id).sort_name == "bernard\x1fsophie"


def test_the_people_found_by_name_come_in_directory_order():
    for last, first in [("Zola", "Émile"), ("Étienne", "Zoé"), ("de Lacanau", "Éric")]:
        _stored(first_name=first, last_name=last)
    assert [c.last_name for c in find_candidates(db.session, "e")] == [
        "de Lacanau", "Étienne", "Zola",
    ]  # fmt: skip


def test_accounts_operators_and_partners_come_in_directory_order(auth):
    auth.create("animateur", full_name="Zoé Martin")
    auth.create("animateur", full_name="élodie Roux")
    auth.create("admin", email="dominique@exemple.fr")  # no name: its address
    names = [u.full_name or u.email for u in prospection_staff(db.session)]
    assert names == ["dominique@exemple.fr", "élodie Roux", "Zoé Martin"]
    user = db.session.scalars(select(User).where(User.email == "dominique@exemple.fr")).one()
    user.full_name = "Ange Dubois"
    assert user.sort_name == "ange dubois"

    f.load(
        f.document(
            operators=[f.operator(name="Zénith GE"), f.operator(name="Écho Emploi")],
            partners=[f.partner(name="zèbre"), f.partner(name="Âge d'or")],
        )
    )
    partners = [p.name for p in active_partners(db.session)]
    assert partners.index("Âge d'or") < partners.index("zèbre")
    operators = [o.name for o in proposal_operators(db.session)]
    assert operators.index("Écho Emploi") < operators.index("Zénith GE")


def test_the_cv_library_sorts_by_name_with_or_without_text_and_pages_stably():
    people = [("Zola", "Émile"), ("étienne", "Zoé"), ("de Lacanau", "Éric"), ("Étienne", "Anne")]
    for last, first in people:
        _stored(first_name=first, last_name=last, skills=["jardinage"])
    twins = [
        _stored(first_name="Ève", last_name=last, skills=["plomberie"]).id
        for last in ("Élie", "ELIE", "élie")
    ]
    expected = ["de Lacanau", "Élie", "ELIE", "élie", "Étienne", "étienne", "Zola"]
    paged = [
        hit.candidate
        for page in (1, 2, 3, 4)
        for hit in search_candidates(db.session, {}, sort="name", page=page, per_page=2).items
    ]
    assert [c.last_name for c in paged] == expected
    assert [c.id for c in paged[1:4]] == twins  # equal keys: by id
    found = search_candidates(db.session, {"text": "jardinage"}, sort="name").items
    assert [hit.candidate.last_name for hit in found] == [
        "de Lacanau",
        "Étienne",
        "étienne",
        "Zola",
    ]
    exported = [hit.candidate.last_name for hit in iter_candidates(db.session, {}, sort="name")]
    assert exported == expected


def test_the_cv_library_by_name_reads_its_order_from_the_index():
    _stored(first_name="Zoé", last_name="Zola")
    query, _, _ = _search_query(db.session, SearchFilters(), "name")
    plan = query_plan(query.limit(25), ("ix_candidate_updated_at",))
    assert "ix_candidate_sort_name" in plan, plan
    assert "TEMP B-TREE" not in plan.upper(), plan


def test_the_cv_library_page_offers_and_keeps_the_order_by_name(app, auth):
    for last in ("Zola", "Élie", "de Lacanau"):
        _stored(first_name="Ève", last_name=last)
    staff = app.test_client()
    auth.login("animateur", client=staff)
    response = staff.get("/animateur/cvtheque?tri=nom")
    assert response.status_code == 200
    assert '<option value="nom" selected' in response.get_data(as_text=True)
    text = page_text(response)
    assert text.index("de Lacanau") < text.index("Élie") < text.index("Zola")
