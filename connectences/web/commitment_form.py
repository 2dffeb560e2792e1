"""The commitment form, one for the animateur's page of a person and the person's own
space: its fields (``libelle``, ``heures``, ``jours``, ``debut``, ``fin``, drawn by
``templates/_commitment_fields.html``) and how they are read
(``cvtheque.commitments.read_commitment``)."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from connectences.cvtheque.commitments import CommitmentValues, read_commitment, stored_fields
from connectences.extensions import db
from connectences.models import Candidate, Commitment
from connectences.typography import decimal_input
from connectences.workflows import unchanged_since


def form_values(shown: Commitment | MultiDict | None = None) -> dict:
    """What the fields hold: empty, a stored commitment, or a form sent back (a refusal
    shows what was typed)."""
    if isinstance(shown, MultiDict):
        return {**shown.to_dict(), "jours": shown.getlist("jours")}
    if shown is None:
        return {"libelle": "", "heures": "", "jours": [], "debut": "", "fin": ""}
    return {
        "libelle": shown.label or "",
        "heures": decimal_input(shown.hours_per_week),
        "jours": list(shown.days or []),
        "debut": shown.start.isoformat() if shown.start else "",
        "fin": shown.until.isoformat() if shown.until else "",
    }


def read_form(
    candidate: Candidate, form: MultiDict, replacing: Commitment | None = None
) -> CommitmentValues:
    """The commitment the form sent describes, or ``CommitmentError``."""
    return read_commitment(
        candidate,
        label=form.get("libelle"),
        hours=form.get("heures"),
        days=form.getlist("jours"),
        start=form.get("debut"),
        until=form.get("fin"),
        replacing=replacing,
    )


def read_change(
    candidate: Candidate, form: MultiDict, commitment: Commitment | None, meanwhile: str
) -> CommitmentValues:
    """``read_form``, and for a change of ``commitment`` its own stamp as the form read it
    (``lu_le``): ``ChangedMeanwhile`` (saying ``meanwhile``) when someone changed it since,
    unless the form sends what it holds now; a new one has nothing to lose."""
    values = read_form(candidate, form, replacing=commitment)
    if commitment is not None:
        unchanged_since(
            db.session, commitment, form.get("lu_le"), meanwhile, holds=stored_fields(values)
        )
    return values
