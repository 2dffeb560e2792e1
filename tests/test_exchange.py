"""Interchange v1: validation, import (upsert by ref, all or nothing), export, CLI."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from connectences import organisations
from connectences.cvtheque.erase import ON_REQUEST, erase_candidate
from connectences.cvtheque.merge import merge_candidates
from connectences.cvtheque.status import set_status
from connectences.exchange import (
    ExchangeError,
    FieldError,
    dump_document,
    export_document,
    import_document,
    normalize_document,
    parse_document,
    validate,
)
from connectences.exchange.importer import LISTED_ERRORS
from connectences.exchange.validate import SCHEMA, pointer, sentence
from connectences.extensions import db
from connectences.matching.data import candidate_from_model, need_from_model
from connectences.models import (
    AuditLog,
    Candidate,
    CandidateEvent,
    CandidateSkill,
    Company,
    Deletion,
    Need,
    Operator,
    Partner,
)
from connectences.needs import register
from tests.factories import (
    COBAS,
    GUJAN,
    candidate,
    company,
    document,
    load,
    make_siret,
    need,
    operator,
    partner,
)
from tests.helpers import (
    assert_sentence,
    audit_entries,
    by_ref,
    empty_domain_tables,
    recorded_statements,
)

# The example of shared/spec/interchange-v1.md, verbatim.
SPEC_EXAMPLE = {
    "format": "connectences/v1",
    "operators": [
        {
            "ref": "ge-exemple",
            "name": "GE Exemple",
            "kind": "groupement_employeurs",
            "email": "contact@ge-exemple.fr",
            "epcis": ["243300563", "243301504", "243301405"],
            "rome_domains": ["M", "K22"],
            "levels": ["non_qualifie", "employe_qualifie", "technicien"],
            "contracts": ["cdi_temps_partage", "cdd"],
        }
    ],
    "partners": [
        {
            "ref": "ft-arcachon",
            "name": "France Travail Arcachon",
            "kind": "france_travail",
            "email": "entreprises@exemple.fr",
        }
    ],
    "companies": [
        {
            "ref": "boulangerie-1",
            "name": "Boulangerie du Port",
            "siret": "90412345200016",
            "commune": "33009",
            "naf": "10.71C",
            "employees": 4,
        }
    ],
    "candidates": [
        {
            "ref": "cv-1",
            "first_name": "Camille",
            "last_name": "Exemple",
            "email": "camille@exemple.fr",
            "commune": "33529",
            "mobility_km": 15,
            "skills": ["saisie comptable", "facturation"],
            "rome": ["M1203"],
            "level": "employe_qualifie",
            "hours_min": 10,
            "hours_max": 24,
            "days": ["mon", "tue", "thu"],
            "contracts": ["cdi_temps_partage", "cdd"],
            "available_from": "2027-01-04",
            "consent": True,
            "source": "forum",
        }
    ],
    "needs": [
        {
            "ref": "besoin-1",
            "company": "boulangerie-1",
            "title": "Comptabilité 1 jour par semaine",
            "rome": "M1203",
            "skills": ["comptabilité générale"],
            "level": "employe_qualifie",
            "hours_per_week": 7,
            "days": ["tue"],
            "contract": "cdi_temps_partage",
            "reason": "temps_partiel",
            "start": "2027-02-01",
        }
    ],
}

MODELS = {
    "operators": Operator,
    "partners": Partner,
    "companies": Company,
    "candidates": Candidate,
    "needs": Need,
}


def counts() -> dict[str, int]:
    counted = {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in MODELS.items()
    }
    counted["skills"] = db.session.scalar(select(func.count()).select_from(CandidateSkill))
    return counted


EMPTY = {"operators": 0, "partners": 0, "companies": 0, "candidates": 0, "needs": 0, "skills": 0}


def written_statements():
    """Collect every INSERT, UPDATE or DELETE sent to the database inside the block."""
    return recorded_statements(
        lambda statement: (
            statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        )
    )


def full_document() -> dict:
    """Every collection with every optional field set, so that all of them round-trip."""
    return document(
        operators=[
            operator(ref="op-a", max_hours_per_week=24, rome_domains=["M12", "K2201"]),
            operator(ref="op-b", kind="cadres_temps_partage", levels=["cadre"]),
        ],
        partners=[
            partner(ref="pa-a", kind="interim", epcis=[COBAS]),
            partner(ref="pa-b"),
        ],
        companies=[
            company(
                ref="co-a",
                naf="56.10A",
                employees=0,
                contact_email="gerant@restaurant-exemple.fr",
                do_not_solicit=True,
            ),
            company(ref="co-b", commune=GUJAN),
        ],
        candidates=[
            candidate(
                ref="cv-a",
                phone="06 12 34 56 78",
                source="job dating",
                status="en_mission",
                mobility_km=12.5,
                hours_min=7.5,
                rome=["M1203", "M1607"],
                skills=["Comptabilité", "paie", "Comptabilité"],
            ),
            candidate(ref="cv-b", rome=None),
        ],
        needs=[
            need(
                ref="be-a",
                company="co-a",
                duration_months=6,
                commune=GUJAN,
                hours_per_week=10.5,
                rome=None,
            ),
            need(ref="be-b", company="co-b", duration_months=1.5),
        ],
    )


# --------------------------------------------------------------------------- import


def test_spec_example_imports_and_every_record_is_usable():
    result = load(copy.deepcopy(SPEC_EXAMPLE))

    assert {n: c.created for n, c in result.counts.items()} == {n: 1 for n in MODELS}
    company_ = db.session.scalar(select(Company))
    assert company_.siren == "904123452"
    assert company_.do_not_solicit is False
    person = db.session.scalar(select(Candidate))
    assert person.consent is True
    assert person.consent_at is not None and person.email_confirmed_at is not None
    assert person.status == "disponible"
    assert [(s.position, s.label, s.norm) for s in person.skills] == [
        (0, "saisie comptable", "saisie comptable"),
        (1, "facturation", "facturation"),
    ]
    # Imported people are matchable at once: the sender attests consent and address.
    assert candidate_from_model(person).consent is True
    need_ = db.session.scalar(select(Need))
    assert need_.commune is None
    assert need_.company is company_
    assert need_from_model(need_).commune == "33009"
    assert need_.status == "nouveau"


def test_candidate_skills_get_their_taxonomy_concept():
    load(document(candidates=[candidate(skills=["Comptabilité générale", "xyzzy plugh"])]))
    rows = db.session.scalars(select(CandidateSkill).order_by(CandidateSkill.position)).all()
    assert rows[0].norm == "comptabilite generale"
    assert rows[0].concept is not None
    assert rows[1].concept is None


def test_export_of_the_spec_example_gives_it_back_verbatim():
    load(copy.deepcopy(SPEC_EXAMPLE))
    # The example is a v1 document; export writes the latest format, v1.1.
    assert export_document() == {**SPEC_EXAMPLE, "format": "connectences/v1.1"}


def test_an_organisation_switched_off_is_not_exported_and_the_round_trip_holds():
    """The format has no field saying an operator or partner is switched off (an unknown
    key is refused), and a platform importing our file routes needs to every operator it
    holds: one the administrator deactivated is left out, as the candidates nobody may
    share and the needs not workable are."""
    doc = document(
        operators=[operator(ref="op-ouvert"), operator(ref="op-ferme")],
        partners=[partner(ref="pa-ouvert"), partner(ref="pa-ferme", kind="mission_locale")],
    )
    load(copy.deepcopy(doc))
    organisations.deactivate(db.session, "operator", "op-ferme")
    organisations.deactivate(db.session, "partner", "pa-ferme")
    db.session.commit()

    exported = export_document()
    assert [o["ref"] for o in exported["operators"]] == ["op-ouvert"]
    assert [p["ref"] for p in exported["partners"]] == ["pa-ouvert"]
    assert validate(exported) == []
    # Importing it here writes nothing, nor switches anything on again.
    assert import_document(copy.deepcopy(exported)).changed == 0
    assert db.session.scalar(select(Operator.active).where(Operator.ref == "op-ferme")) is False
    # Into an empty database, it gives the same file back.
    empty_domain_tables()
    load(copy.deepcopy(exported))
    assert export_document() == exported
    # Switched on again, it is exported again.
    load(copy.deepcopy(doc))
    organisations.deactivate(db.session, "operator", "op-ferme")
    organisations.reactivate(db.session, "operator", "op-ferme")
    db.session.commit()
    assert [o["ref"] for o in export_document()["operators"]] == ["op-ferme", "op-ouvert"]


def test_round_trip_with_every_optional_field():
    doc = full_document()
    load(copy.deepcopy(doc))
    exported = export_document()
    assert exported == normalize_document(doc)
    # Integral numbers come back as integers, fractions stay.
    cv_a = next(c for c in exported["candidates"] if c["ref"] == "cv-a")
    assert type(cv_a["hours_max"]) is int and cv_a["hours_min"] == 7.5
    assert cv_a["status"] == "en_mission"
    assert cv_a["skills"] == ["Comptabilité", "paie", "Comptabilité"]
    assert "rome" not in next(c for c in exported["candidates"] if c["ref"] == "cv-b")
    assert next(c for c in exported["companies"] if c["ref"] == "co-a")["do_not_solicit"] is True
    assert exported["needs"][0]["commune"] == GUJAN and "rome" not in exported["needs"][0]
    # And the export is itself a valid document that imports as "nothing to do".
    assert validate(exported) == []
    again = import_document(exported)
    assert again.changed == 0


def test_names_are_kept_as_sent_with_digits_and_signs():
    """The spec only says "string": the names rule of the forms (letters only in a
    person's name) is not the import's; what protects the mails' readers is."""
    doc = document(
        operators=[operator(ref="op-1", name="GE 2000 & Associés")],
        companies=[company(ref="co-1", name="Garage (Arcachon) n°2 — l'Été")],
        candidates=[
            candidate(ref="cv-1", first_name="Camille-Anne", last_name="Exemple12"),
            candidate(
                ref="cv-2", first_name="J.-P.", last_name="N'Diaye  Sow", email="jp@exemple.fr"
            ),
        ],
    )
    assert validate(doc) == []
    load(copy.deepcopy(doc))
    stored = {c.ref: (c.first_name, c.last_name) for c in db.session.scalars(select(Candidate))}
    assert stored == {"cv-1": ("Camille-Anne", "Exemple12"), "cv-2": ("J.-P.", "N'Diaye  Sow")}
    exported = export_document()
    assert exported == normalize_document(doc)
    assert import_document(exported).changed == 0


def test_a_name_at_its_longest_round_trips():
    doc = document(
        companies=[company(ref="co-1", name="C" * 120)],
        candidates=[candidate(ref="cv-1", first_name="A" * 60, last_name="B" * 80)],
    )
    load(copy.deepcopy(doc))
    assert export_document() == normalize_document(doc)


def test_a_name_with_a_line_break_sent_as_json_text_is_refused(runner, tmp_path):
    # Through the parser (CLI and API): a JSON "\n" survives it as a line break.
    doc = document(candidates=[candidate(ref="cv-1", first_name="Paul\nVotre compte est bloqué")])
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["exchange", "import", str(path)])
    assert result.exit_code == 1
    assert "/candidates/0/first_name : Un nom s'écrit sur une seule ligne" in result.output
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_a_candidate_s_source_outside_the_forms_list_is_kept_as_sent():
    # The spec's list of sources is open ("forum, job dating, permanence, réseaux
    # sociaux, ..."): a sender's channel is its own word, unlike the staff's forms and
    # spreadsheets, which choose from vocab.CV_SOURCES.
    doc = document(candidates=[candidate(ref="cv-s", source="orientation France Travail")])
    assert validate(doc) == []
    load(copy.deepcopy(doc))
    assert export_document()["candidates"][0]["source"] == "orientation France Travail"


