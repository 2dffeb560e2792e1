"""The page where a company owner corrects a need they posted, or, once an operator or a
partner has it, writes to the animateur about it: the same for the space opened by a
signed link (``need_public``) and for the logged-in area (``companies``); the rules are
``form_rules.check_need`` (the public form's) and ``needs.owner_edit``."""

from __future__ import annotations

from flask import flash, render_template, request

from connectences import territory, vocab
from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Need
from connectences.needs import form_rules, territory_edge
from connectences.needs.moves import OWNER_TEXT_MAX, owner_may_stop
from connectences.needs.owner_edit import (
    edit_by_owner,
    edit_refusal,
    holds_now,
    owner_may_edit,
    owner_may_write,
    write_to_animateur,
)
from connectences.needs.register import NEED_FIELDS, NEED_TEXT_FIELDS
from connectences.needs.status_words import HELD_BY_CHOICE, status_for_company
from connectences.web.actions import changed_meanwhile
from connectences.web.forms import back_after_success, errors_for, tell_communes_recorded
from connectences.web.needs import need_form_data
from connectences.workflows import (
    ChangedMeanwhile,
    TransitionError,
    read_stamp,
    read_values,
    unchanged_since_read,
)

# Which of the page's two forms was sent (a need routed meanwhile turns one into the other).
EDIT, MESSAGE = "modifier", "message"


def _posted() -> dict:
    # As typed, never cut: a text over its limit is refused with its length by the rules.
    data = {name: request.form.get(name, "") for name in NEED_TEXT_FIELDS}
    data["days"] = request.form.getlist("days")
    return data


# The owner's need fields in the order ``needs/_owner_need_fields.html`` shows them (the
# hours and days before the profile, the start before the reason), so that an error
# summary lists them as the owner meets them going down the page.
OWNER_FIELD_ORDER = (
    "title",
    "skills",
    "hours_per_week",
    "days",
    "level",
    "contract",
    "start",
    "duration_months",
    "commune",
    "reason",
    "reason_text",
)
assert set(OWNER_FIELD_ORDER) == set(NEED_FIELDS)  # noqa: S101 — import-time consistency check of constant tables


def owner_fields_context(need: Need | None = None) -> dict:
    """What the owner's need fields (``needs/_owner_need_fields.html``) offer, on the
    public form and on the owner's correction page alike (``need``: the one corrected,
    whose passed start may be kept)."""
    today = local_today()
    kept = form_rules.kept_past_start(need.start, today) if need is not None else None
    return {
        "owner_levels": form_rules.OWNER_LEVELS,
        "owner_reasons": form_rules.OWNER_REASONS,
        "contracts": vocab.CONTRACTS,
        "days": vocab.DAYS,
        "communes": territory.pays_commune_labels(),
        "today": (kept or today).isoformat(),
        "kept_start": kept,
    }


def owner_row(session, need: Need, stops: dict, holders: dict) -> dict:
    """A need as its owner's list shows it: its plain-words status (``stops``: the
    owners' stops of the list, ``status_words.owner_stops``; ``holders``: who holds
    each, ``status_words.owner_holders``) and what they may do with it (stop it,
    correct it, or write to the animateur about it)."""
    editable = owner_may_edit(session, need)
    words = status_for_company(need, stops, holders)
    return {
        "need": need,
        "words": words,
        # Sent nowhere while the company asks not to be solicited: where to change it.
        "held_by_choice": words == HELD_BY_CHOICE,
        "stoppable": owner_may_stop(need),
        "editable": editable,
        "writable": not editable and owner_may_write(session, need),
    }


