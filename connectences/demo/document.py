"""The interchange v1.1 document of the demo territory, assembled from its parts."""

from __future__ import annotations

import random
from datetime import date

from connectences.clock import local_today
from connectences.demo.candidates import add_commitments, build_candidates
from connectences.demo.common import DEMO_SEED
from connectences.demo.companies import COMPANY_ROWS, build_companies
from connectences.demo.needs import build_needs
from connectences.demo.organisations import build_operators, build_partners


def build_demo_document(
    seed: int = DEMO_SEED,
    today: date | None = None,
    *,
    n_needs: int = 60,
    n_candidates: int = 150,
) -> dict:
    """The interchange v1.1 document of the demo territory.

    Deterministic for a given `seed` and `today` (dates are spread around `today`,
    which defaults to the current date, so that the demo always looks current).
    """
    today = today or local_today()
    # One random stream for companies, needs and people, drawn in that order.
    rng = random.Random(seed)  # noqa: S311 — synthetic or sampled data, never a secret
    companies = build_companies(rng)
    open_companies = [
        (company, row.sector)
        for company, row in zip(companies, COMPANY_ROWS, strict=True)
        if not row.do_not_solicit
    ]
    needs = build_needs(rng, open_companies, today, n_needs)
    candidates = build_candidates(rng, today, n_candidates)
    add_commitments(seed, candidates, today)
    return {
        "format": "connectences/v1.1",
        "operators": build_operators(),
        "partners": build_partners(),
        "companies": companies,
        "candidates": candidates,
        "needs": needs,
    }
