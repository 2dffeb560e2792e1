"""Small helpers shared by test modules: the page as read, row counts, stored records."""

from __future__ import annotations

import functools
import html
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from flask import url_for
from sqlalchemy import delete, event, exists, func, literal, select, text, union_all
from werkzeug.routing.converters import NumberConverter

from connectences import workflows
from connectences.accounts import api_tokens, link_requests
from connectences.accounts.passwords import hash_password
from connectences.accounts.scope import API_ROLES
from connectences.accounts.users import invitation_pending
from connectences.clock import LOCAL_TZ
from connectences.contacts import phone_display
from connectences.extensions import db
from connectences.kept import forget_kept
from connectences.mail import MailKind
from connectences.matching.matches import forget_indexes
from connectences.models import (
    ApiToken,
    AuditLog,
    Base,
    Candidate,
    Company,
    Lead,
    Need,
    Operator,
    OutboxMessage,
    Visit,
)
from connectences.workflows import NEED
from connectences.workflows.dispatch import send_lead
from tests import factories
from tests.known_secrets import PASSWORD

# Legal and contact settings as an installation sets them (none an example value): what
# a production app needs to start.
LEGAL_VALUES = {
    "LEGAL_PUBLISHER": "Syndicat mixte du Pays d'essai",
    "LEGAL_PUBLISHER_ADDRESS": "1 place de l'Essai, 33260 La Teste-de-Buch",
    "LEGAL_DIRECTOR": "Mme Camille Essai, présidente",
    "LEGAL_HOST": "Hébergeur Essai SAS, 2 rue du Serveur, 33000 Bordeaux, 05 56 00 11 22",
    "CONTACT_PHONE": "05 56 11 22 33",
    "CONTACT_ADDRESS": "12 rue de l'Essai, 33260 La Teste-de-Buch",
    "CONTACT_EMAIL": "equipe@pays-essai.fr",
}
# And the rest of what production checks (config.production_problems): a random-looking
# key, a public https address, an SMTP relay and a sender of the installation's domain.
PRODUCTION_VALUES = {
    **LEGAL_VALUES,
    "SECRET_KEY": "9f2c4e7a1b8d3f6e0a5c9b2d7e4f1a8c",
    "BASE_URL": "https://competences.pays-essai.fr",
    "MAIL_SERVER": "smtp.pays-essai.fr",
    "MAIL_FROM": "Connect'ences <ne-pas-repondre@pays-essai.fr>",
}


def page_text(response) -> str:
    """The page as read: tags removed, entities decoded, white space collapsed."""
    return page_text_of(response.get_data(as_text=True))


def same_page(response) -> str:
    """The page's HTML as two answers are compared whole: its forms' security tokens left
    out (each request signs its own, with the second it was made)."""
    return re.sub(
        r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', response.get_data(as_text=True)
    )


def html_of(response) -> str:
    """The page's HTML, with the no-break spaces of French typography read as spaces."""
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def element_by_id(page: str, element_id: str) -> str:
    """The HTML of the element ``id="{element_id}"`` of ``page``, its tags included."""
    at = page.index(f'id="{element_id}"')
    return _element_at(page, page.rindex("<", 0, at))


def _element_at(page: str, start: int) -> str:
    """The HTML of the element whose opening tag starts at ``start``: the elements of the
    same name it holds counted, to end at its own closing tag."""
    name = re.match(r"<(\w+)", page[start:]).group(1)
    depth = 0
    for tag in re.finditer(rf"<(/?){name}\b[^>]*>", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start : start + tag.end()]
    raise AssertionError(f"<{name}> at {start} is not closed")


def flashes_in(response, element_id: str) -> str:
    """What the page (a response) says in the messages placed inside the element
    ``id="{element_id}"`` (``web.actions.flash_in``), as read; empty when none."""
    held = element_by_id(response.get_data(as_text=True), element_id)
    at = held.find('<div class="flashes section-flashes">')
    return page_text_of(_element_at(held, at)) if at >= 0 else ""


