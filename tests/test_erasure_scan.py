"""Erasure leaves nothing behind, checked as an auditor would: a person with everything
that can name them, erased each way the product offers, then every text and JSON column
of every table and every file the instance keeps read for their name, address and phone.

What may stay is listed in ``KEPT`` with the rule of docs/rgpd.md that keeps it; any other
occurrence fails the test, naming the table and column.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import time_machine
from flask import current_app
from sqlalchemy import JSON, String, Text, select, update

from connectences import workflows
from connectences.accounts import held_forms, throttle
from connectences.accounts.sessions import account_binding
from connectences.clock import local_today
from connectences.content import callbacks
from connectences.cvtheque import files
from connectences.cvtheque.consent import space_token
from connectences.cvtheque.erase import export_candidate
from connectences.cvtheque.history import record_event
from connectences.events import catalogue, registrations
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.mail import MailKind
from connectences.models import (
    Base,
    Candidate,
    Commitment,
    FollowUpPoint,
    LinkRequest,
    Need,
    OutboxMessage,
    User,
)
from connectences.workflows import leads as flow
from tests import factories as f
from tests.cv_helpers import make_pdf
from tests.helpers import (
    by_ref,
    lead_by_refs,
    page_text,
    resolve_link_requests,
    sent_on,
    stamp_in,
)
from tests.test_events import _form, _link, _token

FIRST = "Zorbeline"
LAST = "Quaxmoor"
EMAIL = "zorbeline.quaxmoor@exemple.fr"
FORMER = "zorbi.ancienne@exemple.fr"
PHONE = "06 71 29 48 53"
# Looked for in lower case, the phone also without its spaces.
MARKERS = (FIRST.lower(), LAST.lower(), EMAIL, FORMER, "0671294853", PHONE)
START = date(2027, 3, 1)
TOPIC = "competences_partagees"


def _pdf() -> bytes:
    """A small PDF whose text names the person (what a CV holds)."""
    return make_pdf(f"{FIRST} {LAST} {EMAIL} {PHONE}")


def build_person(auth) -> dict:
    """The person with every record that can name them; returns the ids the checks need."""
    _BEFORE.clear()
    _BEFORE.update(_instance_files())
    f.load(
        f.document(
            operators=[f.operator(ref="ge-z", name="GE Zeta")],
            companies=[f.company(ref="cz", name="Boulangerie Zeta")],
            candidates=[
                f.candidate(
                    ref="zq",
                    first_name=FIRST,
                    last_name=LAST,
                    email=EMAIL,
                    phone=PHONE,
                    days=["mon", "tue", "thu"],
                )
            ],
            needs=[
                f.need(ref="nz", company="cz", days=["tue"], hours_per_week=8, start="2027-03-01"),
                f.need(ref="nz2", company="cz", days=["thu"], hours_per_week=4),
            ],
        )
    )
    animateur = auth.create("animateur")
    person = by_ref(Candidate, "zq")
    person.notes = f"Rencontrée au forum : {FIRST} {LAST}, {PHONE}"
    person.cv_filename = files.store_pdf(_pdf())
    person.commitments.append(
        Commitment(label=f"Ménage chez {LAST}", hours_per_week=4, days=["mon"], source="declared")
    )
    # A former address, left after a confirmed change (the history keeps it).
    record_event(db.session, person, "updated", "Adresse changée", details={"left_address": FORMER})
    account = User(
        email=EMAIL, role="candidate", full_name=f"{FIRST} {LAST}", candidate_id=person.id
    )
    db.session.add(account)
    for ref in ("nz", "nz2"):
        workflows.transition(db.session, by_ref(Need, ref), workflows.NEED, "qualifie")
    # A lead placing them, with a note naming them; another refused with words naming them.
    lead = lead_by_refs(animateur, "nz", "ge-z", "zq", note=f"{FIRST} est très motivée")
    flow.accept(db.session, lead)
    refused = lead_by_refs(animateur, "nz2", "ge-z", "zq", note=f"Pour {FIRST} {LAST}")
    flow.refuse(db.session, refused, "autre", f"{LAST} n'a pas de voiture")
    db.session.commit()
    sent_on(lead, min(START, local_today()))
    placement = flow.record_placement(
        db.session,
        lead,
        candidate=person,
        needs=[by_ref(Need, "nz")],
        hours_per_week=8,
        contract="cdi_temps_partage",
        start_date=START,
    )
    db.session.flush()
    db.session.execute(
        update(FollowUpPoint)
        .where(FollowUpPoint.placement_id == placement.id)
        .values(
            company_feedback=f"{FIRST} est ponctuelle",
            candidate_feedback=f"Moi, {FIRST} {LAST}, je suis contente",
        )
    )
    db.session.commit()
    # An event, with a registration under the same address.
    now = datetime.now(UTC)
    day = (now + timedelta(days=10)).date()
    event = catalogue.create_event(db.session, _form(day), by=None)
    db.session.commit()
    registrations.register(
        db.session, event, {"name": f"{FIRST} {LAST}", "email": EMAIL}, ip="192.0.2.9"
    )
    db.session.commit()
    registrations.confirm(db.session, _token(_link(EMAIL, MailKind.EVENT_CONFIRM)))
    # A call-back asked from their phone.
    callbacks.submit(
        db.session,
        {"name": f"{FIRST} {LAST}", "phone": PHONE, "best_time": "matin", "topic": TOPIC},
        ip="192.0.2.9",
    )
    # A link asked for with their address, waiting for the minute job; failed logins.
    db.session.add(LinkRequest(link="cv", email=EMAIL, ip="192.0.2.9"))
    for key in (f"pair:{EMAIL}|ip:192.0.2.9", f"account:{EMAIL}"):
        throttle.record_failure(db.session, key, throttle.form_policy(5), now)
    db.session.commit()
    # A form held for their account while they log in again.
    held_forms.hold(
        held_forms.held_forms_folder(),
        account_binding(account),
        held_forms.HeldForm(
            page="/candidat/mon-espace/profil",
            action="/candidat/mon-espace/profil",
            fields=(("first_name", FIRST), ("last_name", LAST), ("phone", PHONE)),
            reason="session",
        ),
        until=now + timedelta(minutes=60),
        now=now,
    )
    # The outbox holds mails to them, sent.
    db.session.execute(update(OutboxMessage).values(status="sent", sent_at=now))
    db.session.commit()
    return {"person": person.id, "ref": person.ref, "lead": lead.id, "event": event.id}


# --------------------------------------------------------------------------------- scan


def _text_columns(table):
    for column in table.columns:
        kind = type(column.type)
        if issubclass(kind, (String, Text, JSON)) or "JSON" in kind.__name__:
            yield column


def _found(value) -> list[str]:
    if value is None:
        return []
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.lower()
    squeezed = "".join(text.split()).replace(".", "")
    return [m for m in MARKERS if m in text or m.replace(" ", "") in squeezed]


def scan_database() -> dict[str, list[str]]:
    """Every occurrence of a marker in the database: {"table.column": [markers]}."""
    db.session.expire_all()
    found: dict[str, set[str]] = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = list(_text_columns(table))
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    for marker in _found(value):
                        found.setdefault(f"{table.name}.{column.name}", set()).add(marker)
    return {key: sorted(value) for key, value in found.items()}


# The files of the instance before the world was built (the run's folders are shared by
# the tests of a worker: another test's CV is not this person's).
_BEFORE: set[Path] = set()


def _instance_files() -> set[Path]:
    roots = {Path(current_app.instance_path), held_forms.held_forms_folder()}
    return {
        Path(folder) / name
        for root in roots
        for folder, _, names in os.walk(root)
        for name in names
    }


def scan_files() -> dict[str, list[str]]:
    """Every file the instance keeps (CVs, photos, held forms, backups) naming the person."""
    found: dict[str, list[str]] = {}
    for path in sorted(_instance_files() - _BEFORE):
        data = path.read_bytes()
        text = data.decode("utf-8", "replace")
        if path.suffix == ".pdf":
            text += files.check_pdf(data)
        if markers := _found(text):
            found[str(path)] = markers
    return found


# What may stay after an erasure, and the rule of docs/rgpd.md that keeps it: by column,
# or, for the outbox, by kind of mail (its other columns are the staff's or the platform's).
KEPT_COLUMNS = {
    # T10: a call-back request is its own processing, kept 12 months, erased on request
    # to the team (the retention job's run two years later has deleted it).
    "callback_request.name": "T10",
    "callback_request.phone": "T10",
    # T1: failed-login counters, purged by the nightly job a day after their window.
    "login_throttle.key": "T1",
}
# Right after the person's erasure only (none of them names anyone two years later):
KEPT_AT_ONCE = {
    # § 2: the receipt of the erasure, tied to no profile, forgotten once sent.
    MailKind.CV_ERASED: "§ 2",
    # T10 / T8: the call-back's news to its animateur, its body blanked after a year.
    MailKind.CALLBACK_REQUEST: "T10",
}
# Found by this scan and fixed: the words the staff typed on the leads that proposed the
# person (the lead's note, a refusal's words, their transitions, the mails to the operator
# and the animateur quoting them) named the person after their erasure (``cvtheque.scrub``).
NOT_FIXED_COLUMNS: set[str] = set()
NOT_FIXED_MAILS: set[MailKind] = set()


def _left(kept_mails=()) -> dict[str, list[str]]:
    """What names the person and no rule keeps (files included)."""
    found = scan_database()
    left = {
        key: value
        for key, value in found.items()
        if key not in KEPT_COLUMNS
        and key not in NOT_FIXED_COLUMNS
        and not key.startswith("outbox_message.")
    }
    for mail in db.session.scalars(select(OutboxMessage)):
        values = (mail.to, mail.subject, mail.body_text, mail.body_html, mail.headers)
        named = any(_found(value) for value in values)
        if named and mail.kind not in kept_mails and mail.kind not in NOT_FIXED_MAILS:
            left[f"outbox_message ({mail.kind}, to {mail.to})"] = [mail.subject]
    return {**left, **scan_files()}


def _assert_nothing_left(kept_mails=()) -> None:
    left = _left(kept_mails)
    assert not left, "\n" + "\n".join(f"{key}: {value}" for key, value in sorted(left.items()))


# -------------------------------------------------------------------------------- tests


def test_the_world_names_the_person_everywhere_before(auth):
    """The scan finds what it must: the world does name the person in each place."""
    build_person(auth)
    found = scan_database()
    for place in (
        "candidate.first_name",
        "candidate.notes",
        "candidate_event.details",
        "commitment.label",
        "lead.note",
        "transition.reason_text",
        "follow_up_point.company_feedback",
        "follow_up_point.candidate_feedback",
        "event_registration.email",
        "callback_request.phone",
        "link_request.email",
        "login_throttle.key",
        "outbox_message.to",
        "user.email",
    ):
        assert place in found, place
    assert len(scan_files()) == 2  # the CV and the held form


def test_the_person_erasing_themself_leaves_nothing_behind(client, auth):
    """Found by the scan: the mails of their event registrations (to their address) and
    the form held for their account stayed after they erased themself."""
    ids = build_person(auth)
    person = db.session.get(Candidate, ids["person"])
    response = client.post(f"/mon-cv/{space_token(person)}/supprimer", data={"confirm": "y"})
    assert response.status_code == 302, page_text(response)
    assert db.session.get(Candidate, ids["person"]) is None
    # The link asked for with their address goes at the minute job's next run.
    resolve_link_requests()
    db.session.commit()
    _assert_nothing_left(KEPT_AT_ONCE)


def test_the_team_erasing_the_person_on_request_leaves_nothing_behind(client, auth):
    """The erasure a person asks the team for (by phone, at a permanence), from their
    record, receipt included: as complete as their own."""
    ids = build_person(auth)
    auth.login("animateur")
    page = f"/animateur/cvtheque/{ids['ref']}"
    stamp = stamp_in(client.get(page), f"{page}/effacer")
    response = client.post(
        f"{page}/effacer",
        data={"motif": "appel du 3 mars", "confirmer": "1", "recu": "1", "lu_le": stamp},
    )
    assert response.status_code == 302, page_text(response)
    assert db.session.get(Candidate, ids["person"]) is None
    resolve_link_requests()
    db.session.commit()
    _assert_nothing_left(KEPT_AT_ONCE)


def test_the_retention_job_leaves_nothing_behind(auth):
    """Two years and more later: the profile, and every rule's data with it. Found by the
    scan: the call-back's mail named the person in its subject, which outlives the body
    (blanked after a year) and the request (deleted after 12 months)."""
    ids = build_person(auth)
    later = datetime.now(UTC) + timedelta(days=2 * 366 + 31)
    with time_machine.travel(later, tick=False):
        execute(JOBS_BY_ID["data_retention"], now=later)
        resolve_link_requests()
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Candidate, ids["person"]) is None
    found = scan_database()
    assert "callback_request.phone" not in found and "login_throttle.key" not in found
    _assert_nothing_left()


def test_the_copy_of_the_data_holds_every_kind_of_record_naming_the_person(auth):
    """Right of access (art. 15): each kind of record the scan finds attached to the person
    is in their copy. Found missing: the addresses the profile left (kept with it for the
    staff to put one back)."""
    build_person(auth)
    document = export_candidate(db.session, by_ref(Candidate, "zq"))
    assert f"Ménage chez {LAST}" in [c["label"] for c in document["profile"]["commitments"]]
    assert document["profile"]["notes"].startswith("Rencontrée au forum")
    (placement,) = document["placements"]
    assert (
        placement["follow_ups"][0]["candidate_feedback"] == f"Moi, {FIRST} {LAST}, je suis contente"
    )
    assert len(document["leads"]) == 2
    assert all(lead["explanation"] is not None for lead in document["leads"])
    assert [r["email"] for r in document["event_registrations"]] == [EMAIL]
    assert document["account"]["email"] == EMAIL
    assert [a["email"] for a in document["former_addresses"]] == [FORMER]
