"""All models, importable from one place (and so known to Alembic)."""

from connectences.models.accounts import (
    ApiToken,
    Invitation,
    LoginSession,
    LoginThrottle,
    User,
    user_company,
)
from connectences.models.base import Base, utcnow
from connectences.models.candidates import (
    Candidate,
    CandidateDistinct,
    CandidateEvent,
    CandidateImport,
    CandidateRome,
    CandidateSkill,
    Commitment,
)
from connectences.models.companies import Company, CompanyContact, CompanyMailing, Visit
from connectences.models.content import CallbackRequest, DirectoryEntry, Resource, Testimonial
from connectences.models.diagnosis import Diagnosis, DiagnosisAnswer
from connectences.models.events import (
    Event,
    EventRegistration,
    NewsletterDelivery,
    NewsletterIssue,
    event_partner,
)
from connectences.models.jobs import JobNotice, JobRun
from connectences.models.leads import (
    FollowUpPoint,
    Lead,
    LeadCandidate,
    LeadNeed,
    Placement,
    PlacementNeed,
    Referral,
)
from connectences.models.logs import AuditLog, ChangeGeneration, Deletion, Transition
from connectences.models.mail import LinkRequest, OutboxMessage
from connectences.models.needs import Need, OwnerLinks
from connectences.models.offline import OfflineRecord
from connectences.models.organisations import Operator, Partner
from connectences.models.territory import Commune, Epci

__all__ = [
    "ApiToken",
    "AuditLog",
    "Base",
    "CallbackRequest",
    "Candidate",
    "ChangeGeneration",
    "CandidateDistinct",
    "CandidateEvent",
    "CandidateImport",
    "CandidateRome",
    "CandidateSkill",
    "Commitment",
    "Commune",
    "Company",
    "CompanyContact",
    "CompanyMailing",
    "Deletion",
    "Diagnosis",
    "DiagnosisAnswer",
    "DirectoryEntry",
    "Epci",
    "Event",
    "EventRegistration",
    "FollowUpPoint",
    "Invitation",
    "JobNotice",
    "JobRun",
    "Lead",
    "LeadCandidate",
    "LeadNeed",
    "LinkRequest",
    "LoginSession",
    "LoginThrottle",
    "Need",
    "NewsletterDelivery",
    "NewsletterIssue",
    "OfflineRecord",
    "Operator",
    "OutboxMessage",
    "OwnerLinks",
    "Partner",
    "Placement",
    "PlacementNeed",
    "Referral",
    "Resource",
    "Testimonial",
    "Transition",
    "User",
    "Visit",
    "event_partner",
    "user_company",
    "utcnow",
]
