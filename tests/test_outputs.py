"""The output contract (results.json, junit.xml, report.html) and exit codes, through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
AUDITOR = [sys.executable, "-m", "auditor.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AUDITOR, *args], capture_output=True, text=True, cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("runs") / "example"
    return run_cli("audit", str(EXAMPLES), "--out", str(out)), out


def test_example_run_fails_on_planted_errors(example_run):
    completed, out = example_run
    assert completed.returncode == 1, completed.stderr
    assert "FAILED" in completed.stdout and "report:" in completed.stdout
    assert completed.stderr == ""
    assert sorted(p.name for p in out.iterdir()) == ["data-docs", "findings.jsonl", "junit.xml", "report.html", "results.json"]
    assert not list(out.parent.glob(".*partial*"))


def test_results_json_contract(example_run):
    _, out = example_run
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    summary = document["summary"]
    assert set(summary) >= {"rows", "rows_with_findings", "findings_per_severity", "passed"}
    input_rows = sum(1 for line in (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
    input_rows += len(list((EXAMPLES / "pages").iterdir()))
    assert summary["rows"] == len(document["rows"]) == input_rows
    assert summary["passed"] is False
    for rule in document["rules"]:
        assert set(rule) >= {"id", "severity", "description", "passed", "evaluated", "unexpected", "unexpected_percent"}
    for finding in document["findings"]:
        assert set(finding) >= {"rule", "severity", "row_id", "column", "value", "message"}
    per_severity = {s: sum(1 for f in document["findings"] if f["severity"] == s) for s in ("error", "warning", "info")}
    assert summary["findings_per_severity"] == per_severity
    rows_with_findings = {(f["source"], f["position"]) for f in document["findings"]}
    assert summary["rows_with_findings"] == len(rows_with_findings)
    failed_rules = {f["rule"] for f in document["findings"]}
    assert {r["id"] for r in document["rules"] if not r["passed"]} == failed_rules


def test_junit_has_one_case_per_rule_and_failures_with_examples(example_run):
    _, out = example_run
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {rule["id"] for rule in document["rules"]}
    for rule in document["rules"]:
        failure = cases[rule["id"]].find("failure")
        assert (failure is not None) == (not rule["passed"])
        if failure is not None:
            assert f"{rule['unexpected']} of {rule['evaluated']}" in failure.get("message")
            first = next(f for f in document["findings"] if f["rule"] == rule["id"])
            assert first["row_id"] in failure.text
    assert int(suite.get("failures")) == sum(1 for r in document["rules"] if not r["passed"])


@pytest.mark.parametrize("fail_on, expected", [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on_thresholds(tmp_path, fail_on, expected):
    table = tmp_path / "t.jsonl"
    # Only a warning-level problem: a malformed source domain.
    table.write_text(json.dumps({
        "id": "w1", "Titel": "Hochwasser in Linz", "Text": "In Linz stieg die Donau stark an.",
        "Datum": "2025-01-01", "Vorfall": "Naturkatastrophe", "Ursache": "Regen", "Ort": "Linz",
        "Quellen": "www.zeitung",
    }) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(table), "--out", str(tmp_path / "o"), "--fail-on", fail_on, "-q"])
    if fail_on == "error":
        expected = 0  # a warning does not fail a run that fails on errors only
    assert result.exit_code == expected, result.output


def test_rerun_replaces_the_report_atomically(tmp_path):
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"id": "r1", "Titel": "Ein Titel", "Text": "Ein Text.", "Vorfall": "Politik"}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    for _ in range(2):
        CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "-q"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite", "out", "t.jsonl"]


def test_usage_error_exits_2_with_one_line(tmp_path):
    completed = run_cli("audit", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o"))
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "missing.jsonl" in completed.stderr
    assert "Traceback" not in completed.stderr
    bad_option = run_cli("audit", str(EXAMPLES), "--fail-on", "sometimes")
    assert bad_option.returncode == 2


def test_seeds_acceptance(shared_seeds, tmp_path):
    out = tmp_path / "seeds"
    completed = run_cli("audit", *sorted(map(str, shared_seeds.glob("*.txt"))), "--out", str(out))
    assert completed.returncode == 1, completed.stderr
    findings = json.loads((out / "results.json").read_text(encoding="utf-8"))["findings"]
    markup = {f["column"]: f for f in findings if f["rule"] == "no-markup" and f["row_id"] == "001_d6f240a953c802b2"}
    assert markup["sources"]["snippet"].startswith("<ul")
    assert "<ul" in markup["sources"]["message"]
    assert markup["body"]["snippet"] == "**Heute.at**"


def test_seeds_grounding_acceptance(shared_seeds, tmp_path):
    """Issue 5 on the two real pages, through the CLI and every default rule."""
    out = tmp_path / "seeds"
    completed = run_cli("audit", *sorted(map(str, shared_seeds.glob("*.txt"))), "--out", str(out))
    assert completed.returncode == 1, completed.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    original, rewrite = "000_8f140c7bc8186c8a", "001_d6f240a953c802b2"
    # One event in two outlets' words: one story group, named by row ids, on both rows.
    assert [story["rows"] for story in results["stories"]] == [[original, rewrite]]
    assert {row["row_id"]: row.get("story") for row in results["rows"]} == {original: 1, rewrite: 1}
    # The original's body carries a donation box, a comment notice and another story's teaser,
    # each its own finding with the span as snippet.
    furniture = [f for f in results["findings"] if f["rule"] == "body-without-furniture"]
    assert {f["row_id"] for f in furniture} == {original}
    kinds = {kind for f in furniture for kind in f["evidence"]["kind"]}
    assert {"donation", "comment", "other_story"} <= kinds
    by_kind = {kind: f for f in furniture for kind in f["evidence"]["kind"]}
    assert "CHF" in by_kind["donation"]["snippet"] or "unterstütze" in by_kind["donation"]["snippet"].lower()
    assert "Kommentar" in by_kind["comment"]["snippet"]
    assert "Le Pen" in by_kind["other_story"]["snippet"]
    # The rewrite's location and sources are right (its sources only leak markup).
    rewrite_rules = {f["rule"] for f in results["findings"] if f["row_id"] == rewrite}
    assert not rewrite_rules & {"location-in-text", "sources-match-text", "body-without-furniture"}
    assert "category-fits-text" in rewrite_rules


def test_extract_on_seeds(shared_seeds, tmp_path):
    output = tmp_path / "seeds.jsonl"
    result = CliRunner().invoke(app, ["extract", *map(str, sorted(shared_seeds.glob("*.txt"))), "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in map(json.loads, output.read_text(encoding="utf-8").splitlines())}
    rewrite, original = rows["001_d6f240a953c802b2"], rows["000_8f140c7bc8186c8a"]
    assert rewrite["category"] == "Terrorismus"
    assert rewrite["cause"] and rewrite["location"] == "Brüssel, Belgien" and rewrite["sources"].startswith("<ul")
    assert original["category"] is None


def test_extract_writes_csv_and_parquet(tmp_path):
    pages = sorted(str(p) for p in (EXAMPLES / "pages").iterdir())
    for suffix in (".csv", ".parquet"):
        output = tmp_path / f"pages{suffix}"
        result = CliRunner().invoke(app, ["extract", *pages, "--output", str(output)])
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(output) if suffix == ".csv" else pd.read_parquet(output)
        assert len(frame) == len(pages) and {"title", "body", "category"} <= set(frame.columns)
