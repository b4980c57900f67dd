"""Evaluate `category-consistent-in-batch` on real labelled text with corrupted labels, and time it at scale.

    .venv/bin/python benchmarks/eval_batch.py                  # quality: news and police, 5 seeds, vs the baseline
    .venv/bin/python benchmarks/eval_batch.py --set police     # one set only (news | police)
    .venv/bin/python benchmarks/eval_batch.py --direct         # same, calling the pure function
    .venv/bin/python benchmarks/eval_batch.py --rows 100000    # speed and memory on N rows

Quality, on two real sets of ../shared/data:

- news: the 514 articles of gnad10k_dev.csv, labelled with their newspaper section (`rubrik`, 9 labels);
- police: the 240 police press releases of police_dev.csv (title + body), labelled with their `primary`
  incident category written as the default taxonomy's display label (`Körperverletzung`, 16 labels, many
  with only a handful of rows). A row's label is wrong only when it is neither its `primary` nor one of its
  `acceptable` categories, so a corruption that lands on an acceptable label is no error (and flagging it
  counts as a false finding).

For each seed, 10 % of the labels are replaced at random by another label of the set. Printed per seed and
as the mean: precision, recall and F1 of the rows flagged, for

- the check, run as the real GX expectation (`auditor.validate.run_validation` on a rule
  `category-consistent-in-batch` with the label column, `text_columns: [text]` and its default settings)
  or, with `--direct`, through `find_inconsistent_labels`; also the share of caught rows whose suggestion
  is acceptable (the original label, or one of the row's acceptable ones);
- the baseline it must beat by 1.2x, measured in the same run: cleanlab's `find_label_issues` (default
  settings) on 5-fold out-of-fold probabilities of word 1-2-gram TF-IDF + logistic regression.

The check by design does not judge rows of labels too rare to learn (`min_per_label`, after corruption);
the baseline is run on the same rows the check judges and both are scored on those rows (columns
`judged`, `wrong`). On police a few rows fall outside; the F1 over all rows (the check's unjudged rows
counted as not flagged, the baseline run on all rows) is printed beside it.

Then, per set, the reliability of the findings' `confidence` (the calibrated probability that the label is
wrong) over the 5 seeds pooled: per confidence bin the findings, their mean confidence and the share truly
wrong; the expected calibration error (ECE: the bins' |mean confidence - share wrong|, weighted by their
findings); and the share truly wrong among findings at or above 0.6 and 0.9.

Speed (`--rows N`): the dev rows repeated to N rows, each copy perturbed (10 % of its
words dropped, 5 % altered) so no two are identical and the vocabulary grows, 10 % of
the labels corrupted; prints the wall time of the check (through GX unless `--direct`)
and the peak memory: the main process's peak RSS during the check (reset before it) and
that of the worker processes hashing the text. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared"
DATA = SHARED / "data" / "gnad10k_dev.csv"
POLICE = SHARED / "data" / "police_dev.csv"
RULE = "category-consistent-in-batch"
SEEDS = (0, 1, 2, 3, 4)
NOISE = 0.10
TARGET = 1.2
BINS = np.linspace(0.0, 1.0, 11)


@dataclass
class LabelledSet:
    name: str
    frame: pd.DataFrame  # columns id, label, text
    acceptable: list[frozenset]  # per row, labels other than the original that are also right


def load() -> pd.DataFrame:
    if not DATA.exists():
        sys.exit(f"{DATA} is not present")
    return pd.read_csv(DATA)[["id", "rubrik", "text"]]


def news_set() -> LabelledSet:
    frame = load().rename(columns={"rubrik": "label"})
    return LabelledSet("news", frame, [frozenset()] * len(frame))


def police_set() -> LabelledSet:
    if not POLICE.exists():
        sys.exit(f"{POLICE} is not present")
    from auditor.resources import default_rules_dir
    from auditor.taxonomy import load_taxonomy

    display = {category.id: category.label for category in load_taxonomy(default_rules_dir() / "taxonomy.yaml").categories}
    raw = pd.read_csv(POLICE, keep_default_na=False)
    frame = pd.DataFrame({"id": raw["id"], "label": raw["primary"].map(display), "text": raw["title"] + "\n" + raw["body"]})
    acceptable = [frozenset(display[key] for key in value.split("|") if key) for value in raw["acceptable"]]
    return LabelledSet("police", frame, acceptable)


def corrupt(labels: pd.Series, seed: int, share: float = NOISE) -> tuple[pd.Series, np.ndarray]:
    """Replace ``share`` of the labels, at random, by another of the labels; returns the new
    labels and the corrupted positions."""
    rng = np.random.default_rng(seed)
    values = labels.to_numpy(dtype=object).copy()
    sections = np.array(sorted(labels.unique()), dtype=object)
    rows = rng.choice(len(values), size=round(share * len(values)), replace=False)
    for row in rows:
        others = sections[sections != values[row]]
        values[row] = others[rng.integers(len(others))]
    return pd.Series(values, index=labels.index), np.sort(rows)


def scores(flagged: set[int], truth: set[int]) -> tuple[float, float, float]:
    hits = len(flagged & truth)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def rule_min_confidence() -> float:
    """The lowest confidence of a finding of the rule in the default rules (its confidence.warning)."""
    from auditor.rules import load_rules

    rule = load_rules().get(RULE)
    return float(rule.confidence.get("warning", 0.0)) if rule and rule.confidence else 0.0


MIN_CONFIDENCE: float | None = None  # set by --min-confidence; default: the rule's


def run_check(frame: pd.DataFrame, direct: bool, column: str = "rubrik", **args) -> dict:
    """The check's details (row -> detail) on ``frame`` (columns id, ``column``, text), reporting
    what the rule reports: rows at or above its lowest confidence level."""
    floor = MIN_CONFIDENCE if MIN_CONFIDENCE is not None else rule_min_confidence()
    params = {"text_columns": ["text"], "min_confidence": floor, **args}
    if direct:
        from auditor.batch import find_inconsistent_labels
        from auditor.batch.label_consistency import LabelConsistencySettings

        verdict = find_inconsistent_labels(frame, column, LabelConsistencySettings(**params))
        return {int(k): v for k, v in verdict["details"].items()}
    from auditor.rules import Rule, RuleSet
    from auditor.validate import run_validation

    rule = Rule(id=RULE, description="labels consistent in the batch", severity="warning",
                expectation="expect_batch_labels_to_be_consistent", columns=(column,), args=params)
    [outcome] = run_validation(RuleSet(rules=(rule,), column_mapping={}, taxonomy=None, sources=()), frame).outcomes
    if outcome.error:
        sys.exit(f"the check failed: {outcome.error}")
    return {int(k): v for k, v in outcome.result["details"].items()}


def judged_rows(labels: pd.Series) -> np.ndarray:
    """The rows the check judges with its default settings: those of labels with enough rows to learn."""
    from auditor.batch.label_consistency import LabelConsistencySettings

    settings = LabelConsistencySettings()
    counts = labels.value_counts()
    return labels.map(counts).to_numpy() >= max(settings.min_per_label, settings.folds)


def baseline(texts: list[str], labels: pd.Series) -> set[int]:
    """cleanlab defaults on 5-fold OOF probabilities of TF-IDF 1-2-grams + logistic regression."""
    from cleanlab.filter import find_label_issues
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = pd.factorize(labels, sort=True)[0]
    features = TfidfVectorizer(ngram_range=(1, 2)).fit_transform(texts)
    probabilities = cross_val_predict(
        LogisticRegression(max_iter=1000), features, y,
        cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba", n_jobs=2,
    )
    return set(np.flatnonzero(find_label_issues(y, probabilities)).tolist())


def quality(labelled: LabelledSet, direct: bool) -> dict:
    original, acceptable = labelled.frame, labelled.acceptable
    path = "pure function find_inconsistent_labels" if direct else "GX expectation via run_validation"
    print(f"== {labelled.name}: {len(original)} rows, {original['label'].nunique()} labels, {NOISE:.0%} of the "
          f"labels corrupted per seed")
    print(f"check: {path}; baseline: TF-IDF 1-2-gram + LR, 5-fold OOF, cleanlab find_label_issues defaults, "
          f"on the rows the check judges\n")
    print(f"{'seed':>4} {'judged':>6} {'wrong':>5}  {'check P':>7} {'R':>5} {'F1':>5} {'sugg':>5} {'flagged':>7} {'s':>5}"
          f"   {'base P':>6} {'R':>5} {'F1':>5} {'flagged':>7} {'s':>5}   {'all rows: F1':>12} {'base F1':>7}")
    rows, findings = [], []
    for seed in SEEDS:
        labels, _ = corrupt(original["label"], seed)
        right = [{original["label"].iat[row], *acceptable[row]} for row in range(len(original))]
        truth = {row for row in range(len(original)) if labels.iat[row] not in right[row]}
        judged = judged_rows(labels)
        on = set(np.flatnonzero(judged).tolist())
        frame = original.assign(label=labels)
        started = time.perf_counter()
        details = run_check(frame, direct, column="label")
        check_seconds = time.perf_counter() - started
        flagged = set(details)
        caught = flagged & truth
        suggested = sum(details[row]["suggestion"] in right[row] for row in caught) / len(caught) if caught else 0.0
        findings += [(details[row]["confidence"], row in truth) for row in flagged]
        started = time.perf_counter()
        positions = np.flatnonzero(judged)
        base = {int(positions[row]) for row in baseline(original["text"].to_numpy()[judged].tolist(), labels[judged])}
        base_seconds = time.perf_counter() - started
        base_all = baseline(original["text"].tolist(), labels) if len(on) < len(original) else base
        mine, theirs = scores(flagged & on, truth & on), scores(base, truth & on)
        mine_all, theirs_all = scores(flagged, truth), scores(base_all, truth)
        rows.append((*mine, suggested, *theirs, mine_all[2], theirs_all[2]))
        print(f"{seed:>4} {len(on):>6} {len(truth & on):>5}  {mine[0]:>7.3f} {mine[1]:>5.3f} {mine[2]:>5.3f} "
              f"{suggested:>5.3f} {len(flagged):>7} {check_seconds:>5.1f}   {theirs[0]:>6.3f} {theirs[1]:>5.3f} "
              f"{theirs[2]:>5.3f} {len(base):>7} {base_seconds:>5.1f}   {mine_all[2]:>12.3f} {theirs_all[2]:>7.3f}",
              flush=True)
    mean = np.mean(rows, axis=0)
    print(f"{'mean':>4} {'':>6} {'':>5}  {mean[0]:>7.3f} {mean[1]:>5.3f} {mean[2]:>5.3f} {mean[3]:>5.3f} {'':>7} {'':>5}"
          f"   {mean[4]:>6.3f} {mean[5]:>5.3f} {mean[6]:>5.3f} {'':>7} {'':>5}   {mean[7]:>12.3f} {mean[8]:>7.3f}")
    ratio = mean[2] / mean[6] if mean[6] else float("inf")
    verdict = "meets" if ratio >= TARGET else "does NOT meet"
    print(f"\n{labelled.name}: check mean F1 {mean[2]:.3f} = {ratio:.2f}x baseline mean F1 {mean[6]:.3f} on the same "
          f"rows: {verdict} the {TARGET}x target (all rows: {mean[7]:.3f} vs {mean[8]:.3f})")
    ece = reliability(findings, labelled.name)
    return {"f1": mean[2], "baseline": mean[6], "ratio": ratio, "ece": ece}


def reliability(findings: list[tuple[float, bool]], name: str) -> float:
    """Print the reliability table of the findings' confidence and return the expected calibration error."""
    confidence = np.array([c for c, _ in findings], dtype=float)
    wrong = np.array([w for _, w in findings], dtype=float)
    print(f"\n{name}: reliability of `confidence` over the {len(findings)} findings of the 5 seeds")
    print(f"{'confidence':>10}  {'findings':>8} {'mean conf':>9} {'truly wrong':>11}")
    where = np.clip(np.digitize(confidence, BINS) - 1, 0, len(BINS) - 2)
    ece = 0.0
    for position in range(len(BINS) - 1):
        inside = where == position
        if not inside.any():
            print(f"{BINS[position]:.1f}-{BINS[position + 1]:.1f}  {0:>8} {'':>9} {'':>11}")
            continue
        mean_confidence, share = confidence[inside].mean(), wrong[inside].mean()
        ece += inside.sum() / len(findings) * abs(mean_confidence - share)
        print(f"{BINS[position]:.1f}-{BINS[position + 1]:.1f}  {int(inside.sum()):>8} {mean_confidence:>9.3f} {share:>11.3f}")
    print(f"{name}: expected calibration error {ece:.3f}")
    for bar in (0.6, 0.9):
        above = confidence >= bar
        share = wrong[above].mean() if above.any() else float("nan")
        print(f"{name}: findings with confidence >= {bar}: {int(above.sum())}, truly wrong {share:.3f}")
    return ece