def test_export_is_sorted_by_ref_and_has_every_collection():
    load(document(companies=[company(ref="zeta"), company(ref="alpha"), company(ref="mu")]))
    exported = export_document()
    assert [c["ref"] for c in exported["companies"]] == ["alpha", "mu", "zeta"]
    assert list(exported) == ["format", "operators", "partners", "companies", "candidates", "needs"]
    assert exported["needs"] == []


def test_export_leaves_out_people_without_consent():
    load(document(candidates=[candidate(ref="cv-oui"), candidate(ref="cv-non")]))
    withdrawn = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-non"))
    withdrawn.consent = False
    db.session.commit()
    assert [c["ref"] for c in export_document()["candidates"]] == ["cv-oui"]


def test_second_import_changes_nothing_and_writes_nothing():
    doc = full_document()
    load(copy.deepcopy(doc))
    stamps = {
        name: sorted(
            (r.ref, getattr(r, "updated_at", None) or r.created_at)
            for r in db.session.scalars(select(model))
        )
        for name, model in MODELS.items()
    }
    db.session.expire_all()

    with written_statements() as statements:
        result = load(copy.deepcopy(doc))

    assert statements == []
    assert result.changed == 0
    assert {n: c.unchanged for n, c in result.counts.items()} == {n: len(doc[n]) for n in MODELS}
    db.session.expire_all()
    assert stamps == {
        name: sorted(
            (r.ref, getattr(r, "updated_at", None) or r.created_at)
            for r in db.session.scalars(select(model))
        )
        for name, model in MODELS.items()
    }


def test_update_by_ref_changes_only_what_differs():
    doc = full_document()
    load(copy.deepcopy(doc))
    person = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-b"))
    before = person.updated_at
    skill_ids = {s.id for s in person.skills}

    changed = copy.deepcopy(doc)
    changed["needs"][1]["hours_per_week"] = 14
    changed["candidates"][1]["skills"] = ["paie", "gestion administrative"]
    changed["companies"][0]["name"] = "Restaurant du Port"
    del changed["companies"][0]["naf"]  # an optional field absent is cleared
    result = load(changed)

    assert result["needs"].updated == 1 and result["needs"].unchanged == 1
    assert result["candidates"].updated == 1 and result["candidates"].unchanged == 1
    assert result["companies"].updated == 1 and result["companies"].unchanged == 1
    assert result["operators"].unchanged == 2
    assert sum(c.created for c in result.counts.values()) == 0
    db.session.expire_all()
    assert db.session.scalar(select(Need.hours_per_week).where(Need.ref == "be-b")) == 14
    person = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-b"))
    assert person.skill_labels == ["paie", "gestion administrative"]
    assert not skill_ids & {s.id for s in person.skills}
    assert person.updated_at > before
    co_a = db.session.scalar(select(Company).where(Company.ref == "co-a"))
    assert (co_a.name, co_a.naf) == ("Restaurant du Port", None)
    assert counts()["skills"] == 2 + 3  # cv-b's two new rows, cv-a's three


def test_a_field_left_out_takes_the_spec_default_on_update_too():
    """Spec: status "default disponible", a need's commune "default the company's
    commune". Import is an upsert that makes the record what the document says: left
    out, such a field takes its default."""
    doc = full_document()
    load(copy.deepcopy(doc))
    assert by_ref(Candidate, "cv-a").status == "en_mission"
    assert by_ref(Need, "be-a").commune == GUJAN

    silent = copy.deepcopy(doc)
    del silent["candidates"][0]["status"]
    del silent["needs"][0]["commune"]
    result = load(silent)

    assert (result["companies"].updated, result["candidates"].updated) == (0, 1)
    assert result["needs"].updated == 1
    db.session.expire_all()
    person = by_ref(Candidate, "cv-a")
    assert person.status == "disponible"
    # Through the one writer of a person's status: their history says why.
    event = db.session.scalars(
        select(CandidateEvent).where(
            CandidateEvent.candidate_id == person.id, CandidateEvent.kind == "status"
        )
    ).one()
    assert event.summary == "Statut : En mission → Disponible (import d'un document)."
    need_ = by_ref(Need, "be-a")
    assert need_.commune is None and need_.place == by_ref(Company, "co-a").commune
    # What is stored exports as the document without those fields, and reads back as is.
    assert export_document() == normalize_document(silent)
    assert load(silent).changed == 0


def test_a_company_objection_to_being_solicited_is_lifted_only_by_a_document_saying_so():
    """do_not_solicit defaults to false on creation, but a stored true is a company's
    objection (RGPD art. 21, often recorded from a visit): a sender silent about it
    knows nothing of it and does not lift it; a document saying false does."""
    doc = full_document()
    load(copy.deepcopy(doc))
    assert by_ref(Company, "co-a").do_not_solicit is True
    silent = copy.deepcopy(doc)
    del silent["companies"][0]["do_not_solicit"]
    assert load(silent)["companies"].updated == 0
    db.session.expire_all()
    assert by_ref(Company, "co-a").do_not_solicit is True
    said = copy.deepcopy(doc)
    said["companies"][0]["do_not_solicit"] = False
    assert load(said)["companies"].updated == 1
    db.session.expire_all()
    assert by_ref(Company, "co-a").do_not_solicit is False
    # A new company left silent is solicitable, as the spec's default says.
    fresh = document(companies=[company(ref="co-new")])
    load(fresh)
    assert by_ref(Company, "co-new").do_not_solicit is False


