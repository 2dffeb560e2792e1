"""A route-level leak sweep, as an attacker would try it from outside: every GET route of
``app.url_map`` (a new one is covered without editing this file) is requested, its
arguments filled with the records of *another* tenant (tests/hostile_battery.py's world:
operator « ge », partner « ft », company « c1 », the people p1 and p4, the COBAS), by each
user who is not entitled to them: an operator, a partner, a company owner of other
organisations, the job seeker p2, the COBAN's officer, an animateur (the administrator's
own data), an anonymous visitor. Whatever the answer (a page, a refusal, an error page, a
redirect's Location, JSON, a CSV or XLSX export, a file), it must not hold that tenant's
marker strings (names, e-mails, phones, SIRET, notes).

The per-rule refusals themselves are tested beside their rules (test_permissions,
test_record_scope, test_scope_properties); this sweep checks the bytes that go out.

Then the redirect targets a visitor can type: ``?next=``, ``?retour=`` and a forged
Referer on every GET route, and the login's ``next``: no answer sends the browser, or
links it, to another site or to a ``javascript:`` address.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from connectences.extensions import db
from connectences.models import (
    ApiToken,
    CallbackRequest,
    Candidate,
    Company,
    Lead,
    Need,
    Referral,
    Visit,
)
from tests import factories
from tests import hostile_battery as battery
from tests.helpers import api_token_of

# GET routes the sweep does not request, with why (a new route is requested unless it is
# named here on purpose).
NOT_SWEPT = {
    "static": "fichiers de l'application (CSS, JS, images), les mêmes pour tous",
}

# Routes whose argument is a signed link: holding it is what makes its owner (a company
# owner forwards their follow-up link, a registrant their cancel link), whoever asks. The
# sweep still requests them as the job seeker p2, whom another person's CV link refuses
# (cv_public); the others hand their owner's data to whoever holds the key, by design.
KEYED = {
    "cv_public": "lien personnel signé d'une personne (refusé à une autre personne connectée)",
    "need_public": "lien de suivi signé du patron de l'entreprise",
    "diagnosis_public": "lien signé du questionnaire envoyé à l'entreprise",
    "events.confirm": "lien signé de l'inscrit",
    "events.cancel": "lien signé de l'inscrit",
    "newsletter_public.unsubscribe": "lien signé de désinscription de l'entreprise",
    "auth.invitation": "invitation signée : la personne invitée",
}

# The victim tenant's markers, each a string no stranger's page may hold.
P1 = ("Zephyrin", "Vauquelinmarq", "zephyrin.vauquelin@marqueur.fr", "0671727374")
P4 = ("Hermance", "Ducassemarq", "hermance.ducasse@marqueur.fr", "0681828384")
C1 = ("Jeanne Martin", "jeanne@c1.fr", "patron@exemple.fr", "0556667788")
NOTES = (
    "NOTE-FICHE-P1-SECRETE",
    "NOTE-BESOIN-N1-SECRETE",
    "NOTE-PROPOSITION-GE-SECRETE",
    "NOTE-REORIENTATION-FT-SECRETE",
    "NOTE-VISITE-C1-SECRETE",
)
REGISTRANT = ("ana@exemple.fr",)
CALLBACK = ("0645464748",)
ADMIN_ONLY = ("echec@exemple.fr", "JETON-ADMIN-SECRET")
# The COBAS's communes: in none of the COBAN officer's observatory answers (the public
# pages name them: the contact page's addresses).
COBAS_COMMUNES = ("Gujan-Mestras", "La Teste-de-Buch")

STRANGERS = ("operator", "partner", "company", "candidate", "territoire", "anonyme")


def _markers_for(role: str, siret: str, rule) -> tuple[str, ...]:
    """What ``role`` (a stranger to the world's tenants) may never read at ``rule``."""
    if role == "animateur":
        return ADMIN_ONLY
    people = P1 + P4 + NOTES + C1 + REGISTRANT + CALLBACK + ADMIN_ONLY + (siret,)
    if role == "territoire" and "siren" in rule.arguments:
        return people + COBAS_COMMUNES
    return people


def _text_of(response) -> str:
    """Everything a response sends out, as text: its Location, its body (an XLSX or
    any zip unpacked), entities decoded."""
    data = response.get_data()
    parts = [response.headers.get("Location", "")]
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    else:
        parts.append(data.decode("utf-8", "replace"))
    return html.unescape(" ".join(parts))


def _found(text: str, markers: tuple[str, ...]) -> list[str]:
    """The markers in ``text``, phones and SIRET read whatever their spacing."""
    compact = re.sub(r"[\s.\-]", "", text)
    return [m for m in markers if m in text or (m.isdigit() and m in compact)]


def _mark_victims(world) -> str:
    """Put the markers on the world's records; return c1's SIRET."""

    def one(model, ref):
        return db.session.scalar(select(model).where(model.ref == ref))

    for ref, (first, last, email, phone) in (("p1", P1), ("p4", P4)):
        person = one(Candidate, ref)
        person.first_name, person.last_name, person.email, person.phone = first, last, email, phone
    one(Candidate, "p1").notes = NOTES[0]
    c1 = one(Company, "c1")
    c1.contacts[0].phone = C1[3]
    one(Need, "n1").notes = NOTES[1]
    for lead in db.session.scalars(select(Lead)):
        lead.note = NOTES[2]
    db.session.scalar(select(Referral)).note = NOTES[3]
    db.session.scalar(select(Visit)).notes = NOTES[4]
    db.session.scalar(select(CallbackRequest)).phone = CALLBACK[0]
    db.session.scalar(select(ApiToken).where(ApiToken.name == "Outil")).name = ADMIN_ONLY[1]
    db.session.commit()
    return c1.siret


def _stranger(app, auth, world, role):
    """A client logged in as a user of ``role`` outside the world's tenants (the world's
    own job seeker p2 for « candidate »), its API token in every request."""
    if role == "anonyme":
        return app.test_client()
    if role == "candidate":
        return battery.client_for(app, auth, world, "candidate")
    client = app.test_client()
    org = factories.COBAN if role == "territoire" else None
    user = auth.create(role, org_ref=org)
    assert auth.post_login(user.email, client=client).status_code == 302
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token_of(user, days=1)}"
    db.session.commit()
    return client


