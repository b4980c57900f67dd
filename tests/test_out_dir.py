"""--out must name a folder the run can write: a file is never replaced by a folder, and a folder that
cannot be made stops the run before any work, with one line and exit 2 (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def table(tmp_path: Path) -> Path:
    path = tmp_path / "night.jsonl"
    path.write_text(json.dumps({"id": "a", "Titel": "Titel", "Text": "Ein kurzer Text.", "Vorfall": "Sonstiges"}) + "\n",
                    encoding="utf-8")
    return path


def audit(tmp_path: Path, out: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor.cli", "audit", str(table(tmp_path)), "--out", out, "-q",
                           "--no-history", "--no-data-docs"], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def one_line_error(run: subprocess.CompletedProcess, *words: str) -> None:
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("auditor: error: --out "), run.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_out_naming_an_existing_file_stops_the_run_and_leaves_the_file(tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("an editor's notes", encoding="utf-8")
    one_line_error(audit(tmp_path, str(keep)), "is a file, not a folder")
    assert keep.read_text(encoding="utf-8") == "an editor's notes"


def test_out_below_a_file_stops_the_run(tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    one_line_error(audit(tmp_path, str(tmp_path / "notes.txt" / "run")), "notes.txt is a file")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_out_where_no_folder_can_be_written_stops_the_run(tmp_path):
    one_line_error(audit(tmp_path, "/proc/self/auditor-out"), "cannot")


def test_an_existing_output_folder_is_replaced_by_the_new_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("from an older run", encoding="utf-8")
    run = audit(tmp_path, str(out))
    assert run.returncode in (0, 1), run.stderr
    assert (out / "results.json").exists() and not (out / "stale.txt").exists()


def test_a_pipe_named_as_input_is_refused_as_not_a_regular_file(tmp_path):
    import os

    pipe = tmp_path / "night.jsonl"
    os.mkfifo(pipe)
    run = subprocess.run([sys.executable, "-m", "auditor.cli", "audit", str(pipe), "--out", str(tmp_path / "out"), "-q",
                          "--no-history", "--no-data-docs"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert "not a regular file" in line and str(pipe) in line


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root reads every folder, so no folder is unreadable")
def test_an_unreadable_subfolder_stops_the_run_instead_of_losing_its_rows(tmp_path):
    folder = tmp_path / "inputs"
    (folder / "locked").mkdir(parents=True)
    table(folder)
    (folder / "locked" / "more.jsonl").write_text(json.dumps({"id": "b", "Titel": "T", "Text": "x"}) + "\n",
                                                  encoding="utf-8")
    (folder / "locked").chmod(0)
    try:
        run = subprocess.run([sys.executable, "-m", "auditor.cli", "audit", str(folder), "--out", str(tmp_path / "out"),
                              "-q", "--no-history", "--no-data-docs"], capture_output=True, text=True, timeout=300)
    finally:
        (folder / "locked").chmod(0o755)
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert "locked" in line and "cannot be read" in line
