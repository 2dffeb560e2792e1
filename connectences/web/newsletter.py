"""The team's newsletter pages: the issues, composing one, its previews (page, mail,
text), a test sent to oneself, and sending it. Rules live in ``connectences.newsletter``."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connectences.extensions import db
from connectences.models import NewsletterIssue
from connectences.newsletter import issues
from connectences.newsletter.blocks import BLOCKS
from connectences.web.access import guard_blueprint
from connectences.web.actions import commit_or_refuse
from connectences.web.navigation import add_nav
from connectences.web.paging import paginate

bp = Blueprint("newsletter", __name__, url_prefix="/animateur/lettre")
guard_blueprint(bp, "animateur", "admin")
for _role in ("animateur", "admin"):
    add_nav(_role, "Lettre d'information", "newsletter.index")

ISSUES_PER_PAGE = 30
SKIPPED_PER_PAGE = 50


def _issue_or_404(issue_id: int) -> NewsletterIssue:
    return db.session.get(NewsletterIssue, issue_id) or abort(404)


def _form_data() -> dict:
    data = request.form.to_dict()
    data["blocks"] = request.form.getlist("blocks")
    return data


def _render(issue=None, *, data=None, errors=None, status=200):
    if data is None:
        data = (
            {"subject": issue.subject, "introduction": issue.introduction, "blocks": issue.blocks}
            if issue
            else {"blocks": list(BLOCKS)}
        )
    preview = None
    if issue is not None:
        preview = {
            "introduction": issues.paragraphs(issue.introduction),
            "blocks": issues.blocks_of(db.session, issue),
        }
    sent = issue is not None and issue.sent_at is not None
    skipped = paginate(issues.not_sent(issue), SKIPPED_PER_PAGE) if sent else None
    return (
        render_template(
            "newsletter/edit.html",
            issue=issue,
            data=data,
            errors=errors or {},
            sources=BLOCKS,
            preview=preview,
            recipients=issues.recipient_count(db.session) if issue and not sent else 0,
            progress=issues.progress(db.session, issue) if sent else None,
            skipped=skipped,
        ),
        status,
    )


@bp.route("")
def index():
    pagination = paginate(issues.all_issues(), ISSUES_PER_PAGE)
    return render_template("newsletter/index.html", issues=pagination.items, pagination=pagination)


@bp.route("/nouvelle", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _render()
    data = _form_data()
    try:
        issue = issues.create_issue(db.session, data, by=current_user)
    except issues.IssueError as refusal:
        db.session.rollback()
        return _render(data=data, errors=refusal.errors, status=422)
    db.session.commit()
    flash("Brouillon enregistré. Relisez l'aperçu avant d'envoyer.", "success")
    return redirect(url_for("newsletter.edit", issue_id=issue.id))


@bp.route("/<int:issue_id>", methods=["GET", "POST"])
def edit(issue_id: int):
    issue = _issue_or_404(issue_id)
    if request.method == "GET":
        return _render(issue)
    data = _form_data()
    return commit_or_refuse(
        lambda: issues.update_issue(db.session, issue, data, by=current_user),
        refusals=issues.IssueError,
        back=url_for("newsletter.edit", issue_id=issue_id),
        done="Brouillon enregistré.",
        render=lambda errors: _render(
            _issue_or_404(issue_id), data=data, errors=errors, status=422
        ),
    )


@bp.route("/<int:issue_id>/apercu.<fmt>")
def mail_preview(issue_id: int, fmt: str):
    """The mail exactly as a company receives it (HTML or text), without its own link."""
    issue = _issue_or_404(issue_id)
    text, html = issues.render_mail(db.session, issue, unsubscribe_url=None)
    if fmt == "html":
        return Response(html, mimetype="text/html")
    if fmt == "txt":
        return Response(text, mimetype="text/plain")
    abort(404)


@bp.route("/<int:issue_id>/essai", methods=["POST"])
def test(issue_id: int):
    issue = _issue_or_404(issue_id)
    issues.send_test(db.session, issue, to=current_user)
    db.session.commit()
    flash(f"Un essai part à votre adresse ({current_user.email}).", "success")
    return redirect(url_for("newsletter.edit", issue_id=issue_id))


@bp.route("/<int:issue_id>/envoyer", methods=["POST"])
def send(issue_id: int):
    """Ask for the issue to be sent: the scheduler's job sends it by batches, the page
    shows how far it went."""
    issue = _issue_or_404(issue_id)
    if request.form.get("confirmer") != "1":
        return _render(issue, errors={"confirmer": "Cochez la case pour confirmer l'envoi."},
                       status=422)  # fmt: skip
    try:
        issues.queue_issue(db.session, issue, by=current_user)
    except issues.IssueError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(url_for("newsletter.edit", issue_id=issue_id))
    db.session.commit()
    flash(
        "Envoi en cours : la lettre part par lots dans les minutes qui viennent. "
        "Cette page montre où il en est.",
        "success",
    )
    return redirect(url_for("newsletter.edit", issue_id=issue_id))
