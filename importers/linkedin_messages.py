"""`messages.csv` rows -> `message.sent` / `message.received` (contents and subjects are
never read).

- Direction: `message.sent` when the sender is the archive's owner, else
  `message.received`. The owner is `--profile-url`, else the inviter of the archive's
  outgoing invitations, else the member present in the most conversations.
- Conversation: a 1:1 thread is keyed by the counterpart member (as webhooks key it), a
  group thread by its `CONVERSATION ID`.
- Message id: (thread, sender, time, n-th such row), as the archive has no message ids.
- Conversation and message ids are keyed hashes (`importers.derived_ids`): built from
  member slugs, they must not be reversible by trying names.
- Drafts (`FOLDER` DRAFT, or `IS MESSAGE DRAFT` yes) are skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from importers.dates import parse_datetime
from importers.derived_ids import conversation_id, derived_id
from importers.events import member_id
from importers.tables import Row

NO_OWNER = "cannot tell the direction: the archive owner's profile URL is unknown (--profile-url)"


@dataclass(frozen=True, slots=True)
class Message:
    type: str
    at: int
    key: tuple[object, ...]  # what the event id hashes
    fields: dict[str, Any]


class MessageMapper:
    def __init__(self, account: str, owner: str | None, key: bytes) -> None:
        self.account = account
        self.owner = owner
        self.key = key
        self._seen: Counter[tuple[str, str, int]] = Counter()

    def map(self, row: Row) -> Message | str | None:
        """The message, a problem (str), or None for a draft."""
        if is_draft(row):
            return None
        sender = member_id(row.get("sender profile url"))
        at = parse_datetime(row.get("date"))
        recipients = {m for m in map(member_id, split_urls(row.get("recipient profile urls"))) if m}
        problem = self._problem(sender, at, recipients)
        if problem or sender is None or at is None:
            return problem
        others = sorted({sender, *recipients} - {self.owner or ""})
        outbound = sender == self.owner
        counterpart = others[0] if outbound else sender
        thread = row.get("conversation id")
        key = counterpart if len(others) == 1 or not thread else f"thread:{thread}"
        self._seen[(thread, sender, at)] += 1
        n = self._seen[(thread, sender, at)]
        message_id = derived_id("msg", self.account, thread, sender, str(at), str(n), key=self.key)
        conversation = conversation_id(self.account, key, key=self.key)
        fields = {"conversation_id": conversation, "message_id": message_id}
        if outbound:
            return Message(
                "message.sent", at, (message_id,), fields | {"recipient_id": counterpart}
            )
        return Message("message.received", at, (message_id,), fields | {"sender_id": sender})

    def _problem(self, sender: str | None, at: int | None, recipients: set[str]) -> str | None:
        if sender is None:
            return "SENDER PROFILE URL: missing or not a profile URL"
        if at is None:
            return "DATE: not a date and time"
        if self.owner is None:
            return NO_OWNER
        if sender == self.owner and not recipients - {self.owner}:
            return "RECIPIENT PROFILE URLS: no recipient other than the owner"
        if sender != self.owner and recipients and self.owner not in recipients:
            return "neither the sender nor a recipient is the archive owner"
        return None


def split_urls(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text) if part]


def is_draft(row: Row) -> bool:
    folder = row.get("folder").lower()
    flag = row.get("is message draft").lower()
    return folder in ("draft", "drafts") or flag in ("yes", "true", "1")


def owner_from_threads(rows: list[Row]) -> str | None:
    """The member present in the most conversations: in a member's own message archive,
    that is the member (everyone else appears only in their threads with them)."""
    threads: dict[str, set[str]] = {}
    for row in rows:
        urls = [row.get("sender profile url"), *split_urls(row.get("recipient profile urls"))]
        members = {m for m in map(member_id, urls) if m}
        threads.setdefault(row.get("conversation id"), set()).update(members)
    counts = Counter(m for members in threads.values() for m in members)
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None  # a single thread cannot tell its two participants apart
    return ranked[0][0]
