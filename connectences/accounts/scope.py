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
# Roles the JSON API serves (``web.api_v1``): those that read some kind of record through
# it (``sync.READERS``; its public content, whoever holds a token). An API token is issued
# to these roles only (``api_tokens.issue_token``): a candidate's or an intercommunality's
# would be refused at every call.
API_ROLES = STAFF_ROLES | {"company", "operator", "partner"}


def is_usable(user: User | None) -> bool:
    """A signed-in account that is not disabled (anonymous visitors and disabled
    accounts reach no record)."""
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.active


def organisations_reached(user: User | None, role: str) -> frozenset[int] | None:
    """The ids of the organisations of kind ``role`` (``operator`` or ``partner``) whose
    records ``user`` reaches: None for every one (the staff), its own for a member,
    none for anyone else."""
    if not is_usable(user):
        return frozenset()
    if user.role in STAFF_ROLES:
        return None
    own = getattr(user, f"{role}_id") if user.role == role else None  # operator_id, partner_id
    return frozenset() if own is None else frozenset({own})


def _staff_or_member(user: User | None, role: str, organisation_id: int | None) -> bool:
    """The staff, or a member (``role``) of the organisation with ``organisation_id``."""
    reached = organisations_reached(user, role)
    return reached is None or organisation_id in reached


def may_open_lead(user: User | None, lead: Lead | None) -> bool:
    """A lead is reached by the staff and by the members of the operator it was sent to."""
    return lead is not None and _staff_or_member(user, "operator", lead.operator_id)


def may_open_referral(user: User | None, referral: Referral | None) -> bool:
    """A referral is reached by the staff and by the members of the partner it went to."""
    return referral is not None and _staff_or_member(user, "partner", referral.partner_id)


def companies_reached(user: User | None) -> frozenset[int] | None:
    """The ids of the companies whose record, and the needs they posted, ``user`` reaches:
    None for every company (the staff), the companies it owns for a company account,
    none for anyone else."""
    if not is_usable(user):
        return frozenset()
    if user.role in STAFF_ROLES:
        return None
    if user.role == "company":
        return frozenset(own.id for own in user.companies)
    return frozenset()


def may_open_company(user: User | None, company: Company | None) -> bool:
    """A company's record, and the needs it posted, are reached by the staff and by the
    accounts of its owners."""
    if company is None:
        return False
    reached = companies_reached(user)
    return reached is None or company.id in reached


def observatory_scope(user: User | None) -> str | None:
    """The SIREN of the only intercommunality whose figures ``user`` may read, or None."""
    if not is_usable(user) or user.role != "territoire":
        return None
    return user.epci_siren or None


def observatory_view(user: User | None, siren: str | None) -> str | None:
    """How ``user`` reads the observatory of the intercommunality ``siren``: ``"exact"``
    for the staff, ``"protected"`` (small numbers hidden) for an officer of that very
    intercommunality, None (refused) for anyone else, another's officers included."""
    if not siren or not is_usable(user):
        return None
    if user.role in STAFF_ROLES:
        return "exact"
    if observatory_scope(user) == siren:
        return "protected"
    return None


def may_propose_directory_entry(user: User | None, kind: str, organisation_id: int | None) -> bool:
    """Only the members of an operator or partner propose changes to its "Qui fait quoi"
    entry (``kind``: "operator" or "partner"); an animateur validates them."""
    if not is_usable(user) or kind not in ("operator", "partner") or user.role != kind:
        return False
    own = getattr(user, f"{kind}_id")
    return own is not None and own == organisation_id
