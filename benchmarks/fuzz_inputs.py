"""Fuzz the audit with 10,000 generated hostile inputs and count what breaks the contract.

    taskset -c 1 .venv/bin/python benchmarks/fuzz_inputs.py [--cases 10000] [--seed 0] [--show 20]

Each case is one real `auditor audit` run (the CLI's own `main`, in this process) on one
generated file: CSV, TSV, JSON Lines, a JSON array, Parquet, an article page, or a clean
table under a generated rules file (tests/fuzzing.py makes them, with hypothesis). Every
100th case runs the shipped default rules, the others a small rules file; every other case
records a run history. Prints the counts of internal errors, hangs over 60 s, lost rows
(results that do not list every row written) and wrong exits (a refusal that is not one
`auditor: error:` line, a clean file refused, an exit other than 0, 1 or 2); all must be 0.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests.fuzzing import KINDS, Hang, problems, run_case  # noqa: E402

FULL_RULES_EVERY = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds after which a run counts as a hang")
    parser.add_argument("--show", type=int, default=20, help="print the first N problems")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    work = Path(tempfile.mkdtemp(prefix="auditor-fuzz-"))
    counts = collections.Counter()
    exits = collections.Counter()
    shown = []
    started = time.perf_counter()
    slowest = (0.0, "")
    done = 0
    per_kind = args.cases // len(KINDS)
    for index, (kind, strategy) in enumerate(KINDS.items()):
        budget = per_kind + (1 if index < args.cases % len(KINDS) else 0)

        @settings(max_examples=budget, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        @seed_of(args.seed + index)
        def one(case):
            nonlocal done, slowest
            done += 1
            folder = work / f"case-{done}"
            try:
                outcome = run_case(case, folder, full_rules=done % FULL_RULES_EVERY == 0, history=done % 2 == 0,
                                   timeout=args.timeout)
            except Hang:
                counts["hangs"] += 1
                shown.append(f"hang: {case.kind} {case.name} {case.notes}")
                return
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            exits[(case.kind, outcome.exit_code)] += 1
            if outcome.seconds > slowest[0]:
                slowest = (outcome.seconds, f"{case.kind} {case.name} {case.notes}")
            for problem, detail in problems(case, outcome):
                counts[problem] += 1
                shown.append(f"{problem}: {case.kind} {case.name} {case.notes}: {detail}")
            if done % 500 == 0:
                print(f"  {done} cases, {time.perf_counter() - started:.0f} s, {dict(counts)}", flush=True)

        one()
    shutil.rmtree(work, ignore_errors=True)
    print(f"cases: {done} in {time.perf_counter() - started:.0f} s (slowest run {slowest[0]:.1f} s: {slowest[1]})")
    print("exit codes per kind: " + ", ".join(f"{kind} {code}: {n}" for (kind, code), n in sorted(exits.items(), key=str)))
    for problem in ("internal-error", "hangs", "lost-rows", "wrong-exit"):
        print(f"{problem}: {counts[problem]}")
    for line in shown[: args.show]:
        print("  " + line[:400])


def seed_of(value: int):
    from hypothesis import seed

    return seed(value)


if __name__ == "__main__":
    main()
