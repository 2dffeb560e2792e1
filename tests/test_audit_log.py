"""The audit log is readable: the admin's search (who, what, which record, when), paged,
exported, kept for its own retention; and no password, token or CV content ever ends up
in it or in a log line."""

from __future__ import annotations

import ast
import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from connectences import submissions
from connectences.accounts.audit import (
    ACTION_LABELS,
    DETAIL_LABELS,
    ENTITY_LABELS,
    UNLISTED_DETAILS,
    details_text,
)
from connectences.extensions import db
from connectences.models import AuditLog, Candidate, OutboxMessage
from tests.cv_helpers import make_pdf
from tests.helpers import error_of, page_text, resolve_link_requests
from tests.known_secrets import (
    CV_SECRET,
    INVITED_PASSWORD,
    NEW_PASSWORD,
    PASSWORD,
    WRONG_PASSWORD,
)
from tests.test_jobs import run


def _entry(action, *, actor=None, entity=None, entity_id=None, at=None, details=None):
    entry = AuditLog(
        action=action,
        actor_id=actor.id if actor else None,
        entity=entity,
        entity_id=entity_id,
        ip="192.0.2.1",
        at=at or datetime.now(UTC),
        details=details or {},
    )
    db.session.add(entry)
    return entry


@pytest.fixture
def logged(auth):
    """An admin logged in, and a few entries by two people."""
    admin = auth.login("admin")
    lea = auth.create("animateur", email="lea.animatrice@pays.fr")
    marc = auth.create("animateur", email="marc@pays.fr")
    _entry(
        "cv_view",
        actor=lea,
        entity="candidate",
        entity_id=41,
        at=datetime(2027, 3, 2, 9, tzinfo=UTC),
    )
    _entry(
        "cv_view",
        actor=marc,
        entity="candidate",
        entity_id=42,
        at=datetime(2027, 3, 5, 9, tzinfo=UTC),
    )
    _entry("cv_export", actor=lea, entity="candidate", at=datetime(2027, 3, 9, 22, 30, tzinfo=UTC),
           details={"rows": 12, "filters": {"q": "=HYPERLINK(\"http://x\")"}})  # fmt: skip
    db.session.commit()
    return admin


def test_the_admin_searches_by_person_action_record_and_dates(client, logged):
    page = page_text(client.get("/admin/journal?qui=LEA.anim"))
    assert "Fiche d'une personne consultée" in page and "Export de la CVthèque" in page
    assert "Personne nº 41" in page and "Personne nº 42" not in page
    page = page_text(client.get("/admin/journal?action=cv_view"))
    assert "Personne nº 41" in page and "Personne nº 42" in page
    assert "2 entrées correspondant" in page
    page = page_text(client.get("/admin/journal?fiche=candidate&numero=42"))
    assert "2 entrées" not in page and "1 entrée correspondant" in page and "nº 42" in page
    # Paris dates: 9 March 22:30 UTC is the 9th at 23:30 in Paris, within "du 6 au 9".
    page = page_text(client.get("/admin/journal?du=2027-03-06&au=2027-03-09"))
    assert "1 entrée correspondant" in page and "Export de la CVthèque" in page
    assert "lignes : 12" in page


def test_unreadable_filters_get_a_french_message_not_an_error(client, logged):
    """The page answers 200 with the notice, as every list does (it answered 400): a
    shared link with an outdated value opens the log, the value named and left out."""
    response = client.get("/admin/journal?action=drop table&numero=12a&du=hier&fiche=x")
    assert response.status_code == 200
    assert "Certains filtres n'ont pas été appliqués" in page_text(response)
    # Each next to its field, and a summary linking to them.
    assert "Action inconnue" in error_of(response, "action")
    assert "des chiffres seulement" in error_of(response, "numero")
    assert "Date invalide" in error_of(response, "du")
    assert "Type de fiche inconnu" in error_of(response, "fiche")
    # Digits only, but beyond any record's number: not told to type digits.
    response = client.get("/admin/journal?numero=99999999999999999999")
    assert response.status_code == 200
    assert "trop grand" in error_of(response, "numero")
    assert "des chiffres seulement" not in error_of(response, "numero")


