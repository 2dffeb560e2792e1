"""Command-line groups, one per area: `flask --app connectences <group> ...`."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# (module, attribute) of each click command or group; each area owns its own.
COMMANDS: list[tuple[str, str]] = [
    ("connectences.territory.cli", "territory_cli"),
    ("connectences.accounts.cli", "users_cli"),
    ("connectences.organisations.cli", "organisations_cli"),
    ("connectences.exchange.cli", "exchange_cli"),
    ("connectences.demo.cli", "demo_cli"),
    ("connectences.mail.cli", "mail_cli"),
    ("connectences.matching.cli", "match_cli"),
    ("connectences.bench.cli", "bench_cli"),
    ("connectences.matching.cli", "route_cli"),
    ("connectences.matching.cli", "pool_cli"),
    ("connectences.jobs.cli", "jobs_cli"),
    ("connectences.jobs.cli", "scheduler_cli"),
    ("connectences.observatory.cli", "observatory_cli"),
    ("connectences.cvtheque.cli", "cv_cli"),
]


def register_commands(app: Flask) -> None:
    for module_name, attribute in COMMANDS:
        app.cli.add_command(getattr(import_module(module_name), attribute))
