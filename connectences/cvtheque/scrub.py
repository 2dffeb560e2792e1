"""The words the staff typed about a person on the leads that proposed them, blanked
when the person is erased (``erase.erase_candidate``).

A lead's note, its refusal or hand-back text, its transitions' reasons and the mails
quoting them to the operator and the animateur (``SCRUBBED_MAILS``: tied to the lead by
the link to its page or to its needs' pages, not to the person's profile) are the
staff's text, kept with the lead; the person's name, address or phone written in them
are replaced by :data:`ERASED_PERSON`. Matched as whole words, in any case and with or
without accents ("INES", "Inès"), the phone in any of its usual writings ("06 71 29 48
53", "+33 6 71...", "0671294853"). Only the person's leads are read, in a few statements.

A surname that is also a French word (:data:`COMMON_WORD_SURNAMES`: "Petit", "Blanc",
"Boulanger"...) is blanked alone only where it names the person (:func:`_names_the_person`):
after a civility ("Mme Petit"), or with a capital where no sentence starts ("voir Petit
lundi"), or in capitals ("PETIT n'a pas..."); "un petit souci", "Petit souci : ...",
"petit-déjeuner" keep their word. Beside the first name it is the full name, blanked
everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from connectences.contacts import phone_key
from connectences.mail.kinds import MailKind
from connectences.models import (
    Candidate,
    CompanyContact,
    FollowUpPoint,
    Lead,
    LeadNeed,
    Need,
    OutboxMessage,
    PlacementNeed,
    Referral,
    Transition,
    User,
    Visit,
)
from connectences.text import composed, fold_text, fold_with_origins, is_combining, sort_key
from connectences.urls import external_url

ERASED_PERSON = "[personne effacée]"

# The mails about a lead that quote its staff's words (its note, a refusal's words, a
# hand-back's reason); those tied to the person's profile are deleted with it.
SCRUBBED_MAILS = (MailKind.LEAD_SENT, MailKind.LEAD_ACCEPTED, MailKind.WORKFLOW_UPDATE)
# The mails that may quote the staff's words mentioning the person without proposing them
# (a lead's or a re-orientation's note, a transition's reason).
MENTIONING_MAILS = (*SCRUBBED_MAILS, MailKind.REFERRAL_SENT)

# A space of a name in a text: spaces, or, in a mail's HTML, an escaped apostrophe (a
# hyphen and an apostrophe fold to a space).
_SPACE = r"(?:\s+|&\#0*39;|&\#x0*27;|&apos;)"
_PHONE_GAP = r"[\s./]*"

# Surnames that are also words of the staff's notes (folded, :func:`fold_text`): alone,
# they name the person only where :func:`_names_the_person` says so. Frequent French
# surnames that are an adjective, a trade, an animal, a thing or a month.
_COMMON_WORDS = """
    petit grand gros bon beau bel doux sage brave fort leger jeune vieux riche pauvre franc
    gentil blanc blanche noir brun roux rouge vert gris blond long court large lent
    marchand boulanger boucher berger charpentier meunier mercier chevalier barbier macon
    potier couturier fermier bouvier vacher pelletier chapelier forestier jardinier
    messager tailleur tanneur tonnelier serrurier chasseur pecheur pasteur marin maire
    juge clerc prieur moine abbe comte conte baron marquis duc prince roi pape page
    renard loup lion coq merle pinson moineau corbeau faucon lievre mouton boeuf poisson
    rossignol cygne chevreuil bonnet carre moulin pont porte tour maison grange four
    fontaine riviere roche pierre montagne bois jardin verger buisson chene pin pommier
    poirier noyer olivier laurier rosier vigne champ rose martin noel avril mars mai juin
    juillet janvier fevrier
