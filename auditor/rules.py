"""Declarative rules: load the YAML, check it, and describe each rule.

A rules file names the taxonomy it uses, maps source columns to canonical fields, and
lists rules. Each rule runs one GX expectation (a built-in by its snake_case name, or
one of the auditor's own) on one or more columns.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import RulesError
from auditor.resources import default_rules_dir
from auditor.taxonomy import Taxonomy, load_taxonomy
from auditor.yamldoc import load_validated, where

SEVERITIES = ("error", "warning", "info")

CANONICAL_FIELDS = (
    "id", "url", "title", "body", "published_at", "category", "cause", "location", "sources", "publisher",
)

DEFAULT_RULES_DIR = default_rules_dir()
# When a rule's findings are one systematic problem, unless the rules file says otherwise
# ('systematic:' at the top or on a rule).
SYSTEMATIC_DEFAULTS = {"min_share": 0.3, "min_rows": 200, "examples": 5}


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
    explain: dict[str, str] = field(default_factory=dict)  # why / passes / fails, for built-ins
    # Severity from a finding's confidence: {"error": 0.9, "warning": 0.6}; below the lowest, no finding.
    confidence: dict[str, float] = field(default_factory=dict)
    gate: dict[str, float] | None = None  # {"min_confidence": 0.9, "max_share": 0.04}
    # This rule's threshold for a systematic problem ({"min_share", "min_rows", "hint"}),
    # or False: never folded.
    systematic: dict[str, Any] | bool | None = None
    origin: str = ""  # "file:line", for error messages
    arg_origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # arg -> "file:line"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    column_mapping: dict[str, str]
    taxonomy: Taxonomy | None
    sources: tuple[Path, ...]
    # Editors' decisions files named by 'decisions:' in a rules file, resolved beside it.
    decisions: tuple[Path, ...] = ()
    # The rules files' threshold for a systematic problem (SYSTEMATIC_DEFAULTS, as overridden).
    systematic: dict[str, Any] = field(default_factory=lambda: dict(SYSTEMATIC_DEFAULTS))

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
        for line in file.read_text(encoding="utf-8-sig", errors="replace").splitlines():
            if line and not line[0].isspace() and not line.startswith("#") and ":" in line:
                keys.add(line.split(":", 1)[0].strip().strip("'\""))
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
    decisions: list[Path] = []
    systematic = dict(SYSTEMATIC_DEFAULTS)
    files = _rule_files(path)
    for file in files:
        document = load_validated(file, "rules")
        named = document.get("decisions") or []
        decisions.extend(file.parent / str(name) for name in ([named] if isinstance(named, str) else named))
        systematic.update(document.get("systematic") or {})
        for source, target in (document.get("columns") or {}).items():
            mapping[str(source)] = str(target)
        if document.get("taxonomy"):
            taxonomy_file = (file.parent / str(document["taxonomy"])).resolve()
            if not taxonomy_file.exists():
                raise RulesError(f"{where(file, document, ['taxonomy'])}: taxonomy file {taxonomy_file} does not exist")
            taxonomy = load_taxonomy(taxonomy_file)
        for position, entry in enumerate(document["rules"]):
            rules.append(_rule(file, document, position, entry, known, rules))
    ruleset = RuleSet(rules=tuple(rules), column_mapping=mapping, taxonomy=taxonomy, sources=tuple(files),
                      decisions=tuple(decisions), systematic=systematic)
    _check_expectation_args(ruleset, known)
    return ruleset


# Keys a rule sets itself, and GX settings the auditor sets when it builds the suite:
# neither may come from 'args' (a 'column' there would silently override the rule's).
RULE_LEVEL_KEYS = ("column", "columns", "mostly", "severity", "description", "id", "explain", "message", "confidence",
                   "gate", "systematic")
# A check that says how sure it is takes the lowest confidence of a finding from the rule's levels.
CONFIDENCE_SETTING = "min_confidence"
AUDITOR_SET_KEYS = ("meta", "result_format", "catch_exceptions", "rendered_content", "batch_id", "windows")


def _rule(file: Path, document: Any, position: int, entry: dict, known: dict, previous: list[Rule]) -> Rule:
    origin = where(file, document, ["rules", position])
    rule_id = str(entry["id"])
    first = next((rule for rule in previous if rule.id == rule_id), None)
    if first is not None:
        raise RulesError(f"{origin}: rule id {rule_id!r} is used twice (first at {first.origin}); rule ids must be unique")
    name = str(entry["expectation"])
    expectation_at = where(file, document, ["rules", position, "expectation"])
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"; closest known: {', '.join(close)}" if close else "; see 'auditor rules expectations' and GX's built-in expectations"
        raise RulesError(f"{expectation_at}: rule {rule_id!r}: unknown expectation {name!r}{hint}")
    if "column" not in getattr(known[name], "domain_keys", ("column",)):
        raise RulesError(
            f"{expectation_at}: rule {rule_id!r}: {name} does not check a single column; "
            "rules run column expectations (expect_column_…) on each of 'column' or 'columns'"
        )
    args = entry.get("args") or {}
    arg_origins = {str(key): where(file, document, ["rules", position, "args", key]) for key in args}
    for key in args:
        if key in RULE_LEVEL_KEYS:
            raise RulesError(f"{arg_origins[str(key)]}: rule {rule_id!r}: set {key!r} on the rule itself, not under 'args'")
        if key == CONFIDENCE_SETTING:
            raise RulesError(f"{arg_origins[str(key)]}: rule {rule_id!r}: {key!r} comes from the rule's confidence levels; "
                             "write 'confidence: {warning: …}' on the rule instead")
        if key in AUDITOR_SET_KEYS:
            raise RulesError(f"{arg_origins[str(key)]}: rule {rule_id!r}: {key!r} is set by the auditor and cannot be given in 'args'")
    confidence, gate = _confidence_levels(file, document, position, entry, rule_id, known[name])
    if "column" in entry:
        columns = (str(entry["column"]),)
    elif "columns" in entry:
        columns = tuple(str(column) for column in entry["columns"])
    else:
        raise RulesError(f"{origin}: rule {rule_id!r} names no column to check; add 'column: NAME' or 'columns: [NAME, …]'")
    return Rule(
        id=rule_id,
        description=str(entry["description"]).strip(),
        severity=str(entry["severity"]),
        expectation=name,
        columns=columns,
        args={str(key): value for key, value in args.items()},
        mostly=float(entry["mostly"]) if "mostly" in entry else None,
        message=str(entry["message"]) if "message" in entry else None,
        explain={str(key): str(value).strip() for key, value in (entry.get("explain") or {}).items()},
        confidence=confidence,
        gate=gate,
        systematic=dict(entry["systematic"]) if isinstance(entry.get("systematic"), dict) else entry.get("systematic"),
        origin=origin,
        arg_origins=arg_origins,
    )


def _confidence_levels(file: Path, document: Any, position: int, entry: dict, rule_id: str,
                       expectation_class: type) -> tuple[dict[str, float], dict[str, float] | None]:
    """The rule's confidence levels and gate, checked against each other and the expectation."""
    levels = {str(key): float(value) for key, value in (entry.get("confidence") or {}).items()}
    at = where(file, document, ["rules", position, "confidence"]) if levels else where(file, document, ["rules", position])
    if levels and CONFIDENCE_SETTING not in getattr(expectation_class, "__fields__", {}):
        raise RulesError(f"{at}: rule {rule_id!r}: {entry['expectation']} does not say how sure it is, so its findings "
                         "cannot take a severity from 'confidence'; remove 'confidence' or use a check that reports it")
    if "error" in levels and levels["error"] < levels["warning"]:
        raise RulesError(f"{at}: rule {rule_id!r}: confidence.error ({levels['error']}) is below confidence.warning "
                         f"({levels['warning']}); errors must need more confidence than warnings")
    gate = entry.get("gate")
    if gate is None:
        return levels, None
    gate_at = where(file, document, ["rules", position, "gate"])
    if not levels:
        raise RulesError(f"{gate_at}: rule {rule_id!r}: a gate counts findings by confidence; give the rule "
                         "'confidence' levels too")
    floor = float(gate.get("min_confidence", levels.get("error", levels["warning"])))
    if floor < levels["warning"]:
        raise RulesError(f"{gate_at}: rule {rule_id!r}: gate.min_confidence ({floor}) is below confidence.warning "
                         f"({levels['warning']}); there are no findings below it to count")
    return levels, {"min_confidence": floor, "max_share": float(gate["max_share"])}


