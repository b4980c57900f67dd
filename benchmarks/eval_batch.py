"""Evaluate `category-consistent-in-batch` on real news with corrupted labels, and time it at scale.

    .venv/bin/python benchmarks/eval_batch.py                  # quality: 5 seeds, vs the baseline
    .venv/bin/python benchmarks/eval_batch.py --direct         # same, calling the pure function
    .venv/bin/python benchmarks/eval_batch.py --rows 100000    # speed and memory on N rows

Quality: the 514 articles of ../shared/data/gnad10k_dev.csv; for each seed, 10 % of the
`rubrik` labels are replaced at random by another rubrik. Printed per seed and as the
mean: precision, recall and F1 of the rows flagged, for

- the check, run as the real GX expectation (`auditor.validate.run_validation` on a rule
  `category-consistent-in-batch` with `column: rubrik`, `text_columns: [text]`) or, with
  `--direct`, through `find_inconsistent_labels`; also the share of caught rows whose
  suggestion is the original rubrik;
- the baseline it must beat, measured in the same run: cleanlab's `find_label_issues`
  (default settings) on 5-fold out-of-fold probabilities of word 1-2-gram TF-IDF +
  logistic regression.

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
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "gnad10k_dev.csv"
RULE = "category-consistent-in-batch"
SEEDS = (0, 1, 2, 3, 4)
NOISE = 0.10


def load() -> pd.DataFrame:
    if not DATA.exists():
        sys.exit(f"{DATA} is not present")
    return pd.read_csv(DATA)[["id", "rubrik", "text"]]


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


def run_check(frame: pd.DataFrame, direct: bool, **args) -> dict:
    """The check's details (row -> detail) on ``frame`` (columns id, rubrik, text)."""
    params = {"text_columns": ["text"], **args}
    if direct:
        from auditor.batch import find_inconsistent_labels
        from auditor.batch.label_consistency import LabelConsistencySettings

        verdict = find_inconsistent_labels(frame, "rubrik", LabelConsistencySettings(**params))
        return {int(k): v for k, v in verdict["details"].items()}
    from auditor.rules import Rule, RuleSet
    from auditor.validate import run_validation

    rule = Rule(id=RULE, description="labels consistent in the batch", severity="warning",
                expectation="expect_batch_labels_to_be_consistent", columns=("rubrik",), args=params)
    [outcome] = run_validation(RuleSet(rules=(rule,), column_mapping={}, taxonomy=None, sources=()), frame).outcomes
    if outcome.error:
        sys.exit(f"the check failed: {outcome.error}")
    return {int(k): v for k, v in outcome.result["details"].items()}


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


def quality(direct: bool) -> None:
    original = load()
    path = "pure function find_inconsistent_labels" if direct else "GX expectation via run_validation"
    print(f"{len(original)} articles, {len(original['rubrik'].unique())} rubriken, {NOISE:.0%} labels corrupted per seed")
    print(f"check: {path}; baseline: TF-IDF 1-2-gram + LR, 5-fold OOF, cleanlab find_label_issues defaults\n")
    print(f"{'seed':>4}  {'check P':>7} {'R':>5} {'F1':>5} {'sugg':>5} {'flagged':>7} {'s':>5}   "
          f"{'base P':>6} {'R':>5} {'F1':>5} {'flagged':>7} {'s':>5}")
    rows = []
    for seed in SEEDS:
        labels, corrupted = corrupt(original["rubrik"], seed)
        truth = set(corrupted.tolist())
        frame = original.assign(rubrik=labels)
        started = time.perf_counter()
        details = run_check(frame, direct)
        check_seconds = time.perf_counter() - started
        flagged = set(details)
        caught = flagged & truth
        right = sum(details[row]["suggestion"] == original["rubrik"].iat[row] for row in caught) / len(caught) if caught else 0.0
        started = time.perf_counter()
        base = baseline(original["text"].tolist(), labels)
        base_seconds = time.perf_counter() - started
        mine, theirs = scores(flagged, truth), scores(base, truth)
        rows.append((*mine, right, *theirs))
        print(f"{seed:>4}  {mine[0]:>7.3f} {mine[1]:>5.3f} {mine[2]:>5.3f} {right:>5.3f} {len(flagged):>7} {check_seconds:>5.1f}   "
              f"{theirs[0]:>6.3f} {theirs[1]:>5.3f} {theirs[2]:>5.3f} {len(base):>7} {base_seconds:>5.1f}", flush=True)
    mean = np.mean(rows, axis=0)
    print(f"{'mean':>4}  {mean[0]:>7.3f} {mean[1]:>5.3f} {mean[2]:>5.3f} {mean[3]:>5.3f} {'':>7} {'':>5}   "
          f"{mean[4]:>6.3f} {mean[5]:>5.3f} {mean[6]:>5.3f}")
    verdict = "beats" if mean[2] > mean[6] else "does NOT beat"
    print(f"\ncheck mean F1 {mean[2]:.3f} {verdict} baseline mean F1 {mean[6]:.3f}")


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
    args = parser.parse_args()
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    if args.rows:
        speed(args.rows, args.direct)
    else:
        quality(args.direct)


if __name__ == "__main__":
    main()