def top_flashes(response) -> str:
    """What the page (a response) says in the messages at its top, as read."""
    page = response.get_data(as_text=True)
    at = page.find('<div class="flashes">')
    return page_text_of(_element_at(page, at)) if at >= 0 else ""


def page_text_of(markup: str) -> str:
    """HTML as read: tags removed, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def stamp_in(page, action: str | None = None) -> str:
    """The read stamp a form of this page (a response, or its HTML) carries (hidden
    ``lu_le``, ``workflows.read_stamp``): what a save from it is checked against. The
    first on the page, or that of the form whose ``action`` ends with ``action`` (a
    page with several records' forms: a company's contacts and preferences, a person's
    commitments and notes)."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    if action is not None:
        forms = re.findall(r'<form[^>]*\baction="([^"#]*)[^"]*"[^>]*>(.*?)</form>', text, re.S)
        text = next((body for url, body in forms if html.unescape(url).endswith(action)), "")
    found = re.search(r'name="lu_le" value="([^"]+)"', text)
    assert found, "the form carries no read stamp"
    return html.unescape(found.group(1))


def read_stamp_at(client, url: str, action: str | None = None) -> str:
    """The read stamp of the form at ``url`` (or of its form sent to ``action``), as a
    person opening that page gets it."""
    return stamp_in(client.get(url), action)


def guard_in(page, action: str | None = None) -> dict[str, str]:
    """The hidden fields a form of this page sends to guard its save: its read stamp
    (``lu_le``) and, when it has one, the digest of the values it edits as read
    (``lu_valeurs``, ``workflows.read_values``); the form chosen as by :func:`stamp_in`."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    guard = {"lu_le": stamp_in(text, action)}
    if action is not None:
        forms = re.findall(r'<form[^>]*\baction="([^"#]*)[^"]*"[^>]*>(.*?)</form>', text, re.S)
        text = next((body for url, body in forms if html.unescape(url).endswith(action)), "")
    found = re.search(r'name="lu_valeurs" value="([^"]+)"', text)
    if found:
        guard["lu_valeurs"] = html.unescape(found.group(1))
    return guard


def read_guard_at(client, url: str, action: str | None = None) -> dict[str, str]:
    """:func:`guard_in` of the page at ``url``, as a person opening it gets it."""
    return guard_in(client.get(url), action)


def main_of(response) -> str:
    """The HTML of the page's <main> only: what the page says, without the site's header
    and footer (whose team phone number is a ``tel:`` link on every page)."""
    page = html_of(response)
    start, end = page.find("<main"), page.rfind("</main>")
    return page[start:end] if start != -1 and end != -1 else page


def cards_of(response) -> list[str]:
    """The cards of an inbox (``templates/_inbox.html``), each as read: tags removed,
    entities decoded, white space collapsed."""
    page = html_of(response)
    cards = []
    for chunk in page.split('<li class="inbox-card')[1:]:
        chunk = re.split(r'<li class="inbox-card|</section>', chunk, maxsplit=1)[0]
        text = re.sub(r"<[^>]+>", " ", chunk.split(">", 1)[1])
        cards.append(" ".join(html.unescape(text).split()))
    return cards


# Loaded once per test session and kept: communes and intercommunalities.
REFERENCE_TABLES = {"commune", "epci"}
# The domain tables, children before parents (the order their rows can be deleted in).
DOMAIN_TABLES = [
    table for table in reversed(Base.metadata.sorted_tables) if table.name not in REFERENCE_TABLES
]
# One query naming the domain tables that hold rows: a test fills a few of some thirty
# tables, and a DELETE per table per test (a round trip each on PostgreSQL) was a large
# part of the suite's time.
_FILLED_TABLES = union_all(
    *(
        select(literal(table.name).label("name")).where(exists().select_from(table))
        for table in DOMAIN_TABLES
    )
)


def empty_domain_tables() -> None:
    """Delete every row but the reference tables' and commit (what each test leaves)."""
    db.session.rollback()
    filled = set(db.session.scalars(_FILLED_TABLES))
    for table in DOMAIN_TABLES:
        if table.name in filled:
            db.session.execute(delete(table))
    statistics = (
        db.session.scalars(_SQLITE_STATISTICS).all() if db.engine.dialect.name == "sqlite" else []
    )
    # Planner statistics left by a test that ran ANALYZE (the benchmarks' seed) describe
    # its rows, not the next test's: they go with them. A connection keeps the statistics
    # it loaded, so the pool's connections are closed too.
    for name in statistics:
        db.session.execute(text(f'DROP TABLE "{name}"'))
    db.session.commit()
    # The watches' generations went with the rows: a value kept under one of them (the
    # pooled bundles) would come back for other rows once it is counted again. The
    # candidate index forgets people by their tombstones, and these rows leave none: on
    # PostgreSQL, whose ids never go back, it would keep them (pooling reads it whole).
    forget_kept()
    forget_indexes()
    if statistics:
        db.session.remove()
        db.engine.dispose()


