"""A run killed while writing its outputs (SIGKILL) leaves no phantom run in the history, and
the next run removes its staging folder; a live run's staging folder is never touched."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.history import HistoryStore
from auditor.report.staging import Staging, sweep_stale

AUDITOR = Path(sys.executable).with_name("auditor")
WORDS = ("Gemeinderat Budget Abstimmung Opposition Kompromiss Landtag Antrag Sitzung Bürgermeister Haushalt "
         "Förderung Verkehr Schule Brücke Wahl Ausschuss Bericht Gemeinde Region Entscheidung").split()


def export(path: Path, rows: int) -> Path:
    """Rows on local politics, each with leaked markup in its title: a finding per row, so the
    report takes a moment to write."""
    lines = []
    for number in range(rows):
        words = [WORDS[(number * 7 + k * 3) % len(WORDS)] for k in range(40)]
        body = (f"Linz, Österreich - Der {words[0]} beriet am Dienstag über {words[1]} und {words[2]}. "
                + " ".join(f"Die {a} und der {b} wurden besprochen." for a, b in zip(words[3::2], words[4::2])))
        lines.append(json.dumps({"id": f"r{number}", "Titel": f"<b>{words[5]}</b> in Linz {number}", "Text": body,
                                 "Vorfall": "Politik", "Ursache": words[1], "Ort": "Linz, Österreich",
                                 "Quellen": "www.nachrichten.at", "Datum": "2026-11-30"}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def staging_folders(root: Path) -> list[Path]:
    return sorted(path for path in root.glob(".*") if ".partial-" in path.name)


def kill_while_writing(table: Path, out: Path) -> None:
    """Start a real audit and SIGKILL it as soon as its staging folder exists."""
    process = subprocess.Popen([str(AUDITOR), "audit", str(table), "--out", str(out), "--fail-on", "never", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while not staging_folders(out.parent):
            if process.poll() is not None:
                pytest.fail(f"the audit ended before writing ({process.returncode}): {process.stderr.read()!r}")
            if time.monotonic() > deadline:
                pytest.fail("no staging folder appeared within 300 s")
            time.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def test_a_run_killed_while_writing_is_no_run_and_its_leftovers_are_removed(tmp_path):
    root = tmp_path / "reports"
    table = export(tmp_path / "export.jsonl", 1500)
    kill_while_writing(table, root / "killed")

    assert not (root / "killed").exists()
    left = staging_folders(root)
    assert len(left) == 1  # what a killed run leaves behind ...
    with HistoryStore(root / "history.sqlite", create=False) as store:
        assert store.runs() == []  # ... is no run: not listed
        assert store.latest_run_of(str(table.resolve())) is None  # and no baseline
    with sqlite3.connect(root / "history.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM runs WHERE complete = 0").fetchone()[0] == 1

    listing = subprocess.run([str(AUDITOR), "history", "--history", str(root / "history.sqlite")],
                             capture_output=True, text=True, timeout=120)
    assert "no runs recorded yet" in listing.stdout

    completed = subprocess.run([str(AUDITOR), "audit", str(table), "--out", str(root / "next"), "--fail-on", "never", "-q"],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert staging_folders(root) == []  # the next run removed the killed run's staging folder
    document = json.loads((root / "next" / "results.json").read_text(encoding="utf-8"))
    # Not compared with the phantom: the first real run of this input has no baseline.
    assert document["history"]["baseline_run"] is None
    assert all(finding["new"] for finding in document["findings"])
    with sqlite3.connect(root / "history.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM runs WHERE complete = 0").fetchone()[0] == 0  # the phantom is gone
        assert db.execute("SELECT out_dir FROM runs").fetchall() == [(str((root / "next").resolve()),)]


HOLD = """
import sys, time
from pathlib import Path
from auditor.report.staging import Staging
staging = Staging(Path(sys.argv[1]))
print(staging.path, flush=True)
time.sleep(600)
"""


def test_a_live_runs_staging_folder_is_left_alone(tmp_path):
    """A staging folder held by a live process (here one that only holds it) survives a real run
    into the same root; once that process is gone, it is removed."""
    root = tmp_path / "reports"
    root.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(root / "other-run")], stdout=subprocess.PIPE, text=True)
    try:
        held = Path(holder.stdout.readline().strip())
        assert held.is_dir() and held.parent == root
        table = export(tmp_path / "small.jsonl", 5)
        completed = subprocess.run([str(AUDITOR), "audit", str(table), "--out", str(root / "mine"), "--fail-on", "never",
                                    "-q"], capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stderr
        assert held.is_dir()
        assert sweep_stale(root) == []
    finally:
        holder.kill()
        holder.wait(timeout=60)
        holder.stdout.close()
    assert sweep_stale(root) == [held] and not held.exists()
    assert sorted(path.name for path in (root / "mine").iterdir()) == ["data-docs", "findings.jsonl", "junit.xml", "report.html",
                                                                       "results.json"]


def test_a_pending_run_of_a_live_process_is_kept_but_never_a_baseline(tmp_path):
    """Two runs of one input at once: the one still writing is invisible to the other, and is
    not deleted as a killed one."""
    summary = {"rows": 1, "findings": 1, "findings_per_severity": {"error": 1}, "passed": False}
    finding = {"rule": "no-markup", "severity": "error", "row_id": "r1", "column": "title", "value": "<b>x</b>",
               "message": "markup", "source": "a.jsonl", "position": 1}
    run = {"inputs": ["a.jsonl"]}
    with HistoryStore(tmp_path / "h.sqlite") as store:
        first = store.record(summary, [], [finding], run)
        writing = store.record(summary, [], [finding], run, complete=False)
        assert writing.baseline["id"] == first.run_id
        later = store.record(summary, [], [finding], run)
        assert later.baseline["id"] == first.run_id  # not the pending run
        assert [r["id"] for r in store.runs()] == [first.run_id, later.run_id]
        store.complete(writing.run_id)  # its outputs are in place: now it is a run
        assert [r["id"] for r in store.runs()] == [first.run_id, writing.run_id, later.run_id]


def test_leftovers_of_older_auditors_and_retired_folders_are_removed(tmp_path):
    root = tmp_path / "reports"
    root.mkdir()
    unlocked = root / ".old-run.partial-abc123"  # an auditor before lock files
    unlocked.mkdir()
    fresh = root / ".new-run.partial-def456"  # just created, lock file not yet there
    fresh.mkdir()
    hour_ago = time.time() - 2 * 3600
    os.utime(unlocked, (hour_ago, hour_ago))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    retired = root / f".run.old-{dead.stdout.strip()}"
    retired.mkdir()
    mine = root / f".run2.old-{os.getpid()}"
    mine.mkdir()
    assert sorted(sweep_stale(root)) == sorted([unlocked, retired])
    assert fresh.is_dir() and mine.is_dir()
    live = Staging(root / "live")
    try:
        assert sweep_stale(root) == [] and live.path.is_dir()
    finally:
        live.close()
    assert sweep_stale(root) == [live.path]
