"""Scheduled jobs: effects under a frozen clock, idempotence, the run guard, failures."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from connectences import accounts
from connectences.accounts import throttle
from connectences.clock import LOCAL_TZ, local_date
from connectences.extensions import db
from connectences.jobs import backups, tasks
from connectences.jobs.registry import JOBS, JOBS_BY_ID, Job
from connectences.jobs.runner import execute, run_guarded
from connectences.models import (
    AuditLog,
    Candidate,
    Commitment,
    Commune,
    Company,
    FollowUpPoint,
    JobRun,
    Lead,
    LeadCandidate,
    LeadNeed,
    LoginThrottle,
    Need,
    Operator,
    OutboxMessage,
    Partner,
    Placement,
    PlacementNeed,
    Referral,
    Transition,
    User,
    Visit,
)
from connectences.observatory.tables import PROTECTION_NOTE
from tests.factories import COBAS
from tests.helpers import opened_account

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Arcachon


def mails(to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to == to)
    return list(db.session.scalars(query))


def cobas_officer() -> User:
    """An officer of the COBAS who opened their account: the monthly report's reader."""
    return User(
        email="cobas@agglo.fr",
        role="territoire",
        epci_siren=COBAS,
        password_hash=opened_account(),
    )


def make_world(now: datetime) -> dict:
    animateur = User(
        email="anim@pays.fr",
        role="animateur",
        full_name="Anne Imateur",
        password_hash=opened_account(),
    )
    admin = User(email="admin@pays.fr", role="admin", password_hash=opened_account())
    operator = Operator(
        ref="ge-1", name="GE Bassin", kind="groupement_employeurs", email="ge@ge.fr"
    )
    company = Company(
        ref="c1", name="Boulangerie", siret="12345678900011", siren="123456789", commune="33009"
    )
    db.session.add_all([animateur, admin, operator, company])
    db.session.flush()
    need = Need(
        ref="n1",
        company_id=company.id,
        title="Comptable",
        rome="M1203",
        level="employe_qualifie",
        hours_per_week=7,
        contract="cdi_temps_partage",
        reason="temps_partiel",
        start=date(2026, 4, 1),
        status="propose",
        created_by_id=animateur.id,
        created_at=now,
    )
    db.session.add(need)
    db.session.flush()
    lead = Lead(operator_id=operator.id, created_by_id=animateur.id, created_at=now)
    lead.needs.append(LeadNeed(need_id=need.id))
    db.session.add(lead)
    db.session.commit()
    return {
        "animateur": animateur,
        "operator": operator,
        "lead": lead,
        "need": need,
        "company": company,
    }


def run(job_id: str, now: datetime, dry_run: bool = False) -> dict:
    with time_machine.travel(now, tick=False):
        return execute(JOBS_BY_ID[job_id], now=now, dry_run=dry_run)


def test_registry_ids_are_unique_and_every_job_has_a_trigger():
    assert len({job.id for job in JOBS}) == len(JOBS) == 13
    for job in JOBS:
        assert job.make_trigger() is not None
        assert job.description


def test_working_days_skip_the_weekend():
    assert tasks.add_working_days(date(2026, 3, 2), 3) == date(2026, 3, 5)  # Mon -> Thu
    assert tasks.add_working_days(date(2026, 3, 5), 3) == date(2026, 3, 10)  # Thu -> Tue


def test_working_days_skip_french_public_holidays():
    # Easter Monday 6 April 2026; 1 and 8 May and Ascension (14 May) 2026.
    assert tasks.add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)  # Fri -> Tue
    assert tasks.add_working_days(date(2026, 4, 30), 3) == date(2026, 5, 6)
    assert tasks.add_working_days(date(2026, 5, 13), 1) == date(2026, 5, 15)
    assert not tasks.is_working_day(date(2026, 7, 14))
    assert not tasks.is_working_day(date(2026, 12, 25))
    assert tasks.is_working_day(date(2026, 12, 24))


def test_lead_escalation_reminds_alerts_then_closes_once_each():
    world = make_world(MONDAY)
    lead_id, need_id = world["lead"].id, world["need"].id

    assert run("lead_escalation", MONDAY + timedelta(days=2))["reminded"] == 0  # Wednesday
    counts = run("lead_escalation", MONDAY + timedelta(days=3))  # Thursday: 3rd working day
    assert counts["reminded"] == 1 and counts["alerted"] == 0
    assert [m.to for m in mails()] == ["ge@ge.fr"]
    assert "/operateur/propositions/" in mails()[0].body_text
    # The operator's answer reaches the animateur who sent the lead, not the no-reply.
    assert mails()[0].reply_to == "anim@pays.fr"
    # Idempotent: a second run the same day (or the next) sends nothing more.
    assert run("lead_escalation", MONDAY + timedelta(days=3))["reminded"] == 0
    assert run("lead_escalation", MONDAY + timedelta(days=4))["reminded"] == 0
    assert len(mails()) == 1

    counts = run("lead_escalation", MONDAY + timedelta(days=15))
    assert counts["alerted"] == 1
    assert len(mails("anim@pays.fr")) == 1
    assert run("lead_escalation", MONDAY + timedelta(days=16))["alerted"] == 0

    counts = run("lead_escalation", MONDAY + timedelta(days=60))
    assert counts["closed"] == 1 and counts["needs_released"] == 1
    lead = db.session.get(Lead, lead_id)
    assert lead.status == "sans_suite"
    log = db.session.scalars(
        select(Transition).where(Transition.entity == "lead", Transition.entity_id == lead_id)
    ).one()
    assert log.to_state == "sans_suite" and "60 jours" in log.reason_text
    assert db.session.get(Need, need_id).status == "en_recherche"
    assert run("lead_escalation", MONDAY + timedelta(days=61))["closed"] == 0
    assert len(mails()) == 2


def test_a_reminder_whose_animateur_left_answers_to_the_platform_s_contact():
    world = make_world(MONDAY)
    world["animateur"].active = False
    db.session.commit()
    assert run("lead_escalation", MONDAY + timedelta(days=3))["reminded"] == 1
    assert mails("ge@ge.fr")[0].reply_to == "contact@connectences.local"


