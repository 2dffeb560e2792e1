"""An operator member follows a placement on a phone: the first point holds, the next one
(before the end of the trial period) says the recruitment does not hold, with its last day and the need searched again. Each
page fits 390 px without a sideways scroll and passes axe-core with no serious or
critical violation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models import Lead
from tests.browser.support import (
    PHONE,
    check,
    dates_without_format,
    describe,
    lead_to_accept,
    open_as,
)
from tests.helpers import sent_on

pytestmark = pytest.mark.browser


def _press(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).first.click()


def _sent_on(live_server, href: str, day) -> None:
    """Date the lead of ``href`` as sent on ``day``: a placement does not start before."""
    with live_server.app.app_context():
        sent_on(db.session.get(Lead, int(href.rstrip("/").rsplit("/", 1)[1])), day)
        db.session.commit()
        db.session.remove()


def test_operator_records_a_placement_that_does_not_hold_on_a_phone(page, live_server):
    open_as(page, live_server, "operator", PHONE)
    lead = lead_to_accept(page, live_server)
    start = local_today() - timedelta(days=100)
    _sent_on(live_server, lead, start)
    _press(page, "Accepter la proposition")
    # Its dates (start, contract's end, trial's end) say how a date is written.
    assert not dates_without_format(page), dates_without_format(page)
    # The start date, refused when empty, says in words that it is required.
    assert "(obligatoire)" in page.locator(".field", has=page.locator("#debut")).inner_text()
    page.get_by_label("Date de début").fill(start.isoformat())
    _press(page, "Enregistrer le placement")
    confirm = page.get_by_label(
        re.compile(r"^Je confirme ce placement (de |d').+ à .* par semaine$")
    )
    if confirm.count():
        confirm.check()
        _press(page, "Enregistrer le placement")
    errors = page.locator("main .form-error")
    assert not errors.count(), errors.first.inner_text()
    assert page.locator("main strong.status").first.inner_text() == "Placement enregistré", lead
    # The legal maximum of the trial period, proposed, is recorded with its reason.
    assert "durée maximale légale" in page.locator("main .placement-trial").inner_text()

    # One form: the 1-month point's; the later ones (the trial's end, 3 and 6 months)
    # wait for it.
    assert page.get_by_role("button", name="Enregistrer le suivi").count() == 1
    assert page.get_by_text("À remplir après le suivi à 1 mois.").count() == 3
    blocking = check(page, "suivi-a-remplir-390", "suivi à remplir (390 px)")
    page.get_by_label("Comment cela se passe pour l'entreprise").fill("Bonne intégration")
    page.get_by_label("Oui").check()
    _press(page, "Enregistrer le suivi")
    assert "Suivi à 1 mois enregistré." in page.content()

    # The next point is the one before the trial period ends, answered like the others.
    assert page.get_by_role("heading", name="Avant la fin de la période d'essai").count() == 1
    assert (
        page.get_by_text("À remplir après le suivi avant la fin de la période d'essai.").count()
        == 2
    )

    # An end date after today comes back next to its field, nothing recorded.
    page.get_by_label("Comment cela se passe pour l'entreprise").fill("La personne est partie")
    page.get_by_label("Non : le placement prend fin").check()
    page.get_by_label("Dernier jour travaillé").fill(
        (local_today() + timedelta(days=3)).isoformat()
    )
    _press(page, "Enregistrer le suivi")
    assert "ne peut pas être dans le futur" in page.content()
    assert not dates_without_format(page), dates_without_format(page)
    blocking += check(page, "suivi-fin-erreur-390", "suivi, date de fin refusée (390 px)")

    last_day = local_today() - timedelta(days=2)
    page.get_by_label("Dernier jour travaillé").fill(last_day.isoformat())
    assert page.get_by_label(
        "Le besoin de l'entreprise demeure : relancer la recherche"
    ).is_checked()
    _press(page, "Enregistrer le suivi")
    assert "Suivi avant la fin de la période d'essai enregistré." in page.content()
    text = " ".join(page.locator("main").inner_text().split())  # no-break spaces read as spaces
    assert f"Placement terminé le {last_day:%d/%m/%Y}" in text
    assert "Enregistré le" in text and "Plus à faire : le placement a pris fin" in text
    assert page.get_by_role("button", name="Enregistrer le suivi").count() == 0
    blocking += check(page, "suivi-placement-termine-390", "placement terminé (390 px)")
    assert not blocking, describe(blocking)
