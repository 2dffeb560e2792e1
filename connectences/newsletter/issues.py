"""Composing and sending an issue of the newsletter.

Sending goes through the rules that already hold for every contact with a company:
only companies that consented (``Company.newsletter_consent``) and have an address
receive it, and each send is recorded by ``prospection.mailings.record_mailing``, which
applies the contact-pressure guard (``prospection.pressure``): a company that asked not
to be solicited, that reached its monthly cap, or that was contacted within the team's
window is skipped, with the guard's reason. Each send is a ``CompanyMailing`` linked to
the issue, so it is on the company's timeline and counted by the guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager

from connectences import config, locks
from connectences.accounts.audit import audit
from connectences.contacts import email_key
from connectences.db_session import stamp_once
from connectences.errors import DomainError
from connectences.mail import MailKind, queue_mail
from connectences.models import Company, NewsletterDelivery, NewsletterIssue, User, utcnow
from connectences.newsletter import unsubscribe
from connectences.newsletter.blocks import BLOCKS, Block, build_blocks, shown_snapshot
from connectences.prospection.mailings import SUBJECT_MAX, record_mailing
from connectences.prospection.pressure import ConfirmationRequired, ContactRefused
from connectences.prospection.visits import VisitError
from connectences.text import form_line
from connectences.typography import too_long

INTRODUCTION_MAX = 5000
# Companies sent to per transaction of the sending job: what a crash can roll back, and
# how often the page's progress moves.
BATCH_SIZE = 100
# The lock each batch of a sending holds (``locks.hold``).
SEND_LOCK = "newsletter-send"
NO_ADDRESS = "Pas d'adresse e-mail enregistrée pour l'entreprise."


def same_address(company: Company) -> str:
    """Why a company whose address already received the issue gets no second copy."""
    return (
        f"Même adresse e-mail que « {company.name} », qui a reçu cette lettre : "
        "elle ne part qu'une fois par adresse."
    )


class IssueError(DomainError):
    """An issue that cannot be saved or sent: ``errors`` per field, or ``message``."""


@dataclass
class SendReport:
    """What one batch of a sending did: the companies it went to, those skipped and why,
    and whether the issue is now sent to every company."""

    sent: list[Company] = field(default_factory=list)
    skipped: list[tuple[Company, str]] = field(default_factory=list)
    done: bool = False


@dataclass(frozen=True)
class Progress:
    """Where the sending of an issue stands: companies it went to, skipped, still to do."""

    sent: int
    skipped: int
    remaining: int

    @property
    def handled(self) -> int:
        return self.sent + self.skipped

    @property
    def total(self) -> int:
        return self.handled + self.remaining


def validate(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    subject = form_line(data, "subject", errors, missing="Indiquez l'objet de la lettre.",
                        limit=SUBJECT_MAX, what="L'objet")  # fmt: skip
    introduction = str(data.get("introduction") or "").strip().replace("\r\n", "\n")
    if not introduction:
        errors["introduction"] = "Écrivez quelques lignes d'introduction."
    elif too := too_long("L'introduction", introduction, INTRODUCTION_MAX):
        errors["introduction"] = too
    kinds = [str(kind) for kind in data.get("blocks") or []]
    if any(kind not in BLOCKS for kind in kinds):
        errors["blocks"] = "Choisissez les rubriques dans la liste."
    if errors:
        raise IssueError(errors=errors)
    return {"subject": subject, "introduction": introduction, "blocks": list(dict.fromkeys(kinds))}


def create_issue(session: Session, data: Mapping[str, Any], *, by: User) -> NewsletterIssue:
    """A new draft issue (IssueError when invalid)."""
    issue = NewsletterIssue(created_by_id=by.id, **validate(data))
    session.add(issue)
    session.flush()
    audit(session, "newsletter.create", actor=by, entity="newsletter_issue", entity_id=issue.id)
    return issue


def update_issue(
    session: Session, issue: NewsletterIssue, data: Mapping[str, Any], *, by: User
) -> NewsletterIssue:
    """Change a draft (IssueError when invalid or already sent)."""
    _refuse_if_sent(issue)
    for key, value in validate(data).items():
        setattr(issue, key, value)
    session.flush()
    return issue


def _refuse_if_sent(issue: NewsletterIssue) -> None:
    if issue.sending:
        raise IssueError(
            "L'envoi de cette lettre est en cours : elle ne peut plus changer ni partir "
            "une seconde fois."
        )
    if issue.sent_at is not None:
        raise IssueError("Cette lettre est déjà envoyée : elle ne peut plus changer.")


def _claim(session: Session, issue: NewsletterIssue, by: User) -> None:
    """Mark the issue asked for where it is still unsent, in one statement: of two
    requests at the same instant (a double tap, two tabs) the second finds it taken."""
    if not stamp_once(session, issue, "sent_at", sent_at=utcnow(), sent_by_id=by.id):
        raise IssueError(
            "L'envoi de cette lettre vient d'être demandé (par quelqu'un d'autre ou dans un "
            "autre onglet) : elle ne part pas une seconde fois."
        )


def paragraphs(text: str) -> list[str]:
    """The introduction's paragraphs (blank lines separate them)."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def blocks_of(session: Session, issue: NewsletterIssue) -> list[Block] | list[dict]:
    """What the issue shows: its frozen blocks once sent (less what may no longer be
    shown), else the current ones."""
    if issue.snapshot is not None:
        return shown_snapshot(session, issue.snapshot)
    return build_blocks(session, issue.blocks)