def test_a_seen_lead_gets_no_reminder_but_the_alert():
    world = make_world(MONDAY)
    world["lead"].status = "vu"
    db.session.commit()
    counts = run("lead_escalation", MONDAY + timedelta(days=15))
    assert counts == {"reminded": 0, "alerted": 1, "closed": 0, "needs_released": 0}


def test_dry_run_changes_nothing():
    world = make_world(MONDAY)
    counts = run("lead_escalation", MONDAY + timedelta(days=60), dry_run=True)
    assert counts["closed"] == 1
    db.session.expire_all()
    assert db.session.get(Lead, world["lead"].id).status == "envoye"
    assert mails() == []
    assert db.session.scalar(select(func.count(Transition.id))) == 0


def _placed_with_points(world) -> Placement:
    """A placement of the world's lead begun 2 March 2026, its 1- and 3-month points to
    record (due 2 April and 2 June)."""
    placement = Placement(
        lead_id=world["lead"].id,
        hours_per_week=7,
        contract="cdi_temps_partage",
        start_date=date(2026, 3, 2),
        created_by_id=world["animateur"].id,
    )
    placement.needs.append(PlacementNeed(need_id=world["need"].id))
    placement.follow_ups.append(FollowUpPoint(months=1, due_on=date(2026, 4, 2)))
    placement.follow_ups.append(FollowUpPoint(months=3, due_on=date(2026, 6, 2)))
    db.session.add(placement)
    db.session.commit()
    return placement


def test_follow_up_points_mail_operator_and_animateur_once():
    world = make_world(MONDAY)
    _placed_with_points(world)

    assert run("follow_ups", datetime(2026, 4, 1, 8, tzinfo=UTC))["points"] == 0
    counts = run("follow_ups", datetime(2026, 4, 2, 6, tzinfo=UTC))
    assert counts["points"] == 1 and counts["mails"] == 2
    assert sorted(m.to for m in mails()) == ["anim@pays.fr", "ge@ge.fr"]
    assert "Boulangerie" in mails()[0].body_text
    # Each is sent to a page they may open: the operator to the lead's (where the point is
    # recorded), the animateur to the need's (the lead's page refused them, 403).
    told = {m.to: m.body_text for m in mails()}
    assert f"/operateur/propositions/{world['lead'].id}" in told["ge@ge.fr"]
    assert "/operateur/" not in told["anim@pays.fr"]
    assert f"/animateur/besoins/{world['need'].ref}" in told["anim@pays.fr"]
    assert run("follow_ups", datetime(2026, 4, 3, 6, tzinfo=UTC))["points"] == 0
    assert len(mails()) == 2
    point = db.session.scalars(select(FollowUpPoint).where(FollowUpPoint.months == 1)).one()
    assert point.reminded_at is not None


def test_a_follow_up_point_is_reminded_once_the_points_before_it_are_recorded():
    # A placement recorded months after it began had all its due points mailed at once,
    # twice over, when only the first can be recorded (the later ones wait for it).
    world = make_world(MONDAY)
    placement = _placed_with_points(world)

    counts = run("follow_ups", datetime(2026, 6, 3, 6, tzinfo=UTC))
    assert counts["points"] == 1 and counts["mails"] == 2
    assert {m.subject for m in mails()} == {"[Connect'ences] Suivi à 1 mois à faire"}
    first, later = sorted(placement.follow_ups, key=lambda p: p.months)
    db.session.refresh(later)
    assert later.reminded_at is None
    first.done_at = datetime(2026, 6, 3, 9, tzinfo=UTC)
    first.holds = True
    db.session.commit()
    counts = run("follow_ups", datetime(2026, 6, 4, 6, tzinfo=UTC))
    assert counts["points"] == 1 and counts["mails"] == 2
    assert [m.subject for m in mails()][-2:] == ["[Connect'ences] Suivi à 3 mois à faire"] * 2


def test_guard_runs_a_job_once_per_period():
    make_world(MONDAY)
    job = JOBS_BY_ID["lead_escalation"]
    now = MONDAY + timedelta(days=3)
    with time_machine.travel(now, tick=False):
        first = run_guarded(job, now=now)
        second = run_guarded(job, now=now + timedelta(hours=1))
    assert first.outcome == "ok" and first.counts["reminded"] == 1
    assert second.outcome == "skipped" and second.period == first.period == "2026-03-05"
    run_row = db.session.scalars(select(JobRun)).one()
    assert run_row.outcome == "ok" and run_row.counts["reminded"] == 1
    assert run_row.finished_at is not None


def test_two_runners_at_once_produce_one_effect(app):
    make_world(MONDAY)
    job = JOBS_BY_ID["lead_escalation"]
    now = MONDAY + timedelta(days=3)
    barrier = threading.Barrier(2)
    results = []

    def runner():
        with app.app_context():
            barrier.wait()
            results.append(run_guarded(job, now=now).outcome)
            db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "skipped"]
    assert len(mails("ge@ge.fr")) == 1
    assert db.session.scalar(select(func.count(JobRun.id))) == 1


def test_a_failing_job_is_recorded_reported_and_stops_nothing():
    make_world(MONDAY)

    def broken(ctx):
        ctx.session.add(AuditLog(action="should.be.rolled.back"))
        raise RuntimeError("boom")

    bad = Job("broken", "Tâche en panne", broken, "cron", {"hour": 1})
    now = MONDAY + timedelta(days=3)
    with time_machine.travel(now, tick=False):
        results = [run_guarded(job, now=now) for job in (bad, JOBS_BY_ID["lead_escalation"])]
    assert [r.outcome for r in results] == ["error", "ok"]
    assert results[1].counts["reminded"] == 1
    failed = db.session.scalars(select(JobRun).where(JobRun.job_id == "broken")).one()
    assert failed.outcome == "error" and "boom" in failed.error
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0
    admin_mail = mails("admin@pays.fr")
    assert len(admin_mail) == 1 and "broken" in admin_mail[0].subject
    # Retried at its next period: the failed row does not block tomorrow.
    with time_machine.travel(now + timedelta(days=1), tick=False):
        assert run_guarded(bad, now=now + timedelta(days=1)).outcome == "error"


def _candidate(ref: str, contact: datetime, confirmed: bool = True, **kw) -> Candidate:
    cand = Candidate(
        ref=ref,
        first_name="Camille",
        last_name=ref,
        email=f"{ref}@ex.fr",
        commune="33529",
        mobility_km=20,
        level="employe_qualifie",
        hours_min=7,
        hours_max=35,
        available_from=date(2024, 1, 1),
        consent=True,
        email_confirmed_at=contact if confirmed else None,
        last_contact_at=contact,
        created_at=contact,
        **kw,
    )
    db.session.add(cand)
    return cand


