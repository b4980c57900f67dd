"""Where a row partition's time goes: the text analysis, each per-row check, each feature.

    .venv/bin/python benchmarks/bench_partition.py --rows 20000 [--save REF | --compare REF] [--profile N]

Builds N rows of real German text (`real_rows.py`, the rows `bench_scale.py` audits), the
default rules' per-row checks and partition features as `auditor/validate.py` works them out
of the suite, and runs `auditor.partitions.check_partition` itself on consecutive 5,000-row
partitions in this one process, with each part's function wrapped in a timer: the first
partition is cold (as in a fresh worker: every lazily loaded table and cache empty), the
others warm. Prints seconds per 5,000 rows for each part, and the load average before and
after, since the machine is shared.

`--save REF` writes every check's details and every feature (as the partitions gathered them,
put together as the main process puts them together); `--compare REF` checks that this run
gives exactly the same, so a speed-up provably changes no result. `--profile N` prints the N
costliest functions (cProfile, own time) over the warm partitions, whose figures then include
the profiler's overhead. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pickle
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import build_table  # noqa: E402

import auditor.partitions as partitions  # noqa: E402
from auditor.loaders import load_inputs  # noqa: E402
from auditor.mapping import build_batch  # noqa: E402
from auditor.rules import load_rules  # noqa: E402
from auditor.validate import _context, auditor_checks, build_suite  # noqa: E402

ANALYSIS = "text analysis"
CPU = "cpu:"
RUN_AT = re.compile(r"\(run at [^)]*\)")


def default_checks(data: pd.DataFrame) -> tuple[list[partitions.RowCheck], list[partitions.PartitionFeature]]:
    """The default rules' per-row checks and partition features, as the validation picks them."""
    ruleset = load_rules()
    _context()  # GX builds a suite only inside a data context
    suite, _ = build_suite(ruleset, list(data.columns))
    found = auditor_checks(suite, list(data.columns))
    return list(found.row_checks.values()), list(found.features.values())


def short_name(key: str) -> str:
    """A check's or feature's result key without its settings' hash: metric and column."""
    parts = key.replace("column_values.auditor_", "").replace("table.auditor_", "").split("|")
    return " ".join(part.replace(".detail.map", "") for part in parts[:2])