_SQLITE_STATISTICS = text(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite\\_stat%' ESCAPE '\\'"
)


def assert_sentence(message: str) -> None:
    """``message`` is a sentence, as the interchange spec asks of each error of a refused
    document: a capital first (or the « of a quoted value, or the … of a sequel) and a
    full stop, « ? » or « … » last, never two full stops."""
    assert message[:1] in ("«", "…") or message[:1].isupper(), message
    assert message.endswith((".", "?", "…")) and not message.endswith(".."), message


def organisation_mails():
    """The outbox's mails but the news each proposal, re-orientation and placement mails
    to the need's owner (``needs.owner_news``): what the staff and structures receive."""
    return select(OutboxMessage).where(OutboxMessage.kind != MailKind.NEED_NEWS)


def count(model) -> int:
    """How many rows the table of ``model`` holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def make_company(**overrides) -> Company:
    """A company imported through the interchange (``factories.company``), as stored."""
    item = factories.company(**overrides)
    factories.load(factories.document(companies=[item]))
    return db.session.scalar(select(Company).where(Company.ref == item["ref"]))


def staff_details_form(company: Company, **changes) -> dict:
    """The staff's form of a company's details (« Modifier les coordonnées ») as the
    record shows it, with ``changes``."""
    return {
        "name": company.name,
        "siret": company.siret,
        "naf": company.naf or "",
        "address": company.address or "",
        "commune": company.commune,
        "employees": "" if company.employees is None else str(company.employees),
        "contact_email": company.contact_email or "",
        "phone": phone_display(company.phone, ""),
        "website": company.website or "",
        **changes,
    }


@contextmanager
def on_day(day) -> Iterator[None]:
    """The clock at noon (Arcachon) on ``day``, running: for a module that reads its
    "today" once, when imported, so that a run crossing midnight tests on that day."""
    import time_machine

    with time_machine.travel(datetime.combine(day, time(12), tzinfo=LOCAL_TZ), tick=True):
        yield


def add_visit(company, user, day, *, channel="porte_a_porte", topics=(), **fields) -> Visit:
    """Store and commit a visit of ``company`` by ``user`` (None: nobody named) on ``day``;
    ``fields`` set the others (outcome, notes, follow_up_on...)."""
    visit = Visit(
        company_id=company.id,
        animateur_id=user.id if user else None,
        channel=channel,
        visited_on=day,
        topics=list(topics),
        **fields,
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def need_by_ref(ref: str) -> Need:
    """The stored need ``ref``, read afresh (the session's cache is expired first)."""
    db.session.expire_all()
    return db.session.scalars(select(Need).where(Need.ref == ref)).one()


def qualify(*refs: str) -> None:
    """Move the needs ``refs`` to ``qualifie`` through the workflow."""
    for ref in refs:
        workflows.transition(db.session, need_by_ref(ref), NEED, "qualifie")
        db.session.commit()  # before the next need_by_ref() expires the session


def by_ref(model, ref: str):
    """The stored record of ``model`` whose ``ref`` is ``ref`` (exactly one)."""
    return db.session.scalars(select(model).where(model.ref == ref)).one()


def lead_by_refs(actor, need: str, operator: str, candidate: str, **values) -> Lead:
    """Propose the stored need ``need`` to the operator ``operator`` with the candidate
    ``candidate`` (all three by ref), as ``actor``, through the dispatch workflow; not
    committed. ``values`` go to ``send_lead`` (a note, reasons)."""
    return send_lead(
        db.session,
        needs=[by_ref(Need, need)],
        operator=by_ref(Operator, operator),
        candidates=[by_ref(Candidate, candidate)],
        actor=actor,
        **values,
    )


def sent_on(lead: Lead, day) -> Lead:
    """Date ``lead`` as sent at noon (Arcachon) on ``day``, for a placement recorded late:
    a placement may not start before its lead was sent."""
    lead.created_at = datetime.combine(day, time(12), tzinfo=LOCAL_TZ)
    return lead


def error_of(response, field_id: str) -> str:
    """The error shown under the field ``field_id`` of a form sent back with errors (its
    ``<ul id="{field_id}-erreurs">``), as read; the field says so (aria-invalid or
    aria-describedby) and the summary at the top links to it. Fails if any is missing."""
    page = html_of(response)
    marker = f'id="{field_id}-erreurs"'
    assert marker in page, f"pas d'erreur à côté du champ {field_id}"
    assert f'href="#{field_id}"' in page, f"le résumé ne mène pas au champ {field_id}"
    assert re.search(rf'id="{re.escape(field_id)}"[^>]*(aria-invalid|aria-describedby)', page) or (
        re.search(rf'(aria-invalid|aria-describedby)[^>]*id="{re.escape(field_id)}"', page)
    ), f"le champ {field_id} ne renvoie pas à son erreur"
    errors = page.split(marker, 1)[1].split("</ul>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", errors)).split())


