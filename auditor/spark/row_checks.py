"""The per-row checks on Spark: one pass per partition over the engine-free check function.

Each partition's rows go through :func:`auditor.partitions.check_partition` (``mapInPandas``);
the pass writes, per check, a boolean ``fails`` column that GX judges natively and a column
with the pickled detail of the rows that have one. The result is cached, so GX's jobs and the
gathering of details read it instead of running the checks again.
"""

from __future__ import annotations

import pickle
from typing import Any, Iterator, Sequence

import pandas as pd

from auditor.contracts import passes
from auditor.expectations.base import spark_fails_column
from auditor.partitions import RowCheck, check_partition

ROW_COLUMN = "__auditor_row"
"""The row's position in the batch: the identity GX reports failing rows by, beside the id."""

_warmed: set[str] = set()


def detail_column(key: str) -> str:
    return spark_fails_column(key).replace("__auditor_fails_", "__auditor_detail_")


def _run_partitions(batches: Iterator[pd.DataFrame], checks: Sequence[RowCheck],
                    distinct_values: dict[str, Any]) -> Iterator[pd.DataFrame]:
    for check in checks:
        # Once per Python worker, with the whole batch's values (as the local workers do).
        if check.warm_up is not None and check.key not in _warmed:
            check.warm_up(distinct_values.value[check.key])
            _warmed.add(check.key)
    for rows in batches:
        rows = rows.set_index(ROW_COLUMN, drop=False)
        rows.index.name = None
        details = check_partition(rows, checks)
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
        yield out


def with_detail_columns(frame, checks: Sequence[RowCheck], distinct_values: dict[str, pd.Series]):
    """``frame`` (a Spark DataFrame with :data:`ROW_COLUMN`) with every check's ``fails`` and
    detail columns, cached."""
    from pyspark.sql.types import BinaryType, BooleanType, StructField, StructType

    if not checks:
        return frame.cache()
    fields = list(frame.schema.fields)
    for check in checks:
        fields.append(StructField(spark_fails_column(check.key), BooleanType(), False))
        fields.append(StructField(detail_column(check.key), BinaryType(), True))
    shared = frame.sparkSession.sparkContext.broadcast(distinct_values)
    checked = frame.mapInPandas(lambda batches: _run_partitions(batches, checks, shared), StructType(fields))
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
