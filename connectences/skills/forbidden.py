"""Skills that express a criterion French law forbids in hiring: the one owner of the rule.

Article L1132-1 of the Code du travail forbids choosing a person for their origin, sex,
morals, sexual orientation, gender identity, age, family situation, pregnancy, genetic
characteristics, economic vulnerability, ethnicity, nation or supposed race, political
opinions, union or mutualist activities, elected office, religious convictions, physical
appearance, family name, place of residence or bank, state of health, loss of autonomy,
disability, ability to speak a language other than French, or being a whistleblower.
The interchange spec promises that matching never uses such a criterion; a field such as
``age`` does not exist, but the same criterion typed as a free-text skill ("homme",
"moins de 30 ans") would otherwise be stored and scored like any skill.

``forbidden_criterion(text)`` names, in French, the criterion a skill or requirement
expresses, or gives None. It must not refuse real skills and jobs that share a word
with a criterion ("femme de chambre", "garde d'enfants", "5 ans d'expérience",
"français courant", "religieuse au chocolat"), so it reads a text as a requirement
about the person only when *every* meaningful word of it belongs to the criteria's
vocabulary (a word of a trade, a product, a public or an experience lets it through)
and at least one criterion is clearly triggered. The vocabulary has words that carry
nothing (articles, "candidat", "profil") and the words of character or availability
recruiters write beside a criterion ("dynamique", "motivé", "sérieuse", "costaud",
"disponible", "trop", "prévue"): no skill alone, they never make "jeune et dynamique"
or "homme motivé" one.

- a *strong* word says it alone ("homme", "célibataire", "catholique", "jeune",
  "retraité", "valide");
- a *weak* word says it only with what makes it a condition: a negation ("sans
  enfant", "pas de handicap"), a praise of health ("bonne santé"), an age in years
  ("55 ans", not "2 ans"), a strong word of its criterion, a birth or a "type"
  ("nationalité française", "français de naissance", "de type européen", not
  "français"), a skin ("peau blanche"), a woman beside "enceintes" (also loudspeakers);
- a weak word naming a group of people says it refused, required or preferred ("pas
  d'étrangers", "européen uniquement", "senior exclu", "sans voile", "H uniquement",
  "jeunes bienvenus"), except the names of a language or a country ("français
  obligatoire" asks for a language);
- a person of a sex or an age named *for* a task or *with* a qualification is a
  requirement about the person even though the task is a real skill: "homme pour
  manutention", "homme avec CACES" are read by their words before the link ("homme"),
  as a requirement; "femme de ménage pour particuliers" has a job title there and
  stays a skill.

An age in years beside a public ("personnes âgées de plus de 60 ans", "enfants de
moins de 16 ans") is who the work serves, not the worker: it does not say the age (the
public's other words still count: "pas d'enfants" is a family situation), and a parent
named with a child ("mère et enfant") is a public too. "retraité" (a person) and
"retraite" (a pension) differ only by the accent, which is read as written, as for
"valide" (the worker's health) and "validé" (a diploma's).

Criteria the words of a skill cannot be told from a real skill (a language, a place
of residence, a family name) are left to the people who read what is written. Every
way skills come in refuses what this finds (``skills.skills_problem``, the interchange
validation); the matcher and the pooling set aside what was stored before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from connectences.skills.taxonomy import taxonomy
from connectences.skills.text import STOPWORDS, normalize

LAW = "article L1132-1 du Code du travail"

# The criteria, in French as the sentences name them, most specific first: a text that
# speaks of two ("femme enceinte", "jeune homme") is refused for the first.
PREGNANCY = "la grossesse"
FAMILY = "la situation de famille"
ORIENTATION = "l'orientation sexuelle"
GENDER_IDENTITY = "l'identité de genre"
RELIGION = "les convictions religieuses"
HEALTH = "l'état de santé ou le handicap"
ORIGIN = "la nationalité ou l'origine"
OPINIONS = "les opinions politiques ou syndicales"
APPEARANCE = "l'apparence physique"
AGE = "l'âge"
SEX = "le sexe"
CRITERIA: tuple[str, ...] = (
    PREGNANCY,
    FAMILY,
    ORIENTATION,
    GENDER_IDENTITY,
    RELIGION,
    HEALTH,
    ORIGIN,
    OPINIONS,
    APPEARANCE,
    AGE,
    SEX,
)


def _words(*groups: str) -> frozenset[str]:
    return frozenset(word for group in groups for word in group.split())


# Words that say the criterion alone (normalised: no accents, lower case).
STRONG: dict[str, str] = {}
for _criterion, _group in (
    (PREGNANCY, "enceinte grossesse grossesses"),
    (
        FAMILY,
        "celibataire celibataires marie mariee maries mariees pacse pacsee pacses "
        "divorce divorcee divorces veuf veuve veufs veuves concubin concubine "
        "concubinage mere pere maman papa",
    ),
    (
        ORIENTATION,
        "heterosexuel heterosexuelle heterosexuels heterosexuelles hetero heteros "
        "homosexuel homosexuelle homosexuels homosexuelles homo gay gays lesbienne "
        "lesbiennes bisexuel bisexuelle bisexuels bisexuelles",
    ),
    (GENDER_IDENTITY, "transgenre transgenres transsexuel transsexuelle cisgenre"),
    (
        RELIGION,
        "religion religions catholique catholiques musulman musulmane musulmans "
        "musulmanes juif juive juifs juives chretien chretienne chretiens chretiennes "
        "protestant protestante protestants protestantes bouddhiste hindou hindoue "
        "athee athees croyant croyante croyants croyantes islam confession confessions",
    ),
    (HEALTH, "rqth valide valides"),
    (
        ORIGIN,
        "nationalite nationalites origine origines ethnie ethnique race raciale souche",
    ),
    (OPINIONS, "syndique syndiquee syndiques syndiquees apolitique"),
    (APPEARANCE, "apparence beau belle jolie joli mince seduisant seduisante"),
    (
        AGE,
        "age jeune vingtaine trentaine quarantaine cinquantaine soixantaine "
        "quadragenaire quinquagenaire vieux vieille vieilles retraitee retraitees",
    ),
    (SEX, "homme femme sexe masculin masculine feminin feminine"),
):
    STRONG.update(dict.fromkeys(_group.split(), _criterion))

# Nationalities (every form of the adjective) and countries of the people of the
# territory and of those who come to work there; "français", "européen"... are above.
_NATIONALITIES = frozenset(
    form
    for stem, feminine in (
        ("portugais", "portugaise"),
        ("espagnol", "espagnole"),
        ("italien", "italienne"),
        ("allemand", "allemande"),
        ("anglais", "anglaise"),
        ("britannique", "britannique"),
        ("belge", "belge"),
        ("suisse", "suisse"),
        ("polonais", "polonaise"),
        ("roumain", "roumaine"),
        ("bulgare", "bulgare"),
        ("ukrainien", "ukrainienne"),
        ("russe", "russe"),
        ("turc", "turque"),
        ("marocain", "marocaine"),
        ("algerien", "algerienne"),
        ("tunisien", "tunisienne"),
        ("senegalais", "senegalaise"),
        ("malien", "malienne"),
        ("ivoirien", "ivoirienne"),
        ("camerounais", "camerounaise"),
        ("congolais", "congolaise"),
        ("comorien", "comorienne"),
        ("chinois", "chinoise"),
        ("vietnamien", "vietnamienne"),
        ("americain", "americaine"),
        ("bresilien", "bresilienne"),
        ("antillais", "antillaise"),
    )
    for form in {
        stem,
        feminine,
        stem if stem.endswith("s") else stem + "s",
        feminine if feminine.endswith("s") else feminine + "s",
    }
) | _words(
    "portugal espagne italie allemagne angleterre belgique pologne roumanie bulgarie",
    "ukraine russie turquie maroc algerie tunisie senegal mali cameroun congo comores",
    "chine vietnam bresil antilles afrique asie europe maghreb",
)

# Words of a criterion that need a condition beside them (see the module docstring).
WEAK: dict[str, str] = {}
for _criterion, _group in (
    (PREGNANCY, "enceintes"),
    (
        FAMILY,
        "enfant enfants famille familiale familial familiales familiaux charge mariage",
    ),
    (
        RELIGION,
        "religieux religieuse pratiquant pratiquante pratiquants pratiquantes "
        "voilee voilees voile voiles foulard kippa",
    ),
    (GENDER_IDENTITY, "trans"),
    (
        HEALTH,
        "sante handicap handicaps handicape handicapee handicapes handicapees "
        "malade malades maladie maladies chronique chroniques invalidite invalide "
        "pathologie pathologies",
    ),
    (
        ORIGIN,
        "francais francaise francaises europeen europeenne europeens europeennes "
        "etranger etrangere etrangers etrangeres ue france africain africaine "
        "africains africaines maghrebin maghrebine maghrebins maghrebines asiatique "
        "asiatiques arabe arabes blanc blanche blancs blanches noir noire noirs noires "
        "caucasien caucasienne caucasiens caucasiennes mediterraneen mediterraneenne "
        "mediterraneens mediterraneennes peau couleur",
    ),
    # Nationalities and countries are languages, cuisines and places too ("portugais
    # courant", "cuisine italienne"): weak, they say an origin after "origine",
    # "nationalité", a birth or a "type" ("origine portugaise", "née en Pologne").
    (ORIGIN, " ".join(sorted(_NATIONALITIES))),
    (
        OPINIONS,
        "syndical syndicale syndicaux syndicat syndicats politique politiques "
        # The unions: "syndiqué CGT" is union membership, "pas de CGT" refuses it.
        "cgt cfdt fo cftc cgc unsa fsu",
    ),
    (
        APPEARANCE,
        "physique agreable avantageux avantageuse plaisant plaisante attrayant "
        "attrayante tatouage tatouages tatoue tatouee piercing piercings barbe",
    ),
    (AGE, "ans an agee agees ages jeunes senior seniors junior juniors retraite retraites"),
    (SEX, "h f hommes femmes fille filles garcon garcons"),
):
    WEAK.update(dict.fromkeys(_group.split(), _criterion))

# Weak words that name a group of people: refusing them or requiring them ("pas
# d'étrangers", "européen uniquement", "senior exclu", "sans voile") is the criterion.
# The names of languages ("français", "arabe") and of a country ("France") are not
# among them: "français obligatoire" asks for a language, "France uniquement" a place.
_ON_REFUSAL = _words(
    "jeunes senior seniors junior juniors retraite retraites",
    "francaise francaises europeen europeenne europeens europeennes etranger etrangere",
    "etrangers etrangeres ue africain africaine africains africaines maghrebin",
    "maghrebine maghrebins maghrebines asiatique asiatiques arabes blanc blanche blancs",
    "blanches noir noire noirs noires caucasien caucasienne caucasiens caucasiennes",
    "mediterraneen mediterraneenne mediterraneens mediterraneennes",
    "voilee voilees voile voiles foulard kippa pratiquant pratiquante pratiquants",
    "pratiquantes trans h f hommes femmes fille filles garcon garcons",
)
# "retraité" is a person, "retraite" a pension: only the accent tells them apart, so
# the words are read from the text as written (without accent, a pension: a weak word).
_RETIRED = re.compile(r"retraité", re.IGNORECASE)
# Likewise "valide" is a person's health, "validé" (a diploma, an account) is not: the
# health word counts only when the text writes it without the accent.
_VALID = re.compile(r"\bvalides?\b", re.IGNORECASE)
# The colour of a skin says an origin ("peau blanche"), like "couleur de peau".
_SKIN = _words("peau")
_COLOURS = _words("blanc blanche blancs blanches noir noire noirs noires")
# A "type" of people says an origin ("de type européen", "type caucasien").
_TYPE = _words("type")
# A woman named with "enceintes" (also loudspeakers) is pregnant ("femmes enceintes").
_WOMEN = _words("femme femmes fille filles")

# Phrases read as one strong word of their criterion.
PHRASES: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): criterion
    for criterion, phrases in (
        (FAMILY, ("situation de famille", "situation familiale", "charge de famille", "au foyer")),
        (ORIENTATION, ("orientation sexuelle",)),
        (GENDER_IDENTITY, ("identite de genre",)),
        (RELIGION, ("conviction religieuse", "convictions religieuses")),
        (HEALTH, ("etat de sante",)),
        (ORIGIN, ("couleur de peau", "pays de naissance", "lieu de naissance")),
        (
            OPINIONS,
            (
                "opinion politique",
                "opinions politiques",
                "engagement politique",
                "activite syndicale",
                "activites syndicales",
                "engagement syndical",
                "appartenance syndicale",
                "appartenance politique",
            ),
        ),
        (AGE, ("date de naissance", "annee de naissance")),
    )
    for phrase in phrases
}
# A parent and a child named together are a public ("mère et enfant", "mère-enfant":
# a maternity home, a support service), not a family situation asked of the worker.
_PARENTS = _words("mere meres pere peres maman mamans papa papas parent parents")
_CHILDREN = _words("enfant enfants bebe bebes nourrisson nourrissons")
PUBLIC_PHRASES: frozenset[tuple[str, ...]] = frozenset(
    phrase for p in _PARENTS for c in _CHILDREN for phrase in ((p, c), (p, "et", c))
)
_LONGEST_PHRASE = max(len(p) for p in (*PHRASES, *PUBLIC_PHRASES))

# "s'abstenir" refuses who it follows ("handicapés s'abstenir", "seniors s'abstenir").
NEGATIONS = _words(
    "non pas sans aucun aucune ni jamais exclu exclue exclus exclues abstenir abstenez"
)
RESTRICTIONS = _words(
    "uniquement seulement exclusivement strictement only obligatoire obligatoirement",
    "exige exigee requis requise imperatif imperative imperativement souhaite souhaitee",
    "souhaitable prefere preferee preferable preference idealement plutot reserve reservee",
    "maximum max maxi minimum min mini limite",
    # A group said welcome is preferred ("jeunes bienvenus"; "débutants bienvenus" is
    # no criterion).
    "bienvenu bienvenue bienvenus bienvenues",
)
PRAISES = _words("bon bonne parfait parfaite excellent excellente")
# Words that carry nothing either way: who the text speaks of, how it is put, and the
# words of character or availability that recruiters write beside a criterion
# ("jeune et dynamique", "homme motivé", "disponible sans enfants"): alone they are
# no skill either, so they never let a criterion through.
NEUTRAL = (
    STOPWORDS
    | _words(
        "candidat candidate candidats candidates profil personne personnes salarie salariee",
        "employe employee travailleur travailleuse recrue individu etre avoir est etes",
        "sont soit e s x ne nee nes nees naissance moins plus entre environ apres avant type",
        "trop tres prevu prevue prevus prevues projet projets contrainte contraintes",
        "dynamique dynamiques motive motivee motives motivees serieux serieuse serieuses",
        "costaud costaude costauds costaudes fort forte forts fortes souriant souriante",
        "souriants souriantes ponctuel ponctuelle ponctuels ponctuelles rigoureux",
        "rigoureuse rigoureuses autonome autonomes disponible disponibles polyvalent",
        "polyvalente polyvalents polyvalentes energique energiques volontaire volontaires",
        "debrouillard debrouillarde debrouillards debrouillardes aimable aimables calme",
        "calmes patient patiente courageux courageuse courageuses robuste robustes",
        "actif active actifs actives endurant endurante endurants endurantes visible visibles",
    )
) - NEGATIONS
# Words of a birth read with what follows: a year says the age, a country or an
# origin says the origin ("née en France", "français de naissance").
_BORN = _words("ne nee nes nees naissance")
_YEAR = re.compile(r"(19|20)[0-9]{2}")
# The youngest age the words "N ans" are read as a person's age: "2 ans" is experience.
_ADULT = 16
# Who the work serves: an age beside them describes that public ("personnes âgées de
# plus de 60 ans", "enfants de moins de 16 ans"), not the worker. Only the age in years
# is read so: "pas d'enfants" still speaks of the worker's family. The words outside the
# criteria's vocabulary ("patients", "élèves") already make a text a skill; they are
# listed so that the rule reads whole. "personne", singular, is the worker.
PUBLIC = _words(
    "personnes enfant enfants public publics patients patientes eleves residents",
    "residentes beneficiaires bebe bebes nourrissons adolescent adolescents",
    "adolescentes seniors jeunes usagers mineurs",
)
# Both sexes named: the text does not choose ("H/F", "homme ou femme").
_SEX_PAIRS = (
    (_words("h"), _words("f")),
    (_words("homme hommes"), _words("femme femmes")),
    (_words("masculin masculine"), _words("feminin feminine")),
)
# A person of a sex or an age named *for* a task or *with* a qualification ("homme
# pour manutention", "une femme pour le ménage", "homme avec CACES", "jeune ayant le
# permis") is a requirement about the person, even though the task or the
# qualification is a real skill; a job title that starts with the same word has its
# own word before the link ("femme de ménage pour particuliers", "femme de chambre
# avec expérience") and stays a skill.
_PERSONS = _words("h f homme hommes femme femmes jeune jeunes fille filles garcon garcons")
_ARTICLES = _words("un une des le la les l")
_LINKS = _words(
    "pour avec ayant possedant titulaire titulaires maitrisant sachant capable capables"
)
# A post may be said open, or reserved, to disabled workers: the employment obligation
# (L5212-2) and the measures in their favour (L5213-6, "not a discrimination" by
# L1133-4) allow it. In prose the words of that status are read as weak words of
# health, a criterion only refused ("pas de RQTH", "RQTH s'abstenir"); "Candidatures
# RQTH bienvenues", "Poste RQTH" are kept, as "Poste ouvert aux personnes en situation
# de handicap" (the other words of disability are weak already). As a skill, "RQTH"
# stays refused: matching never uses the criterion, either way.
_INCLUSIVE = {"rqth": HEALTH}
_PROSE_WEAK = WEAK | _INCLUSIVE


def forbidden_criterion(text: str) -> str | None:
    """The criterion forbidden by L1132-1 that ``text`` (a skill, a requirement)
    expresses, in French ("l'âge", "le sexe"...), or None for a real skill."""
    criteria = forbidden_criteria(text)
    return criteria[0] if criteria else None


@lru_cache(maxsize=50_000)
def forbidden_criteria(text: str, prose: bool = False) -> tuple[str, ...]:
    """Every criterion forbidden by L1132-1 that ``text`` (a skill, a requirement)
    expresses, most specific first (``forbidden_criterion`` names the first);
    ``prose``: the text is a run of a sentence (see ``_INCLUSIVE``)."""
    words = normalize(text or "").split()
    if not words:
        return ()
    retired = bool(_RETIRED.search(text))
    if not _VALID.search(text):
        # "validé" alone: a diploma or a step, not the worker's health.
        words = [w for w in words if w not in ("valide", "valides")]
        if not words:
            return ()
    link = next((i for i, w in enumerate(words) if w in _LINKS), None)
    if link is not None and link < len(words) - 1:
        person = words[:link]
        while person and person[0] in _ARTICLES:
            person = person[1:]
        if person and person[0] in _PERSONS:
            triggered = _triggered(person, retired, prose, for_task=True)
            if triggered:
                return _ordered(triggered)
    return _ordered(_triggered(words, retired, prose))


def _ordered(triggered: set[str]) -> tuple[str, ...]:
    return tuple(c for c in CRITERIA if c in triggered)


def _triggered(words: list[str], retired: bool, prose: bool, for_task: bool = False) -> set[str]:
    """Every criterion the normalised ``words`` express, none for a real skill (see the
    module docstring); ``prose``: words of a sentence (``_INCLUSIVE`` are weak);
    ``for_task``: the words name a person for a task, a requirement."""
    weak_words = _PROSE_WEAK if prose else WEAK
    strong: set[str] = set()
    weak: set[str] = set()
    negated = praised = False
    restricted = for_task
    public = False
    numbers: list[int] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_PHRASE, len(words) - i), 1, -1):
            phrase = tuple(words[i : i + n])
            criterion = PHRASES.get(phrase)
            if criterion or phrase in PUBLIC_PHRASES:
                if criterion:
                    strong.add(criterion)
                else:
                    public = True
                i += n
                break
        else:
            word = words[i]
            i += 1
            if word in PUBLIC:
                public = True
            if retired and word in ("retraite", "retraites"):
                strong.add(AGE)
            elif word in weak_words:
                weak.add(word)
            elif word in STRONG:
                strong.add(STRONG[word])
            elif word in NEGATIONS:
                negated = True
            elif word in RESTRICTIONS:
                restricted = True
            elif word in PRAISES:
                praised = True
            elif word.isdigit():
                numbers.append(int(word))
            elif word not in NEUTRAL:
                return set()  # a word of a trade, a product, an experience: a real skill
    present = set(words)
    for one, other in _SEX_PAIRS:
        if present & one and present & other:
            strong.discard(SEX)
            weak -= one | other
    triggered = set(strong)
    for word in weak:
        criterion = weak_words[word]
        if word in _ON_REFUSAL and (negated or restricted):
            # Beside a number, "h" is hours ("20 h maximum"), not a sex.
            if not (numbers and word in ("h", "f")):
                triggered.add(criterion)
        elif criterion == AGE:
            if not public and any(_ADULT <= n <= 99 for n in numbers):
                triggered.add(AGE)
        elif criterion == ORIGIN:
            if present & (_BORN | _TYPE) or (present & _SKIN and present & _COLOURS):
                triggered.add(ORIGIN)
        elif criterion == PREGNANCY:
            if negated or present & _WOMEN:
                triggered.add(PREGNANCY)
        elif criterion == HEALTH:
            if negated or praised:
                triggered.add(HEALTH)
        elif criterion == APPEARANCE:
            if negated or (word != "physique" and "physique" in present):
                triggered.add(APPEARANCE)
        elif criterion == SEX:
            pass  # only refused or required (above)
        elif negated:
            triggered.add(criterion)
    if present & _BORN and any(_YEAR.fullmatch(str(n)) for n in numbers):
        triggered.add(AGE)
    return triggered


# Each criterion after "tenir compte de", every article contracted.
_OF: dict[str, str] = {
    PREGNANCY: "de la grossesse",
    FAMILY: "de la situation de famille",
    ORIENTATION: "de l'orientation sexuelle",
    GENDER_IDENTITY: "de l'identité de genre",
    RELIGION: "des convictions religieuses",
    HEALTH: "de l'état de santé ou du handicap",
    ORIGIN: "de la nationalité ou de l'origine",
    OPINIONS: "des opinions politiques ou syndicales",
    APPEARANCE: "de l'apparence physique",
    AGE: "de l'âge",
    SEX: "du sexe",
}


def _quoted(labels: list[str]) -> str:
    quoted = [f"« {label} »" for label in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " et " + quoted[-1]


def refusal(label: str, criterion: str) -> str:
    """The French sentence refusing one skill: what it is about, and why."""
    return (
        f"« {label} » : la plateforme ne tient jamais compte {_OF[criterion]} "
        f"(critère interdit par la loi, {LAW}). Retirez-le."
    )


def forbidden_problem(labels: list[str]) -> str | None:
    """The French message refusing the skills of ``labels`` that express a forbidden
    criterion (every one named, each criterion once), or None when there is none."""
    found = [(label, c) for label in labels if (c := forbidden_criterion(label))]
    if not found:
        return None
    if len(found) == 1:
        return refusal(*found[0])
    criteria = list(dict.fromkeys(c for _, c in found))
    return (
        f"{_quoted([label for label, _ in found])} : la plateforme ne tient jamais compte "
        f"{_criteria_named(criteria)}. Retirez-les."
    )


def _criteria_named(criteria) -> str:
    """``de l'âge ni du sexe (critères interdits par la loi, …)``: each criterion named."""
    named = [_OF[c] for c in criteria]
    which = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " ni " + named[-1]
    plural = "s" if len(named) > 1 else ""
    return f"{which} (critère{plural} interdit{plural} par la loi, {LAW})"


