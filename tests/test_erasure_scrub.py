"""An erased person's name, address and phone leave the staff's words on the leads that
proposed them (note, refusal, transitions, the mails quoting them), and only theirs:
``cvtheque.scrub`` called by ``erase.erase_candidate``."""

from __future__ import annotations

from sqlalchemy import select

from connectences import workflows
from connectences.cvtheque.erase import erase_candidate
from connectences.cvtheque.scrub import ERASED_PERSON, person_pattern, scrub, scrub_leads
from connectences.extensions import db
from connectences.mail import MailKind
from connectences.models import Candidate, Lead, Need, OutboxMessage, Transition
from connectences.urls import external_url
from connectences.workflows import leads as flow
from tests import factories as f
from tests.helpers import by_ref, lead_by_refs, recorded_statements

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
    # The lead of Paul alone is not the erased person's: its words stay as typed (a
    # reader finds them in the lead she was never in), and so do its mails.
    assert db.session.get(Lead, paul_only).note == "Paul, pas Inès MARCHAL (0671294853)"
    kept = [m for m in _mails_of(paul_only) if m.kind == MailKind.LEAD_SENT]
    assert kept and "Inès MARCHAL" in kept[0].body_text


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
