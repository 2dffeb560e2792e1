"""French typography: one filter for the spaces before high punctuation and inside
quotes, decimal commas and plural agreement, applied to every template's text."""

from __future__ import annotations

import html
import io
import re
import tokenize
from pathlib import Path

from connectences.typography import (
    NBSP,
    NNBSP,
    days_ago,
    decimal_fr,
    distance_fr,
    french_typography,
    hours_fr,
    of_company,
    of_name,
    plural,
    too_long,
)
from tests import factories


def test_spaces_before_high_punctuation_and_inside_quotes():
    assert french_typography("Statut : envoyé ; vu ? oui !") == (
        f"Statut{NBSP}: envoyé{NNBSP}; vu{NNBSP}? oui{NNBSP}!"
    )
    assert french_typography("« Confirmez »") == f"«{NBSP}Confirmez{NBSP}»"
    # Times, addresses and style rules are left alone.
    for untouched in ("à 19:02", "https://exemple.fr/a?b=1", "a:hover", "Voir:"):
        assert french_typography(untouched) == untouched


def test_decimal_comma_and_hours():
    assert decimal_fr(8.5) == "8,5"
    assert decimal_fr(1234.5) == f"1{NNBSP}234,5"
    assert decimal_fr(8.0) == "8"
    assert hours_fr(8.0) == f"8{NBSP}h"
    assert hours_fr(17.5) == f"17,5{NBSP}h"


def test_a_distance_keeps_its_unit_and_its_comma():
    assert distance_fr(12.0) == f"12{NBSP}km"
    assert distance_fr(7.5) == f"7,5{NBSP}km"
    assert distance_fr(12.4, 0) == f"12{NBSP}km"
    assert distance_fr(None) == "—"


def test_a_unit_never_starts_a_line_without_its_number():
    """Explanations written by the domain with ordinary spaces ("à 12 km", "8,5 h") reach
    pages through ``typo``: the unit stays with its number; words are left alone."""
    assert (
        french_typography("à 12 km, 8,5 h par semaine") == f"à 12{NBSP}km, 8,5{NBSP}h par semaine"
    )
    for untouched in ("8 heures", "3 hôtels", "12 kms", "à 19:02"):
        assert french_typography(untouched) == untouched


def test_help_under_a_field_is_set_the_french_way(client):
    """Help texts come from Python (forms' descriptions, macro arguments), which the
    templates' compile-time correction never sees: the macros pass them through ``typo``.
    The public CV form's help on the commune said « Arcachon » with ordinary spaces."""
    helps = [
        text
        for url in ("/deposer-mon-cv", "/exprimer-un-besoin")
        for text in re.findall(
            r'<p class="help"[^>]*>(.*?)</p>', client.get(url).get_data(as_text=True), re.S
        )
    ]
    assert len(helps) > 5
    for text in helps:
        assert not re.search(r"« | »| [:;?!](?=\s|$)", html.unescape(text)), text


def test_typo_keeps_safe_markup_safe():
    from markupsafe import Markup

    shown = french_typography(Markup("Voir <a href='/x'>le guide</a> : ici"))  # noqa: S704 — a literal of the test
    assert isinstance(shown, Markup)
    assert str(shown) == f"Voir <a href='/x'>le guide</a>{NBSP}: ici"


def test_plural_agreement_puts_zero_and_one_in_the_singular():
    assert plural(0, "entreprise trouvée") == "0 entreprise trouvée"
    assert plural(1, "candidat proposé") == "1 candidat proposé"
    assert plural(2, "candidat proposé") == "2 candidats proposés"
    assert plural(3, "candidat remplit", "candidats remplissent") == "3 candidats remplissent"


def test_days_ago_reads_as_people_say_it():
    assert days_ago(0) == "aujourd'hui"
    assert days_ago(1) == "hier"
    assert days_ago(5) == "il y a 5 jours"
    assert days_ago(-2) == "dans 2 jours"