def render_mail(
    session: Session,
    issue: NewsletterIssue,
    *,
    unsubscribe_url: str | None,
    blocks: list[Block] | list[dict] | None = None,
) -> tuple[str, str]:
    """The text and HTML of the issue's mail (``unsubscribe_url``: the recipient's own
    link; None for a preview or a test, which say where it will be; ``blocks``: those of
    ``blocks_of``, when the caller read them once for many mails)."""
    env = current_app.jinja_env
    context = {
        "issue": issue,
        "introduction": paragraphs(issue.introduction),
        "blocks": blocks if blocks is not None else blocks_of(session, issue),
        "unsubscribe_url": unsubscribe_url,
        "platform": config.setting("PLATFORM_NAME"),
    }
    text = env.get_template("mail/newsletter.txt").render(**context)
    html = env.get_template("mail/newsletter.html").render(**context)
    return text, html


def send_test(session: Session, issue: NewsletterIssue, *, to: User) -> None:
    """Queue the issue to its author's own address, marked as a test; nobody else gets
    it and nothing is recorded on any company."""
    text, html = render_mail(session, issue, unsubscribe_url=None)
    queue_mail(
        session,
        kind=MailKind.NEWSLETTER_TEST,
        to=to.email,
        subject=f"[Essai] {issue.subject}",
        body_text=text,
        body_html=html,
    )


def recipient_count(session: Session) -> int:
    """How many companies accepted the newsletter."""
    return session.scalar(
        select(func.count()).select_from(Company).where(Company.newsletter_consent.is_(True))
    )


def queue_issue(session: Session, issue: NewsletterIssue, *, by: User) -> None:
    """Ask for the issue to be sent: it no longer changes, its blocks are frozen (its
    public archive, what the companies will read), and the scheduler's job
    (``send_queued``) sends it by batches. Raises IssueError when it was asked already.

    The request does not send: at the size of a region (thousands of companies, each
    through the contact-pressure guard) it would hold a web worker for minutes.
    """
    _refuse_if_sent(issue)
    _claim(session, issue, by)
    issue.snapshot = [block.as_dict() for block in build_blocks(session, issue.blocks)]
    issue.sent_count = 0
    session.flush()
    audit(session, "newsletter.send", actor=by, entity="newsletter_issue", entity_id=issue.id)


