"""Benchmark `auditor audit` on N generated rows: wall time, peak memory, GX's share.

    .venv/bin/python benchmarks/bench_audit.py --rows 100000

Runs the real CLI in a child process and prints its numbers; not part of the test suite.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_report import run_audit  # noqa: E402  (the same CLI run, one implementation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the generated input and output here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    table = work / f"generated-{args.rows}.jsonl"
    if not table.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(args.rows), str(table)], check=True)
    out = work / "out"
    wall, results = run_audit(table, out)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    timings = results["timings"]
    print(f"rows:              {results['summary']['rows']}  ({table.stat().st_size / 1e6:.0f} MB input)")
    print(f"findings:          {results['summary']['findings']}  ({results['summary']['rows_with_findings']} rows)")
    print(f"wall time:         {wall:.1f} s  (CLI process, including Python and GX imports)")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print(f"steps:             " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
    print(f"GX validation:     {results['run']['gx_seconds']:.1f} s")
    print(f"outputs:           " + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(out.iterdir())))


if __name__ == "__main__":
    main()
