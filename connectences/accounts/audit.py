"""The audit log: who did what security- or privacy-relevant, when, from where; and its
search and export for the administrator (``web/admin.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from connectences.clock import LOCAL_TZ
from connectences.models import AuditLog, User


def audit(
    session: Session,
    action: str,
    *,
    actor: User | int | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    ip: str | None = None,
    details: dict | None = None,
) -> AuditLog:
    """Add one audit entry to the session (committed with the change it records)."""
    actor_id = actor.id if isinstance(actor, User) else actor
    entry = AuditLog(
        action=action,
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        ip=(ip or None) and ip[:45],
        details=details or {},
    )
    session.add(entry)
    return entry


# What each action means, for the administrator reading the log (search and export).
ACTION_LABELS: dict[str, str] = {
    "login": "Connexion",
    "login_failed": "Connexion refusée (mot de passe ou adresse incorrects)",
    "login_lockout": "Connexion bloquée après trop d'échecs",
    "login_refused_locked": "Connexion refusée (blocage en cours)",
    "login_refused_disabled": "Connexion refusée (compte désactivé)",
    "logout": "Déconnexion",
    "reauthenticated": "Mot de passe confirmé avant une action sensible",
    "reauth_failed": "Confirmation du mot de passe refusée",
    "reauth_refused_locked": "Confirmation du mot de passe bloquée",
    "password_changed": "Mot de passe modifié",
    "password_closed": "Mot de passe rendu inutilisable (liens personnels désactivés)",
    "password_reset_requested": "Lien de réinitialisation du mot de passe demandé",
    "invitation_sent": "Invitation envoyée",
    "invitation_accepted": "Invitation acceptée",
    "user_created": "Compte créé",
    "user.email_changed": "Adresse de connexion d'un compte changée (adresse confirmée)",
    "user_disabled": "Compte désactivé",
    "user_enabled": "Compte réactivé",
    "user_role_changed": "Rôle d'un compte changé (sessions closes, jetons révoqués)",
    "user_phone": "Téléphone d'un animateur présenté aux entreprises modifié",
    "mail_requeued": "Courriels en échec remis en file d'envoi",
    "data_retention": "Durées de conservation appliquées (effacements automatiques)",
    "cv_view": "Fiche d'une personne consultée",
    "cv_download": "CV téléchargé",
    "cv_withheld": "CV retenu du téléchargement (contenu actif ou fichier illisible à la relecture)",
    "cv_export": "Export de la CVthèque",
    "cv.link_refused": "Lien personnel de CV refusé",
    "cv.viewed": "Espace personnel consulté par la personne elle-même",
    "cv.downloaded": "CV téléchargé par la personne elle-même",
    "cv.exported": "Données exportées par la personne elle-même",
    "cvtheque_access_refused": "Accès à la CVthèque refusé",
    "candidate.created": "Personne ajoutée à la CVthèque",
    "candidate.confirmed": "Adresse d'une personne confirmée",
    "candidate.deleted": "Personne supprimée",
    "candidate.links_revoked": (
        "Liens personnels d'une personne désactivés par l'équipe (nouveau lien envoyé)"
    ),
    "candidate_merged": "Fiches de personnes fusionnées",
    "candidate_keep_both": "Doublon écarté (deux personnes distinctes)",
    "candidate_compare": "Comparaison de deux fiches",
    "candidate_import": "Import de CV",
    "candidate_import_errors_download": "Téléchargement des erreurs d'un import",
    "company.create": "Entreprise créée",
    "company.contact_add": "Contact d'entreprise ajouté",
    "company.contact_edit": "Contact d'entreprise modifié",
    "company.contact_export": "Données d'un contact d'entreprise exportées",
    "company.contact_erased": "Contact d'entreprise effacé à sa demande",
    "company.do_not_solicit": "Entreprise à ne plus solliciter",
    "company.named": "Entreprise provisoire nommée (besoin confirmé)",
    "company.newsletter_unsubscribe": "Entreprise désabonnée de la lettre d'information",
    "need_owner_attached": "Auteur d'un besoin rattaché à son entreprise",
    "company.mailing": "Courrier ou lettre à une entreprise",
    "company.preferences": "Préférences de contact d'une entreprise",
    "company_directory_access_refused": "Accès au répertoire des entreprises refusé",
    "company_link_refused": "Lien de suivi d'entreprise refusé",
    "diagnosis_access_refused": "Accès aux diagnostics refusé",
    "diagnosis_scope_refused": "Accès aux diagnostics d'une autre intercommunalité refusé",
    "diagnosis_link_refused": "Lien de diagnostic refusé",
    "admin_access_refused": "Accès à l'administration refusé",
    "lead_access_refused": "Accès à une proposition refusé",
    "referral_access_refused": "Accès à une réorientation refusé",
    "visits_access_refused": "Accès aux visites refusé",
    "offline_access_refused": "Accès à la tournée hors ligne refusé",
    "week_access_refused": "Accès à la semaine d'une personne refusé",
    "visit.follow_up_close": "Relance de visite close",
    "visit.follow_up_reschedule": "Relance de visite reportée",
    "visit.pressure_confirmed": "Visite confirmée malgré des sollicitations récentes",
    "visit.over_cap": "Visite au-delà du plafond de contacts, l'entreprise l'ayant accepté",
    "exchange.import": "Import d'un document d'échange",
    "exchange.export": "Export d'un document d'échange",
    "audit_export": "Export du journal d'audit",
    "event_attendees_export": "Export des inscrits d'un événement",
    "event.create": "Événement créé",
    "event.update": "Événement modifié",
    "event.cancel": "Événement annulé",
    "newsletter.create": "Lettre d'information créée",
    "newsletter.send": "Envoi d'une lettre d'information demandé",
    "newsletter.sent": "Lettre d'information envoyée",
    "directory_entry_proposed": "Fiche « Qui fait quoi » proposée",
    "directory_entry_validated": "Fiche « Qui fait quoi » validée",
    "directory_entry_refused": "Fiche « Qui fait quoi » refusée",
    "testimonial_created": "Témoignage ajouté",
    "testimonial_withdrawn": "Témoignage retiré",
    "api_token.issued": "Jeton d'accès à l'API créé",
    "api_token.revoked": "Jeton d'accès à l'API révoqué",
    "api_access_refused": "Accès refusé par l'API (rôle du jeton)",
}
# What each kind of record is called on the page.
ENTITY_LABELS: dict[str, str] = {
    "candidate": "Personne",
    "company": "Entreprise",
    "company_contact": "Contact d'entreprise",
    "need": "Besoin",
    "lead": "Proposition",
    "referral": "Réorientation",
    "placement": "Placement",
    "user": "Compte",
    "visit": "Visite",
    "event": "Événement",
    "newsletter_issue": "Lettre d'information",
    "directory_entry": "Fiche « Qui fait quoi »",
    "testimonial": "Témoignage",
    "candidate_import": "Import de CV",
}
EXPORT_HEADERS = (
    "Date (heure de Paris)",
    "Qui",
    "Action",
    "Fiche",
    "Numéro",
    "Adresse IP",
    "Détails",
)


def action_label(action: str) -> str:
    """The action in words (an action written by a newer part of the code: its name)."""
    return ACTION_LABELS.get(action) or action.replace("_", " ").replace(".", " : ")


def entity_label(entity: str | None) -> str:
    return ENTITY_LABELS.get(entity or "", entity or "")


@dataclass(frozen=True)
class AuditFilters:
    """A search of the audit log: who (part of an address), what, which record, when
    (local dates of Paris, both included). Empty fields do not filter."""

    who: str = ""
    action: str = ""
    entity: str = ""
    entity_id: int | None = None
    since: date | None = None
    until: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string values (for links keeping the search)."""
        values = {
            "qui": self.who,
            "action": self.action,
            "fiche": self.entity,
            "numero": "" if self.entity_id is None else str(self.entity_id),
            "du": self.since.isoformat() if self.since else "",
            "au": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in values.items() if value}


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def audit_query(filters: AuditFilters) -> Select:
    """The entries matching ``filters``, newest first (addresses: ``actor_emails``)."""
    query = select(AuditLog).outerjoin(User, User.id == AuditLog.actor_id)
    if filters.who:
        query = query.where(User.email.contains(filters.who.strip().lower(), autoescape=True))
    if filters.action:
        query = query.where(AuditLog.action == filters.action)
    if filters.entity:
        query = query.where(AuditLog.entity == filters.entity)
    if filters.entity_id is not None:
        query = query.where(AuditLog.entity_id == filters.entity_id)
    if filters.since:
        query = query.where(AuditLog.at >= _local_midnight_utc(filters.since))
    if filters.until:
        query = query.where(AuditLog.at < _local_midnight_utc(filters.until + timedelta(days=1)))
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def actor_emails(session: Session, entries) -> dict[int, str]:
    """The address of each actor of ``entries``, by user id."""
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def details_text(details: dict | None) -> str:
    """The details of an entry on one line (``key : value``, sorted)."""
    if not details:
        return ""
    parts = []
    for key in sorted(details):
        value = details[key]
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        parts.append(f"{key} : {value}")
    return " ; ".join(parts)


def export_rows(session: Session, filters: AuditFilters) -> Iterator[tuple]:
    """Rows of the audit export (``EXPORT_HEADERS``), streamed from the database."""
    entries = session.scalars(audit_query(filters)).all()
    emails = actor_emails(session, entries)
    for entry in entries:
        yield (
            entry.at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S"),
            emails.get(entry.actor_id, ""),
            action_label(entry.action),
            entity_label(entry.entity),
            "" if entry.entity_id is None else entry.entity_id,
            entry.ip or "",
            details_text(entry.details),
        )