def test_data_retention_warns_deletes_and_purges(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    now = datetime(2026, 3, 10, 3, tzinfo=UTC)
    world = make_world(now)
    cv_dir = tasks.cv_folder()
    cv_dir.mkdir(parents=True, exist_ok=True)
    cv_file = cv_dir / "old-cv.pdf"
    cv_file.write_bytes(b"%PDF-1.4")
    old = _candidate("old", now - timedelta(days=735), cv_filename="old-cv.pdf")
    warned = _candidate("warned", now - timedelta(days=705))
    recent = _candidate("recent", now - timedelta(days=30))
    unconfirmed = _candidate("unconf", now - timedelta(days=8), confirmed=False)
    fresh_unconfirmed = _candidate("fresh", now - timedelta(days=2), confirmed=False)
    db.session.flush()
    db.session.add(LeadCandidate(lead_id=world["lead"].id, candidate_id=old.id))
    db.session.add(
        OutboxMessage(kind="other", to="old@ex.fr", subject="x", body_text="x", candidate_id=old.id)
    )
    db.session.add(AuditLog(action="login", at=now - timedelta(days=400)))
    db.session.add(AuditLog(action="login", at=now - timedelta(days=10)))
    db.session.commit()
    ids = {c.ref: c.id for c in (old, warned, recent, unconfirmed, fresh_unconfirmed)}

    counts = run("data_retention", now)
    assert counts["deleted"] == 1 and counts["unconfirmed_deleted"] == 1
    assert counts["warned"] == 1 and counts["files_deleted"] == 1
    assert counts["audit_purged"] == 1
    db.session.expire_all()
    remaining = set(db.session.scalars(select(Candidate.ref)))
    assert remaining == {"warned", "recent", "fresh"}
    assert not cv_file.exists()
    assert db.session.scalar(select(func.count(LeadCandidate.id))) == 0
    assert mails("old@ex.fr") == []
    warning = mails("warned@ex.fr")
    assert len(warning) == 1 and warning[0].candidate_id == ids["warned"]
    deleted = db.session.scalars(
        select(AuditLog.entity_id).where(AuditLog.action == "candidate.deleted")
    ).all()
    assert sorted(deleted) == sorted([ids["old"], ids["unconf"]])

    counts = run("data_retention", now + timedelta(hours=1))
    assert counts["warned"] == counts["deleted"] == counts["unconfirmed_deleted"] == 0
    assert len(mails("warned@ex.fr")) == 1


def test_data_retention_purges_the_login_counts_nothing_reads_any_more(app, auth):
    """A failed-login count names an address typed and an IP address: once its window is
    long over and no lock runs, nothing reads it; it goes at night."""
    now = datetime(2026, 3, 10, 3, tzinfo=UTC)
    user = auth.create("animateur")
    for ip, when in (("198.51.100.1", now - timedelta(days=2)), ("198.51.100.2", now)):
        with time_machine.travel(when), pytest.raises(accounts.LoginRefused):
            accounts.authenticate(db.session, user.email, "mauvais", ip)
    running = throttle.pair_key(user.email, "198.51.100.3")
    db.session.add(
        LoginThrottle(
            key=running,
            failures=0,
            window_start=now - timedelta(days=2),
            locked_until=now + timedelta(minutes=5),
        )
    )
    db.session.commit()
    counts = run("data_retention", now)
    assert counts["login_throttle_purged"] == 2  # the old address's pair and ip keys
    db.session.expire_all()
    assert set(db.session.scalars(select(LoginThrottle.key))) == {
        throttle.account_key(user.email),  # counted again now
        throttle.pair_key(user.email, "198.51.100.2"),
        throttle.address_key("198.51.100.2"),
        running,  # locked: kept
    }


def test_data_retention_locks_the_provisional_companies_before_any_generation_bump(
    app, client, monkeypatch
):
    """A public need's request holds its company (the key-share lock of its need's
    insert) before it bumps a generation (``changes``); the job takes its locks in the
    same order, or the two deadlock on PostgreSQL (tests/test_needs_public_company_gone.py).
    Erasing a person of the library bumps the public home's generation, deleting the
    unconfirmed needs the pooled needs': the stale provisional companies are locked
    before either."""
    from connectences import changes
    from connectences.needs import register
    from tests import factories as f

    now = datetime.now(UTC)
    siret = f.make_siret()
    data = f.public_need_form(siret=siret, owner_email="jamais@exemple.fr")
    assert client.post("/exprimer-un-besoin", data=data).status_code == 302
    need = db.session.scalars(select(Need).where(Need.owner_email == "jamais@exemple.fr")).one()
    need.created_at = need.company.created_at = now - timedelta(days=8)
    _candidate("unconf", now - timedelta(days=8), confirmed=False)
    db.session.commit()
    steps: list[str] = []
    real_lock, real_bump = register.lock_stale_provisional, changes._bump

    def lock(session, before):
        locked = real_lock(session, before)
        steps.append(f"locked {len(locked)}")
        return locked

    def bump(session, names):
        steps.append("bumped " + ", ".join(sorted(names)))
        real_bump(session, names)

    monkeypatch.setattr(register, "lock_stale_provisional", lock)
    monkeypatch.setattr(changes, "_bump", bump)
    counts = run("data_retention", now)

    assert counts["unconfirmed_deleted"] == counts["needs_unconfirmed_deleted"] == 1
    assert counts["companies_provisional_deleted"] == 1
    assert steps[0] == "locked 1"
    assert {"bumped pooled_needs", "bumped public_home"} <= set(steps[1:])


def test_data_retention_dry_run_keeps_the_file(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    now = datetime(2026, 3, 10, 3, tzinfo=UTC)
    cv_dir = tasks.cv_folder()
    cv_dir.mkdir(parents=True, exist_ok=True)
    cv_file = cv_dir / "dry-cv.pdf"
    cv_file.write_bytes(b"%PDF-1.4")
    _candidate("old", now - timedelta(days=735), cv_filename="dry-cv.pdf")
    db.session.commit()
    assert run("data_retention", now, dry_run=True)["deleted"] == 1
    assert cv_file.exists()
    assert db.session.scalar(select(func.count(Candidate.id))) == 1


def test_backup_can_be_restored_and_passes_integrity_check(tmp_path):
    source = tmp_path / "live.sqlite3"
    con = sqlite3.connect(source)
    con.execute("CREATE TABLE need (id INTEGER PRIMARY KEY, title TEXT)")
    con.executemany("INSERT INTO need (title) VALUES (?)", [(f"besoin {i}",) for i in range(500)])
    con.commit()
    folder = tmp_path / "backups"
    now = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    for day in range(16):
        made, _ = backups.make_backup(source, folder, now + timedelta(days=day), 14, {})
    con.close()
    kept = backups.backups(folder)
    assert len(kept) == 14 and kept[-1] == made
    assert kept[0].name == "connectences-20260303-013000"
    restored = sqlite3.connect(made / backups.DATABASE)
    assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert restored.execute("SELECT count(*) FROM need").fetchone()[0] == 500
    restored.close()


def test_a_backup_failing_midway_leaves_no_partial_copy(tmp_path, monkeypatch):
    source = tmp_path / "live.sqlite3"
    sqlite3.connect(source).close()
    real_connect = sqlite3.connect

    class FullDisk:
        """The live database, whose copy fails once some pages are written."""

        def __init__(self, *args, **kwargs):
            self.connection = real_connect(*args, **kwargs)

        def backup(self, target):
            target.execute("CREATE TABLE half (x)")
            target.commit()
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            self.connection.close()

    monkeypatch.setattr(
        backups.sqlite3, "connect", lambda db, **kw: FullDisk(db, **kw) if kw else real_connect(db)
    )
    folder = tmp_path / "backups"
    with pytest.raises(sqlite3.OperationalError):
        backups.make_backup(source, folder, datetime(2026, 3, 1, 1, 30, tzinfo=UTC), 14, {})
    assert list(folder.iterdir()) == []


def test_backup_job_on_the_test_database(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "b")
    try:
        counts = run("backup", datetime(2026, 3, 1, 1, 30, tzinfo=UTC))
    finally:
        app.config["BACKUP_DIR"] = None
    if db.engine.dialect.name == "sqlite":
        made = list((tmp_path / "b").glob(f"connectences-*/{backups.DATABASE}"))
        assert counts == {"written": 1, "removed": 0} and len(made) == 1
        restored = sqlite3.connect(made[0])
        assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert restored.execute("SELECT count(*) FROM commune").fetchone()[0] > 0
        restored.close()
    else:
        assert counts == {"skipped": 1}


def test_a_backup_can_be_made_now_even_after_today_s_and_restored(app, runner, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "b")
    try:
        with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=UTC), tick=False):
            assert run_guarded(JOBS_BY_ID["backup"]).outcome == "ok"
            skipped = runner.invoke(args=["jobs", "run", "backup", "--wet-run"])
        assert "déjà exécutée pour la période 2026-03-01" in skipped.output
        db.session.add(AuditLog(action="avant.mise.a.jour"))
        db.session.commit()
        # Before an upgrade, the same day: a copy now, with what was written since.
        with time_machine.travel(datetime(2026, 3, 1, 11, tzinfo=UTC), tick=False):
            result = runner.invoke(args=["jobs", "backup"])
    finally:
        app.config["BACKUP_DIR"] = None
    if db.engine.dialect.name != "sqlite":
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    assert result.exit_code == 0, result.output
    made = backups.backups(tmp_path / "b")
    assert [path.name for path in made] == [
        "connectences-20260301-100000",
        "connectences-20260301-110000",
    ]
    assert f"Sauvegarde écrite (intégrité vérifiée) : {made[1]}" in result.output
    restored = sqlite3.connect(made[1] / backups.DATABASE)
    (count,) = restored.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'avant.mise.a.jour'"
    ).fetchone()
    restored.close()
    assert count == 1


