"""Administration: accounts (invite, change role, disable, re-enable), operators and
partners (deactivate, reactivate), the state of the mail outbox, the audit log."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from connectences import accounts, organisations, submissions
from connectences.accounts import api_tokens, audit, shown_once
from connectences.accounts.audit import (
    ACTION_LABELS,
    ENTITY_LABELS,
    EXPORT_HEADERS,
    AuditFilters,
    action_label,
    actor_emails,
    audit_query,
    details_text,
    entity_label,
    last_entry_id,
)
from connectences.accounts.audit import export_count as audit_export_count
from connectences.accounts.audit import export_rows as audit_export_rows
from connectences.accounts.passwords import is_closed
from connectences.accounts.users import ACCOUNT_STATES, AccountFilters, accounts_query
from connectences.contacts import email_key
from connectences.dates import read_date
from connectences.extensions import db
from connectences.ids import read_id
from connectences.mail import failed_messages, outbox_counts, waiting
from connectences.mail.sender import requeue_failed
from connectences.models import ApiToken, User
from connectences.models.base import utcnow
from connectences.organisations import unattended
from connectences.territory import PAYS_EPCIS
from connectences.typography import plural, too_long
from connectences.vocab import ROLES
from connectences.web.access import guard_blueprint, recent_login_required
from connectences.web.actions import commit_or_refuse
from connectences.web.downloads import refuse_export, send_audited_table
from connectences.web.forms import ApiTokenForm, InviteForm, RoleChangeForm, attach_errors
from connectences.web.paging import paginate
from connectences.web.security import is_safe_next

bp = Blueprint("admin", __name__, url_prefix="/admin")
# An account's state: a password closed with its personal links is not an invitation.
bp.add_app_template_test(is_closed, "closed_password")
guard_blueprint(bp, "admin", audit_action="admin_access_refused")
# Every change made here (a POST: accounts, operators and partners, the phone shown on
# the public home, e-mails sent again, API tokens) asks for the password again when it was given long ago
# (@recent_login_required); reading a page does not, an export does.

# Failed messages listed on the page (the count shows them all).
FAILED_SHOWN = 50
# Accounts a page of the list shows (thousands of companies and candidates in time).
ACCOUNTS_PER_PAGE = 50


def _accounts_list() -> str:
    """The accounts list an action on an account was sent from (its page and filters,
    held in the form's ``retour``), or the plain list: only a local address of the list
    itself is followed, never another site nor another page."""
    back = request.values.get("retour", "")
    if is_safe_next(back) and urlsplit(back).path == url_for("admin.index"):
        return back
    return url_for("admin.index")


def _render_index(
    form: InviteForm, status: int = 200, error: str | None = None, invited: str | None = None
):
    filters, refused = AccountFilters.from_args(request.args)
    pagination = paginate(accounts_query(filters), ACCOUNTS_PER_PAGE)
    counts = outbox_counts(db.session)
    return render_template(
        "admin/index.html",
        users=pagination.items,
        pagination=pagination,
        filters=filters,
        refused=refused,
        states=ACCOUNT_STATES,
        roles=ROLES,
        epcis=PAYS_EPCIS,
        form=form,
        error=error,
        invited=invited,
        failed_mail=counts.get("failed", 0),
        pending_mail=counts.get("pending", 0),
        waiting_mail=waiting(db.session) if counts.get("pending") else None,
        failures=failed_messages(db.session, limit=FAILED_SHOWN),
    ), status


@bp.route("")
def index():
    return _render_index(InviteForm())


@bp.route("/courriels/relancer", methods=["POST"])
@recent_login_required
def requeue_mail():
    """Put failed messages back in the queue once the relay is fixed (all, or one)."""
    raw = request.form.getlist("message")
    ids = [read_id(value) for value in raw]
    if None in ids:
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
@recent_login_required
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        # An organisation that is none is said with the address's error, not on the
        # next send once the address is right.
        if not form.org_ref.errors and (
            problem := accounts.organisation_problem(db.session, form.role.data, form.org_ref.data)
        ):
            form.org_ref.errors = [*form.org_ref.errors, problem]
        return _render_index(form, 422)
    try:
        token = accounts.invite(
            db.session,
            form.email.data,
            form.role.data,
            form.org_ref.data or None,
            current_user._get_current_object(),
        )
        email = email_key(form.email.data)
        accounts.queue_invitation_mail(db.session, email, token)
        db.session.commit()
    except accounts.AccountError as refusal:
        db.session.rollback()
        return _render_index(form, 422, error=attach_errors(form, refusal))
    return _render_index(InviteForm(formdata=None), invited=_invited_said(email, token))


def _invited_said(email: str, token: str) -> str:
    """What the page says of an invitation sent, its link with it. Shown on the page, not
    flashed: the flash travels in the session cookie, and the link opens an account to
    whoever holds it (as an API token's secret)."""
    return (
        f"Invitation envoyée à {email}. Si l'e-mail n'arrive pas, transmettez ce lien "
        f"(valable {accounts.invitation_hours()} heures, à usage unique) : "
        f"{accounts.invitation_link(token)}"
    )


@bp.route("/utilisateurs/<int:user_id>/reinviter", methods=["POST"])
@recent_login_required
def invite_again(user_id: int):
    """An account never opened, sent a new invitation from its row (its role and
    organisation as they stand): the earlier link stops working."""
    account = _account(user_id)
    try:
        token = accounts.invite_again(db.session, account, current_user._get_current_object())
        accounts.queue_invitation_mail(db.session, account.email, token)
        db.session.commit()
    except accounts.AccountError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return redirect(_accounts_list())
    return _render_index(InviteForm(), invited=_invited_said(account.email, token))


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
@recent_login_required
def disable_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return commit_or_refuse(
        lambda: unattended.disable_account(
            db.session, user.email, actor=current_user._get_current_object()
        ),
        refusals=accounts.AccountError,
        back=_accounts_list(),
        done=lambda stopped: _left_alone_said(f"Le compte {user.email} est désactivé.", stopped),
    )


def _left_alone_said(done: str, stopped: unattended.AccountStopped) -> str:
    """``done``, then what the account's operator or partner now holds with nobody to
    answer, when so (``organisations.unattended``)."""
    left = stopped.left_alone
    return f"{done} {left.notice}" if left is not None else done


@bp.route("/utilisateurs/<int:user_id>/reactiver", methods=["POST"])
@recent_login_required
def enable_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return commit_or_refuse(
        lambda: accounts.enable(db.session, user.email, actor=current_user._get_current_object()),
        refusals=accounts.AccountError,
        back=_accounts_list(),
        done=f"Le compte {user.email} est réactivé.",
    )


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _render_role(account: User, form: RoleChangeForm, status: int = 200, error=None):
    return render_template(
        "admin/role.html",
        account=account,
        organisation=accounts.organisation_ref(db.session, account),
        roles=ROLES,
        form=form,
        error=error,
        back=_accounts_list(),
    ), status


# One rule for the page and its form: two rules on one address answered a method the
# other has with 405, where an unknown account must be "Page introuvable".
@bp.route("/utilisateurs/<int:user_id>/role", methods=["GET", "POST"])
@recent_login_required
def change_role(user_id: int):
    """The page to change an account's role (its current role and organisation shown),
    and the change."""
    account = _account(user_id)
    if request.method == "GET":
        return _render_role(account, RoleChangeForm(formdata=None))
    form = RoleChangeForm()
    if not form.validate_on_submit():
        return _render_role(account, form, 422)
    try:
        stopped = unattended.change_account_role(
            db.session,
            account.email,
            form.role.data,
            form.org_ref.data or None,
            actor=current_user._get_current_object(),
        )
        db.session.commit()
    except accounts.AccountError as refusal:
        db.session.rollback()
        return _render_role(_account(user_id), form, 422, error=attach_errors(form, refusal))
    flash(
        _left_alone_said(
            f"Le compte {account.email} a désormais le rôle « {ROLES[account.role]} » ; ses "
            "sessions ouvertes ont pris fin et ses jetons d'accès à l'API sont révoqués.",
            stopped,
        ),
        "success",
    )
    return redirect(_accounts_list())


@bp.route("/utilisateurs/<int:user_id>/telephone", methods=["POST"])
@recent_login_required
def set_phone(user_id: int):
    """The phone an animateur shows companies on the public home."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return commit_or_refuse(
        lambda: accounts.set_public_phone(
            db.session, user, request.form.get("phone"), actor=current_user._get_current_object()
        ),
        refusals=accounts.AccountError,
        back=_accounts_list(),
        done=f"Le téléphone présenté aux entreprises pour {user.email} est enregistré.",
    )


# --------------------------------------------------------------------------- organisations

# The kind of organisation as the address names it, in French.
_SIDE_WORDS = {"operateur": "operator", "partenaire": "partner"}


def _organisation(side_word: str, org_id: int) -> organisations.Organisation:
    side = _SIDE_WORDS.get(side_word)
    organisation = db.session.get(organisations.SIDES[side], org_id) if side else None
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/organisations")
def organisations_index():
    """Operators and partners: what they serve, their members, what they hold, active
    or not."""
    return render_template(
        "admin/organisations.html",
        rows=organisations.organisation_rows(db.session),
        side_words={side: word for word, side in _SIDE_WORDS.items()},
    )


def _deactivated(result) -> None:
    """Flash what was done, then what routing lost (read in that order)."""
    organisation, warnings = result
    flash(
        f"{organisations.named(organisation)} est désactivé : aucun besoin nouveau ne lui "
        "sera plus envoyé ; ses dossiers en cours et ses comptes restent.",
        "success",
    )
    for warning in warnings:
        flash(warning, "warning")


# One rule for the confirmation page and its form, as for a role (an unknown
# organisation is "Page introuvable" either way).
@bp.route("/organisations/<side_word>/<int:org_id>/desactiver", methods=["GET", "POST"])
@recent_login_required
def deactivate_organisation(side_word: str, org_id: int):
    """The confirmation page (what deactivating does and keeps, what routing loses),
    and the deactivation."""
    organisation = _organisation(side_word, org_id)
    back = url_for("admin.organisations_index")
    if request.method == "POST":
        return commit_or_refuse(
            lambda: organisations.deactivate(
                db.session,
                organisations.side_of(organisation),
                organisation.ref,
                actor=current_user._get_current_object(),
            ),
            refusals=organisations.OrganisationError,
            back=back,
            done=_deactivated,
        )
    if not organisation.active:
        flash(f"{organisations.named(organisation)} est déjà désactivé.", "info")
        return redirect(back)
    return render_template(
        "admin/organisation_deactivate.html",
        row=organisations.organisation_row(db.session, organisation),
        warnings=organisations.deactivation_warnings(db.session, organisation),
    )


@bp.route("/organisations/<side_word>/<int:org_id>/reactiver", methods=["POST"])
@recent_login_required
def reactivate_organisation(side_word: str, org_id: int):
    organisation = _organisation(side_word, org_id)
    return commit_or_refuse(
        lambda: organisations.reactivate(
            db.session,
            organisations.side_of(organisation),
            organisation.ref,
            actor=current_user._get_current_object(),
        ),
        refusals=organisations.OrganisationError,
        back=url_for("admin.organisations_index"),
        done=f"{organisations.named(organisation)} est réactivé : l'orientation des besoins, "
        "l'annuaire « Qui fait quoi » et les événements le reprennent.",
    )


# --------------------------------------------------------------------------- API tokens

# A creation form sent without its one-time token (a page kept from before, a made-up post).
FORM_NOT_SENT_ONCE = (
    "Ce formulaire n'est plus valable : vérifiez ce qui est saisi, puis créez le jeton de nouveau."
)


def _render_tokens(
    form: ApiTokenForm, status: int = 200, error: str | None = None, secret=None, heading=None
):
    return render_template(
        "admin/tokens.html",
        form=form,
        error=error,
        heading=heading,
        secret=secret,
        tokens=api_tokens.list_tokens(db.session),
        now=utcnow(),
    ), status


# The session's one-time token of the creation form (``submissions``). Logged-in pages
# are never cached, so the back button loads the form page anew: a token drawn for each
# showing made the form sent again after « back » (its fields refilled by the browser)
# a new sending, and a second token. The form keeps the session's token until the answer
# « Aucun nouveau jeton » offers a new form: only then is the same typing a new sending.
CREATION_FORM_SENDING = "_api_token_form"


def _creation_form(*, renew: bool = False) -> ApiTokenForm:
    """The empty creation form, with the session's one-time token (drawn anew when
    ``renew`` or when the session holds none)."""
    token = session.get(CREATION_FORM_SENDING)
    if renew or submissions.kept_token(token) != token:
        token = session[CREATION_FORM_SENDING] = submissions.new_token()
    form = ApiTokenForm(formdata=None)
    form.submission_token.data = token
    return form


# Where the session holds the key of the secret the page shows next (``shown_once``) and
# its token's id; never the secret itself: the session travels in its cookie.
JUST_ISSUED = "_api_token_shown"


@bp.route("/jetons")
def api_tokens_index():
    """The tokens; after a creation (Post/Redirect/Get), its secret, once: taken from the
    server as it is shown, so that a reload or the page opened again shows it no more."""
    kept = session.pop(JUST_ISSUED, None)
    if not isinstance(kept, dict):
        return _render_tokens(_creation_form())
    secret = shown_once.take(shown_once.shown_once_folder(), kept.get("key"), now=utcnow())
    token = db.session.get(ApiToken, read_id(kept.get("token")) or 0)
    if secret is None or token is None:
        return _render_tokens(_creation_form())
    page, status = _render_tokens(_creation_form(), secret=(token, secret))
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/jetons", methods=["POST"])
@recent_login_required
def issue_api_token():
    """Create a token, then redirect to the page that shows its secret once (never flashed
    nor kept in the session: both travel in the session cookie). A form without its
    one-time token (``submissions``) creates nothing: the same sending, sent again, must
    find the first."""
    form = ApiTokenForm()
    submission_key = form.submission_key()
    form.keep_submission_token()
    if not form.validate_on_submit():
        return _render_tokens(form, 422)
    if submission_key is None:
        return _render_tokens(form, 422, error=FORM_NOT_SENT_ONCE)
    try:
        token, secret = api_tokens.issue_token(
            db.session,
            owner_email=form.owner_email.data,
            name=form.name.data,
            days=api_tokens.read_days(form.days.data),
            actor=current_user._get_current_object(),
            submission_key=submission_key,
        )
        db.session.commit()
    except api_tokens.TokenAlreadyIssued as refusal:
        # The form sent again after the creation (back, then sent; the browser resending
        # it): nothing more, and a new form to fill.
        db.session.rollback()
        return _render_tokens(
            _creation_form(renew=True), 409, error=refusal.message, heading="Aucun nouveau jeton"
        )
    except accounts.AccountError as refusal:
        db.session.rollback()
        return _render_tokens(form, 422, error=attach_errors(form, refusal))
    key = shown_once.keep(shown_once.shown_once_folder(), secret, now=utcnow())
    session[JUST_ISSUED] = {"key": key, "token": token.id}
    return redirect(url_for("admin.api_tokens_index", _anchor="secret-cree"), 303)


@bp.route("/jetons/<int:token_id>/revoquer", methods=["POST"])
@recent_login_required
def revoke_api_token(token_id: int):
    return commit_or_refuse(
        lambda: api_tokens.revoke_token(
            db.session, token_id, actor=current_user._get_current_object()
        ),
        refusals=accounts.AccountError,
        back=url_for("admin.api_tokens_index"),
        done="Le jeton est révoqué : il ne donne plus accès à l'API.",
    )


# --------------------------------------------------------------------------- audit log

AUDIT_PER_PAGE = 50
MAX_FILTER_TEXT = 254


def _audit_filters() -> tuple[AuditFilters, dict[str, str]]:
    """The search of the audit page from the query string, and a French message per
    field that could not be read (that field then does not filter)."""
    args = request.args
    errors: dict[str, str] = {}
    # A text past the limit (typed or pasted: the field has no maxlength) is told, not
    # cut without a word to search a part of what was typed.
    who = (args.get("qui") or "").strip()
    if too := too_long("Le texte cherché", who, MAX_FILTER_TEXT):
        errors["qui"] = too
        who = ""
    action = args.get("action", "")
    if action and action not in ACTION_LABELS:
        errors["action"] = "Action inconnue : choisissez-la dans la liste."
        action = ""
    entity = args.get("fiche", "")
    if entity and entity not in ENTITY_LABELS:
        errors["fiche"] = "Type de fiche inconnu : choisissez-le dans la liste."
        entity = ""
    entity_id = None
    raw_id = (args.get("numero") or "").strip()
    if raw_id:
        entity_id = read_id(raw_id)
        if entity_id is None:
            errors["numero"] = (
                "Aucune fiche ne porte ce numéro : il est trop grand."
                if raw_id.isascii() and raw_id.isdigit() and int(raw_id) > 0
                else "Saisissez le numéro de la fiche (des chiffres seulement)."
            )
    dates = {}
    for name in ("du", "au"):
        raw = (args.get(name) or "").strip()
        dates[name] = None
        if raw:
            dates[name] = read_date(raw)
            if dates[name] is None:
                errors[name] = "Date invalide : utilisez le calendrier (jj/mm/aaaa)."
    if dates["du"] and dates["au"] and dates["du"] > dates["au"]:
        errors["au"] = "La date de fin précède la date de début : inversez-les."
        dates["au"] = None
    filters = AuditFilters(
        who=who,
        action=action,
        entity=entity,
        entity_id=entity_id,
        since=dates["du"],
        until=dates["au"],
    )
    return filters, errors


@bp.route("/journal")
def audit_log():
    """Search the audit log: who, what, which record, when; 50 entries a page. A filter
    it could not read is named and left out, the page answered as every list's (200: a
    shared link with an outdated value opens)."""
    filters, errors = _audit_filters()
    pagination = paginate(audit_query(filters), AUDIT_PER_PAGE)
    return render_template(
        "admin/audit.html",
        entries=pagination.items,
        emails=actor_emails(db.session, pagination.items),
        pagination=pagination,
        filters=filters,
        params=filters.as_args(),
        errors=errors,
        actions=sorted(ACTION_LABELS.items(), key=lambda item: item[1]),
        entities=sorted(ENTITY_LABELS.items(), key=lambda item: item[1]),
        action_label=action_label,
        entity_label=entity_label,
        details_text=details_text,
        retention_days=int(current_app.config["AUDIT_RETENTION_DAYS"]),
    )


@bp.route("/journal/export.<fmt>")
@recent_login_required
def audit_export(fmt: str):
    """The entries of the current search (all pages) as CSV or XLSX; the export is logged."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters, errors = _audit_filters()
    if errors:
        return refuse_export("admin.audit_log")
    up_to = last_entry_id(db.session)
    actor, ip = current_user.id, request.remote_addr

    def record(rows: int):
        details = {"format": fmt, "filters": filters.as_args(), "rows": rows}
        return audit(db.session, "audit_export", actor=actor, ip=ip, details=details)

    return send_audited_table(
        fmt,
        "journal-audit",
        EXPORT_HEADERS,
        audit_export_rows(db.session, filters, up_to=up_to),
        title="Journal d'audit",
        total=lambda: audit_export_count(db.session, filters, up_to=up_to),
        record=record,
    )
