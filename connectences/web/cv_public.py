"""Job seekers' side of the CV library: submit a profile, confirm it, manage it by link.

No password is needed: the person confirms their address through a mailed link,
then reaches their space through a signed, expiring personal link. Every rule lives
in ``connectences.cvtheque``; these views parse, call, commit and render.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from sqlalchemy.exc import IntegrityError

from connectences import skills, territory, vocab
from connectences.accounts import create_user, link_requests, throttle
from connectences.accounts.audit import audit
from connectences.accounts.users import (
    AccountError,
    AccountLocked,
    LoginRefused,
    candidate_has_account,
)
from connectences.clock import local_today
from connectences.contacts import likely_typo
from connectences.cvtheque import consent, files, retention
from connectences.cvtheque.commitments import (
    PLACEMENT_KEPT_CHANGE,
    CommitmentError,
    add_commitment,
    commitment_of,
    describe,
    held_hours_hint,
    own_hours_warning,
    removable_by_person,
    remove_own_commitment,
    update_own_commitment,
    week_view,
)
from connectences.cvtheque.erase import ON_REQUEST, erase_candidate, export_candidate
from connectences.cvtheque.files import CvFileError, CvStorageError
from connectences.cvtheque.history import events_of, record_event
from connectences.cvtheque.profile import (
    MAX_SKILLS,
    CleanProfile,
    ProfileError,
    apply_profile,
    attach_pdf,
    clean_source,
    held_once_saved,
    holds_now,
    submit_candidate,
)
from connectences.cvtheque.read_skills import skills_read_in_cv
from connectences.cvtheque.status import (
    StatusError,
    choose_week,
    own_status_words,
    set_status,
    settle_status,
)
from connectences.extensions import db, login_manager
from connectences.matching.matches import candidate_changed
from connectences.matching.week import still_runs
from connectences.models import Candidate, utcnow
from connectences.typography import plural
from connectences.web import just_sent
from connectences.web.access import public
from connectences.web.actions import flash_in
from connectences.web.commitment_form import form_values, read_change
from connectences.web.cv_forms import (
    ActionForm,
    CandidateForm,
    CandidateUpdateForm,
    DeleteForm,
    LinkRequestForm,
    SkillsFoundForm,
    choices_of,
)
from connectences.web.errors import CSRF_RETRY, render_error
from connectences.web.formats import local_date
from connectences.web.forms import SetPasswordForm, corrected_address, tell_communes_recorded
from connectences.web.navigation import PUBLIC_NAV
from connectences.workflows import (
    ChangedMeanwhile,
    MeanwhileMessage,
    read_stamp,
    read_values,
    unchanged_since,
)

bp = Blueprint("cv_public", __name__)

# Job seekers find the form from every public page, not only from the home page.
if ("Déposer mon CV", "cv_public.submit") not in PUBLIC_NAV:
    PUBLIC_NAV.insert(1, ("Déposer mon CV", "cv_public.submit"))

# Skills found in a CV uploaded from the personal space, waiting for the person's ticks.
PENDING = "cv_pending"
# What the public form has just sent (``just_sent``): the new profile, the skills found.
SENT = "cv_sent"
MAX_PROPOSALS = 20
# Said when the profile was saved from elsewhere (another tab, the team) after the form
# was read (``workflows.unchanged_since``): nothing written, what was typed kept.
PROFILE_MEANWHILE = (
    "Votre profil a été modifié depuis que vous avez ouvert cette page (dans un autre "
    "onglet, ou par l'équipe de la plateforme)."
)
# What the profile form edits (``workflows.unchanged_since``'s ``edits``): its fields as
# it shows them, and the CV file an upload replaces. A profile stamped since by a change
# elsewhere (the team adds a commitment) is saved while these still hold what was read;
# so is a form sending exactly what the profile holds now (``profile.held_once_saved``).


def _profile_edits(candidate: Candidate) -> dict:
    return {**CandidateForm.data_of(candidate), "cv": candidate.cv_filename}


# After it, what the profile holds now where the form differs (``profile.holds_now``):
# the form given back still holds what the page had read, which a save would put back.
PROFILE_KEPT = (
    "Vos saisies sont gardées ci-dessous : reprenez-y ce que vous voulez garder du profil "
    "actuel, puis enregistrez à nouveau."
)
# Said after an address corrected on the thanks page, whichever the minute job then
# mails (``link_requests``): the confirmation to the profile moved there, the link of
# the profile that address held already, or the invitation to send again a profile
# whose first address held one (nothing of it was stored).
ADDRESS_CORRECTED = (
    "Un nouvel e-mail part vers {address} : ouvrez-le. Si cette adresse avait déjà un "
    "profil dans la CVthèque, il vous donne le lien de ce profil-là : mettez-le à jour "
    "depuis son espace. S'il vous invite à déposer à nouveau votre profil, c'est qu'il "
    "n'a pas pu être enregistré : déposez-le avec cette adresse."
)
ADDRESS_CONFIRMED_SINCE = (
    "L'adresse de votre profil est déjà confirmée : elle ne se corrige plus ici. Pour la "
    "changer, ouvrez votre espace avec le lien reçu par e-mail."
)
SUGGEST_MAX_QUERY = 60
SUGGEST_CONTEXT = 8  # skills written before the one being typed, at most
SUGGEST_LIMIT = 8


# Said under a refused CV file on the public form: whoever cannot make a PDF (a photo of
# a paper CV on a phone) is not stopped there.
CV_OPTIONAL = (
    "Le CV est facultatif : vous pouvez aussi envoyer le formulaire sans fichier, et "
    "l'ajouter plus tard depuis votre espace."
)

# Said to the person opening their own CV found with active content after its upload
# (cvtheque.stored_files.recheck).
OWN_CV_UNREADABLE = (
    "Votre CV n'est plus transmis : son fichier ne peut plus être lu comme un PDF, ni donc "
    "vérifié, et il est retenu par sécurité. Enregistrez de nouveau votre CV au format PDF "
    "depuis votre traitement de texte, puis déposez-le avec « Modifier mon profil »."
)
OWN_CV_WITHHELD = (
    "Votre CV n'est plus transmis : il contient un contenu actif (un script, un programme "
    "lancé à l'ouverture ou une pièce jointe), refusé par sécurité. Enregistrez le CV sans "
    "pièce jointe, au format PDF depuis votre traitement de texte, puis déposez-le de "
    "nouveau avec « Modifier mon profil »."
)


@bp.after_request
def _private(response: Response) -> Response:
    # Pages of a personal link hold personal data and the link itself: never cached.
    # (The templates also tell browsers to send their origin alone as Referer, never the
    # link: the app-wide policy is same-origin, set after this function. Not no-referrer:
    # over HTTPS, Flask-WTF refuses a form sent without a Referer.)
    response.headers["Cache-Control"] = "no-store"
    return response


def _ip() -> str | None:
    return request.remote_addr


def _uploaded(field) -> list[bytes] | None:
    """The bytes of each file chosen (a PDF, or photos of a paper CV), each read up to
    the limit plus one (to detect oversize), one file more than accepted at most (to
    say there are too many); None when no file was chosen."""
    chosen = [s for s in field.data or [] if getattr(s, "filename", None)]
    if not chosen:
        return None
    limit = files.max_bytes()
    return [s.stream.read(limit + 1) or b"" for s in chosen[: files.MAX_CV_PHOTOS + 1]]


def _channel() -> str | None:
    """The channel named by the link that brought the person (``?canal=forum``, kept in
    the form as it is sent), as a code of ``vocab.CV_SOURCES``; None when absent or
    unknown: a poster's mistyped link must not stop anyone from sending their profile."""
    try:
        return clean_source(request.values.get("canal", "")[:100])
    except ValueError:
        return None


