"""The partner's referral inbox: needs re-oriented to its organisation, and what it did.

A member sees only the referrals of their own organisation; anything else is a 404
(403 for another role), and written to the audit log.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from connectences import territory, vocab
from connectences.accounts.scope import may_open_referral
from connectences.extensions import db
from connectences.models import Need, Referral
from connectences.organisations import deactivated_since
from connectences.web.access import guard_blueprint, refuse_and_audit
from connectences.web.actions import commit_or_refuse
from connectences.web.navigation import add_nav
from connectences.web.paging import kept_pages, paginate
from connectences.workflows import (
    REFERRAL,
    TransitionError,
    inboxes,
)
from connectences.workflows import leads as flow

bp = Blueprint("referrals", __name__, url_prefix="/partenaire/reorientations")


guard_blueprint(bp, "partner", audit_action="referral_access_refused")
add_nav("partner", "Réorientations", "referrals.index")


def _own_referral(referral_id: int) -> Referral:
    referral = db.session.scalars(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            # Its partner (the notice when it is switched off) in the same statement.
            joinedload(Referral.partner),
            joinedload(Referral.need).joinedload(Need.company),
        )
    ).one_or_none()
    if not may_open_referral(current_user, referral):
        refuse_and_audit("referral_access_refused", entity="referral", entity_id=referral_id)
    return referral


# Each section of the inbox is paged on its own, as the operators' (``web.leads``): a
# partner receives thousands of referrals over the years.
INBOX_PER_PAGE = 10
INBOX_PAGE_PARAMS = {"new": "new_page", "open": "open_page", "closed": "closed_page"}


@bp.route("")
def index():
    sections = {}
    partner_id = current_user.partner_id
    if partner_id is not None:
        totals = inboxes.referral_totals(db.session, partner_id)
        sections = {
            name: paginate(
                inboxes.inbox_referrals(partner_id, name),
                INBOX_PER_PAGE,
                param,
                total=totals[name],
            )
            for name, param in INBOX_PAGE_PARAMS.items()
        }
    # The pager of one section keeps the page the others are at.
    page_params = kept_pages(sections, INBOX_PAGE_PARAMS)
    return render_template(
        "referrals/index.html",
        partner=current_user.partner,
        inactive_since=deactivated_since(db.session, current_user.partner),
        sections=sections,
        page_params=page_params,
        page_param_names=INBOX_PAGE_PARAMS,
        statuses=vocab.PARTNER_REFERRAL_STATUSES,
        commune_label=territory.commune_label,
    )


@bp.route("/<int:referral_id>")
def show(referral_id: int):
    referral = _own_referral(referral_id)
    if flow.receive(db.session, referral, actor=current_user):
        db.session.commit()
    return _render_show(referral)


def _render_show(referral: Referral, status: int = 200, *, sent=None, errors=None, typed=None):
    """The referral page; after a refused form (``sent``), its errors next to its fields
    and what was typed and chosen."""
    return render_template(
        "referrals/show.html",
        referral=referral,
        # Only its members reach the page: the referral's partner is theirs.
        partner=referral.partner,
        inactive_since=deactivated_since(db.session, referral.partner),
        need=referral.need,
        allowed=REFERRAL.allowed(referral.status),
        ending=flow.ending(db.session, referral),
        show_contact=flow.referral_taken_on(referral),
        statuses=vocab.PARTNER_REFERRAL_STATUSES,
        refusal_reasons=vocab.REFERRAL_REFUSAL_REASONS,
        vocab=vocab,
        commune_label=territory.commune_label,
        sent=sent,
        errors=errors or {},
        typed=typed or {},
    ), status


def _text(value: str | None) -> str:
    return (value or "").strip()  # its length is the workflow's to check


ACTIONS = {
    "prendre": (
        "Réorientation prise en charge.",
        lambda r, form: flow.take_charge(db.session, r, current_user),
    ),
    "clore": (
        "Réorientation close ; l'animateur voit l'issue sur le besoin.",
        lambda r, form: flow.close_referral(db.session, r, _text(form.get("issue")), current_user),
    ),
    "refuser": (
        "Réorientation refusée ; l'animateur est prévenu.",
        lambda r, form: flow.refuse_referral(
            db.session, r, form.get("motif", ""), _text(form.get("precision")), current_user
        ),
    ),
}


# The domain's names of each action form's fields.
ACTION_FIELDS = {
    "prendre": {},
    "clore": {"reason_text": "issue"},
    "refuser": {"reason_code": "motif", "reason_text": "precision"},
}


@bp.route("/<int:referral_id>/action", methods=["POST"])
def act(referral_id: int):
    referral = _own_referral(referral_id)
    name = request.form.get("action", "")
    action = ACTIONS.get(name)
    if action is None:
        flash("Action inconnue.", "error")
        return redirect(url_for(".show", referral_id=referral_id))
    done, call = action
    typed = {key: request.form.get(key, "") for key in ("motif", "precision", "issue")}
    return commit_or_refuse(
        lambda: call(referral, request.form),
        refusals=TransitionError,
        fields=ACTION_FIELDS[name],
        render=lambda errors: _render_show(
            _own_referral(referral_id), 422, sent=name, errors=errors, typed=typed
        ),
        back=url_for(".show", referral_id=referral_id),
        done=done,
    )
