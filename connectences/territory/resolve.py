"""The commune a person means by what they type. One rule for every form and import
of the platform (CV, need, company and callback forms, the animateur's round, spreadsheet
imports): they all call :func:`read_commune` or :func:`resolve_commune`.

What is read:

- a code alone: five digits are a postcode first, since that is what people know
  ("33120" is Arcachon, not the commune whose INSEE code is 33120), an INSEE code when no
  commune has that postcode ("33009", "2A004");
- a name, with or without a code before or after it, in brackets or not, after a comma
  or a dash: "Gujan-Mestras (33470)", "lanton 33138", "33470, Gujan-Mestras". Names are
  compared without case, accents, hyphens, apostrophes or spaces ("lherbe" is
  "L'Herbe"), "St" read as "Saint".

The rule:

1. A code given is respected. Only the communes with that postcode (or that INSEE code)
   are looked at; when the name fits none of them, the person is told so, and offered
   the communes of that postcode and the communes of that name. A commune of another
   department is never picked in the postcode's place.
2. A name is looked up, in this order, stopping at the first that finds something:
   a commune of that name, or a village, quartier or short name of a commune of the
   Pays (``data/territory/places.csv``: "Cazaux" is in La Teste-de-Buch, "Cap Ferret"
   in Lège-Cap-Ferret, "Belin" is Belin-Béliet); else the start of the words of
   exactly one commune's name ("Andernos", "La Teste"); else a typo, the names at the
   fewest edits: among the names of the Pays' communes and places (or of the
   postcode given) first, one edit from 5 letters, two from 11; then among France's
   names, one edit from 8 letters, two from 12 (one edit of a shorter word is often
   another commune: "France" is one letter from Francs).
3. When several communes fit, the commune of the Pays is meant if exactly one of them
   is in the Pays, else the commune of Gironde if exactly one is in Gironde (33); else
   the person chooses. Why: the platform serves the Pays, whose people write "Salles",
   "Lège" or "Cazaux" for their own commune, while four other Salles and an Ariège
   Cazaux exist. People from elsewhere use it too: the form tells them which commune
   was recorded and how to type theirs (the reading's ``note``).
4. Every choice offered, in a message or a note, is a commune's name with a postcode
   ("Salles (79800)") that resolves to that commune when typed back as shown.
5. The reading carries a ``note`` (French) whenever the commune recorded is not plainly
   what was typed: a village or short name, a typo, a code, or a choice among communes
   of one name. Forms show it, so that nobody is placed in a commune unawares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from connectences.errors import DomainError
from connectences.territory import reference as territory
from connectences.territory.text import fold

# Choices named in one message or note, at most; the rest are counted.
MAX_CHOICES = 6
# Characters of what was typed quoted back in a message.
QUOTED = 80
# No commune's name with its postcode is this long (the longest name has 45
# characters): a longer text is refused before any pattern or typo search runs on it.
MAX_TYPED = 120


class UnknownCommune(DomainError):
    """Nothing (or several communes) fit what was typed; the message says what to do.

    ``choices``: the labels the message offers ("Salles (79800)"), each of which resolves
    to its commune when typed back."""

    def __init__(self, message: str, choices: Iterable[str] = ()):
        super().__init__(message)
        self.choices = tuple(choices)


@dataclass(frozen=True)
class CommuneReading:
    """The commune read from what a person typed, and what to tell them about it.

    ``note`` is None when the commune is plainly what was typed ("Arcachon",
    "Arcachon (33120)"); otherwise a French sentence naming the commune recorded.
    ``alternatives``: other communes the text could have meant, as labels to type back
    (also in the note)."""

    commune: territory.CommuneRef
    note: str | None = None
    alternatives: tuple[str, ...] = ()


_CODE = r"(?:\d{2} ?\d{3}|2[AB]\d{3})"
_SEPARATOR = r"[\s,;:/\-–—]*"
_LETTER = r"[^\W\d_]"
_NAME_THEN_CODE = re.compile(
    rf"(?P<name>.*?{_LETTER}.*?){_SEPARATOR}\(?\s*(?P<code>{_CODE})\s*\)?", re.IGNORECASE
)
_CODE_THEN_NAME = re.compile(
    rf"\(?\s*(?P<code>{_CODE})\s*\)?{_SEPARATOR}(?P<name>{_LETTER}.*)", re.IGNORECASE
)
_CODE_ALONE = re.compile(r"[0-9][0-9AB][0-9]{3}")


def _key(text: str) -> str:
    """A name as compared: folded, without spaces ("L'Herbe", "lherbe" -> "lherbe")."""
    return fold(text).replace(" ", "")


def _max_edits(key: str, lenient: bool) -> int:
    """Edits a typo may hold: ``lenient`` among the few names of the Pays (or of a
    postcode), strict among France's 35,000, where one edit of a short word is often
    another commune ("France" is one letter from Francs, "Coban" from Conan)."""
    if lenient:
        return 0 if len(key) < 5 else 1 if len(key) <= 10 else 2
    return 0 if len(key) < 8 else 1 if len(key) <= 11 else 2


@cache
def _names() -> dict[str, tuple[territory.CommuneRef, ...]]:
    """Name key -> the communes of that name, and the places' communes under theirs."""
    found: dict[str, list] = {}
    for commune in territory.all_communes():
        found.setdefault(_key(commune.name), []).append(commune)
    for name, commune in territory.places():
        communes = found.setdefault(_key(name), [])
        if commune not in communes:
            communes.append(commune)
    return {key: tuple(communes) for key, communes in found.items()}


