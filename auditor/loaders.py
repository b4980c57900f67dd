"""Read aggregator output into one table of strings, accounting for every row.

Tables (CSV/TSV, JSON Lines, JSON arrays, Parquet) and article pages (.txt, .html)
become rows; every cell is a string or None. Rows that cannot be read (a truncated
JSON line, a JSON array element that is not an object) are kept as *unreadable*
with the reason, so the run accounts for them instead of dropping them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from auditor.encodings import decode
from auditor.errors import InputError
from auditor.extract import PAGE_SUFFIXES, extract_page
from auditor.limits import MAX_COLUMNS, MAX_DECOMPRESSED_BYTES, MAX_INTEGER_DIGITS, MAX_JSON_DEPTH

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
# Text tables may come gzip-compressed (`export.jsonl.gz`); Parquet compresses itself.
GZIP_SUFFIX = ".gz"
GZIP_TABLE_SUFFIXES = tuple(suffix + GZIP_SUFFIX for suffix in TABLE_SUFFIXES if suffix != ".parquet")
_GZIP_MAGIC = b"\x1f\x8b"
# Other archive and compression formats, recognised by their first bytes, so that a
# compressed export is refused as such instead of as undecodable text.
_OTHER_COMPRESSION = (
    (b"PK\x03\x04", "a zip archive", "unzip it and give the files inside"),
    (b"BZh", "bzip2-compressed", "decompress it (bunzip2) or recompress it with gzip"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it (unxz) or recompress it with gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it (unzstd) or recompress it with gzip"),
)
_COMPRESSED_SUFFIXES = (".gz", ".zip", ".bz2", ".xz", ".zst", ".tgz")
# A JSON escape of a UTF-16 surrogate (\ud800-\udfff); without one, JSON read from bytes
# holds no lone surrogates.
# A JSON escape of a UTF-16 surrogate (\\ud800-\\udfff), or one written raw, which Python's
# JSON reader decodes from bytes with "surrogatepass"; without either, JSON read from bytes
# holds no lone surrogates.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Bookkeeping columns, named so that no export's own column collides with them.
SOURCE = "__auditor_source__"
POSITION = "__auditor_position__"


@dataclass(frozen=True)
class UnreadableRow:
    source: str
    position: int
    reason: str


@dataclass(frozen=True)
class RepairedCell:
    """A cell (or a column name) whose lone surrogates were replaced with U+FFFD."""

    position: int
    column: str
    note: str


@dataclass
class LoadedInput:
    """Raw rows of all inputs: ``frame`` has the data columns plus ``SOURCE``
    (file name as given) and ``POSITION`` (line or row number in that file)."""

    frame: pd.DataFrame
    unreadable: list[UnreadableRow] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def expand_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[dict[str, Any]]]:
    """Files to read, folders expanded; files in folders of other types are listed as skipped."""
    files: list[Path] = []
    skipped: list[dict[str, Any]] = []
    for path in paths:
        if path.is_dir():
            for child in _files_below(path):
                supported = table_format(child) is not None or child.suffix.lower() in PAGE_SUFFIXES
                if _is_hidden(child, path):
                    # Hidden files are tool debris (.DS_Store, macOS "._" twins of tables, .git);
                    # a hidden table or page is listed, so that leaving it out is visible.
                    if supported:
                        skipped.append({"file": str(child), "status": "skipped", "reason": "hidden file"})
                elif supported:
                    files.append(child)
                else:
                    skipped.append({"file": str(child), "status": "skipped", "reason": "not a supported file type"})
        elif path.is_file():
            if table_format(path) is None and path.suffix.lower() not in PAGE_SUFFIXES:
                raise InputError(_unsupported(path))
            files.append(path)
        elif path.exists():
            raise InputError(f"{path}: not a regular file (a pipe, socket or device); write the table to a file "
                             "and give that file")
        else:
            raise InputError(f"{path}: no such file or folder")
    return files, skipped


def table_format(path: Path) -> str | None:
    """The table format a file name says (``.jsonl`` for ``x.jsonl`` and ``x.jsonl.gz``), or None."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if not suffixes:
        return None
    if suffixes[-1] in TABLE_SUFFIXES:
        return suffixes[-1]
    if suffixes[-1] == GZIP_SUFFIX and len(suffixes) >= 2 and suffixes[-2] + GZIP_SUFFIX in GZIP_TABLE_SUFFIXES:
        return suffixes[-2]
    return None


