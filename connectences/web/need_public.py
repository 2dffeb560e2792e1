"""What a TPE owner uses without an account: the "Exprimer un besoin" form, the
confirmation of their e-mail address, and their company space opened by a signed link.

The rules live in ``connectences.needs``; these views parse, call and render.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from connectences import accounts, submissions, territory
from connectences.accounts import link_requests, throttle
from connectences.clock import local_today
from connectences.contacts import email_key, likely_typo, read_email
from connectences.content.resources import OWNER_SUGGESTIONS, suggestions_for
from connectences.db_session import deadlocked
from connectences.extensions import db
from connectences.mail.kinds import MailKind
from connectences.mail.outbox import queue_template
from connectences.models import Commune, Company, Need
from connectences.needs import form_rules, links, register, territory_edge
from connectences.needs.status_words import (
    awaiting_owner,
    held_by_owner_choice,
    held_once_confirmed,
    owner_holders,
    owner_stops,
    unattached_owner,
)
from connectences.urls import external_url
from connectences.web import just_sent
from connectences.web.access import public
from connectences.web.errors import CSRF_RETRY
from connectences.web.forms import corrected_address, tell_communes_recorded
from connectences.web.known_owner import known_owner
from connectences.web.navigation import PUBLIC_NAV
from connectences.web.owner_details import details_page
from connectences.web.owner_edit import (
    OWNER_FIELD_ORDER,
    edit_page,
    owner_fields_context,
    owner_row,
)
from connectences.web.owner_preferences import preferences_page
from connectences.web.owner_stop import stop_page
from connectences.workflows import TransitionError

bp = Blueprint("need_public", __name__)
if ("Exprimer un besoin", "need_public.form") not in PUBLIC_NAV:
    PUBLIC_NAV.insert(1, ("Exprimer un besoin", "need_public.form"))

# The fields in the order of the form (and of its error summary): the need, then the
# company and the person speaking for it.
FIELD_ORDER = OWNER_FIELD_ORDER + (
    "company_name",
    "siret",
    "company_commune",
    "owner_name",
    "owner_phone",
    "owner_email",
)
# What is sent as one value per field (the days are check boxes, read as a list).
FORM_FIELDS = tuple(name for name in FIELD_ORDER if name != "days") + ("hours_period",)
# The hidden field of the form's one-time token (``submissions``).
SUBMISSION_FIELD = submissions.FIELD


def _secret() -> str:
    return current_app.secret_key


def _form_data() -> dict:
    data = {name: request.form.get(name, "") for name in FORM_FIELDS}
    data["days"] = request.form.getlist("days")
    return data


def _known_owner_data() -> dict:
    """A logged-in company owner's company and contact details, so that they are not
    typed again (``?entreprise=<ref>`` picks one of their companies); an owner coming
    from their company space (``?suivi=<its token>``), those of the need they last
    expressed for that company. Anyone else starts from an empty form. The e-mail is
    still confirmed by the same link."""
    data: dict = {"days": []}
    if request.args.get("suivi"):
        return {**data, **_space_owner_data(request.args["suivi"], request.args.get("entreprise"))}
    return {**data, **known_owner()}


def _space_owner_data(token: str, ref: str | None) -> dict:
    """What the owner of a company space (its link's ``token``) typed in their latest
    need for the company ``ref``, among those their space shows them as its own (not a
    need whose author is unattached, nor a company nobody named): nothing for a link
    refused or another company."""
    try:
        email = register.space_email(db.session, _secret(), token)
    except links.LinkError:
        return {}
    for section in company_sections(register.needs_for_owner_email(db.session, email)):
        company = section["company"]
        if section["unattached"] or company.ref != ref:
            continue
        latest = max(section["needs"], key=lambda row: row["need"].created_at)["need"]
        commune = territory.get_commune(company.commune)
        return {
            "company_name": company.name,
            "siret": company.siret,
            "company_commune": commune.label if commune else company.commune,
            "owner_name": latest.owner_name or "",
            "owner_email": email,
            "owner_phone": latest.owner_phone or "",
        }
    return {}


def _render_form(
    data: dict,
    errors: dict,
    duplicate: bool = False,
    status: int = 200,
    outside: str | None = None,
):
    # An error about no field ("_", the sender's limit) comes first.
    ordered = sorted(
        errors.items(),
        key=lambda item: FIELD_ORDER.index(item[0]) if item[0] in FIELD_ORDER else -1,
    )
    return (
        render_template(
            "needs/public_form.html",
            data=data,
            errors=errors,
            error_list=ordered,
            duplicate=duplicate,
            # The need's place is outside the Pays: what becomes of it, to send anyway.
            outside=outside,
            # A box ticked already (the other warning shown alone) is kept as it was.
            confirmed_duplicate=request.form.get("confirm_duplicate") == "1",
            confirmed_outside=request.form.get("confirm_outside") == "1",
            # A company owner's login confirms their need (``register.confirmed_by_login``).
            login_email=current_user.email
            if current_user.is_authenticated and current_user.role == "company"
            else None,
            **owner_fields_context(),
        ),
        status,
    )


def _refuse_link(error: links.LinkError, kind: str):
    """A tampered or expired link: say so in French, log it, offer a new one."""
    db.session.rollback()
    accounts.audit(
        db.session,
        "company_link_refused",
        ip=request.remote_addr,
        details={"kind": kind, "expired": error.expired, "path": request.path[:200]},
    )
    db.session.commit()
    return render_template(
        "needs/link_refused.html",
        message=error.message,
        expired_confirmation=error.expired and kind == "confirmation",
    ), 403


# --- the public form -----------------------------------------------------------------


@bp.route("/exprimer-un-besoin", methods=["GET", "POST"])
@public
def form():
    if request.method == "GET":
        page = _render_form({**_known_owner_data(), SUBMISSION_FIELD: submissions.new_token()}, {})
        if request.args.get("suivi"):
            # Opened from a company space: its key is in the address, and the page holds
            # the owner's details: kept out of caches (no other site gets the address as
            # Referer: the policy of every page is same-origin).
            return page[0], page[1], {"Cache-Control": "no-store"}
        return page
    data, key = _sent_form()
    earlier = register.submitted_need(db.session, key)
    if earlier is not None:
        # The same form sent again once stored: its page again, nothing stored nor mailed.
        return _sent_page(earlier, data)
    values, refused = _checked(data)
    if refused is not None:
        # Sent twice at the same instant, the other request may have stored this very
        # sending since it was looked for: what refuses it now (the duplicate it became,
        # the limits it counted towards) is then no refusal, the page is that need's.
        earlier = register.submitted_need(db.session, key)
        return _sent_page(earlier, data) if earlier is not None else refused
    need = _store(values, key)
    if need is None:
        return _render_form(data, {"_": NOT_STORED}, status=409)
    tell_communes_recorded(data.get("commune"), data.get("company_commune"))
    return _sent_page(need, data)


# The form given back when its need could not be stored twice in a row (:func:`_store`).
NOT_STORED = (
    "Votre besoin n'a pas pu être enregistré : la fiche de l'entreprise de ce SIRET "
    "changeait au même instant. Rien n'a été enregistré ; vérifiez le formulaire et "
    "envoyez-le de nouveau."
)


def _store(values: dict, key: str | None) -> Need | None:
    """Store the need of a checked form, queue its confirmation mail and commit; the need
    (the one another request stored from the same sending, when it did first), or None
    when it could not be stored, nothing written.

    An IntegrityError is either that same sending stored first by another request (both
    passed the checks before either wrote: its need is this one's, its mail the only
    one), or the company the SIRET was resolved to gone before the need was written: a
    provisional company attached to a listed one by the staff
    (``provisional_merge.merge_provisional``) or deleted by the retention job
    (``delete_forgotten_provisional``), whose lock the insert waited on (PostgreSQL).
    The need is then sent once again, its company resolved again: the listed company
    that took the SIRET, or a new provisional one.

    PostgreSQL aborting the transaction to break a deadlock (``deadlocked``) is sent
    once again too: the locks of the requests and jobs around a need are taken in one
    order (company, then generation) so that none is known to happen, but one that
    came would otherwise be a 500 for the person. Repeating is safe: everything this
    request writes is written here, in the transaction rolled back (the mail is a row
    of the outbox), nothing before it."""
    author = current_user if current_user.is_authenticated else None
    for _attempt in range(2):
        try:
            need = register.submit_public_need(
                db.session, values, values, values, author=author, submission_key=key
            )
            if need.owner_confirmed_at is None:
                _send_confirmation(need, _typed_company(values))
            throttle.count_mail_form(db.session, "besoin", _sender())
            db.session.commit()
            return need
        except IntegrityError:
            db.session.rollback()
            earlier = register.submitted_need(db.session, key)
            if earlier is not None:
                return earlier
        except OperationalError as error:
            if not deadlocked(error):
                raise
            db.session.rollback()
            current_app.logger.warning("public need: deadlock broken by the database, sent again")
    current_app.logger.warning(
        "public need not stored: its company changed (or a deadlock came) twice meanwhile"
    )
    return None


def _sent_form() -> tuple[dict, str | None]:
    """What was sent, and the key of this sending (``submissions.key``). Shown
    again (an error, the duplicate warning, an expired form), the form keeps its token:
    sent once corrected, it is the sending that stores the need."""
    data = _form_data()
    token = request.form.get(SUBMISSION_FIELD)
    key = submissions.key(token, data)
    data[SUBMISSION_FIELD] = submissions.kept_token(token)
    return data, key


def _after_expired_token(message: str):
    """The form as it was sent, its security token refused (``errors.CSRF_RETRY``)."""
    data, _key = _sent_form()
    return _render_form(data, {"_": message}, status=400)


CSRF_RETRY["need_public.form"] = _after_expired_token


def _sender() -> str | None:
    """Who the form's hourly limit counts: a logged-in company account by itself (its
    need mails nobody, and people behind the same mobile carrier's address must not use
    up its sendings), anyone else by their address."""
    if current_user.is_authenticated and current_user.role == "company":
        return f"compte:{current_user.id}"
    return request.remote_addr


def _checked(data: dict):
    """The form's values once checked, or the page that refuses them: ``(values, None)``
    or ``(None, response)``."""
    refusal = throttle.mail_form_refusal(db.session, "besoin", _sender())
    if refusal is not None:
        return None, _render_form(data, {"_": refusal}, status=429)
    checked = form_rules.check_need(data, today=local_today(), reasons=form_rules.OWNER_REASONS)
    checked.merge(form_rules.check_company(data)).merge(form_rules.check_owner(data))
    if not checked.ok:
        return None, _render_form(data, checked.errors, status=422)
    values = checked.values
    if register.too_many_waiting(db.session, values["owner_email"]):
        return None, _render_form(
            data,
            {
                "owner_email": "Plusieurs besoins attendent déjà la confirmation de cette adresse : "
                "ouvrez l'e-mail « Confirmez votre besoin » que vous avez reçu (pensez aux "
                "indésirables), ou réessayez demain."
            },
            status=429,
        )
    company = register.company_by_siret(db.session, values["siret"])
    duplicates = register.duplicates_for_owner(
        db.session, getattr(company, "id", None), values["title"], values["owner_email"]
    )
    duplicate = bool(duplicates) and request.form.get("confirm_duplicate") != "1"
    # The place of the work as typed (the stored company's commune is not told to whoever
    # types its SIRET): outside the Pays, what becomes of the need is said before it is sent.
    outside = None
    if request.form.get("confirm_outside") != "1":
        place = values["commune"] or values["company_commune"]
        outside = territory_edge.owner_notice(db.session, place)
    if duplicate or outside:
        # Pointed out before anything is written; the owner decides.
        return None, _render_form(data, {}, duplicate=duplicate, outside=outside, status=409)
    return values, None


SENT_KEY = "need_sent"


def _typed_company(values: dict) -> tuple[str, str] | None:
    """The company's name and commune (INSEE) as the form gave them, once checked: what
    names a provisional company when its author confirms (``register.confirm_need``)."""
    if not values.get("company_name") or not values.get("company_commune"):
        return None
    return values["company_name"], values["company_commune"]


def _owner_notice(need: Need, company: tuple[str, str] | None) -> str | None:
    """What the need's author is told when its work happens outside the Pays
    (``territory_edge.owner_notice``): its own commune, else the company's as they typed
    it (never the stored company's, which whoever types a SIRET is not told)."""
    return territory_edge.owner_notice(db.session, need.commune or (company or (None, None))[1])


def _thanks(need: Need, done: str) -> str:
    """The word thanking the owner for a need ``done`` ("transmis", "confirmé"): what
    happens next, or, while their company asks not to be solicited, that it will reach no
    structure without their say (the page they land on offers to change that choice)."""
    if held_by_owner_choice(need):
        return (
            f"Merci, votre besoin est {done}. Vous avez demandé à ne plus être sollicité : "
            "un animateur peut vous appeler au sujet de ce besoin, mais il ne sera transmis "
            "à une structure qu'avec votre accord : pour le donner, modifiez vos "
            "préférences de contact dans votre espace."
        )
    return (
        f"Merci, votre besoin est {done} : un animateur de la plateforme va l'étudier "
        "et vous appellera."
    )


def _sent_page(need: Need, data: dict):
    company = _typed_company(form_rules.check_company(data).values)
    if need.owner_confirmed_at is not None and register.confirmed_by_login(
        current_user if current_user.is_authenticated else None, need.owner_email
    ):
        # Sent from the owner's account with its login: nothing to confirm by mail.
        flash(_thanks(need, "transmis"), "success")
        if notice := _owner_notice(need, company):
            flash(notice, "info")
        return redirect(url_for("companies.index"))
    # The address stays out of the URL (history, logs, referrers): the session keeps
    # which need was just sent, for a few minutes and this page only (``just_sent``), so
    # that a mistyped address can be corrected, by its author and nobody after them.
    just_sent.remember(SENT_KEY, need=need.id, company=list(company) if company else None)
    return redirect(url_for("need_public.sent"))


def _send_confirmation(need: Need, company: tuple[str, str] | None) -> None:
    # The mail repeats the company's name as its author typed it, never the stored one:
    # anyone may type a known SIRET, and the platform tells them nothing about it.
    token = links.confirmation_token(
        _secret(),
        need.id,
        need.owner_email,
        company=company,
        version=register.space_link_version(db.session, need.owner_email),
    )
    queue_template(
        db.session,
        kind=MailKind.NEED_CONFIRM,
        to=need.owner_email,
        subject="Confirmez votre besoin",
        template="need_confirm",
        need=need,
        name=need.owner_name,
        company_name=company[0] if company else None,
        link=external_url("need_public.confirm", token=token),
        days=links.confirm_days(),
        reply_to=register.reply_to_for(db.session, need),
        outside=_owner_notice(need, company),
        # No call promised to a company that asked not to be solicited (``_thanks``).
        held=held_once_confirmed(need),
    )


def _just_sent() -> tuple[Need | None, tuple[str, str] | None]:
    """The need this browser has just sent (``just_sent``), or None; with the company
    as typed."""
    sent = just_sent.recall(SENT_KEY) or {}
    need_id, company = sent.get("need"), sent.get("company")
    need = db.session.get(Need, need_id) if isinstance(need_id, int) else None
    return need, tuple(company) if isinstance(company, list) and len(company) == 2 else None


@bp.route("/exprimer-un-besoin/envoye", methods=["GET", "POST"])
@public
def sent():
    """'Confirm your address', with a way to correct a mistyped one without retyping
    the whole form."""
    need, company = _just_sent()
    # Once confirmed, its address is proven: there is nothing left to correct.
    can_correct = need is not None and need.owner_confirmed_at is None
    typed, error, status = "", None, 200
    if request.method == "POST" and can_correct:
        typed, email, error, status = corrected_address("owner_email", "besoin")
        if email is not None and register.too_many_waiting(db.session, email):
            error = (
                "Plusieurs besoins attendent déjà la confirmation de cette adresse : "
                "réessayez demain."
            )
            status = 429
        elif email is not None:
            register.correct_owner_email(db.session, need, email)
            _send_confirmation(need, company)
            throttle.count_mail_form(db.session, "besoin", request.remote_addr)
            db.session.commit()
            flash(f"Adresse corrigée : un nouvel e-mail part vers {email}.", "success")
            return redirect(url_for("need_public.sent"))
    return render_template(
        "needs/public_sent.html",
        need=need,
        email=need.owner_email if need else "",
        meant=likely_typo(need.owner_email) if need else None,
        can_correct=can_correct,
        typed=typed,
        error=error,
        days=links.confirm_days(),
        outside=_owner_notice(need, company) if need else None,
    ), status


def _confirmation(token: str) -> tuple[Need, str, dict | None, bool]:
    """The need of a confirmation link, the address it confirms, the company as its
    author typed it (``register.confirm_need``'s ``company_values``), and whether the
    link leads on to the space (its links' version is still the address's: a mail sent
    before its owner disabled their links confirms, and opens nothing more)."""
    need_id, email, company, version = links.read_confirmation(_secret(), token)
    need = db.session.get(Need, need_id)
    if need is None or email_key(need.owner_email) != email_key(email):
        raise links.LinkError("Ce lien ne correspond à aucun besoin enregistré.")
    typed = (
        dict(zip(("company_name", "company_commune"), company, strict=True)) if company else None
    )
    return need, email, typed, version == register.space_link_version(db.session, email)


@bp.route("/exprimer-un-besoin/confirmer/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    try:
        need, email, company, opens_space = _confirmation(token)
    except links.LinkError as error:
        return _refuse_link(error, "confirmation")
    if request.method == "GET":
        # A button, not the link itself, confirms: mail scanners open links on their own.
        return _confirm_page(need, company, token)
    try:
        newly = register.confirm_need(db.session, need, email, company_values=company)
    except TransitionError as refusal:
        db.session.rollback()
        flash(refusal.message, refusal.flash_category)
        return redirect(url_for("need_public.form"))
    db.session.commit()
    if newly:
        flash(_thanks(need, "confirmé"), "success")
    else:
        flash("Ce besoin était déjà confirmé.", "info")
    if not opens_space:
        flash(
            "Vos liens de suivi ont été désactivés depuis l'envoi de cet e-mail : demandez "
            "ci-dessous un nouveau lien, il vous sera envoyé par e-mail.",
            "info",
        )
        return redirect(url_for("need_public.renew"))
    return redirect(url_for("need_public.space", token=_space_token(email)))


def _confirm_page(need: Need, company: dict | None, token: str):
    typed = (company["company_name"], company["company_commune"]) if company else None
    return render_template(
        "needs/public_confirm.html",
        need=need,
        company_name=company["company_name"] if company else None,
        token=token,
        outside=_owner_notice(need, typed),
    )


def _confirm_after_expired_token(message: str):
    """The confirmation's button pressed with its security token refused
    (``errors.CSRF_RETRY``): its page again, with why on top, nothing confirmed; a link
    refused says so."""
    token = request.view_args["token"]
    try:
        need, _email, company, _opens_space = _confirmation(token)
    except links.LinkError as error:
        return _refuse_link(error, "confirmation")
    flash(message, "warning")
    return _confirm_page(need, company, token), 400


CSRF_RETRY["need_public.confirm"] = _confirm_after_expired_token


# --- the owner's company space -------------------------------------------------------


def company_sections(needs: list[Need]) -> list[dict]:
    """Needs grouped by company (in the order given), each with its plain-words status.

    A need whose author is not attached to its company (``Need.owner_unattached``), or
    whose company nobody has named yet (provisional), is shown apart, under the SIRET its
    author typed only: the space tells them nothing stored about a company they may have
    no part in (its name, its commune). Those the animateur is checking say so."""
    sections: dict[tuple[int, bool], dict] = {}
    stops, holders = owner_stops(db.session, needs), owner_holders(db.session, needs)
    for need in needs:
        unattached = not register.followed_as_company_own(need)
        section = sections.setdefault(
            (need.company_id, unattached),
            {
                "anchor": f"entreprise-{need.company_id}" + ("-a-verifier" if unattached else ""),
                "company": need.company,
                "unattached": unattached,
                "checking": False,
                "needs": [],
            },
        )
        if unattached_owner(need) and not awaiting_owner(need):
            section["checking"] = True
        section["needs"].append(owner_row(db.session, need, stops, holders))
    insees = {s["company"].commune for s in sections.values() if not s["unattached"]}
    names = {
        insee: name
        for insee, name in db.session.execute(
            select(Commune.insee, Commune.name).where(Commune.insee.in_(insees))
        )
    }
    for section in sections.values():
        company = section["company"]
        section["name"] = register.followed_company_name(section["needs"][0]["need"])
        section["commune"] = (
            None if section["unattached"] else names.get(company.commune, company.commune)
        )
    return list(sections.values())


@bp.route("/entreprise/suivi/<token>")
@public
def space(token: str):
    try:
        email = register.space_email(db.session, _secret(), token)
    except links.LinkError as error:
        return _refuse_link(error, "space")
    needs = register.needs_for_owner_email(db.session, email)
    sections = company_sections(needs)
    today = local_today()
    response = render_template(
        "needs/owner_space.html",
        email=email,
        sections=sections,
        # The public resources that fit each company the space shows as the owner's own
        # (nothing drawn from a company whose author is not attached to it).
        suggested={
            section["company"].id: suggestions_for(
                db.session, section["company"], today=today, limit=OWNER_SUGGESTIONS
            )
            for section in sections
            if not section["unattached"]
        },
        token=token,
    )
    # The link is the key: keep the page out of caches. The app-wide Referrer-Policy
    # (same-origin, web.security) keeps it out of the Referer sent to other sites, and
    # sends it to this one, where the page's form needs a Referer to pass over HTTPS.
    return response, 200, {"Cache-Control": "no-store"}


def _space_token(email: str) -> str:
    """A link's token to the company space of ``email`` (``register.space_token``)."""
    return register.space_token(db.session, _secret(), email)


def _followed(token: str, ref: str) -> tuple[str, Need]:
    """The address the space's link ``token`` opens and its need ``ref``
    (``register.followed_need``); a link refused says so, another need is not found."""
    try:
        email = register.space_email(db.session, _secret(), token)
    except links.LinkError as error:
        abort(make_response(_refuse_link(error, "space")))
    need = register.followed_need(db.session, email, ref)
    if need is None:
        abort(404)
    return email, need


@bp.route("/entreprise/suivi/<token>/besoins/<ref>/arreter", methods=["GET", "POST"])
@public
def stop(token: str, ref: str, expired: str | None = None):
    """The owner stops one of the needs their space shows (``owner_stop``)."""
    email, need = _followed(token, ref)
    return stop_page(
        need,
        email=email,
        actor=None,
        action=url_for("need_public.stop", token=token, ref=ref),
        back=url_for("need_public.space", token=token),
        edit=url_for("need_public.edit", token=token, ref=ref),
        company_name=register.followed_company_name(need),
        expired=expired,
    )


@bp.route("/entreprise/suivi/<token>/besoins/<ref>/modifier", methods=["GET", "POST"])
@public
def edit(token: str, ref: str, expired: str | None = None):
    """The owner corrects one of the needs their space shows, or writes to the animateur
    about it once an operator or a partner has it (``owner_edit``)."""
    email, need = _followed(token, ref)
    return edit_page(
        need,
        email=email,
        actor=None,
        action=url_for("need_public.edit", token=token, ref=ref),
        back=url_for("need_public.space", token=token),
        company_name=register.followed_company_name(need),
        expired=expired,
    )


@bp.route("/entreprise/suivi/<token>/preferences/<ref>", methods=["GET", "POST"])
@public
def preferences(token: str, ref: str, expired: str | None = None):
    """The owner says how often a company whose needs their space shows as its own
    (``register.followed_company``) accepts to be contacted (``owner_preferences``):
    recorded as said by the company, by the link's address, whoever holds the link (as
    the space's other pages: the link is the owner's key)."""
    email, company = _followed_company(token, ref)
    return preferences_page(
        company,
        email=email,
        actor=None,
        action=url_for("need_public.preferences", token=token, ref=ref),
        back=url_for("need_public.space", token=token),
        expired=expired,
    )


@bp.route("/entreprise/suivi/<token>/coordonnees/<ref>", methods=["GET", "POST"])
@public
def details(token: str, ref: str, expired: str | None = None):
    """The owner corrects the details of a company whose needs their space shows as its
    own (``register.followed_company``; ``owner_details``): recorded as changed by its
    owner, by the link's address, whoever holds the link (as the space's other pages)."""
    email, company = _followed_company(token, ref)
    return details_page(
        company,
        email=email,
        actor=None,
        action=url_for("need_public.details", token=token, ref=ref),
        back=url_for("need_public.space", token=token),
        expired=expired,
    )


def _followed_company(token: str, ref: str) -> tuple[str, Company]:
    """The address the space's link ``token`` opens and its company ``ref``, one whose
    needs the space shows as its own (``register.followed_company``); a link refused
    says so, another company (or one its author is not attached to) is not found."""
    try:
        email = register.space_email(db.session, _secret(), token)
    except links.LinkError as error:
        abort(make_response(_refuse_link(error, "space")))
    company = register.followed_company(db.session, email, ref)
    if company is None:
        abort(404)
    return email, company


def _space_form_after_expired_token(view):
    """The retry (``errors.CSRF_RETRY``) of a form of the space a link opens: no account
    holds it (``web.held``), so its page is shown again as sent, nothing done; a link
    refused or another need answers as the page itself would."""
    return lambda message: view(**request.view_args, expired=message)


# The space's forms, as the public form's: what the owner typed is not lost to a token
# refused (the phone's browser restored the tab a day later, its session cookie gone).
for _view in (edit, stop, preferences, details):
    CSRF_RETRY[f"need_public.{_view.__name__}"] = _space_form_after_expired_token(_view)


@bp.route("/entreprise/suivi/<token>/desactiver", methods=["POST"])
@public
def disable_links(token: str):
    """The owner disables every link to their space sent so far (one read by someone
    else, a mailbox shared): a new one goes to their address."""
    try:
        email = register.space_email(db.session, _secret(), token)
    except links.LinkError as error:
        return _refuse_link(error, "space")
    # (The form's security token is checked before this view, as for every POST.)
    register.disable_space_links(db.session, email)
    sent = register.mail_space_link(db.session, _secret(), email)
    db.session.commit()
    flash(
        "Tous vos liens de suivi sont désactivés. "
        + (
            f"Un nouveau lien vient d'être envoyé à {email}."
            if sent
            else "Demandez-en un nouveau dans quelques minutes ci-dessous."
        ),
        "success",
    )
    return redirect(url_for("need_public.renew"))


@bp.route("/entreprise/lien", methods=["GET", "POST"])
@public
def renew():
    if request.method == "GET":
        return render_template("needs/owner_link.html", email="", error=None)
    typed = (request.form.get("email") or "").strip()
    # An owner's address stored with an accented name before the @ (before the rule) is
    # found too.
    email, invalid = read_email(
        typed,
        "Indiquez une adresse e-mail valide (par exemple prenom.nom@exemple.fr).",
        to_find=True,
    )
    refusal = throttle.mail_form_refusal(db.session, "lien", request.remote_addr)
    if refusal is not None or email is None:
        return (
            render_template("needs/owner_link.html", email=typed[:254], error=refusal or invalid),
            429 if refusal else 422,
        )
    # Recorded and counted the same way for every address (``link_requests``): neither
    # the answer nor its time tells whether the address posted a need.
    link_requests.ask(db.session, link_requests.COMPANY_SPACE, email)
    throttle.count_mail_form(db.session, "lien", request.remote_addr)
    db.session.commit()
    # The same answer whether or not the address is known: no one learns who posted a need.
    flash(
        "Si cette adresse a déjà exprimé un besoin, un nouveau lien de suivi vient de lui "
        "être envoyé par e-mail.",
        "success",
    )
    return redirect(url_for("need_public.renew"))


def _renew_after_expired_token(message: str):
    """The link asked for with the form's security token refused (``errors.CSRF_RETRY``):
    the form again, the address as typed, with why on top; nothing asked."""
    flash(message, "warning")
    typed = (request.form.get("email") or "").strip()[:254]
    return render_template("needs/owner_link.html", email=typed, error=None), 400


CSRF_RETRY["need_public.renew"] = _renew_after_expired_token
