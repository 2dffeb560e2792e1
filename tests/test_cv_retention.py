"""Retention of the CV library: warned at 23 months, deleted at 24, unconfirmed after 7 days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from connectences.cvtheque import consent, retention
from connectences.cvtheque.profile import submit_candidate
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.models import AuditLog, Candidate, JobNotice, OutboxMessage
from tests.cv_helpers import form_data, link_in, make_pdf
from tests.helpers import mails_to

START = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cv_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "cv"


def create(email: str, *, at: datetime, confirmed: bool = True, pdf: bool = True) -> int:
    with time_machine.travel(at, tick=False):
        data = form_data(email=email)
        data["consent"] = True
        candidate, _ = submit_candidate(
            db.session, data, source="public", pdf=make_pdf() if pdf else None
        )
        if confirmed:
            consent.confirm(db.session, consent.confirmation_token(candidate))
        db.session.commit()
        return candidate.id


def apply(at: datetime, **kw) -> dict:
    with time_machine.travel(at, tick=False):
        counts = retention.apply_retention(db.session, at, **kw)
        if kw.get("dry_run"):
            db.session.rollback()
        else:
            db.session.commit()
        return dict(counts)


def people() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Candidate.email)))


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_warned_once_at_23_months_then_deleted_at_24_with_the_file(cv_dir):
    create("ancienne@exemple.fr", at=START)
    create("recente@exemple.fr", at=START + timedelta(days=300))
    assert len(files_in(cv_dir)) == 2

    counts = apply(START + timedelta(days=22 * 30))  # 22 months: nothing yet
    assert counts["warned"] == counts["deleted"] == 0

    at_23 = datetime(2026, 12, 16, 3, tzinfo=UTC)
    assert apply(at_23)["warned"] == 1
    [warning] = [m for m in mails_to("ancienne@exemple.fr") if "supprimé" in m.subject]
    assert "15/01/2027" in warning.body_text and "/mon-cv/" in warning.body_text
    # Once per contact date, however often the job runs.
    assert apply(at_23 + timedelta(days=1))["warned"] == 0
    assert len([m for m in mails_to("ancienne@exemple.fr") if "supprimé" in m.subject]) == 1

    counts = apply(datetime(2027, 1, 15, 11, tzinfo=UTC))
    assert counts["deleted"] == 1 and counts["files_deleted"] == 1
    assert people() == {"recente@exemple.fr"}
    assert len(files_in(cv_dir)) == 1
    # Nothing about the person is left: notices and queued mail went with them.
    assert db.session.scalar(select(func.count(JobNotice.id))) == 0
    assert mails_to("ancienne@exemple.fr") == []
    reasons = db.session.scalars(
        select(AuditLog.details).where(AuditLog.action == "candidate.deleted")
    ).all()
    assert reasons == [{"reason": retention.REASON_STALE}]


def test_opening_the_space_from_the_warning_keeps_the_profile(client, cv_dir):
    create("fidele@exemple.fr", at=START)
    at_23 = datetime(2026, 12, 20, 3, tzinfo=UTC)
    apply(at_23)
    path = link_in(mails_to("fidele@exemple.fr")[-1])
    with time_machine.travel(at_23 + timedelta(days=2), tick=False):
        assert client.get(path).status_code == 200
    assert apply(datetime(2027, 1, 16, 3, tzinfo=UTC))["deleted"] == 0
    assert people() == {"fidele@exemple.fr"}
    # Silent again for 23 months: warned again (a new contact date).
    assert apply(datetime(2028, 11, 30, 3, tzinfo=UTC))["warned"] == 1


def test_the_space_opened_after_the_warning_says_the_profile_is_kept(client, cv_dir):
    """The warning says: open your space to keep your profile. The space then says it
    is kept, and until when without news (it said nothing of it: had it worked?). Only
    once: a later visit, with no warning pending, says nothing of it."""
    from tests.helpers import page_text

    create("fidele@exemple.fr", at=START)
    at_23 = datetime(2026, 12, 20, 3, tzinfo=UTC)
    apply(at_23)
    path = link_in(mails_to("fidele@exemple.fr")[-1])
    with time_machine.travel(at_23 + timedelta(days=2), tick=False):
        page = page_text(client.get(path))
        assert (
            "Merci : votre profil est conservé dans la CVthèque. Sans nouvelles de votre "
            "part, il sera supprimé le 22/12/2028." in page
        )
    with time_machine.travel(at_23 + timedelta(days=3), tick=False):
        assert "est conservé" not in page_text(client.get(path))


PARIS = ZoneInfo("Europe/Paris")


def run_job(day: date) -> dict:
    """The scheduler's data_retention run of ``day``, at 03:00 in Arcachon."""
    now = datetime.combine(day, time(3), tzinfo=PARIS).astimezone(UTC)
    with time_machine.travel(now, tick=False):
        return execute(JOBS_BY_ID["data_retention"], now=now)