def _unsupported(path: Path) -> str:
    kinds = f"give tables ({', '.join(TABLE_SUFFIXES)}, gzip-compressed as {', '.join(GZIP_TABLE_SUFFIXES)}) " \
            f"or pages ({', '.join(PAGE_SUFFIXES)})"
    if [suffix.lower() for suffix in path.suffixes[-2:]] == [".parquet", GZIP_SUFFIX]:
        return f"{path}: Parquet compresses itself; gunzip the file (or write the Parquet file uncompressed) and give it"
    if path.suffix.lower() in _COMPRESSED_SUFFIXES:
        return (f"{path}: a compressed file whose name does not say a table format; name it like export.jsonl.gz, "
                f"or unpack it; {kinds}")
    return f"{path}: unsupported file type {path.suffix or '(none)'!r}; {kinds}"


def _files_below(folder: Path) -> list[Path]:
    """Every regular file below ``folder``, sorted. A subfolder that cannot be read stops the run:
    skipping it would lose its rows without a word (pathlib's rglob skips it silently)."""
    def unreadable(error: OSError) -> None:
        raise InputError(f"{error.filename}: this folder cannot be read ({error.strerror}); fix its permissions "
                         "or give the readable files or folders instead")

    found = []
    for root, _, names in os.walk(folder, onerror=unreadable):
        found.extend(Path(root) / name for name in names)
    return sorted(path for path in found if path.is_file())


def _is_hidden(file: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(folder).parts)


def _unique(files: list[Path]) -> list[Path]:
    """A file named twice (or named and inside a named folder) is read once."""
    seen: set[Path] = set()
    unique = []
    for file in files:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique


def load_inputs(paths: Iterable[Path]) -> LoadedInput:
    """Every row of the inputs as one table (see :func:`iter_loaded`)."""
    return next(iter_loaded(paths))


def iter_loaded(paths: Iterable[Path], rows: int | None = None) -> Iterator[LoadedInput]:
    """The inputs' rows in order, about ``rows`` at a time (all in one piece when None), each
    piece with its unreadable rows; the last piece also carries the report on every file
    (``files``). Files are read in chunks (:mod:`auditor.table_chunks`), so a piece never
    holds more of a file than its own rows; pages come last, as in a whole read."""
    from auditor.table_chunks import DEFAULT_CHUNK_ROWS, iter_table_chunks  # it builds on this module's parsers

    files, skipped = expand_inputs(paths)
    files = _unique(files)
    if not files:
        raise InputError("no input files found; give table files, article pages or folders holding them")
    pending = _Pending()
    pages: list[dict[str, Any]] = []
    report: list[dict[str, Any]] = []
    for file in files:
        if file.suffix.lower() in PAGE_SUFFIXES:
            row = extract_page(file)
            row[SOURCE], row[POSITION] = str(file), 1
            pages.append(row)
            report.append({"file": str(file), "status": "read", "rows": 1, "kind": "page"})
            continue
        read_rows = bad_rows = 0
        repaired: list[RepairedCell] = []
        compression = None
        for table in iter_table_chunks(file, **({"rows": min(rows, DEFAULT_CHUNK_ROWS)} if rows else {})):
            frame = table.frame
            frame.insert(len(frame.columns), SOURCE, str(file))
            pending.add(frame, table.unreadable)
            read_rows += len(frame) + len(table.unreadable)
            bad_rows += len(table.unreadable)
            repaired.extend(table.repaired)
            compression = compression or table.compression
            if rows is not None and pending.rows >= rows:
                yield pending.take()
        entry = {"file": str(file), "status": "read", "rows": read_rows, "kind": "table", "unreadable_rows": bad_rows}
        if compression:
            entry["compression"] = compression
        entry.update(_repairs_report(repaired))
        report.append(entry)
    if pages:
        pending.add(pd.DataFrame(pages), [])
    yield pending.take(files=report + skipped)


