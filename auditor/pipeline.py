"""One audit run, top to bottom: load, map columns, validate with GX, collect findings,
record the run in the history store, write outputs (results.json, junit.xml, report.html, Data Docs)."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from auditor import __version__
from auditor.chunked import peak_rss_mb, run_chunked
from auditor.decisions import DecisionOutcome, apply_decisions, load_decisions
from auditor.errors import AuditorError
from auditor.findings import AuditResult, collect, regate
from auditor.history import HISTORY_FILE, HistoryStore, dataset_name
from auditor.loaders import LoadedInput, iter_loaded
from auditor.long_texts import LongTexts
from auditor.mapping import Batch, build_batch
from auditor.partitions import available_cores
from auditor.report import write_outputs
from auditor.report.html import articles_on_page
from auditor.rules import RuleSet
from auditor.spark.row_checks import DEFAULT_MAX_FINDINGS
from auditor.validate import run_validation

DEFAULT_CHUNK_ROWS = 100_000
"""An input of more rows is audited in chunks (:mod:`auditor.chunked`): a chunk of 100k rows of
news and its partitions in flight take about 1.5 GB beside what grows with the batch."""

LONG_TEXTS = "long-texts"
"""The scratch folder of a run in chunks: its rows' long texts, on disk between the passes."""

FINDINGS_BEYOND = "findings-beyond"
"""The scratch folder of an --engine spark run's findings beyond --max-findings, written by
Spark and read back into the run's findings (findings.jsonl holds them in full)."""


@dataclass
class AuditRun:
    result: AuditResult
    out_dir: Path
    outputs: dict[str, Path]
    history: dict[str, Any] | None = None
    decisions: DecisionOutcome | None = None

    @property
    def exit_code(self) -> int:
        if self.result.rule_errors:
            return 2
        return 0 if self.result.summary["passed"] else 1


class Progress:
    """Names the step a long run is in; silent unless stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.timings: dict[str, float] = {}
        # The main process's peak resident memory after each step (MB), for the scale benchmarks.
        self.peak_mb: dict[str, int] = {}
        self._bar = None
        if enabled:
            from tqdm import tqdm

            # delay: a run that finishes within a second never shows a bar.
            self._bar = tqdm(total=5, desc="audit", unit="step", leave=False, delay=1.0)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._bar is not None:
            self._bar.set_description(name)
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)
        self.peak_mb[name] = peak_rss_mb()
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def default_out_dir(root: Path = Path("reports")) -> Path:
    return root / datetime.now().strftime("%Y%m%d-%H%M%S")


def default_history_path(out_dir: Path) -> Path:
    """The run history lives in the output root: ``reports/history.sqlite`` for ``reports/<run>``."""
    return out_dir.resolve().parent / HISTORY_FILE


def article_texts(batch: Batch, findings: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Title and body of the rows with findings, so the report can show evidence in context
    (findings carry values capped at 300 characters)."""
    bodies = batch.data["body"].to_numpy()
    return {key: {"title": title, "body": bodies[index]}
            for key, (index, title) in _rows_with_findings(batch, findings).items()}


def article_titles(batch: Batch, findings: list[dict[str, Any]]) -> dict[tuple[str, int], Any]:
    """The title of each row with findings (the history names fixed findings by it)."""
    return {key: title for key, (_, title) in _rows_with_findings(batch, findings).items()}


def _rows_with_findings(batch: Batch, findings: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[int, Any]]:
    wanted = {(finding["source"], finding["position"]) for finding in findings}
    if not wanted:
        return {}
    sources, positions = batch.rows["source"].to_numpy(), batch.rows["position"].to_numpy()
    titles = batch.data["title"].to_numpy()
    found = {}
    for index in range(len(sources)):
        key = (sources[index], int(positions[index]))
        if key in wanted:
            found[key] = (index, titles[index])
    return found


