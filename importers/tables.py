"""CSV files as the exports ship them: a byte-order mark, UTF-16 from Campaign Manager (with
or without a byte-order mark), a "Notes:" preamble or a report header block before the
column header row, headers in any case, quoted fields spanning lines.

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


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-16 with its BOM (Campaign Manager), UTF-16 without one
    (told by its NUL bytes), else UTF-8 with or without a BOM. The name goes into errors:
    a file read in the wrong encoding shows no header, and the user must know why."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(raw, "utf-16", "UTF-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return _decode(raw, "utf-8-sig", "UTF-8 (with BOM)")
    bomless = _utf16_without_bom(raw)
    if bomless is not None:
        return _decode(raw, bomless.lower(), f"{bomless} without BOM")
    return _decode(raw, "utf-8", "UTF-8")


def _decode(raw: bytes, codec: str, name: str) -> tuple[str, str]:
    try:
        return raw.decode(codec), name
    except UnicodeDecodeError as error:
        line = raw[: error.start].decode(codec, errors="replace").count("\n") + 1
        also = ", and no UTF-16 byte-order mark or NUL bytes" if codec == "utf-8" else ""
        raise TableError(
            f"not {name} text: invalid bytes near line {line}{also}; "
            "save it as UTF-8, e.g. Excel's 'CSV UTF-8'"
        ) from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16LE/BE when NUL bytes fill one half of the byte pairs (ASCII-heavy text in
    UTF-16); UTF-8 text has none."""
    sample = raw[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    if odd >= 0.3 * pairs and even <= 0.05 * pairs:
        return "UTF-16LE"
    if even >= 0.3 * pairs and odd <= 0.05 * pairs:
        return "UTF-16BE"
    return None


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
    """The rows after the header, the lines before it (a report's header block), the
    header as written (`labels`, by normalized name: errors name columns as the file does)
    and the encoding it was read in."""

    name: str
    preamble: list[list[str]]
    header: list[str]
    rows: Iterator[Row]
    labels: dict[str, str]
    encoding: str

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


def read_table(
    name: str,
    raw: bytes,
    is_header: Callable[[Sequence[str]], bool],
    delimiters: str = ",",
    progress: Progress | None = None,
    expected: str = "the expected columns",
) -> Table:
    """Find the header row (the first row `is_header` accepts, on normalized cells) and
    iterate the rows under it; raises `TableError` when there is none."""
    text, encoding = decode(raw)
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
        raise TableError(f"no header row with {expected} (read as {encoding})")
    progress = progress or Progress(enabled=False)
    rows = _rows(reader, stream, header, progress, name, len(text))
    labels = {normalize(cell): " ".join(cell.replace("\ufeff", "").split()) for cell in cells}
    return Table(name, preamble, header, rows, labels, encoding)


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
