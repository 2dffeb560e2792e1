"""A logged-in company owner's own details, so that a public form does not ask them
again what their account already says (the need form, the callback form, an event's
registration). Only a company account's: anyone else, another role included, starts
from an empty form; what a person typed is never replaced (the forms use this on their
first display only)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from connectences import territory


def known_owner() -> dict:
    """The logged-in owner's name and address and their company's name, SIRET and commune
    (its label): ``?entreprise=<ref>`` picks one of their companies, else the first by
    name. Empty for anyone not logged in with a company account; the company's fields
    are left out when the account has none."""
    if not current_user.is_authenticated or current_user.role != "company":
        return {}
    details = {"owner_name": current_user.full_name or "", "owner_email": current_user.email}
    companies = sorted(current_user.companies, key=lambda company: (company.sort_name, company.id))
    wanted = request.args.get("entreprise")
    company = next((c for c in companies if c.ref == wanted), companies[0] if companies else None)
    if company is not None:
        commune = territory.get_commune(company.commune)
        details.update(
            company_name=company.name,
            siret=company.siret,
            company_commune=commune.label if commune else company.commune,
        )
    return details
