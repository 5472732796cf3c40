"""Keyed derived ids: stable with the key, not reversible by trying names without it."""

from __future__ import annotations

import hashlib
import json

import pytest
from importer_kit import FIXTURES

from importers.derived_ids import conversation_id, derived_id, derived_key, invitation_id
from importers.events import digest, stable_id
from importers.webhooks import load_mappings, map_payload
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


def test_webhook_ids_do_not_reveal_the_member() -> None:
    """Every id a webhook derives from the member (invitation, conversation, message,
    event) is keyed: hashing 100 candidate slugs the old way, or with another key, finds
    none of them; with the key, the invitation id is found again."""
    mappings = load_mappings()
    target = "marta-target-77"
    candidates = [f"candidate-{i:03d}-demo" for i in range(99)] + [target]
    published: set[str] = set()
    for name in ("heyreach_connection_request_sent", "heyreach_message_sent"):
        payload = json.loads((FIXTURES / "webhooks" / f"{name}.json").read_text())
        payload["lead"]["profile_url"] = f"https://www.linkedin.com/in/{target}"
        event = map_payload(mappings["heyreach"], payload, "rep-marta", KEY)
        assert event is not None
        published |= {
            v for k, v in event.items() if k.endswith("_id") and k not in ("account_id",)
        } - {target}
    digests = {p.split("-", 1)[1] for p in published}
    assert len(digests) == 5  # event ids, invitation, conversation, message
    guesses = set()
    for slug in candidates:
        for prefix in ("inv", "conv", "msg", "wh"):
            guesses.add(stable_id(prefix, "rep-marta", slug).split("-", 1)[1])  # old scheme
            guesses.add(derived_id(prefix, "rep-marta", slug, key=OTHER).split("-", 1)[1])
    assert not digests & guesses
    found = [s for s in candidates if invitation_id("rep-marta", s, key=KEY) in published]
    assert found == [target]
