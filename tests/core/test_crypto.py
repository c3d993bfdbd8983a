from __future__ import annotations

import pytest

from specway.crypto import DecryptionError, SecretBox


def test_seal_open_roundtrip_and_ciphertext_hides_value() -> None:
    box = SecretBox(["k1"])
    token = box.seal("postgres://user:pw@db/x", "var_1")
    assert "pw@db" not in token
    assert box.open(token, "var_1") == "postgres://user:pw@db/x"


def test_wrong_key_and_wrong_binding_fail() -> None:
    token = SecretBox(["k1"]).seal("secret", "var_1")
    with pytest.raises(DecryptionError):
        SecretBox(["other"]).open(token, "var_1")
    with pytest.raises(DecryptionError):
        SecretBox(["k1"]).open(token, "var_2")
    with pytest.raises(DecryptionError):
        SecretBox(["k1"]).open("garbage", "var_1")


def test_rotation_keeps_old_values_readable() -> None:
    old = SecretBox(["k1"]).seal("value", "a")
    rotated_box = SecretBox(["k2", "k1"])
    assert rotated_box.open(old, "a") == "value"
    assert rotated_box.needs_rotation(old)
    new = rotated_box.rotate(old, "a")
    assert not rotated_box.needs_rotation(new)
    assert SecretBox(["k2"]).open(new, "a") == "value"
