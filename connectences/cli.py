"""Command-line groups, one per area: `flask --app connectences <group> ...`.

Every command of these groups reads or writes the domain, so each one first checks that
the database is at this version's last migration (``schema.schema_problem``) and refuses
with the same French message as the web server and the scheduler, rather than fail with
a raw SQL error on a column a migration not yet run adds. ``SCHEMA_FREE`` names the few
that must run whatever the database says. Flask-Migrate's ``db`` group, which brings the
database up to date, is not one of these.
"""

from __future__ import annotations

import functools
from importlib import import_module

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from connectences.schema import schema_problem

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

# Commands run whatever the database's migration: the ones that never read it
# (``territory build`` writes a file; the ``bench`` measures below build their own
# temporary database) and ``jobs backup``, the copy made before an upgrade, on the
# database the new code does not expect yet.
SCHEMA_FREE: frozenset[str] = frozenset(
    {
        "territory build",
        "jobs backup",
        "bench matching",
        "bench quality",
        "bench search",
    }
)


def _schema_checked(callback):
    @functools.wraps(callback)
    @with_appcontext
    def checked(*args, **kwargs):
        problem = schema_problem(current_app._get_current_object())
        if problem:
            raise click.ClickException(problem)
        return callback(*args, **kwargs)

    checked.schema_checked = True
    return checked


def check_schema_first(command: click.Command, path: str = "") -> None:
    """Make ``command`` (each command of a group) refuse to run on a database
    ``schema_problem`` names, unless its path is in ``SCHEMA_FREE``. Idempotent: the
    command objects are the modules' own, registered again by each app built."""
    path = f"{path} {command.name}".strip()
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            check_schema_first(sub, path)
        return
    if path in SCHEMA_FREE or command.callback is None:
        return
    if not getattr(command.callback, "schema_checked", False):
        command.callback = _schema_checked(command.callback)


def register_commands(app: Flask) -> None:
    for module_name, attribute in COMMANDS:
        command = getattr(import_module(module_name), attribute)
        check_schema_first(command)
        app.cli.add_command(command)