def severity_at(rule: Rule, confidence: float | None) -> str | None:
    """The severity of a finding of ``rule`` with this confidence; None below the rule's lowest level."""
    if not rule.confidence or confidence is None:
        return rule.severity
    for severity in SEVERITIES:
        if severity in rule.confidence and confidence >= rule.confidence[severity]:
            return severity
    return None


def expectation_kwargs(rule: Rule, column: str, taxonomy: Taxonomy | None, expectation_class: type) -> dict[str, Any]:
    """The keyword arguments of the GX expectation that runs ``rule`` on ``column``."""
    kwargs: dict[str, Any] = {"column": column, **rule.args}
    if rule.confidence:
        kwargs[CONFIDENCE_SETTING] = rule.confidence["warning"]
    if rule.mostly is not None:
        kwargs["mostly"] = rule.mostly
    if hasattr(expectation_class, "taxonomy_kwargs") and taxonomy is not None:
        for key, value in expectation_class.taxonomy_kwargs(taxonomy).items():
            kwargs.setdefault(key, value)
    return kwargs


def _check_expectation_args(ruleset: RuleSet, known: dict[str, type]) -> None:
    """Build each expectation once so that bad arguments fail here, with the line of the argument."""
    from great_expectations.compatibility.pydantic import ValidationError

    for rule in ruleset.rules:
        expectation_class = known[rule.expectation]
        taxonomy_args = ("known_labels", "taxonomy")
        if getattr(expectation_class, "needs_taxonomy", False) and ruleset.taxonomy is None and not any(
            key in rule.args for key in taxonomy_args
        ):
            raise RulesError(f"{rule.origin}: rule {rule.id!r} needs a taxonomy; add 'taxonomy: FILE' to the rules file")
        for column in rule.columns:
            try:
                built = expectation_class(**expectation_kwargs(rule, column, ruleset.taxonomy, expectation_class))
            except ValidationError as error:
                raise RulesError(_argument_error(rule, expectation_class, error.errors()[0])) from None
            except (TypeError, ValueError) as error:
                message = " ".join(str(error).split())
                raise RulesError(f"{rule.origin}: rule {rule.id!r}: invalid arguments for {rule.expectation}: {message}") from None
            _check_built(rule, built)


