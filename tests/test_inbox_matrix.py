"""The table of roles x records of issue #6: who may open which lead and referral.

Two operators (one lead each) and two partners (one referral each). Each row is a
user; each column a record page; each cell the status code that user gets. An
organisation's member opens its own records only (200); another organisation's
record is a 404 (its existence is not confirmed); other roles get 403; every
refusal of a logged-in user is written to the audit log.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectences import workflows
from connectences.extensions import db
from connectences.models import AuditLog, Need, Partner
from connectences.workflows.dispatch import send_referral
from tests import factories as f
from tests.helpers import by_ref, lead_by_refs


@pytest.fixture
def records(auth):
    f.load(
        f.document(
            operators=[f.operator(ref="ge-a"), f.operator(ref="ge-b")],
            partners=[f.partner(ref="ft"), f.partner(ref="ml")],
            companies=[f.company(ref="c1")],
            candidates=[f.candidate(ref="p1", days=["tue"]), f.candidate(ref="p2", days=["tue"])],
            needs=[
                f.need(ref=f"n{i}", company="c1", title=f"Besoin {i}", days=["tue"])
                for i in range(1, 5)
            ],
        )
    )
    animateur = auth.create("animateur")
    for i in range(1, 5):
        workflows.transition(db.session, by_ref(Need, f"n{i}"), workflows.NEED, "qualifie")
    ids = {
        "lead-a": lead_by_refs(animateur, "n1", "ge-a", "p1").id,
        "lead-b": lead_by_refs(animateur, "n2", "ge-b", "p2").id,
        "ref-ft": send_referral(
            db.session, need=by_ref(Need, "n3"), partner=by_ref(Partner, "ft"), actor=animateur
        ).id,
        "ref-ml": send_referral(
            db.session, need=by_ref(Need, "n4"), partner=by_ref(Partner, "ml"), actor=animateur
        ).id,
    }
    db.session.commit()
    return ids


def _url(record: str, ids: dict) -> str:
    if record.startswith("lead"):
        return f"/operateur/propositions/{ids[record]}"
    return f"/partenaire/reorientations/{ids[record]}"


COLUMNS = ("lead-a", "lead-b", "ref-ft", "ref-ml")
# (role, organisation) -> expected status for each column above.
MATRIX = {
    ("operator", "ge-a"): (200, 404, 403, 403),
    ("operator", "ge-b"): (404, 200, 403, 403),
    ("partner", "ft"): (403, 403, 200, 404),
    ("partner", "ml"): (403, 403, 404, 200),
    ("animateur", None): (403, 403, 403, 403),
    ("admin", None): (403, 403, 403, 403),
    ("company", None): (403, 403, 403, 403),
    ("candidate", None): (403, 403, 403, 403),
    ("territoire", None): (403, 403, 403, 403),
}


@pytest.mark.parametrize(("who", "expected"), list(MATRIX.items()), ids=lambda v: str(v))
def test_roles_by_records(client, auth, records, who, expected):
    role, org = who
    user = auth.login(role, org_ref=org) if org else auth.login(role)
    got = tuple(client.get(_url(record, records)).status_code for record in COLUMNS)
    assert got == expected
    refusals = db.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.actor_id == user.id, AuditLog.action.like("%_access_refused"))
    )
    assert refusals == sum(code != 200 for code in got)


def test_anonymous_visitors_are_sent_to_the_login_page(client, records):
    for record in COLUMNS:
        response = client.get(_url(record, records))
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "inbox", "sees", "hidden"),
    [
        (("operator", "ge-a"), "/operateur/propositions", "Besoin 1", ("Besoin 2", "Besoin 3")),
        (("operator", "ge-b"), "/operateur/propositions", "Besoin 2", ("Besoin 1", "Besoin 4")),
        (("partner", "ft"), "/partenaire/reorientations", "Besoin 3", ("Besoin 4", "Besoin 1")),
        (("partner", "ml"), "/partenaire/reorientations", "Besoin 4", ("Besoin 3", "Besoin 2")),
    ],
)
def test_each_inbox_lists_exactly_its_own_records(client, auth, records, who, inbox, sees, hidden):
    auth.login(who[0], org_ref=who[1])
    page = client.get(inbox).get_data(as_text=True)
    assert sees in page
    for title in hidden:
        assert title not in page
