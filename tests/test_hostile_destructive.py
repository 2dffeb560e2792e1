"""The hostile battery through the forms that end a session or destroy what they act on
(log out, delete a person (themself, or the team at their request), merge, disable or enable an account, send an invitation again (the earlier link ends), erase a contact, remove a
commitment (staff's or the person's own), new personal link, cancel an event, correct a
company's name and SIRET, attach a provisional company to a record): each submission gets a record made for it, so that no
part of the battery depends on another's order. As every role: the owner through the form
its page shows, the others by a forged post. A refused submission changes nothing: no
statement but bookkeeping is committed and the record is as it was.
Report: test-artifacts/hostile-input-destructeurs-<base>.csv."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import current_app, url_for
from sqlalchemy import select

from connectences.clock import LOCAL_TZ
from connectences.cvtheque import consent
from connectences.events import catalogue
from connectences.extensions import db
from connectences.models import (
    Candidate,
    Commitment,
    Company,
    CompanyContact,
    Event,
    Invitation,
    User,
)
from connectences.prospection.companies import STAFF_DETAIL_FIELDS, create_provisional
from connectences.web.access import ROLE_HOME
from tests import factories
from tests import hostile_battery as battery
from tests import hostile_values as hostile
from tests.helpers import by_ref


@dataclass
class Target:
    page: str  # where the owner finds the form
    action: str  # the URL the form posts to
    state: Callable[[], object]  # what a refused submission must leave as it was


def _candidate(**overrides) -> Candidate:
    item = factories.candidate(**overrides)
    factories.load(factories.document(candidates=[item]))
    return by_ref(Candidate, item["ref"])


def _exists(model, record_id) -> Callable[[], object]:
    def state():
        db.session.expire_all()
        return db.session.get(model, record_id) is not None

    return state


def _personal_link_delete(auth, client, role):
    person = _candidate()
    token = consent.space_token(person)
    return Target(f"/mon-cv/{token}/supprimer", f"/mon-cv/{token}/supprimer", _exists(Candidate, person.id))  # fmt: skip


def _session_delete(auth, client, role):
    person = _candidate()
    if role == "candidate":  # the job seeker's own profile, under their session
        user = auth.create("candidate", org_ref=person.ref)
        auth.logout(client=client)
        assert auth.post_login(user.email, client=client).status_code == 302
    return Target("/candidat/mon-espace/supprimer", "/candidat/mon-espace/supprimer", _exists(Candidate, person.id))  # fmt: skip


def _new_link(auth, client, role):
    person = _candidate()
    token = consent.space_token(person)

    def version():
        db.session.expire_all()
        return db.session.get(Candidate, person.id).token_version

    return Target(f"/mon-cv/{token}", f"/mon-cv/{token}/nouveau-lien", version)


def _commitment(auth, client, role):
    person = by_ref(Candidate, "p1")
    commitment = Commitment(candidate=person, label="Atelier", hours_per_week=4, days=["fri"])
    db.session.add(commitment)
    db.session.commit()
    action = f"/animateur/cvtheque/p1/engagements/{commitment.id}/retirer"
    return Target("/animateur/cvtheque/p1", action, _exists(Commitment, commitment.id))


def _own_commitment(session: bool):
    """Work the person declared, removed from their space (by link, or under their
    session as the job seeker whose profile it is)."""

    def make(auth, client, role):
        person = _candidate()
        held = Commitment(candidate=person, label="Atelier", hours_per_week=4, days=["fri"])
        db.session.add(held)
        db.session.commit()
        if session:
            if role == "candidate":
                user = auth.create("candidate", org_ref=person.ref)
                auth.logout(client=client)
                assert auth.post_login(user.email, client=client).status_code == 302
            page = "/candidat/mon-espace"
        else:
            page = f"/mon-cv/{consent.space_token(person)}"
        return Target(page, f"{page}/engagements/{held.id}/retirer", _exists(Commitment, held.id))

    return make


def _contact(auth, client, role):
    company = by_ref(Company, "c1")
    contact = CompanyContact(company=company, name="Paul Durand", email="paul@c1.fr")
    db.session.add(contact)
    db.session.commit()
    page = "/animateur/entreprises/c1"
    action = f"{page}/contacts/{contact.id}/effacer"
    return Target(page, action, _exists(CompanyContact, contact.id))


def _company_details(auth, client, role):
    """A company the staff correct from its record (its name, SIRET and details)."""
    company = factories.company()
    factories.load(factories.document(companies=[company]))
    stored = by_ref(Company, company["ref"])

    def state():
        db.session.expire_all()
        held = db.session.get(Company, stored.id)
        return tuple(getattr(held, field) for field in STAFF_DETAIL_FIELDS)

    page = f"/animateur/entreprises/{stored.ref}"
    return Target(page, f"{page}/coordonnees", state)


def _attach_provisional(auth, client, role):
    """A provisional company (a public need not confirmed, for a SIRET) the staff attach
    to a company's record, from the page the record's refusal links to."""
    company = factories.company()
    factories.load(factories.document(companies=[company]))
    stored = by_ref(Company, company["ref"])
    provisional = create_provisional(db.session, factories.make_siret(), "33009")
    db.session.commit()
    siret, provisional_id = provisional.siret, provisional.id

    def state():
        db.session.expire_all()
        return db.session.get(Company, provisional_id) is not None

    action = f"/animateur/entreprises/{stored.ref}/rattacher"
    return Target(f"{action}?siret={siret}", action, state)


def _erase_on_request(auth, client, role):
    """A person the team erases at their request, from their record."""
    person = _candidate()
    page = f"/animateur/cvtheque/{person.ref}"
    return Target(page, f"{page}/effacer", _exists(Candidate, person.id))


def _merge(auth, client, role):
    a = _candidate(first_name="Dominique", last_name="Doublon", phone="0601020304")
    b = _candidate(first_name="Dominique", last_name="Doublon", phone="0601020304")
    page = f"/animateur/cvtheque/doublons/{a.id}/{b.id}"

    def both():
        db.session.expire_all()
        return (db.session.get(Candidate, a.id) is not None, db.session.get(Candidate, b.id) is not None)  # fmt: skip

    return Target(page, f"{page}/fusionner", both)


def _account(active: bool):
    def make(auth, client, role):
        user = auth.create("animateur")
        user.active = active
        db.session.commit()

        def state():
            db.session.expire_all()
            return db.session.get(User, user.id).active

        verb = "desactiver" if active else "reactiver"
        return Target("/admin", f"/admin/utilisateurs/{user.id}/{verb}", state)

    return make


_INVITED = itertools.count(1)


def _invited(auth, client, role):
    """An account never opened: sending its invitation again ends the earlier link."""
    user = auth.create("animateur", email=f"invite-{next(_INVITED)}@exemple.fr", password=None)
    db.session.commit()

    def state():
        db.session.expire_all()
        return db.session.scalars(select(Invitation.id).where(Invitation.user_id == user.id)).all()

    return Target("/admin", f"/admin/utilisateurs/{user.id}/reinviter", state)


def _event(auth, client, role):
    day = (datetime.now(LOCAL_TZ) + timedelta(days=15)).date().isoformat()
    event = catalogue.create_event(
        db.session,
        {
            "kind": "webinaire", "title": "Webinaire à annuler", "audience": "tous",
            "day": day, "start": "10:00", "end": "11:00", "place": "Biganos", "capacity": "5",
        },
        by=None,
    )  # fmt: skip
    db.session.commit()

    def state():
        db.session.expire_all()
        return db.session.get(Event, event.id).cancelled_at is None

    page = f"/animateur/evenements/{event.id}"
    return Target(page, f"{page}/annuler", state)


TARGETS = {
    "/mon-cv/<token>/supprimer": _personal_link_delete,
    "/candidat/mon-espace/supprimer": _session_delete,
    "/mon-cv/<token>/nouveau-lien": _new_link,
    "/animateur/cvtheque/<candidate_ref:ref>/engagements/<int:commitment_id>/retirer": _commitment,
    "/mon-cv/<token>/engagements/<int:commitment_id>/retirer": _own_commitment(session=False),
    "/candidat/mon-espace/engagements/<int:commitment_id>/retirer": _own_commitment(session=True),
    "/animateur/entreprises/<company_ref:ref>/contacts/<int:contact_id>/effacer": _contact,
    "/animateur/entreprises/<company_ref:ref>/coordonnees": _company_details,
    "/animateur/entreprises/<company_ref:ref>/rattacher": _attach_provisional,
    "/animateur/cvtheque/<candidate_ref:ref>/effacer": _erase_on_request,
    "/animateur/cvtheque/doublons/<int:a_id>/<int:b_id>/fusionner": _merge,
    "/admin/utilisateurs/<int:user_id>/desactiver": _account(active=True),
    "/admin/utilisateurs/<int:user_id>/reactiver": _account(active=False),
    "/admin/utilisateurs/<int:user_id>/reinviter": _invited,
    "/animateur/evenements/<int:event_id>/annuler": _event,
}


@pytest.mark.slow
def test_hostile_values_through_every_destructive_form(app, auth, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    world = battery.make_world(app, auth, tmp_path)
    out = battery.Outcome()
    values = battery.cycle_values()
    rules = {
        rule.rule: rule
        for rule in battery.routes(app, "POST")
        if rule.endpoint in battery.DESTRUCTIVE_ENDPOINTS
    }
    assert set(rules) == set(TARGETS) | {"/deconnexion"}, "a destructive form without a target"

    with battery.WriteWatch(db.engine) as watch:
        for role in battery.ROLES:
            _logout(app, auth, world, role, out, watch)
            for pattern, make in TARGETS.items():
                rule = rules[pattern]
                owner = battery.owns(app, role, rule) and not battery.blind_reason(rule, role)
                for category in hostile.CATEGORIES if owner else ("sql",):
                    client = battery.client_for(app, auth, world, role)
                    client.role = role
                    target = make(auth, client, role)
                    before = target.state()
                    watch.take()
                    if owner:
                        out.forms.add((role, "post", pattern))
                        response, sent = _through_the_form(app, client, target, rule, category, values)  # fmt: skip
                        if response is None:
                            out.failures.append(f"{role}: no form of {pattern} on {target.page}")
                            break
                    else:
                        _, value = next(values)
                        sent = {name: value for name in battery.FORGED_FIELDS}
                        response = client.post(target.action, data=sent)
                    db.session.rollback()
                    where = f"{role} POST {pattern} ({'formulaire' if owner else 'forgé'})"
                    out.requests += 1
                    out.reach(role, rule, "POST")
                    written = watch.take()
                    if response.status_code >= 500:
                        out.failures.append(f"{where}: {response.status_code}")
                    # Refused is what left the record as it was: then nothing else changed.
                    if target.state() == before and written:
                        out.failures.append(f"{where}: refused but wrote {sorted(written)}")
                    if not owner and (target.state() != before or response.status_code not in (302, 400, 401, 403, 404)):  # fmt: skip
                        out.failures.append(f"{where}: not refused ({response.status_code})")
                    for name, value in sent.items():
                        out.record(category, value, f"{where} [{name}]", response)
    battery.check_mail_and_files(world, out)
    battery.check_reached(app, out, battery.ROLES, destructive=True)
    battery.write_report(out, "destructeurs")
    assert not out.failures, "\n".join(out.failures[:50])


def _through_the_form(app, client, target: Target, rule, category, values):
    page = client.get(target.page)
    db.session.rollback()
    forms = [f for f in battery.forms_of(app, target.page, page) if f.action == target.action]
    page.close()
    if not forms:
        return None, {}
    form = forms[0]
    for chosen, data, sent, files in battery.hostile_payloads(form, values, 0):
        if chosen == category:
            return battery.submit(client, form, data, files), sent
    raise AssertionError(category)


def _logout(app, auth, world, role, out, watch):
    """Log out with hostile values in the form (one login each): the session ends whatever
    was sent; a visitor's post is sent to the login page and changes nothing."""
    rule = next(r for r in battery.routes(app, "POST") if r.endpoint == "auth.logout")
    for category in hostile.CATEGORIES if role != battery.ANONYMOUS else ("sql",):
        client = battery.client_for(app, auth, world, role)
        watch.take()
        _, value = next(v for v in iter(battery.cycle_values()) if v[0] == category)
        response = client.post("/deconnexion", data={name: value for name in battery.FORGED_FIELDS})  # fmt: skip
        db.session.rollback()
        where = f"{role} POST /deconnexion"
        out.check_refusal(where, response, watch)
        out.record(category, value, f"{where} [tous]", response)
        out.reach(role, rule, "POST")
        if role != battery.ANONYMOUS:
            home = client.get(_home_url(role))
            if home.status_code != 302 or "/connexion" not in home.headers.get("Location", ""):
                out.failures.append(f"{where}: still logged in after logging out")


def _home_url(role: str) -> str:
    with current_app.test_request_context():
        return url_for(ROLE_HOME[role])
