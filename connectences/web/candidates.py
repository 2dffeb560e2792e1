"""A candidate's area: their profile as the platform holds it. Their self-service space
under their session (``/candidat/mon-espace``) is the personal-link space of
``cv_public``, served without a token."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from connectences.cvtheque.status import own_status_words
from connectences.extensions import db
from connectences.models import Candidate, Commune
from connectences.skills import rome_label
from connectences.vocab import CONTRACTS, DAYS, LEVELS
from connectences.web.access import guard_blueprint

bp = Blueprint("candidates", __name__, url_prefix="/candidat")
guard_blueprint(bp, "candidate")


@bp.route("")
def index():
    candidate = (
        db.session.get(Candidate, current_user.candidate_id) if current_user.candidate_id else None
    )
    commune = db.session.get(Commune, candidate.commune) if candidate else None
    return render_template(
        "candidates/index.html",
        candidate=candidate,
        commune=commune,
        levels=LEVELS,
        days=DAYS,
        contracts=CONTRACTS,
        situation=own_status_words(candidate) if candidate else None,
        rome_label=rome_label,
    )
