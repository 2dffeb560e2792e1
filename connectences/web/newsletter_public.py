"""Public newsletter pages: the archive of the issues sent, and the one-click
unsubscribe link (RFC 8058: its POST works without login or CSRF token)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from connectences.extensions import csrf, db
from connectences.models import NewsletterIssue
from connectences.newsletter import issues
from connectences.newsletter import unsubscribe as unsubscribing
from connectences.web.access import public
from connectences.web.paging import paginate
from connectences.web.signed_pages import signed_link_page

bp = Blueprint("newsletter_public", __name__, url_prefix="/lettres")

ARCHIVE_PER_PAGE = 30


@bp.route("")
@public
def archive():
    pagination = paginate(issues.archive(), ARCHIVE_PER_PAGE)
    return render_template(
        "newsletter/archive.html", issues=pagination.items, pagination=pagination
    )


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
        blocks=issues.blocks_of(db.session, issue),
    )


@bp.route("/desinscription/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token: str):
    """The button, then that it is done. The POST is also the one-click unsubscribe of
    mail clients (body ``List-Unsubscribe=One-Click``, RFC 8058): no login, no CSRF
    token, the signed link is the proof."""
    return signed_link_page(
        token,
        endpoint="newsletter_public.unsubscribe",
        read=unsubscribing.company_for,
        act=lambda session, token: unsubscribing.unsubscribe(
            session, token, ip=request.remote_addr
        ),
        show=lambda company: render_template(
            "newsletter/unsubscribe.html",
            company=company,
            token=token,
            done=not company.newsletter_consent,
        ),
    )
