"""The per-row checks on Spark: one pass per partition over the engine-free check function.

Each partition's rows go through :func:`auditor.partitions.check_partition` (``mapInPandas``);
the pass writes, per check, a boolean ``fails`` column that GX judges natively and a column
with the pickled detail of the rows that have one. The same pass makes the batch checks'
compact per-row features (:class:`~auditor.partitions.PartitionFeature`: stem counts, hashed
words) from the partition's one text analysis, pickled into :data:`FEATURES_COLUMN` of the
partition's first row (features gathered to the driver), or into a column of the feature's
own (:func:`feature_column`: the story grouping's, which stay on Spark). The result is cached, so GX's jobs, the gathering of details and of
features read it instead of running the checks again.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from auditor.contracts import passes
from auditor.expectations.base import spark_fails_column
from auditor.partitions import PartitionFeature, RowCheck, check_partition
from auditor.spilled import PartsOnDisk, SpilledSequence

ROW_COLUMN = "__auditor_row"
"""The row's position in the batch: the identity GX reports failing rows by, beside the id."""
FEATURES_COLUMN = "__auditor_features"
"""Per Arrow batch of a partition, on its first row: the pickled ``{feature key: features}``
of its rows (keyed by row position); empty on every other row."""

_warmed: set[str] = set()


def detail_column(key: str) -> str:
    return spark_fails_column(key).replace("__auditor_fails_", "__auditor_detail_")


def feature_column(key: str) -> str:
    """The column of a feature the batch check judges on Spark itself (not gathered to the
    driver): per Arrow batch, on its first row, the pickled features of its rows, or
    ``FAILED_FEATURE`` when they failed."""
    return spark_fails_column(key).replace("__auditor_fails_", "__auditor_feature_")


FAILED_FEATURE = b""


def _run_partitions(batches: Iterator[pd.DataFrame], checks: Sequence[RowCheck], features: Sequence[PartitionFeature],
                    distinct_values: Any, own: Sequence[PartitionFeature] = ()) -> Iterator[pd.DataFrame]:
    for check in checks:
        # Once per Python worker, with the whole batch's values (as the local workers do).
        if check.warm_up is not None and check.key not in _warmed:
            check.warm_up(distinct_values.value[check.key])
            _warmed.add(check.key)
    for rows in batches:
        # Row order within the part, so that the parts' features, ordered by their first
        # row, put together are the batch's in row order (the partitions are row ranges).
        rows = rows.sort_values(ROW_COLUMN, kind="stable").set_index(ROW_COLUMN, drop=False)
        rows.index.name = None
        details = check_partition(rows, checks, [*features, *own])
        failed = [check.key for check in checks if check.key not in details]
        if failed:
            raise RuntimeError(f"a per-row check failed on a Spark partition: {failed[0]}")
        out = rows.reset_index(drop=True)
        for check in checks:
            found = details[check.key].reindex(rows.index)
            out[spark_fails_column(check.key)] = [not passes(d) if d is not None and d == d else False
                                                   for d in found.to_numpy()]
            out[detail_column(check.key)] = [pickle.dumps(d) if isinstance(d, dict) else None
                                             for d in found.to_numpy()]
        if features:
            # A feature that raised is left out here, and so for the batch (see gathered_features).
            made = {feature.key: details[feature.key] for feature in features if feature.key in details}
            out[FEATURES_COLUMN] = [pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)] + [None] * (len(out) - 1)
        for feature in own:
            made = (pickle.dumps(details[feature.key], protocol=pickle.HIGHEST_PROTOCOL) if feature.key in details
                    else FAILED_FEATURE)
            out[feature_column(feature.key)] = [made] + [None] * (len(out) - 1)
        yield out


def with_detail_columns(frame, checks: Sequence[RowCheck], distinct_values: dict[str, pd.Series],
                        features: Sequence[PartitionFeature] = (), own: Sequence[PartitionFeature] = ()):
    """``frame`` (a Spark DataFrame with :data:`ROW_COLUMN`, partitioned by row ranges) with
    every check's ``fails`` and detail columns, the features column when there are
    ``features`` (gathered to the driver), and a column of its own (:func:`feature_column`)
    for each of ``own`` (features a batch check judges on Spark), cached."""
    from pyspark.sql.types import BinaryType, BooleanType, StructField, StructType

    if not checks and not features and not own:
        return frame.cache()
    fields = list(frame.schema.fields)
    for check in checks:
        fields.append(StructField(spark_fails_column(check.key), BooleanType(), False))
        fields.append(StructField(detail_column(check.key), BinaryType(), True))
    if features:
        fields.append(StructField(FEATURES_COLUMN, BinaryType(), True))
    for feature in own:
        fields.append(StructField(feature_column(feature.key), BinaryType(), True))
    checks, features, own = list(checks), list(features), list(own)
    shared = frame.sparkSession.sparkContext.broadcast(distinct_values)
    checked = frame.mapInPandas(lambda batches: _run_partitions(batches, checks, features, shared, own),
                                StructType(fields))
    return checked.cache()


