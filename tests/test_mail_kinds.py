"""Mail limits count by what a mail is for (its kind), never by its wording.

Each flood limit is checked with its subject reworded between two sends: the limit
must hold all the same. The migration that added the kind is checked on old rows.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from connectences import create_app
from connectences.cvtheque import consent
from connectences.extensions import db
from connectences.mail import MailKind, queue_mail, sent_recently
from connectences.models import Candidate, utcnow
from connectences.needs import register
from tests import factories
from tests.helpers import mails_to, resolve_link_requests


def _candidate(email: str, *, confirmed: bool) -> Candidate:
    factories.load(factories.document(candidates=[factories.candidate(ref="p1", email=email)]))
    candidate = db.session.scalars(sa.select(Candidate).where(Candidate.ref == "p1")).one()
    candidate.email_confirmed_at = utcnow() if confirmed else None
    db.session.commit()
    return candidate


def test_sent_recently_counts_one_kind_to_one_address_since_a_moment():
    queue_mail(
        db.session, kind=MailKind.CV_SPACE_LINK, to="Lea@Exemple.fr", subject="a", body_text="b"
    )
    queue_mail(
        db.session, kind=MailKind.CV_CONFIRM, to="lea@exemple.fr", subject="a", body_text="b"
    )
    queue_mail(
        db.session, kind=MailKind.CV_SPACE_LINK, to="autre@exemple.fr", subject="a", body_text="b"
    )
    db.session.commit()
    an_hour_ago = utcnow() - timedelta(hours=1)
    assert sent_recently(db.session, MailKind.CV_SPACE_LINK, "lea@exemple.fr", an_hour_ago) == 1
    assert sent_recently(db.session, MailKind.CV_CONFIRM, "LEA@exemple.fr", an_hour_ago) == 1
    assert sent_recently(db.session, MailKind.REMATCH, "lea@exemple.fr", an_hour_ago) == 0
    later = utcnow() + timedelta(minutes=1)
    assert sent_recently(db.session, MailKind.CV_SPACE_LINK, "lea@exemple.fr", later) == 0


def test_sent_recently_finds_the_address_by_an_index_not_a_pass_over_the_outbox():
    # Every public form sent counts this way, and the outbox keeps every mail sent.
    sent: list = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        sent_recently(db.session, MailKind.CV_CONFIRM, "lea@exemple.fr", utcnow())
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    ((statement, parameters),) = sent
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    else:
        # PostgreSQL reads a tiny table whole whatever its indexes, or takes any index that
        # narrows it (the kind's): ask for an index, the kind's aside (DDL is undone with
        # the test's transaction), to see that the address's one serves the condition.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("DROP INDEX ix_outbox_message_kind")
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        db.session.rollback()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_outbox_message_to_lower" in details, (details, statement, parameters)


def test_a_mail_of_no_known_kind_is_refused():
    with pytest.raises(ValueError):
        queue_mail(db.session, kind="lien", to="a@exemple.fr", subject="s", body_text="b")


def test_rewording_the_cv_link_subject_keeps_the_resend_limit(monkeypatch):
    candidate = _candidate("lea@exemple.fr", confirmed=True)
    assert consent.send_space_link(db.session, candidate.email) is True
    monkeypatch.setattr(consent, "LINK_SUBJECT", "Accédez à votre espace")
    assert consent.send_space_link(db.session, candidate.email) is False
    assert [m.kind for m in mails_to(candidate.email)] == ["cv_space_link"]


def test_rewording_the_confirmation_subject_keeps_the_daily_limit(monkeypatch):
    candidate = _candidate("lea@exemple.fr", confirmed=False)
    for i in range(consent.MAX_CONFIRMATIONS_PER_DAY):
        monkeypatch.setattr(consent, "CONFIRM_SUBJECT", f"Confirmez votre adresse ({i})")
        assert consent.send_confirmation(db.session, candidate) is True
    monkeypatch.setattr(consent, "CONFIRM_SUBJECT", "Une toute autre formulation")
    assert consent.send_confirmation(db.session, candidate) is False
    assert len(mails_to(candidate.email)) == consent.MAX_CONFIRMATIONS_PER_DAY


def test_rewording_the_company_link_subject_keeps_the_limit(client, monkeypatch):
    from tests.test_web_need_public import _form

    owner = "claire@huitres-dupont.fr"
    assert client.post("/exprimer-un-besoin", data=_form()).status_code == 302
    link = re.search(
        r"http://localhost(/exprimer-un-besoin/confirmer/\S+)", mails_to(owner)[-1].body_text
    )
    assert client.post(link.group(1)).status_code == 302
    assert client.post("/entreprise/lien", data={"email": owner}).status_code == 302
    resolve_link_requests()
    monkeypatch.setattr(register, "SPACE_LINK_SUBJECT", "Votre espace entreprise")
    assert register.may_send_space_link(db.session, owner) is False
    assert client.post("/entreprise/lien", data={"email": owner}).status_code == 302
    resolve_link_requests()
    kinds = [m.kind for m in mails_to(owner)]
    assert kinds == ["need_confirm", "company_space_link"]


def test_the_migration_gives_old_rows_the_kind_their_subject_names(tmp_path):
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    )
    subjects = {
        "[Connect'ences] Votre lien vers votre espace CVthèque": "cv_space_link",
        "[Connect'ences] Confirmez votre adresse pour la CVthèque": "cv_confirm",
        "[Connect'ences] Votre lien de suivi": "company_space_link",
        "[Connect'ences] Nouveau besoin proposé : Comptable": "lead_sent",
        "[Connect'ences] Proposition refusée par GE Bassin": "workflow_update",
        "[Connect'ences] Orientation sans suite depuis 15 jours": "referral_alert",
        "[Connect'ences] Réorientation classée sans suite": "referral_closed",
        "[Connect'ences] Suivi à 3 mois à faire": "placement_follow_up",
        "[Connect'ences] Un message d'autrefois": "other",
    }
    with app.app_context():
        upgrade(revision="efab7fe3a460")
        with db.engine.begin() as connection:
            for subject in subjects:
                connection.execute(
                    sa.text(
                        'INSERT INTO outbox_message ("to", subject, body_text, status, '
                        "attempts, next_attempt_at, created_at) VALUES ('a@exemple.fr', "
                        ":subject, 'b', 'sent', 1, '2026-11-01', '2026-11-01')"
                    ),
                    {"subject": subject},
                )
        upgrade(revision="c0ffee140001")
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT subject, kind FROM outbox_message")).all()
            found = {subject: kind for subject, kind in rows}
        assert found == subjects
        downgrade(revision="2b251bb802d2")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("outbox_message")}
        assert "kind" not in columns
        db.engine.dispose()
