"""Duplicate detection (e-mail, phone, names) and the merge of two records."""

from __future__ import annotations

import heapq
from datetime import date

import pytest
from sqlalchemy import event, func, select

from connectences.contacts import email_key, phone_key
from connectences.cvtheque import files
from connectences.cvtheque.duplicates import (
    REASON_EMAIL,
    REASON_NAME,
    REASON_NAME_CLOSE,
    REASON_PHONE,
    find_duplicates,
    keep_both,
    same_people,
    suspected_pairs,
)
from connectences.cvtheque.history import events_of, record_event
from connectences.cvtheque.merge import MergeError, default_choices, merge_candidates
from connectences.extensions import db
from connectences.models import (
    AuditLog,
    Candidate,
    CandidateDistinct,
    Lead,
    LeadCandidate,
    Operator,
    Placement,
    User,
)
from tests import factories

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _store(**fields) -> Candidate:
    item = factories.candidate(**fields)
    factories.load(factories.document(candidates=[item]))
    return db.session.scalars(select(Candidate).where(Candidate.ref == item["ref"])).one()


def _find(**kwargs):
    base = {"email": None, "phone": None, "first_name": None, "last_name": None}
    return {c.ref: reasons for c, reasons in find_duplicates(db.session, **{**base, **kwargs})}


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "0033612345678",
        "06.12.34.56.78",
        "+33 (0)6 12 34 56 78",
        "33612345678",
        "612345678",
    ],
)
def test_french_phone_formats_normalise_to_one_number(raw):
    assert phone_key(raw) == "0612345678"


def test_short_or_empty_phone_is_not_a_key():
    assert phone_key("") is None
    assert phone_key("12") is None
    assert phone_key("+44 20 7946 0958") == "+442079460958"
    assert email_key("  Marie.Dupont@Exemple.FR ") == "marie.dupont@exemple.fr"


def test_same_email_in_other_case_is_a_duplicate():
    stored = _store(email="marie.dupont@exemple.fr", first_name="Marie", last_name="Dupont")
    found = _find(email="  MARIE.Dupont@exemple.fr ", first_name="Zoé", last_name="Autre")
    assert found == {stored.ref: [REASON_EMAIL]}


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"])
def test_phone_in_any_format_is_a_duplicate(typed):
    stored = _store(phone="0612345678", first_name="Paul", last_name="Martin")
    found = _find(phone=typed, first_name="Personne", last_name="Inconnue")
    assert found == {stored.ref: [REASON_PHONE]}


def test_accents_case_and_swapped_names_are_the_same_name():
    stored = _store(first_name="Élodie", last_name="Lefèvre", commune=factories.GUJAN)
    assert _find(first_name="elodie", last_name="LEFEVRE") == {stored.ref: [REASON_NAME]}
    assert _find(first_name="Lefevre", last_name="Élodie") == {stored.ref: [REASON_NAME]}


def test_typo_in_name_is_a_close_name_but_another_person_is_not():
    stored = _store(first_name="Jean", last_name="Dupont")
    assert _find(first_name="Jean", last_name="Dupond") == {stored.ref: [REASON_NAME_CLOSE]}
    assert _find(first_name="Jeanne", last_name="Dupont") == {stored.ref: [REASON_NAME_CLOSE]}
    assert _find(first_name="Marie", last_name="Dupuis") == {}
    assert _find(first_name="Jean", last_name="Bernard") == {}


def test_typo_at_the_start_of_the_name_is_caught_within_the_commune():
    stored = _store(first_name="Karine", last_name="Moreau", commune=factories.ARCACHON)
    # "Mo" vs "Mr": no shared name prefix, so only the commune brings it in.
    assert _find(first_name="Karine", last_name="Mroeau") == {}
    found = _find(first_name="Karine", last_name="Mroeau", commune=factories.ARCACHON)
    assert found == {stored.ref: [REASON_NAME_CLOSE]}


def test_several_reasons_are_all_given_and_exclude_id_removes_the_record_itself():
    stored = _store(
        email="lea.roux@exemple.fr", phone="0708091011", first_name="Léa", last_name="Roux"
    )
    found = _find(
        email="lea.roux@exemple.fr", phone="07 08 09 10 11", first_name="Lea", last_name="Roux"
    )
    assert found == {stored.ref: [REASON_EMAIL, REASON_PHONE, REASON_NAME]}
    assert (
        _find(email="lea.roux@exemple.fr", first_name="Léa", last_name="Roux", exclude_id=stored.id)
        == {}
    )


