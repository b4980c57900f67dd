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

from auditor.rules import RuleSet, expectation_kwargs

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


def run_validation(ruleset: RuleSet, data: pd.DataFrame) -> ValidationOutcome:
    started = time.perf_counter()
    context = _context()
    suite, outcomes = build_suite(ruleset, list(data.columns))
    if not suite.expectations:
        return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started)
    suite = context.suites.add(suite)
    batch = (
        context.data_sources.add_pandas("aggregator_output")
        .add_dataframe_asset("batch")
        .add_batch_definition_whole_dataframe("whole_batch")
        .get_batch(batch_parameters={"dataframe": data})
    )
    # Batch.validate, not ValidationDefinition.run: the latter also stores the full result,
    # deep-copying and serialising every finding's details (50 s of 77 s on 100k rows
    # with 66k findings), for a store this ephemeral context throws away.
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    for expectation_result in result.results:
        config = expectation_result.expectation_config
        exception = expectation_result.exception_info or {}
        error = _exception_message(exception)
        outcomes.append(ExpectationOutcome(
            rule_id=config.meta["rule_id"],
            column=config.kwargs.get("column", ""),
            expectation=config.type,
            success=bool(expectation_result.success) and error is None,
            result=dict(expectation_result.result or {}),
            error=error,
        ))
    return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started, gx_result=result)


def _exception_message(exception_info: dict) -> str | None:
    """GX catches exceptions inside metrics and reports them here; they must not pass as plain failures."""
    infos = exception_info.values() if "raised_exception" not in exception_info else [exception_info]
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = (info.get("exception_message") or "unknown error").strip().splitlines()
            return message[-1] if message else "unknown error"
    return None
