"""Who reaches which record: one rule per kind of record, read by the views that open one.

The role guard of a blueprint (``web/access.py``) says which roles enter an area; these
functions say which records of that area a given member reaches (object-level access).
They know nothing of HTTP; ``tests/test_scope_properties.py`` checks them against
generated users and records. The CV rule is ``cvtheque.access.may_read_cv``.
"""

from __future__ import annotations

from connectences.models import Company, Lead, Referral, User

# Roles that work every record of the platform (the animateurs' team and the admins).
STAFF_ROLES = frozenset({"animateur", "admin"})


def _usable(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.active


def may_open_lead(user: User | None, lead: Lead | None) -> bool:
    """A lead is reached by the staff and by the members of the operator it was sent to."""
    if lead is None or not _usable(user):
        return False
    if user.role in STAFF_ROLES:
        return True
    return (
        user.role == "operator"
        and user.operator_id is not None
        and (lead.operator_id == user.operator_id)
    )


def may_open_referral(user: User | None, referral: Referral | None) -> bool:
    """A referral is reached by the staff and by the members of the partner it went to."""
    if referral is None or not _usable(user):
        return False
    if user.role in STAFF_ROLES:
        return True
    return (
        user.role == "partner"
        and user.partner_id is not None
        and (referral.partner_id == user.partner_id)
    )


def may_open_company(user: User | None, company: Company | None) -> bool:
    """A company's record, and the needs it posted, are reached by the staff and by the
    accounts of its owners."""
    if company is None or not _usable(user):
        return False
    if user.role in STAFF_ROLES:
        return True
    return user.role == "company" and any(own.id == company.id for own in user.companies)


def observatory_scope(user: User | None) -> str | None:
    """The SIREN of the only intercommunality whose figures ``user`` may read, or None."""
    if not _usable(user) or user.role != "territoire":
        return None
    return user.epci_siren or None