class _Pending:
    """Rows read but not yet handed on."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []
        self.unreadable: list[UnreadableRow] = []
        self.rows = 0

    def add(self, frame: pd.DataFrame, unreadable: list[UnreadableRow]) -> None:
        self.frames.append(frame)
        self.unreadable.extend(unreadable)
        self.rows += len(frame)

    def take(self, files: list[dict[str, Any]] | None = None) -> LoadedInput:
        frames, unreadable = self.frames, self.unreadable
        self.frames, self.unreadable, self.rows = [], [], 0
        frame = pd.concat(frames, ignore_index=True, sort=False) if frames else pd.DataFrame()
        for column in (SOURCE, POSITION):
            if column not in frame:
                frame[column] = pd.Series(dtype=object)
        frame = frame.astype(object).where(frame.notna(), None)
        return LoadedInput(frame=frame, unreadable=unreadable, files=files or [])


@dataclass
class TableRead:
    frame: pd.DataFrame
    unreadable: list[UnreadableRow]
    repaired: list[RepairedCell] = field(default_factory=list)
    compression: str | None = None


def joined_chunks(chunks: list[TableRead]) -> TableRead:
    """A file's chunks as one table read."""
    if len(chunks) == 1:
        return chunks[0]
    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True, sort=False)
    # Columns in the order a whole read gives them: as they first appear, the position last.
    frame = frame[[column for column in frame.columns if column != POSITION] + [POSITION]]
    return TableRead(frame, [row for chunk in chunks for row in chunk.unreadable],
                     [cell for chunk in chunks for cell in chunk.repaired], chunks[0].compression)


def read_table(file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    """One table file as strings, with ``_position`` set; plus the rows that could not be read."""
    table = _read_table(file)
    return table.frame, table.unreadable


def _read_table(file: Path) -> TableRead:
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})") from None
    kind = table_format(file) or file.suffix.lower()
    data, compression = _uncompressed(data, file)
    if kind == ".parquet":
        frame, bad = _read_parquet(data, file), []
    else:
        if not data.removeprefix(b"\xef\xbb\xbf").strip():
            raise InputError(f"{file}: the file is empty; remove it from the run or check the export")
        if kind in (".jsonl", ".ndjson"):
            frame, bad = _read_json_lines(data, file)
        elif kind == ".json":
            text = decode(data, file)
            frame, bad = _read_json_document(text, file)
        else:
            frame, bad = _read_delimited(decode(data, file), file, tab=kind == ".tsv"), []
    frame = _as_strings(frame)
    repaired = _replace_surrogates(frame, file) if kind in (".jsonl", ".ndjson", ".json") and \
        _SURROGATE_ESCAPE.search(data) else []
    return TableRead(frame, bad, repaired, compression)


def _uncompressed(data: bytes, file: Path) -> tuple[bytes, str | None]:
    """The file's bytes, gunzipped when they are gzip (whatever the name says); other
    compression formats are refused with what to do."""
    if data.startswith(_GZIP_MAGIC):
        return _gunzip(data, file), "gzip"
    if file.suffix.lower() == GZIP_SUFFIX:
        raise InputError(f"{file}: named .gz but not gzip-compressed; rename it without .gz")
    for magic, what, how in _OTHER_COMPRESSION:
        if data.startswith(magic):
            raise InputError(f"{file}: the file is {what}, which the auditor does not read; {how}")
    return data, None


def _gunzip(data: bytes, file: Path) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            plain = stream.read(MAX_DECOMPRESSED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{file}: gzip-compressed but damaged or truncated ({_first_line(error)}); "
                         "compress the export again") from None
    if len(plain) > MAX_DECOMPRESSED_BYTES:
        raise InputError(f"{file}: expands to more than {MAX_DECOMPRESSED_BYTES // 1024**3} GiB when decompressed; "
                         "split the export into smaller files")
    return plain


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:120] if text else type(error).__name__