def _render_form(form, *, status: int = 200, template: str = "cv_public/submit.html", **kw):
    return (
        render_template(
            template,
            form=form,
            channel=_channel(),
            notice=consent.NOTICE,
            communes=territory.pays_commune_labels(),
            **kw,
        ),
        status,
    )


def _proposals(text: str | None, declared: list[str]) -> list[str]:
    """Skills of the taxonomy read in the CV that the person did not write themselves."""
    return skills_read_in_cv(text, declared, limit=MAX_PROPOSALS)


# --------------------------------------------------------------------------- submit


@bp.route("/deposer-mon-cv", methods=["GET", "POST"])
@public
def submit():
    """The public form: profile, notice and consent, optional PDF."""
    form = CandidateForm()
    if request.method == "POST":
        refusal = throttle.mail_form_refusal(db.session, "cv", request.remote_addr)
        if refusal is not None:
            # What was typed is shown again (the file is not kept: it is chosen again).
            return _render_form(form, status=429, limit_error=refusal)
        if not form.validate_on_submit():
            return _render_form(form, status=400)
        uploads = _uploaded(form.cv)
        pdf = None
        if uploads is not None:
            try:
                pdf = files.read_cv(uploads)
            except CvFileError as exc:
                form.cv.errors = [f"{exc.message} {CV_OPTIONAL}"]
                return _render_form(form, status=400)
        text = pdf.text if pdf is not None else None
        try:
            new_id = _store_submission(form, pdf)
        except (ProfileError, CvFileError) as exc:
            db.session.rollback()
            form.add_errors(getattr(exc, "errors", None) or {"cv": str(exc)})
            # The storage failing is no fault of the form: the same form may come again.
            return _render_form(form, status=503 if isinstance(exc, CvStorageError) else 400)
        found = _proposals(text, form.cleaned["skills"])
        tell_communes_recorded(form.commune.data)
        # The same answer whether the address was new or known: nothing tells a visitor
        # who is in the library. Only a new profile may receive the ticked skills, from
        # this browser, for a few minutes and on the pages that follow (``just_sent``).
        # A PDF holding no text (a scan, a photo saved as PDF) is kept for the team to
        # read, but no skill could be found in it: the person is told. Photos sent as
        # such were never read (no OCR): they are told that, without a fault of theirs.
        unread = None
        if pdf is not None and not (text or "").strip():
            unread = "photo" if pdf.photos else "scan"
        just_sent.remember(
            SENT,
            id=new_id,
            found=found,
            email=form.cleaned["email"],
            unread=unread,
            written=len(form.cleaned["skills"]),
        )
        if found:
            return redirect(url_for("cv_public.skills_found"))
        return redirect(url_for("cv_public.thanks"))
    return _render_form(form)


def _after_expired_token(message: str):
    """The form as it was sent, its security token refused (``errors.CSRF_RETRY``)."""
    return _render_form(CandidateForm(), status=400, limit_error=message)


CSRF_RETRY["cv_public.submit"] = _after_expired_token


def _store_submission(form, pdf: files.ReadCv | None) -> int | None:
    """Store the submitted profile and commit; the new profile's id (None when the
    address was known already).

    Two requests sending the same form at the same instant (a double click, a retried
    request) both find the address unknown; the second insert then fails on its unique
    constraint. Sent again, that submission takes the path of a known address, which
    mails nothing so soon after the first one's confirmation mail: one profile, one mail,
    and the same answer to both."""
    try:
        return _submit_and_commit(form, pdf)
    except IntegrityError:
        db.session.rollback()
        return _submit_and_commit(form, pdf)


