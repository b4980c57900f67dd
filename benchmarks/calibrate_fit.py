"""Fit the calibration of `category-fits-text`: Platt scaling of ln(fit + offset) to P(label wrong).

    .venv/bin/python benchmarks/calibrate_fit.py

A "no incident" label (`Sonstiges`) gets its own shift: at the same fit it is wrong more often.
Each labelled dev article (news and police releases, ../shared/data) is judged once with its
primary category (right) and once with a wrong one (five seeded draws), so the probability
assumes as many wrong labels as right ones. The scaling is fitted in 5 folds grouped by
article (no article is judged by a fit that saw it) and the held-out probabilities give the
reliability table and the expected calibration error printed here; the parameters fitted on
all rows are printed last, for `calibration:` in rules/default.yaml. Not part of the test suite.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from eval_fit import DATA, load_news, load_police, reliability, settings_from_rules, wrong_labels  # noqa: E402

from auditor.text.analysis import analyse_texts  # noqa: E402
from auditor.text.category_fit import weigh_category_fit  # noqa: E402

SEEDS = (13, 17, 19, 23, 29)
FOLDS = 5


def fits_of(data, settings, display, ids, spec_fallback) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fit, wrong (0/1), article number and "label is the fallback" of every judged row over all seeds
    (short texts left out)."""
    n = len(data.body)
    title = pd.concat([data.title, data.title], ignore_index=True)
    body = pd.concat([data.body, data.body], ignore_index=True)
    analysis = analyse_texts(title, body)
    fits, wrong, article, fallback = [], [], [], []
    for seed in SEEDS:
        labels = pd.Series([display[c] for c in data.primary] + [display[c] for c in wrong_labels(data, ids, seed)])
        weighing = weigh_category_fit(labels, analysis, settings)
        judged = ~weighing.too_short
        fits.append(weighing.fit[judged])
        wrong.append(np.r_[np.zeros(n), np.ones(n)][judged])
        article.append(np.r_[np.arange(n), np.arange(n)][judged])
        fallback.append((labels.str.casefold() == display[spec_fallback].casefold()).to_numpy()[judged])
    return np.concatenate(fits), np.concatenate(wrong), np.concatenate(article), np.concatenate(fallback)


def main() -> None:
    if not (DATA / "police_dev.csv").exists():
        sys.exit(f"{DATA} is not present")
    spec, settings, _ = settings_from_rules()
    offset = settings.calibration["offset"]
    display, ids = spec["display"], list(spec["display"])
    sets = {data.name: fits_of(data, settings, display, ids, spec["fallback"]) for data in (load_news(), load_police())}
    fit = np.concatenate([values[0] for values in sets.values()])
    wrong = np.concatenate([values[1] for values in sets.values()])
    group = np.concatenate([values[2] + 100_000 * k for k, values in enumerate(sets.values())])
    name = np.concatenate([[key] * len(values[0]) for key, values in sets.items()])
    fallback = np.concatenate([values[3] for values in sets.values()]).astype(float)
    feature = np.c_[np.log(fit + offset), fallback]
    rng = np.random.default_rng(0)
    fold_of_group = dict(zip(np.unique(group), rng.integers(0, FOLDS, len(np.unique(group)))))
    fold = np.array([fold_of_group[g] for g in group])
    held_out = np.zeros(len(fit))
    for k in range(FOLDS):
        model = LogisticRegression(C=1e4, max_iter=1000).fit(feature[fold != k], wrong[fold != k])
        held_out[fold == k] = model.predict_proba(feature[fold == k])[:, 1]
    for key in sets:
        inside = name == key
        lines, ece = reliability(held_out[inside], wrong[inside].astype(bool))
        print(f"{key}: {inside.sum()} judged rows, held-out reliability, ECE {ece:.3f}")
        print("\n".join(lines))
    lines, ece = reliability(held_out, wrong.astype(bool))
    print(f"both: ECE {ece:.3f}")
    model = LogisticRegression(C=1e4, max_iter=1000).fit(feature, wrong)
    print(f"\ncalibration: {{intercept: {model.intercept_[0]:.2f}, slope: {model.coef_[0][0]:.2f}, offset: {offset}, "
          f"fallback_shift: {model.coef_[0][1]:.2f}}}")
    current = dataclasses.asdict(settings)["calibration"]
    print(f"in the rules now: {current}")


if __name__ == "__main__":
    main()
