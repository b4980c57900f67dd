"""The per-row checks on Spark: one pass per partition over the engine-free check function.

Each partition's rows go through :func:`auditor.partitions.check_partition` (``mapInPandas``);
the pass writes, per check, a boolean ``fails`` column that GX judges natively and a column
with the pickled detail of the rows that have one. The same pass makes the batch checks'
compact per-row features (:class:`~auditor.partitions.PartitionFeature`: stem counts, hashed
words) from the partition's one text analysis, pickled into :data:`FEATURES_COLUMN` of the
partition's first row. The result is cached, so GX's jobs, the gathering of details and of
features read it instead of running the checks again.
"""

from __future__ import annotations

import pickle
from typing import Any, Iterator, Sequence

import pandas as pd

from auditor.contracts import passes
from auditor.expectations.base import spark_fails_column
from auditor.partitions import PartitionFeature, RowCheck, check_partition

ROW_COLUMN = "__auditor_row"
"""The row's position in the batch: the identity GX reports failing rows by, beside the id."""
FEATURES_COLUMN = "__auditor_features"
"""Per Arrow batch of a partition, on its first row: the pickled ``{feature key: features}``
of its rows (keyed by row position); empty on every other row."""

_warmed: set[str] = set()


def detail_column(key: str) -> str:
    return spark_fails_column(key).replace("__auditor_fails_", "__auditor_detail_")


def _run_partitions(batches: Iterator[pd.DataFrame], checks: Sequence[RowCheck], features: Sequence[PartitionFeature],
                    distinct_values: Any) -> Iterator[pd.DataFrame]:
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
        details = check_partition(rows, checks, features)
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
        yield out


def with_detail_columns(frame, checks: Sequence[RowCheck], distinct_values: dict[str, pd.Series],
                        features: Sequence[PartitionFeature] = ()):
    """``frame`` (a Spark DataFrame with :data:`ROW_COLUMN`, partitioned by row ranges) with
    every check's ``fails`` and detail columns, and the features column when there are
    ``features``, cached."""
    from pyspark.sql.types import BinaryType, BooleanType, StructField, StructType

    if not checks and not features:
        return frame.cache()
    fields = list(frame.schema.fields)
    for check in checks:
        fields.append(StructField(spark_fails_column(check.key), BooleanType(), False))
        fields.append(StructField(detail_column(check.key), BinaryType(), True))
    if features:
        fields.append(StructField(FEATURES_COLUMN, BinaryType(), True))
    checks, features = list(checks), list(features)
    shared = frame.sparkSession.sparkContext.broadcast(distinct_values)
    checked = frame.mapInPandas(lambda batches: _run_partitions(batches, checks, features, shared), StructType(fields))
    return checked.cache()


def gathered_details(checked, checks: Sequence[RowCheck]) -> dict[str, pd.Series]:
    """Per check, the details of the rows that have one (a problem or a note), by row position:
    only these rows travel to the driver, as findings do."""
    from pyspark.sql import functions as F

    if not checks:
        return {}
    columns = [detail_column(check.key) for check in checks]
    having = None
    for column in columns:
        condition = F.col(column).isNotNull()
        having = condition if having is None else having | condition
    rows = checked.where(having).select(ROW_COLUMN, *columns).toPandas()
    gathered = {}
    for check, column in zip(checks, columns):
        present = rows[rows[column].notna()]
        gathered[check.key] = pd.Series([pickle.loads(bytes(value)) for value in present[column]],
                                        index=present[ROW_COLUMN].astype("int64").to_numpy(), dtype=object)
    return gathered


def gathered_features(checked, features: Sequence[PartitionFeature]) -> dict[str, Any]:
    """Per feature, the batch's features: the parts' (one pickled cell per Arrow batch, never
    the rows' text) gathered to the driver in row order and put together by the feature's
    ``combine``. A feature that failed on any part is left out."""
    from pyspark.sql import functions as F

    if not features:
        return {}
    rows = checked.where(F.col(FEATURES_COLUMN).isNotNull()).select(ROW_COLUMN, FEATURES_COLUMN).collect()
    parts = [pickle.loads(bytes(row[FEATURES_COLUMN])) for row in sorted(rows, key=lambda row: row[ROW_COLUMN])]
    gathered: dict[str, Any] = {}
    for feature in features:
        if parts and all(feature.key in part for part in parts):
            combined = feature.combine([part.pop(feature.key) for part in parts])
            index = getattr(combined, "index", None)
            if index is not None and not index.is_monotonic_increasing:
                raise RuntimeError(f"{feature.key}: the Spark partitions are not row ranges; "
                                   "their features cannot be put together in row order")
            gathered[feature.key] = combined
    return gathered