def test_an_inverted_date_range_is_a_filter_error(client, logged):
    response = client.get("/admin/journal?du=2026-12-01&au=2026-01-01")
    assert response.status_code == 200
    assert "précède la date de début" in error_of(response, "au")
    # Both dates are given back as typed, to swap them (the end was emptied: the admin
    # was told to swap two dates of which the page showed one).
    page = response.get_data(as_text=True)
    assert 'name="du" value="2026-12-01"' in page
    assert 'name="au" value="2026-01-01"' in page


def test_a_searched_text_too_long_is_told_not_cut(client, logged):
    """Finding: 300 characters typed in « Qui » (the field takes any length) were cut to
    254 without a word, the search then running on a part of what was typed."""
    response = client.get("/admin/journal?qui=" + "a" * 300)
    assert response.status_code == 200
    assert "254 caractères (300 saisis)" in error_of(response, "qui")
    assert 'value="' + "a" * 300 + '"' in response.get_data(as_text=True)
    refused = client.get("/admin/journal/export.csv?qui=" + "a" * 300)
    assert refused.status_code == 302 and "/admin/journal?qui=aaa" in refused.location
    assert client.get("/admin/journal?qui=" + "a" * 254).status_code == 200


@pytest.mark.parametrize(
    "query", ["du=0001-01-01", "au=9999-12-31", "du=0001-01-01&au=9999-12-31", "au=1899-12-31"]
)
def test_a_day_too_far_to_be_an_instant_is_a_filter_error(client, logged, query):
    # Its midnight in Paris had no UTC instant (OverflowError): a 500, export included.
    response = client.get(f"/admin/journal?{query}")
    assert response.status_code == 200
    field = query.split("=")[0]
    assert "Date invalide" in error_of(response, field)
    # The export is not made: back to the log, which names the date, as every list's.
    refused = client.get(f"/admin/journal/export.csv?{query}")
    assert refused.status_code == 302 and refused.location.startswith("/admin/journal?")
    said = page_text(client.get(refused.location))
    assert "Export non fait : corrigez d'abord les filtres de la liste." in said


def test_the_log_is_paged_with_the_shared_pager(client, logged):
    for number in range(60):
        _entry("login", entity="user", entity_id=number)
    db.session.commit()
    first = client.get("/admin/journal?action=login").get_data(as_text=True)
    assert "Page 1 sur 2" in first
    assert 'href="/admin/journal?page=2&amp;action=login"' in first
    second = page_text(client.get("/admin/journal?action=login&page=2"))
    assert "Page 2 sur 2" in second
    assert second.count("Connexion") >= 10


def test_the_export_follows_the_search_and_is_itself_logged(client, logged):
    response = client.get("/admin/journal/export.csv?qui=lea")
    assert response.status_code == 200
    body = response.get_data().decode("utf-8-sig")
    assert "lea.animatrice@pays.fr" in body and "marc@pays.fr" not in body
    assert "Export de la CVthèque" in body
    xlsx = client.get("/admin/journal/export.xlsx?action=cv_view")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Date (heure de Paris)" and len(rows) == 3
    exports = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "audit_export").order_by(AuditLog.id)
    ).all()
    assert [e.details["format"] for e in exports] == ["csv", "xlsx"]
    assert exports[0].details["filters"] == {"qui": "lea"}


def test_only_admins_read_the_log(app, auth):
    for role in ("animateur", "operator", "territoire"):
        other = app.test_client()
        auth.login(role, client=other)
        assert other.get("/admin/journal").status_code == 403
        assert other.get("/admin/journal/export.csv").status_code == 403


def test_the_log_has_its_own_retention_setting(app, monkeypatch, tmp_path):
    # A folder of its own: files an earlier test of the worker left in the instance's
    # would be purged by the same run, and counted in its entry.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    now = datetime(2027, 6, 1, 3, tzinfo=UTC)
    _entry("login", at=now - timedelta(days=40))
    _entry("login", at=now - timedelta(days=20))
    db.session.commit()
    assert run("data_retention", now)["audit_purged"] == 0  # 365 days by default
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 30)
    assert run("data_retention", now)["audit_purged"] == 1
    logins = select(func.count(AuditLog.id)).where(AuditLog.action == "login")
    assert db.session.scalar(logins) == 1
    # The purge is itself recorded, and that entry is not purged with the old ones.
    (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "data_retention"))
    assert entry.details == {"audit_purged": 1}