@pytest.mark.parametrize("closed", ["inactif", "place"])
def test_a_person_closed_to_work_is_reopened_only_by_a_document_saying_so(closed):
    """Found by an audit: a person who paused their profile themselves (or whose week is
    complete) was made "disponible" again by any document leaving status out, the
    spec's default, and proposed to companies against their choice. As for a company's
    do_not_solicit, a sender silent about it knows nothing of it; one that says so
    reopens them; the default still applies to a new person."""
    doc = document(candidates=[candidate(ref="cv")])
    load(copy.deepcopy(doc))
    person = by_ref(Candidate, "cv")
    set_status(db.session, person, closed, reason="profil mis en pause par la personne")
    db.session.commit()

    assert load(copy.deepcopy(doc)).changed == 0
    db.session.expire_all()
    assert by_ref(Candidate, "cv").status == closed
    said = copy.deepcopy(doc)
    said["candidates"][0]["status"] = "disponible"
    assert load(said)["candidates"].updated == 1
    db.session.expire_all()
    assert by_ref(Candidate, "cv").status == "disponible"


def test_a_default_said_out_loud_is_the_same_record_as_left_out():
    doc = document(companies=[company(ref="co")], candidates=[candidate(ref="cv")])
    load(copy.deepcopy(doc))
    said = copy.deepcopy(doc)
    said["companies"][0]["do_not_solicit"] = False
    said["candidates"][0]["status"] = "disponible"
    assert load(said).changed == 0
    assert "status" not in export_document()["candidates"][0]


def test_a_duration_of_zero_months_is_a_duration():
    """Spec: duration_months "number, optional: absent for a permanent need": 0 is a
    number, stored as 0 and exported as 0 (not dropped as if absent)."""
    doc = document(
        companies=[company(ref="co")], needs=[need(ref="court", company="co", duration_months=0)]
    )
    assert validate(doc) == []
    load(copy.deepcopy(doc))
    assert by_ref(Need, "court").duration_months == 0
    (exported,) = export_document()["needs"]
    assert exported["duration_months"] == 0 and type(exported["duration_months"]) is int
    assert export_document() == normalize_document(doc)
    assert load(copy.deepcopy(doc)).changed == 0
    # And left out again, the need is permanent.
    del doc["needs"][0]["duration_months"]
    load(doc)
    assert by_ref(Need, "court").duration_months is None


def test_need_may_refer_to_a_company_already_stored():
    load(document(companies=[company(ref="deja-la")]))
    result = load(document(needs=[need(ref="n1", company="deja-la")]))
    assert result["needs"].created == 1
    assert db.session.scalar(select(Need)).company.ref == "deja-la"


def test_same_siret_and_email_under_the_same_ref_is_an_update():
    siret = make_siret()
    load(document(companies=[company(ref="c", siret=siret)], candidates=[candidate(ref="p")]))
    result = load(
        document(
            companies=[company(ref="c", siret=siret, name="Nouveau nom")],
            candidates=[candidate(ref="p", email=db.session.scalar(select(Candidate.email)))],
        )
    )
    assert result["companies"].updated == 1
    assert result["candidates"].updated == 1  # the factory gave another surname


def test_a_siret_may_move_between_two_refs_in_one_document():
    old = make_siret()
    load(document(companies=[company(ref="ancienne", siret=old)]))
    doc = document(
        companies=[
            company(ref="ancienne", siret=make_siret()),
            company(ref="la-nouvelle", siret=old),
        ]
    )
    assert validate(doc) == []
    result = load(doc)
    assert (result["companies"].updated, result["companies"].created) == (1, 1)
    assert db.session.scalar(select(Company.ref).where(Company.siret == old)) == "la-nouvelle"


def test_two_stored_records_may_swap_their_siret_and_email():
    s1, s2 = make_siret(), make_siret()
    load(
        document(
            companies=[company(ref="a", siret=s1), company(ref="b", siret=s2)],
            candidates=[
                candidate(ref="p", email="p@exemple.fr"),
                candidate(ref="q", email="q@exemple.fr"),
            ],
        )
    )
    result = load(
        document(
            companies=[company(ref="a", siret=s2), company(ref="b", siret=s1)],
            candidates=[
                candidate(ref="p", email="q@exemple.fr"),
                candidate(ref="q", email="p@exemple.fr"),
            ],
        )
    )
    assert result["companies"].updated == 2 and result["candidates"].updated == 2
    db.session.expire_all()
    assert db.session.scalar(select(Company.siret).where(Company.ref == "a")) == s2
    assert db.session.scalar(select(Candidate.email).where(Candidate.ref == "q")) == "p@exemple.fr"


def test_null_optional_fields_are_absent_fields():
    item = candidate(ref="cv")
    item.update(phone=None, rome=None, status=None, source=None)
    doc = document(candidates=[item], partners=[partner(epcis=None)], needs=None)
    assert validate(doc) == []
    load(doc)
    assert db.session.scalar(select(Candidate.phone)) is None


# --------------------------------------------------------------------------- rejection


def base_document() -> dict:
    """A valid document with one record of each collection, for mutation by the cases."""
    return document(
        operators=[operator(ref="op")],
        partners=[partner(ref="pa")],
        companies=[company(ref="co")],
        candidates=[candidate(ref="cv")],
        needs=[need(ref="be", company="co")],
    )


def put(collection: str, key: str, value):
    def mutate(doc):
        doc[collection][0][key] = value

    return mutate


def drop(collection: str, key: str):
    def mutate(doc):
        del doc[collection][0][key]

    return mutate


def add(collection: str, item_builder):
    def mutate(doc):
        doc[collection].append(item_builder(doc))

    return mutate


def bad_value(case_id: str, collection: str, key: str, value, message: str, at: str = ""):
    """A case of ``CASES`` where the first item of ``collection`` gets ``value`` under
    ``key``: the error points at that key (then ``at``, inside its value)."""
    return (case_id, put(collection, key, value), f"/{collection}/0/{key}{at}", message)


