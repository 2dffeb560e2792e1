"""The schemas of the API's records, pages and problems (``web.api_v1``): what the
OpenAPI document describes and what each response holds. Records carry the interchange
v1 field names (``exchange.exporter``) plus ``updated_at``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

import marshmallow as ma

from connectences.clock import LOCAL_TZ
from connectences.dates import read_instant, read_iso_date
from connectences.sync import KINDS, OVERLAP
from connectences.text import NUL_REFUSED, json_without_controls, nul_paths

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
OVERLAP_MINUTES = int(OVERLAP.total_seconds() // 60)
POOL_CURSOR_MAX = 4000

# marshmallow's own messages, by their English text, as the API answers them. Messages a
# field or validator names itself (already French) are kept.
FRENCH_MESSAGES = {
    "Missing data for required field.": "Champ obligatoire manquant.",
    "Field may not be null.": "Ce champ ne peut pas valoir null.",
    "Invalid value.": "Valeur invalide.",
    "Not a valid string.": "Une chaîne de caractères est attendue.",
    "Not a valid utf-8 string.": "Une chaîne de caractères UTF-8 est attendue.",
    "Not a valid integer.": "Un nombre entier est attendu.",
    "Not a valid number.": "Un nombre est attendu.",
    "Number too large.": "Nombre trop grand.",
    "Special numeric values (nan or infinity) are not permitted.": (
        "Un nombre fini est attendu (ni NaN ni infini)."
    ),
    "Not a valid boolean.": "Un booléen est attendu (true ou false).",
    "Not a valid list.": "Une liste est attendue.",
    "Not a valid tuple.": "Une liste est attendue.",
    "Not a valid mapping type.": "Un objet JSON est attendu.",
    "Invalid type.": "Un objet JSON est attendu.",
    "Not a valid date.": "Date invalide : écrivez AAAA-MM-JJ.",
    "Not a valid {obj_type}.": "Date ou heure invalide.",
    "Not a valid {awareness} {obj_type}.": "Date ou heure invalide (fuseau horaire).",
    '"{input}" cannot be formatted as a {obj_type}.': "Date ou heure invalide.",
    '"{input}" cannot be formatted as a date.': "Date invalide.",
    "Not a valid email address.": "Adresse e-mail invalide.",
    "Not a valid URL.": "Adresse (URL) invalide.",
    "Not a valid UUID.": "Identifiant (UUID) invalide.",
    "Must be one of: {choices}.": "Valeur inconnue ; valeurs possibles : {choices}.",
}


def _validator_message(validator) -> str | None:
    """A French message for one of marshmallow's validators left at its English one."""
    if isinstance(validator, ma.validate.Length):
        if validator.equal is not None:
            return "Longueur attendue : {equal}."
        if validator.min is not None and validator.max is not None:
            return "Longueur attendue : de {min} à {max}."
        return "{max} au plus." if validator.max is not None else "{min} au moins."
    if isinstance(validator, ma.validate.Range):
        bounds = []
        if validator.min is not None:
            bounds.append("{min} ou plus" if validator.min_inclusive else "plus de {min}")
        if validator.max is not None:
            bounds.append("{max} ou moins" if validator.max_inclusive else "moins de {max}")
        return f"Nombre attendu : {' et '.join(bounds)}."
    if isinstance(validator, ma.validate.OneOf):
        return FRENCH_MESSAGES["Must be one of: {choices}."]
    if isinstance(validator, ma.validate.Equal):
        return "Valeur attendue : {other}."
    if isinstance(validator, ma.validate.Regexp):
        return "Format invalide."
    return None


def fields_within(field: ma.fields.Field) -> Iterator[ma.fields.Field]:
    """``field`` and the fields it holds (a list's items, a mapping's keys and values)."""
    yield field
    for inner in (
        getattr(field, "inner", None),
        getattr(field, "key_field", None),
        getattr(field, "value_field", None),
        *(getattr(field, "tuple_fields", None) or ()),
    ):
        if isinstance(inner, ma.fields.Field):
            yield from fields_within(inner)


