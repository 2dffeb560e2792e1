"""The web layer: one blueprint per area, registered here.

- ``access``: login required by default, ``@public`` allow-list, ``@role_required``
- ``security``: security headers on every response, safe redirects, proxy
- ``errors``: French error pages; ``navigation``: menu entries per role
- ``just_sent``: what a public form has just sent, for its next pages only
- ``held``: a logged-in person's form kept when their session ended, and the keep-alive
- ``compiled_templates``: templates compiled once per process, whatever its apps
"""

from __future__ import annotations

from importlib import import_module

from flask import Flask, current_app, g, session

from connectences.accounts.sessions import Lifetimes, account_binding, live_session
from connectences.extensions import db, login_manager
from connectences.models import User
from connectences.web import api_v1, compiled_templates, widgets
from connectences.web.access import register_access
from connectences.web.audit_addresses import register_audit_addresses
from connectences.web.errors import register_errors
from connectences.web.formats import register_formats
from connectences.web.held import register_held
from connectences.web.ids import register_ids
from connectences.web.just_sent import register_just_sent
from connectences.web.links import register_links
from connectences.web.navigation import register_navigation
from connectences.web.refs import register_refs
from connectences.web.security import ACCOUNT_KEY, SESSION_KEY, register_security
from connectences.web.transactions import register_transactions

BLUEPRINTS = (
    "connectences.web.public",
    "connectences.web.auth",
    "connectences.web.admin",
    "connectences.web.staff",
    "connectences.web.needs",
    "connectences.web.directory",
    "connectences.web.visits",
    "connectences.web.offline",
    "connectences.web.webapp",
    "connectences.web.bundles",
    # Leads and referrals first: their menu entries come before the organisations' own
    # "Qui fait quoi" entry in the operator's and partner's menus.
    "connectences.web.leads",
    "connectences.web.referrals",
    "connectences.web.operators",
    "connectences.web.partners",
    "connectences.web.companies",
    "connectences.web.need_public",
    "connectences.web.candidates",
    "connectences.web.cv_public",
    "connectences.web.library_admin",
    "connectences.web.library",
    "connectences.web.observatory",
    "connectences.web.diagnosis",
    "connectences.web.diagnosis_public",
    "connectences.web.content",
    "connectences.web.content_staff",
    "connectences.web.events",
    "connectences.web.events_staff",
    "connectences.web.newsletter",
    "connectences.web.newsletter_public",
)


def register_web(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            uid, version = (int(part) for part in user_id.split(":", 1))
        except ValueError:
            return None
        # The server-side session must still be alive: not logged out, not idle for too
        # long, not too old (a copied cookie replayed after logout is anonymous). It is
        # read with its account, in one statement.
        found = live_session(
            db.session,
            session.get(SESSION_KEY),
            uid,
            Lifetimes.from_config(current_app.config),
        )
        if found is None:
            return None
        row, user = found
        if user.session_version != version or not user.active:
            return None
        # The session must have been opened for this very account, not for a deleted
        # one whose id was handed out again.
        if session.get(ACCOUNT_KEY) != account_binding(user):
            return None
        g.login_session = row
        return user

    # First: the routes below take the app's converters as they are added.
    register_ids(app)
    register_refs(app)
    widgets.install()
    compiled_templates.install(app.jinja_env)
    register_security(app)
    register_audit_addresses()
    register_access(app)
    register_errors(app)
    register_formats(app)
    register_held(app)
    register_navigation(app)
    register_links(app)
    register_transactions(app)
    register_just_sent(app)
    for module_name in BLUEPRINTS:
        app.register_blueprint(import_module(module_name).bp)
    # The JSON API registers through flask-smorest, which documents it as it does.
    api_v1.register(app)