def test_the_web_app_never_starts_a_scheduler(app, client, monkeypatch):
    from apscheduler.schedulers.base import BaseScheduler

    from connectences import create_app

    started = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    before = {t.name for t in threading.enumerate()}
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    try:
        for web in (client, other.test_client()):
            web.get("/")
            web.get("/connexion")
    finally:
        # Its pool's connections closed now, not whenever a later test collects them.
        with other.app_context():
            db.engine.dispose()
    assert started == []
    new_threads = {t.name for t in threading.enumerate()} - before
    assert not any("APScheduler" in name or "scheduler" in name.lower() for name in new_threads)


def test_jobs_cli_list_and_dry_run(runner):
    make_world(MONDAY)
    with time_machine.travel(MONDAY + timedelta(days=60), tick=False):
        result = runner.invoke(args=["jobs", "run", "lead_escalation"])
    assert (
        result.exit_code == 0 and "Simulation" in result.output and '"closed": 1' in result.output
    )
    assert db.session.scalar(select(Lead.status)) == "envoye"
    with time_machine.travel(MONDAY + timedelta(days=60), tick=False):
        result = runner.invoke(args=["jobs", "run", "lead_escalation", "--wet-run"])
    assert result.exit_code == 0 and '"closed": 1' in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Lead.status)) == "sans_suite"
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "lead_escalation" in listing and " ok " in listing and "jamais exécutée" in listing
    assert runner.invoke(args=["jobs", "run", "nope"]).exit_code != 0


def test_referral_reminders_remind_the_partner_then_alert_once():
    world = make_world(MONDAY)
    partner = Partner(ref="ft", name="France Travail", kind="france_travail", email="ft@ft.fr")
    db.session.add(partner)
    db.session.flush()
    db.session.add(
        Referral(
            partner_id=partner.id,
            need_id=world["need"].id,
            created_by_id=world["animateur"].id,
            created_at=MONDAY,
        )
    )
    db.session.commit()
    quiet = {"reminded": 0, "alerted": 0, "closed": 0, "needs_released": 0}
    assert run("referral_reminders", MONDAY + timedelta(days=2)) == quiet
    assert run("referral_reminders", MONDAY + timedelta(days=3)) == quiet | {"reminded": 1}
    assert run("referral_reminders", MONDAY + timedelta(days=15)) == quiet | {"alerted": 1}
    assert run("referral_reminders", MONDAY + timedelta(days=20)) == quiet
    assert [m.to for m in mails()] == ["ft@ft.fr", "anim@pays.fr"]
    # The partner's answer reaches the animateur who sent the referral.
    assert mails()[0].reply_to == "anim@pays.fr"


