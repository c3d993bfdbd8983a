from __future__ import annotations

import pytest

from specway.plugins.auth.passwords import (
    ScryptParams,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)

FAST = ScryptParams(log_n=10)


def test_hash_verifies_and_carries_its_parameters() -> None:
    stored = hash_password("correct-horse-battery", FAST)
    assert stored.startswith("scrypt$10$8$3$")
    assert "correct-horse-battery" not in stored
    assert verify_password("correct-horse-battery", stored)
    assert not verify_password("correct-horse-batterY", stored)
    assert hash_password("correct-horse-battery", FAST) != stored  # fresh salt


def test_rehash_when_parameters_change_and_garbage_never_verifies() -> None:
    stored = hash_password("correct-horse-battery", FAST)
    assert not needs_rehash(stored, FAST)
    assert needs_rehash(stored, ScryptParams(log_n=11))
    assert not verify_password("x", "not-a-hash")
    assert not verify_password("x", "scrypt$a$b$c$d$e")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 8"),
        ("password123", "too common"),
        ("aaaaaaaaaaaa", "4 different"),
        ("alice@example.com", "email"),
        ("x" * 300, "at most"),
    ],
)
def test_weak_passwords_are_named(password: str, reason: str) -> None:
    problems = password_problems(password, email="alice@example.com")
    assert any(reason in p for p in problems)


def test_good_password_has_no_problems() -> None:
    assert password_problems("correct-horse-battery", email="a@example.com") == []
