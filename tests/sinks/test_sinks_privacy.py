"""Pseudonyms and reveal tokens of member ids (no services needed)."""

from __future__ import annotations

import base64
import logging
import re
import subprocess
import sys

import pytest
from pydantic import SecretStr

from sinks.privacy import (
    KEY_BYTES,
    Privacy,
    PrivacyError,
    Pseudonymizer,
    RevealError,
    Sealer,
    generate_key,
    load_key,
    main,
    reveal,
)
from sinks.settings import SinkSettings

PSEUDONYM = re.compile(r"m_[0-9a-f]{16}")


def test_pseudonym_is_stable_keyed_and_shaped(pseudonym_key: str) -> None:
    first = Pseudonymizer(pseudonym_key)
    again = Pseudonymizer(SecretStr(pseudonym_key))
    other = Pseudonymizer(generate_key())
    assert PSEUDONYM.fullmatch(first("mbr-1"))
    assert first("mbr-1") == again("mbr-1")  # stable across instances (and restarts)
    assert first("mbr-1") != first("mbr-2")
    assert first("mbr-1") != other("mbr-1")  # another key, another pseudonym
    assert "mbr-1" not in first("mbr-1")


def test_seal_reveal_round_trip_with_random_nonce(reveal_key: str) -> None:
    sealer = Sealer(reveal_key)
    one, two = sealer.seal("mbr-7", "rep-1"), sealer.seal("mbr-7", "rep-1")
    assert one != two  # a fresh nonce per value
    assert one.startswith("v1.") and re.fullmatch(r"v1\.[A-Za-z0-9_-]+", one)
    assert "mbr-7" not in one
    assert sealer.reveal(one, "rep-1") == "mbr-7"
    assert reveal(two, SecretStr(reveal_key), "rep-1") == "mbr-7"
    assert Sealer(reveal_key).reveal(one, "rep-1") == "mbr-7"  # same key, new instance


def test_unicode_member_id_round_trip(reveal_key: str) -> None:
    sealer = Sealer(reveal_key)
    assert sealer.reveal(sealer.seal("Zoë 李", "rép"), "rép") == "Zoë 李"


def test_wrong_key_fails_cleanly(reveal_key: str) -> None:
    token = Sealer(reveal_key).seal("mbr-7", "rep-1")
    with pytest.raises(RevealError, match="not the one it was encrypted with") as caught:
        reveal(token, generate_key(), "rep-1")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "mbr-7" not in str(caught.value)


def test_token_is_bound_to_its_account(reveal_key: str) -> None:
    token = Sealer(reveal_key).seal("mbr-7", "rep-1")
    with pytest.raises(RevealError):
        reveal(token, reveal_key, "rep-2")


@pytest.mark.parametrize("token", ["mbr-7", "v1.", "v1.AAAA", "v1.@@@@", "v2.AAAAAAAAAAAAAAAA"])
def test_damaged_tokens_fail_cleanly(reveal_key: str, token: str) -> None:
    with pytest.raises(RevealError):
        reveal(token, reveal_key, "rep-1")


def test_tampered_token_fails(reveal_key: str) -> None:
    token = Sealer(reveal_key).seal("mbr-7", "rep-1")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(RevealError):
        reveal(flipped, reveal_key, "rep-1")


def test_key_formats() -> None:
    raw = bytes(range(KEY_BYTES))
    assert load_key(base64.b64encode(raw).decode()) == raw
    assert load_key(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert load_key(raw.hex()) == raw
    assert load_key(raw) == raw
    assert len(load_key(generate_key())) == KEY_BYTES


@pytest.mark.parametrize("bad", ["", "short", "c2hvcnQ=", "not base64 at all!!", "ab" * 40])
def test_bad_keys_are_rejected_without_echoing_them(bad: str) -> None:
    with pytest.raises(PrivacyError) as caught:
        Pseudonymizer(bad)
    if bad:
        assert bad not in str(caught.value)


def test_reprs_never_show_keys(pseudonym_key: str, reveal_key: str) -> None:
    privacy = Privacy(pseudonym_key, reveal_key)
    texts = [repr(privacy), repr(privacy.pseudonymize), repr(privacy.sealer)]
    settings = SinkSettings(
        pseudonym_key=SecretStr(pseudonym_key), reveal_key=SecretStr(reveal_key)
    )
    texts += [repr(settings), str(settings), str(settings.model_dump())]
    for text in texts:
        assert pseudonym_key not in text and reveal_key not in text


def test_settings_from_environment(
    clean_env: pytest.MonkeyPatch, pseudonym_key: str, reveal_key: str
) -> None:
    clean_env.setenv("SOCIALKPI_PSEUDONYM_KEY", pseudonym_key)
    privacy = Privacy.from_settings(SinkSettings())
    assert privacy.can_reveal is False  # no reveal key: pseudonyms only
    protected = privacy.protect("mbr-9", "rep-1")
    assert PSEUDONYM.fullmatch(protected.pseudonym) and protected.encrypted is None

    clean_env.setenv("SOCIALKPI_REVEAL_KEY", reveal_key)
    privacy = Privacy.from_settings(SinkSettings())
    protected = privacy.protect("mbr-9", "rep-1")
    assert protected.encrypted is not None
    assert reveal(protected.encrypted, reveal_key, "rep-1") == "mbr-9"
    assert protected.pseudonym == Pseudonymizer(pseudonym_key)("mbr-9")


def test_missing_pseudonym_key_is_an_error(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(PrivacyError, match="SOCIALKPI_PSEUDONYM_KEY"):
        Privacy.from_settings(SinkSettings())


def test_bad_reveal_key_in_env_is_an_error(
    clean_env: pytest.MonkeyPatch, pseudonym_key: str
) -> None:
    clean_env.setenv("SOCIALKPI_PSEUDONYM_KEY", pseudonym_key)
    clean_env.setenv("SOCIALKPI_REVEAL_KEY", "too-short")
    with pytest.raises(PrivacyError, match="reveal key"):
        Privacy.from_settings(SinkSettings())


def test_keygen_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    key = capsys.readouterr().out.strip()
    assert len(load_key(key)) == KEY_BYTES
    done = subprocess.run(
        [sys.executable, "-m", "sinks.privacy"], capture_output=True, text=True, check=True
    )
    assert len(load_key(done.stdout.strip())) == KEY_BYTES


def test_keys_never_logged(
    caplog: pytest.LogCaptureFixture, clean_env: pytest.MonkeyPatch, reveal_key: str
) -> None:
    """A RedisView built without a pseudonym key warns, and nothing logged holds a key."""
    from sinks.redis.writer import RedisView

    clean_env.setenv("SOCIALKPI_REVEAL_KEY", reveal_key)
    with caplog.at_level(logging.DEBUG):
        view = RedisView.from_settings(SinkSettings())
    assert view.privacy is None
    assert "SOCIALKPI_PSEUDONYM_KEY" in caplog.text
    assert reveal_key not in caplog.text
