"""Write a run's outputs (results.json, junit.xml, report.html) into one folder, atomically.

Everything is first written into a hidden sibling folder and moved into place at the
end, so a crashed run leaves the previous report (or nothing), never half a report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from auditor.findings import AuditResult
from auditor.report.html import render_html
from auditor.report.junit import render_junit
from auditor.report.results_json import render_results_json


def write_outputs(result: AuditResult, out_dir: Path, run_info: dict[str, Any]) -> dict[str, Path]:
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        (staging / "results.json").write_text(render_results_json(result, run_info), encoding="utf-8")
        (staging / "junit.xml").write_bytes(render_junit(result, run_info))
        (staging / "report.html").write_text(render_html(result, run_info), encoding="utf-8")
        _replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {name: out_dir / name for name in ("results.json", "junit.xml", "report.html")}


def _replace_folder(staging: Path, target: Path) -> None:
    staging.chmod(0o755)
    if target.exists():
        retired = target.parent / f".{target.name}.old-{os.getpid()}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)
