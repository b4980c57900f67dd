"""Declarative rules: load the YAML, check it, and describe each rule.

A rules file names the taxonomy it uses, maps source columns to canonical fields, and
lists rules. Each rule runs one GX expectation (a built-in by its snake_case name, or
one of the auditor's own) on one or more columns.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import RulesError
from auditor.taxonomy import Taxonomy, load_taxonomy
from auditor.yamldoc import load_validated, where

SEVERITIES = ("error", "warning", "info")

CANONICAL_FIELDS = (
    "id", "url", "title", "body", "published_at", "category", "cause", "location", "sources", "publisher",
)

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    severity: str
    expectation: str
    columns: tuple[str, ...]
    args: dict[str, Any] = field(default_factory=dict)
    mostly: float | None = None
    message: str | None = None
    origin: str = ""  # "file:line", for error messages


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    column_mapping: dict[str, str]
    taxonomy: Taxonomy | None
    sources: tuple[Path, ...]

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


def known_expectation_names() -> dict[str, type]:
    """Every expectation GX knows, built-in and the auditor's own, by snake_case name."""
    import auditor.expectations  # noqa: F401  (registers the auditor's own with GX)
    from great_expectations.expectations.registry import _registered_expectations

    return dict(_registered_expectations)


def _rule_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        rule_files = [p for p in files if _top_level_keys(p) & {"rules"}]
        if not rule_files:
            raise RulesError(f"{path}: no rules file (a YAML file with a top-level 'rules:' list) in this folder")
        return rule_files
    if not path.exists():
        raise RulesError(f"{path}: no such file or folder; pass an existing rules file or folder with --rules")
    return [path]


def _top_level_keys(file: Path) -> set[str]:
    keys = set()
    try:
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            if line and not line[0].isspace() and not line.startswith("#") and ":" in line:
                keys.add(line.split(":", 1)[0].strip())
    except OSError:
        pass
    return keys


def load_rules(path: Path | None = None) -> RuleSet:
    """Load and check every rules file at ``path`` (a file or a folder; default: the shipped rules)."""
    path = path or DEFAULT_RULES_DIR
    known = known_expectation_names()
    rules: list[Rule] = []
    mapping: dict[str, str] = {}
    taxonomy: Taxonomy | None = None
    files = _rule_files(path)
    for file in files:
        document = load_validated(file, "rules")
        for source, target in (document.get("columns") or {}).items():
            mapping[str(source)] = str(target)
        if document.get("taxonomy"):
            taxonomy_file = (file.parent / str(document["taxonomy"])).resolve()
            if not taxonomy_file.exists():
                raise RulesError(f"{where(file, document, ['taxonomy'])}: taxonomy file {taxonomy_file} does not exist")
            taxonomy = load_taxonomy(taxonomy_file)
        for position, entry in enumerate(document["rules"]):
            rules.append(_rule(file, document, position, entry, known, rules))
    ruleset = RuleSet(rules=tuple(rules), column_mapping=mapping, taxonomy=taxonomy, sources=tuple(files))
    _check_expectation_args(ruleset, known)
    return ruleset


def _rule(file: Path, document: Any, position: int, entry: dict, known: dict, previous: list[Rule]) -> Rule:
    origin = where(file, document, ["rules", position])
    rule_id = str(entry["id"])
    if any(rule.id == rule_id for rule in previous):
        raise RulesError(f"{origin}: rule id {rule_id!r} is used twice; rule ids must be unique")
    name = str(entry["expectation"])
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"; closest known: {', '.join(close)}" if close else "; see 'auditor rules expectations'"
        raise RulesError(f"{where(file, document, ['rules', position, 'expectation'])}: unknown expectation {name!r}{hint}")
    if "column" in entry:
        columns = (str(entry["column"]),)
    elif "columns" in entry:
        columns = tuple(str(column) for column in entry["columns"])
    else:
        raise RulesError(f"{origin}: rule {rule_id!r} names no 'column' or 'columns' to check")
    return Rule(
        id=rule_id,
        description=str(entry["description"]).strip(),
        severity=str(entry["severity"]),
        expectation=name,
        columns=columns,
        args=dict(entry.get("args") or {}),
        mostly=float(entry["mostly"]) if "mostly" in entry else None,
        message=str(entry["message"]) if "message" in entry else None,
        origin=origin,
    )


def expectation_kwargs(rule: Rule, column: str, taxonomy: Taxonomy | None, expectation_class: type) -> dict[str, Any]:
    """The keyword arguments of the GX expectation that runs ``rule`` on ``column``."""
    kwargs: dict[str, Any] = {"column": column, **rule.args}
    if rule.mostly is not None:
        kwargs["mostly"] = rule.mostly
    if getattr(expectation_class, "needs_taxonomy", False) and "known_labels" not in kwargs and taxonomy is not None:
        kwargs["known_labels"] = taxonomy.known_labels()
    return kwargs


def _check_expectation_args(ruleset: RuleSet, known: dict[str, type]) -> None:
    """Build each expectation once so that bad arguments fail here, with the rule's line."""
    from great_expectations.compatibility.pydantic import ValidationError

    for rule in ruleset.rules:
        expectation_class = known[rule.expectation]
        if getattr(expectation_class, "needs_taxonomy", False) and ruleset.taxonomy is None and "known_labels" not in rule.args:
            raise RulesError(f"{rule.origin}: rule {rule.id!r} needs a taxonomy; add 'taxonomy: FILE' to the rules file")
        for column in rule.columns:
            try:
                expectation_class(**expectation_kwargs(rule, column, ruleset.taxonomy, expectation_class))
            except ValidationError as error:
                first = error.errors()[0]
                field_name = ".".join(str(part) for part in first.get("loc", ())) or "args"
                raise RulesError(
                    f"{rule.origin}: rule {rule.id!r}: argument {field_name!r} of {rule.expectation}: {first.get('msg')}"
                ) from None
            except (TypeError, ValueError) as error:
                raise RulesError(f"{rule.origin}: rule {rule.id!r}: invalid arguments for {rule.expectation}: {error}") from None
