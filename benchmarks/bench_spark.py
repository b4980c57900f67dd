"""pandas against Spark `local[2]`: `auditor audit` on the same table of real German text.

    .venv/bin/python benchmarks/bench_spark.py --rows 20000 [--rows 100000] [--master local[2]] [--max-findings N]

Rows come from `real_rows.py` (as in `bench_scale.py`). For each size the real CLI runs
twice in child processes, `--engine pandas` and `--engine spark --spark-master MASTER`, with
the default rules; the script prints each run's wall time (imports and, on Spark, the JVM's
start included), the peak memory of the whole process tree (summed PSS: the driver, the
JVM and Spark's Python workers), the time per step, and whether the two runs' findings
agree (rule, row, column, severity, suggestion, span and message: findings.jsonl, which
holds every finding on both engines, those beyond the Spark run's --max-findings too). The
load average is printed before and after: the machine may be shared. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import build_table, timed_audit  # noqa: E402


def run_audit(table: Path, out: Path, engine: str, master: str, max_findings: int | None) -> tuple[float, float, dict]:
    options = ["--no-history", "--no-data-docs", "--engine", engine]
    if engine == "spark":
        options += ["--spark-master", master]
        if max_findings is not None:
            options += ["--max-findings", str(max_findings)]
    return timed_audit(table, out, options, f"{engine} audit")


def all_findings(out: Path) -> list[dict]:
    lines = (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def finding_key(finding: dict) -> str:
    return json.dumps([finding["rule"], finding["row_id"], finding["column"], finding["severity"],
                       finding.get("suggestion"), finding.get("span"),
                       re.sub(r"\(run at [^)]*\)", "", finding["message"])], ensure_ascii=False, default=str)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per run (repeatable; default 20000)")
    parser.add_argument("--master", default="local[2]", help="--spark-master of the Spark run (default local[2])")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep generated tables and outputs here (and reuse the tables)")
    parser.add_argument("--spark-only", action="store_true", help="run only the Spark audit (no comparison)")
    parser.add_argument("--max-findings", type=int, help="--max-findings of the Spark run (default: the CLI's, 50000)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="auditor-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    for rows in args.rows or [20_000]:
        started = time.perf_counter()
        table = build_table(rows, args.seed, work)
        built = time.perf_counter() - started
        print(f"== {rows} rows ({table.stat().st_size / 1e6:.0f} MB JSONL, built in {built:.0f} s), "
              f"{os.cpu_count()} cores, load average {load_average()}")
        engines = ["spark"] if args.spark_only else ["pandas", "spark"]
        findings, summaries = {}, {}
        for engine in engines:
            out = work / f"out-{rows}-{engine}"
            wall, peak_mb, results = run_audit(table, out, engine, args.master, args.max_findings)
            run, summary = results["run"], results["summary"]
            findings[engine], summaries[engine] = all_findings(out), summary
            label = f"{engine} ({args.master})" if engine == "spark" else f"pandas (workers {run.get('workers')})"
            print(f"-- {label}")
            print(f"wall time:    {wall:.1f} s  (CLI process, imports included)")
            print(f"peak memory:  {peak_mb:.0f} MB  (PSS summed over the process tree)")
            print("steps:        " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results["timings"].items()))
            print("  validate:   " + ", ".join(f"{name} {seconds:.1f} s"
                                               for name, seconds in (run.get("validate_steps") or {}).items()))
            beyond = run.get("findings_beyond")
            print(f"findings:     {len(findings[engine])} in findings.jsonl, {summary['findings']} in the summary"
                  + (f" ({beyond['findings']} of them beyond --max-findings {beyond['max_findings']}, made by Spark)"
                     if beyond else "") + f"; verdict: {summary['verdict']['text']}")
            print(f"load average: {load_average()}")
        earlier = work / f"out-{rows}-pandas"
        if "pandas" not in findings and (earlier / "findings.jsonl").is_file():
            findings["pandas"] = all_findings(earlier)  # an earlier pandas run kept with --keep
            summaries["pandas"] = json.loads((earlier / "results.json").read_text(encoding="utf-8"))["summary"]
        if len(findings) == 2:
            pandas_keys = sorted(map(finding_key, findings["pandas"]))
            spark_keys = sorted(map(finding_key, findings["spark"]))
            if pandas_keys == spark_keys:
                print(f"findings agree: yes ({len(pandas_keys)} findings)")
            else:
                only_pandas = len(set(pandas_keys) - set(spark_keys))
                only_spark = len(set(spark_keys) - set(pandas_keys))
                print(f"findings agree: NO ({only_pandas} only on pandas, {only_spark} only on Spark)")
            print(f"summaries agree: {'yes' if summaries['pandas'] == summaries['spark'] else 'NO'}")


if __name__ == "__main__":
    main()
