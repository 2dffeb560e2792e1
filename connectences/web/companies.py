"""A company owner's area: their companies and the state of their needs."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import Commune, Need
from connectences.web.access import guard_blueprint

bp = Blueprint("companies", __name__, url_prefix="/entreprise")
guard_blueprint(bp, "company")

# What each need status means for the company, in its own words.
NEED_STATUS_FOR_COMPANY: dict[str, str] = {
    "nouveau": "Reçu : l'animateur va l'étudier avec vous",
    "qualifie": "Étudié : nous cherchons la meilleure solution",
    "en_recherche": "Recherche de candidats en cours",
    "propose": "Confié à une structure de temps partagé (groupement d'employeurs ou "
    "association de cadres), qui va vous contacter",
    "pourvu": "Pourvu",
    "reoriente": "Transmis à un partenaire de l'emploi (France Travail, Mission Locale...), "
    "qui va vous contacter",
    "abandonne": "Clos sans suite",
}


@bp.route("")
def index():
    companies = sorted(current_user.companies, key=lambda company: company.name)
    ids = [company.id for company in companies]
    needs_by_company: dict[int, list[Need]] = {company_id: [] for company_id in ids}
    if ids:
        for need in db.session.scalars(
            select(Need).where(Need.company_id.in_(ids)).order_by(Need.created_at.desc())
        ):
            needs_by_company[need.company_id].append(need)
    communes = {
        commune.insee: commune.name
        for commune in db.session.scalars(
            select(Commune).where(Commune.insee.in_({company.commune for company in companies}))
        )
    }
    return render_template(
        "companies/index.html",
        companies=companies,
        needs_by_company=needs_by_company,
        communes=communes,
        status_words=NEED_STATUS_FOR_COMPANY,
    )