DEFAULT_MAX_FINDINGS = 50_000
"""Per-row check details (one finding each, or one per part) gathered to the driver at most;
those beyond are made into findings by Spark and written beside the results."""


@dataclass
class Cut:
    """Where the details gathered to the driver end: entries (row position, check number) up
    to ``(row, check)`` were gathered; ``beyond`` more were not. ``row`` None: all were."""

    row: int | None = None
    check: int = -1
    beyond: int = 0

    def gathered(self, row, check: int):
        """Whether the entry (``row``, ``check``) was gathered (``row`` may be a Spark column)."""
        if self.row is None:
            return True
        return (row < self.row) | ((row == self.row) & (check <= self.check)) if not isinstance(row, int) else \
            (row < self.row or (row == self.row and check <= self.check))


def _entries(checked, checks: Sequence[RowCheck]):
    """Every (row, check number, detail) of the checked frame, one Spark row each, from one
    scan of the cache (a union of one select per check scanned it once per check)."""
    from pyspark.sql import functions as F

    listed = F.array(*[F.when(F.col(detail_column(check.key)).isNotNull(),
                              F.struct(F.lit(number).alias("check"), F.col(detail_column(check.key)).alias("detail")))
                       for number, check in enumerate(checks)])
    return (checked.select(F.col(ROW_COLUMN).alias("row"), F.explode(F.filter(listed, lambda entry: entry.isNotNull())).alias("entry"))
            .select("row", "entry.check", "entry.detail"))


def gathered_details(checked, checks: Sequence[RowCheck],
                     max_findings: int | None = DEFAULT_MAX_FINDINGS) -> tuple[dict[str, pd.Series], Cut]:
    """Per check, the details of the rows that have one (a problem or a note), by row position:
    only these rows travel to the driver, as findings do; at most ``max_findings`` of them, the
    first by (row, check), and where they end."""
    from pyspark.sql import functions as F

    if not checks:
        return {}, Cut()
    entries = _entries(checked, checks)
    cut = Cut()
    if max_findings is None:
        rows = entries.collect()
    else:
        rows = entries.orderBy("row", "check").limit(int(max_findings) + 1).collect()
        if len(rows) > max_findings:
            rows = rows[:max_findings]
            last = rows[-1] if rows else None
            cut = Cut(row=int(last["row"]) if last else -1, check=int(last["check"]) if last else -1)
            cut.beyond = entries.where(~cut.gathered(F.col("row"), F.col("check"))).count()
    per_check: dict[int, tuple[list, list]] = {number: ([], []) for number in range(len(checks))}
    for row in rows:
        positions, details = per_check[row["check"]]
        positions.append(int(row["row"]))
        details.append(pickle.loads(bytes(row["detail"])))
    gathered = {}
    for number, check in enumerate(checks):
        positions, details = per_check[number]
        order = np.argsort(np.asarray(positions, dtype=np.int64), kind="stable")
        gathered[check.key] = pd.Series([details[at] for at in order], index=np.asarray(positions, dtype=np.int64)[order],
                                        dtype=object)
    return gathered, cut


def write_findings_beyond(checked, checks: Sequence[RowCheck], cut: Cut, reported: dict[str, list],
                          path: str, id_column: str, source_column: str, position_column: str) -> None:
    """The findings of the details beyond ``cut``, made in the workers as the driver makes
    them (:func:`auditor.findings.findings_of`, on the partition's rows) and written by Spark
    as text part files in the folder ``path``, one finding a line in the form
    :mod:`auditor.spark.beyond` reads back. One scan of the cache: each row with a detail
    beyond the cut once, with every check's detail of it. ``reported``: per check key, the
    (rule, column, expectation type) that report it."""
    from functools import reduce

    from pyspark.sql import functions as F

    numbered = [(number, check) for number, check in enumerate(checks) if reported.get(check.key)]
    if not numbered:
        return
    beyond = {number: F.col(detail_column(check.key)).isNotNull() & ~cut.gathered(F.col(ROW_COLUMN), F.lit(number))
              for number, check in numbered}
    values = sorted({check.column for _, check in numbered})
    rows = (checked.where(reduce(lambda left, right: left | right, beyond.values()))
            .select(F.col(ROW_COLUMN).alias("row"), F.col(f"`{id_column}`").alias("id"),
                    F.col(source_column).alias("source"), F.col(position_column).alias("position"),
                    *[F.col(f"`{column}`").alias(f"value {at}") for at, column in enumerate(values)],
                    # A gathered detail is left out: the driver made its findings.
                    *[F.when(beyond[number], F.col(detail_column(check.key))).alias(f"detail {number}")
                      for number, check in numbered]))
    made = [(number, f"value {values.index(check.column)}", check.column, reported[check.key]) for number, check in numbered]
    rows.mapInPandas(lambda batches: _findings_lines(batches, made), "value string").write.mode("overwrite").text(path)


