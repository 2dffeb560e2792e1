"""The navigation of each role, in one place. Later areas add their entries
with ``add_nav(role, label, endpoint)``; entries whose endpoint does not exist
(yet) are left out rather than breaking the page."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from werkzeug.routing import BuildError

from connectences.vocab import ROLES
from connectences.web.links import fixed_url

PUBLIC_NAV: list[tuple[str, str]] = [
    ("Accueil", "public.index"),
    ("Événements", "events.index"),
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
            url = fixed_url(endpoint)
        except BuildError:
            continue
        items.append(
            {
                "label": label,
                "url": url,
                "endpoint": endpoint,
                "current": request.endpoint == endpoint,
            }
        )
    return items


# Pages every visitor can reach, as the site map and the footer list them.
PUBLIC_PAGES: list[tuple[str, str]] = [
    ("Accueil", "public.index"),
    ("Événements", "events.index"),
    ("Lettres d'information", "newsletter_public.archive"),
    ("Exprimer un besoin en compétences", "need_public.form"),
    ("Recevoir le lien de suivi de mes besoins", "need_public.renew"),
    ("Déposer mon CV", "cv_public.submit"),
    ("Recevoir le lien de mon espace CV", "cv_public.request_link"),
    ("Se connecter", "auth.login"),
    ("Comment fonctionne la mise en relation", "public.matching"),
    ("Contact", "public.contact"),
]
LEGAL_PAGES: list[tuple[str, str]] = [
    ("Mentions légales", "public.legal"),
    ("Accessibilité : partiellement conforme", "public.accessibility"),
    ("Données personnelles", "public.privacy"),
    ("Plan du site", "public.sitemap"),
]


def site_map() -> list[dict]:
    """The site map's sections: public pages, the visitor's own space, legal pages."""
    sections = [{"title": "Pages publiques", "items": _items(PUBLIC_PAGES)}]
    if current_user.is_authenticated:
        sections.append(
            {
                "title": "Mon espace",
                "items": _items(
                    ROLE_NAV.get(current_user.role, []) + [("Mot de passe", "auth.change_password")]
                ),
            }
        )
    sections.append({"title": "Informations", "items": _items(LEGAL_PAGES)})
    return sections


# Entries that share a menu (by endpoint, not by wording): the animateur's and admin's
# dozen entries fit on one row at 1,280 px as a few groups.
NAV_GROUPS: dict[str, str] = {
    "needs.index": "Besoins",
    "bundles.index": "Besoins",
    "visits.new": "Prospection",
    "visits.follow_ups": "Prospection",
    "visits.index": "Prospection",
    "offline.prepare": "Prospection",
    "offline.round_page": "Prospection",
    "library.index": "CVthèque",
    "library_admin.import_form": "CVthèque",
    "library_admin.duplicates": "CVthèque",
    "observatory.choose": "Observatoire",
    "diagnosis.observatory": "Observatoire",
    # What the platform tells companies (#15), in one menu.
    "events_staff.index": "Communication",
    "newsletter.index": "Communication",
    "content_staff.resources": "Communication",
    "content_staff.testimonials": "Communication",
    "content_staff.directory_pending": "Communication",
}


def _grouped(entries: list[tuple[str, str]]) -> list[dict]:
    """Menu items, those of a group gathered at the place of its first entry."""
    items: list[dict] = []
    groups: dict[str, dict] = {}
    for item in _items(entries):
        group = NAV_GROUPS.get(item["endpoint"])
        if group is None:
            items.append(item)
            continue
        if group not in groups:
            groups[group] = {"label": group, "children": [], "current": False}
            items.append(groups[group])
        groups[group]["children"].append(item)
        groups[group]["current"] |= item["current"]
    # A group of one is just its entry.
    return [i["children"][0] if len(i.get("children", ())) == 1 else i for i in items]


def register_navigation(app: Flask) -> None:
    @app.context_processor
    def _navigation():
        if current_user.is_authenticated:
            entries = ROLE_NAV.get(current_user.role, [])
            role_label = ROLES.get(current_user.role, current_user.role)
        else:
            entries = PUBLIC_NAV
            role_label = None
        return {"nav_items": _grouped(entries), "role_label": role_label}
