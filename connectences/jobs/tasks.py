"""The scheduled jobs themselves: each takes a ``JobContext`` and returns its counts.

Every job is idempotent: what it sends once is recorded (``JobNotice``, or
``FollowUpPoint.reminded_at``) in the same transaction as the mail it queues, and
what it closes or deletes is no longer selected by the next run. Side effects
outside the database (SMTP, files) are skipped when ``ctx.dry_run`` is set; the
runner rolls back the database work of a dry run.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
from flask import current_app
from sqlalchemy import delete, select

from connectences import config, vocab
from connectences.accounts import held_forms, link_requests, shown_once, throttle
from connectences.accounts.audit import audit
from connectences.accounts.sessions import Lifetimes, purge_sessions
from connectences.accounts.users import WORKING_ACCOUNT, is_working
from connectences.clock import LOCAL_TZ, kept_since, local_date
from connectences.content import callbacks, photos, resources
from connectences.cvtheque import files, retention, stored_files
from connectences.cvtheque.restamp import restamp_skills
from connectences.cvtheque.status import settle_ended_work
from connectences.dates import first_kept
from connectences.events import retention as event_retention
from connectences.events.registrations import send_reminders as send_event_reminders
from connectences.jobs import backups
from connectences.jobs.runner import JobContext, JobRun
from connectences.mail import MailKind, deliver_due, queue_mail
from connectences.mail import retention as mail_retention
from connectences.matching.matches import match_need
from connectences.models import (
    AuditLog,
    Candidate,
    Company,
    FollowUpPoint,
    Lead,
    Need,
    OutboxMessage,
    Placement,
    Referral,
    User,
    Visit,
)
from connectences.needs.register import delete_unconfirmed as delete_unconfirmed_needs
from connectences.needs.register import forget_space_links
from connectences.needs.retention import erase_closed_needs
from connectences.newsletter import issues as newsletter_issues
from connectences.observatory.report import monthly_report, render_html
from connectences.observatory.tables import PROTECTION_NOTE
from connectences.prospection.companies import delete_forgotten_provisional
from connectences.prospection.retention import delete_dormant_contacts, delete_old_visits
from connectences.text import sort_key
from connectences.typography import decimal_fr
from connectences.urls import external_url
from connectences.workflows import (
    LEAD,
    LEAD_UNANSWERED,
    NEED_SEARCHING,
    REFERRAL,
    REFERRAL_UNANSWERED,
    ChangedMeanwhile,
    LeadState,
    ReferralState,
    transition,
)
from connectences.workflows.leads import (
    back_to_search,
    creator_reply_to,
    need_link,
    point_to_record,
)
from connectences.workflows.trial import point_label

# Years are filled in on demand by the ``holidays`` package.
_FRENCH_HOLIDAYS = holidays.country_holidays("FR")


# --- small helpers -----------------------------------------------------------------


def is_working_day(day: date) -> bool:
    """Monday to Friday, except French public holidays (``holidays`` package, metropolitan
    France: 1 January, Easter and Whit Mondays, 1 and 8 May, Ascension, 14 July,
    15 August, 1 and 11 November, 25 December)."""
    return day.weekday() < 5 and day not in _FRENCH_HOLIDAYS


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (weekends and public holidays skipped)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current


def _user_email(ctx: JobContext, user_id: int | None) -> str | None:
    """The address of the account ``user_id`` when someone logs in with it
    (``users.is_working``); None for a disabled one, or one invited and never opened."""
    if user_id is None:
        return None
    user = ctx.session.get(User, user_id)
    return user.email if is_working(user) else None


def _notify_once(
    ctx: JobContext,
    kind: MailKind,
    key: str,
    to: str | None,
    subject: str,
    body: str,
    candidate_id: int | None = None,
    body_html: str | None = None,
    reply_to: str | None = None,
) -> bool:
    """Queue the mail and record the notice, unless it was already sent; True if queued.

    The notice is recorded under the mail's kind.
    """
    if not to or ctx.already_noticed(kind, key):
        return False
    queue_mail(
        ctx.session,
        kind=kind,
        to=to,
        subject=subject,
        body_text=body,
        body_html=body_html,
        candidate_id=candidate_id,
        reply_to=reply_to,
    )
    ctx.note_notice(kind, key)
    return True


def _close_unanswered(
    ctx: JobContext, row, workflow, state, *, nobody: str, after: timedelta, needs, why: str
) -> int | None:
    """Close a lead or referral left unanswered (``sans_suite``, the reason naming
    ``nobody`` who did not answer in ``after``) and put its needs back in the search;
    the number of needs released.

    One unit of its own (a savepoint): when the record or one of its needs changed
    while the job ran (the operator answered, the animateur abandoned a need of the
    bundle), that change stands, nothing of this closing is kept, the others of the run
    go on, and None is returned; the next run reads the record again."""
    try:
        with ctx.session.begin_nested():
            transition(
                ctx.session,
                row,
                workflow,
                state,
                reason_text=f"Clôturée automatiquement : pas de {nobody} {after.days} "
                "jours après l'envoi.",
            )
            return back_to_search(ctx.session, needs, why=why)
    except ChangedMeanwhile:
        ctx.log.info(
            "%s: %s %s or one of its needs changed while it was being closed; "
            "left for the next run",
            ctx.job_id,
            workflow.entity,
            row.id,
        )
        # What the savepoint wrote through the compare-and-set is no pending change
        # the rollback would expire: the objects read the database again when next used.
        for stale in (row, *needs):
            ctx.session.expire(stale)
        return None


# --- mail_outbox ---------------------------------------------------------------------


def mail_outbox(ctx: JobContext) -> dict:
    """Queue the personal links asked for since the last run
    (``accounts.link_requests.resolve_due``), then deliver the outbox messages that are
    due (see ``mail.sender.deliver_due``)."""
    if ctx.dry_run:
        due = ctx.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= ctx.now
            )
        ).all()
        return {"due": len(due), "links_asked": link_requests.pending(ctx.session)}
    links = link_requests.resolve_due(ctx.session)
    report = deliver_due(ctx.session, now=ctx.now)
    return {
        "links_mailed": links,
        "sent": report.sent,
        "retried": report.retried,
        "failed": report.failed,
        "released": report.released,
        "skipped": report.skipped,
    }


def newsletter_sending(ctx: JobContext) -> dict:
    """Send the newsletter issues asked for (``newsletter.issues.send_queued``): by
    batches, each committed with its mails, so that an interrupted run goes on from its
    last batch and no company gets an issue twice."""
    if ctx.dry_run:
        pending = newsletter_issues.sending_issues(ctx.session)
        return {"issues": len(pending)}
    return newsletter_issues.send_queued(ctx.session, today=ctx.today)


# --- lead_escalation ---------------------------------------------------------------------


def _lead_titles(lead: Lead) -> str:
    return "\n".join(f"- {item.need.title} — {item.need.company.name}" for item in lead.needs)


def lead_escalation(ctx: JobContext) -> dict:
    """Remind, alert, then close the leads an operator leaves unanswered.

    A lead still ``envoye`` on the ``LEAD_REMIND_WORKING_DAYS``-th working day after it
    was sent: reminder to the operator. Still ``envoye`` or ``vu`` after
    ``LEAD_ALERT_DAYS`` days: alert to the animateur who sent it. After
    ``LEAD_CLOSE_DAYS`` days: closed as ``sans_suite`` (reason in the transition log),
    its needs back in the search. Each mail is sent once.
    """
    remind_wd = config.integer("LEAD_REMIND_WORKING_DAYS")
    alert_after = config.duration("LEAD_ALERT_DAYS")
    close_after = config.duration("LEAD_CLOSE_DAYS")
    counts = Counter(reminded=0, alerted=0, closed=0, needs_released=0)
    leads = ctx.session.scalars(
        select(Lead).where(Lead.status.in_(LEAD_UNANSWERED)).order_by(Lead.id)
    ).all()
    for lead in leads:
        age = ctx.now - lead.created_at
        if age >= close_after:
            released = _close_unanswered(
                ctx,
                lead,
                LEAD,
                LeadState.SANS_SUITE,
                nobody="réponse de l'opérateur",
                after=close_after,
                needs=[item.need for item in lead.needs],
                why="Proposition restée sans suite : le besoin revient en recherche.",
            )
            if released is not None:
                counts["closed"] += 1
                counts["needs_released"] += released
            continue
        sent_on = local_date(lead.created_at)
        if lead.status == LeadState.ENVOYE and ctx.today >= add_working_days(sent_on, remind_wd):
            counts["reminded"] += _notify_once(
                ctx,
                MailKind.LEAD_REMINDER,
                f"lead:{lead.id}",
                lead.operator.email,
                "Rappel : une proposition vous attend",
                "Bonjour,\n\n"
                f"Une proposition vous a été envoyée le {sent_on:%d/%m/%Y} et n'a pas "
                f"encore été consultée :\n{_lead_titles(lead)}\n\n"
                f"Consultez-la : {external_url('leads.show', lead_id=lead.id)}\n",
                reply_to=creator_reply_to(ctx.session, lead),
            )
        if age >= alert_after:
            counts["alerted"] += _notify_once(
                ctx,
                MailKind.LEAD_ALERT,
                f"lead:{lead.id}",
                _user_email(ctx, lead.created_by_id),
                f"Proposition sans réponse depuis {alert_after.days} jours",
                "Bonjour,\n\n"
                f"La proposition envoyée le {sent_on:%d/%m/%Y} à {lead.operator.name} "
                f"est toujours sans réponse (état : "
                f"{vocab.label(vocab.LEAD_STATUSES, lead.status)}) :\n{_lead_titles(lead)}\n\n"
                f"Sans réponse {close_after.days} jours après l'envoi, elle sera "
                "classée sans suite.\n",
            )
    ctx.log.info("lead_escalation: %s", dict(counts))
    return dict(counts)


# --- referral_reminders ----------------------------------------------------------------


def referral_reminders(ctx: JobContext) -> dict:
    """Remind the partner of a referral not received, then alert the animateur.

    Still ``envoyee`` on the ``REFERRAL_REMIND_WORKING_DAYS``-th working day: reminder to
    the partner. Still ``envoyee`` or ``recue`` after ``REFERRAL_ALERT_DAYS`` days: alert
    to the animateur who sent it. Still not taken in hand after ``REFERRAL_CLOSE_DAYS``
    days: closed as ``sans_suite`` (reason in the transition log), its need back in the
    search so that the animateur can route it elsewhere, and the animateur told once.
    """
    remind_wd = config.integer("REFERRAL_REMIND_WORKING_DAYS")
    alert_after = config.duration("REFERRAL_ALERT_DAYS")
    close_after = config.duration("REFERRAL_CLOSE_DAYS")
    counts = Counter(reminded=0, alerted=0, closed=0, needs_released=0)
    referrals = ctx.session.scalars(
        select(Referral).where(Referral.status.in_(REFERRAL_UNANSWERED)).order_by(Referral.id)
    ).all()
    for referral in referrals:
        sent_on = local_date(referral.created_at)
        need = referral.need
        what = f"{need.title} — {need.company.name}"
        if ctx.now - referral.created_at >= close_after:
            released = _close_unanswered(
                ctx,
                referral,
                REFERRAL,
                ReferralState.SANS_SUITE,
                nobody="prise en charge par le partenaire",
                after=close_after,
                needs=[need],
                why="Réorientation restée sans suite : le besoin revient en recherche.",
            )
            if released is None:
                continue
            counts["closed"] += 1
            counts["needs_released"] += released
            _notify_once(
                ctx,
                MailKind.REFERRAL_CLOSED,
                f"referral:{referral.id}",
                _user_email(ctx, referral.created_by_id),
                "Réorientation classée sans suite",
                "Bonjour,\n\n"
                f"L'orientation envoyée le {sent_on:%d/%m/%Y} à {referral.partner.name} "
                f"n'a pas été prise en charge en {close_after.days} jours : elle est "
                f"classée sans suite et le besoin revient en recherche.\n- {what}\n\n"
                f"{external_url('needs.show', ref=need.ref)}\n",
            )
            continue
        if referral.status == ReferralState.ENVOYEE and ctx.today >= add_working_days(
            sent_on, remind_wd
        ):
            counts["reminded"] += _notify_once(
                ctx,
                MailKind.REFERRAL_REMINDER,
                f"referral:{referral.id}",
                referral.partner.email,
                "Rappel : un besoin d'entreprise vous a été adressé",
                "Bonjour,\n\n"
                f"Un besoin d'entreprise vous a été adressé le {sent_on:%d/%m/%Y} et n'a "
                f"pas encore été pris en compte :\n- {what}\n\n"
                f"Consultez-le : {external_url('referrals.show', referral_id=referral.id)}\n",
                reply_to=creator_reply_to(ctx.session, referral),
            )
        if ctx.now - referral.created_at >= alert_after:
            counts["alerted"] += _notify_once(
                ctx,
                MailKind.REFERRAL_ALERT,
                f"referral:{referral.id}",
                _user_email(ctx, referral.created_by_id),
                f"Orientation sans suite depuis {alert_after.days} jours",
                "Bonjour,\n\n"
                f"L'orientation envoyée le {sent_on:%d/%m/%Y} à {referral.partner.name} "
                f"n'a pas été prise en charge (état : "
                f"{vocab.label(vocab.REFERRAL_STATUSES, referral.status)}) :\n- {what}\n",
            )
    ctx.log.info("referral_reminders: %s", dict(counts))
    return dict(counts)


# --- follow_ups --------------------------------------------------------------------------


def follow_ups(ctx: JobContext) -> dict:
    """Mail the visit follow-ups due today (or missed) and the placement follow-up points.

    A visit whose ``follow_up_on`` has come (and is not closed), of a company that did
    not ask for no more contact: one mail to its animateur per follow-up date. A
    follow-up point due and neither reminded nor done, of a placement that has not ended
    (its points left are no longer due): one mail to the operator and one to the
    animateur of the lead, then ``reminded_at``.
    """
    counts = Counter(visits=0, points=0, mails=0)
    visits = ctx.session.scalars(
        select(Visit)
        .join(Company, Company.id == Visit.company_id)
        .where(
            Visit.follow_up_on.is_not(None),
            Visit.follow_up_on <= ctx.today,
            Visit.follow_up_closed_at.is_(None),
            # Closed when the company asks for no more contact; an import may set the
            # flag without closing them: nobody is reminded to recontact it.
            Company.do_not_solicit.is_(False),
        )
        .order_by(Visit.id)
    ).all()
    for visit in visits:
        sent = _notify_once(
            ctx,
            MailKind.VISIT_FOLLOW_UP,
            f"visit:{visit.id}:{visit.follow_up_on.isoformat()}",
            _user_email(ctx, visit.animateur_id),
            f"Relance prévue : {visit.company.name}",
            "Bonjour,\n\n"
            f"Vous aviez prévu de recontacter {visit.company.name} le "
            f"{visit.follow_up_on:%d/%m/%Y} (visite du {visit.visited_on:%d/%m/%Y}).\n\n"
            f"Vos relances : {external_url('visits.follow_ups')}\n"
            f"La fiche de l'entreprise : {external_url('directory.show', ref=visit.company.ref)}\n",
        )
        counts["visits"] += sent
        counts["mails"] += sent
    points = ctx.session.scalars(
        select(FollowUpPoint)
        .join(Placement, Placement.id == FollowUpPoint.placement_id)
        .where(
            FollowUpPoint.due_on <= ctx.today,
            FollowUpPoint.reminded_at.is_(None),
            FollowUpPoint.done_at.is_(None),
            Placement.ended_on.is_(None),
        )
        .order_by(FollowUpPoint.id)
    ).all()
    for point in points:
        placement: Placement = point.placement
        if point_to_record(placement) is not point:
            # An earlier point waits: this one cannot be recorded before it (its form
            # says « À remplir après … »). Reminded on the first run once it can be: a
            # placement recorded late mails its points one by one, not all at once.
            continue
        lead = placement.lead
        # The points are the placement's: a company the person left is not named.
        names = {need.company.name for need in placement.needs_in_play}
        companies = ", ".join(sorted(names, key=lambda name: (sort_key(name), name)))
        said = (
            "Bonjour,\n\n"
            f"Le {point_label(point.months)} de la mise à disposition commencée le "
            f"{placement.start_date:%d/%m/%Y} ({companies or 'entreprise'}) est à faire "
            f"(échéance le {point.due_on:%d/%m/%Y}).\n\n"
        )
        subject = f"{point_label(point.months).capitalize()} à faire"
        # Each reader's own page: the operator records the point on the lead's page, which
        # refuses the animateur (403); the animateur follows it from the need's.
        links = {
            lead.operator.email: external_url("leads.show", lead_id=placement.lead_id),
            _user_email(ctx, lead.created_by_id): need_link(lead),
        }
        for to, link in sorted((to, link) for to, link in links.items() if to):
            queue_mail(
                ctx.session,
                kind=MailKind.PLACEMENT_FOLLOW_UP,
                to=to,
                subject=subject,
                body_text=f"{said}{link}\n",
            )
            counts["mails"] += 1
        point.reminded_at = ctx.now
        counts["points"] += 1
    ctx.log.info("follow_ups: %s", dict(counts))
    return dict(counts)


# --- resource_expiry ---------------------------------------------------------------------


def resource_expiry(ctx: JobContext) -> dict:
    """Remind the author of each published resource whose validity date has passed (it
    has left the public pages): once per resource and validity date, so a resource given
    a new date and expiring again is reminded again. Authors gone or disabled: the
    reminder goes to no one, and is recorded all the same."""
    counts = Counter(expired=0, mails=0)
    for resource in resources.expired_to_remind(ctx.session, ctx.today):
        counts["expired"] += 1
        counts["mails"] += _notify_once(
            ctx,
            MailKind.RESOURCE_EXPIRED,
            f"resource:{resource.id}:{resource.valid_until.isoformat()}",
            _user_email(ctx, resource.author_id),
            f"Ressource à mettre à jour : {resource.title}",
            "Bonjour,\n\n"
            f"La ressource « {resource.title} » que vous avez rédigée était valable jusqu'au "
            f"{resource.valid_until:%d/%m/%Y} : elle n'apparaît plus sur les pages publiques.\n\n"
            "Vérifiez-la auprès de sa source, puis donnez-lui une nouvelle date de validité "
            "(ou dépubliez-la) :\n"
            f"{external_url('content_staff.edit_resource', resource_id=resource.id)}\n",
        )
    ctx.log.info("resource_expiry: %s", dict(counts))
    return dict(counts)


# --- skill_readings ------------------------------------------------------------------------


def skill_readings(ctx: JobContext) -> dict:
    """The CV library's stored skills read again by today's skill rules
    (``cvtheque.restamp``): after an upgrade, the search finds people as the matcher does."""
    counts = restamp_skills(ctx.session)
    ctx.log.info("skill_readings: %s", counts)
    return counts


# --- ended_work ----------------------------------------------------------------------------


def ended_work(ctx: JobContext) -> dict:
    """Settle the status of the people whose work ended yesterday or before (see
    ``cvtheque.status.settle_ended_work``): "en mission" with nothing running any more
    is "disponible" again, and proposed again to the needs that fit."""
    moved, left = settle_ended_work(ctx.session, ctx.today)
    counts = {"settled": moved, "changed_meanwhile": left}
    ctx.log.info("ended_work: %s", counts)
    return counts


# --- event_reminders ---------------------------------------------------------------------


def event_reminders(ctx: JobContext) -> dict:
    """Mail the people seated at tomorrow's events (Paris days) a reminder, once each:
    ``reminded_at`` is written with the mail (``events.registrations.send_reminders``)."""
    sent = send_event_reminders(ctx.session, ctx.today, now=ctx.now)
    ctx.log.info("event_reminders: %d reminders", sent)
    return {"reminders": sent}


# --- data_retention ----------------------------------------------------------------------


# The CV library owns the deletion of a person (cvtheque.erase) and the retention
# rules (cvtheque.retention); this job only runs them with its clock and settings.
cv_folder = files.cv_folder


# Counted by data_retention, but nothing erased: left out of its audit entry.
_NOT_ERASED = frozenset(
    {
        "warned",
        "cv_orphans_too_recent",
        "cv_files_missing",
        "photo_orphans_too_recent",
        "photo_files_missing",
    }
)


def data_retention(ctx: JobContext) -> dict:
    """Apply the retention rules of personal data.

    - stored CV files no record names, older than ``CV_ORPHAN_MIN_AGE_HOURS`` (24):
      deleted; the records naming a missing file counted and logged
      (cvtheque.stored_files.sweep); the testimonial photos the same way
      (content.photos.sweep);
    - candidates without contact for ``RETENTION_WARN_MONTHS`` (23) months: warned once;
    - at ``RETENTION_DELETE_MONTHS`` (24) months: deleted with their CV file;
    - CV submissions and public needs never confirmed after ``UNCONFIRMED_TTL_DAYS`` (7)
      days: deleted, with the provisional companies only those needs knew of;
    - the reports of bulk CV imports 30 days after they were confirmed, their previews
      after 2 days: deleted (cvtheque.bulk_import.forget_old_imports);
    - audit entries older than ``AUDIT_RETENTION_DAYS`` (365): purged;
    - login sessions that can no longer be used (ended, idle, too old): purged;
    - failed-login and form counters (accounts.throttle) whose window started over a day
      ago and whose lock is over: purged;
    - forms held for a person logging in again, once ``HELD_FORM_MINUTES`` are over
      (accounts.held_forms): deleted;
    - secrets created and never shown, once their ``WINDOW`` is over (accounts.shown_once):
      deleted;
    - the version of an owner's company-space links, once their address follows no
      need any more (needs.register.forget_space_links): deleted;
    - job run records older than ``JOB_RUN_RETENTION_DAYS`` (90): purged;
    - closed needs without activity for ``NEEDS_RETENTION_MONTHS`` (36): the owner's
      details, the notes and the words typed on their log blanked (needs.retention);
    - a company's contacts ``COMPANY_CONTACT_RETENTION_MONTHS`` (36) after the last
      contact with it, visits ``VISIT_RETENTION_MONTHS`` (36) after their date: deleted
      (prospection.retention);
    - sent mails' bodies after ``MAIL_BODY_RETENTION_DAYS`` (365): blanked; mails given
      up after ``MAIL_FAILED_RETENTION_DAYS`` (90): deleted (mail.retention);
    - call-back requests ``CALLBACK_RETENTION_MONTHS`` (12) after they were made: deleted;
    - event registrations never confirmed after ``UNCONFIRMED_TTL_DAYS`` (7): deleted;
      ``EVENT_REGISTRATION_RETENTION_MONTHS`` (12) after their event ended: the people
      seated or waiting anonymised, the cancelled deleted (events.retention).

    What was erased is counted in one audit entry (none when nothing was). A dry run
    (``jobs run ID``, the default) counts the same and rolls everything back.
    """
    warn_months = config.integer("RETENTION_WARN_MONTHS")
    delete_months = config.integer("RETENTION_DELETE_MONTHS")
    unconfirmed_days = config.integer("UNCONFIRMED_TTL_DAYS")
    audit_days = config.integer("AUDIT_RETENTION_DAYS")
    run_days = config.integer("JOB_RUN_RETENTION_DAYS")
    session = ctx.session
    # First, while the records read are the committed ones (see stored_files.sweep).
    orphan_age = config.duration("CV_ORPHAN_MIN_AGE_HOURS")
    swept = stored_files.sweep(session, ctx.now, min_age=orphan_age, dry_run=ctx.dry_run)
    swept.update(photos.sweep(session, ctx.now, min_age=orphan_age, dry_run=ctx.dry_run))
    # Then, before anything else bumps a generation (``changes``: the erasures of the
    # library bump the public home's), the unconfirmed needs, whose deletion locks the
    # provisional companies first: a public need's request takes them in that order,
    # company then generation, and the job must too (a deadlock otherwise).
    unconfirmed_before = ctx.now - timedelta(days=unconfirmed_days)
    forgotten = {
        "needs_unconfirmed_deleted": delete_unconfirmed_needs(session, unconfirmed_before),
        # The companies only those needs knew of (nobody ever confirmed them) go with them.
        "companies_provisional_deleted": delete_forgotten_provisional(session, unconfirmed_before),
    }
    counts = retention.apply_retention(
        session,
        ctx.now,
        warn_months=warn_months,
        delete_months=delete_months,
        unconfirmed_days=unconfirmed_days,
        dry_run=ctx.dry_run,
    )
    counts.update(swept)
    counts.update(forgotten)

    audit_before = ctx.now - timedelta(days=audit_days)
    counts["audit_purged"] = session.execute(
        delete(AuditLog).where(AuditLog.at < audit_before)
    ).rowcount
    counts["login_sessions_purged"] = purge_sessions(
        session, Lifetimes.from_config(current_app.config), now=ctx.now
    )
    counts["login_throttle_purged"] = throttle.purge(session, ctx.now)
    counts["owner_links_forgotten"] = forget_space_links(session)
    counts["held_forms_purged"] = held_forms.purge(
        held_forms.held_forms_folder(), now=ctx.now, dry_run=ctx.dry_run
    )
    counts["secrets_never_shown_purged"] = shown_once.purge(
        shown_once.shown_once_folder(), now=ctx.now, dry_run=ctx.dry_run
    )
    # Old run records of the every-minute jobs would otherwise grow without bound.
    counts["job_runs_purged"] = session.execute(
        delete(JobRun).where(
            JobRun.started_at < ctx.now - timedelta(days=run_days), JobRun.outcome != "running"
        )
    ).rowcount
    # Contacts before visits: the visits deleted here still date the last contact.
    # Every rule in months counts on the days of Arcachon (clock.kept_since): what is
    # dated on a local day goes on that day's term, at the first run of the day.
    counts["company_contacts_deleted"] = delete_dormant_contacts(
        session, kept_since(ctx.now, config.integer("COMPANY_CONTACT_RETENTION_MONTHS"))
    )
    counts["visits_deleted"] = delete_old_visits(
        session, first_kept(local_date(ctx.now), config.integer("VISIT_RETENTION_MONTHS"))
    )
    counts["needs_erased"] = erase_closed_needs(
        session, kept_since(ctx.now, config.integer("NEEDS_RETENTION_MONTHS"))
    )
    counts["mail_bodies_blanked"] = mail_retention.blank_sent_bodies(
        session, ctx.now - config.duration("MAIL_BODY_RETENTION_DAYS")
    )
    counts["mail_failed_deleted"] = mail_retention.delete_failed(
        session, ctx.now - config.duration("MAIL_FAILED_RETENTION_DAYS")
    )
    counts["callback_requests_deleted"] = callbacks.delete_old(
        session, kept_since(ctx.now, config.integer("CALLBACK_RETENTION_MONTHS"))
    )
    counts["event_registrations_unconfirmed_deleted"] = event_retention.delete_unconfirmed(
        session, ctx.now - timedelta(days=unconfirmed_days)
    )
    (
        counts["event_registrations_anonymised"],
        counts["event_registrations_deleted"],
    ) = event_retention.erase_past(
        session, kept_since(ctx.now, config.integer("EVENT_REGISTRATION_RETENTION_MONTHS"))
    )
    erased = {key: value for key, value in counts.items() if value and key not in _NOT_ERASED}
    if erased:
        audit(session, "data_retention", details=erased)
    ctx.log.info("data_retention: %s", dict(counts))
    return dict(counts)


# --- backup --------------------------------------------------------------------------------


def backup(ctx: JobContext) -> dict:
    """Daily backup of the SQLite database with the stored files (``backups``), the last
    ``BACKUP_KEEP`` (14) kept.

    On PostgreSQL nothing is done here: the README documents the ``pg_dump`` to schedule.
    """
    engine = ctx.session.get_bind()
    if engine.dialect.name != "sqlite":
        ctx.log.info("backup: %s database, use pg_dump (see README); skipped", engine.dialect.name)
        return {"skipped": 1}
    source = Path(engine.url.database)
    folder = backups.backup_folder()
    keep = config.integer("BACKUP_KEEP")
    if ctx.dry_run:
        existing = backups.backups(folder)
        return {"would_write": 1, "would_remove": max(0, len(existing) + 1 - keep)}
    final, removed = backups.make_backup(source, folder, ctx.now, keep, backups.current_stores())
    ctx.log.info("backup: wrote %s, removed %d old", final, len(removed))
    return {"written": 1, "removed": len(removed)}


# --- rematch ------------------------------------------------------------------------------


def rematch(ctx: JobContext) -> dict:
    """Flag to each need's creator the candidates, new or updated since the last run,
    now in the need's top matches with at least ``REMATCH_MIN_SCORE`` points.

    One mail per need listing them; a (need, candidate) pair is flagged once.
    """

    min_score = config.integer("REMATCH_MIN_SCORE")
    top = config.integer("REMATCH_TOP")
    last = ctx.session.scalar(
        select(JobRun.started_at)
        .where(JobRun.job_id == "rematch", JobRun.outcome == "ok", JobRun.started_at < ctx.now)
        .order_by(JobRun.started_at.desc())
        .limit(1)
    )
    since = last or ctx.now - timedelta(days=1)
    # ref -> (id, name): the mail names people, never their refs.
    fresh = {
        ref: (id_, f"{first} {last}")
        for ref, id_, first, last in ctx.session.execute(
            select(Candidate.ref, Candidate.id, Candidate.first_name, Candidate.last_name).where(
                Candidate.updated_at > since
            )
        )
    }
    counts = Counter(needs=0, flagged=0, mails=0)
    if not fresh:
        return dict(counts)
    needs = ctx.session.scalars(
        select(Need).where(Need.status.in_(NEED_SEARCHING)).order_by(Need.id)
    ).all()
    for need in needs:
        counts["needs"] += 1
        to = _user_email(ctx, need.created_by_id)
        if not to:
            continue
        lines = []
        for match in match_need(need.ref, limit=top, session=ctx.session)["matches"]:
            ref = match["candidate"]
            if ref not in fresh or match["score"] < min_score:
                continue
            key = f"need:{need.id}:candidate:{fresh[ref][0]}"
            if ctx.already_noticed("rematch", key):
                continue
            ctx.note_notice("rematch", key)
            lines.append(f"- {fresh[ref][1]} : score {decimal_fr(match['score'])} sur 100")
        if lines:
            queue_mail(
                ctx.session,
                kind=MailKind.REMATCH,
                to=to,
                subject=f"Nouveaux candidats pour « {need.title} »",
                body_text=(
                    "Bonjour,\n\n"
                    f"De nouveaux candidats correspondent au besoin « {need.title} » "
                    f"({need.company.name}) :\n" + "\n".join(lines) + "\n\n"
                    f"{external_url('needs.show', ref=need.ref)}\n"
                ),
            )
            counts["flagged"] += len(lines)
            counts["mails"] += 1
    ctx.log.info("rematch: %s", dict(counts))
    return dict(counts)


# --- monthly_digest ------------------------------------------------------------------------


def _previous_month(today: date) -> tuple[datetime, datetime]:
    first = today.replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    as_dt = lambda d: datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ)  # noqa: E731
    return as_dt(start), as_dt(first)


def monthly_digest(ctx: JobContext) -> dict:
    """Send each intercommunality officer (role ``territoire``) the observatory's report of
    last month for their intercommunality: its summary and figures (small numbers
    protected) in the mail, the PDF one link away. One report is written per
    intercommunality, whatever the number of its officers; each officer gets it once,
    unless they chose not to receive it (``User.monthly_report``). Only working
    accounts (``users.WORKING_ACCOUNT``): not a disabled one, nor one never opened."""

    start, _end = _previous_month(ctx.today)
    counts = Counter(officers=0, mails=0, reports=0)
    officers = ctx.session.scalars(
        select(User)
        .where(
            User.role == "territoire",
            # Someone logs in with it: an address invited and never opened was typed by
            # the staff and never confirmed (``users.WORKING_ACCOUNT``).
            *WORKING_ACCOUNT,
            User.epci_siren.is_not(None),
            User.monthly_report.is_(True),
        )
        .order_by(User.epci_siren, User.id)
    ).all()
    written: dict[str, tuple] = {}
    opt_out = external_url("observatory.index", _anchor="rapport-mensuel")
    for officer in officers:
        counts["officers"] += 1
        if ctx.already_noticed(MailKind.OBSERVATORY_REPORT, f"user:{officer.id}:{start:%Y-%m}"):
            continue
        if officer.epci_siren not in written:
            report = monthly_report(ctx.session, officer.epci_siren, start.year, start.month)
            written[officer.epci_siren] = (report, render_html(report, opt_out_url=opt_out))
            counts["reports"] += 1
        report, html = written[officer.epci_siren]
        pdf = external_url(
            "observatory.report_file",
            siren=report.siren,
            month=f"{report.year}-{report.month:02d}",
            fmt="pdf",
        )
        counts["mails"] += _notify_once(
            ctx,
            MailKind.OBSERVATORY_REPORT,
            f"user:{officer.id}:{start:%Y-%m}",
            officer.email,
            f"L'observatoire de {report.name} : {report.label}",
            "Bonjour,\n\n"
            + "\n".join(report.summary)
            # The plain text says what "secret" means, as the HTML report does.
            + f"\n\n{PROTECTION_NOTE}"
            + f"\n\nLe rapport complet (PDF) : {pdf}"
            + f"\nTableau de bord : {external_url('observatory.index')}\n"
            + f"\nPour ne plus recevoir ce rapport par e-mail : {opt_out}\n",
            body_html=html,
        )
    ctx.log.info("monthly_digest: %s", dict(counts))
    return dict(counts)