def _findings_lines(batches: Iterator[pd.DataFrame], made: list[tuple[int, str, str, list]]):
    """Per Arrow batch of rows, the findings of every check's details (each unpickled once)."""
    import json

    from auditor.findings import findings_of
    from auditor.mapping import Batch
    from auditor.spark.beyond import finding_line
    from auditor.validate import ExpectationOutcome

    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
    for part in batches:
        lines: list[str] = []
        for number, value, column, reporting in made:
            rows = part[part[f"detail {number}"].notna()].reset_index(drop=True)
            if rows.empty:
                continue
            details = [pickle.loads(bytes(detail)) for detail in rows[f"detail {number}"]]
            fallback = rows["source"].astype(str) + ":" + rows["position"].astype(str)
            batch = Batch(data=pd.DataFrame({column: rows[value].astype(object).where(rows[value].notna(), None)}),
                          rows=pd.DataFrame({"row_id": rows["id"].where(rows["id"].notna(), fallback),
                                             "source": rows["source"], "position": rows["position"]}))
            result = {"unexpected_index_list": [at for at, detail in enumerate(details) if not passes(detail)],
                      "details": {str(at): detail for at, detail in enumerate(details)}}
            # What orders the findings as the driver's collect does: batch row, and whether a note.
            where = {(source, int(position)): (int(row), detail.get("level") == "info")
                     for source, position, row, detail in zip(rows["source"], rows["position"], rows["row"], details)}
            for rule, reported_column, expectation in reporting:
                outcome = ExpectationOutcome(rule_id=rule.id, column=reported_column, expectation=expectation,
                                             success=False, result=result)
                lines.extend(finding_line(*where[(finding["source"], finding["position"])], encoder.encode(finding))
                             for finding in findings_of(outcome, rule, batch))
        yield pd.DataFrame({"value": lines})


class SpilledFeatures:
    """The batch checks' features gathered to the driver, waiting on its disk (each Arrow
    batch's parts, a file per feature, placed by the batch's first row): a feature is put
    together (its ``combine``) only when its check is judged, so the driver never holds every
    feature of the batch at once (a million rows' were about 3.5 GB). Holds the features
    present in every Arrow batch; the others failed on some partition and are left out."""

    def __init__(self, folder: Path):
        self.parts = PartsOnDisk(folder)
        self.cells = 0

    def add(self, row: int, cell: bytes) -> None:
        for key, part in pickle.loads(cell).items():
            self.parts.add(key, [part], order=row)
        self.cells += 1

    def __contains__(self, key: str) -> bool:
        return self.cells > 0 and self.parts.count(key) == self.cells

    def __getitem__(self, key: str) -> SpilledSequence:
        if key not in self:
            raise KeyError(key)
        return self.parts.load(key)


def gathered_features(checked, features: Sequence[PartitionFeature], folder: Path) -> SpilledFeatures:
    """The batch's features (one pickled cell per Arrow batch, never the rows' text), streamed
    to the driver a partition at a time (``toLocalIterator``: collecting them at once held them
    all in the driver JVM's heap beside the cache, OOM at 100k rows) and kept in ``folder``
    until each check puts its own together (:func:`combined`)."""
    from pyspark.sql import functions as F

    spilled = SpilledFeatures(folder)
    if not features:
        return spilled
    for row in checked.where(F.col(FEATURES_COLUMN).isNotNull()).select(ROW_COLUMN, FEATURES_COLUMN).toLocalIterator():
        spilled.add(int(row[ROW_COLUMN]), bytes(row[FEATURES_COLUMN]))
    return spilled


def combined(feature: PartitionFeature, spilled: SpilledFeatures) -> Any:
    """A feature's parts put together by its ``combine`` in row order."""
    parts = spilled[feature.key]
    if not parts.rows_index.is_monotonic_increasing:
        raise RuntimeError(f"{feature.key}: the Spark partitions are not row ranges; "
                           "their features cannot be put together in row order")
    return feature.combine(parts)
