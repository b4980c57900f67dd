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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from auditor.encodings import decode
from auditor.errors import InputError
from auditor.extract import PAGE_SUFFIXES, extract_page

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
SOURCE = "_source"
POSITION = "_position"


@dataclass(frozen=True)
class UnreadableRow:
    source: str
    position: int
    reason: str


@dataclass
class LoadedInput:
    """Raw rows of all inputs: ``frame`` has the data columns plus ``_source``
    (file name as given) and ``_position`` (line or row number in that file)."""

    frame: pd.DataFrame
    unreadable: list[UnreadableRow] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def expand_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[dict[str, Any]]]:
    """Files to read, folders expanded; files in folders of other types are listed as skipped."""
    files: list[Path] = []
    skipped: list[dict[str, Any]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in TABLE_SUFFIXES + PAGE_SUFFIXES:
                    files.append(child)
                elif not child.name.startswith("."):
                    skipped.append({"file": str(child), "status": "skipped", "reason": "not a supported file type"})
        elif path.is_file():
            if path.suffix.lower() not in TABLE_SUFFIXES + PAGE_SUFFIXES:
                raise InputError(
                    f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                    f"give tables ({', '.join(TABLE_SUFFIXES)}) or pages ({', '.join(PAGE_SUFFIXES)})"
                )
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files, skipped


def load_inputs(paths: Iterable[Path]) -> LoadedInput:
    files, skipped = expand_inputs(paths)
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
        text = decode(data, file)
        if suffix in (".jsonl", ".ndjson"):
            frame, bad = _read_json_lines(text, file)
        elif suffix == ".json":
            frame, bad = _read_json_document(text, file)
        else:
            frame, bad = _read_delimited(text, file, tab=suffix == ".tsv"), []
    return _as_strings(frame), bad


def _read_delimited(text: str, file: Path, tab: bool) -> pd.DataFrame:
    delimiter = "\t" if tab else _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_filter=False,
            engine="c", quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{file}: no header line; the first line must name the columns") from None
    except pd.errors.ParserError as error:
        raise InputError(f"{file}: {_parser_problem(error)}; fix the quoting or the number of fields on that line") from None
    if frame.columns.duplicated().any():
        duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise InputError(f"{file}: line 1: column name(s) {', '.join(map(repr, duplicated))} appear twice")
    # Row n of the table is line n + 1 of a file without quoted line breaks.
    frame[POSITION] = range(2, len(frame) + 2)
    return frame


def _parser_problem(error: Exception) -> str:
    message = str(error).strip().splitlines()[-1]
    return message.replace("Error tokenizing data. C error: ", "").rstrip(".")


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=header.count) if header else ","


def _read_json_lines(text: str, file: Path) -> tuple[pd.DataFrame, list[UnreadableRow]]:
    records: list[dict] = []
    positions: list[int] = []
    bad: list[UnreadableRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            bad.append(UnreadableRow(str(file), number, f"line {number} is not valid JSON ({error.msg}, column {error.colno}); "
                                     "the line may be truncated"))
            continue
        if not isinstance(value, dict):
            bad.append(UnreadableRow(str(file), number, f"line {number} is a JSON {type(value).__name__}, not an object"))
            continue
        records.append(value)
        positions.append(number)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
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
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame[POSITION] = positions
    return frame, bad


def _read_parquet(file: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(file)
    except Exception as error:  # pyarrow raises many types for damaged files
        raise InputError(f"{file}: not a readable Parquet file ({type(error).__name__}: {str(error).splitlines()[0][:120]})") from None
    frame = frame.reset_index(drop=True)
    frame[POSITION] = range(1, len(frame) + 1)
    return frame


def cell_text(value: Any) -> str | None:
    """A cell as the auditor sees it: text, or None when empty."""
    if value is None:
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
        blank = series.str.fullmatch(r"\s*").fillna(True).astype(bool)
        frame[column] = series.where(~blank, None)
    return frame
