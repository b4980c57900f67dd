"""Turn GX validation results into findings, per-rule figures and per-row statuses.

This is the contract behind ``results.json``: one finding per failing row and rule (or
one per part, when a check found several separate problems in one value: a detail with
``parts``), every input row listed with its status, and a summary a CI job can gate on.

When a rule fails on most rows of a column it is one *systematic* problem (an extraction
that lost a field, a template that fills it wrongly), not a hundred thousand problems for
an editor: ``systematic_problems`` says so once, with the first rows as examples, and marks
its findings, which the outputs then list on demand instead of one by one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from auditor.loaders import UnreadableRow
from auditor.mapping import Batch
from auditor.rules import SEVERITIES, SYSTEMATIC_DEFAULTS, RuleSet, severity_at
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
_SHARED_KEYS = ("suggestion", "evidence")  # words that many findings repeat (see _shared)
HELD_ELSEWHERE = "_full_at"
"""Key of a finding held on the driver without its bulky details (a Spark run's findings beyond
``--max-findings``): where its full form is, which ``AuditResult.full_finding`` reads back.
It counts everywhere; the page and results.json leave it to findings.jsonl, which writes it in full."""


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
    # What the editors' decisions did in this run (auditor.decisions.DecisionOutcome.to_dict()).
    decisions: dict[str, Any] | None = None
    # Rules that fail on most rows of a column, each reported once (see systematic_problems);
    # their findings carry "systematic": the problem's id.
    systematic: list[dict[str, Any]] = field(default_factory=list)
    # The full form of a finding marked HELD_ELSEWHERE, with what the run added to it (status,
    # waiver, systematic, new); None when every finding is held in full.
    full_finding: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def rule_errors(self) -> list[dict[str, Any]]:
        return [rule for rule in self.rules if rule.get("error")]


def fails_at(severity: str, fail_on: str) -> bool:
    return fail_on != "never" and SEVERITY_RANK[severity] >= SEVERITY_RANK[fail_on]


def counts_for_gate(finding: dict[str, Any]) -> bool:
    """Whether a finding may fail the run: every gate (``--fail-on``, a rule's gate) asks this,
    so an editor's waiver takes a finding out of all of them at once."""
    return finding.get("status", "open") == "open"


def _shorten(value: Any) -> Any:
    """Values in findings are capped, so a 5 MB body does not make a 5 MB finding."""
    if isinstance(value, str) and len(value) > VALUE_LIMIT:
        return value[: VALUE_LIMIT - 1] + "…"
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def _shared(value: Any) -> Any:
    """``value`` with its strings, in dicts and lists, replaced by one shared copy of each.

    A finding's evidence repeats the words of others (the 28 words of an other-story finding
    are 2 kB as separate strings): details come from the worker processes unpickled, each word
    a new string, and 300,000 furniture findings held 222 MB of such words, 17 MB of them distinct.
    """
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(key) if isinstance(key, str) else key: _shared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shared(item) for item in value]
    return value


def share_repeated_strings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``findings`` with the words their details repeat shared (:func:`findings_of` makes them
    so; findings pickled and read back need it again)."""
    for finding in findings:
        for key in _SHARED_KEYS:
            if key in finding:
                finding[key] = _shared(finding[key])
    return findings


def _builtin_message(outcome: ExpectationOutcome, value: Any, duplicates: dict[str, int]) -> str:
    if outcome.expectation == "expect_column_values_to_not_be_null":
        return f"{outcome.column} is empty"
    if outcome.expectation == "expect_column_values_to_be_unique":
        return f"{outcome.column} {value!r} is used by {duplicates.get(value, 2)} rows"
    return f"{outcome.column} value {_shorten(value)!r} does not meet {outcome.expectation}"


def findings_of(outcome: ExpectationOutcome, rule, batch: Batch, row_ids=None,
                 duplicates: dict[str, int] | None = None, kinds: tuple[str, ...] = ("failing", "notes")) -> list[dict[str, Any]]:
    """The findings of one expectation's result on ``batch``: its failing rows, then the
    rows that pass with a note (``kinds`` picks either). ``batch`` may be a piece of the
    batch on its own index: ``row_ids`` then name every row of the whole batch (batch checks
    point at other rows), and ``duplicates`` are the whole batch's counts of repeated values."""
    details: dict[str, dict] = outcome.result.get("details") or {}
    indexes = []
    if "failing" in kinds:
        indexes += list(outcome.result.get("unexpected_index_list") or [])
    if "notes" in kinds:
        # Rows that pass with a note (e.g. "not enough text to judge") become info findings.
        indexes += [int(index) for index, detail in details.items() if detail.get("level") == "info"]
    if not indexes:
        return []
    column_values = batch.data[outcome.column]
    first = int(batch.data.index[0]) if len(batch.data.index) else 0
    if duplicates is None:
        duplicates = {}
        if outcome.expectation == "expect_column_values_to_be_unique":
            duplicates = column_values.value_counts().to_dict()
    own_ids, sources, positions = (batch.rows[c].to_numpy() for c in ("row_id", "source", "position"))
    row_ids = own_ids if row_ids is None else row_ids
    findings = []
    for index in indexes:
        index = int(index)
        value = column_values.iat[index - first]
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
            "row_id": str(own_ids[index - first]),
            "source": str(sources[index - first]),
            "position": int(positions[index - first]),
            "column": outcome.column,
            "value": _shorten(value),
            "message": message,
            "status": "open",
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
    return share_repeated_strings(findings)


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


