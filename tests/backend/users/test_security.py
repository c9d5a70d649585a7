"""Password hashing with argon2id and the shape of API tokens."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher

from backend.users import security


def test_password_round_trip_with_the_production_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real cost, once: undo the conftest's cheap hasher
    security.hasher.cache_clear()
    hashed = security.hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in hashed
    assert security.verify_password(hashed, "correct horse battery staple")
    assert not security.verify_password(hashed, "correct horse battery stapler")
    assert not security.needs_rehash(hashed)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert security.needs_rehash(weak)  # login upgrades such hashes


def test_each_hash_is_salted() -> None:
    first, second = security.hash_password("same"), security.hash_password("same")
    assert first != second
    assert security.verify_password(first, "same") and security.verify_password(second, "same")


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$garbage"])
def test_a_malformed_hash_never_matches(stored: str) -> None:
    assert not security.verify_password(stored, "plaintext")
    assert security.needs_rehash(stored)


def test_tokens_are_prefixed_random_and_stored_as_sha256() -> None:
    token = security.new_token()
    assert token.startswith("tocsin_") and len(token) == len("tocsin_") + 43
    assert token != security.new_token()
    digest = security.hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert len(digest) == 64 and token not in digest


@pytest.mark.parametrize(
    ("value", "expected"),
    [("tocsin_" + "a" * 43, True), ("a" * 50, False), ("tocsin_short", False), ("", False)],
)
def test_looks_like_token(value: str, expected: bool) -> None:
    assert security.looks_like_token(value) is expected
