"""Login throttle: failures counted per account from one address, per account from all
addresses and per address, in the database; and the API's rate limit per token, counted
the same way.

The counter lives in the ``login_throttle`` table so that every web worker sees
the same count; increments are single upsert statements, so two workers
failing at the same moment cannot lose a failure. The API's counters are rows of the
same table under their own keys (``api:<token id>``): ``failures`` counts the requests
of the current window there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from connectences import config
from connectences.models import LoginThrottle, utcnow


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window_seconds: int
    lock_seconds: int


@dataclass(frozen=True)
class LoginPolicies:
    """The three counts a wrong password adds to (OWASP's advice: a stranger must not lock
    the owner out, and guessing must stay slow):

    - ``pair``: one account from one address. A few failures lock that account from that
      address only: whoever guesses is stopped, the owner elsewhere still logs in.
    - ``account``: one account from every address together, a much higher count: a guess
      spread over many addresses locks the account everywhere (its owner gets in by the
      reset link, which clears the locks: ``forget_account``).
    - ``address``: one address for every account, as high: many people share an address
      (an office's wifi, a mobile carrier's NAT), one of them mistyping must not lock the
      others out, yet one address guessing many accounts is stopped.

    The same window and lock length for the three."""

    pair: ThrottlePolicy
    account: ThrottlePolicy
    address: ThrottlePolicy

    @classmethod
    def from_config(cls) -> LoginPolicies:
        """The policies of the running application (the defaults outside an app context)."""
        window = config.integer("LOGIN_WINDOW_SECONDS")
        lock = config.integer("LOGIN_LOCK_SECONDS")
        return cls(
            *(
                ThrottlePolicy(config.integer(name), window, lock)
                for name in (
                    "LOGIN_MAX_FAILURES",
                    "LOGIN_ACCOUNT_MAX_FAILURES",
                    "LOGIN_ADDRESS_MAX_FAILURES",
                )
            )
        )

    def keys(self, email: str, ip: str | None) -> list[tuple[str, ThrottlePolicy]]:
        """The key and policy of each count a password typed for ``email`` from ``ip``
        adds to, the same three whether the address has an account or not."""
        return [
            (pair_key(email, ip), self.pair),
            (account_key(email), self.account),
            (address_key(ip), self.address),
        ]


def account_key(email: str) -> str:
    return "account:" + email.strip().lower()[:280]


def address_key(ip: str | None) -> str:
    return "ip:" + (ip or "inconnue")[:280]


# The key column holds 300 characters: an address of 254 (the longest an e-mail address
# may be) and an IPv6 address of 45 do not both fit, so each part is cut at its own
# length, always the same, which keeps the prefix of an account's keys fixed.
_PAIR_EMAIL_CHARS = 246
_PAIR_ADDRESS_CHARS = 45


def _pair_prefix(email: str) -> str:
    return "pair:" + email.strip().lower()[:_PAIR_EMAIL_CHARS] + "|ip:"


def pair_key(email: str, ip: str | None) -> str:
    """The key counting the failures of one account from one address. Its own prefix,
    not ``account:``: whatever is typed as a login address (« x@y.fr|ip:… ») gives an
    ``account:`` key, which must never be the count of someone else's pair."""
    return _pair_prefix(email) + (ip or "inconnue")[:_PAIR_ADDRESS_CHARS]


def form_key(form: str, ip: str | None) -> str:
    """The key counting the submissions of one public form from one address (the call-back
    form...): such a form is throttled by the same counter as failed logins, each accepted
    submission counting as one (``record_failure``), its lock refusing the next ones."""
    return f"form:{form}:" + (ip or "inconnue")[:250]


def form_policy(max_per_hour: int) -> ThrottlePolicy:
    """At most ``max_per_hour`` submissions per hour, then one hour of refusals."""
    return ThrottlePolicy(max_failures=max_per_hour, window_seconds=3600, lock_seconds=3600)


# The anonymous forms that send a mail, each counted per sender's address against the
# hourly limit of its setting (the call-back form and event registrations have their own).
MAIL_FORMS = {
    "besoin": "NEED_FORM_MAX_REQUESTS",
    "cv": "CV_FORM_MAX_REQUESTS",
    "lien": "LINK_MAX_REQUESTS",
}


def mail_form_refusal(
    session: Session, form: str, ip: str | None, now: datetime | None = None
) -> str | None:
    """Why the mail form ``form`` (a key of ``MAIL_FORMS``) is refused to ``ip`` now, in
    French, when it was used its hourly count from there; None when it may be used."""
    if locked_until(session, [form_key(form, ip)], now) is None:
        return None
    return (
        "Trop d'envois depuis votre connexion en peu de temps : rien n'a été envoyé. "
        "Réessayez dans une heure ; si c'est urgent, appelez-nous au "
        f"{config.setting('CONTACT_PHONE')}."
    )


def count_mail_form(session: Session, form: str, ip: str | None, now: datetime | None = None):
    """Count one use of the mail form ``form`` from ``ip`` (the caller commits)."""
    policy = form_policy(config.integer(MAIL_FORMS[form]))
    record_failure(session, form_key(form, ip), policy, now)


