"""``results.json``: the machine-readable contract of a run."""

from __future__ import annotations

import json
from typing import Any

from auditor.findings import AuditResult

FORMAT_VERSION = 1


def results_document(result: AuditResult, run_info: dict[str, Any]) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "run": run_info,
        "summary": result.summary,
        "rules": result.rules,
        "rows": result.rows,
        "findings": result.findings,
        "inputs": result.files,
        "timings": result.timings,
    }


def render_results_json(result: AuditResult, run_info: dict[str, Any]) -> str:
    return json.dumps(results_document(result, run_info), ensure_ascii=False, indent=1, default=str)