@cache
def _name_keys() -> tuple[str, ...]:
    return tuple(_names())


@cache
def _place_keys() -> dict[territory.CommuneRef, tuple[str, ...]]:
    """Commune -> the keys of its places (villages, quartiers, short names)."""
    found: dict[territory.CommuneRef, list[str]] = {}
    for name, commune in territory.places():
        found.setdefault(commune, []).append(_key(name))
    return {commune: tuple(keys) for commune, keys in found.items()}


def _keys_of(communes: Iterable[territory.CommuneRef]) -> list[str]:
    """The name keys of these communes and of their places."""
    keys = []
    for commune in communes:
        keys.append(_key(commune.name))
        keys.extend(_place_keys().get(commune, ()))
    return keys


def _rank(commune: territory.CommuneRef) -> tuple:
    """The Pays' communes first, then Gironde's, then the most populated."""
    return (
        not territory.in_pays(commune.insee),
        commune.department != "33",
        -territory.population(commune.insee),
        commune.name,
        commune.insee,
    )


def _local_choice(communes: Sequence[territory.CommuneRef]) -> territory.CommuneRef | None:
    """The one commune meant among several (rule 3), None when the person must choose."""
    if len(communes) == 1:
        return communes[0]
    for local in (lambda c: territory.in_pays(c.insee), lambda c: c.department == "33"):
        those = [c for c in communes if local(c)]
        if len(those) == 1:
            return those[0]
        if those:
            return None
    return None


def _quoted(labels: Sequence[str], total: int | None = None) -> str:
    """« A », « B » et 3 autres."""
    text = ", ".join(f"« {label} »" for label in labels)
    more = (total or len(labels)) - len(labels)
    return f"{text} et {more} autre{'s' if more > 1 else ''}" if more > 0 else text


def _labels(communes: Iterable[territory.CommuneRef], postcode: str | None = None) -> list[str]:
    """Labels to type back: the name with ``postcode`` when the communes were found by
    it, else with each one's main postcode; the largest first, MAX_CHOICES at most."""
    ranked = sorted(set(communes), key=_rank)[:MAX_CHOICES]
    if postcode:
        return [f"{c.name} ({postcode})" for c in ranked]
    return [c.label for c in ranked]


def _reading(
    typed: str,
    commune: territory.CommuneRef,
    plain: bool,
    others: Sequence[territory.CommuneRef] = (),
    postcode: str | None = None,
) -> CommuneReading:
    """The reading, with a note unless ``plain`` (the commune is what was typed) and no
    other commune could have been meant."""
    others = [c for c in others if c != commune]
    alternatives = tuple(_labels(others, postcode))
    if plain and not alternatives:
        return CommuneReading(commune)
    note = f"Commune enregistrée : {commune.label}"
    if not plain:
        note += f", pour « {typed[:QUOTED]} »"
    note += "."
    if alternatives:
        note += (
            " S'il s'agit d'une autre commune, tapez-la avec son code postal : "
            f"{_quoted(alternatives, len(set(others)))}."
        )
    return CommuneReading(commune, note, alternatives)