"""
COMMON_WORD_SURNAMES = frozenset(_COMMON_WORDS.split())
# Before a surname, the civilities that make it a name ("Mme Petit", "monsieur blanc").
_CIVILITY = re.compile(
    r"(?<!\w)(?:m|mr|mme|mmes|mlle|mlles|madame|mesdames|mademoiselle|monsieur|messieurs"
    r"|dr|docteur)\.?\s+$"
)
# What may end a sentence (or a line, a list's bullet, a tag) before the next one starts.
_SENTENCE_END = frozenset('.!?…:;\n\r>•*-–—(«"“')


def _words(term: str) -> str:
    return _SPACE.join(re.escape(word) for word in term.split())


def _phone(number: str) -> str | None:
    key = phone_key(number)
    if key is None:
        return None
    if key.startswith("+"):
        digits = _PHONE_GAP.join(key[1:])
        return rf"(?<![\d+])(?:\+|00)?{digits}(?!\d)"
    national = _PHONE_GAP.join(key[1:])
    # "06 12…", "+33 6 12…", "+33 (0)6 12…", "0033 6 12…", "33 6 12…"
    prefix = r"(?:0|(?:(?:\+|00)\s*)?33\s*(?:\(0\)\s*)?)"
    return rf"(?<![\d+]){prefix}{national}(?!\d)"


def person_pattern(
    first_name: str | None,
    last_name: str | None,
    addresses: Iterable[str | None] = (),
    phones: Iterable[str | None] = (),
    *,
    alone: bool = True,
    full: bool = True,
) -> re.Pattern | None:
    """What names the person in a folded text (:func:`connectences.text.fold_with_origins`): their full name either
    way round, first name, last name, addresses and phone numbers, as whole words; None
    when nothing would name them. Without ``alone``, neither name alone (a text that does
    not propose the person may mean another Inès); without ``full``, no name at all."""
    first, last = fold_text(first_name).strip(), fold_text(last_name).strip()
    if full and alone:
        names = {first, last, f"{first} {last}".strip(), f"{last} {first}".strip()}
    elif full and first and last:
        names = {f"{first} {last}", f"{last} {first}"}
    else:
        names = set()  # one name alone is no full name
    # A single letter is no name: it would blank every "a" of the text.
    names = {name for name in names if len(name.replace(" ", "")) >= 2}
    mails = {fold_text(address).strip() for address in addresses if address}
    choices = [
        rf"(?<![\w.+-]){re.escape(mail)}(?!\.?[\w@-])"
        for mail in sorted(mails, key=len, reverse=True)
        if mail
    ]
    # The longest first: the full name is one blank, not two.
    choices += [
        # A surname that is also a word, alone: a "word" match, kept where it is the word.
        rf"(?<!\w)(?P<word>{_words(name)})(?!\w)"
        if name == last and last in COMMON_WORD_SURNAMES and last != first
        else rf"(?<!\w){_words(name)}(?!\w)"
        for name in sorted(names, key=len, reverse=True)
    ]
    choices += [pattern for number in phones if number and (pattern := _phone(number))]
    if not choices:
        return None
    return re.compile("|".join(f"(?:{choice})" for choice in choices))


def scrub(text: str | None, pattern: re.Pattern | None) -> str | None:
    """``text`` with every word of ``pattern`` replaced by :data:`ERASED_PERSON` (``text``
    itself when it names nobody)."""
    if not text or pattern is None:
        return text
    whole = composed(text)
    folded, origin = fold_with_origins(whole)
    spans = [
        (m.start(), m.end())
        for m in pattern.finditer(folded)
        if m.end() > m.start()
        and (not m.groupdict().get("word") or _names_the_person(whole, folded, origin, m))
    ]
    if not spans:
        return text
    pieces, kept_from = [], 0
    for start, end in spans:
        first, last = origin[start], origin[end - 1] + 1
        while last < len(whole) and is_combining(whole[last]):
            last += 1  # an accent written apart from its letter belongs to the word
        if first < kept_from:
            continue
        pieces += [whole[kept_from:first], ERASED_PERSON]
        kept_from = last
    pieces.append(whole[kept_from:])
    return "".join(pieces)


def _names_the_person(whole: str, folded: str, origin: list[int], match: re.Match) -> bool:
    """Whether a surname that is also a word (:data:`COMMON_WORD_SURNAMES`), found alone,
    is the person's name there: after a civility ("Mme Petit", "m. petit"), or written
    with a capital where no sentence, line or list item starts ("voir Petit lundi"), or
    in capitals ("PETIT n'a pas...", not "PETIT SOUCI"). Never a part of a hyphenated word
    ("petit-déjeuner", "la Saint-Martin")."""
    first, last = origin[match.start()], origin[match.end() - 1] + 1
    if whole[first - 1 : first] == "-" or whole[last : last + 1] == "-":
        return False
    if _CIVILITY.search(folded, 0, match.start()):
        return True
    word = whole[first:last]
    if not word[:1].isupper():
        return False
    before = whole[:first].rstrip(" \t\u00a0")
    if before and before[-1] not in _SENTENCE_END:
        return True
    # At a sentence's start, a capital is the sentence's: only capitals throughout name
    # the person, unless the next word is in capitals too (a title).
    following = whole[last:].split(maxsplit=1)
    shouted = bool(following) and len(following[0]) > 1 and following[0].isupper()
    return len(word) > 1 and word.isupper() and not shouted


def _path(endpoint: str, **values) -> str:
    """A page's path, as mails write it after the platform's address (which may change)."""
    return urlsplit(external_url(endpoint, **values)).path


def scrub_leads(session: Session, lead_ids: Iterable[int], pattern: re.Pattern | None) -> int:
    """Blank the person ``pattern`` names in the staff's words of the leads ``lead_ids``
    (note, refusal text, their transitions' reasons) and in the mails quoting them
    (:data:`SCRUBBED_MAILS` linking a lead's page or one of its needs' pages). Returns how
    many texts changed. The caller flushes."""
    lead_ids = sorted(set(lead_ids))
    if not lead_ids or pattern is None:
        return 0
    changed = 0

    def blank(record, *fields: str) -> None:
        nonlocal changed
        changed += _record_texts(record, fields, pattern)

    leads = session.scalars(
        select(Lead)
        .where(Lead.id.in_(lead_ids))
        .options(selectinload(Lead.needs).selectinload(LeadNeed.need))
    ).all()
    for lead in leads:
        blank(lead, "note", "refusal_text")
    for entry in session.scalars(
        select(Transition).where(
            Transition.entity == "lead",
            Transition.entity_id.in_(lead_ids),
            Transition.reason_text.is_not(None),
        )
    ):
        blank(entry, "reason_text")
    paths = {_path("leads.show", lead_id=lead.id) for lead in leads}
    paths |= {_path("needs.show", ref=item.need.ref) for lead in leads for item in lead.needs}
    if not paths:
        return changed
    mails = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind.in_(SCRUBBED_MAILS),
            or_(*(OutboxMessage.body_text.contains(path, autoescape=True) for path in paths)),
        )
    )
    for mail in mails:
        blank(mail, "subject", "body_text", "body_html")
    return changed


def _record_texts(record, fields: Iterable[str], pattern: re.Pattern) -> int:
    """Blank the person in the ``fields`` of ``record``; how many changed."""
    changed = 0
    for field in fields:
        before = getattr(record, field)
        after = scrub(before, pattern)
        if after != before:
            setattr(record, field, after)
            changed += 1
    return changed


# The staff's free texts that may mention a person without proposing them, by model; the
# transitions of the leads and the re-orientations; the mails quoting them.
MENTION_TEXTS = (
    (Lead, ("note", "refusal_text")),
    (Referral, ("note", "outcome", "refusal_text")),
    # The staff's notes on a need (not the owner's own words, ``reason_text``).
    (Need, ("notes",)),
    (Transition, ("reason_text",)),
    (Visit, ("notes",)),
    (FollowUpPoint, ("company_feedback", "candidate_feedback")),
    # Why the person left one company of a placement (``leads.end_at_company``).
    (PlacementNeed, ("end_reason",)),
    (OutboxMessage, ("subject", "body_text", "body_html")),
)
_MENTION_SCOPE = {
    Transition: Transition.entity.in_(("lead", "referral", "need")),
    OutboxMessage: OutboxMessage.kind.in_(MENTIONING_MAILS),
}


def _ascii_run(name: str | None) -> str:
    """The longest run of ASCII letters of ``name``, lower case ("Lefèvre" -> "lef"):
    what any text naming it holds, with or without its accents, in any case, its accents
    composed or not; the name itself, lower case, when it has no such run of 3 letters
    (which would match too many texts)."""
    runs = re.findall(r"[a-z]+", (name or "").lower())
    run = max(runs, key=len, default="")
    return run if len(run) >= 3 else composed((name or "").lower())


def _mention_filter(column, surname: str, addresses: Iterable[str], digits: Iterable[str]):
    """The rows whose ``column`` may mention the person (a superset, the pattern decides):
    their surname's letters, an address, a phone's digits in order whatever is written
    between them (a chain of ``replace`` took 10 times longer on 100,000 mails)."""
    tests = [column.icontains(address, autoescape=True) for address in addresses]
    if surname:
        tests.append(column.icontains(surname, autoescape=True))
    tests += [column.like("%" + "%".join(number) + "%") for number in digits]
    return or_(*tests)


def has_namesake(
    session: Session, first_name: str | None, last_name: str | None, *, but: int
) -> bool:
    """Whether someone else the platform knows has this full name (another person of the
    library, a company's contact, an account): a text that does not propose the person
    may then mean them."""
    key = sort_key(last_name, first_name)
    if session.scalar(
        select(Candidate.id).where(Candidate.sort_name == key, Candidate.id != but).limit(1)
    ):
        return True
    full = {
        " ".join(fold_text(f"{a} {b}").split())
        for a, b in ((first_name, last_name), (last_name, first_name))
    }
    hint = _ascii_run(last_name)
    for column in (CompanyContact.name, User.full_name):
        names = session.scalars(select(column).where(column.icontains(hint, autoescape=True)))
        if any(" ".join(fold_text(name).split()) in full for name in names):
            return True
    return False


def scrub_mentions(
    session: Session,
    first_name: str | None,
    last_name: str | None,
    addresses: Iterable[str | None],
    phones: Iterable[str | None],
    *,
    but: int,
) -> int:
    """Blank the person in the staff's free texts that mention them without proposing
    them (:data:`MENTION_TEXTS`: every lead, re-orientation, the staff's need notes, the
    transitions of those three, visit, follow-up point, company end of a placement, and
    the mails quoting them): their full name (either way round),
    their addresses and phones, never a name alone (another Inès); nor the full name when
    someone else has it (:func:`has_namesake`, ``but`` is the person's id). One statement
    per table, filtered in the database (:func:`_mention_filter`). Returns how many texts
    changed. The caller flushes."""
    addresses = sorted({address.lower() for address in addresses if address})
    keys = [key for number in phones if (key := phone_key(number))]
    # The digits after the national or international prefix: in every writing of it.
    digits = sorted({key[1:] for key in keys})
    full = bool(first_name and last_name) and not has_namesake(
        session, first_name, last_name, but=but
    )
    surname = _ascii_run(last_name) if full else ""
    pattern = person_pattern(first_name, last_name, addresses, keys, alone=False, full=full)
    if pattern is None or not (surname or addresses or digits):
        return 0
    changed = 0
    for model, fields in MENTION_TEXTS:
        columns = [getattr(model, field) for field in fields]
        query = select(model).where(
            or_(*(_mention_filter(column, surname, addresses, digits) for column in columns))
        )
        if model in _MENTION_SCOPE:
            query = query.where(_MENTION_SCOPE[model])
        for record in session.scalars(query):
            changed += _record_texts(record, fields, pattern)
    return changed
