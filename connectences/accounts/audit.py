"""The audit log: who did what security- or privacy-relevant, when, from where; and its
search and export for the administrator (``web/admin.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from connectences import vocab
from connectences.clock import LOCAL_TZ, day_start
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


# The longest note of a person's request the staff keep in its audit entry (its date and
# means, nothing else): the erasure of a company's contact and of a person of the CV
# library on their request (docs/rgpd.md § 2, § 3). Refused beyond, never cut.
REQUEST_NOTE_MAX = 200


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
    "password_change_failed": "Changement de mot de passe refusé (mot de passe actuel erroné)",
    "password_change_refused_locked": "Changement de mot de passe bloqué",
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
    "user_monthly_report": "Envoi par e-mail du rapport mensuel de l'observatoire choisi",
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
    "candidate.exported": "Données d'une personne exportées par l'équipe, à sa demande",
    "cvtheque_access_refused": "Accès à la CVthèque refusé",
    "candidate.created": "Personne ajoutée à la CVthèque",
    "candidate.confirmed": "Adresse d'une personne confirmée",
    "candidate.deleted": "Personne supprimée",
    "candidate.links_revoked": (
        "Liens personnels d'une personne désactivés par l'équipe (nouveau lien envoyé)"
    ),
    "candidate.address_restored": (
        "Adresse précédente d'une personne remise par l'équipe (profil repris)"
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
    "company.details": "Coordonnées d'une entreprise modifiées",
    "company.provisional_merged": "Entreprise provisoire rattachée à une fiche",
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
    "organisation_deactivated": (
        "Opérateur ou partenaire désactivé (plus aucun besoin ni réorientation nouvelle)"
    ),
    "organisation_reactivated": "Opérateur ou partenaire réactivé",
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
    "operator": "Opérateur",
    "partner": "Partenaire",
}
# What each key of an entry's details means, for the same reader (``details_text``): the
# keys the code writes, and those of the counts some actions record (data retention,
# interchange import and export, a contact's erasure). A key missing here is shown as is.
DETAIL_LABELS: dict[str, str] = {
    "api": "par l'API",
    "by": "par",
    "cap": "plafond",
    "company": "entreprise",
    "company_id": "entreprise nº",
    "count": "nombre",
    "days": "durée (jours)",
    "email": "adresse",
    "epci": "intercommunalité demandée",
    "existing": "déjà présentes",
    "expired": "lien expiré",
    "file": "fichier",
    "filename": "fichier",
    "filters": "filtres",
    "format": "format",
    "found": "contenu trouvé",
    "from": "depuis",
    "import_id": "import nº",
    "interrupted": "interrompu",
    "imported": "importées",
    "invalid": "invalides",
    "keys": "bloqué pour",
    "kind": "type de lien",
    "known_account": "compte existant",
    "lead": "proposition nº",
    "line": "ligne",
    "link_mailed": "nouveau lien envoyé",
    "method": "méthode",
    "monthly_report": "rapport mensuel par e-mail",
    "name": "nom",
    "organisation": "organisation",
    "organisation_before": "organisation avant",
    "other_id": "autre fiche nº",
    "password_closed": "mot de passe désactivé",
    # A former address a staff member put back on a profile taken over (masked).
    "restored": "adresse remise",
    "replaced": "adresse remplacée",
    "login_moved": "identifiant de connexion déplacé",
    "path": "page",
    "provisional": "provisoire",
    "reason": "motif",
    "reasons": "raisons",
    "request": "demande reçue",
    "ref": "référence",
    "role": "rôle",
    "role_before": "rôle avant",
    "rows": "lignes",
    "same_person": "même personne",
    "sent": "envoyés",
    "sessions_ended": "sessions fermées",
    "siret": "SIRET",
    "skipped": "écartés",
    "sort": "tri",
    "source": "source",
    "to": "vers",
    "token": "jeton nº",
    "tokens_revoked": "jetons révoqués",
    "told": "personnes prévenues",
    # A company's contact preferences (before and after a change).
    "before": "avant",
    "after": "après",
    "said_by_owner": "dit par",
    "do_not_solicit": "ne plus solliciter",
    "newsletter_consent": "lettre d'information acceptée",
    "max_contacts_per_month": "contacts par mois au plus",
    # A company's details (before and after its owner's or the staff's correction).
    "naf": "code NAF",
    "address": "adresse",
    "commune": "commune",
    "employees": "salariés",
    "contact_email": "e-mail de l'entreprise",
    "phone": "téléphone",
    "website": "site web",
    # Two records of a person merged.
    "dropped_ref": "fiche supprimée",
    "dropped_id": "fiche supprimée nº",
    "from_dropped": "repris de la fiche supprimée",
    "leads_moved": "propositions déplacées",
    # A provisional company attached to a listed one.
    "needs_moved": "besoins repris",
    "rows_moved": "autres liens repris",
    # The interchange document's collections and what an import did to each.
    "operators": "opérateurs",
    "partners": "partenaires",
    "companies": "entreprises",
    "candidates": "candidats",
    "needs": "besoins",
    "created": "créés",
    "updated": "mis à jour",
    "unchanged": "sans changement",
    # An operator or partner switched off or on: what it holds then.
    "members": "comptes membres",
    "invited": "invitations en attente",
    "open_leads": "propositions en cours",
    "open_referrals": "réorientations en cours",
    "warnings": "avertissements",
    # What a contact's erasure cleared.
    "needs_cleared": "besoins vidés de ses coordonnées",
    "mail_deleted": "courriels supprimés",
    "company_address_cleared": "adresse de l'entreprise effacée",
    "company_phone_cleared": "téléphone de l'entreprise effacé",
    "audit_addresses_cleared": "changements de coordonnées ou de préférences de l'entreprise expurgés",
    "diagnosis_links_cleared": "liens de diagnostic effacés",
    "registrations_deleted": "inscriptions supprimées",
    "callbacks_deleted": "demandes de rappel supprimées",
    # What the data retention job erased.
    "needs_unconfirmed_deleted": "besoins non confirmés supprimés",
    "companies_provisional_deleted": "entreprises provisoires supprimées",
    "audit_purged": "entrées du journal supprimées",
    "login_sessions_purged": "sessions de connexion supprimées",
    "login_throttle_purged": "compteurs d'échecs et d'envois supprimés",
    "owner_links_forgotten": "liens de suivi oubliés",
    "held_forms_purged": "formulaires en attente supprimés",
    "secrets_never_shown_purged": "secrets de jetons jamais affichés supprimés",
    "job_runs_purged": "exécutions de tâches supprimées",
    "company_contacts_deleted": "contacts d'entreprise supprimés",
    "visits_deleted": "visites supprimées",
    "needs_erased": "besoins effacés",
    "mail_bodies_blanked": "contenus de courriels effacés",
    "mail_failed_deleted": "courriels abandonnés supprimés",
    "callback_requests_deleted": "demandes de rappel supprimées",
    "event_registrations_unconfirmed_deleted": "inscriptions non confirmées supprimées",
    "event_registrations_anonymised": "inscriptions anonymisées",
    "event_registrations_deleted": "inscriptions supprimées",
}
# The keys kept in an entry for the code, never shown (the log's page, its exports): the
# key of the form's sending a token was issued from (``api_tokens.issue_token``, which
# reads it to issue one token a sending), 64 hexadecimal characters a reader would take
# for the token's secret.
UNLISTED_DETAILS = frozenset({"submission"})
# The values written as codes, in words, by the key they are written under.
DETAIL_VALUES: dict[str, dict[str, str]] = {
    "role": vocab.ROLES,
    "role_before": vocab.ROLES,
    # Not "import": a French word already, and also said of an interchange import.
    "source": {
        "public": vocab.CANDIDATE_SOURCES["public"],
        "animateur": vocab.CANDIDATE_SOURCES["animateur"],
        "visit": "visite",
    },
    "by": {"self": "la personne elle-même"},
    "from": {"cvtheque": "la CVthèque"},
    "kind": {"confirmation": "confirmation d'un besoin", "space": "espace de l'entreprise"},
    "found": {"unreadable": "fichier illisible"},
    "reason": {
        "expired": "lien expiré",
        "invalid": "lien non valable",
        "erased": "profil supprimé",
        "other_candidate": "lien d'une autre personne",
        "ne_plus_solliciter": "ne plus solliciter",
    },
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
        query = query.where(AuditLog.at >= day_start(filters.since))
    if filters.until:
        query = query.where(AuditLog.at < day_start(filters.until + timedelta(days=1)))
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def actor_emails(session: Session, entries) -> dict[int, str]:
    """The address of each actor of ``entries``, by user id."""
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def details_text(details: dict | None) -> str:
    """The details of an entry on one line, in words (``rôle avant : Intercommunalité ;
    rôle : Entreprise ; sessions fermées : 0``), sorted by their keys, what was before
    ahead of what is now; nested ones in parentheses."""
    if not details:
        return ""
    return " ; ".join(
        f"{DETAIL_LABELS.get(key, key)} : {_detail_value(key, details[key])}"
        for key in sorted(details, key=_before_first)
        if key not in UNLISTED_DETAILS
    )


def _before_first(key: str) -> tuple[str, bool]:
    """The order of the details: by key, « avant » ahead of « après » (``before``,
    ``after``) and « rôle avant » ahead of « rôle » (``role_before``, ``role``)."""
    if key in ("before", "after"):
        return "", key == "after"
    return key.removesuffix("_before"), not key.endswith("_before")


def _detail_value(key: str, value) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if value is None:
        return "—"
    if isinstance(value, dict):
        return f"({details_text(value)})" if value else "—"
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(key, item) for item in value) or "—"
    if isinstance(value, str):
        return DETAIL_VALUES.get(key, {}).get(value, value)
    return str(value)


# Entries an export reads from the database at a time.
EXPORT_BATCH = 1000


def _exported(filters: AuditFilters, up_to: int | None) -> Select:
    query = audit_query(filters)
    return query if up_to is None else query.where(AuditLog.id <= up_to)


def last_entry_id(session: Session) -> int | None:
    """The id of the newest entry: an export bounded by it (``up_to``) leaves out the
    entries written after it began, its own first."""
    return session.scalar(select(func.max(AuditLog.id)))


def export_count(session: Session, filters: AuditFilters, *, up_to: int | None = None) -> int:
    """How many entries ``export_rows`` gives for the same arguments."""
    query = _exported(filters, up_to).with_only_columns(AuditLog.id).order_by(None)
    return session.scalar(select(func.count()).select_from(query.subquery()))


def export_rows(
    session: Session, filters: AuditFilters, *, up_to: int | None = None
) -> Iterator[tuple]:
    """Rows of the audit export (``EXPORT_HEADERS``), streamed from the database as
    columns, ``EXPORT_BATCH`` entries at a time; only entries up to the id ``up_to``
    (those there were when the export began: not its own entry)."""
    query = _exported(filters, up_to).with_only_columns(
        AuditLog.at,
        User.email,
        AuditLog.action,
        AuditLog.entity,
        AuditLog.entity_id,
        AuditLog.ip,
        AuditLog.details,
    )
    rows = session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    for at, email, action, entity, entity_id, ip, details in rows:
        yield (
            at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S"),
            email or "",
            action_label(action),
            entity_label(entity),
            "" if entity_id is None else entity_id,
            ip or "",
            details_text(details),
        )
