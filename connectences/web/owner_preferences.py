"""The page where a company owner says how often they accept to be contacted ("Mes
préférences de contact"): the same for the space opened by a signed link
(``need_public``) and for the logged-in area (``companies``); the rule is
``prospection.companies.set_preferences``, the one the staff's company page uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from flask import flash, render_template, request

from connectences.contacts import phone_display
from connectences.extensions import db
from connectences.models import Company, CompanyContact
from connectences.prospection.companies import CAP_RANGE, CompanyError, clean_cap, set_preferences
from connectences.prospection.pressure import preferences_words
from connectences.typography import of_company
from connectences.web.actions import changed_meanwhile
from connectences.web.forms import back_after_success, errors_for
from connectences.workflows import ChangedMeanwhile, unchanged_since_read


def typed_preferences(form: Mapping[str, str]) -> dict:
    """The preferences a form sends (the staff's or the owner's), as ``set_preferences``
    takes them: the boxes ticked send "1", the cap is checked there (``clean_cap``)."""
    return {
        "do_not_solicit": form.get("do_not_solicit") == "1",
        "newsletter_consent": form.get("newsletter_consent") == "1",
        "max_contacts_per_month": form.get("max_contacts_per_month", ""),
    }


# What both preference forms edit (``workflows.unchanged_since``'s ``edits``): a company
# stamped since for a reason outside them (its details, a visit) is saved while these
# still hold what was read.
PREFERENCE_EDITS = ("do_not_solicit", "newsletter_consent", "max_contacts_per_month")


def held(typed: Mapping) -> dict:
    """What the company's record holds once ``typed`` (``typed_preferences``) is saved:
    the form's values as stored (``workflows.unchanged_since``'s ``holds``);
    ``CompanyError`` for a cap out of range."""
    return {**typed, "max_contacts_per_month": clean_cap(typed["max_contacts_per_month"])}


def save_preferences(
    company: Company, form: Mapping[str, str], *, actor, said_by_owner: str | None = None
) -> dict:
    """Record the preferences ``form`` sends (the staff's or the owner's form), guarded
    against a save made since the form was read (``unchanged_since_read`` on what both
    forms edit); the typed values, for the page. ``CompanyError`` (the cap) or
    ``ChangedMeanwhile``: nothing written by this call, the caller rolls back."""
    typed = typed_preferences(form)
    unchanged_since_read(
        db.session,
        company,
        form,
        company_changed_meanwhile(company),
        holds=held(typed),
        edits=PREFERENCE_EDITS,
    )
    set_preferences(db.session, company, **typed, actor=actor, said_by_owner=said_by_owner)
    return typed


def company_form_page(
    company: Company,
    *,
    stored: dict,
    typed_from: Callable[[Mapping[str, str]], dict],
    save: Callable[[], str],
    fields: Iterable[str],
    template: str,
    action: str,
    back: str,
    expired: str | None = None,
    **context,
):
    """An owner's form about their company (its preferences, its details): GET, the form
    filled with what is ``stored``; POST, ``save()`` (which records what the form sends
    and answers the word of success), then back to ``back`` with that word; a refusal
    (``CompanyError``, ``ChangedMeanwhile``) shows the form again as sent
    (``typed_from``), its errors beside ``fields``, nothing changed. ``expired``: why the
    form sent was refused before this view (its security token, ``errors.CSRF_RETRY``):
    shown again as sent, with its read stamps, and nothing done."""
    errors: dict[str, str] = {}
    typed = stored
    # The read stamps the form carries: empty, the company's as read now.
    read = {"lu_le": "", "lu_valeurs": ""}
    if expired is not None:
        typed = typed_from(request.form)
        read = {name: request.form.get(name, "")[:64] for name in read}
        errors = {"_": expired}
    elif request.method == "POST":
        typed = typed_from(request.form)
        try:
            words = save()
        except (CompanyError, ChangedMeanwhile) as refusal:
            db.session.rollback()
            errors = errors_for(refusal, {field: field for field in fields})
        else:
            db.session.commit()
            flash(words, "success")
            return back_after_success(back)
    page = render_template(
        template,
        company=company,
        typed=typed,
        errors=errors,
        action=action,
        back=back,
        read=read,
        **context,
    )
    status = 400 if expired is not None else 422 if errors else 200
    return page, status, {"Cache-Control": "no-store"}


def preferences_page(
    company: Company, *, email: str, actor, action: str, back: str, expired: str | None = None
):
    """The preferences recorded as said by the company's owner (``email``; ``actor``:
    their account, None for the link), through :func:`company_form_page`."""

    def save() -> str:
        save_preferences(company, request.form, actor=actor, said_by_owner=email)
        return _saved_words(company)

    return company_form_page(
        company,
        stored={
            "do_not_solicit": company.do_not_solicit,
            "newsletter_consent": company.newsletter_consent,
            "max_contacts_per_month": company.max_contacts_per_month,
        },
        typed_from=typed_preferences,
        save=save,
        fields=("max_contacts_per_month",),
        template="companies/preferences.html",
        action=action,
        back=back,
        expired=expired,
        cap_range=CAP_RANGE,
        edits=PREFERENCE_EDITS,
    )


def contact_now(contact: CompanyContact) -> str:
    """What a contact person's entry holds now, as a refusal cites it."""
    details = ", ".join(
        value
        for value in (contact.name, contact.role, phone_display(contact.phone, ""), contact.email)
        if value
    )
    return f"Ce contact est maintenant : {details}."


def company_changed_meanwhile(company: Company, contact: CompanyContact | None = None) -> str:
    """The refusal of a form about ``company`` read before someone else saved it
    (``workflows.unchanged_since``), saying what it holds now: its contact preferences
    (the owner's and the staff's forms, the company's stamp), or the details of
    ``contact`` (the staff's form of one of its contact people, the contact's stamp)."""
    if contact is not None:
        now = contact_now(contact)
    else:
        said = preferences_words(
            {
                "do_not_solicit": company.do_not_solicit,
                "newsletter_consent": company.newsletter_consent,
                "max_contacts_per_month": company.max_contacts_per_month,
            }
        )
        now = f"Ses préférences de contact sont maintenant : {said[:1].lower()}{said[1:]}."
    return changed_meanwhile(f"La fiche {of_company(company.name)} a été modifiée", now)


def _saved_words(company: Company) -> str:
    if company.do_not_solicit:
        # The newsletter goes through the contact guard, which skips such a company
        # (``newsletter.issues``): its consent, kept, waits until solicitation is back.
        newsletter = (
            " La lettre d'information ne vous sera pas envoyée non plus, tant que ce "
            "choix reste coché."
            if company.newsletter_consent
            else ""
        )
        return (
            f"C'est noté : {company.name} ne sera plus sollicitée par la plateforme ni par "
            f"ses partenaires.{newsletter} Vous pouvez changer d'avis ici à tout moment."
        )
    return f"Vos préférences de contact pour {company.name} sont enregistrées."