def warned_day(email: str) -> str:
    [warning] = [m for m in mails_to(email) if "supprimé" in m.subject]
    return re.search(r"supprimés de la CVthèque le (\d\d/\d\d/\d{4})", warning.body_text)[1]


@pytest.mark.parametrize(
    ("contact", "promised"),
    [
        # Finding: warned « supprimés le 15/01/2027 », the person went on the 16th (the
        # job, at 03:00, deleted only once the exact instant of the contact had passed).
        (datetime(2025, 1, 15, 11, tzinfo=PARIS), date(2027, 1, 15)),
        # Finding: 00:30 on 29 February in Arcachon is the 28th in UTC: 24 months later
        # in UTC is 28 February 23:30, the mail said 01/03/2026, the local rule the 28th.
        (datetime(2024, 2, 29, 0, 30, tzinfo=PARIS), date(2026, 2, 28)),
        (datetime(2025, 1, 31, 23, 50, tzinfo=PARIS), date(2027, 1, 31)),
    ],
)
def test_the_day_the_warning_names_is_the_day_the_job_deletes(cv_dir, contact, promised):
    create("prevenue@exemple.fr", at=contact.astimezone(UTC))
    run_job(promised - timedelta(days=28))
    assert warned_day("prevenue@exemple.fr") == f"{promised:%d/%m/%Y}"
    person = db.session.scalar(select(Candidate).where(Candidate.email == "prevenue@exemple.fr"))
    assert retention.deletion_day(person) == promised
    assert run_job(promised - timedelta(days=1))["deleted"] == 0
    assert people() == {"prevenue@exemple.fr"}
    assert run_job(promised)["deleted"] == 1
    assert people() == set()


def test_the_space_promises_the_day_the_job_deletes(client, cv_dir):
    """Opened after the warning at 00:30 on 29 February 2028 in Arcachon (the 28th in
    UTC), the space names 28/02/2030, the day the job deletes the profile."""
    from tests.helpers import page_text

    create("fidele@exemple.fr", at=datetime(2026, 3, 15, 10, tzinfo=UTC))
    run_job(date(2028, 2, 27))
    path = link_in(mails_to("fidele@exemple.fr")[-1])
    opened = datetime(2028, 2, 29, 0, 30, tzinfo=PARIS).astimezone(UTC)
    with time_machine.travel(opened, tick=False):
        page = page_text(client.get(path))
    assert "Sans nouvelles de votre part, il sera supprimé le 28/02/2030." in page
    assert run_job(date(2030, 2, 27))["deleted"] == 0
    assert run_job(date(2030, 2, 28))["deleted"] == 1