def test_one_person_on_two_rows_is_found_by_name_and_phone_or_address():
    def person(first, last, email=None, phone=None):
        return {"first_name": first, "last_name": last, "email": email, "phone": phone}

    rows = [
        (2, person("Inès", "Lambert", "ines@exemple.fr", "06 12 34 56 78")),
        (3, person("Paul", "Lambert", "paul@exemple.fr", "06 12 34 56 78")),  # household
        (4, person("LAMBERT", "Ines", "ines.l@exemple.fr", "+33 6 12 34 56 78")),
        (5, person("Ines", "Lambret", None, "0612345678")),  # a typo in the name
        (6, person("Inès", "Lambert", "INES@exemple.fr ", None)),
        (7, person("Inès", "Lambert", "autre@exemple.fr", "07 00 00 00 00")),  # namesake
        (8, person("Hugo", "Petit", "ines@exemple.fr", None)),  # one address, another name
    ]
    assert same_people(rows) == [
        (4, 2, [REASON_NAME, REASON_PHONE]),
        (5, 2, [REASON_NAME_CLOSE, REASON_PHONE]),
        (6, 2, [REASON_NAME, REASON_EMAIL]),
    ]
    assert same_people([]) == []
    assert (
        same_people([(1, person("", "", "a@exemple.fr")), (2, person("", "", "a@exemple.fr"))])
        == []
    )


def test_keep_both_is_not_proposed_again():
    a = _store(first_name="Luc", last_name="Girard", phone="0601020304")
    b = _store(first_name="Luc", last_name="Girard", phone="06 01 02 03 04")
    pairs = suspected_pairs(db.session)
    assert [(p.first.id, p.second.id) for p in pairs] == [(a.id, b.id)]
    assert set(pairs[0].reasons) == {REASON_PHONE, REASON_NAME}
    animateur = User(email="anim@exemple.fr", role="animateur")
    db.session.add(animateur)
    db.session.flush()
    keep_both(db.session, b, a, actor=animateur)
    keep_both(db.session, a, b, actor=animateur)  # idempotent
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CandidateDistinct)) == 1
    assert suspected_pairs(db.session) == []
    found = find_duplicates(
        db.session, email=None, phone=a.phone, first_name="Luc", last_name="Girard", exclude_id=a.id
    )
    assert found == []
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "candidate_keep_both")
    ).one()
    assert entry.actor_id == animateur.id


def test_the_duplicates_page_loads_only_the_pairs_it_lists():
    # Five records of one phone number make ten pairs; a common name shared by hundreds made
    # the page load 178,000 records to list 200 pairs.
    stored = [
        _store(first_name=first, last_name=last, phone="0601020304")
        for first, last in [
            ("Anne", "Martin"),
            ("Bruno", "Petit"),
            ("Chloé", "Durand"),
            ("David", "Leroy"),
            ("Emma", "Moreau"),
        ]
    ]
    ids = [c.id for c in stored]
    db.session.commit()
    db.session.expunge_all()
    loaded = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(Candidate, "load", on_load)
    try:
        pairs = suspected_pairs(db.session, limit=2)
    finally:
        event.remove(Candidate, "load", on_load)
    # The newest pairs first, as before.
    assert [(p.first.id, p.second.id) for p in pairs] == [(ids[3], ids[4]), (ids[2], ids[4])]
    assert sorted(loaded) == sorted({ids[2], ids[3], ids[4]})


def _pairs_considered(monkeypatch) -> list:
    """The pairs ``suspected_pairs`` chooses its list from, filled as it runs."""
    considered = []
    real = heapq.nsmallest

    def spy(n, iterable, key):
        iterable = list(iterable)
        considered.extend(iterable)
        return real(n, iterable, key=key)

    monkeypatch.setattr("connectences.cvtheque.duplicates.heapq.nsmallest", spy)
    return considered


def test_a_value_shared_by_many_records_builds_only_the_pairs_listed_first(monkeypatch):
    # Twelve records of one phone number make 66 pairs; the two newest pairs listed are
    # those of its newest record, even with its newest pair declared distinct.
    names = ["Anne", "Bruno", "Chloé", "David", "Emma", "Fanny", "Gilles", "Hugo", "Inès"]
    names += ["Jules", "Karim", "Léa"]
    stored = [_store(first_name=n, last_name=n, phone="0601020304") for n in names]
    ids = [c.id for c in stored]
    animateur = User(email="anim@exemple.fr", role="animateur")
    db.session.add(animateur)
    db.session.flush()
    keep_both(db.session, stored[-1], stored[-2], actor=animateur)
    db.session.commit()
    considered = _pairs_considered(monkeypatch)
    pairs = suspected_pairs(db.session, limit=2)
    assert [(p.first.id, p.second.id) for p in pairs] == [(ids[-3], ids[-1]), (ids[-4], ids[-1])]
    # The pairs of the newest record only (11, one declared distinct), not all 66.
    assert len(considered) == 10


