"""What changed between two runs, as terminal text and as markdown (``auditor diff``)."""

from __future__ import annotations

from typing import Any

from auditor.annotations import markdown_text

SHOWN = 20


def _run_label(run: dict[str, Any]) -> str:
    ident = run.get("id")
    name = f"run #{ident}" if isinstance(ident, int) else str(ident)
    figures = []
    if run.get("started_at"):
        figures.append(str(run["started_at"]))
    if run.get("rows") is not None:
        figures.append(f"{run['rows']} rows")
    if run.get("findings") is not None:
        figures.append(f"{run['findings']} findings")
    return f"{name} ({', '.join(figures)})" if figures else name


def _one_line(finding: dict[str, Any]) -> str:
    column = f" [{finding['column']}]" if finding.get("column") else ""
    title = f" «{finding['title']}»" if finding.get("title") else ""
    message = " ".join(str(finding.get("message") or "").split())
    return f"{finding.get('severity', ''):<7} {finding.get('rule')}  {finding.get('row_id')}{column}{title}: {message}"


def changes_text(changes: dict[str, Any], shown: int = SHOWN) -> str:
    counts = changes["counts"]
    lines = [
        f"from {_run_label(changes['baseline'])}",
        f"  to {_run_label(changes['current'])}",
        f"new: {counts['new']}, fixed: {counts['fixed']}, still open: {counts['still_open']}",
    ]
    if changes["per_rule"]:
        lines.append("")
        width = max(len(entry["rule"]) for entry in changes["per_rule"])
        for entry in changes["per_rule"]:
            lines.append(f"  {entry['rule']:<{width}}  {entry['severity']:<7}  +{entry['new']:<5} -{entry['fixed']}")
    for kind, sign in (("new", "+"), ("fixed", "-")):
        items = changes[kind]
        if not items:
            continue
        lines.append("")
        lines.append(f"{kind} ({len(items)}{f', first {shown} shown' if len(items) > shown else ''}):")
        lines.extend(f"  {sign} {_one_line(finding)}" for finding in items[:shown])
    return "\n".join(lines)


def changes_markdown(changes: dict[str, Any], shown: int = 200) -> str:
    counts = changes["counts"]
    lines = [
        f"# Audit changes: {markdown_text(_run_label(changes['baseline']), 200)} → {markdown_text(_run_label(changes['current']), 200)}",
        "",
        f"**{counts['new']} new**, **{counts['fixed']} fixed**, {counts['still_open']} still open.",
        "",
    ]
    if changes["per_rule"]:
        lines += ["| rule | severity | new | fixed |", "|---|---|---:|---:|"]
        lines += [f"| `{markdown_text(e['rule'], 80)}` | {e['severity']} | {e['new']} | {e['fixed']} |" for e in changes["per_rule"]]
        lines.append("")
    for kind in ("new", "fixed"):
        items = changes[kind]
        if not items:
            continue
        lines += [f"## {kind.capitalize()} ({len(items)})", "", "| severity | rule | row | column | title | message |",
                  "|---|---|---|---|---|---|"]
        for finding in items[:shown]:
            lines.append(f"| {finding.get('severity')} | `{markdown_text(finding.get('rule'), 80)}` | {markdown_text(finding.get('row_id'), 60)} | "
                         f"{markdown_text(finding.get('column') or '', 40)} | {markdown_text(finding.get('title') or '', 80)} | "
                         f"{markdown_text(finding.get('message'), 200)} |")
        if len(items) > shown:
            lines.append(f"\n… and {len(items) - shown} more (see the JSON diff).")
        lines.append("")
    return "\n".join(lines)
