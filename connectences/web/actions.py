"""One way for a form that changes something: run the domain call in the request's
transaction. Success is committed and flashed, and the browser sent on to a page. A
refusal (``DomainError``) rolls everything back, then:

- about what was typed (the refusal names fields): the same page again, at 422, with
  each error next to its field and the values kept, through the view's ``render``;
- about the record's state (the action is no longer possible): its French message is
  flashed and the browser sent back to the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, request

from connectences.errors import DomainError
from connectences.extensions import db
from connectences.web.forms import errors_for
from connectences.workflows import ChangedMeanwhile, text_too_long, unchanged_since


def flash_in(section: str | None, message: str, category: str = "success") -> None:
    """Flash ``message`` to be shown inside the section ``section`` of the next page
    (``_flashes.html``: a page placing it, ``section_flashes``), at its top otherwise.
    For an action that sends the browser back to a section's anchor: a message at the
    top of the page would be out of view on a phone."""
    flash(message, f"{category}#{section}" if section else category)


def commit_or_refuse(
    call: Callable[[], Any],
    *,
    back: str,
    done: str | Callable[[Any], str | None] | None = None,
    then: str | None = None,
    refusals: type[DomainError] | tuple[type[DomainError], ...] = DomainError,
    render: Callable[[dict[str, str]], Any] | None = None,
    fields: Mapping[str, str] | None = None,
    typed_errors: Mapping[str, str] | None = None,
    render_unnamed: bool | type[DomainError] | tuple[type[DomainError], ...] = False,
    section: str | None = None,
):
    """Run ``call()`` and commit, flash ``done`` (a text, or a function of what ``call``
    returned; nothing is flashed when it gives no text) and redirect to ``then`` (``back``
    when not given). With ``section``, what is flashed is shown in that section of the
    page (``flash_in``), where ``back`` and ``then`` should lead.

    On one of ``refusals``, roll back. When the view gives ``render`` (the page of the
    form, at 422, with what was typed) and the refusal names fields, ``render(errors)``
    is returned: ``errors`` maps the form's field names to messages (``fields`` maps the
    domain's names to the form's; without it the domain already uses the form's names).
    A refusal that names no field is flashed and the browser sent to ``back``, unless
    ``render_unnamed``: then it too comes back in the form, under ``"_"`` (the summary's
    error about the whole form). ``render_unnamed`` may name refusal classes instead:
    only those come back in the form (a refusal about what was chosen), the others
    (about the record's state) are still flashed.

    ``typed_errors`` are what the view found wrong in what was typed: the domain call
    still runs so that every error shows at once, nothing is committed, and the form
    comes back with them (``render`` is then required)."""
    found = dict(typed_errors or {})
    try:
        result = call()
    except refusals as refusal:
        db.session.rollback()
        errors = _form_errors(refusal, fields)
        if isinstance(render_unnamed, bool):
            unnamed_in_form = render_unnamed
        else:
            unnamed_in_form = isinstance(refusal, render_unnamed)
        if render is not None and (found or unnamed_in_form or "_" not in errors):
            return render({**errors, **found})
        flash_in(section, refusal.message, refusal.flash_category)
        return redirect(back)
    if found:
        db.session.rollback()
        return render(found)
    db.session.commit()
    message = done(result) if callable(done) else done
    if message:
        flash_in(section, message)
    return redirect(then or back)


def changed_meanwhile(opening: str, now: str = "") -> str:
    """The refusal of a form read before someone else saved the same record
    (``workflows.unchanged_since``), in French: ``opening`` says what was changed ("Ce
    besoin a été modifié"), ``now`` what the record holds now (a sentence, or empty).
    That nothing was saved, the form's error summary says it (``MeanwhileMessage``)."""
    now = f" {now}" if now else ""
    return (
        f"{opening} par quelqu'un d'autre depuis que vous avez ouvert la page.{now} Ce que "
        "vous avez saisi est gardé ci-dessous : reprenez-y ce qui manque, puis enregistrez "
        "à nouveau."
    )


def _form_errors(refusal: DomainError, fields: Mapping[str, str] | None) -> dict[str, str]:
    """The refusal as the form's errors; what names no known field goes under ``"_"``."""
    if fields is None:
        named = refusal.errors if isinstance(refusal.errors, dict) else {}
        fields = {key: key for key in named}
    return errors_for(refusal, fields)


def erasure_request(
    record, meanwhile: str, *, limit: int, refused: Mapping[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    """What an erasure form sent on a person's request holds: the request as noted
    (``motif``: its date and means), and what refuses it, by field: no request, one over
    ``limit`` characters (refused with its length, never cut: it is recorded), the
    confirmation box not ticked, or ``record`` changed since the page was read
    (``workflows.unchanged_since``: ``meanwhile`` under "_", the session rolled back).
    ``refused``: the form's own refusals, found by the view. The erasure of a company's
    contact and of a person of the CV library, both on request (docs/rgpd.md § 2, § 3)."""
    note = (request.form.get("motif") or "").strip()
    errors = dict(refused or {})
    if not note:
        errors["motif"] = "Indiquez la demande reçue (date et moyen)."
    elif too_long := text_too_long(note, limit):
        errors["motif"] = too_long
    if request.form.get("confirmer") != "1":
        errors["confirmer"] = "Cochez la case pour confirmer l'effacement."
    if not errors:
        try:
            unchanged_since(db.session, record, request.form.get("lu_le"), meanwhile)
        except ChangedMeanwhile as exc:
            db.session.rollback()
            errors["_"] = exc.message
    return note, errors