CASES = [
    # (id, mutation, pointer, message fragment)
    ("format-missing", lambda d: d.pop("format"), "/format", "Champ obligatoire manquant :"),
    (
        "format-wrong",
        lambda d: d.update(format="connectences/v2"),
        "/format",
        "Format inconnu « connectences/v2 »",
    ),
    (
        "top-unknown",
        lambda d: d.update(need=[]),
        "/need",
        "Clé inconnue « need » (vouliez-vous dire « needs » ?).",
    ),
    ("collection-object", lambda d: d.update(needs={}), "/needs", "doit être une liste"),
    ("collection-string", lambda d: d.update(partners="pa"), "/partners", "doit être une liste"),
    ("item-not-object", lambda d: d["needs"].append("be2"), "/needs/1", "doit être un objet"),
    bad_value("typo-key", "needs", "hours_per_weak", 7, "Clé inconnue « hours_per_weak »"),
    bad_value("operator-unknown-key", "operators", "phone", "05", "Clé inconnue"),
    bad_value("partner-unknown-key", "partners", "levels", [], "Clé inconnue"),
    bad_value("company-unknown-key", "companies", "siren", "1", "Clé inconnue"),
    bad_value("candidate-forbidden-key", "candidates", "age", 42, "Clé inconnue"),
    # The same criteria typed as skills (Code du travail L1132-1): refused where they are.
    bad_value(
        "need-skill-forbidden",
        "needs",
        "skills",
        ["comptabilité", "homme"],
        "« homme » : la plateforme ne tient jamais compte du sexe",
        at="/1",
    ),
    bad_value(
        "candidate-skill-forbidden",
        "candidates",
        "skills",
        ["accueil", "facturation", "55 ans"],
        "« 55 ans » : la plateforme ne tient jamais compte de l'âge",
        at="/2",
    ),
    ("escaped-key", put("needs", "a/b~c", 1), "/needs/0/a~1b~0c", "Clé inconnue « a/b~c »."),
    bad_value(
        "bool-as-number", "needs", "hours_per_week", True, "doit être un nombre entre 1 et 48"
    ),
    bad_value(
        "string-as-number", "needs", "hours_per_week", "7", "doit être un nombre entre 1 et 48"
    ),
    bad_value("hours-zero", "needs", "hours_per_week", 0, "doit être un nombre entre 1 et 48"),
    bad_value("hours-49", "needs", "hours_per_week", 49, "doit être un nombre entre 1 et 48"),
    bad_value(
        "nan", "candidates", "mobility_km", float("nan"), "doit être un nombre entre 0 et 200"
    ),
    bad_value(
        "mobility-201", "candidates", "mobility_km", 201, "doit être un nombre entre 0 et 200"
    ),
    bad_value("mobility-negative", "candidates", "mobility_km", -1, "entre 0 et 200"),
    (
        "hours-min-over-max",
        lambda d: d["candidates"][0].update(hours_min=30, hours_max=20),
        "/candidates/0/hours_min",
        "La valeur (30) doit être inférieure ou égale à celle de hours_max (20).",
    ),
    bad_value("hours-max-49", "candidates", "hours_max", 49, "entre 1 et 48"),
    bad_value("max-hours-bool", "operators", "max_hours_per_week", False, "doit être un nombre"),
    bad_value(
        "duration-negative", "needs", "duration_months", -1, "nombre positif ou nul (reçu : -1)"
    ),
    bad_value("employees-negative", "companies", "employees", -1, "entier positif ou nul"),
    bad_value("employees-fraction", "companies", "employees", 2.5, "entier positif ou nul"),
    bad_value("employees-string", "companies", "employees", "4", "entier"),
    bad_value("string-as-list", "needs", "skills", "comptabilité", "doit être une liste"),
    bad_value(
        "empty-skills",
        "candidates",
        "skills",
        [],
        "La liste doit contenir au moins une valeur.",
    ),
    bad_value("empty-days", "needs", "days", [], "au moins une valeur"),
    bad_value("empty-epcis", "operators", "epcis", [], "au moins une valeur"),
    bad_value("empty-levels", "operators", "levels", [], "au moins une valeur"),
    bad_value("empty-contracts", "candidates", "contracts", [], "au moins une valeur"),
    bad_value(
        "skill-not-string", "candidates", "skills", ["paie", 3], "chaîne de caractères", at="/1"
    ),
    bad_value("skill-empty", "needs", "skills", ["paie", " "], "ne doit pas être vide", at="/1"),
    bad_value("level-unknown", "needs", "level", "expert", "Valeur inconnue « expert »"),
    bad_value(
        "day-unknown", "needs", "days", ["tue", "lundi"], "Valeur inconnue « lundi »", at="/1"
    ),
    bad_value("day-twice", "candidates", "days", ["mon", "mon"], "en double", at="/1"),
    bad_value("contract-unknown", "needs", "contract", "interim", "Valeur inconnue"),
    bad_value("reason-unknown", "needs", "reason", "autre", "Valeur inconnue"),
    bad_value("operator-kind", "operators", "kind", "france_travail", "Valeur inconnue"),
    bad_value("partner-kind", "partners", "kind", "groupement_employeurs", "Valeur inconnue"),
    bad_value("status-unknown", "candidates", "status", "occupe", "Valeur inconnue"),
    bad_value(
        "operator-contract",
        "operators",
        "contracts",
        ["cdi", "stage"],
        "Valeur inconnue « stage »",
        at="/1",
    ),
    bad_value("empty-name", "companies", "name", "", "ne doit pas être vide"),
    bad_value("blank-title", "needs", "title", "   ", "ne doit pas être vide"),
    bad_value("number-as-name", "operators", "name", 12, "chaîne de caractères"),
    bad_value("object-as-name", "partners", "name", {"fr": "x"}, "chaîne de caractères"),
    bad_value("ref-not-string", "needs", "ref", 3, "chaîne de caractères"),
    bad_value("ref-too-long", "operators", "ref", "x" * 101, "100 caractères"),
    # Names go into the mails the platform sends: the names rule of every form
    # (contacts.check_sent_name), its part that protects people.
    bad_value(
        "name-line-break", "candidates", "first_name", "Paul\nVotre compte", "une seule ligne"
    ),
    bad_value("name-tab", "candidates", "last_name", "Exemple\tdu Port", "une seule ligne"),
    bad_value(
        "name-line-separator", "companies", "name", "Boulangerie\u2028Payez", "une seule ligne"
    ),
    bad_value(
        "name-link", "candidates", "last_name", "www.colis-relais.fr", "sans lien ni adresse"
    ),
    bad_value("name-url", "companies", "name", "Réglez sur https://x.example/p", "sans lien"),
    bad_value("name-email", "candidates", "first_name", "paul@evil.fr", "sans lien ni adresse"),
    bad_value("name-spaced-domain", "operators", "name", "GE evil . com", "sans lien"),
    bad_value("partner-name-link", "partners", "name", "Aide sur bit.ly/abc", "sans lien"),
    bad_value("first-name-too-long", "candidates", "first_name", "A" * 61, "60 caractères"),
    bad_value("last-name-too-long", "candidates", "last_name", "B" * 81, "80 caractères"),
    bad_value("company-name-too-long", "companies", "name", "C" * 121, "120 caractères"),
    bad_value("operator-email", "operators", "email", "contact@", "Adresse e-mail invalide"),
    bad_value("partner-email", "partners", "email", "pas une adresse", "Adresse e-mail invalide"),
    bad_value("company-email", "companies", "contact_email", "a@b", "Adresse e-mail invalide"),
    bad_value(
        "candidate-email", "candidates", "email", "camille.exemple.fr", "Adresse e-mail invalide"
    ),
    bad_value(
        "siret-checksum",
        "companies",
        "siret",
        "90412345200017",
        "SIRET invalide (clé de contrôle).",
    ),
    bad_value("siret-short", "companies", "siret", "9041234520001", "14 chiffres"),
    bad_value("siret-spaces", "companies", "siret", "904 123 452 00016", "14 chiffres"),
    bad_value("siret-number", "companies", "siret", 90412345200016, "chaîne de 14 chiffres"),
    bad_value("naf", "companies", "naf", "5610A", "Code NAF invalide"),
    bad_value(
        "commune-unknown", "companies", "commune", "99999", "Code INSEE inconnu : « 99999 »."
    ),
    bad_value(
        "commune-postcode", "candidates", "commune", "33000", "Code INSEE inconnu : « 33000 »."
    ),
    bad_value("commune-number", "needs", "commune", 33009, "code INSEE"),
    # "an INSEE code of a current French commune": not a former one (Annecy-le-Vieux,
    # merged into Annecy in 2017), not a municipal arrondissement (Paris 1er), not
    # Corsica's code before 1976 nor a Corsican code in small letters, nor a padded one.
    bad_value("commune-former", "companies", "commune", "74011", "« 74011 »"),
    bad_value("commune-arrondissement", "candidates", "commune", "75101", "« 75101 »"),
    bad_value("commune-corsica-before-1976", "needs", "commune", "20004", "« 20004 »"),
    bad_value("commune-corsica-lowercase", "companies", "commune", "2a004", "« 2a004 »"),
    bad_value("commune-padded", "candidates", "commune", " 33009", "«  33009 »"),
    # A value ending the message is quoted: its own dot or question mark is not the
    # sentence's end (« Code INSEE inconnu : 3300. » read as the code 3300).
    bad_value(
        "commune-ending-with-a-dot",
        "companies",
        "commune",
        "3300.",
        "Code INSEE inconnu : « 3300. ».",
    ),
    bad_value(
        "epci-unknown",
        "operators",
        "epcis",
        [COBAS, "123456789"],
        "SIREN d'intercommunalité inconnu : « 123456789 ».",
        at="/1",
    ),
    bad_value(
        "epci-ending-with-a-question-mark",
        "partners",
        "epcis",
        ["24330056?"],
        "SIREN d'intercommunalité inconnu : « 24330056? ».",
        at="/0",
    ),
    bad_value("partner-epci", "partners", "epcis", ["33009"], "inconnu", at="/0"),
    bad_value("epci-twice", "operators", "epcis", [COBAS, COBAS], "en double", at="/1"),
    bad_value("rome-short", "needs", "rome", "M120", "Code ROME invalide"),
    bad_value("rome-lowercase", "needs", "rome", "m1203", "Code ROME invalide"),
    bad_value(
        "rome-list-item", "candidates", "rome", ["M1203", "1203M"], "Code ROME invalide", at="/1"
    ),
    bad_value("rome-as-string", "candidates", "rome", "M1203", "doit être une liste"),
    bad_value(
        "rome-domain-3", "operators", "rome_domains", ["M", "M1"], "Domaine ROME invalide", at="/1"
    ),
    bad_value(
        "rome-domain-word", "operators", "rome_domains", ["MM"], "Domaine ROME invalide", at="/0"
    ),
    bad_value(
        "date-impossible", "needs", "start", "2027-02-30", "Date inexistante : « 2027-02-30 »."
    ),
    bad_value("date-french", "candidates", "available_from", "04/01/2027", "AAAA-MM-JJ"),
    bad_value("date-number", "needs", "start", 20270201, "AAAA-MM-JJ"),
    bad_value("date-time", "needs", "start", "2027-02-01T09:00:00", "AAAA-MM-JJ"),
    bad_value(
        "consent-false",
        "candidates",
        "consent",
        False,
        "consentement de la personne est obligatoire",
    ),
    (
        "consent-missing",
        drop("candidates", "consent"),
        "/candidates/0/consent",
        "Champ obligatoire manquant.",
    ),
    bad_value("consent-string", "candidates", "consent", "true", "booléen"),
    bad_value("do-not-solicit-number", "companies", "do_not_solicit", 0, "booléen"),
    bad_value(
        "unknown-company",
        "needs",
        "company",
        "inconnue",
        "Entreprise inconnue : « inconnue » (ni dans le document ni en base).",
    ),
    (
        "duplicate-ref",
        add("needs", lambda d: need(ref="be", company="co")),
        "/needs/1/ref",
        "Référence en double « be » : déjà utilisée en /needs/0.",
    ),
    (
        "duplicate-operator-ref",
        add("operators", lambda d: operator(ref="op")),
        "/operators/1/ref",
        "Référence en double",
    ),
    (
        "duplicate-siret",
        add("companies", lambda d: company(siret=d["companies"][0]["siret"])),
        "/companies/1/siret",
        "SIRET en double : déjà utilisé en /companies/0.",
    ),
    (
        "duplicate-email",
        add("candidates", lambda d: candidate(email=d["candidates"][0]["email"].upper())),
        "/candidates/1/email",
        "Adresse e-mail en double : déjà utilisée en /candidates/0.",
    ),
    (
        "duplicate-email-with-spaces",
        add("candidates", lambda d: candidate(email=" " + d["candidates"][0]["email"] + " ")),
        "/candidates/1/email",
        "Adresse e-mail en double : déjà utilisée en /candidates/0.",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "where", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_broken_rule_is_reported_at_its_pointer_and_nothing_is_written(
    mutate, where, fragment
):
    doc = base_document()
    assert validate(doc) == []
    mutate(doc)

    with pytest.raises(ExchangeError) as raised, written_statements() as statements:
        import_document(doc)

    errors = raised.value.errors
    assert [e.pointer for e in errors] == [where], errors
    assert fragment in errors[0].message
    assert_sentence(errors[0].message)
    assert statements == []
    db.session.rollback()
    assert counts() == EMPTY


@pytest.mark.parametrize(
    ("collection", "key"),
    [(c, k) for c, fields in SCHEMA.items() for k, spec in fields.items() if spec.required],
)
def test_each_required_field_missing_is_reported(collection, key):
    doc = base_document()
    del doc[collection][0][key]
    errors = validate(doc)
    assert FieldError(pointer(collection, 0, key), "Champ obligatoire manquant.") in errors
    # Reported once; only a company without its ref leaves its need without a company.
    expected = 2 if (collection, key) == ("companies", "ref") else 1
    assert len(errors) == expected


@pytest.mark.parametrize("value", [[], "texte", 3, None, True])
def test_a_document_that_is_not_an_object_gives_one_error_at_the_root(value):
    assert validate(value) == [
        FieldError("", "Le document doit être un objet JSON (entre accolades { ... }).")
    ]


def test_unknown_key_suggests_the_right_one():
    doc = base_document()
    doc["candidates"][0]["mobilty_km"] = doc["candidates"][0].pop("mobility_km")
    errors = validate(doc)
    assert [str(e) for e in errors] == [
        "/candidates/0/mobilty_km : Clé inconnue « mobilty_km » (vouliez-vous dire « mobility_km » ?).",
        "/candidates/0/mobility_km : Champ obligatoire manquant.",
    ]


def test_every_error_of_a_document_is_reported_at_once_in_document_order():
    doc = base_document()
    doc["needs"].append(need(ref="be-2", company="co", hours_per_week=60, days=["dim"]))
    doc["companies"][0]["siret"] = "12345678901234"
    doc["candidates"][0]["hours_max"] = True
    errors = validate(doc)
    assert [e.pointer for e in errors] == [
        "/companies/0/siret",
        "/candidates/0/hours_max",
        "/needs/1/hours_per_week",
        "/needs/1/days/0",
    ]


def test_the_audit_s_document_is_refused_whole_at_each_forbidden_skill():
    # The spec: candidates hold "only what matching needs; never age, sex, nationality...".
    doc = base_document()
    doc["needs"][0]["skills"] = [
        "comptabilité",
        "homme",
        "moins de 30 ans",
        "nationalité française",
    ]
    doc["candidates"][0]["skills"] = ["comptabilité", "femme", "55 ans", "célibataire sans enfant"]
    doc["candidates"].append(
        candidate(ref="cv-2", skills=["femme de chambre", "garde d'enfants", "5 ans d'expérience"])
    )
    with pytest.raises(ExchangeError) as raised, written_statements() as statements:
        import_document(doc)
    assert [str(e) for e in raised.value.errors] == [
        "/candidates/0/skills/1 : « femme » : la plateforme ne tient jamais compte du sexe "
        "(critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le.",
        "/candidates/0/skills/2 : « 55 ans » : la plateforme ne tient jamais compte de l'âge "
        "(critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le.",
        "/candidates/0/skills/3 : « célibataire sans enfant » : la plateforme ne tient jamais "
        "compte de la situation de famille (critère interdit par la loi, article L1132-1 du "
        "Code du travail). Retirez-le.",
        "/needs/0/skills/1 : « homme » : la plateforme ne tient jamais compte du sexe "
        "(critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le.",
        "/needs/0/skills/2 : « moins de 30 ans » : la plateforme ne tient jamais compte de "
        "l'âge (critère interdit par la loi, article L1132-1 du Code du travail). Retirez-le.",
        "/needs/0/skills/3 : « nationalité française » : la plateforme ne tient jamais compte "
        "de la nationalité ou de l'origine (critère interdit par la loi, article L1132-1 du "
        "Code du travail). Retirez-le.",
    ]
    assert statements == []
    db.session.rollback()
    assert counts() == EMPTY


def test_empty_and_absent_collections_are_valid():
    assert validate({"format": "connectences/v1"}) == []
    assert validate(document(operators=[], needs=[])) == []
    assert import_document({"format": "connectences/v1"}).changed == 0


@pytest.mark.parametrize(
    "insee",
    [
        "2A004",  # Ajaccio (Corse-du-Sud)
        "2B033",  # Bastia (Haute-Corse)
        "97101",  # Les Abymes (Guadeloupe)
        "97608",  # Dzaoudzi (Mayotte)
        "75056",  # Paris, the commune (not its arrondissements)
        "74010",  # Annecy, the commune made of the 2017 merger
    ],
)
def test_every_kind_of_current_commune_is_accepted(insee):
    doc = base_document()
    doc["companies"][0]["commune"] = insee
    doc["candidates"][0]["commune"] = insee
    doc["needs"][0]["commune"] = insee
    assert validate(doc) == []


@pytest.mark.parametrize(
    ("collection", "key", "message"),
    [
        ("needs", "hours_per_week", "La valeur doit être un nombre entre 1 et 48."),
        ("operators", "max_hours_per_week", "La valeur doit être un nombre supérieur ou égal à 1."),
        ("needs", "duration_months", "La valeur doit être un nombre positif ou nul."),
        ("companies", "employees", "La valeur doit être un nombre entier positif ou nul."),
    ],
)
def test_a_number_beyond_floats_is_refused_at_its_pointer(collection, key, message):
    # 1e400 is valid JSON that Python reads as infinity (NaN and Infinity themselves are
    # refused by the parser): a number no field can hold, refused where it stands.
    doc = base_document()
    doc[collection][0][key] = 12345
    text = json.dumps(doc).replace("12345", "1e400")
    with pytest.raises(ExchangeError) as raised, written_statements() as statements:
        import_document(parse_document(text))
    assert [(e.pointer, e.message) for e in raised.value.errors] == [
        (f"/{collection}/0/{key}", message)
    ]
    assert statements == []
    db.session.rollback()
    assert counts() == EMPTY


def test_valid_rome_domain_prefixes():
    doc = base_document()
    doc["operators"][0]["rome_domains"] = ["M", "K22", "M1203"]
    assert validate(doc) == []


def test_siret_already_stored_under_another_ref_is_refused():
    siret = make_siret()
    load(document(companies=[company(ref="premiere", siret=siret)]))
    doc = document(companies=[company(ref="seconde", siret=siret)])
    with pytest.raises(ExchangeError) as raised:
        load(doc)
    assert [str(e) for e in raised.value.errors] == [
        "/companies/0/siret : SIRET déjà utilisé par l'entreprise « premiere » enregistrée en base."
    ]
    assert counts()["companies"] == 1


def test_a_company_ref_may_not_pass_for_a_provisional_one():
    # Provisional companies (created by an unconfirmed public need) are hidden from every
    # list and deleted with that need: an imported company must never look like one.
    doc = document(companies=[company(ref="provisoire-abc")])
    with pytest.raises(ExchangeError) as raised:
        load(doc)
    assert [str(e) for e in raised.value.errors] == [
        "/companies/0/ref : La valeur ne doit pas commencer par « provisoire- » (préfixe réservé)."
    ]


def test_candidate_email_already_stored_under_another_ref_is_refused():
    load(document(candidates=[candidate(ref="p1", email="Camille@Exemple.fr")]))
    with pytest.raises(ExchangeError) as raised:
        load(document(candidates=[candidate(ref="p2", email="camille@exemple.fr")]))
    assert [str(e) for e in raised.value.errors] == [
        "/candidates/0/email : Adresse e-mail déjà utilisée par le candidat « p1 » enregistré en base."
    ]
    assert counts()["candidates"] == 1


def test_rejected_document_leaves_stored_records_untouched():
    load(base_document())
    doc = base_document()
    doc["companies"][0]["name"] = "Autre nom"
    doc["needs"][0]["hours_per_week"] = 0
    with pytest.raises(ExchangeError):
        load(doc)
    db.session.expire_all()
    assert db.session.scalar(select(Company.name)) != "Autre nom"


# --------------------------------------------------------------------------- parsing


def test_parse_document_refuses_repeated_keys_and_endless_integers_in_french():
    # Found by an audit: {"hours_max": 60, "hours_max": 10} imported 10 without a word,
    # and a 5,000-digit number was answered in Python's English.
    with pytest.raises(ExchangeError) as raised:
        parse_document('{"format": "connectences/v1", "a": {"hours_max": 60, "hours_max": 10}}')
    assert raised.value.errors[0].message == (
        "Le fichier n'est pas un JSON valide : clé « hours_max » en double dans le même objet."
    )
    with pytest.raises(ExchangeError) as raised:
        parse_document('{"n": ' + "9" * 5000 + "}")
    assert raised.value.errors[0].message.endswith("nombre trop long (5000 chiffres).")
    assert parse_document('{"n": -12, "m": 1.5}') == {"n": -12, "m": 1.5}


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("doit être une liste", "La valeur doit être une liste."),
        ("ne doit pas être vide", "La valeur ne doit pas être vide."),
        ("contient un caractère nul", "La valeur contient un caractère nul."),
        ("champ obligatoire manquant", "Champ obligatoire manquant."),
        ("  SIRET invalide (clé de contrôle) ", "SIRET invalide (clé de contrôle)."),
        (
            "la liste doit contenir au moins une valeur",
            "La liste doit contenir au moins une valeur.",
        ),
        # Its own end kept: a question, a sequel, a sentence already closed.
        (
            "clé inconnue « x » (vouliez-vous dire « y » ?)",
            "Clé inconnue « x » (vouliez-vous dire « y » ?).",
        ),
        ("vouliez-vous dire « needs » ?", "Vouliez-vous dire « needs » ?"),
        ("et ainsi de suite…", "Et ainsi de suite…"),
        (
            "… et 2 autres erreurs (seules les 200 premières sont listées).",
            "… et 2 autres erreurs (seules les 200 premières sont listées).",
        ),
        (
            "« 55 ans » : la plateforme ne tient jamais compte de l'âge. Retirez-le.",
            "« 55 ans » : la plateforme ne tient jamais compte de l'âge. Retirez-le.",
        ),
        ("format NAF rév. 2, ex. 56.10A", "Format NAF rév. 2, ex. 56.10A."),
        # "doit" only as a word: a check's words starting otherwise keep them.
        ("doités inconnus", "Doités inconnus."),
    ],
)
def test_a_check_s_words_become_a_sentence_once(words, said):
    """The spec reports each field with "a sentence in French": a subject where the words
    have none, a capital, a full stop unless they end their own way; made twice (a
    FieldError built again from one's message), the sentence stays the same."""
    assert sentence(words) == said
    assert sentence(said) == said
    assert FieldError("/x", words) == FieldError("/x", said)


