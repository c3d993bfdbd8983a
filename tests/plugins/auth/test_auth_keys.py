from __future__ import annotations

import re

import pytest

from specway.plugins.auth.hashing import CredentialHasher
from specway.plugins.auth.keys import (
    BODY_LENGTH,
    CHECKSUM_LENGTH,
    KeyFormat,
    base62,
    checksum,
    display,
)
from specway.plugins.auth.tokens import is_session_token, new_session_token


def test_key_has_prefix_entropy_and_valid_checksum() -> None:
    fmt = KeyFormat()
    key = fmt.generate()
    assert re.fullmatch(r"sk_live_[0-9A-Za-z]{49}", key)
    assert len(key) == len("sk_live_") + BODY_LENGTH + CHECKSUM_LENGTH
    assert fmt.is_well_formed(key)
    body = key[len("sk_live_") : -CHECKSUM_LENGTH]
    assert key.endswith(checksum("sk_live_" + body))
    # 43 base62 characters carry the 32 random bytes: every value fits, and keys differ.
    assert base62(2**256 - 1, BODY_LENGTH)
    assert len({fmt.generate() for _ in range(200)}) == 200


def test_checksum_rejects_typos_truncation_and_foreign_prefixes() -> None:
    fmt = KeyFormat()
    key = fmt.generate()
    flipped = key[:12] + ("A" if key[12] != "A" else "B") + key[13:]
    assert not fmt.is_well_formed(flipped)
    assert not fmt.is_well_formed(key[:-1])
    assert not fmt.is_well_formed(key + "x")
    assert not fmt.is_well_formed("pk_live_" + key[8:])
    assert not fmt.is_well_formed(key[:20] + "!" + key[21:])


def test_custom_and_test_prefixes() -> None:
    fmt = KeyFormat("acme_live_", "acme_test_")
    live, test = fmt.generate(), fmt.generate(test_mode=True)
    assert live.startswith("acme_live_")
    assert fmt.is_well_formed(live)
    assert test.startswith("acme_test_")
    assert fmt.is_well_formed(test)
    assert fmt.is_test(test)
    assert not KeyFormat().is_well_formed(live)
    assert display(live, "acme_live_") == ("acme_live_", live[-4:])


def test_hash_is_keyed_deterministic_and_rotatable() -> None:
    key = KeyFormat().generate()
    current = CredentialHasher(["secret-a"])
    assert current.digest(key) == current.digest(key)
    assert re.fullmatch(r"[0-9a-f]{64}", current.digest(key))
    assert key not in current.digest(key)
    assert CredentialHasher(["secret-b"]).digest(key) != current.digest(key)
    rotated = CredentialHasher(["secret-b", "secret-a"])
    assert rotated.candidates(key)[1] == current.digest(key)
    assert rotated.matches(current.digest(key), rotated.candidates(key)[1])
    assert not rotated.matches(current.digest(key), rotated.digest(key))
    with pytest.raises(ValueError, match="at least one"):
        CredentialHasher([])


def test_session_tokens_are_40_hex() -> None:
    token = new_session_token()
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    assert is_session_token(token)
    assert not is_session_token(token.upper())
    assert not is_session_token(token[:-1])
