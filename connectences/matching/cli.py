"""`flask --app connectences match NEED_REF`: the matcher from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from connectences.matching.service import UnknownRef, explain_candidate, match_need
from connectences.typography import decimal_fr, plural


def _print_human(result: dict) -> None:
    click.echo(f"Besoin {result['need']} : {plural(len(result['matches']), 'candidat proposé')}.")
    for rank, match in enumerate(result["matches"], 1):
        click.echo(f"{rank:>3}. {match['candidate']} — {decimal_fr(match['score'])}/100")
        for entry in match["explanation"]:
            click.echo(f"       {decimal_fr(entry['points']):>4} {entry['text']}")


def _print_explain(result: dict) -> None:
    click.echo(f"Besoin {result['need']}, candidat {result['candidate']} :")
    for check in result["checks"]:
        click.echo(f"  [{'ok' if check['ok'] else 'NON'}] {check['text']}")
    click.echo(result["summary"])
    for entry in result["explanation"] or []:
        click.echo(f"  {entry['points']:>3} {entry['text']}")


@click.command("match", help="Candidats proposés pour un besoin, avec l'explication du score.")
@click.argument("need_ref")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--explain",
    "candidate_ref",
    default=None,
    help="Dire pourquoi ce candidat est, ou n'est pas, proposé pour le besoin.",
)
@with_appcontext
def match_cli(need_ref: str, as_json: bool, limit: int, candidate_ref: str | None) -> None:

    try:
        if candidate_ref:
            result = explain_candidate(need_ref, candidate_ref)
        else:
            result = match_need(need_ref, limit=limit)
    except UnknownRef as error:
        click.echo(f"Erreur : {error}", err=True)
        raise SystemExit(1) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif candidate_ref:
        _print_explain(result)
    else:
        _print_human(result)
