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
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectences import config
from connectences.accounts.audit import audit
from connectences.clock import local_today
from connectences.contacts import email_key
from connectences.db_session import stamp_once
from connectences.errors import DomainError
from connectences.mail import MailKind, queue_mail
from connectences.models import Company, NewsletterIssue, User, utcnow
from connectences.newsletter import unsubscribe
from connectences.newsletter.blocks import BLOCKS, Block, build_blocks, shown_snapshot
from connectences.prospection.mailings import SUBJECT_MAX, record_mailing
from connectences.prospection.pressure import ConfirmationRequired, ContactRefused
from connectences.prospection.visits import VisitError
from connectences.text import form_line

INTRODUCTION_MAX = 5000
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
    """What sending an issue did: the companies it went to, those skipped and why."""

    sent: list[Company] = field(default_factory=list)
    skipped: list[tuple[Company, str]] = field(default_factory=list)


def validate(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    subject = form_line(data, "subject", errors, missing="Indiquez l'objet de la lettre.",
                        limit=SUBJECT_MAX, what="L'objet")  # fmt: skip
    introduction = str(data.get("introduction") or "").strip().replace("\r\n", "\n")
    if not introduction:
        errors["introduction"] = "Écrivez quelques lignes d'introduction."
    elif len(introduction) > INTRODUCTION_MAX:
        errors["introduction"] = f"L'introduction ne peut dépasser {INTRODUCTION_MAX} caractères."
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
    if issue.sent_at is not None:
        raise IssueError("Cette lettre est déjà envoyée : elle ne peut plus changer.")


def _claim(session: Session, issue: NewsletterIssue, by: User) -> None:
    """Mark the issue sent where it is still unsent, in one statement: of two sendings at
    the same instant (a double tap, two tabs) the second waits for the first and finds it
    sent (it sent nothing then, but wrote its own empty report over the first's)."""
    if not stamp_once(session, issue, "sent_at", sent_at=utcnow(), sent_by_id=by.id):
        raise IssueError(
            "Cette lettre vient d'être envoyée (par quelqu'un d'autre ou dans un autre "
            "onglet) : elle ne part pas une seconde fois."
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
    session: Session, issue: NewsletterIssue, *, unsubscribe_url: str | None
) -> tuple[str, str]:
    """The text and HTML of the issue's mail (``unsubscribe_url``: the recipient's own
    link; None for a preview or a test, which say where it will be)."""
    env = current_app.jinja_env
    context = {
        "issue": issue,
        "introduction": paragraphs(issue.introduction),
        "blocks": blocks_of(session, issue),
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


def recipients(session: Session) -> list[Company]:
    """The companies that accepted the newsletter, by name."""
    return list(
        session.scalars(
            select(Company)
            .where(Company.newsletter_consent.is_(True))
            .order_by(Company.name, Company.id)
        )
    )


def send_issue(
    session: Session, issue: NewsletterIssue, *, by: User, today: date | None = None
) -> SendReport:
    """Send the issue once to every company that consented, within the guard.

    One mail per address: companies sharing one (an accountant's, a manager's with two
    shops) are one reader, so the first company that receives it stands for the others,
    which are skipped with the reason. Each company is tried in a savepoint: a refusal
    of the guard leaves nothing for it.
    The blocks are frozen on the issue (its public archive) and the skipped companies
    kept with their reasons. Raises IssueError when the issue was already sent.
    """
    _refuse_if_sent(issue)
    _claim(session, issue, by)
    today = today or local_today()
    report = SendReport()
    blocks = build_blocks(session, issue.blocks)
    issue.snapshot = [block.as_dict() for block in blocks]
    reply_to = config.setting("CONTACT_EMAIL") or None
    sent_to: dict[str, Company] = {}
    for company in recipients(session):
        if not company.contact_email:
            report.skipped.append((company, NO_ADDRESS))
            continue
        address = email_key(company.contact_email)
        if address in sent_to:
            report.skipped.append((company, same_address(sent_to[address])))
            continue
        try:
            with session.begin_nested():
                record_mailing(
                    session, company, subject=issue.subject, by=by, today=today,
                    issue_id=issue.id,
                )  # fmt: skip
        except (ContactRefused, ConfirmationRequired) as refusal:
            report.skipped.append((company, " ".join(refusal.pressure.reasons)))
            continue
        except VisitError as refusal:
            report.skipped.append((company, refusal.message))
            continue
        url = unsubscribe.unsubscribe_url(company, company.contact_email)
        text, html = render_mail(session, issue, unsubscribe_url=url)
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
    issue.sent_count = len(report.sent)
    issue.skipped = [
        {"company": c.name, "ref": c.ref, "reason": reason} for c, reason in report.skipped
    ]
    session.flush()
    audit(
        session,
        "newsletter.send",
        actor=by,
        entity="newsletter_issue",
        entity_id=issue.id,
        details={"sent": len(report.sent), "skipped": len(report.skipped)},
    )
    return report


def archive(session: Session) -> list[NewsletterIssue]:
    """The issues sent, latest first (public)."""
    return list(
        session.scalars(
            select(NewsletterIssue)
            .where(NewsletterIssue.sent_at.is_not(None))
            .order_by(NewsletterIssue.sent_at.desc(), NewsletterIssue.id.desc())
        )
    )


def all_issues(session: Session) -> list[NewsletterIssue]:
    """Drafts first, then the issues sent, latest first (the team's list)."""
    return list(
        session.scalars(
            select(NewsletterIssue).order_by(
                NewsletterIssue.sent_at.is_not(None),
                NewsletterIssue.sent_at.desc(),
                NewsletterIssue.id.desc(),
            )
        )
    )
