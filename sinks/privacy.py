"""Member ids (actors, invitees, recipients, senders, prospects) are personal data.

Nothing that leaves the process carries them in clear:

- a **pseudonym** replaces each id: ``m_`` + the first 16 hex digits of
  HMAC-SHA256(pseudonym key, id). Stable (same id, same key -> same pseudonym, across
  accounts and restarts), not reversible without the key, and the key cannot be brute-forced
  from pseudonyms.
- where a person must act on the member (warm prospects to contact, stale invitations to
  withdraw), the id is also **encrypted** with the reveal key: AES-256-GCM, a random 96-bit
  nonce per value, the account id as associated data (a token copied to another account
  does not decrypt), written ``v1.`` + base64url(nonce || ciphertext || tag). `reveal()`
  with the same key (and account) gives the id back; any other key fails with `RevealError`.

Keys are 32 random bytes written in base64, base64url or hex. Generate one with
``python -m sinks.privacy`` (or ``openssl rand -base64 32``) and pass it through the
environment: ``SOCIALKPI_PSEUDONYM_KEY`` (required to publish member lists) and
``SOCIALKPI_REVEAL_KEY`` (optional: without it ids are pseudonymized only). Keys are never
logged: `PrivacyKeys` and the classes here print as ``***``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import sys
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from sinks.settings import SinkSettings

KEY_BYTES = 32
PSEUDONYM_HEX = 16
TOKEN_VERSION = "v1."
_NONCE_BYTES = 12
_TAG_BYTES = 16
_PSEUDONYM_DOMAIN = b"socialkpi/member-pseudonym/v1\x00"
_AAD_DOMAIN = b"socialkpi/member-id/v1\x00"
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")

KeyInput = SecretStr | str | bytes


class PrivacyError(ValueError):
    """A key is missing or malformed (the message never includes the key)."""


class RevealError(PrivacyError):
    """A token does not decrypt: another key, another account, or a damaged token."""


def generate_key() -> str:
    """A fresh key (32 random bytes, base64url) for SOCIALKPI_PSEUDONYM_KEY / _REVEAL_KEY."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def load_key(key: KeyInput, name: str = "key") -> bytes:
    """Decode a key given as base64 / base64url / hex text (or raw 32 bytes)."""
    if isinstance(key, bytes):
        raw = key
    else:
        text = (key.get_secret_value() if isinstance(key, SecretStr) else key).strip()
        raw = _decode_key_text(text, name)
    if len(raw) != KEY_BYTES:
        raise PrivacyError(f"{name} must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def _decode_key_text(text: str, name: str) -> bytes:
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text)
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded.encode("ascii"))
        return base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise PrivacyError(
            f"{name} is not base64, base64url or hex (generate one: python -m sinks.privacy)"
        ) from None


class Pseudonymizer:
    """Keyed, stable pseudonyms of member ids."""

    __slots__ = ("_key",)

    def __init__(self, key: KeyInput) -> None:
        self._key = load_key(key, "pseudonym key")

    def __call__(self, member_id: str) -> str:
        digest = hmac.new(
            self._key, _PSEUDONYM_DOMAIN + member_id.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        return "m_" + digest[:PSEUDONYM_HEX]

    def __repr__(self) -> str:
        return "Pseudonymizer(key=***)"


def _aad(account_id: str) -> bytes:
    return _AAD_DOMAIN + account_id.encode("utf-8")


class Sealer:
    """Encrypts member ids (AES-256-GCM) and reveals them with the same key."""

    __slots__ = ("_aead",)

    def __init__(self, key: KeyInput) -> None:
        self._aead = AESGCM(load_key(key, "reveal key"))

    def seal(self, member_id: str, account_id: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, member_id.encode("utf-8"), _aad(account_id))
        return TOKEN_VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    def reveal(self, token: str, account_id: str) -> str:
        if not token.startswith(TOKEN_VERSION):
            raise RevealError("not an encrypted member id (expected a v1. token)")
        body = token[len(TOKEN_VERSION) :]
        try:
            blob = base64.urlsafe_b64decode((body + "=" * (-len(body) % 4)).encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise RevealError("damaged encrypted member id (bad base64url)") from None
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise RevealError("damaged encrypted member id (too short)")
        try:
            clear = self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(account_id))
        except InvalidTag:
            raise RevealError(
                "cannot reveal the member id: the reveal key (or the account) is not the one "
                "it was encrypted with"
            ) from None
        return clear.decode("utf-8")

    def __repr__(self) -> str:
        return "Sealer(key=***)"


def reveal(token: str, key: KeyInput, account_id: str) -> str:
    """Decrypt one `Sealer.seal` token of `account_id`; `RevealError` with another key."""
    return Sealer(key).reveal(token, account_id)


@dataclass(frozen=True, slots=True)
class ProtectedId:
    """What leaves the process for one member id."""

    pseudonym: str
    encrypted: str | None  # None without a reveal key


class Privacy:
    """Pseudonymizes (always) and encrypts (with a reveal key) member ids."""

    __slots__ = ("pseudonymize", "sealer")

    def __init__(self, pseudonym_key: KeyInput, reveal_key: KeyInput | None = None) -> None:
        self.pseudonymize = Pseudonymizer(pseudonym_key)
        self.sealer = Sealer(reveal_key) if reveal_key is not None else None

    @classmethod
    def from_settings(cls, settings: SinkSettings | None = None) -> Privacy:
        settings = settings or SinkSettings()
        if settings.pseudonym_key is None:
            raise PrivacyError(
                "SOCIALKPI_PSEUDONYM_KEY is not set: member lists cannot be published without "
                "it (generate one: python -m sinks.privacy)"
            )
        return cls(settings.pseudonym_key, settings.reveal_key)

    @property
    def can_reveal(self) -> bool:
        return self.sealer is not None

    def protect(self, member_id: str, account_id: str) -> ProtectedId:
        encrypted = self.sealer.seal(member_id, account_id) if self.sealer else None
        return ProtectedId(self.pseudonymize(member_id), encrypted)

    def __repr__(self) -> str:
        return f"Privacy(pseudonym_key=***, reveal_key={'***' if self.sealer else None})"


def main(argv: list[str] | None = None) -> int:
    """``python -m sinks.privacy``: print a fresh key."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m sinks.privacy  (prints a new 32-byte key, base64url)")
        return 0
    print(generate_key())
    return 0


if __name__ == "__main__":
    sys.exit(main())
