"""An audit of a batch read in chunks: two passes, so that no step holds the batch's long texts.

A batch of more rows than ``--chunk-rows`` is validated and collected here instead of in one
piece (:mod:`auditor.validate`, :func:`auditor.findings.collect`), with the same results:

1. **First pass**, chunk by chunk: the rows are mapped; their short cells (every column but
   ``body`` and ``main_text``) are kept for the whole batch, their long texts go to disk
   (:class:`~auditor.long_texts.LongTexts`). The per-row checks and the batch checks'
   features run on the chunk's row partitions, in the worker processes, as for a whole
   batch (:class:`~auditor.partitions.RowCheckRun`); a check with a batch input (the
   furniture check's counts of repeated lines) makes its part of it.
2. **Between the passes**: the batch checks judge the whole batch on the gathered features;
   GX validates every expectation that reads only short cells on the whole batch's short
   cells (so uniqueness, story groups and label consistency span the batch), with the
   auditor's results known.
3. **Second pass**, chunk by chunk: the long texts come back; the checks with a batch input
   run on the chunk's partitions; GX validates the expectations on long-text columns on the
   chunk, and their findings are made from it. Those expectations' GX metrics of all chunks
   are added up and judged by each expectation's own ``_validate``, as GX judges a whole
   batch (``mostly``, counts, index lists).

Only column-map expectations can read long-text columns in chunks; any other is refused
before the run with a one-line error.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import pickle
import resource
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.expectations.expectation import ColumnMapExpectation

import great_expectations as gx
from auditor.errors import RulesError
from auditor.expectations.base import AuditorBatchExpectation, AuditorColumnMapExpectation
from auditor.findings import AuditResult, assemble, findings_of, rule_outcomes, share_repeated_strings
from auditor.loaders import LoadedInput, UnreadableRow
from auditor.long_texts import LongTexts
from auditor.mapping import LONG_TEXT, Batch, build_batch
from auditor.partitions import DEFAULT_PARTITION_ROWS, RowCheck, RowCheckRun
from auditor.rules import CANONICAL_FIELDS, RuleSet
from auditor.spilled import PartsOnDisk, SpilledSequence
from auditor.validate import (
    RESULT_FORMAT,
    SUITE_NAME,
    ExpectationOutcome,
    GxValidator,
    ValidationOutcome,
    auditor_checks,
    build_suite,
    outcome_of,
)


def peak_rss_mb() -> int:
    """This process's peak resident memory so far, in MB (Linux reports it in KB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def current_rss_mb() -> int:
    """This process's resident memory now, in MB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize() // 2**20
    except OSError:  # not Linux
        return 0


@functools.cache
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return None


def give_back_freed_memory() -> None:
    """Hand the heap pages freed by a chunk back to the system. glibc keeps them while small
    objects that live on (details, short cells) sit between a chunk's texts, so the process
    grew by about a chunk of texts per chunk (measured: 590 of 660 MB kept after freeing 200k
    strings among small dicts; ``malloc_trim`` gave them back)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


