"""`flask --app connectences bench observatory`: what each view of the observatory costs
at the size of a region.

The data set is ``bench seed``'s (companies, candidates, visits, needs with their
outcomes and transition log), built first when the database holds none, plus GPECT
diagnosis questionnaires answered by some of the companies (``seed_diagnoses``). Then,
each measured once to warm the process and ``--repeats`` times, the median wall time of:

- the observatory's figures (``observatory.figures.observatory``) for each
  intercommunality of the Pays and each period;
- the diagnosis counts (``observatory.diagnosis``), for the whole Pays and for each
  intercommunality, and their protection for officers;
- every page of the observatory blueprint that takes no argument (so that pages added
  to it later are measured too) and the diagnosis pages, read in-process through
  Flask's test client by a logged-in user of the demo (the officer of the COBAS, or an
  animateur), with the per-process figures cache emptied before each request;
- the monthly report of each intercommunality, through its command
  (``observatory report``), when ``connectences.observatory.report`` exists.

``--measures`` chooses among these three (``figures``, ``pages``, ``report``: all by
default); the data set is built whatever is chosen. Every measurement is one JSON line:
``metric``, ``value``, ``unit`` and what was measured.
"""

from __future__ import annotations

import contextlib
import importlib.util
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences import clock
from connectences.bench.load import plan_accounts
from connectences.bench.pages import _client, _get, _sql_meter
from connectences.bench.seed import BENCH_PREFIX, _insert, _next_id, reset_sequences, run_seed
from connectences.extensions import db
from connectences.models import Company, Diagnosis, DiagnosisAnswer, utcnow
from connectences.observatory import diagnosis as diagnosis_figures
from connectences.observatory import figures
from connectences.prospection import diagnosis as questionnaire
from connectences.skills import rome_codes
from connectences.territory import PAYS_EPCIS
from connectences.web.access import BLUEPRINT_ROLES

# Page endpoints measured besides the observatory blueprint's, with who reads them.
DIAGNOSIS_PAGES: list[tuple[str, str, str]] = [
    ("diagnosis.observatory", "territoire", "/observatoire/diagnostic"),
    ("diagnosis.observatory", "animateur", "/observatoire/diagnostic"),
    ("diagnosis.export", "animateur", "/observatoire/diagnostic/export.xlsx"),
    ("diagnosis.export", "animateur", "/observatoire/diagnostic/export.csv"),
    ("diagnosis.workbook", "territoire", "/observatoire/diagnostic/tableaux.xlsx"),
]
REPORT_MODULE = "connectences.observatory.report"
# What ``--measures`` can choose (all by default), in the order they are made.
MEASURES = ("figures", "pages", "report")


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    work()  # warm: imports, caches of the process, the database's pages
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def _record(metric: str, value: float, **what) -> dict:
    return {"metric": metric, "value": value, "unit": "ms", **what}


# --- the questionnaires -------------------------------------------------------------------


def seed_diagnoses(session: Session, count: int, *, seed: int) -> int:
    """``count`` answered questionnaires from the benchmark's companies (one each while
    there are enough companies, a newer answer of the same companies after), with the
    proportions one would expect: most companies short of candidates, a few jobs cited
    by many. Bulk inserts, like ``bench seed``."""
    rng = random.Random(seed)  # noqa: S311 — synthetic data, never a secret
    companies = list(
        session.scalars(
            select(Company.id).where(Company.ref.startswith(BENCH_PREFIX)).order_by(Company.id)
        )
    )
    if not companies or count <= 0:
        return 0
    codes = rome_codes()
    popular = rng.sample(codes, min(12, len(codes)))
    first, answer_id = _next_id(session, Diagnosis), _next_id(session, DiagnosisAnswer)
    order = rng.sample(companies, len(companies))
    now = utcnow()
    rows, answers = [], []

    def tick(question: str, options: list[str], weights: list[float], diagnosis_id: int):
        for value, weight in zip(options, weights, strict=True):
            if rng.random() < weight:
                answers.append(
                    {"id": answer_id + len(answers), "diagnosis_id": diagnosis_id,
                     "question": question, "value": value}
                )  # fmt: skip

    for n in range(count):
        did = first + n
        company_id = order[n % len(order)]
        answered = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 600))
        by_link = rng.random() < 0.4
        difficulty = rng.choices(list(questionnaire.DIFFICULTIES), [2, 5, 3])[0]
        rows.append(
            {
                "id": did,
                "company_id": company_id,
                "source": "lien" if by_link else "visite",
                "visit_id": None,
                "filled_by_id": None,
                "sent_by_id": None,
                "sent_to": f"patron{company_id}@entreprise.example" if by_link else None,
                "sent_at": answered - timedelta(days=rng.randint(0, 20)) if by_link else None,
                "submitted_at": answered,
                "difficulty": difficulty,
                "shared_time": rng.choices(list(questionnaire.SHARED_TIME), [3, 4, 3])[0],
                "other_cause": None,
                "created_at": answered,
                "updated_at": answered,
            }
        )
        if difficulty != "aucune":
            causes = [c for c in questionnaire.CAUSES if c != "autre"]
            tick("cause", causes, [0.7, 0.4, 0.3, 0.3, 0.2, 0.25, 0.3], did)
        for code in {rng.choice(popular if rng.random() < 0.7 else codes)
                     for _ in range(rng.randint(0, 3))}:  # fmt: skip
            answers.append(
                {"id": answer_id + len(answers), "diagnosis_id": did,
                 "question": questionnaire.SKILL, "value": code}
            )  # fmt: skip
        training = [t for t in questionnaire.TRAINING if t != "aucune"]
        tick("formation", training, [0.4, 0.2, 0.5, 0.2], did)
        constraints = [c for c in questionnaire.CONSTRAINTS if c != "aucune"]
        tick("contrainte", constraints, [0.3, 0.45, 0.3, 0.35, 0.15], did)
    _insert(session, Diagnosis, rows)
    _insert(session, DiagnosisAnswer, answers)
    reset_sequences(session)
    session.commit()
    return len(rows)


