"""The animateur's area: prospection and needs. The home page says first what is due
today (follow-ups, needs to qualify, proposals waiting on an operator or handed back),
each with a direct link, then the overall counts."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask_login import current_user

from connectences.clock import local_today
from connectences.extensions import db
from connectences.models.base import utcnow
from connectences.needs import board, register
from connectences.needs.listed import listed_needs
from connectences.prospection import visits as prospection
from connectences.vocab import LEAD_STATUSES, NEED_STATUSES, VISIT_CHANNELS
from connectences.web.access import guard_blueprint
from connectences.web.paging import paged
from connectences.workflows import LEAD_RETURNED, LEAD_UNANSWERED, NeedState, inboxes

bp = Blueprint("staff", __name__, url_prefix="/animateur")
guard_blueprint(bp, "animateur")

RETURNED_WITHIN_DAYS = 30
SHOWN = 3


@bp.route("")
def index():
    now = utcnow()
    # Same counting as the needs board: needs still awaiting their owner's confirmation
    # are not in the animateurs' queue.
    counts = board.state_counts(db.session, board.BoardFilters(), now=now)
    first_new = board.board_query(board.BoardFilters(waiting="animateur"), now=now, window=SHOWN)
    to_qualify = listed_needs(db.session.execute(paged(first_new, SHOWN, 0)).all())
    follow = prospection.follow_up_counts(
        db.session, current_user.id, today=local_today(), shown=SHOWN
    )
    unanswered_total, unanswered = inboxes.leads_in(
        db.session, LEAD_UNANSWERED, oldest_first=True, limit=SHOWN
    )
    returned_total, returned = inboxes.leads_in(
        db.session,
        LEAD_RETURNED,
        since=now - timedelta(days=RETURNED_WITHIN_DAYS),
        oldest_first=False,
        limit=SHOWN,
    )
    needs = register.latest_in_queue(db.session, limit=10)
    visits = prospection.latest_visits(db.session, limit=10)
    return render_template(
        "staff/index.html",
        status_counts=[(key, label, counts.get(key, 0)) for key, label in NEED_STATUSES.items()],
        total=sum(counts.values()),
        follow=follow,
        to_qualify=to_qualify,
        to_qualify_total=counts.get(NeedState.NOUVEAU, 0),
        unanswered=unanswered,
        unanswered_total=unanswered_total,
        returned=returned,
        returned_total=returned_total,
        returned_days=RETURNED_WITHIN_DAYS,
        lead_statuses=LEAD_STATUSES,
        needs=needs,
        visits=visits,
        statuses=NEED_STATUSES,
        channels=VISIT_CHANNELS,
    )
