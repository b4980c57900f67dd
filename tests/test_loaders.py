"""Tests for auditor.loaders and the row ids of auditor.mapping, on real files written to tmp_path.

All fixture text is invented for these tests.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pytest
from pyarrow import parquet

from auditor.errors import InputError
from auditor.loaders import POSITION, SOURCE, cell_text, expand_inputs, load_inputs, read_table
from auditor.mapping import build_batch
from auditor.rules import CANONICAL_FIELDS

# Every umlaut, ß, and the typographic characters German newsrooms type.
GERMAN = "Äußerst schwül: Öl läuft über die Straße – „Grüße“ aus Übersee…"
GERMAN_ROWS = [
    ("r-1", "Hagelsturm über Kärnten", "Dächer, Gärten und Autos wurden beschädigt."),
    ("r-2", "Fußgängerin in Gießen verletzt", "Die 84-Jährige überquerte die Straße bei Grün."),
    ("r-3", GERMAN, "Öffis fahren wieder; die Sperre ist aufgehoben."),
]


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def delimited(rows, header=("id", "Titel", "Text"), delimiter=",") -> str:
    """A table as text, every field quoted (so delimiters inside values are safe)."""
    def line(fields):
        return delimiter.join('"' + str(field).replace('"', '""') + '"' for field in fields)
    return "\n".join(line(fields) for fields in [header, *rows]) + "\n"


def records(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return list(frame[list(columns)].itertuples(index=False, name=None))


# --- delimiters and encodings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("komma.csv", ","), ("semikolon.csv", ";"), ("tabs.tsv", "\t"), ("tabs_als.csv", "\t"), ("pipes.csv", "|")],
)
def test_delimiter_is_sniffed_and_values_survive(tmp_path, name, delimiter):
    path = write(tmp_path, name, delimited(GERMAN_ROWS, delimiter=delimiter))
    frame, unreadable = read_table(path)
    assert unreadable == []
    assert records(frame, "id", "Titel", "Text") == GERMAN_ROWS
    assert list(frame[POSITION]) == [2, 3, 4]


def test_unquoted_semicolon_table_with_commas_in_values(tmp_path):
    # The usual German Excel export: ';' separated, commas inside the prose, nothing quoted.
    text = (
        "id;Titel;Ort\n"
        "s-1;Unfall auf der A2, zwei Verletzte;Graz, Österreich\n"
        "s-2;Brand in Linz, Feuerwehr im Großeinsatz;Linz, Österreich\n"
    )
    frame, _ = read_table(write(tmp_path, "export.csv", text))
    assert records(frame, "id", "Titel", "Ort") == [
        ("s-1", "Unfall auf der A2, zwei Verletzte", "Graz, Österreich"),
        ("s-2", "Brand in Linz, Feuerwehr im Großeinsatz", "Linz, Österreich"),
    ]


def test_single_column_csv(tmp_path):
    frame, _ = read_table(write(tmp_path, "titel.csv", "Titel\nBärenjagd verboten\nÖlpreis sinkt\n"))
    assert list(frame["Titel"]) == ["Bärenjagd verboten", "Ölpreis sinkt"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_encodings_keep_umlauts_exactly(tmp_path, encoding, delimiter):
    path = write(tmp_path, "kodiert.csv", delimited(GERMAN_ROWS, delimiter=delimiter), encoding)
    frame, _ = read_table(path)
    # A BOM must not end up in the first column name (it would no longer map to "id").
    assert list(frame.columns[:3]) == ["id", "Titel", "Text"]
    assert records(frame, "id", "Titel", "Text") == GERMAN_ROWS


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_encodings_of_json_lines(tmp_path, encoding):
    text = "".join(json.dumps({"id": i, "Titel": t}, ensure_ascii=False) + "\n" for i, t, _ in GERMAN_ROWS)
    frame, _ = read_table(write(tmp_path, "kodiert.jsonl", text, encoding))
    assert records(frame, "id", "Titel") == [(i, t) for i, t, _ in GERMAN_ROWS]


@pytest.mark.parametrize(
    "value",
    [
        "So ein Spaß… ärgerlich",  # ß followed by an ellipsis (bytes DF 85)
        "Hauptstraße\xa012, Übelbach",  # ß followed by a no-break space (bytes DF A0)
        "Fuß–Weg gesperrt, Bäume umgestürzt",  # ß followed by an en dash (bytes DF 96)
    ],
)
def test_windows_1252_is_not_mistaken_for_broken_utf8(tmp_path, value):
    # In Windows-1252 some umlaut + punctuation pairs look like UTF-8 sequences; the file is still Windows-1252.
    path = write(tmp_path, "ansi.csv", f"id;Ort\nw-1;{value}\nw-2;Köln\n", "cp1252")
    frame, _ = read_table(path)
    assert list(frame["Ort"]) == [value, "Köln"]


def test_broken_byte_in_utf8_file_names_the_line(tmp_path):
    data = "id;Titel\nb-1;Grüße aus Öhringen\n".encode() + b"b-2;Kaputt \xc3(\n"
    with pytest.raises(InputError, match=r"kaputt\.csv: line 3: .*not valid UTF-8"):
        read_table(write(tmp_path, "kaputt.csv", data))


def test_bytes_undefined_in_windows_1252_name_the_line(tmp_path):
    with pytest.raises(InputError, match=r"undefiniert\.csv: line 2: byte 0x81"):
        read_table(write(tmp_path, "undefiniert.csv", b"id;Titel\nu-1;Gr\x81n\n"))


def test_utf16_table_is_refused_not_read_as_garbage(tmp_path):
    # Excel's "Unicode text" export is UTF-16; read as Windows-1252 it would become columns of NUL-riddled garbage.
    path = write(tmp_path, "excel.tsv", "id\tTitel\nx-1\tBärlauch\n", "utf-16")
    with pytest.raises(InputError, match=r"excel\.tsv: line 1: .*NUL"):
        read_table(path)


# --- quoting and positions ------------------------------------------------------------------


def test_quoted_newlines_and_delimiters_and_record_line_numbers(tmp_path):
    text = (
        'id,Titel,Text\n'                                  # line 1
        'm-1,"Sturm über Kärnten","Bäume stürzten um;\n'   # line 2
        'Straßen gesperrt, Züge stehen"\n'                 # line 3
        '\n'                                               # line 4 (blank)
        'm-2,Hagel in Graz,"Dächer, Autos und Gärten"\n'   # line 5
        ',Ohne Kennung,"Ein ""Zitat"" im Text"\n'          # line 6
    )
    path = write(tmp_path, "mehrzeilig.csv", text)
    frame, _ = read_table(path)
    assert records(frame, "id", "Titel", "Text") == [
        ("m-1", "Sturm über Kärnten", "Bäume stürzten um;\nStraßen gesperrt, Züge stehen"),
        ("m-2", "Hagel in Graz", "Dächer, Autos und Gärten"),
        (None, "Ohne Kennung", 'Ein "Zitat" im Text'),
    ]
    assert list(frame[POSITION]) == [2, 5, 6]


def test_crlf_line_endings(tmp_path):
    text = 'id;Titel\r\nc-1;"Zwei\r\nZeilen"\r\nc-2;Übermut\r\n'
    frame, _ = read_table(write(tmp_path, "windows.csv", text))
    assert list(frame["id"]) == ["c-1", "c-2"]
    assert frame["Titel"].iat[1] == "Übermut"
    assert frame["Titel"].iat[0].splitlines() == ["Zwei", "Zeilen"]
    assert list(frame[POSITION]) == [2, 4]


def test_header_only_csv_has_columns_and_no_rows(tmp_path):
    frame, unreadable = read_table(write(tmp_path, "kopf.csv", "id;Titel;Vorfall\n"))
    assert len(frame) == 0 and unreadable == []
    assert {"id", "Titel", "Vorfall"} <= set(frame.columns)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("zu_lang.csv", "id,Titel,Text\na,b,c\nd,e,f,g\nh,i,j\n", 3),
        ("zu_kurz.csv", "id,Titel,Text\na,b,c\nd,e,f\ng,h\n", 4),
        # A longer first data line must not silently turn the first column into the index.
        ("erste_zu_lang.csv", "id,Titel,Text\na,b,c,d\ne,f,g,h\n", 2),
        # An unquoted line break splits a record; the tail must not become a row of its own.
        ("umbruch.csv", "id;Titel;Text\nu-1;Murenabgang;Die Straße\nist gesperrt\nu-2;x;y\n", 3),
    ],
)
def test_ragged_line_is_refused_with_its_line_number(tmp_path, name, text, line):
    with pytest.raises(InputError, match=rf"{name}: line {line}: .*fields") as caught:
        read_table(write(tmp_path, name, text))
    assert "\n" not in str(caught.value)


def test_unclosed_quote_names_the_line_where_it_opens(tmp_path):
    text = 'id,Titel,Text\na,b,c\nd,e,"Der Text endet nie\nf,g,h\n'
    with pytest.raises(InputError, match=r"offen\.csv: line 3: .*quot"):
        read_table(write(tmp_path, "offen.csv", text))


def test_duplicate_column_names_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"doppelt\.csv: line 1: .*'Titel'.*twice"):
        read_table(write(tmp_path, "doppelt.csv", "id,Titel,Titel\na,Bär,Öl\n"))


@pytest.mark.parametrize("content", [b"", b"  \n\n", "\ufeff".encode()])
def test_empty_table_file_is_an_input_error(tmp_path, content):
    with pytest.raises(InputError, match=r"leer\.csv: .*(empty|header)"):
        read_table(write(tmp_path, "leer.csv", content))


# --- JSON Lines, JSON, Parquet --------------------------------------------------------------


def test_json_lines_positions_are_physical_lines(tmp_path):
    lines = [
        json.dumps({"id": "j-1", "Titel": "Lawine im Ötztal"}, ensure_ascii=False),
        "",
        "   ",
        json.dumps({"id": "j-2", "Titel": "Glätte auf der Brennerstraße"}, ensure_ascii=False),
        '{"id": "j-3", "Titel": "Abgeschni',
        "[1, 2]",
        json.dumps({"Titel": "Ohne Kennung"}, ensure_ascii=False),
    ]
    path = write(tmp_path, "zeilen.jsonl", "\r\n".join(lines) + "\r\n")
    frame, unreadable = read_table(path)
    assert records(frame, "id", "Titel", POSITION) == [
        ("j-1", "Lawine im Ötztal", 1), ("j-2", "Glätte auf der Brennerstraße", 4), (None, "Ohne Kennung", 7),
    ]
    assert [(row.source, row.position) for row in unreadable] == [(str(path), 5), (str(path), 6)]
    assert "line 5" in unreadable[0].reason and "truncated" in unreadable[0].reason
    assert "not an object" in unreadable[1].reason


def test_json_lines_keep_unicode_line_separators_inside_strings(tmp_path):
    # json.dumps(ensure_ascii=False) writes U+2028, U+2029 and U+0085 raw; they are not line ends in JSON Lines.
    text = "Erster Absatz\u2028zweiter Absatz\u2029dritter\x85vierter"
    content = json.dumps({"id": "u-1", "Text": text}, ensure_ascii=False) + "\n" + '{"id": "u-2", "Text": "Öl"}\n'
    frame, unreadable = read_table(write(tmp_path, "trenner.jsonl", content))
    assert unreadable == []
    assert records(frame, "id", "Text", POSITION) == [("u-1", text, 1), ("u-2", "Öl", 2)]


def test_json_array_and_object_holding_one_array(tmp_path):
    articles = [{"id": "a-1", "Titel": "Überschwemmung in Passau"}, "kein Objekt", {"id": "a-3", "Titel": "Föhnsturm"}]
    for name, document in [("liste.json", articles), ("objekt.json", {"quelle": "Export", "artikel": articles})]:
        path = write(tmp_path, name, json.dumps(document, ensure_ascii=False, indent=2))
        frame, unreadable = read_table(path)
        assert records(frame, "id", "Titel", POSITION) == [("a-1", "Überschwemmung in Passau", 1), ("a-3", "Föhnsturm", 3)]
        assert [(row.position, "not an object" in row.reason) for row in unreadable] == [(2, True)]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"a": [], "b": []}, "expected a JSON array"),
        ({"id": "x", "Titel": "Nur ein Objekt"}, "expected a JSON array"),
        ("nur Text", "expected a JSON array .*found a JSON str"),
    ],
)
def test_json_document_that_is_not_an_array_is_an_input_error(tmp_path, document, message):
    with pytest.raises(InputError, match=rf"falsch\.json: {message}"):
        read_table(write(tmp_path, "falsch.json", json.dumps(document)))


def test_truncated_json_document_names_the_line(tmp_path):
    text = '[\n  {"id": "t-1", "Titel": "Bär"},\n  {"id": "t-2", "Titel": "Abgebro'
    with pytest.raises(InputError, match=r"halb\.json: line 3: not valid JSON"):
        read_table(write(tmp_path, "halb.json", text))


JSON_VALUES = {
    "ganz": 42,
    "komma": 2.5,
    "ganz_als_komma": 7.0,
    "wahr": True,
    "falsch": False,
    "liste": ["orf.at", None, "", 3],
    "leere_liste": [],
    "objekt": {"Ort": "Köln", "Zahl": 1},
    "nichts": None,
    "leer": "",
    "blank": " \t\n ",
    "text": " Grüß Gott ",
    "riesig": 1234567890123456789,
}
JSON_TEXTS = {
    "ganz": "42",
    "komma": "2.5",
    "ganz_als_komma": "7",
    "wahr": "true",
    "falsch": "false",
    "liste": "orf.at, 3",
    "leere_liste": None,
    "objekt": '{"Ort": "Köln", "Zahl": 1}',
    "nichts": None,
    "leer": None,
    "blank": None,
    "text": " Grüß Gott ",
    "riesig": "1234567890123456789",
}


@pytest.mark.parametrize("name", ["werte.jsonl", "werte.json"])
def test_json_values_become_text_or_none(tmp_path, name):
    # A second row lacking every key: numbers with gaps must not turn into floats (ids above 2**53 would change).
    rows = [{"id": "v-1", **JSON_VALUES}, {"id": "v-2"}]
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) if name.endswith("l") else json.dumps(rows)
    frame, _ = read_table(write(tmp_path, name, content))
    first, second = frame.to_dict("records")
    assert {key: first[key] for key in JSON_TEXTS} == JSON_TEXTS
    assert all(second[key] is None for key in JSON_VALUES)


def test_json_nan_and_infinity(tmp_path):
    content = '{"id": "n-1", "Titel": NaN, "Zahl": Infinity}\n'
    frame, _ = read_table(write(tmp_path, "nan.jsonl", content))
    assert frame["Titel"].iat[0] is None
    assert frame["Zahl"].iat[0] == "inf"


def test_parquet_values_become_text_or_none(tmp_path):
    source = pd.DataFrame({
        "id": ["p-1", "p-2", "p-3"],
        "Titel": pd.array(["Bärenspuren im Ötztal", None, "   "], dtype="string"),
        "Zahl": pd.array([1234567890123456789, None, 3], dtype="Int64"),
        "Anteil": [0.5, float("nan"), 2.0],
        "Geprüft": [True, False, True],
        "Quellen": [["orf.at", "krone.at"], [], None],
        "Datum": pd.to_datetime(["2024-05-01 12:30", None, "2024-05-02 08:00"]),
        "Ort": [{"Stadt": "Graz", "Land": "Österreich"}, None, {"Stadt": "Wien", "Land": "Österreich"}],
    })
    path = tmp_path / "tabelle.parquet"
    source.to_parquet(path)
    frame, unreadable = read_table(path)
    assert unreadable == []
    assert list(frame[POSITION]) == [1, 2, 3]
    assert frame.drop(columns=[POSITION]).to_dict("records") == [
        {"id": "p-1", "Titel": "Bärenspuren im Ötztal", "Zahl": "1234567890123456789", "Anteil": "0.5",
         "Geprüft": "true", "Quellen": "orf.at, krone.at", "Datum": "2024-05-01T12:30:00",
         "Ort": '{"Stadt": "Graz", "Land": "Österreich"}'},
        {"id": "p-2", "Titel": None, "Zahl": None, "Anteil": None, "Geprüft": "false", "Quellen": None,
         "Datum": None, "Ort": None},
        {"id": "p-3", "Titel": None, "Zahl": "3", "Anteil": "2", "Geprüft": "true", "Quellen": None,
         "Datum": "2024-05-02T08:00:00", "Ort": '{"Stadt": "Wien", "Land": "Österreich"}'},
    ]


def test_parquet_without_pandas_metadata_keeps_large_integers(tmp_path):
    # Spark, DuckDB or polars write no pandas metadata; an integer column with nulls must stay exact.
    table = pyarrow.table({
        "id": pyarrow.array([1234567890123456789, None, 1234567890123456788], pyarrow.int64()),
        "Titel": pyarrow.array(["Bär", None, "Öl"]),
        "Wert": pyarrow.array([1.5, None, 2.0]),
    })
    path = tmp_path / "fremd.parquet"
    parquet.write_table(table, path)
    frame, _ = read_table(path)
    assert records(frame, "id", "Titel", "Wert") == [
        ("1234567890123456789", "Bär", "1.5"), (None, None, None), ("1234567890123456788", "Öl", "2"),
    ]


def test_damaged_parquet_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"kaputt\.parquet: not a readable Parquet file"):
        read_table(write(tmp_path, "kaputt.parquet", b"PAR1 das ist kein Parquet"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        ("", None),
        (" \t\n", None),
        ("Öl", "Öl"),
        (3, "3"),
        (3.0, "3"),
        (-0.25, "-0.25"),
        (True, "true"),
        (False, "false"),
        (["Bär", None, " ", 2], "Bär, 2"),
        ((), None),
        (np.array(["orf.at", "krone.at"]), "orf.at, krone.at"),
        ({"Straße": "Hauptstraße"}, '{"Straße": "Hauptstraße"}'),
        (pd.Timestamp("2024-05-01 12:30"), "2024-05-01T12:30:00"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_whitespace_only_cells_become_none(tmp_path):
    text = 'id;Titel;Text;Ort\nw-1;   ;"\n  \n";Öd\n'
    frame, _ = read_table(write(tmp_path, "leerzeichen.csv", text))
    assert frame.drop(columns=[POSITION]).to_dict("records") == [{"id": "w-1", "Titel": None, "Text": None, "Ort": "Öd"}]


# --- folders and several files ----------------------------------------------------------------

PAGE_TEXT = """Murenabgang im Gasteinertal