def test_referral_not_taken_in_hand_closes_after_60_days_once():
    world = make_world(MONDAY)
    world["lead"].status = "refuse"  # the need was re-oriented once its lead had ended
    need = world["need"]
    need.status = "reoriente"
    partner = Partner(ref="ml", name="Mission Locale", kind="mission_locale", email="ml@ml.fr")
    db.session.add(partner)
    db.session.flush()
    referral = Referral(
        partner_id=partner.id,
        need_id=need.id,
        created_by_id=world["animateur"].id,
        created_at=MONDAY,
        status="recue",
    )
    db.session.add(referral)
    db.session.commit()
    quiet = {"reminded": 0, "alerted": 0, "closed": 0, "needs_released": 0}
    assert run("referral_reminders", MONDAY + timedelta(days=59)) == quiet | {"alerted": 1}
    closing = run("referral_reminders", MONDAY + timedelta(days=60))
    assert closing == quiet | {"closed": 1, "needs_released": 1}
    assert run("referral_reminders", MONDAY + timedelta(days=61)) == quiet
    db.session.expire_all()
    assert referral.status == "sans_suite"
    assert need.status == "en_recherche"
    log = db.session.scalars(
        select(Transition).where(Transition.entity == "referral").order_by(Transition.id)
    ).all()
    assert [(t.from_state, t.to_state) for t in log] == [("recue", "sans_suite")]
    assert "60 jours" in log[0].reason_text
    assert [m.subject for m in mails("anim@pays.fr")] == [
        "[Connect'ences] Orientation sans suite depuis 15 jours",
        "[Connect'ences] Réorientation classée sans suite",
    ]


def test_a_referral_taken_in_hand_is_never_closed_by_the_scheduler():
    world = make_world(MONDAY)
    partner = Partner(ref="ft2", name="France Travail", kind="france_travail", email="f@ft.fr")
    db.session.add(partner)
    db.session.flush()
    referral = Referral(
        partner_id=partner.id,
        need_id=world["need"].id,
        created_by_id=world["animateur"].id,
        created_at=MONDAY,
        status="prise_en_charge",
    )
    db.session.add(referral)
    db.session.commit()
    assert run("referral_reminders", MONDAY + timedelta(days=90))["closed"] == 0
    db.session.expire_all()
    assert referral.status == "prise_en_charge"


def follow_up_visit(world: dict, due: date) -> Visit:
    """A visit of 2 March to the world's company, to recontact it on ``due``."""
    return Visit(
        company_id=world["company"].id,
        animateur_id=world["animateur"].id,
        channel="porte_a_porte",
        visited_on=date(2026, 3, 2),
        follow_up_on=due,
    )


def test_visit_follow_up_due_today_mails_the_animateur_once():
    world = make_world(MONDAY)
    db.session.add(follow_up_visit(world, date(2026, 3, 16)))
    db.session.commit()
    assert run("follow_ups", datetime(2026, 3, 15, 6, tzinfo=UTC))["visits"] == 0
    assert run("follow_ups", datetime(2026, 3, 16, 6, tzinfo=UTC))["visits"] == 1
    assert run("follow_ups", datetime(2026, 3, 16, 9, tzinfo=UTC))["visits"] == 0
    sent = mails("anim@pays.fr")
    assert len(sent) == 1 and "Boulangerie" in sent[0].subject
    assert (
        "/animateur/relances" in sent[0].body_text
        and "/animateur/entreprises/c1" in sent[0].body_text
    )


def test_no_follow_up_reminder_for_a_company_that_wants_no_more_contact():
    """The flag may come without the follow-ups being closed (an interchange import)."""
    world = make_world(MONDAY)
    world["company"].do_not_solicit = True
    db.session.add(
        Visit(
            company_id=world["company"].id,
            animateur_id=world["animateur"].id,
            channel="porte_a_porte",
            visited_on=date(2026, 3, 2),
            follow_up_on=date(2026, 3, 16),
        )
    )
    db.session.commit()
    assert run("follow_ups", datetime(2026, 3, 16, 6, tzinfo=UTC))["visits"] == 0
    assert mails("anim@pays.fr") == []

    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    db.session.add(
        OutboxMessage(kind="other", to="x@ex.fr", subject="s", body_text="b", next_attempt_at=now)
    )
    db.session.commit()
    assert run("mail_outbox", now, dry_run=True) == {"due": 1, "links_asked": 0}
    assert db.session.scalar(select(OutboxMessage.attempts)) == 0
    # Nothing listens on the test SMTP port: the attempt is counted and retried later.
    counts = run("mail_outbox", now)
    assert counts["retried"] == 1 and counts["sent"] == 0
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.attempts)) == 1


def test_rematch_flags_new_strong_candidates_once():
    from connectences.matching.matches import forget_indexes
    from tests import factories as f

    animateur = User(email="anim@pays.fr", role="animateur", password_hash=opened_account())
    db.session.add(animateur)
    db.session.commit()
    day0 = datetime(2026, 3, 1, 1, tzinfo=UTC)
    with time_machine.travel(day0, tick=False):
        f.load(f.document(companies=[f.company(ref="entreprise-1")], needs=[f.need(ref="b1")]))
    need = db.session.scalars(select(Need)).one()
    need.status, need.created_by_id = "en_recherche", animateur.id
    db.session.commit()
    with time_machine.travel(day0 + timedelta(hours=12), tick=False):
        f.load(
            f.document(
                candidates=[f.candidate(ref="cv-new", first_name="Maëlle", last_name="Neuve")]
            )
        )
    forget_indexes()
    night = day0 + timedelta(days=1)
    with time_machine.travel(night, tick=False):
        first = run_guarded(JOBS_BY_ID["rematch"], now=night)
    assert first.counts == {"needs": 1, "flagged": 1, "mails": 1}
    sent = mails("anim@pays.fr")
    # The mail names the person, not the platform's ref.
    assert len(sent) == 1 and "- Maëlle Neuve : score" in sent[0].body_text
    assert "- cv-new" not in sent[0].body_text
    # The next night: nobody new or updated, nothing flagged again.
    with time_machine.travel(night + timedelta(days=1), tick=False):
        second = run_guarded(JOBS_BY_ID["rematch"], now=night + timedelta(days=1))
    assert second.outcome == "ok" and second.counts.get("flagged", 0) == 0
    assert len(mails("anim@pays.fr")) == 1
    forget_indexes()


