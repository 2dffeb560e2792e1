"""The demo's companies (TPEs of the Pays) and, for each, its address and the person to call."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from connectences.demo.accounts import company_account
from connectences.demo.common import DEMO_SEED, company_ref, load_csv, load_json, slug
from connectences.models import Company, CompanyContact
from connectences.prospection.companies import clean_phone, clean_website, validate_contact


@dataclass(frozen=True)
class CompanyRow:
    """A line of ``data/companies.csv``."""

    name: str
    naf: str
    commune: str  # INSEE code
    employees: int
    sector: str  # the key of its trade's needs in data/needs.json
    do_not_solicit: bool  # asked not to be prospected any more (the visits say so)


COMPANY_ROWS = [
    CompanyRow(
        row["name"],
        row["naf"],
        row["commune"],
        int(row["employees"]),
        row["sector"],
        row["do_not_solicit"] == "oui",
    )
    for row in load_csv("companies.csv")
]
CONTACTS = load_json("contacts.json")
LAST_NAMES: list[str] = load_json("names.json")["last_names"]


def demo_siret(rng: random.Random, taken: set[str]) -> str:
    """A SIRET with valid Luhn keys on both the SIREN and the full number, not in `taken`."""
    while True:
        body = str(rng.choice((8, 9))) + "".join(str(rng.randrange(10)) for _ in range(7))
        siren = body + luhn.calc_check_digit(body)
        head = siren + "0001"
        siret = head + luhn.calc_check_digit(head)
        if siret not in taken:
            taken.add(siret)
            return siret


def build_companies(rng: random.Random) -> list[dict]:
    """The companies of the document, in the order of the file, each with its own SIRET."""
    sirets: set[str] = set()
    companies = []
    for row in COMPANY_ROWS:
        company = {
            "ref": company_ref(row.name),
            "name": row.name,
            "siret": demo_siret(rng, sirets),
            "commune": row.commune,
            "naf": row.naf,
            "employees": row.employees,
            "contact_email": f"contact@{slug(row.name)}.example",
        }
        if row.do_not_solicit:
            company["do_not_solicit"] = True
        companies.append(company)
    return companies


def build_demo_contacts(document: dict, seed: int = DEMO_SEED) -> dict[str, dict]:
    """For each company of the document (by ref): its street address and the person an
    operator calls there (``name``, ``role``, ``phone``, and ``email`` for about half).

    Not part of the interchange format, so added by ``seed_demo`` after the import.
    Phone numbers are in the range reserved for fiction (06 39 98 xx xx). The owner
    of the demo company account is that company's contact.
    """
    rng = random.Random(seed * 104_729 + 3)  # noqa: S311 — synthetic or sampled data, never a secret
    people: dict[str, dict] = {}
    for company in document["companies"]:
        gender = rng.choice(sorted(CONTACTS["people"]))
        people_of_gender = CONTACTS["people"][gender]
        first, last = rng.choice(people_of_gender["first_names"]), rng.choice(LAST_NAMES)
        domain = slug(company["name"]) + ".example"
        number = rng.randrange(10_000)
        people[company["ref"]] = {
            "address": f"{rng.randint(1, 60)} {rng.choice(CONTACTS['streets'])}",
            "name": f"{first} {last}",
            "role": rng.choice(people_of_gender["roles"]),
            "phone": f"06 39 98 {number // 100:02d} {number % 100:02d}",
            "email": f"{slug(first)}@{domain}" if rng.random() < 0.5 else None,
        }
    # The company's own switchboard or shop (about two in three) and its website (about
    # one in three), from their own draw so that the people above stay as they were.
    # Numbers in the south-west range reserved for fiction (05 36 49 xx xx).
    own = random.Random(seed * 7_919 + 5)  # noqa: S311 — synthetic data, never a secret
    for company in document["companies"]:
        number = own.randrange(10_000)
        has_phone, has_site = own.random() < 0.65, own.random() < 0.35
        people[company["ref"]]["company_phone"] = (
            f"05 36 49 {number // 100:02d} {number % 100:02d}" if has_phone else None
        )
        people[company["ref"]]["website"] = (
            f"www.{slug(company['name'])}.example" if has_site else None
        )
    owner = company_account()
    if owner.org_ref in people:
        people[owner.org_ref].update(
            name=owner.full_name, role=CONTACTS["owner_role"], email=owner.email
        )
    return people


def seed_contacts(session: Session, document: dict, seed: int) -> None:
    """Give each demo company its address, its own phone and website for some, and the
    person to call, through the checks of the directory; a company that already has a
    contact, an address, a phone or a website keeps it."""
    people = build_demo_contacts(document, seed)
    for company in session.scalars(select(Company).where(Company.ref.in_(list(people)))):
        person = people[company.ref]
        if company.address is None:
            company.address = person["address"]
        if company.phone is None:
            company.phone = clean_phone(person["company_phone"])
        if company.website is None:
            company.website = clean_website(person["website"])
        if not company.contacts:
            fields = {key: person[key] for key in ("name", "role", "phone", "email")}
            company.contacts.append(CompanyContact(**validate_contact(fields)))
    session.flush()
