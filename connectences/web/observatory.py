"""The intercommunality officer's area: the observatory of its territory's needs."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from connectences.extensions import db
from connectences.models import Commune, Company, Epci, Need
from connectences.vocab import NEED_STATUSES
from connectences.web.access import guard_blueprint

bp = Blueprint("observatory", __name__, url_prefix="/territoire")
guard_blueprint(bp, "territoire")


def _needs_of_epci(siren: str):
    """Needs whose place of work (the need's commune, else its company's) is in the EPCI."""
    place = func.coalesce(Need.commune, Company.commune)
    return (
        select(Need)
        .join(Company, Need.company_id == Company.id)
        .join(Commune, Commune.insee == place)
        .where(Commune.epci_siren == siren)
    )


@bp.route("")
def index():
    siren = current_user.epci_siren
    epci = db.session.get(Epci, siren) if siren else None
    by_status: dict[str, int] = {}
    by_commune: list[tuple[str, int]] = []
    if epci is not None:
        needs = _needs_of_epci(siren).subquery()
        by_status = dict(
            db.session.execute(select(needs.c.status, func.count()).group_by(needs.c.status)).all()
        )
        place = func.coalesce(Need.commune, Company.commune)
        by_commune = [
            (name, count)
            for name, count in db.session.execute(
                select(Commune.name, func.count(Need.id))
                .select_from(Need)
                .join(Company, Need.company_id == Company.id)
                .join(Commune, Commune.insee == place)
                .where(Commune.epci_siren == siren)
                .group_by(Commune.name)
                .order_by(func.count(Need.id).desc(), Commune.name)
            ).all()
        ]
    return render_template(
        "observatory/index.html",
        epci=epci,
        status_counts=[(key, label, by_status.get(key, 0)) for key, label in NEED_STATUSES.items()],
        total=sum(by_status.values()),
        by_commune=by_commune,
    )