def _submit_and_commit(form, pdf: files.ReadCv | None) -> int | None:
    candidate, created = submit_candidate(
        db.session,
        CleanProfile(form.cleaned, consent=form.consent.data),
        source="public",
        channel=_channel(),
        actor_label=consent.SELF,
        pdf=pdf,
    )
    # Read before the commit expires it: reading it after would load the profile again,
    # with its skills and commitments (three statements for an id).
    new_id = candidate.id if created else None
    throttle.count_mail_form(db.session, "cv", request.remote_addr)
    db.session.commit()
    return new_id


@bp.route("/deposer-mon-cv/competences", methods=["GET", "POST"])
@public
def skills_found():
    """Second step after a PDF: tick the skills found in it that are right."""
    pending = just_sent.recall(SENT) or {}
    found = list(pending.get("found") or [])
    if not found:
        return redirect(url_for("cv_public.thanks"))
    form = SkillsFoundForm()
    form.found.choices = choices_of(found)
    if form.validate_on_submit():
        chosen = [label for label in form.found.data or [] if label in found]
        written = int(pending.get("written") or 0)
        if written + len(chosen) > MAX_SKILLS:
            # Refused before any profile is read, as the profile would refuse it: the
            # same for a sending that stored nothing (its address held a profile), or
            # the step would tell whose address is in the library.
            _refuse_found(form, skills.too_many_skills(MAX_SKILLS), written)
            return _render_skills_found(form, 422)
        candidate = db.session.get(Candidate, pending["id"]) if pending.get("id") else None
        # Until the address is confirmed: then the profile is its owner's, changed in
        # their space only.
        fresh = candidate is not None and chosen and candidate.email_confirmed_at is None
        if fresh and not _add_found_skills(candidate, chosen, form):
            return _render_skills_found(form, 422)
        just_sent.revise(SENT, found=[])  # used once
        db.session.commit()
        return redirect(url_for("cv_public.thanks"))
    return _render_skills_found(form)


def _render_skills_found(form, status: int = 200):
    """The skills step; after a refusal, its error next to the boxes, ticks kept."""
    return render_template("cv_public/skills_found.html", form=form, action=request.path), status


def _add_found_skills(candidate: Candidate, chosen: list[str], form) -> bool:
    """Add the skills found in the CV that the person ticked; when refused, roll back,
    put why under the boxes of ``form`` and return False (the proposal stays open)."""
    written = len(candidate.skill_labels)
    try:
        apply_profile(
            db.session,
            candidate,
            {"skills": candidate.skill_labels + chosen},
            actor_label=consent.SELF,
            partial=True,
        )
    except ProfileError as exc:
        db.session.rollback()
        _refuse_found(
            form, exc.errors.get("skills", "Ces compétences n'ont pas été ajoutées."), written
        )
        return False
    return True


def _refuse_found(form, message: str, written: int) -> None:
    """Put under the boxes of ``form`` why the ticked skills are refused, with the
    ``written`` skills the profile has already."""
    form.found.errors = [
        f"{message} Votre profil en compte déjà {plural(written, 'compétence')} : "
        "cochez-en moins, ou ne cochez rien pour garder votre profil tel quel."
    ]


@bp.route("/deposer-mon-cv/merci", methods=["GET", "POST"])
@public
def thanks():
    """'Confirm your address', the address shown as typed, with a way to correct a
    mistyped one (this browser, for a few minutes only): a new profile moves to it
    without being typed again; a sending whose address held a profile stored nothing,
    and the address corrected is invited to send it again (``link_requests``)."""
    sent = just_sent.recall(SENT)
    # The profile this sending created; None when its address held one already (nothing
    # was stored, that profile's owner was mailed their link). The page is the same for
    # both, and so is the correction's request: nothing tells whose address is in the
    # library.
    created = (sent or {}).get("id")
    typed, error, status, closed = "", None, 200, False
    if request.method == "POST" and sent is not None:
        typed, address, error, status = corrected_address("email", "cv")
        if address is not None:
            # The same statements either way, the minute job doing the rest: the wish
            # waits on the profile created (its mistyped address's link confirms nothing
            # meanwhile), none for a sending that stored nothing.
            taken = consent.ask_address_correction(db.session, created, address)
            if created is None or taken:
                kind = link_requests.CV_ADDRESS if created else link_requests.CV_UNSTORED
                link_requests.ask(db.session, kind, address)
                throttle.count_mail_form(db.session, "cv", request.remote_addr)
                db.session.commit()
                just_sent.revise(SENT, email=address)
                flash(ADDRESS_CORRECTED.format(address=address), "success")
                return redirect(url_for("cv_public.thanks"))
            # Confirmed since, from its mailbox (or erased): this browser's own profile.
            db.session.rollback()
            flash(ADDRESS_CONFIRMED_SINCE, "info")
            return redirect(url_for("cv_public.thanks"))
    elif created is not None:
        # A profile confirmed (from another device) is changed from its space only.
        candidate = db.session.get(Candidate, created)
        closed = candidate is None or candidate.email_confirmed_at is not None
    email = (sent or {}).get("email")
    return render_template(
        "cv_public/thanks.html",
        sent=sent is not None,
        unread=(sent or {}).get("unread") or None,
        email=email,
        meant=likely_typo(email),
        can_correct=sent is not None and not closed,
        typed=typed,
        error=error,
    ), status