def test_monthly_digest_sends_last_month_report_of_the_officer_epci():
    from tests import factories as f

    other_commune = db.session.scalars(
        select(Commune.insee).where(Commune.epci_siren == f.COBAN)
    ).first()
    officer = cobas_officer()
    db.session.add(officer)
    db.session.commit()
    with time_machine.travel(datetime(2026, 2, 10, 9, tzinfo=UTC), tick=False):
        f.load(
            f.document(
                companies=[f.company(ref="entreprise-1")],
                needs=[
                    f.need(ref="feb-1"),
                    f.need(ref="feb-2", rome="G1602"),
                    f.need(ref="feb-other", commune=other_commune),
                ],
            )
        )
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=UTC), tick=False):
        f.load(f.document(needs=[f.need(ref="mar-1")]))
    first_of_march = datetime(2026, 3, 1, 5, tzinfo=UTC)  # 06:00 in Arcachon
    assert run("monthly_digest", first_of_march) == {"officers": 1, "mails": 1, "reports": 1}
    (digest,) = mails("cobas@agglo.fr")
    assert digest.kind == "observatory_report"
    assert digest.subject.endswith(": février 2026")
    # One company: the officer reads "un nombre secret", never the exact count (small
    # numbers), and the plain text says what "secret" covers.
    assert "Ce mois-ci, un nombre secret de besoins ont été exprimés à la COBAS" in digest.body_text
    assert PROTECTION_NOTE in digest.body_text
    assert "/territoire/intercommunalites/243300563/rapport-2026-02.pdf" in digest.body_text
    assert "Besoins par commune" in digest.body_html
    assert run("monthly_digest", first_of_march + timedelta(hours=1))["mails"] == 0


def test_scheduler_has_every_job_once_coalesced_and_ticks_through_the_guard(app):
    from connectences.jobs.cli import build_scheduler

    scheduler = build_scheduler(app)
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(JOBS_BY_ID) | {"catch_up"}  # and the missed runs, once at start
    assert not scheduler.running
    tick = jobs["data_retention"]
    now = datetime(2026, 3, 10, 3, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        tick.func(*tick.args)
        tick.func(*tick.args)  # a second tick in the same period: skipped
    runs = db.session.scalars(select(JobRun)).all()
    assert [(r.job_id, r.period, r.outcome) for r in runs] == [
        ("data_retention", "2026-03-10", "ok")
    ]


def test_ended_work_makes_people_available_again_once():
    # A fixed-term commitment ran out on 31 March: nothing else would move the person
    # back from "en mission", and a "placé" by their week would stay out of matching.
    now = datetime(2026, 4, 2, 0, 20, tzinfo=UTC)
    contact = datetime(2026, 1, 5, tzinfo=UTC)
    ran_out = _candidate("ran-out", contact, status="en_mission")
    full = _candidate("full", contact, status="place")
    still = _candidate("still", contact, status="en_mission")
    chose = _candidate("chose", contact, status="place", week_complete=True)
    paused = _candidate("paused", contact, status="inactif")
    for person, hours, until in (
        (ran_out, 8, date(2026, 3, 31)),
        (full, 35, date(2026, 3, 31)),  # their whole week: "placé" by it
        (still, 8, date(2026, 6, 30)),
        (chose, 8, date(2026, 3, 31)),
        (paused, 8, date(2026, 3, 31)),
    ):
        person.commitments.append(
            Commitment(hours_per_week=hours, days=["tue"], start=date(2026, 1, 6), until=until)
        )
    db.session.commit()
    assert run("ended_work", now, dry_run=True) == {"settled": 2, "changed_meanwhile": 0}
    db.session.expire_all()
    assert db.session.get(Candidate, ran_out.id).status == "en_mission"
    assert run("ended_work", now) == {"settled": 2, "changed_meanwhile": 0}
    db.session.expire_all()
    statuses = {c.ref: c.status for c in db.session.scalars(select(Candidate))}
    assert statuses == {
        "ran-out": "disponible",
        "full": "disponible",
        "still": "en_mission",
        "chose": "place",
        "paused": "inactif",
    }
    logged = db.session.scalars(
        select(Transition.reason_text).where(
            Transition.entity == "candidate", Transition.entity_id == ran_out.id
        )
    ).all()
    assert logged == ["fin d'un engagement"]
    assert run("ended_work", now + timedelta(days=1)) == {"settled": 0, "changed_meanwhile": 0}


def _scheduled_runs(job: Job, first: datetime, last: datetime) -> list[datetime]:
    """The instants the scheduler runs ``job`` between ``first`` and ``last``, ticking as
    APScheduler 3 does: at each due time it gathers the run times due (``Job._get_run_times``)
    and asks the trigger for the next one after the last."""
    trigger = job.make_trigger()
    due = trigger.get_next_fire_time(None, first)
    runs: list[datetime] = []
    while due is not None and due <= last:
        now = due + timedelta(milliseconds=5)
        while due is not None and due <= now:
            runs.append(due)
            due = trigger.get_next_fire_time(due, now)
    return runs


def test_daily_jobs_run_once_each_local_day_across_the_clock_changes():
    # APScheduler's CronTrigger skipped the 00:20 run of the Monday after the spring change
    # (from Sunday 00:20 straight to Tuesday) and ran the 02:00 job twice the night the
    # clocks go back. Each day of the territory gets its one run: at the time asked, at the
    # first 02:00 when it happens twice, and when the clock jumps over it (02:00 -> 03:00)
    # at the instant the clock skips to.
    for change in (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28)):
        first = datetime.combine(change - timedelta(days=3), datetime.min.time(), tzinfo=UTC)
        for job in JOBS:
            if job.trigger != "cron" or "day" in job.trigger_args:
                continue
            runs = _scheduled_runs(job, first, first + timedelta(days=7))
            local = [run.astimezone(LOCAL_TZ) for run in runs]
            days = [moment.date() for moment in local]
            every_day = [days[0] + timedelta(days=k) for k in range(len(days))]
            assert days == every_day and len(days) >= 6, (job.id, change, local)
            asked = time(job.trigger_args["hour"], job.trigger_args["minute"])
            for run in runs:
                expected = datetime.combine(local_date(run), asked, tzinfo=LOCAL_TZ)
                # In UTC: an instant of the hour shown twice never equals another zone's.
                assert run.astimezone(UTC) == expected.astimezone(UTC), (job.id, run)
            assert change in days, (job.id, change, local)


