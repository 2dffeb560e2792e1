"""The page where a company owner corrects their company's details ("Coordonnées de
l'entreprise"): its address, commune, headcount, contact address, phone and website. The same for the
space opened by a signed link (``need_public``) and for the logged-in area
(``companies``); the rule is ``prospection.companies.update_details``, checked with the
staff's company form's validators. The staff's form of the company's record
(``directory``) saves through :func:`save_details` too, as the staff."""

from __future__ import annotations

from collections.abc import Mapping

from flask import request

from connectences import territory
from connectences.contacts import phone_display
from connectences.extensions import db
from connectences.models import Company
from connectences.prospection.companies import (
    DETAIL_FIELDS,
    detail_fields,
    update_details,
    validate_details,
)
from connectences.prospection.pressure import details_held
from connectences.typography import of_company
from connectences.web.actions import changed_meanwhile
from connectences.web.owner_preferences import company_form_page
from connectences.workflows import unchanged_since_read

# The form's labels, in the order of the page (its error summary lists them so).
DETAIL_LABELS = {
    "address": "Adresse de l'établissement",
    "commune": "Commune",
    "employees": "Nombre de salariés",
    "contact_email": "E-mail de l'entreprise",
    "phone": "Téléphone de l'entreprise",
    "website": "Site web",
}
assert tuple(DETAIL_LABELS) == DETAIL_FIELDS  # noqa: S101 — import-time consistency check of constant tables


def typed_details(form: Mapping[str, str], *, staff: bool = False) -> dict[str, str]:
    """The details the form sends (the owner's, or the ``staff``'s), as typed (shown back
    on a refusal)."""
    return {field: form.get(field, "") for field in detail_fields(staff=staff)}


def _stored(company: Company) -> dict[str, str]:
    """The company's details as the form shows them (its phone as people read it)."""
    stored = {
        field: "" if getattr(company, field) is None else str(getattr(company, field))
        for field in DETAIL_FIELDS
    }
    return {**stored, "phone": phone_display(company.phone, "")}


def _changed_meanwhile(company: Company, fields: tuple[str, ...]) -> str:
    now = details_held({field: getattr(company, field) for field in fields})
    return changed_meanwhile(
        f"La fiche {of_company(company.name)} a été modifiée",
        f"Ses coordonnées sont maintenant : {now}.",
    )


def save_details(
    company: Company,
    form: Mapping[str, str],
    *,
    actor,
    said_by_owner: str | None = None,
    staff: bool = False,
):
    """Record the details ``form`` sends, by the company's owner (``said_by_owner``) or
    the ``staff`` (``actor``; its name, SIRET and NAF code too), guarded against a save
    made since the form was read (``unchanged_since_read`` on the fields it edits); what
    changed (``update_details``). ``CompanyError`` or ``ChangedMeanwhile``: nothing
    written by this call, the caller rolls back."""
    fields = detail_fields(staff=staff)
    clean = validate_details(form, company, staff=staff)
    unchanged_since_read(
        db.session,
        company,
        form,
        _changed_meanwhile(company, fields),
        holds=clean,
        edits=fields,
    )
    return update_details(
        db.session, company, form, actor=actor, said_by_owner=said_by_owner, staff=staff
    )


def _communes(company: Company) -> list[tuple[str, str]]:
    """The communes the form offers (INSEE code, label): the Pays', and the company's own
    when the staff recorded one outside."""
    communes = [(commune.insee, commune.label) for commune in territory.pays_communes_by_name()]
    if company.commune not in {insee for insee, _label in communes}:
        own = territory.get_commune(company.commune)
        communes.insert(0, (company.commune, own.label if own else company.commune))
    return communes


def details_page(
    company: Company, *, email: str, actor, action: str, back: str, expired: str | None = None
):
    """The details recorded as corrected by the company's owner (``email``; ``actor``:
    their account, None for the link), through ``owner_preferences.company_form_page``."""

    def save() -> str:
        changed = save_details(company, request.form, actor=actor, said_by_owner=email)
        of = of_company(company.name)
        if changed:
            return f"Les coordonnées {of} sont enregistrées."
        return f"Rien n'a changé dans les coordonnées {of}."

    return company_form_page(
        company,
        stored=_stored(company),
        typed_from=typed_details,
        save=save,
        fields=DETAIL_FIELDS,
        template="companies/details.html",
        action=action,
        back=back,
        expired=expired,
        labels=DETAIL_LABELS,
        communes=_communes(company),
        edits=DETAIL_FIELDS,
    )
