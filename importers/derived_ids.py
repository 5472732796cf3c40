"""Ids the importers and webhooks derive from a person, as keyed hashes.

An invitation, conversation or message id built from (account, profile slug) with a plain
hash can be reversed by hashing candidate slugs; keyed with the pseudonym key
(`SOCIALKPI_PSEUDONYM_KEY`, the one `sinks.privacy` uses) it cannot, without the key. Every
source that must agree on an id (an Expandi invitation accepted by the export's
Connections.csv row) derives it here, with the same key.

`derived_id(kind, *parts, key=...)` = `kind-` + 24 hex digits (96 bits) of
HMAC-SHA256(key, domain || kind, parts joined by a unit separator). The domain keeps these
digests apart from the member pseudonyms made with the same key; the kind keeps invitation
ids apart from conversation ids of the same parts.
"""

from __future__ import annotations

import hashlib
import hmac

from sinks.privacy import PrivacyError, load_key
from sinks.settings import SinkSettings

DIGEST_HEX = 24
MIN_KEY_BYTES = 16
_DOMAIN = b"socialkpi/derived-id/v1\x00"
_SEP = "\x1f"  # unit separator: cannot appear in the text fields we hash


def derived_id(kind: str, *parts: str, key: bytes) -> str:
    """`kind-<24 hex>`, keyed: the same parts and key always give the same id."""
    if len(key) < MIN_KEY_BYTES:
        raise PrivacyError(f"derived-id key must be at least {MIN_KEY_BYTES} bytes")
    message = _DOMAIN + _SEP.join((kind, *parts)).encode("utf-8", "surrogatepass")
    return f"{kind}-{hmac.new(key, message, hashlib.sha256).hexdigest()[:DIGEST_HEX]}"


def invitation_id(account_id: str, member_id: str, *, key: bytes) -> str:
    """One invitation per (account, counterpart): LinkedIn keeps at most one pending
    invitation between two members, so every source derives it without the other."""
    return derived_id("inv", account_id, member_id, key=key)


def conversation_id(account_id: str, counterpart: str, *, key: bytes) -> str:
    """A 1:1 conversation is keyed by the counterpart member (one thread per pair); a group
    thread by its own id."""
    return derived_id("conv", account_id, counterpart, key=key)


def derived_key(settings: SinkSettings | None = None) -> bytes:
    """The pseudonym key (`SOCIALKPI_PSEUDONYM_KEY`) as bytes; `PrivacyError` (one line,
    never the key) when it is unset or malformed."""
    settings = settings or SinkSettings()
    if settings.pseudonym_key is None:
        raise PrivacyError(
            "SOCIALKPI_PSEUDONYM_KEY is not set: ids derived from people (invitations, "
            "conversations, messages) are keyed hashes and need it (generate one: "
            "python -m sinks.privacy)"
        )
    return load_key(settings.pseudonym_key, "SOCIALKPI_PSEUDONYM_KEY")
