"""Turn GX validation results into findings, per-rule figures and per-row statuses.

This is the contract behind ``results.json``: one finding per failing row and rule (or
one per part, when a check found several separate problems in one value: a detail with
``parts``), every input row listed with its status, and a summary a CI job can gate on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.loaders import UnreadableRow
from auditor.mapping import Batch
from auditor.rules import SEVERITIES, RuleSet, severity_at
from auditor.validate import ExpectationOutcome

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
VALUE_LIMIT = 300
READABLE_RULE = {
    "id": "row-readable",
    "severity": "error",
    "description": "Every input row can be read (complete JSON line, object in a JSON array).",
    "expectation": "(loader)",
}
DETAIL_KEYS = ("suggestion", "score", "confidence", "evidence", "snippet", "span", "lines")


@dataclass
class AuditResult:
    summary: dict[str, Any]
    rules: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    files: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # Rows that tell one story (from the story check): [{"story", "rows": [row ids], "label"}]
    stories: list[dict[str, Any]] | None = None

    @property
    def rule_errors(self) -> list[dict[str, Any]]:
        return [rule for rule in self.rules if rule.get("error")]


def fails_at(severity: str, fail_on: str) -> bool:
    return fail_on != "never" and SEVERITY_RANK[severity] >= SEVERITY_RANK[fail_on]


def _shorten(value: Any) -> Any:
    """Values in findings are capped, so a 5 MB body does not make a 5 MB finding."""
    if isinstance(value, str) and len(value) > VALUE_LIMIT:
        return value[: VALUE_LIMIT - 1] + "…"
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def _builtin_message(outcome: ExpectationOutcome, value: Any, duplicates: dict[str, int]) -> str:
    if outcome.expectation == "expect_column_values_to_not_be_null":
        return f"{outcome.column} is empty"
    if outcome.expectation == "expect_column_values_to_be_unique":
        return f"{outcome.column} {value!r} is used by {duplicates.get(value, 2)} rows"
    return f"{outcome.column} value {_shorten(value)!r} does not meet {outcome.expectation}"


def _findings_of(outcome: ExpectationOutcome, rule, batch: Batch) -> list[dict[str, Any]]:
    details: dict[str, dict] = outcome.result.get("details") or {}
    # Rows that pass with a note (e.g. "not enough text to judge") become info findings.
    notes = [int(index) for index, detail in details.items() if detail.get("level") == "info"]
    indexes = list(outcome.result.get("unexpected_index_list") or []) + notes
    if not indexes:
        return []
    column_values = batch.data[outcome.column]
    duplicates: dict[str, int] = {}
    if outcome.expectation == "expect_column_values_to_be_unique":
        duplicates = column_values.value_counts().to_dict()
    row_ids, sources, positions = (batch.rows[c].to_numpy() for c in ("row_id", "source", "position"))
    findings = []
    for index in indexes:
        index = int(index)
        value = column_values.iat[index]
        detail = details.get(str(index), {})
        severity = "info" if detail.get("level") == "info" else severity_at(rule, detail.get("confidence"))
        if severity is None:
            continue  # less sure than the rule's lowest confidence level: no finding
        if rule.message:
            message = rule.message.format(column=outcome.column, value=_shorten(value))
        else:
            message = detail.get("message") or _builtin_message(outcome, value, duplicates)
        finding = {
            "rule": rule.id,
            "severity": severity,
            "row_id": str(row_ids[index]),
            "source": str(sources[index]),
            "position": int(positions[index]),
            "column": outcome.column,
            "value": _shorten(value),
            "message": message,
        }
        finding.update({key: detail[key] for key in DETAIL_KEYS if detail.get(key) is not None})
        _name_rows(finding, row_ids)
        parts = detail.get("parts") if not rule.message else None
        if isinstance(parts, list) and parts:
            # Several separate problems in one value (e.g. a donation box and a teaser in
            # one body): one finding each, so an editor sees and fixes them one by one.
            for part in parts:
                findings.append({
                    **finding,
                    # A part may be only a note ("may belong to another story") next to real problems.
                    "severity": "info" if part.get("level") == "info" else finding["severity"],
                    "message": part.get("message") or message,
                    **{key: part[key] for key in DETAIL_KEYS if part.get(key) is not None},
                })
        else:
            findings.append(finding)
    return findings


def _name_rows(finding: dict[str, Any], row_ids) -> None:
    """Batch checks point at other rows by batch position; the editor knows them by row id."""
    evidence = finding.get("evidence")
    if not isinstance(evidence, dict) or not isinstance(evidence.get("rows"), list):
        return
    named = [str(row_ids[int(position)]) for position in evidence["rows"]]
    finding["evidence"] = {**evidence, "rows": named}
    if "{rows}" in finding["message"]:
        listed = ", ".join(named)
        finding["message"] = finding["message"].replace("{rows}", f"row {listed}" if len(named) == 1 else f"rows {listed}")


def _stories(outcomes: list[ExpectationOutcome], batch: Batch) -> list[dict[str, Any]] | None:
    """The story groups a check reported, with row ids and the first row's title as label."""
    reported = [outcome.result["stories"] for outcome in outcomes if isinstance(outcome.result.get("stories"), list)]
    if not reported:
        return None
    row_ids = batch.rows["row_id"].to_numpy()
    titles = batch.data["title"].to_numpy() if "title" in batch.data.columns else None
    stories = []
    for group in reported[0]:
        positions = [int(position) for position in group["rows"]]
        first_title = titles[positions[0]] if titles is not None else None
        label = f"{group['story']}: {_shorten(first_title)}" if isinstance(first_title, str) else str(group["story"])
        stories.append({
            "story": group["story"],
            "rows": [str(row_ids[position]) for position in positions],
            "positions": positions,
            "label": label[:80],
        })
    return stories


