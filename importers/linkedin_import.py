"""`socialkpi import linkedin-export`: one archive, or a later archive against an earlier one.

LinkedIn's `Invitations.csv` lists pending invitations only, so a single archive never
says which were accepted or withdrawn. Given an earlier archive (`--previous`), every
invitation pending in the earlier archive and no longer pending in the later one is:

- accepted, when its member is in the later `Connections.csv` (that row's
  `invitation.accepted`, dated by "Connected On", resolves it: nothing else to emit);
- withdrawn otherwise (withdrawn by the owner, declined, or expired: LinkedIn does not
  tell them apart), as an `invitation.withdrawn` dated by the later export's date.

What is written is what the later archive adds: its events absent from the earlier one,
plus the inferred changes. The earlier archive was imported before; its events are written
again only with `with_previous` (when it never was). Writing an old archive's events again
is harmless within the engine's duplicate memory (8 days in the live worker), but later a
re-sent `message.sent` would count twice, so an incremental import never re-sends them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cli.progress import Progress
from importers.dates import day_start_us, rfc3339
from importers.events import Encoded, ImportSummary, encode, member_id, stable_id
from importers.linkedin_archive import Archive
from importers.linkedin_export import SOURCE, ArchiveEvents, ExportMapper


def import_export(
    path: str | Path,
    account: str,
    summary: ImportSummary,
    *,
    key: bytes,
    previous: str | Path | None = None,
    profile_url: str | None = None,
    exported_on: date | None = None,
    with_previous: bool = False,
    progress: Progress | None = None,
) -> list[Encoded]:
    """The archive's events; with `previous`, only those it adds, plus inferred changes.
    `key` is the pseudonym key: invitation, conversation and message ids are keyed hashes."""
    owner = None
    if profile_url:
        owner = member_id(profile_url)
        if owner is None:
            raise ValueError("--profile-url: not a LinkedIn profile URL")
    mapper = ExportMapper(account, summary, owner, progress or Progress(enabled=False), key)
    archive = Archive(path)
    older = Archive(previous) if previous is not None else None  # both exist, or stop now
    later = mapper.map_archive(archive)
    summary.source(archive.name)  # an archive that yields nothing fails the command
    summary.yielded[archive.name] += len(later.events)
    if older is None:
        return later.events
    earlier = mapper.map_archive(older)
    known = {e.event_id for e in earlier.events}
    events = [e for e in later.events if e.event_id not in known]
    if with_previous:
        events += earlier.events
    else:
        summary.ignored["events of the previous archive"] += len(known)
    return events + infer_changes(account, earlier, later, _when(later, exported_on), summary)


def _when(later: ArchiveEvents, exported_on: date | None) -> int | None:
    """When the inferred withdrawals happened at the latest: --exported-on, else the date
    in the later archive's name, else its latest event time."""
    day = exported_on or later.archive.exported_on
    return day_start_us(day) if day is not None else later.latest_us


def infer_changes(
    account: str,
    earlier: ArchiveEvents,
    later: ArchiveEvents,
    when_us: int | None,
    summary: ImportSummary,
) -> list[Encoded]:
    """Withdrawals of the invitations pending before and gone now without a connection."""
    gone = [p for inv, p in sorted(earlier.pending.items()) if inv not in later.pending]
    accepted = [p for p in gone if p.member in later.connected]
    withdrawn = [p for p in gone if p.member not in later.connected]
    summary.inferred["accepted"] += len(accepted)  # their acceptance is a Connections row
    if not withdrawn:
        return []
    if when_us is None:
        summary.problem(later.archive.name, None, "cannot date withdrawals: pass --exported-on")
        return []
    out: list[Encoded] = []
    for pending in withdrawn:
        event = {
            "event_id": stable_id(
                "lix", account, "invitation.withdrawn", pending.invitation_id, pending.sent_us
            ),
            "type": "invitation.withdrawn",
            "occurred_at": rfc3339(max(when_us, pending.sent_us)),
            "account_id": account,
            "source": SOURCE,
            "invitation_id": pending.invitation_id,
        }
        out.append(encode(event))  # built from validated fields: cannot be rejected
    summary.inferred["withdrawn"] += len(out)
    summary.mapped["invitation.withdrawn"] += len(out)
    return out
