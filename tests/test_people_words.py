"""People read names and words, never the platform's internal codes."""

from __future__ import annotations

from tests import factories
from tests.helpers import page_text


def test_cv_page_says_where_the_cv_came_from_in_words(client, auth):
    factories.load(
        factories.document(
            candidates=[
                factories.candidate(ref="cv-site", source="public"),
                factories.candidate(ref="cv-forum", source="forum de Gujan"),
            ]
        )
    )
    auth.login("animateur")
    text = page_text(client.get("/animateur/cvtheque/cv-site"))
    assert "Origine Dépôt par la personne sur le site" in text
    assert "public" not in text.replace("publique", "")
    assert "Origine forum de Gujan" in page_text(client.get("/animateur/cvtheque/cv-forum"))
