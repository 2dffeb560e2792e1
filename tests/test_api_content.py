"""``/api/v1`` public content (#15): events, resources, « Qui fait quoi » and testimonials.
Every token reaches what the public pages show and no more (a webinar's link and the
registrants never; the staff also seats and unpublished resources); a resource or
testimonial that leaves the public is reported in ``/deletions`` (a withdrawn testimonial
above all), and comes back when it is public again; single records carry an ETag."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from connectences.content import directory, photos, resources, testimonials
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import (
    Deletion,
    DirectoryEntry,
    EventRegistration,
    Operator,
    Partner,
    Resource,
    Testimonial,
    utcnow,
)
from tests import factories
from tests.helpers import make_company
from tests.test_api_records import revalidated
from tests.test_api_v1 import _problem, bearer, token_for

WEBINAR_LINK = "https://visio.exemple.fr/salle-secrete-4242"
ROLES = ("admin", "animateur", "company", "operator", "partner", "candidate", "territoire")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _photo_folder(app, tmp_path):
    app.extensions["photo_storage"] = photos.files.LocalCvStorage(tmp_path / "photos")
    yield
    app.extensions.pop("photo_storage", None)


def _event(**overrides):
    day = (utcnow() + timedelta(days=10)).date()
    data = {
        "kind": "webinaire",
        "title": "Webinaire : embaucher à temps partagé",
        "description": "Une heure pour tout comprendre.",
        "audience": "entreprises",
        "day": day.isoformat(),
        "start": "11:00",
        "end": "12:00",
        "place": "",
        "link": WEBINAR_LINK,
        "capacity": "30",
        "partners": [],
        **overrides,
    }
    return catalogue.create_event(db.session, data, by=None)


def _resource(slug: str, **fields) -> Resource:
    resource = factories.resource_row(slug=slug, title=f"Ressource {slug}", **fields)
    db.session.add(resource)
    return resource


def _testimonial(need, title: str, **fields) -> Testimonial:
    values = {"company_label": "Boulangerie Durand, Arcachon", "body": "Tout est à jour."}
    testimonial = factories.testimonial_row(need, title=title, **{**values, **fields})
    db.session.add(testimonial)
    return testimonial


@pytest.fixture
def world(auth):
    """Of each kind, a record the public sees (``shown``) and one it does not
    (``hidden``: a draft resource, an unpublished entry, a testimonial only agreed for the
    newsletter); a webinar with people registered and waiting; a token per role."""
    users = {role: auth.create(role) for role in ROLES}
    webinar = _event()
    db.session.add_all(
        EventRegistration(event=webinar, name=name, email=email, status=status)
        for name, email, status in (
            ("Léa Martin", "lea@exemple.fr", "registered"),
            ("Paul Roux", "paul@exemple.fr", "registered"),
            ("Inès Faure", "ines@exemple.fr", "waiting"),
        )
    )
    shown_resource = _resource("aide-embauche")
    draft = _resource("brouillon", published=False)
    expired = _resource("aide-echue", valid_until=date(2025, 1, 31))
    operator = db.session.get(Operator, users["operator"].operator_id)
    partner = db.session.get(Partner, users["partner"].partner_id)
    shown_entry = directory.entry_of(db.session, "operator", operator.id)
    shown_entry.offer, shown_entry.phone = "Des salariés à temps partagé.", "0556000000"
    shown_entry.published_at = T0
    hidden_entry = directory.entry_of(db.session, "partner", partner.id)
    hidden_entry.proposed = {"offer": "Pas encore validé."}
    company = make_company(name="Boulangerie Durand")
    need = factories.need_row(company, ref="besoin-temoin")
    db.session.add(need)
    db.session.flush()
    shown = _testimonial(need, "Une comptable deux jours par semaine")
    letter_only = _testimonial(need, "Pour la lettre seulement", consent_scope=["lettre"])
    db.session.commit()
    return {
        "users": users,
        "tokens": {role: token_for(user) for role, user in users.items()},
        "shown": {
            "events": str(webinar.id),
            "resources": shown_resource.slug,
            "directory": str(shown_entry.id),
            "testimonials": str(shown.id),
        },
        "hidden": {
            "resources": draft.slug,
            "directory": str(hidden_entry.id),
            "testimonials": str(letter_only.id),
        },
        "expired": expired.slug,
        "webinar": webinar,
        "need": need,
    }


KINDS = ("events", "resources", "directory", "testimonials")
SINGLE = ("events", "resources")  # the kinds also read one by one
READERS = ("admin", "animateur", "company", "operator", "partner")
STAFF = ("admin", "animateur")
# Each role's whole table in one test (a subtest per kind and visibility): the world
# takes far longer to build than its requests, once per role instead of per case.
CASES = [
    (kind, visibility)
    for kind in KINDS
    for visibility in ("shown", "hidden")
    if not (kind == "events" and visibility == "hidden")  # every event is public
]


def _refs(client, token, kind, **query) -> list[str]:
    response = client.get(f"/api/v1/{kind}", query_string=query, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["ref"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_public_content(client, world, subtests, role):
    headers = bearer(world["tokens"][role])
    for kind, visibility in CASES:
        with subtests.test(kind=kind, visibility=visibility):
            _reaches(client, headers, role, kind, world[visibility][kind], visibility)


def _reaches(client, headers, role: str, kind: str, ref: str, visibility: str) -> None:
    listed = client.get(f"/api/v1/{kind}", headers=headers)
    one = client.get(f"/api/v1/{kind}/{ref}", headers=headers) if kind in SINGLE else None
    if role not in READERS:
        _problem(listed, 403)
        if one is not None:
            _problem(one, 403)
        return
    refs = [item["ref"] for item in listed.get_json()["items"]]
    reached = visibility == "shown" or (kind == "resources" and role in STAFF)
    assert (ref in refs) is reached
    if one is not None:
        if reached:
            assert one.status_code == 200 and one.get_json()["ref"] == ref
        else:  # not confirmed to exist
            _problem(one, 404)


@pytest.mark.parametrize("role", READERS)
def test_an_event_never_gives_its_link_nor_its_registrants(client, world, role):
    response = client.get(
        f"/api/v1/events/{world['shown']['events']}", headers=bearer(world["tokens"][role])
    )
    text = response.get_data(as_text=True)
    for secret in (WEBINAR_LINK, "visio.exemple.fr", "Léa Martin", "lea@exemple.fr", "Inès"):
        assert secret not in text
    body = response.get_json()
    assert body["online"] is True and body["place"] is None
    assert body["kind_label"] == "Webinaire" and body["cancelled"] is False
    assert body["registration_open"] is True
    seats = {key: body.get(key) for key in ("capacity", "seats_taken", "waiting")}
    if role in STAFF:
        assert seats == {"capacity": 30, "seats_taken": 2, "waiting": 1}
    else:
        assert seats == {"capacity": None, "seats_taken": None, "waiting": None}
        assert not {"capacity", "seats_taken", "waiting"} & body.keys()


def test_a_cancelled_event_stays_listed_as_cancelled(client, world):
    from connectences.events.registrations import cancel_event

    cancel_event(db.session, world["webinar"], by=world["users"]["animateur"])
    db.session.commit()
    body = client.get(
        f"/api/v1/events/{world['shown']['events']}", headers=bearer(world["tokens"]["company"])
    ).get_json()
    assert body["cancelled"] is True and body["registration_open"] is False


def test_the_staff_see_each_resource_with_its_state(client, world):
    response = client.get("/api/v1/resources", headers=bearer(world["tokens"]["animateur"]))
    states = {item["ref"]: item["state"] for item in response.get_json()["items"]}
    assert states == {
        "aide-embauche": "publiee",
        "brouillon": "non_publiee",
        "aide-echue": "expiree",
    }
    public = client.get("/api/v1/resources", headers=bearer(world["tokens"]["partner"]))
    items = public.get_json()["items"]
    assert [item["ref"] for item in items] == ["aide-embauche"]
    assert "state" not in items[0]
    _problem(
        client.get("/api/v1/resources/aide-echue", headers=bearer(world["tokens"]["partner"])),
        404,
    )


def test_a_directory_entry_of_an_inactive_organisation_is_not_listed(client, world):
    token = world["tokens"]["company"]
    entry = db.session.get(DirectoryEntry, int(world["shown"]["directory"]))
    [item] = client.get("/api/v1/directory", headers=bearer(token)).get_json()["items"]
    assert item["name"] == entry.operator.name and item["organisation_kind"] == "operator"
    assert item["offer"] == "Des salariés à temps partagé."
    entry.operator.active = False
    db.session.commit()
    assert _refs(client, token, "directory") == []


def test_a_testimonial_shows_its_story_only(client, world):
    [item] = client.get(
        "/api/v1/testimonials", headers=bearer(world["tokens"]["operator"])
    ).get_json()["items"]
    assert item["title"] == "Une comptable deux jours par semaine"
    assert item["company_label"] == "Boulangerie Durand, Arcachon"
    assert not {"consent_by", "consent_note", "company", "need"} & item.keys()


@pytest.mark.parametrize("kind", SINGLE)
def test_single_content_records_have_an_etag(client, world, kind):
    headers = bearer(world["tokens"]["company"])
    url = f"/api/v1/{kind}/{world['shown'][kind]}"
    etag = revalidated(client, url, headers)
    if kind == "events":
        world["webinar"].title = "Webinaire : le temps partagé en une heure"
    else:
        db.session.scalar(select(Resource).where(Resource.slug == "aide-embauche")).title = "Neuf"
    db.session.commit()
    changed = client.get(url, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def _deletions(client, token, kind, since) -> list[str]:
    response = client.get(
        "/api/v1/deletions",
        query_string={"kind": kind, "updated_since": since},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["ref"] for item in response.get_json()["items"]]


def _resource_form(resource: Resource, **overrides) -> dict:
    return {
        "title": resource.title,
        "summary": resource.summary,
        "body": resource.body,
        "topics": resource.topics,
        "source": resource.source,
        "valid_until": resource.valid_until.isoformat(),
        "published": "1" if resource.published else "",
        **overrides,
    }


def test_incremental_sync_reports_a_withdrawn_testimonial_as_deleted(client, world):
    token = world["tokens"]["company"]
    ref = world["shown"]["testimonials"]
    since = T0.isoformat()
    assert _refs(client, token, "testimonials", updated_since=since) == [ref]
    assert _deletions(client, token, "testimonials", since) == []
    testimonial = db.session.get(Testimonial, int(ref))
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        testimonials.withdraw(db.session, testimonial, by=world["users"]["animateur"])
        db.session.commit()
    last_sync = (T0 + timedelta(days=1)).isoformat()
    assert _refs(client, token, "testimonials", updated_since=last_sync) == []
    assert _deletions(client, token, "testimonials", last_sync) == [ref]
    # The staff's copies go as well: nobody sees a withdrawn testimonial.
    assert _deletions(client, world["tokens"]["admin"], "testimonials", last_sync) == [ref]
    assert _refs(client, world["tokens"]["admin"], "testimonials") == []
    # Not reported again to whoever synchronised after the withdrawal.
    later = (T0 + timedelta(days=3)).isoformat()
    assert _deletions(client, token, "testimonials", later) == []


def test_a_testimonial_leaving_the_site_is_deleted_and_back_again(client, world):
    token = world["tokens"]["partner"]
    ref = world["shown"]["testimonials"]
    testimonial = db.session.get(Testimonial, int(ref))
    form = {
        "title": testimonial.title,
        "need_ref": "besoin-temoin",
        "body": testimonial.body,
        "company_label": testimonial.company_label,
        "consent_by": testimonial.consent_by,
        "consent_on": "2026-11-12",
        "consent_scope": ["lettre"],
        "published": "1",
    }
    testimonials.update(db.session, testimonial, form)
    db.session.commit()
    assert _deletions(client, token, "testimonials", "2026-01-01") == [ref]
    testimonials.update(db.session, testimonial, {**form, "consent_scope": ["site"]})
    db.session.commit()
    assert _deletions(client, token, "testimonials", "2026-01-01") == []
    assert _refs(client, token, "testimonials") == [ref]


def test_an_unpublished_resource_is_deleted_for_the_public_not_for_the_staff(client, world):
    token, staff = world["tokens"]["operator"], world["tokens"]["animateur"]
    resource = db.session.scalar(select(Resource).where(Resource.slug == "aide-embauche"))
    resources.update(db.session, resource, _resource_form(resource, published=""))
    db.session.commit()
    assert _deletions(client, token, "resources", "2026-01-01") == ["aide-embauche"]
    assert "aide-embauche" not in _refs(client, token, "resources")
    # The staff still have it, unpublished: nothing for them to delete.
    assert _deletions(client, staff, "resources", "2026-01-01") == []
    assert "aide-embauche" in _refs(client, staff, "resources")
    resources.update(db.session, resource, _resource_form(resource, published="1"))
    db.session.commit()
    assert _deletions(client, token, "resources", "2026-01-01") == []
    assert "aide-embauche" in _refs(client, token, "resources")


def test_an_expired_resource_leaves_one_tombstone(client, world):
    token = world["tokens"]["company"]
    for _ in range(2):  # the daily job reads them every day
        resources.expired_to_remind(db.session, date(2026, 12, 5))
        db.session.commit()
    assert _deletions(client, token, "resources", "2026-01-01") == ["aide-echue"]
    stored = db.session.scalars(select(Deletion.ref).where(Deletion.kind == "resources")).all()
    assert stored == ["aide-echue"]


def test_content_lists_walk_by_cursor_and_updated_since(client, world):
    need = world["need"]
    later = _testimonial(need, "Un second témoignage")
    db.session.flush()
    moments = {world["shown"]["testimonials"]: T0, str(later.id): T0 + timedelta(days=5)}
    for ref, moment in moments.items():
        db.session.execute(
            db.update(Testimonial).where(Testimonial.id == int(ref)).values(updated_at=moment)
        )
    db.session.commit()
    token = world["tokens"]["company"]
    since = (T0 + timedelta(days=1)).isoformat()
    assert _refs(client, token, "testimonials", updated_since=since) == [str(later.id)]
    headers = bearer(token)
    first = client.get("/api/v1/testimonials", query_string={"limit": 1}, headers=headers)
    first = first.get_json()
    assert [item["ref"] for item in first["items"]] == [world["shown"]["testimonials"]]
    second = client.get(
        "/api/v1/testimonials",
        query_string={"limit": 1, "cursor": first["next_cursor"]},
        headers=headers,
    ).get_json()
    assert [item["ref"] for item in second["items"]] == [str(later.id)]
    assert second["next_cursor"] is None


def test_a_directory_entry_changes_its_updated_at(client, world):
    entry = db.session.get(DirectoryEntry, int(world["shown"]["directory"]))
    db.session.execute(
        db.update(DirectoryEntry).where(DirectoryEntry.id == entry.id).values(updated_at=T0)
    )
    db.session.commit()
    token = world["tokens"]["partner"]
    since = (T0 + timedelta(days=1)).isoformat()
    assert _refs(client, token, "directory", updated_since=since) == []
    entry.proposed = {name: getattr(entry, name) for name in directory.ENTRY_FIELDS}
    entry.proposed["offer"] = "Une offre revue."
    directory.validate(db.session, entry, by=world["users"]["animateur"])
    db.session.commit()
    [item] = client.get(
        "/api/v1/directory", query_string={"updated_since": since}, headers=bearer(token)
    ).get_json()["items"]
    assert item["offer"] == "Une offre revue."


@pytest.mark.parametrize("kind", KINDS)
def test_deletions_of_content_are_refused_to_roles_without_access(client, world, kind):
    body = _problem(
        client.get(
            "/api/v1/deletions",
            query_string={"kind": kind},
            headers=bearer(world["tokens"]["candidate"]),
        ),
        403,
    )
    assert body["title"]
