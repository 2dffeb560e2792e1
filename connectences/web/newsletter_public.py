"""Public newsletter pages: the archive of the issues sent, and the one-click
unsubscribe link (RFC 8058: its POST works without login or CSRF token)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from connectences.extensions import csrf, db
from connectences.models import NewsletterIssue
from connectences.newsletter import issues
from connectences.newsletter import unsubscribe as unsubscribing
from connectences.signed import LinkError
from connectences.web.access import public

bp = Blueprint("newsletter_public", __name__, url_prefix="/lettres")


@bp.route("")
@public
def archive():
    return render_template("newsletter/archive.html", issues=issues.archive(db.session))


@bp.route("/<int:issue_id>")
@public
def show(issue_id: int):
    issue = db.session.get(NewsletterIssue, issue_id)
    if issue is None or issue.sent_at is None:
        abort(404)
    return render_template(
        "newsletter/show.html",
        issue=issue,
        introduction=issues.paragraphs(issue.introduction),
        blocks=issue.snapshot or [],
    )


@bp.route("/desinscription/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token: str):
    """GET shows a button (mail scanners open links), or that it is done; POST
    unsubscribes, from that button or from the mail client's one-click POST (body
    ``List-Unsubscribe=One-Click``), then comes back here."""
    try:
        if request.method == "POST":
            unsubscribing.unsubscribe(db.session, token, ip=request.remote_addr)
            db.session.commit()
            return redirect(url_for("newsletter_public.unsubscribe", token=token), code=303)
        company = unsubscribing.company_for(db.session, token)
    except LinkError as refusal:
        db.session.rollback()
        return render_template("events/link_invalid.html", message=refusal.message), 400
    return render_template(
        "newsletter/unsubscribe.html",
        company=company,
        token=token,
        done=not company.newsletter_consent,
    )
