"""Configuration: every setting, its default and its unit, in one place.

Precedence, lowest first: these defaults, then ``instance/config.py``, then the
environment, then the ``test_config`` mapping given to ``create_app``.

Code reads a setting through :func:`setting` (or :func:`integer`, :func:`number`,
:func:`duration`), never with a default of its own: the default is written once, in
``Defaults``, and a name this module does not declare fails loudly. A setting that is a
quantity says its unit in its name (``_BYTES``, ``_SECONDS``, ``_MINUTES``, ``_HOURS``,
``_DAYS``, ``_MONTHS``); the names Flask and its extensions define keep theirs.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError


class ConfigurationError(RuntimeError):
    """The platform cannot start with this configuration (message in French and English)."""


# Environment variables read by name (documented in the README).
ENV_KEYS = (
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "BASE_URL",
    "CONNECTENCES_ENV",
    "BACKUP_DIR",
    "TRUSTED_PROXIES",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_MINUTES",
    "RECENT_LOGIN_MINUTES",
    "API_MAX_REQUESTS",
    "API_RATE_WINDOW_SECONDS",
    "CALLBACK_MAX_REQUESTS",
    "NEED_FORM_MAX_REQUESTS",
    "CV_FORM_MAX_REQUESTS",
    "LINK_MAX_REQUESTS",
    "AUDIT_RETENTION_DAYS",
    "NEEDS_RETENTION_MONTHS",
    "VISIT_RETENTION_MONTHS",
    "COMPANY_CONTACT_RETENTION_MONTHS",
    "MAIL_BODY_RETENTION_DAYS",
    "MAIL_FAILED_RETENTION_DAYS",
    "LEGAL_PUBLISHER",
    "LEGAL_PUBLISHER_ADDRESS",
    "LEGAL_DIRECTOR",
    "LEGAL_HOST",
    "CONTACT_TEAM",
    "CONTACT_PHONE",
    "CONTACT_ADDRESS",
    "CONTACT_HOURS",
    "CONTACT_EMAIL",
    "OBSERVATORY_CACHE_SECONDS",
)


class Defaults:
    CONNECTENCES_ENV = "development"  # "production" refuses to start without SECRET_KEY
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite file in instance/
    # hide_parameters: values bound to SQL statements (password hashes, personal data)
    # never appear in an error message or a log line, only the statement does.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # Bytes (Flask's name). Well above the 5 MB a CV may weigh: a scanned CV of 8 or 12 MB
    # reaches the form, which says so beside the file and keeps what was typed; only a
    # body past this gets the bare "Envoi trop volumineux" page.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Longest address a page is served for: its path and query string as the application
    # reads them (``web.security.address_bytes``); a longer one gets the French 414 page.
    # The platform's own links stay far below (a filtered list: a few hundred bytes). It
    # must stay below gunicorn's request-line limit (``gunicorn_conf.limit_request_line``,
    # 8190 bytes with the method and HTTP version), or gunicorn answers first, in English.
    MAX_URL_BYTES = 4096
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True in production (set by create_app)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # WTForms' messages come from its own French translations (web.forms.Form), not Babel.
    WTF_I18N_ENABLED = False
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # seconds (Flask-WTF's name): life of a form's token
    BASE_URL = "http://127.0.0.1:5000"
    PLATFORM_NAME = "Connect'ences"
    # Legal notice, contact page and the Reply-To of mails to companies: set for each
    # installation (instance/config.py or the environment). The values below are
    # examples: pages mark them as such and production refuses to start with them
    # (LEGAL_SETTINGS, example_settings()).
    LEGAL_PUBLISHER = "Pays Bassin d'Arcachon–Val de l'Eyre (syndicat mixte)"
    LEGAL_PUBLISHER_ADDRESS = "Pays Bassin d'Arcachon–Val de l'Eyre, 33260 La Teste-de-Buch"
    LEGAL_DIRECTOR = "La présidence du Pays Bassin d'Arcachon–Val de l'Eyre"
    LEGAL_HOST = "Hébergement assuré par le prestataire informatique du Pays, en France"
    CONTACT_TEAM = "L'équipe Connect'ences du Pays Bassin d'Arcachon–Val de l'Eyre"
    CONTACT_PHONE = "05 57 00 00 00"
    CONTACT_ADDRESS = "Pays Bassin d'Arcachon–Val de l'Eyre, 33260 La Teste-de-Buch"
    CONTACT_HOURS = "du lundi au vendredi, de 9 h à 12 h 30 et de 14 h à 17 h"
    CONTACT_EMAIL = "contact@connectences.local"
    # Accessibility statement (RGAA): date of the last self-assessment
    ACCESSIBILITY_AUDIT_DATE = "décembre 2026"
    # Mail (SMTP)
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""  # empty: the relay takes mail without a login
    MAIL_PASSWORD = ""
    MAIL_FROM = "Connect'ences <ne-pas-repondre@connectences.local>"
    MAIL_TIMEOUT_SECONDS = 30  # for connect and for each SMTP command
    # Accounts
    PASSWORD_MIN_LENGTH = 12
    # argon2id cost (argon2-cffi's RFC 9106 "low memory" profile). Raising them rehashes
    # each password at its owner's next login; the tests turn them down (tests/conftest.py).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    ARGON2_PARALLELISM = 4
    # Login throttle (accounts/throttle.py, LoginPolicies): within the window, an account
    # that fails LOGIN_MAX_FAILURES times from one address is locked from that address only
    # (a stranger must not lock its owner out); one that fails LOGIN_ACCOUNT_MAX_FAILURES
    # times from all addresses together is locked everywhere (a guess spread over many
    # addresses; the reset link still lets its owner in); an address that fails
    # LOGIN_ADDRESS_MAX_FAILURES times, whatever the accounts, is locked (many people share
    # one address: an office's wifi, a mobile carrier's NAT). Each lock lasts
    # LOGIN_LOCK_SECONDS.
    LOGIN_MAX_FAILURES = 5
    LOGIN_ACCOUNT_MAX_FAILURES = 50
    LOGIN_ADDRESS_MAX_FAILURES = 50
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_LOCK_SECONDS = 15 * 60
    # API rate limit: each token makes at most API_MAX_REQUESTS requests per window of
    # API_RATE_WINDOW_SECONDS, counted in the database (every worker sees the same count).
    API_MAX_REQUESTS = 600
    API_RATE_WINDOW_SECONDS = 60
    INVITATION_TTL_HOURS = 72  # whole hours: the mail says how long the link lasts
    # Login sessions (accounts/sessions.py): closed after this long unused, and after this
    # long whatever happens (ASVS level 2: 30 minutes idle, 12 hours in all). Exporting the
    # CV library, merging people and managing accounts ask for the password again when it
    # was last given longer ago than RECENT_LOGIN_MINUTES.
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_MINUTES = 12 * 60
    RECENT_LOGIN_MINUTES = 15
    # A form a logged-in person sends once their session has ended, or whose security token
    # was refused, is held this long on the server (accounts/held_forms.py, in
    # HELD_FORMS_DIR, default instance/held-forms/): logging in again as the same person
    # shows it filled in, to check and send again.
    HELD_FORM_MINUTES = 60
    HELD_FORMS_DIR: str | None = None
    # Reverse proxies in front of the app (nginx: 1): the login throttle per address
    # then reads the client address from X-Forwarded-For.
    TRUSTED_PROXIES = 0
    # Contact-pressure guard: a company contacted less than this many days before (or
    # after) a new contact is a warning (prospection/pressure.py)
    CONTACT_WINDOW_DAYS = 30
    # Public "Être rappelé" form: requests accepted per address and per hour (then an hour's pause)
    CALLBACK_MAX_REQUESTS = 5
    # The other anonymous forms that send a mail, accepted per address and per hour (then
    # an hour's pause), so that nobody relays mail through the platform: a need posted or
    # its address corrected; a CV left (an agency may help several people from one
    # address); a link asked for (password reset, CV space, company space).
    NEED_FORM_MAX_REQUESTS = 10
    CV_FORM_MAX_REQUESTS = 20
    LINK_MAX_REQUESTS = 10
    # Offline visits (the phone's queue and the prepared round, see prospection/offline.py)
    OFFLINE_ROUND_MAX_HOURS = 14  # a prepared round is wiped from the phone after this
    OFFLINE_ROUND_MAX_COMPANIES = 60
    OFFLINE_MAX_AGE_DAYS = 30  # a record made on the phone longer ago is refused
    OFFLINE_CLOCK_DRIFT_MINUTES = 10  # how far ahead a phone's clock may be
    OFFLINE_CACHE_VERSION = ""  # bump to make every phone replace its offline cache
    # CV library: largest CV file, life of a personal link and of a confirmation link
    CV_MAX_BYTES = 5 * 1024 * 1024
    CV_LINK_MAX_AGE_DAYS = 30
    CV_CONFIRM_MAX_AGE_DAYS = 7
    # A stored CV file (or testimonial photo) no record names is removed by the nightly
    # data_retention job once this old (cvtheque/stored_files.py): an upload in progress
    # has its file before its row.
    CV_ORPHAN_MIN_AGE_HOURS = 24
    # Company owners: life of the link confirming a posted need, and of their space link
    # (renewable by e-mail)
    NEED_CONFIRM_MAX_AGE_DAYS = 7
    COMPANY_LINK_MAX_AGE_DAYS = 30
    # Life of the link to the GPECT diagnosis questionnaire mailed to a company owner
    DIAGNOSIS_LINK_MAX_AGE_DAYS = 30
    # Scheduler delays (see connectences/jobs/tasks.py; working days skip public holidays)
    LEAD_REMIND_WORKING_DAYS = 3  # unseen lead: reminder to the operator
    LEAD_ALERT_DAYS = 15  # unanswered lead: alert to the animateur
    LEAD_CLOSE_DAYS = 60  # then closed as sans_suite
    REFERRAL_REMIND_WORKING_DAYS = 3
    REFERRAL_ALERT_DAYS = 15
    REFERRAL_CLOSE_DAYS = 60
    # Interchange imports run one at a time (exchange/importer.py): one arriving while
    # another runs waits this long for it to end, then is refused.
    EXCHANGE_IMPORT_WAIT_SECONDS = 60
    REMATCH_MIN_SCORE = 70  # nightly re-matching flags new candidates from this score
    REMATCH_TOP = 10
    # Personal data: CV retention after the last contact, unconfirmed submissions, logs
    RETENTION_WARN_MONTHS = 23
    RETENTION_DELETE_MONTHS = 24
    UNCONFIRMED_TTL_DAYS = 7
    AUDIT_RETENTION_DAYS = 365
    JOB_RUN_RETENTION_DAYS = 90
    # Companies' data (docs/rgpd.md T3, T4, T8): closed needs lose their owner's details
    # and notes 3 years after their last activity; visits go 3 years after their date;
    # a company's contacts 3 years after the last contact with it; sent mails lose their
    # body after a year; mails given up are deleted after 3 months.
    NEEDS_RETENTION_MONTHS = 36
    VISIT_RETENTION_MONTHS = 36
    COMPANY_CONTACT_RETENTION_MONTHS = 36
    MAIL_BODY_RETENTION_DAYS = 365
    MAIL_FAILED_RETENTION_DAYS = 90
    # Call-back requests (docs/rgpd.md T10): a name and a phone number, deleted a year
    # after the request (the animateur records what followed as a visit).
    CALLBACK_RETENTION_MONTHS = 12
    # Event registrations (docs/rgpd.md T12): anonymised a year after the event (the
    # counts of past events stay); never confirmed: deleted after UNCONFIRMED_TTL_DAYS.
    EVENT_REGISTRATION_RETENTION_MONTHS = 12
    # The observatory's figures are computed again after this long even when no need
    # changed (see observatory/cache.py); the page says when they were computed.
    OBSERVATORY_CACHE_SECONDS = 300
    # Backups
    BACKUP_DIR: str | None = None  # default: instance/backups/
    BACKUP_KEEP = 14  # daily copies kept


# Settings whose name changed (to say their unit): an instance that still sets the old
# name is refused at start-up rather than silently running on the default.
RENAMED = {
    "MAIL_TIMEOUT": "MAIL_TIMEOUT_SECONDS",
    "ARGON2_MEMORY_COST": "ARGON2_MEMORY_KIB",
}
# The units a duration setting may end with, as ``timedelta`` arguments.
DURATION_UNITS = {"_SECONDS": "seconds", "_MINUTES": "minutes", "_HOURS": "hours", "_DAYS": "days"}


def setting(key: str):
    """The value of a setting: the running application's, or the default of ``Defaults``
    outside one (plain domain code called from a script or a test).

    A name ``Defaults`` does not declare is a mistake in the code, refused here rather
    than read as None.
    """
    if not hasattr(Defaults, key):
        raise ConfigurationError(
            f"Réglage inconnu : {key} (à déclarer dans connectences/config.py). "
            f"/ Unknown setting {key}: declare it in connectences/config.py."
        )
    if has_app_context():
        return current_app.config[key]
    return getattr(Defaults, key)


def integer(key: str) -> int:
    """A whole-number setting (a value from instance/config.py may be a string)."""
    return int(setting(key))


def number(key: str) -> float:
    """A setting that may have a fractional part."""
    return float(setting(key))


def duration(key: str) -> timedelta:
    """A duration setting, in the unit its name ends with (``..._DAYS``, ``..._HOURS``...)."""
    for suffix, unit in DURATION_UNITS.items():
        if key.endswith(suffix):
            return timedelta(**{unit: number(key)})
    raise ConfigurationError(f"{key} does not name its unit ({', '.join(DURATION_UNITS)})")


def check_renamed(config) -> None:
    """Refuse a configuration that still sets a setting under its former name."""
    old = sorted(name for name in RENAMED if name in config)
    if old:
        names = ", ".join(f"{name} → {RENAMED[name]}" for name in old)
        raise ConfigurationError(
            f"Réglage renommé, utilisez le nouveau nom : {names}. / Setting renamed: {names}."
        )


# The settings a legal notice and the contact page state as facts, with what each is
# (for the start-up error): none may keep an example value in production.
LEGAL_SETTINGS = {
    "LEGAL_PUBLISHER": "le nom de l'organisme qui édite le service",
    "LEGAL_PUBLISHER_ADDRESS": "l'adresse de l'éditeur",
    "LEGAL_DIRECTOR": "le directeur ou la directrice de la publication",
    "LEGAL_HOST": "l'hébergeur : nom, adresse et téléphone",
    "CONTACT_PHONE": "le téléphone de l'équipe",
    "CONTACT_ADDRESS": "l'adresse postale de l'équipe",
    "CONTACT_EMAIL": "l'adresse e-mail de contact (aussi Reply-To des e-mails aux entreprises)",
}
# Words and addresses that only a template or a test would use: reserved domains
# (RFC 2606, 6761, 6762), "à compléter", "XXX", "lorem", "exemple"...
_PLACEHOLDER = re.compile(
    r"\b(?:à|a) (?:compléter|completer|définir|definir|remplacer|renseigner)\b"
    r"|\bx{3,}\b|\btodo\b|\blorem\b|\bchangeme\b|\bexemple\b|\bexample\b"
    r"|@[^\s@]*\.(?:local|localhost|test|invalid|example)\b"
    r"|@(?:[^\s@]+\.)?(?:example|exemple)\.(?:com|org|net|fr)\b",
    re.IGNORECASE,
)


def is_example_value(key: str, value: object) -> bool:
    """Whether the setting ``key`` still holds an example: empty, the shipped default
    (``Defaults``), placeholder words or a reserved domain, or, for a phone, not ten
    digits or a run of zeros (``05 57 00 00 00``)."""
    text = "" if value is None else str(value).strip()
    if not text or text == getattr(Defaults, key, None) or _PLACEHOLDER.search(text):
        return True
    if key.endswith("_PHONE"):
        digits = re.sub(r"\D", "", text)
        return len(digits) < 10 or digits.endswith("000000")
    return False


def example_settings(config) -> list[str]:
    """The legal and contact settings of ``config`` (a mapping) still at an example value,
    in the order of ``LEGAL_SETTINGS``."""
    return [key for key in LEGAL_SETTINGS if is_example_value(key, config.get(key))]


# The shortest SECRET_KEY production accepts: what ``secrets.token_hex(16)`` gives. It
# signs the sessions and every personal link (CV space, company space, unsubscribe).
SECRET_KEY_MIN_LENGTH = 32
# The settings production checks beyond the legal ones, with what each must be.
PRODUCTION_SETTINGS = {
    "SECRET_KEY": (
        f"au moins {SECRET_KEY_MIN_LENGTH} caractères aléatoires, par exemple la sortie de "
        '`python -c "import secrets; print(secrets.token_hex(32))"`'
    ),
    "BASE_URL": "l'adresse publique du service, en https:// (les liens des e-mails la donnent)",
    "MAIL_SERVER": "le serveur SMTP (relais) par lequel partent les e-mails",
    "MAIL_PORT": "le port de ce serveur, un nombre de 1 à 65535",
    "MAIL_FROM": "l'adresse d'expédition des e-mails, sur le domaine de l'installation",
}
_RESERVED_HOST = re.compile(
    r"(?:^|\.)(?:localhost|local|test|invalid|example)$|(?:^|\.)(?:example|exemple)\.(?:com|org|net|fr)$",
    re.IGNORECASE,
)


def _weak_secret(value: object) -> bool:
    text = "" if value is None else str(value)
    # A repeated character ("x" * 32) or a placeholder ("changeme") is no random key.
    return (
        len(text) < SECRET_KEY_MIN_LENGTH or len(set(text)) < 10 or bool(_PLACEHOLDER.search(text))
    )


def _local_host(host: str | None) -> bool:
    if not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bool(_RESERVED_HOST.search(host))
    return address.is_loopback or address.is_unspecified or address.is_link_local


def production_problems(config) -> list[str]:
    """The settings of ``config`` (a mapping) production may not run with, beyond the
    legal ones (``example_settings``): a weak SECRET_KEY, a BASE_URL no one outside can
    open, no SMTP relay, an example sender. In the order of ``PRODUCTION_SETTINGS``."""
    wrong = set()
    if _weak_secret(config.get("SECRET_KEY")):
        wrong.add("SECRET_KEY")
    base = urlsplit(str(config.get("BASE_URL") or "").strip())
    if base.scheme != "https" or _local_host(base.hostname):
        wrong.add("BASE_URL")
    if not str(config.get("MAIL_SERVER") or "").strip():
        wrong.add("MAIL_SERVER")
    port = config.get("MAIL_PORT")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        wrong.add("MAIL_PORT")
    sender = parseaddr(str(config.get("MAIL_FROM") or ""))[1]
    if "@" not in sender or _local_host(sender.rpartition("@")[2]):
        wrong.add("MAIL_FROM")
    return [key for key in PRODUCTION_SETTINGS if key in wrong]


def check_database_uri(uri: str) -> None:
    """Refuse a database URL SQLAlchemy cannot read or has no driver for, naming it
    without its password, rather than failing inside the extension's set-up."""
    try:
        url = make_url(uri)
        url.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        try:
            shown = make_url(uri).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            shown = "(illisible)"
        raise ConfigurationError(
            f"DATABASE_URL inutilisable : {shown} ({type(error).__name__}). Attendu : "
            "postgresql://utilisateur:motdepasse@hôte/base ou sqlite:////chemin/fichier. "
            "/ DATABASE_URL cannot be used."
        ) from None


