"""Validate a batch with the rules' suite through GX's Spark engine.

Row checks are worked out per partition (:mod:`auditor.spark.row_checks`) and GX judges their
cached ``fails`` columns; its own built-ins run natively on the Spark frame. GX reports
failing rows by :data:`~auditor.spark.row_checks.ROW_COLUMN` and the id column
(``unexpected_index_column_names``), which are turned back into batch positions, so the
outcomes are what :func:`auditor.validate.run_validation` gives and findings, JUnit and the
report are made from them unchanged.

Not distributed yet (issue 15): the batch-level checks (story groups, label consistency) and
``body-without-furniture`` (it reads the whole batch's repeated lines) are worked out on the
driver from the batch, as on pandas; their verdicts are handed to GX as known results.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd

from auditor.errors import AuditorError
from auditor.expectations.base import AuditorBatchExpectation, AuditorColumnMapExpectation, spark_fails_column
from auditor.expectations.precomputed import known_results
from auditor.partitions import DEFAULT_PARTITION_ROWS
from auditor.rules import RuleSet
from auditor.spark.row_checks import ROW_COLUMN, gathered_details, with_detail_columns
from auditor.spark.session import spark_session
from auditor.text.analysis import analyse_frame
from auditor.validate import RESULT_FORMAT, ExpectationOutcome, ValidationOutcome, _context, _exception_message, build_suite

ID_COLUMN = "id"


def _line_counts_known(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
    return None  # body-without-furniture is worked out before GX validates (see _whole_batch_details)


def _register_spark_line_counts() -> None:
    """The furniture check's details depend on the batch's line counts; on Spark the details are
    known before GX validates, so the dependency is a placeholder there."""
    from great_expectations.core.metric_function_types import MetricFunctionTypes
    from great_expectations.execution_engine import SparkDFExecutionEngine
    from great_expectations.expectations.registry import register_metric

    from auditor.expectations.furniture import LINE_COUNTS, FurnitureLineCounts

    register_metric(metric_name=LINE_COUNTS, metric_domain_keys=FurnitureLineCounts.domain_keys,
                    metric_value_keys=FurnitureLineCounts.value_keys, execution_engine=SparkDFExecutionEngine,
                    metric_class=FurnitureLineCounts, metric_provider=_line_counts_known,
                    metric_fn_type=MetricFunctionTypes.VALUE)


_register_spark_line_counts()


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


def _driver_side(suite, data: pd.DataFrame, row_checks_on_driver) -> dict[str, Any]:
    """The checks not distributed yet, on the driver's batch: the batch-level verdicts and the
    row checks that read the whole batch (see the module's docstring)."""
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
    for expectation in row_checks_on_driver:
        known[expectation.metric.result_key(expectation.column, expectation.value_kwargs())] = _whole_batch_details(expectation, data)
    return known


def _whole_batch_details(expectation, data: pd.DataFrame) -> pd.Series:
    from auditor.expectations.base import _settings_of
    from auditor.expectations.furniture import FreeOfFurnitureMetric
    from auditor.text.furniture import find_furniture, load_furniture
    from auditor.text.furniture.repeats import batch_line_counts

    metric, column, value_kwargs = expectation.metric, expectation.column, expectation.value_kwargs()
    if metric is not FreeOfFurnitureMetric:
        raise AuditorError(f"{expectation.expectation_type} cannot run on Spark yet; use --engine pandas")
    settings = _settings_of(metric.settings, value_kwargs)
    values = data[column]
    reference = settings.reference_column
    main_texts = data[reference] if reference and reference != column and reference in data.columns else None
    counts = batch_line_counts(values.tolist(), load_furniture(value_kwargs.get("patterns")).repeats)
    details = find_furniture(values[values.notnull()], settings, main_texts=main_texts, line_counts=counts)
    return details[details.notna()]


def run_spark_validation(ruleset: RuleSet, data: pd.DataFrame, master: str | None = None) -> ValidationOutcome:
    started = time.perf_counter()
    context = _context()
    suite, outcomes = build_suite(ruleset, list(data.columns))
    if not suite.expectations:
        return ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started)
    spark = spark_session(master)
    steps: dict[str, float] = {}
    row_checks, on_driver = {}, []
    for expectation in suite.expectations:
        if isinstance(expectation, AuditorColumnMapExpectation):
            if expectation.metric.partitionable:
                check = expectation.metric.row_check(expectation.column, expectation.value_kwargs())
                row_checks.setdefault(check.key, check)
            else:
                on_driver.append(expectation)
    checks = list(row_checks.values())
    frame = _spark_frame(spark, data)
    distinct = {check.key: pd.Series(data[check.column].dropna().unique(), dtype=object)
                for check in checks if check.warm_up is not None}
    checked = with_detail_columns(frame, checks, distinct)
    try:
        step = time.perf_counter()
        known = gathered_details(checked, checks)  # runs the partitions once and fills the cache
        steps["row checks"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        known.update(_driver_side(suite, data, on_driver))
        steps["batch checks"] = round(time.perf_counter() - step, 3)
        for expectation in on_driver:
            key = expectation.metric.result_key(expectation.column, expectation.value_kwargs())
            checked = checked.withColumn(spark_fails_column(key), _fails_of(spark, known[key]))
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


def _fails_of(spark, details: pd.Series):
    """A column that fails the rows whose (driver-side) detail is a problem."""
    from pyspark.sql import functions as F

    from auditor.contracts import passes

    failing = [int(index) for index, detail in details.items() if not passes(detail)]
    return F.col(ROW_COLUMN).isin(failing) if failing else F.lit(False)


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
