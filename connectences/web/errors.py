"""French error pages (and JSON errors under /api/). The 500 page says nothing
of what went wrong: details go to the log only."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Flask,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from gunicorn.http.errors import ParseException
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from connectences.extensions import db, login_manager
from connectences.gunicorn_refusals import refusal_status
from connectences.web import held
from connectences.web.access import is_public_endpoint, wants_json
from connectences.web.problems import problem
from connectences.web.security import ACCOUNT_KEY, NulInForm, form_without_nul
from connectences.workflows import CHANGED_MEANWHILE, ChangedMeanwhile

# Under this prefix every error is an RFC 9457 problem (unknown addresses included).
PROBLEM_PREFIX = "/api/v1/"

ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "Requête incorrecte",
        "Les informations envoyées n'ont pas pu être comprises. Revenez en arrière, "
        "vérifiez le formulaire et réessayez.",
    ),
    401: ("Connexion requise", "Connectez-vous pour accéder à cette page."),
    403: (
        "Accès refusé",
        "Votre compte ne donne pas accès à cette page. Si vous pensez que c'est une erreur, "
        "contactez l'administrateur de la plateforme.",
    ),
    404: (
        "Page introuvable",
        "Cette page n'existe pas ou n'existe plus. Vérifiez l'adresse, ou repartez de l'accueil.",
    ),
    405: (
        "Action non permise",
        "Cette page ne peut pas être utilisée de cette façon. Repartez de l'accueil.",
    ),
    409: ("Modifié entre-temps", CHANGED_MEANWHILE),
    413: (
        "Envoi trop volumineux",
        "Le fichier ou le formulaire envoyé dépasse la taille autorisée : rien n'a été "
        "enregistré. Revenez à la page précédente avec le bouton « Retour » de votre "
        "navigateur (ce que vous avez saisi y est encore), retirez le fichier ou "
        "choisissez-en un plus léger (par exemple un CV en PDF de moins de 5 Mo), puis "
        "renvoyez le formulaire.",
    ),
    414: (
        "Adresse trop longue",
        "L'adresse de cette page est trop longue pour être traitée : elle a sans doute été "
        "mal copiée ou collée plusieurs fois. Repartez de l'accueil ou du menu.",
    ),
    429: (
        "Trop de tentatives",
        "Trop de demandes en peu de temps. Patientez quelques minutes avant de réessayer.",
    ),
    431: (
        "Requête trop volumineuse",
        "Votre navigateur a envoyé des informations trop volumineuses avec cette page "
        "(souvent des cookies accumulés). Effacez les cookies de ce site dans les réglages "
        "du navigateur, puis repartez de l'accueil.",
    ),
    500: (
        "Erreur du serveur",
        "Un problème est survenu de notre côté. Il a été enregistré ; réessayez dans "
        "quelques instants. Si cela se reproduit, contactez l'administrateur.",
    ),
    503: (
        "Plateforme momentanément occupée",
        "Une autre opération occupe la base de données. Rien n'a été enregistré : "
        "réessayez dans quelques secondes.",
    ),
}

MINIMAL_500 = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
    "<title>Erreur du serveur</title></head><body><main><h1>Erreur du serveur</h1>"
    "<p>Un problème est survenu de notre côté. Réessayez dans quelques instants.</p>"
    '<p><a href="/">Retour à l\'accueil</a></p></main></body></html>'
)

CSRF_MESSAGE = (
    "Le formulaire a expiré ou n'a pas pu être vérifié (protection de sécurité). "
    "Rechargez la page, puis renvoyez le formulaire."
)


# The forms anyone may fill in without an account (public pages, personal links), shown
# again filled in when their security token could not be checked (the session cookie lost
# with a closed browser, a tab restored hours later): endpoint -> a view answering with
# the form, what was typed kept and ``CSRF_RETRY_MESSAGE`` at its top (a file chosen has
# to be chosen again). Registered by their blueprints. Every other form of a logged-in
# person is held and its page opened again, filled in (``web.held``); what is left gets
# the error page. The same views answer a form sent while the database was too busy to
# store it (``_busy_form``), with that reason on top.
CSRF_RETRY: dict[str, Callable[[str], ResponseReturnValue]] = {}
CSRF_RETRY_MESSAGE = (
    "Le formulaire avait expiré (protection de sécurité). "
    "Vérifiez ce que vous avez saisi, puis renvoyez-le."
)

# A NUL in a form's field (``security.NulInForm``): the form shown again without it, by
# the same views and the same holding as an expired token; else the page says what to do.
NUL_RETRY_MESSAGE = (
    "Ce que vous avez saisi contenait un caractère invisible non autorisé (caractère nul), "
    "retiré ci-dessous : rien n'a été enregistré. Vérifiez le formulaire, puis renvoyez-le."
)
NUL_MESSAGE = (
    "Un champ du formulaire contient un caractère invisible non autorisé (caractère nul, "
    "souvent collé depuis un fichier abîmé) : rien n'a été enregistré. Revenez à la page "
    "précédente avec le bouton « Retour » de votre navigateur (ce que vous avez saisi y "
    "est encore), retapez ce champ, puis renvoyez le formulaire."
)


def is_database_busy(error: OperationalError) -> bool:
    """Whether the database refused for a lock held by another writer (SQLite's
    "database is locked"), not for a fault."""
    return "database is locked" in str(getattr(error, "orig", error))


def render_error(code: int, message: str | None = None):
    title, default_message = ERRORS.get(code, ERRORS[500] if code >= 500 else ERRORS[400])
    text = message or default_message
    if request.path.startswith(PROBLEM_PREFIX):
        return problem(code, message)
    if wants_json():
        return jsonify({"erreur": title, "message": text}), code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        if request.method != "POST" or wants_json():
            return render_error(400, CSRF_MESSAGE)
        given_back = _form_given_back(CSRF_RETRY_MESSAGE, held.FORM_EXPIRED)
        if given_back is not None:
            return given_back
        if (
            not current_user.is_authenticated
            and session.get(ACCOUNT_KEY)
            and not is_public_endpoint(app, request.endpoint)
        ):
            # The login session has ended too: as for any form sent after it ended.
            return login_manager.unauthorized()
        return render_error(400, CSRF_MESSAGE)

    def _form_given_back(message: str, reason: str, *, status: int | None = None, own_refusal=True):
        """What a form refused before its view gives back, so that nothing typed is lost:
        a public form shown again filled in by its ``CSRF_RETRY`` view, ``message`` on top
        (answering ``status`` when given), or a logged-in person's form held (``reason``)
        and its page opened again filled in; None otherwise. A retry view that refuses (a
        link expired, a login) answers its own refusal, or None without ``own_refusal``."""
        retry = CSRF_RETRY.get(request.endpoint or "")
        if retry is not None:
            try:
                page = make_response(retry(message))
            except HTTPException as refusal:
                if not own_refusal:
                    return None
                return refusal.response if refusal.response is not None else _http_error(refusal)
            if status is not None:
                page.status_code = status
            return page
        if current_user.is_authenticated:
            page = held.hold_sent_form(reason)
            if page is not None:
                return redirect(page, 303)
        return None

    @app.errorhandler(NulInForm)
    def _nul_in_form(error: NulInForm):
        if request.path.startswith(PROBLEM_PREFIX) or wants_json():
            return render_error(400)
        form_without_nul()
        given_back = _form_given_back(NUL_RETRY_MESSAGE, held.INVISIBLE_REMOVED, status=400)
        return given_back if given_back is not None else render_error(400, NUL_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(ParseException)
    def _unreadable_body(error: ParseException):
        # gunicorn reads a request's body as the application asks for it (the form, the
        # CSRF check): a body it cannot read (a broken chunked encoding, trailers too
        # large) is the client's fault, answered with the status gunicorn gives it
        # before the application starts (``gunicorn_refusals``), not an application's 500.
        status = refusal_status(error)
        if status is None:
            raise error
        return render_error(status)

    @app.errorhandler(ChangedMeanwhile)
    def _changed_meanwhile(error: ChangedMeanwhile):
        # The record moved while this request worked on it (``workflows.compare_and_set``)
        # and the view answers no refusal itself (most do, through commit_or_refuse):
        # nothing of the request is kept, and the person is told in French, not a 500.
        db.session.rollback()
        return render_error(409, error.message)

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError):
        # SQLite's single writer: a long write (an interchange import) holds the lock
        # past the busy timeout. The request did nothing; it may simply be sent again.
        # Any other database failure stays a 500.
        if not is_database_busy(error):
            raise error
        db.session.rollback()
        response = make_response(_busy_form() or render_error(503))
        response.headers["Retry-After"] = "5"
        return response

    def _busy_form():
        """What a form sent while the database was busy gives back instead of the
        error page, so that nothing typed is lost: a public form shown again filled in
        (its ``CSRF_RETRY`` view, with the reason on top), a logged-in person's form
        held and its page opened again filled in; None otherwise."""
        if request.method != "POST" or wants_json() or request.path.startswith(PROBLEM_PREFIX):
            return None
        notice = held.NOTICES[held.DATABASE_BUSY]
        return _form_given_back(notice, held.DATABASE_BUSY, status=503, own_refusal=False)

    @app.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError):
        # Never show error.original_exception: it may hold data or internals.
        try:
            return render_error(500)
        except Exception:  # the layout itself failed (database down...): plain page
            app.logger.exception("error page failed")
            return Response(MINIMAL_500, status=500, mimetype="text/html")