# --------------------------------------------------------------------------- log scan


def _links(address: str, pattern: str) -> list[str]:
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == address)).all()
    return [m.group(1) for mail in mails for m in re.finditer(pattern, mail.body_text)]


def test_no_password_token_or_cv_content_in_the_logs_or_the_audit_log(
    app, client, auth, caplog, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    # Every logger of the platform, and every SQL statement with what is bound to it.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    secrets: list[str] = [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, INVITED_PASSWORD, CV_SECRET]
    # An admin invites an animateur, who sets a password from the link.
    admin = app.test_client()
    auth.login("admin", client=admin)
    admin.post("/admin/invitations", data={"email": "nina@pays.fr", "role": "animateur"})
    (invitation,) = _links("nina@pays.fr", r"http://localhost(/invitation/[^\s<\"]+)")
    secrets.append(invitation.rsplit("/", 1)[1])
    nina = app.test_client()
    nina.post(invitation, data={"password": INVITED_PASSWORD, "confirm": INVITED_PASSWORD})
    secrets.append(nina.get_cookie("session").value)
    # Someone types a wrong password; the person changes theirs; a reset is asked for.
    auth.post_login("nina@pays.fr", WRONG_PASSWORD, client=app.test_client())
    nina.post(
        "/mot-de-passe",
        data={"current": INVITED_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    app.test_client().post("/mot-de-passe-oublie", data={"email": "nina@pays.fr"})
    resolve_link_requests()
    (reset,) = _links("nina@pays.fr", r"http://localhost(/invitation/[^\s<\"]+)")[1:]
    secrets.append(reset.rsplit("/", 1)[1])
    # A job seeker sends their CV and confirms their address.
    public = app.test_client()
    from tests.cv_helpers import form_data

    data = form_data(email="zoe@exemple.fr")
    data["cv"] = (io.BytesIO(make_pdf(CV_SECRET)), "cv.pdf")
    sent = public.post("/deposer-mon-cv", data=data, content_type="multipart/form-data")
    assert sent.status_code == 302
    assert db.session.scalar(select(Candidate.cv_filename))  # the CV was read and kept
    (confirm,) = _links("zoe@exemple.fr", r"http://localhost(/mon-cv/confirmer/\S+)")
    secrets.append(confirm.rsplit("/", 1)[1])
    space = public.post(confirm).headers["Location"]
    secrets.append(space.rstrip("/").rsplit("/", 1)[1])
    # The animateur works the library: search, person, CV, export; the admin reads the log.
    staff = app.test_client()
    auth.login("animateur", client=staff)
    staff.get("/animateur/cvtheque?q=comptable")
    staff.get("/animateur/cvtheque/export/csv?q=comptable")
    admin.get("/admin/journal")
    admin.get("/admin/journal/export.csv")
    # The scheduler's jobs log what they counted (and the mail relay's refusals).
    run("mail_outbox", datetime.now(UTC))
    run("data_retention", datetime.now(UTC))

    assert len(caplog.records) > 20  # the run did log
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    stored = json.dumps(
        [[e.action, e.entity, e.ip, e.details] for e in db.session.scalars(select(AuditLog)).all()],
        ensure_ascii=False,
    )
    for secret in secrets:
        assert secret not in logged, f"found in a log line: {secret[:12]}…"
        assert secret not in stored, f"found in the audit log: {secret[:12]}…"
    for marker in ("argon2id$", "%PDF", "Zorglub", "$argon2"):
        assert marker not in stored
        assert marker not in logged


# --------------------------------------------------------- every action can be searched

PACKAGE = Path(__file__).resolve().parent.parent / "connectences"
# The calls that write an entry, the action being their first string argument.
AUDIT_CALLS = {"audit", "refuse_and_audit", "_audit_self"}


def written_actions(root: Path = PACKAGE) -> dict[str, set[str]]:
    """The actions and the kinds of record the code writes to the audit log, as string
    literals (``audit(session, "x", entity="y")``, ``guard_blueprint(..., audit_action=
    "x")``): ``{"actions": …, "entities": …}``, read with ``ast`` (nothing imported)."""
    found: dict[str, set[str]] = {"actions": set(), "entities": set()}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            for keyword in node.keywords:
                if not isinstance(keyword.value, ast.Constant):
                    continue
                if keyword.arg == "audit_action":
                    found["actions"].add(keyword.value.value)
                elif keyword.arg == "entity" and name in AUDIT_CALLS:
                    found["entities"].add(keyword.value.value)
            if name in AUDIT_CALLS:
                strings = [
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ]
                if strings:
                    found["actions"].add(strings[0])
    return found


def test_every_action_and_record_written_has_its_french_label():
    """An action without a label was shown as its code name and could not be chosen in
    the search (« Action inconnue »): the admin could not list, say, the refusals of the
    diagnosis pages."""
    written = written_actions()
    assert sorted(written["actions"] - ACTION_LABELS.keys()) == []
    assert sorted(written["entities"] - ENTITY_LABELS.keys()) == []


def test_the_details_are_shown_in_words(client, auth):
    """The details column read « role_before : territoire ; sessions_ended : 0 »: keys
    and known codes are now French words, on the page and in the export."""
    auth.login("admin")
    _entry("user_role_changed", entity="user", entity_id=7, details={
        "role_before": "territoire", "role": "company", "sessions_ended": 0,
        "tokens_revoked": 1})  # fmt: skip
    _entry("invitation_sent", entity="user", entity_id=8, details={"role": "operator"})
    db.session.commit()
    page = page_text(client.get("/admin/journal"))
    assert (
        "rôle avant : Intercommunalité ; rôle : Entreprise ; sessions fermées : 0 ; "
        "jetons révoqués : 1"
    ) in page
    assert "rôle : Opérateur" in page
    for code in ("role_before", "sessions_ended", ": territoire", ": company", ": operator"):
        assert code not in page
    export = client.get("/admin/journal/export.csv?action=user_role_changed")
    assert "rôle avant : Intercommunalité" in export.get_data(as_text=True)


def test_details_say_what_was_before_ahead_of_what_is_now():
    """A company's contact preferences read « après : (…) ; avant : (…) » (the keys'
    English order, after < before): what was before now comes first, « avant » then
    « après », « rôle avant » then « rôle »."""
    before = {"do_not_solicit": False, "max_contacts_per_month": None}
    after = {"do_not_solicit": False, "max_contacts_per_month": 3}
    assert details_text({"after": after, "before": before}) == (
        "avant : (ne plus solliciter : non ; contacts par mois au plus : —) ; "
        "après : (ne plus solliciter : non ; contacts par mois au plus : 3)"
    )
    assert details_text({"role": "company", "role_before": "territoire", "days": 3}) == (
        "durée (jours) : 3 ; rôle avant : Intercommunalité ; rôle : Entreprise"
    )


def test_details_in_words_say_yes_no_nested_counts_and_unknown_keys_as_written():
    assert details_text({"expired": True, "known_account": False, "from": None}) == (
        "lien expiré : oui ; depuis : — ; compte existant : non"
    )
    assert details_text({"api": True, "companies": {"created": 2, "updated": 0}}) == (
        "par l'API : oui ; entreprises : (créés : 2 ; mis à jour : 0)"
    )
    assert details_text({"keys": ["compte", "adresse"], "by": "self"}) == (
        "par : la personne elle-même ; bloqué pour : compte, adresse"
    )
    # A key or a value this module does not know yet is shown as written, never dropped.
    assert details_text({"nouvelle_cle": "valeur_brute"}) == "nouvelle_cle : valeur_brute"
    assert details_text({}) == details_text(None) == ""


def written_detail_keys(root: Path = PACKAGE) -> set[str]:
    """The keys written as literals in the details of audit entries (``details={"k": …}``)."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in AUDIT_CALLS | {"send_cv"}:
                continue
            for keyword in node.keywords:
                if keyword.arg == "details":
                    for child in ast.walk(keyword.value):
                        if isinstance(child, ast.Dict):
                            found.update(
                                k.value
                                for k in child.keys
                                if isinstance(k, ast.Constant) and isinstance(k.value, str)
                            )
    return found


def test_every_detail_key_written_has_its_french_label():
    written = written_detail_keys()
    assert {"role_before", "sessions_ended", "role"} <= written  # the guard reads them
    # A key kept for the code only is never shown, so it has no label.
    assert sorted(written - DETAIL_LABELS.keys() - UNLISTED_DETAILS) == []
    assert not UNLISTED_DETAILS & DETAIL_LABELS.keys()


def test_the_label_guard_sees_each_way_of_writing_an_entry(tmp_path):
    (tmp_path / "views.py").write_text(
        'guard_blueprint(bp, "admin", audit_action="planted_refused")\n'
        'accounts.audit(db.session, "planted_action", entity="planted_record")\n'
        'refuse_and_audit("planted_link", status=403)\n'
        '_audit_self("planted_self", candidate)\n'
        'other("not_an_action", entity="not_a_record")\n'
    )
    assert written_actions(tmp_path) == {
        "actions": {"planted_refused", "planted_action", "planted_link", "planted_self"},
        "entities": {"planted_record"},
    }


def test_an_action_of_the_diagnosis_pages_can_be_searched(client, auth):
    auth.login("admin")
    _entry("diagnosis_access_refused", details={"role": "operator"})
    db.session.commit()
    response = client.get("/admin/journal?action=diagnosis_access_refused")
    assert response.status_code == 200
    text = page_text(response)
    assert "1 entrée" in text
    assert "diagnosis_access_refused" not in text


def test_an_action_sent_from_a_page_is_logged_with_the_address_it_came_from(client, auth):
    """The log says « qui a fait quoi, quand et depuis quelle adresse »: the actions of the
    administration (and every action of a logged-in person) had none."""
    admin = auth.login("admin")
    other = auth.create("partner", email="partenaire@exemple.fr")
    sent_from = {"REMOTE_ADDR": "198.51.100.7"}
    client.post(
        "/admin/jetons",
        data={
            "owner_email": other.email,
            "name": "Outil",
            "days": "90",
            "submission_token": submissions.new_token(),
        },
        environ_base=sent_from,
    )
    client.post(f"/admin/utilisateurs/{other.id}/desactiver", environ_base=sent_from)
    client.post(
        "/admin/invitations", data={"email": "x@exemple.fr", "role": "animateur"},
        environ_base=sent_from,
    )  # fmt: skip
    actions = ("api_token.issued", "user_disabled", "user_created", "invitation_sent")
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action.in_(actions), AuditLog.actor_id == admin.id)
    ).all()
    assert sorted((entry.action, entry.ip) for entry in entries) == sorted(
        (action, "198.51.100.7") for action in actions
    )


def test_only_the_logged_in_actors_own_entries_take_the_address(app, auth):
    """An entry of nobody (a visitor's form, whose address the privacy notice says is not
    kept) or of another account than the one logged in keeps none; one with its address
    already keeps it."""
    from flask import g

    from connectences.accounts.audit import audit

    admin, other = auth.create("admin"), auth.create("partner")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        anonymous = [audit(db.session, "user_phone", actor=None)]
        anonymous.append(audit(db.session, "user_phone", actor=other))
        db.session.flush()
        g._login_user = admin
        mine = audit(db.session, "user_phone", actor=admin)
        given = audit(db.session, "user_phone", actor=admin, ip="203.0.113.9")
        theirs = audit(db.session, "user_phone", actor=other.id)
        nobody = audit(db.session, "user_phone", actor=None)
        db.session.flush()
    assert [entry.ip for entry in anonymous] == [None, None]
    assert (mine.ip, given.ip, theirs.ip, nobody.ip) == ("198.51.100.7", "203.0.113.9", None, None)