def _replace_surrogates(frame: pd.DataFrame, file: Path) -> list[RepairedCell]:
    """Lone surrogates (a JSON escape like "\\ud800" that is half of a pair) cannot be written
    as UTF-8, so nothing downstream (GX, the history, the report) could hold them: each is
    replaced with U+FFFD and the cell reported."""
    repaired: list[RepairedCell] = []
    renames = {}
    for column in frame.columns:
        if isinstance(column, str) and _SURROGATE.search(column):
            renames[column] = _SURROGATE.sub("\ufffd", column)
    for column in frame.columns:
        if column == POSITION:
            continue
        values = frame[column]
        texts = values[values.map(type).eq(str)]
        hits = texts[texts.str.contains(_SURROGATE, regex=True)]
        if hits.empty:
            continue
        name = renames.get(column, column)
        for index, text in hits.items():
            count = len(_SURROGATE.findall(text))
            repaired.append(RepairedCell(int(frame.at[index, POSITION]), str(name),
                                         f"{count} lone surrogate escape(s) replaced with U+FFFD (\ufffd); "
                                         "fix the export's text"))
        frame[column] = values.where(~values.index.isin(hits.index), hits.str.replace(_SURROGATE, "\ufffd", regex=True))
    if renames:
        for column, name in renames.items():
            holding = frame[POSITION][frame[column].notna()]
            first = int(holding.iloc[0]) if len(holding) else int(frame[POSITION].iloc[0]) if len(frame) else 1
            repaired.append(RepairedCell(first, name, f"the key holds lone surrogate escape(s), replaced with U+FFFD "
                                         f"(\ufffd), in {len(holding)} row(s) from this one on; fix the export's keys"))
        new_names = _unique_names([renames.get(column, column) for column in frame.columns], set(renames.values()))
        frame.columns = new_names
    return sorted(repaired, key=lambda cell: cell.position)


def _unique_names(names: list, repaired: set[str]) -> list:
    """Repaired names that now equal another name get " #2", " #3", …, so no column is lost."""
    seen = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        if seen[name] > 1 and name in repaired:
            candidate, number = name, seen[name]
            while candidate in seen:
                candidate = f"{name} #{number}"
                number += 1
            seen[candidate] += 1
            name = candidate
        unique.append(name)
    return unique


def _repairs_report(repaired: list[RepairedCell]) -> dict[str, Any]:
    if not repaired:
        return {}
    return {"repaired_cells": [{"position": cell.position, "column": cell.column, "note": cell.note}
                               for cell in repaired]}


def _read_delimited(text: str, file: Path, tab: bool) -> pd.DataFrame:
    delimiter = "\t" if tab else _sniff_delimiter(text)
    header, header_line, records, positions = _delimited_records(text, file, delimiter)
    return delimited_frame(header, header_line, records, positions, file)


def delimited_frame(header: list[str] | None, header_line: int, records: list[list[str]], positions: list[int],
                    file: Path) -> pd.DataFrame:
    if header is None:
        raise InputError(f"{file}: no header line; the first line must name the columns")
    duplicated = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicated:
        raise InputError(f"{file}: line {header_line}: column name(s) {', '.join(map(repr, duplicated))} appear twice")
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame[POSITION] = positions
    return frame


def _delimited_records(text: str, file: Path, delimiter: str) -> tuple[list[str] | None, int, list[list[str]], list[int]]:
    """Header, its line, the data records and the line each one starts on; blank lines are skipped."""
    # The csv module refuses fields over 128 KiB by default; an article body is one field.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    header, header_line, records, positions = None, 0, [], []
    for header, header_line, chunk in delimited_record_chunks(io.StringIO(text, newline=""), file, delimiter):
        records.extend(record for record, _ in chunk)
        positions.extend(line for _, line in chunk)
    return header, header_line, records, positions


