"""The navigation of each role, in one place. Later areas add their entries
with ``add_nav(role, label, endpoint)``; entries whose endpoint does not exist
(yet) are left out rather than breaking the page."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from connectences.vocab import ROLES

PUBLIC_NAV: list[tuple[str, str]] = [
    ("Accueil", "public.index"),
    ("Comment fonctionne la mise en relation", "public.matching"),
    ("Données personnelles", "public.privacy"),
]

ROLE_NAV: dict[str, list[tuple[str, str]]] = {
    "admin": [("Tableau de bord", "admin.index")],
    "animateur": [("Tableau de bord", "staff.index")],
    "operator": [("Accueil", "operators.index")],
    "partner": [("Accueil", "partners.index")],
    "company": [("Mes entreprises et besoins", "companies.index")],
    "candidate": [("Mon profil", "candidates.index")],
    "territoire": [("Observatoire", "observatory.index")],
}
assert set(ROLE_NAV) == set(ROLES)  # noqa: S101 — import-time consistency check of constant tables, not input validation


def add_nav(role: str, label: str, endpoint: str) -> None:
    """Add an entry to a role's navigation (once)."""
    entries = ROLE_NAV.setdefault(role, [])
    if (label, endpoint) not in entries:
        entries.append((label, endpoint))


def _items(entries: list[tuple[str, str]]) -> list[dict]:
    items = []
    for label, endpoint in entries:
        try:
            url = url_for(endpoint)
        except BuildError:
            continue
        items.append({"label": label, "url": url, "current": request.endpoint == endpoint})
    return items


def register_navigation(app: Flask) -> None:
    @app.context_processor
    def _navigation():
        if current_user.is_authenticated:
            entries = ROLE_NAV.get(current_user.role, []) + [
                ("Mot de passe", "auth.change_password")
            ]
            role_label = ROLES.get(current_user.role, current_user.role)
        else:
            entries = PUBLIC_NAV
            role_label = None
        return {"nav_items": _items(entries), "role_label": role_label}
