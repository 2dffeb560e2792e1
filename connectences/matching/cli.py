"""The matcher, the router and the pooling from the command line:
`flask --app connectences match NEED_REF`, `route NEED_REF` and `pool`."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from connectences.matching.matches import UnknownRef, explain_candidate, match_need
from connectences.matching.open_bundles import BundleFilters, pool_open_needs
from connectences.matching.pool import truncated_notice
from connectences.matching.routing import route_need
from connectences.typography import decimal_fr, plural
from connectences.vocab import DAYS


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
        click.echo(f"  {decimal_fr(entry['points']):>4} {entry['text']}")


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


@click.command("route", help="Orientation d'un besoin : opérateur ou partenaire, avec les raisons.")
@click.argument("need_ref")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@with_appcontext
def route_cli(need_ref: str, as_json: bool) -> None:

    try:
        result = route_need(need_ref)
    except UnknownRef as error:
        click.echo(f"Erreur : {error}", err=True)
        raise SystemExit(1) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if result["decision"] == "operator":
        click.echo(f"Besoin {result['need']} : proposé à l'opérateur {result['operator']}.")
    elif result["partner"]:
        click.echo(f"Besoin {result['need']} : réorienté vers le partenaire {result['partner']}.")
    else:
        click.echo(f"Besoin {result['need']} : à réorienter, partenaire à choisir par l'animateur.")
    for reason in result["reasons"]:
        click.echo(f"  - {reason}")


@click.command("pool", help="Lots de besoins à temps partiel qui font un poste en temps partagé.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--details", is_flag=True, help="Ajouter le score et ses raisons à la sortie JSON.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Nombre de lots au plus.")
@click.option(
    "--metier", default="", help="Seulement les besoins de ce code ROME (ou de son début)."
)
@click.option("--commune", default="", help="Seulement les besoins de cette commune (code INSEE).")
@with_appcontext
def pool_cli(as_json: bool, details: bool, limit: int | None, metier: str, commune: str) -> None:

    filters, _refused = BundleFilters.from_args({"metier": metier, "commune": commune})
    if metier.strip() and not filters.rome:
        raise click.BadParameter("un code ROME (M1203) ou son début (M12).", param_hint="--metier")
    if commune.strip() and not filters.commune:
        raise click.BadParameter("le code INSEE d'une commune du Pays.", param_hint="--commune")
    result = pool_open_needs(details=details or not as_json, filters=filters)
    if limit is not None:
        result["bundles"] = result["bundles"][:limit]
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{plural(len(result['bundles']), 'lot')} de besoins en temps partagé.")
    if result["truncated"]:
        click.echo(truncated_notice(len(result["bundles"])))
    for rank, bundle in enumerate(result["bundles"], 1):
        days = ", ".join(DAYS[d] for d in bundle["days"])
        click.echo(
            f"{rank:>3}. {' + '.join(bundle['needs'])} — {bundle['hours']} h ({days}), "
            f"{bundle['score']}/100, {plural(len(bundle['candidates']), 'candidat')}"
        )
        for reason in bundle["reasons"]:
            click.echo(f"       {reason}")