def _in_french(field: ma.fields.Field) -> None:
    """Replace, on ``field`` and the fields it holds, each message still marshmallow's
    English default (a field's own message differs from it, and stays)."""
    for part in fields_within(field):
        part.error_messages = {
            key: FRENCH_MESSAGES.get(text, text) if isinstance(text, str) else text
            for key, text in part.error_messages.items()
        }
        for validator in part.validators:
            if getattr(validator, "error", "") is None:
                validator.error = _validator_message(validator)


def _add_message(errors: dict, path: tuple, message: str) -> None:
    """``message`` into ``errors`` at ``path`` as marshmallow nests them: ``("a", 0)``
    gives ``{"a": {0: [message]}}``."""
    *parents, last = path or ("_schema",)
    for key in parents:
        errors = errors.setdefault(key, {})
    errors.setdefault(last, []).append(message)


class Arguments(ma.Schema):
    """The base of every schema the API loads (a JSON body, a query string): refusals in
    French, marshmallow's own messages included, and text as every way in takes it
    (``connectences.text``): control characters dropped, NUL refused."""

    error_messages = {"unknown": "Champ inconnu.", "type": "Un objet JSON est attendu."}

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        _in_french(field_obj)

    @ma.pre_load
    def _text_as_everywhere(self, data, **kwargs):
        if not isinstance(data, dict):  # a query string is cleaned as the request's
            return data
        errors: dict = {}
        for path in nul_paths(data):
            _add_message(errors, path, f"Ce texte {NUL_REFUSED}.")
        if errors:
            raise ma.ValidationError(errors)
        return json_without_controls(data)


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem (``application/problem+json``)."""

    type = ma.fields.String(metadata={"description": "about:blank"})
    title = ma.fields.String(metadata={"description": "Le statut, en français."})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "Ce qui s'est passé, en français."})
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Pour 422 : un objet par valeur refusée (pointer JSON, detail)."},
    )


def _number(*, required: bool = False, allow_none: bool = False, **metadata):
    # Raw, not Float: the interchange writes integral numbers as integers (7, not 7.0).
    # ``required`` is the field's (a keyword of metadata it was, and lost); so is
    # ``allow_none`` (the value may be written null).
    return ma.fields.Raw(
        required=required, allow_none=allow_none, metadata={"type": "number", **metadata}
    )


def _strings(**kwargs):
    return ma.fields.List(ma.fields.String(), **kwargs)


def _updated_at():
    return ma.fields.String(
        required=True, metadata={"format": "date-time", "description": "dernière modification"}
    )


def _active(held: str):
    """An operator's or partner's ``active`` (``organisations``), not interchanged."""
    return ma.fields.Boolean(
        required=True,
        metadata={
            "description": "false : désactivé par l'administrateur, il ne reçoit plus de "
            f"nouveaux besoins ; ses {held} en cours continuent (hors format d'échange)"
        },
    )


class NeedSchema(ma.Schema):
    """A need (interchange v1 ``needs``)."""

    ref = ma.fields.String(required=True)
    company = ma.fields.String(required=True, metadata={"description": "ref de l'entreprise"})
    title = ma.fields.String(required=True)
    rome = ma.fields.String(metadata={"pattern": "^[A-Z][0-9]{4}$"})
    skills = _strings(required=True)
    level = ma.fields.String(required=True)
    hours_per_week = _number(required=True)
    days = _strings(required=True)
    contract = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    start = ma.fields.String(required=True, metadata={"format": "date"})
    duration_months = _number()
    commune = ma.fields.String(metadata={"description": "code INSEE"})
    status = ma.fields.String(
        required=True, metadata={"description": "état dans le suivi (nouveau, qualifie…)"}
    )
    updated_at = _updated_at()


class CompanySchema(ma.Schema):
    """A company (interchange v1 ``companies``)."""

    ref = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    siret = ma.fields.String(required=True)
    commune = ma.fields.String(required=True, metadata={"description": "code INSEE"})
    naf = ma.fields.String()
    employees = ma.fields.Integer()
    contact_email = ma.fields.String()
    do_not_solicit = ma.fields.Boolean()
    updated_at = _updated_at()


class CommitmentSchema(ma.Schema):
    label = ma.fields.String()
    hours_per_week = _number(required=True)
    days = _strings(required=True)
    until = ma.fields.String(metadata={"format": "date"})


class CandidateSchema(ma.Schema):
    """A person of the CV library (interchange v1.1 ``candidates``, with the part-time
    work they already hold): personal data, for the animateurs and admins only."""

    ref = ma.fields.String(required=True)
    first_name = ma.fields.String(required=True)
    last_name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    phone = ma.fields.String()
    commune = ma.fields.String(required=True)
    mobility_km = _number(required=True)
    skills = _strings(required=True)
    rome = _strings()
    level = ma.fields.String(required=True)
    hours_min = _number(required=True)
    hours_max = _number(required=True)
    days = _strings(required=True)
    contracts = _strings(required=True)
    available_from = ma.fields.String(required=True, metadata={"format": "date"})
    status = ma.fields.String()
    consent = ma.fields.Boolean(required=True)
    source = ma.fields.String()
    commitments = ma.fields.List(ma.fields.Nested(CommitmentSchema))
    updated_at = _updated_at()


class OperatorSchema(ma.Schema):
    """An operator (interchange v1 ``operators``)."""

    ref = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    epcis = _strings(required=True)
    rome_domains = _strings(required=True)
    levels = _strings(required=True)
    contracts = _strings(required=True)
    max_hours_per_week = _number()
    active = _active("pistes")
    updated_at = _updated_at()


class PartnerSchema(ma.Schema):
    """A partner (interchange v1 ``partners``)."""

    ref = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    epcis = _strings()
    active = _active("orientations")
    updated_at = _updated_at()


class LeadCandidateSchema(ma.Schema):
    candidate = ma.fields.String(required=True, metadata={"description": "ref du candidat"})
    # Always written; null for a person proposed without a score (added by hand).
    score = _number(required=True, allow_none=True, minimum=0, maximum=100)


class LeadSchema(ma.Schema):
    """A need, or a bundle of needs, proposed to an operator."""

    ref = ma.fields.String(required=True, metadata={"description": "identifiant de la piste"})
    operator = ma.fields.String(required=True, metadata={"description": "ref de l'opérateur"})
    status = ma.fields.String(required=True)
    is_bundle = ma.fields.Boolean(required=True)
    needs = _strings(required=True, metadata={"description": "refs des besoins"})
    candidates = ma.fields.List(ma.fields.Nested(LeadCandidateSchema), required=True)
    reasons = _strings(required=True)
    note = ma.fields.String(allow_none=True, required=True)
    refusal_reason = ma.fields.String(allow_none=True, required=True)
    refusal_text = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    updated_at = _updated_at()


class ProposalSchema(LeadSchema):
    """The lead a proposal created, with what its sender should know (the web page's
    warnings, the same French sentences)."""

    warnings = _strings(
        required=True,
        metadata={
            "description": "avertissements en français, vide le plus souvent : par exemple "
            "aucun membre de l'opérateur n'a de compte actif (la proposition est envoyée à "
            "son adresse, mais personne ne pourra y répondre sur la plateforme). Absent de "
            "l'enregistrement de la piste et de son ETag"
        },
    )


class ReferralSchema(ma.Schema):
    """A need re-oriented to a partner."""

    ref = ma.fields.String(required=True, metadata={"description": "identifiant de l'orientation"})
    partner = ma.fields.String(required=True, metadata={"description": "ref du partenaire"})
    need = ma.fields.String(required=True, metadata={"description": "ref du besoin"})
    status = ma.fields.String(required=True)
    reasons = _strings(required=True)
    note = ma.fields.String(allow_none=True, required=True)
    outcome = ma.fields.String(allow_none=True, required=True)
    refusal_reason = ma.fields.String(allow_none=True, required=True)
    refusal_text = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    updated_at = _updated_at()


def _optional(**kwargs):
    return ma.fields.String(allow_none=True, required=True, **kwargs)


class EventSchema(ma.Schema):
    """An event, as its public page shows it (a webinar's connection link goes to the
    people registered only, never here); the staff also get its seats."""

    ref = ma.fields.String(required=True, metadata={"description": "identifiant"})
    kind = ma.fields.String(required=True)
    kind_label = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    starts_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    ends_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    place = _optional()
    online = ma.fields.Boolean(required=True, metadata={"description": "webinaire"})
    audience = ma.fields.String(required=True)
    audience_label = ma.fields.String(required=True)
    partners = _strings(required=True, metadata={"description": "refs des partenaires"})
    cancelled = ma.fields.Boolean(required=True)
    registration_open = ma.fields.Boolean(required=True)
    capacity = ma.fields.Integer(metadata={"description": "jetons de l'équipe d'animation"})
    seats_taken = ma.fields.Integer(metadata={"description": "jetons de l'équipe d'animation"})
    waiting = ma.fields.Integer(
        metadata={"description": "liste d'attente (jetons de l'équipe d'animation)"}
    )
    updated_at = _updated_at()


class ResourceSchema(ma.Schema):
    """A resource for companies (Markdown body). Everyone gets the published and valid
    ones; the staff also the others, with their ``state``."""

    ref = ma.fields.String(required=True, metadata={"description": "adresse (slug)"})
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    body = ma.fields.String(required=True, metadata={"description": "Markdown"})
    topics = _strings(required=True)
    naf_sections = _strings(required=True, metadata={"description": "vide : tous"})
    size_bands = _strings(required=True, metadata={"description": "vide : toutes"})
    epcis = _strings(required=True, metadata={"description": "vide : toutes"})
    source = ma.fields.String(required=True)
    source_url = _optional()
    valid_until = ma.fields.String(required=True, metadata={"format": "date"})
    state = ma.fields.String(
        metadata={
            "enum": ["publiee", "non_publiee", "expiree"],
            "description": "jetons de l'équipe d'animation",
        }
    )
    updated_at = _updated_at()


class DirectoryEntrySchema(ma.Schema):
    """A published entry of « Qui fait quoi »: what an operator or partner offers, to
    whom, how to reach it."""

    ref = ma.fields.String(required=True, metadata={"description": "identifiant"})
    organisation = ma.fields.String(required=True, metadata={"description": "ref"})
    organisation_kind = ma.fields.String(required=True, metadata={"enum": ["operator", "partner"]})
    name = ma.fields.String(required=True)
    kind_label = ma.fields.String(required=True)
    offer = _optional()
    audience = _optional()
    topics = _strings(required=True)
    phone = _optional()
    email = _optional()
    website = _optional()
    address = _optional()
    epcis = _strings(required=True, metadata={"description": "vide : tout le Pays"})
    published_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    updated_at = _updated_at()


class TestimonialSchema(ma.Schema):
    """A testimonial shown on the site (within its owner's written agreement). A
    withdrawn one is reported in ``/deletions``."""

    __test__ = False  # not a pytest class, whatever its name

    ref = ma.fields.String(required=True, metadata={"description": "identifiant"})
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    company_label = ma.fields.String(required=True)
    updated_at = _updated_at()


class DeletionSchema(ma.Schema):
    """The tombstone of a record deleted for good: delete your copy too."""

    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    ref = ma.fields.String(required=True)
    deleted_at = ma.fields.String(required=True, metadata={"format": "date-time"})


def page_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of ``item`` records."""
    name = item.__name__.removesuffix("Schema") + "PageSchema"
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True,
                required=True,
                metadata={
                    "description": "À passer en « cursor » pour la page suivante ; null à la fin."
                },
            ),
            "next_updated_since": ma.fields.String(
                required=True,
                metadata={
                    "format": "date-time",
                    "description": "À garder pour la prochaine synchronisation de cette liste "
                    f"(son « updated_since ») : le moment où la première page de ce parcours a "
                    f"été lue, moins {OVERLAP_MINUTES} minutes de recouvrement. Toutes les "
                    "pages d'un parcours donnent le même.",
                },
            ),
        },
        name=name,
    )