def _refusal_of(sent) -> list[str]:
    """The messages a document (JSON text, or a parsed object) is refused with."""
    with pytest.raises(ExchangeError) as raised:
        import_document(parse_document(sent) if isinstance(sent, str | bytes) else sent)
    db.session.rollback()
    return [error.message for error in raised.value.errors]


@pytest.mark.parametrize(
    "sent",
    [
        b"\xff\xfe{}",
        b'{"format": "connectences/v1",\n  "needs": [}',
        '{"x": NaN}',
        '{"x": -Infinity}',
        '{"n": ' + "9" * 30 + "}",
        '{"a": {"k": 1, "k": 2}}',
        "[" * 100_000 + "]" * 100_000,
        "",
        [],
        document(needs=[need(ref="n\x00", company="co")], companies=[company(ref="co")]),
        document(needs=[need(ref="x/matches", company="co")], companies=[company(ref="co")]),
        document(
            needs=[need(company="co", title="Serveuse jeune et dynamique")],
            companies=[company(ref="co")],
        ),
        document(candidates=[candidate(last_name="www.colis-relais.fr", skills=["55 ans"])]),
    ],
    ids=lambda sent: repr(sent)[:40],
)
def test_every_refusal_of_a_broken_document_is_a_sentence(sent):
    """Refusals the oracle's mutations do not make are sentences too: unreadable text,
    NUL, a ref no address carries, a forbidden criterion, a name with a link."""
    messages = _refusal_of(sent)
    assert messages
    for message in messages:
        assert_sentence(message)