def delimited_record_chunks(lines: Iterable[str], file: Path, delimiter: str, rows: int = 0
                            ) -> Iterator[tuple[list[str] | None, int, list[tuple[list[str], int]]]]:
    """The header, its line and the data records with the line each one starts on, ``rows``
    records at a time (all at once for 0), from ``lines`` as ``open(newline="")`` splits them;
    blank lines are skipped. The caller sets ``csv.field_size_limit``.

    Python's csv reader rather than pandas': pandas pads short lines, turns the first column
    into the index when the first data line is one field longer, renames duplicate column
    names and cannot tell the line a record starts on (quoted line breaks, blank lines).
    Every record must have as many fields as the header: a line that does not is nearly
    always a quoting mistake, and reading it would shift values into the wrong columns.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line, records, yielded = 0, [], False
    start = 1
    try:
        for record in reader:
            # line_num counts the physical lines read so far: the next record starts after them.
            line, start = start, reader.line_num + 1
            # A blank line is no record; in a one-column table, though, a line holding only
            # blanks (or a quoted empty field) is a row with an empty value.
            if not record or (len(record) == 1 and not record[0].strip() and (header is None or len(header) > 1)):
                continue
            if header is None:
                header, header_line = _column_names(record), line
                _check_column_count(len(header), file, f"line {line}")
            elif len(record) != len(header):
                raise InputError(
                    f"{file}: line {line}: {len(record)} fields where the header has {len(header)}; "
                    "fix the quoting or the number of fields on that line"
                )
            else:
                records.append((record, line))
                if len(records) == rows:
                    yield header, header_line, records
                    records, yielded = [], True
    except csv.Error as error:
        raise InputError(f"{file}: line {start}: {_csv_problem(error)}; fix the quoting of that record") from None
    if records or not yielded:
        yield header, header_line, records


def _column_names(header: list[str]) -> list[str]:
    # Blank names (a trailing delimiter) get pandas' names, so the columns stay addressable.
    return [name if name.strip() else f"Unnamed: {index}" for index, name in enumerate(header)]


def _csv_problem(error: csv.Error) -> str:
    if "unexpected end of data" in str(error):
        return "a quoted field that starts in this record is never closed"
    return f"malformed quoting ({error})"


DELIMITERS = ",;\t|"


SNIFF_CHARACTERS = 65536


def _sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_CHARACTERS]
    return sniff_delimiter(sample, complete=len(sample) == len(text))


def sniff_delimiter(sample: str, complete: bool) -> str:
    """The delimiter that splits the first records (the first 64 KiB, ``sample``; ``complete``
    when that is the whole text) into equally many fields, the most of them; else csv.Sniffer's
    guess, else the header's commonest. Text full of commas and semicolons misled the Sniffer
    alone into ragged records."""
    counts = {delimiter: _field_counts(sample, delimiter, complete=complete) for delimiter in DELIMITERS}
    even = {delimiter: found[0] for delimiter, found in counts.items() if found and found[0] > 1 and len(set(found)) == 1}
    if even:
        return max(even, key=lambda delimiter: (even[delimiter], -DELIMITERS.index(delimiter)))
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=header.count) if header else ","


def _field_counts(sample: str, delimiter: str, complete: bool) -> list[int]:
    """Fields per record of ``sample`` (the last, possibly cut, record left out unless the
    sample is the whole text); empty when the sample does not parse."""
    counts = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True):
            if record and not (len(record) == 1 and not record[0].strip()):
                counts.append(len(record))
    except csv.Error:
        if complete:
            return []
    return counts if complete or len(counts) < 2 else counts[:-1]


class _NotUtf8(Exception):
    pass


def _read_json_lines(data: bytes, file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    # Parsing each line's bytes skips decoding and splitting one huge string, which took
    # over half of the load time at 100k rows; other encodings take the decoded path.
    if b"\x00" not in data:
        try:
            return _json_lines(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), file)
        except _NotUtf8:
            pass
    return _json_lines(decode(data, file).split("\n"), file)


def _json_lines(lines: list[bytes] | list[str], file: Path, first_number: int = 1,
                keys: set[str] | None = None) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    """Records end at "\n" only: str.splitlines() also breaks at U+2028, U+0085 and other
    characters that JSON strings may hold unescaped. ``lines`` start at line ``first_number``;
    ``keys`` gathers the keys seen (over the chunks of a file read in chunks)."""
    records: list[dict] = []
    positions: list[int] = []
    bad: list[UnreadableRow] = []
    keys = set() if keys is None else keys
    for number, line in enumerate(lines, start=first_number):
        if not line.strip():
            continue
        try:
            value = _parse_json(line, file, f"line {number}")
        except UnicodeDecodeError:
            raise _NotUtf8 from None
        except json.JSONDecodeError as error:
            bad.append(UnreadableRow(str(file), number, f"line {number} is not valid JSON ({error.msg}, column {error.colno}); "
                                     "the line may be truncated"))
            continue
        if not isinstance(value, dict):
            bad.append(UnreadableRow(str(file), number, f"line {number} is a JSON {type(value).__name__}, not an object"))
            continue
        _check_record(value, keys, file, f"line {number}")
        records.append(value)
        positions.append(number)
    frame = _json_frame(records)
    frame[POSITION] = positions
    return frame, bad


def _parse_json(text: bytes | str, file: Path, where: str, check_depth: bool = True) -> Any:
    """``json.loads``, with the limits a hostile file reaches turned into one line each:
    Python's reader recurses (a value nested 100,000 deep) and refuses integers of more
    than 4,300 digits. ``where`` is the line of a JSON Lines record, or "" for a document."""
    at = f"{where}: " if where else ""
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputError(f"{file}: {at}values nested more than {MAX_JSON_DEPTH} levels deep; "
                         "flatten the export's nested values") from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        if "digits" not in str(error):
            raise
        raise InputError(f"{file}: {_digits_where(text, where)}: a number with more than {MAX_INTEGER_DIGITS} digits; "
                         "export such numbers as strings (in quotes)") from None
    if check_depth:
        _check_depth(value, text, file, where)
    return value


def _check_depth(record: Any, text: bytes | str, file: Path, where: str) -> None:
    """A record (level 1) whose values nest deeper than MAX_JSON_DEPTH is refused."""
    if _may_nest_deeply(text) and _depth(record) > MAX_JSON_DEPTH:
        raise InputError(f"{file}: {where}: values nested more than {MAX_JSON_DEPTH} levels deep; "
                         "flatten the export's nested values")


def _may_nest_deeply(text: bytes | str) -> bool:
    """Whether ``text`` holds enough brackets to nest beyond the limit (almost no line does)."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{") > MAX_JSON_DEPTH
    return text.count("[") + text.count("{") > MAX_JSON_DEPTH


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _digits_where(text: bytes | str, where: str) -> str:
    """The line of a JSON document's first over-long number (JSON Lines already name the line)."""
    if isinstance(text, bytes) or where:
        return where
    found = re.search(r"\d{%d,}" % (MAX_INTEGER_DIGITS + 1), text)
    return f"line {text.count(chr(10), 0, found.start()) + 1}" if found else "line 1"


