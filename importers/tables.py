"""CSV files as the exports ship them: a byte-order mark, UTF-16 from Campaign Manager, a
"Notes:" preamble or a report header block before the column header row, headers in any
case, quoted fields spanning lines.

Each data row comes with the physical line where it starts, so a problem is reported as
`FILE:LINE: reason`. Values are never echoed into reasons: they may be message contents.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from cli.progress import Progress

csv.field_size_limit(16 * 1024 * 1024)  # long messages; the default 128 KiB stops a file


class TableError(ValueError):
    """The file cannot be read as a table at all (encoding, no header row)."""


def decode(raw: bytes) -> str:
    """UTF-16 with its BOM (Campaign Manager), else UTF-8 with or without a BOM."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError("not UTF-8 or UTF-16 text") from None


def normalize(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).lower()


@dataclass(frozen=True, slots=True)
class Row:
    """One data row; `get` takes a column's aliases and returns the first non-empty value."""

    line: int
    cells: dict[str, str]

    def get(self, *names: str) -> str:
        for name in names:
            value = self.cells.get(name)
            if value:
                return value.strip()
        return ""

    def has(self, *names: str) -> bool:
        return any(name in self.cells for name in names)


@dataclass(slots=True)
class Table:
    """The rows after the header, and the lines before it (a report's header block)."""

    name: str
    preamble: list[list[str]]
    header: list[str]
    rows: Iterator[Row]


def read_table(
    name: str,
    raw: bytes,
    is_header: Callable[[Sequence[str]], bool],
    delimiters: str = ",",
    progress: Progress | None = None,
) -> Table:
    """Find the header row (the first row `is_header` accepts, on normalized cells) and
    iterate the rows under it; raises `TableError` when there is none."""
    text = decode(raw)
    delimiter = _delimiter(text, delimiters)
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    preamble: list[list[str]] = []
    for cells in reader:
        header = [normalize(cell) for cell in cells]
        if is_header(header):
            break
        preamble.append(cells)
    else:
        raise TableError("no header row with the expected columns")
    progress = progress or Progress(enabled=False)
    return Table(name, preamble, header, _rows(reader, stream, header, progress, name, len(text)))


def _rows(
    reader: Iterator[list[str]],
    stream: io.StringIO,
    header: list[str],
    progress: Progress,
    name: str,
    size: int,
) -> Iterator[Row]:
    line = getattr(reader, "line_num", 0)
    progress.start_file(name, size)
    try:
        for number, cells in enumerate(reader):
            start, line = line + 1, getattr(reader, "line_num", line + 1)
            if number % 4096 == 0:
                progress.update(stream.tell())
            if not any(cell.strip() for cell in cells):
                continue
            yield Row(start, dict(zip(header, cells, strict=False)))
    finally:
        progress.finish_file()


def _delimiter(text: str, candidates: str) -> str:
    """The candidate seen most in the first 64 KiB (a tab-separated report has a tab
    between every column; thousands separators and prose add far fewer commas)."""
    sample = text[:65536]
    return max(candidates, key=sample.count)
