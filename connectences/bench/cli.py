"""`flask --app connectences bench matching|quality|search|seed|load|observatory`: the one
`bench` group."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.engine import make_url

from connectences.bench import emit
from connectences.bench.concurrency import run_concurrency
from connectences.bench.evaluation import run_quality
from connectences.bench.load import MIX, REFERENCES, plan_accounts, run_load
from connectences.bench.matching import run_matching, run_service
from connectences.bench.observatory import MEASURES, run_observatory
from connectences.bench.pages import PAGES, WRITES, run_pages
from connectences.bench.search import run_search
from connectences.bench.seed import AlreadySeeded, run_seed
from connectences.extensions import db
from connectences.models import Company

bench_cli = AppGroup("bench", help="Mesures de vitesse et de qualité.")


@bench_cli.command("matching", help="Vitesse du matching sur des données synthétiques.")
@click.option("--candidates", default=100_000, show_default=True, type=click.IntRange(min=1))
@click.option("--repeats", default=15, show_default=True, type=click.IntRange(min=1))
@click.option("--needs", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--naive-repeats", default=3, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--scaling",
    default="12500,25000,50000,100000,200000",
    show_default=True,
    help="Tailles (séparées par des virgules) ; vide pour ne pas mesurer.",
)
@click.option("--pool-needs", default=5000, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--db-candidates",
    default=20_000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Candidats écrits dans une base SQLite jetable pour mesurer le service (0 : non).",
)
@click.option("--seed", default=7, show_default=True)
def matching_command(
    candidates, repeats, needs, naive_repeats, scaling, pool_needs, db_candidates, seed
):

    sizes = tuple(int(s) for s in scaling.split(",") if s.strip())
    run_matching(
        candidates=candidates,
        repeats=repeats,
        needs=needs,
        naive_repeats=naive_repeats,
        scaling=sizes,
        pool_needs=pool_needs,
        seed=seed,
    )
    if db_candidates:
        run_service(candidates=db_candidates, repeats=repeats, seed=seed)


@bench_cli.command("quality", help="Qualité du matching et des suggestions sur les jeux évalués.")
@click.option("--set", "set_dir", default=None, help="Dossier d'un autre jeu évalué (général).")
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1))
def quality_command(set_dir, k):
    for record in run_quality(set_dir, k=k):
        emit(record)


@bench_cli.command("search", help="Vitesse de la recherche dans la CVthèque.")
@click.option("--size", default=100_000, show_default=True, type=click.IntRange(min=1))
@click.option("--repeats", default=9, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=7, show_default=True)
def search_command(size: int, repeats: int, seed: int) -> None:
    run_search(size=size, repeats=repeats, seed=seed)


@bench_cli.command("seed", help="Remplit la base d'un territoire de la taille d'une région.")
@click.option("--candidates", default=100_000, show_default=True, type=click.IntRange(min=0))
@click.option("--needs", default=10_000, show_default=True, type=click.IntRange(min=0))
@click.option("--visits", default=50_000, show_default=True, type=click.IntRange(min=0))
@click.option("--companies", default=20_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=11, show_default=True)
@with_appcontext
def seed_command(candidates, needs, visits, companies, seed):
    if current_app.config.get("CONNECTENCES_ENV") == "production":
        raise click.ClickException(
            "Les données de mesure ne se chargent pas sur une installation de production."
        )
    try:
        for record in run_seed(
            db.session,
            candidates=candidates,
            needs=needs,
            visits=visits,
            companies=companies,
            seed=seed,
        ):
            emit(record)
    except AlreadySeeded as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error


@bench_cli.command("load", help="Les pages sous charge (locust, gunicorn à 2 workers, en local).")
@click.option("--users", default=16, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--duration",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Secondes de mesure de hello et de chaque page seule.",
)
@click.option(
    "--mix-duration",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="Secondes du mélange pondéré des parcours (0 : pas de mélange).",
)
@click.option(
    "--pages",
    default="",
    help="Pages mesurées seules, séparées par des virgules (vide : toutes ; « aucune »).",
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--warm",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="Secondes d'échauffement (connexions) non comptées au début de chaque phase.",
)
@with_appcontext
def load_command(users, duration, mix_duration, pages, workers, warm):
    chosen = [] if pages.strip() == "aucune" else _chosen(pages, [*REFERENCES, *MIX])
    for record in run_load(
        current_app._get_current_object(),
        users=users,
        duration=duration,
        mix_duration=mix_duration,
        pages=chosen,
        workers=workers,
        warm=warm,
    ):
        emit(record)


@bench_cli.command(
    "concurrency", help="Dépôts simultanés (CV, besoins, visites) : chacun enregistré une fois."
)
@click.option("--clients", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--seconds", default=60, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def concurrency_command(clients, seconds):
    app = current_app._get_current_object()
    companies = list(
        db.session.scalars(
            select(Company.ref)
            .where(Company.do_not_solicit.is_(False), Company.max_contacts_per_month.is_(None))
            .limit(500)
        )
    )
    if not companies:
        raise click.ClickException(
            "Aucune entreprise : lancez d'abord `flask --app connectences bench seed`."
        )
    db.session.remove()
    outcome = run_concurrency(
        app,
        clients=clients,
        seconds=seconds,
        login=tuple(plan_accounts()["animateur"]),
        companies=companies,
    )
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    for record in outcome.records(seconds, clients, database):
        emit(record)
    for error in outcome.other_errors[:5]:
        click.echo(error, err=True)
    if not outcome.ok:
        raise SystemExit(1)


@bench_cli.command("pages", help="Ce que coûte une requête de chaque page (CPU, SQL), sans charge.")
@click.option("--repeats", default=7, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--pages",
    default="",
    help="Pages mesurées, séparées par des virgules (vide : toutes).",
)
@with_appcontext
def pages_command(repeats, pages):

    chosen = _chosen(pages, {**PAGES, **WRITES})
    for record in run_pages(current_app._get_current_object(), repeats=repeats, pages=chosen):
        emit(record)


@bench_cli.command(
    "observatory", help="Temps de chaque vue de l'observatoire et du diagnostic (médianes)."
)
@click.option("--candidates", default=100_000, show_default=True, type=click.IntRange(min=0))
@click.option("--needs", default=10_000, show_default=True, type=click.IntRange(min=0))
@click.option("--visits", default=50_000, show_default=True, type=click.IntRange(min=0))
@click.option("--companies", default=20_000, show_default=True, type=click.IntRange(min=1))
@click.option("--questionnaires", default=2_000, show_default=True, type=click.IntRange(min=0))
@click.option("--repeats", default=7, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=11, show_default=True)
@click.option(
    "--measures",
    default="",
    help=f"Mesures faites, séparées par des virgules : {', '.join(MEASURES)} (vide : toutes).",
)
@with_appcontext
def observatory_command(
    candidates, needs, visits, companies, questionnaires, repeats, seed, measures
):
    if current_app.config.get("CONNECTENCES_ENV") == "production":
        raise click.ClickException(
            "Les données de mesure ne se chargent pas sur une installation de production."
        )
    app = current_app._get_current_object()
    db.session.remove()
    for record in run_observatory(
        app,
        repeats=repeats,
        candidates=candidates,
        needs=needs,
        visits=visits,
        companies=companies,
        questionnaires=questionnaires,
        seed=seed,
        measures=_chosen(measures, MEASURES, "--measures", "mesures"),
    ):
        emit(record)


def _chosen(value: str, known, option: str = "--pages", what: str = "pages") -> list[str]:
    """The names given to ``option`` (comma-separated; empty: all of ``known``), ``what``
    naming them in the message refusing unknown ones."""
    chosen = [p.strip() for p in value.split(",") if p.strip()] or list(known)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise click.BadParameter(
            f"{what} inconnues : {', '.join(unknown)} (connues : {', '.join(known)})",
            param_hint=option,
        )
    return chosen
