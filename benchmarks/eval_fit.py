"""Evaluate `category-fits-text` on labelled real news (../shared/data) and time it at scale.

    .venv/bin/python benchmarks/eval_fit.py                 # quality on the dev data
    .venv/bin/python benchmarks/eval_fit.py --rows 100000   # + scoring time on N rows, and the
                                                            #   grounding checks' time on them
    .venv/bin/python benchmarks/eval_fit.py --show-errors   # list the misjudged articles

For every labelled article: one row with its primary category (must pass), and one row
with a wrong category (must fail): `Terrorismus` on every `politik` article, a seeded
random wrong category on the others. Targets: wrong rows flagged >= 95 %, correct rows
(primary or acceptable) flagged <= 3 %, suggestion within the acceptable set for >= 85 %
of flagged wrong rows. Also printed: the flag rate over *every* wrong category of every
article, a harsher view. Runs the pure scoring functions (the same ones the GX
expectation calls); not part of the test suite.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditor.rules import load_rules  # noqa: E402
from auditor.text.analysis import analyse_texts  # noqa: E402
from auditor.text.category_fit import FitSettings, judge_category_fit  # noqa: E402
sys.path.insert(0, str(REPO / "benchmarks"))
from devdata import dateline_place, perturbed_copies, title_and_body  # noqa: E402

DATA = REPO.parent / "shared" / "data"


@dataclass
class LabelledSet:
    name: str
    title: pd.Series
    body: pd.Series
    primary: pd.Series  # category id that fits best
    acceptable: pd.Series  # set of ids an editor accepts (primary included)
    ids: pd.Series


def load_news() -> LabelledSet:
    texts = {row["id"]: row for row in csv.DictReader((DATA / "gnad10k_dev.csv").open(encoding="utf-8"))}
    labels = list(csv.DictReader((DATA / "gnad10k_dev_incidents.csv").open(encoding="utf-8")))
    title, body = title_and_body(pd.Series([texts[label["id"]]["text"] for label in labels]))
    return LabelledSet("news", title, body, pd.Series([label["primary"] for label in labels]),
                       pd.Series([{label["primary"], *filter(None, label["acceptable"].split("|"))} for label in labels]),
                       pd.Series([label["id"] for label in labels]))


def load_police() -> LabelledSet:
    rows = list(csv.DictReader((DATA / "police_dev.csv").open(encoding="utf-8")))
    return LabelledSet("police", pd.Series([row["title"] for row in rows]), pd.Series([row["body"] for row in rows]),
                       pd.Series([row["primary"] for row in rows]),
                       pd.Series([{row["primary"], *filter(None, row["acceptable"].split("|"))} for row in rows]),
                       pd.Series([row["id"] for row in rows]))


def settings_from_rules() -> tuple[dict, FitSettings, object]:
    ruleset = load_rules()
    rule = ruleset.get("category-fits-text")
    spec = ruleset.taxonomy.fit_spec()
    return spec, FitSettings(**rule.args, min_confidence=rule.confidence["warning"], taxonomy=spec), rule


_, _, RULE = settings_from_rules() if (DATA / "police_dev.csv").exists() else (None, None, None)
# Findings at these confidences are warnings and errors (the rule's confidence levels).
WARNING_AT, ERROR_AT = (RULE.confidence["warning"], RULE.confidence["error"]) if RULE else (0.6, 0.9)


def judge(title: pd.Series, body: pd.Series, labels: pd.Series, settings: FitSettings) -> pd.Series:
    analysis = analyse_texts(title.reset_index(drop=True), body.reset_index(drop=True))
    return judge_category_fit(labels.reset_index(drop=True), analysis, settings)


def confidences(details: pd.Series) -> np.ndarray:
    """P(label wrong) per row: the finding's confidence, 0 for a passing row or a note."""
    return details.map(lambda d: float(d.get("confidence", 1.0)) if isinstance(d, dict) and d.get("level") != "info"
                       else 0.0).to_numpy()


def flagged(details: pd.Series, at: float = WARNING_AT) -> np.ndarray:
    return confidences(details) >= at


