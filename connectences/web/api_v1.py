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
from datetime import UTC, datetime, time

import marshmallow as ma
from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException

from connectences.accounts.api_tokens import TokenRefused, verify_token
from connectences.accounts.scope import STAFF_ROLES, companies_reached, may_open_company
from connectences.clock import LOCAL_TZ
from connectences.errors import DomainError
from connectences.exchange.exporter import need_record
from connectences.extensions import csrf, db
from connectences.matching.matches import match_need
from connectences.models import Need
from connectences.needs.sync import changed_needs
from connectences.web.access import guard_blueprint, public, role_required, token_authenticated
from connectences.web.problems import MEDIA_TYPE, problem

PREFIX = "/api/v1"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MATCHES_SHOWN = 20
# Who reaches needs through the API: as on the web, the staff (every need) and company
# accounts (their own companies' needs). Matches name candidates: the staff only.
NEED_ROLES = (*sorted(STAFF_ROLES), "company")

bp = Blueprint(
    "api_v1",
    __name__,
    url_prefix=PREFIX,
    description="Besoins des entreprises, au format d'échange v1, et leurs candidats.",
)
guard_blueprint(bp, *NEED_ROLES, audit_action="api_access_refused")
csrf.exempt(bp)


class SpecOnlyApi(Api):
    """flask-smorest for the OpenAPI document and the parsing of arguments only: the
    application keeps its own error handlers (French pages on the web, problems under
    ``/api/v1``), which smorest's app-wide JSON handler would replace, and serves the
    document from an owned route. One instance per application (its spec is per app)."""

    def _register_error_handlers(self) -> None:
        return None