def _not_handled(issue: NewsletterIssue) -> Select:
    """The consenting companies the sending of ``issue`` has not dealt with yet, by id."""
    handled = select(NewsletterDelivery.id).where(
        NewsletterDelivery.issue_id == issue.id,
        NewsletterDelivery.company_id == Company.id,
    )
    return (
        select(Company)
        .where(Company.newsletter_consent.is_(True), ~handled.exists())
        .order_by(Company.id)
    )


def progress(session: Session, issue: NewsletterIssue) -> Progress:
    """How far the sending of ``issue`` went (two queries)."""
    sent, skipped = session.execute(
        select(
            func.count(NewsletterDelivery.id).filter(NewsletterDelivery.reason.is_(None)),
            func.count(NewsletterDelivery.id).filter(NewsletterDelivery.reason.is_not(None)),
        ).where(NewsletterDelivery.issue_id == issue.id)
    ).one()
    remaining = 0
    if issue.send_done_at is None:
        remaining = session.scalar(
            select(func.count()).select_from(_not_handled(issue).order_by(None).subquery())
        )
    return Progress(sent=sent, skipped=skipped, remaining=remaining)


def not_sent(issue: NewsletterIssue) -> Select:
    """The companies the issue was not sent to, with the reason, by company name."""
    return (
        select(NewsletterDelivery)
        .join(NewsletterDelivery.company)
        .options(contains_eager(NewsletterDelivery.company))
        .where(NewsletterDelivery.issue_id == issue.id, NewsletterDelivery.reason.is_not(None))
        .order_by(Company.sort_name, Company.id)
    )


def _received_by(session: Session, issue: NewsletterIssue, addresses: set[str]) -> dict:
    """Of ``addresses``, those the issue was already sent to, with the company that
    received it."""
    if not addresses:
        return {}
    rows = session.execute(
        select(NewsletterDelivery.address, Company)
        .join(NewsletterDelivery.company)
        .where(
            NewsletterDelivery.issue_id == issue.id,
            NewsletterDelivery.reason.is_(None),
            NewsletterDelivery.address.in_(addresses),
        )
    )
    return {address: company for address, company in rows}


def send_batch(
    session: Session, issue: NewsletterIssue, *, today: date, size: int = BATCH_SIZE
) -> SendReport:
    """Send the issue to the next ``size`` consenting companies it has not dealt with,
    within the guard; the caller commits. When none is left, the issue is done.

    Each company gets a ``NewsletterDelivery`` row in the transaction that queues its
    mail: a batch rolled back (a crash) leaves neither, and the next run starts again
    from the companies without a row, so no company gets the issue twice; the unique
    row per issue and company refuses it even to two schedulers at once. One mail per
    address: companies sharing one (an accountant's, a manager's with two shops) are one
    reader, so the first company that receives it stands for the others, which are
    skipped with the reason. Each company is tried in a savepoint: a refusal of the guard
    leaves nothing for it but its row.
    """
    report = SendReport()
    if issue.send_done_at is not None:
        report.done = True
        return report
    by = session.get(User, issue.sent_by_id) if issue.sent_by_id else None
    companies = list(session.scalars(_not_handled(issue).limit(size)))
    if not companies:
        issue.send_done_at = utcnow()
        report.done = True
        session.flush()
        return report
    blocks = blocks_of(session, issue)
    reply_to = config.setting("CONTACT_EMAIL") or None
    sent_to = _received_by(
        session, issue, {email_key(c.contact_email) for c in companies if c.contact_email}
    )
    for company in companies:
        address = email_key(company.contact_email) if company.contact_email else None
        reason = _refusal(session, issue, company, address, sent_to, by=by, today=today)
        session.add(NewsletterDelivery(issue_id=issue.id, company_id=company.id,
                                       address=None if reason else address, reason=reason))  # fmt: skip
        if reason:
            report.skipped.append((company, reason))
            continue
        url = unsubscribe.unsubscribe_url(company, company.contact_email)
        text, html = render_mail(session, issue, unsubscribe_url=url, blocks=blocks)
        queue_mail(
            session,
            kind=MailKind.NEWSLETTER,
            to=company.contact_email,
            subject=issue.subject,
            body_text=text,
            body_html=html,
            reply_to=reply_to,
            headers=unsubscribe.list_headers(url),
        )
        report.sent.append(company)
        sent_to[address] = company
    issue.sent_count = (issue.sent_count or 0) + len(report.sent)
    session.flush()
    return report