def edit_page(
    need: Need,
    *,
    email: str,
    actor,
    action: str,
    back: str,
    company_name: str,
    expired: str | None = None,
):
    """GET: the need's form filled in (or, once it may no longer be corrected, why, and
    the message form); POST: the correction or the message, then back to ``back`` (the
    owner's list of needs) with a word; a refusal shows the page again, filled in as
    typed, and changes nothing. ``action``: this page's address. ``expired``: why the
    form sent was refused before this view (its security token, ``errors.CSRF_RETRY``):
    shown again as sent, with its read stamps, and nothing done. ``company_name``: the
    company as the page may name it to this owner (``register.followed_company_name``)."""
    data = need_form_data(need)
    read_at = ""  # the form's read stamp; empty: the need's as read now
    values_read = ""  # the digest of the values it read, sent with its stamp
    message = ""
    errors: dict[str, str] = {}
    status = 200
    if expired is not None:
        if request.form.get("envoi") == MESSAGE:
            message = request.form.get("message", "")
        else:
            data = _posted()
            read_at = request.form.get("lu_le", "")[:64]
            values_read = request.form.get("lu_valeurs", "")[:64]
        errors, status = {"_": expired}, 400
    elif request.method == "POST":
        sent = request.form.get("envoi")
        if sent == MESSAGE:
            message = request.form.get("message", "")
            try:
                write_to_animateur(db.session, need, message, email=email, actor=actor)
            except TransitionError as refusal:
                db.session.rollback()
                errors, status = errors_for(refusal, {"message": "message"}), 422
            else:
                db.session.commit()
                flash(
                    f"Votre message à propos du besoin « {need.title} » est envoyé à "
                    "l'animateur de la plateforme.",
                    "success",
                )
                return back_after_success(back)
        elif not owner_may_edit(db.session, need):
            errors, status = {"_": edit_refusal(need)}, 409
        else:
            data = _posted()
            checked = form_rules.check_need(
                data,
                today=local_today(),
                reasons=form_rules.OWNER_REASONS,
                stored_start=need.start,
            )
            errors, status = checked.errors, 422
            # Corrected, the form is still checked against the need its page was read from.
            read_at = request.form.get("lu_le", "")[:64]
            values_read = request.form.get("lu_valeurs", "")[:64]
            if checked.ok:
                # Read before the guard: what the need holds while someone else changed it.
                now = holds_now(need, checked.values)
                try:
                    # Nothing to change (the form sent twice): nothing to lose either.
                    if now:
                        meanwhile = changed_meanwhile("Ce besoin a été modifié", now)
                        # Stamped since for a reason outside the form (the team
                        # qualifying notes, a status) while its fields hold what was
                        # read: nothing of it is lost.
                        unchanged_since_read(
                            db.session, need, request.form, meanwhile, edits=need_form_data
                        )
                    changed = edit_by_owner(
                        db.session, need, checked.values, email=email, actor=actor
                    )
                except ChangedMeanwhile as refusal:
                    # Someone saved the need since the page was read (an animateur
                    # qualifying it, the owner in another tab): nothing of this is kept.
                    db.session.rollback()
                    errors, status, read_at = {"_": refusal.message}, 422, ""
                except TransitionError as refusal:
                    db.session.rollback()
                    errors, status = {"_": refusal.message}, 409
                else:
                    db.session.commit()
                    if changed:
                        flash(
                            f"Le besoin « {need.title} » est modifié. L'animateur de la "
                            "plateforme en est informé.",
                            "success",
                        )
                        tell_communes_recorded(data.get("commune"))
                        # The place typed (never the stored company's, see need_public).
                        if "commune" in changed and (
                            notice := territory_edge.owner_notice(db.session, need.commune)
                        ):
                            flash(notice, "info")
                    else:
                        flash("Vous n'avez rien changé : le besoin reste tel quel.", "info")
                    return back_after_success(back)
    editable = owner_may_edit(db.session, need)
    page = render_template(
        "needs/owner_edit.html",
        need=need,
        company_name=company_name,
        editable=editable,
        writable=not editable and owner_may_write(db.session, need),
        refusal=None if editable else edit_refusal(need),
        data=data,
        message=message,
        message_max=OWNER_TEXT_MAX,
        errors=errors,
        # What is about no field ("_": the need routed meanwhile) comes first.
        error_list=sorted(
            errors.items(),
            key=lambda item: (
                OWNER_FIELD_ORDER.index(item[0]) if item[0] in OWNER_FIELD_ORDER else -1
            ),
        ),
        action=action,
        back=back,
        read_at=read_at or read_stamp(need),
        values_read=values_read if read_at else read_values(need, need_form_data),
        **owner_fields_context(need),
        edit=EDIT,
        write=MESSAGE,
    )
    return page, status, {"Cache-Control": "no-store"}
