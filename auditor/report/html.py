"""``report.html``: one self-contained page for editors, rendered from a Jinja2 template."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.findings import SEVERITY_RANK, AuditResult

MAX_ARTICLES_SHOWN = 500


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("auditor.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def articles_with_findings(result: AuditResult) -> list[dict[str, Any]]:
    """Rows with findings, worst first (most errors, then most warnings, then input order)."""
    rows = {(row["source"], row["position"]): row for row in result.rows}
    grouped: dict[tuple[str, int], list[dict]] = {}
    for finding in result.findings:
        grouped.setdefault((finding["source"], finding["position"]), []).append(finding)
    articles = []
    for order, (key, findings) in enumerate(grouped.items()):
        row = rows.get(key, {})
        findings.sort(key=lambda f: -SEVERITY_RANK[f["severity"]])
        counts = {severity: sum(1 for f in findings if f["severity"] == severity) for severity in SEVERITY_RANK}
        url = row.get("url") or ""
        articles.append({
            "row": row,
            # Only web links become links: a `javascript:` URL from the data must stay text.
            "link": url if url.lower().startswith(("http://", "https://")) else None,
            "findings": findings,
            "counts": counts,
            "worst": findings[0]["severity"],
            "sort_key": (-counts["error"], -counts["warning"], -counts["info"], order),
        })
    articles.sort(key=lambda article: article["sort_key"])
    return articles


def render_html(result: AuditResult, run_info: dict[str, Any]) -> str:
    articles = articles_with_findings(result)
    summary = result.summary
    share_passed = 100.0 * summary["rows_passed"] / summary["rows"] if summary["rows"] else 100.0
    return _environment().get_template("report.html.j2").render(
        run=run_info,
        summary=summary,
        share_passed=share_passed,
        rules=result.rules,
        articles=articles[:MAX_ARTICLES_SHOWN],
        articles_total=len(articles),
        files=result.files,
    )
