"""Run the real `auditor audit` (all default rules) over the 514 real dev articles and count
what each rule flags there.

The dev file has only `id, rubrik, text`, so an aggregator-like table is made of it:
- `Titel`: the first sentence (10kGNAD runs title and teaser into the text), `Text`: the rest;
- `Vorfall`: the editor-assigned incident category (its German label) for the 203 articles
  of ../shared/data/gnad10k_dev_incidents.csv, empty for the other sections;
- `Ort`: the first place of the article's dateline (`Wien/Gumpoldskirchen – ...` -> `Wien`),
  where it has one: real place names, as aggregators copy them, for the gazetteer;
- no cause, no sources, no date (the data has none): those rules see only empty values.
The articles are real and their labels are an editor's, so nearly everything flagged
here is a false positive, except where the extraction above is wrong by construction.

    .venv/bin/python benchmarks/audit_dev.py [--out out/dev] [--show RULE]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditor.rules import load_rules  # noqa: E402
from devdata import dateline_place, title_and_body  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def split_title(text: str) -> tuple[str, str]:
    title, body = title_and_body(pd.Series([text]))
    return title.iat[0] or "", body.iat[0]


def table_rows() -> list[dict]:
    display = load_rules().taxonomy.fit_spec()["display"]
    labels = {row["id"]: row["primary"] for row in csv.DictReader((DATA / "gnad10k_dev_incidents.csv").open(encoding="utf-8"))}
    rows = []
    for article in csv.DictReader((DATA / "gnad10k_dev.csv").open(encoding="utf-8")):
        text = article["text"]
        title, body = split_title(text)
        place = dateline_place(text)
        rows.append({
            "id": article["id"],
            "Titel": title,
            "Text": body,
            "Vorfall": display.get(labels[article["id"]], "") if article["id"] in labels else "",
            "Ort": place,
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "out" / "dev"))
    parser.add_argument("--show", action="append", default=[], help="print this rule's findings")
    args = parser.parse_args()
    if not (DATA / "gnad10k_dev.csv").exists():
        sys.exit(f"{DATA} is not present")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = out / "dev-table.jsonl"
    table.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table_rows()), encoding="utf-8")
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "auditor.cli", "audit", str(table), "--out", str(out / "report"),
                          "--fail-on", "never"], capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(run.stderr or run.stdout)
    results = json.loads((out / "report" / "results.json").read_text(encoding="utf-8"))
    print(f"{len(results['rows'])} rows audited in {elapsed:.1f} s; report: {out / 'report' / 'report.html'}")
    flagged = Counter()
    rows_flagged: dict[str, set] = {}
    for finding in results["findings"]:
        if finding["severity"] == "info":
            continue
        flagged[finding["rule"]] += 1
        rows_flagged.setdefault(finding["rule"], set()).add(finding["row_id"])
    print(f"{'rule':32} {'evaluated':>9} {'rows flagged':>13} {'findings':>9}  note")
    for rule in results["rules"]:
        rows = len(rows_flagged.get(rule["id"], ()))
        print(f"{rule['id']:32} {rule['evaluated']:>9} {rows:>13} {flagged[rule['id']]:>9}  {rule.get('note', '')[:60]}")
    print(f"stories: {len(results.get('stories') or [])} groups")
    for rule in args.show:
        print(f"\n{rule}:")
        for finding in results["findings"]:
            if finding["rule"] == rule:
                print(f"  {finding['row_id']} [{finding['severity']}] {finding['column']}={str(finding['value'])[:50]!r}: "
                      f"{finding['message'][:200]}")


if __name__ == "__main__":
    main()