def test_the_monthly_digest_runs_on_the_first_of_each_month_at_six_in_arcachon():
    runs = _scheduled_runs(
        JOBS_BY_ID["monthly_digest"],
        datetime(2026, 12, 15, tzinfo=UTC),
        datetime(2027, 4, 15, tzinfo=UTC),
    )
    assert [run.astimezone(LOCAL_TZ).replace(tzinfo=None) for run in runs] == [
        datetime(2027, 1, 1, 6),
        datetime(2027, 2, 1, 6),
        datetime(2027, 3, 1, 6),
        datetime(2027, 4, 1, 6),
    ]


def test_the_minute_jobs_run_through_the_hour_shown_twice_in_october():
    # 25 October 2026, the clocks go back at 03:00: 02:30 is shown twice. Keyed by the
    # minute the clock shows, the second 02:30's mail_outbox run found the first one's
    # guard row and was skipped, and with it every minute of that hour: mails waited.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    second = first + timedelta(hours=1)  # 02:30 again, winter time
    job = JOBS_BY_ID["mail_outbox"]
    with time_machine.travel(first, tick=False):
        assert run_guarded(job, now=first).outcome == "ok"
    with time_machine.travel(second, tick=False):
        assert run_guarded(job, now=second).outcome == "ok"
        assert run_guarded(job, now=second + timedelta(seconds=20)).outcome == "skipped"


# --------------------------------------------------------------- stopped, killed, restarted

CAUGHT_UP = ("monthly_digest", "follow_ups", "data_retention", "lead_escalation")


def follow_ups() -> list[OutboxMessage]:
    return [mail for mail in mails("anim@pays.fr") if mail.kind == "visit_follow_up"]


def _ran_until(stopped: datetime) -> None:
    """The runs a scheduler made up to ``stopped``: each scheduled job's last period."""
    from connectences.jobs.catch_up import last_due

    for job in JOBS:
        due = last_due(job, stopped)
        if due is not None:
            db.session.add(
                JobRun(job_id=job.id, period=job.period_key(due), started_at=due, outcome="ok")
            )
    db.session.commit()


def test_a_scheduler_started_for_the_first_time_catches_nothing_up():
    # A new installation (or a job this version adds) missed nothing: last month's
    # report, the retention and the reminders wait for their own time.
    from connectences.jobs.catch_up import catch_up

    make_world(MONDAY)
    db.session.add(cobas_officer())
    db.session.commit()
    started = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(started, tick=False):
        assert catch_up(started) == []
    assert db.session.scalar(select(func.count(JobRun.id))) == 0
    assert mails("cobas@agglo.fr") == []


def test_a_scheduler_stopped_three_days_runs_each_missed_job_once_when_it_starts(app):
    from connectences.jobs.catch_up import catch_up, last_due
    from connectences.jobs.cli import build_scheduler

    world = make_world(MONDAY)
    db.session.add(cobas_officer())
    db.session.add(follow_up_visit(world, date(2026, 3, 3)))  # due while it was down
    # Stopped on Saturday 28 February, started again on Wednesday 4 March at 10:00: the
    # report of the 1st (06:00) and three days of the daily jobs were missed.
    stopped = datetime(2026, 2, 28, 22, 0, tzinfo=UTC)
    _ran_until(stopped)
    started = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert last_due(JOBS_BY_ID["mail_outbox"], started) is None  # the next minute does it
    with time_machine.travel(started, tick=False):
        ticks = {job.id: job for job in build_scheduler(app).get_jobs()}
        ticks["catch_up"].func()  # what the scheduler runs first
    runs = {(r.job_id, r.period): r.outcome for r in db.session.scalars(select(JobRun))}
    for job_id in CAUGHT_UP:
        period = "2026-03" if job_id == "monthly_digest" else "2026-03-04"
        assert runs[(job_id, period)] == "ok", job_id
    assert not any(job_id == "mail_outbox" for job_id, _ in runs)
    assert len(mails("cobas@agglo.fr")) == 1  # February's report, on the 4th
    assert len(follow_ups()) == 1  # the follow-up of the 3rd
    # Started again the same day (a deploy): nothing runs a second time.
    again = started + timedelta(hours=2)
    with time_machine.travel(again, tick=False):
        results = catch_up(again, [JOBS_BY_ID[job_id] for job_id in CAUGHT_UP])
    assert {r.outcome for r in results} == {"skipped"}
    assert db.session.scalar(select(func.count(JobRun.id))) == len(runs)
    assert len(mails("cobas@agglo.fr")) == 1 and len(follow_ups()) == 1


def test_jobs_run_says_a_period_is_being_run_rather_than_done(runner):
    import os
    import socket

    make_world(MONDAY)
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    runner_id = f"{socket.gethostname()}:{os.getppid()}"
    _left_running("monthly_digest", "2026-03", runner_id, started=now - timedelta(hours=1))
    with time_machine.travel(now, tick=False):
        result = runner.invoke(args=["jobs", "run", "monthly_digest", "--wet-run"])
    assert result.exit_code == 0
    assert (
        f"monthly_digest : en cours pour la période 2026-03 ({runner_id}, "
        "depuis le 04/03/2026 à 09:00), ignorée." in result.output
    )


