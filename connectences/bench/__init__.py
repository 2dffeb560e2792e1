"""Tooling around the matcher: benchmarks, synthetic data and labelled evaluation.

Nothing here is used by the application itself; ``flask --app connectences bench
...`` (``bench.cli``) runs it. Modules:

- ``synth``: seeded synthetic needs and candidates;
- ``matching``: speed of the matcher (index, naive loop, service on SQLite);
- ``pool``: speed of pooling open part-time needs;
- ``search``: speed of the CV library search;
- ``evaluation``: quality of the matcher on the labelled sets of ``data/``;
- ``suggestions``: precision of the ROME suggestions for need titles.

Every command prints one JSON object per line (``emit``).
"""

from __future__ import annotations

import json

import click


def emit(record: dict) -> None:
    """Print one measurement as a JSON line."""
    click.echo(json.dumps(record, ensure_ascii=False))
