"""Story grouping on Spark: grouped in the executors (`auditor/spark/stories.py`) against
gathered to the driver and grouped there (`find_groups`, as before), on one real-text table.

    .venv/bin/python benchmarks/bench_spark_stories.py [--rows 20000] [--master local[2]] [--keep DIR]

Rows come from `real_rows.py` (as in `bench_scale.py`; with `--keep`, the table is reused).
In one driver process, Spark reads the table with the auditor's reader, and one partition pass
makes the default rules' story features (the feature is made twice per Arrow batch: once into
the column the Spark grouping reads, once into the cells gathered to the driver), cached. Then:

* **Spark**: :func:`auditor.spark.stories.story_groups` on the cached features (vocabulary by
  aggregation, band keys exploded and grouped, cosines by joins; the kept pairs collected);
* **driver**: the features streamed to the driver's disk (`gathered_features`), put together
  and grouped by `find_groups` (what `--engine spark` did before).

For each: wall time, the driver process's peak RSS (VmHWM, reset before the step through
/proc/self/clear_refs; the JVM and the Python workers are other processes) and its growth
over the RSS at the start of the step, and the peak PSS of the whole process tree (driver,
JVM, Python workers) during the step. Then whether the two give the same groups, kept pairs'
similarities and comparable count. The load average is printed: the machine may be shared.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import TreeMemory, build_table  # noqa: E402


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def measured(name: str, step):
    """Run ``step()``; print its wall time and memory; return its result."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="utf-8") as handle:
            handle.write("5")  # resets VmHWM (the peak RSS) to the current RSS
    except OSError:
        pass
    start_rss = _status_mb("VmRSS")
    tree = TreeMemory(os.getpid(), every=0.2)
    tree.start()
    started = time.perf_counter()
    result = step()
    wall = time.perf_counter() - started
    tree.stop()
    peak = _status_mb("VmHWM")
    print(f"{name:<28} {wall:8.1f} s   driver peak RSS {peak:7.0f} MB (+{peak - start_rss:.0f} MB over the step's start)"
          f"   tree peak PSS {tree.peak_mb:7.0f} MB   load {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--keep", type=Path, help="keep the generated table here (and reuse it)")
    args = parser.parse_args()

    from pyspark.sql import functions as F

    from auditor.batch.stories import find_groups
    from auditor.rules import load_rules
    from auditor.spark.read import read_inputs
    from auditor.spark.row_checks import FEATURES_COLUMN, combined, feature_column, gathered_features, with_detail_columns
    from auditor.spark.session import spark_session
    from auditor.spark.stories import grouped_on_spark, story_groups
    from auditor.spark.validate import _batch_checks
    from auditor.validate import _context, build_suite

    work = args.keep or Path(tempfile.mkdtemp(prefix="auditor-spark-stories-"))
    work.mkdir(parents=True, exist_ok=True)
    table = build_table(args.rows, args.seed, work)
    print(f"== {args.rows} rows ({table.stat().st_size / 1e6:.0f} MB JSONL), master {args.master}, "
          f"{os.cpu_count()} cores, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    spark = spark_session(args.master)
    _context()  # GX's suite needs a data context, as in a run
    ruleset = load_rules()
    source = read_inputs(spark, [table], ruleset.column_mapping)
    suite, _ = build_suite(ruleset, list(source.columns))
    _, features = _batch_checks(suite, list(source.columns))
    feature = next(feature for feature in features.values() if grouped_on_spark(feature))
    settings = feature.settings
    checked = with_detail_columns(source.frame, [], {}, [feature], [feature])
    started = time.perf_counter()
    checked.where(F.col(FEATURES_COLUMN).isNotNull()).count()
    print(f"partition pass (story features, made twice), cached: {time.perf_counter() - started:.1f} s")

    on_spark = measured("grouped on Spark", lambda: story_groups(checked, feature_column(feature.key), settings,
                                                                 source.rows))

    def on_the_driver():
        with tempfile.TemporaryDirectory(prefix="auditor-features-") as folder:
            gathered = gathered_features(checked, [feature], Path(folder))
            return find_groups(combined(feature, gathered), settings)

    on_driver = measured("gathered, grouped on driver", on_the_driver)
    same = (on_spark.groups == on_driver.groups and on_spark.similarity == on_driver.similarity
            and on_spark.comparable == on_driver.comparable)
    print(f"groups {len(on_spark.groups)} (largest {max(map(len, on_spark.groups), default=0)} rows), kept pairs "
          f"{len(on_spark.similarity)}, comparable rows {on_spark.comparable}; the same on both: {'yes' if same else 'NO'}")
    checked.unpersist()
    source.release()
    spark.stop()


if __name__ == "__main__":
    main()