def test_template_text_is_corrected_when_compiled(client):
    page = client.get("/connexion").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">') :]
    assert f"Une question{NNBSP}?" in footer
    assert "Une question ?" not in footer
    assert f"Accessibilité{NBSP}: partiellement conforme" in html.unescape(footer)


def test_mails_say_hours_the_french_way(app):
    from connectences.extensions import db
    from connectences.models import Need

    company = factories.company()
    factories.load(
        factories.document(
            companies=[company], needs=[factories.need(company=company["ref"], hours_per_week=8)]
        )
    )
    need = db.session.query(Need).one()
    text = app.jinja_env.from_string("{{ n.hours_per_week | heures }} par semaine").render(n=need)
    assert text == f"8{NBSP}h par semaine"
    for name in ("lead_sent", "referral_sent"):
        for ext in ("txt", "html"):
            source = Path(app.root_path, "templates", "mail", f"{name}.{ext}").read_text("utf-8")
            assert "h / semaine" not in source and "round(1)" not in source


def test_templates_show_hours_through_one_filter():
    """Hours shown to people go through ``heures`` (typography.hours_fr: decimal comma,
    no-break space), distances through ``km``; a value followed by a hand-written " h" or
    " km" ('%g' % ...) gave "8.5 h", "7.5 km"."""
    templates = Path(__file__).resolve().parents[1] / "connectences" / "templates"
    by_hand = re.compile(r"\}\}\s*(?:h|km)\b")
    found = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.*"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if by_hand.search(line)
    ]
    assert found == []


def test_a_mail_gives_fractional_hours_with_a_comma(app):
    text = app.jinja_env.get_template("mail/lead_accepted.txt").render(
        lead={"note": ""},
        title="Compta",
        link="https://exemple.fr/p/1",
        platform="Connect'ences",
        reach=[
            {
                "company": {"name": "Garage"},
                "need": {"title": "Compta", "hours_per_week": 8.5},
                "people": [],
                "work_place": "Arès",
            }
        ],
    )
    assert f"(8,5{NBSP}h par semaine)" in text


def test_no_status_sentence_mixes_genders():
    """ "État : Envoyé — reçue le" and "Envoyée, envoyée le" read wrong: the date comes
    with its noun ("proposition reçue le", "orientation du"), the state apart."""
    templates = Path(__file__).resolve().parents[1] / "connectences" / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for wrong in ("}} — reçue le", "}}, reçue le", "}}</strong> — reçue le", "— envoyée le"):
            assert wrong not in source, f"{path.name}: {wrong}"
        assert "</span>, envoyée le" not in source, path.name


def test_one_word_for_e_mail_in_what_people_read():
    """People read "e-mail", never "courriel" beside it (ids and URLs may keep it)."""
    root = Path(__file__).resolve().parents[1] / "connectences" / "templates"
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.*"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"courriel", re.sub(r'(id|href|aria-labelledby)="[^"]*"', "", line), re.I)
    ]
    assert found == []


def test_counts_agree_in_number_instead_of_a_parenthesised_s():
    """« 2 candidat(s) proposé(s) » read as a form letter: counts go through ``plural``
    (``pluriel`` in templates), and labels without a count are written in the plural."""
    root = Path(__file__).resolve().parents[1] / "connectences"
    written = re.compile(r"[^\W\d_]\(s\)")

    def texts(path: Path):
        """(line, text) of what a person may read: a template's lines, a module's strings."""
        source = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            yield from enumerate(source.splitlines(), 1)
            return
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                yield token.start[0], token.string

    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*"))
        if path.suffix in (".html", ".txt", ".py")
        for number, text in texts(path)
        # "http(s)" names a scheme, not a count.
        if written.search(text.replace("http(s)", ""))
    ]
    assert found == []


def test_the_operator_mail_counts_its_candidates_in_french(app):
    for count, words in ((1, "1 candidat proposé."), (2, "2 candidats proposés.")):
        lead = {"is_bundle": False, "needs": [], "candidates": [object()] * count, "note": ""}
        for ext in ("txt", "html"):
            text = app.jinja_env.get_template(f"mail/lead_sent.{ext}").render(
                lead=lead, link="https://exemple.fr/p/1", platform="Connect'ences", hours="8"
            )
            assert words in text and "(s)" not in text


