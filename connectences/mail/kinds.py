"""What each queued mail is for. Rules about mail (flood limits) key on the kind, never
on the subject: rewording a subject must not switch a limit off."""

from __future__ import annotations

from enum import StrEnum


class MailKind(StrEnum):
    # Accounts
    ACCOUNT_INVITATION = "account_invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a secret)
    # The members of an operator or partner the administrator switched off or on again.
    ORGANISATION_DEACTIVATED = "organisation_deactivated"
    ORGANISATION_REACTIVATED = "organisation_reactivated"
    # To the animateurs: an operator or partner lost its last working member while it
    # holds live work (``organisations.unattended``).
    ORGANISATION_UNATTENDED = "organisation_unattended"
    # The CV library and the people in it
    CV_CONFIRM = "cv_confirm"
    CV_SPACE_LINK = "cv_space_link"
    CV_ACCOUNT_CREATED = "cv_account_created"
    # To the address a profile just left for another: who changed it may not be its owner.
    CV_ADDRESS_CHANGED = "cv_address_changed"
    # To the address a profile held when the staff put a former one back (a takeover).
    CV_ADDRESS_RESTORED = "cv_address_restored"
    # To the address a profile's author corrected theirs to, when the sending stored
    # nothing (the address typed first held a profile): send it again.
    CV_SEND_AGAIN = "cv_send_again"
    CV_RETENTION_WARNING = "cv_retention_warning"
    # "Your profile is erased", to the person who erased it: the one mail left of them.
    CV_ERASED = "cv_erased"
    # Needs posted by companies
    NEED_CONFIRM = "need_confirm"
    COMPANY_SPACE_LINK = "company_space_link"
    # To its owner, when a need is confided to an operator, re-oriented to a partner or
    # filled (``needs.owner_news``).
    NEED_NEWS = "need_news"
    # The GPECT diagnosis questionnaire mailed to a company owner
    DIAGNOSIS_LINK = "diagnosis_link"
    # What the platform tells companies (#15): a call-back request for its animateur, a
    # resource past its validity date for its author.
    CALLBACK_REQUEST = "callback_request"
    RESOURCE_EXPIRED = "resource_expired"
    # Leads and referrals
    LEAD_SENT = "lead_sent"
    # The operator who accepted a lead gets the companies' contacts.
    LEAD_ACCEPTED = "lead_accepted"
    REFERRAL_SENT = "referral_sent"
    # A lead or referral refused, handed back, placed or closed: its sender is told.
    WORKFLOW_UPDATE = "workflow_update"
    # Events: the link confirming a registration, the seat or waiting-list answer, a
    # seat freed for someone waiting, the reminder the day before, a change of day, time
    # or place, the event cancelled.
    EVENT_CONFIRM = "event_confirm"
    EVENT_REGISTERED = "event_registered"
    EVENT_PROMOTED = "event_promoted"
    EVENT_REMINDER = "event_reminder"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    # The newsletter to companies, and the test an animateur sends to themself.
    NEWSLETTER = "newsletter"
    NEWSLETTER_TEST = "newsletter_test"
    # Scheduled jobs
    LEAD_REMINDER = "lead_reminder"
    LEAD_ALERT = "lead_alert"
    REFERRAL_REMINDER = "referral_reminder"
    REFERRAL_ALERT = "referral_alert"
    REFERRAL_CLOSED = "referral_closed"
    VISIT_FOLLOW_UP = "visit_follow_up"
    PLACEMENT_FOLLOW_UP = "placement_follow_up"
    REMATCH = "rematch"
    # Before the observatory's report: a plain count of last month's needs (old rows).
    MONTHLY_DIGEST = "monthly_digest"
    # The observatory's monthly report, to each intercommunality's officers.
    OBSERVATORY_REPORT = "observatory_report"
    JOB_FAILURE = "job_failure"
    # Rows queued before kinds existed whose subject said nothing known.
    OTHER = "other"


# Mails deleted from the outbox as soon as they are sent: the erasure's receipt would
# otherwise keep the erased person's address and name (a sent mail keeps its envelope).
FORGOTTEN_ONCE_SENT = frozenset({MailKind.CV_ERASED})