def set_aside(label: str, criterion: str) -> str:
    """The French sentence of a matching explanation for a requirement it did not use."""
    return f"« {label} » écarté : la loi interdit de choisir selon {criterion} ({LAW})."


def allowed(labels) -> list[str]:
    """The labels that express no forbidden criterion, in their order."""
    return [label for label in labels if forbidden_criterion(label) is None]


# --- prose: a company's, an animateur's or an operator's own words ---------------------
#
# A title, the need "in the company's words", a note to an operator are sentences, not
# labels: "Nous voulons une femme de moins de 25 ans", "Serveuse jeune et dynamique". A
# word of a trade lets a whole label through, so prose is read by its runs: the longest
# stretches of words of the criteria's vocabulary (with the words of a sentence that
# carry nothing: pronouns, "cherchons", "serait"), each read as a label. What a run sits
# beside decides whether it speaks of the person hired:
#
# - a word of a criterion that heads a name or a compound is no requirement: "femme de
#   chambre", "homme d'entretien", "homme à tout faire", "homme-clé", "sage-femme",
#   "jeune entreprise", "santé financière" (followed by a word that is no person);
#   followed by a job ("jeune serveur", "femme chauffeur") it qualifies the person hired;
# - a run right after a thing describes that thing ("une équipe jeune et dynamique", "une
#   entreprise en bonne santé", "coupe femme", "vêtements pour femme"); after a job or a
#   person ("serveuse jeune et dynamique") or opening a clause, it describes the person;
#   a run that asks ("nous cherchons", "recherche") or names a person with an indefinite
#   article ("une femme") is a requirement wherever it sits;
# - a sex right after a job is the job's clientele when the trade serves a clientele of
#   a sex ("coiffeur homme", "vendeuse en chaussures femme", see ``CLIENTELE``), and the
#   person hired after any other job ("secrétaire femme", "comptable homme"); after
#   "pour" it is the person served ("aide à domicile pour femme âgée");
# - a post said open to disabled workers ("Candidatures RQTH bienvenues") is allowed by
#   the law and kept; only a disability refused is the criterion (see ``_INCLUSIVE``);
# - both sexes named in a sentence ("H/F", "homme ou femme", "vêtements homme, femme")
#   choose neither.
#
# Legal exceptions (an age set by the law for a contract, L1133-2) are left to the
# people who read what is written: the text says the job, the platform never the person.

