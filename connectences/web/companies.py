"""A company owner's area (logged in): their companies and, in plain words, where each of
their needs stands (the words live in ``connectences.needs.status_words``, shared with the
space opened by a signed link in ``web/need_public.py``)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from connectences.accounts.scope import may_open_company
from connectences.clock import local_today
from connectences.content.resources import OWNER_SUGGESTIONS, suggestions_for
from connectences.extensions import db
from connectences.models import Commune
from connectences.needs import register
from connectences.needs.status_words import owner_holders, owner_stops
from connectences.web.access import guard_blueprint
from connectences.web.need_public import company_sections
from connectences.web.owner_details import details_page
from connectences.web.owner_edit import edit_page, owner_row
from connectences.web.owner_preferences import preferences_page
from connectences.web.owner_stop import stop_page

bp = Blueprint("companies", __name__, url_prefix="/entreprise")
guard_blueprint(bp, "company")


@bp.route("")
def index():
    companies = sorted(_own_companies(), key=lambda company: (company.sort_name, company.id))
    ids = [company.id for company in companies]
    needs_by_company: dict[int, list[dict]] = {company_id: [] for company_id in ids}
    needs = register.needs_of_companies(db.session, ids, current_user.id)
    stops, holders = owner_stops(db.session, needs), owner_holders(db.session, needs)
    for need in needs:
        row = owner_row(db.session, need, stops, holders)
        needs_by_company[need.company_id].append(row)
    communes = {
        commune.insee: commune.name
        for commune in db.session.scalars(
            select(Commune).where(Commune.insee.in_({company.commune for company in companies}))
        )
    }
    elsewhere = register.needs_sent_elsewhere(db.session, ids, current_user)
    today = local_today()
    return render_template(
        "companies/index.html",
        companies=companies,
        # The public resources that fit each company (the animateur's suggestions, fewer).
        suggested={
            company.id: suggestions_for(db.session, company, today=today, limit=OWNER_SUGGESTIONS)
            for company in companies
        },
        needs_by_company=needs_by_company,
        communes=communes,
        # Sent from this account for a company it is not attached to: apart, as the
        # space of its address shows them (the company named only when they speak for it).
        elsewhere=company_sections(elsewhere) if elsewhere else [],
    )


def _own_companies():
    return [c for c in current_user.companies if may_open_company(current_user, c)]


def _company_name(need) -> str:
    """The company of one of the area's needs as its pages name it: by its name when it
    is one of the account's companies, else as the space of its address would (a need
    sent from this account for a company it is not attached to)."""
    if any(company.id == need.company_id for company in _own_companies()):
        return need.company.name
    return register.followed_company_name(need)


def _own_need(ref: str):
    """One of the needs the owner's area shows (``register.account_need``), or 404."""
    ids = [company.id for company in _own_companies()]
    need = register.account_need(db.session, ids, current_user, ref)
    if need is None:
        abort(404)
    return need


@bp.route("/besoins/<ref>/arreter", methods=["GET", "POST"])
def stop(ref: str):
    """The owner stops one of their companies' needs (``owner_stop``)."""
    need = _own_need(ref)
    return stop_page(
        need,
        email=current_user.email,
        actor=current_user._get_current_object(),
        action=url_for("companies.stop", ref=ref),
        back=url_for("companies.index"),
        edit=url_for("companies.edit", ref=ref),
        company_name=_company_name(need),
    )


@bp.route("/besoins/<ref>/modifier", methods=["GET", "POST"])
def edit(ref: str):
    """The owner corrects one of their companies' needs, or writes to the animateur about
    it once an operator or a partner has it (``owner_edit``)."""
    need = _own_need(ref)
    return edit_page(
        need,
        email=current_user.email,
        actor=current_user._get_current_object(),
        action=url_for("companies.edit", ref=ref),
        back=url_for("companies.index"),
        company_name=_company_name(need),
    )


def _own_company(ref: str):
    """One of the owner's companies (``_own_companies``), or 404."""
    company = next((c for c in _own_companies() if c.ref == ref), None)
    if company is None:
        abort(404)
    return company


@bp.route("/preferences/<ref>", methods=["GET", "POST"])
def preferences(ref: str):
    """The owner says how often one of their companies accepts to be contacted
    (``owner_preferences``): recorded as said by the company, with their account."""
    company = _own_company(ref)
    return preferences_page(
        company,
        email=current_user.email,
        actor=current_user._get_current_object(),
        action=url_for("companies.preferences", ref=ref),
        back=url_for("companies.index"),
    )


@bp.route("/coordonnees/<ref>", methods=["GET", "POST"])
def details(ref: str):
    """The owner corrects one of their companies' details (``owner_details``): recorded
    as changed by its owner, with their account."""
    company = _own_company(ref)
    return details_page(
        company,
        email=current_user.email,
        actor=current_user._get_current_object(),
        action=url_for("companies.details", ref=ref),
        back=url_for("companies.index"),
    )