def counts_for_gate(finding: dict[str, Any]) -> bool:
    """Findings an editor has not waived count for the gates (issue 12 adds waivers)."""
    return finding.get("status", "open") == "open"


def _gate(rule, findings: list[dict[str, Any]], evaluated: int) -> dict[str, Any]:
    """A rule with a confidence gate fails when too many of its rows are wrong with enough confidence."""
    floor, max_share = rule.gate["min_confidence"], rule.gate["max_share"]
    rows = {(finding["source"], finding["position"]) for finding in findings
            if finding["rule"] == rule.id and counts_for_gate(finding) and (finding.get("confidence") or 0.0) >= floor}
    share = len(rows) / evaluated if evaluated else 0.0
    return {"min_confidence": floor, "max_share": max_share, "rows": len(rows), "share": round(share, 4),
            "passed": share <= max_share}


def _rule_entry(rule, outcomes: list[ExpectationOutcome], fail_on: str,
                findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    evaluated = unexpected = 0
    errors = [f"{o.column}: {o.error}" for o in outcomes if o.error]
    for outcome in outcomes:
        result = outcome.result
        evaluated += int(result.get("element_count", 0)) - int(result.get("missing_count", 0) or 0)
        unexpected += int(result.get("unexpected_count", 0) or 0)
    passed = not errors and all(o.success for o in outcomes)
    gate = _gate(rule, findings or [], evaluated) if rule.gate and not errors else None
    if gate is not None:
        # The run's verdict follows the gate; GX's own success (every judged row passes) stays in Data Docs.
        passed = gate["passed"]
    entry = {
        "id": rule.id,
        "severity": rule.severity,
        "description": rule.description,
        "expectation": rule.expectation,
        "columns": list(rule.columns),
        "passed": passed,
        "status": "error" if errors else ("passed" if passed else "failed"),
        "evaluated": evaluated,
        "unexpected": unexpected,
        "unexpected_percent": round(100.0 * unexpected / evaluated, 3) if evaluated else 0.0,
        "gates": fails_at(rule.severity, fail_on),
    }
    if gate is not None:
        entry["gate"] = gate
    if errors:
        entry["error"] = "; ".join(errors)
    notes = [outcome.result["note"] for outcome in outcomes if outcome.result.get("note")]
    if notes:
        # A check that chose not to judge (e.g. a batch too small to learn from) says why.
        entry["note"] = "; ".join(notes)
    return entry


def collect(
    ruleset: RuleSet,
    batch: Batch,
    outcomes: list[ExpectationOutcome],
    unreadable: list[UnreadableRow],
    fail_on: str = "error",
) -> AuditResult:
    by_rule: dict[str, list[ExpectationOutcome]] = {}
    for outcome in outcomes:
        by_rule.setdefault(outcome.rule_id, []).append(outcome)

    findings: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for rule in ruleset.rules:
        rule_outcomes = by_rule.get(rule.id, [])
        rule_findings = [finding for outcome in rule_outcomes for finding in _findings_of(outcome, rule, batch)]
        rules.append(_rule_entry(rule, rule_outcomes, fail_on, rule_findings))
        findings.extend(rule_findings)

    unreadable_findings = [
        {
            "rule": READABLE_RULE["id"],
            "severity": READABLE_RULE["severity"],
            "row_id": f"{row.source}:{row.position}",
            "source": row.source,
            "position": row.position,
            "column": None,
            "value": None,
            "message": row.reason,
        }
        for row in unreadable
    ]
    findings.extend(unreadable_findings)
    total_rows = len(batch.rows) + len(unreadable)
    rules.append({
        **READABLE_RULE,
        "columns": [],
        "passed": not unreadable,
        "status": "passed" if not unreadable else "failed",
        "evaluated": total_rows,
        "unexpected": len(unreadable),
        "unexpected_percent": round(100.0 * len(unreadable) / total_rows, 3) if total_rows else 0.0,
        "gates": fails_at(READABLE_RULE["severity"], fail_on),
    })

    rows = _row_statuses(batch, findings, unreadable)
    stories = _stories(outcomes, batch)
    for story in stories or []:
        for position in story.pop("positions"):
            rows[position]["story"] = story["story"]
    return AuditResult(summary=_summary(rows, findings, rules, fail_on), rules=rules, rows=rows, findings=findings,
                       stories=stories)


def _row_statuses(batch: Batch, findings: list[dict[str, Any]], unreadable: list[UnreadableRow]) -> list[dict[str, Any]]:
    per_row: dict[tuple[str, int], list[str]] = {}
    for finding in findings:
        per_row.setdefault((finding["source"], finding["position"]), []).append(finding["severity"])
    rows = []
    articles = zip(batch.rows.itertuples(index=False, name=None), batch.data[["title", "url", "category"]].itertuples(index=False, name=None))
    for (row_id, source, position), (title, url, category) in articles:
        severities = per_row.get((source, int(position)), [])
        worst = max(severities, key=SEVERITY_RANK.__getitem__) if severities else None
        rows.append({
            "row_id": str(row_id),
            "source": source,
            "position": int(position),
            "title": _shorten(title),
            "url": _shorten(url),
            "category": _shorten(category),
            # Info findings are notes ("not enough text to judge"): they do not fail a row.
            "status": "failed" if worst in ("error", "warning") else "passed",
            "worst_severity": worst,
            "findings": len(severities),
        })
    for row in unreadable:
        rows.append({
            "row_id": f"{row.source}:{row.position}",
            "source": row.source,
            "position": row.position,
            "status": "not_checked",
            "worst_severity": READABLE_RULE["severity"],
            "findings": 1,
            "reason": row.reason,
        })
    return rows


def _summary(rows, findings, rules, fail_on: str) -> dict[str, Any]:
    per_severity = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        per_severity[finding["severity"]] += 1
    failing_rules = [rule["id"] for rule in rules if not rule["passed"]]
    gating_rules = [rule["id"] for rule in rules if not rule["passed"] and rule["gates"]]
    return {
        "rows": len(rows),
        "rows_passed": sum(1 for row in rows if row["status"] == "passed"),
        "rows_with_findings": sum(1 for row in rows if row["status"] == "failed"),
        "rows_not_checked": sum(1 for row in rows if row["status"] == "not_checked"),
        "findings": len(findings),
        "findings_per_severity": per_severity,
        "rules": len(rules),
        "rules_failed": failing_rules,
        "fail_on": fail_on,
        "gating_rules_failed": gating_rules,
        "rules_with_errors": [rule["id"] for rule in rules if rule.get("error")],
        "passed": not gating_rules,
    }