# Words of a sentence that carry nothing about the person: who speaks, and the verbs
# between them and what they ask ("une femme serait préférable").
_PROSE_NEUTRAL = _words(
    "je j nous vous il elle on ils elles me m te t se notre nos votre vos mon ma mes",
    "son sommes suis serait seraient sera seront serions conviendrait conviendraient",
    "irait iraient ferait feraient faut faudrait doit doivent devra devrait devraient",
    "peut peuvent pourra pourrait pourraient mieux idéal ideal ideale si possible",
    "quelqu quelque",
    # Courtesy ("femme svp", "pas d'étrangers merci", "s'il vous plaît").
    "svp stp merci s plait",
)
# Words that ask for someone: a requirement follows, wherever the run sits.
_ASKING = _words(
    "cherche cherchons cherchez recherche recherchons recherchez recherchee recherches",
    "veux voulons voudrions voudrais voulez souhaitons souhaiterions souhaiterais",
    "preferons prefererions prefererais privilegions privilegie privilegiee",
    "embauche embaucher embauchons recrute recruter recrutons exigeons demandons",
    "besoin",
)
# Who is hired, besides the jobs of the taxonomy: a run after them speaks of the person.
_PEOPLE = _words(
    "personne personnes quelqu collaborateur collaboratrice collaborateurs stagiaire",
    "stagiaires salarie salariee salaries salariees employe employee employes employees",
    "poste postes emploi job profil candidat candidate candidats candidates recrue",
)
# Links after which a word of a criterion names a compound ("femme de chambre", "homme
# à tout faire") when what follows is no word of the criteria.
_COMPOUND_LINKS = _words("de d du des a")
_INDEFINITE = _words("un une")
_PHRASE_WORDS = frozenset(word for phrase in (*PHRASES, *PUBLIC_PHRASES) for word in phrase)
_RUN_WORDS = (
    frozenset(STRONG)
    | frozenset(WEAK)
    | NEGATIONS
    | RESTRICTIONS
    | PRAISES
    | NEUTRAL
    | _LINKS
    | _PHRASE_WORDS
    | _PROSE_NEUTRAL
    | _ASKING
)
_CRITERION_WORDS = frozenset(STRONG) | frozenset(WEAK)
_SENTENCES = re.compile(r"[.!?;\n\r]+")
_CLAUSES = re.compile(r"[,:()\[\]{}«»\"“”•*|]+|\s[-–—]+\s|^\s*[-–—]+\s")
_TOKEN = re.compile(r"[^\W_]+")
_FIRST_NAME = re.compile(r"\bmaries?\b", re.IGNORECASE)
# The trades that serve a clientele of a sex (ROME codes of the taxonomy): hairdressing
# and barbers, beauty care, the sale of clothes, shoes and accessories, tailoring and
# alterations. A job word is theirs when at least half of the appellations it begins
# are ("coiffeur", "barbier", "esthéticienne", "couturière", "tailleur"; not "vendeur",
# mostly food, sport or furniture), a job's name when at least half of its codes are
# ("vendeuse en chaussures").
CLIENTELE = frozenset({"D1202", "D1208", "D1214", "B1803"})


