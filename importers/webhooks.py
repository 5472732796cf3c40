"""Vendor webhooks -> contract events, through declarative mappings (JSON files).

A mapping names, for one vendor, where its payloads keep the event name, the time, the
member's profile URL and (optionally) the measured account, and which vendor events
become which contract events. `importers/vendors/*.json` ship Expandi and HeyReach; a
directory of the user's own files (`--vendors DIR`, `SOCIALKPI_INGEST_VENDOR_DIR`) adds
vendors or replaces shipped ones by name. Format and examples: docs/importers.md.

Ids come from the payload (vendor, contract type, member, time, the `occurrence` paths),
so a redelivered webhook carries the same `event_id`; invitation and conversation ids come
from (account, member), like the LinkedIn export's, so sources resolve each other. Every
id derived from a member is keyed with the pseudonym key (`importers.derived_ids`): no
published id can be reversed by hashing candidate profile slugs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from importers.dates import parse_instant, rfc3339
from importers.derived_ids import conversation_id, derived_id, invitation_id
from importers.events import member_id
from models.rejects import EventRejected, RejectKind

ContractType = Literal[
    "invitation.sent",
    "invitation.accepted",
    "invitation.withdrawn",
    "message.sent",
    "message.received",
]
# Keys blanked anywhere in a payload before it is kept as a dead letter: message texts
# never leave the importer, nor do e-mail addresses and phone numbers.
REDACTED_KEYS = frozenset(
    {
        "message",
        "messages",
        "message_text",
        "messagetext",
        "messagebody",
        "text",
        "content",
        "body",
        "subject",
        "note",
        "connection_message",
        "last_received_message",
        "last_sent_message",
        "recent_messages",
        "all_recent_messages",
        "latest_message",
        "reply",
        "reply_text",
        "snippet",
        "email",
        "email_address",
        "emailaddress",
        "enriched_email",
        "phone",
        "phone_number",
    }
)


# Instants a timestamp may hold at all (years 1 to 9999); the models refuse those outside
# 2000-2099 as `implausible_time`, these bounds only keep the conversion from overflowing.
_MIN_US = -62_135_596_800_000_000
_MAX_US = 253_402_300_799_999_999


class Unmappable(EventRejected):
    """A payload no mapping turns into an event; `reason` names paths, never contents."""

    def __init__(self, reason: str, kind: RejectKind = RejectKind.MISSING_FIELD) -> None:
        super().__init__(reason, kind)


class EventRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ContractType
    direction: Literal["outbound", "inbound"] = "outbound"  # of an invitation.sent


class VendorMapping(BaseModel):
    """One vendor. `event`, `time`, `member`, `account` and `occurrence` hold dotted paths
    into the payload, tried in order (the first present wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vendor: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    description: str = ""
    event: list[str] = Field(min_length=1)
    time: list[str] = Field(min_length=1)
    member: list[str] = Field(min_length=1)
    account: list[str] = []
    account_prefix: str = ""
    occurrence: list[str] = []
    redact: list[str] = []
    events: dict[str, ContractType | EventRule]
    ignore: list[str] = []

    def rule(self, name: str) -> EventRule | Literal["ignore"] | None:
        """The rule of a vendor event name: exact, or by the part after its last dot (so
        `campaign_connected` and `linked_in_messenger.campaign_connected` both match)."""
        wanted = name.strip().lower()
        for candidate in (wanted, wanted.rsplit(".", 1)[-1]):
            for key, rule in self.events.items():
                if candidate in (key.lower(), key.lower().rsplit(".", 1)[-1]):
                    return rule if isinstance(rule, EventRule) else EventRule(type=rule)
            if any(candidate in (i.lower(), i.lower().rsplit(".", 1)[-1]) for i in self.ignore):
                return "ignore"
        return None


def lookup(payload: Any, paths: Iterable[str]) -> tuple[str, Any] | None:
    """(path, value) of the first dotted path present with a non-empty value."""
    for path in paths:
        value = payload
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                value = None
                break
        if value not in (None, "", [], {}):
            return path, value
    return None


def map_payload(
    mapping: VendorMapping, payload: Any, account: str | None, key: bytes
) -> dict[str, Any] | None:
    """The contract event of one payload, None for an ignored vendor event; raises
    `Unmappable`. `account` (the request's ?account=) wins over the mapping's paths; `key`
    is the pseudonym key the derived ids are keyed with."""
    if not isinstance(payload, dict):
        raise Unmappable("payload: not a JSON object", RejectKind.MALFORMED_JSON)
    found = lookup(payload, mapping.event)
    if found is None or not isinstance(found[1], str):
        raise Unmappable(f"{' / '.join(mapping.event)}: no event name")
    name = found[1]
    rule = mapping.rule(name)
    if rule == "ignore":
        return None
    if rule is None:
        raise Unmappable(
            f"{found[0]}: unknown {mapping.vendor} event {name[:80]!r}", RejectKind.UNKNOWN_TYPE
        )
    account_id = account or _account(mapping, payload)
    member = _member(mapping, payload)
    at = _instant(mapping, payload)
    occurrence = [
        json.dumps(v[1], sort_keys=True) for p in mapping.occurrence if (v := lookup(payload, [p]))
    ]
    # The contract type, not the vendor's name: two vendor events meaning the same thing
    # (HeyReach's MESSAGE_REPLY_RECEIVED and EVERY_MESSAGE_REPLY_RECEIVED) count once.
    parts = (mapping.vendor, rule.type, member, str(at), *occurrence)
    event: dict[str, Any] = {
        "event_id": derived_id("wh", account_id, *parts, key=key),
        "type": rule.type,
        "occurred_at": rfc3339(at),
        "account_id": account_id,
        "source": f"webhook:{mapping.vendor}",
    }
    if rule.type.startswith("invitation."):
        event["invitation_id"] = invitation_id(account_id, member, key=key)
        if rule.type == "invitation.sent":
            event.update(invitee_id=member, direction=rule.direction)
    else:
        event["conversation_id"] = conversation_id(account_id, member, key=key)
        event["message_id"] = derived_id("msg", account_id, *parts, key=key)
        event["recipient_id" if rule.type == "message.sent" else "sender_id"] = member
    return event


def _instant(mapping: VendorMapping, payload: dict[str, Any]) -> int:
    """Microseconds of the payload's time. Out of the representable range (1e20 seconds):
    `implausible_time`; what is representable goes on to the models, which refuse times
    outside 2000-2099 the same way for every entry point."""
    where = " / ".join(mapping.time)
    when = lookup(payload, mapping.time)
    if when is None:
        raise Unmappable(f"{where}: missing")
    value = when[1]
    if isinstance(value, float) and not math.isfinite(value):
        raise Unmappable(f"{when[0]}: not a finite number", RejectKind.INVALID_FIELD)
    try:
        at = parse_instant(value)
    except (OverflowError, ValueError):  # a year past 9999 in ISO text, and the like
        at = _MAX_US + 1
    if at is None:
        raise Unmappable(f"{when[0]}: not a timestamp", RejectKind.INVALID_FIELD)
    if not _MIN_US <= at <= _MAX_US:
        raise Unmappable(f"{when[0]}: timestamp out of range", RejectKind.IMPLAUSIBLE_TIME)
    return at


def _account(mapping: VendorMapping, payload: dict[str, Any]) -> str:
    found = lookup(payload, mapping.account)
    if found is None or isinstance(found[1], dict | list | bool | float):
        raise Unmappable("account: pass ?account=ID (the payload names no account)")
    return f"{mapping.account_prefix}{found[1]}"


def _member(mapping: VendorMapping, payload: dict[str, Any]) -> str:
    found = lookup(payload, mapping.member)
    member = member_id(found[1]) if found and isinstance(found[1], str) else None
    if member is None:
        raise Unmappable(f"{' / '.join(mapping.member)}: no LinkedIn profile URL")
    return member


def redact(payload: Any, extra: Iterable[str] = ()) -> Any:
    """A copy with message-like fields blanked, for dead letters."""
    keys = REDACTED_KEYS | {k.lower() for k in extra}
    if isinstance(payload, dict):
        return {
            k: "[redacted]" if k.lower() in keys else redact(v, keys) for k, v in payload.items()
        }
    if isinstance(payload, list):
        return [redact(item, keys) for item in payload]
    return payload


def load_mappings(extra_dir: str | Path | None = None) -> dict[str, VendorMapping]:
    """The shipped mappings, then the user's (same vendor name: the user's wins)."""
    shipped = resources.files("importers").joinpath("vendors")
    sources: list[tuple[str, str]] = [
        (f"importers/vendors/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in sorted(shipped.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
    if extra_dir is not None:
        directory = Path(extra_dir)
        if not directory.is_dir():
            raise ValueError(f"{directory}: vendor mapping directory not found")
        sources += [
            (str(p), p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))
        ]
    mappings: dict[str, VendorMapping] = {}
    for name, text in sources:
        try:
            mapping = VendorMapping.model_validate_json(text)
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{name}: {where}: {first['msg']}") from None
        mappings[mapping.vendor] = mapping
    return mappings
