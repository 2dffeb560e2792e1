"""What every part of the demo shares: its seed, its refs, its data files and small helpers."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from connectences import vocab
from connectences.text import slug, strip_accents  # noqa: F401 (re-exported to the demo modules)

DEMO_SEED = 3309
DEMO_PREFIX = "demo-"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
ALL_DAYS = list(vocab.DAYS)

# The hand-written tables of the demo (see data/README.md); shipped with the package.
DATA_DIR = Path(__file__).resolve().parent / "data"


def load_json(name: str):
    """The parsed content of ``data/<name>``."""
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def load_csv(name: str) -> list[dict[str, str]]:
    """The rows of ``data/<name>``, each a dict keyed by the header."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def as_tuples(item: dict) -> dict:
    """A record of a data file with its lists made tuples, for a frozen dataclass."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in item.items()}


def company_ref(name: str) -> str:
    """The ref of the demo company called ``name``."""
    return DEMO_PREFIX + "ent-" + slug(name)


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    """One key of ``weights``, drawn in proportion to its value."""
    return rng.choices(list(weights), weights=list(weights.values()), k=1)[0]


def ordered_days(days) -> list[str]:
    """``days`` in the order of the week."""
    return [day for day in ALL_DAYS if day in set(days)]
