"""The GPECT diagnosis questionnaire for a company owner, opened by the signed link an
animateur mailed (``web/diagnosis.py``): no account, no password.

The rules live in ``connectences.prospection.diagnosis``; these views parse, call and
render.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from connectences import accounts
from connectences.extensions import db
from connectences.prospection import diagnosis as questionnaire
from connectences.web.access import public

bp = Blueprint("diagnosis_public", __name__)


def _secret() -> str:
    return current_app.secret_key


def render_form(
    diagnosis, company, *, action, values, errors=None, staff, visit=None, job_choices=None,
    refusal=None,
):  # fmt: skip
    """The questionnaire; ``job_choices`` the jobs offered under a job field whose word
    names several (``questionnaire.JobChoice``). ``refusal``: the guard refuses it to
    the staff (``web.diagnosis``), its page says so in place of the form."""
    return render_template(
        "diagnosis/form.html",
        q=questionnaire,
        diagnosis=diagnosis,
        company=company,
        visit=visit,
        action=action,
        values=values,
        errors=errors or {},
        skill_choices=questionnaire.skill_choices(),
        job_choices=job_choices or {},
        staff=staff,
        refusal=refusal,
    )


def checked_answer(diagnosis, company, *, action, staff, visit=None):
    """``(answer, None)`` for the form sent, or ``(None, page)``: the form again with a
    French message next to each field to correct, nothing written."""
    try:
        return questionnaire.check_answer(request.form), None
    except questionnaire.DiagnosisError as error:
        db.session.rollback()
        values = questionnaire.form_values(None, request.form)
        page = render_form(
            diagnosis, company, action=action, values=values, errors=error.errors, staff=staff,
            visit=visit, job_choices=error.choices,
        )  # fmt: skip
        return None, page


# --- the owner, from the mailed link ---------------------------------------------------


def _refuse_link(error: questionnaire.LinkError):
    db.session.rollback()
    accounts.audit(
        db.session,
        "diagnosis_link_refused",
        ip=request.remote_addr,
        details={"expired": error.expired, "path": request.path[:200]},
    )
    db.session.commit()
    return render_template("diagnosis/link_refused.html", message=error.message), 403


@bp.route("/entreprise/diagnostic/<token>", methods=["GET", "POST"])
@public
def answer(token: str):
    try:
        diagnosis = questionnaire.diagnosis_of_link(db.session, _secret(), token)
    except questionnaire.LinkError as error:
        return _refuse_link(error)
    action = url_for("diagnosis_public.answer", token=token)
    # The link is the key: out of caches; out of other sites' Referer by the app-wide
    # same-origin policy (web.security), which lets the form pass CSRF over HTTPS.
    headers = {"Cache-Control": "no-store"}
    if request.method == "GET":
        values = questionnaire.form_values(diagnosis)
        page = render_form(diagnosis, diagnosis.company, action=action, values=values, staff=False)
        return page, 200, headers
    answer, page = checked_answer(diagnosis, diagnosis.company, action=action, staff=False)
    if answer is None:
        return page, 422, headers
    questionnaire.record_answer(db.session, diagnosis, answer)
    db.session.commit()
    return redirect(url_for("diagnosis_public.thanks"))


@bp.route("/entreprise/diagnostic/merci")
@public
def thanks():
    return render_template("diagnosis/thanks.html")