def test_close_names_of_many_records_build_only_the_pairs_listed_first(monkeypatch):
    # Six close spellings of one name, each its own: each record keeps its limit + 1
    # newest pairs of close names (here 3), the two listed among them.
    names = ["Dupontel", "Dupontell", "Dupontelle", "Dupontels", "Duppontel", "Dupontal"]
    stored = [_store(first_name="Marcel", last_name=n) for n in names]
    ids = [c.id for c in stored]
    db.session.commit()
    considered = _pairs_considered(monkeypatch)
    pairs = suspected_pairs(db.session, limit=2)
    assert [(p.first.id, p.second.id) for p in pairs] == [(ids[4], ids[5]), (ids[3], ids[5])]
    assert all(p.reasons == [REASON_NAME_CLOSE] for p in pairs)
    # Each record's three newest pairs: 12 pairs in all, not the 14 the names make.
    assert len(considered) == 12


def _lead(candidate_ids: list[int]) -> Lead:
    op = factories.operator()
    factories.load(factories.document(operators=[op]))
    operator = db.session.scalars(select(Operator).where(Operator.ref == op["ref"])).one()
    lead = Lead(operator_id=operator.id)
    db.session.add(lead)
    db.session.flush()
    for cid in candidate_ids:
        db.session.add(LeadCandidate(lead_id=lead.id, candidate_id=cid, score=50))
    db.session.flush()
    return lead


def test_merge_moves_everything_and_deletes_the_dropped_record(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    keep = _store(
        first_name="Sophie",
        last_name="Bernard",
        email="sophie@exemple.fr",
        phone=None,
        skills=["facturation"],
        rome=["M1203"],
        days=["mon"],
        contracts=["cdi"],
    )
    drop = _store(
        first_name="Sophie",
        last_name="Bernart",
        email="s.bernard@exemple.fr",
        phone="06 11 22 33 44",
        skills=["facturation", "paie"],
        rome=["M1607"],
        days=["mon", "fri"],
        contracts=["cdd"],
        commune=factories.GUJAN,
        hours_max=20,
    )
    keep.cv_filename = files.store_pdf(MINIMAL_PDF)
    drop.cv_filename = files.store_pdf(MINIMAL_PDF)
    drop.notes = "Rencontrée au forum de Biganos."
    shared_lead = _lead([keep.id, drop.id])
    own_lead = _lead([drop.id])
    placement = Placement(
        lead_id=own_lead.id,
        candidate_id=drop.id,
        hours_per_week=10,
        contract="cdd",
        start_date=date(2027, 3, 1),
    )
    db.session.add(placement)
    account = User(email="sophie.compte@exemple.fr", role="candidate", candidate_id=drop.id)
    animateur = User(email="anim@exemple.fr", role="animateur")
    db.session.add_all([account, animateur])
    record_event(db.session, drop, "created", "Fiche créée au forum.")
    db.session.commit()
    keep_file, drop_file = keep.cv_filename, drop.cv_filename
    drop_id, drop_ref, keep_id = drop.id, drop.ref, keep.id
    drop_name = f"{drop.first_name} {drop.last_name}"

    merge_candidates(
        db.session,
        keep,
        drop,
        actor=animateur,
        choices={"last_name": "keep", "commune": "drop", "hours_max": "drop"},
    )
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Candidate, drop_id) is None
    merged = db.session.get(Candidate, keep_id)
    assert merged.last_name == "Bernard"
    assert merged.commune == factories.GUJAN and merged.hours_max == 20
    assert merged.email == "sophie@exemple.fr"
    assert merged.phone == "06 11 22 33 44"  # blank on keep: filled from the dropped one
    assert merged.skill_labels == ["facturation", "paie"]
    assert merged.rome == ["M1203", "M1607"]
    assert merged.days == ["mon", "fri"] and merged.contracts == ["cdi", "cdd"]
    assert merged.notes == "Rencontrée au forum de Biganos."
    # Lead lines: the shared lead names the person once, the other lead moved over.
    lines = db.session.execute(select(LeadCandidate.lead_id, LeadCandidate.candidate_id)).all()
    assert sorted(lines) == sorted([(shared_lead.id, keep_id), (own_lead.id, keep_id)])
    assert db.session.get(Placement, placement.id).candidate_id == keep_id
    assert db.session.get(User, account.id).candidate_id == keep_id
    # One file kept, the other removed from disk.
    assert merged.cv_filename == keep_file
    assert files.pdf_exists(keep_file) and not files.pdf_exists(drop_file)
    kinds = [e.kind for e in events_of(db.session, keep_id)]
    assert kinds[0] == "merged" and "created" in kinds
    merged_event = events_of(db.session, keep_id)[0]
    # The history names the merged record's person, not its ref.
    assert drop_name in merged_event.summary and merged_event.actor_id == animateur.id
    assert drop_ref not in merged_event.summary
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "candidate_merged")).one()
    assert entry.entity_id == keep_id and entry.details["dropped_ref"] == drop_ref


