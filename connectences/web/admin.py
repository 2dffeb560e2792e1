"""Administration home: accounts (invite, disable, re-enable) and the state of the mail
outbox."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from connectences import accounts
from connectences.accounts import audit
from connectences.extensions import db
from connectences.mail import failed_messages, outbox_counts
from connectences.mail.sender import requeue_failed
from connectences.models import User
from connectences.territory import PAYS_EPCIS
from connectences.typography import plural
from connectences.vocab import ROLES
from connectences.web.access import guard_blueprint
from connectences.web.forms import InviteForm, attach_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, "admin")

# Failed messages listed on the page (the count shows them all).
FAILED_SHOWN = 50


def _render_index(form: InviteForm, status: int = 200, error: str | None = None):
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    counts = outbox_counts(db.session)
    return render_template(
        "admin/index.html",
        users=users,
        roles=ROLES,
        epcis=PAYS_EPCIS,
        form=form,
        error=error,
        failed_mail=counts.get("failed", 0),
        pending_mail=counts.get("pending", 0),
        failures=failed_messages(db.session, limit=FAILED_SHOWN),
    ), status


@bp.route("")
def index():
    return _render_index(InviteForm())


@bp.route("/courriels/relancer", methods=["POST"])
def requeue_mail():
    """Put failed messages back in the queue once the relay is fixed (all, or one)."""
    raw = request.form.getlist("message")
    try:
        ids = [int(value) for value in raw]
    except ValueError:
        abort(400)
    if not ids:
        ids = [message.id for message in failed_messages(db.session, limit=10_000)]
    count = requeue_failed(db.session, ids)
    audit(
        db.session,
        "mail_requeued",
        actor=current_user._get_current_object(),
        details={"count": count},
    )
    db.session.commit()
    if count:
        flash(f"{plural(count, 'e-mail remis')} en file d'envoi.", "success")
    else:
        flash("Aucun e-mail en échec à relancer.", "info")
    return redirect(url_for("admin.index") + "#titre-courriels")


@bp.route("/invitations", methods=["POST"])
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_index(form, 422)
    try:
        token = accounts.invite(
            db.session,
            form.email.data,
            form.role.data,
            form.org_ref.data or None,
            current_user._get_current_object(),
        )
        email = accounts.normalise_email(form.email.data)
        link = accounts.invitation_link(token)
        ttl = int(current_app.config["INVITATION_TTL_HOURS"])
        accounts.queue_invitation_mail(db.session, email, token)
        db.session.commit()
    except accounts.AccountError as refusal:
        db.session.rollback()
        return _render_index(form, 422, error=attach_errors(form, refusal))
    flash(
        f"Invitation envoyée à {email}. Si l'e-mail n'arrive pas, transmettez ce lien "
        f"(valable {ttl} heures, à usage unique) : {link}",
        "success",
    )
    return redirect(url_for("admin.index"))


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
def disable_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        accounts.disable(db.session, user.email, actor=current_user._get_current_object())
        db.session.commit()
    except accounts.AccountError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        flash(f"Le compte {user.email} est désactivé.", "success")
    return redirect(url_for("admin.index"))


@bp.route("/utilisateurs/<int:user_id>/reactiver", methods=["POST"])
def enable_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    accounts.enable(db.session, user.email, actor=current_user._get_current_object())
    db.session.commit()
    flash(f"Le compte {user.email} est réactivé.", "success")
    return redirect(url_for("admin.index"))