@pytest.mark.parametrize(
    ("sent", "where"),
    [
        (document(needs=[need(ref="n\x00", company="co")], companies=[company(ref="co")]), "/needs/0/ref"),
        (document(needs=[need(ref="n", company="co\x00")], companies=[company(ref="co")]), "/needs/0/company"),
        (document(companies=[company(ref="co\x00")]), "/companies/0/ref"),
        (document(companies=[company(ref="co", name="Bistrot\x00")]), "/companies/0/name"),
        (document(candidates=[candidate(ref="cv\x00")]), "/candidates/0/ref"),
        (document(candidates=[candidate(email="a\x00@exemple.fr")]), "/candidates/0/email"),
        (document(candidates=[candidate(skills=["compta", "saisie\x00"])]), "/candidates/0/skills/1"),
    ],
    ids=lambda value: repr(value)[:30],
)  # fmt: skip
def test_a_nul_anywhere_is_refused_at_its_pointer_and_never_sent_to_the_database(sent, where):
    """PostgreSQL refuses NUL in any text, even as a value a statement compares with: the
    checks across records (a need's company, a ref an operator holds, an erased person,
    a stored address) looked it up and the import answered a server error there."""
    with pytest.raises(ExchangeError) as raised:
        import_document(sent)
    db.session.rollback()
    assert where in [error.pointer for error in raised.value.errors]


def test_the_line_counting_the_errors_not_listed_is_a_sentence():
    errors = [
        FieldError(f"/companies/{i}/siret", "SIRET invalide") for i in range(LISTED_ERRORS + 2)
    ]
    last = ExchangeError(errors).listed()[-1]
    assert last == FieldError(
        "", f"… et 2 autres erreurs (seules les {LISTED_ERRORS} premières sont listées)."
    )
    assert_sentence(last.message)


def test_parse_document_refuses_non_json_and_nan_with_french_sentences():
    with pytest.raises(ExchangeError) as raised:
        parse_document(b'{"format": "connectences/v1",\n  "needs": [}')
    assert raised.value.errors == [
        FieldError("", "Le fichier n'est pas un JSON valide (ligne 2, colonne 13).")
    ]
    with pytest.raises(ExchangeError) as raised:
        parse_document('{"x": NaN}')
    assert "NaN" in raised.value.errors[0].message
    with pytest.raises(ExchangeError) as raised:
        parse_document(b"\xff\xfe{}")
    assert "UTF-8" in raised.value.errors[0].message
    assert parse_document("\ufeff{}".encode()) == {}


# --------------------------------------------------------------------------- CLI


def test_cli_import_then_export_round_trips(runner, tmp_path):
    doc = full_document()
    source = tmp_path / "entree.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    result = runner.invoke(args=["exchange", "import", str(source)])

    assert result.exit_code == 0, result.output
    assert "Import terminé." in result.output
    assert "besoins : 2 créations, 0 mise à jour, 0 sans changement" in result.output
    assert counts()["needs"] == 2

    target = tmp_path / "sortie.json"
    result = runner.invoke(args=["exchange", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Export écrit dans {target}" in result.output
    text = target.read_text(encoding="utf-8")
    assert "Comptabilité" in text  # UTF-8 kept, not \u escapes
    assert '\n  "operators": [' in text  # indented by 2
    assert json.loads(text) == normalize_document(doc)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "exchange.export")
        )
        == 1
    )

    again = runner.invoke(args=["exchange", "import", str(target)])
    assert again.exit_code == 0
    assert "besoins : 0 création, 0 mise à jour, 2 sans changement" in again.output
    assert again.output.count(" 0 création, 0 mise à jour, ") == 5  # every collection
    # Export, import, export: the same bytes.
    second = tmp_path / "sortie-2.json"
    assert runner.invoke(args=["exchange", "export", str(second)]).exit_code == 0
    assert second.read_bytes() == target.read_bytes()


