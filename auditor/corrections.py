"""Corrections: the new values editors accepted or typed, written by a run as
``corrections.csv`` and applied to an input table by ``auditor apply``.

A correction names its cell as a finding does: row id, canonical column and the old value.
``apply`` changes a cell only while it still holds that old value, and writes a copy with
the input's own columns, rows and order, so only the corrected cells differ.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from auditor.errors import AuditorError
from auditor.findings import VALUE_LIMIT
from auditor.loaders import _delimited_records, _sniff_delimiter, cell_text
from auditor.encodings import decode
from auditor.mapping import source_columns

FIELDS = ("row_id", "column", "old_value", "new_value", "rule", "decided_at", "by")
REQUIRED = ("row_id", "column", "old_value", "new_value")
APPLY_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")


class CorrectionsError(AuditorError):
    """A corrections file or the table to correct cannot be used."""


def render_corrections(corrections: list[dict[str, Any]]) -> str:
    """``corrections.csv``: one line per cell to change; an empty old value is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for correction in corrections:
        writer.writerow(["" if correction.get(name) is None else str(correction[name]) for name in FIELDS])
    return buffer.getvalue()


@dataclass(frozen=True)
class Correction:
    row_id: str
    column: str
    old_value: str | None
    new_value: str
    rule: str
    origin: str  # "corrections.csv:line"