@lru_cache(maxsize=1)
def _job_words() -> tuple[frozenset[str], frozenset[str]]:
    """The first words of the taxonomy's job names (either gender: "serveuse", "maçon")
    and the job names themselves, normalised ("femme de chambre")."""
    tax = taxonomy()
    heads = frozenset(tax.heads) - _CRITERION_WORDS
    names = frozenset(t.norm for t in tax.terms if t.kind in ("appellation", "label"))
    return heads | _PEOPLE, names


@dataclass(frozen=True)
class _Token:
    text: str
    norm: str
    start: int
    end: int
    # Joined to the previous word by a hyphen or a slash ("homme-clé", "sage-femme",
    # "femme / valet de chambre"): one name, or two names of one job.
    glued: bool


def _tokens(clause: str) -> list[_Token]:
    found: list[_Token] = []
    for match in _TOKEN.finditer(clause):
        norm = normalize(match.group())
        if not norm:
            continue
        glued = bool(found) and clause[found[-1].end : match.start()].strip() in ("-", "/")
        found.append(
            _Token(match.group(), norm.replace(" ", ""), match.start(), match.end(), glued)
        )
    return found


@lru_cache(maxsize=1)
def _clientele_jobs() -> tuple[frozenset[str], frozenset[str]]:
    """The first words and the names of the jobs that serve a clientele of a sex
    (``CLIENTELE``), normalised."""
    tax = taxonomy()
    heads = frozenset(
        word
        for word, codes in tax.heads.items()
        if 2 * sum(n for code, n in codes.items() if code in CLIENTELE) >= codes.total()
    )
    codes_of: dict[str, set[str]] = {}
    for term in tax.terms:
        if term.kind in ("appellation", "label"):
            codes_of.setdefault(term.norm, set()).add(term.code)
    names = frozenset(
        name for name, codes in codes_of.items() if 2 * len(codes & CLIENTELE) >= len(codes)
    )
    return heads, names


