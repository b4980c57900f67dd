"""One audit run, top to bottom: load, map columns, validate with GX, collect findings, write outputs."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from auditor import __version__
from auditor.findings import AuditResult, collect
from auditor.loaders import load_inputs
from auditor.mapping import build_batch
from auditor.report import write_outputs
from auditor.rules import RuleSet
from auditor.validate import run_validation


@dataclass
class AuditRun:
    result: AuditResult
    out_dir: Path
    outputs: dict[str, Path]

    @property
    def exit_code(self) -> int:
        if self.result.rule_errors:
            return 2
        return 0 if self.result.summary["passed"] else 1


class Progress:
    """Names the step a long run is in; silent unless stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.timings: dict[str, float] = {}
        self._bar = None
        if enabled:
            from tqdm import tqdm

            # delay: a run that finishes within a second never shows a bar.
            self._bar = tqdm(total=4, desc="audit", unit="step", leave=False, delay=1.0)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._bar is not None:
            self._bar.set_description(name)
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def default_out_dir(root: Path = Path("reports")) -> Path:
    return root / datetime.now().strftime("%Y%m%d-%H%M%S")


def run_audit(inputs: list[Path], ruleset: RuleSet, out_dir: Path, fail_on: str = "error",
              show_progress: bool = False) -> AuditRun:
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    progress = Progress(show_progress)
    try:
        with progress.step("load"):
            loaded = load_inputs(inputs)
            batch = build_batch(loaded, ruleset.column_mapping)
        with progress.step("validate"):
            validation = run_validation(ruleset, batch.data)
        with progress.step("collect"):
            result = collect(ruleset, batch, validation.outcomes, loaded.unreadable, fail_on)
            result.files = loaded.files
        run_info = {
            "started_at": started_at,
            "auditor_version": __version__,
            "inputs": [str(path) for path in inputs],
            "rules": [str(path) for path in ruleset.sources],
            "gx_seconds": round(validation.gx_seconds, 3),
        }
        with progress.step("write"):
            result.timings = progress.timings
            outputs = write_outputs(result, out_dir, run_info)
    finally:
        progress.close()
    return AuditRun(result=result, out_dir=out_dir, outputs=outputs)
