"""Shared fixtures: the shipped rules, and a way to audit a small table through real GX."""

from __future__ import annotations

from pathlib import Path

import json
import tempfile

import pytest

from auditor.findings import AuditResult, collect
from auditor.loaders import load_inputs
from auditor.mapping import build_batch
from auditor.rules import RuleSet, load_rules
from auditor.validate import run_validation

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def default_rules() -> RuleSet:
    return load_rules()


def audit_records(ruleset: RuleSet, records: list[dict], name: str = "table.jsonl") -> AuditResult:
    """Write ``records`` to a real JSONL file, load it, validate it through GX and collect findings."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        loaded = load_inputs([path])
        batch = build_batch(loaded, ruleset.column_mapping)
        outcome = run_validation(ruleset, batch.data)
        return collect(ruleset, batch, outcome.outcomes, loaded.unreadable)


def one_rule_file(tmp_path: Path, rule_id: str, expectation: str, column: str, args: str = "{}") -> Path:
    """A rules file with the German column names and one warning rule; ``args`` is a YAML
    flow mapping (``{min_rows: 100}``)."""
    path = tmp_path / "rules.yaml"
    path.write_text(
        "columns: {Titel: title, Text: body, Vorfall: category, Ort: location, Quellen: sources}\n"
        "rules:\n"
        f"  - id: {rule_id}\n"
        f"    description: {rule_id}, alone.\n"
        "    severity: warning\n"
        f"    expectation: {expectation}\n"
        f"    column: {column}\n"
        f"    args: {args}\n",
        encoding="utf-8",
    )
    return path


def findings_of(result: AuditResult, rule: str, column: str | None = None) -> list[dict]:
    return [f for f in result.findings if f["rule"] == rule and (column is None or f["column"] == column)]


@pytest.fixture
def shared_seeds() -> Path:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is not present")
    return seeds
