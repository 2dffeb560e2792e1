"""The observatory checked against an oracle: a data set of three intercommunalities,
several months (across both changes of time), states, ROME domains, sizes, visits and
re-orientations, whose figures are counted here again from the data set's own list (not
through the observatory's code) and compared with what the page, the CSV and the XLSX
exports show to the staff, exact."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectences.extensions import db
from connectences.models import Partner, Referral, Transition, User, Visit
from connectences.skills import rome_label
from tests import factories, observatory_world

PARIS = ZoneInfo("Europe/Paris")
EPCIS = {
    factories.COBAS: ["33009", "33529", "33199", "33527"],
    factories.COBAN: ["33005", "33051", "33284"],
    factories.VAL_DE_L_EYRE: ["33042", "33498", "33029"],
}
ROMES = ["M1203", "M1607", "G1602", "G1603", "K2204", "N4105", "H2206", "A1203"]
SIZES = [0, 2, 4, 8, 12, 60, None]
CHANNELS = ["porte_a_porte", "telephone", "rendez_vous"]
PARTNERS = ["france_travail", "mission_locale", "cap_emploi"]
# Instants at the edges of months, in UTC: what local month each belongs to is the point.
EDGES = [
    datetime(2026, 3, 31, 21, 30, tzinfo=UTC),  # 23:30 CEST 31/03: March
    datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 CEST 01/04: April
    datetime(2026, 2, 28, 23, 30, tzinfo=UTC),  # 00:30 CET 01/03: March
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST, the night of the change
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST 25/10, before the change back
    datetime(2026, 10, 31, 22, 30, tzinfo=UTC),  # 23:30 CET 31/10: October
    datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # 00:30 CET 01/11: November
]
PATHS = [
    [],
    ["qualifie"],
    ["qualifie", "en_recherche"],
    ["qualifie", "propose"],
    ["qualifie", "propose", "pourvu"],
    ["qualifie", "reoriente"],
    ["abandonne"],
    ["qualifie", "en_recherche", "abandonne"],
]


def local_month(moment: datetime) -> tuple[int, int]:
    day = moment.astimezone(PARIS).date()
    return day.year, day.month


def build(seed: int = 7) -> list[dict]:
    """The data set, committed; returns each need as the oracle reads it."""
    rng = random.Random(seed)  # noqa: S311 — a repeatable data set, not a secret
    partners = []
    for kind in PARTNERS:
        partner = Partner(ref=f"p-{kind}", name=f"Agence {kind}", kind=kind, email=f"{kind}@x.fr")
        db.session.add(partner)
        partners.append(partner)
    animateur = User(email="anim-oracle@x.fr", role="animateur", full_name="Anim Oracle")
    db.session.add(animateur)
    companies = []
    for siren, communes in EPCIS.items():
        for i in range(12):
            commune = communes[i % len(communes)]
            naf = rng.choice(["56.10A", "47.11B", "43.21A", "86.21Z", "01.11Z"])
            employees = rng.choice(SIZES)
            company = observatory_world._company(f"{siren[-3:]}-{i}", commune, naf, employees)
            companies.append((siren, commune, company))
    db.session.flush()
    needs = []
    instants = list(EDGES)
    for _ in range(110):
        day = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(
            days=rng.randrange(320), minutes=rng.randrange(600)
        )
        instants.append(day)
    for n, created in enumerate(instants):
        siren, commune, company = companies[rng.randrange(len(companies))]
        own_commune = rng.random() < 0.2
        place = rng.choice(EPCIS[rng.choice(list(EPCIS))]) if own_commune else commune
        place_siren = next(s for s, cs in EPCIS.items() if place in cs)
        rome = rng.choice(ROMES) if rng.random() < 0.85 else None
        hours = rng.choice([4, 7, 10.5, 14, 20])
        path = PATHS[rng.randrange(len(PATHS))]
        need = factories.need_row(
            company,
            ref=f"oracle-{n}",
            rome=rome,
            hours_per_week=hours,
            created_at=created,
            commune=place if own_commune else None,
            shared_time=rng.random() < 0.3,
        )
        db.session.add(need)
        db.session.flush()
        log = [(created, None, "nouveau", None)]
        moment, state = created, "nouveau"
        for step in path:
            moment = moment + timedelta(hours=rng.choice([5, 30, 200, 700]))
            reason = "budget" if step == "abandonne" else None
            log.append((moment, state, step, reason))
            state = step
        for at, from_state, to_state, reason in log:
            db.session.add(
                Transition(
                    entity="need",
                    entity_id=need.id,
                    from_state=from_state,
                    to_state=to_state,
                    reason_code=reason,
                    at=at,
                )
            )
        need.status = state
        partner = None
        if "reoriente" in path:
            partner = rng.choice(partners)
            db.session.flush()
            db.session.add(
                Referral(
                    partner_id=partner.id, need_id=need.id, status="recue", created_at=log[-1][0]
                )
            )
        needs.append(
            {
                "id": need.id,
                "siren": place_siren,
                "commune": place,
                "company": company.id,
                "employees": company.employees,
                "rome": rome,
                "hours": hours,
                "created": created,
                "log": [(at, to_state) for at, _f, to_state, _r in log],
                "partner": partner.kind if partner else None,
                "shared": need.shared_time,
            }
        )
    db.session.flush()
    for siren, _commune, company in companies:
        for _ in range(rng.randrange(3)):
            db.session.add(
                Visit(
                    company_id=company.id,
                    animateur_id=animateur.id,
                    channel=rng.choice(CHANNELS),
                    visited_on=date(2026, 1, 1) + timedelta(days=rng.randrange(330)),
                )
            )
    db.session.commit()
    return needs


def state_at(need: dict, until: datetime) -> str:
    states = [to for at, to in need["log"] if at < until]
    return states[-1] if states else "nouveau"


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(days=1)


def oracle(needs: list[dict], siren: str, until: datetime, months: int | None) -> dict:
    """Every checked figure, counted from the data set's list."""
    last = (until - timedelta(microseconds=1)).astimezone(PARIS).date()
    if months is None:
        since = None
    else:
        index = last.year * 12 + last.month - 1 - (months - 1)
        since = datetime(index // 12, index % 12 + 1, 1, tzinfo=PARIS)
    mine = [n for n in needs if n["siren"] == siren and n["created"] < until]
    facts = [n for n in mine if since is None or n["created"] >= since]
    status = {n["id"]: state_at(n, until) for n in mine}
    communes = Counter(n["commune"] for n in facts)
    hours = defaultdict(float)
    for n in facts:
        hours[n["commune"]] += n["hours"]
    domains = Counter(
        (rome_label(n["rome"][0]) or n["rome"][0]) if n["rome"] else "Non précisé" for n in facts
    )
    steps = Counter(status[n["id"]] for n in facts)
    open_states = {"nouveau", "qualifie", "en_recherche", "propose"}
    received, placed = Counter(), Counter()
    for n in mine:
        received[local_month(n["created"])] += 1
        if status[n["id"]] == "pourvu":
            first = min(at for at, to in n["log"] if to == "pourvu" and at < until)
            placed[local_month(first)] += 1
    referred = Counter(
        n["partner"]
        for n in facts
        if status[n["id"]] == "reoriente"
        or (n["partner"] and any(to == "reoriente" and at < until for at, to in n["log"]))
    )
    return {
        "since": since,
        "received": len(facts),
        "companies": len({n["company"] for n in facts}),
        "hours": round(sum(n["hours"] for n in facts), 1),
        "shared": sum(1 for n in facts if n["shared"]),
        "placed": steps["pourvu"],
        "open": sum(1 for n in mine if status[n["id"]] in open_states),
        "communes": communes,
        "commune_hours": {k: round(v, 1) for k, v in hours.items()},
        "domains": domains,
        "steps": steps,
        "trend_received": received,
        "trend_placed": placed,
        "referred": referred,
    }


def rows_of(table, column=0) -> dict:
    return {row.label: row.cells[column].value for row in table.rows}


COMMUNE_NAMES = {}


def commune_name(insee: str) -> str:
    from connectences.models import Commune

    if insee not in COMMUNE_NAMES:
        COMMUNE_NAMES[insee] = db.session.get(Commune, insee).name
    return COMMUNE_NAMES[insee]


DAYS = [
    date(2026, 3, 31),
    date(2026, 2, 28),
    date(2026, 10, 31),
    date(2026, 10, 25),
    date(2026, 3, 29),
    date(2026, 6, 30),
    date(2026, 11, 30),
    date(2026, 1, 31),
    date(2025, 12, 31),
]


@pytest.mark.parametrize("siren", list(EPCIS))
def test_every_figure_matches_the_oracle(siren):
    needs = build()
    from connectences.observatory.figures import PERIODS, observatory
    from connectences.vocab import NEED_STATUSES, PARTNER_KINDS

    for day in DAYS:
        until = end_of(day)
        for period, (_label, months) in PERIODS.items():
            want = oracle(needs, siren, until, months)
            seen = observatory(db.session, siren, period, now=until)
            where = (siren, day, period)
            assert seen.since == want["since"], where
            bref = rows_of(seen.table("bref"))
            assert bref["Besoins reçus"] == want["received"], where
            assert bref["Entreprises concernées"] == want["companies"], where
            assert bref["Heures de travail par semaine demandées"] == want["hours"], where
            assert bref["Besoins à temps partagé"] == want["shared"], where
            assert bref["Besoins pourvus"] == want["placed"], where
            assert bref["Besoins en cours à la fin de la période"] == want["open"], where
            communes = {commune_name(k): v for k, v in want["communes"].items()}
            assert rows_of(seen.table("communes")) == communes, where
            hours = {commune_name(k): v for k, v in want["commune_hours"].items()}
            assert rows_of(seen.table("communes"), 1) == hours, where
            assert seen.table("communes").total.cells[0].value == want["received"], where
            assert rows_of(seen.table("domaines")) == dict(want["domains"]), where
            steps = {label: want["steps"][key] for key, label in NEED_STATUSES.items()}
            assert rows_of(seen.table("etapes")) == steps, where
            assert seen.table("etapes").total.cells[0].value == want["received"], where
            referred = {PARTNER_KINDS[k]: v for k, v in want["referred"].items()}
            assert rows_of(seen.table("reorientations")) == referred, where
            trends = seen.table("tendances")
            for row in trends.rows:
                month, year = row.label.split("/")
                key = (int(year), int(month))
                assert row.cells[0].value == want["trend_received"][key], (where, row.label)
                assert row.cells[2].value == want["trend_placed"][key], (where, row.label)


def _page_tables(text: str) -> dict[str, list[list[str]]]:
    import html
    import re

    tables = {}
    for key, body in re.findall(
        r'<table class="compact[^"]*" id="tableau-([a-z_]+)"[^>]*>(.*?)</table>', text, re.S
    ):
        rows = []
        for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", body, re.S):
            label, rest = row.split("</th>", 1)
            cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', rest)
            rows.append([html.unescape(label), *(html.unescape(c) for c in cells)])
        tables[key] = rows
    return tables


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))[1:]


