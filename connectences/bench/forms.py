"""The forms the benchmarks send (``concurrency``, locust's ``locustfile`` and ``pages``),
filled once with made-up but valid values; each caller adds what makes its rows its own."""

from __future__ import annotations

from datetime import timedelta

from stdnum import luhn

from connectences.clock import local_today

# Every client of a benchmark comes from the same loopback address, where the hourly
# limit per address of the public forms (tested by tests/test_mail_form_limits.py) would
# refuse all but the first few submissions: a benchmark's server lifts them.
UNLIMITED_FORMS = {
    key: 10**9
    for key in (
        "CALLBACK_MAX_REQUESTS",
        "NEED_FORM_MAX_REQUESTS",
        "CV_FORM_MAX_REQUESTS",
        "LINK_MAX_REQUESTS",
    )
}


def made_up_siret(n: int, first_digit: str) -> str:
    """A made-up SIRET whose SIREN and SIRET keys are right (one per ``n``)."""
    base = f"{first_digit}{n % 10**7:07d}"
    siren = base + luhn.calc_check_digit(base)
    body = siren + f"{n % 10**4:04d}"
    return body + luhn.calc_check_digit(body)


def cv_form(**fields) -> dict:
    """The fields of the public CV form (``/deposer-mon-cv``), ``fields`` added."""
    return {
        "first_name": "Camille",
        "commune": "La Teste-de-Buch",
        "mobility_km": "25",
        "skills": "saisie comptable\nfacturation",
        "level": "employe_qualifie",
        "hours_min": "7",
        "hours_max": "24",
        "days": ["mon", "tue"],
        "contracts": ["cdi_temps_partage"],
        "available_from": (local_today() + timedelta(days=30)).isoformat(),
        "consent": "y",
        **fields,
    }


def need_form(**fields) -> dict:
    """The fields of the public need form (``/exprimer-un-besoin``), ``fields`` added."""
    return {
        "title": "Comptabilité deux jours par semaine",
        "skills": "saisie comptable",
        "level": "employe_qualifie",
        "hours_per_week": "14",
        "days": ["mon", "tue"],
        "contract": "cdi_temps_partage",
        "reason": "temps_partiel",
        "start": (local_today() + timedelta(days=30)).isoformat(),
        "company_commune": "Gujan-Mestras (33470)",
        "confirm_duplicate": "1",
        **fields,
    }


# The trades (skills, commune) of the load journeys' CVs, one after the other. All of one
# trade, a run of ``bench load`` added some 3,000 accountants within 15 km of Arcachon:
# its own mix, and every later run, then searched "comptabilité" there (one search in
# five) among 4,186 people instead of the seeded set's 656. Spread over eight trades
# and communes, what a run adds weighs on the searches as the seeded people do.
LOAD_TRADES = (
    ("saisie comptable\nfacturation", "La Teste-de-Buch"),
    ("aide à domicile\naccompagnement des personnes âgées", "Biganos"),
    ("cuisine traditionnelle\nplonge", "Arcachon"),
    ("vente en magasin\nencaissement", "Andernos-les-Bains"),
    ("secrétariat\naccueil téléphonique", "Gujan-Mestras"),
    ("ostréiculture\nconditionnement des huîtres", "Lège-Cap-Ferret"),
    ("entretien des espaces verts\ntaille des haies", "Salles"),
    ("paie\ngestion administrative du personnel", "Mios"),
)


def cv_submission(token: str, tag: str, n: int) -> dict:
    """One new CV of the load journeys (``n`` makes its address its own and chooses its
    trade in ``LOAD_TRADES``)."""
    skills, commune = LOAD_TRADES[n % len(LOAD_TRADES)]
    return cv_form(
        csrf_token=token,
        skills=skills,
        commune=commune,
        last_name="Charge",
        email=f"charge-{tag}-{n}@exemple.fr",
        phone="06 39 98 00 00",
        days=["mon", "tue", "thu"],
        contracts=["cdi_temps_partage", "cdd"],
    )


def need_submission(token: str, tag: str, n: int, siret_n: int) -> dict:
    """One new need of the load journeys, sent by a new company (``siret_n``)."""
    return need_form(
        csrf_token=token,
        title=f"Comptabilité deux jours par semaine {n}",
        skills="saisie comptable, déclarations de TVA",
        reason_text="Mesure de charge.",
        company_name=f"Entreprise de charge {tag} {n}",
        siret=made_up_siret(siret_n, "7"),
        owner_name="Claire Charge",
        owner_email=f"besoin-{tag}-{n}@exemple.fr",
        owner_phone="06 39 98 00 01",
    )


def visit_submission(token: str) -> dict:
    """One telephone visit of the load journeys, confirmed past the contact-pressure
    warning (a company already contacted this month)."""
    return {
        "csrf_token": token,
        "channel": "telephone",
        "visited_on": local_today().isoformat(),
        "topics": ["competences_partagees"],
        "outcome": "a_relancer",
        "notes": "Mesure de charge.",
        "follow_up_on": (local_today() + timedelta(days=14)).isoformat(),
        "confirmer": "1",
    }
