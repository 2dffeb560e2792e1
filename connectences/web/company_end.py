"""« Fin chez une entreprise » sent from a page showing a placement: the operator's lead
page, the animateur's CV record. Both read the same form
(``templates/_placement_company_end.html``) and call the same domain function
(``workflows.leads.end_at_company``); only the page rendered again differs."""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, request
from flask_login import current_user

from connectences.clock import local_today
from connectences.dates import read_typed_date
from connectences.extensions import db
from connectences.models import Placement
from connectences.web.actions import commit_or_refuse, flash_in
from connectences.workflows import TransitionError
from connectences.workflows import leads as flow

FIELDS = ("besoin", "dernier-jour", "motif")


def form_id(placement: Placement) -> str:
    """The form's name on its page (``sent``) and the anchor of its error summary."""
    return f"fin-entreprise-{placement.id}"


def record_company_end(
    placement: Placement,
    *,
    render: Callable[[str, dict, dict], object],
    back: str,
    section: str,
    told: str,
):
    """Read the form sent for ``placement`` and record the company left; a refusal comes
    back in the form (``render(sent, errors, typed)``, at 422, nothing changed), success
    goes to ``back`` with its message in ``section``. ``told``: who is told besides the
    company (« l'animateur », « le groupement »), said in the message."""
    typed = {key: request.form.get(key, "") for key in FIELDS}
    errors = {}
    last_day, why = read_typed_date(typed["dernier-jour"], "Dernier jour travaillé")
    if why:
        errors["dernier-jour"] = why
    chosen = typed["besoin"].strip()
    need_id = int(chosen) if chosen.isdigit() and len(chosen) < 10 else None
    sent = form_id(placement)

    def refused(errors: dict):
        if flow.company_end_open(placement, local_today()):
            return render(sent, errors, typed)
        # Sent again (the back button, a second tab) once the page no longer offers the
        # form (the placement ended, or one company left): its errors would show nowhere.
        flash_in(section, f"{next(iter(errors.values()))} Rien n'a été modifié.", "error")
        return redirect(back)

    return commit_or_refuse(
        lambda: flow.end_at_company(
            db.session,
            placement,
            need_id,
            last_day=last_day,
            reason=typed["motif"].strip(),  # its length is the workflow's to check
            actor=current_user,
        ),
        refusals=TransitionError,
        fields={"need": "besoin", "last_day": "dernier-jour", "reason": "motif"},
        typed_errors=errors,
        render_unnamed=True,
        render=refused,
        back=back,
        done=lambda need: (
            f"Fin chez {need.company.name} enregistrée ; son besoin est de nouveau en "
            f"recherche et {told} est prévenu."
        ),
        section=section,
    )