def _swept(app, role):
    for rule in battery.routes(app, "GET"):
        if rule.endpoint in NOT_SWEPT:
            continue
        keyed = KEYED.get(rule.endpoint) or KEYED.get(rule.endpoint.partition(".")[0])
        if keyed and not (role == "candidate" and rule.endpoint.startswith("cv_public.")):
            continue
        yield rule


@pytest.fixture
def world(app, auth, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    world = battery.make_world(app, auth, tmp_path)
    world.params["siret"] = _mark_victims(world)
    return world


def test_the_lists_of_routes_not_swept_name_real_routes(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    blueprints = {endpoint.partition(".")[0] for endpoint in endpoints}
    assert set(NOT_SWEPT) <= endpoints
    assert all(key in endpoints or key in blueprints for key in KEYED)


@pytest.mark.parametrize("role", [*STRANGERS, "animateur"])
def test_no_route_hands_a_stranger_another_tenants_data(app, auth, world, role):
    client = _stranger(app, auth, world, role)
    # The victims' own pages do show the markers: the sweep reads what it looks for.
    owner = battery.client_for(app, auth, world, "animateur")
    assert _found(_text_of(owner.get("/animateur/cvtheque/p1")), P1) == list(P1)
    leaks, requested = [], 0
    for rule in _swept(app, role):
        url = battery.fill(app, world, rule)
        markers = _markers_for(role, world.params["siret"], rule)
        # Each request on a session of its own, as served (an entity an earlier request
        # loaded with a loader option of its own would answer for this one).
        db.session.remove()
        with client.get(url) as response:
            found = _found(_text_of(response), markers)
            status = response.status_code
        requested += 1
        assert status < 500, (url, status)
        if found:
            leaks.append((url, status, found))
    assert requested > 120
    assert leaks == []


# --- open redirects ------------------------------------------------------------------

HOSTILE_TARGETS = (
    "https://evil.example/x",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "http:evil.example",
)
ELSEWHERE = ("javascript:", "//", "/\\", "\\", "http:evil", "https:evil")
LINKS = re.compile(r"""(?:href|action|formaction|content)\s*=\s*["']([^"']*)""", re.IGNORECASE)


def _outside_links(response) -> list[str]:
    location = response.headers.get("Location", "")
    body = html.unescape(response.get_data().decode("utf-8", "replace"))
    targets = [location, *LINKS.findall(body)]
    return [t for t in targets if _elsewhere(t)]


def _elsewhere(target: str) -> bool:
    """Whether following ``target`` leaves the site for the hostile one (a local address
    that merely carries it in its query, as the login's ``?next=`` does, or spells it
    percent-encoded in its path, « /%2F%2Fevil.example », a page not found, stays here)."""
    plain = html.unescape(target).strip().lower()
    return plain.startswith(ELSEWHERE) or "evil.example" in urlsplit(plain).netloc


@pytest.mark.parametrize("role", sorted(battery.LOGGED_IN) + ["anonyme"])
def test_no_route_redirects_or_links_to_another_site(app, auth, world, role):
    client = app.test_client() if role == "anonyme" else battery.client_for(app, auth, world, role)
    found, requested = [], 0
    for rule in battery.routes(app, "GET"):
        if rule.endpoint in NOT_SWEPT or not battery.owns(app, role, rule):
            continue
        base = battery.fill(app, world, rule)
        for target in HOSTILE_TARGETS[:2] + HOSTILE_TARGETS[4:5]:
            value = quote(target, safe="")
            url = f"{base}?next={value}&retour={value}&suivi={value}"
            # Each request on a session of its own, as served (not the one the test's
            # earlier requests filled).
            db.session.remove()
            with client.get(url, headers={"Referer": target}) as response:
                requested += 1
                assert response.status_code < 500, url
                if outside := _outside_links(response):
                    found.append((url, response.status_code, outside))
    assert requested > 30
    assert found == []


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_login_never_sends_to_another_site(client, auth, target):
    user = auth.create("animateur")
    for url in (f"/connexion?next={quote(target, safe='')}", f"/connexion?next={target}"):
        client.get("/deconnexion")
        page = client.get(url)
        assert not _outside_links(page), url
        response = auth.post_login(user.email, next_url=quote(target, safe=""))
        assert response.status_code == 302
        # Home, or a local path that merely spells the target (« /%2F%2Fevil.example »).
        assert response.headers["Location"].startswith("/"), target
        assert not _outside_links(response), target
    # Already logged in, the login page sends home, never to the target.
    response = client.get(f"/connexion?next={quote(target, safe='')}")
    assert not _outside_links(response)
