"""``auditor apply``: a corrected copy of an input table, through the real command.

Only the corrected cells may differ: every other cell, every row and column and their order
stay as they were, in CSV, JSON Lines and Parquet. Bad input is one line, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.corrections import render_corrections

ROWS = [
    {"id": "r1", "Titel": "Budget beschlossen", "Vorfall": "Politik", "Ort": "Linz", "Klicks": 10},
    {"id": "r2", "Titel": "Anschlag; vereitelt", "Vorfall": "Terorismus", "Ort": "Wien", "Klicks": 250},
    {"id": "r3", "Titel": "Zwei Zeilen\nim Titel", "Vorfall": "Brand", "Ort": None, "Klicks": 7},
]
CORRECTIONS = [
    {"row_id": "r2", "column": "category", "old_value": "Terorismus", "new_value": "Terrorismus",
     "rule": "category-known", "decided_at": "2026-12-02T07:41:00+00:00", "by": "Anna"},
    {"row_id": "r3", "column": "location", "old_value": None, "new_value": "Steyr", "rule": "location-present",
     "decided_at": "2026-12-02T07:42:00+00:00", "by": None},
]
EXPECTED = {("r2", "Vorfall"): "Terrorismus", ("r3", "Ort"): "Steyr"}


def corrections_file(folder: Path, corrections=CORRECTIONS) -> Path:
    path = folder / "corrections.csv"
    path.write_text(render_corrections(corrections), encoding="utf-8")
    return path


def write_csv(path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(list(ROWS[0]))
    writer.writerows([["" if value is None else value for value in row.values()] for row in ROWS])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""), delimiter=";"))


def apply(*args: str):
    result = CliRunner().invoke(app, ["apply", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_csv_copy_differs_only_in_the_corrected_cells(tmp_path):
    table = tmp_path / "export.csv"
    write_csv(table)
    output = tmp_path / "export.corrected.csv"
    result = apply(str(corrections_file(tmp_path)), str(table), "--output", str(output))
    assert result.exit_code == 0, result.output
    assert f"{table}:3 r2 [Vorfall]: 'Terorismus' -> 'Terrorismus'" in result.output
    assert f"{table}:4 r3 [Ort]: None -> 'Steyr'" in result.output
    assert "2 cells changed" in result.output
    before, after = read_csv(table), read_csv(output)
    assert after[0] == before[0] and len(after) == len(before)
    header = before[0]
    for old, new in zip(before[1:], after[1:]):
        for column, old_cell, new_cell in zip(header, old, new):
            assert new_cell == EXPECTED.get((old[0], column), old_cell)


def test_jsonl_copy_keeps_every_other_line_as_it_was(tmp_path):
    table = tmp_path / "export.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in ROWS]
    lines.insert(1, '{"id": "kaputt", "Titel": "abgeschnit')  # unreadable: copied as it is
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    assert apply(str(corrections_file(tmp_path)), str(table), "-o", str(output)).exit_code == 0
    before, after = table.read_text(encoding="utf-8").split("\n"), output.read_text(encoding="utf-8").split("\n")
    assert len(before) == len(after)
    changed = [index for index, (old, new) in enumerate(zip(before, after)) if old != new]
    assert changed == [2, 3]
    assert json.loads(after[2]) == {**ROWS[1], "Vorfall": "Terrorismus"}
    assert list(json.loads(after[3])) == list(ROWS[2]) and json.loads(after[3])["Ort"] == "Steyr"


def test_jsonl_with_crlf_line_ends_keeps_them(tmp_path):
    table = tmp_path / "export.jsonl"
    table.write_bytes("\r\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS).encode("utf-8") + b"\r\n")
    output = tmp_path / "out.jsonl"
    assert apply(str(corrections_file(tmp_path)), str(table), "-o", str(output)).exit_code == 0
    written = output.read_bytes()
    assert written.count(b"\r\n") == 3 and b"\n" not in written.replace(b"\r\n", b"")
    assert '"Vorfall": "Terrorismus"' in written.decode("utf-8")


def test_parquet_copy_keeps_the_schema_and_other_cells(tmp_path):
    table = tmp_path / "export.parquet"
    frame = pa.Table.from_pylist(ROWS, schema=pa.schema([("id", pa.string()), ("Titel", pa.string()),
                                                         ("Vorfall", pa.string()), ("Ort", pa.string()),
                                                         ("Klicks", pa.int64())]))
    pq.write_table(frame, table)
    output = tmp_path / "out.parquet"
    assert apply(str(corrections_file(tmp_path)), str(table), "-o", str(output)).exit_code == 0
    corrected = pq.read_table(output)
    assert corrected.schema == frame.schema
    expected = [dict(row) for row in ROWS]
    expected[1]["Vorfall"], expected[2]["Ort"] = "Terrorismus", "Steyr"
    assert corrected.to_pylist() == expected


def test_rows_without_an_id_are_found_by_file_and_line(tmp_path):
    table = tmp_path / "noid.csv"
    table.write_text("Titel,Vorfall\nErster,Politik\nZweiter,Sportt\n", encoding="utf-8")
    corrections = corrections_file(tmp_path, [{"row_id": f"some/where/{table.name}:3", "column": "category",
                                               "old_value": "Sportt", "new_value": "Sport"}])
    output = tmp_path / "noid.fixed.csv"
    assert apply(str(corrections), str(table), "-o", str(output)).exit_code == 0
    assert output.read_text(encoding="utf-8") == "Titel,Vorfall\nErster,Politik\nZweiter,Sport\n"


def test_corrections_that_no_longer_fit_are_listed_and_exit_1(tmp_path):
    table = tmp_path / "export.csv"
    write_csv(table)
    corrections = corrections_file(tmp_path, CORRECTIONS + [
        {"row_id": "r9", "column": "category", "old_value": "Sport", "new_value": "Politik"},
        {"row_id": "r1", "column": "category", "old_value": "Sport", "new_value": "Kultur"},
        {"row_id": "r1", "column": "location", "old_value": "Lnz", "new_value": "Linz"},
    ])
    output = tmp_path / "out.csv"
    result = apply(str(corrections), str(table), "-o", str(output))
    assert result.exit_code == 1
    assert f"{corrections}:4: not applied: no row 'r9'" in result.output
    assert f"{corrections}:5: not applied: Vorfall holds 'Politik', not the old value 'Sport'" in result.output
    assert "2 cells changed, 1 already corrected, 2 not applied" in result.output
    assert read_csv(output)[2][2] == "Terrorismus"


BAD = {
    "no corrections file": (lambda d: [str(d / "missing.csv"), str(d / "export.csv"), "-o", str(d / "o.csv")],
                            r"missing\.csv: no such file; pass the corrections\.csv"),
    "not a corrections file": (lambda d: [str(d / "export.csv"), str(d / "export.csv"), "-o", str(d / "o.csv")],
                               r"export\.csv:1: no column 'row_id'"),
    "a page": (lambda d: [str(d / "corrections.csv"), str(d / "page.txt"), "-o", str(d / "o.txt")],
               r"page\.txt: apply corrects tables"),
    "another format": (lambda d: [str(d / "corrections.csv"), str(d / "export.csv"), "-o", str(d / "o.parquet")],
                       r"o\.parquet: write the corrected copy in the input's format \(\.csv\)"),
    "over the input": (lambda d: [str(d / "corrections.csv"), str(d / "export.csv"), "-o", str(d / "export.csv")],
                       r"export\.csv: this is the input"),
    "an empty new value": (lambda d: [str(d / "empty.csv"), str(d / "export.csv"), "-o", str(d / "o.csv")],
                           r"empty\.csv:2: new_value is empty"),
}


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-apply")
    write_csv(folder / "export.csv")
    corrections_file(folder)
    (folder / "empty.csv").write_text("row_id,column,old_value,new_value\nr1,category,Politik,\n", encoding="utf-8")
    (folder / "page.txt").write_text("Ein Titel\n\nEin Text.\n", encoding="utf-8")

    def run(name: str):
        args = BAD[name][0](folder)
        return name, subprocess.run([sys.executable, "-m", "auditor.cli", "apply", *args], capture_output=True,
                                    text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, BAD)), folder


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_one_line_naming_the_file(bad_runs, name):
    runs, folder = bad_runs
    completed = runs[name]
    assert completed.returncode == 2, completed.stdout
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert re.search(BAD[name][1], completed.stderr), completed.stderr
    assert (folder / "export.csv").read_text(encoding="utf-8").count("Terorismus") == 1  # the input is never touched
