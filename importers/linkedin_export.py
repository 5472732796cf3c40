"""Rows of a LinkedIn data export -> contract events (mapping rules: docs/importers.md).

- `Connections.csv`: each connection is an `invitation.accepted` on its "Connected On" day
  (00:00 UTC), with the invitation id of that member, so it resolves the `invitation.sent`
  of any source that saw the invitation, and counts as a new connection either way.
- `Invitations.csv` (pending invitations only): `invitation.sent`, direction from
  `Direction`, the counterpart from the invitee's (outgoing) or inviter's (incoming) URL.
- `messages.csv`: see `importers.linkedin_messages` (contents and subjects never read).
- `Shares.csv`: `post.published`, the post id being the URN in `ShareLink`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from cli.progress import Progress
from importers.dates import day_start_us, parse_date, parse_datetime, rfc3339
from importers.derived_ids import invitation_id
from importers.events import Encoded, ImportSummary, encode, member_id, stable_id
from importers.linkedin_archive import Archive, ArchiveFile
from importers.linkedin_messages import MessageMapper, owner_from_threads
from importers.tables import Row, TableError, read_table
from models import EventRejected

SOURCE = "linkedin-export"
_POST_URN = re.compile(r"urn:li:(?:activity|share|ugcPost):\d+")


@dataclass(frozen=True, slots=True)
class Pending:
    """An invitation an archive lists as pending."""

    invitation_id: str
    member: str
    direction: str
    sent_us: int


@dataclass(slots=True)
class ArchiveEvents:
    """What one archive yields, plus the facts the later-vs-earlier inference needs."""

    archive: Archive
    events: list[Encoded] = field(default_factory=list)
    pending: dict[str, Pending] = field(default_factory=dict)
    connected: set[str] = field(default_factory=set)
    owner_votes: Counter[str] = field(default_factory=Counter)

    @property
    def latest_us(self) -> int | None:
        return max((e.occurred_us for e in self.events), default=None)


class ExportMapper:
    """Maps the four files of one archive; `owner` (a member id) decides message direction;
    `key` (the pseudonym key) keys every id derived from a member."""

    def __init__(
        self,
        account: str,
        summary: ImportSummary,
        owner: str | None,
        progress: Progress,
        key: bytes,
    ) -> None:
        self.account = account
        self.key = key
        self.summary = summary
        self.owner = owner
        self.explicit_owner = owner is not None
        self.progress = progress

    def map_archive(self, archive: Archive) -> ArchiveEvents:
        out = ArchiveEvents(archive)
        self._each(archive, "invitations", {"direction", "sent at"}, out, self._invitation)
        self._each(archive, "connections", {"url", "connected on"}, out, self._connection)
        self._each(archive, "shares", {"date", "sharelink"}, out, self._share)
        if not self.explicit_owner and out.owner_votes:
            self.owner = out.owner_votes.most_common(1)[0][0]
        required = {"conversation id", "sender profile url", "date"}
        rows = list(self._rows(archive, "messages", required))
        if not self.explicit_owner and not out.owner_votes:
            self.owner = owner_from_threads([row for _f, row in rows]) or self.owner
        messages = MessageMapper(self.account, self.owner, self.key)
        for file, row in rows:
            result = messages.map(row)
            if result is None:
                self.summary.ignored["draft message"] += 1
            elif isinstance(result, str):
                self.summary.problem(file.name, row.line, result)
            else:
                self._emit(file, row, out, result.type, result.at, result.key, **result.fields)
        return out

    # ---- plumbing

    def _rows(
        self, archive: Archive, stem: str, required: set[str]
    ) -> Iterator[tuple[ArchiveFile, Row]]:
        for file in archive.files(stem):
            try:
                table = read_table(
                    file.name,
                    file.data,
                    lambda h: required <= set(h),
                    progress=self.progress,
                    expected="the columns " + ", ".join(sorted(required)),
                )
                for row in table.rows:
                    self.summary.read[file.name] += 1
                    yield file, row
            except TableError as error:
                self.summary.problem(file.name, None, str(error))

    def _each(
        self,
        archive: Archive,
        stem: str,
        required: set[str],
        out: ArchiveEvents,
        handler: Callable[[ArchiveFile, Row, ArchiveEvents], None],
    ) -> None:
        for file, row in self._rows(archive, stem, required):
            handler(file, row, out)

    def _emit(
        self,
        file: ArchiveFile,
        row: Row,
        out: ArchiveEvents,
        type_: str,
        at: int,
        key: tuple[object, ...],
        **fields: Any,
    ) -> Encoded | None:
        """Validate and keep one event; its id hashes `key` (stable fields of the row)."""
        event = {
            "event_id": stable_id("lix", self.account, type_, *key),
            "type": type_,
            "occurred_at": rfc3339(at),
            "account_id": self.account,
            "source": SOURCE,
            **fields,
        }
        try:
            encoded = encode(event)
        except EventRejected as rejected:
            self.summary.problem(file.name, row.line, rejected.reason)
            return None
        out.events.append(encoded)
        self.summary.mapped[type_] += 1
        return encoded

    # ---- the four files

    def _connection(self, file: ArchiveFile, row: Row, out: ArchiveEvents) -> None:
        member = member_id(row.get("url"))
        if member is None:
            return self.summary.problem(file.name, row.line, "URL: missing or not a profile URL")
        day = parse_date(row.get("connected on"))
        if day is None:
            return self.summary.problem(file.name, row.line, "Connected On: not a date")
        inv = invitation_id(self.account, member, key=self.key)
        at = day_start_us(day)
        if self._emit(file, row, out, "invitation.accepted", at, key=(inv,), invitation_id=inv):
            out.connected.add(member)
        return None

    def _invitation(self, file: ArchiveFile, row: Row, out: ArchiveEvents) -> None:
        direction = {"outgoing": "outbound", "incoming": "inbound"}.get(
            row.get("direction").lower()
        )
        if direction is None:
            return self.summary.problem(file.name, row.line, "Direction: not OUTGOING/INCOMING")
        mine, theirs = ("inviterprofileurl", "inviteeprofileurl")
        if direction == "inbound":
            mine, theirs = theirs, mine
        member = member_id(row.get(theirs))
        if member is None:
            column = "inviteeProfileUrl" if direction == "outbound" else "inviterProfileUrl"
            return self.summary.problem(file.name, row.line, f"{column}: missing or not a URL")
        owner = member_id(row.get(mine))
        if owner is not None:
            out.owner_votes[owner] += 1
        sent = parse_datetime(row.get("sent at"))
        if sent is None:
            return self.summary.problem(file.name, row.line, "Sent At: not a date and time")
        inv = invitation_id(self.account, member, key=self.key)
        fields = {"invitation_id": inv, "invitee_id": member, "direction": direction}
        if self._emit(file, row, out, "invitation.sent", sent, key=(inv, sent), **fields):
            out.pending[inv] = Pending(inv, member, direction, sent)
        return None

    def _share(self, file: ArchiveFile, row: Row, out: ArchiveEvents) -> None:
        at = parse_datetime(row.get("date"))
        if at is None:
            return self.summary.problem(file.name, row.line, "Date: not a date and time")
        link = row.get("sharelink")
        if not link:
            return self.summary.problem(file.name, row.line, "ShareLink: empty")
        match = _POST_URN.search(unquote(link))
        post = match.group(0) if match else stable_id("post", link)
        fmt = post_format(row.get("mediaurl"), row.get("sharedurl"))
        self._emit(file, row, out, "post.published", at, key=(post,), post_id=post, format=fmt)
        return None


def post_format(media_url: str, shared_url: str) -> str:
    """LinkedIn does not export a post's format; this guesses it from the attachment."""
    media, shared = media_url.lower(), shared_url.lower()
    if media:
        if any(mark in media for mark in (".mp4", ".mov", "video", "/vid/")):
            return "video"
        if ".pdf" in media or "document" in media:
            return "document"
        return "image"
    if "/pulse/" in shared:
        return "article"
    if "/events/" in shared:
        return "event"
    return "text"
