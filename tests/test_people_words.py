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


def test_company_and_need_pages_show_no_reference(client, auth):
    factories.load(
        factories.document(
            companies=[factories.company(ref="ent-boulangerie-9f3", name="Boulangerie du Port")],
            candidates=[
                factories.candidate(ref="cv-7c1e", first_name="Camille"),
                factories.candidate(ref="cv-8d2f", first_name="Camille"),
            ],
            needs=[factories.need(ref="besoin-42a", company="ent-boulangerie-9f3")],
        )
    )
    auth.login("animateur")
    for url in (
        "/animateur/entreprises/ent-boulangerie-9f3",
        "/animateur/besoins/besoin-42a",
        "/animateur/besoins/besoin-42a/pourquoi-pas?candidat=Camille",
    ):
        text = page_text(client.get(url))
        assert "Boulangerie du Port" in text or "Camille" in text, url
        for ref in ("ent-boulangerie-9f3", "cv-7c1e", "cv-8d2f", "besoin-42a"):
            assert ref not in text, (url, ref)
        assert "Référence" not in text, url