def _serves_a_sex(tokens: list[_Token], i: int) -> bool:
    """Whether the job named at ``i`` (its name ending there, else its word) serves a
    clientele of a sex (``CLIENTELE``)."""
    heads, names = _clientele_jobs()
    all_names = _job_words()[1]
    for j in range(max(0, i - 4), i):
        name = " ".join(t.norm for t in tokens[j : i + 1])
        if name in all_names:
            return name in names
    return tokens[i].norm in heads


def _is_person(tokens: list[_Token], i: int) -> bool:
    """Whether the word at ``i`` names someone hired: a job's first word, a person, or
    the last word of a job's name ("femme de chambre")."""
    heads, names = _job_words()
    if tokens[i].norm in heads:
        return True
    return any(
        " ".join(t.norm for t in tokens[j : i + 1]) in names for j in range(max(0, i - 4), i)
    )


def _in_run(tokens: list[_Token]) -> list[bool]:
    """Which words belong to a run (see above): words of the criteria's vocabulary,
    except a criterion's word that heads a compound or qualifies a thing."""
    inside = [t.norm in _RUN_WORDS or t.norm.isdigit() for t in tokens]
    n = len(tokens)
    for i, token in enumerate(tokens):
        if token.norm not in _CRITERION_WORDS:
            continue
        after = i + 1 < n and tokens[i + 1]
        glued = (token.glued and not inside[i - 1]) or (after and after.glued and not inside[i + 1])
        qualifies_thing = after and not inside[i + 1] and not _is_person(tokens, i + 1)
        compound = after and after.norm in _COMPOUND_LINKS and i + 2 < n and not inside[i + 2]
        if glued or qualifies_thing or compound:
            inside[i] = False
    return inside


