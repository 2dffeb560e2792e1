"""Administration home: accounts (invite, disable) and the state of the mail outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from connectences import accounts
from connectences.extensions import db
from connectences.models import OutboxMessage, User
from connectences.vocab import ROLES
from connectences.web.access import guard_blueprint
from connectences.web.forms import InviteForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, "admin")

# Outbox status of a message the sender gave up on (see connectences.mail).
FAILED_MAIL_STATUS = "failed"


def _render_index(form: InviteForm, status: int = 200):
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    mail_counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "admin/index.html",
        users=users,
        roles=ROLES,
        form=form,
        failed_mail=mail_counts.get(FAILED_MAIL_STATUS, 0),
        pending_mail=mail_counts.get("pending", 0),
    ), status


@bp.route("")
def index():
    return _render_index(InviteForm())


def invitation_message(email: str, link: str, ttl_hours: int) -> OutboxMessage:
    """The invitation mail, queued in the outbox in the same transaction as the invitation."""
    body = (
        "Bonjour,\n\n"
        "Un compte a été créé pour vous sur Connect'ences, la plateforme des besoins en "
        "compétences à temps partagé du Pays Bassin d'Arcachon–Val de l'Eyre.\n\n"
        f"Pour choisir votre mot de passe, ouvrez ce lien (valable {ttl_hours} heures, "
        f"utilisable une seule fois) :\n{link}\n\n"
        "Si vous n'attendiez pas ce message, ignorez-le.\n"
    )
    return OutboxMessage(to=email, subject="Votre invitation sur Connect'ences", body_text=body)


@bp.route("/invitations", methods=["POST"])
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        flash("L'invitation n'a pas été envoyée : corrigez le formulaire.", "error")
        return _render_index(form, 400)
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
        ttl = int(current_app.config.get("INVITATION_TTL_HOURS", 72))
        db.session.add(invitation_message(email, link, ttl))
        db.session.commit()
    except accounts.AccountError as refusal:
        db.session.rollback()
        flash(f"L'invitation n'a pas été envoyée : {refusal.message}", "error")
        return _render_index(form, 400)
    flash(
        f"Invitation envoyée à {email}. Si le courriel n'arrive pas, transmettez ce lien "
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