def test_a_disabled_account_is_not_mailed_a_link_that_would_not_open(client, cv_dir):
    """The warning holds a link to the person's space; an administrator disabled their
    account, so the link is refused: no warning, and the profile goes at its term."""
    from connectences.accounts import roles, users

    create("fermee@exemple.fr", at=START)
    create("ouverte@exemple.fr", at=START)
    users.create_user(db.session, "fermee@exemple.fr", "candidate")
    roles.disable(db.session, "fermee@exemple.fr")
    db.session.commit()
    assert apply(datetime(2026, 12, 16, 3, tzinfo=UTC))["warned"] == 1
    assert not [m for m in mails_to("fermee@exemple.fr") if "supprimé" in m.subject]
    assert [m for m in mails_to("ouverte@exemple.fr") if "supprimé" in m.subject]
    # Its refused link offers no new one (that page would say a mail went out).
    with time_machine.travel(datetime(2026, 12, 16, 4, tzinfo=UTC), tick=False):
        person = db.session.scalar(select(Candidate).where(Candidate.email == "fermee@exemple.fr"))
        page = client.get(f"/mon-cv/{consent.space_token(person)}")
    assert page.status_code == 403
    assert "Recevoir un nouveau lien" not in page.get_data(as_text=True)


def test_unconfirmed_submissions_go_after_7_days(cv_dir):
    create("jamais@exemple.fr", at=START, confirmed=False)
    create("bientot@exemple.fr", at=START + timedelta(days=5), confirmed=False)
    create("confirmee@exemple.fr", at=START)
    counts = apply(START + timedelta(days=7, hours=1))
    assert counts["unconfirmed_deleted"] == 1 and counts["files_deleted"] == 1
    assert people() == {"bientot@exemple.fr", "confirmee@exemple.fr"}
    assert (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.to == "jamais@exemple.fr")
        )
        == 0
    )
    # An unconfirmed person is never warned (they never entered the library).
    assert apply(START + timedelta(days=23 * 31))["warned"] == 1


def test_dry_run_counts_but_keeps_rows_and_files(cv_dir):
    create("ancienne@exemple.fr", at=START)
    counts = apply(datetime(2027, 2, 1, tzinfo=UTC), dry_run=True)
    assert counts["deleted"] == 1 and counts["files_deleted"] == 1
    assert people() == {"ancienne@exemple.fr"} and len(files_in(cv_dir)) == 1


def test_the_scheduler_job_runs_these_rules(cv_dir):
    create("ancienne@exemple.fr", at=START)
    now = datetime(2027, 2, 1, 3, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        counts = execute(JOBS_BY_ID["data_retention"], now=now)
    assert counts["deleted"] == 1 and counts["files_deleted"] == 1
    assert people() == set() and files_in(cv_dir) == []


def test_a_confirmation_sent_again_says_the_deletion_it_cannot_push_back(cv_dir):
    # Finding: a new confirmation link sent on day 6 read « valable 7 jours » and
    # « supprimé dans 7 jours », but the profile went on day 7, counted from its
    # submission. The deletion stays counted from the submission (anyone may have a
    # link sent by typing the address: a profile nobody confirms is kept 7 days), and
    # every confirmation mail says that moment.
    create("tardive@exemple.fr", at=START, confirmed=False)
    with time_machine.travel(START + timedelta(days=6), tick=False):
        assert consent.send_space_link(db.session, "tardive@exemple.fr")
        db.session.commit()
    first, again = mails_to("tardive@exemple.fr")
    deadline = "22/01/2025 à 11 h 00"  # START + 7 days, Paris time
    for mail in (first, again):
        text = " ".join(mail.body_text.split())
        assert f"avant le {deadline}" in text and "7 jours" not in text
        assert f"sans confirmation d'ici le {deadline}, le profil sera supprimé" in text
        assert f"avant le {deadline}" in mail.body_html
    assert apply(START + timedelta(days=7) - timedelta(minutes=1))["unconfirmed_deleted"] == 0
    assert apply(START + timedelta(days=7, minutes=1))["unconfirmed_deleted"] == 1
    assert people() == set()