def dates_without_format(response) -> list[str]:
    """The ids of the page's date fields whose label and description (aria-describedby)
    do not say the format jj/mm/aaaa ([] when all do; WCAG 3.3.2): the HTML twin of
    ``tests.browser.support.dates_without_format``."""
    page = html_of(response)
    missing = []
    for tag in re.findall(r"<input\b[^>]*>", page):
        if not re.search(r'\btype="date"', tag):
            continue
        fid = (re.search(r'\bid="([^"]+)"', tag) or [None, ""])[1]
        described = (re.search(r'aria-describedby="([^"]*)"', tag) or [None, ""])[1].split()
        said = [element_by_id(page, ref) for ref in described if f'id="{ref}"' in page]
        said += re.findall(rf'<label[^>]*for="{re.escape(fid)}"[^>]*>.*?</label>', page, re.S)
        if "jj/mm/aaaa" not in " ".join(said):
            missing.append(fid)
    return missing


def sample_url(app, rule) -> str:
    """A URL of the route ``rule`` with made-up values: 1 for numbers, "exemple" otherwise."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, NumberConverter) else "exemple"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def resolve_link_requests() -> int:
    """What the minute job does first: queue the personal links asked for on the public
    forms (``link_requests.resolve_due``); the number of mails queued."""
    return link_requests.resolve_due(db.session)


@contextmanager
def recorded_statements(
    keep: Callable[[str], bool] = lambda statement: True, *, with_parameters: bool = False
) -> Iterator[list]:
    """Collect the SQL statements sent to the database inside the block (those ``keep``
    accepts), in the order sent; with ``with_parameters``, as (statement, parameters)."""
    statements: list = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if keep(statement):
            statements.append((statement, parameters) if with_parameters else statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@contextmanager
def another_app(app, factory=None) -> Iterator:
    """A second application on the test database (another worker, or the bench's app):
    ``factory`` (``create_app`` by default) given the test app's settings; its engine
    is disposed on exit."""
    from connectences import create_app

    config = {key: app.config[key] for key in _SHARED_SETTINGS}
    # The login form checks passwords with the test app's cheap hashing settings.
    config.update({k: v for k, v in app.config.items() if k.startswith("ARGON2_")})
    other = (factory or create_app)(config)
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


_SHARED_SETTINGS = (
    "TESTING",
    "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY",
    "WTF_CSRF_ENABLED",
    "BASE_URL",
)


def audit_entries(action: str) -> list[AuditLog]:
    """The audit log's entries of ``action``, oldest first."""
    return list(
        db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
    )


def refused_and_logged(client, user, urls: list[str], action: str) -> None:
    """Each of ``urls`` answers 403 to ``client`` (logged in as ``user``), and each refusal
    is in the audit log as ``action``, by ``user``."""
    for url in urls:
        assert client.get(url).status_code == 403, url
    entries = audit_entries(action)
    assert len(entries) == len(urls) and {e.actor_id for e in entries} == {user.id}


def mails_to(address: str) -> list[OutboxMessage]:
    """The mails queued for ``address``, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to == address).order_by(OutboxMessage.id)
        )
    )


def query_plan(query, set_aside: tuple[str, ...] = ()) -> str:
    """What the database says it does to run ``query`` (SQLite's ``EXPLAIN QUERY PLAN``,
    PostgreSQL's ``EXPLAIN``), in one line. PostgreSQL reads a small table whole and sorts
    it whatever its indexes: it is asked to prefer an index and not to sort, the indexes
    ``set_aside`` dropped (the DDL is undone with the rollback that ends the call)."""
    # A list of ids given to ``in_`` is written out, as the statement would run.
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    statement, parameters = str(compiled), compiled.params
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        positional = tuple(parameters[name] for name in compiled.positiontup)
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", positional).all()
    else:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        for name in set_aside:
            connection.exec_driver_sql(f"DROP INDEX {name}")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
    db.session.rollback()
    return " ".join(str(row[-1]) for row in rows)


def api_token_of(user, *, actor=None, days: int = 30) -> str:
    """A live API token of ``user`` (not committed); its secret. Issued by ``actor`` (the
    owner when None) through ``issue_token`` for a role the API serves; for another role
    or an invitation not yet accepted, which ``issue_token`` refuses, written as a token
    issued before that rule: the API must still refuse it."""
    if user.role in API_ROLES and not invitation_pending(user):
        _, secret = api_tokens.issue_token(
            db.session, owner_email=user.email, name="Essai", days=days, actor=actor or user
        )
        return secret
    secret = api_tokens.PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.session.add(
        ApiToken(
            name="Essai",
            user=user,
            secret_hash=api_tokens.hash_secret(secret),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    db.session.flush()
    return secret


def oracle_settings(max_examples: int):
    """Hypothesis settings of the spec oracles and the score's properties: documents
    imported into the test's database (a function-scoped fixture, slow to build), the
    same examples on every run (derandomized: CI never turns red on a draw of its own;
    run with more examples and a seed to search), no example database kept."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def at_once(*calls, timeout: float = 120) -> list:
    """Run each call in a thread of its own at the same time; what each returned (or the
    exception it raised), in order."""
    import threading

    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 — reported by the test's assertions
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


def wait_for_a_blocked_transaction(other_done, seconds: float = 10) -> None:
    """PostgreSQL: until a transaction waits for a lock (another's), or ``other_done``
    (a ``threading.Event``: the other side is over, having never waited) is set, at most
    ``seconds``; AssertionError when neither came. For races lined up at one lock."""
    import time

    deadline = time.monotonic() + seconds
    with db.engine.connect() as connection:
        while time.monotonic() < deadline and not other_done.is_set():
            waiting = connection.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            connection.rollback()
            if waiting:
                return
            time.sleep(0.05)
    if not other_done.is_set():
        raise AssertionError("no transaction waited on a lock")


@functools.cache
def opened_account() -> str:
    """The password hash of an account a test builds by hand as one someone opened (its
    invitation accepted): the mails chosen among accounts reach only those
    (``users.is_working``); hashed once."""
    return hash_password(PASSWORD)
