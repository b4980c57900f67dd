"""Bad input end to end, through the installed ``auditor`` command.

Every run here is a real subprocess, so exit codes and stderr are what a CI job sees. Each
one pays for importing Great Expectations (~3 s), so all runs start together in one
module-scoped fixture and the tests only inspect their outcomes.

Contract: bad input either becomes findings for the affected rows (every input row is in
results.json ``rows``) or stops the run with exit code 2 and one line on stderr that names
the file (and line) and says what to do -- never a traceback, never half an output folder.
All fixture text is invented for these tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

AUDITOR = Path(sys.executable).with_name("auditor")
OUTPUTS = ("results.json", "junit.xml", "report.html")
STATUSES = {"passed", "failed", "not_checked"}
VALUE_LIMIT = 300  # auditor.findings.VALUE_LIMIT, the longest value a finding carries
BIG_BODY_BYTES = 5 * 1024 * 1024


def article(article_id: str, title: str, **fields) -> dict:
    """A row that passes every default rule, with German source keys."""
    row = {
        "id": article_id,
        "Link": f"https://nachrichten-beispiel.at/chronik/{article_id}",
        "Titel": title,
        "Text": "Wels, Österreich - In einer Lagerhalle ist am Montag ein Feuer ausgebrochen. "
                "Die Feuerwehr löschte den Brand rasch, verletzt wurde niemand. Als Ursache gilt "
                "ein Kurzschluss in einem Verteilerkasten, wie die Welser Rundschau berichtet.",
        "Vorfall": "Brand",
        "Ursache": "Kurzschluss",
        "Ort": "Wels, Österreich",
        "Quellen": "www.welser-rundschau.at",
        "Datum": "2024-03-04 10:15",
    }
    row.update(fields)
    return row


def jsonl(*rows: dict) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def semicolon_csv(*rows: dict) -> str:
    header = list(rows[0])
    lines = [";".join(header)] + [";".join('"' + str(row[key]).replace('"', '""') + '"' for key in header) for row in rows]
    return "\n".join(lines) + "\n"


def big_body() -> str:
    # Leaked markup at the start, so the body gets a finding whose value must be cut short.
    paragraph = "Der Föhnsturm deckte Dächer ab, Bäume stürzten auf die Straße, Öffis fielen aus. "
    return '<div class="artikel">' + paragraph * (BIG_BODY_BYTES // len(paragraph.encode()) + 1) + "</div>"


@dataclass
class Case:
    files: dict[str, str | bytes]  # path inside the case folder -> content (str is written as UTF-8)
    inputs: tuple[str, ...]  # what the command line names


GOOD = [article("s-1", "Großbrand in Übelbach: Lagerhalle zerstört"), article("s-2", "Rauchgasvergiftung in Fürstenfeld")]

STOPPING = {
    # case: (files, the input named, what the one stderr line must say after "<file>: ")
    "null_bytes": ({"leer.csv": b""}, "leer.csv", "the file is empty"),
    "zeile_zu_lang": ({"zacken.csv": "id,Titel,Text\na-1,Öl,x\na-2,Bär,y\na-3,zu,viele,Felder\na-4,ß,z\n"},
                      "zacken.csv", "line 4: 4 fields where the header has 3"),
    "zeile_zu_kurz": ({"kurz.csv": "id;Titel;Text\nk-1;Öl;x\nk-2;nur zwei\nk-3;ß;z\n"},
                      "kurz.csv", "line 3: 2 fields where the header has 3"),
    "kaputtes_byte": ({"gemischt.csv": "id;Titel\ng-1;Grüße aus Öhringen\n".encode() + "g-2;Müll\n".encode("cp1252")},
                      "gemischt.csv", "line 3: byte 0xfc is not valid UTF-8"),
    "utf16": ({"excel.tsv": "id\tTitel\nx-1\tBärlauch\n".encode("utf-16")}, "excel.tsv", "line 1: .*NUL bytes"),
    "json_abgebrochen": ({"halb.json": '[\n  {"id": "h-1", "Titel": "Bär"},\n  {"id": "h-2", "Titel": "Abgebro'},
                         "halb.json", "line 3: not valid JSON"),
    "offenes_anfuehrungszeichen": ({"offen.csv": 'id,Titel,Text\no-1,Öl,"endet nie\no-2,Bär,y\n'},
                                   "offen.csv", "line 2: a quoted field .* never closed"),
    "xlsx": ({"tabelle.xlsx": b"PK\x03\x04"}, "tabelle.xlsx", "unsupported file type '.xlsx'"),
}

CASES: dict[str, Case] = {name: Case(files, (named,)) for name, (files, named, _) in STOPPING.items()}
CASES["gemischt"] = Case(
    {
        # A truncated last line, as when an export is cut off.
        "kaputt.jsonl": jsonl(article("k-1", "Hochwasser an der Mur"), article("k-2", "Murenabgang bei Bad Ischl"))
        + '{"id": "k-3", "Titel": "Lawinenwarnstufe vi',
        "doppelt.csv": semicolon_csv(
            article("d-1", "Straßenbahn entgleist in Linz"),
            article("d-1", "Straßenbahn entgleist in Linz – Nachtrag"),
            article("d-2", "Kellerbrand in Kufstein"),
        ).encode("cp1252"),
        "typen.json": json.dumps([
            article("t-1", 12345, Vorfall=True, Quellen=["www.welser-rundschau.at", "www.krone.at"],
                    Ort={"Stadt": "Wels", "Land": "Österreich"}, Ursache=None),
            {"id": "t-2", "Titel": float("nan"), "Text": None, "Vorfall": "Brand"},
            "kein Objekt",
        ], ensure_ascii=False),  # writes NaN as JavaScript does
        "riesig.jsonl": jsonl(article("r-1", "Föhnsturm über Tirol", Text=big_body())),
    },
    ("kaputt.jsonl", "doppelt.csv", "typen.json", "riesig.jsonl"),
)
CASES["fehlende_spalten"] = Case(
    {"nur_titel.csv": "Titel;Redaktion\nBärenspuren im Ötztal;Jördis\nGlätte auf der Brennerstraße;Jürgen\n"},
    ("nur_titel.csv",),
)
CASES["nur_kopfzeile"] = Case({"kopf.csv": "id;Titel;Text;Vorfall\n"}, ("kopf.csv",))
CASES["sauber"] = Case(
    {
        "eingang/sauber.csv": semicolon_csv(*GOOD).encode("cp1252"),
        "eingang/unter/mehr.jsonl": jsonl(article("s-3", "Bergunfall am Großglockner: Alpinist gerettet", Vorfall="Bergunfall")),
        "eingang/unter/liesmich.md": "Notizen der Redaktion\n",
    },
    ("eingang",),
)


@dataclass
class Run:
    folder: Path
    out: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def results(self) -> dict:
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))

    def path(self, name: str) -> str:
        return str(self.folder / name)


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "AUDITOR_DEBUG"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("cli")
    commands = {}
    for name, case in CASES.items():
        folder = base / name
        for relative, content in case.files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        inputs = [str(folder / relative) for relative in case.inputs]
        commands[name] = [str(AUDITOR), "audit", *inputs, "--out", str(folder / "out")]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        done = dict(zip(commands, pool.map(lambda name: _run(commands[name], base / name), commands)))
    return {
        name: Run(base / name, base / name / "out", result.returncode, result.stdout, result.stderr)
        for name, result in done.items()
    }


def leftovers(folder: Path) -> list[Path]:
    """Staging or retired output folders that a run should have removed."""
    return [path for path in folder.rglob(".*") if ".partial-" in path.name or ".old-" in path.name]


def assert_accounts_for_every_row(results: dict, expected: set[tuple[str, int]]) -> None:
    rows = results["rows"]
    assert results["summary"]["rows"] == len(rows) == len(expected)
    assert {(row["source"], row["position"]) for row in rows} == expected
    assert {row["status"] for row in rows} <= STATUSES
    for row in rows:
        if row["status"] == "not_checked":
            assert row["reason"]
    summary = results["summary"]
    assert summary["rows_passed"] + summary["rows_with_findings"] + summary["rows_not_checked"] == summary["rows"]


def row_of(results: dict, source: str, position: int) -> dict:
    (row,) = [row for row in results["rows"] if (row["source"], row["position"]) == (source, position)]
    return row


def findings_at(results: dict, source: str, position: int, rule: str | None = None) -> list[dict]:
    return [
        finding for finding in results["findings"]
        if (finding["source"], finding["position"]) == (source, position) and rule in (None, finding["rule"])
    ]


# --- runs that must stop ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(STOPPING))
def test_bad_file_stops_the_run_with_one_line(runs, name):
    _, named, expected = STOPPING[name]
    run = runs[name]
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    line = lines[0]
    prefix = f"auditor: error: {run.path(named)}: "
    assert line.startswith(prefix), line
    message = line[len(prefix):]
    assert re.match(expected, message), message
    # ... and says what to do.
    assert "; " in message
    assert run.stdout == ""
    assert not run.out.exists()
    assert leftovers(run.folder) == []


# --- runs that report findings ---------------------------------------------------------------------


def test_truncated_json_line_is_a_not_checked_row_and_the_others_are_audited(runs):
    run = runs["gemischt"]
    assert run.returncode == 1, run.stderr
    results = run.results
    source = run.path("kaputt.jsonl")
    broken = row_of(results, source, 3)
    assert broken["status"] == "not_checked"
    assert broken["row_id"] == f"{source}:3"
    assert "line 3" in broken["reason"] and "JSON" in broken["reason"]
    (finding,) = findings_at(results, source, 3)
    assert (finding["rule"], finding["severity"]) == ("row-readable", "error")
    assert [row_of(results, source, line)["status"] for line in (1, 2)] == ["passed", "passed"]
    assert [row_of(results, source, line)["row_id"] for line in (1, 2)] == ["k-1", "k-2"]
    readable = next(rule for rule in results["rules"] if rule["id"] == "row-readable")
    assert readable["status"] == "failed" and readable["unexpected"] == 2  # this line and the JSON array's string


def test_duplicate_ids_are_flagged_on_both_rows(runs):
    results = runs["gemischt"].results
    source = runs["gemischt"].path("doppelt.csv")
    for line in (2, 3):
        (finding,) = findings_at(results, source, line, "unique-ids")
        assert finding["row_id"] == "d-1" and finding["value"] == "d-1"
        assert "2 rows" in finding["message"]
    assert findings_at(results, source, 4, "unique-ids") == []
    # Windows-1252 umlauts and the en dash arrive intact.
    assert row_of(results, source, 3)["title"] == "Straßenbahn entgleist in Linz – Nachtrag"


def test_wrong_types_and_nan_become_findings_not_crashes(runs):
    results = runs["gemischt"].results
    source = runs["gemischt"].path("typen.json")
    typed = row_of(results, source, 1)
    assert typed["row_id"] == "t-1" and typed["title"] == "12345"
    (category,) = findings_at(results, source, 1, "category-known")
    assert category["value"] == "true"
    assert [f["column"] for f in findings_at(results, source, 1, "metadata-present")] == ["cause"]
    assert findings_at(results, source, 1, "sources-well-formed") == []  # a JSON list of domains is fine
    empty = row_of(results, source, 2)
    assert empty["status"] == "failed"
    assert {f["rule"] for f in findings_at(results, source, 2)} >= {"title-present", "body-present"}
    not_an_object = row_of(results, source, 3)
    assert not_an_object["status"] == "not_checked" and "not an object" in not_an_object["reason"]


def test_five_megabyte_body_is_audited_and_its_value_cut_short(runs):
    run = runs["gemischt"]
    results = run.results
    source = run.path("riesig.jsonl")
    assert row_of(results, source, 1)["status"] == "failed"
    (finding,) = findings_at(results, source, 1, "no-markup")
    assert finding["column"] == "body"
    assert finding["value"].startswith('<div class="artikel">Der Föhnsturm')
    assert len(finding["value"]) <= VALUE_LIMIT and finding["value"].endswith("…")
    # The body itself travels into none of the outputs.
    for name in OUTPUTS:
        assert (run.out / name).stat().st_size < BIG_BODY_BYTES // 5, name


def test_mixed_run_accounts_for_every_input_row(runs):
    run = runs["gemischt"]
    results = run.results
    expected = (
        {(run.path("kaputt.jsonl"), line) for line in (1, 2, 3)}
        | {(run.path("doppelt.csv"), line) for line in (2, 3, 4)}
        | {(run.path("typen.json"), element) for element in (1, 2, 3)}
        | {(run.path("riesig.jsonl"), 1)}
    )
    assert_accounts_for_every_row(results, expected)
    assert results["summary"]["rows_not_checked"] == 2
    assert {entry["file"]: entry["rows"] for entry in results["inputs"]} == {
        run.path("kaputt.jsonl"): 3, run.path("doppelt.csv"): 3, run.path("typen.json"): 3, run.path("riesig.jsonl"): 1,
    }
    assert run.stderr == ""


def test_missing_columns_are_findings_not_rule_errors(runs):
    run = runs["fehlende_spalten"]
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    results = run.results
    source = run.path("nur_titel.csv")
    assert_accounts_for_every_row(results, {(source, 2), (source, 3)})
    assert results["summary"]["rules_with_errors"] == []
    for line in (2, 3):
        found = {(f["rule"], f["column"]) for f in findings_at(results, source, line)}
        assert found == {
            ("body-present", "body"), ("category-present", "category"),
            ("metadata-present", "cause"), ("metadata-present", "location"), ("metadata-present", "sources"),
            ("published-at-present", "published_at"),
        }
        assert row_of(results, source, line)["row_id"] == f"{source}:{line}"
    assert [row_of(results, source, line)["title"] for line in (2, 3)] == [
        "Bärenspuren im Ötztal", "Glätte auf der Brennerstraße",
    ]


def test_header_only_csv_is_a_run_of_zero_rows(runs):
    run = runs["nur_kopfzeile"]
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    results = run.results
    assert results["summary"]["rows"] == 0 and results["rows"] == [] and results["findings"] == []
    assert results["summary"]["passed"] is True
    assert run.stdout.startswith("0 rows")


def test_normal_run_writes_all_outputs_and_leaves_no_staging_folder(runs):
    run = runs["sauber"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    assert sorted(path.name for path in run.out.iterdir()) == sorted(OUTPUTS + ("data-docs", "findings.jsonl"))
    assert all((run.out / name).stat().st_size > 0 for name in OUTPUTS)
    assert leftovers(run.folder) == []
    results = run.results
    csv_file, jsonl_file = run.path("eingang/sauber.csv"), run.path("eingang/unter/mehr.jsonl")
    assert_accounts_for_every_row(results, {(csv_file, 2), (csv_file, 3), (jsonl_file, 1)})
    assert {row["status"] for row in results["rows"]} == {"passed"}
    assert [row["title"] for row in results["rows"][:2]] == [row["Titel"] for row in GOOD]
    skipped = [entry for entry in results["inputs"] if entry["status"] == "skipped"]
    assert [entry["file"] for entry in skipped] == [run.path("eingang/unter/liesmich.md")]
