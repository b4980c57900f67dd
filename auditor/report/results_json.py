"""``results.json``: the machine-readable contract of a run."""

from __future__ import annotations

import json
from typing import Any

from auditor.findings import AuditResult

FORMAT_VERSION = 1


def results_document(result: AuditResult, run_info: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    document = {
        "format_version": FORMAT_VERSION,
        "run": run_info,
        "summary": result.summary,
        "rules": result.rules,
        "rows": result.rows,
        "findings": result.findings,
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


def render_results_json(result: AuditResult, run_info: dict[str, Any], extra: dict[str, Any] | None = None) -> str:
    return json.dumps(results_document(result, run_info, extra), ensure_ascii=False, indent=1, default=str)
