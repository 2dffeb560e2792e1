"""A form refused because someone else saved the record meanwhile
(``workflows.ChangedMeanwhile``) has nothing to correct: its error summary, the one
place that heads a refused form (``_forms.html``), reads « Rien n'a été enregistré : »
and the message, which never says it again."""

from __future__ import annotations

import pytest

from connectences.web.actions import changed_meanwhile
from connectences.web.content_staff import RESOURCE_MEANWHILE, TESTIMONIAL_MEANWHILE
from connectences.web.cv_public import PROFILE_MEANWHILE
from connectences.workflows import CHANGED_MEANWHILE, ChangedMeanwhile, TransitionError
from tests.helpers import page_text_of

SUMMARY = "{% from '_forms.html' import error_summary %}{{ error_summary(errors) }}"


def _summary(app, errors) -> str:
    with app.test_request_context():
        return page_text_of(app.jinja_env.from_string(SUMMARY).render(errors=errors))


def test_a_save_refused_as_changed_meanwhile_asks_nothing_to_be_corrected(app):
    message = changed_meanwhile("Ce besoin a été modifié", "Il indique maintenant : jours : lundi.")
    said = _summary(app, {"_": ChangedMeanwhile(message).message})
    assert said == (
        "Rien n'a été enregistré : Ce besoin a été modifié par quelqu'un d'autre depuis que "
        "vous avez ouvert la page. Il indique maintenant : jours : lundi. Ce que vous avez "
        "saisi est gardé ci-dessous : reprenez-y ce qui manque, puis enregistrez à nouveau."
    ), said


def test_points_to_correct_beside_a_changed_meanwhile_are_listed_after_it(app):
    errors = {"_": ChangedMeanwhile().message, "title": "Indiquez l'intitulé."}
    said = _summary(app, errors)
    assert said == (
        f"Rien n'a été enregistré : {CHANGED_MEANWHILE} Corrigez aussi ce point : "
        "Indiquez l'intitulé."
    ), said


def test_any_other_refusal_of_the_whole_form_still_asks_to_correct_it(app):
    said = _summary(app, {"_": TransitionError("Choisissez une date.").message})
    assert said == (
        "Le formulaire n'a pas été envoyé. Rien n'a été enregistré. Corrigez ce point : "
        "Choisissez une date."
    ), said


@pytest.mark.parametrize(
    "message",
    [
        changed_meanwhile("Cette fiche a été modifiée", "Elle est maintenant : X."),
        PROFILE_MEANWHILE,
        RESOURCE_MEANWHILE,
        TESTIMONIAL_MEANWHILE,
    ],
)
def test_no_changed_meanwhile_message_says_again_that_nothing_was_saved(message):
    assert "rien n" not in message.lower()
