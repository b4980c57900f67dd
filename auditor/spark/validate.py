"""Validate a batch with the rules' suite through GX's Spark engine.

Row checks are worked out per partition (:mod:`auditor.spark.row_checks`) and GX judges their
cached ``fails`` columns; its own built-ins run natively on the Spark frame. GX reports
failing rows by :data:`~auditor.spark.row_checks.ROW_COLUMN` and the id column
(``unexpected_index_column_names``), which are turned back into batch positions, so the
outcomes are what :func:`auditor.validate.run_validation` gives and findings, JUnit and the
report are made from them unchanged.

Not distributed yet (issue 15): the batch-level checks (story groups, label consistency) are
worked out on the driver from the batch; their verdicts are handed to GX as known results.
``body-without-furniture``'s batch input (the lines repeated across rows) is worked out on the
driver's whole column, as on pandas, and shipped with the check to the partitions.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd

from auditor.errors import AuditorError
from auditor.expectations.base import AuditorBatchExpectation, AuditorColumnMapExpectation
from auditor.expectations.precomputed import known_results
from auditor.partitions import DEFAULT_PARTITION_ROWS
from auditor.rules import RuleSet
from auditor.spark.row_checks import ROW_COLUMN, gathered_details, with_detail_columns
from auditor.spark.session import spark_session
from auditor.text.analysis import analyse_frame
from auditor.validate import RESULT_FORMAT, ExpectationOutcome, ValidationOutcome, _context, _exception_message, build_suite

ID_COLUMN = "id"


def _spark_frame(spark, data: pd.DataFrame):
    """The batch as a Spark frame: every value as text (None where empty), plus its position.
    Text columns stay as they are; other values are written as pandas would print them."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    if ID_COLUMN not in data.columns:
        raise AuditorError("--engine spark needs an id column to name rows by (map one with 'columns: {id: …}' in the rules)")
    columns = {}
    for name in data.columns:
        values = data[name].astype(object)
        columns[name] = [None if value is None or (isinstance(value, float) and math.isnan(value))
                         else value if isinstance(value, str) else str(value) for value in values]
    frame = pd.DataFrame(columns, columns=list(data.columns))
    frame[ROW_COLUMN] = range(len(frame))
    schema = StructType([*(StructField(name, StringType(), True) for name in data.columns),
                         StructField(ROW_COLUMN, LongType(), False)])
    partitions = max(spark.sparkContext.defaultParallelism, math.ceil(len(frame) / DEFAULT_PARTITION_ROWS))
    return spark.createDataFrame(frame, schema=schema).repartition(partitions)


def _driver_side(suite, data: pd.DataFrame) -> dict[str, Any]:
    """The checks not distributed yet, on the driver's batch: the batch-level verdicts (see the
    module's docstring)."""
    known: dict[str, Any] = {}
    analyses: dict[tuple[str, ...], Any] = {}
    for expectation in suite.expectations:
        if not isinstance(expectation, AuditorBatchExpectation):
            continue
        metric, value_kwargs = expectation.metric, expectation.value_kwargs()
        key = metric.result_key(value_kwargs)
        if key in known:
            continue
        analysis = None
        if metric.reads_text:
            text_columns = tuple(value_kwargs.get("text_columns") or ())
            if text_columns not in analyses:
                analyses[text_columns] = analyse_frame(data, list(text_columns))
            analysis = analyses[text_columns]
        known[key] = metric.verdict(data, analysis, value_kwargs)
    return known


def run_spark_validation(ruleset: RuleSet, data: pd.DataFrame, master: str | None = None) -> ValidationOutcome:
    started = time.perf_counter()
    context = _context()
    suite, outcomes = build_suite(ruleset, list(data.columns))
    if not suite.expectations:
        return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started)
    spark = spark_session(master)
    steps: dict[str, float] = {}
    row_checks = {}
    for expectation in suite.expectations:
        if isinstance(expectation, AuditorColumnMapExpectation):
            if not expectation.metric.partitionable:
                raise AuditorError(f"{expectation.expectation_type} cannot run on Spark yet; use --engine pandas")
            check = expectation.metric.row_check(expectation.column, expectation.value_kwargs())
            row_checks.setdefault(check.key, check)
    # A check's batch inputs (the furniture check's repeated lines) are worked out once on the
    # driver's whole column, before the partitions, as on pandas.
    checks = [check.prepared(data[check.column][data[check.column].notnull()]) for check in row_checks.values()]
    frame = _spark_frame(spark, data)
    distinct = {check.key: pd.Series(data[check.column].dropna().unique(), dtype=object)
                for check in checks if check.warm_up is not None}
    checked = with_detail_columns(frame, checks, distinct)
    try:
        step = time.perf_counter()
        known = gathered_details(checked, checks)  # runs the partitions once and fills the cache
        steps["row checks"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        known.update(_driver_side(suite, data))
        steps["batch checks"] = round(time.perf_counter() - step, 3)
        result = _gx_validate(context, suite, checked, known, steps)
    finally:
        checked.unpersist()
    for expectation_result in result.results:
        config = expectation_result.expectation_config
        error = _exception_message(expectation_result.exception_info or {})
        outcomes.append(ExpectationOutcome(
            rule_id=config.meta["rule_id"], column=config.kwargs.get("column", ""), expectation=config.type,
            success=bool(expectation_result.success) and error is None,
            result=_positions(dict(expectation_result.result or {})), error=error,
        ))
    return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started,
                             gx_result=result, steps=steps)


def _gx_validate(context, suite, checked, known: dict[str, Any], steps: dict[str, float]):
    suite = context.suites.add(suite)
    batch = (
        context.data_sources.add_spark("aggregator_output", persist=False)
        .add_dataframe_asset("batch")
        .add_batch_definition_whole_dataframe("whole_batch")
        .get_batch(batch_parameters={"dataframe": checked})
    )
    step = time.perf_counter()
    with known_results.provided(known):
        result = batch.validate(suite, result_format={**RESULT_FORMAT,
                                                      "unexpected_index_column_names": [ID_COLUMN, ROW_COLUMN]})
        unused = set(known) - known_results.used
    if unused:
        raise RuntimeError(f"results worked out before the validation were not used by GX: {sorted(unused)[:3]}")
    steps["gx"] = round(time.perf_counter() - step, 3)
    return result


def _positions(result: dict[str, Any]) -> dict[str, Any]:
    """GX on Spark names failing rows by their index columns; the findings take them by position."""
    for name in ("unexpected_index_list", "partial_unexpected_index_list"):
        listed = result.get(name)
        if listed and isinstance(listed[0], dict):
            positions = []
            for entry in listed:
                value = entry[ROW_COLUMN]
                positions.extend(int(item) for item in (value if isinstance(value, list) else [value]))
            result[name] = sorted(positions)
    result.pop("unexpected_index_column_names", None)
    return result