class MatchSchema(ma.Schema):
    candidate = ma.fields.String(required=True, metadata={"description": "ref du candidat"})
    score = _number(required=True, minimum=0, maximum=100)
    explanation = ma.fields.List(
        ma.fields.Dict(), required=True, metadata={"description": "criterion, points, text"}
    )


class MatchesSchema(ma.Schema):
    need = ma.fields.String(required=True)
    matches = ma.fields.List(ma.fields.Nested(MatchSchema), required=True)


class Since(ma.fields.Field):
    """A date (``2027-01-31``: from midnight in Paris) or an instant (RFC 3339:
    ``2027-01-31T10:00:00+01:00``, ``...Z``; without an offset, Paris time). Nothing else
    of ISO 8601 (``2027-W05-1``, ``20270131``): ``dates`` reads only these forms."""

    default_error_messages = {
        "invalid": "Date invalide : écrivez une date AAAA-MM-JJ, ou un instant "
        "AAAA-MM-JJTHH:MM:SS suivi de Z ou d'un décalage (+01:00)."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        day = read_iso_date(value)
        if day is not None:  # a date alone
            moment = datetime.combine(day, time())
        else:
            moment = read_instant(value, offset_required=False)
        if moment is None:
            raise self.make_error("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        try:  # out of range once in UTC (year 1 east of Greenwich, year 9999 west)
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid") from None


class PageArgs(Arguments):
    """A page of a list: its size and where the previous one stopped."""

    cursor = ma.fields.String(
        validate=ma.validate.Length(max=200, error="Curseur invalide."),
        metadata={"description": "Le « next_cursor » de la page précédente."},
    )
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(
            min=1, max=MAX_LIMIT, error=f"Choisissez une taille de page entre 1 et {MAX_LIMIT}."
        ),
        error_messages={"invalid": "Écrivez un nombre entier."},
    )


class ListArgs(PageArgs):
    updated_since = Since(
        metadata={
            "type": "string",
            "description": "Seulement les enregistrements modifiés depuis : une date "
            "AAAA-MM-JJ (depuis minuit, heure de Paris) ou un instant RFC 3339 "
            "(2027-01-31T10:00:00+01:00, 2027-01-31T09:00:00Z ; sans décalage, heure de "
            "Paris).",
        }
    )


class PoolsArgs(PageArgs):
    # A bundle's key: its score, its needs' refs (up to seven, one a day, each up to 100
    # characters of up to 4 bytes in UTF-8) and its list's order, in base64: under 3,800
    # (``api_v1._encode_pool_cursor``), well within gunicorn's request line.
    cursor = ma.fields.String(
        validate=ma.validate.Length(max=POOL_CURSOR_MAX, error="Curseur invalide."),
        metadata={"description": "Le « next_cursor » de la page précédente."},
    )


class DeletionArgs(ListArgs):
    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(KINDS, error="Type d'enregistrement inconnu."),
        error_messages={"required": "Précisez le type d'enregistrement (kind)."},
        metadata={"description": "needs, companies, candidates, leads, events, testimonials…"},
    )