def reliability(confidence: np.ndarray, wrong: np.ndarray, bins: int = 10) -> tuple[list[str], float]:
    """A reliability table (confidence bins against the observed share of wrong labels) and the ECE."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    lines, ece = [f"    {'confidence':>12} {'rows':>6} {'mean conf':>9} {'wrong':>7}"], 0.0
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        mean_conf, share = confidence[inside].mean(), wrong[inside].mean()
        ece += inside.mean() * abs(mean_conf - share)
        lines.append(f"    {edges[b]:5.1f}–{edges[b + 1]:<5.1f} {inside.sum():6d} {mean_conf:9.3f} {share:7.1%}")
    return lines, ece


def wrong_labels(data: LabelledSet, ids: list[str], seed: int) -> list[str]:
    """One wrong category per article: Terrorismus on every politik article (the defining mistake),
    a seeded random one outside the acceptable set on the others."""
    rng = random.Random(seed)
    return ["terrorismus" if primary == "politik" and "terrorismus" not in acceptable
            else rng.choice([c for c in ids if c not in acceptable])
            for primary, acceptable in zip(data.primary, data.acceptable)]


def evaluate(data: LabelledSet, show_errors: bool, by_halves: bool = False) -> None:
    spec, settings, _ = settings_from_rules()
    display = spec["display"]
    ids = list(display)
    n = len(data.body)
    title, body = pd.concat([data.title, data.title], ignore_index=True), pd.concat([data.body, data.body], ignore_index=True)
    seeds = (13, 17, 19, 23, 29)
    per_seed, all_confidence, all_wrong = [], [], []
    # Two halves of the articles (alternate rows), for checking that a change helps on both, not on a few rows.
    halves = (np.arange(0, n, 2), np.arange(1, n, 2)) if by_halves else ()
    per_half: list[list[tuple]] = [[] for _ in halves]
    for seed in seeds:
        wrong = wrong_labels(data, ids, seed)
        labels = pd.Series([display[c] for c in data.primary] + [display[c] for c in wrong])
        details = judge(title, body, labels, settings)
        confidence = confidences(details)
        flags = confidence >= WARNING_AT
        correct_flags, wrong_flags = flags[:n], flags[n:]
        suggestions_ok = [spec["labels"][details.iat[n + i]["suggestion"].casefold()] in data.acceptable.iat[i]
                          for i in np.flatnonzero(wrong_flags)]
        sure = confidence >= ERROR_AT
        truly_wrong = np.r_[np.zeros(n, bool), np.ones(n, bool)]
        per_seed.append((wrong_flags.mean(), correct_flags.mean(), np.mean(suggestions_ok) if suggestions_ok else 0.0,
                         truly_wrong[sure].mean() if sure.any() else float("nan"), sure.sum()))
        for half, articles in enumerate(halves):
            ok = np.isin(np.flatnonzero(wrong_flags), articles)
            per_half[half].append((wrong_flags[articles].mean(), correct_flags[articles].mean(),
                                   np.mean(np.array(suggestions_ok)[ok]) if ok.any() else 0.0))
        all_confidence.append(confidence)
        all_wrong.append(truly_wrong)
        if seed == seeds[0]:
            first = (wrong, details, correct_flags, wrong_flags, suggestions_ok)
    wrong, details, correct_flags, wrong_flags, suggestions_ok = first
    means = np.nanmean(np.array(per_seed, dtype=float), axis=0)
    print(f"\n== {data.name}: {n} articles, each once with its primary and once with a wrong category "
          f"(seeds {', '.join(map(str, seeds))}) ==")
    print("per seed: " + "; ".join(f"{w:.1%}/{c:.1%}/{s:.1%}" for w, c, s, _, _ in per_seed)
          + "  (wrong flagged/correct flagged/suggestion ok)")
    print(f"wrong rows flagged (error+warning):   {means[0]:6.1%}  (target >= 95 %)")
    print(f"correct rows flagged (error+warning): {means[1]:6.1%}  (target <= 2 %)")
    print(f"suggestion acceptable:                {means[2]:6.1%}  of flagged wrong rows (target >= 92 %)")
    print(f"truly wrong among confidence >= {ERROR_AT}: {means[3]:6.1%}  ({means[4]:.0f} rows per seed; target >= 90 %)")
    for half, rows in enumerate(per_half):
        w, c, s = np.mean(np.array(rows, dtype=float), axis=0)
        print(f"  half {half + 1} ({'even' if half == 0 else 'odd'} rows, {len(halves[half])} articles): "
              f"wrong flagged {w:.1%}, correct flagged {c:.1%}, suggestion acceptable {s:.1%}")
    lines, ece = reliability(np.concatenate(all_confidence), np.concatenate(all_wrong))
    print(f"reliability (all seeds; half the rows are wrong by design), ECE {ece:.3f}:")
    print("\n".join(lines))
    politik = (data.primary == "politik").to_numpy()
    if politik.any():
        print(f"Terrorismus on politik flagged: {wrong_flags[politik].mean():6.1%}  ({politik.sum()} articles)")
    terror = (data.primary == "terrorismus").to_numpy()
    if terror.any():
        print(f"terror stories passing as Terrorismus: {1 - correct_flags[terror].mean():6.1%}  ({terror.sum()} articles)")
    # Acceptable alternatives must pass too.
    alt_rows = [(i, c) for i, acceptable in enumerate(data.acceptable) for c in sorted(acceptable - {data.primary.iat[i]})]
    if alt_rows:
        alt = flagged(judge(data.title.iloc[[i for i, _ in alt_rows]], data.body.iloc[[i for i, _ in alt_rows]],
                            pd.Series([display[c] for _, c in alt_rows]), settings))
        print(f"acceptable (non-primary) labels flagged: {alt.mean():6.1%}  ({len(alt)} rows)")
    # Harsher: every article under every category it must not carry.
    every_rows = [(i, c) for i, acceptable in enumerate(data.acceptable) for c in ids if c not in acceptable]
    every = flagged(judge(data.title.iloc[[i for i, _ in every_rows]], data.body.iloc[[i for i, _ in every_rows]],
                          pd.Series([display[c] for _, c in every_rows]), settings))
    print(f"every wrong category flagged:  {every.mean():6.1%}  ({len(every)} rows)")
    if show_errors:
        print("\ncorrect rows flagged:")
        for i in np.flatnonzero(correct_flags):
            print(f"  {data.ids.iat[i]} [{data.primary.iat[i]}] {details.iat[i]['message'][:230]}")
        print("\nwrong rows passed:")
        for i in np.flatnonzero(~wrong_flags):
            print(f"  {data.ids.iat[i]} [{data.primary.iat[i]} labelled {wrong[i]}] {(data.title.iat[i] or '')[:60]} | "
                  f"{data.body.iat[i][:100]}")
        print("\nflagged wrong rows with a suggestion outside the acceptable set:")
        for k, i in enumerate(np.flatnonzero(wrong_flags)):
            if not suggestions_ok[k]:
                print(f"  {data.ids.iat[i]} [{'|'.join(sorted(data.acceptable.iat[i]))}] "
                      f"-> {details.iat[n + i]['suggestion']}: {details.iat[n + i]['message'][:160]}")


def evaluate_other_sections() -> None:
    """The other news sections (economy, sport, culture, science, web) have no incident: as `Sonstiges`
    they should pass; a check that fires on them would drown editors in noise."""
    spec, settings, _ = settings_from_rules()
    display = spec["display"]
    labelled = {row["id"] for row in csv.DictReader((DATA / "gnad10k_dev_incidents.csv").open(encoding="utf-8"))}
    others = [row["text"] for row in csv.DictReader((DATA / "gnad10k_dev.csv").open(encoding="utf-8"))
              if row["id"] not in labelled]
    title, body = title_and_body(pd.Series(others))
    calm = flagged(judge(title, body, pd.Series(["Sonstiges"] * len(others)), settings))
    print(f"\nSonstiges on other sections flagged: {calm.mean():6.1%}  ({len(others)} articles: Wirtschaft, Sport, Kultur, ...)")
    incidents = [c for c in display if c not in (spec.get("topics") or [])]
    repeat = [i for i in range(len(others)) for _ in incidents]
    loud = flagged(judge(title.iloc[repeat], body.iloc[repeat], pd.Series([display[c] for _ in others for c in incidents]),
                         settings))
    print(f"incident labels on other sections flagged: {loud.mean():6.1%}  ({len(loud)} rows)")


def evaluate_batch_check() -> None:
    """category-consistent-in-batch beside the plain cleanlab baseline, as benchmarks/eval_batch.py runs it."""
    import warnings

    import eval_batch

    warnings.filterwarnings("ignore", category=UserWarning)
    print("\n== category-consistent-in-batch (benchmarks/eval_batch.py, 10 % of labels corrupted, 5 seeds) ==")
    results = {name: eval_batch.quality(make(), direct=False)
               for name, make in (("news", eval_batch.news_set), ("police", eval_batch.police_set))}
    for name, result in results.items():
        print(f"{name:>6}: F1 {result['f1']:.3f} vs baseline {result['baseline']:.3f} ({result['ratio']:.2f}x, "
              f"target {eval_batch.TARGET}x), ECE {result['ece']:.3f}")


def time_at_scale(rows: int) -> None:
    data = load_news()
    spec, settings, _ = settings_from_rules()
    joined = (data.title.fillna("") + ". " + data.body).reset_index(drop=True)
    texts, picks = perturbed_copies(joined, rows)
    labels = pd.Series([spec["display"][c] for c in data.primary.to_numpy()[picks]])
    started = time.perf_counter()
    analysis = analyse_texts(*title_and_body(texts))
    analysed = time.perf_counter()
    details = judge_category_fit(labels, analysis, settings)
    finished = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{rows} rows ({texts.str.len().sum() / 1e6:.0f} MB of text, {len(analysis.surfaces)} distinct words): "
          f"analysis {analysed - started:.1f} s, "
          f"scoring {finished - analysed:.1f} s, total {finished - started:.1f} s; peak RSS {peak:.0f} MB; "
          f"{flagged(details).sum()} flagged")
    time_grounding_checks(texts, analysis)


def time_grounding_checks(texts: pd.Series, analysis) -> None:
    """The checks of the grounding issue on the same rows, sharing the same analysis, as in GX.

    The dev data has no metadata besides labels, so the values are made of the text:
    the dateline's place as location, the title's longest word as cause, an outlet as
    sources; what matters here is the time (the flags are in benchmarks/audit_dev.py)."""
    from auditor.batch.stories import find_story_conflicts
    from auditor.text.cause import find_unsupported_causes
    from auditor.text.furniture import find_furniture
    from auditor.text.language import find_wrong_language
    from auditor.text.outlets import find_uncredited_sources
    from auditor.text.places import find_ungrounded_locations

    title, body = title_and_body(texts)
    locations = texts.map(dateline_place)
    causes = title.fillna("").map(lambda text: max(text.split(), key=len, default="") or "Unbekannt")
    frame = pd.DataFrame({"title": title, "body": body, "category": "Politik", "location": locations})
    checks = {
        "cause-in-text": lambda: find_unsupported_causes(causes, analysis),
        "location-in-text": lambda: find_ungrounded_locations(locations[locations != ""], analysis),
        "language-matches": lambda: find_wrong_language(body),
        "sources-match-text": lambda: find_uncredited_sources(pd.Series("www.derstandard.at", index=body.index),
                                                              body, title),
        "body-without-furniture": lambda: find_furniture(body),
        "duplicate-story-consistency": lambda: find_story_conflicts(frame, analysis),
    }
    total = 0.0
    for name, check in checks.items():
        started = time.perf_counter()
        verdicts = check()
        seconds = time.perf_counter() - started
        total += seconds
        failing = len(verdicts["details"]) if isinstance(verdicts, dict) else int(flagged(verdicts).sum())
        print(f"  {name:28} {seconds:6.1f} s  ({failing} rows flagged)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  grounding checks together {total:.1f} s on the shared analysis; peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help="also time analysis and scoring on this many rows")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--halves", action="store_true",
                        help="also print the figures on each half of the articles (even and odd rows)")
    parser.add_argument("--no-batch", action="store_true", help="skip category-consistent-in-batch (benchmarks/eval_batch.py)")
    args = parser.parse_args()
    if not (DATA / "gnad10k_dev_incidents.csv").exists():
        sys.exit(f"{DATA} is not present")
    for data in (load_news(), load_police()):
        evaluate(data, args.show_errors, args.halves)
    evaluate_other_sections()
    if not args.no_batch:
        evaluate_batch_check()
    if args.rows:
        time_at_scale(args.rows)


if __name__ == "__main__":
    main()
