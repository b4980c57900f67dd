"""GitHub Actions output: annotations for error findings and the markdown job summary."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from auditor.annotations import MAX_ERROR_ANNOTATIONS, annotation_lines, escape_data, escape_property, job_summary
from auditor.cli import app

HOSTILE_TITLE = "Eil | <script>alert(1)</script> [klick](javascript:alert(1)) **fett**"


def _rows(tmp_path, count: int = 14):
    rows = [{"id": f"m{n}", "Titel": f"Meldung {n}", "Text": f"Laut **Blatt {n}** war es so.", "Vorfall": "Politik",
             "Datum": "2025-02-01", "Ursache": "Blatt", "Ort": "Linz", "Quellen": "www.orf.at"} for n in range(count)]
    rows[0]["Titel"] = HOSTILE_TITLE
    table = tmp_path / "export.jsonl"
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return table


def test_escaping_follows_the_workflow_command_rules():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c\n") == "a%3Ab%2Cc%0A"


def test_annotations_are_capped_and_point_at_file_and_line():
    findings = [{"rule": "no-markup", "severity": "error", "row_id": f"r{n}", "source": "data/export.jsonl",
                 "position": n + 1, "column": "body", "value": "v", "message": f"zeile {n}\n::warning::fake"}
                for n in range(15)]
    findings.append({"rule": "x", "severity": "warning", "row_id": "w", "source": "a.csv", "position": 3,
                     "column": "c", "value": None, "message": "only a warning"})
    findings.append({"rule": "no-markup", "severity": "error", "row_id": "p", "source": "pages/a.txt", "position": 1,
                     "column": "body", "value": None, "message": "on a page"})
    lines = annotation_lines(findings, report="out/report.html")
    assert len(lines) == MAX_ERROR_ANNOTATIONS + 1
    assert lines[0] == "::error file=data/export.jsonl,line=1,title=no-markup [body]%3A r0::zeile 0%0A::warning::fake"
    assert all(line.count("\n") == 0 for line in lines)
    assert lines[-1].startswith("::notice title=auditor::6 more error findings") and "out/report.html" in lines[-1]
    page = annotation_lines(findings[-1:])
    assert page == ["::error file=pages/a.txt,title=no-markup [body]%3A p::on a page"]  # a page has no line


def test_job_summary_is_markdown_with_article_text_made_inert():
    rows = [{"row_id": "r1", "source": "t.jsonl", "position": 1, "title": HOSTILE_TITLE, "status": "failed",
             "worst_severity": "error", "findings": 1}]
    findings = [{"rule": "no-markup", "severity": "error", "row_id": "r1", "source": "t.jsonl", "position": 1,
                 "column": "title", "value": "x", "message": "HTML tag leaked: '<script>'"}]
    summary = {"rows": 4, "rows_passed": 3, "findings_per_severity": {"error": 1, "warning": 0, "info": 0},
               "fail_on": "error", "passed": False}
    rules = [{"id": "no-markup", "severity": "error", "passed": False, "unexpected": 1, "evaluated": 4,
              "unexpected_percent": 25.0}]
    text = job_summary(summary, rules, findings, rows, {"baseline": {"id": 3}, "new": 1, "fixed": 2}, "out/report.html")
    assert text.startswith("## Metadata audit: ❌ failed")
    assert "| 4 | 75.0 % | 1 | 0 | 0 | 1 | 2 |" in text and "new since #3" in text
    assert "<script>" not in text and "](javascript" not in text and "**fett**" not in text
    assert "&lt;script&gt;" in text and "Eil \\| " in text


def test_cli_in_github_actions_prints_annotations_and_appends_the_summary(tmp_path):
    summary_file = tmp_path / "step-summary.md"
    summary_file.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_WORKSPACE": str(tmp_path)}
    result = CliRunner().invoke(app, ["audit", str(_rows(tmp_path)), "--out", str(tmp_path / "out"), "-q"], env=env)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("::error ")]
    assert len(errors) == MAX_ERROR_ANNOTATIONS
    assert re.match(r"::error file=export\.jsonl,line=\d+,title=no-markup \[(title|body)\]%3A m\d+::", errors[0])
    assert any(line.startswith("::notice title=auditor::") for line in result.output.splitlines())
    text = summary_file.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## Metadata audit: ❌ failed")
    assert "### Rules that fail" in text and "`no-markup`" in text and "<script>" not in text


def test_cli_outside_github_actions_prints_no_annotations(tmp_path):
    result = CliRunner().invoke(app, ["audit", str(_rows(tmp_path, 2)), "--out", str(tmp_path / "out")],
                                env={"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""})
    assert "::error" not in result.output and "report:" in result.output