# ------------------------------------------------------------------------- looking up


def _word_prefixes(name: str, commune: territory.CommuneRef) -> bool:
    """Every word of ``name`` starts a word of the commune's name or of one of its places."""
    wanted = fold(name).split()
    spellings = [commune.name] + [place for place, c in territory.places() if c == commune]
    for spelling in spellings:
        words = fold(spelling).split()
        if wanted and all(any(w.startswith(part) for w in words) for part in wanted):
            return True
    return False


def _typos(key: str, within: Sequence[territory.CommuneRef] | None) -> list:
    """The communes whose name (or place) is the fewest edits from ``key`` (rule 2):
    among ``within`` when a code was given, else among the Pays' names first, then
    France's."""
    if within is not None:
        steps = [(within, True)]
    else:
        steps = [(territory.pays_communes(), True), (None, False)]
    for communes, lenient in steps:
        edits = _max_edits(key, lenient)
        if not edits:
            continue
        keys = _name_keys() if communes is None else _keys_of(communes)
        found = process.extract(key, keys, scorer=OSA.distance, score_cutoff=edits, limit=None)
        if not found:
            continue
        fewest = min(distance for _, distance, _ in found)
        matched = {c for k, distance, _ in found if distance == fewest for c in _names()[k]}
        if communes is not None:
            matched &= set(communes)
        if matched:
            return sorted(matched, key=_rank)
    return []


# How the candidates of a name were found: by that very name (or a place of that name),
# as the start of exactly one name, as a typo, or as the start of several names (then
# only offered, never chosen).
NAMED, PREFIX, TYPO, STARTS = "named", "prefix", "typo", "starts"


def _candidates(name: str, within: Sequence[territory.CommuneRef] | None) -> tuple[list, str]:
    """(communes that ``name`` may mean, how they were found), among ``within`` when a
    code was given, else in all France (rule 2)."""
    key = _key(name)
    named = list(_names().get(key, ()))
    if within is not None:
        named = [c for c in named if c in within]
    if named:
        return sorted(named, key=_rank), NAMED
    if within is not None:
        prefixed = sorted((c for c in within if _word_prefixes(name, c)), key=_rank)
    else:
        prefixed = territory.search_communes(name, limit=MAX_CHOICES + 1)
    if len(prefixed) == 1:
        return prefixed, PREFIX
    typos = _typos(key, within)
    if typos:
        return typos, TYPO
    return prefixed, STARTS


def _read_code(code: str, typed: str) -> CommuneReading:
    """A postcode alone, else an INSEE code."""
    by_postcode = territory.communes_with_postcode(code)
    if by_postcode:
        chosen = by_postcode[0] if len(by_postcode) == 1 else None
        if chosen is None:
            pays = [c for c in by_postcode if territory.in_pays(c.insee)]
            chosen = pays[0] if len(pays) == 1 else None
        if chosen is not None:
            return _reading(typed, chosen, False, by_postcode, code)
        choices = _labels(by_postcode, code)
        raise UnknownCommune(
            f"Plusieurs communes ont le code postal {code} "
            f"({_quoted(choices, len(by_postcode))}) : indiquez le nom.",
            choices,
        )
    found = territory.get_commune(code)
    if found is not None:
        return _reading(typed, found, False)
    raise UnknownCommune(
        f"Commune inconnue : aucune commune n'a le code postal ou le code INSEE « {code} »."
    )


def _elsewhere(name: str) -> list[str]:
    """Labels of the communes ``name`` alone may mean, to offer beside a code that does not
    fit it."""
    try:
        reading = read_commune(name)
    except UnknownCommune as error:
        return list(error.choices)
    return [reading.commune.label, *reading.alternatives]