def _dead_process_id() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _left_running(job_id: str, period: str, runner: str, started: datetime = MONDAY) -> int:
    row = JobRun(
        job_id=job_id,
        period=period,
        started_at=started,
        outcome="running",
        counts={"runner": runner},
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def test_a_run_left_running_by_a_killed_scheduler_is_taken_over_not_lost():
    import os
    import socket

    make_world(MONDAY)
    job = JOBS_BY_ID["monthly_digest"]
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    db.session.add(cobas_officer())
    db.session.commit()
    host = socket.gethostname()
    # A process of this host still alive (the test's parent), another host's: left alone.
    for runner in (f"{host}:{os.getppid()}", f"autre-serveur:{_dead_process_id()}"):
        row = _left_running("monthly_digest", "2026-03", runner, started=now - timedelta(hours=1))
        with time_machine.travel(now, tick=False):
            assert run_guarded(job, now=now).outcome == "skipped"
        db.session.delete(db.session.get(JobRun, row))
        db.session.commit()
    assert mails("cobas@agglo.fr") == []
    # Killed mid-job (kill -9): its row stays "running"; the next run takes it over.
    row = _left_running("monthly_digest", "2026-03", f"{host}:{_dead_process_id()}")
    with time_machine.travel(now, tick=False):
        result = run_guarded(job, now=now)
        assert result.outcome == "ok" and result.counts["mails"] == 1
        assert run_guarded(job, now=now).outcome == "skipped"  # and once only
    db.session.expire_all()
    (taken,) = db.session.scalars(select(JobRun)).all()
    assert taken.counts == {"officers": 1, "mails": 1, "reports": 1}
    assert taken.id == row and taken.outcome == "ok" and taken.finished_at is not None
    assert len(mails("cobas@agglo.fr")) == 1


def _broken_job(fails: int) -> tuple[Job, list]:
    """A daily job that raises on its first ``fails`` runs, then works."""
    calls = []

    def flaky(ctx):
        calls.append(ctx.now)
        if len(calls) <= fails:
            raise RuntimeError(f"panne n° {len(calls)}")
        return {"done": 1}

    return Job("flaky", "Tâche instable", flaky, "cron", {"hour": 1}), calls


def test_a_failed_period_is_run_again_by_the_sweep_until_it_works():
    from connectences.jobs.catch_up import catch_up

    make_world(MONDAY)
    job, calls = _broken_job(fails=1)
    now = MONDAY + timedelta(days=3)
    with time_machine.travel(now, tick=False):
        assert run_guarded(job, now=now).outcome == "error"
        # The hour after: the sweep runs the period again, and it works.
        later = now + timedelta(hours=1)
        (again,) = catch_up(later, [job])
        assert (again.outcome, again.counts) == ("ok", {"done": 1, "attempt": 2})
        assert catch_up(later + timedelta(hours=1), [job])[0].outcome == "skipped"
    assert len(calls) == 2
    row = db.session.scalars(select(JobRun).where(JobRun.job_id == "flaky")).one()
    assert (row.outcome, row.error, row.counts) == ("ok", None, {"done": 1, "attempt": 2})
    (report,) = mails("admin@pays.fr")
    assert "relancée automatiquement dans l'heure (tentative 1 sur 3)" in report.body_text


def test_a_period_failing_three_times_waits_for_a_person(runner, monkeypatch):
    from connectences.jobs.catch_up import catch_up

    make_world(MONDAY)
    job, calls = _broken_job(fails=4)
    now = MONDAY + timedelta(days=3)
    with time_machine.travel(now, tick=False):
        assert run_guarded(job, now=now).outcome == "error"
        outcomes = [catch_up(now + timedelta(hours=h), [job])[0].outcome for h in (1, 2, 3, 4)]
    assert outcomes == ["error", "error", "skipped", "skipped"]
    assert len(calls) == 3
    reports = [mail.body_text for mail in mails("admin@pays.fr")]
    assert len(reports) == 3
    assert "(tentative 2 sur 3)" in reports[1]
    assert (
        "C'était la tentative 3 sur 3 : elle ne sera plus relancée automatiquement" in (reports[2])
    )
    assert "flask --app connectences jobs run flaky --wet-run" in reports[2]
    # A person fixed the cause and runs it: the period in error runs once more.
    monkeypatch.setitem(JOBS_BY_ID, "flaky", job)
    with time_machine.travel(now + timedelta(hours=5), tick=False):
        result = runner.invoke(args=["jobs", "run", "flaky", "--wet-run"])  # fails again
        assert result.exit_code == 1 and "panne n° 4" in result.output
        result = runner.invoke(args=["jobs", "run", "flaky", "--wet-run"])
        assert result.exit_code == 0 and '"attempt": 5' in result.output
        result = runner.invoke(args=["jobs", "run", "flaky", "--wet-run"])
        assert "déjà exécutée pour la période 2026-03-05, ignorée." in result.output
    assert len(calls) == 5
    row = db.session.scalars(select(JobRun).where(JobRun.job_id == "flaky")).one()
    assert row.outcome == "ok" and row.counts == {"done": 1, "attempt": 5}


def test_a_job_every_minute_is_not_retried_by_the_sweep(monkeypatch):
    make_world(MONDAY)

    def broken(ctx):
        raise RuntimeError("relais injoignable")

    job = Job("minutely", "Chaque minute", broken, "interval", {"minutes": 1})
    now = MONDAY + timedelta(days=3)
    with time_machine.travel(now, tick=False):
        assert run_guarded(job, now=now).outcome == "error"
    (report,) = mails("admin@pays.fr")
    assert "Elle sera relancée à sa prochaine échéance." in report.body_text


def test_a_run_running_for_hours_is_taken_over_whoever_wrote_it():
    make_world(MONDAY)
    job = JOBS_BY_ID["monthly_digest"]
    db.session.add(cobas_officer())
    db.session.commit()
    # Another host's row (the container was renamed): left alone for a while...
    _left_running("monthly_digest", "2026-03", "ancien-serveur:4242")  # started MONDAY
    soon = MONDAY + timedelta(hours=5)
    with time_machine.travel(soon, tick=False):
        assert run_guarded(job, now=soon).outcome == "skipped"
    # ...but no job runs for six hours: it is dead.
    late = MONDAY + timedelta(hours=6, minutes=1)
    with time_machine.travel(late, tick=False):
        result = run_guarded(job, now=late)
        assert result.outcome == "ok" and result.counts["mails"] == 1
        assert run_guarded(job, now=late).outcome == "skipped"
    assert len(mails("cobas@agglo.fr")) == 1


def test_the_sweep_runs_at_start_then_every_hour(app):
    from connectences.jobs.cli import SWEEP_EVERY, build_scheduler

    sweep = {job.id: job for job in build_scheduler(app).get_jobs()}["catch_up"]
    assert sweep.trigger.interval == SWEEP_EVERY == timedelta(hours=1)
    assert sweep.next_run_time <= datetime.now(UTC) + timedelta(seconds=1)