def build(session: Session, *, candidates, needs, visits, companies, questionnaires, seed):
    """The data set: ``bench seed``'s when the database holds no benchmark rows yet, then
    questionnaires up to ``questionnaires``. Yields the seed's records."""
    seeded = session.scalar(select(Company.id).where(Company.ref.startswith(BENCH_PREFIX)).limit(1))
    if seeded is None:
        yield from run_seed(
            session,
            candidates=candidates,
            needs=needs,
            visits=visits,
            companies=companies,
            seed=seed,
        )
    missing = questionnaires - (session.scalar(select(func.count(Diagnosis.id))) or 0)
    t0 = time.perf_counter()
    written = seed_diagnoses(session, missing, seed=seed)
    yield {"metric": "seed_diagnoses_s", "value": round(time.perf_counter() - t0, 2),
           "unit": "s", "rows": written}  # fmt: skip


# --- the measurements ---------------------------------------------------------------------


def measure_figures(session: Session, repeats: int) -> Iterator[dict]:
    """The observatory's figures and the diagnosis counts, called directly."""
    now = utcnow()
    for siren in PAYS_EPCIS:
        for period in figures.PERIODS:
            ms = _median_ms(lambda s=siren, p=period: figures.observatory(session, s, p, now=now),
                            repeats)  # fmt: skip
            yield _record("observatory_figures_ms", ms, epci=siren, period=period)
    for siren in (None, *PAYS_EPCIS):
        ms = _median_ms(lambda s=siren: diagnosis_figures.diagnosis_figures(session, s), repeats)
        yield _record("diagnosis_counts_ms", ms, epci=siren or "pays")
        ms = _median_ms(
            lambda s=siren: diagnosis_figures.figures_for(session, s, exact=False), repeats
        )
        yield _record("diagnosis_counts_protected_ms", ms, epci=siren or "pays")


def observatory_pages(app) -> list[tuple[str, str, str]]:
    """(endpoint, role, path) of every GET page of the observatory blueprint that takes
    no argument, read by its officer (by an animateur when the page is the staff's only),
    then the diagnosis pages."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".", 1)[0] != "observatory" or "GET" not in rule.methods:
            continue
        if rule.arguments - set(rule.defaults or {}):
            continue
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "_allowed_roles", None) or BLUEPRINT_ROLES["observatory"]
        pages.append((rule.endpoint, "territoire" if "territoire" in allowed else "animateur",
                      rule.rule))  # fmt: skip
    return pages + DIAGNOSIS_PAGES


def measure_pages(app, repeats: int) -> Iterator[dict]:
    """Each page's median wall time, figures cache emptied before every request."""
    accounts = plan_accounts()
    clients: dict[str, object] = {}
    for endpoint, role, path in observatory_pages(app):
        client = clients.get(role) or clients.setdefault(role, _client(app, role, accounts))

        def read(client=client, path=path, endpoint=endpoint):
            app.extensions.pop("observatory_cache", None)
            response = _get(app, client, path)
            if response.status_code != 200:
                raise RuntimeError(f"{endpoint}: {path} answered {response.status_code}")
            return response

        ms = _median_ms(read, repeats)
        with _sql_meter(db.engine) as sql:
            read()
        yield _record("observatory_page_ms", ms, page=endpoint, role=role, path=path,
                      statements=sql["statements"])  # fmt: skip


def measure_report(app, repeats: int) -> Iterator[dict]:
    """The monthly report of last month for each intercommunality, through its command,
    when the report module exists (one record saying it was skipped otherwise)."""
    if importlib.util.find_spec(REPORT_MODULE) is None:
        yield {"metric": "observatory_report_ms", "value": None, "unit": "ms",
               "skipped": f"{REPORT_MODULE} absent"}  # fmt: skip
        return
    month = (clock.local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    runner = app.test_cli_runner()
    for siren in PAYS_EPCIS:
        args = ["observatory", "report", "--epci", siren, "--month", month]
        failure: list[str] = []

        def run(args=args, failure=failure):
            result = runner.invoke(args=args)
            if result.exit_code != 0 and not failure:
                failure.append((result.output or repr(result.exception)).strip()[:200])

        with tempfile.TemporaryDirectory() as where, contextlib.chdir(where):
            ms = _median_ms(run, repeats)
        if failure:
            yield {"metric": "observatory_report_ms", "value": None, "unit": "ms",
                   "epci": siren, "month": month, "skipped": failure[0]}  # fmt: skip
        else:
            yield _record("observatory_report_ms", ms, epci=siren, month=month)


def run_observatory(app, *, repeats: int, measures=MEASURES, **sizes) -> Iterator[dict]:
    """Build the data set if needed, then the ``measures`` asked (see the module)."""
    with app.app_context():
        yield from build(db.session, **sizes)
        if "figures" in measures:
            yield from measure_figures(db.session, repeats)
        db.session.remove()
    if "pages" in measures:
        yield from measure_pages(app, repeats)
    if "report" in measures:
        with app.app_context():
            yield from measure_report(app, repeats)
