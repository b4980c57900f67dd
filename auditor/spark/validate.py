"""Validate a batch with the rules' suite through GX's Spark engine.

Row checks are worked out per partition (:mod:`auditor.spark.row_checks`) and GX judges their
cached ``fails`` columns; its own built-ins run natively on the Spark frame. GX reports
failing rows by :data:`~auditor.spark.row_checks.ROW_COLUMN` and the id column
(``unexpected_index_column_names``), which are turned back into batch positions, so the
outcomes are what :func:`auditor.validate.run_validation` gives and findings, JUnit and the
report are made from them unchanged.

The batch-level checks (story groups, label consistency) judge the compact per-row features
the same partition pass made. The story groups are found on Spark from them
(:mod:`auditor.spark.stories`: vocabulary by aggregation, MinHash band keys exploded and
grouped, cosines by joins), and only the kept pairs reach the driver; label consistency's
features are gathered to the driver (:func:`~auditor.spark.row_checks.gathered_features`),
which never analyses the batch's text for them. Their verdicts are handed to GX as known
results. ``body-without-furniture``'s batch input (the lines more than one row
holds) is a Spark aggregation over the rows' line hashes, shipped with the check to the
partitions.

What still reaches the driver: label consistency's features (per row: hashed word counts),
the story grouping's stem table (the vocabulary, broadcast back) and kept pairs, and the short cells of every row (:meth:`auditor.spark.read.SparkBatch.verdict_frame`);
GX's lists of failing rows (id and position per failing row and expectation); at most
``max_findings`` per-row check details.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from auditor.errors import AuditorError
from auditor.expectations.base import AuditorColumnMapExpectation
from auditor.expectations.precomputed import known_results
from auditor.rules import RuleSet
from auditor.spark.beyond import FindingsBeyond
from auditor.spark.read import ID_COLUMN, POSITION_COLUMN, SOURCE_COLUMN, SparkBatch, from_pandas_batch
from auditor.spark.row_checks import (
    DEFAULT_MAX_FINDINGS,
    ROW_COLUMN,
    SpilledFeatures,
    combined,
    feature_column,
    gathered_details,
    gathered_features,
    with_detail_columns,
    write_findings_beyond,
)
from auditor.spark.session import spark_session
from auditor.spark.stories import grouped_on_spark, story_groups
from auditor.validate import (RESULT_FORMAT, ExpectationOutcome, ValidationOutcome, _context, _exception_message,
                              auditor_checks, build_suite)

def _prepared(check, source: SparkBatch):
    """``check`` with its batch inputs worked out on Spark. The furniture check's (the counts
    of lines more than one row holds) are a map over the partitions (each row's distinct line
    hashes), a count per hash and the few hashes held by more than one row, gathered: the
    same numbers the pandas path counts on the whole column."""
    if check.batch_input is None:
        return check
    from auditor.text.furniture.detect import batch_inputs as furniture_inputs

    if check.batch_input is not furniture_inputs:
        raise AuditorError(f"{check.key}: its batch input cannot be worked out on Spark yet; use --engine pandas")
    from pyspark.sql import functions as F

    from auditor.text.furniture import load_furniture
    from auditor.text.furniture.repeats import line_hashes

    limits = load_furniture(check.settings.patterns).repeats

    def hashes(batches):
        for part in batches:
            per_row = line_hashes(part[check.column].tolist(), limits)
            found = np.concatenate(list(per_row.values())) if per_row else np.zeros(0, dtype=np.uint64)
            yield pd.DataFrame({"line": found.astype(np.uint64).view(np.int64)})

    counted = (source.frame.select(F.col(f"`{check.column}`").alias(check.column)).mapInPandas(hashes, "line long")
               .groupBy("line").count().where(F.col("count") > 1).collect())
    lines = np.asarray([row["line"] for row in counted], dtype=np.int64).view(np.uint64)
    counts = pd.Series(np.asarray([row["count"] for row in counted], dtype=np.int64), index=pd.Index(lines, dtype="uint64"))
    return dataclasses.replace(check, batch_inputs={"line_counts": counts.sort_index()})


def _distinct_values(source: SparkBatch, column: str) -> pd.Series:
    """A column's distinct non-empty values, for a check's warm-up (the places to look up)."""
    from pyspark.sql import functions as F

    values = source.frame.select(F.col(f"`{column}`").alias("v")).where(F.col("v").isNotNull()).distinct().collect()
    return pd.Series([row["v"] for row in values], dtype=object)


def _batch_checks(suite, columns) -> tuple[list[tuple[Any, dict[str, Any], Any]], dict[str, Any]]:
    """The suite's batch-level checks (metric, value kwargs, feature) and the features the
    partitions make for them. On Spark every batch check judges features: one that makes none
    cannot run here."""
    found = auditor_checks(suite, columns)
    for _, _, feature, expectation in found.batch_checks:
        if feature is None:
            raise AuditorError(f"{expectation.expectation_type} cannot run on Spark yet; use --engine pandas")
    return [(metric, value_kwargs, feature) for metric, value_kwargs, feature, _ in found.batch_checks], found.features


def _batch_verdicts(batch_checks, source: SparkBatch, gathered: SpilledFeatures, checked,
                    steps: dict[str, float]) -> dict[str, Any]:
    """The batch-level verdicts from the partitions' features, on the driver's frame of short
    cells (labels, places; the long texts' columns empty). The story groups are found on Spark
    (:func:`auditor.spark.stories.story_groups`, from the features in the ``checked`` frame),
    and the verdict is made from them; the other checks judge the features ``gathered`` to the
    driver. A check whose features are missing (they failed on a partition) or whose verdict
    raises is left out: GX then reports it as an error on its expectation."""
    from auditor.batch.stories import FoundGroups

    known: dict[str, Any] = {}
    data = source.verdict_frame()
    for metric, value_kwargs, feature in batch_checks:
        key = metric.result_key(value_kwargs)
        if key in known:
            continue
        if grouped_on_spark(feature):
            step = time.perf_counter()
            try:
                found = story_groups(checked, feature_column(feature.key), feature.settings, source.rows, steps)
            except Exception:  # noqa: BLE001  (GX reports it)
                continue
            finally:
                steps["story groups"] = round(steps.get("story groups", 0.0) + time.perf_counter() - step, 3)
            features = FoundGroups(index=pd.RangeIndex(source.rows), found=found)
        elif feature.key not in gathered:
            continue
        else:
            features = combined(feature, gathered)
        if hasattr(features, "rows_of") and features.has_text is not None:
            # The label check reads the flagged rows' texts (for its evidence words) from Spark.
            features = dataclasses.replace(features, rows_of=lambda positions: source.cells_of(positions, source.columns))
        try:
            known[key] = metric.verdict(data, None, value_kwargs, features)
        except Exception:  # noqa: BLE001  (GX reports it)
            pass
        del features  # before the next check's are put together
    return known


@dataclass
class SparkValidationOutcome(ValidationOutcome):
    """A Spark validation's outcome; ``findings_beyond``: the findings Spark wrote itself
    (beyond ``max_findings`` details), ``{"path", "findings", "details"}``, or None. When they
    were written, ``held_elsewhere`` has them without their bulky details, for
    :func:`auditor.findings.collect` to count, and ``full_finding`` reads one back in full."""

    findings_beyond: dict[str, Any] | None = None
    held_elsewhere: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    full_finding: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def run_spark_validation(ruleset: RuleSet, data: pd.DataFrame | SparkBatch, master: str | None = None,
                         max_findings: int | None = DEFAULT_MAX_FINDINGS,
                         findings_beyond: str | None = None) -> SparkValidationOutcome:
    """Validate the batch ``data`` (read by Spark, :func:`auditor.spark.read.read_inputs`, or a
    pandas frame, handed to Spark) with the rules' suite on GX's Spark engine. At most
    ``max_findings`` per-row check details reach the driver; the findings of the rest are
    written by Spark to the folder ``findings_beyond`` (when given; else only counted)."""
    started = time.perf_counter()
    context = _context()
    spark = spark_session(master)
    source = data if isinstance(data, SparkBatch) else from_pandas_batch(spark, data)
    try:
        return _validate(context, ruleset, source, started, max_findings, findings_beyond)
    finally:
        if source is not data:
            source.release()


def _validate(context, ruleset: RuleSet, source: SparkBatch, started: float, max_findings: int | None,
              findings_beyond: str | None) -> SparkValidationOutcome:
    suite, outcomes = build_suite(ruleset, list(source.columns))
    if not suite.expectations:
        return SparkValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started)
    steps: dict[str, float] = {}
    found = auditor_checks(suite, list(source.columns))
    for expectation in found.unpartitionable:
        raise AuditorError(f"{expectation.expectation_type} cannot run on Spark yet; use --engine pandas")
    row_checks = found.row_checks
    reporting: dict[str, list[tuple[str, str, str]]] = {}  # check key -> the (rule, column, type) reporting it
    for expectation in suite.expectations:
        if isinstance(expectation, AuditorColumnMapExpectation):
            key = expectation.metric.result_key(expectation.column, expectation.value_kwargs())
            reporting.setdefault(key, []).append((expectation.meta["rule_id"], expectation.column,
                                                  expectation.expectation_type))
    step = time.perf_counter()
    # A check's batch inputs (the furniture check's repeated lines) are worked out once on the
    # whole batch, before the partitions, as on pandas.
    checks = [_prepared(check, source) for check in row_checks.values()]
    distinct = {check.key: _distinct_values(source, check.column) for check in checks if check.warm_up is not None}
    steps["batch inputs"] = round(time.perf_counter() - step, 3)
    batch_checks, features = _batch_checks(suite, list(source.columns))
    # The story grouping's features stay on Spark (a column of their own); the others are
    # gathered to the driver.
    own = [feature for feature in features.values() if grouped_on_spark(feature)]
    to_driver = [feature for feature in features.values() if not grouped_on_spark(feature)]
    checked = with_detail_columns(source.frame, checks, distinct, to_driver, own)
    try:
        step = time.perf_counter()
        known, cut = gathered_details(checked, checks, max_findings)  # runs the partitions once and fills the cache
        steps["row checks"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="auditor-features-") as folder:
            gathered = gathered_features(checked, to_driver, Path(folder))
            steps["features to driver"] = round(time.perf_counter() - step, 3)
            step = time.perf_counter()
            known.update(_batch_verdicts(batch_checks, source, gathered, checked, steps))
            steps["batch checks"] = round(time.perf_counter() - step, 3)
        result = _gx_validate(context, suite, checked, known, steps)
        beyond, held = None, None
        if cut.beyond:
            beyond = {"findings": None, "details": cut.beyond, "path": None}
            if findings_beyond is not None:
                step = time.perf_counter()
                rules = {rule.id: rule for rule in ruleset.rules}
                reported = {key: [(rules[rule_id], column, kind) for rule_id, column, kind in listed]
                            for key, listed in reporting.items()}
                write_findings_beyond(checked, checks, cut, reported, findings_beyond, ID_COLUMN, SOURCE_COLUMN,
                                      POSITION_COLUMN)
                beyond["path"], held = findings_beyond, FindingsBeyond(findings_beyond)
                steps["findings beyond"] = round(time.perf_counter() - step, 3)
    finally:
        checked.unpersist()
    number_of = {check.key: number for number, check in enumerate(checks)}
    key_of = {(rule_id, column, kind): key for key, listed in reporting.items() for rule_id, column, kind in listed}
    for expectation_result in result.results:
        config = expectation_result.expectation_config
        error = _exception_message(expectation_result.exception_info or {})
        found = _positions(dict(expectation_result.result or {}))
        key = key_of.get((config.meta["rule_id"], config.kwargs.get("column", ""), config.type))
        if key is not None and cut.row is not None:
            # The rows beyond the cut are findings Spark wrote itself, not the driver's.
            found["unexpected_index_list"] = [position for position in found.get("unexpected_index_list") or []
                                              if cut.gathered(int(position), number_of[key])]
        outcomes.append(ExpectationOutcome(
            rule_id=config.meta["rule_id"], column=config.kwargs.get("column", ""), expectation=config.type,
            success=bool(expectation_result.success) and error is None, result=found, error=error,
        ))
    outcome = SparkValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - started,
                                     gx_result=result, steps=steps, findings_beyond=beyond)
    if held is not None:
        step = time.perf_counter()
        outcome.held_elsewhere, outcome.full_finding = held.held(ruleset), held.full
        beyond["findings"] = len(outcome.held_elsewhere)
        steps["findings beyond read back"] = round(time.perf_counter() - step, 3)
    return outcome


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
