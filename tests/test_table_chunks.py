"""Tables read in chunks of rows give exactly what a whole-file read gives: the same cells,
column order, line numbers, unreadable rows, repaired cells and errors, for each format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import InputError
from auditor.loaders import POSITION, _read_table, joined_chunks, load_inputs
from auditor.table_chunks import iter_table_chunks

ARTICLES = [
    {"id": index, "title": f"Meldung {index}: Brand in der Mühlenstraße",
     "body": ("Die Feuerwehr rückte aus.\nEin Nachbar hatte Rauch bemerkt; niemand wurde verletzt."
              if index % 4 else None),
     "Vorfall": "Brand" if index % 3 else "Unfall",
     **({"Hinweis": "nachgereicht"} if index == 6 else {})}
    for index in range(1, 15)
]


def _joined(chunks) -> pd.DataFrame:
    return _plain(joined_chunks(chunks).frame)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def _assert_same_as_whole(file: Path, rows: int, expect_chunks: int | None = None) -> list:
    whole = _read_table(file)
    chunks = list(iter_table_chunks(file, rows=rows))
    if expect_chunks is not None:
        assert len(chunks) == expect_chunks
    joined = _joined(chunks)
    assert list(joined.columns) == list(whole.frame.columns)
    pd.testing.assert_frame_equal(joined, _plain(whole.frame))
    assert [row for chunk in chunks for row in chunk.unreadable] == whole.unreadable
    assert [cell for chunk in chunks for cell in chunk.repaired] == whole.repaired
    assert {chunk.compression for chunk in chunks} == {whole.compression}
    return chunks


def _json_lines_file(path: Path) -> Path:
    lines = [json.dumps(article, ensure_ascii=False) for article in ARTICLES]
    lines.insert(3, '{"id": 99, "title": "abgeschnitten')
    lines.insert(6, "")
    lines.insert(9, "[1, 2]")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("rows", [1, 2, 5, 100])
def test_json_lines_in_chunks(tmp_path, rows):
    file = _json_lines_file(tmp_path / "feed.jsonl")
    chunks = _assert_same_as_whole(file, rows)
    assert len(chunks) == (1 if rows == 100 else -(-(len(ARTICLES) + 3) // rows))
    assert [row.position for chunk in chunks for row in chunk.unreadable] == [4, 10]
    # A key that first turns up in a later chunk is a column all the same.
    assert "Hinweis" in _joined(chunks).columns


def test_gzip_json_lines_in_chunks(tmp_path):
    plain = _json_lines_file(tmp_path / "feed.jsonl")
    file = tmp_path / "feed.jsonl.gz"
    file.write_bytes(gzip.compress(plain.read_bytes()))
    chunks = _assert_same_as_whole(file, rows=4)
    assert len(chunks) > 1 and chunks[0].compression == "gzip"


def test_json_lines_with_lone_surrogates_are_repaired_per_chunk(tmp_path):
    file = tmp_path / "feed.jsonl"
    lines = [json.dumps(article) for article in ARTICLES]
    lines[8] = '{"id": 9, "title": "kaputt \\ud800 hier"}'
    file.write_text("\n".join(lines), encoding="utf-8")
    chunks = _assert_same_as_whole(file, rows=3)
    assert [cell.position for chunk in chunks for cell in chunk.repaired] == [9]


def _csv_file(path: Path, separator: str = ",", line_end: str = "\n") -> Path:
    frame = pd.DataFrame(ARTICLES)
    path.write_text(frame.to_csv(index=False, sep=separator, lineterminator=line_end), encoding="utf-8")
    return path


@pytest.mark.parametrize("rows", [1, 3, 100])
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_csv_in_chunks(tmp_path, rows, line_end):
    # Bodies hold quoted line breaks, so records span lines and line numbers skip.
    file = _csv_file(tmp_path / "feed.csv", line_end=line_end)
    chunks = _assert_same_as_whole(file, rows)
    positions = [int(value) for chunk in chunks for value in chunk.frame[POSITION]]
    assert positions[:5] == [2, 4, 6, 8, 9]


def test_tsv_and_semicolon_csv_in_chunks(tmp_path):
    _assert_same_as_whole(_csv_file(tmp_path / "feed.tsv", separator="\t"), rows=4)
    _assert_same_as_whole(_csv_file(tmp_path / "semi.csv", separator=";"), rows=4)


def test_csv_longer_than_the_delimiter_sample(tmp_path):
    # The delimiter is guessed from the first 64 KiB; the sample's cut falls inside a record.
    long_rows = [{**ARTICLES[index % len(ARTICLES)], "id": index,
                  "body": f"Absatz {index}, mit Kommas, und mehr.\n" * 40} for index in range(120)]
    file = tmp_path / "long.csv"
    pd.DataFrame(long_rows).to_csv(file, index=False)
    assert file.stat().st_size > 2 * 65536
    chunks = _assert_same_as_whole(file, rows=25, expect_chunks=5)
    assert sum(len(chunk.frame) for chunk in chunks) == 120


def test_gzip_csv_in_chunks(tmp_path):
    plain = _csv_file(tmp_path / "feed.csv")
    file = tmp_path / "feed.csv.gz"
    file.write_bytes(gzip.compress(plain.read_bytes()))
    assert len(_assert_same_as_whole(file, rows=4)) == 4


def test_windows_1252_csv_is_read_whole(tmp_path):
    file = tmp_path / "legacy.csv"
    file.write_bytes("id,title\n1,Straße gesperrt\n2,Überflutung\n3,Glätte\n".encode("cp1252"))
    chunks = _assert_same_as_whole(file, rows=1, expect_chunks=1)
    assert chunks[0].frame["title"].tolist() == ["Straße gesperrt", "Überflutung", "Glätte"]


@pytest.mark.parametrize("content, message", [
    (b"id,title\n1,a,b\n", "line 2: 3 fields where the header has 2"),
    (b"id,title\n1,\"open\n", "line 2: a quoted field that starts in this record is never closed"),
    (b"id,title\n1,a\x00b\n", "NUL bytes"),
    (b"  \n\n", "the file is empty"),
])
def test_csv_errors_are_those_of_a_whole_read(tmp_path, content, message):
    file = tmp_path / "bad.csv"
    file.write_bytes(content)
    with pytest.raises(InputError) as whole:
        _read_table(file)
    with pytest.raises(InputError) as chunked:
        list(iter_table_chunks(file, rows=1))
    assert message in str(whole.value)
    assert str(chunked.value) == str(whole.value)


def test_parquet_in_chunks(tmp_path):
    frame = pd.DataFrame(ARTICLES)
    frame["Klicks"] = pd.array([None if index % 5 == 0 else 2**60 + index for index in range(len(frame))],
                               dtype="Int64")
    frame["Orte"] = [["Köln", "Bonn"] if index % 2 else [] for index in range(len(frame))]
    file = tmp_path / "feed.parquet"
    frame.to_parquet(file, row_group_size=4)
    chunks = _assert_same_as_whole(file, rows=3)
    assert len(chunks) > 1
    assert _joined(chunks)["Klicks"].iloc[1] == str(2**60 + 1)


def test_load_inputs_joins_the_chunks_of_every_file(tmp_path):
    _json_lines_file(tmp_path / "a.jsonl")
    _csv_file(tmp_path / "b.csv")
    loaded = load_inputs([tmp_path])
    assert len(loaded.frame) == 2 * len(ARTICLES)
    assert [entry["rows"] for entry in loaded.files] == [len(ARTICLES) + 2, len(ARTICLES)]
