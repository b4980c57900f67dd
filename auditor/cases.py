"""Executable examples of the rules: ``rules/cases/<rule-id>.yaml``.

Each case is an input row (or a small batch) as the aggregator writes it and what the
rule must say of it: pass, fail (with a part of the message, the snippet, the
suggestion, the span) or an info note. The tests run every case through the real
pipeline (load, map, GX validation, findings) and ``auditor rules explain`` prints them,
so the documentation of a rule cannot drift from what it does.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import RulesError
from auditor.resources import default_cases_dir
from auditor.rules import RuleSet
from auditor.yamldoc import load_validated, where


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    expect: str
    rows: tuple[dict[str, Any], ...]
    row_id: str
    column: str | None = None
    message: str | None = None
    snippet: str | None = None
    suggestion: str | None = None
    span: tuple[int, int] | None = None
    args: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    @property
    def row(self) -> dict[str, Any]:
        return next(row for row in self.rows if str(row.get("id")) == self.row_id)


def _plain(value: Any) -> Any:
    """ruamel's round-trip nodes as plain JSON-able values."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def load_cases(rule_id: str, folder: Path | None = None) -> list[Case]:
    """The cases of ``rule_id``; a rule without a cases file has none."""
    file = (folder or default_cases_dir()) / f"{rule_id}.yaml"
    if not file.exists():
        return []
    document = load_validated(file, "cases")
    if str(document["rule"]) != rule_id:
        raise RulesError(f"{where(file, document, ['rule'])}: the file is for rule {document['rule']!r}, "
                         f"but is named for {rule_id!r}")
    cases = []
    for position, entry in enumerate(document["cases"]):
        origin = where(file, document, ["cases", position])
        rows = [_plain(row) for row in (entry["rows"] if "rows" in entry else [entry["row"]])]
        for number, row in enumerate(rows, start=1):
            row.setdefault("id", f"case-{position + 1}-{number}")
        row_id = str(entry.get("row_id", rows[0]["id"]))
        if row_id not in {str(row["id"]) for row in rows}:
            raise RulesError(f"{origin}: row_id {row_id!r} names no row of the case")
        span = entry.get("span")
        cases.append(Case(
            rule=rule_id, name=str(entry["name"]), expect=str(entry["expect"]), rows=tuple(rows), row_id=row_id,
            column=entry.get("column"), message=entry.get("message"), snippet=entry.get("snippet"),
            suggestion=entry.get("suggestion"), span=tuple(span) if span else None,
            args=_plain(entry.get("args") or {}), origin=origin,
        ))
    return cases


def ruleset_for(ruleset: RuleSet, case: Case) -> RuleSet:
    """The rules with only the case's rule, its arguments overridden by the case's."""
    rule = ruleset.get(case.rule)
    if rule is None:
        raise RulesError(f"{case.origin}: no rule {case.rule!r} in the rules")
    rule = dataclasses.replace(rule, args={**rule.args, **case.args})
    return dataclasses.replace(ruleset, rules=(rule,))


def run_case(ruleset: RuleSet, case: Case) -> list[dict[str, Any]]:
    """The findings of the case's rule for the case's row, through the whole pipeline."""
    from auditor.findings import collect
    from auditor.loaders import load_inputs
    from auditor.mapping import build_batch
    from auditor.validate import run_validation

    rules = ruleset_for(ruleset, case)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in case.rows), encoding="utf-8")
        loaded = load_inputs([path])
        batch = build_batch(loaded, rules.column_mapping)
        outcome = run_validation(rules, batch.data)
        result = collect(rules, batch, outcome.outcomes, loaded.unreadable)
    errors = [rule for rule in result.rules if rule.get("error")]
    if errors:
        raise RulesError(f"{case.origin}: the rule could not run: {errors[0]['error']}")
    return [finding for finding in result.findings
            if finding["rule"] == case.rule and finding["row_id"] == case.row_id
            and (case.column is None or finding["column"] == case.column)]


def mismatch(case: Case, findings: list[dict[str, Any]]) -> str | None:
    """What in ``findings`` contradicts the case, or None when the rule said what the case expects."""
    if case.expect == "pass":
        return None if not findings else f"expected a pass, got: {findings[0]['message']}"
    wanted = "info" if case.expect == "note" else None
    candidates = [f for f in findings if (f["severity"] == "info") == (wanted == "info")]
    if not candidates:
        got = findings[0]["message"] if findings else "no finding"
        return f"expected a {'note' if wanted else 'failure'}, got: {got}"
    problems = []
    for finding in candidates:
        problems = []
        if case.message and case.message not in finding["message"]:
            problems.append(f"message {finding['message']!r} lacks {case.message!r}")
        if case.snippet is not None and finding.get("snippet") != case.snippet:
            problems.append(f"snippet {finding.get('snippet')!r} is not {case.snippet!r}")
        if case.suggestion is not None and finding.get("suggestion") != case.suggestion:
            problems.append(f"suggestion {finding.get('suggestion')!r} is not {case.suggestion!r}")
        if case.span is not None and tuple(finding.get("span") or ()) != case.span:
            problems.append(f"span {finding.get('span')!r} is not {list(case.span)!r}")
        if not problems:
            return None
    return "; ".join(problems)


def describe(case: Case, column: str | None, reverse_mapping: dict[str, str]) -> str:
    """One line showing the case's input: the checked field's value, shortened."""
    row = case.row
    key = reverse_mapping.get(column or "", column) if column else None
    title = reverse_mapping.get("title", "title")
    if key and key in row:
        shown = f"{key}: {row[key]}"
        if key != title and title in row:
            shown = f"{title}: {row[title]} | {shown}"
    else:
        shown = ", ".join(f"{k}: {v}" for k, v in row.items() if k != "id")
    shown = " ".join(str(shown).split())
    more = f" (and {len(case.rows) - 1} more rows)" if len(case.rows) > 1 else ""
    return (shown if len(shown) <= 160 else shown[:159] + "…") + more
