"""Every list with filters names a value of its address it could not apply (not in its
list, typed by hand or kept from an outdated link) the way the needs board and the CV
library do: « Certains filtres n'ont pas été appliqués », each point linked to its field,
the list still shown without it; an export of such a list is not made."""

from __future__ import annotations

import pytest

from tests.helpers import element_by_id, html_of, page_text, page_text_of

HEADING = "Certains filtres n'ont pas été appliqués."

# (who reads the list (None: anyone), its address, a query of values not in their lists,
# the points its summary names, a query of known values that the list takes silently)
LISTS = [
    pytest.param(
        None,
        "/ressources",
        "theme=zzz&secteur=ZZ&taille=mille&intercommunalite=999&q=aide",
        [
            "Thème : choisissez un thème de la liste.",
            "Secteur d'activité : choisissez un secteur de la liste.",
            "Taille de l'entreprise : choisissez une taille de la liste.",
            "Intercommunalité : choisissez une intercommunalité de la liste.",
        ],
        "theme=aides_relance&secteur=I&taille=1-4&intercommunalite=243300563",
        id="resources",
    ),
    pytest.param(
        None,
        "/qui-fait-quoi",
        "type=zzz&theme=zzz&intercommunalite=999",
        [
            "Type de structure : choisissez un type de la liste.",
            "Thème : choisissez un thème de la liste.",
            "Intercommunalité : choisissez une intercommunalité de la liste.",
        ],
        "type=partenaire&theme=recrutement&intercommunalite=243300563",
        id="who-does-what",
    ),
    pytest.param(
        "animateur",
        "/animateur/visites",
        "animateur=999999&canal=pigeon&intercommunalite=999&issue=zzz",
        [
            "Animateur : choisissez un animateur de la liste.",
            "Canal : choisissez un canal de la liste.",
            "Intercommunalité : choisissez une intercommunalité de la liste.",
            "Issue : choisissez une issue de la liste.",
        ],
        "canal=telephone&intercommunalite=243300563&issue=a_relancer",
        id="visits",
    ),
    pytest.param(
        "animateur",
        "/animateur/entreprises",
        "intercommunalite=999&commune=00000",
        [
            "Intercommunalité : choisissez une intercommunalité de la liste.",
            "Commune : choisissez une commune de la liste.",
        ],
        "intercommunalite=243300563&commune=33009",
        id="company-directory",
    ),
    pytest.param(
        "animateur",
        "/animateur/postes-partages",
        "metier=M12%25&commune=75056",
        [
            "Métier (code ROME) : saisissez un code (M1203) ou son début (M12).",
            "Commune : choisissez une commune de la liste.",
        ],
        "metier=m12&commune=33009",
        id="bundles",
    ),
    pytest.param(
        "admin",
        "/admin",
        "profil=pirate&etat=zzz",
        [
            "Profil : choisissez un profil de la liste.",
            "État : choisissez un état de la liste.",
        ],
        "profil=animateur&etat=actif",
        id="accounts",
    ),
    pytest.param(
        "animateur",
        "/observatoire/diagnostic",
        "epci=999",
        ["Intercommunalité : choisissez une intercommunalité de la liste."],
        "epci=243300563",
        id="diagnosis",
    ),
]


@pytest.mark.parametrize(("role", "url", "refused", "points", "known"), LISTS)
def test_a_value_not_in_its_list_is_named_and_left_out(
    client, auth, role, url, refused, points, known
):
    """The list dropped the value without a word, showing more than was asked (or, for
    a public page's shared link, as if the filter applied): it still opens, shows the
    list without it, and says which value it left out, linked to its field."""
    if role:
        auth.login(role)
    response = client.get(f"{url}?{refused}")
    assert response.status_code == 200  # a shared or outdated link still opens
    markup = html_of(response)
    summary = element_by_id(markup, "erreurs")
    count = "ce point" if len(points) == 1 else f"ces {len(points)} points"
    assert page_text_of(summary) == f"{HEADING} Corrigez {count} : " + " ".join(points)
    # Each point links to its field, in the order of the query (that of the page).
    fields = [pair.split("=")[0] for pair in refused.split("&") if not pair.startswith("q=")]
    links = [link.split('"')[0] for link in summary.split('href="#')[1:]]
    assert links == fields
    for field in fields:
        assert f'id="{field}"' in markup, field
    # Nothing refused in the list's own values.
    assert "Certains filtres" not in page_text(client.get(f"{url}?{known}"))


def test_the_visits_list_refuses_a_staff_id_it_does_not_offer(client, auth):
    """A number that is no animateur's (a deleted account, or typed) showed « 0 visite »:
    now named; an animateur the list offers filters as before."""
    me = auth.login("animateur")
    assert "Certains filtres" not in page_text(
        client.get("/animateur/visites", query_string={"animateur": me.id})
    )
    for typed in ("999999", "abc"):
        page = page_text(client.get("/animateur/visites", query_string={"animateur": typed}))
        assert "Animateur : choisissez un animateur de la liste." in page, typed


@pytest.mark.parametrize(
    ("role", "export", "query", "back"),
    [
        ("animateur", "/animateur/visites/export.csv", "canal=pigeon", "/animateur/visites?"),
        ("animateur", "/animateur/besoins/export/csv", "statut=zzz", "/animateur/besoins?"),
        ("animateur", "/animateur/cvtheque/export/csv", "niveau=zzz", "/animateur/cvtheque?"),
        ("admin", "/admin/journal/export.csv", "action=zzz", "/admin/journal?"),
        (
            "animateur",
            "/observatoire/diagnostic/tableaux.xlsx",
            "epci=999",
            "/observatoire/diagnostic?",
        ),
        (
            "animateur",
            "/observatoire/diagnostic/tableaux/x.csv",
            "epci=999",
            "/observatoire/diagnostic?",
        ),
    ],
)
def test_an_export_of_a_list_with_a_refused_value_is_not_made(
    client, auth, role, export, query, back
):
    """Each export refuses as the board's: back to its list, which names the value."""
    auth.login(role)
    response = client.get(f"{export}?{query}")
    assert response.status_code == 302 and response.location.startswith(back)
    assert query in response.location
    said = page_text(client.get(response.location))
    assert "Export non fait : corrigez d'abord les filtres de la liste." in said
    assert "Certains filtres n'ont pas été appliqués" in said