@dataclass
class ChunkedAudit:
    """What a run in chunks hands on: its result, the batch of short cells (long texts
    empty) with the store of long texts, the files read and the validation's figures."""

    result: AuditResult
    batch: Batch
    texts: LongTexts
    unreadable: list[UnreadableRow]
    files: list[dict[str, Any]]
    validation: ValidationOutcome
    chunks: int

    def with_texts(self, positions: Iterable[int]) -> Batch:
        """The batch with the long texts of the rows at ``positions`` filled in."""
        positions = sorted(set(int(position) for position in positions))
        data = self.batch.data
        long_columns = [name for name in LONG_TEXT if name in data.columns]
        if positions and long_columns:
            data = data.copy()
            texts = self.texts.rows(positions, long_columns)
            for name in long_columns:
                column = data[name].to_numpy(copy=True)
                column[np.asarray(positions, dtype=np.int64)] = texts[name].to_numpy()
                data[name] = column
        return Batch(data=data, rows=self.batch.rows)

    def article_texts(self, keys: set[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
        """Title and body of the rows ``keys`` ((source, position) pairs), read back from disk."""
        if not keys:
            return {}
        rows = self.batch.rows
        sources, line_numbers = rows["source"].to_numpy(), rows["position"].to_numpy()
        at = [index for index in range(len(rows)) if (sources[index], int(line_numbers[index])) in keys]
        bodies = (self.texts.rows(at, ["body"])["body"].tolist() if "body" in self.batch.data.columns
                  else [None] * len(at))
        titles = self.batch.data["title"].to_numpy()
        return {(sources[index], int(line_numbers[index])): {"title": titles[index], "body": body}
                for index, body in zip(at, bodies)}


@dataclass
class _Plan:
    """Which auditor checks run in which pass, worked out from the rules before any row."""

    row_checks: dict[str, RowCheck] = field(default_factory=dict)  # first pass
    input_checks: dict[str, RowCheck] = field(default_factory=dict)  # second pass (batch inputs)
    features: dict[str, Any] = field(default_factory=dict)
    batch_checks: list[tuple[Any, dict[str, Any], Any]] = field(default_factory=list)


def _plan(ruleset: RuleSet) -> _Plan:
    # Every rule's column present, as a chunk's rows have them (build_suite leaves out the others).
    columns = list(dict.fromkeys([*CANONICAL_FIELDS, *(column for rule in ruleset.rules for column in rule.columns)]))
    suite, _ = build_suite(ruleset, columns)
    found = auditor_checks(suite, columns)
    for expectation in found.unpartitionable:
        raise RulesError(f"rule {expectation.meta['rule_id']}: {type(expectation).__name__} needs the whole "
                         "batch's texts at once; audit this input whole (--chunk-rows 0)")
    plan = _Plan(features=found.features)
    for key, check in found.row_checks.items():
        if check.batch_input is not None and check.batch_input_part is None:
            raise RulesError(f"{key}: its batch input cannot be put together from chunks; audit this input whole "
                             "(--chunk-rows 0)")
        (plan.input_checks if check.batch_input is not None else plan.row_checks)[key] = check
    for metric, value_kwargs, feature, expectation in found.batch_checks:
        if feature is None:
            raise RulesError(f"rule {expectation.meta['rule_id']}: {type(expectation).__name__} reads the whole "
                             "batch's texts; audit this input whole (--chunk-rows 0)")
        plan.batch_checks.append((metric, value_kwargs, feature))
    return plan


def _result_key(expectation: Any) -> str | None:
    if isinstance(expectation, AuditorColumnMapExpectation):
        return expectation.metric.result_key(expectation.column, expectation.value_kwargs())
    if isinstance(expectation, AuditorBatchExpectation):
        return expectation.metric.result_key(expectation.value_kwargs())
    return None


def _slice(details: pd.Series, start: int, stop: int) -> pd.Series:
    """The details of the rows at batch positions start..stop-1 (details are in row order)."""
    index = details.index.to_numpy()
    return details.iloc[np.searchsorted(index, start):np.searchsorted(index, stop)]


class _Sum:
    """One expectation's GX metrics over the chunks, added up."""

    def __init__(self) -> None:
        self.missing = self.unexpected = 0
        self.indexes: list[int] = []
        self.error: ExpectationOutcome | None = None
        self.findings: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []

    def add(self, outcome: ExpectationOutcome) -> None:
        if outcome.error is not None:
            self.error = self.error or outcome
            return
        result = outcome.result
        self.missing += int(result.get("missing_count") or 0)
        self.unexpected += int(result.get("unexpected_count") or 0)
        self.indexes.extend(int(index) for index in result.get("unexpected_index_list") or [])

    def judged(self, expectation: Any, rows: int) -> tuple[bool, dict[str, Any]]:
        """GX's verdict on the whole batch: the expectation's own ``_validate`` on the summed
        metrics, as GX's validator hands them to it."""
        metric = expectation.map_metric
        metrics: dict[str, Any] = {
            "table.row_count": rows,
            "column_values.nonnull.unexpected_count": self.missing,
            f"{metric}.unexpected_count": self.unexpected,
            f"{metric}.unexpected_index_list": self.indexes,
        }
        if isinstance(expectation, AuditorColumnMapExpectation):
            # The details were made into findings chunk by chunk; kept to the end of the run
            # (a million rows' furniture details) they would only be held, never read again.
            metrics[expectation.metric.details_metric()] = (pd.Series([], dtype=object), {}, {})
        judged = expectation._validate(metrics, runtime_configuration={"result_format": RESULT_FORMAT})
        return bool(judged["success"]), dict(judged["result"])


def run_chunked(ruleset: RuleSet, chunks: Iterable[LoadedInput], texts: LongTexts, fail_on: str = "error",
                workers: int = 1, partition_rows: int = DEFAULT_PARTITION_ROWS) -> ChunkedAudit:
    started = time.perf_counter()
    steps: dict[str, float] = {}
    peak: dict[str, int] = {}
    # Arrow's own allocator (mimalloc) keeps what a chunk's texts took from the system after
    # they are freed (measured: 200 of 420 MB for 50,000 bodies read back); the system's
    # gives it back with the rest (give_back_freed_memory). This process only reads and
    # writes the texts with Arrow; the workers keep their allocator.
    pa.set_memory_pool(pa.system_memory_pool())
    validator = GxValidator()  # a suite is made within a context
    plan = _plan(ruleset)
    first = _first_pass(ruleset, plan, chunks, texts, workers, partition_rows)
    peak["first pass"] = peak_rss_mb()
    give_back_freed_memory()
    peak["held after the first pass"] = current_rss_mb()  # the short cells and the per-row details
    steps["first pass"] = round(time.perf_counter() - started, 3)
    batch = first.batch
    suite, outcomes = build_suite(ruleset, list(batch.data.columns))
    between = time.perf_counter()
    known, failed = _batch_verdicts(plan, first, texts)
    peak["batch checks"] = peak_rss_mb()
    steps["batch checks"] = round(time.perf_counter() - between, 3)

    # Expectations on long-text columns, and auditor checks that failed on a partition (GX
    # then works them out on the chunk's texts and reports the error), run on every chunk.
    whole_suite = gx.ExpectationSuite(name=SUITE_NAME)
    chunk_suite = gx.ExpectationSuite(name=f"{SUITE_NAME}-chunks")
    placed: list[tuple[str, int]] = []
    errors: dict[int, ExpectationOutcome] = {}
    for number, expectation in enumerate(suite.expectations):
        key = _result_key(expectation)
        if key in failed:
            errors[number] = ExpectationOutcome(expectation.meta["rule_id"], expectation.column,
                                                expectation.expectation_type, success=False, error=failed[key])
            placed.append(("error", number))
            continue
        on_chunks = getattr(expectation, "column", None) in LONG_TEXT or (
            isinstance(expectation, AuditorColumnMapExpectation) and key not in known and key not in first.details
            and key not in plan.input_checks)
        if on_chunks and not isinstance(expectation, ColumnMapExpectation):
            raise RulesError(f"rule {expectation.meta['rule_id']}: {expectation.expectation_type} judges the "
                             f"column {expectation.column!r} as a whole, which an audit in chunks cannot; audit "
                             "this input whole (--chunk-rows 0)")
        if on_chunks or key in plan.input_checks:
            placed.append(("chunks", len(chunk_suite.expectations)))
            chunk_suite.add_expectation(expectation)
        else:
            placed.append(("whole", len(whole_suite.expectations)))
            whole_suite.add_expectation(expectation)

    validating = time.perf_counter()
    whole_result = None
    whole_outcomes: list[ExpectationOutcome] = []
    whole_findings: list[list[dict[str, Any]]] = []
    if whole_suite.expectations:
        whole_keys = {_result_key(expectation) for expectation in whole_suite.expectations} - {None}
        for key in whole_keys & set(first.details):
            known[key] = _read_back(first.details[key])
        whole_result = validator.validate(whole_suite, batch.data,
                                          {key: value for key, value in known.items() if key in whole_keys})
        for key in whole_keys:
            known.pop(key, None)
        # Their findings are made now and their details dropped, before the second pass: held
        # through it, a million rows' details were a large part of its peak.
        rules = {rule.id: rule for rule in ruleset.rules}
        for expectation_result in whole_result.results:
            outcome = outcome_of(expectation_result)
            whole_outcomes.append(outcome)
            whole_findings.append(findings_of(outcome, rules[outcome.rule_id], batch)
                                  if outcome.rule_id in rules else [])
            for holder in (outcome.result, expectation_result.result):
                if isinstance(holder, dict):
                    holder.pop("details", None)
    peak["gx on short cells"] = peak_rss_mb()
    steps["gx on short cells"] = round(time.perf_counter() - validating, 3)

    second = time.perf_counter()
    sums = [_Sum() for _ in chunk_suite.expectations]
    if chunk_suite.expectations:
        chunk_keys = {_result_key(expectation) for expectation in chunk_suite.expectations}
        for key in chunk_keys & set(first.details):
            known[key] = _read_back(first.details[key])
        _second_pass(ruleset, plan, first, chunk_suite, sums, known, texts, validator, workers, partition_rows)
    known.clear()
    peak["second pass"] = peak_rss_mb()
    steps["second pass"] = round(time.perf_counter() - second, 3)

    results: list[Any] = []
    made: dict[int, list[dict[str, Any]]] = {}  # id of an outcome -> its findings, made above or in the second pass
    for (where, number), expectation in zip(placed, suite.expectations):
        if where == "error":
            outcomes.append(errors[number])
            continue
        if where == "whole":
            expectation_result = whole_result.results[number]
            outcome = whole_outcomes[number]
            made[id(outcome)] = whole_findings[number]
        else:
            total = sums[number]
            if total.error is not None:
                outcome = total.error
                expectation_result = ExpectationValidationResult(
                    success=False, expectation_config=expectation.configuration, result={},
                    exception_info={"raised_exception": True, "exception_message": outcome.error,
                                    "exception_traceback": None})
            else:
                success, result = total.judged(expectation, len(batch.data))
                expectation_result = ExpectationValidationResult(
                    success=success, expectation_config=expectation.configuration, result=result)
            outcome = outcome_of(expectation_result)
            made[id(outcome)] = total.findings + total.notes
        results.append(expectation_result)
        outcomes.append(outcome)

    findings: list[dict[str, Any]] = []  # in the rules' order, as collect makes them
    for rule, outcome in rule_outcomes(ruleset, outcomes):
        if id(outcome) in made:
            findings.extend(made[id(outcome)])
        else:
            findings.extend(findings_of(outcome, rule, batch))
    del made, whole_findings
    result = assemble(ruleset, batch, outcomes, findings, first.unreadable, fail_on)
    successful = sum(1 for item in results if item.success)
    gx_result = ExpectationSuiteValidationResult(
        success=successful == len(results), results=results, suite_name=SUITE_NAME,
        statistics={"evaluated_expectations": len(results), "successful_expectations": successful,
                    "unsuccessful_expectations": len(results) - successful,
                    "success_percent": 100.0 * successful / len(results) if results else None},
        meta=dict(whole_result.meta) if whole_result is not None else {},
    )
    validation = ValidationOutcome(outcomes=outcomes, suite=suite, gx_seconds=time.perf_counter() - validating,
                                   gx_result=gx_result, steps=steps, peak_mb=peak)
    return ChunkedAudit(result=result, batch=batch, texts=texts, unreadable=first.unreadable, files=first.files,
                        validation=validation, chunks=sum(1 for start, stop in first.bounds if stop > start))


def _read_back(parts: SpilledSequence) -> pd.Series:
    """A row check's details of every chunk, as one series in row order."""
    pieces = list(parts)
    return pd.concat(pieces) if pieces else pd.Series([], dtype=object)


@dataclass
class _FirstPass:
    batch: Batch
    bounds: list[tuple[int, int]]
    # Per row check, its details chunk by chunk, on disk: between the chunks' transient texts
    # they would be small objects strewn over the heap, held through the batch checks.
    details: dict[str, SpilledSequence]
    features: PartsOnDisk
    input_parts: dict[str, list]
    failed: set[str]
    unreadable: list[UnreadableRow]
    files: list[dict[str, Any]]


def _first_pass(ruleset: RuleSet, plan: _Plan, chunks: Iterable[LoadedInput], texts: LongTexts, workers: int,
                partition_rows: int) -> _FirstPass:
    rule_columns = list(dict.fromkeys(column for rule in ruleset.rules for column in rule.columns))
    columns: dict[Any, None] = {}
    short_data: list[pd.DataFrame] = []
    short_rows: list[pd.DataFrame] = []
    details = PartsOnDisk(texts.folder / "details")
    features = PartsOnDisk(texts.folder / "features")
    input_parts: dict[str, list] = {key: [] for key in plan.input_checks}
    failed: set[str] = set()
    unreadable: list[UnreadableRow] = []
    files: list[dict[str, Any]] = []
    bounds: list[tuple[int, int]] = []
    offset = 0
    for loaded in chunks:
        batch = build_batch(loaded, ruleset.column_mapping)
        unreadable.extend(loaded.unreadable)
        files = loaded.files or files
        size = len(batch.rows)
        index = pd.RangeIndex(offset, offset + size)
        data, rows = batch.data.set_axis(index), batch.rows.set_axis(index)
        columns.update(dict.fromkeys(data.columns))
        for column in rule_columns:
            if column not in data.columns:
                data[column] = pd.Series([None] * size, index=index, dtype=object)
        long_columns = [name for name in LONG_TEXT if name in data.columns]
        texts.add(data[long_columns])
        short_data.append(data.drop(columns=long_columns))
        short_rows.append(rows)
        bounds.append((offset, offset + size))
        run = gathered = None
        if size:
            run = RowCheckRun(data, list(plan.row_checks.values()), workers=workers, partition_rows=partition_rows,
                              features=list(plan.features.values()))
            for key, check in plan.input_checks.items():  # while the partitions run
                values = data[check.column]
                input_parts[key].append(check.input_part(values[values.notnull()]))
            gathered = run.details(feature_parts=True)
            for key in plan.row_checks:
                if key in gathered:
                    details.add(key, [gathered.pop(key)])
                else:
                    failed.add(key)
            for key in plan.features:
                if key in gathered:
                    features.add(key, gathered.pop(key))
                else:
                    failed.add(key)
        offset += size
        del batch, data, loaded, run, gathered
        give_back_freed_memory()
    all_columns = list(columns)
    short = pd.concat(short_data, sort=False) if short_data else pd.DataFrame()
    short = short.reindex(columns=all_columns)
    short = short.astype(object).where(short.notna(), None)
    short.index = pd.RangeIndex(len(short))
    rows = pd.concat(short_rows) if short_rows else pd.DataFrame(columns=["row_id", "source", "position"])
    rows.index = pd.RangeIndex(len(rows))
    return _FirstPass(batch=Batch(data=short, rows=rows), bounds=bounds,
                      details={key: details.load(key) for key in plan.row_checks if key not in failed},
                      features=features,
                      input_parts=input_parts, failed=failed, unreadable=unreadable, files=files)


def _batch_verdicts(plan: _Plan, first: _FirstPass, texts: LongTexts) -> tuple[dict[str, Any], dict[str, str]]:
    """The batch checks' verdicts on the whole batch's features; a check whose features failed
    on a partition, or whose verdict raises, is reported as an error (there are no texts here
    for GX to work it out again)."""
    known: dict[str, Any] = {}
    failed: dict[str, str] = {}
    data = first.batch.data
    long_columns = [name for name in LONG_TEXT if name in data.columns]

    def rows_of(positions: np.ndarray) -> pd.DataFrame:
        rows = data.iloc[np.asarray(positions, dtype=np.int64)].reset_index(drop=True)
        if long_columns:
            fetched = texts.rows(positions, long_columns)
            for name in long_columns:
                rows[name] = fetched[name].to_numpy()
        return rows

    for metric, value_kwargs, feature in plan.batch_checks:
        key = metric.result_key(value_kwargs)
        if key in known or key in failed:
            continue
        if feature.key not in first.features or feature.key in first.failed:
            failed[key] = "its features could not be made on every partition of the batch"
            continue
        features = feature.combine(first.features.load(feature.key))
        if hasattr(features, "rows_of") and getattr(features, "has_text", None) is not None:
            features = dataclasses.replace(features, rows_of=rows_of)
        try:
            known[key] = metric.verdict(data, None, value_kwargs, features)
        except Exception as error:  # noqa: BLE001  (reported on its expectation)
            failed[key] = (str(error).strip().splitlines() or ["unknown error"])[-1]
        del features  # before the next check's are read
        give_back_freed_memory()
    return known, failed


SECOND_PASS_ROWS = 50_000
"""Rows the second pass reads back and validates at a time (a multiple of the texts' row
groups): their texts, the frame GX validates and the partitions' details are its peak, and
at 100,000 rows about 1.1 GB; the chunks of the first pass are as large as the input reads them."""


def _second_pass(ruleset: RuleSet, plan: _Plan, first: _FirstPass, suite: gx.ExpectationSuite, sums: list[_Sum],
                 known: dict[str, Any], texts: LongTexts, validator: GxValidator, workers: int,
                 partition_rows: int) -> None:
    batch = first.batch
    row_ids = batch.rows["row_id"].to_numpy()
    prepared = [check.prepared_from_parts(first.input_parts[key]) for key, check in plan.input_checks.items()]
    keys = [_result_key(expectation) for expectation in suite.expectations]
    rules = {rule.id: rule for rule in ruleset.rules}
    spilled = texts.folder / "findings"
    spilled.mkdir(exist_ok=True)
    pieces = [(number, low, min(low + SECOND_PASS_ROWS, stop))
              for number, (start, stop) in enumerate(first.bounds) for low in range(start, stop, SECOND_PASS_ROWS)]
    for place, (number, start, stop) in enumerate(pieces):
        data = batch.data.iloc[start:stop].copy()
        chunk_start = first.bounds[number][0]
        long_texts = texts.chunk(number, start - chunk_start, stop - chunk_start)
        for name in long_texts.columns:
            data[name] = long_texts[name].to_numpy()
        chunk_known: dict[str, Any] = {}
        if prepared:
            run = RowCheckRun(data, prepared, workers=workers, partition_rows=partition_rows)
            chunk_known.update(run.details())
        for key in keys:
            if key in known and key not in chunk_known:
                chunk_known[key] = _slice(known[key], start, stop)
        chunk_known = {key: value for key, value in chunk_known.items() if key in keys}
        result = validator.validate(suite, data, chunk_known)
        piece = Batch(data=data, rows=batch.rows.iloc[start:stop])
        made: list[tuple[list, list]] = []
        for total, expectation_result in zip(sums, result.results):
            outcome = outcome_of(expectation_result)
            total.add(outcome)
            if outcome.error is None:
                rule = rules[outcome.rule_id]
                made.append((findings_of(outcome, rule, piece, row_ids=row_ids, kinds=("failing",)),
                             findings_of(outcome, rule, piece, row_ids=row_ids, kinds=("notes",))))
            else:
                made.append(([], []))
        # The findings wait on disk until the pass ends: made between a chunk's transient texts
        # and frames they would be strewn over the heap, which then cannot shrink back.
        with (spilled / f"piece-{place:05d}.pickle").open("wb") as handle:
            pickle.dump(made, handle, protocol=pickle.HIGHEST_PROTOCOL)
        del data, long_texts, piece, result, made, chunk_known
        outcome = expectation_result = None  # the last expectation's details
        give_back_freed_memory()
    for place in range(len(pieces)):
        file = spilled / f"piece-{place:05d}.pickle"
        with file.open("rb") as handle:
            made = pickle.load(handle)
        file.unlink()
        for total, (failing, notes) in zip(sums, made):
            total.findings.extend(share_repeated_strings(failing))
            total.notes.extend(share_repeated_strings(notes))
        del made