def _rule_gate(rule_id: str, gate: dict[str, Any], evaluated: int, findings: list[dict[str, Any]],
               only_new: bool = False) -> dict[str, Any]:
    """A rule with a confidence gate fails when too many of its rows are wrong with enough
    confidence; findings that do not count (waived; with ``only_new``, old ones) are left out."""
    floor, max_share = gate["min_confidence"], gate["max_share"]
    rows = {(finding["source"], finding["position"]) for finding in findings
            if finding["rule"] == rule_id and counts_for_gate(finding) and (not only_new or finding.get("new"))
            and (finding.get("confidence") or 0.0) >= floor}
    share = len(rows) / evaluated if evaluated else 0.0
    return {"min_confidence": floor, "max_share": max_share, "rows": len(rows), "share": round(share, 4),
            "passed": share <= max_share}


def _rule_entry(rule, outcomes: list[ExpectationOutcome], fail_on: str) -> dict[str, Any]:
    evaluated = unexpected = 0
    errors = [f"{o.column}: {o.error}" for o in outcomes if o.error]
    for outcome in outcomes:
        result = outcome.result
        evaluated += int(result.get("element_count", 0)) - int(result.get("missing_count", 0) or 0)
        unexpected += int(result.get("unexpected_count", 0) or 0)
    passed = not errors and all(o.success for o in outcomes)
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
    if rule.gate and not errors:
        # Counted, with the rule's passed and status, by gate_summary: decisions may waive findings later.
        entry["gate"] = dict(rule.gate)
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
    held_elsewhere: Sequence[dict[str, Any]] = (),
) -> AuditResult:
    """``held_elsewhere``: findings made outside this process (marked HELD_ELSEWHERE, rows of
    ``batch``), counted with the outcomes' in rows, rules, systematic problems and the summary."""
    findings: list[dict[str, Any]] = []
    for rule, outcome in rule_outcomes(ruleset, outcomes):
        findings.extend(findings_of(outcome, rule, batch))
    findings.extend(held_elsewhere)
    return assemble(ruleset, batch, outcomes, findings, unreadable, fail_on)


def rule_outcomes(ruleset: RuleSet, outcomes: list[ExpectationOutcome]) -> list[tuple[Any, ExpectationOutcome]]:
    """Each rule's outcomes, rule by rule in the rules' order: the order of the findings."""
    by_rule: dict[str, list[ExpectationOutcome]] = {}
    for outcome in outcomes:
        by_rule.setdefault(outcome.rule_id, []).append(outcome)
    return [(rule, outcome) for rule in ruleset.rules for outcome in by_rule.get(rule.id, [])]


def assemble(
    ruleset: RuleSet,
    batch: Batch,
    outcomes: list[ExpectationOutcome],
    findings: list[dict[str, Any]],
    unreadable: list[UnreadableRow],
    fail_on: str = "error",
) -> AuditResult:
    """The run's result from its findings (in the rules' order): per-rule figures, every row's
    status, the unreadable rows, story groups, systematic problems and the summary. ``batch``
    needs every row's ids and short cells (title, url, category), not its long texts."""
    by_rule: dict[str, list[ExpectationOutcome]] = {}
    for outcome in outcomes:
        by_rule.setdefault(outcome.rule_id, []).append(outcome)
    rules: list[dict[str, Any]] = [_rule_entry(rule, by_rule.get(rule.id, []), fail_on) for rule in ruleset.rules]

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
            "status": "open",
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
    systematic = systematic_problems(ruleset, findings, total_rows)
    summary = _summary(rows, findings, rules, fail_on)
    summary["systematic"] = [{key: problem[key] for key in ("id", "rule", "column", "severity", "rows", "share", "findings", "text")}
                             for problem in systematic]
    return AuditResult(summary=summary, rules=rules, rows=rows, findings=findings, stories=stories,
                       systematic=systematic)


