"""Login, logout, invitation acceptance and password change."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from connectences import accounts
from connectences.accounts import link_requests, throttle
from connectences.accounts import sessions as login_sessions
from connectences.accounts.sessions import account_binding
from connectences.extensions import db
from connectences.web import held
from connectences.web.access import ROLE_HOME, public, signed_in
from connectences.web.forms import (
    ChangePasswordForm,
    ConfirmPasswordForm,
    LoginForm,
    ResetRequestForm,
    SetPasswordForm,
    attach_errors,
)
from connectences.web.security import ACCOUNT_KEY, SESSION_KEY, is_safe_next

bp = Blueprint("auth", __name__)


def home_url(user) -> str:
    return url_for(ROLE_HOME.get(user.role, "public.index"))


def _start_session(user) -> None:
    # A fresh session at login: nothing planted before authentication survives, and the
    # server-side session it replaces (if any) is ended.
    login_sessions.end_session(db.session, session.get(SESSION_KEY))
    token = login_sessions.open_session(db.session, user)
    db.session.commit()
    held_key = session.get(held.HELD_KEY)
    session.clear()
    login_user(user)
    session[ACCOUNT_KEY] = account_binding(user)
    session[SESSION_KEY] = token
    # A form held when the last session ended stays for this account only.
    held.carry_over(held_key, user)


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    next_url = request.args.get("next")
    next_url = next_url if is_safe_next(next_url) else None
    form = LoginForm()
    error = None
    forgot = False
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                db.session, form.email.data, form.password.data, request.remote_addr
            )
        except accounts.AccountLocked as refusal:
            # The reset link logs its owner in whatever the lock: their way in meanwhile.
            error, status, forgot = refusal.message, 429, "locked"
        except accounts.LoginRefused as refusal:
            error, forgot = refusal.message, refusal.forgot
        else:
            _start_session(user)
            flash("Vous êtes connecté.", "success")
            return redirect(next_url or home_url(user))
    elif request.method == "POST":
        status = 400
    return render_template(
        "auth/login.html", form=form, error=error, forgot=forgot, next_url=next_url
    ), status


@bp.route("/deconnexion", methods=["POST"])
@signed_in
def logout():
    accounts.audit(db.session, "logout", actor=current_user.id, ip=request.remote_addr)
    login_sessions.end_session(db.session, session.get(SESSION_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("public.index"))


@bp.route("/api/session/prolonger", methods=["POST"])
@signed_in
def keep_alive():
    """Called by a page while a form is being typed in (``static/js/form-keep.js``): the
    request itself counts as a use of the session (``access._touch_login_session``).
    Under ``/api/``, an ended session answers 401 in JSON."""
    return "", 204


@bp.route("/confirmer-mot-de-passe", methods=["GET", "POST"])
@signed_in
def confirm_password():
    """The password asked again before a sensitive action (see ``recent_login_required``)."""
    next_url = request.args.get("next")
    next_url = next_url if is_safe_next(next_url) else home_url(current_user)
    form = ConfirmPasswordForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            accounts.reauthenticate(
                db.session,
                current_user._get_current_object(),
                form.password.data,
                request.remote_addr,
            )
        except accounts.AccountLocked as refusal:
            error, status = refusal.message, 429
        except accounts.LoginRefused as refusal:
            # The one field is the password: the refusal goes next to it.
            form.password.errors = [refusal.message]
            status = 400
        else:
            login_sessions.confirm_password_given(g.login_session)
            db.session.commit()
            flash("Mot de passe confirmé : vous pouvez reprendre votre action.", "success")
            return redirect(next_url)
    elif request.method == "POST":
        status = 400
    minutes = int(current_app.config["RECENT_LOGIN_MINUTES"])
    return render_template(
        "auth/confirm_password.html", form=form, error=error, minutes=minutes
    ), status


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a reset link; the answer is the same whether the address has an account."""
    form = ResetRequestForm()
    refusal = None
    if request.method == "POST":
        refusal = throttle.mail_form_refusal(db.session, "lien", request.remote_addr)
    if refusal is None and form.validate_on_submit():
        # Recorded the same way for every address, mailed by the minute job: neither the
        # answer nor its time tells whether the address has an account.
        link_requests.ask(db.session, link_requests.RESET, form.email.data, ip=request.remote_addr)
        throttle.count_mail_form(db.session, "lien", request.remote_addr)
        db.session.commit()
        return render_template("auth/reset_sent.html", hours=accounts.users.RESET_TTL_HOURS)
    status = 429 if refusal else 400 if request.method == "POST" else 200
    return render_template("auth/reset_request.html", form=form, error=refusal), status


def _invalid_link(invalid: accounts.InvitationInvalid):
    return render_template(
        "auth/invitation_invalid.html", message=invalid.message, reset=invalid.reset
    ), 400


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def invitation(token: str):
    try:
        invitation = accounts.find_invitation(db.session, token)
    except accounts.InvitationInvalid as invalid:
        return _invalid_link(invalid)
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(
                db.session, token, form.password.data, ip=request.remote_addr
            )
            db.session.commit()
        except accounts.InvitationInvalid as invalid:
            db.session.rollback()
            return _invalid_link(invalid)
        except accounts.AccountError as refusal:
            db.session.rollback()
            error = attach_errors(form, refusal)
        else:
            if current_user.is_authenticated:
                logout_user()
            _start_session(user)
            flash(
                "Votre mot de passe est enregistré."
                + (
                    ""
                    if invitation.purpose == "reset"
                    else f" Bienvenue sur {current_app.config['PLATFORM_NAME']}."
                ),
                "success",
            )
            return redirect(home_url(user))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "auth/invitation.html",
        form=form,
        error=error,
        email=invitation.user.email,
        reset=invitation.purpose == "reset",
    ), status


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    error, locked = None, False
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                current_user._get_current_object(),
                form.current.data,
                form.password.data,
                ip=request.remote_addr,
            )
            db.session.commit()
        except accounts.AccountLocked as refusal:
            db.session.rollback()
            error, locked = attach_errors(form, refusal), True
        except accounts.AccountError as refusal:
            db.session.rollback()
            error = attach_errors(form, refusal)
        else:
            # Other sessions died with the version bump; this one continues.
            _start_session(current_user._get_current_object())
            flash("Votre mot de passe a été modifié.", "success")
            return redirect(home_url(current_user))
    status = 429 if locked else 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, error=error), status
