"""The scale benchmark: `auditor audit` on 100k (and 1M) rows built from real German text.

    .venv/bin/python benchmarks/bench_scale.py --rows 100000 [--rows 1000000] [--workers N]

Rows come from `real_rows.py` (real sentences of ../shared/data, one distinct story per
row, real words and made-up compounds, rewrites and planted defects). For each size it
runs the real CLI in a child process with the default rules and prints the wall time, the
peak memory of the whole process tree (the sum of the processes' proportional set sizes,
so pages the workers share with the parent count once), the time per step, and the ratio
to one raw multi-pattern scan of the same text measured in the same run: one Aho-Corasick
automaton (pyahocorasick, the `bench` extra) of every term of the taxonomy's lexicon and
every known outlet name, over each row's lower-cased title and body — about the least any
check of the words of the text could cost on one core. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from real_rows import real_rows  # noqa: E402

TARGETS = {100_000: (60.0, 4096.0), 1_000_000: (600.0, 8192.0)}  # wall seconds, peak MB
MAX_SCAN_RATIO = 10.0
MAX_PEAK_GROWTH = 1.6  # peak(1M) / peak(100k)


def build_table(rows: int, seed: int, folder: Path) -> Path:
    table = folder / f"real-{rows}-{seed}.jsonl"
    if not table.exists():
        partial = table.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as handle:
            for row in real_rows(rows, seed=seed):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        partial.rename(table)
    return table


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_mb, self.peak_processes = pid, every, 0.0, 0
        # Where the peak was: seconds after the start, and the main process's share of it.
        self.peak_at, self.peak_main_mb = 0.0, 0.0
        self._began = time.perf_counter()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            pids = _descendants(self.pid)
            sizes = {pid: _pss_mb(pid) for pid in pids}
            total = sum(sizes.values())
            if total > self.peak_mb:
                self.peak_mb, self.peak_processes = total, len(pids)
                self.peak_at, self.peak_main_mb = time.perf_counter() - self._began, sizes.get(self.pid, 0.0)
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_audit(table: Path, out: Path, workers: int | None, chunk_rows: int | None = None,
              samplers: list | None = None) -> tuple[float, float, dict]:
    options = ["--workers", str(workers)] if workers else []
    options += ["--chunk-rows", str(chunk_rows)] if chunk_rows is not None else []
    return timed_audit(table, out, options, "audit", samplers)


def timed_audit(table: Path, out: Path, options: list[str], name: str,
                samplers: list | None = None) -> tuple[float, float, dict]:
    """The CLI's audit of ``table`` in a child process: wall time, peak PSS of its process
    tree, and its results.json; ``samplers`` (a list) receives the memory sampler, which
    knows when the peak was and the main process's share of it."""
    command = [sys.executable, "-m", "auditor.cli", "audit", str(table), "--out", str(out), "--fail-on", "never", "-q",
               *options]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(process.pid)
    memory.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    if samplers is not None:
        samplers.append(memory)
    if process.returncode != 0:
        sys.exit(f"{name} failed ({process.returncode}): {stderr.strip()[-800:]}")
    return wall, memory.peak_mb, json.loads((out / "results.json").read_text(encoding="utf-8"))


def scan_terms() -> list[str]:
    """Every term of the taxonomy's lexicon and every known outlet name, as plain lower-case strings."""
    taxonomy = YAML(typ="safe").load((REPO / "rules" / "taxonomy.yaml").read_text(encoding="utf-8"))
    terms: set[str] = set()

    def collect(node) -> None:
        if isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)
        elif isinstance(node, str) and len(node) > 2:
            terms.add(node.lstrip("=").rstrip("*").casefold())

    for category in taxonomy.get("categories", []):
        collect({key: category.get(key) for key in ("indicators", "counter", "requires", "also_requires", "excludes")})
    collect(YAML(typ="safe").load((REPO / "auditor" / "data" / "outlets.yaml").read_text(encoding="utf-8")))
    return sorted(term for term in terms if term.strip())