def _run_criteria(tokens: list[_Token], start: int, end: int) -> tuple[str, ...]:
    """The criteria the run ``tokens[start:end]`` expresses as a requirement about the
    person, read as a label (asking words read as "souhaité"), or none."""
    run = tokens[start:end]
    asks = any(t.norm in _ASKING for t in run)
    names_one = any(
        a.norm in _INDEFINITE and b.norm in _CRITERION_WORDS
        for a, b in zip(run, run[1:], strict=False)
    )
    after_job = False
    if start > 0 and not (asks or names_one):
        if not _is_person(tokens, start - 1):
            return ()  # the run describes the thing named before it
        after_job = True
    words = [
        "souhaité" if t.norm in _ASKING else t.text
        for t in run
        if t.norm not in _PROSE_NEUTRAL or t.norm in _RUN_WORDS - _PROSE_NEUTRAL
    ]
    label = " ".join(words)
    found = list(forbidden_criteria(label, prose=True))
    if run[-1].norm in _LINKS and end < len(tokens):
        # "des hommes pour la manutention": a person for a task, as in a label.
        found += forbidden_criteria(f"{label} {tokens[end].text}", prose=True)
    if (
        after_job
        and (run[0].norm in _LINKS or _serves_a_sex(tokens, start - 1))
        and not any(t.norm in NEGATIONS | RESTRICTIONS for t in run)
    ):
        # A sex after a trade of a clientele of a sex is that clientele ("coiffeur
        # homme"), after "pour" the person served, unless it is required ("coiffeur
        # homme uniquement"); after another job, the person hired ("secrétaire femme").
        found = [c for c in found if c != SEX]
    return _ordered(set(found))