def test_de_is_elided_before_a_vowel_or_a_mute_h():
    assert of_name("Inès Marchal") == "d'Inès Marchal"
    assert of_name("Élodie") == "d'Élodie"
    assert of_name("Hélène Roux") == "d'Hélène Roux"
    assert of_name("Yves") == "d'Yves"
    assert of_name("Yann Le Goff") == "de Yann Le Goff"
    assert of_name("Marc Dulucq") == "de Marc Dulucq"


def test_of_company_contracts_the_article_of_a_company_s_name():
    assert of_company("Le Bistrot du Port") == "du Bistrot du Port"
    assert of_company("LE FOURNIL") == "du FOURNIL"
    assert of_company("Les Viviers d'Arès") == "des Viviers d'Arès"
    assert of_company("La Poste") == "de La Poste"
    assert of_company("L'Atelier") == "de L'Atelier"
    assert of_company("Atelier Bois") == "d'Atelier Bois"
    assert of_company("Lego Club") == "de Lego Club"  # « Le » only as a word
    assert of_company("Le") == "de Le"  # a name that is only the article
    assert of_name("Le Goff") == "de Le Goff"  # a person keeps « de »


def test_error_messages_keep_their_quotes_and_colons_with_their_words(app):
    """A message computed by a rule ('ou « pas de période d'essai ».') reads with the
    template's typography in the summary and under its field: at 390 px its '»' no
    longer starts a line of its own."""
    message = "Indiquez-la : ou « pas de période d'essai »."
    expected = f"Indiquez-la{NBSP}: ou «{NBSP}pas de période d'essai{NBSP}»."
    with app.test_request_context():
        page = app.jinja_env.from_string(
            "{% from '_forms.html' import error_summary, field_error, form_error %}"
            "{{ error_summary({'essai': m}, {'essai': 'Essai'}) }}"
            "{{ error_summary({'autre': m}) }}{{ error_summary([('_', None, m)]) }}"
            "{{ field_error(m, 'essai') }}{{ form_error(m) }}"
        ).render(m=message)
    assert html.unescape(page).count(expected) == 5, page


def test_flashed_messages_keep_their_quotes_and_colons_with_their_words(app):
    """A flashed sentence ('choisissez d'abord « Accepter la proposition »') and its
    label ('Fait :') are set the French way, at the top of the page or in a section."""
    from flask import flash

    from connectences.web.actions import flash_in

    with app.test_request_context():
        flash("Choisissez d'abord « Accepter la proposition » : rien n'a été modifié.", "info")
        flash_in("contact", "Noté : « appel »", "success")
        page = app.jinja_env.from_string(
            "{% from '_flashes.html' import flash_message, section_flashes %}"
            "{% for c, m in get_flashed_messages(with_categories=true) if '#' not in c %}"
            "{{ flash_message(c, m) }}{% endfor %}{{ section_flashes('contact') }}"
        ).render()
    text = html.unescape(page)
    assert f"«{NBSP}Accepter la proposition{NBSP}»{NBSP}: rien" in text
    assert f"Information{NBSP}:" in text and f"Fait{NBSP}:" in text
    assert f"Noté{NBSP}: «{NBSP}appel{NBSP}»" in text


def test_a_text_too_long_is_refused_with_the_limit_and_the_count_typed():
    assert too_long("L'intitulé", "x" * 200, 200) is None and too_long("Le lieu", None, 5) is None
    assert too_long("L'intitulé", "x" * 300, 200) == (
        "L'intitulé ne doit pas dépasser 200 caractères (300 saisis)."
    )
    assert too_long("Les notes", "x" * 2001, 2000, plural=True) == (
        f"Les notes ne doivent pas dépasser 2{NNBSP}000 caractères (2{NNBSP}001 saisis)."
    )
