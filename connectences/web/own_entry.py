"""The "Qui fait quoi" entry an operator's or partner's members keep up to date from their
space (``/operateur/fiche``, ``/partenaire/fiche``): one page for both, the proposal
waiting for an animateur beside what the public sees."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connectences import territory
from connectences.content import directory
from connectences.extensions import db

FORM_FIELDS = ("offer", "audience", "phone", "email", "website", "address")


def _render(entry, organisation, data: dict, errors: dict, action: str, status: int = 200):
    ordered = [(n, errors[n]) for n in directory.ENTRY_FIELDS if n in errors]
    return (
        render_template(
            "content/own_entry.html",
            entry=entry,
            organisation=organisation,
            data=data,
            errors=errors,
            error_list=ordered,
            topics=directory.TOPICS,
            areas=[territory.PAYS_EPCIS.get(s) or s for s in (organisation.epcis or [])],
            action=action,
        ),
        status,
    )


def own_entry_page(kind: str, endpoint: str):
    """GET: the entry and the form (started from the proposal waiting, else from the
    published version); POST: the member's proposal, for an animateur to validate."""
    organisation = getattr(current_user, kind)
    if organisation is None:
        abort(404)
    entry = directory.entry_of(db.session, kind, organisation.id)
    action = url_for(endpoint)
    if request.method == "GET":
        db.session.commit()  # the empty entry, created on first visit
        shown = entry.proposed or directory.published_values(entry)
        data = {name: value if value is not None else "" for name, value in shown.items()}
        return _render(entry, organisation, data, {}, action)
    data = {name: (request.form.get(name) or "") for name in FORM_FIELDS}
    data["topics"] = request.form.getlist("topics")
    try:
        directory.propose(db.session, entry, data, by=current_user)
    except directory.DirectoryError as error:
        db.session.rollback()
        entry = directory.entry_of(db.session, kind, organisation.id)
        return _render(entry, organisation, data, error.errors or {"_": error.message}, action, 422)
    db.session.commit()
    flash("Modification envoyée : elle sera publiée dès qu'un animateur l'aura validée.", "success")
    return redirect(action)