def raw_scan_seconds(table: Path) -> tuple[float, int, int]:
    """One Aho-Corasick pass (pyahocorasick, C) for all terms over each row's lower-cased title
    and body; lower-casing is timed with it."""
    try:
        import ahocorasick
    except ImportError:
        sys.exit("the raw scan needs pyahocorasick: .venv/bin/pip install -c constraints.txt -e '.[bench]'")
    texts = []
    with table.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            texts.append(f"{row.get('Titel') or ''}\n{row.get('Text') or ''}")
    terms = scan_terms()
    automaton = ahocorasick.Automaton()
    for number, term in enumerate(terms):
        automaton.add_word(term, number)
    automaton.make_automaton()
    started = time.perf_counter()
    matches = 0
    for text in texts:
        for _ in automaton.iter(text.lower()):
            matches += 1
    return time.perf_counter() - started, matches, len(terms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per run (repeatable; default 100000)")
    parser.add_argument("--workers", type=int, help="--workers for the audit (default: the auditor's own)")
    parser.add_argument("--chunk-rows", type=int, help="--chunk-rows for the audit (default: the auditor's own)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep generated tables and outputs here (and reuse the tables)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="auditor-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    peaks: dict[int, float] = {}
    for rows in args.rows or [100_000]:
        started = time.perf_counter()
        table = build_table(rows, args.seed, work)
        built = time.perf_counter() - started
        out = work / f"out-{rows}"
        sampled: list = []
        wall, peak_mb, results = run_audit(table, out, args.workers, args.chunk_rows, sampled)
        peaks[rows] = peak_mb
        scan, matches, term_count = raw_scan_seconds(table)
        summary, run = results["summary"], results["run"]
        print(f"== {rows} rows ({table.stat().st_size / 1e6:.0f} MB JSONL, built in {built:.0f} s), workers {run.get('workers')}")
        print(f"findings:          {summary['findings']} in {summary['rows_with_findings']} rows")
        print(f"wall time:         {wall:.1f} s  (CLI process, imports included)")
        print(f"peak memory:       {peak_mb:.0f} MB  (PSS summed over the process tree)")
        if sampled:
            tree = sampled[0]
            print(f"  at the peak:     {tree.peak_at:.0f} s of {wall:.0f} s, main process {tree.peak_main_mb:.0f} MB, "
                  f"{tree.peak_processes - 1} other process(es) {tree.peak_mb - tree.peak_main_mb:.0f} MB")
        print("steps:             " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results["timings"].items()))
        print("  validate:        " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in (run.get("validate_steps") or {}).items()))
        print("  main peak RSS:   " + ", ".join(f"{name} {mb} MB" for name, mb in (run.get("peak_mb") or {}).items()))
        if run.get("chunks"):
            print(f"chunks:            {run['chunks']['chunks']} of {run['chunks']['rows']} rows")
        print(f"raw scan:          {scan:.1f} s  ({matches} matches of {term_count} terms, Aho-Corasick, one core)")
        print(f"ratio to the scan: {wall / scan:.1f}x  (target <= {MAX_SCAN_RATIO:.0f}x)")
        outputs = sorted(path for path in out.iterdir() if path.is_file())
        print("outputs:           " + ", ".join(f"{path.name} {path.stat().st_size / 1e6:.1f} MB" for path in outputs))
        if rows in TARGETS:
            wall_target, memory_target = TARGETS[rows]
            print(f"targets:           wall < {wall_target:.0f} s: {'met' if wall < wall_target else f'missed by {wall - wall_target:.0f} s'}; "
                  f"peak < {memory_target:.0f} MB: {'met' if peak_mb < memory_target else f'missed by {peak_mb - memory_target:.0f} MB'}; "
                  f"scan ratio: {'met' if wall / scan <= MAX_SCAN_RATIO else 'missed'}")
    if 100_000 in peaks and 1_000_000 in peaks:
        ratio = peaks[1_000_000] / peaks[100_000]
        print(f"peak(1M) / peak(100k): {ratio:.2f}  (target <= {MAX_PEAK_GROWTH}: {'met' if ratio <= MAX_PEAK_GROWTH else 'missed'})")


if __name__ == "__main__":
    main()
