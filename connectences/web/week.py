"""« Compléter la semaine »: one page for the animateur (CV library) and for the operator
who placed the person; the rules are in ``matching.complete_week``."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from connectences import territory, vocab
from connectences.cvtheque.commitments import week_view
from connectences.cvtheque.status import status_words
from connectences.extensions import db
from connectences.matching.complete_week import fitting_bundles, fitting_needs
from connectences.models import Candidate, Commitment, Need


def render_complete_week(
    candidate: Candidate,
    *,
    back_url: str,
    staff: bool = True,
    label_shown: Callable[[Commitment], bool] | None = None,
):
    """The page: the person's week, the open needs that fit it, the bundles that would.
    ``label_shown``: which of the person's work the reader may see named
    (``commitments.week_view``; all of it for the staff)."""
    fits = fitting_needs(candidate, label_shown=label_shown)
    pooled = fitting_bundles(candidate)
    bundles = pooled.bundles
    refs = {ref for b in bundles for ref in b.needs}
    needs = (
        {
            n.ref: n
            for n in db.session.scalars(
                select(Need).options(joinedload(Need.company)).where(Need.ref.in_(refs))
            )
        }
        if refs
        else {}
    )
    return render_template(
        "week/complete.html",
        candidate=candidate,
        week=week_view(candidate, label_shown=label_shown),
        fits=fits,
        bundles=[(b, [needs[r] for r in b.needs if r in needs]) for b in bundles],
        bundles_truncated=pooled.truncated,
        open_to_work=candidate.status in vocab.OPEN_TO_WORK,
        statuses=vocab.CANDIDATE_STATUSES,
        situation=status_words(candidate),
        days=vocab.DAYS,
        commune_label=territory.commune_label,
        back_url=back_url,
        staff=staff,
    )