def run_audit(inputs: list[Path], ruleset: RuleSet, out_dir: Path, fail_on: str = "error",
              show_progress: bool = False, history_path: Path | None = None, use_history: bool = True,
              baseline: str | None = None, data_docs: bool = True, decisions: list[Path] = (),
              fail_on_new: bool = False, dataset: str | None = None, workers: int | None = None,
              engine: str = "pandas", spark_master: str | None = None, max_findings: int | None = None,
              chunk_rows: int | None = None) -> AuditRun:
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if fail_on_new and not use_history:
        raise AuditorError("--fail-on-new gates on findings new since the last run, which the run history "
                           "knows; drop --no-history")
    # Read before the work, so that a broken decisions file fails in a second.
    decision_files = [*ruleset.decisions, *decisions]
    decided = load_decisions(decision_files) if decision_files else []
    # An existing store is opened (and a --baseline resolved) before the work: a broken history
    # or a wrong baseline fails in a second, not after the validation. A new one is created
    # only when there is a run to record.
    history_file = history_path or default_history_path(out_dir)
    # Runs are compared within their dataset: the same input's previous run, not the output root's.
    dataset = dataset or dataset_name(inputs)
    store = None
    if use_history and (history_file.exists() or baseline is not None):
        store = HistoryStore(history_file, create=False)
    progress = Progress(show_progress)
    chunked = None
    scratch: list[Path] = []  # folders made during the run beside its outputs, removed when it stops
    try:
        if store is not None and baseline is not None:
            baseline = str(store.resolve(baseline, dataset))
        elif store is not None and fail_on_new:
            same_input = store.latest_run_of(dataset)
            baseline = str(same_input) if same_input is not None else None
        if engine == "spark":
            # Spark reads the inputs; the driver gets the short cells of every row and the
            # long texts only of the rows with findings (auditor.spark.read).
            from auditor.spark.read import read_inputs, rows_with_findings
            from auditor.spark.session import spark_session
            from auditor.spark.validate import run_spark_validation

            with progress.step("load"):
                source = read_inputs(spark_session(spark_master), inputs, ruleset.column_mapping)
                loaded = source.loaded
            # Findings beyond --max-findings are written by Spark, beside the outputs until
            # they join them.
            out_dir.resolve().parent.mkdir(parents=True, exist_ok=True)
            beyond_dir = out_dir.resolve().parent / f".{out_dir.name}.{FINDINGS_BEYOND}-{os.getpid()}"
            scratch.append(beyond_dir)
            try:
                with progress.step("validate"):
                    validation = run_spark_validation(ruleset, source, max_findings=DEFAULT_MAX_FINDINGS if max_findings is None else max_findings,
                                                      findings_beyond=str(beyond_dir))
                    # Decisions compare their rows' current values: those rows' texts come too.
                    decided_rows = source.positions_of({str(decision.row_id) for decision in decided})
                    batch = source.driver_batch(rows_with_findings(validation.outcomes) | decided_rows)
            finally:
                source.release()
        else:
            chunk_rows = DEFAULT_CHUNK_ROWS if chunk_rows is None else chunk_rows
            with progress.step("load"):
                pieces = iter_loaded(inputs, rows=chunk_rows or None)
                loaded = next(pieces)
                following = next(pieces, None) if chunk_rows else None
                if following is not None and following.frame.empty and not following.unreadable:
                    # The rows filled exactly one chunk: the last piece holds only the files' report.
                    loaded.files, following = following.files, None
                if following is None:
                    batch = build_batch(loaded, ruleset.column_mapping)
            if following is not None:
                # More rows than a chunk: two passes over the chunks, the long texts on disk.
                out_dir.resolve().parent.mkdir(parents=True, exist_ok=True)
                texts_dir = out_dir.resolve().parent / f".{out_dir.name}.{LONG_TEXTS}-{os.getpid()}"
                scratch.append(texts_dir)
                with progress.step("validate"):
                    chunked = run_chunked(ruleset, itertools.chain([loaded, following], pieces), LongTexts(texts_dir),
                                          fail_on, workers=workers or available_cores())
                loaded = LoadedInput(frame=None, unreadable=chunked.unreadable, files=chunked.files)
                validation = chunked.validation
                batch = chunked.batch
            else:
                with progress.step("validate"):
                    validation = run_validation(ruleset, batch.data, workers=workers or available_cores())
        with progress.step("collect"):
            if chunked is not None:
                result = chunked.result
                # Decisions compare their rows' current values: those rows' texts come back.
                batch = chunked.with_texts(_positions_of(batch, {str(decision.row_id) for decision in decided}))
            else:
                # A Spark run's findings beyond --max-findings count as any other (without their details).
                result = collect(ruleset, batch, validation.outcomes, loaded.unreadable, fail_on,
                                 getattr(validation, "held_elsewhere", ()))
                result.full_finding = getattr(validation, "full_finding", None)
            result.files = loaded.files
            validation.release_details()
            outcome = None
            if decision_files:
                outcome = apply_decisions(result.findings, batch, decided, decision_files)
                result.decisions = outcome.to_dict()
                regate(result)
        run_info = {
            "started_at": started_at,
            "auditor_version": __version__,
            "inputs": [str(path) for path in inputs],
            "dataset": dataset,
            "rules": [str(path) for path in ruleset.sources],
            "gx_seconds": round(validation.gx_seconds, 3),
            # Within the validation: the batch-level checks, the per-row checks on row
            # partitions (both from the start, side by side) and GX's own pass.
            "validate_steps": validation.steps,
            "workers": workers or available_cores(),
            "peak_mb": {**progress.peak_mb, **{f"validate: {name}": mb for name, mb in validation.peak_mb.items()}},
            "engine": engine,
        }
        if getattr(validation, "findings_beyond", None):
            # Spark made these findings: they count in the summary, the gate and the history,
            # are in findings.jsonl, but not listed in results.json or on the page.
            run_info["findings_beyond"] = {"findings": validation.findings_beyond["findings"],
                                           "details": validation.findings_beyond["details"],
                                           "max_findings": DEFAULT_MAX_FINDINGS if max_findings is None else max_findings,
                                           "in": "findings.jsonl"}
        if chunked is not None:
            # Titles of every row with findings for the history; bodies only of the page's articles.
            titles = article_titles(batch, result.findings)
            texts = chunked.article_texts(articles_on_page(result.findings))
            run_info["chunks"] = {"rows": chunk_rows, "chunks": chunked.chunks}
        else:
            texts = article_texts(batch, result.findings)
            titles = {key: text["title"] for key, text in texts.items()}
        result.timings = progress.timings
        recorded = None
        if use_history:
            with progress.step("history"):
                store = store or HistoryStore(history_file)
                recorded = store.record(result.summary, result.rules, result.findings, run_info,
                                        out_dir=out_dir.resolve(), titles=titles,
                                        baseline=baseline, decisions=_decisions_record(outcome),
                                        # Gating on new findings compares with the same input's last run only.
                                        compare=not fail_on_new, dataset=dataset,
                                        # A run is a run once its outputs are in place (see below).
                                        complete=False)
                _mark_new(result, recorded.new_indexes, recorded.baseline is not None)
                if fail_on_new:
                    regate(result, only_new=True, baseline_run=recorded.baseline["id"] if recorded.baseline else None)
                    store.update_verdict(recorded.run_id, result.summary)
        history = recorded.view() if recorded else None
        if "history" in progress.peak_mb:
            run_info["peak_mb"]["history"] = progress.peak_mb["history"]
        try:
            with progress.step("write"):
                outputs = write_outputs(result, out_dir, run_info, texts=texts, history=history,
                                        gx_result=validation.gx_result, suite=validation.suite, data_docs=data_docs,
                                        corrections=outcome.corrections if outcome is not None else None)
        except BaseException:
            if recorded is not None:
                store.forget(recorded.run_id)  # no outputs, no run
            raise
        if recorded is not None:
            store.complete(recorded.run_id)
    finally:
        progress.close()
        if store is not None:
            store.close()
        for leftover in scratch:
            shutil.rmtree(leftover, ignore_errors=True)
    return AuditRun(result=result, out_dir=out_dir, outputs=outputs, history=history, decisions=outcome)


def _positions_of(batch: Batch, row_ids: set[str]) -> list[int]:
    if not row_ids:
        return []
    return [int(position) for position in
            (batch.rows.index[batch.rows["row_id"].astype(str).isin(row_ids)])]


def _mark_new(result: AuditResult, new_indexes: set[int], compared: bool) -> None:
    """Each finding says whether it is new since the run it was compared with; without an
    earlier run to compare with, every finding is new."""
    for index, finding in enumerate(result.findings):
        finding["new"] = index in new_indexes if compared else True


def _decisions_record(outcome: DecisionOutcome | None) -> dict[str, Any] | None:
    """What the history keeps of a run's decisions: the counts, stale and conflicting entries,
    and the decisions themselves."""
    if outcome is None:
        return None
    return {**outcome.to_dict(), "entries": [decision.to_dict() for decision in outcome.decisions]}
