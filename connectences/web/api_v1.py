"""``/api/v1``: the JSON API other platforms talk to, described by an OpenAPI 3.1
document that flask-smorest generates from these views (``/api/v1/openapi.json``).

Requests authenticate with a personal API token (``Authorization: Bearer …``,
``accounts.api_tokens``), never with the session cookie, so the blueprint is exempt from
CSRF. A token acts with its owner's role: the role guards of ``web.access`` and the
record rules of ``accounts.scope`` apply exactly as on the web. Records use the
interchange v1 field names (``exchange.exporter``). Errors are RFC 9457 problems in
French (``web.problems``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, current_app, g, render_template, request
from flask_login import current_user
from flask_smorest import Api, Blueprint
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException

from connectences import organisations, sync, territory
from connectences.accounts import scope, throttle
from connectences.accounts.api_tokens import TokenRefused, verify_token
from connectences.accounts.audit import audit
from connectences.accounts.scope import STAFF_ROLES
from connectences.clock import local_today
from connectences.dates import read_instant
from connectences.errors import DomainError
from connectences.exchange.exporter import export_document
from connectences.exchange.importer import (
    LISTED_ERRORS,
    ExchangeError,
    ImportBusy,
    first_listed,
    import_document,
)
from connectences.exchange.parse import (
    Unreadable,
    dump_document,
    parse_document,
    refuse_repeated_keys,
)
from connectences.exchange.validate import COLLECTIONS
from connectences.extensions import commit_keeping_loaded, csrf, db
from connectences.ids import read_id
from connectences.matching.matches import match_need
from connectences.matching.open_bundles import (
    BundleKey,
    bundles_after,
    bundles_order,
    open_need_bundles,
)
from connectences.matching.routing import route_need
from connectences.models import Deletion, utcnow
from connectences.needs import form_rules, moves
from connectences.needs import register as need_register
from connectences.typography import decimal_input
from connectences.urls import REF_CONVERTERS
from connectences.web.access import guard_blueprint, public, role_required, token_authenticated
from connectences.web.api_schemas import (
    OVERLAP_MINUTES,
    CandidateSchema,
    CompanySchema,
    DeletionArgs,
    DeletionSchema,
    DirectoryEntrySchema,
    DocumentSchema,
    EventSchema,
    ImportReportSchema,
    LeadActionArgs,
    LeadSchema,
    ListArgs,
    MatchesSchema,
    NeedSchema,
    NeedStatusArgs,
    OperatorSchema,
    PartnerSchema,
    PoolsArgs,
    PoolsSchema,
    ProblemSchema,
    ProposalArgs,
    ProposalSchema,
    QualificationArgs,
    ReferralSchema,
    ResourceSchema,
    RouteSchema,
    TestimonialSchema,
    page_schema,
)
from connectences.web.problems import MEDIA_TYPE, problem
from connectences.web.refs import RecordRefConverter
from connectences.workflows import dispatch
from connectences.workflows import leads as lead_flow

PREFIX = "/api/v1"
MATCHES_SHOWN = 20
# Who enters the API (``scope.API_ROLES``, the roles of ``sync.READERS``); each operation
# then admits its own. Matches name candidates: the staff only.
API_ROLES = tuple(sorted(scope.API_ROLES))


# The largest body a write takes (the import's documents, read elsewhere, may have the
# whole MAX_CONTENT_LENGTH): the qualification's, the largest, is some 150 kB with every
# character escaped. One of 11 MB was parsed and checked field by field for 8 s.
WRITE_BODY_MAX_BYTES = 1024 * 1024


class UnreadableBody(json.JSONDecodeError):
    """A body ``json.loads`` reads but the API refuses, with the reason in French
    (``exchange.parse.Unreadable``: a key repeated in one object)."""

    def __init__(self, reason: str, body: str):
        super().__init__(reason, doc=body or " ", pos=0)
        self.reason = reason


class JsonParser(FlaskParser):
    """webargs' parser, but a body ``json.loads`` refuses otherwise than with a
    JSONDecodeError is invalid JSON too (400, a problem): nested thousands of levels deep
    (a RecursionError) or holding an integer of more than 4,300 digits (a ValueError,
    which was a 500). The error names the body as its document: webargs reads one with
    an empty document as no body at all (a 422 "missing field", as deep nesting was).
    A key twice in one object is refused as the interchange documents refuse it
    (``exchange.parse.refuse_repeated_keys``), where ``json.loads`` kept the last. A
    body said to be of another type is a 415 (webargs read it as no body: a 422 on a
    field the client did send); a request with no Content-Type has no body to read. A
    body over ``WRITE_BODY_MAX_BYTES`` is a 413, before it is parsed."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.mimetype:
                raise Refused(
                    415,
                    f"Corps de type « {req.mimetype[:100]} » : envoyez-le en JSON, avec "
                    "l'en-tête « Content-Type: application/json ».",
                )
            return missing
        too_large = Refused(
            413,
            f"Corps trop volumineux : {WRITE_BODY_MAX_BYTES // (1024 * 1024)} Mo au plus "
            "pour une modification.",
        )
        if (req.content_length or 0) > WRITE_BODY_MAX_BYTES:
            raise too_large
        data = req.get_data(cache=True)  # sent in chunks: MAX_CONTENT_LENGTH at most
        if len(data) > WRITE_BODY_MAX_BYTES:
            raise too_large
        try:
            body = data.decode("utf-8")
        except UnicodeDecodeError as exc:  # as webargs says it
            raise json.JSONDecodeError(
                f"Bytes decoding error : {exc.reason}", doc=str(exc.object), pos=exc.start
            ) from exc
        try:
            return json.loads(body, object_pairs_hook=refuse_repeated_keys)
        except json.JSONDecodeError:
            raise
        except Unreadable as exc:
            raise UnreadableBody(str(exc), body) from exc
        except (RecursionError, ValueError) as exc:
            raise json.JSONDecodeError("document illisible", doc=body or " ", pos=0) from exc