class RouteSchema(ma.Schema):
    """Where a need goes: to an operator (shared-time work it covers) or re-oriented to a
    partner, with the reasons in French (interchange v1, « route »)."""

    need = ma.fields.String(required=True)
    decision = ma.fields.String(required=True, metadata={"enum": ["operator", "reorientation"]})
    operator = ma.fields.String(metadata={"description": "ref de l'opérateur"})
    partner = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "ref du partenaire ; null quand la plateforme ne peut en proposer "
            "aucun (aucun partenaire France Travail enregistré et aucun du type attendu "
            "pour le lieu du besoin) : les raisons disent quoi faire"
        },
    )
    reasons = _strings(required=True)


class BundleSchema(ma.Schema):
    needs = _strings(required=True, metadata={"description": "refs des besoins"})
    hours = _number(required=True)
    days = _strings(required=True)
    candidates = _strings(required=True, metadata={"description": "refs des candidats"})
    score = ma.fields.Integer(metadata={"minimum": 0, "maximum": 100})
    reasons = _strings()


class PoolsSchema(ma.Schema):
    """Bundles of open part-time needs one person could hold together, best first
    (interchange v1, « pool »)."""

    bundles = ma.fields.List(ma.fields.Nested(BundleSchema), required=True)
    next_cursor = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "À passer en « cursor » pour la page suivante ; null à la fin."},
    )
    truncated = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "vrai quand la recherche a été écourtée (trop de combinaisons) : "
            "seuls les regroupements listés ont été trouvés"
        },
    )