def test_cli_export_to_stdout(runner):
    load(copy.deepcopy(SPEC_EXAMPLE))
    result = runner.invoke(args=["exchange", "export"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {**SPEC_EXAMPLE, "format": "connectences/v1.1"}
    assert "Comptabilité 1 jour par semaine" in result.stdout


def test_cli_import_of_an_invalid_document_prints_each_error_and_writes_nothing(runner, tmp_path):
    doc = base_document()
    doc["needs"][0]["hours_per_week"] = 50
    doc["companies"][0]["siret"] = "90412345200017"
    source = tmp_path / "faux.json"
    source.write_text(json.dumps(doc), encoding="utf-8")

    result = runner.invoke(args=["exchange", "import", str(source)])

    assert result.exit_code == 1
    assert "Document refusé : 2 erreurs, rien n'a été enregistré." in result.output
    assert "/companies/0/siret : SIRET invalide (clé de contrôle).\n" in result.output
    assert (
        "/needs/0/hours_per_week : La valeur doit être un nombre entre 1 et 48 (reçu : 50).\n"
        in result.output
    )
    assert counts() == EMPTY


def test_cli_import_lists_the_first_200_errors_then_counts_the_others(runner, tmp_path):
    """A document with thousands of bad SIRETs printed every one of them: every error is
    still counted, the first 200 are listed, one line says how many more."""
    doc = document(companies=[company(siret="90412345200017") for _ in range(203)])
    source = tmp_path / "faux.json"
    source.write_text(json.dumps(doc), encoding="utf-8")

    result = runner.invoke(args=["exchange", "import", str(source)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Document refusé : 203 erreurs, rien n'a été enregistré."
    assert lines[1:201] == [
        f"/companies/{i}/siret : SIRET invalide (clé de contrôle)." for i in range(200)
    ]
    assert lines[201:] == [
        "(document) : … et 3 autres erreurs (seules les 200 premières sont listées)."
    ]
    assert counts() == EMPTY


def test_cli_import_of_a_file_that_is_not_json(runner, tmp_path):
    source = tmp_path / "pas-du-json.json"
    source.write_text("format: connectences/v1\n", encoding="utf-8")
    result = runner.invoke(args=["exchange", "import", str(source)])
    assert result.exit_code == 1
    assert (
        "(document) : Le fichier n'est pas un JSON valide (ligne 1, colonne 1).\n" in result.output
    )
    assert "Traceback" not in result.output


def test_cli_import_from_standard_input(runner):
    result = runner.invoke(
        args=["exchange", "import", "-"], input=json.dumps(SPEC_EXAMPLE).encode("utf-8")
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Need.title)) == "Comptabilité 1 jour par semaine"


def test_cli_import_of_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["exchange", "import", str(tmp_path / "absent.json")])
    assert result.exit_code == 1
    # Found by an audit: the reason was the system's English ("No such file or directory").
    assert result.output == (
        f"Impossible de lire le fichier « {tmp_path / 'absent.json'} » : "
        "fichier ou dossier introuvable.\n"
    )


def test_cli_import_of_a_directory_and_export_into_a_missing_one_are_said_in_french(
    runner, tmp_path
):
    result = runner.invoke(args=["exchange", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Impossible de lire le fichier « {tmp_path} » : c'est un dossier, pas un fichier.\n"
    )
    target = tmp_path / "absent" / "export.json"
    result = runner.invoke(args=["exchange", "export", str(target)])
    assert result.exit_code == 1
    assert result.output == f"Impossible d'écrire « {target} » : fichier ou dossier introuvable.\n"
    (tmp_path / "dossier").mkdir()
    result = runner.invoke(args=["exchange", "export", str(tmp_path / "dossier")])
    assert result.exit_code == 1
    assert "c'est un dossier, pas un fichier" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dossier"]  # no temporary file left


def test_cli_import_of_a_json_array(runner, tmp_path):
    source = tmp_path / "liste.json"
    source.write_text("[]", encoding="utf-8")
    result = runner.invoke(args=["exchange", "import", str(source)])
    assert result.exit_code == 1
    assert "(document) : Le document doit être un objet JSON" in result.output


def test_imported_dates_are_dates():
    load(copy.deepcopy(SPEC_EXAMPLE))
    person = db.session.scalar(select(Candidate))
    assert person.available_from.isoformat() == "2027-01-04"
    assert person.consent_at <= datetime.now(UTC)


def test_an_address_sent_with_spaces_is_stored_trimmed_and_stays_one_person():
    # Found by an audit: " x@ex.fr" was stored as sent, then "x@ex.fr" in a later
    # document was another person with the same address.
    doc = base_document()
    doc["candidates"][0]["email"] = "  camille.spaces@exemple.fr "
    import_document(doc)
    db.session.commit()
    assert db.session.scalars(select(Candidate.email)).all() == ["camille.spaces@exemple.fr"]
    later = base_document()
    later["candidates"][0].update(ref="autre-ref", email="camille.spaces@exemple.fr")
    with pytest.raises(ExchangeError) as raised:
        import_document(later)
    assert "Adresse e-mail" in raised.value.errors[0].message


def test_a_huge_number_is_echoed_short():
    """1e308 was written back with its 309 digits in the error."""
    doc = base_document()
    doc["needs"][0]["hours_per_week"] = 1e308
    errors = [str(e) for e in validate(doc)]
    assert (
        "/needs/0/hours_per_week : La valeur doit être un nombre entre 1 et 48 (reçu : 1e+308)."
        in errors
    )


def _public_need(siret: str, title: str, email: str) -> Need:
    """A need sent on the public form for ``siret`` and left unconfirmed."""
    values = {"title": title, "level": "employe_qualifie", "hours_per_week": 7.0}
    values |= {"days": ["mon"], "contract": "cdd", "reason": "pic_activite"}
    values |= {"start": datetime.now(UTC).date(), "skills": ["accueil"]}
    typed = {"company_name": "Nom tapé", "siret": siret, "company_commune": "33009"}
    owner = {"owner_name": "Quelqu'un", "owner_email": email, "owner_phone": "0611223344"}
    need = register.submit_public_need(db.session, values, typed, owner)
    db.session.commit()
    return need


def test_the_export_holds_only_what_the_platform_offers_and_imports_again():
    # Found by an audit: a need sent on the public form and never confirmed (anyone can
    # send one) was exported with the provisional company it created, whose reserved
    # ref our own import refuses: the export of any live instance could not be imported
    # again, and handed unverified submissions to other platforms.
    stored = company(ref="connue")
    load(document(companies=[stored], needs=[need(ref="confirme", company="connue")]))
    _public_need(make_siret(8801), "Jamais confirmé", "inconnu@exemple.fr")
    stranger = _public_need(stored["siret"], "Sous le SIRET d'un autre", "autre@exemple.fr")
    register.confirm_need(db.session, stranger, "autre@exemple.fr")
    db.session.commit()
    assert stranger.owner_unattached  # in the queue, to be checked: not the company's yet

    exported = export_document()
    assert [c["ref"] for c in exported["companies"]] == ["connue"]
    assert [n["ref"] for n in exported["needs"]] == ["confirme"]
    assert validate(exported) == []
    assert load(exported).changed == 0


def test_a_company_only_an_unconfirmed_public_need_knew_of_is_named_by_the_import():
    # Found by an audit: anyone typing a SIRET on the public form (never confirming)
    # made every later document carrying that company refused, "SIRET déjà utilisé par
    # l'entreprise « provisoire-… »", a company nobody can see. The import names it,
    # as the staff entering the company do (``companies.find_or_create_company``).
    siret = make_siret(8802)
    waiting = _public_need(siret, "Jamais confirmé", "inconnu@exemple.fr")
    provisional_ref = waiting.company.ref
    sent = company(ref="vraie", name="Vrai Nom", siret=siret, commune=GUJAN)
    result = load(document(companies=[sent], needs=[need(ref="b-vrai", company="vraie")]))

    assert result["companies"].created == 1
    named = db.session.scalars(select(Company)).one()
    assert (named.ref, named.name, named.commune) == ("vraie", "Vrai Nom", GUJAN)
    db.session.refresh(waiting)
    assert waiting.company_id == named.id and waiting.owner_confirmed_at is None
    # Another platform may have copied the provisional record: its ref is a tombstone.
    assert db.session.scalars(select(Deletion.ref)).all() == [provisional_ref]
    assert (
        load(document(companies=[sent], needs=[need(ref="b-vrai", company="vraie")])).changed == 0
    )


def test_a_need_may_not_name_a_provisional_company():
    # Found by an audit: a document's need could name the provisional company of an
    # unconfirmed public need (its ref was in every export), a company no list shows
    # nor exports: the need was then exported without its company, refused on import.
    provisional_ref = _public_need(make_siret(8803), "Jamais confirmé", "x@exemple.fr").company.ref
    doc = document(needs=[need(ref="b-cache", company=provisional_ref)])
    assert [str(e) for e in validate(doc)] == [
        f"/needs/0/company : Entreprise inconnue : « {provisional_ref} » "
        "(ni dans le document ni en base)."
    ]


@pytest.mark.parametrize("largest", [48, 60, 99.5])
def test_an_operator_s_largest_need_has_no_upper_bound(largest):
    # Found by an audit: the spec says only "number" for max_hours_per_week, and a
    # document saying 60 (no need is over 48 h: "any") was refused whole.
    doc = document(operators=[operator(ref="op-large", max_hours_per_week=largest)])
    assert validate(doc) == []
    load(doc)
    assert export_document()["operators"][0]["max_hours_per_week"] == largest


@pytest.mark.parametrize("largest", [1e20, 1e300])
def test_an_operator_s_largest_need_written_huge_comes_back_through_the_file(largest):
    # A whole float that large was written as an integer of 21 to 301 digits, which
    # the import refuses as a number too long: the export did not import again.
    load(document(operators=[operator(ref="op-huge", max_hours_per_week=largest)]))
    text = dump_document(export_document())
    empty_domain_tables()
    load(parse_document(text))
    assert export_document()["operators"][0]["max_hours_per_week"] == largest
    assert dump_document(export_document()) == text


def test_an_operator_s_largest_need_is_at_least_an_hour():
    doc = document(operators=[operator(ref="op-none", max_hours_per_week=0.5)])
    assert [str(e) for e in validate(doc)] == [
        "/operators/0/max_hours_per_week : La valeur doit être un nombre supérieur ou égal à 1 "
        "(reçu : 0,5)."
    ]


def test_days_are_kept_in_the_weeks_order_whatever_order_a_document_gives():
    """A person's, a need's and a commitment's days are one set of the week: stored and
    written Monday first, so that an export compares with any other, and re-importing
    the document in its own order changes nothing."""
    doc = document(
        companies=[company(ref="entreprise-1")],
        candidates=[
            candidate(
                ref="cv-1",
                days=["thu", "mon", "tue"],
                commitments=[{"hours_per_week": 8, "days": ["fri", "wed"]}],
            )
        ],
        needs=[need(days=["sat", "mon"])],
    )
    doc["format"] = "connectences/v1.1"
    assert validate(doc) == []
    load(copy.deepcopy(doc))
    person = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-1"))
    assert person.days == ["mon", "tue", "thu"]
    assert person.commitments[0].days == ["wed", "fri"]
    exported = export_document()
    assert exported == normalize_document(doc)
    cv = exported["candidates"][0]
    assert cv["days"] == ["mon", "tue", "thu"] and cv["commitments"][0]["days"] == ["wed", "fri"]
    assert exported["needs"][0]["days"] == ["mon", "sat"]
    assert import_document(copy.deepcopy(doc)).changed == 0


def test_a_document_lifting_do_not_solicit_is_recorded_as_a_preferences_change():
    """Found by a check: the import (CLI) changed ``do_not_solicit`` without the
    ``company.preferences`` entry ``set_preferences`` writes; the company page's "last
    changed by" named an older change. Both ways are recorded now, by the import."""
    from connectences.prospection.companies import preferences_last_set

    doc = document(companies=[company(ref="co-x", do_not_solicit=True)])
    load(copy.deepcopy(doc))
    # Creation sets the spec's value; there is no change of a stored choice to record.
    assert audit_entries("company.preferences") == []
    doc["companies"][0]["do_not_solicit"] = False
    assert load(copy.deepcopy(doc))["companies"].updated == 1
    doc["companies"][0]["do_not_solicit"] = True
    assert load(copy.deepcopy(doc))["companies"].updated == 1
    entries = audit_entries("company.preferences")
    assert [(e.details["before"]["do_not_solicit"], e.actor_id) for e in entries] == [
        (True, None),
        (False, None),
    ]
    said = preferences_last_set(db.session, by_ref(Company, "co-x"))
    assert said.by == "un import de document d'échange"


def test_a_person_erased_does_not_come_back_through_a_document_sent_before():
    # A partner's document sent before the person asked to be erased (or before the
    # retention rules deleted them) attests a consent they withdrew: refused whole.
    doc = document(candidates=[candidate(ref="cv-efface")], companies=[company(ref="co-x")])
    load(copy.deepcopy(doc))
    person = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-efface"))
    erase_candidate(db.session, person, reason=ON_REQUEST)
    db.session.commit()
    before = counts()

    with pytest.raises(ExchangeError) as raised:
        load(copy.deepcopy(doc))
    assert [str(e) for e in raised.value.errors] == [
        "/candidates/0/ref : Cette personne a été supprimée de la CVthèque (à sa demande ou "
        "faute de contact) : elle ne peut revenir que par un nouveau dépôt de sa part, "
        "retirez-la du document."
    ]
    db.session.rollback()
    assert counts() == before
    assert db.session.scalar(select(Candidate).where(Candidate.ref == "cv-efface")) is None
    # The same document without the person goes through.
    load({**copy.deepcopy(doc), "candidates": []})


def test_a_duplicate_merged_away_is_refused_with_the_ref_it_lives_under():
    # Merging two profiles of one person leaves the dropped ref a tombstone too; a
    # document still holding it is refused for what happened (not as an erasure), naming
    # the ref the person now lives under.
    doc = document(
        candidates=[
            candidate(ref="cv-garde", email="a@exemple.fr"),
            candidate(ref="cv-doublon", email="b@exemple.fr"),
        ]
    )
    load(copy.deepcopy(doc))
    kept = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-garde"))
    dropped = db.session.scalar(select(Candidate).where(Candidate.ref == "cv-doublon"))
    merge_candidates(db.session, kept, dropped, actor=None)
    db.session.commit()
    before = counts()
    with pytest.raises(ExchangeError) as raised:
        load(copy.deepcopy(doc))
    assert [str(e) for e in raised.value.errors] == [
        "/candidates/1/ref : Cette fiche a été fusionnée avec la fiche « cv-garde » de la "
        "même personne (un doublon) : envoyez-la sous la référence « cv-garde »."
    ]
    db.session.rollback()
    assert counts() == before


def test_a_need_an_operator_holds_keeps_the_shape_of_its_lead():
    """A bundle's lead was checked on its needs' hours, days, companies and places (no day
    twice, 35 h at most, sites within 25 km); a document changing them under the operator
    made a 37 h job with two companies on Tuesday. Such a change is refused, one error
    per field, nothing written; the same values, and the other fields, still go through."""
    from connectences.models import Operator
    from connectences.workflows import NEED, transition
    from connectences.workflows.dispatch import send_lead
    from tests import factories as f

    doc = f.dispatch_document(candidates=[])
    f.load(doc)
    for ref in ("n1", "n2"):
        transition(db.session, by_ref(Need, ref), NEED, "qualifie")
    send_lead(
        db.session,
        needs=[by_ref(Need, "n1"), by_ref(Need, "n2")],
        operator=by_ref(Operator, "ge"),
    )
    db.session.commit()
    sent = next(n for n in doc["needs"] if n["ref"] == "n2")
    changed = {**sent, "hours_per_week": 30, "days": ["tue"], "commune": f.LA_TESTE}
    with pytest.raises(ExchangeError) as refused:
        f.load(f.document(needs=[changed]))
    errors = {e.pointer: e.message for e in refused.value.errors}
    assert set(errors) == {"/needs/0/hours_per_week", "/needs/0/days", "/needs/0/commune"}
    assert errors["/needs/0/days"].startswith("Ce besoin est proposé à ")
    assert "(jeudi)" in errors["/needs/0/days"] and "(14 h)" in errors["/needs/0/hours_per_week"]
    db.session.expire_all()
    need = by_ref(Need, "n2")
    assert (need.hours_per_week, need.days, need.commune) == (14, ["thu"], None)
    # Its title may still be corrected, its shape sent as it is.
    f.load(f.document(needs=[{**sent, "title": "Comptabilité du garage"}]))
    assert by_ref(Need, "n2").title == "Comptabilité du garage"


def test_the_export_counts_in_french_one_of_a_kind_in_the_singular(runner, tmp_path):
    # "1 opérateurs, 0 partenaires" before.
    load(document(operators=[operator()]))
    target = tmp_path / "un.json"
    result = runner.invoke(args=["exchange", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert ": 1 opérateur, 0 partenaire, 0 entreprise, 0 candidat, 0 besoin." in result.output