def _quote(clause: str, tokens: list[_Token]) -> str:
    """The words of a run as typed, without the words around it that carry nothing."""
    carry_nothing = (STOPWORDS | _PROSE_NEUTRAL | _ASKING | _LINKS) - NEGATIONS
    while len(tokens) > 1 and tokens[0].norm in carry_nothing:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1].norm in carry_nothing:
        tokens = tokens[:-1]
    return " ".join(clause[tokens[0].start : tokens[-1].end].split())


def forbidden_in_text(text: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """The requirements about the person that ``text`` (a title, a description, a note)
    states on a criterion forbidden by L1132-1: each as its words in the text and the
    criteria they express, in the text's order; empty for ordinary job prose."""
    found: dict[str, tuple[str, ...]] = {}
    # "Marie" is a first name, "marié(e)" a family situation: only the accent tells them
    # apart (as "retraité"), so the name is blanked, to the same length, before reading.
    text = _FIRST_NAME.sub(lambda m: "N" * len(m.group()), text or "")
    for sentence in _SENTENCES.split(text):
        words = set(normalize(sentence).split())
        both_sexes = any(words & one and words & other for one, other in _SEX_PAIRS)
        for clause in _CLAUSES.split(sentence):
            tokens = _tokens(clause)
            if not tokens:
                continue
            criteria = forbidden_criteria(clause, prose=True)
            if criteria:
                spans = [(0, len(tokens), criteria)]
            else:
                inside = _in_run(tokens)
                spans = []
                i = 0
                while i < len(tokens):
                    if not inside[i]:
                        i += 1
                        continue
                    j = i
                    while j < len(tokens) and inside[j]:
                        j += 1
                    spans.append((i, j, _run_criteria(tokens, i, j)))
                    i = j
            for start, end, criteria in spans:
                if both_sexes:
                    criteria = tuple(c for c in criteria if c != SEX)
                if criteria:
                    if end < len(tokens) and _is_person(tokens, end):
                        end += 1  # "jeune serveur": the person qualified, quoted with it
                    quoted = _quote(clause, tokens[start:end])
                    found[quoted] = _ordered({*found.get(quoted, ()), *criteria})
    return list(found.items())


def text_problem(text: str | None) -> str | None:
    """The French message refusing a text that states a requirement on a forbidden
    criterion (its words quoted, each criterion named once, the law), or None."""
    found = forbidden_in_text(text)
    if not found:
        return None
    criteria = _ordered({c for _, cs in found for c in cs})
    return (
        f"{_quoted([words for words, _ in found])} : la plateforme ne tient jamais compte "
        f"{_criteria_named(criteria)}. Décrivez le travail et les compétences attendues, "
        "pas la personne."
    )
