"""Who may see what: login required by default, public allow-list, role checks.

Every view needs a logged-in user unless it is marked ``@public``. Role pages
are guarded per blueprint (``guard_blueprint``) or per view (``@role_required``,
``@signed_in`` for any logged-in user). Every endpoint must declare one of these:
``route_roles`` reads the declaration and ``undeclared_endpoints`` lists the routes
that have none (tests/test_route_owners.py fails on them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_login import current_user

from connectences import config
from connectences.accounts import audit
from connectences.accounts.sessions import Lifetimes, login_is_recent, touch
from connectences.extensions import commit_keeping_loaded, db, login_manager
from connectences.web import held
from connectences.web.security import is_safe_next, local_referrer

# Where each role lands after login (endpoint of its home page).
ROLE_HOME: dict[str, str] = {
    "admin": "admin.index",
    "animateur": "staff.index",
    "operator": "operators.index",
    "partner": "partners.index",
    "company": "companies.index",
    "candidate": "candidates.index",
    "territoire": "observatory.index",
}

# Endpoints open to anonymous visitors besides the views marked @public.
PUBLIC_ENDPOINTS = {"static"}
# What ``route_roles`` answers for a public endpoint.
PUBLIC = "public"
ALL_ROLES = frozenset(ROLE_HOME)
# Roles admitted by each guarded blueprint, by blueprint name (filled by guard_blueprint).
BLUEPRINT_ROLES: dict[str, frozenset[str]] = {}
# Blueprints whose requests authenticate by token, not by the session cookie: blueprint
# name -> the function that sets the request's user or returns the refusal (filled by
# token_authenticated).
TOKEN_BLUEPRINTS: dict[str, Callable[[], object]] = {}


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous visitors (the public allow-list)."""
    view._public = True  # type: ignore[attr-defined]
    return view


def role_required(*roles: str) -> Callable:
    """Allow a view to these roles only; other logged-in users get the French 403 page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped._allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def signed_in(view: Callable) -> Callable:
    """Open a view to every logged-in user, whatever their role (log out, own password)."""
    return role_required(*sorted(ALL_ROLES))(view)


def recent_login_required(view: Callable) -> Callable:
    """Ask for the password again before a sensitive action (exporting the CV library,
    merging people, managing accounts) when it was given more than RECENT_LOGIN_MINUTES
    ago in this session. A form sent then is not carried out: it is held (``web.held``),
    the person confirms their password, comes back to the page with the form filled in
    as they sent it, and sends it again."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if login_is_recent(g.get("login_session"), Lifetimes.from_config(current_app.config)):
            return view(*args, **kwargs)
        back = request.full_path.rstrip("?") if request.method == "GET" else local_referrer()
        if request.method == "POST":
            back = held.hold_sent_form(held.REAUTHENTICATION) or back
        if not is_safe_next(back):
            back = url_for(ROLE_HOME.get(current_user.role, "public.index"))
        flash("Pour cette action, confirmez d'abord votre mot de passe.", "info")
        return redirect(url_for("auth.confirm_password", next=back))

    wrapped.asks_password_again = True  # what a test of a whole blueprint's changes reads
    return wrapped


def guard_blueprint(blueprint: Blueprint, *roles: str, audit_action: str | None = None) -> None:
    """Every view of the blueprint is for these roles, unless the view says otherwise
    with @role_required (which then decides alone).

    With ``audit_action``, a logged-in user of another role is also written to the audit
    log before the 403 (pages holding personal data or other organisations' records).
    """
    BLUEPRINT_ROLES[blueprint.name] = frozenset(roles)

    @blueprint.before_request
    def _check_role():
        view = current_app.view_functions.get(request.endpoint or "")
        allowed = getattr(view, "_allowed_roles", None) or frozenset(roles)
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in allowed:
            if audit_action:
                refuse_and_audit(audit_action, status=403, details={"role": current_user.role})
            abort(403)
        return None


