"""The run history store, `auditor history` and `auditor diff`."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import auditor.history as history_module
from auditor.cli import app
from auditor.history import HistoryError, HistoryStore, finding_keys

RUN = {"started_at": "2025-03-01T05:00:00+00:00", "inputs": ["export.jsonl"]}
BASE = {"Datum": "2025-02-01", "Ursache": "Budget", "Ort": "Linz", "Quellen": "www.orf.at"}
POLITICS = ("Der Landtag beriet am Donnerstag über das Budget des Landes. Die Koalition und die Opposition stritten "
            "lange, am Ende stimmte die Mehrheit der Abgeordneten für den Entwurf der Regierung.")


def _finding(rule: str, row: str, column: str | None = "category", value="X", severity: str = "error") -> dict:
    return {"rule": rule, "severity": severity, "row_id": row, "source": "t.jsonl", "position": 1,
            "column": column, "value": value, "message": f"{rule} on {row}"}


def _summary(findings: list[dict]) -> dict:
    per = {s: sum(1 for f in findings if f["severity"] == s) for s in ("error", "warning", "info")}
    return {"rows": 10, "rows_passed": 10 - len({f["row_id"] for f in findings}), "rows_with_findings": 0,
            "rows_not_checked": 0, "findings": len(findings), "findings_per_severity": per, "fail_on": "error",
            "passed": not per["error"]}


def _rules(findings: list[dict]) -> list[dict]:
    return [{"id": "no-markup", "severity": "error", "status": "failed", "evaluated": 10,
             "unexpected": sum(1 for f in findings if f["rule"] == "no-markup")}]


def record(store: HistoryStore, findings: list[dict], **kwargs):
    return store.record(_summary(findings), _rules(findings), findings, RUN, **kwargs)


def test_finding_keys_match_the_same_finding_and_number_repeats():
    a = _finding("no-markup", "r1", "body", "Text **x**")
    keys = finding_keys([a, dict(a), _finding("no-markup", "r1", "body", "Text **y**"), _finding("no-markup", "r2", "body", "Text **x**")])
    assert keys[1] == keys[0] + "#1"
    assert len(set(keys)) == 4
    assert finding_keys([dict(a, message="other words", severity="warning")]) == keys[:1]  # message and severity do not matter


def test_new_fixed_first_seen_and_trend(tmp_path):
    path = tmp_path / "history.sqlite"
    one, two, three = _finding("no-markup", "r1"), _finding("no-markup", "r2"), _finding("category-known", "r3")
    with HistoryStore(path) as store:
        first = record(store, [one, two], titles={("t.jsonl", 1): "Ein Titel"})
        assert first.run_id == 1 and first.baseline is None and first.new_indexes == set()
        second = record(store, [two, three])
        assert second.baseline["id"] == 1
        assert second.new_indexes == {1} and [f["row_id"] for f in second.fixed] == ["r1"]
        assert second.fixed[0]["title"] == "Ein Titel"
        assert second.first_seen == [1, 2]
        third = record(store, [two, three])
        assert third.new_indexes == set() and third.fixed == [] and third.first_seen == [1, 2]
        assert [run["id"] for run in third.trend] == [1, 2, 3]
        assert [(run["new"], run["fixed"]) for run in store.runs()] == [(None, None), (1, 1), (0, 0)]
        view = third.view()
        assert view["new"] == 0 and view["previous_rules"]["no-markup"]["unexpected"] == 1
        changes = store.changes(1, 3).to_dict()
        assert changes["counts"] == {"new": 1, "fixed": 1, "still_open": 1}
        assert changes["per_rule"] == [{"rule": "category-known", "severity": "error", "new": 1, "fixed": 0},
                                       {"rule": "no-markup", "severity": "error", "new": 0, "fixed": 1}]


def test_a_baseline_other_than_the_run_before_keeps_first_seen_from_the_run_before(tmp_path):
    one, two, three = _finding("no-markup", "r1"), _finding("no-markup", "r2"), _finding("category-known", "r3")
    with HistoryStore(tmp_path / "history.sqlite") as store:
        record(store, [one])
        record(store, [one, two])
        record(store, [two, three])
        against_first = record(store, [one, two, three], baseline="1")
        assert against_first.baseline["id"] == 1
        assert against_first.new_indexes == {1, 2} and against_first.fixed == []
        # r1 was gone in run 3, so it counts as first seen now; r2 and r3 keep their first runs.
        assert against_first.first_seen == [4, 2, 3]
        assert [f["first_seen"] for f in store.findings(4)] == [4, 2, 3]


def test_stored_findings_are_read_back_across_read_and_pack_slices(tmp_path, monkeypatch):
    """Rows are packed a slice at a time and read a slice of compressed bytes at a time: rows,
    multi-byte characters and the array's brackets split across slices read back whole; a
    store written whole by earlier versions reads the same; a cut-off array is an error."""
    monkeypatch.setattr(history_module, "_PACKED_ROWS", 3)
    monkeypatch.setattr(history_module, "_READ_BYTES", 7)
    rows = [[f"k{n}", "no-markup", "error", f"r{n}", "body", "Grüße ✓ " * (n % 5), None, 1.5, {"a": [n]},
             n, "t.jsonl", n, "open"] for n in range(50)]
    packed, count = history_module._pack(iter(rows))
    assert count == 50
    assert list(history_module._unpacked_rows(packed)) == rows
    assert history_module._pack(iter([]))[1] == 0 and list(history_module._unpacked_rows(history_module._pack([])[0])) == []
    written_whole = zlib.compress(json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8"), 3)
    assert list(history_module._unpacked_rows(written_whole)) == rows
    cut = zlib.compress(json.dumps(rows, ensure_ascii=False).encode("utf-8")[:-40], 3)
    with pytest.raises(ValueError):
        list(history_module._unpacked_rows(cut))


def test_references_baseline_forget_and_pruning(tmp_path, monkeypatch):
    path = tmp_path / "h.sqlite"
    monkeypatch.setattr(history_module, "KEEP_FINDINGS_FOR_RUNS", 2)
    with HistoryStore(path) as store:
        for findings in ([_finding("a", "r1")], [], [_finding("a", "r2")]):
            record(store, findings)
        assert store.resolve("latest") == 3 and store.resolve("previous") == 2 and store.resolve("#2") == 2
        with pytest.raises(HistoryError, match="no run #9"):
            store.resolve("9")
        with pytest.raises(HistoryError, match="not a run"):
            store.resolve("gestern")
        assert store.findings(1) is None and store.findings(3) is not None  # pruned, summary kept
        assert store.run(1)["findings"] == 1
        with pytest.raises(HistoryError, match="no longer kept"):
            store.changes(1, 3)
        against_second = record(store, [_finding("a", "r2")], baseline="2")
        assert against_second.baseline["id"] == 2 and against_second.new_indexes == {0}
        store.forget(against_second.run_id)
        assert store.resolve("latest") == 3


def test_a_file_that_is_not_a_history_is_an_error(tmp_path):
    bad = tmp_path / "h.sqlite"
    bad.write_text("kein sqlite", encoding="utf-8")
    with pytest.raises(HistoryError, match="not a usable run history"):
        HistoryStore(bad)
    with pytest.raises(HistoryError, match="no run history"):
        HistoryStore(tmp_path / "missing.sqlite", create=False)


def _table(path: Path, categories: dict[str, str]) -> Path:
    rows = [{"id": row_id, "Titel": f"Landtag {row_id}", "Text": POLITICS, "Vorfall": category, **BASE}
            for row_id, category in categories.items()]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two audits into one output root: run 1 has a typo in r2's category, run 2 fixes it and breaks r3's."""
    root = tmp_path_factory.mktemp("history") / "reports"
    root.mkdir()
    runner = CliRunner()
    outputs = []
    for number, categories in enumerate(({"r1": "Politik", "r2": "Poltik", "r3": "Politik"},
                                         {"r1": "Politik", "r2": "Politik", "r3": "Politk"}), start=1):
        table = _table(root.parent / f"export-{number}.jsonl", categories)
        # Two nights' exports under two names: one dataset, named so.
        result = runner.invoke(app, ["audit", str(table), "--out", str(root / f"run-{number}"), "--dataset", "nightly"])
        assert result.exit_code == 1, result.output
        outputs.append(result.output)
    return root, outputs