def perturbed(original: pd.DataFrame, rows: int, seed: int = 0) -> tuple[pd.DataFrame, set[int]]:
    """``rows`` rows made of the dev rows, each copy with 10 % of its words dropped and 5 % altered,
    10 % of the labels corrupted; and the corrupted rows."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghiklmnoprstuwzäöü"))
    words = [text.split() for text in original["text"]]
    source = np.arange(rows) % len(original)
    texts = []
    for position in source:
        tokens = words[position]
        draw = rng.random(len(tokens))
        suffixes = rng.choice(letters, size=(len(tokens), 2))
        texts.append(" ".join(
            token + "".join(suffixes[i]) if draw[i] < 0.05 else token
            for i, token in enumerate(tokens) if draw[i] >= 0.15 or draw[i] < 0.05
        ))
    frame = pd.DataFrame({
        "id": [f"r{i}" for i in range(rows)],
        "rubrik": original["rubrik"].to_numpy()[source],
        "text": texts,
    })
    frame["rubrik"], corrupted = corrupt(frame["rubrik"], seed)
    return frame, set(corrupted.tolist())


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def speed(rows: int, direct: bool) -> None:
    original = load()
    started = time.perf_counter()
    frame, truth = perturbed(original, rows)
    print(f"{rows} rows, {frame['text'].str.len().sum() / 1e6:.0f} MB of text (made in {time.perf_counter() - started:.0f} s)")
    import auditor.validate  # noqa: F401  (imports GX, sklearn and cleanlab before the clock starts)
    import cleanlab.filter  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    before = _rss_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (Linux)
    started = time.perf_counter()
    details = run_check(frame, direct)
    wall = time.perf_counter() - started
    peak = _rss_mb("VmHWM")
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    precision, recall, f1 = scores(set(details), truth)
    print(f"check ({'pure function' if direct else 'through GX'}): {wall:.1f} s wall, {len(details)} rows flagged "
          f"(precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f} on these repeated rows: far easier than real data)")
    print(f"memory: main process peak {peak:.0f} MB during the check (RSS before it {before:.0f} MB, so +{peak - before:.0f} MB); "
          f"largest hashing worker peak {workers:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help="speed mode: time the check on this many perturbed rows")
    parser.add_argument("--direct", action="store_true", help="call the pure function instead of the GX expectation")
    parser.add_argument("--set", choices=("news", "police"), help="quality on one set only")
    parser.add_argument("--min-confidence", type=float, help="report rows from this confidence on (default: the rule's)")
    args = parser.parse_args()
    global MIN_CONFIDENCE
    MIN_CONFIDENCE = args.min_confidence
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    if args.rows:
        speed(args.rows, args.direct)
    else:
        results = {}
        for name, make in (("news", news_set), ("police", police_set)):
            if args.set in (None, name):
                results[name] = quality(make(), args.direct)
                print()
        for name, result in results.items():
            print(f"{name:>6}: F1 {result['f1']:.3f} vs baseline {result['baseline']:.3f} ({result['ratio']:.2f}x, "
                  f"target {TARGET}x), ECE {result['ece']:.3f}")


if __name__ == "__main__":
    main()
