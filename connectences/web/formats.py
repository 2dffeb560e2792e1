"""Template filters that show dates and times as people of the territory read them.

Stored instants are UTC; a person in Arcachon reads Europe/Paris time, French style.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from connectences import dates, numbers, vocab
from connectences.clock import LOCAL_TZ
from connectences.contacts import phone_display
from connectences.matching.score import WEIGHTS
from connectences.prospection.companies import siret_display
from connectences.typography import (
    FrenchTypography,
    days_ago,
    decimal_input,
    distance_fr,
    french_typography,
    hours_fr,
    month_fr,
    of_name,
    plural,
    time_slot,
)
from connectences.typography import decimal_fr as french_number
from connectences.workflows import read_stamp, read_values


def local_datetime(value: datetime | None, empty: str = "—") -> str:
    """``26/11/2026 14:05`` in Paris time for an aware UTC instant."""
    if value is None:
        return empty
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d/%m/%Y %H:%M")


def local_datetime_words(value: datetime | None, empty: str = "—") -> str:
    """``26/11/2026 à 14:05`` in Paris time, for sentences."""
    if value is None:
        return empty
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d/%m/%Y à %H:%M")


def local_date(value: date | datetime | None, empty: str = "—") -> str:
    """``26/11/2026``; an instant is first brought to Paris time (late UTC evenings)."""
    if value is None:
        return empty
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d/%m/%Y")


def phone_ending(value: str | None) -> str:
    """The last two digits of a number (``44``): enough for its owner to recognise it,
    and nothing for whoever else holds a link before the address is proven."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return digits[-2:]


def days_label(days) -> str:
    """The working days in week order, ``lundi, mardi``; a dash when none."""
    return ", ".join(label for key, label in vocab.DAYS.items() if key in (days or ())) or "—"


def score_max(criterion: str) -> int | None:
    """The most points a criterion of the score gives (None: an entry of no points, a
    requirement set aside or an unknown distance)."""
    return WEIGHTS.get(criterion)


def month_end_label(day) -> str:
    """``Fin novembre 2026 (30/11/2026)``: a month end offered in a list of dates."""
    return f"Fin {month_fr(day.year, day.month)} ({local_date(day)})"


def register_formats(app: Flask) -> None:
    app.add_template_filter(month_end_label, "fin_de_mois")
    app.add_template_filter(phone_display, "phone_fr")
    app.add_template_filter(phone_ending, "fin_de_numero")
    app.add_template_filter(siret_display, "siret_fr")
    app.add_template_filter(local_datetime, "datetime_fr")
    app.add_template_filter(local_date, "date_fr")
    app.add_template_filter(time_slot, "creneau_fr")
    app.add_template_filter(french_number, "nombre_fr")
    app.add_template_filter(decimal_input, "nombre_saisi")
    app.add_template_filter(french_typography, "typo")
    app.add_template_filter(dates.with_typed_format, "avec_format_date")
    app.add_template_filter(plural, "pluriel")
    app.add_template_filter(hours_fr, "heures")
    app.add_template_filter(distance_fr, "km")
    app.add_template_filter(days_label, "jours")
    app.add_template_filter(of_name, "de")
    app.add_template_filter(lambda code: vocab.label(vocab.CONTRACTS, code), "contrat")
    app.add_template_global(days_ago, "age_fr")
    app.add_template_global(score_max, "score_max")
    app.add_template_global(read_stamp, "read_stamp")
    app.add_template_global(read_values, "read_values")
    # How hours may be counted (the need forms' « heures par mois »): weeks, labels.
    app.add_template_global(numbers.PERIODS, "hours_periods")
    app.add_template_global(numbers.PERIOD_LABELS, "hours_period_labels")
    app.jinja_env.add_extension(FrenchTypography)