# --------------------------------------------------------------------------- schemas


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem (``application/problem+json``)."""

    type = ma.fields.String(metadata={"description": "about:blank"})
    title = ma.fields.String(metadata={"description": "Le statut, en français."})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "Ce qui s'est passé, en français."})
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Pour 422 : un objet par paramètre refusé (pointer, detail)."},
    )


def _number(**kwargs):
    # Raw, not Float: the interchange writes integral numbers as integers (7, not 7.0).
    return ma.fields.Raw(metadata={"type": "number", **kwargs})


class NeedSchema(ma.Schema):
    """A need, with the field names of the interchange format v1 (plus ``updated_at``)."""

    ref = ma.fields.String(required=True)
    company = ma.fields.String(required=True, metadata={"description": "ref de l'entreprise"})
    title = ma.fields.String(required=True)
    rome = ma.fields.String(metadata={"pattern": "^[A-Z][0-9]{4}$"})
    skills = ma.fields.List(ma.fields.String(), required=True)
    level = ma.fields.String(required=True)
    hours_per_week = _number()
    days = ma.fields.List(ma.fields.String(), required=True)
    contract = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    start = ma.fields.String(required=True, metadata={"format": "date"})
    duration_months = _number()
    commune = ma.fields.String(metadata={"description": "code INSEE"})
    updated_at = ma.fields.String(
        required=True, metadata={"format": "date-time", "description": "dernière modification"}
    )


class NeedPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NeedSchema), required=True)
    next_cursor = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "À passer en « cursor » pour la page suivante ; null à la fin."},
    )


class MatchSchema(ma.Schema):
    candidate = ma.fields.String(required=True, metadata={"description": "ref du candidat"})
    score = _number(minimum=0, maximum=100)
    explanation = ma.fields.List(
        ma.fields.Dict(), required=True, metadata={"description": "criterion, points, text"}
    )


class MatchesSchema(ma.Schema):
    need = ma.fields.String(required=True)
    matches = ma.fields.List(ma.fields.Nested(MatchSchema), required=True)


class Since(ma.fields.Field):
    """A date (``2027-01-31``: from midnight in Paris) or an instant (ISO 8601; without
    an offset, Paris time)."""

    default_error_messages = {
        "invalid": "Date invalide : écrivez AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS+01:00."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None
        if len(value) == 10:  # a date alone
            moment = datetime.combine(moment.date(), time())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        try:  # out of range once in UTC (year 1 east of Greenwich, year 9999 west)
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid") from None


class NeedListArgs(ma.Schema):
    updated_since = Since(
        metadata={
            "type": "string",
            "description": "Seulement les besoins modifiés depuis (date ou instant ISO 8601).",
        }
    )
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


# --------------------------------------------------------------------------- helpers


class BadCursor(DomainError):
    """A cursor that is not one this API gave."""


def _encode_cursor(key: tuple[datetime, int]) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, need_id = json.loads(raw)
        key = (datetime.fromisoformat(moment), need_id)
        if key[0].tzinfo is None or not isinstance(key[1], int) or isinstance(key[1], bool):
            raise BadCursor
        return (key[0].astimezone(UTC), key[1])
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise BadCursor from None


def _record(need: Need) -> dict:
    return {**need_record(need), "updated_at": need.updated_at.isoformat()}


def _json(body, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def _need_or_404(ref: str) -> Need:
    """The need ``ref`` if the token's owner reaches it (a need of another company is a
    404, as on the web: its existence is not confirmed)."""
    need = db.session.scalar(db.select(Need).where(Need.ref == ref))
    if need is None or not may_open_company(current_user, need.company):
        raise _NotFound(f"Besoin inconnu : « {ref} ».")
    return need


class _NotFound(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


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
    db.session.commit()  # its last use
    g._login_user = token.user  # what flask_login.current_user returns for this request
    g.api_token = token
    return None


token_authenticated(bp, _authenticate)


@bp.errorhandler(_NotFound)
def _not_found(error: _NotFound):
    return problem(404, error.detail)


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if error.code == 422 and messages:
        errors = [
            {"pointer": f"/{location}/{name}", "detail": " ".join(texts)}
            for location, fields in sorted(messages.items())
            for name, texts in sorted(fields.items())
        ]
        detail = " ".join(e["detail"] for e in errors)
        return problem(422, detail, errors=errors)
    return problem(error.code)


# --------------------------------------------------------------------------- needs


def _problem(status: int, description: str):
    """Document a problem response of an operation."""
    return bp.alt_response(
        status, schema=ProblemSchema, content_type=MEDIA_TYPE, description=description
    )


@bp.route("/needs")
@bp.arguments(NeedListArgs, location="query", as_kwargs=True)
@bp.response(200, NeedPageSchema)
@_problem(401, "Jeton absent, inconnu, expiré ou révoqué")
@_problem(403, "Rôle sans accès aux besoins")
@_problem(422, "Paramètre invalide")
def list_needs(limit: int, updated_since: datetime | None = None, cursor: str | None = None):
    """Besoins du périmètre du jeton, du plus anciennement modifié au plus récent.

    Pour synchroniser : passez la date de la dernière synchronisation en
    ``updated_since``, puis suivez ``next_cursor`` jusqu'à ce qu'il soit null."""
    after = None
    if cursor is not None:
        try:
            after = _decode_cursor(cursor)
        except BadCursor:
            error = {"pointer": "/query/cursor", "detail": "Curseur invalide."}
            return problem(
                422, "Curseur invalide : reprenez le « next_cursor » reçu.", errors=[error]
            )
    needs, next_key = changed_needs(
        db.session,
        companies=companies_reached(current_user),
        since=updated_since,
        after=after,
        limit=limit,
    )
    return {
        "items": [_record(need) for need in needs],
        "next_cursor": _encode_cursor(next_key) if next_key else None,
    }


@bp.route("/needs/<ref>")
@bp.response(200, NeedSchema, headers={"ETag": {"schema": {"type": "string"}}})
@bp.alt_response(304, description="Inchangé depuis l'ETag envoyé en If-None-Match")
@_problem(401, "Jeton absent, inconnu, expiré ou révoqué")
@_problem(403, "Rôle sans accès aux besoins")
@_problem(404, "Besoin inconnu ou hors du périmètre")
def get_need(ref: str):
    """Un besoin, avec son ETag (renvoyez-le en If-None-Match : 304 s'il n'a pas changé)."""
    body = json.dumps(_record(_need_or_404(ref)), ensure_ascii=False, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("/needs/<ref>/matches")
@role_required(*sorted(STAFF_ROLES))
@bp.response(200, MatchesSchema)
@_problem(401, "Jeton absent, inconnu, expiré ou révoqué")
@_problem(403, "Réservé aux animateurs et administrateurs")
@_problem(404, "Besoin inconnu")
def need_matches(ref: str):
    """Les candidats qui conviennent au besoin, les meilleurs d'abord, chacun avec son
    score (0 à 100) et l'explication de chaque critère. Réservé aux animateurs et aux
    administrateurs (les candidats sont des données personnelles)."""
    need = _need_or_404(ref)
    return match_need(need.ref, limit=MATCHES_SHOWN)


# --------------------------------------------------------------------------- the document


@public
def openapi_document():
    """The OpenAPI document (public: it describes the API, it holds no data)."""
    spec = current_app.extensions["api_v1"].spec.to_dict()
    return _json(spec)


def register(app: Flask) -> None:
    """Bind the API to ``app``: its document and its blueprint."""
    app.config.setdefault("API_TITLE", "Connect'ences")
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
    api.register_blueprint(bp)
    app.extensions["api_v1"] = api
    app.add_url_rule(f"{PREFIX}/openapi.json", "api_openapi", openapi_document)
