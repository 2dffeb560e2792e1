"""Resources for companies: profile aims and filters, the suggestions on a company's page,
expiry (off the public pages) and the reminder job, the staff's forms and their guard."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from connectences.contacts import InvalidWebsite, clean_website
from connectences.content import resources
from connectences.content.resources import CompanyProfile, ResourceFilters, size_band
from connectences.extensions import db
from connectences.jobs.registry import JOBS_BY_ID
from connectences.jobs.runner import execute
from connectences.mail import MailKind
from connectences.models import JobNotice, OutboxMessage, Resource
from connectences.prospection.naf import naf_section
from tests import factories
from tests.helpers import (
    count,
    error_of,
    mails_to,
    main_of,
    make_company,
    page_text,
    read_guard_at,
    read_stamp_at,
    stamp_in,
)

TODAY = date(2026, 12, 5)


def add(title: str, author=None, **fields) -> Resource:
    values = {
        "slug": resources.slug_of(title),
        "title": title,
        "summary": f"Résumé de {title}",
        "body": f"Texte de {title}",
        "topics": ["aides_relance"],
        "source": "Région Nouvelle-Aquitaine",
        "valid_until": date(2027, 6, 30),
        "published": True,
        "author_id": author.id if author else None,
        **fields,
    }
    resource = Resource(**values)
    db.session.add(resource)
    db.session.commit()
    return resource


def titles(rows) -> list[str]:
    return sorted(r.title for r in rows)


def test_profile_of_a_company_reads_naf_section_size_band_and_epci():
    company = make_company(naf="56.10A", employees=3, commune=factories.ARCACHON)
    assert CompanyProfile.of(company) == CompanyProfile("I", "1-4", factories.COBAS)
    assert naf_section("43.22A") == "F" and naf_section("pas un code") is None
    assert [size_band(n) for n in (0, 1, 4, 5, 9, 10, 49, 50, None)] == [
        "0", "1-4", "1-4", "5-9", "5-9", "10-49", "10-49", "50+", None
    ]  # fmt: skip


def test_filters_by_words_topic_and_profile():
    add("Prime à l'embauche en restauration", naf_sections=["I"], body="Aide **saisonnière**")
    add("Aide au recrutement BTP", naf_sections=["F"], topics=["recrutement"])
    add("Guide du contrat de travail", topics=["rh_reglementation"])
    add("Aide COBAN", epcis=[factories.COBAN], size_bands=["1-4"])

    def search(**args):
        filters, errors = ResourceFilters.from_args(args)
        assert errors == [], args
        return titles(resources.search(db.session, filters, today=TODAY))

    assert len(search()) == 4
    # Words, accents and case aside, in the body too (Markdown removed).
    assert search(q="SAISONNIERE") == ["Prime à l'embauche en restauration"]
    assert search(q="aide recrutement") == ["Aide au recrutement BTP"]
    assert search(theme="rh_reglementation") == ["Guide du contrat de travail"]
    # A profile keeps what is aimed at it and what is aimed at every company.
    assert search(secteur="I") == [
        "Aide COBAN",
        "Guide du contrat de travail",
        "Prime à l'embauche en restauration",
    ]
    assert search(intercommunalite=factories.COBAS, taille="5-9") == [
        "Aide au recrutement BTP",
        "Guide du contrat de travail",
        "Prime à l'embauche en restauration",
    ]
    # Unknown values are left out, and named, rather than breaking a shared link.
    filters, errors = ResourceFilters.from_args({"secteur": "ZZ", "theme": "<script>"})
    assert len(resources.search(db.session, filters, today=TODAY)) == 4
    assert [str(e) for e in errors] == [
        "Thème : choisissez un thème de la liste.",
        "Secteur d'activité : choisissez un secteur de la liste.",
    ]


def test_expired_and_draft_resources_are_not_public():
    add("Valable", valid_until=TODAY)
    add("Échue", valid_until=date(2026, 12, 4))
    add("Brouillon", published=False)
    assert titles(resources.published(db.session, today=TODAY)) == ["Valable"]
    assert resources.get_public(db.session, "echue", today=TODAY) is None


def test_public_pages_hide_an_expired_resource(client):
    add("Aide échue", valid_until=date(2020, 1, 1))
    add("Aide en cours", valid_until=date(2099, 1, 1), body="## Montant\n\n<script>x()</script>")
    page = main_of(client.get("/ressources"))
    assert "Aide en cours" in page and "Aide échue" not in page
    assert client.get("/ressources/aide-echue").status_code == 404
    shown = client.get("/ressources/aide-en-cours")
    assert shown.status_code == 200
    assert "<h2>Montant</h2>" in shown.get_data(as_text=True)
    assert "<script>x()" not in shown.get_data(as_text=True)


def test_published_for_the_newsletter_by_topic():
    add("Ancienne", topics=["formation"])
    add("Recrutement", topics=["recrutement"])
    assert titles(resources.published(db.session, today=TODAY, topic="recrutement")) == [
        "Recrutement"
    ]
    assert len(resources.published(db.session, today=TODAY, limit=1)) == 1


def test_suggestions_fit_the_company_profile_most_specific_first():
    company = make_company(naf="56.10A", employees=3, commune=factories.ARCACHON)
    add("Pour tous")
    add("Restauration COBAS", naf_sections=["I"], epcis=[factories.COBAS])
    add("Restauration", naf_sections=["I"])
    add("BTP", naf_sections=["F"])
    add("Plus de 50", size_bands=["50+"])
    add("COBAN", epcis=[factories.COBAN])
    add("Échue restauration", naf_sections=["I"], valid_until=date(2026, 1, 1))
    suggested = [r.title for r in resources.suggestions_for(db.session, company, today=TODAY)]
    assert suggested == ["Restauration COBAS", "Restauration", "Pour tous"]


def test_company_page_shows_the_suggestions_to_the_animateur(client, auth):
    auth.login("animateur")
    company = make_company(naf="43.22A", employees=12)
    add("Aide BTP", naf_sections=["F"], valid_until=date(2099, 1, 1))
    add("Aide commerce", naf_sections=["G"], valid_until=date(2099, 1, 1))
    page = main_of(client.get(f"/animateur/entreprises/{company.ref}"))
    assert "Ressources à proposer" in page
    assert "Aide BTP" in page and "Aide commerce" not in page


def run_expiry(now: datetime) -> dict:
    with time_machine.travel(now, tick=False):
        return execute(JOBS_BY_ID["resource_expiry"], now=now, dry_run=False)


def test_expiry_job_reminds_the_author_once_per_validity_date(auth):
    author = auth.create("animateur", full_name="Léa Martin")
    expired = add("Prime saisonnière", author=author, valid_until=date(2026, 3, 1))
    add("Encore valable", author=author, valid_until=date(2026, 3, 2))
    add("Brouillon échu", author=author, valid_until=date(2026, 1, 1), published=False)
    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    counts = run_expiry(now)
    assert counts == {"expired": 1, "mails": 1}
    mails = mails_to(author.email)
    assert len(mails) == 1 and mails[0].kind == MailKind.RESOURCE_EXPIRED
    assert "Prime saisonnière" in mails[0].subject
    assert f"/animateur/contenus/ressources/{expired.id}" in mails[0].body_text
    assert "01/03/2026" in mails[0].body_text
    # The next day: "Prime" was already reminded for that date; "Encore valable" now expires.
    assert run_expiry(datetime(2026, 3, 3, 7, 0, tzinfo=UTC)) == {"expired": 2, "mails": 1}
    assert [m.subject.split(" : ")[-1] for m in mails_to(author.email)] == [
        "Prime saisonnière",
        "Encore valable",
    ]
    # Given a new date that passes too, it is reminded again.
    expired.valid_until = date(2026, 4, 1)
    db.session.commit()
    assert run_expiry(datetime(2026, 4, 2, 7, 0, tzinfo=UTC))["mails"] == 1
    assert count(JobNotice) == 3


def valid_form(**overrides) -> dict:
    return {
        "title": "Aide à l'embauche d'un premier salarié",
        "summary": "Jusqu'à 4 000 € pour un premier recrutement.",
        "body": "## Qui ?\n\nLes entreprises **sans salarié**.",
        "topics": ["recrutement", "aides_relance"],
        "naf_sections": ["I"],
        "size_bands": ["0"],
        "epcis": [factories.COBAS],
        "source": "État",
        "source_url": "https://www.service-public.fr",
        "valid_until": "2099-12-31",
        "published": "1",
        **overrides,
    }


def test_animateur_writes_and_edits_a_resource(client, auth):
    user = auth.login("animateur")
    response = client.post("/animateur/contenus/ressources/nouvelle", data=valid_form())
    assert response.status_code == 302
    resource = db.session.scalars(select(Resource)).one()
    assert resource.slug == "aide-a-l-embauche-d-un-premier-salarie"
    assert resource.author_id == user.id
    assert resource.naf_sections == ["I"] and resource.epcis == [factories.COBAS]
    url = f"/animateur/contenus/ressources/{resource.id}"
    response = client.post(
        url,
        data=valid_form(
            title="Aide premier salarié", published="", lu_le=read_stamp_at(client, url)
        ),
    )
    assert response.status_code == 302
    db.session.refresh(resource)
    # The address stays: links already sent keep working.
    assert resource.title == "Aide premier salarié" and not resource.published
    assert resource.slug == "aide-a-l-embauche-d-un-premier-salarie"


@pytest.mark.parametrize(
    "address",
    ["http://[abc", "https://[::1/aide", "https://exemple.fr/une aide", "https://a.fr/\tx"],
)
def test_a_malformed_source_address_is_refused_beside_its_field(client, auth, address):
    """A bracketed host left open made urlsplit raise (a 500); a space is no link."""
    auth.login("animateur")
    response = client.post(
        "/animateur/contenus/ressources/nouvelle", data=valid_form(source_url=address)
    )
    assert response.status_code == 422
    with pytest.raises(InvalidWebsite) as refusal:
        clean_website(address, limit=500)
    assert " ".join(refusal.value.message.split()) in error_of(response, "source_url")
    assert count(Resource) == 0


def test_resource_form_errors_are_french_by_field_and_nothing_is_written(client, auth):
    auth.login("animateur")
    response = client.post(
        "/animateur/contenus/ressources/nouvelle",
        data=valid_form(
            title="",
            topics=["inconnu"],
            source_url="javascript:alert(1)",
            valid_until="2001-01-01",
            naf_sections=["ZZ"],
        ),
    )
    assert response.status_code == 422
    page = main_of(response)
    assert "Indiquez le titre." in page
    assert "Thème inconnu" in page
    assert "commençant par https://" in page
    assert "Cette date est passée" in page
    assert "Secteur inconnu" in page
    assert count(Resource) == 0


def test_only_the_staff_writes_resources(client, auth):
    for role in ("operator", "partner", "company", "candidate", "territoire"):
        auth.login(role)
        assert client.get("/animateur/contenus/ressources").status_code == 403, role
        response = client.post("/animateur/contenus/ressources/nouvelle", data=valid_form())
        assert response.status_code == 403, role
        auth.logout()
    assert count(Resource) == 0
    anonymous = client.get("/animateur/contenus/ressources/nouvelle")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


def test_no_mail_of_the_expiry_kind_without_an_author():
    add("Orpheline", valid_until=date(2026, 3, 1))
    assert run_expiry(datetime(2026, 3, 2, 7, 0, tzinfo=UTC)) == {"expired": 1, "mails": 0}
    assert count(OutboxMessage) == 0


def test_menus_and_footer_lead_to_the_content_pages(client, app, auth):
    footer = client.get("/").get_data(as_text=True)
    for path in ("/ressources", "/qui-fait-quoi", "/temoignages", "/etre-rappele"):
        assert f'href="{path}"' in footer, path
    assert "Être rappelé" in page_text(client.get("/plan-du-site"))
    auth.login("animateur")
    staff = client.get("/animateur").get_data(as_text=True)
    assert "<summary>Communication</summary>" in staff
    for path in ("ressources", "temoignages", "qui-fait-quoi"):
        assert f'href="/animateur/contenus/{path}"' in staff, path
    member = app.test_client()
    auth.login("operator", client=member)
    assert 'href="/operateur/fiche"' in member.get("/operateur").get_data(as_text=True)


def test_an_expired_resource_can_be_unpublished_without_a_new_date(client, auth):
    author = auth.login("animateur")
    resource = add("Aide échue", author=author, valid_until=date(2020, 1, 1))
    url = f"/animateur/contenus/ressources/{resource.id}"
    form = valid_form(title="Aide échue", valid_until="2020-01-01", published="")
    assert client.post(url, data={**form, "lu_le": read_stamp_at(client, url)}).status_code == 302
    db.session.refresh(resource)
    assert resource.published is False
    # Published again only with a date to come.
    again = client.post(url, data={**form, "published": "1", "lu_le": read_stamp_at(client, url)})
    assert again.status_code == 422
    assert "donnez une nouvelle date de validité" in page_text(again)


def test_a_resource_saved_from_a_page_read_before_another_save_is_refused(app, client, auth):
    # Two animateurs open the same resource; each changes another field. The second save
    # must not put back the title the first one changed.
    author = auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    resource = add("Aide à l'embauche", author=author)
    url = f"/animateur/contenus/ressources/{resource.id}"
    first, second = read_stamp_at(client, url), read_stamp_at(other, url)
    form = valid_form(title="Aide à l'embauche", summary="Résumé de Aide à l'embauche")
    saved = client.post(url, data={**form, "title": "Aide premier salarié", "lu_le": first})
    assert saved.status_code == 302
    typed = "Jusqu'à 6 000 € désormais."
    response = other.post(url, data={**form, "summary": typed, "lu_le": second})
    assert response.status_code == 422
    assert "modifiée par quelqu'un d'autre" in page_text(response)
    assert typed in page_text(response)  # what was typed is kept
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    assert resource.title == "Aide premier salarié"  # the first change kept
    assert resource.summary == "Résumé de Aide à l'embauche"  # nothing of the second
    # Sent again from the page given back (read now), it is saved.
    again = other.post(
        url, data={**form, "title": "Aide premier salarié", "summary": typed,
                   "lu_le": stamp_in(response)},
    )  # fmt: skip
    assert again.status_code == 302
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    assert (resource.title, resource.summary) == ("Aide premier salarié", typed)


def test_a_resource_sent_without_its_read_stamp_is_refused(client, auth):
    author = auth.login("animateur")
    resource = add("Aide à l'embauche", author=author)
    for stamp in (None, "", "hier", "2026-01-01T00:00:00"):
        data = valid_form(title="Autre titre")
        if stamp is not None:
            data["lu_le"] = stamp
        response = client.post(f"/animateur/contenus/ressources/{resource.id}", data=data)
        assert response.status_code == 422
        db.session.expire_all()
        assert db.session.get(Resource, resource.id).title == "Aide à l'embauche"


def test_a_resource_stamped_since_outside_its_form_is_saved_a_real_change_refused(
    app, client, auth
):
    # The form read, the resource is stamped for a reason outside its fields (its
    # author): nothing the form edits changed, so the save loses nothing.
    author = auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    resource = add("Aide à l'embauche", author=author)
    url = f"/animateur/contenus/ressources/{resource.id}"
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    assert first.get("lu_valeurs")
    resource.author_id = None
    db.session.commit()
    assert resource.updated_at.isoformat() != first["lu_le"]
    form = valid_form(title="Aide à l'embauche", summary="Résumé de Aide à l'embauche")
    saved = client.post(url, data={**form, "title": "Aide premier salarié", **first})
    assert saved.status_code == 302
    # Read before that save, the other page's fields changed meanwhile: refused.
    typed = "Jusqu'à 6 000 € désormais."
    response = other.post(url, data={**form, "summary": typed, **second})
    assert response.status_code == 422
    assert "modifiée par quelqu'un d'autre" in page_text(response)
    assert typed in page_text(response)  # what was typed is kept
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    assert (resource.title, resource.summary) == (
        "Aide premier salarié",
        "Résumé de Aide à l'embauche",
    )


def test_a_resource_sent_again_with_what_it_holds_now_is_saved_another_change_refused(
    app, client, auth
):
    # Two tabs read the resource; the first saves a new title and topics. The second,
    # read before, sends exactly those values: nothing would be lost, it is saved.
    author = auth.login("animateur")
    other = app.test_client()
    auth.login("animateur", client=other)
    resource = add("Aide à l'embauche", author=author)
    url = f"/animateur/contenus/ressources/{resource.id}"
    first, second = read_guard_at(client, url), read_guard_at(other, url)
    form = valid_form(title="Aide à l'embauche", summary="Résumé de Aide à l'embauche")
    same = {**form, "title": "  Aide premier salarié "}  # cleaned as the first save was
    assert client.post(url, data={**same, **first}).status_code == 302
    db.session.expire_all()
    held = resources.check(same)
    again = other.post(url, data={**same, **second})
    assert again.status_code == 302, page_text(again)
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    assert {name: getattr(resource, name) for name in held} == held
    assert resource.title == "Aide premier salarié"
    # From that same stale page, anything else is still refused, nothing written.
    typed = "Jusqu'à 6 000 € désormais."
    response = other.post(url, data={**same, "summary": typed, **second})
    assert response.status_code == 422
    assert "modifiée par quelqu'un d'autre" in page_text(response)
    assert typed in page_text(response)  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).summary == "Résumé de Aide à l'embauche"