def token_authenticated(blueprint: Blueprint, authenticate: Callable[[], object]) -> None:
    """Requests to ``blueprint`` are authenticated by ``authenticate`` alone (an API token),
    never by the session cookie: it runs where the login is required, sets the request's
    user (``g._login_user``) or returns the refusal. The role guards apply as on the web."""
    TOKEN_BLUEPRINTS[blueprint.name] = authenticate


def refuse_and_audit(
    action: str,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    status: int = 404,
    details: dict | None = None,
):
    """Write an access refusal to the audit log (its own transaction), then abort.

    Whatever the request had changed is rolled back first: a refused request changes
    nothing but the log. 404 by default, so that others' records are not confirmed.
    """

    actor = current_user.id if current_user.is_authenticated else None
    db.session.rollback()
    audit(
        db.session,
        action,
        actor=actor,
        entity=entity,
        entity_id=entity_id,
        ip=request.remote_addr,
        details={"path": request.path, "method": request.method, **(details or {})},
    )
    # The rollback expired what the request had loaded (the user is read again once, by
    # the error page); the entry's commit adds nothing to read again.
    commit_keeping_loaded()
    abort(status)


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:  # unknown route: let it become a 404
        return True
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    return bool(getattr(app.view_functions.get(endpoint), "_public", False))


def route_roles(app: Flask, endpoint: str) -> str | frozenset[str] | None:
    """The owner rule an endpoint declares: ``PUBLIC``, the roles that reach it, or None
    when it declares nothing (then only a logged-in user passes, which is not a rule)."""
    if is_public_endpoint(app, endpoint):
        return PUBLIC
    view = app.view_functions.get(endpoint)
    roles = getattr(view, "_allowed_roles", None)
    if roles:
        return frozenset(roles)
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    return BLUEPRINT_ROLES.get(blueprint) if blueprint else None


def undeclared_endpoints(app: Flask) -> list[str]:
    """The endpoints of ``app`` that declare no owner rule (must be none)."""
    return sorted(
        {rule.endpoint for rule in app.url_map.iter_rules()}
        - {e for e in app.view_functions if route_roles(app, e) is not None}
    )


def wants_json() -> bool:
    return request.path.startswith("/api/")


def register_access(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.needs_refresh_message = "Reconnectez-vous pour continuer."
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            return jsonify({"erreur": "Authentification requise."}), 401

        back = request.full_path.rstrip("?")
        if request.method == "POST":
            # The session ended while a form was being filled in: what was typed is held
            # for the same account, and its page opens again filled in after the login.
            page = held.hold_sent_form(held.SESSION_ENDED)
            if page is not None:
                flash(held.LOGIN_NOTICE, "warning")
                return redirect(url_for("auth.login", next=page))
            # Not the address of an action (a GET of it after the login is a 405).
            back = held.page_of_sent_form()
        flash(login_manager.login_message, login_manager.login_message_category)
        login = url_for("auth.login", next=back)
        if len(login) > config.integer("MAX_URL_BYTES"):
            # The address, escaped once more, would make the login page's own too long
            # (a 414): log in first, then go back to the page from the menu.
            login = url_for("auth.login")
        return redirect(login)

    def _forget_cached_user():
        # Flask-Login caches the user on `g`, which lives as long as the app context, and
        # Flask-WTF the form token it signed. When a request reuses an outer app context
        # (tests, CLI), those caches would carry one request's user, or a token of a
        # session since cleared by a login, into the next: always read them anew.
        g.pop("_login_user", None)
        g.pop("login_session", None)
        g.pop("csrf_token", None)  # Flask-WTF keeps it under its field's name

    app.before_request_funcs.setdefault(None, []).insert(0, _forget_cached_user)

    @app.before_request
    def _require_login():
        authenticate = TOKEN_BLUEPRINTS.get(request.blueprint or "")
        if authenticate is not None:
            return authenticate()
        if is_public_endpoint(app, request.endpoint):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.before_request
    def _touch_login_session():
        # The last use of the session feeds its idle lifetime (written once a minute,
        # before the view runs, so that nothing of the view is committed with it).
        row = g.get("login_session")
        if row is not None and touch(row):
            db.session.commit()
        return None
