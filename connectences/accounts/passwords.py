"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from connectences import config
from connectences.text import strip_accents

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


# Words that start the passwords people pick first (French and English lists of the most
# used ones), as letters only: "Password1234!" and "azerty2027" are these with digits.
_COMMON_WORDS = frozenset(
    [
        "password",
        "passwort",
        "motdepasse",
        "mdp",
        "azerty",
        "azertyuiop",
        "qwerty",
        "qwertyuiop",
        "qwertz",
        "abc",
        "abcd",
        "abcdef",
        "abcdefgh",
        "abcdefghijkl",
        "admin",
        "administrateur",
        "administrator",
        "root",
        "user",
        "utilisateur",
        "test",
        "testtest",
        "welcome",
        "bienvenue",
        "bonjour",
        "salut",
        "hello",
        "soleil",
        "doudou",
        "chouchou",
        "loulou",
        "jetaime",
        "iloveyou",
        "loveyou",
        "amour",
        "marseille",
        "paris",
        "bordeaux",
        "arcachon",
        "bassin",
        "connectences",
        "secret",
        "changeme",
        "letmein",
        "football",
        "monkey",
        "dragon",
        "master",
        "princess",
        "sunshine",
        "shadow",
        "qazwsx",
        "trustno",
        "starwars",
        "pokemon",
        "chocolat",
        "nicolas",
        "camille",
    ]
)
_MIN_DISTINCT = 5


def _letters(text: str) -> str:
    return "".join(ch for ch in strip_accents(text).lower() if ch.isalpha())


def password_problem(
    password: str | None, min_length: int | None = None, *, email: str | None = None
) -> str | None:
    """The French reason why a password is refused, or None when it is acceptable.

    Length first (no rule on the kinds of characters: a long phrase is the best password).
    Then what an attacker tries before anything else: a few characters repeated, one of
    the commonest words with digits or signs around it, or the account's own address
    (with or without its domain)."""
    if min_length is None:
        min_length = config.integer("PASSWORD_MIN_LENGTH")
    if not password or len(password) < min_length:
        return f"Le mot de passe doit contenir au moins {min_length} caractères."
    if len(password) > 1024:
        return "Le mot de passe est trop long (1024 caractères au plus)."
    if not password.strip():
        return "Le mot de passe ne peut pas être composé uniquement d'espaces."
    if len(set(password.lower())) < _MIN_DISTINCT:
        return (
            "Ce mot de passe répète trop peu de caractères différents : choisissez par "
            "exemple une phrase de quelques mots."
        )
    letters = _letters(password)
    counted = password in "0123456789" * 3 or password in "9876543210" * 3
    if counted or any(
        letters == word * (len(letters) // len(word)) for word in _COMMON_WORDS if letters
    ):
        return (
            "Ce mot de passe est parmi les plus courants, même avec des chiffres : choisissez "
            "par exemple une phrase de quelques mots."
        )
    if email and letters in (_letters(email), _letters(email.partition("@")[0])):
        return "Le mot de passe ne doit pas être votre adresse e-mail."
    return None


# What ``password_hash`` holds once the password was closed (``roles.close_password``):
# never a hash any password matches (an argon2 hash starts with "$"; "!" marks a locked
# password as in /etc/shadow), and unlike "no password yet" (an invitation pending) it
# says the account had one: its owner chooses a new one through « Mot de passe oublié ».
CLOSED_HASH = "!closed"


def is_closed(password_hash: str | None) -> bool:
    """Whether the account's password was closed (see ``CLOSED_HASH``)."""
    return password_hash == CLOSED_HASH


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches. With no hash, or a closed one, a dummy hash is
    checked so timing is the same."""
    if not password_hash or is_closed(password_hash):
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