def _refusal(
    session: Session,
    issue: NewsletterIssue,
    company: Company,
    address: str | None,
    sent_to: dict[str, Company],
    *,
    by: User | None,
    today: date,
) -> str | None:
    """Why ``company`` does not receive the issue, or None once its send is recorded."""
    if not address:
        return NO_ADDRESS
    if address in sent_to:
        return same_address(sent_to[address])
    try:
        with session.begin_nested():
            record_mailing(
                session, company, subject=issue.subject, by=by, today=today, issue_id=issue.id
            )
    except (ContactRefused, ConfirmationRequired) as refusal:
        return " ".join(refusal.pressure.reasons)
    except VisitError as refusal:
        return refusal.message
    return None


def sending_issues(session: Session) -> list[NewsletterIssue]:
    """The issues asked for and not yet sent to every company, oldest first."""
    return list(
        session.scalars(
            select(NewsletterIssue)
            .where(NewsletterIssue.sent_at.is_not(None), NewsletterIssue.send_done_at.is_(None))
            .order_by(NewsletterIssue.sent_at, NewsletterIssue.id)
        )
    )


def send_queued(
    session: Session, *, today: date, size: int | None = None, wait_seconds: float = 30
) -> dict[str, int]:
    """Send the issues asked for, batch after batch, each batch committed (call it from
    the scheduler's job, never from a request); the counts of what it did.

    Each batch takes the sending lock before reading anything: two schedulers (or a run
    still going when the next starts) take turns, each reading what the other committed,
    so that neither sends to a company the other did. A run that stops midway (a crash, a
    deploy) leaves its last batch rolled back; the next run goes on from there.
    """
    counts = {"sent": 0, "skipped": 0, "issues_done": 0}
    while True:
        if not locks.hold(session, SEND_LOCK, wait_seconds=wait_seconds):
            session.rollback()
            counts["busy"] = 1  # another runner is sending: it goes on
            return counts
        pending = sending_issues(session)
        if not pending:
            session.rollback()
            return counts
        issue = pending[0]
        report = send_batch(session, issue, today=today, size=size or BATCH_SIZE)
        if report.done:
            _record_done(session, issue)
            counts["issues_done"] += 1
        session.commit()
        counts["sent"] += len(report.sent)
        counts["skipped"] += len(report.skipped)


def _record_done(session: Session, issue: NewsletterIssue) -> None:
    done = progress(session, issue)
    audit(
        session,
        "newsletter.sent",
        actor=issue.sent_by_id,
        entity="newsletter_issue",
        entity_id=issue.id,
        details={"sent": done.sent, "skipped": done.skipped},
    )


def archive() -> Select:
    """The issues sent (or being sent: what they say is frozen), latest first (public)."""
    return (
        select(NewsletterIssue)
        .where(NewsletterIssue.sent_at.is_not(None))
        .order_by(NewsletterIssue.sent_at.desc(), NewsletterIssue.id.desc())
    )


def all_issues() -> Select:
    """Drafts first, then the issues sent, latest first (the team's list)."""
    return select(NewsletterIssue).order_by(
        NewsletterIssue.sent_at.is_not(None),
        NewsletterIssue.sent_at.desc(),
        NewsletterIssue.id.desc(),
    )
