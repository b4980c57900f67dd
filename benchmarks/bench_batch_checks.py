"""The batch checks (story grouping, label consistency) of a chunked audit, alone: time and memory.

    .venv/bin/python benchmarks/bench_batch_checks.py make TABLE.jsonl FOLDER [--chunk-rows N] [--rows N]
    .venv/bin/python benchmarks/bench_batch_checks.py judge FOLDER [--save DIGESTS.json | --compare DIGESTS.json]
        [--table TABLE.jsonl]

``make`` runs the first pass of a chunked audit (:mod:`auditor.chunked`) with the default
rules, but only the partitions' features for the batch checks (no per-row checks), and
keeps what the batch checks read: the features spilled per chunk, the long texts on disk
and the batch's short cells. ``judge`` then runs each batch check on them in a child
process of its own, as ``_batch_verdicts`` runs it between the passes, and prints its
wall time and the child's peak RSS (the process's own ``ru_maxrss``: loading the short
cells included, which is printed apart as the baseline). ``--save`` writes a digest of each
check's verdict, ``--compare`` checks a later run's against it (a change that should not
change the findings). With ``--table`` it also prints how many of the rewrites ``real_rows.py``
planted the story grouping put in one group with the row they retell. Tables come from ``bench_scale.py`` (``--keep``). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def make(table: Path, folder: Path, chunk_rows: int, rows: int | None, workers: int) -> None:
    from auditor.chunked import _first_pass, _plan
    from auditor.loaders import iter_loaded
    from auditor.long_texts import LongTexts
    from auditor.rules import load_rules

    from auditor.validate import GxValidator

    folder.mkdir(parents=True, exist_ok=True)
    _context = GxValidator()  # a suite is made within a context
    ruleset = load_rules()
    plan = _plan(ruleset)
    plan.row_checks, plan.input_checks = {}, {}
    chunks = iter_loaded([table], chunk_rows)
    if rows is not None:
        chunks = _first_rows(chunks, rows)
    started = time.perf_counter()
    texts = LongTexts(folder / "texts")
    first = _first_pass(ruleset, plan, chunks, texts, workers, 5_000)
    print(f"first pass (features only): {len(first.batch.data):,} rows in {len(first.bounds)} chunks, "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    with (folder / "first.pickle").open("wb") as handle:
        pickle.dump({"first": first, "plan": plan, "texts": texts}, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _first_rows(chunks, rows: int):
    taken = 0
    for loaded in chunks:
        if taken >= rows:
            break
        if taken + len(loaded.frame) > rows:
            loaded.frame = loaded.frame.iloc[:rows - taken]
        taken += len(loaded.frame)
        yield loaded


def _load(folder: Path):
    with (folder / "first.pickle").open("rb") as handle:
        stored = pickle.load(handle)
    return stored["first"], stored["plan"], stored["texts"]


def judge_one(folder: Path, number: int, table: Path | None) -> None:
    from auditor.chunked import _batch_verdicts

    first, plan, texts = _load(folder)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    plan.batch_checks = [plan.batch_checks[number]]
    started = time.perf_counter()
    known, failed = _batch_verdicts(plan, first, texts)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (key, verdict), = known.items() if known else ((next(iter(failed)), failed[next(iter(failed))]),)
    digest = hashlib.sha256(json.dumps(verdict, sort_keys=True, default=str).encode()).hexdigest()[:16]
    details = len(verdict.get("details", {})) if isinstance(verdict, dict) else 0
    print(json.dumps({"check": key[:50], "seconds": round(seconds, 1), "peak_mb": round(peak),
                      "baseline_mb": round(baseline), "details": details, "digest": digest,
                      "failed": key in failed, "rewrites": _rewrites_grouped(table, verdict)}))


def _rewrites_grouped(table: Path | None, verdict) -> list[int] | None:
    """Of the rewrites ``real_rows.py`` plants (a row retold later: the same title and the same
    start of the body, one later sentence dropped and two swapped), how many are in one story
    group with the row they retell: [grouped, planted]."""
    if table is None or not isinstance(verdict, dict) or "stories" not in verdict:
        return None
    group_of = {row: number for number, group in enumerate(verdict["stories"]) for row in group}
    first_of: dict[tuple, int] = {}
    grouped = planted = 0
    with table.open(encoding="utf-8") as handle:
        keys = [(row.get("Titel"), (row.get("Text") or "")[:150]) for row in map(json.loads, handle)]
    for row, title in enumerate(keys):
        if title in first_of:
            planted += 1
            original = group_of.get(first_of[title])
            grouped += original is not None and original == group_of.get(row)
        else:
            first_of[title] = row
    return [grouped, planted]


def judge(folder: Path, save: Path | None, compare: Path | None, table: Path | None) -> int:
    _, plan, _ = _load(folder)
    digests: dict[str, str] = {}
    for number in range(len(plan.batch_checks)):
        done = subprocess.run([sys.executable, __file__, "judge-one", str(folder), str(number),
                               *(["--table", str(table)] if table else [])],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        line = json.loads(done.stdout.strip().splitlines()[-1])
        rewrites = (f"  planted rewrites grouped {line['rewrites'][0]:,} of {line['rewrites'][1]:,}"
                    if line.get("rewrites") else "")
        print(f"{line['check']:<55} {line['seconds']:>7.1f} s  peak {line['peak_mb']:>6,} MB "
              f"(short cells and imports {line['baseline_mb']:,} MB)  {line['details']:>7,} rows flagged  "
              f"{line['digest']}{rewrites}", flush=True)
        digests[line["check"]] = line["digest"]
    if save:
        save.write_text(json.dumps(digests, indent=1))
    if compare:
        before = json.loads(compare.read_text())
        differ = [check for check in digests if before.get(check) != digests[check]]
        print("verdicts identical to the saved ones" if not differ else f"verdicts differ: {', '.join(differ)}")
        return 1 if differ else 0
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("make")
    making.add_argument("table", type=Path)
    making.add_argument("folder", type=Path)
    making.add_argument("--chunk-rows", type=int, default=100_000)
    making.add_argument("--rows", type=int, default=None)
    making.add_argument("--workers", type=int, default=2)
    judging = commands.add_parser("judge")
    judging.add_argument("folder", type=Path)
    judging.add_argument("--save", type=Path)
    judging.add_argument("--compare", type=Path)
    judging.add_argument("--table", type=Path, help="the table the features were made of: the planted rewrites "
                                                     "the story grouping finds")
    one = commands.add_parser("judge-one")
    one.add_argument("folder", type=Path)
    one.add_argument("number", type=int)
    one.add_argument("--table", type=Path)
    arguments = parser.parse_args()
    if arguments.command == "make":
        make(arguments.table, arguments.folder, arguments.chunk_rows, arguments.rows, arguments.workers)
        return 0
    if arguments.command == "judge-one":
        judge_one(arguments.folder, arguments.number, arguments.table)
        return 0
    return judge(arguments.folder, arguments.save, arguments.compare, arguments.table)


if __name__ == "__main__":
    sys.exit(main())
