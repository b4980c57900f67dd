"""GitHub Actions output: workflow annotations for error findings and a markdown job summary.

Used when ``GITHUB_ACTIONS=true``. Article text goes into both, so both are escaped: the
workflow-command encoding for annotations (a newline in a title cannot start a new
command), markdown and HTML escaping for the summary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

# GitHub shows at most 10 error annotations per step (50 per job); more are dropped silently.
MAX_ERROR_ANNOTATIONS = 10
SUMMARY_ARTICLES = 10
SUMMARY_RULES = 20
_LINE_FORMATS = (".csv", ".tsv", ".jsonl", ".ndjson")


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    return (env if env is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def escape_data(text: Any) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: Any) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _workspace_path(source: str, workspace: str | None) -> str:
    path = Path(source)
    if workspace and path.is_absolute():
        try:
            return path.relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def annotation_lines(findings: Iterable[dict[str, Any]], limit: int = MAX_ERROR_ANNOTATIONS,
                     workspace: str | None = None, report: str | None = None,
                     systematic: list[dict[str, Any]] | None = None) -> list[str]:
    """``::error file=…,line=…,title=…::message`` for the first ``limit`` error findings, and one
    notice for the rest. A systematic problem is one annotation (error or warning, as its
    rule), counted in the limit before the per-row ones; its findings get none of their own."""
    # Imported here: findings pulls in GX, which 'auditor diff' (markdown_text) does not need.
    from auditor.findings import counts_for_gate

    lines = []
    for problem in (systematic or [])[:limit]:
        level = "error" if problem.get("severity") == "error" else "warning"
        title = f"systematic: {problem.get('rule')}" + (f" [{problem['column']}]" if problem.get("column") else "")
        lines.append(f"::{level} title={escape_property(title)}::{escape_data(str(problem.get('text'))[:1000])}")
    # A waived finding was judged a wrong alarm by an editor: not worth an annotation.
    errors = [finding for finding in findings if finding.get("severity") == "error" and counts_for_gate(finding)
              and not finding.get("systematic")]
    annotated = errors[:max(0, limit - len(lines))]
    for finding in annotated:
        source = str(finding.get("source") or "")
        properties = []
        if source:
            properties.append(f"file={escape_property(_workspace_path(source, workspace))}")
            if Path(source).suffix.lower() in _LINE_FORMATS and isinstance(finding.get("position"), int):
                properties.append(f"line={finding['position']}")
        column = f" [{finding['column']}]" if finding.get("column") else ""
        title = f"{finding.get('rule')}{column}: {finding.get('row_id')}"
        properties.append(f"title={escape_property(title)}")
        message = str(finding.get("message") or "")
        if finding.get("suggestion"):
            message += f" (suggestion: {finding.get('value')} → {finding['suggestion']})"
        lines.append(f"::error {','.join(properties)}::{escape_data(message[:1000])}")
    rest = len(errors) - len(annotated)
    if rest > 0:
        where = f" in {report}" if report else ""
        note = f"{rest} more error findings are not annotated; all are listed{where} and in results.json"
        lines.append(f"::notice title=auditor::{escape_data(note)}")
    return lines


def markdown_text(text: Any, limit: int = 120) -> str:
    """Article text as inert markdown: no HTML, no links, no emphasis, no table breaks."""
    value = " ".join(str(text if text is not None else "").split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]()|#!~":
        value = value.replace(char, "\\" + char)
    return value


def job_summary(summary: dict[str, Any], rules: list[dict[str, Any]], findings: list[dict[str, Any]],
                rows: list[dict[str, Any]], history: dict[str, Any] | None = None,
                report: str | None = None) -> str:
    """A markdown job summary: verdict, figures, failing rules, new/fixed, the worst articles."""
    per = summary.get("findings_per_severity", {})
    rows_total = summary.get("rows") or 0
    passing = 100.0 * summary.get("rows_passed", 0) / rows_total if rows_total else 100.0
    state = (summary.get("verdict") or {}).get("state") or ("passed" if summary.get("passed") else "failed")
    verdict = {"passed": "✅ passed", "failed": "❌ failed", "not_gated": "⚪ not gated"}.get(state, state)
    lines = [f"## Metadata audit: {verdict} (fails on {summary.get('fail_on')})", ""]
    if (summary.get("verdict") or {}).get("text"):
        lines += [markdown_text(summary["verdict"]["text"], 300), ""]
    if summary.get("systematic"):
        lines += ["### Systematic problems", ""]
        lines += [f"- {markdown_text(problem.get('text'), 300)} ({problem.get('rows', 0):,} rows, `{markdown_text(problem.get('rule'), 60)}`)"
                  for problem in summary["systematic"]]
        lines.append("")
    header = "| rows | passing | errors | warnings | infos |"
    values = f"| {rows_total:,} | {passing:.1f} % | {per.get('error', 0):,} | {per.get('warning', 0):,} | {per.get('info', 0):,} |"
    divider = "|---:|---:|---:|---:|---:|"
    baseline = (history or {}).get("baseline")
    if baseline:
        header += f" new since #{baseline['id']} | fixed |"
        values += f" {history.get('new', 0):,} | {history.get('fixed', 0):,} |"
        divider += "---:|---:|"
    lines += [header, divider, values, ""]
    failing = [rule for rule in rules if not rule.get("passed")]
    if failing:
        lines += ["### Rules that fail", "", "| rule | severity | failing | of | % |", "|---|---|---:|---:|---:|"]
        for rule in failing[:SUMMARY_RULES]:
            lines.append(f"| `{markdown_text(rule['id'], 60)}` | {rule['severity']} | {rule.get('unexpected', 0):,} | "
                         f"{rule.get('evaluated', 0):,} | {float(rule.get('unexpected_percent') or 0):.2f} |")
        lines.append("")
    worst = [row for row in rows if row.get("status") in ("failed", "not_checked")]
    rank = {"error": 3, "warning": 2, "info": 1}
    worst.sort(key=lambda row: (-rank.get(row.get("worst_severity") or "", 0), -int(row.get("findings") or 0)))
    if worst:
        first_message: dict[tuple[Any, Any], dict[str, Any]] = {}
        for finding in findings:
            key = (finding.get("source"), finding.get("position"))
            if key not in first_message or rank[finding["severity"]] > rank[first_message[key]["severity"]]:
                first_message[key] = finding
        lines += [f"### Worst articles ({min(len(worst), SUMMARY_ARTICLES)} of {len(worst):,})", "",
                  "| article | row | findings | worst |", "|---|---|---:|---|"]
        for row in worst[:SUMMARY_ARTICLES]:
            finding = first_message.get((row.get("source"), row.get("position")), {})
            what = f"{finding.get('rule', '')}: {finding.get('message', row.get('reason', ''))}"
            lines.append(f"| {markdown_text(row.get('title') or '(no title)', 80)} | {markdown_text(row.get('row_id'), 40)} | "
                         f"{row.get('findings', 0)} | {markdown_text(what, 140)} |")
        lines.append("")
    if report:
        lines.append(f"Report: `{markdown_text(report, 200)}` (self-contained HTML; open it from the run's artifact).")
        lines.append("")
    return "\n".join(lines)


def emit(summary: dict[str, Any], rules: list[dict[str, Any]], findings: list[dict[str, Any]],
         rows: list[dict[str, Any]], history: dict[str, Any] | None, report: str | None,
         env: Mapping[str, str] | None = None) -> list[str]:
    """Annotation lines to print; appends the job summary to ``$GITHUB_STEP_SUMMARY`` when set."""
    env = env if env is not None else os.environ
    lines = annotation_lines(findings, workspace=env.get("GITHUB_WORKSPACE"), report=report,
                             systematic=summary.get("systematic"))
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(job_summary(summary, rules, findings, rows, history, report) + "\n")
    return lines