def _read_name_with_code(name: str, code: str, typed: str) -> CommuneReading:
    """A name with a postcode (or an INSEE code): the name among that code's communes."""
    code = code.replace(" ", "").upper()
    within = territory.communes_with_postcode(code)
    postcode = code if within else None
    if not within:
        found = territory.get_commune(code)
        within = [found] if found is not None else []
    shown = name[:QUOTED]
    candidates, how = _candidates(name, within) if within else ([], STARTS)
    chosen = _local_choice(candidates) if how != STARTS else None
    if chosen is not None:
        plain = how == NAMED and _key(chosen.name) == _key(name)
        return _reading(typed, chosen, plain, candidates)
    elsewhere = [] if candidates else _elsewhere(name)
    if candidates:
        choices = _labels(candidates, postcode)
        message = (
            f"Plusieurs communes du code postal {code} répondent à « {shown} » "
            f"({_quoted(choices, len(candidates))}) : choisissez la vôtre."
        )
    elif not within:
        choices = elsewhere
        message = f"Aucune commune n'a le code postal {code}."
        if elsewhere:
            message += f" Pour « {shown} », tapez {_quoted(elsewhere)}."
        else:
            message += " Vérifiez le nom et le code postal de la commune."
    else:
        here = _labels(within, postcode)
        choices = here + [label for label in elsewhere if label not in here]
        kind = "le code postal" if postcode else "le code INSEE"
        message = (
            f"Aucune commune « {shown} » n'a {kind} {code}, qui est celui de "
            f"{_quoted(here, len(within))}."
        )
        if elsewhere:
            message += f" Pour « {shown} » ailleurs, tapez {_quoted(elsewhere)}."
    raise UnknownCommune(message, choices)


def _read_name(name: str, typed: str) -> CommuneReading:
    candidates, how = _candidates(name, None)
    chosen = _local_choice(candidates) if how != STARTS else None
    if chosen is not None:
        plain = how == NAMED and _key(chosen.name) == _key(name)
        return _reading(typed, chosen, plain, candidates)
    shown = name[:QUOTED]
    if candidates:
        choices = _labels(candidates)
        # The starts of names are a sample (the search's first few): not counted.
        listed = _quoted(choices, len(candidates) if how != STARTS else None)
        if how == NAMED:
            message = (
                f"Plusieurs communes s'appellent « {shown} » ({listed}) : "
                "ajoutez le code postal de la vôtre."
            )
        else:
            message = f"Commune inconnue : « {shown} ». Vouliez-vous dire {listed} ?"
        raise UnknownCommune(message, choices)
    raise UnknownCommune(
        f"Commune inconnue : « {typed[:QUOTED]} ». Tapez son nom suivi du code postal, "
        "par exemple « Arcachon (33120) »."
    )


def read_commune(raw) -> CommuneReading:
    """The commune meant by ``raw`` and what to tell the person (the module's rule);
    raises :class:`UnknownCommune` (French, with the choices to offer)."""
    text = " ".join(str(raw or "").split())
    if not text:
        raise UnknownCommune("Indiquez la commune.")
    if len(text) > MAX_TYPED:
        raise UnknownCommune(
            f"Commune inconnue : « {text[:QUOTED]}… ». Tapez son nom suivi du code postal, "
            "par exemple « Arcachon (33120) »."
        )
    compact = text.replace(" ", "").upper()
    if _CODE_ALONE.fullmatch(compact):
        return _read_code(compact, text)
    for pattern in (_NAME_THEN_CODE, _CODE_THEN_NAME):
        parts = pattern.fullmatch(text)
        if parts:
            name = parts.group("name").strip(" ,;:/-–—(")
            return _read_name_with_code(name, parts.group("code"), text)
    return _read_name(text, text)


def commune_note(raw) -> str | None:
    """What to tell the person about the commune recorded for ``raw`` once it is stored
    (the reading's note); None when there is nothing to tell, or when ``raw`` is empty
    or names no commune (the form refused it already)."""
    if not str(raw or "").strip():
        return None
    try:
        return read_commune(raw).note
    except UnknownCommune:
        return None


def resolve_commune(raw) -> territory.CommuneRef:
    """The ``CommuneRef`` meant by ``raw`` (see :func:`read_commune`); raises
    :class:`UnknownCommune` (French)."""
    return read_commune(raw).commune