class CountsSchema(ma.Schema):
    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)


class ImportReportSchema(ma.Schema):
    """What an import did, per collection (a second import of the same document changes
    nothing: everything unchanged)."""

    counts = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(CountsSchema), required=True
    )


def _collection(**kwargs):
    return ma.fields.List(ma.fields.Dict(), **kwargs)


class DocumentSchema(ma.Schema):
    """An interchange document (``/work/shared/spec`` interchange v1 and v1.1)."""

    format = ma.fields.String(
        required=True, metadata={"enum": ["connectences/v1", "connectences/v1.1"]}
    )
    operators = _collection()
    partners = _collection()
    companies = _collection()
    candidates = _collection()
    needs = _collection()


class NeedStatusArgs(Arguments):
    """A move of a need's state, as an animateur makes it on the need's page."""

    status = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=20, error="État inconnu."),
        metadata={"description": "l'état visé (en_recherche, abandonne…)"},
    )
    reason_code = ma.fields.String(
        validate=ma.validate.Length(max=40, error="Motif inconnu."),
        metadata={"description": "pour un abandon : le motif, de la liste fermée"},
    )
    reason_text = ma.fields.String(
        validate=ma.validate.Length(max=2000, error="2 000 caractères au plus.")
    )


class ProposalArgs(Arguments):
    """A need proposed to an operator, as on the need's page."""

    operator = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=100, error="Opérateur inconnu."),
        metadata={"description": "ref de l'opérateur"},
    )
    candidates = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100, error="Candidat inconnu.")),
        load_default=list,
        validate=ma.validate.Length(max=50, error="50 candidats au plus."),
        metadata={"description": "refs des candidats proposés"},
    )
    note = ma.fields.String(
        validate=ma.validate.Length(max=2000, error="2 000 caractères au plus.")
    )
    over_cap_reason = ma.fields.String(
        validate=ma.validate.Length(max=2000, error="2 000 caractères au plus."),
        metadata={
            "description": "pour envoyer quand même à une entreprise qui a atteint son "
            "plafond de contacts du mois : pourquoi elle a accepté d'être contactée (par "
            "exemple « L'entreprise a demandé à être rappelée par le groupement ») ; "
            "inscrit dans l'historique de la proposition. Sans effet sur une entreprise "
            "qui ne veut plus être sollicitée : celle-ci est toujours refusée."
        },
    )


