"""The trial period's rule (``workflows.trial``): the longest trial the Code du travail
allows for each contract and level, at every boundary, and the point planned before it
ends."""

from __future__ import annotations

from datetime import date

import pytest

from connectences.workflows import trial

START = date(2027, 1, 4)  # a Monday


@pytest.mark.parametrize(
    "contract, level, end, months",
    [
        ("cdi", "non_qualifie", date(2027, 3, 3), 2),
        ("cdi", "employe_qualifie", date(2027, 3, 3), 2),
        ("cdi", "technicien", date(2027, 4, 3), 3),
        ("cdi", "cadre", date(2027, 5, 3), 4),
        # The CDI à temps partagé of a groupement d'employeurs is a CDI.
        ("cdi_temps_partage", "employe_qualifie", date(2027, 3, 3), 2),
        ("cdi_temps_partage", "technicien", date(2027, 4, 3), 3),
        ("cdi_temps_partage", "cadre", date(2027, 5, 3), 4),
    ],
)
def test_a_cdi_s_trial_depends_on_the_level(contract, level, end, months):
    proposal = trial.proposed_trial(contract, level, START, None)
    assert proposal.end == end
    assert f"{months} mois au plus" in proposal.reason
    assert "L1221-19" in proposal.reason


def test_a_cdi_s_months_are_calendar_months_clamped_to_the_month_s_end():
    # 31 December + 2 months: February has no 31st, so the trial ends on its last day
    # (it ended on the 27th, a day short: a trial agreed to the 28th was refused).
    assert trial.proposed_trial("cdi", "employe_qualifie", date(2026, 12, 31), None).end == (
        date(2027, 2, 28)
    )
    assert trial.proposed_trial("cdi", "employe_qualifie", date(2027, 12, 31), None).end == (
        date(2028, 2, 29)
    )
    # Renewed, 4 months from 31 October: an agreed trial may reach 28 February, no further.
    start = date(2026, 10, 31)
    longest = trial.longest_agreed("cdi", "employe_qualifie", start, None)
    assert longest.end == date(2027, 2, 28)
    assert trial.trial_problem(date(2027, 2, 28), start, None, longest) is None
    assert trial.trial_problem(date(2027, 3, 1), start, None, longest) is not None


@pytest.mark.parametrize(
    "term, end, days",
    [
        # One day per week of contract: 3 weeks, 3 days.
        (date(2027, 1, 24), date(2027, 1, 6), 3),
        # 6 days of contract: no whole week, no trial.
        (date(2027, 1, 9), None, 0),
        # Exactly one week: one day.
        (date(2027, 1, 10), date(2027, 1, 4), 1),
        # Exactly 6 months (to 3 July): capped at two weeks.
        (date(2027, 7, 3), date(2027, 1, 17), 14),
        # One day more than 6 months: 26 weeks, 26 days, under the month's cap.
        (date(2027, 7, 4), date(2027, 1, 29), 26),
        # 8 months: 34 weeks, capped at one month (4 January to 3 February).
        (date(2027, 9, 3), date(2027, 2, 3), 31),
    ],
)
def test_a_cdd_s_trial_is_a_day_a_week_within_its_cap(term, end, days):
    for contract in ("cdd", "saisonnier"):
        proposal = trial.proposed_trial(contract, "cadre", START, term)
        assert proposal.end == end
        assert "L1242-10" in proposal.reason
        if days:
            assert f"soit {days} jour" in proposal.reason
        else:
            assert "pas de période d'essai" in proposal.reason


@pytest.mark.parametrize(
    "term, end",
    [
        (date(2027, 1, 4), date(2027, 1, 5)),  # a day's mission: 2 days, the law's words
        (date(2027, 2, 3), date(2027, 1, 5)),  # exactly one month: 2 days
        (date(2027, 2, 4), date(2027, 1, 6)),  # one day more: 3 days
        (date(2027, 3, 3), date(2027, 1, 6)),  # exactly two months: 3 days
        (date(2027, 3, 4), date(2027, 1, 8)),  # beyond: 5 days
    ],
)
def test_a_mission_s_trial_is_counted_in_days(term, end):
    proposal = trial.proposed_trial("mission", "non_qualifie", START, term)
    assert proposal.end == end
    assert "L1251-14" in proposal.reason


