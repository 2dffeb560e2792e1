"""Lists that grow with a region are paged by the platform's one pager (``web.paging``,
``_pager.html``): "Mes relances" (each of its lists on its own page number, the others
kept), the staff and public lists of resources and testimonials, the newsletter's
issues. The pager's links keep the list's filters. (Their statements not growing with
their rows: tests/test_query_counts.py.)"""

from __future__ import annotations

import re
from datetime import date, timedelta

from connectences.clock import local_today
from connectences.content import resources as resource_rules
from connectences.extensions import db
from connectences.models import NewsletterIssue, Resource, Testimonial, Visit
from connectences.web import content, content_staff, newsletter, newsletter_public, visits
from tests.helpers import make_company, page_text


def _links(response) -> list[str]:
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'href="([^"]+)" rel="(?:prev|next)"', response.get_data(True))
    ]


def _resource(title: str, **fields) -> Resource:
    values = {
        "slug": resource_rules.slug_of(title),
        "title": title,
        "summary": f"Résumé de {title}",
        "body": f"Texte de {title}",
        "topics": ["aides_relance"],
        "source": "Région",
        "valid_until": local_today() + timedelta(days=200),
        "published": True,
        **fields,
    }
    resource = Resource(**values)
    db.session.add(resource)
    db.session.commit()
    return resource


def _testimonial(title: str) -> Testimonial:
    testimonial = Testimonial(
        title=title, company_label="Boulangerie, Arcachon", body="Merci.",
        consent_by="La gérante", consent_on=date(2026, 11, 2), consent_scope=["site"],
        published=True,
    )  # fmt: skip
    db.session.add(testimonial)
    db.session.commit()
    return testimonial


def test_my_follow_ups_page_each_list_on_its_own_and_keep_the_others_page(
    client, auth, monkeypatch
):
    me = auth.login("animateur")
    company = make_company(name="Atelier Relancé")
    today = local_today()
    for offset in (-3, -2, -1, 5, 6, 7):
        db.session.add(
            Visit(
                company_id=company.id, channel="telephone", visited_on=today - timedelta(days=9),
                animateur_id=me.id, follow_up_on=today + timedelta(days=offset),
                notes=f"Relance {offset:+d}",
            )
        )  # fmt: skip
    db.session.commit()
    monkeypatch.setattr(visits, "FOLLOW_UPS_PER_PAGE", 2)

    first = client.get("/animateur/relances")
    text = page_text(first)
    assert "En retard (3)" in text and "À venir (3)" in text
    assert "Relance -3" in text and "Relance -2" in text and "Relance -1" not in text
    assert "Relance +5" in text and "Relance +7" not in text
    assert "/animateur/relances?page_retard=2#titre-retard" in _links(first)

    second = client.get("/animateur/relances?page_retard=2")
    text = page_text(second)
    assert "Relance -1" in text and "Relance -3" not in text and "Relance +5" in text
    # The upcoming list's pager keeps the overdue list where it is.
    assert "/animateur/relances?page_a_venir=2&page_retard=2#titre-a-venir" in _links(second)
    # Closing a follow-up from page 2 comes back to page 2.
    visit = db.session.query(Visit).filter(Visit.notes == "Relance -1").one()
    html = second.get_data(as_text=True)
    assert f"/animateur/relances/{visit.id}?page_retard=2" in html
    closed = client.post(f"/animateur/relances/{visit.id}?page_retard=2", data={"action": "clore"})
    assert closed.status_code == 302
    assert closed.headers["Location"].endswith("/animateur/relances?page_retard=2")
    # A page number past the end shows the last page, not an empty list.
    assert "Relance -2" in page_text(client.get("/animateur/relances?page_retard=9"))


def test_staff_lists_of_resources_and_testimonials_are_paged(client, auth, monkeypatch):
    auth.login("animateur")
    for number in range(3):
        _resource(f"Fiche {number}")
        _testimonial(f"Témoignage {number}")
    monkeypatch.setattr(content_staff, "PER_PAGE", 2)

    first = client.get("/animateur/contenus/ressources")
    text = page_text(first)
    assert "Page 1 sur 2" in text and text.count("Fiche ") == 2
    assert page_text(client.get("/animateur/contenus/ressources?page=2")).count("Fiche ") == 1

    first = page_text(client.get("/animateur/contenus/temoignages"))
    assert "Page 1 sur 2" in first and first.count("Boulangerie, Arcachon") == 2
    second = page_text(client.get("/animateur/contenus/temoignages?page=2"))
    assert second.count("Boulangerie, Arcachon") == 1


def test_public_lists_of_resources_and_testimonials_are_paged_with_their_filters(
    client, monkeypatch
):
    for number in range(3):
        _resource(f"Aide {number}")
        _testimonial(f"Récit {number}")
    _resource("Recruter", topics=["recrutement"])
    monkeypatch.setattr(content, "PER_PAGE", 2)

    first = client.get("/ressources?theme=aides_relance")
    text = page_text(first)
    assert "3 ressources correspondant à votre recherche" in text
    assert text.count("Résumé de Aide") == 2 and "Recruter" not in text
    assert _links(first) == ["/ressources?page=2&theme=aides_relance#titre-liste"]
    second = page_text(client.get("/ressources?theme=aides_relance&page=2"))
    assert second.count("Résumé de Aide") == 1 and "Recruter" not in second

    first = page_text(client.get("/temoignages"))
    assert "Page 1 sur 2" in first and first.count("Boulangerie, Arcachon") == 2
    assert page_text(client.get("/temoignages?page=2")).count("Boulangerie, Arcachon") == 1


def test_the_newsletter_issues_are_paged(client, auth, monkeypatch):
    me = auth.login("animateur")
    for number in range(3):
        db.session.add(
            NewsletterIssue(subject=f"Lettre {number}", introduction="Bonjour.", blocks=[],
                            created_by_id=me.id)
        )  # fmt: skip
    db.session.commit()
    monkeypatch.setattr(newsletter, "ISSUES_PER_PAGE", 2)
    monkeypatch.setattr(newsletter_public, "ARCHIVE_PER_PAGE", 2)
    first = page_text(client.get("/animateur/lettre"))
    assert "Page 1 sur 2" in first and first.count("Brouillon") == 2
    assert page_text(client.get("/animateur/lettre?page=2")).count("Brouillon") == 1
