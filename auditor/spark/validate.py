"""Validate a batch with the rules' suite through GX's Spark engine.

Row checks are worked out per partition (:mod:`auditor.spark.row_checks`) and GX judges their
cached ``fails`` columns; its own built-ins run natively on the Spark frame. GX reports
failing rows by :data:`~auditor.spark.row_checks.ROW_COLUMN` and the id column
(``unexpected_index_column_names``), which are turned back into batch positions, so the
outcomes are what :func:`auditor.validate.run_validation` gives and findings, JUnit and the
report are made from them unchanged.

The batch-level checks (story groups, label consistency) judge the compact per-row features
the same partition pass made (:func:`~auditor.spark.row_checks.gathered_features`): only those
reach the driver, which never analyses the batch's text for them; their verdicts are handed
to GX as known results. ``body-without-furniture``'s batch input (the lines repeated across
rows) is worked out on the driver's whole column, as on pandas, and shipped with the check to
the partitions.
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
from auditor.spark.row_checks import ROW_COLUMN, gathered_details, gathered_features, with_detail_columns
from auditor.spark.session import spark_session
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
    # Row ranges, in row order: the partitions' features then put together in row order.
    return (spark.createDataFrame(frame, schema=schema).repartitionByRange(partitions, ROW_COLUMN)
            .sortWithinPartitions(ROW_COLUMN))


def _batch_checks(suite, columns) -> tuple[list[tuple[Any, dict[str, Any], Any]], dict[str, Any]]:
    """The suite's batch-level checks (metric, value kwargs, feature) and the features the
    partitions make for them. On Spark every batch check judges features: one that makes none
    cannot run here."""
    checks, features = [], {}
    for expectation in suite.expectations:
        if not isinstance(expectation, AuditorBatchExpectation):
            continue
        metric, value_kwargs = expectation.metric, expectation.value_kwargs()
        feature = metric.partition_feature(value_kwargs)
        if feature is None:
            raise AuditorError(f"{expectation.expectation_type} cannot run on Spark yet; use --engine pandas")
        if set(feature.columns) <= set(columns):
            features.setdefault(feature.key, feature)
        checks.append((metric, value_kwargs, feature))
    return checks, features


def _batch_verdicts(batch_checks, data: pd.DataFrame, gathered: dict[str, Any]) -> dict[str, Any]:
    """The batch-level verdicts from the partitions' features. A check whose features are
    missing (they failed on a partition) or whose verdict raises is left out: GX then
    reports it as an error on its expectation."""
    known: dict[str, Any] = {}
    for metric, value_kwargs, feature in batch_checks:
        key = metric.result_key(value_kwargs)
        if key in known or feature.key not in gathered:
            continue
        try:
            known[key] = metric.verdict(data, None, value_kwargs, gathered[feature.key])
        except Exception:  # noqa: BLE001  (GX reports it)
            pass
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
    batch_checks, features = _batch_checks(suite, list(data.columns))
    checked = with_detail_columns(frame, checks, distinct, list(features.values()))
    try:
        step = time.perf_counter()
        known = gathered_details(checked, checks)  # runs the partitions once and fills the cache
        steps["row checks"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        gathered = gathered_features(checked, list(features.values()))
        steps["features to driver"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        known.update(_batch_verdicts(batch_checks, data, gathered))
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
