"""The member's "Get a copy of your data" archive, as a zip or an unpacked directory.

LinkedIn names it `Basic_LinkedInDataExport_MM-DD-YYYY.zip` or `Complete_...`; inside,
files such as `Connections.csv` or `messages.csv` may sit in a folder, change case, or
carry a member-number suffix (`Invitations_123456.csv`). `files(stem)` finds them all.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

MAX_MEMBER_BYTES = 1024 * 1024 * 1024  # a larger entry is refused rather than unpacked
_EXPORT_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


class ArchiveError(ValueError):
    """Not a readable archive (missing path, broken zip, oversize entry)."""


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    name: str  # shown in problems: archive name and the entry's path
    data: bytes


def _matches(path: str, stem: str) -> bool:
    base = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return re.fullmatch(rf"{re.escape(stem)}(?:[_ -]?\d+)?\.csv", base) is not None


class Archive:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ArchiveError(f"{self.path}: no such file or directory")
        if not self.path.is_dir() and not zipfile.is_zipfile(self.path):
            raise ArchiveError(f"{self.path}: neither a zip archive nor a directory")
        self.name = self.path.name

    @property
    def exported_on(self) -> date | None:
        """The export date in LinkedIn's file name (`..._MM-DD-YYYY.zip`), if present."""
        match = _EXPORT_DATE.search(self.name)
        if match is None:
            return None
        month, day, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None

    def files(self, stem: str) -> list[ArchiveFile]:
        """Every entry named like `stem` (case-insensitive, optional number suffix), sorted."""
        if self.path.is_dir():
            found = sorted(
                p for p in self.path.rglob("*") if p.is_file() and _matches(p.name, stem)
            )
            return [
                ArchiveFile(f"{self.name}/{p.relative_to(self.path)}", p.read_bytes())
                for p in found
            ]
        try:
            with zipfile.ZipFile(self.path) as archive:
                entries = sorted(
                    (
                        i
                        for i in archive.infolist()
                        if not i.is_dir() and _matches(i.filename, stem)
                    ),
                    key=lambda i: i.filename,
                )
                for info in entries:
                    if info.file_size > MAX_MEMBER_BYTES:
                        raise ArchiveError(f"{self.name}:{info.filename}: entry too large")
                return [ArchiveFile(f"{self.name}:{i.filename}", archive.read(i)) for i in entries]
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError(f"{self.name}: cannot read the zip ({error})") from None
