"""Builders of valid interchange v1 documents, for every test that needs data.

Each builder returns one valid item (a plain dict, as in a document); keyword
arguments override or add fields, and ``None`` removes one. Refs, SIRETs and
e-mail addresses are unique across calls. ``load(doc)`` imports and commits.

    doc = document(companies=[company(ref="c1")], needs=[need(company="c1")])
    load(doc)
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from connectences.exchange import ImportResult, import_document_and_commit
from connectences.matching.data import CandidateData, NeedData
from connectences.models import Company, Need, Resource, Testimonial

# Territory of the Pays Bassin d'Arcachon - Val de l'Eyre.
ARCACHON = "33009"
LA_TESTE = "33529"
GUJAN = "33199"
COBAS = "243300563"
COBAN = "243301504"
VAL_DE_L_EYRE = "243301405"

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def luhn_check_digit(digits: str) -> str:
    """The digit that makes ``digits + it`` pass the Luhn test (SIREN and SIRET keys)."""
    total = 0
    # Walking from the right, the digit just left of the check digit is doubled first.
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def make_siret(number: int | None = None, establishment: int = 1) -> str:
    """A valid SIRET: a valid SIREN built from ``number``, then the NIC and its key."""
    number = _next() if number is None else number
    siren8 = f"{(90_000_000 + number) % 100_000_000:08d}"
    siren = siren8 + luhn_check_digit(siren8)
    nic4 = f"{establishment:04d}"
    return siren + nic4 + luhn_check_digit(siren + nic4)


def overridden(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied, where an override of ``None`` removes the key:
    the rule of every builder of items and form data in the tests."""
    item = {**base, **overrides}
    return {key: value for key, value in item.items() if value is not None}


def operator(**overrides: Any) -> dict[str, Any]:
    n = _next()
    return overridden(
        {
            "ref": f"operateur-{n}",
            "name": f"Groupement {n}",
            "kind": "groupement_employeurs",
            "email": f"contact{n}@ge-exemple.fr",
            "epcis": [COBAS, COBAN, VAL_DE_L_EYRE],
            "rome_domains": [],
            "levels": ["non_qualifie", "employe_qualifie", "technicien"],
            "contracts": ["cdi_temps_partage", "cdd", "saisonnier"],
        },
        overrides,
    )


def partner(**overrides: Any) -> dict[str, Any]:
    n = _next()
    return overridden(
        {
            "ref": f"partenaire-{n}",
            "name": f"France Travail {n}",
            "kind": "france_travail",
            "email": f"entreprises{n}@partenaire-exemple.fr",
        },
        overrides,
    )


def company(**overrides: Any) -> dict[str, Any]:
    n = _next()
    return overridden(
        {
            "ref": f"entreprise-{n}",
            "name": f"Entreprise {n}",
            "siret": make_siret(n),
            "commune": ARCACHON,
            # A company an operator can reach (leads to unreachable ones are refused).
            "contact_email": f"contact{n}@entreprise-exemple.fr",
        },
        overrides,
    )


def candidate(**overrides: Any) -> dict[str, Any]:
    n = _next()
    return overridden(
        {
            "ref": f"cv-{n}",
            "first_name": "Camille",
            "last_name": f"Exemple{n}",
            "email": f"camille{n}@exemple.fr",
            "commune": LA_TESTE,
            "mobility_km": 20,
            "skills": ["saisie comptable", "facturation"],
            "rome": ["M1203"],
            "level": "employe_qualifie",
            "hours_min": 7,
            "hours_max": 35,
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "contracts": ["cdi_temps_partage", "cdi", "cdd"],
            "available_from": "2027-01-04",
            "consent": True,
        },
        overrides,
    )


def need(**overrides: Any) -> dict[str, Any]:
    """A need; give ``company`` the ref of a company in the same document or stored."""
    n = _next()
    return overridden(
        {
            "ref": f"besoin-{n}",
            "company": "entreprise-1",
            "title": "Comptabilité 1 jour par semaine",
            "rome": "M1203",
            "skills": ["comptabilité générale"],
            "level": "employe_qualifie",
            "hours_per_week": 7,
            "days": ["tue"],
            "contract": "cdi_temps_partage",
            "reason": "temps_partiel",
            "start": "2027-02-01",
        },
        overrides,
    )


def document(**collections: Any) -> dict[str, Any]:
    """A document with the collections given (lists of items); the others are absent."""
    return {"format": "connectences/v1", **collections}


def load(doc: dict[str, Any]) -> ImportResult:
    """Import ``doc`` into the test database and commit; raises ExchangeError if invalid."""
    return import_document_and_commit(doc)