class Timers:
    """Wall and CPU seconds per part. On a shared machine the CPU time of this process (all
    its threads) is the steadier figure: a busy neighbour stretches the wall time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.seconds[CPU + name] += time.process_time() - cpu
        return timed


def run(data: pd.DataFrame, partition_rows: int, profile: int) -> tuple[list[dict[str, float]], dict[str, Any], dict]:
    """Per partition, each part's seconds; the gathered results; the preparation's seconds."""
    checks, features = default_checks(data)
    started = time.perf_counter()
    # The production path: the batch inputs are worked out on the whole batch, then every
    # process warms up with the batch's distinct values before its first partition.
    whole = partitions.RowCheckRun(data, checks, workers=1, partition_rows=partition_rows, features=features)
    prepared = time.perf_counter()
    partitions._warm_up(whole.checks, whole._distinct_values())
    warmed = time.perf_counter()
    preparation = {"batch inputs": prepared - started, "warm-up": warmed - prepared}
    timers = Timers()
    checks = [dataclasses.replace(check, function=timers.wrap(short_name(check.key), check.function))
              for check in whole.checks]
    features = [dataclasses.replace(feature, function=timers.wrap("feature " + short_name(feature.key), feature.function))
                for feature in features]
    original = partitions.analyse_frame
    partitions.analyse_frame = timers.wrap(ANALYSIS, original)
    per_partition: list[dict[str, float]] = []
    parts: list[dict[str, Any]] = []
    profiler = cProfile.Profile() if profile else None
    try:
        for number, (start, end) in enumerate(partitions.partition_bounds(len(whole._frame), partition_rows)):
            timers.seconds.clear()
            if profiler is not None and number > 0:
                profiler.enable()
            began, cpu = time.perf_counter(), time.process_time()
            parts.append(partitions.check_partition(whole._frame.iloc[start:end], checks, features))
            total, total_cpu = time.perf_counter() - began, time.process_time() - cpu
            if profiler is not None:
                profiler.disable()
            scale = 5_000 / max(1, end - start)
            per_partition.append({**{name: seconds * scale for name, seconds in timers.seconds.items()},
                                  "whole partition": total * scale, CPU + "whole partition": total_cpu * scale})
    finally:
        partitions.analyse_frame = original
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
    gathered: dict[str, Any] = {}
    for check in checks:
        pieces = [part.get(check.key) for part in parts]
        gathered[check.key] = None if any(piece is None for piece in pieces) else pd.concat(pieces)
    for feature in features:
        pieces = [part.get(feature.key) for part in parts]
        gathered[feature.key] = None if any(piece is None for piece in pieces) else feature.combine(pieces)
    return per_partition, gathered, preparation


def differences(saved: Any, now: Any, where: str = "") -> list[str]:
    """Where two results differ (values, order, index and dtypes), at most a few places."""
    if type(saved) is not type(now):
        return [f"{where}: {type(saved).__name__} != {type(now).__name__}"]
    if isinstance(saved, (pd.Series, pd.Index)):
        if len(saved) != len(now):
            return [f"{where}: {len(saved)} != {len(now)} entries"]
        if isinstance(saved, pd.Series):
            found = differences(saved.index, now.index, where + ".index")
            return found + differences(saved.tolist(), now.tolist(), where)
        return [] if saved.equals(now) and saved.dtype == now.dtype else [f"{where}: index differs"]
    if sp.issparse(saved):
        if saved.shape != now.shape or saved.dtype != now.dtype:
            return [f"{where}: {saved.shape} {saved.dtype} != {now.shape} {now.dtype}"]
        return [] if (saved != now).nnz == 0 else [f"{where}: {(saved != now).nnz} cells differ"]
    if isinstance(saved, np.ndarray):
        if saved.dtype != now.dtype or saved.shape != now.shape:
            return [f"{where}: {saved.shape} {saved.dtype} != {now.shape} {now.dtype}"]
        return [] if np.array_equal(saved, now) else [f"{where}: array values differ"]
    if dataclasses.is_dataclass(saved):
        return [found for field in dataclasses.fields(saved)
                for found in differences(getattr(saved, field.name), getattr(now, field.name), f"{where}.{field.name}")]
    if isinstance(saved, dict):
        if list(saved) != list(now):
            return [f"{where}: keys {sorted(map(str, set(saved) ^ set(now)))[:5]} or their order differ"]
        return [found for key in saved for found in differences(saved[key], now[key], f"{where}[{key!r}]")][:5]
    if isinstance(saved, (list, tuple)):
        if len(saved) != len(now):
            return [f"{where}: {len(saved)} != {len(now)} items"]
        return [found for number, (a, b) in enumerate(zip(saved, now))
                for found in differences(a, b, f"{where}[{number}]")][:5]
    if callable(saved):
        return []  # a function handed along (HashedTexts.rows_of): not a result
    if isinstance(saved, float) and np.isnan(saved) and np.isnan(now):
        return []
    if isinstance(saved, str):
        # The one value that names the time of the run (as tests/test_partitions.py has it).
        saved, now = RUN_AT.sub("", saved), RUN_AT.sub("", now)
    return [] if saved == now else [f"{where}: {saved!r} != {now!r}"]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--partition-rows", type=int, default=partitions.DEFAULT_PARTITION_ROWS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tables", type=Path, default=Path(tempfile.gettempdir()) / "auditor-bench-partition",
                        help="where the generated table is kept and reused")
    parser.add_argument("--save", type=Path, help="write the details and features here")
    parser.add_argument("--compare", type=Path, help="check the details and features against a --save run")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (warm partitions; their times then include cProfile's overhead)")
    args = parser.parse_args()
    if args.rows > 20_000:
        sys.exit("at most 20,000 rows: this benchmark runs in one process on a shared machine")
    args.tables.mkdir(parents=True, exist_ok=True)
    table = build_table(args.rows, args.seed, args.tables)
    loaded = load_inputs([table])
    data = build_batch(loaded, load_rules().column_mapping).data
    before = load_average()
    per_partition, gathered, preparation = run(data, args.partition_rows, args.profile)
    after = load_average()
    cold, warm = per_partition[0], per_partition[1:]
    names = sorted((name for name in cold if not name.startswith(CPU)),
                   key=lambda name: (name == "whole partition", -cold[name]))
    print(f"== {len(data)} rows, {len(per_partition)} partitions of {args.partition_rows}, code of "
          f"{Path(partitions.__file__).parents[1]}; "
          f"load average before {before}, after {after}")
    print("preparation (whole batch): " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in preparation.items()))
    print(f"{'seconds per 5,000 rows':<48} {'cold':>7} {'warm':>7}   {'CPU: cold':>9} {'warm':>7}")
    for name in names:
        def warm_mean(key: str) -> float:
            return sum(part.get(key, 0.0) for part in warm) / len(warm) if warm else float("nan")
        print(f"{name:<48} {cold[name]:7.3f} {warm_mean(name):7.3f}   {cold[CPU + name]:9.3f} {warm_mean(CPU + name):7.3f}")
    missing = [short_name(key) for key, value in gathered.items() if value is None]
    if missing:
        print(f"raised on a partition (left to GX): {', '.join(missing)}")
    if args.save:
        args.save.write_bytes(pickle.dumps({"rows": len(data), "results": gathered}))
        print(f"saved {len(gathered)} results to {args.save}")
    if args.compare:
        reference = pickle.loads(args.compare.read_bytes())
        found = [] if reference["rows"] == len(data) else [f"rows: {reference['rows']} != {len(data)}"]
        saved = reference["results"]
        if list(saved) != list(gathered):
            found.append(f"results: {sorted(set(saved) ^ set(gathered))} in one run only")
        else:
            found += [difference for key in saved for difference in differences(saved[key], gathered[key], key)[:3]]
        details = sum(len(value) for key, value in gathered.items() if isinstance(value, pd.Series))
        if found:
            print(f"DIFFERENT from {args.compare}:\n  " + "\n  ".join(found[:20]))
            sys.exit(1)
        print(f"identical to {args.compare}: {len(gathered)} results ({details} details) on {len(data)} rows")


if __name__ == "__main__":
    main()