def locked_until(session: Session, keys: list[str], now: datetime | None = None) -> datetime | None:
    """The latest lock end among these keys, or None when none of them is locked now."""
    now = now or utcnow()
    ends = session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    ).all()
    return max(ends) if ends else None


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# The counting upsert of each dialect, built once (it is sent on every API request).
_COUNTS: dict[str, object] = {}


def _count_statement(dialect: str):
    if dialect not in _COUNTS:
        if dialect not in _INSERTS:
            raise RuntimeError(f"unsupported database: {dialect}")  # pragma: no cover
        table = LoginThrottle.__table__
        now = bindparam("now", type_=table.c.window_start.type)
        expired = table.c.window_start < bindparam("cutoff", type_=table.c.window_start.type)
        stmt = _INSERTS[dialect](table).values(
            key=bindparam("key"), failures=1, window_start=now, locked_until=None
        )
        _COUNTS[dialect] = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        ).returning(table.c.failures, table.c.window_start)
    return _COUNTS[dialect]


def _count(session: Session, key: str, window_seconds: int, now: datetime) -> tuple[int, datetime]:
    """Count one event for ``key`` in its window (a fresh window when the last is over):
    one upsert statement, so that concurrent workers never lose a count. Returns the
    count and the start of the window it falls in."""
    statement = _count_statement(session.get_bind().dialect.name)
    cutoff = now - timedelta(seconds=window_seconds)
    count, start = session.execute(statement, {"key": key, "now": now, "cutoff": cutoff}).one()
    return count, start


@dataclass(frozen=True)
class RatePolicy:
    limit: int
    window_seconds: int

    @classmethod
    def from_config(cls) -> RatePolicy:
        """The API's policy of the running application."""
        return cls(
            limit=config.integer("API_MAX_REQUESTS"),
            window_seconds=config.integer("API_RATE_WINDOW_SECONDS"),
        )


def api_key(token_id: int) -> str:
    return f"api:{token_id}"


def take_request(
    session: Session, key: str, policy: RatePolicy, now: datetime | None = None
) -> int | None:
    """Count one request for ``key``; None when it is within the limit, else the whole
    seconds to wait before a new window starts (at least 1). The caller commits."""
    now = now or utcnow()
    count, start = _count(session, key, policy.window_seconds, now)
    _expire_loaded(session)
    if count <= policy.limit:
        return None
    left = start + timedelta(seconds=policy.window_seconds) - now
    return max(1, math.ceil(left.total_seconds()))


def record_failure(
    session: Session, key: str, policy: ThrottlePolicy, now: datetime | None = None
) -> bool:
    """Count one failure for this key; lock it when the limit is reached. True if it locked now."""
    now = now or utcnow()
    _count(session, key, policy.window_seconds, now)
    # One conditional update decides the lock, so only one worker reports it.
    result = session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            LoginThrottle.failures >= policy.max_failures,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(
            locked_until=now + timedelta(seconds=policy.lock_seconds),
            # A fresh window after the lock, so one more failure does not re-lock at once.
            failures=0,
            window_start=now,
        )
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session)
    return result.rowcount == 1


def clear(session: Session, key: str, now: datetime | None = None) -> None:
    """Forget the failures of a key that is not locked (after a successful login)."""
    now = now or utcnow()
    session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(failures=0, window_start=now, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session)


def forget_account(session: Session, email: str) -> None:
    """Forget every count and lock of the account ``email``, from each address and from
    all together: its owner proved they read its mailbox (a reset link) and chose a new
    password, which none of the failures counted was a guess of."""
    session.execute(
        delete(LoginThrottle)
        .where(
            or_(
                LoginThrottle.key == account_key(email),
                LoginThrottle.key.startswith(_pair_prefix(email), autoescape=True),
            )
        )
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session)


# A day: longer than the window of any key (a login's, an API token's, a form's hour).
_STALE_AFTER = timedelta(days=1)


def purge(session: Session, now: datetime) -> int:
    """Delete the counts nothing reads any more (the nightly data retention): no lock
    running, and a window started longer ago than any window lasts (a day, or the login's
    or the API's window when set longer), so that the next failure would have started a
    new one anyway. The keys name an address typed and a client's IP address: kept no
    longer than they serve. Returns how many were deleted."""
    stale = max(
        _STALE_AFTER,
        timedelta(seconds=config.integer("LOGIN_WINDOW_SECONDS")),
        timedelta(seconds=config.integer("API_RATE_WINDOW_SECONDS")),
    )
    deleted = session.execute(
        delete(LoginThrottle)
        .where(
            LoginThrottle.window_start < now - stale,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    _expire_loaded(session)
    return deleted


def _expire_loaded(session: Session) -> None:
    # The bulk statements bypass the identity map; loaded rows must not show stale counts.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, LoginThrottle):
            session.expire(obj)


def spend(
    session: Session, keys: list[str], policy: ThrottlePolicy, now: datetime | None = None
) -> datetime | None:
    """Count one use of a public form against each key (an address typed, a client's
    IP address); the end of the lock when one of them is locked, else None.

    The same counter as failed logins: ``policy.max_failures`` uses within
    ``policy.window_seconds`` lock the key for ``policy.lock_seconds``. A locked key
    counts nothing more (the lock does not grow while someone keeps trying).
    """
    now = now or utcnow()
    until = locked_until(session, keys, now)
    if until is not None:
        return until
    for key in keys:
        record_failure(session, key, policy, now)
    return None
