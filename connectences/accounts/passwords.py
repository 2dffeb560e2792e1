"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from connectences import config

# Parameters come from the configuration, so that raising them later rehashes every
# password at its owner's next login (see needs_rehash).
_PARAM_KEYS = {
    "ARGON2_TIME_COST": "time_cost",
    "ARGON2_MEMORY_KIB": "memory_cost",
    "ARGON2_PARALLELISM": "parallelism",
}


def _params() -> tuple[tuple[str, int], ...]:
    return tuple((arg, config.integer(key)) for key, arg in _PARAM_KEYS.items())


@lru_cache(maxsize=8)
def _hasher_for(params: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def hasher() -> PasswordHasher:
    """The argon2id hasher with the configured parameters."""
    return _hasher_for(_params())


@lru_cache(maxsize=8)
def _dummy_hash(params: tuple[tuple[str, int], ...]) -> str:
    return _hasher_for(params).hash("compte-inexistant-valeur-factice")


def password_problem(password: str | None, min_length: int | None = None) -> str | None:
    """The French reason why a password is refused, or None when it is acceptable."""
    if min_length is None:
        min_length = config.integer("PASSWORD_MIN_LENGTH")
    if not password or len(password) < min_length:
        return f"Le mot de passe doit contenir au moins {min_length} caractères."
    if len(password) > 1024:
        return "Le mot de passe est trop long (1024 caractères au plus)."
    if not password.strip():
        return "Le mot de passe ne peut pas être composé uniquement d'espaces."
    return None


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches. With no hash, a dummy hash is checked so timing is the same."""
    if not password_hash:
        with contextlib.suppress(VerificationError):
            hasher().verify(_dummy_hash(_params()), password)
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
