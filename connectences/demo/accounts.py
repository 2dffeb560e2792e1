"""One demo account per role, tied to the document's organisations and people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences.accounts import create_user
from connectences.contacts import clean_phone
from connectences.demo.common import company_ref, load_json
from connectences.models import User

ACCOUNTS: list[dict] = load_json("accounts.json")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    full_name: str
    org_ref: str | None = None
    phone: str | None = None  # an animateur's work phone, shown on the public home


def demo_accounts(document: dict) -> list[DemoAccount]:
    """The accounts, in the order of ``data/accounts.json``.

    The candidate account is the first person of ``document`` (the showcase, who has a
    full profile); the company account owns the company named in the file.
    """
    candidate = document["candidates"][0]
    return [
        DemoAccount(
            "candidate",
            candidate["email"],
            item["password"],
            f"{candidate['first_name']} {candidate['last_name']}",
            candidate["ref"],
        )
        if item["role"] == "candidate"
        else _account(item)
        for item in ACCOUNTS
    ]


def company_account() -> DemoAccount:
    """The account of the company owner, who is also the person to call in that company."""
    return _account(next(item for item in ACCOUNTS if item["role"] == "company"))


def _account(item: dict) -> DemoAccount:
    fields = {key: value for key, value in item.items() if key != "company"}
    if "company" in item:
        fields["org_ref"] = company_ref(item["company"])
    return DemoAccount(**fields)


def seed_accounts(session: Session, accounts: list[DemoAccount]) -> list[str]:
    """Create the accounts not there yet (by e-mail) and return their e-mails.

    An account already there keeps its password.
    """
    created = []
    for account in accounts:
        if session.scalar(select(User).where(User.email == account.email)) is not None:
            continue
        user = create_user(
            session,
            account.email,
            account.role,
            password=account.password,
            org_ref=account.org_ref,
            full_name=account.full_name,
        )
        if account.phone:
            user.phone = clean_phone(account.phone, foreign=False)
        created.append(user.email)
    session.flush()
    return created