def _share_text(share: float) -> str:
    """0.998 -> "99.8 %", 1.0 -> "100 %"; a rule that spared a few rows never reads "100 %"."""
    if share >= 1.0:
        return "100\u202f%"
    text = f"{100.0 * share:.1f}"
    return ("99.9" if text == "100.0" else text) + "\u202f%"


def _threshold(ruleset: RuleSet, rule_id: str) -> dict[str, Any] | None:
    """The rule's threshold for a systematic problem: the file's, overridden by the rule's own;
    None when the rule is never folded."""
    rule = ruleset.get(rule_id)
    own = rule.systematic if rule is not None else None
    if own is False:
        return None
    return {**SYSTEMATIC_DEFAULTS, **ruleset.systematic, **(own if isinstance(own, dict) else {})}


def systematic_problems(ruleset: RuleSet, findings: list[dict[str, Any]], rows_total: int) -> list[dict[str, Any]]:
    """Rules that fail on at least ``min_share`` of the rows (and ``min_rows`` rows) of one column.

    Each is one problem: its figures, a sentence an editor reads at the top of the report
    ("`cause` empty in 100 % of rows — likely the extraction"), and its first findings as
    examples; each of its findings is marked with the problem's id. Notes (info) never make one.
    """
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for finding in findings:
        if finding["severity"] != "info":
            groups.setdefault((finding["rule"], finding.get("column")), []).append(finding)
    problems = []
    for (rule_id, column), members in groups.items():
        threshold = _threshold(ruleset, rule_id)
        if threshold is None or not rows_total:
            continue
        rows = len({(finding["source"], finding["position"]) for finding in members})
        share = rows / rows_total
        if rows < threshold["min_rows"] or share < threshold["min_share"]:
            continue
        problem_id = f"{rule_id}:{column}" if column else rule_id
        messages: dict[str, int] = {}
        for finding in members:
            messages[finding["message"]] = messages.get(finding["message"], 0) + 1
        common, count = max(messages.items(), key=lambda item: item[1])
        where = f"`{column}`" if column else f"`{rule_id}`"
        if common == f"{column} is empty":
            said = f"{where} empty in {_share_text(share)} of rows"
        elif count >= 0.8 * len(members):
            said = f"{where}: “{_shorten(common)}” in {_share_text(share)} of rows"
        else:
            said = f"`{rule_id}` fails on {where} in {_share_text(share)} of rows"
        hint = threshold.get("hint")
        severities = {finding["severity"] for finding in members}
        for finding in members:
            finding["systematic"] = problem_id
        problems.append({
            "id": problem_id,
            "rule": rule_id,
            "column": column,
            "severity": max(severities, key=SEVERITY_RANK.__getitem__),
            "rows": rows,
            "of": rows_total,
            "share": round(share, 4),
            "findings": len(members),
            "text": f"{said} — {hint}" if hint else said,
            "hint": hint,
            "threshold": {"min_share": threshold["min_share"], "min_rows": threshold["min_rows"]},
            "examples": [{key: finding.get(key) for key in ("row_id", "source", "position", "value", "message")}
                         for finding in members[: int(threshold["examples"])]],
        })
    problems.sort(key=lambda problem: (-SEVERITY_RANK[problem["severity"]], -problem["rows"], problem["id"]))
    return problems


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
    summary = {
        "rows": len(rows),
        "rows_passed": sum(1 for row in rows if row["status"] == "passed"),
        "rows_with_findings": sum(1 for row in rows if row["status"] == "failed"),
        "rows_not_checked": sum(1 for row in rows if row["status"] == "not_checked"),
        "findings": len(findings),
        "findings_per_severity": per_severity,
        "rules": len(rules),
        "fail_on": fail_on,
        "rules_with_errors": [rule["id"] for rule in rules if rule.get("error")],
    }
    summary.update(gate_summary(rules, findings, fail_on))
    return summary


