"""Per-row checks run on row partitions, in worker processes.

A per-row check judges each row by itself (and the row's text analysis), so a batch can be
cut into partitions of rows, each checked on its own, and the details put back together:
the result is the same whatever the cut. :func:`check_partition` is that unit of work, a
pure function of a partition's rows, free of GX and of the rules: here it runs in a pool of
worker processes, on Spark it is what each partition runs. The validation then hands the
gathered details to GX, which judges them (counts, ``mostly``, results) as it would have
judged its own.

Batch-level steps (story groups, label consistency) need the whole batch, but not its
text: the partitions also make each row's compact features for them (a
:class:`PartitionFeature`: stem counts, hashed words), which are put together in the main
process, where the batch-level step then runs on them. Text work is thus done once per
row, on all cores, and the main process never analyses the batch's text itself.

A per-row check that also needs something of the whole batch (the furniture check's
counts of lines repeated across rows) declares it as a batch input
(:attr:`RowCheck.batch_input`): worked out once on the whole batch's values of the column
before the partitions are cut, small, and handed to every partition, so a row's result
still does not depend on the cut.
"""

from __future__ import annotations

import multiprocessing
import dataclasses
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd

from auditor.text.analysis import analyse_frame

DEFAULT_PARTITION_ROWS = 5_000
"""Rows per partition: small enough that a worker's text analysis stays small, large enough
that the per-partition costs (one analysis, one pickled frame) stay a small share."""


def available_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class RowCheck:
    """One per-row check of one column, as the partitions run it: ``function(values,
    [analysis of text_columns,] [settings])`` returns one detail per non-empty value (None
    when the row passes). ``key`` names the check for whoever gathers the details."""

    key: str
    function: Callable[..., pd.Series]
    column: str
    text_columns: tuple[str, ...] | None = None
    settings: Any = None
    takes_settings: bool = False
    # Called once per process with the whole batch's distinct values of the column, before
    # any partition: a check with a costly per-call lookup (GeoNames) makes it once.
    warm_up: Callable[[pd.Series], None] | None = None
    # Other columns the function reads, as keyword arguments: (keyword, column) pairs. A
    # column the rows lack is handed as None.
    extra_columns: tuple[tuple[str, str], ...] = ()
    # ``batch_input(values, settings)`` -> keyword arguments of the function, worked out on
    # the whole batch's non-empty values of the column before the partitions (see
    # :meth:`prepared`); ``batch_inputs`` holds them once worked out.
    batch_input: Callable[[pd.Series, Any], dict[str, Any]] | None = None
    batch_inputs: dict[str, Any] | None = None
    # The same batch input from a batch read in pieces: ``batch_input_part(values, settings)``
    # on each piece's values, ``batch_input_merge(parts, settings)`` -> the keyword arguments
    # ``batch_input`` gives on the whole column (see :meth:`prepared_from_parts`).
    batch_input_part: Callable[[pd.Series, Any], Any] | None = None
    batch_input_merge: Callable[[list, Any], dict[str, Any]] | None = None

    @property
    def reads(self) -> set[str]:
        return {self.column, *(self.text_columns or ()), *(column for _, column in self.extra_columns)}

    def prepared(self, values: pd.Series) -> "RowCheck":
        """This check with its batch inputs worked out on ``values``, the whole batch's
        non-empty values of its column; the check itself when it has none, or has them
        already (put together from the pieces of a batch read in chunks)."""
        if self.batch_input is None or self.batch_inputs is not None:
            return self
        return dataclasses.replace(self, batch_inputs=dict(self.batch_input(values, self.settings)))

    def input_part(self, values: pd.Series) -> Any:
        """The batch input's part for a piece of the batch (its non-empty values of the column)."""
        if self.batch_input_part is None:
            raise ValueError(f"{self.key}: its batch input cannot be worked out from pieces of the batch")
        return self.batch_input_part(values, self.settings)

    def prepared_from_parts(self, parts: list) -> "RowCheck":
        """This check with its batch inputs put together from every piece's :meth:`input_part`:
        what :meth:`prepared` gives on the whole column."""
        return dataclasses.replace(self, batch_inputs=dict(self.batch_input_merge(parts, self.settings)))


@dataclass(frozen=True)
class PartitionFeature:
    """The per-row features a batch-level step needs, as the partitions make them:
    ``function(analysis of text_columns, settings)``, or ``function(rows, settings)`` when it
    reads the ``columns`` themselves, gives a partition's features; ``combine(parts)``
    (parts in row order) the batch's."""

    key: str
    function: Callable[..., Any]
    combine: Callable[[list], Any]
    columns: tuple[str, ...]
    text_columns: tuple[str, ...] | None = None
    settings: Any = None

    @property
    def reads(self) -> set[str]:
        return {*self.columns, *(self.text_columns or ())}


