"""The page where a company owner stops a need they no longer have: the same for the
space opened by a signed link (``need_public``) and for the logged-in area
(``companies``); the rule is ``needs.moves.stop_by_owner``."""

from __future__ import annotations

from flask import flash, render_template, request

from connectences.extensions import db
from connectences.models import Need
from connectences.needs.moves import OWNER_STOP_REASONS, owner_may_stop, stop_by_owner
from connectences.web.forms import back_after_success, errors_for
from connectences.web.needs import ABANDON_FIELDS
from connectences.workflows import TransitionError


def stop_page(
    need: Need,
    *,
    email: str,
    actor,
    action: str,
    back: str,
    edit: str,
    company_name: str,
    expired: str | None = None,
):
    """GET: the confirmation form; POST: the stop, then back to ``back`` (the owner's
    list of needs) with a word; a refusal shows the form again, filled in, and changes
    nothing. ``action``: this page's address; ``edit``: the need's correction page.
    ``expired``: why the form sent was refused before this view (its security token,
    ``errors.CSRF_RETRY``): shown again as sent, and nothing done. ``company_name``: the
    company as the page may name it to this owner (``register.followed_company_name``)."""
    typed = {"motif": "", "precision": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        typed = {
            "motif": request.form.get("motif", ""),
            "precision": request.form.get("precision", ""),
        }
    if expired is not None:
        errors = {"_": expired}
    elif request.method == "POST" and owner_may_stop(need):
        try:
            stop_by_owner(
                db.session,
                need,
                email=email,
                actor=actor,
                reason_code=typed["motif"] or None,
                reason_text=typed["precision"],
            )
        except TransitionError as refusal:
            db.session.rollback()
            errors = errors_for(refusal, ABANDON_FIELDS)
        else:
            db.session.commit()
            flash(
                f"Le besoin « {need.title} » est arrêté. L'animateur de la plateforme en est "
                "informé, comme les structures à qui il avait été confié.",
                "success",
            )
            return back_after_success(back)
    page = render_template(
        "needs/owner_stop.html",
        need=need,
        company_name=company_name,
        reasons=OWNER_STOP_REASONS,
        closed=not owner_may_stop(need),
        typed=typed,
        errors=errors,
        action=action,
        back=back,
        edit=edit,
    )
    status = 400 if expired is not None else 422 if errors else 200
    return page, status, {"Cache-Control": "no-store"}