def test_merge_can_take_the_dropped_email_and_file(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    keep = _store(email="ancienne@exemple.fr")
    drop = _store(email="nouvelle@exemple.fr")
    keep.cv_filename = files.store_pdf(MINIMAL_PDF)
    drop.cv_filename = files.store_pdf(MINIMAL_PDF)
    db.session.commit()
    keep_file, drop_file = keep.cv_filename, drop.cv_filename
    merge_candidates(
        db.session, keep, drop, actor=None, choices={"email": "drop", "cv_filename": "drop"}
    )
    db.session.commit()
    assert keep.email == "nouvelle@exemple.fr" and keep.email_norm == "nouvelle@exemple.fr"
    assert keep.cv_filename == drop_file
    assert files.pdf_exists(drop_file) and not files.pdf_exists(keep_file)


def test_a_failed_merge_keeps_both_records_and_files(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    keep = _store()
    drop = _store()
    drop.cv_filename = files.store_pdf(MINIMAL_PDF)
    keep.cv_filename = files.store_pdf(MINIMAL_PDF)
    db.session.commit()
    drop_file = drop.cv_filename
    merge_candidates(db.session, keep, drop, actor=None)
    db.session.rollback()
    assert files.pdf_exists(drop_file)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 2
    with pytest.raises(MergeError):
        merge_candidates(db.session, keep, keep, actor=None)
    with pytest.raises(MergeError):
        merge_candidates(db.session, keep, drop, actor=None, choices={"consent": "drop"})


def test_a_merge_that_would_make_an_impossible_week_is_refused():
    """One end of the range from each record: 30 h at least, 20 h at most was stored."""
    keep = _store(first_name="Zoé", last_name="Quintard", hours_min=5, hours_max=20)
    drop = _store(first_name="Zoe", last_name="Quintard", hours_min=30, hours_max=40)
    with pytest.raises(MergeError, match="minimum choisi"):
        merge_candidates(
            db.session, keep, drop, actor=None, choices={"hours_min": "drop", "hours_max": "keep"}
        )
    db.session.rollback()
    assert {c.ref for c in db.session.scalars(select(Candidate))} >= {keep.ref, drop.ref}
    merged = merge_candidates(
        db.session, keep, drop, actor=None, choices={"hours_min": "drop", "hours_max": "drop"}
    )
    assert (merged.hours_min, merged.hours_max) == (30, 40)


def _holding(candidate: Candidate, hours: float, status: str, **kw) -> Candidate:
    from connectences.models import Commitment

    candidate.commitments.append(
        Commitment(label="Ménage, Mairie", hours_per_week=hours, days=["tue"], **kw)
    )
    candidate.status = status
    db.session.commit()
    return candidate


def test_a_merge_settles_the_status_on_the_work_both_records_hold():
    """The dropped record holds open-ended work: the merged person holds it too, so they
    are not "disponible" (the kept record's status, chosen by default) with a week
    that says otherwise; work filling their week makes them "placé"."""
    keep = _store(first_name="Zoé", last_name="Quintard", hours_min=5, hours_max=20,
                  days=["mon", "tue"])  # fmt: skip
    drop = _holding(_store(first_name="Zoe", last_name="Quintard"), 8, "en_mission")
    merged = merge_candidates(db.session, keep, drop, actor=None)
    db.session.commit()
    assert [c.hours_per_week for c in merged.commitments] == [8]
    assert merged.status == "en_mission"
    keep = _store(first_name="Léo", last_name="Brana", hours_min=5, hours_max=20)
    drop = _holding(_store(first_name="Leo", last_name="Brana"), 20, "place")
    assert merge_candidates(db.session, keep, drop, actor=None).status == "place"


def test_a_merge_copies_every_field_of_the_dropped_record_commitments():
    """The merged person's commitment is the dropped record's, field for field: its need
    (the company of a bundle it works for, which ``company_commitment`` reads) included."""
    from connectences.models import Commitment, Company, Need

    item = factories.company()
    factories.load(factories.document(companies=[item]))
    company = db.session.scalars(select(Company).where(Company.ref == item["ref"])).one()
    need = factories.need_row(company, ref="besoin-merge", commune=company.commune)
    db.session.add(need)
    db.session.commit()
    keep = _store(first_name="Zoé", last_name="Quintard", hours_min=5, hours_max=20)
    drop = _holding(
        _store(first_name="Zoe", last_name="Quintard"), 8, "en_mission",
        need_id=need.id, start=date(2027, 2, 1), until=date(2027, 6, 30), source="placement",
    )  # fmt: skip
    skipped = {"id", "candidate_id", "updated_at"}
    columns = [c.key for c in Commitment.__table__.columns if c.key not in skipped]
    before = {key: getattr(drop.commitments[0], key) for key in columns}
    merged = merge_candidates(db.session, keep, drop, actor=None)
    db.session.commit()
    assert db.session.get(Need, need.id) is not None
    assert [{key: getattr(c, key) for key in columns} for c in merged.commitments] == [before]


def test_a_merge_keeps_the_chosen_pause_and_complete_week():
    keep = _store(first_name="Zoé", last_name="Quintard")
    keep.status = "inactif"
    drop = _holding(_store(first_name="Zoe", last_name="Quintard"), 8, "en_mission")
    assert merge_candidates(db.session, keep, drop, actor=None).status == "inactif"
    db.session.commit()
    keep = _store(first_name="Léo", last_name="Brana", hours_max=30)
    drop = _holding(_store(first_name="Leo", last_name="Brana"), 8, "place")
    drop.week_complete = True
    merged = merge_candidates(db.session, keep, drop, actor=None, choices={"status": "drop"})
    assert merged.status == "place" and merged.week_complete


def _withheld_file(reason: str) -> str:
    name = files.withheld_name(reason)
    files.storage().write_new(name, MINIMAL_PDF)
    return name


@pytest.mark.parametrize(
    ("reason", "words"),
    [(files.ACTIVE, "contenu actif"), (files.UNREADABLE_FILE, "fichier illisible")],
)
def test_a_merge_never_keeps_a_withheld_cv_over_one_that_can_be_downloaded(
    app, tmp_path, monkeypatch, reason, words
):
    """The kept record's file was taken whatever it was: a withheld CV (nobody can open
    it) kept, the person's downloadable one deleted, and nothing said."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    keep = _store(first_name="Inès", last_name="Faure")
    drop = _store(first_name="Ines", last_name="Faure")
    keep.cv_filename = _withheld_file(reason)
    drop.cv_filename = files.store_pdf(MINIMAL_PDF)
    db.session.commit()
    withheld, clean = keep.cv_filename, drop.cv_filename
    assert default_choices(keep, drop)["cv_filename"] == "drop"
    with pytest.raises(MergeError) as refusal:
        merge_candidates(db.session, keep, drop, actor=None, choices={"cv_filename": "keep"})
    assert f"retenu ({words})" in refusal.value.errors["cv_filename"]
    assert "Gardez le CV de l'autre fiche" in refusal.value.message
    db.session.rollback()
    assert files.pdf_exists(withheld) and files.pdf_exists(clean)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 2
    # Chosen the other way round (drop kept as the record), the same refusal.
    with pytest.raises(MergeError):
        merge_candidates(db.session, drop, keep, actor=None, choices={"cv_filename": "drop"})
    db.session.rollback()
    merged = merge_candidates(db.session, keep, drop, actor=None)
    db.session.commit()
    assert merged.cv_filename == clean
    assert files.pdf_exists(clean) and not files.pdf_exists(withheld)


def test_a_withheld_cv_may_be_kept_when_the_other_record_has_none_usable(
    app, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    keep = _store(first_name="Inès", last_name="Faure")
    drop = _store(first_name="Ines", last_name="Faure")
    keep.cv_filename = _withheld_file(files.ACTIVE)
    drop.cv_filename = _withheld_file(files.UNREADABLE_FILE)
    db.session.commit()
    assert default_choices(keep, drop)["cv_filename"] == "keep"
    kept = keep.cv_filename
    merged = merge_candidates(db.session, keep, drop, actor=None)
    assert merged.cv_filename == kept
    db.session.rollback()
    drop.cv_filename = None
    db.session.commit()
    assert merge_candidates(db.session, drop, keep, actor=None).cv_filename == kept