def dispatch_document(candidates: list[dict[str, Any]], needs: list[dict[str, Any]] = ()):
    """The dispatch tests' world: operator ``ge`` and partner ``ft`` (mail at
    ge@exemple.fr and ft@exemple.fr), companies ``c1`` (Arcachon) and ``c2`` (Gujan),
    needs ``n1`` (c1, Tuesday, 7 h) and ``n2`` (c2, Thursday, 14 h), then ``needs``;
    the candidate ``ok`` (Tuesday and Thursday), then ``candidates``."""
    return document(
        operators=[operator(ref="ge", email="ge@exemple.fr")],
        partners=[partner(ref="ft", email="ft@exemple.fr")],
        companies=[company(ref="c1"), company(ref="c2", commune=GUJAN)],
        candidates=[candidate(ref="ok", days=["tue", "thu"]), *candidates],
        needs=[
            need(ref="n1", company="c1", days=["tue"], hours_per_week=7),
            need(ref="n2", company="c2", days=["thu"], hours_per_week=14),
            *needs,
        ],
    )


# --- the matcher's view (matching.data), for the pure matching tests --------------------


def need_data(**overrides: Any) -> NeedData:
    """A need as the matcher reads it: 7 h of bookkeeping on Tuesday and Thursday at
    Arcachon, from 1 February 2027; keyword arguments override fields."""
    values = {
        "ref": "besoin-1",
        "company": "entreprise-1",
        "title": "Comptabilité",
        "skills": ("comptabilité générale",),
        "level": "employe_qualifie",
        "hours_per_week": 7.0,
        "days": frozenset({"tue", "thu"}),
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": date(2027, 2, 1),
        "commune": ARCACHON,
        "rome": "M1203",
    }
    return NeedData(**{**values, **overrides})


def candidate_data(**overrides: Any) -> CandidateData:
    """A candidate as the matcher reads them: at La Teste within 15 km, 5 to 20 h on
    Tuesday and Thursday, available ten days before ``need_data()`` starts; keyword
    arguments override fields."""
    values = {
        "ref": "cv-1",
        "commune": LA_TESTE,
        "mobility_km": 15.0,
        "skills": ("saisie comptable",),
        "level": "employe_qualifie",
        "hours_min": 5.0,
        "hours_max": 20.0,
        "days": frozenset({"tue", "thu"}),
        "contracts": frozenset({"cdi_temps_partage", "cdd"}),
        "available_from": date(2027, 2, 1) - timedelta(days=10),
        "rome": ("M1203",),
    }
    return CandidateData(**{**values, **overrides})


def need_row(company: Company, **overrides: Any) -> Need:
    """A ``Need`` row of ``company``, not yet added to the session: 14 h of bookkeeping on
    Tuesday and Thursday from 1 February 2027; keyword arguments override fields."""
    values = {
        "company": company,
        "title": "Comptable",
        "rome": "M1203",
        "skills": ["comptabilité générale"],
        "level": "employe_qualifie",
        "hours_per_week": 14,
        "days": ["tue", "thu"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": date(2027, 2, 1),
    }
    return Need(**{**values, **overrides})


def resource_row(**overrides: Any) -> Resource:
    """A published ``Resource`` valid until 2099, not yet added to the session."""
    values = {
        "slug": "aide-embauche",
        "title": "Aide à l'embauche",
        "summary": "Résumé",
        "body": "## Texte",
        "topics": ["recrutement"],
        "source": "État",
        "valid_until": date(2099, 1, 1),
        "published": True,
    }
    return Resource(**{**values, **overrides})


def testimonial_row(need: Need, **overrides: Any) -> Testimonial:
    """A ``Testimonial`` about ``need``, published and agreed for the site and the
    newsletter, not yet added to the session."""
    values = {
        "title": "Témoignage",
        "company_label": "Entreprise",
        "body": "Texte",
        "company_id": need.company_id,
        "need_id": need.id,
        "consent_by": "La gérante",
        "consent_on": date(2026, 11, 1),
        "consent_scope": ["site", "lettre"],
        "published": True,
    }
    return Testimonial(**{**values, **overrides})


def public_need_form(**overrides: Any) -> dict[str, Any]:
    """What a company owner sends on the public need form (``/exprimer-un-besoin``), valid,
    ``overrides`` changed (a value of None leaves the field out)."""
    from connectences.clock import local_today

    data = {
        "title": "Comptabilité 2 jours par semaine",
        "skills": "saisie comptable, déclarations de TVA",
        "level": "employe_qualifie",
        "hours_per_week": "14",
        "days": ["mon", "tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "reason_text": "Je fais la compta le soir, je n'y arrive plus.",
        "start": (local_today() + timedelta(days=30)).isoformat(),
        "duration_months": "",
        "commune": "",
        "company_name": "Huîtres Dupont",
        "siret": make_siret(),
        "company_commune": "Gujan-Mestras (33470)",
        "owner_name": "Claire Dupont",
        "owner_email": "claire@huitres-dupont.fr",
        "owner_phone": "06 12 34 56 78",
    }
    return overridden(data, overrides)
