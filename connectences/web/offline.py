"""Visits on the doorstep without network: "Préparer ma tournée", "Ma tournée" (the page
a phone keeps offline), and the JSON endpoints its scripts call.

- ``/animateur/tournee/preparer``: pick companies by commune, NAF or follow-up due;
  a plain GET form (the list shows without JavaScript); ``static/js/tournee-preparer.js``
  keeps the picked companies on the phone.
- ``/animateur/tournee``: the round, the offline visit and company forms and the queue
  of what waits to be sent; filled by ``static/js/tournee.js`` from the phone's store.
- ``/api/hors-ligne/...``: the round's data, the session check (fresh CSRF token), and
  the sync endpoint, which hands each record to ``prospection.offline.receive``.
  Under ``/api/`` an expired session answers 401 in JSON, so that the phone keeps its
  queue and asks to log in again.

Animateurs only: the queue is theirs, and admins log visits online.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from connectences import clock, territory, vocab
from connectences.contacts import phone_display
from connectences.extensions import db
from connectences.models import utcnow
from connectences.needs import form_rules
from connectences.prospection import companies as directory
from connectences.prospection import offline
from connectences.prospection import round as rounds
from connectences.prospection import visits as prospection
from connectences.prospection.pressure import OVER_CAP_REASON_MISSING
from connectences.web.access import guard_blueprint
from connectences.web.directory import helpers
from connectences.web.formats import local_date, local_datetime
from connectences.web.navigation import add_nav
from connectences.web.visits import need_form_url

bp = Blueprint("offline", __name__)
guard_blueprint(bp, "animateur", audit_action="offline_access_refused")
add_nav("animateur", "Préparer ma tournée", "offline.prepare")
add_nav("animateur", "Ma tournée", "offline.round_page")

MAX_RECORDS = 200
# The keys a phone says it still holds (sent or not): its whole queue, bounded.
MAX_HELD_KEYS = 2000
STATE_LABELS = {
    "ok": "Rien ne s'oppose à un contact",
    "warn": "Contactée récemment : confirmation nécessaire",
    "refuse": "Contact impossible",
}


def _filters_from_request() -> tuple[rounds.RoundFilters | None, dict, dict]:
    shown = {
        "commune": (request.args.get("commune") or "").strip()[:100],
        "naf": (request.args.get("naf") or "").strip()[:10],
        "relances": request.args.get("relances") == "1",
    }
    if not any(shown.values()):
        return None, shown, {}
    try:
        filters = rounds.parse_filters(shown["commune"], shown["naf"], shown["relances"])
    except rounds.RoundError as exc:
        return None, shown, exc.errors
    return filters, shown, {}


def _entries(filters: rounds.RoundFilters, refs: list[str] | None = None):
    return rounds.round_entries(
        db.session,
        filters,
        animateur_id=current_user.id,
        today=clock.local_today(),
        limit=int(current_app.config["OFFLINE_ROUND_MAX_COMPANIES"]),
        refs=refs,
    )


def last_contact_text(pressure) -> str | None:
    """ "12/05/2026 par Alice Martin — Porte à porte", or None when never contacted."""
    if pressure.last_contact_at is None:
        return None
    return (
        f"{local_date(pressure.last_contact_at)} par {pressure.last_contact_by} — "
        f"{pressure.last_channel_label}"
    )


# --- pages -------------------------------------------------------------------------------


@bp.route("/animateur/tournee/preparer")
def prepare():
    filters, shown, errors = _filters_from_request()
    entries, more = _entries(filters) if filters else ([], False)
    return render_template(
        "offline/prepare.html",
        filters=shown,
        errors=errors,
        searched=filters is not None,
        entries=entries,
        more=more,
        limit=current_app.config["OFFLINE_ROUND_MAX_COMPANIES"],
        hours=current_app.config["OFFLINE_ROUND_MAX_HOURS"],
        communes=territory.pays_communes_by_name(),
        state_labels=STATE_LABELS,
        last_contact_text=last_contact_text,
        activity_label=rounds.activity_label,
        **helpers(),
    )


@bp.route("/animateur/tournee")
def round_page():
    """The page a phone keeps for the round; everything personal comes from its store."""
    return render_template(
        "offline/round.html",
        communes=territory.pays_communes_by_name(),
        today=clock.local_today(),
        form_levels=vocab.LEVELS,
        form_contracts=vocab.CONTRACTS,
        form_reasons=vocab.REASONS,
        form_days=vocab.DAYS,
        need_required=form_rules.NEED_REQUIRED,
        need_start_in_past=form_rules.START_IN_PAST,
        hours_converted_out_of_bounds=form_rules.HOURS_CONVERTED_OUT_OF_BOUNDS,
        company_required=directory.COMPANY_REQUIRED,
        over_cap_reason_missing=OVER_CAP_REASON_MISSING,
        follow_up_missing=prospection.FOLLOW_UP_MISSING,
        **helpers(),
    )


# --- JSON ----------------------------------------------------------------------------------


@bp.route("/api/hors-ligne/session")
def session_check():
    """Who is logged in, with a fresh CSRF token for the sync (401 in JSON when not)."""
    return jsonify({"animateur": current_user.id, "csrf_token": generate_csrf(), "connecte": True})


@bp.route("/api/hors-ligne/tournee")
def round_data():
    """The picked companies of a round, as kept on the phone until ``expire_le``."""
    filters, _shown, errors = _filters_from_request()
    if filters is None:
        return jsonify(
            {"erreurs": errors or {"commune": "Choisissez d'abord les entreprises."}}
        ), 400
    refs = [ref[:100] for ref in request.args.getlist("ref")][:200] or None
    entries, _more = _entries(filters, refs)
    now = utcnow()
    expires = now + timedelta(hours=float(current_app.config["OFFLINE_ROUND_MAX_HOURS"]))
    return jsonify(
        {
            "animateur": current_user.id,
            "preparee_le": now.isoformat(),
            "expire_le": expires.isoformat(),
            "expire_texte": local_datetime(expires).replace(" ", " à "),
            "entreprises": [_entry_json(entry) for entry in entries],
        }
    )


def _entry_json(entry: rounds.RoundEntry) -> dict:
    company, pressure = entry.company, entry.pressure
    return {
        "ref": company.ref,
        "nom": company.name,
        "commune": helpers()["commune_label"](company.commune),
        "adresse": company.address,
        # The shop's or the switchboard's number, to call back a closed door: shown as
        # the company's page shows it, dialled as stored; its website, as stored (the
        # web-address rule only stores http and https links). None when not known.
        "telephone": phone_display(company.phone) if company.phone else None,
        "url_telephone": f"tel:{company.phone}" if company.phone else None,
        "site": company.website or None,
        "activite": rounds.activity_label(company),
        "siret": company.siret,
        "decision": pressure.decision,
        "etat": STATE_LABELS[pressure.decision],
        "raisons": list(pressure.reasons_offering(offline.OVER_CAP_ANYWAY)),
        # At its monthly cap alone: a visit may be noted with the company's agreement.
        "plafond_depassable": pressure.cap_may_be_passed,
        "dernier_contact": last_contact_text(pressure),
        "relance": local_date(entry.follow_up_on) if entry.follow_up_on else None,
        "url_visite": url_for("visits.new", entreprise=company.ref),
    }


@bp.route("/api/hors-ligne/envoi", methods=["POST"])
def sync():
    """Receive the records of a phone's queue; one outcome per record (see
    ``prospection.offline``). CSRF-protected: the token comes in the X-CSRFToken header."""
    body = request.get_json(silent=True)
    records = body.get("enregistrements") if isinstance(body, dict) else None
    if not isinstance(records, list) or len(records) > MAX_RECORDS:
        return jsonify(
            {"erreur": "Requête incorrecte", "message": "Liste d'enregistrements illisible."}
        ), 400
    config = current_app.config
    limits = offline.Limits(
        now=utcnow(),
        today=clock.local_today(),
        max_age=timedelta(days=int(config["OFFLINE_MAX_AGE_DAYS"])),
        clock_drift=timedelta(minutes=int(config["OFFLINE_CLOCK_DRIFT_MINUTES"])),
    )
    animateur = current_user._get_current_object()
    held = _held_keys(body, records)
    results = [
        _receive_one(record, animateur, limits, held) for record in offline.order_records(records)
    ]
    # A visit whose need came with it (or waits on the phone to be corrected) is not
    # offered "describe the need" online: that would invite the same need twice.
    described = _visits_with_a_need(records)
    for answer in results:
        if answer.get("cle") in described:
            answer.pop("url_besoin", None)
    return jsonify({"resultats": results})


def _visits_with_a_need(records: list) -> set[str]:
    """The keys of the visits a need record of this sending names (``visite_cle``)."""
    return {
        record["donnees"]["visite_cle"]
        for record in records
        if isinstance(record, dict)
        and record.get("type") == "besoin"
        and isinstance(record.get("donnees"), dict)
        and isinstance(record["donnees"].get("visite_cle"), str)
    }


def _held_keys(body: dict, records: list) -> frozenset[str] | None:
    """The keys of every record the phone still holds (``cles_sur_le_telephone``), with
    those it sends; None when it did not say (an older page): nothing is then refused for
    naming a record the phone may still hold."""
    listed = body.get("cles_sur_le_telephone")
    if not isinstance(listed, list) or len(listed) > MAX_HELD_KEYS:
        return None
    keys = {key for key in listed if isinstance(key, str)}
    keys.update(
        record["cle"]
        for record in records
        if isinstance(record, dict) and isinstance(record.get("cle"), str)
    )
    return frozenset(keys)


def _receive_one(record, animateur, limits, held) -> dict:
    for _attempt in range(2):
        try:
            outcome = offline.receive(
                db.session, record, animateur=animateur, limits=limits, held=held
            )
            answer = _outcome_json(outcome)
            if outcome.status == offline.STORED:
                db.session.commit()
            else:
                db.session.rollback()
            return answer
        except IntegrityError:
            # Another request (a second tab, background sync) stored this key meanwhile.
            db.session.rollback()
            replayed = offline.replay(db.session, record.get("cle"), animateur)
            if replayed is not None:
                return _outcome_json(replayed)
    return {
        "cle": record.get("cle"),
        "statut": offline.INVALID,
        "message": "Enregistrement en conflit avec un autre envoi : réessayez.",
        "erreurs": {},
        "raisons": [],
    }


def _outcome_json(outcome: offline.Outcome) -> dict:
    answer = {
        "cle": outcome.key,
        "statut": outcome.status,
        "message": outcome.message,
        "erreurs": outcome.errors,
        "raisons": outcome.reasons,
    }
    if outcome.cap_may_be_passed:
        answer["plafond_depassable"] = True
    if outcome.done and outcome.company is not None:
        answer["entreprise"] = {
            "ref": outcome.company.ref,
            "nom": outcome.company.name,
            "url": url_for("directory.show", ref=outcome.company.ref),
        }
    if outcome.done and outcome.visit is not None:
        visit = outcome.visit
        answer["visite"] = {"id": visit.id, "date": local_date(visit.visited_on)}
        if visit.need_detected and outcome.need is None:
            answer["url_besoin"] = need_form_url(visit.company.ref, visit.id)
    if outcome.done and outcome.need is not None:
        answer["besoin"] = {
            "ref": outcome.need.ref,
            "url": url_for("needs.show", ref=outcome.need.ref),
        }
    if outcome.recorded_at is not None:
        answer["enregistre_le"] = local_datetime(outcome.recorded_at)
    return answer