LEAD_ACTIONS = ("accept", "start_contacting", "refuse", "hand_back", "close_without_outcome")


class LeadActionArgs(Arguments):
    """An operator's answer to a lead, as in its inbox."""

    action = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(LEAD_ACTIONS, error="Action inconnue."),
        metadata={"enum": list(LEAD_ACTIONS)},
    )
    reason_code = ma.fields.String(
        validate=ma.validate.Length(max=40, error="Motif inconnu."),
        metadata={"description": "pour un refus : le motif, de la liste fermée"},
    )
    reason_text = ma.fields.String(
        validate=ma.validate.Length(max=2000, error="2 000 caractères au plus.")
    )


def _text(max_length: int, **kwargs):
    return ma.fields.String(
        validate=ma.validate.Length(max=max_length, error=f"{max_length} caractères au plus."),
        **kwargs,
    )


class QualificationArgs(Arguments):
    """A need completed and qualified as on its « Qualifier » page: the interchange fields,
    its ROME code, whether it is shared-time work, the animateur's notes. The page's rules
    check them (``needs.form_rules``)."""

    title = _text(200, required=True)
    skills = ma.fields.List(_text(200), required=True, validate=ma.validate.Length(max=50))
    level = _text(40, required=True)
    hours_per_week = ma.fields.Float(
        required=True, error_messages={"invalid": "Écrivez un nombre d'heures."}
    )
    days = ma.fields.List(_text(3), required=True, validate=ma.validate.Length(max=7))
    contract = _text(40, required=True)
    reason = _text(40, required=True)
    start = _text(10, required=True, metadata={"format": "date"})
    duration_months = ma.fields.Float(
        allow_none=True, error_messages={"invalid": "Écrivez un nombre de mois."}
    )
    commune = _text(
        100, metadata={"description": "code INSEE ou nom (vide : celle de l'entreprise)"}
    )
    rome = _text(10, required=True, metadata={"description": "code ROME (ex. M1203)"})
    shared_time = ma.fields.Boolean(required=True)
    notes = _text(2000)
