"""The ``auth`` fixture: create a user of any role and log in through the real form.

    def test_something(client, auth):
        user = auth.login("operator")          # creates its operator, logs in with `client`
        response = client.get("/operateur")

    other = app.test_client()
    auth.login("company", client=other)        # another browser, another user
    auth.create("partner", org_ref="p-1")      # a user without logging in
    auth.logout()

Organisations come from the interchange factories (tests/factories.py): an
operator, a partner, a company (Arcachon) or a candidate profile is imported for
the roles that need one, unless ``org_ref`` names an existing one; a
``territoire`` user belongs to the COBAS. Every user's password is ``PASSWORD``.
"""

from __future__ import annotations

import itertools
import re

import pytest

from connectences.accounts import create_user
from connectences.extensions import db
from connectences.models import User
from tests import factories
from tests.known_secrets import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_numbers = itertools.count(1)
# What a user of each role belongs to: the factory of the item and its collection.
ORGANISATION_OF_ROLE = {
    "operator": (factories.operator, "operators"),
    "partner": (factories.partner, "partners"),
    "company": (factories.company, "companies"),
    "candidate": (factories.candidate, "candidates"),
}


def csrf_token_from(html: str) -> str | None:
    """The CSRF token of the first form in a page (None when CSRF is off)."""
    match = CSRF_FIELD.search(html)
    return match.group(1) if match else None


class AuthActions:
    def __init__(self, client):
        self.client = client
        self.user: User | None = None

    def organisation_for(self, role: str) -> str | None:
        """Import what a user of this role belongs to; return its ref (or SIREN)."""
        if role in ORGANISATION_OF_ROLE:
            builder, collection = ORGANISATION_OF_ROLE[role]
            item = builder()
            factories.load(factories.document(**{collection: [item]}))
            return item["ref"]
        if role == "territoire":
            return factories.COBAS
        return None

    def create(
        self,
        role: str = "animateur",
        *,
        email: str | None = None,
        password: str = PASSWORD,
        org_ref: str | None = None,
        full_name: str | None = None,
    ) -> User:
        """Create and commit a user of ``role`` (and its organisation when none is named)."""
        if org_ref is None:
            org_ref = self.organisation_for(role)
        email = email or f"{role}-{next(_numbers)}@exemple.fr"
        user = create_user(
            db.session, email, role, password=password, org_ref=org_ref, full_name=full_name
        )
        db.session.commit()
        return user

    def post_login(self, email: str, password: str = PASSWORD, *, client=None, next_url=None):
        """Submit the login form as a browser would (CSRF token included); return the response."""
        client = client or self.client
        url = "/connexion" + (f"?next={next_url}" if next_url else "")
        page = client.get(url)
        data = {"email": email, "password": password}
        token = csrf_token_from(page.get_data(as_text=True))
        if token:
            data["csrf_token"] = token
        return client.post(url, data=data)

    def login(self, role: str = "animateur", *, client=None, **create_kwargs) -> User:
        """Create a user of ``role`` and log in with it; fails the test if login fails."""
        user = self.create(role, **create_kwargs)
        response = self.post_login(
            user.email, create_kwargs.get("password", PASSWORD), client=client
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.user = user
        return user

    def logout(self, *, client=None):
        client = client or self.client
        page = client.get("/")
        data = {}
        token = csrf_token_from(page.get_data(as_text=True))
        if token:
            data["csrf_token"] = token
        return client.post("/deconnexion", data=data)


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)