@lru_cache(maxsize=2048)
def _suggestions(query: str, kind: str, context: tuple[str, ...] = ()) -> tuple[dict, ...]:
    if kind == "skills":
        items = skills.skill_suggestions(query, list(context), limit=SUGGEST_LIMIT)
        return tuple({"label": i["label"], "code": i.get("code"), "kind": i["kind"]} for i in items)
    items = skills.suggest(query, limit=SUGGEST_LIMIT * 2)
    if kind == "rome":
        out, seen = [], set()
        for item in items:
            code = item.get("code") or ""
            if skills.is_rome(code) and code not in seen:
                seen.add(code)
                label = skills.rome_label(code) or item["label"]
                out.append({"label": label, "code": code, "kind": item["kind"]})
        return tuple(out[:SUGGEST_LIMIT])
    return tuple(
        {"label": i["label"], "code": i.get("code"), "kind": i["kind"]}
        for i in items[:SUGGEST_LIMIT]
    )


@bp.route("/deposer-mon-cv/suggestions")
@public
def suggestions():
    """Jobs and skills of the taxonomy close to what is typed (bounded and cached)."""
    query = re.sub(r"\s+", " ", request.args.get("q", ""))[:SUGGEST_MAX_QUERY].strip()
    kind = "rome" if request.args.get("type") == "rome" else "skills"
    if len(query) < 2:
        return jsonify({"suggestions": []})
    # The skills already written (one per line or comma), bounded: they say which
    # trades the person is writing about.
    before = request.args.get("avant", "")[: SUGGEST_MAX_QUERY * 8]
    context = tuple(p.strip().lower() for p in re.split(r"[\n,;]", before) if p.strip())[
        -SUGGEST_CONTEXT:
    ]
    return jsonify({"suggestions": list(_suggestions(query.lower(), kind, context))})


# --------------------------------------------------------------------------- confirm and links


def _refused(message: str, *, reason: str, status: int = 403, erased: bool = False):
    audit(
        db.session,
        "cv.link_refused",
        ip=_ip(),
        details={"reason": reason, "path": request.endpoint},
    )
    db.session.commit()
    # A disabled account gets no new link: offering one would say a mail went out. Nor
    # does an erased profile: no mail could go out, there is no one left to send it to.
    closed = erased or message == consent.DISABLED
    return render_template(
        "cv_public/link_invalid.html", message=message, closed=closed, erased=erased
    ), status


def _refused_link(exc: consent.LinkError):
    """The page of a personal link that cannot be used, by what went wrong with it: an
    erased profile's link is gone for good (410), and says so."""
    if isinstance(exc, consent.ErasedLink):
        return _refused(exc.message, reason="erased", status=410, erased=True)
    return _refused(exc.message, reason="expired" if exc.expired else "invalid")