def regate(result: AuditResult, only_new: bool = False, baseline_run: int | None = None) -> None:
    """Recompute the verdict after findings changed status (decisions) or were compared with
    an earlier run (``--fail-on-new``)."""
    result.summary.update(gate_summary(result.rules, result.findings, result.summary["fail_on"], only_new, baseline_run))


def gate_summary(rules: list[dict[str, Any]], findings: list[dict[str, Any]], fail_on: str,
                 only_new: bool = False, baseline_run: int | None = None) -> dict[str, Any]:
    """Which failing rules fail the run, and a one-line verdict that says why.

    A failing rule gates when its severity is at or above ``fail_on`` and one of its findings
    still counts (``counts_for_gate``; with ``only_new``, only findings new since the baseline).
    Info findings are notes on passing rows and never count; a failed rule without any other
    finding has nothing to waive and gates as GX decided.
    """
    open_per_severity = {severity: 0 for severity in SEVERITIES}
    counting: dict[str, int] = {}
    with_findings: set[str] = set()
    waived: dict[str, int] = {}
    for finding in findings:
        rule_id = finding["rule"]
        if finding["severity"] != "info":
            with_findings.add(rule_id)
        if not counts_for_gate(finding):
            waived[rule_id] = waived.get(rule_id, 0) + 1
            continue
        open_per_severity[finding["severity"]] += 1
        if finding["severity"] != "info" and (not only_new or finding.get("new")):
            counting[rule_id] = counting.get(rule_id, 0) + 1
    gating = []
    for rule in rules:
        rule["waived"] = waived.get(rule["id"], 0)
        if rule.get("gate") and not rule.get("error"):
            # The run's verdict follows the confidence gate; GX's own success (every judged row
            # passes) stays in Data Docs. Counted on each regate: decisions may have waived findings.
            rule["gate"] = _rule_gate(rule["id"], rule["gate"], rule["evaluated"], findings, only_new)
            rule["passed"] = rule["gate"]["passed"]
            rule["status"] = "passed" if rule["passed"] else "failed"
        if rule["passed"] or not rule["gates"]:
            continue
        if rule["id"] in with_findings and not counting.get(rule["id"]):
            continue
        gating.append(rule["id"])
    figures = {
        "open_per_severity": open_per_severity,
        "findings_waived": sum(waived.values()),
        "gate": {"fail_on": fail_on, "only_new": only_new, "baseline_run": baseline_run},
        "rules_failed": [rule["id"] for rule in rules if not rule["passed"]],
        "gating_rules_failed": gating,
        "passed": not gating,
    }
    figures["verdict"] = _verdict(figures, fail_on, [rule["id"] for rule in rules if rule.get("error")])
    return figures


def _verdict(figures: dict[str, Any], fail_on: str, rule_errors: list[str]) -> dict[str, str]:
    """What the gate decided and why, in words an editor reads at the top of the report:
    a run under ``--fail-on never`` is "not gated", not "passed"."""
    counts = [f"{count} {severity}{'s' if count != 1 else ''}" for severity, count in figures["open_per_severity"].items()
              if count]
    described = ", ".join(counts) if counts else "no open findings"
    if figures["findings_waived"]:
        described += f", {figures['findings_waived']} waived"
    gate = figures["gate"]
    since = f" since run #{gate['baseline_run']}" if gate["baseline_run"] is not None else ""
    scope = f" (only new findings{since or ': no earlier run of these inputs, so all are new'})" if gate["only_new"] else ""
    if rule_errors:
        return {"state": "failed", "text": f"failed: rule{'s' if len(rule_errors) > 1 else ''} {', '.join(rule_errors)} "
                                           f"could not be evaluated; {described}"}
    if fail_on == "never":
        return {"state": "not_gated", "text": f"not gated (--fail-on never): {described}"}
    if figures["gating_rules_failed"]:
        rules = figures["gating_rules_failed"]
        return {"state": "failed", "text": f"failed at --fail-on {fail_on}{scope}: {', '.join(rules)} "
                                           f"fail{'s' if len(rules) == 1 else ''}; {described}"}
    kind = "new" if gate["only_new"] else "open"
    return {"state": "passed", "text": f"passed at --fail-on {fail_on}{scope}: no {_at_or_above(fail_on)} has "
                                       f"{kind} findings; {described}"}


def _at_or_above(fail_on: str) -> str:
    return "error rule" if fail_on == "error" else "error or warning rule"
