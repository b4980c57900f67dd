"""Benchmark the report at scale: 100k rows with ~20k findings.

    .venv/bin/python benchmarks/bench_report.py [--rows 100000] [--runs 2] [--keep DIR]

Generates a synthetic export (``generate.py``'s rows, with causes taken from the text and
extra planted defects so that about a fifth of the rows fail), runs the real CLI on it
``--runs`` times into one output root (so the last run is compared with the one before
and the history has a trend; between runs a few defects are fixed and a few new ones are
planted), then opens the last report in Chromium and prints:

* the report's size, the Data Docs' size, the history store's size;
* the report's load time: navigation to the load event, and to the first findings
  rendered (the page's ``findings-rendered`` performance mark), median of 3 loads;
* the time the history store and the Data Docs add to the run (from the run's timings).

Needs Debian's chromium (/usr/bin/chromium) for the load time; not part of the test suite.

    .venv/bin/python benchmarks/bench_report.py --bad-night [--rows 120000] [--keep DIR]

measures the bad night instead: a batch built from the real articles of ../shared/data
(10kGNAD dev, each copy dropping a sentence and carrying made-up compounds, so rows are
distinct; title = the first sentence, location = the dateline's place) where `Ursache` is
empty in every row and half the rows list a source their text does not credit (the other
half credit it: `derStandard.at berichtete.`). It audits the batch twice into one output
root (the second run compared with the first) and prints the findings, the systematic
problems, the sizes of report.html, results.json, findings.jsonl and the history store (and
the store's size per million findings), and the report's load time in Chromium, against the
targets: report.html <= 25 MB, first findings < 3 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import make_row  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# Extra defects on top of generate.py's: (share of rows, what to do)
OFF_TOPIC_CATEGORIES = ["Terrorismus", "Naturkatastrophe", "Brand"]
UNSUPPORTED_CAUSES = ["Cyberangriff auf Server", "Lawinenabgang", "Stromausfall im Umspannwerk"]


def _cause_from_text(body: str) -> str:
    """A noun of the first sentence, so the cause is supported by the text."""
    for word in body.split()[1:12]:
        word = word.strip(".,;:!?")
        if word[:1].isupper() and len(word) >= 6:
            return word
    return "Ermittlungen"


def make_rows(count: int, seed: int, extra: float, generation: int) -> list[dict]:
    rng = random.Random(seed)
    changes = random.Random(seed + generation)
    rows = []
    for number in range(count):
        row = make_row(number, rng)
        row["Ursache"] = _cause_from_text(row["Text"])
        roll = rng.random()
        original_category = row["Vorfall"]
        if roll < extra * 0.45:
            row["Ursache"] = rng.choice(UNSUPPORTED_CAUSES)
        elif roll < extra * 0.8:
            row["Vorfall"] = rng.choice(OFF_TOPIC_CATEGORIES)
        elif roll < extra:
            row["Titel"] = row["Titel"] + " <b>Eilmeldung</b>"
        # Between runs: a few new defects appear, some planted ones are fixed.
        if generation and changes.random() < 0.005:
            row["Quellen"] = "<ul>• " + row["Quellen"]
        if generation and row["Vorfall"] != original_category and changes.random() < 0.2:
            row["Vorfall"] = original_category
        rows.append(row)
    return rows


def write_rows(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_audit(table: Path, out: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "auditor.cli", "audit", str(table), "--out", str(out), "--fail-on", "never", "-q"],
        capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"audit failed ({completed.returncode}): {completed.stderr.strip()}")
    return wall, json.loads((out / "results.json").read_text(encoding="utf-8"))


def load_times(report: Path, loads: int = 3) -> tuple[list[float], list[float], list[float], int]:
    from playwright.sync_api import sync_playwright

    loaded, rendered, wall = [], [], []
    errors = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            started = time.perf_counter()
            page.goto(report.as_uri(), wait_until="load", timeout=60_000)
            page.wait_for_function("document.documentElement.dataset.findingsRendered === '1'", timeout=60_000)
            wall.append(time.perf_counter() - started)
            timing = page.evaluate("""() => {
                const nav = performance.getEntriesByType('navigation')[0];
                const mark = performance.getEntriesByName('findings-rendered')[0];
                return {load: nav.loadEventEnd, rendered: mark ? mark.startTime : null};
            }""")
            loaded.append(timing["load"] / 1000)
            rendered.append((timing["rendered"] or 0) / 1000)
            errors += len(problems)
            page.close()
        browser.close()
    return loaded, rendered, wall, errors


def folder_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) if path.is_dir() else 0


def bad_night_rows(count: int, seed: int = 11) -> list[dict]:
    """Rows of real text where the extraction lost every cause and half the sources are uncredited."""
    import pandas as pd

    from devdata import DATA, dateline_place, perturbed_copies, title_and_body

    articles = pd.read_csv(DATA / "gnad10k_dev.csv")
    texts, _ = perturbed_copies(articles["text"], count, seed=seed)
    titles, bodies = title_and_body(texts)
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        body = bodies.iat[number]
        credited = number % 2 == 0
        rows.append({
            "id": f"n{number:07d}",
            "Titel": titles.iat[number] or body[:80],
            "Text": body + (" derStandard.at berichtete." if credited else ""),
            "Vorfall": "Sonstiges",
            "Ursache": "",
            "Ort": dateline_place(texts.iat[number]),
            "Quellen": "www.derstandard.at",
            "Datum": f"2026-11-{1 + rng.randrange(28):02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}",
            "Link": f"https://www.derstandard.at/story/{number}",
        })
    return rows


def bad_night(args) -> None:
    from devdata import DATA

    if not (DATA / "gnad10k_dev.csv").exists():
        sys.exit(f"{DATA} is not present: the bad night is built from its real articles")
    work = args.keep or Path(tempfile.mkdtemp(prefix="auditor-bad-night-"))
    work.mkdir(parents=True, exist_ok=True)
    table = work / f"bad-night-{args.rows}.jsonl"
    if not table.exists():
        write_rows(bad_night_rows(args.rows), table)
    root = work / "reports"
    for night in range(args.nights):
        out = root / f"night-{night + 1}"
        wall, results = run_audit(table, out)
        summary = results["summary"]
        print(f"night {night + 1}: {wall:.1f} s wall, {summary['rows']} rows, {summary['findings']} findings "
              f"({results['findings_file']['in_results_json']} in results.json); steps: "
              + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results["timings"].items()))
    print("systematic problems:")
    for problem in results["systematic"]:
        print(f"  {problem['text']}  [{problem['findings']} findings]")
    report = out / "report.html"
    store = root / "history.sqlite"
    import sqlite3

    with sqlite3.connect(store) as db:
        stored_findings, stored_bytes = db.execute("SELECT SUM(count), SUM(LENGTH(data)) FROM run_findings").fetchone()
    size = report.stat().st_size / 1e6
    print(f"report.html:       {size:.1f} MB  (target <= 25 MB: {'met' if size <= 25 else 'MISSED'})  ({report})")
    print(f"results.json:      {(out / 'results.json').stat().st_size / 1e6:.1f} MB")
    print(f"findings.jsonl:    {(out / 'findings.jsonl').stat().st_size / 1e6:.1f} MB")
    print(f"junit.xml:         {(out / 'junit.xml').stat().st_size / 1e3:.1f} kB")
    print(f"history.sqlite:    {store.stat().st_size / 1e6:.1f} MB after {args.nights} runs; stored findings "
          f"{stored_bytes / 1e6:.1f} MB for {stored_findings} = {stored_bytes / stored_findings * 1e6 / 1e6:.1f} MB "
          f"per million findings ({stored_bytes / stored_findings:.0f} bytes each)")
    if not Path(CHROMIUM).exists():
        print("load time:         (chromium not installed)")
        return
    loaded, rendered, wall, errors = load_times(report)
    first = statistics.median(rendered)
    print(f"findings rendered: {first:.2f} s  (target < 3 s: {'met' if first < 3 else 'MISSED'}; "
          + ", ".join(f"{t:.2f}" for t in rendered) + ")")
    print(f"load event:        {statistics.median(loaded):.2f} s; goto to rendered {statistics.median(wall):.2f} s wall; "
          f"console errors: {errors}")
    print(f"on demand:         {on_demand_time(report):.2f} s to list the largest systematic problem's findings")


def on_demand_time(report: Path) -> float:
    """Seconds from clicking the first "show its findings" to its first page rendered."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.as_uri(), wait_until="load", timeout=60_000)
        page.wait_for_function("document.documentElement.dataset.findingsRendered === '1'", timeout=60_000)
        seconds = page.evaluate("""() => {
            const started = performance.now();
            document.querySelector('[data-systematic]').click();
            return (performance.now() - started) / 1000;
        }""")
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bad-night", action="store_true", help="measure the bad night (see above)")
    parser.add_argument("--nights", type=int, default=2, help="with --bad-night: audits into one root")
    parser.add_argument("--rows", type=int, default=None, help="rows (default 100000; 120000 with --bad-night)")
    parser.add_argument("--runs", type=int, default=2, help="audit runs into one output root (history, trend)")
    parser.add_argument("--extra", type=float, default=0.12, help="share of rows with extra planted defects")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs here")
    args = parser.parse_args()
    if args.bad_night:
        args.rows = args.rows or 120_000
        bad_night(args)
        return
    args.rows = args.rows or 100_000

    work = args.keep or Path(tempfile.mkdtemp(prefix="auditor-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "reports"
    last = None
    for generation in range(args.runs):
        table = work / f"export-{args.rows}-{generation}.jsonl"
        if not table.exists():
            write_rows(make_rows(args.rows, args.seed, args.extra, generation), table)
        out = root / f"run-{generation}"
        wall, results = run_audit(table, out)
        timings = results["timings"]
        history = results.get("history") or {}
        print(f"run {generation + 1}/{args.runs}: {wall:.1f} s wall, {results['summary']['rows']} rows, "
              f"{results['summary']['findings']} findings on {results['summary']['rows_with_findings']} rows; "
              f"new {history.get('new')}, fixed {history.get('fixed')}")
        print("  steps: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
        last = (out, timings)

    out, timings = last
    report = out / "report.html"
    print()
    print(f"report.html:       {report.stat().st_size / 1e6:.1f} MB  ({report})")
    print(f"data-docs/:        {folder_size(out / 'data-docs') / 1e6:.1f} MB")
    print(f"history.sqlite:    {(root / 'history.sqlite').stat().st_size / 1e6:.1f} MB after {args.runs} runs")
    print(f"history step:      {timings.get('history', 0):.2f} s  (record the run, compare with the previous one)")
    print(f"Data Docs:         {timings.get('data_docs', 0):.2f} s  (slimmed GX result)")
    print(f"report rendering:  {timings.get('report_html', 0):.2f} s")
    if not Path(CHROMIUM).exists():
        print("load time:         (chromium not installed)")
        return
    loaded, rendered, wall, errors = load_times(report)
    print(f"load event:        {statistics.median(loaded):.2f} s  (median of {len(loaded)}: "
          + ", ".join(f"{t:.2f}" for t in loaded) + ")")
    print(f"findings rendered: {statistics.median(rendered):.2f} s  (" + ", ".join(f"{t:.2f}" for t in rendered) + ")")
    print(f"goto to rendered:  {statistics.median(wall):.2f} s wall, as Playwright sees it; console errors: {errors}")


if __name__ == "__main__":
    main()