def test_audit_records_runs_in_the_output_root_and_reports_changes(two_runs):
    root, outputs = two_runs
    assert (root / "history.sqlite").is_file()
    assert "since run #1: 1 new, 1 fixed" in outputs[1]
    document = json.loads((root / "run-2" / "results.json").read_text(encoding="utf-8"))
    assert document["history"]["run_id"] == 2 and document["history"]["baseline_run"]["id"] == 1
    assert (document["history"]["new"], document["history"]["fixed"]) == (1, 1)
    page = (root / "run-2" / "report.html").read_text(encoding="utf-8")
    assert "Since run #1" in page and "Fixed findings (1)" in page and "Poltik" in page
    block = json.loads(re.search(r'id="audit-data">(.*?)</script>', page, flags=re.S).group(1))
    new = [(a["id"], f.get("n")) for a in block["articles"] for f in a["f"]]
    assert ("r3", 1) in new
    with sqlite3.connect(root / "history.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2


def test_history_command_lists_runs(two_runs):
    root, _ = two_runs
    result = CliRunner().invoke(app, ["history", "--history", str(root / "history.sqlite")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split()[:2] == ["run", "started"]
    assert lines[1].split()[0] == "#1" and lines[2].split()[0] == "#2"
    assert str(root / "run-2") in lines[2]
    as_json = json.loads(CliRunner().invoke(app, ["history", "--history", str(root / "history.sqlite"), "--json"]).output)
    assert [run["id"] for run in as_json] == [1, 2] and as_json[1]["new"] == 1


def test_diff_prints_and_writes_the_changes(two_runs, tmp_path):
    root, _ = two_runs
    store = str(root / "history.sqlite")
    result = CliRunner().invoke(app, ["diff", "1", "2", "--history", store])
    assert result.exit_code == 0, result.output
    assert "new: 1, fixed: 1, still open:" in result.output
    assert "+ error   category-known  r3 [category]" in result.output
    assert "- error   category-known  r2 [category]" in result.output
    written = json.loads((root / "diff-1-2.json").read_text(encoding="utf-8"))
    assert written["counts"]["new"] == 1 and written["new"][0]["row_id"] == "r3"
    assert written["fixed"][0]["title"] == "Landtag r2"

    markdown = tmp_path / "changes.md"
    result = CliRunner().invoke(app, ["diff", "--baseline", "1", "--history", store, "--output", str(markdown)])
    assert result.exit_code == 0, result.output
    assert "**1 new**, **1 fixed**" in markdown.read_text(encoding="utf-8")

    # Default: the previous run against the latest; and results.json files work without the store.
    assert "new: 1, fixed: 1" in CliRunner().invoke(app, ["diff", "--history", store, "-o", str(tmp_path / "d.json")]).output
    files = CliRunner().invoke(app, ["diff", str(root / "run-1" / "results.json"), str(root / "run-2" / "results.json"),
                                     "-o", str(tmp_path / "files.json")])
    assert files.exit_code == 0, files.output
    assert "new: 1, fixed: 1" in files.output


def test_history_errors_are_one_line(two_runs, tmp_path):
    root, _ = two_runs
    for args in (["diff", "1", "7", "--history", str(root / "history.sqlite")],
                 ["history", "--history", str(tmp_path / "none.sqlite")],
                 ["diff", "--baseline", "1", "2", "3", "--history", str(root / "history.sqlite")]):
        completed = subprocess.run([sys.executable, "-m", "auditor.cli", *args], capture_output=True, text=True,
                                   timeout=60)
        assert completed.returncode == 2, (args, completed.stderr)
        assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr


def test_no_history_and_explicit_store(tmp_path):
    table = _table(tmp_path / "t.jsonl", {"a": "Politik"})
    runner = CliRunner()
    assert runner.invoke(app, ["audit", str(table), "--out", str(tmp_path / "o1"), "-q", "--no-history"]).exit_code == 0
    assert not (tmp_path / "history.sqlite").exists()
    store = tmp_path / "elsewhere" / "runs.sqlite"
    assert runner.invoke(app, ["audit", str(table), "--out", str(tmp_path / "o2"), "-q", "--history", str(store)]).exit_code == 0
    assert store.is_file() and not (tmp_path / "history.sqlite").exists()
    bad = runner.invoke(app, ["audit", str(table), "--out", str(tmp_path / "o3"), "-q", "--history", str(store),
                              "--baseline", "5"])
    assert bad.exit_code != 0 and not (tmp_path / "o3").exists()


def test_a_schema_1_store_is_upgraded_in_place(tmp_path):
    """Stores written before decisions existed gain the waived and corrected counts."""
    path = tmp_path / "old.sqlite"
    HistoryStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE runs DROP COLUMN waived")
        db.execute("ALTER TABLE runs DROP COLUMN corrected")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with HistoryStore(path, create=False) as store:
        store.record({"rows": 1, "findings_waived": 2}, [], [], {"inputs": ["a.jsonl"]},
                     decisions={"corrections": 1, "entries": []})
        assert store.runs()[0]["waived"] == 2 and store.runs()[0]["corrected"] == 1
        assert store.decisions(1) == {"corrections": 1, "entries": []}
        assert store.latest_run_of(["a.jsonl"]) == 1 and store.latest_run_of(["b.jsonl"]) is None
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"


# -- history per dataset ----------------------------------------------------------------


def _audit(*args: str) -> "object":
    result = CliRunner().invoke(app, ["audit", *args])
    assert result.exit_code in (0, 1), result.output
    return result


def _results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory):
    """One output root, two exports: a, then b (another file), then a again with r2 fixed and r3 broken."""
    base = tmp_path_factory.mktemp("datasets")
    root = base / "reports"
    export = _table(base / "export.jsonl", {"r1": "Politik", "r2": "Poltik", "r3": "Politik"})
    other = _table(base / "other.jsonl", {"x1": "Poltik", "x2": "Sportt", "x3": "Poltik"})
    _audit(str(export), "--out", str(root / "1"))
    _audit(str(other), "--out", str(root / "2"))
    _table(export, {"r1": "Politik", "r2": "Politik", "r3": "Politk"})
    third = _audit(str(export), "--out", str(root / "3"))
    return root, export, other, third.output


def test_a_run_is_compared_with_the_previous_run_of_the_same_input(two_datasets):
    root, export, other, output = two_datasets
    document = _results(root / "3")
    assert document["run"]["dataset"] == str(export.resolve())
    # Not "+3 new, -1 fixed" against the other export audited in between.
    assert document["history"]["baseline_run"]["id"] == 1
    assert (document["history"]["new"], document["history"]["fixed"]) == (1, 1)
    assert "since run #1: 1 new, 1 fixed" in output
    assert _results(root / "2")["history"]["baseline_run"] is None  # the other export's first run
    page = (root / "3" / "report.html").read_text(encoding="utf-8")
    assert "Since run #1" in page


def test_history_and_diff_take_a_dataset(two_datasets, tmp_path):
    root, export, other, _ = two_datasets
    store = str(root / "history.sqlite")
    listing = CliRunner().invoke(app, ["history", "--history", store])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.strip().splitlines()
    assert lines[0].endswith("[dataset]") and lines[2].endswith(f"[{other.resolve()}]")
    only = CliRunner().invoke(app, ["history", "--history", store, "--dataset", str(export.resolve()), "--json"])
    assert [run["id"] for run in json.loads(only.output)] == [1, 3]
    none = CliRunner().invoke(app, ["history", "--history", store, "--dataset", "gestern"])
    assert "no runs recorded yet of dataset 'gestern'" in none.output and str(other.resolve()) in none.output

    # Without --dataset, 'previous' is the run the latest was compared with: #1, not #2.
    latest = CliRunner().invoke(app, ["diff", "--history", store, "-o", str(tmp_path / "d.json")])
    assert "from run #1" in latest.output and "new: 1, fixed: 1" in latest.output
    of_other = CliRunner().invoke(app, ["diff", "previous", "latest", "--history", store, "--dataset", str(other.resolve()),
                                        "-o", str(tmp_path / "o.json")])
    # (CliRunner skips main(), which turns this error into one line and exit 2.)
    assert isinstance(of_other.exception, HistoryError) and "no previous run of dataset" in str(of_other.exception)


def test_diff_accepts_two_run_folders(two_datasets, tmp_path):
    root, *_ = two_datasets
    result = CliRunner().invoke(app, ["diff", str(root / "1"), str(root / "3"), "-o", str(tmp_path / "f.json")])
    assert result.exit_code == 0, result.output
    assert "new: 1, fixed: 1" in result.output
    written = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert [f["row_id"] for f in written["new"]] == ["r3"] and [f["row_id"] for f in written["fixed"]] == ["r2"]
    missing = CliRunner().invoke(app, ["diff", str(root / "1"), str(tmp_path), "-o", str(tmp_path / "g.json")])
    assert isinstance(missing.exception, HistoryError) and "not a readable results.json" in str(missing.exception)


def test_history_inside_an_output_root_finds_its_store(two_datasets):
    root, *_ = two_datasets
    for cwd in (root, root / "3"):
        completed = subprocess.run([sys.executable, "-m", "auditor.cli", "history", "--json"], cwd=cwd,
                                   capture_output=True, text=True, timeout=120)
        assert completed.returncode == 0, completed.stderr
        assert [run["id"] for run in json.loads(completed.stdout)] == [1, 2, 3]


def test_an_explicit_dataset_joins_differently_named_exports(tmp_path):
    root = tmp_path / "reports"
    monday = _table(tmp_path / "export-2026-11-30.jsonl", {"r1": "Poltik"})
    tuesday = _table(tmp_path / "export-2026-12-01.jsonl", {"r1": "Poltik", "r2": "Sportt"})
    _audit(str(monday), "--out", str(root / "mo"), "--dataset", "nightly")
    _audit(str(tuesday), "--out", str(root / "tu"), "--dataset", "nightly")
    assert _results(root / "tu")["history"]["baseline_run"]["id"] == 1
    new = {(f["row_id"], f["rule"]) for f in _results(root / "tu")["findings"] if f["new"]}
    assert {row for row, _ in new} == {"r2"} and ("r2", "category-known") in new  # r1's typo is not new
    empty = CliRunner().invoke(app, ["audit", str(monday), "--out", str(root / "x"), "--dataset", " "])
    assert empty.exit_code == 2 and "--dataset" in empty.output


def test_the_store_is_bounded_per_dataset_and_in_total(tmp_path, monkeypatch):
    monkeypatch.setattr(history_module, "KEEP_FINDINGS_FOR_RUNS", 2)
    monkeypatch.setattr(history_module, "KEEP_FINDINGS_TOTAL", 5)
    with HistoryStore(tmp_path / "h.sqlite") as store:
        many = [_finding("a", f"r{i}") for i in range(4)]
        ids = {}
        for name in ("big", "small", "big", "big", "small"):
            ids.setdefault(name, []).append(record(store, many if name == "big" else many[:1], dataset=name).run_id)
        kept = {run_id for run_id in range(1, 6) if store.findings(run_id) is not None}
        # Newest first: #5 (small, 1) and #4 (big, 4) fill the total of 5; #3 and #2 would exceed
        # it; #1 is beyond big's 2 runs. Each dataset's latest run keeps its findings.
        assert kept == {4, 5}
        assert [run["id"] for run in store.runs(dataset="big")] == [1, 3, 4]  # summaries are kept for ever