# What the document says of a success when an operation says nothing (flask-smorest
# writes the English reason phrase, "OK", which Swagger UI shows beside the code).
SUCCESS_DESCRIPTIONS = {200: "Succès", 201: "Créé"}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = JsonParser()

    def response(self, status_code, schema=None, *, description=None, **options):
        if description is None:
            description = SUCCESS_DESCRIPTIONS.get(int(status_code))
        return super().response(status_code, schema, description=description, **options)


bp = ApiBlueprint(
    "api_v1",
    __name__,
    url_prefix=PREFIX,
    description="Les enregistrements de la plateforme, au format d'échange v1.",
)
guard_blueprint(bp, *API_ROLES, audit_action="api_access_refused")
csrf.exempt(bp)


class SpecOnlyApi(Api):
    """flask-smorest for the OpenAPI document and the parsing of arguments only: the
    application keeps its own error handlers (French pages on the web, problems under
    ``/api/v1``), which smorest's app-wide JSON handler would replace, and serves the
    document from an owned route. One instance per application (its spec is per app)."""

    def _register_error_handlers(self) -> None:
        return None

    def _register_pagination_header(self) -> None:
        # Our lists are paged by cursor (``next_cursor``), never by smorest's page
        # numbers: its X-Pagination schema, described in English, stays out of the
        # document (and of the "Schemas" Swagger UI lists).
        return None

    # Every operation's "default" response: our own, described in French (smorest's
    # "DEFAULT_ERROR" says "Default error response").
    DEFAULT_ERROR_RESPONSE_NAME = "ERREUR"

    def _register_responses(self) -> None:
        # The default responses smorest documents (every operation's "default") are our
        # errors: problems, not plain JSON.
        content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = content_type
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {
                "description": "Erreur : un problème RFC 9457, en français",
                "content": {MEDIA_TYPE: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )


# --------------------------------------------------------------------------- helpers


class BadCursor(DomainError):
    """A cursor that is not one this API gave."""


class Refused(DomainError):
    """Answer the request with the problem ``status`` (raised by a view); ``extensions``
    are the problem's extension members (``errors``...)."""

    def __init__(self, status: int, detail: str | None = None, **extensions):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extensions = extensions


# A list's cursor: the key of the page's last row and the walk's ``next_updated_since``
# (``sync.next_since`` of the moment its first page was read), which every page of the
# walk repeats. A cursor of two (an earlier version's) starts the walk's moment anew.
Cursor = tuple[tuple[datetime, int], datetime | None]


def _encode_cursor(key: tuple[datetime, int], resume: datetime) -> str:
    raw = json.dumps([key[0].isoformat(), key[1], resume.isoformat()]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _instant(value: object) -> datetime:
    moment = read_instant(value)  # with its offset, as the cursor was written
    if moment is None:
        raise BadCursor
    return moment.astimezone(UTC)


def _decode_cursor(cursor: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id, *resume = json.loads(raw)
        # An id no record can have (0, -3, 2**90) is no cursor the API gave.
        if read_id(row_id) is None or len(resume) > 1:
            raise BadCursor
        return (_instant(moment), read_id(row_id)), (_instant(resume[0]) if resume else None)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise BadCursor from None


def _after(cursor: str | None) -> Cursor | tuple[None, None]:
    if cursor is None:
        return None, None
    try:
        return _decode_cursor(cursor)
    except BadCursor:
        error = {"pointer": "/query/cursor", "detail": "Curseur invalide."}
        raise Refused(
            422, "Curseur invalide : reprenez le « next_cursor » reçu.", errors=[error]
        ) from None


def _found(kind: str, ref: str):
    """The ``kind`` record ``ref`` if the token's owner reaches it (another
    organisation's record is a 404, as on the web: its existence is not confirmed)."""
    row = sync.record_by_ref(db.session, kind, current_user, ref)
    if row is None:
        raise Refused(404, f"{UNKNOWN[kind]} : « {ref} ».")
    return row


def _canonical(body: dict) -> str:
    """The JSON the API writes: UTF-8 text, keys sorted."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def etag_of(body: dict) -> str:
    """The ETag of a record as the API shows it (its canonical JSON, hashed)."""
    return _etag_of_text(_canonical(body))


def _etag_of_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _json(body: dict) -> Response:
    """``body`` as the API's answer. The records are the exporter's, already in the
    interchange's form: the views that answer them keep their ``bp.response`` schema
    for the documentation, and a returned response is not dumped through it again
    (that second dump was a quarter of a list's page; tests/test_api_records.py checks
    that what is sent is what the schema documents)."""
    return Response(_canonical(body), mimetype="application/json")


def _conditional(body: dict) -> Response:
    response = _json(body)
    response.set_etag(_etag_of_text(response.get_data(as_text=True)))
    return response.make_conditional(request)


# --------------------------------------------------------------------------- auth, errors


def _authenticate():
    """Sets the request's user from its bearer token, or answers 401."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip() if scheme.lower() == "bearer" else ""
    try:
        token = verify_token(db.session, secret or None)
    except TokenRefused as refusal:
        db.session.rollback()
        error = "" if refusal.reason == "missing" else ', error="invalid_token"'
        return problem(
            401, refusal.message, headers={"WWW-Authenticate": f'Bearer realm="api"{error}'}
        )
    wait = throttle.take_request(
        db.session, throttle.api_key(token.id), throttle.RatePolicy.from_config()
    )
    user = token.user
    # Its last use and its count, committed at once so that a failing request still
    # counts; the token and its user, just read and checked, are kept as loaded rather
    # than read again at their next use.
    commit_keeping_loaded()
    if wait is not None:
        return problem(
            429,
            f"Ce jeton a fait trop de requêtes : réessayez dans {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    g._login_user = user  # what flask_login.current_user returns for this request
    g.api_token_id = token.id  # which of the user's tokens, in their audit entries
    return None


token_authenticated(bp, _authenticate)


@bp.errorhandler(Refused)
def _refused(error: Refused):
    return problem(error.status, error.detail, **error.extensions)


def _flattened(messages: dict, where: str = "") -> list[tuple[str, list[str]]]:
    """marshmallow's messages (nested for lists and objects: ``{"candidates": {0: [...]}}``)
    as (JSON pointer, texts) pairs, in order."""
    pairs = []
    for key, value in sorted(messages.items(), key=lambda item: str(item[0])):
        here = f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
        if isinstance(value, dict):
            pairs += _flattened(value, here)
        else:
            pairs.append((here, [str(text) for text in value]))
    return pairs


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if error.code == 422 and messages:
        errors = first_listed(
            [
                {"pointer": f"/{location}{where}", "detail": " ".join(texts)}
                for location, fields in sorted(messages.items())
                for where, texts in _flattened(fields)
            ],
            lambda text: {"pointer": "", "detail": text},
        )
        detail = " ".join(e["detail"] for e in errors)
        return problem(422, detail, errors=errors)
    exc = getattr(error, "exc", None)  # webargs' abort keeps what the body failed with
    if error.code == 400 and isinstance(exc, json.JSONDecodeError):
        where = (
            f" : {exc.reason}."
            if isinstance(exc, UnreadableBody)
            else f" (ligne {exc.lineno}, colonne {exc.colno})."
        )
        return problem(400, f"Le corps de la requête n'est pas un document JSON valide{where}")
    return problem(error.code)


# --------------------------------------------------------------------------- records


def _problem(status: int, description: str):
    """Document a problem response of an operation."""
    return bp.alt_response(
        status, schema=ProblemSchema, content_type=MEDIA_TYPE, description=description
    )


def _refusals(view):
    """Document what every operation may answer before its view runs: 401 (token) and
    429 (rate limit, with Retry-After)."""
    view = _problem(401, "Jeton absent, inconnu, expiré ou révoqué")(view)
    return bp.alt_response(
        429,
        schema=ProblemSchema,
        content_type=MEDIA_TYPE,
        description="Trop de requêtes pour ce jeton : attendre Retry-After secondes",
        headers={"Retry-After": {"schema": {"type": "integer"}}},
    )(view)


UNKNOWN = {
    "companies": "Entreprise inconnue",
    "needs": "Besoin inconnu",
    "candidates": "Candidat inconnu",
    "operators": "Opérateur inconnu",
    "partners": "Partenaire inconnu",
    "leads": "Piste inconnue",
    "referrals": "Orientation inconnue",
    "events": "Événement inconnu",
    "resources": "Ressource inconnue",
}
SCHEMAS = {
    "companies": CompanySchema,
    "needs": NeedSchema,
    "candidates": CandidateSchema,
    "operators": OperatorSchema,
    "partners": PartnerSchema,
    "leads": LeadSchema,
    "referrals": ReferralSchema,
    "events": EventSchema,
    "resources": ResourceSchema,
    "directory": DirectoryEntrySchema,
    "testimonials": TestimonialSchema,
}
WORDS = {  # (the records, one record) in the operation summaries
    "companies": ("Entreprises", "Une entreprise"),
    "needs": ("Besoins", "Un besoin"),
    "candidates": ("Candidats de la CVthèque (consentants)", "Un candidat"),
    "operators": ("Opérateurs", "Un opérateur"),
    "partners": ("Partenaires", "Un partenaire"),
    "leads": ("Pistes envoyées aux opérateurs", "Une piste"),
    "referrals": ("Orientations vers les partenaires", "Une orientation"),
    "events": ("Événements (les annulés aussi, marqués comme tels)", "Un événement"),
    "resources": ("Ressources pour les entreprises", "Une ressource"),
    "directory": ("Fiches publiées de « Qui fait quoi »", "Une fiche"),
    "testimonials": ("Témoignages publiés sur le site", "Un témoignage"),
}


def _page(query, column, id_column, to_item, *, since, cursor, limit) -> Response:
    """One page of ``query`` in synchronisation order (``column``, then ``id_column``),
    from the client's cursor, with the cursor of the next page (None at the end) and
    where the client's next walk starts (``sync.next_since``)."""
    after, resume = _after(cursor)
    resume = resume or sync.next_since(utcnow())  # taken before the page is read
    rows, next_key = sync.changed(
        db.session, query, column, id_column, since=since, after=after, limit=limit
    )
    return _json(
        {
            "items": [to_item(row) for row in rows],
            "next_cursor": _encode_cursor(next_key, resume) if next_key else None,
            "next_updated_since": resume.isoformat(),
        }
    )


SYNC_RECIPE = (
    "Pour synchroniser : passez en ``updated_since`` le ``next_updated_since`` gardé de "
    "votre synchronisation précédente (rien la première fois), suivez ``next_cursor`` "
    "jusqu'à ce qu'il soit null et gardez le ``next_updated_since`` reçu pour la "
    "prochaine fois ; lisez de même les suppressions (``/deletions``), en gardant le leur. "
    "Ne gardez pas l'heure de votre synchronisation : une modification est datée quand elle "
    "est écrite et visible quand elle est validée, un peu plus tard ; elle peut donc "
    "arriver derrière le curseur pendant un parcours. Le ``next_updated_since`` recule de "
    f"{OVERLAP_MINUTES} minutes pour la donner au parcours suivant : un enregistrement "
    "peut venir deux fois (gardez la dernière version reçue), aucun "
    "n'est perdu. Un enregistrement modifié pendant le parcours revient à sa fin."
)


def _list_view(kind: str):
    model = sync.MODELS[kind]

    def view(limit: int, updated_since: datetime | None = None, cursor: str | None = None):
        query = sync.records_query(kind, current_user)
        return _page(
            query,
            model.updated_at,
            model.id,
            lambda row: sync.as_record(kind, row, current_user),
            since=updated_since,
            cursor=cursor,
            limit=limit,
        )

    view.__name__ = f"list_{kind}"
    view.__doc__ = (
        f"{WORDS[kind][0]} du périmètre du jeton, du plus anciennement modifié au plus récent.\n\n"
        + SYNC_RECIPE
    )
    return view


def _one_view(kind: str):
    def view(ref: str):
        return _conditional(sync.as_record(kind, _found(kind, ref), current_user))

    view.__name__ = f"get_{kind}"
    view.__doc__ = (
        f"{WORDS[kind][1]}, avec son ETag (renvoyez-le en If-None-Match : 304 s'il n'a pas changé)."
    )
    return view


def _register_records(kind: str, *, single: bool = True) -> None:
    """The list and (``single``) the single-record operations of ``kind``, for its
    readers."""
    schema = SCHEMAS[kind]
    roles = sorted(sync.READERS[kind])
    listing = _list_view(kind)
    for decorate in (
        _problem(422, "Paramètre invalide"),
        _problem(403, "Rôle sans accès à ces enregistrements"),
        _refusals,
        bp.response(200, page_schema(schema)),
        bp.arguments(ListArgs, location="query", as_kwargs=True),
        role_required(*roles),
    ):
        listing = decorate(listing)
    bp.route(f"/{kind}", endpoint=f"list_{kind}")(listing)
    if not single:
        return
    one = _one_view(kind)
    for decorate in (
        _problem(404, "Inconnu ou hors du périmètre du jeton"),
        _problem(403, "Rôle sans accès à ces enregistrements"),
        _refusals,
        bp.alt_response(304, description="Inchangé depuis l'ETag envoyé en If-None-Match"),
        bp.response(200, schema, headers={"ETag": {"schema": {"type": "string"}}}),
        role_required(*roles),
    ):
        one = decorate(one)
    # The interchange's records by their sender's ref, which may hold "/" (web.refs).
    converter = REF_CONVERTERS.get(kind)
    ref = f"<{converter}:ref>" if converter else "<ref>"
    bp.route(f"/{kind}/{ref}", endpoint=f"get_{kind}")(one)


for _kind in ("companies", "needs", "candidates", "operators", "partners", "leads", "referrals"):
    _register_records(_kind)
for _kind in ("events", "resources"):
    _register_records(_kind)
for _kind in ("directory", "testimonials"):
    _register_records(_kind, single=False)


@bp.route("/deletions")
@bp.arguments(DeletionArgs, location="query", as_kwargs=True)
@bp.response(200, page_schema(DeletionSchema))
@_refusals
@_problem(403, "Rôle sans accès à ce type d'enregistrements")
@_problem(422, "Paramètre invalide")
def list_deletions(
    kind: str, limit: int, updated_since: datetime | None = None, cursor: str | None = None
):
    """Les enregistrements supprimés (pierres tombales) du type ``kind``, dans le périmètre
    du jeton, des plus anciennes suppressions aux plus récentes : supprimez-les aussi de
    votre côté. Passez en ``updated_since`` le ``next_updated_since`` gardé de votre
    dernier parcours des suppressions de ce type, et gardez celui que donne la dernière
    page. Un enregistrement supprimé puis recréé avec la même ref, que le jeton atteint,
    n'a plus de pierre tombale : il est dans la liste de son type."""
    if current_user.role not in sync.READERS[kind]:
        raise Refused(403)
    query = sync.deletions_reached(kind, current_user)
    return _page(
        query,
        Deletion.deleted_at,
        Deletion.id,
        sync.tombstone,
        since=updated_since,
        cursor=cursor,
        limit=limit,
    )


@bp.route("/needs/<need_ref:ref>/matches")
@role_required(*sorted(STAFF_ROLES))
@bp.response(200, MatchesSchema)
@_refusals
@_problem(403, "Réservé aux animateurs et administrateurs")
@_problem(404, "Besoin inconnu")
def need_matches(ref: str):
    """Les candidats qui conviennent au besoin, les meilleurs d'abord, chacun avec son
    score (0 à 100) et l'explication de chaque critère. Réservé aux animateurs et aux
    administrateurs (les candidats sont des données personnelles)."""
    need = _found("needs", ref)
    return match_need(need.ref, limit=MATCHES_SHOWN)


# --------------------------------------------------------------------------- writes


def _require_current(kind: str, row) -> None:
    """A write applies to the version the client read: its ETag in If-Match (428 without
    it, 412 when the record changed since)."""
    if not request.headers.get("If-Match"):
        raise Refused(428)
    # Locked until the write commits (PostgreSQL): two clients holding the same ETag
    # cannot both pass this check and both write.
    model = type(row)
    db.session.execute(db.select(model.id).where(model.id == row.id).with_for_update())
    db.session.refresh(row)
    current = etag_of(sync.as_record(kind, row))
    if not (request.if_match.star_tag or request.if_match.contains(current)):
        raise Refused(412)


def _write(kind: str, row, operation: str, change, details: dict) -> Response:
    """Apply ``change`` (a call of the domain, the web forms' own) to ``row`` read at the
    client's ETag, audit it, commit; the record as it now is, with its new ETag. A
    refusal of the domain is a 422 problem and changes nothing."""
    _require_current(kind, row)
    try:
        result = change()
    except DomainError as refusal:
        db.session.rollback()
        errors = refusal.errors
        pointers = (
            [{"pointer": f"/json/{key}", "detail": text} for key, text in sorted(errors.items())]
            if isinstance(errors, dict)
            else []
        )
        raise Refused(422, refusal.message, errors=pointers) from None
    audit(
        db.session,
        f"api.{operation}",
        actor=current_user,
        entity=kind.removesuffix("s"),
        entity_id=row.id,
        ip=request.remote_addr,
        details=details,
    )
    db.session.commit()
    return result


def _answer(kind: str, row, status: int = 200, *, told: dict | None = None) -> Response:
    """The record as it now is, with its ETag; ``told``: what this answer adds for its
    caller (a proposal's ``warnings``), outside the record and its ETag, so that a
    later read of the record gives the same ETag."""
    db.session.refresh(row)
    body = sync.as_record(kind, row)
    response = Response(
        json.dumps({**body, **(told or {})}, ensure_ascii=False, sort_keys=True),
        status=status,
        mimetype="application/json",
    )
    response.set_etag(etag_of(body))
    return response


def _written():
    """Document the problems every write may answer."""

    def decorate(view):
        for status, text in (
            (403, "Rôle sans accès à cette modification"),
            (404, "Inconnu ou hors du périmètre du jeton"),
            (412, "L'ETag envoyé en If-Match n'est plus celui de l'enregistrement"),
            (413, "Corps de plus d'1 Mo"),
            (415, "Corps envoyé sans Content-Type: application/json"),
            (422, "Paramètre invalide, ou modification refusée par les règles"),
            (428, "If-Match manquant"),
        ):
            view = _problem(status, text)(view)
        return _refusals(view)

    return decorate


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "L'ETag de votre dernière lecture de l'enregistrement.",
    "schema": {"type": "string"},
}


@bp.route("/needs/<need_ref:ref>/status", methods=["POST"])
@role_required(*sorted(STAFF_ROLES))
@bp.doc(parameters=[IF_MATCH])
@bp.arguments(NeedStatusArgs, location="json")
@bp.response(200, NeedSchema, headers={"ETag": {"schema": {"type": "string"}}})
@_written()
def move_need(args: dict, ref: str):
    """Change l'état d'un besoin comme un animateur sur sa page (mise en recherche,
    abandon avec son motif…), avec l'ETag lu en If-Match."""
    need = _found("needs", ref)
    _write(
        "needs",
        need,
        "need_status",
        lambda: moves.move_by_hand(
            db.session,
            need,
            args["status"],
            actor=current_user,
            reason_code=args.get("reason_code"),
            reason_text=(args.get("reason_text") or "").strip() or None,
        ),
        {"ref": need.ref, "status": args["status"]},
    )
    return _answer("needs", need)


def _commune_text(value: str) -> str:
    """The API's ``commune``, documented as an INSEE code or a name, as the page's field
    reads it: an INSEE code becomes its label ("Lugos (33830)"), since the field reads
    five digits as a postcode first (33260 is Lugos' INSEE code and La Teste's
    postcode)."""
    return territory.commune_label(value) if territory.get_commune(value) else value


def _form_values(args: dict) -> dict[str, object]:
    """The qualification's JSON as the page's form sends it (text per field), for the
    page's own rules (numbers with six decimals: the page's rules round them, not this)."""

    def number(value: float | None) -> str:
        return decimal_input(value, 6)

    return {
        **{name: args.get(name) or "" for name in ("title", "level", "contract", "reason")},
        **{name: args.get(name) or "" for name in ("start", "rome", "notes")},
        "commune": _commune_text(args.get("commune") or ""),
        "skills": "\n".join(args["skills"]),
        "hours_per_week": number(args["hours_per_week"]),
        "hours_period": "semaine",
        "duration_months": number(args.get("duration_months")),
        "days": list(args["days"]),
        "shared_time": "oui" if args["shared_time"] else "non",
    }


@bp.route("/needs/<need_ref:ref>/qualification", methods=["POST"])
@role_required(*sorted(STAFF_ROLES))
@bp.doc(parameters=[IF_MATCH])
@bp.arguments(QualificationArgs, location="json")
@bp.response(200, NeedSchema, headers={"ETag": {"schema": {"type": "string"}}})
@_written()
def qualify_need(args: dict, ref: str):
    """Complète et qualifie un besoin comme la page « Qualifier » : ses champs, son code
    ROME, s'il s'agit de temps partagé, les notes. Un besoin nouveau passe à « qualifié » ;
    un besoin déjà qualifié ou en recherche est mis à jour."""
    need = _found("needs", ref)
    data = _form_values(args)
    checked = form_rules.check_need(data, today=local_today(), stored_start=need.start)
    checked.merge(form_rules.check_qualification(data))
    if checked.errors:
        errors = [
            {"pointer": f"/json/{field}", "detail": text}
            for field, text in sorted(checked.errors.items())
        ]
        raise Refused(422, " ".join(e["detail"] for e in errors), errors=errors)
    _write(
        "needs",
        need,
        "need_qualification",
        lambda: need_register.qualify_need(db.session, need, checked.values, actor=current_user),
        {"ref": need.ref},
    )
    return _answer("needs", need)


@bp.route("/needs/<need_ref:ref>/leads", methods=["POST"])
@role_required(*sorted(STAFF_ROLES))
@bp.doc(parameters=[IF_MATCH])
@bp.arguments(ProposalArgs, location="json")
@bp.response(201, ProposalSchema, headers={"ETag": {"schema": {"type": "string"}}})
@_written()
def propose_need(args: dict, ref: str):
    """Propose un besoin qualifié à un opérateur, avec des candidats, comme sur la page du
    besoin. L'entreprise sera contactée : le garde-fou de pression de contact s'applique
    (refus si elle ne veut pas être sollicitée ou a atteint son plafond du mois) et cette
    proposition compte parmi ses contacts. Une entreprise à son plafond qui a accepté
    d'être contactée reçoit quand même la proposition si ``over_cap_reason`` dit pourquoi.
    ``warnings`` dit ce que la page dirait : par exemple qu'aucun membre de l'opérateur
    n'a de compte actif (la proposition est envoyée, mais personne n'y répondra sur la
    plateforme tant qu'un membre n'a pas ouvert son compte)."""
    need = _found("needs", ref)
    lead = _write(
        "needs",
        need,
        "need_proposal",
        lambda: dispatch.propose_need(
            db.session,
            need,
            operator_ref=args["operator"],
            candidate_refs=args["candidates"],
            note=args.get("note"),
            actor=current_user,
            over_cap_reason=args.get("over_cap_reason"),
        ),
        {"ref": need.ref, "operator": args["operator"]},
    )
    notice = organisations.nobody_answers(db.session, lead.operator)
    return _answer("leads", lead, 201, told={"warnings": [notice] if notice else []})


@bp.route("/leads/<ref>/answer", methods=["POST"])
@role_required("operator")
@bp.doc(parameters=[IF_MATCH])
@bp.arguments(LeadActionArgs, location="json")
@bp.response(200, LeadSchema, headers={"ETag": {"schema": {"type": "string"}}})
@_written()
def answer_lead(args: dict, ref: str):
    """La réponse de l'opérateur à une piste, comme dans sa boîte : l'accepter, commencer
    les contacts, la refuser (motif de la liste fermée), la rendre ou la clore sans suite
    (avec une précision)."""
    lead = _found("leads", ref)
    _write(
        "leads",
        lead,
        "lead_answer",
        lambda: lead_flow.answer(
            db.session,
            lead,
            args["action"],
            reason_code=args.get("reason_code"),
            reason_text=args.get("reason_text"),
            actor=current_user,
        ),
        {"action": args["action"]},
    )
    return _answer("leads", lead)


# --------------------------------------------------------------------------- derived


@bp.route("/needs/<need_ref:ref>/route")
@role_required(*sorted(STAFF_ROLES))
@bp.response(200, RouteSchema)
@_refusals
@_problem(403, "Réservé aux animateurs et administrateurs")
@_problem(404, "Besoin inconnu")
def need_route(ref: str):
    """Où va le besoin : à l'opérateur qui couvre ce travail en temps partagé, ou réorienté
    vers un partenaire, avec les raisons en français (règles du format d'échange v1 ; une
    structure dont aucun membre n'a de compte actif passe après les autres de son rang,
    comme sur la page du besoin, et les raisons le disent)."""
    need = _found("needs", ref)
    return route_need(need.ref, db.session)


@bp.route("/pools")
@role_required(*sorted(STAFF_ROLES))
@bp.arguments(PoolsArgs, location="query", as_kwargs=True)
@bp.response(200, PoolsSchema)
@_refusals
@_problem(403, "Réservé aux animateurs et administrateurs")
@_problem(
    409,
    "Les regroupements ont changé depuis la page précédente : reprenez à la première page",
)
@_problem(422, "Paramètre invalide")
def list_pools(limit: int, cursor: str | None = None):
    """Les regroupements de besoins à temps partiel encore ouverts qu'une même personne
    pourrait tenir ensemble, les meilleurs d'abord, avec leur score, leurs raisons et les
    candidats qui conviennent à l'ensemble. C'est la règle du format d'échange : les
    besoins des entreprises qui ont demandé à ne plus être sollicitées y figurent comme
    les autres (la page des animateurs, qui propose les postes, les met de côté).

    Par pages : ``limit`` regroupements (50 par défaut, 200 au plus), puis suivez
    ``next_cursor`` (à passer en ``cursor``) jusqu'à ce qu'il soit null. Un parcours
    complet est la liste entière à un moment : remplacez-y votre copie (un regroupement
    absent n'existe plus). Les regroupements sont classés, pas datés : si leur ordre
    change entre deux pages (un besoin ou un candidat modifié), la page suivante est
    refusée (409) et le parcours reprend à la première page, sans ``cursor``."""
    # The interchange's pool: every open part-time need, as the spec's rule has it.
    found = open_need_bundles(db.session, reachable_only=False)
    order = bundles_order(found)
    after, walked = _pool_after(cursor)
    if walked is not None and walked != order:
        raise Refused(
            409,
            "Les regroupements ont changé depuis la page précédente : reprenez à la "
            "première page (sans « cursor »).",
        )
    page, next_key = bundles_after(found, after, limit)
    return {
        "bundles": [b.to_json(details=True) for b in page],
        "next_cursor": _encode_pool_cursor(next_key, order) if next_key else None,
        "truncated": found.truncated,
    }


def _encode_pool_cursor(key: BundleKey, order: str) -> str:
    # UTF-8 as it is: "é" escaped as \u00e9 took 6 bytes, a cursor of long accented
    # refs was longer than ``PoolsArgs`` reads back.
    raw = json.dumps([key[0], list(key[1]), order], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _pool_after(cursor: str | None) -> tuple[BundleKey | None, str | None]:
    """The key of the bundle a pools cursor stops after and the order of the list it was
    given in (``bundles_order``; None in a cursor of an earlier version): a 422 for one
    the API never gave."""
    if cursor is None:
        return None, None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, needs, *order = json.loads(raw)
        if (
            type(score) is not int
            or not isinstance(needs, list)
            or not needs
            or not all(isinstance(ref, str) for ref in needs)
            or len(order) > 1
            or not all(isinstance(text, str) for text in order)
        ):
            raise BadCursor
        return (score, tuple(needs)), (order[0] if order else None)
    except (BadCursor, binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        error = {"pointer": "/query/cursor", "detail": "Curseur invalide."}
        raise Refused(
            422, "Curseur invalide : reprenez le « next_cursor » reçu.", errors=[error]
        ) from None


# --------------------------------------------------------------------------- exchange


@bp.route("/exchange", methods=["GET"])
@role_required(*sorted(STAFF_ROLES))
@bp.response(200, DocumentSchema)
@_refusals
@_problem(403, "Réservé aux animateurs et administrateurs")
def export_exchange():
    """Toutes les données au format d'échange v1.1 (les candidats : ceux qui ont donné
    leur accord ; les besoins : ceux que la plateforme traite, pas ceux qu'une entreprise
    n'a pas encore confirmés), octet pour octet ce qu'écrit ``flask exchange export``. L'export est
    inscrit au journal d'audit."""
    document = export_document(db.session)
    counts = {name: len(document[name]) for name in COLLECTIONS}
    audit(db.session, "exchange.export", actor=current_user, details={"api": True, **counts})
    db.session.commit()
    # The document's one serialization (``exchange.dump_document``, the CLI's too): the
    # API's own JSON sorted the keys ("format" no longer first) and dropped the indent.
    return Response(dump_document(document), mimetype="application/json")


@bp.route("/exchange", methods=["POST"])
@role_required(*sorted(STAFF_ROLES))
@bp.doc(
    requestBody={
        "required": True,
        "description": "Un document au format d'échange v1 ou v1.1.",
        "content": {"application/json": {"schema": "Document"}},
    }
)
@bp.response(200, ImportReportSchema)
@_refusals
@_problem(403, "Réservé aux animateurs et administrateurs")
@_problem(
    409,
    "Un autre import est en cours et n'a pas fini à temps, ou un enregistrement a changé "
    "pendant l'import : rien n'est enregistré, renvoyez le document",
)
@_problem(
    422,
    "Document refusé : une erreur par valeur, avec son pointeur JSON (les "
    f"{LISTED_ERRORS} premières, puis le nombre des autres) ; rien n'est enregistré",
)
def import_exchange():
    """Importe un document au format d'échange : tout ou rien, avec les règles de
    ``flask exchange import``. Chaque enregistrement est créé ou mis à jour par sa ref ;
    importer deux fois le même document ne change rien la seconde fois. Les imports
    passent l'un après l'autre : un import envoyé pendant un autre attend sa fin."""
    try:
        result = import_document(parse_document(request.get_data()), db.session, actor=current_user)
    except ImportBusy as busy:
        db.session.rollback()
        raise Refused(409, busy.message) from None
    except ExchangeError as refusal:
        db.session.rollback()
        errors = [{"pointer": e.pointer, "detail": e.message} for e in refusal.listed()]
        raise Refused(
            422,
            refusal.refusal,
            errors=errors,
        ) from None
    if result.changed:
        audit(
            db.session,
            "exchange.import",
            actor=current_user,
            details={"api": True, **result.as_dict()},
        )
    db.session.commit()
    return {"counts": result.as_dict()}


# --------------------------------------------------------------------------- the document


@public
def openapi_document():
    """The OpenAPI document (public: it describes the API, it holds no data)."""
    spec = current_app.extensions["api_v1"].spec.to_dict()
    return _json(spec)


SWAGGER_UI = Path(__file__).resolve().parent.parent / "static" / "vendor" / "swagger-ui"


@public
def docs_page():
    """The API's documentation to browse (Swagger UI, served from our own static files)."""
    version = (SWAGGER_UI / "VERSION").read_text(encoding="utf-8").strip()
    return render_template("api/docs.html", swagger_version=version)


def _ref_parameter(converter) -> dict:
    return {
        "type": "string",
        "minLength": 1,
        "description": "La ref de l'enregistrement, telle que l'expéditeur l'a choisie : "
        "ses « / » écrits tels quels ou en %2F, ses autres caractères réservés échappés "
        "(« ? » en %3F, « % » en %25…).",
    }


def register(app: Flask) -> None:
    """Bind the API to ``app``: its document and its blueprint."""
    # The title Swagger UI shows over the operations (/api/docs).
    app.config.setdefault("API_TITLE", "API de Connect'ences")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = SpecOnlyApi(
        spec_kwargs={
            "info": {
                "description": "API JSON de Connect'ences : jetons personnels, "
                "erreurs au format RFC 9457 (application/problem+json), en français."
            },
            "components": {"securitySchemes": {"jeton": {"type": "http", "scheme": "bearer"}}},
            "security": [{"jeton": []}],
        }
    )
    api.ERROR_SCHEMA = ProblemSchema
    api.init_app(app)
    api.register_converter(RecordRefConverter, _ref_parameter)
    api.register_blueprint(bp)
    app.extensions["api_v1"] = api
    app.add_url_rule(f"{PREFIX}/openapi.json", "api_openapi", openapi_document)
    app.add_url_rule("/api/docs", "api_docs", docs_page)
