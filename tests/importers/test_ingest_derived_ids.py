"""Keyed derived ids: stable with the key, not reversible by trying names without it."""

from __future__ import annotations

import hashlib

import pytest

from importers.derived_ids import conversation_id, derived_id, derived_key, invitation_id
from importers.events import digest
from sinks.privacy import PrivacyError, generate_key
from sinks.settings import SinkSettings

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def test_stable_distinct_by_kind_and_key() -> None:
    first = invitation_id("rep-marta", "jane-doe-0a1b2c", key=KEY)
    assert first == invitation_id("rep-marta", "jane-doe-0a1b2c", key=KEY)
    assert first.startswith("inv-") and len(first) == 4 + 24
    assert first != invitation_id("rep-marta", "jane-doe-0a1b2c", key=OTHER)
    assert first[4:] != conversation_id("rep-marta", "jane-doe-0a1b2c", key=KEY)[5:]
    with pytest.raises(PrivacyError):
        derived_id("inv", "x", key=b"short")


def test_candidate_slugs_do_not_reveal_the_invitee() -> None:
    """What broke (issue 12): 100 candidate slugs hashed like the importer recovered the
    invitee behind a published id. With the keyed id, no unkeyed guess matches."""
    candidates = [f"candidate-{i:03d}-demo" for i in range(99)] + ["marta-target-77"]
    published = invitation_id("rep-marta", "marta-target-77", key=KEY)
    digest_part = published.split("-", 1)[1]
    guesses = set()
    for slug in candidates:
        guesses.add(digest("inv", "rep-marta", slug))  # the old unkeyed scheme
        text = "\x1f".join(("inv", "rep-marta", slug)).encode()
        guesses.add(hashlib.sha256(text).hexdigest()[:24])
        guesses.add(invitation_id("rep-marta", slug, key=OTHER).split("-", 1)[1])
        guesses.add(invitation_id("rep-marta", slug, key=b"\0" * 32).split("-", 1)[1])
    assert digest_part not in guesses
    # with the key, the same search finds it: the id is stable, only the key protects it
    found = [s for s in candidates if invitation_id("rep-marta", s, key=KEY) == published]
    assert found == ["marta-target-77"]


def test_key_from_settings() -> None:
    key = generate_key()
    assert len(derived_key(SinkSettings(pseudonym_key=key))) == 32
    with pytest.raises(PrivacyError, match="SOCIALKPI_PSEUDONYM_KEY is not set"):
        derived_key(SinkSettings(pseudonym_key=None))