def _check_record(record: dict, keys: set[str], file: Path, where: str) -> None:
    """A table of more than MAX_COLUMNS columns is refused at the record that goes beyond."""
    if len(record) > MAX_COLUMNS:
        _check_column_count(len(record), file, where)
    keys.update(record)
    if len(keys) > MAX_COLUMNS:
        _check_column_count(len(keys), file, where)


def _check_column_count(count: int, file: Path, where: str) -> None:
    if count > MAX_COLUMNS:
        raise InputError(f"{file}: {where}: {count} columns, more than the {MAX_COLUMNS} the auditor reads; "
                         "export only the columns to audit")


def _read_json_document(text: str, file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    try:
        document = _parse_json(text, file, "", check_depth=False)
    except json.JSONDecodeError as error:
        raise InputError(f"{file}: line {error.lineno}: not valid JSON ({error.msg}); fix the file or export JSON Lines") from None
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise InputError(f"{file}: expected a JSON array of article objects (or an object holding one such array)")
        document = lists[0]
    if not isinstance(document, list):
        raise InputError(f"{file}: expected a JSON array of article objects, found a JSON {type(document).__name__}")
    records, positions, bad = [], [], []
    keys: set[str] = set()
    for number, value in enumerate(document, start=1):
        if isinstance(value, dict):
            _check_record(value, keys, file, f"element {number} of the array")
            _check_depth(value, text, file, f"element {number} of the array")
            records.append(value)
            positions.append(number)
        else:
            bad.append(UnreadableRow(str(file), number, f"element {number} of the array is a JSON {type(value).__name__}, not an object"))
    frame = _json_frame(records)
    frame[POSITION] = positions
    return frame, bad


def _json_frame(records: list[dict]) -> pd.DataFrame:
    # Left to infer types, pandas turns integers with gaps into floats, and ids above 2**53 change.
    return pd.DataFrame(records, dtype=object) if records else pd.DataFrame()


def _read_parquet(data: bytes, file: Path) -> pd.DataFrame:
    _read_parquet_schema(io.BytesIO(data), file)
    try:
        # Nullable dtypes: by default an integer column with nulls (as Spark or DuckDB write
        # them) becomes float, and ids above 2**53 change.
        frame = pd.read_parquet(io.BytesIO(data), dtype_backend="numpy_nullable")
    except Exception as error:
        raise InputError(f"{file}: not a readable Parquet file ({type(error).__name__}: {_first_line(error)})") from None
    frame = frame.reset_index(drop=True)
    frame[POSITION] = range(1, len(frame) + 1)
    return frame


def _read_parquet_schema(source: Any, file: Path | None = None) -> Any:
    """The opened Parquet file (``source``: a path or a byte stream), its schema checked."""
    import pyarrow.parquet as pq

    file = file if file is not None else source
    try:
        parquet = pq.ParquetFile(source)
        schema = parquet.schema_arrow
    except Exception as error:  # pyarrow raises many types for damaged files
        raise InputError(f"{file}: not a readable Parquet file ({type(error).__name__}: {_first_line(error)})") from None
    _check_column_count(len(schema.names), file, "schema")
    twice = sorted(name for name, count in Counter(schema.names).items() if count > 1)
    if twice:
        raise InputError(f"{file}: column name(s) {', '.join(map(repr, twice))} appear twice in the schema")
    deep = [field.name for field in schema if _type_depth(field.type) > MAX_JSON_DEPTH]
    if deep:
        raise InputError(f"{file}: column {deep[0]!r} is nested more than {MAX_JSON_DEPTH} levels deep; "
                         "flatten it in the export")
    return parquet


def _type_depth(arrow_type: Any) -> int:
    """How deep an Arrow type nests (a string is 0, a list of strings 1), without recursion."""
    deepest, stack = 0, [(arrow_type, 0)]
    while stack:
        kind, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((kind.field(index).type, level + 1) for index in range(kind.num_fields))
    return deepest


def _plain_json(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself, in nested Parquet values: arrays, bytes, times, decimals."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def cell_text(value: Any) -> str | None:
    """A cell as the auditor sees it: text, or None when empty."""
    # pd.NA is what nullable Parquet columns (string, Int64, ...) hold for a missing value.
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and not isinstance(value, (int, float))):
        items = [cell_text(item) for item in (value.tolist() if hasattr(value, "tolist") else value)]
        joined = ", ".join(item for item in items if item)
        return joined or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=_plain_json)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace") or None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text or None (blank text is None). Plain Python per column, joined into
    a frame once: pandas' per-column overhead (and setting columns one by one, which copies
    the frame's blocks) took seconds for a table of a few thousand columns."""
    columns = {}
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if column == POSITION:
            columns[column] = values.to_numpy()
            continue
        texts = [value if type(value) is str else cell_text(value) for value in values.tolist()]
        cells = np.empty(len(texts), dtype=object)
        cells[:] = [text if text and not text.isspace() else None for text in texts]
        columns[column] = cells
    if not columns:
        return frame
    strings = pd.DataFrame(columns, index=frame.index)
    strings.columns = frame.columns  # names as they were (a dict would merge equal ones)
    return strings
