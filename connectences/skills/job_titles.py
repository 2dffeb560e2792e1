"""Short job titles as people say them on a doorstep, where ``lookup`` places nothing.

Two kinds of words fail the lookup on their own, and each calls for a question rather
than a refusal:

- a word that names several jobs of the taxonomy: "vendeur" heads the appellations of
  shop sales in food, clothing, sport, home, plants... (``job_choices`` gives them, to
  choose from), where "vendeur en boulangerie" is placed at once;
- a word of a contract, not of a trade: "saisonnier", "en CDD" (``split_contract``
  takes it out, so that "saisonnière en ostréiculture" is looked up as the trade it
  names, and "employé saisonnier" is known to name none).

Names of jobs the taxonomy holds as such ("Saisonnier agricole", an appellation) are
jobs: ``exact_job`` finds them before any of this.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectences.skills.taxonomy import lookup, taxonomy
from connectences.skills.text import STOPWORDS, normalize

# Words of a contract, by the code of vocab.CONTRACTS they name (normalised).
CONTRACT_WORDS: dict[str, str] = {
    "saisonnier": "saisonnier",
    "saisonniere": "saisonnier",
    "saisonniers": "saisonnier",
    "saisonnieres": "saisonnier",
    "saison": "saisonnier",
    "cdd": "cdd",
    "cdi": "cdi",
    "interim": "mission",
    "interimaire": "mission",
    "interimaires": "mission",
}
# Words that say "someone to hire" without a trade: left alone with a contract word
# ("employé saisonnier", "renfort pour la saison"), the title names no trade.
_NO_TRADE = frozenset(
    {
        "employe",
        "employee",
        "employes",
        "employees",
        "salarie",
        "salariee",
        "salaries",
        "salariees",
        "personnel",
        "personne",
        "personnes",
        "renfort",
        "renforts",
        "poste",
        "postes",
        "job",
        "jobs",
        "emploi",
        "emplois",
        "contrat",
        "ete",
        "hiver",
    }
)


@dataclass(frozen=True)
class JobTitle:
    """A typed job title with the words of a contract taken out."""

    trade: str  # what is left to look up ("" when the title names no trade)
    contract: str | None  # the code of vocab.CONTRACTS a word named, if any


def split_contract(text: str) -> JobTitle:
    """``text`` without the words of a contract ("saisonnier", "CDD"), and the contract
    they name: "Saisonnière en ostréiculture" gives the trade "ostreiculture" and
    "saisonnier"; "employé saisonnier" gives no trade. A title without such a word
    comes back whole, with no contract."""
    words = normalize(text).split()
    found = [CONTRACT_WORDS[w] for w in words if w in CONTRACT_WORDS]
    if not found:
        return JobTitle(trade=text.strip(), contract=None)
    rest = [w for w in words if w not in CONTRACT_WORDS and w not in STOPWORDS]
    trade = " ".join(rest) if any(w not in _NO_TRADE for w in rest) else ""
    return JobTitle(trade=trade, contract=found[0])


def exact_job(text: str) -> str | None:
    """The ROME code (or family) of a text that is exactly a job's name in the taxonomy,
    its label or one of its appellations ("Saisonnier agricole"); None otherwise (a
    skill's name, or a text placed only approximately)."""
    match = lookup(text)
    if match.score == 1.0 and match.terms and all(t.kind != "skill" for t in match.terms):
        return match.concept
    return None


def _head(text: str) -> str | None:
    words = [w for w in normalize(text).split() if w not in STOPWORDS]
    if not words:
        return None
    heads = taxonomy().heads
    word = words[0]
    if word not in heads and word.endswith(("s", "x")) and word[:-1] in heads:
        word = word[:-1]  # "vendeuses"
    return word if word in heads else None


def job_choices(text: str) -> list[str]:
    """The ROME codes whose appellations begin with the first word of ``text``, most
    of them first: "vendeur" or "vendeuse" give the sales jobs ("Vendeur / Vendeuse en
    alimentation", "... en prêt-à-porter"...). Empty when that word begins none. For a
    text the lookup did not place: the caller decides how many are too many to offer."""
    head = _head(text)
    if head is None:
        return []
    counts = taxonomy().heads[head]
    return sorted(counts, key=lambda code: (-counts[code], code))


def head_examples(text: str, code: str, most: int = 2) -> list[str]:
    """Appellations of ``code`` beginning with the first word of ``text``, in the
    gender typed: for "vendeuse" and D1106, "Vendeuse en alimentation", ..."""
    head = _head(text)
    found: list[str] = []
    for term in taxonomy().terms:
        if term.code == code and term.kind == "appellation" and term.tokens[:1] == (head,):
            if term.label not in found:
                found.append(term.label)
            if len(found) >= most:
                break
    return found