def test_a_fixed_term_contract_of_unknown_length_gets_no_proposal():
    for contract in ("cdd", "saisonnier", "mission"):
        assert trial.proposed_trial(contract, "cadre", START, None) is None


def test_a_trial_out_of_its_contract_is_refused_in_french():
    assert trial.trial_problem(date(2027, 1, 3), START, None) == (
        "La période d'essai ne peut pas finir avant le début du contrat (le 04/01/2027)."
    )
    assert trial.trial_problem(date(2027, 2, 1), START, date(2027, 1, 31)) == (
        "La période d'essai ne peut pas finir après le dernier jour du contrat (le 31/01/2027)."
    )
    # Its first day and the contract's last day are possible last days.
    assert trial.trial_problem(START, START, date(2027, 1, 31)) is None
    assert trial.trial_problem(date(2027, 1, 31), START, date(2027, 1, 31)) is None


def test_the_point_is_due_a_week_before_the_trial_ends_never_before_its_start():
    assert trial.point_due(START, date(2027, 3, 3)) == date(2027, 2, 24)
    assert trial.point_due(START, date(2027, 1, 11)) == START  # 8 days: the start
    assert trial.point_due(START, date(2027, 1, 10)) == START  # a week
    assert trial.point_due(START, date(2027, 1, 5)) == START  # 2 days


def test_a_bundle_s_trial_is_read_for_its_highest_level():
    assert trial.placement_level(["employe_qualifie", "cadre", "technicien"]) == "cadre"
    assert trial.placement_level(["non_qualifie"]) == "non_qualifie"
    assert trial.placement_level([]) is None


def test_the_points_are_named_in_sentences():
    assert trial.point_label(trial.TRIAL_POINT) == "suivi avant la fin de la période d'essai"
    assert trial.point_label(3) == "suivi à 3 mois"


@pytest.mark.parametrize(
    "contract, level, term, longest",
    [
        # A CDI's trial renewed once (branch agreement): twice the months at most.
        ("cdi", "employe_qualifie", None, date(2027, 5, 3)),
        ("cdi_temps_partage", "technicien", None, date(2027, 7, 3)),
        ("cdi", "cadre", None, date(2027, 9, 3)),
        # A fixed-term contract's or a mission's maximum is never extended.
        ("cdd", "cadre", date(2027, 3, 28), date(2027, 1, 15)),
        ("mission", "employe_qualifie", date(2027, 1, 31), date(2027, 1, 5)),
    ],
)
def test_an_agreed_trial_may_not_run_beyond_what_the_law_allows(contract, level, term, longest):
    limit = trial.longest_agreed(contract, level, START, term)
    assert limit.end == longest
    assert trial.trial_problem(longest, START, term, limit) is None
    beyond = date.fromordinal(longest.toordinal() + 1)
    said = trial.trial_problem(beyond, START, term, limit)
    assert said.startswith(f"La période d'essai ne peut pas aller au-delà du {longest:%d/%m/%Y}. ")
    assert "article L12" in said


def test_an_agreed_trial_on_a_contract_without_one_is_refused():
    term = date(2027, 1, 8)  # five days: no week, no trial day
    limit = trial.longest_agreed("cdd", "employe_qualifie", START, term)
    assert limit.end is None
    said = trial.trial_problem(date(2027, 1, 5), START, term, limit)
    assert said == (
        "Contrat de moins d'une semaine : un jour d'essai par semaine de contrat, donc pas "
        "de période d'essai (article L1242-10 du Code du travail). Choisissez « pas de "
        "période d'essai »."
    )
    # Of unknown length, a fixed-term contract's longest trial cannot be said.
    assert trial.longest_agreed("cdd", "cadre", START, None) is None


def test_a_contract_of_months_ends_on_february_s_last_day_when_it_has_no_such_day():
    """A one-month mission starting 31 January works until 28 February: the commitment
    the placement gives the person ended on the 27th, a day of work unaccounted for."""
    from types import SimpleNamespace

    from connectences.workflows.leads import commitment_end

    one_month = [SimpleNamespace(duration_months=1)]
    assert commitment_end("cdd", date(2027, 1, 31), one_month) == date(2027, 2, 28)
    assert commitment_end("cdd", date(2027, 1, 4), one_month) == date(2027, 2, 3)
    assert commitment_end("mission", date(2028, 1, 31), []) == date(2028, 2, 29)