Eine Mure hat am Sonntag die Landesstraße verschüttet. Verletzt wurde niemand.

Details
Vorfall\tUnwetter
Ort\tBad Gastein, Österreich
"""


def test_folder_expansion_reads_tables_and_pages_and_lists_skipped_files(tmp_path):
    folder = tmp_path / "eingang"
    write(folder, "a.csv", delimited(GERMAN_ROWS[:2]))
    write(folder, "unter/b.jsonl", json.dumps({"id": "b-1", "Titel": "Föhn"}, ensure_ascii=False) + "\n")
    write(folder, "unter/tiefer/mure.txt", PAGE_TEXT)
    write(folder, "unter/notizen.md", "# Notizen\n")
    write(folder, "bild.png", b"\x89PNG\r\n")
    write(folder, ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(folder, "._a.csv", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")  # macOS metadata twin of a.csv
    write(folder, ".ipynb_checkpoints/a-checkpoint.csv", delimited(GERMAN_ROWS[:2]))
    files, skipped = expand_inputs([folder])
    assert files == [folder / "a.csv", folder / "unter/b.jsonl", folder / "unter/tiefer/mure.txt"]
    assert {entry["file"]: entry["reason"] for entry in skipped} == {
        str(folder / "._a.csv"): "hidden file",
        str(folder / ".ipynb_checkpoints/a-checkpoint.csv"): "hidden file",
        str(folder / "bild.png"): "not a supported file type",
        str(folder / "unter/notizen.md"): "not a supported file type",
    }
    assert all(entry["status"] == "skipped" for entry in skipped)

    loaded = load_inputs([folder])
    frame = loaded.frame
    assert list(zip(frame[SOURCE], frame[POSITION])) == [
        (str(folder / "a.csv"), 2), (str(folder / "a.csv"), 3),
        (str(folder / "unter/b.jsonl"), 1), (str(folder / "unter/tiefer/mure.txt"), 1),
    ]
    assert frame["Vorfall"].iat[3] == "Unwetter" and frame["Ort"].iat[3] == "Bad Gastein, Österreich"
    assert frame["id"].iat[3] == "mure"
    by_file = {entry["file"]: entry for entry in loaded.files}
    assert by_file[str(folder / "a.csv")]["rows"] == 2
    assert by_file[str(folder / "unter/tiefer/mure.txt")]["kind"] == "page"
    assert by_file[str(folder / "bild.png")]["status"] == "skipped"


def test_several_files_in_one_run_keep_every_row(tmp_path):
    csv_file = write(tmp_path, "eins.csv", delimited(GERMAN_ROWS, delimiter=";"), "cp1252")
    jsonl_file = write(tmp_path, "zwei.jsonl", '{"Titel": "Lärm"}\n{"Titel": "Abgebro\n')
    loaded = load_inputs([csv_file, jsonl_file])
    assert len(loaded.frame) == 4 and len(loaded.unreadable) == 1
    assert {entry["file"]: entry["rows"] for entry in loaded.files} == {str(csv_file): 3, str(jsonl_file): 2}
    assert list(loaded.frame["Titel"]) == [t for _, t, _ in GERMAN_ROWS] + ["Lärm"]


def test_explicitly_named_unsupported_file_is_an_input_error(tmp_path):
    path = write(tmp_path, "tabelle.xlsx", b"PK\x03\x04")
    with pytest.raises(InputError, match=r"tabelle\.xlsx: unsupported file type '\.xlsx'"):
        load_inputs([path])


def test_missing_path_and_folder_without_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match=r"gibt_es_nicht\.csv: no such file or folder"):
        load_inputs([tmp_path / "gibt_es_nicht.csv"])
    write(tmp_path, "nur/notizen.md", "nichts")
    with pytest.raises(InputError, match="no input files found"):
        load_inputs([tmp_path / "nur"])


# --- column mapping and row ids -----------------------------------------------------------------


def batch_of(rules, *paths: Path):
    return build_batch(load_inputs(list(paths)), rules.column_mapping)


def test_mapping_is_case_insensitive_keeps_unmapped_and_adds_missing(tmp_path, default_rules):
    text = "vorfall;URSACHE;Ort;titel;Redakteurin\nBrand;Blitzschlag;Zell am See, Österreich;Stadl brannte ab;Jördis\n"
    batch = batch_of(default_rules, write(tmp_path, "klein.csv", text))
    data = batch.data
    assert list(data.columns[: len(CANONICAL_FIELDS)]) == list(CANONICAL_FIELDS)
    assert data.iloc[0][["category", "cause", "location", "title"]].tolist() == [
        "Brand", "Blitzschlag", "Zell am See, Österreich", "Stadl brannte ab",
    ]
    assert data["Redakteurin"].tolist() == ["Jördis"]
    for missing in ("id", "url", "body", "published_at", "sources", "publisher"):
        assert data[missing].tolist() == [None]
    for source in ("vorfall", "URSACHE", "Ort", "titel"):
        assert source not in data.columns


def test_canonical_column_wins_over_its_mapped_twin(tmp_path, default_rules):
    rows = [
        {"id": "t-1", "title": "Kanonischer Titel", "Titel": "Quellen-Titel"},
        {"id": "t-2", "title": None, "Titel": "Lücke gefüllt"},
        {"id": "t-3", "title": "  ", "Titel": "Auch gefüllt"},
    ]
    path = write(tmp_path, "zwilling.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    data = batch_of(default_rules, path).data
    assert data["title"].tolist() == ["Kanonischer Titel", "Lücke gefüllt", "Auch gefüllt"]
    assert "Titel" not in data.columns


def test_row_ids_from_id_or_file_and_line(tmp_path, default_rules):
    csv_file = write(tmp_path, "mit_luecken.csv", (
        'id,Titel\n'
        'k-1,"Zwei\nZeilen"\n'
        ',Ohne Kennung\n'
        '   ,Kennung nur Leerzeichen\n'
    ))
    jsonl_file = write(tmp_path, "ohne.jsonl", '\n{"Titel": "Erste"}\n\n{"Titel": "Zweite"}\n')
    batch = batch_of(default_rules, csv_file, jsonl_file)
    assert batch.rows["row_id"].tolist() == [
        "k-1", f"{csv_file}:4", f"{csv_file}:5", f"{jsonl_file}:2", f"{jsonl_file}:4",
    ]
    assert batch.rows["position"].tolist() == [2, 4, 5, 2, 4]
    assert batch.rows["source"].tolist() == [str(csv_file)] * 3 + [str(jsonl_file)] * 2


def test_row_id_of_json_array_is_element_number(tmp_path, default_rules):
    path = write(tmp_path, "feld.json", json.dumps([{"id": 5, "Titel": "Fünf"}, {"Titel": "Ohne"}]))
    batch = batch_of(default_rules, path)
    assert batch.rows["row_id"].tolist() == ["5", f"{path}:2"]


def test_header_only_csv_gives_an_empty_batch(tmp_path, default_rules):
    batch = batch_of(default_rules, write(tmp_path, "kopf.csv", "id;Titel\n"))
    assert len(batch.data) == 0 and len(batch.rows) == 0
    assert set(CANONICAL_FIELDS) <= set(batch.data.columns)


def test_values_are_never_nan(tmp_path, default_rules):
    # Files with different columns are concatenated; the gaps must be None, not NaN.
    a = write(tmp_path, "a.csv", "id;Titel\na-1;Öl\n")
    b = write(tmp_path, "b.jsonl", '{"id": "b-1", "Vorfall": "Brand"}\n')
    data = batch_of(default_rules, a, b).data
    for value in data.to_numpy().ravel():
        assert value is None or isinstance(value, str)
        assert not (isinstance(value, float) and math.isnan(value))


def test_canonical_names_match_in_any_case(tmp_path):
    table = write(tmp_path, "t.csv", "ID,Title,URL\nx1,Ein Titel,https://example.org/a\n")
    batch = build_batch(load_inputs([table]), {})
    assert batch.data.loc[0, ["id", "title", "url"]].tolist() == ["x1", "Ein Titel", "https://example.org/a"]
    assert batch.rows.loc[0, "row_id"] == "x1"
    assert "ID" not in batch.data.columns


def test_a_file_named_twice_is_read_once(tmp_path):
    table = write(tmp_path, "t.jsonl", json.dumps({"id": "a"}) + "\n")
    loaded = load_inputs([table, tmp_path, tmp_path / "." / "t.jsonl"])
    assert len(loaded.frame) == 1


def test_export_columns_named_like_bookkeeping_are_kept(tmp_path):
    table = write(tmp_path, "t.jsonl", json.dumps({"id": "a", "_source": "agentur", "_position": "3"}) + "\n")
    batch = build_batch(load_inputs([table]), {})
    assert batch.data.loc[0, "_source"] == "agentur" and batch.data.loc[0, "_position"] == "3"
    assert batch.rows.loc[0, "source"] == str(table) and batch.rows.loc[0, "position"] == 1