@bp.route("/mon-cv/confirmer/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    """Confirm the address: a page with a button (mail scanners follow links, not forms)."""
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            candidate, opens_space, newly = consent.confirm(db.session, token)
        except consent.LinkError as exc:
            db.session.rollback()
            return _refused_link(exc)
        db.session.commit()
        candidate_changed(candidate)
        if newly:
            flash(
                "Votre adresse est confirmée : votre profil peut maintenant être proposé.",
                "success",
            )
        else:
            flash("Votre adresse était déjà confirmée : ce lien a déjà servi.", "info")
        if not opens_space:
            flash(
                "Vos liens personnels ont été désactivés depuis l'envoi de cet e-mail : "
                "demandez ci-dessous un nouveau lien, il vous sera envoyé par e-mail.",
                "info",
            )
            return redirect(url_for("cv_public.request_link"))
        return redirect(url_for("cv_public.space", token=consent.space_token(candidate)))
    # An expired or outdated link says so at once, not after its button; one opened again
    # says the address is confirmed already.
    try:
        candidate, address, _payload = consent.confirmation_of(db.session, token)
    except consent.LinkError as exc:
        db.session.rollback()
        return _refused_link(exc)
    already = consent.already_confirmed(candidate, address)
    db.session.commit()
    return render_template("cv_public/confirm.html", form=form, already=already)


@bp.route("/mon-cv/lien", methods=["GET", "POST"])
@public
def request_link():
    """Ask for a new personal link: the same answer whether the address is known or not."""
    form = LinkRequestForm()
    refusal = None
    if request.method == "POST":
        refusal = throttle.mail_form_refusal(db.session, "lien", request.remote_addr)
    if refusal is None and form.validate_on_submit():
        # Recorded the same way for every address, mailed by the minute job: neither the
        # answer nor its time tells whether the address is in the library.
        link_requests.ask(db.session, link_requests.CV_SPACE, form.email.data or "")
        throttle.count_mail_form(db.session, "lien", request.remote_addr)
        db.session.commit()
        return render_template("cv_public/link_sent.html")
    status = 429 if refusal else 400 if request.method == "POST" else 200
    return render_template("cv_public/request_link.html", form=form, error=refusal), status


# --------------------------------------------------------------------------- personal space


def _space_candidate(token: str | None) -> Candidate:
    """The person of a personal link, or a refusal page (tampered, expired, revoked, or
    a logged-in candidate reaching someone else's profile). Without a token (the
    ``/candidat/mon-espace`` addresses), the logged-in job seeker's own profile: the same
    pages under their session, with no link in the address bar."""
    if token is None:
        return _session_candidate()
    try:
        candidate = consent.candidate_from_space_token(db.session, token)
    except consent.LinkError as exc:
        db.session.rollback()
        abort(make_response(_refused_link(exc)))
    if (
        current_user.is_authenticated
        and current_user.role == "candidate"
        and current_user.candidate_id != candidate.id
    ):
        abort(
            make_response(
                _refused(
                    "Ce lien ne correspond pas à votre compte.",
                    reason="other_candidate",
                    status=403,
                )
            )
        )
    _came_back(candidate)
    return candidate


def _came_back(candidate: Candidate) -> None:
    """The person came back: their 2 years start again; told so after a warning."""
    if retention.came_back(db.session, candidate):
        day = retention.deletion_day(candidate)
        flash(
            "Merci : votre profil est conservé dans la CVthèque. Sans nouvelles de votre "
            f"part, il sera supprimé le {day:%d/%m/%Y}.",
            "success",
        )


def _session_candidate() -> Candidate:
    """The profile of the logged-in job seeker; anyone else logs in first (or is refused)."""
    if not current_user.is_authenticated:
        # As for any page of a logged-in person: a form sent is held for the login.
        abort(login_manager.unauthorized())
    if current_user.role != "candidate":
        abort(403)
    candidate = (
        db.session.get(Candidate, current_user.candidate_id) if current_user.candidate_id else None
    )
    if candidate is None:
        abort(404)
    _came_back(candidate)
    return candidate


def _audit_self(action: str, candidate: Candidate, **details) -> None:
    audit(
        db.session,
        action,
        actor=current_user if current_user.is_authenticated else None,
        entity="candidate",
        entity_id=candidate.id,
        ip=_ip(),
        details={"by": "self", **details},
    )


@bp.route("/mon-cv/<token>")
@bp.route("/candidat/mon-espace", defaults={"token": None})
@public
def space(token: str):
    candidate = _space_candidate(token)
    _audit_self("cv.viewed", candidate)
    db.session.commit()
    commune = territory.get_commune(candidate.commune)
    has_account = candidate_has_account(db.session, candidate)
    return render_template(
        "cv_public/space.html",
        candidate=candidate,
        token=token,
        commune=commune,
        events=events_of(db.session, candidate.id, limit=20),
        week=week_view(candidate),
        removable=removable_by_person,
        cv_state=files.file_state(candidate.cv_filename),
        has_account=has_account,
        action_form=ActionForm(),
        levels=vocab.LEVELS,
        days=vocab.DAYS,
        contracts=vocab.CONTRACTS,
        situation=own_status_words(candidate),
        rome_label=skills.rome_label,
    )


@bp.route("/mon-cv/<token>/modifier", methods=["GET", "POST"])
@bp.route("/candidat/mon-espace/modifier", defaults={"token": None}, methods=["GET", "POST"])
@public
def update(token: str):
    candidate = _space_candidate(token)
    form = _update_form(candidate, data=CandidateForm.data_of(candidate))
    form.stored_names = {"first_name": candidate.first_name, "last_name": candidate.last_name}
    form.hours_max.description = held_hours_hint(candidate) or form.hours_max.description
    sent_stamp = request.form.get("lu_le", "")
    sent_values = request.form.get("lu_valeurs", "")[:64]
    if request.method == "POST":
        if not form.validate_on_submit():
            db.session.rollback()
            return _render_form(
                form,
                status=400,
                template="cv_public/update.html",
                token=token,
                stamp=sent_stamp,
                values=sent_values,
            )
        pdf = _uploaded(form.cv)
        text = None
        # A new address waits for its confirmation (consent.request_address_change): the
        # rest of the profile is written now.
        address = form.cleaned.get("email")
        asked = consent.asks_another_address(candidate, address)
        if asked and (refused := _unproved_account(candidate, form)) is not None:
            return _render_form(
                form,
                status=refused,
                template="cv_public/update.html",
                token=token,
                stamp=sent_stamp,
                values=sent_values,
            )
        try:
            unchanged_since(
                db.session,
                candidate,
                sent_stamp,
                PROFILE_MEANWHILE,
                edits=_profile_edits,
                values_read=sent_values,
                # A new CV file is never held yet.
                holds=None if pdf is not None else held_once_saved(form.cleaned),
            )
            cleaned = CleanProfile((k, v) for k, v in form.cleaned.items() if k != "email")
            changed = apply_profile(db.session, candidate, cleaned, actor_label=consent.SELF)
            if pdf is not None:
                text = attach_pdf(db.session, candidate, pdf, actor_label=consent.SELF)
                changed.append("cv")
            if address is not None and (asked or candidate.pending_email):
                consent.request_address_change(db.session, candidate, address)
            db.session.commit()
        except ChangedMeanwhile as clash:
            db.session.rollback()
            # Read after the rollback: the profile as the other save left it.
            now = holds_now(candidate, {k: v for k, v in form.cleaned.items() if k != "email"})
            return _render_form(
                form,
                status=422,
                template="cv_public/update.html",
                token=token,
                limit_error=MeanwhileMessage(
                    " ".join(filter(None, (clash.message, now, PROFILE_KEPT)))
                ),
                stamp=read_stamp(candidate),
                values=read_values(candidate, _profile_edits),
            )
        except (ProfileError, CvFileError) as exc:
            db.session.rollback()
            if isinstance(exc, CvFileError):
                form.cv.errors = [exc.message]
            else:
                form.add_errors(exc.errors)
            return _render_form(
                form,
                status=503 if isinstance(exc, CvStorageError) else 400,
                template="cv_public/update.html",
                token=token,
                stamp=sent_stamp,
                values=sent_values,
            )
        candidate_changed(candidate)
        if asked:
            # The same answer whatever happened to the mail (sent, held back by the daily
            # limit, or the owner of that address sent their own link): nothing here says
            # whether another profile holds it.
            flash(
                f"Vos changements sont enregistrés. Pour utiliser l'adresse {address}, ouvrez le "
                "lien que nous y envoyons (rien reçu ? redemandez le changement demain) : "
                f"d'ici là, votre profil garde l'adresse {candidate.email}.",
                "warning",
            )
        else:
            flash("Vos changements sont enregistrés.", "success")
        if warning := own_hours_warning(candidate):
            flash(warning, "warning")
        tell_communes_recorded(form.commune.data)
        found = _proposals(text, candidate.skill_labels)
        if found:
            session[PENDING] = {"space": candidate.id, "found": found, "at": utcnow().isoformat()}
            return redirect(url_for("cv_public.space_skills", token=token))
        return redirect(url_for("cv_public.space", token=token))
    db.session.commit()
    return _render_form(
        form,
        template="cv_public/update.html",
        token=token,
        stamp=read_stamp(candidate),
        values=read_values(candidate, _profile_edits),
    )


def _update_form(candidate: Candidate, **kwargs) -> CandidateUpdateForm:
    """The profile form of the space, its password field only where a change of address
    needs it (``consent.address_needs_password``)."""
    form = CandidateUpdateForm(**kwargs)
    if not consent.address_needs_password(db.session, candidate, current_user):
        del form.password
    return form


def _unproved_account(candidate: Candidate, form: CandidateUpdateForm) -> int | None:
    """Check the account's password typed for a change of address (``consent.prove_account``);
    the status of the refusal, its message under the field, or None when proved."""
    typed = form.password.data if form.password is not None else None
    try:
        consent.prove_account(db.session, candidate, current_user, typed, _ip())
    except AccountLocked as refusal:
        db.session.rollback()
        form.password.errors = [refusal.message]
        return 429
    except LoginRefused as refusal:
        db.session.rollback()
        form.password.errors = [refusal.message]
        return 400
    return None


def _update_after_expired_token(message: str):
    """The profile form as it was sent, its security token refused (``errors.CSRF_RETRY``):
    by a personal link as under a session."""
    token = (request.view_args or {}).get("token")
    form = _update_form(_space_candidate(token))
    db.session.commit()
    return _render_form(
        form,
        status=400,
        template="cv_public/update.html",
        token=token,
        limit_error=message,
        stamp=request.form.get("lu_le", ""),
        values=request.form.get("lu_valeurs", "")[:64],
    )


CSRF_RETRY["cv_public.update"] = _update_after_expired_token


@bp.route("/mon-cv/<token>/competences", methods=["GET", "POST"])
@bp.route("/candidat/mon-espace/competences", defaults={"token": None}, methods=["GET", "POST"])
@public
def space_skills(token: str):
    candidate = _space_candidate(token)
    pending = session.get(PENDING) or {}
    found = list(pending.get("found") or []) if pending.get("space") == candidate.id else []
    if not found:
        db.session.commit()
        return redirect(url_for("cv_public.space", token=token))
    form = SkillsFoundForm()
    form.found.choices = choices_of(found)
    if form.validate_on_submit():
        chosen = [label for label in form.found.data or [] if label in found]
        if chosen and not _add_found_skills(candidate, chosen, form):
            return _render_skills_found(form, 422)
        session.pop(PENDING, None)
        db.session.commit()
        candidate_changed(candidate)
        return redirect(url_for("cv_public.space", token=token))
    db.session.commit()
    return _render_skills_found(form)


@bp.route("/mon-cv/<token>/pause", methods=["POST"])
@bp.route("/candidat/mon-espace/pause", defaults={"token": None}, methods=["POST"])
@public
def pause(token: str):
    """ "Je ne suis plus disponible" (status inactif), and back to disponible."""
    candidate = _space_candidate(token)
    wanted = request.form.get("vers", "")
    if not ActionForm().validate_on_submit() or wanted not in ("", "pause", "reprise"):
        abort(400)
    if wanted and (wanted == "pause") == (candidate.status == "inactif"):
        # A page read before a change made elsewhere (another tab): its button asks for
        # what already holds, and toggling would undo the person's own choice.
        db.session.commit()
        flash(
            "Votre profil était déjà en pause : rien n'a changé."
            if wanted == "pause"
            else "Votre profil était déjà proposé aux employeurs : rien n'a changé.",
            "info",
        )
        return redirect(url_for("cv_public.space", token=token))
    if candidate.status == "inactif":
        settle_status(
            db.session,
            candidate,
            actor_label=consent.SELF,
            reason="de nouveau disponible",
            resume=True,
        )
        message = "Votre profil est de nouveau proposé aux employeurs."
    else:
        set_status(
            db.session,
            candidate,
            "inactif",
            actor_label=consent.SELF,
            reason="profil mis en pause par la personne",
        )
        message = "Votre profil est en pause : il n'est plus proposé aux employeurs."
    db.session.commit()
    candidate_changed(candidate)
    flash(message, "success")
    return redirect(url_for("cv_public.space", token=token))


@bp.route("/mon-cv/<token>/semaine", methods=["POST"])
@bp.route("/candidat/mon-espace/semaine", defaults={"token": None}, methods=["POST"])
@public
def choose(token: str):
    """ "Je souhaite plus d'heures" / "Mon emploi du temps est complet"."""
    candidate = _space_candidate(token)
    choice = request.form.get("choix", "")
    if not ActionForm().validate_on_submit() or choice not in ("plus", "complet"):
        abort(400)
    try:
        choose_week(db.session, candidate, choice == "complet", actor_label=consent.SELF)
    except StatusError as error:
        db.session.rollback()
        flash_in("semaine", error.message, "error")
        return redirect(url_for("cv_public.space", token=token, _anchor="semaine"))
    db.session.commit()
    candidate_changed(candidate)
    if choice == "complet":
        message = (
            "C'est noté : votre emploi du temps est complet, on ne vous propose plus d'heures."
        )
    elif candidate.status == "place":
        message = (
            "C'est noté, mais votre semaine est déjà pleine avec le nombre d'heures que vous "
            "souhaitez au plus : modifiez votre profil pour en indiquer davantage."
        )
    else:
        message = "C'est noté : votre profil est proposé pour compléter votre semaine."
    flash_in("semaine", message, "success")
    return redirect(url_for("cv_public.space", token=token, _anchor="semaine"))


@bp.route("/mon-cv/<token>/engagements/nouveau", methods=["GET", "POST"])
@bp.route(
    "/candidat/mon-espace/engagements/nouveau", defaults={"token": None}, methods=["GET", "POST"]
)
@public
def add_own_commitment(token: str):
    """The person adds work they already hold (the animateur's rules and history line,
    said by the person): matching then proposes only what fits their free hours and days."""
    return _own_commitment_form(_space_candidate(token), token, None)


@bp.route("/mon-cv/<token>/engagements/<int:commitment_id>", methods=["GET", "POST"])
@bp.route(
    "/candidat/mon-espace/engagements/<int:commitment_id>",
    defaults={"token": None},
    methods=["GET", "POST"],
)
@public
def edit_own(token: str, commitment_id: int):
    """The person changes work they declared: its hours or days, or its last day once it
    stops (kept in their history, its time free again after it); a placement recorded
    here stays with their animateur."""
    candidate = _space_candidate(token)
    commitment = commitment_of(candidate, commitment_id)
    if commitment is None or not removable_by_person(commitment):
        # Removed already (another tab), another person's (reads the same), or a
        # placement's: the person finds their week as it is, told why.
        db.session.rollback()
        flash_in(
            "semaine",
            NOT_IN_WEEK if commitment is None else PLACEMENT_KEPT_CHANGE,
            "info" if commitment is None else "error",
        )
        return redirect(url_for("cv_public.space", token=token, _anchor="semaine"))
    return _own_commitment_form(candidate, token, commitment)


# Said when the work a button or a page names is not in the person's week (any longer).
NOT_IN_WEEK = (
    "Ce travail n'est pas ou plus dans votre semaine : il a sans doute déjà été "
    "retiré. Voici votre semaine telle qu'elle est."
)


def _own_commitment_form(candidate: Candidate, token: str | None, commitment):
    """Add (``commitment`` None) or change one of the person's commitments: a French
    message next to each field, nothing written on a refusal; a change is checked against
    the commitment's own stamp (the team may have changed it meanwhile)."""
    if request.method == "POST":
        try:
            values = read_change(candidate, request.form, commitment, OWN_COMMITMENT_MEANWHILE)
        except ChangedMeanwhile as clash:
            db.session.rollback()
            errors = {"_": f"{clash.message} Il est maintenant : {describe(commitment)}."}
            return _render_own_commitment(candidate, token, request.form, errors, 422, commitment)
        except CommitmentError as error:
            db.session.rollback()
            return _render_own_commitment(
                candidate, token, request.form, error.errors, 422, commitment
            )
        if commitment is None:
            add_commitment(db.session, candidate, values, actor=None, actor_label=consent.SELF)
            message = (
                "C'est noté : ce travail est dans votre semaine, ses heures et ses jours ne "
                "vous seront plus proposés."
            )
        else:
            update_own_commitment(
                db.session, candidate, commitment, values, actor_label=consent.SELF
            )
            message = "C'est noté : ce travail est modifié dans votre semaine."
        if not still_runs(values.until, local_today()):
            # Its last day past: no longer in the week the page shows, whatever was said.
            message = OWN_WORK_ENDED.format(day=local_date(values.until))
        db.session.commit()
        candidate_changed(candidate)
        flash_in("semaine", message, "success")
        if warning := own_hours_warning(candidate):
            flash_in("semaine", warning, "warning")
        return redirect(url_for("cv_public.space", token=token, _anchor="semaine"))
    db.session.commit()
    return _render_own_commitment(candidate, token, commitment, {}, 200, commitment)


# Said when the work added or changed has its last day before today.
OWN_WORK_ENDED = (
    "C'est noté : ce travail s'est arrêté le {day}. Il ne compte plus dans votre semaine : "
    "ses heures et ses jours peuvent de nouveau vous être proposés."
)
OWN_COMMITMENT_MEANWHILE = (
    "Ce travail a été modifié depuis que vous avez ouvert la page (par l'équipe de la "
    "plateforme, ou dans un autre onglet) : rien n'a été enregistré. Vos saisies sont "
    "gardées ci-dessous : vérifiez-les, puis enregistrez à nouveau."
)


def _render_own_commitment(candidate, token, shown, errors, status, commitment=None):
    return render_template(
        "cv_public/commitment.html",
        candidate=candidate,
        token=token,
        commitment=commitment,
        values=form_values(shown),
        errors=errors,
        days=vocab.DAYS,
    ), status


@bp.route("/mon-cv/<token>/engagements/<int:commitment_id>/retirer", methods=["POST"])
@bp.route(
    "/candidat/mon-espace/engagements/<int:commitment_id>/retirer",
    defaults={"token": None},
    methods=["POST"],
)
@public
def remove_own(token: str, commitment_id: int):
    """The person removes work they declared (ended, or a mistake); a placement recorded
    here stays: they ask their animateur."""
    candidate = _space_candidate(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    commitment = commitment_of(candidate, commitment_id)
    back = url_for("cv_public.space", token=token, _anchor="semaine")
    if commitment is None:
        # Removed already (from another tab, a second tap): the person finds their week
        # as it is. Another person's commitment reads the same, and stays theirs.
        db.session.rollback()
        flash_in("semaine", NOT_IN_WEEK, "info")
        return redirect(back)
    # The commitment's own stamp: removed only if it is still what the page showed
    # (the team may have changed its hours meanwhile); the profile saved meanwhile
    # refuses nothing.
    meanwhile = (
        "Ce travail a été modifié depuis que vous avez ouvert la page (par l'équipe de la "
        "plateforme, ou dans un autre onglet) : il n'est pas retiré. Il est maintenant : "
        f"{describe(commitment)}. Vérifiez-le, puis retirez-le à nouveau s'il le faut."
    )
    try:
        unchanged_since(db.session, commitment, request.form.get("lu_le"), meanwhile)
        remove_own_commitment(db.session, candidate, commitment, actor_label=consent.SELF)
    except ChangedMeanwhile as clash:
        db.session.rollback()
        flash_in("semaine", clash.message, "error")
        return redirect(back)
    except CommitmentError as error:
        db.session.rollback()
        flash_in("semaine", error.message, "error")
        return redirect(back)
    db.session.commit()
    candidate_changed(candidate)
    flash_in("semaine", "C'est noté : ce travail n'est plus dans votre semaine.", "success")
    return redirect(back)


@bp.route("/mon-cv/<token>/export.json")
@bp.route("/candidat/mon-espace/export.json", defaults={"token": None})
@public
def export_json(token: str):
    candidate = _space_candidate(token)
    payload = export_candidate(db.session, candidate)
    _audit_self("cv.exported", candidate, format="json")
    db.session.commit()
    return Response(
        json.dumps(payload, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="mes-donnees-cvtheque.json"'},
    )


@bp.route("/mon-cv/<token>/cv.pdf")
@bp.route("/candidat/mon-espace/cv.pdf", defaults={"token": None})
@public
def download_pdf(token: str):
    candidate = _space_candidate(token)
    try:
        data = files.read_pdf(candidate.cv_filename or "")
    except files.CvWithheld as withheld:
        db.session.commit()
        unreadable = withheld.reason == files.UNREADABLE_FILE
        return render_error(403, OWN_CV_UNREADABLE if unreadable else OWN_CV_WITHHELD)
    except FileNotFoundError:
        db.session.commit()
        abort(404)
    _audit_self("cv.downloaded", candidate)
    db.session.commit()
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="mon-cv.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/mon-cv/<token>/supprimer", methods=["GET", "POST"])
@bp.route("/candidat/mon-espace/supprimer", defaults={"token": None}, methods=["GET", "POST"])
@public
def delete(token: str):
    """Delete everything, after an explicit confirmation."""
    candidate = _space_candidate(token)
    form = DeleteForm()
    if request.method == "POST" and form.validate_on_submit():
        was_logged_in = current_user.is_authenticated and current_user.candidate_id == candidate.id
        erase_candidate(
            db.session,
            candidate,
            reason=ON_REQUEST,
            actor=current_user if was_logged_in else None,
            tell_the_person=True,
        )
        db.session.commit()
        if was_logged_in:
            logout_user()
        # Post/redirect/get, to a page of its own with a fragment of its own: rendered in
        # the answer to the form sent to "…/supprimer#erreurs", the page stayed on that
        # address (and a reload asked to send the form again); a redirect without a
        # fragment carries the form's over (RFC 9110).
        return redirect(url_for("cv_public.deleted", _anchor="contenu"))
    db.session.commit()
    return render_template("cv_public/delete.html", form=form, token=token), (
        400 if request.method == "POST" else 200
    )


@bp.route("/mon-cv/supprime")
@public
def deleted():
    """Where an erasure of one's profile lands: it says everything is gone (nothing of
    the person is left to show)."""
    return render_template("cv_public/deleted.html")


@bp.route("/mon-cv/<token>/compte", methods=["GET", "POST"])
@public
def account(token: str):
    """Create a password account tied to the profile (for those who prefer to log in)."""
    candidate = _space_candidate(token)
    if candidate_has_account(db.session, candidate):
        db.session.commit()
        flash(
            "Un compte existe déjà pour votre adresse : connectez-vous. Si son mot de passe "
            "ne fonctionne plus, choisissez-en un nouveau avec « Mot de passe oublié ».",
            "info",
        )
        return redirect(url_for("auth.login"))
    if candidate.email_confirmed_at is None:
        # An account's address is its login: only an address its owner confirmed (or
        # anyone could change theirs to someone else's and take it as a login).
        db.session.commit()
        flash(
            "Confirmez d'abord votre adresse avec le lien que nous vous avons envoyé : "
            "vous pourrez ensuite créer votre compte.",
            "warning",
        )
        return redirect(url_for("cv_public.space", token=token))
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            create_user(
                db.session,
                candidate.email,
                "candidate",
                password=form.password.data,
                org_ref=candidate.ref,
                full_name=f"{candidate.first_name} {candidate.last_name}",
            )
        except AccountError as exc:
            db.session.rollback()
            form.password.errors = [exc.message]
            return render_template("cv_public/account.html", form=form, token=token), 400
        record_event(
            db.session,
            candidate,
            "account",
            "La personne a créé un compte avec mot de passe.",
            actor_label=consent.SELF,
        )
        consent.tell_account_created(db.session, candidate)
        db.session.commit()
        flash(
            "Votre compte est créé : connectez-vous avec votre adresse et ce mot de passe.",
            "success",
        )
        # A fragment of its own: the form was sent to "…#erreurs", which a redirect
        # without one carries over (RFC 9110), opening the login page on "#erreurs".
        return redirect(url_for("auth.login", _anchor="contenu"))
    db.session.commit()
    return render_template("cv_public/account.html", form=form, token=token), (
        400 if request.method == "POST" else 200
    )


@bp.route("/mon-cv/<token>/nouveau-lien", methods=["POST"])
@public
def revoke(token: str):
    """Disable every link sent so far and mail a fresh one (a link shared by mistake)."""
    candidate = _space_candidate(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    consent.revoke_links(db.session, candidate)
    consent.send_space_link(db.session, candidate.email, force=True)
    db.session.commit()
    return render_template("cv_public/link_sent.html", revoked=True)