def _hidden_marks(rows) -> list[tuple[int, int]]:
    return [(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if str(v) == "secret"]


@pytest.mark.parametrize("siren", list(EPCIS))
def test_an_officer_reads_the_same_secret_cells_on_the_page_csv_xlsx_and_report(app, auth, siren):
    from openpyxl import load_workbook

    build()
    officer = app.test_client()
    auth.login("territoire", client=officer, org_ref=siren)
    base = f"/territoire/intercommunalites/{siren}"
    for query in ("?au=2026-03-31&periode=3m", "?au=2026-10-31&periode=12m", "?au=2026-10-31", ""):
        response = officer.get(base + query)
        assert response.status_code == 200, query
        page = _page_tables(response.get_data(as_text=True))
        assert page, query
        book = load_workbook(io.BytesIO(officer.get(f"{base}/observatoire.xlsx{query}").data))
        sheets = [list(ws.iter_rows(values_only=True)) for ws in book.worksheets[1:]]
        for key, rows in page.items():
            got = officer.get(f"{base}/{key}.csv{query}")
            assert got.status_code == 200, (key, query)
            csv_rows = _csv_rows(got.data)
            assert _hidden_marks(csv_rows) == _hidden_marks(rows), (key, query)
        # Every sheet's secret cells: the page's table with the same rows.
        by_first = {tuple(r[0] for r in rows): rows for rows in page.values()}
        for sheet in sheets:
            body = [
                list(r)
                for r in sheet[1:]
                if r and r[0] and r[0] != "Comment ce chiffre est calculé"
            ]
            labels = tuple(r[0] for r in body)
            if labels in by_first:
                assert _hidden_marks(body) == _hidden_marks(by_first[labels]), (labels, query)
    # The officers of the other intercommunalities are refused everything of this one.
    for other in EPCIS:
        if other == siren:
            continue
        stranger = app.test_client()
        auth.login("territoire", client=stranger, org_ref=other)
        other_base = f"/territoire/intercommunalites/{siren}"
        for url in (
            "",
            "/observatoire.xlsx",
            "/communes.csv",
            "/rapport-2026-03.pdf",
            "/rapport-2026-03.html",
        ):
            assert stranger.get(other_base + url).status_code == 403, (other, url)


def _members(cells) -> int:
    return len(frozenset().union(*(cell.members for cell in cells)))


@pytest.mark.parametrize("siren", list(EPCIS))
def test_no_domain_or_column_of_the_officer_s_view_gives_a_hidden_cell_back(siren):
    """On the data set, at every month end and period: a column's visible total minus its
    visible cells, and a ROME domain shown minus its jobs shown, never give back one hidden
    cell or fewer than 5 companies (a domain is the sum of its jobs)."""
    from connectences.observatory.figures import PERIODS, observatory
    from connectences.observatory.present import present

    build()
    domain_of = {(rome_label(code) or code): rome_label(code[0]) for code in ROMES}
    compared = 0
    for day in DAYS:
        for period in PERIODS:
            shown = present(observatory(db.session, siren, period, now=end_of(day)), exact=False)
            tables = {table.key: table for table in shown.tables}
            sums = []
            for table in shown.tables:
                for c in table.additive if table.total is not None else ():
                    sums.append((table.total.cells[c], [row.cells[c] for row in table.rows]))
            jobs = tables["metiers"].rows
            grouped = [row for row in jobs if row.label.startswith("Autres")]
            for row in tables["domaines"].rows:
                inside = [job for job in jobs if domain_of.get(job.label) == row.label]
                if not grouped and inside:
                    for c in (0, 1):
                        sums.append((row.cells[c], [job.cells[c] for job in inside]))
            for whole, parts in sums:
                gone = [cell for cell in parts if cell.hidden]
                if whole.hidden or not gone:
                    continue
                compared += 1
                assert len(gone) > 1 and _members(gone) >= 5, (day, period, whole, gone)
    assert compared
