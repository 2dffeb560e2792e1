"""An erased person's name, address and phone leave the staff's words on the leads that
proposed them (note, refusal, transitions, the mails quoting them), and only theirs:
``cvtheque.scrub`` called by ``erase.erase_candidate``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from connectences import workflows
from connectences.cvtheque.erase import erase_candidate
from connectences.cvtheque.scrub import (
    ERASED_PERSON,
    person_pattern,
    scrub,
    scrub_leads,
    scrub_mentions,
)
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import (
    Candidate,
    Company,
    FollowUpPoint,
    Lead,
    Need,
    OutboxMessage,
    Partner,
    PlacementNeed,
    Referral,
    Transition,
    Visit,
)
from connectences.urls import external_url
from connectences.workflows import leads as flow
from connectences.workflows.dispatch import send_referral
from tests import factories as f
from tests.helpers import add_visit, by_ref, lead_by_refs, recorded_statements, sent_on

X = ERASED_PERSON


def test_the_person_is_found_as_whole_words_in_any_case_and_accent():
    pattern = person_pattern(
        "Inès", "Le Gall-D'Arcy", ["ines.legall@exemple.fr"], ["06 71 29 48 53"]
    )
    cases = {
        "INES est motivée": f"{X} est motivée",
        "Ines Le Gall-D'Arcy, tél. +33 6 71 29 48 53": f"{X}, tél. {X}",
        "le gall d’arcy vient lundi": f"{X} vient lundi",
        "Écrire à Ines.LeGall@exemple.fr.": f"Écrire à {X}.",
        # An accent typed apart from its letter (NFD) is part of the word.
        "Ine\u0300s viendra": f"{X} viendra",
        "Joindre au 0671294853 ou 06.71.29.48.53": f"Joindre au {X} ou {X}",
        "Portable : 06-71-29-48-53, ou 06 - 71 - 29 - 48 - 53": f"Portable : {X}, ou {X}",
        # In a mail's HTML, the apostrophe is escaped.
        "<p>Le Gall-D&#39;Arcy</p>": f"<p>{X}</p>",
        # Not a whole word, another number, another address: kept as they are.
        "Linès et Inèsse": "Linès et Inèsse",
        "06 71 29 48 531": "06 71 29 48 531",
        "xines.legall@exemple.fr": "xines.legall@exemple.fr",
    }
    for text, expected in cases.items():
        assert scrub(text, pattern) == expected, text
    assert scrub(None, pattern) is None
    # A one-letter first name blanks no letter of the text.
    assert scrub("a la b", person_pattern("A", "", [], [])) == "a la b"


def _world(auth):
    f.load(
        f.document(
            operators=[f.operator(ref="ge", name="GE Bassin")],
            companies=[f.company(ref="c1", name="Fournil")],
            candidates=[
                f.candidate(ref="ines", first_name="Inès", last_name="Marchal",
                            email="ines.marchal@exemple.fr", phone="0671294853"),
                f.candidate(ref="paul", first_name="Paul", last_name="Durand",
                            email="paul.durand@exemple.fr"),
            ],
            needs=[f.need(ref="n1", company="c1"), f.need(ref="n2", company="c1")],
        )
    )  # fmt: skip
    animateur = auth.create("animateur")
    for ref in ("n1", "n2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    both = lead_by_refs(animateur, "n1", "ge", "ines", note="Inès et Paul sont motivés")
    both.candidates.append(
        type(both.candidates[0])(candidate=by_ref(Candidate, "paul"), score=50, explanation=[])
    )
    paul_only = lead_by_refs(
        animateur, "n2", "ge", "paul", note="Paul, pas Inès MARCHAL (0671294853)"
    )
    db.session.flush()
    flow.refuse(db.session, both, "autre", "Marchal n'a pas de voiture, appeler le 06 71 29 48 53")
    db.session.commit()
    return both.id, paul_only.id


def _mails_of(lead_id: int) -> list[OutboxMessage]:
    lead = db.session.get(Lead, lead_id)
    paths = [
        external_url("leads.show", lead_id=lead_id),
        external_url("needs.show", ref=lead.needs[0].need.ref),
    ]
    return [
        mail
        for mail in db.session.scalars(select(OutboxMessage))
        if any(path in mail.body_text for path in paths)
    ]


def test_the_erasure_blanks_the_person_in_their_leads_and_their_mails_only(auth):
    both, paul_only = _world(auth)
    refusal_mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.subject.contains("Proposition refusée"))
    )
    assert "Marchal n'a pas de voiture" in refusal_mail.body_text
    erase_candidate(db.session, by_ref(Candidate, "ines"), reason="test")
    db.session.commit()
    db.session.expire_all()
    lead = db.session.get(Lead, both)
    assert lead.note == f"{X} et Paul sont motivés"
    assert lead.refusal_text == f"{X} n'a pas de voiture, appeler le {X}"
    reasons = db.session.scalars(
        select(Transition.reason_text).where(
            Transition.entity == "lead", Transition.entity_id == both
        )
    ).all()
    assert f"{X} n'a pas de voiture, appeler le {X}" in reasons
    mails = _mails_of(both)
    assert {m.kind for m in mails} >= {MailKind.LEAD_SENT, MailKind.WORKFLOW_UPDATE}
    for mail in mails:
        for text in (mail.subject, mail.body_text, mail.body_html):
            assert "Inès" not in text and "Marchal" not in text and "71 29" not in text
    told = db.session.get(OutboxMessage, refusal_mail.id).body_text
    assert f"{X} n'a pas de voiture" in told and "Marchal" not in told
    # The lead of Paul alone only mentions her: her full name and phone go, from its
    # words and its mail (``scrub.scrub_mentions``).
    assert db.session.get(Lead, paul_only).note == f"Paul, pas {X} ({X})"
    told = [m for m in _mails_of(paul_only) if m.kind == MailKind.LEAD_SENT]
    assert told and f"Paul, pas {X} ({X})" in told[0].body_text
    assert "MARCHAL" not in told[0].body_html


def test_the_scrub_reads_the_persons_leads_in_a_few_statements(auth):
    both, paul_only = _world(auth)
    person = by_ref(Candidate, "ines")
    pattern = person_pattern(person.first_name, person.last_name, [person.email], [person.phone])
    with recorded_statements(lambda s: s.lstrip().upper().startswith("SELECT")) as selects:
        changed = scrub_leads(db.session, [both], pattern)
    assert changed >= 4  # the note, the refusal, its transition, the mails
    # The lead, its needs (two: links and needs), its transitions, its mails: never a
    # statement per lead or per mail, never every lead.
    assert len(selects) <= 5, selects
    assert all("FROM lead " not in s or "WHERE" in s for s in selects)


# A surname that is also a French word: blanked where it names the person, kept where it
# is the word (docs/rgpd.md § 2; ``scrub.COMMON_WORD_SURNAMES``).
NAMED_PETIT = {
    # Next to the first name, either order, any case, accents folded.
    "Inès Petit viendra lundi": f"{X} viendra lundi",
    "petit inès a appelé": f"{X} a appelé",
    "RDV avec INES PETIT": f"RDV avec {X}",
    # After a civility (which stays, as before a full name).
    "Appeler Mme Petit demain": f"Appeler Mme {X} demain",
    "vu avec madame petit ce matin": f"vu avec madame {X} ce matin",
    "M. Petit ne répond pas": f"M. {X} ne répond pas",
    "Mme. Petit et M Petit": f"Mme. {X} et M {X}",
    # With a capital where no sentence starts, or all in capitals.
    "Proposer Petit au fournil, elle a le permis": f"Proposer {X} au fournil, elle a le permis",
    "Le fournil a retenu Petit.": f"Le fournil a retenu {X}.",
    "PETIT n'a pas de voiture": f"{X} n'a pas de voiture",
    "vu PETIT hier": f"vu {X} hier",
    # The first name alone, the address and the phone: as before.
    "Inès a un petit souci": f"{X} a un petit souci",
    "ines.petit@exemple.fr / 06 71 29 48 53": f"{X} / {X}",
}
KEPT_PETIT = (
    "Il y a un petit souci de transport.",
    "Petit souci : l'entreprise a changé ses horaires.",
    "Un petit-déjeuner d'entreprises est prévu.",
    "Petit-déjeuner le 12 à Andernos.",
    "- Petit retard à prévoir\n- Petit budget",
    "Elle cherche un petit temps partiel",
    "Entretien : Petit bémol sur les horaires.",
    "« Petit temps partiel accepté »",
    "<p>Petit souci</p>",
    "PETIT SOUCI DE TRANSPORT",
)


def test_a_surname_that_is_a_word_is_blanked_only_where_it_names_the_person():
    pattern = person_pattern("Inès", "Petit", ["ines.petit@exemple.fr"], ["06 71 29 48 53"])
    for text, expected in NAMED_PETIT.items():
        assert scrub(text, pattern) == expected, text
    for text in KEPT_PETIT:
        assert scrub(text, pattern) == text, text


def test_the_other_common_surnames_keep_their_word():
    cases = {
        ("Paul", "Blanc"): ("Vin blanc offert au pot", "Appeler M. Blanc"),
        ("Léa", "Marchand"): ("Le marchand de journaux", "Voir Marchand lundi"),
        ("Marc", "Boulanger"): ("Le boulanger cherche 10 h", "Léa et Boulanger"),
        ("Lou", "Martin"): ("Fête de la Saint-Martin. Martin ne vient pas", "Demander à Martin"),
    }
    for (first, last), (kept, named) in cases.items():
        pattern = person_pattern(first, last, [], [])
        assert scrub(kept, pattern) == kept, kept
        assert last not in scrub(named, pattern), named
    # A surname that is no word is blanked wherever it is a word, as before.
    pattern = person_pattern("Inès", "Marchal", [], [])
    assert scrub("marchal n'a pas de voiture", pattern) == f"{X} n'a pas de voiture"
    assert scrub("Marchal n'a pas de voiture", pattern) == f"{X} n'a pas de voiture"


# The words naming her in a lead, a re-orientation, a visit or a follow-up point that
# never proposed her: her full name, addresses and phone only (docs/rgpd.md § 2).
MENTION = "Vu Inès Marchal (ines.marchal@exemple.fr, 06.71.29.48.53) ; Inès rappellera"
MENTIONED = f"Vu {X} ({X}, {X}) ; Inès rappellera"


def _mentions(auth, *, homonym: bool = False) -> dict:
    both, paul_only = _world(auth)
    f.load(
        f.document(
            partners=[f.partner(ref="ft")],
            needs=[f.need(ref="n3", company="c1")],
            candidates=[f.candidate(ref="ines2", first_name="Ines", last_name="MARCHAL")]
            if homonym
            else [],
        )
    )
    animateur = auth.create("animateur")
    workflows.transition(db.session, by_ref(Need, "n3"), workflows.NEED, "qualifie")
    referral = send_referral(
        db.session, need=by_ref(Need, "n3"), partner=by_ref(Partner, "ft"), note=MENTION
    )
    visit = add_visit(by_ref(Company, "c1"), animateur, date(2027, 3, 1), notes=MENTION)
    lead = db.session.get(Lead, paul_only)
    flow.accept(db.session, lead)
    db.session.commit()
    sent_on(lead, date(2027, 3, 1))
    placement = flow.record_placement(
        db.session, lead, candidate=by_ref(Candidate, "paul"), needs=[by_ref(Need, "n2")],
        hours_per_week=7, contract="cdi_temps_partage", start_date=date(2027, 3, 1),
    )  # fmt: skip
    db.session.flush()
    point = placement.follow_ups[0]
    point.company_feedback = f"Paul remplace {MENTION}"
    # The staff's notes on a need, a need's change of state, a company's end: free texts too.
    need = by_ref(Need, "n3")
    need.notes = MENTION
    placed = placement.needs[0]
    placed.end_reason = f"Remplacé par {MENTION}"
    db.session.flush()
    workflows.transition(
        db.session, need, workflows.NEED, "abandonne", reason_code="autre", reason_text=MENTION
    )
    db.session.commit()
    changed = db.session.scalar(
        select(Transition.id).where(Transition.entity == "need").order_by(Transition.id.desc())
    )
    return {
        "referral": referral.id, "visit": visit.id, "point": point.id, "lead": paul_only,
        "need": need.id, "placed": placed.id, "need_change": changed,
    }  # fmt: skip


def test_the_erasure_blanks_the_persons_mentions_in_the_staffs_other_texts(auth):
    ids = _mentions(auth)
    erase_candidate(db.session, by_ref(Candidate, "ines"), reason="test")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Referral, ids["referral"]).note == MENTIONED
    assert db.session.get(Visit, ids["visit"]).notes == MENTIONED
    assert (
        db.session.get(FollowUpPoint, ids["point"]).company_feedback == f"Paul remplace {MENTIONED}"
    )
    referral_mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MailKind.REFERRAL_SENT)
    )
    assert MENTIONED in referral_mail.body_text and "Marchal" not in referral_mail.body_html
    # Paul keeps his name everywhere, and the other texts their words.
    assert db.session.get(Lead, ids["lead"]).note == f"Paul, pas {X} ({X})"
    # A need's notes, its change of state and a company's end in a placement too.
    assert db.session.get(Need, ids["need"]).notes == MENTIONED
    assert db.session.get(Transition, ids["need_change"]).reason_text == MENTIONED
    assert db.session.get(PlacementNeed, ids["placed"]).end_reason == f"Remplacé par {MENTIONED}"


def test_a_namesake_keeps_the_full_name_in_the_texts_that_only_mention_it(auth):
    """Another Inès Marchal in the library: a mention of the name may be hers, so only
    the erased person's address and phone go from the texts that never proposed her."""
    ids = _mentions(auth, homonym=True)
    erase_candidate(db.session, by_ref(Candidate, "ines"), reason="test")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Visit, ids["visit"]).notes == (
        f"Vu Inès Marchal ({X}, {X}) ; Inès rappellera"
    )
    assert db.session.get(Candidate, by_ref(Candidate, "ines2").id).last_name == "MARCHAL"


def test_the_mentions_are_found_in_one_statement_per_table(auth):
    _mentions(auth)
    person = by_ref(Candidate, "ines")
    with recorded_statements(lambda s: s.lstrip().upper().startswith("SELECT")) as selects:
        changed = scrub_mentions(
            db.session, person.first_name, person.last_name, [person.email], [person.phone],
            but=person.id,
        )  # fmt: skip
    assert changed >= 5  # the lead, the referral, the visit, the point, the mails
    # The namesakes (people, contacts, accounts), then one per table: leads, referrals,
    # needs, transitions, visits, follow-up points, companies' ends, mails; never a
    # statement per row.
    assert len(selects) <= 11, selects
