"""Write a run's outputs (results.json, findings.jsonl, junit.xml, report.html, GX Data Docs) into one folder, atomically.

Everything is first written into a hidden sibling folder and moved into place at the
end, so a crashed run leaves the previous report (or nothing), never half a report; what a
killed run left behind is removed by the next run into the same root (``staging.py``).
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from pathlib import Path
from typing import Any

from auditor.corrections import render_corrections
from auditor.findings import AuditResult
from auditor.report.html import render_html
from auditor.report.junit import render_junit
from auditor.report.results_json import FINDINGS_FILE, write_findings_jsonl, write_results_json
from auditor.report.staging import Staging, sweep_stale

DATA_DOCS_INDEX = "data-docs/index.html"
CORRECTIONS_FILE = "corrections.csv"


def write_outputs(
    result: AuditResult,
    out_dir: Path,
    run_info: dict[str, Any],
    *,
    texts: dict[tuple[str, int], dict[str, Any]] | None = None,
    history: dict[str, Any] | None = None,
    gx_result: Any = None,
    suite: Any = None,
    data_docs: bool = True,
    corrections: list[dict[str, Any]] | None = None,
) -> dict[str, Path]:
    """Write the outputs; ``texts`` (title and body of rows with findings) give the report its
    excerpts, ``history`` the comparison with earlier runs, ``gx_result`` the Data Docs;
    ``corrections`` (a run with decisions) become ``corrections.csv``."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(out_dir.parent)
    stage = Staging(out_dir)
    staging = stage.path
    timings = result.timings
    outputs = {name: out_dir / name for name in ("results.json", FINDINGS_FILE, "junit.xml", "report.html")}
    links: dict[str, str] = {}
    # Rendering builds ~10 small objects per finding; the cyclic GC would walk the whole
    # batch again and again for nothing (a third of the rendering time at 20k findings).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if data_docs and gx_result is not None:
            from auditor.report.datadocs import DATA_DOCS_DIR, build_data_docs

            started = time.perf_counter()
            run_name = f"run-{history['run_id']}" if history and history.get("run_id") else out_dir.name
            index = build_data_docs(gx_result, suite, staging / DATA_DOCS_DIR, run_name=run_name)
            timings["data_docs"] = round(time.perf_counter() - started, 3)
            if index is not None:
                links["data_docs"] = DATA_DOCS_INDEX
                outputs["data-docs"] = out_dir / DATA_DOCS_INDEX
                run_info = {**run_info, "data_docs": DATA_DOCS_INDEX}
        started = time.perf_counter()
        (staging / "report.html").write_text(render_html(result, run_info, texts, history, links), encoding="utf-8")
        timings["report_html"] = round(time.perf_counter() - started, 3)
        (staging / "junit.xml").write_bytes(render_junit(result, run_info))
        write_results_json(result, run_info, staging / "results.json", _history_section(history))
        write_findings_jsonl(result, staging / FINDINGS_FILE)
        if corrections is not None:
            (staging / CORRECTIONS_FILE).write_text(render_corrections(corrections), encoding="utf-8")
            outputs[CORRECTIONS_FILE] = out_dir / CORRECTIONS_FILE
        stage.unlink_lock_file()
        _replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        stage.close()
        if collecting:
            gc.enable()
    return outputs


def _history_section(history: dict[str, Any] | None) -> dict[str, Any]:
    if not history:
        return {}
    baseline = history.get("baseline")
    return {"history": {
        "store": history.get("path"),
        "run_id": history.get("run_id"),
        "baseline_run": {"id": baseline["id"], "started_at": baseline["started_at"]} if baseline else None,
        "new": history.get("new"),
        "fixed": history.get("fixed"),
    }}


def _replace_folder(staging: Path, target: Path) -> None:
    staging.chmod(0o755)
    if target.exists():
        retired = target.parent / f".{target.name}.old-{os.getpid()}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)
