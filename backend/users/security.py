"""Password hashing (argon2id) and API tokens (random, stored only as a sha256 digest)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "tocsin_"  # noqa: S105 - a public prefix, not a secret
# 32 random bytes: token_urlsafe(32) gives 43 characters, so the token is 50 long.
TOKEN_BYTES = 32
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 copes with long inputs; this only bounds request bodies


@cache
def hasher() -> PasswordHasher:
    """Return the password hasher: argon2id with the RFC 9106 low-memory profile."""
    return PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password with argon2id (salted; the parameters travel inside the hash)."""
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether the password matches the hash; a malformed hash never matches."""
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether the hash was made with weaker parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend the time of one verification, so unknown usernames answer as slowly as known ones."""
    verify_password(_dummy_hash(), password)


def new_token() -> str:
    """Return a fresh API token: the ``tocsin_`` prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the sha256 hex digest under which a token is stored and looked up."""
    # A plain digest is enough: the token carries 256 random bits, so nothing is guessable.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Tell whether a value has the shape of a Tocsin token (cheap check before any lookup)."""
    return value.startswith(TOKEN_PREFIX) and 40 <= len(value) <= 200