def _parameters(expectation_class: type) -> list[str]:
    """The arguments a rule can give an expectation under 'args'."""
    from great_expectations.expectations.expectation import Expectation

    hidden = set(getattr(Expectation, "__fields__", {})) | set(RULE_LEVEL_KEYS) | set(AUDITOR_SET_KEYS)
    return [name for name in getattr(expectation_class, "__fields__", {}) if name not in hidden]


def _argument_error(rule: Rule, expectation_class: type, first: dict) -> str:
    """One line for the first pydantic error GX raised on a rule's arguments."""
    location = [str(part) for part in first.get("loc", ()) if part != "__root__"]
    name = location[0] if location else None
    at = rule.arg_origins.get(name, rule.origin) if name else rule.origin
    message, kind = str(first.get("msg", "invalid")), str(first.get("type", ""))
    parameters = _parameters(expectation_class)
    if kind == "value_error.extra" and name:
        close = difflib.get_close_matches(name, parameters, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"its arguments: {', '.join(parameters) or 'none'}"
        return f"{at}: rule {rule.id!r}: {rule.expectation} has no argument {name!r}; {hint}"
    if kind == "value_error.missing" and name:
        return f"{at}: rule {rule.id!r}: {rule.expectation} needs the argument {name!r}; add it under 'args'"
    if name and name in rule.args:
        return f"{at}: rule {rule.id!r}: args.{name}: {rule.args[name]!r} is not valid for {rule.expectation} ({message})"
    return f"{at}: rule {rule.id!r}: invalid arguments for {rule.expectation}: {message}"


_SCALARS = (str, int, float, bool)


def _check_built(rule: Rule, built: Any) -> None:
    """Arguments GX accepts but silently changes or that no value can satisfy."""
    for name, given in rule.args.items():
        at = rule.arg_origins.get(name, rule.origin)
        read = getattr(built, name, given)
        if isinstance(given, _SCALARS) and isinstance(read, _SCALARS) and (given != read or isinstance(given, str) != isinstance(read, str)):
            raise RulesError(
                f"{at}: rule {rule.id!r}: args.{name}: GX would silently read {given!r} as {read!r}; write {read!r} if that is meant"
            )
    low, high = rule.args.get("min_value"), rule.args.get("max_value")
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (low, high)) and low > high:
        raise RulesError(
            f"{rule.arg_origins.get('max_value', rule.origin)}: rule {rule.id!r}: max_value {high!r} is below "
            f"min_value {low!r}; no value can pass"
        )
    patterns = [rule.args.get("regex")] + list(rule.args.get("regex_list") or [])
    for pattern in patterns:
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as error:
                key = "regex" if pattern == rule.args.get("regex") else "regex_list"
                raise RulesError(
                    f"{rule.arg_origins.get(key, rule.origin)}: rule {rule.id!r}: args.{key}: {pattern!r} is not a "
                    f"valid regular expression ({error})"
                ) from None
