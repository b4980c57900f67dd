"""Compile the rules to a GX ExpectationSuite and run it on a batch with GX's pandas engine."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import auditor.expectations  # noqa: F401  (registers the auditor's expectations before any suite exists)
import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.registry import get_expectation_impl

from auditor.expectations.base import AuditorBatchExpectation, AuditorColumnMapExpectation
from auditor.expectations.precomputed import known_results
from auditor.partitions import DEFAULT_PARTITION_ROWS, PartitionFeature, RowCheck, RowCheckRun
from auditor.rules import RuleSet, expectation_kwargs
from auditor.text.analysis import analyse_frame

# GX fingerprints every batch under 1 GB by hashing every cell; on 100k articles that
# is most of the validation time and ~600 MB, and the fingerprint is never used here.
pandas_execution_engine.HASH_THRESHOLD = 0
logging.getLogger("great_expectations").setLevel(logging.ERROR)

SUITE_NAME = "auditor"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    # Article text never travels through GX results (and so never into Data Docs):
    # findings take values from the batch by row index.
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}


@dataclass
class ExpectationOutcome:
    rule_id: str
    column: str
    expectation: str
    success: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class ValidationOutcome:
    outcomes: list[ExpectationOutcome]
    suite: Any
    gx_seconds: float
    gx_result: Any = None
    steps: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, int] = field(default_factory=dict)  # the main process's peak after a step

    def release_details(self) -> None:
        """Drop the failing rows' details from the results once the findings are made of them:
        nothing reads them again (the Data Docs show figures), and a million rows' details
        held to the end of the run were a large part of its peak."""
        results = getattr(self.gx_result, "results", None) or []
        for item in [*self.outcomes, *results]:
            if isinstance(getattr(item, "result", None), dict):
                item.result.pop("details", None)


def build_suite(ruleset: RuleSet, columns: list[str]) -> tuple[gx.ExpectationSuite, list[ExpectationOutcome]]:
    """The GX suite for the rules; rules on columns the batch lacks come back as errors instead."""
    suite = gx.ExpectationSuite(name=SUITE_NAME)
    missing: list[ExpectationOutcome] = []
    for rule in ruleset.rules:
        expectation_class = get_expectation_impl(rule.expectation)
        for column in rule.columns:
            if column not in columns:
                missing.append(ExpectationOutcome(
                    rule.id, column, rule.expectation, success=False,
                    error=f"column {column!r} is not in the input (columns: {', '.join(columns[:15])})",
                ))
                continue
            kwargs = expectation_kwargs(rule, column, ruleset.taxonomy, expectation_class)
            suite.add_expectation(expectation_class(**kwargs, meta={"rule_id": rule.id, "severity": rule.severity}))
    return suite, missing


def _context() -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


class GxValidator:
    """GX's pandas engine in one ephemeral context, validating suites on frames (the whole
    batch, or its chunks one after another) with results worked out before known."""

    def __init__(self) -> None:
        self.context = _context()
        self._definition = (
            self.context.data_sources.add_pandas("aggregator_output")
            .add_dataframe_asset("batch")
            .add_batch_definition_whole_dataframe("whole_batch")
        )
        self._suites: dict[str, Any] = {}

    def validate(self, suite: gx.ExpectationSuite, data: pd.DataFrame, known: dict[str, Any]) -> Any:
        if suite.name not in self._suites:
            self._suites[suite.name] = self.context.suites.add(suite)
        batch = self._definition.get_batch(batch_parameters={"dataframe": data})
        with known_results.provided(known):
            # Batch.validate, not ValidationDefinition.run: the latter also stores the full result,
            # deep-copying and serialising every finding's details (50 s of 77 s on 100k rows
            # with 66k findings), for a store this ephemeral context throws away.
            result = batch.validate(self._suites[suite.name], result_format=RESULT_FORMAT)
            unused = set(known) - known_results.used
        _forget_batch(batch)
        if unused:
            raise RuntimeError(f"results worked out before the validation were not used by GX: {sorted(unused)[:3]}")
        return result


def _forget_batch(batch: Any) -> None:
    """Let GX's execution engine drop the frame it validated and the metrics it worked out on it.

    The engine keeps both (its batch manager's batches and their data; its metric cache: every
    row's details, conditions over whole columns) until the next validation replaces them, so
    an audit in chunks held the previous chunk's texts and details while reading the next one
    (about 700 MB a 50,000-row chunk). GX has a public call for the batches only; the data and
    metric caches are attributes its 1.x engines keep, and were they gone, a run here would
    only be larger, not wrong.
    """
    engine = getattr(getattr(batch, "data", None), "execution_engine", None)
    manager = getattr(engine, "batch_manager", None)
    if manager is not None:
        manager.reset_batch_cache()
    for holder in (getattr(manager, "_batch_data_cache", None), getattr(engine, "_metric_cache", None)):
        if isinstance(holder, dict):
            holder.clear()


def outcome_of(expectation_result: Any) -> ExpectationOutcome:
    config = expectation_result.expectation_config
    error = _exception_message(expectation_result.exception_info or {})
    return ExpectationOutcome(
        rule_id=config.meta["rule_id"],
        column=config.kwargs.get("column", ""),
        expectation=config.type,
        success=bool(expectation_result.success) and error is None,
        result=dict(expectation_result.result or {}),
        error=error,
    )


def run_validation(ruleset: RuleSet, data: pd.DataFrame, workers: int = 1,
                   partition_rows: int = DEFAULT_PARTITION_ROWS) -> ValidationOutcome:
    """Validate ``data`` with the rules' suite. The auditor's per-row checks run first, on row
    partitions in ``workers`` processes, while the batch-level checks run here; GX then
    validates with those results known (:mod:`auditor.expectations.precomputed`)."""
    started = time.perf_counter()
    validator = GxValidator()  # a suite is made within a context
    suite, outcomes = build_suite(ruleset, list(data.columns))
    if not suite.expectations:
        return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started)
    known, steps = _work_out_checks(suite, data, workers, partition_rows)
    validating = time.perf_counter()
    result = validator.validate(suite, data, known)
    steps["gx"] = round(time.perf_counter() - validating, 3)
    outcomes.extend(outcome_of(expectation_result) for expectation_result in result.results)
    return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started,
                             gx_result=result, steps=steps)


@dataclass
class AuditorChecks:
    """The auditor's own checks in a suite, as the row partitions and the batch steps run them
    (each engine refuses what it cannot run)."""

    row_checks: dict[str, RowCheck] = field(default_factory=dict)  # by result key
    # Per-row checks that read the whole batch inside GX (partitionable = False), as expectations.
    unpartitionable: list[Any] = field(default_factory=list)
    features: dict[str, PartitionFeature] = field(default_factory=dict)  # those the columns allow, by key
    # (metric, value kwargs, feature or None, expectation) per batch-level check
    batch_checks: list[tuple[Any, dict[str, Any], Any, Any]] = field(default_factory=list)


def auditor_checks(suite: gx.ExpectationSuite, columns: list[str]) -> AuditorChecks:
    found = AuditorChecks()
    for expectation in suite.expectations:
        if isinstance(expectation, AuditorColumnMapExpectation):
            if not expectation.metric.partitionable:
                found.unpartitionable.append(expectation)
                continue
            check = expectation.metric.row_check(expectation.column, expectation.value_kwargs())
            found.row_checks.setdefault(check.key, check)
        elif isinstance(expectation, AuditorBatchExpectation):
            metric, value_kwargs = expectation.metric, expectation.value_kwargs()
            feature = metric.partition_feature(value_kwargs)
            if feature is not None and set(feature.columns) <= set(columns):
                found.features.setdefault(feature.key, feature)
            found.batch_checks.append((metric, value_kwargs, feature, expectation))
    return found


def _work_out_checks(suite: gx.ExpectationSuite, data: pd.DataFrame, workers: int,
                     partition_rows: int) -> tuple[dict[str, Any], dict[str, float]]:
    """The results of the auditor's own checks in the suite, by result key: the per-row ones
    from the row partitions; the batch-level ones here, from the per-row features the
    partitions made for them (or, for a check that makes none, from the batch meanwhile).
    A check that raises is left out, so that GX runs it again and reports the error on its
    expectation."""
    found = auditor_checks(suite, list(data.columns))
    row_checks, features, batch_checks = found.row_checks, found.features, found.batch_checks
    steps: dict[str, float] = {}
    known: dict[str, Any] = {}
    started = time.perf_counter()
    run = RowCheckRun(data, list(row_checks.values()), workers=workers, partition_rows=partition_rows,
                      features=list(features.values()))
    try:
        analyses: dict[tuple[str, ...], Any] = {}
        for metric, value_kwargs, feature, _ in batch_checks:
            if feature is None or feature.key not in features:
                _batch_verdict(known, metric, value_kwargs, data, analyses)
        analyses.clear()
        meanwhile = time.perf_counter() - started
        gathered = run.details()
        partitions_done = time.perf_counter()
        # From the start: the partitions ran beside the batch checks above.
        steps["row partitions"] = round(partitions_done - started, 3)
        for metric, value_kwargs, feature, _ in batch_checks:
            if feature is not None and feature.key in gathered:
                _batch_verdict(known, metric, value_kwargs, data, analyses, gathered[feature.key])
        steps["batch checks"] = round(meanwhile + time.perf_counter() - partitions_done, 3)
        for feature in features:
            gathered.pop(feature, None)
        known.update(gathered)
    finally:
        run.close()
    return known, steps


def _batch_verdict(known: dict[str, Any], metric: Any, value_kwargs: dict[str, Any], data: pd.DataFrame,
                   analyses: dict[tuple[str, ...], Any], features: Any = None) -> None:
    key = metric.result_key(value_kwargs)
    if key in known:
        return
    analysis = None
    if metric.reads_text and features is None:
        text_columns = tuple(value_kwargs.get("text_columns") or ())
        if text_columns not in analyses:
            analyses[text_columns] = analyse_frame(data, list(text_columns))
        analysis = analyses[text_columns]
    try:
        known[key] = metric.verdict(data, analysis, value_kwargs, features)
    except Exception:  # noqa: BLE001  (GX runs it again and reports it)
        pass


def _exception_message(exception_info: dict) -> str | None:
    """GX catches exceptions inside metrics and reports them here; they must not pass as plain failures."""
    infos = exception_info.values() if "raised_exception" not in exception_info else [exception_info]
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = (info.get("exception_message") or "unknown error").strip().splitlines()
            return message[-1] if message else "unknown error"
    return None
