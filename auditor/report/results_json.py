"""``results.json``: the machine-readable contract of a run; ``findings.jsonl`` beside it:
every finding, one JSON object a line.

``results.json`` lists every finding except those of systematic problems (a rule failing on
most rows of a field), which it summarises under ``systematic`` with examples; a bad night's
300k findings would otherwise make a file no CI step wants to parse whole. Of other findings
it lists at most ``RESULTS_JSON_FINDINGS`` (errors first, then warnings, then infos, each kept
in row order), which a million-row batch passes. ``findings.jsonl`` always holds all findings,
in the same form, streamable line by line; ``findings_file`` says how many results.json holds.
Findings held on the driver without their details (a Spark run's beyond ``--max-findings``)
are counted but not listed in results.json; findings.jsonl has them in full.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.findings import HELD_ELSEWHERE, AuditResult

FORMAT_VERSION = 1
FINDINGS_FILE = "findings.jsonl"
RESULTS_JSON_FINDINGS = 50_000  # about 65 MB of results.json
_SEVERITY_ORDER = ("error", "warning", "info")


def listed_findings(result: AuditResult) -> tuple[list[dict[str, Any]], int]:
    """The findings results.json lists, and how many ordinary ones it leaves out beyond its limit."""
    ordinary = [finding for finding in result.findings if not finding.get("systematic") and HELD_ELSEWHERE not in finding]
    if len(ordinary) <= RESULTS_JSON_FINDINGS:
        return ordinary, 0
    room, kept = RESULTS_JSON_FINDINGS, set()
    for severity in _SEVERITY_ORDER:
        of_severity = [index for index, finding in enumerate(ordinary) if finding.get("severity") == severity]
        kept.update(of_severity[:room])
        room -= min(room, len(of_severity))
    return [finding for index, finding in enumerate(ordinary) if index in kept], len(ordinary) - len(kept)


def results_document(result: AuditResult, run_info: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    listed, left_out = listed_findings(result)
    held_elsewhere = sum(1 for finding in result.findings if HELD_ELSEWHERE in finding)
    document = {
        "format_version": FORMAT_VERSION,
        "run": run_info,
        "summary": result.summary,
        "rules": result.rules,
        "rows": result.rows,
        "findings": listed,
        # Where every finding is, and how many results.json leaves to it.
        "findings_file": {"path": FINDINGS_FILE, "findings": len(result.findings), "in_results_json": len(listed),
                          "left_out_beyond_limit": left_out, "limit": RESULTS_JSON_FINDINGS,
                          # Only where some are: a Spark run's findings beyond --max-findings.
                          **({"left_out_held_elsewhere": held_elsewhere} if held_elsewhere else {})},
        "systematic": result.systematic,
        "inputs": result.files,
        "timings": result.timings,
    }
    stories = getattr(result, "stories", None)
    if stories is not None and "stories" not in document:
        document["stories"] = stories
    if getattr(result, "decisions", None) is not None:
        document["decisions"] = result.decisions
    # Added keys only: the keys above are a CI contract.
    for key, value in (extra or {}).items():
        document.setdefault(key, value)
    return document


def write_results_json(result: AuditResult, run_info: dict[str, Any], path: Path,
                       extra: dict[str, Any] | None = None) -> None:
    """results.json, written as it is encoded (``json.dump`` gives the bytes ``json.dumps`` would):
    the whole text is never in memory (434 MB at a million rows, and as a Python string up to four
    times that)."""
    with path.open("w", encoding="utf-8") as handle:
        json.dump(results_document(result, run_info, extra), handle, ensure_ascii=False, indent=1, default=str)


def write_findings_jsonl(result: AuditResult, path: Path) -> None:
    """Every finding of the run, one compact JSON object per line, in the order of results.json."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for finding in result.findings:
            if HELD_ELSEWHERE in finding:
                finding = result.full_finding(finding)
            handle.write(encoder.encode(finding))
            handle.write("\n")
