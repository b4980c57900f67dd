"""Read aggregator output into one table of strings, accounting for every row.

Tables (CSV/TSV, JSON Lines, JSON arrays, Parquet) and article pages (.txt, .html)
become rows; every cell is a string or None. Rows that cannot be read (a truncated
JSON line, a JSON array element that is not an object) are kept as *unreadable*
with the reason, so the run accounts for them instead of dropping them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from auditor.encodings import decode
from auditor.errors import InputError
from auditor.extract import PAGE_SUFFIXES, extract_page

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
# Bookkeeping columns, named so that no export's own column collides with them.
SOURCE = "__auditor_source__"
POSITION = "__auditor_position__"


@dataclass(frozen=True)
class UnreadableRow:
    source: str
    position: int
    reason: str


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
                supported = child.suffix.lower() in TABLE_SUFFIXES + PAGE_SUFFIXES
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
            if path.suffix.lower() not in TABLE_SUFFIXES + PAGE_SUFFIXES:
                raise InputError(
                    f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                    f"give tables ({', '.join(TABLE_SUFFIXES)}) or pages ({', '.join(PAGE_SUFFIXES)})"
                )
            files.append(path)
        elif path.exists():
            raise InputError(f"{path}: not a regular file (a pipe, socket or device); write the table to a file "
                             "and give that file")
        else:
            raise InputError(f"{path}: no such file or folder")
    return files, skipped


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
    files, skipped = expand_inputs(paths)
    files = _unique(files)
    if not files:
        raise InputError("no input files found; give table files, article pages or folders holding them")
    frames: list[pd.DataFrame] = []
    unreadable: list[UnreadableRow] = []
    pages: list[dict[str, Any]] = []
    report: list[dict[str, Any]] = []
    for file in files:
        if file.suffix.lower() in PAGE_SUFFIXES:
            row = extract_page(file)
            row[SOURCE], row[POSITION] = str(file), 1
            pages.append(row)
            report.append({"file": str(file), "status": "read", "rows": 1, "kind": "page"})
            continue
        frame, bad = read_table(file)
        frame[SOURCE] = str(file)
        frames.append(frame)
        unreadable.extend(bad)
        report.append({"file": str(file), "status": "read", "rows": len(frame) + len(bad), "kind": "table",
                       "unreadable_rows": len(bad)})
    if pages:
        frames.append(pd.DataFrame(pages))
    frame = pd.concat(frames, ignore_index=True, sort=False) if frames else pd.DataFrame()
    for column in (SOURCE, POSITION):
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
    frame = frame.astype(object).where(frame.notna(), None)
    return LoadedInput(frame=frame, unreadable=unreadable, files=report + skipped)


def read_table(file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    """One table file as strings, with ``_position`` set; plus the rows that could not be read."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})") from None
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        frame, bad = _read_parquet(file), []
    else:
        if not data.strip():
            raise InputError(f"{file}: the file is empty; remove it from the run or check the export")
        if suffix in (".jsonl", ".ndjson"):
            frame, bad = _read_json_lines(data, file)
        elif suffix == ".json":
            text = decode(data, file)
            frame, bad = _read_json_document(text, file)
        else:
            frame, bad = _read_delimited(decode(data, file), file, tab=suffix == ".tsv"), []
    return _as_strings(frame), bad


def _read_delimited(text: str, file: Path, tab: bool) -> pd.DataFrame:
    delimiter = "\t" if tab else _sniff_delimiter(text)
    header, header_line, records, positions = _delimited_records(text, file, delimiter)
    if header is None:
        raise InputError(f"{file}: no header line; the first line must name the columns")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(f"{file}: line {header_line}: column name(s) {', '.join(map(repr, duplicated))} appear twice")
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame[POSITION] = positions
    return frame


def _delimited_records(text: str, file: Path, delimiter: str) -> tuple[list[str] | None, int, list[list[str]], list[int]]:
    """Header, its line, the data records and the line each one starts on; blank lines are skipped.

    Python's csv reader rather than pandas': pandas pads short lines, turns the first column
    into the index when the first data line is one field longer, renames duplicate column
    names and cannot tell the line a record starts on (quoted line breaks, blank lines).
    Every record must have as many fields as the header: a line that does not is nearly
    always a quoting mistake, and reading it would shift values into the wrong columns.
    """
    # The csv module refuses fields over 128 KiB by default; an article body is one field.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line, records, positions = 0, [], []
    start = 1
    try:
        for record in reader:
            # line_num counts the physical lines read so far: the next record starts after them.
            line, start = start, reader.line_num + 1
            if len(record) <= 1 and not "".join(record).strip():
                continue
            if header is None:
                header, header_line = _column_names(record), line
            elif len(record) != len(header):
                raise InputError(
                    f"{file}: line {line}: {len(record)} fields where the header has {len(header)}; "
                    "fix the quoting or the number of fields on that line"
                )
            else:
                records.append(record)
                positions.append(line)
    except csv.Error as error:
        raise InputError(f"{file}: line {start}: {_csv_problem(error)}; fix the quoting of that record") from None
    return header, header_line, records, positions


def _column_names(header: list[str]) -> list[str]:
    # Blank names (a trailing delimiter) get pandas' names, so the columns stay addressable.
    return [name if name.strip() else f"Unnamed: {index}" for index, name in enumerate(header)]


def _csv_problem(error: csv.Error) -> str:
    if "unexpected end of data" in str(error):
        return "a quoted field that starts in this record is never closed"
    return f"malformed quoting ({error})"


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=header.count) if header else ","


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


def _json_lines(lines: list[bytes] | list[str], file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    """Records end at "\n" only: str.splitlines() also breaks at U+2028, U+0085 and other
    characters that JSON strings may hold unescaped."""
    records: list[dict] = []
    positions: list[int] = []
    bad: list[UnreadableRow] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except UnicodeDecodeError:
            raise _NotUtf8 from None
        except json.JSONDecodeError as error:
            bad.append(UnreadableRow(str(file), number, f"line {number} is not valid JSON ({error.msg}, column {error.colno}); "
                                     "the line may be truncated"))
            continue
        if not isinstance(value, dict):
            bad.append(UnreadableRow(str(file), number, f"line {number} is a JSON {type(value).__name__}, not an object"))
            continue
        records.append(value)
        positions.append(number)
    frame = _json_frame(records)
    frame[POSITION] = positions
    return frame, bad


def _read_json_document(text: str, file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    try:
        document = json.loads(text)
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
    for number, value in enumerate(document, start=1):
        if isinstance(value, dict):
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


def _read_parquet(file: Path) -> pd.DataFrame:
    try:
        # Nullable dtypes: by default an integer column with nulls (as Spark or DuckDB write
        # them) becomes float, and ids above 2**53 change.
        frame = pd.read_parquet(file, dtype_backend="numpy_nullable")
    except Exception as error:  # pyarrow raises many types for damaged files
        raise InputError(f"{file}: not a readable Parquet file ({type(error).__name__}: {str(error).splitlines()[0][:120]})") from None
    frame = frame.reset_index(drop=True)
    frame[POSITION] = range(1, len(frame) + 1)
    return frame


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
        return json.dumps(value, ensure_ascii=False)
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column == POSITION:
            continue
        series = frame[column].astype(object)
        is_text = series.map(type).eq(str)
        if not is_text.all():
            series = series.where(is_text, series[~is_text].map(cell_text))
        blank = series.isna() | series.str.fullmatch(r"\s*").eq(True)
        frame[column] = series.where(~blank, None)
    return frame