# PostgreSQL compiles a statement to machine code (JIT) once its estimated cost passes
# ``jit_above_cost``: worth it for a long analytical query, not for a page's statements.
# Measured on the 100,000-person set (session 27), the CV library's free-time filters
# spent 540 ms compiling a plan that ran in 110 ms. Off for the platform's connections;
# a DATABASE_URL that sets its own ``options`` keeps them.
POSTGRESQL_OPTIONS = "-c jit=off"


def engine_options(uri: str, options: dict) -> dict:
    """``options`` (``SQLALCHEMY_ENGINE_OPTIONS``) for the database at ``uri``: on
    PostgreSQL, the connections start with ``POSTGRESQL_OPTIONS``."""
    url = make_url(uri)
    connect_args = options.get("connect_args", {})
    if (
        url.get_backend_name() != "postgresql"
        or "options" in url.query
        or "options" in connect_args
    ):
        return options
    return {**options, "connect_args": {**connect_args, "options": POSTGRESQL_OPTIONS}}


def database_uri(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return "sqlite:///" + str(Path(instance_path) / "connectences.sqlite3")


def from_environment() -> dict:
    """The configuration values set in the environment, typed."""
    values: dict = {}
    for key in ENV_KEYS:
        if key in os.environ:
            raw = os.environ[key]
            # Typed as the setting's default is: a flag, a whole number or text.
            default = getattr(Defaults, key, None)
            if isinstance(default, bool):
                values[key] = raw.strip().lower() in {"1", "true", "yes", "on", "oui"}
            elif isinstance(default, int):
                try:
                    values[key] = int(raw)
                except ValueError:
                    raise ConfigurationError(
                        f"Variable d'environnement {key} : un nombre entier est attendu, "
                        f"pas « {raw} ». / {key} must be a whole number."
                    ) from None
            else:
                values[key] = raw
    if "DATABASE_URL" in os.environ:
        values["SQLALCHEMY_DATABASE_URI"] = database_uri("")
    return values


def embedded_secret_key(instance_path: str) -> str:
    """Read, or create once, the random key of an embedded (non-production) install."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
