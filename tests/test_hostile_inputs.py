"""Hostile input files end to end, through the ``auditor`` command's own ``main`` (issue 16).

One test per class of file that broke a run: lone surrogate escapes (with and without the
run history), values nested 100,000 deep, integers of 5,000 digits, nested Parquet types,
a CSV header of 200,000 columns, a CSV with a BOM and one Windows-1252 byte, gzip inputs.
The contract: exit 2 with one line naming the file and line and what to do, or results
listing every row; never a traceback. The runs go through the CLI in this process (so GX is
imported once), from one module fixture; all fixture text is written for these tests.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.fuzzing import run_cli


@dataclass
class Run:
    code: int
    stderr: str
    seconds: float
    out: Path

    @property
    def results(self) -> dict:
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))

    def one_error_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        assert self.code == 2, self.stderr
        assert len(lines) == 1 and lines[0].startswith("auditor: error: "), self.stderr
        assert "Traceback" not in self.stderr and "internal error" not in self.stderr
        return lines[0]


def row(number: int, **fields) -> dict:
    base = {"id": f"h{number}", "Titel": f"Stadtrat berät über Radwege ({number})",
            "Text": "Der Stadtrat sprach am Abend lange über neue Radwege in der Innenstadt.", "Vorfall": "Politik"}
    return {**base, **fields}


def write_inputs(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """name -> (input file, extra CLI arguments)."""
    files: dict[str, tuple[Path, list[str]]] = {}

    def add(name: str, data: bytes | str, *extra: str) -> None:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        files[name] = (path, list(extra))

    # "\ud800" written as the JSON escape a broken exporter leaves, in a value and in a key.
    surrogates = (json.dumps(row(1)) + "\n"
                  + '{"id": "h2", "Titel": "Halbes Zeichen \\ud800 im Titel", "Text": "Text \\udfff", "Vorfall": "Politik"}\n'
                  + '{"id": "h3", "Titel": "Schl\\u00fcssel", "Notiz \\udc00": "x", "Vorfall": "Politik"}\n')
    add("surrogates.jsonl", surrogates)
    add("surrogates-nohistory.jsonl", surrogates, "--no-history")
    add("surrogates.json", "[" + ",".join(line for line in surrogates.splitlines()) + "]", "--no-history")
    add("deep.jsonl", json.dumps(row(1)) + "\n" + '{"id": "h2", "Ort": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    add("deep-70.json", '[{"id": "h1", "Ort": ' + "{\"a\": " * 70 + "1" + "}" * 70 + "}]")
    add("digits.jsonl", json.dumps(row(1)) + "\n" + '{"id": "h2", "Zahl": ' + "7" * 5000 + "}\n")
    add("wide.csv", ",".join(f"spalte{i}" for i in range(200_000)) + "\n" + ",".join("x" * 1 for _ in range(200_000)) + "\n")
    add("wide-json.jsonl", json.dumps({f"feld{i}": i for i in range(3000)}) + "\n")
    add("bom-cp1252.csv", b"\xef\xbb\xbfid,Titel,Vorfall\nh1,Radweg,Politik\nh2,Gro\xdfe Stra\xdfe,Politik\n")
    add("rows.jsonl.gz", gzip.compress((json.dumps(row(1)) + "\n" + json.dumps(row(2)) + "\n").encode("utf-8")))
    add("rows.csv.gz", gzip.compress("id;Titel;Vorfall\nh1;Radweg;Politik\nh2;Brücke;Politik\n".encode("utf-8")))
    add("rows.json.gz", gzip.compress(json.dumps([row(1), row(2), row(3)]).encode("utf-8")))
    add("gzip-inside.jsonl", gzip.compress((json.dumps(row(1)) + "\n").encode("utf-8")))
    add("truncated.jsonl.gz", gzip.compress((json.dumps(row(1)) + "\n").encode("utf-8"))[:-6])
    add("zipped.csv", b"PK\x03\x04" + b"\x00" * 40)

    nested = pa.table({
        "id": ["p1", "p2"],
        "Titel": ["Radweg", "Brücke"],
        "Vorfall": ["Politik", "Politik"],
        "struct_list": pa.array([{"tags": ["a", "b"], "n": 1}, {"tags": [], "n": None}]),
        "list_struct": pa.array([[{"k": "x", "v": 1.5}], None]),
        "map": pa.array([[("a", 1)], [("b", 2), ("c", 3)]], pa.map_(pa.string(), pa.int64())),
        "bytes": pa.array([b"\xff\x00raw", b"ok"], pa.binary()),
        "stamps": pa.array([[1_700_000_000_000], [0]], pa.list_(pa.timestamp("ms", tz="UTC"))),
    })
    pq.write_table(nested, folder / "nested.parquet")
    files["nested.parquet"] = (folder / "nested.parquet", [])
    return files


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("hostile")
    files = write_inputs(folder)

    runs = {}
    for name, (path, extra) in files.items():
        out = folder / f"out-{name}"
        started = time.perf_counter()
        code, stderr = run_cli(["audit", str(path), "--out", str(out), "-q", "--no-data-docs", "--fail-on", "never",
                                *extra], timeout=300)
        runs[name] = Run(code, stderr, time.perf_counter() - started, out)
    return runs


@pytest.mark.parametrize("name", ["surrogates.jsonl", "surrogates-nohistory.jsonl", "surrogates.json"])
def test_lone_surrogates_are_replaced_and_reported_per_row(runs, name):
    run = runs[name]
    assert run.code == 0, run.stderr
    results = run.results
    assert [r["row_id"] for r in results["rows"]] == ["h1", "h2", "h3"]
    (entry,) = results["inputs"]
    repaired = {(cell["position"], cell["column"]) for cell in entry["repaired_cells"]}
    assert {(2, "Titel"), (2, "Text"), (3, "Notiz \ufffd")} <= repaired
    assert all("U+FFFD" in cell["note"] for cell in entry["repaired_cells"])
    text = json.dumps(results, ensure_ascii=False)
    assert "\ufffd" in text and "\\ud800" not in text
    if name == "surrogates.jsonl":
        history = run.out.parent / "history.sqlite"
        assert history.is_file()  # the run was recorded: the store could hold every value


def test_values_nested_too_deep_are_refused_in_one_line(runs):
    assert "deep.jsonl: line 2: values nested more than 64 levels deep" in runs["deep.jsonl"].one_error_line()
    line = runs["deep-70.json"].one_error_line()
    assert "deep-70.json: element 1 of the array: values nested more than 64 levels deep; flatten" in line


def test_an_integer_of_5000_digits_is_refused_with_its_line(runs):
    line = runs["digits.jsonl"].one_error_line()
    assert "digits.jsonl: line 2: a number with more than 4300 digits; export such numbers as strings" in line


def test_a_header_of_200000_columns_is_refused_fast(runs):
    run = runs["wide.csv"]
    assert "wide.csv: line 1: 200000 columns, more than the 2000 the auditor reads" in run.one_error_line()
    assert run.seconds < 10  # loading the rules included; the old path took minutes
    assert "more than the 2000" in runs["wide-json.jsonl"].one_error_line()


def test_nested_parquet_types_are_read_as_text(runs):
    run = runs["nested.parquet"]
    assert run.code == 0, run.stderr
    results = run.results
    assert [r["row_id"] for r in results["rows"]] == ["p1", "p2"]
    assert results["inputs"][0]["rows"] == 2


def test_a_bom_file_with_a_windows_1252_byte_names_the_right_line_and_byte(runs):
    line = runs["bom-cp1252.csv"].one_error_line()
    assert "bom-cp1252.csv: line 3: byte 0xdf is not valid UTF-8 (byte 7 of the line)" in line
    assert "byte order mark" in line


@pytest.mark.parametrize("name, rows", [("rows.jsonl.gz", 2), ("rows.csv.gz", 2), ("rows.json.gz", 3),
                                        ("gzip-inside.jsonl", 1)])
def test_gzip_inputs_are_read(runs, name, rows):
    run = runs[name]
    assert run.code == 0, run.stderr
    assert len(run.results["rows"]) == rows
    assert run.results["inputs"][0]["compression"] == "gzip"


def test_damaged_or_other_compression_is_refused_saying_how(runs):
    assert "gzip-compressed but damaged or truncated" in runs["truncated.jsonl.gz"].one_error_line()
    assert "zipped.csv: the file is a zip archive, which the auditor does not read; unzip it" in \
        runs["zipped.csv"].one_error_line()


def test_a_one_column_csv_keeps_rows_of_empty_values(tmp_path):
    """Python's csv writer writes an empty single field as "" and a blank one as is: both are rows."""
    from auditor.loaders import load_inputs

    path = tmp_path / "titel.csv"
    path.write_text('Titel\nRadweg\n""\n   \nBrücke\n\n', encoding="utf-8")
    loaded = load_inputs([path])
    assert list(loaded.frame["__auditor_position__"]) == [2, 3, 4, 5]
    assert list(loaded.frame["Titel"]) == ["Radweg", None, None, "Brücke"]


def test_the_delimiter_is_the_one_that_splits_every_record_evenly(tmp_path):
    """Titles full of commas do not make a semicolon file look comma-separated (and so ragged)."""
    from auditor.loaders import load_inputs

    path = tmp_path / "semikolon.csv"
    path.write_text("id;Titel;Vorfall\n"
                    "s1;Wien, Graz, Linz: Regen, Wind, Sturm, Hagel;Sonstiges\n"
                    "s2;Budget, Steuern, Pensionen, Schulden;Politik\n", encoding="utf-8")
    loaded = load_inputs([path])
    assert list(loaded.frame["Vorfall"]) == ["Sonstiges", "Politik"]


@pytest.mark.parametrize("name, expected", [
    ("export.parquet.gz", "Parquet compresses itself; gunzip the file"),
    ("export.tar.gz", "a compressed file whose name does not say a table format; name it like export.jsonl.gz"),
])
def test_compressed_names_without_a_table_format_say_what_to_do(tmp_path, name, expected):
    from auditor.errors import InputError
    from auditor.loaders import load_inputs

    path = tmp_path / name
    path.write_bytes(gzip.compress(b"id\n1\n"))
    with pytest.raises(InputError, match=re.escape(f"{path}: {expected}")):
        load_inputs([path])