def check_partition(rows: pd.DataFrame, checks: Sequence[RowCheck],
                    features: Sequence[PartitionFeature] = ()) -> dict[str, Any]:
    """Every check on the partition's rows; per check, the details of the rows that have one
    (a problem or a note), by row label; and per feature, the partition's features. The
    partition's text analysis is made once per set of text columns and shared by all that
    read it. A check or feature that raises is left out of the result."""
    analyses: dict[tuple[str, ...], Any] = {}

    def analysis_of(text_columns: tuple[str, ...]) -> Any:
        if text_columns not in analyses:
            analyses[text_columns] = analyse_frame(rows, list(text_columns))
        return analyses[text_columns]

    gathered: dict[str, Any] = {}
    for check in checks:
        column = rows[check.column]
        arguments: list[Any] = [column[column.notnull()]]
        if check.text_columns is not None:
            arguments.append(analysis_of(check.text_columns))
        if check.takes_settings:
            arguments.append(check.settings)
        keywords = {keyword: rows[name] if name in rows.columns else None for keyword, name in check.extra_columns}
        if check.batch_input is not None:
            if check.batch_inputs is None:
                raise ValueError(f"{check.key}: its batch inputs are worked out on the whole batch before the "
                                 "partitions (RowCheck.prepared), not on one partition")
            keywords.update(check.batch_inputs)
        try:
            details = check.function(*arguments, **keywords)
        except Exception:  # noqa: BLE001  (left out: GX runs the check again and reports the error)
            continue
        gathered[check.key] = details[details.notna()]
    for feature in features:
        try:
            source = (analysis_of(feature.text_columns) if feature.text_columns is not None
                      else rows[[name for name in feature.columns if name in rows.columns]])
            gathered[feature.key] = feature.function(source, feature.settings)
        except Exception:  # noqa: BLE001  (left out: the batch check is then judged by GX, which reports it)
            continue
    return gathered


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers are forked from a clean server process, not from this one: a fork of a process
    that runs threads (Arrow's, joblib's, GX's) can inherit a lock held by one of them and
    wait on it for ever. The server imports the checks once; each worker starts from it."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["auditor.partitions", "auditor.text.analysis"])
    return context


def _warm_up(checks: Sequence[RowCheck], distinct_values: dict[str, pd.Series]) -> None:
    """A worker's start: receiving the checks imports their modules; those with a warm-up
    get the whole batch's values of their column."""
    for check in checks:
        if check.warm_up is not None:
            check.warm_up(distinct_values[check.key])


def partition_bounds(rows: int, partition_rows: int) -> list[tuple[int, int]]:
    size = max(1, int(partition_rows))
    return [(start, min(start + size, rows)) for start in range(0, rows, size)] or [(0, 0)]


class RowCheckRun:
    """The per-row checks (and features) of a batch, started on its partitions (in
    ``workers`` processes, or in this one when ``workers`` is 1) so that the caller can do
    other batch-level steps meanwhile; :meth:`details` waits for them and puts the
    partitions' details and features together."""

    def __init__(self, frame: pd.DataFrame, checks: Sequence[RowCheck], workers: int = 1,
                 partition_rows: int = DEFAULT_PARTITION_ROWS, features: Sequence[PartitionFeature] = ()):
        self.features = list(features)
        reads = [item.reads for item in [*checks, *self.features]]
        columns = sorted(set().union(*reads) & set(frame.columns)) if reads else []
        self._frame = frame[columns]
        self.checks = [check.prepared(self._non_empty(check.column)) for check in checks]
        self._bounds = partition_bounds(len(frame), partition_rows)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future] = []
        if (self.checks or self.features) and workers > 1 and len(self._bounds) > 1:
            self._pool = ProcessPoolExecutor(max_workers=min(workers, len(self._bounds)), mp_context=_worker_context(),
                                             initializer=_warm_up, initargs=(self.checks, self._distinct_values()))
            self._futures = [self._pool.submit(check_partition, self._frame.iloc[start:end], self.checks,
                                               self.features)
                             for start, end in self._bounds]

    def details(self, feature_parts: bool = False) -> dict[str, Any]:
        """Per check, the details of the batch's rows that have one; per feature, the
        batch's features (with ``feature_parts``, the partitions' features in row order,
        for a caller that puts several frames' together)."""
        if not self.checks and not self.features:
            return {}
        try:
            if self._pool is not None:
                parts = [future.result() for future in self._futures]
            else:
                _warm_up(self.checks, self._distinct_values())
                parts = [check_partition(self._frame.iloc[start:end], self.checks, self.features)
                         for start, end in self._bounds]
        finally:
            self.close()
        gathered: dict[str, Any] = {}
        # What failed on any partition is left out for the batch, so that GX works it out
        # itself and reports the error on its expectation.
        for check in self.checks:
            if all(check.key in part for part in parts):
                pieces = [part[check.key] for part in parts if len(part[check.key])]
                gathered[check.key] = pd.concat(pieces) if pieces else pd.Series([], dtype=object)
        for feature in self.features:
            if all(feature.key in part for part in parts):
                pieces = [part.pop(feature.key) for part in parts]
                gathered[feature.key] = pieces if feature_parts else feature.combine(pieces)
        return gathered

    def _non_empty(self, column: str) -> pd.Series:
        values = self._frame[column]
        return values[values.notnull()]

    def _distinct_values(self) -> dict[str, pd.Series]:
        return {check.key: pd.Series(self._frame[check.column].dropna().unique(), dtype=object)
                for check in self.checks if check.warm_up is not None}

    def close(self) -> None:
        if self._pool is not None:
            for future in self._futures:
                future.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        # A run is one-shot: its frame (a copy of the rows' texts) and the futures holding every
        # partition's results go now, not when the caller's name for the run is reused (in an
        # audit in chunks, after the next chunk's texts were read: two chunks held at once).
        self._futures = []
        self._frame = self._frame.iloc[0:0]