def read_corrections(file: Path) -> list[Correction]:
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CorrectionsError(f"{file}: no such file; pass the corrections.csv an audit with --decisions wrote") from None
    except UnicodeDecodeError as error:
        raise CorrectionsError(f"{file}: not UTF-8 (byte {error.start}); pass the corrections.csv the audit wrote") from None
    except OSError as error:
        raise CorrectionsError(f"{file}: cannot be read ({error.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise CorrectionsError(f"{file}: the file is empty; pass the corrections.csv an audit with --decisions wrote")
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise CorrectionsError(f"{file}:1: no column {missing[0]!r}; a corrections file starts with the line "
                                   f"'{','.join(FIELDS)}'")
        index = {name: header.index(name) for name in FIELDS if name in header}
        corrections = []
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise CorrectionsError(f"{file}:{line}: {len(record)} fields where the header has {len(header)}; "
                                       "fix the quoting of that line")
            cell = {name: record[position] for name, position in index.items()}
            for name in ("row_id", "column", "new_value"):
                if not cell[name].strip():
                    raise CorrectionsError(f"{file}:{line}: {name} is empty; every correction names a row id, a column "
                                           "and the new value")
            corrections.append(Correction(row_id=cell["row_id"], column=cell["column"],
                                          old_value=cell["old_value"] or None, new_value=cell["new_value"],
                                          rule=cell.get("rule", ""), origin=f"{file}:{line}"))
    except csv.Error as error:
        raise CorrectionsError(f"{file}:{reader.line_num}: malformed CSV ({error}); fix the quoting of that line") from None
    return corrections


def _compared(value: Any) -> str | None:
    """A cell as a finding showed it: text, empty as None, capped like findings' values."""
    text = cell_text(value)
    if isinstance(text, str) and len(text) > VALUE_LIMIT:
        text = text[: VALUE_LIMIT - 1] + "…"
    return text


# -- tables ----------------------------------------------------------------------------------


@dataclass
class _Table:
    """An input table as rows of cells, and how to write it back in its own format."""

    columns: list[str]
    rows: list[Any]  # per row something get/put understand
    positions: list[int]  # the line or row number a row id of the form FILE:N names
    get: Callable[[Any, str], Any]
    put: Callable[[int, str, str], None]
    write: Callable[[Path], None]
    changed: set[int] = field(default_factory=set)


def _delimited(file: Path, data: bytes, tab: bool) -> _Table:
    text = decode(data, file)
    delimiter = "\t" if tab else _sniff_delimiter(text)
    header, _, records, positions = _delimited_records(text, file, delimiter)
    if header is None:
        raise CorrectionsError(f"{file}: no header line; the first line must name the columns")
    newline = "\r\n" if "\r\n" in text[:65536] else "\n"

    def put(row: int, column: str, value: str) -> None:
        records[row][header.index(column)] = value

    def write(target: Path) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(records)
        target.write_text(buffer.getvalue(), encoding="utf-8", newline="")

    return _Table(columns=header, rows=records, positions=positions,
                  get=lambda record, column: record[header.index(column)], put=put, write=write)


def _json_lines(file: Path, data: bytes) -> _Table:
    text = decode(data, file)
    lines = text.split("\n")
    objects, positions, at = [], [], []
    for number, line in enumerate(lines, start=1):
        try:
            value = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            value = None  # an unreadable line is copied as it is
        if isinstance(value, dict):
            objects.append(value)
            positions.append(number)
            at.append(number - 1)
    columns = list(dict.fromkeys(key for value in objects for key in value))

    def put(row: int, column: str, value: str) -> None:
        objects[row][column] = value
        ending = "\r" if lines[at[row]].endswith("\r") else ""  # a CRLF file stays CRLF
        lines[at[row]] = json.dumps(objects[row], ensure_ascii=False) + ending

    def write(target: Path) -> None:
        target.write_text("\n".join(lines), encoding="utf-8", newline="")

    return _Table(columns=columns, rows=objects, positions=positions, get=lambda row, column: row.get(column),
                  put=put, write=write)


def _json_document(file: Path, data: bytes) -> _Table:
    text = decode(data, file)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorrectionsError(f"{file}: line {error.lineno}: not valid JSON ({error.msg})") from None
    holder = document
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        holder = lists[0] if len(lists) == 1 else None
    if not isinstance(holder, list):
        raise CorrectionsError(f"{file}: expected a JSON array of article objects")
    objects = [value for value in holder if isinstance(value, dict)]
    positions = [number for number, value in enumerate(holder, start=1) if isinstance(value, dict)]
    columns = list(dict.fromkeys(key for value in objects for key in value))

    def put(row: int, column: str, value: str) -> None:
        objects[row][column] = value

    def write(target: Path) -> None:
        target.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    return _Table(columns=columns, rows=objects, positions=positions, get=lambda row, column: row.get(column),
                  put=put, write=write)


def _parquet(file: Path) -> _Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except Exception as error:  # pyarrow raises many types for damaged files
        raise CorrectionsError(f"{file}: not a readable Parquet file ({type(error).__name__})") from None
    values: dict[str, list] = {}

    def column_values(column: str) -> list:
        if column not in values:
            values[column] = table.column(column).to_pylist()
        return values[column]

    edited: set[str] = set()

    def put(row: int, column: str, value: str) -> None:
        column_values(column)[row] = value
        edited.add(column)

    def write(target: Path) -> None:
        result = table
        for column in edited:
            kind = table.schema.field(column).type
            try:
                array = pa.array(values[column], type=kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
                raise CorrectionsError(f"{file}: column {column!r} holds {kind}, and a new value is not one; "
                                       "correct it to a value of that type") from None
            result = result.set_column(result.schema.get_field_index(column), table.schema.field(column), array)
        pq.write_table(result, target)

    return _Table(columns=list(table.column_names), rows=list(range(table.num_rows)),
                  positions=list(range(1, table.num_rows + 1)),
                  get=lambda row, column: column_values(column)[row], put=put, write=write)


def _open_table(file: Path) -> _Table:
    suffix = file.suffix.lower()
    if suffix not in APPLY_SUFFIXES:
        raise CorrectionsError(f"{file}: apply corrects tables ({', '.join(APPLY_SUFFIXES)}); article pages are "
                               "corrected at their source")
    if suffix == ".parquet":
        if not file.is_file():
            raise CorrectionsError(f"{file}: no such file")
        return _parquet(file)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise CorrectionsError(f"{file}: no such file") from None
    except OSError as error:
        raise CorrectionsError(f"{file}: cannot be read ({error.strerror})") from None
    if not data.strip():
        raise CorrectionsError(f"{file}: the file is empty")
    if suffix in (".jsonl", ".ndjson"):
        return _json_lines(file, data)
    if suffix == ".json":
        return _json_document(file, data)
    return _delimited(file, data, tab=suffix == ".tsv")


# -- apply -----------------------------------------------------------------------------------


@dataclass
class Applied:
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)  # already holds the new value
    not_applied: list[dict[str, Any]] = field(default_factory=list)


def apply_corrections(corrections_file: Path, table_file: Path, output: Path, mapping: dict[str, str]) -> Applied:
    """Write ``output``: ``table_file`` with the cells of ``corrections_file`` corrected.

    ``mapping`` is the rules' column mapping, so a correction of ``category`` lands in the
    table's ``Vorfall``. A correction whose row is missing or whose cell holds neither the
    old nor the new value is not applied and is listed with the reason.
    """
    if output.suffix.lower() != table_file.suffix.lower():
        raise CorrectionsError(f"{output}: write the corrected copy in the input's format ({table_file.suffix}), "
                               f"e.g. --output {table_file.with_name(table_file.stem + '.corrected' + table_file.suffix)}")
    if output.resolve() == table_file.resolve():
        raise CorrectionsError(f"{output}: this is the input; apply writes a corrected copy, give another --output")
    corrections = read_corrections(corrections_file)
    table = _open_table(table_file)
    id_columns = source_columns(table.columns, mapping, "id")
    by_id: dict[str, list[int]] = {}
    for row_number, row in enumerate(table.rows):
        for column in id_columns:
            row_id = cell_text(table.get(row, column))
            if row_id is not None:
                by_id.setdefault(row_id, []).append(row_number)
                break
        else:
            # Rows without an id are known as FILE:LINE, the file as the audit was given it.
            by_id.setdefault(f"{table_file.name}:{table.positions[row_number]}", []).append(row_number)
    result = Applied()
    for correction in corrections:
        rows = by_id.get(correction.row_id)
        if rows is None and ":" in correction.row_id:
            name, _, line = correction.row_id.rpartition(":")
            rows = by_id.get(f"{Path(name).name}:{line}")
        entry = {"correction": correction.origin, "row_id": correction.row_id, "column": correction.column,
                 "old_value": correction.old_value, "new_value": correction.new_value}
        if not rows:
            result.not_applied.append({**entry, "reason": f"no row {correction.row_id!r} in {table_file}; "
                                                          "apply the corrections to the table the audit read"})
            continue
        columns = source_columns(table.columns, mapping, correction.column)
        if not columns:
            result.not_applied.append({**entry, "reason": f"{table_file} has no column for {correction.column!r}; "
                                                          "pass the rules the audit used with --rules"})
            continue
        for row in rows:
            holding = [column for column in columns if _compared(table.get(table.rows[row], column)) == correction.old_value]
            if holding:
                column = holding[0]
                table.put(row, column, correction.new_value)
                table.changed.add(row)
                result.changed.append({**entry, "input_column": column, "position": table.positions[row]})
            elif any(cell_text(table.get(table.rows[row], column)) == correction.new_value for column in columns):
                result.unchanged.append({**entry, "position": table.positions[row]})
            else:
                now = _compared(table.get(table.rows[row], columns[0]))
                result.not_applied.append({**entry, "position": table.positions[row],
                                           "reason": f"{columns[0]} holds {now!r}, not the old value "
                                                     f"{correction.old_value!r}; audit the table again and decide anew"})
    _write_atomically(table, output)
    return result


def _write_atomically(table: _Table, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=output.suffix, dir=output.parent)
    os.close(handle)
    try:
        table.write(Path(temporary))
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
