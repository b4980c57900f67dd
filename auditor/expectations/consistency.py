"""Batch-level expectation: each row's label judged against the rest of the batch.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints.
"""

from __future__ import annotations

from typing import ClassVar

from auditor.batch.label_consistency import (
    LabelConsistencySettings,
    combine_hashed_texts,
    find_inconsistent_labels,
    hashed_texts,
)
from auditor.expectations.base import AuditorBatchExpectation, BatchCheckMetric


class LabelConsistencyMetric(BatchCheckMetric):
    check = find_inconsistent_labels
    settings = LabelConsistencySettings
    features = hashed_texts
    combine_features = combine_hashed_texts


class ExpectBatchLabelsToBeConsistent(AuditorBatchExpectation):
    """Within the batch, each row's label agrees with how the rest of the batch labels similar text.

    What it checks: a text model is learnt from the batch itself, with no word lists,
    for any label column (incident categories, newspaper sections). Cross-validation
    (`folds`-fold, repeated `repeats` times) lets every row be judged only by models
    that never saw it; confident learning (cleanlab) then picks the rows whose label
    the rest of the batch clearly gives to other texts. Each finding suggests the label
    the batch would give, a `confidence` (the probability that the given label is wrong,
    calibrated on the held-out folds against the scores of randomly swapped labels and
    the batch's estimated share of wrong labels), a score (1 minus the out-of-fold
    probability of the given label) and the row's words that speak for the suggestion. Rows with an empty label or no text (`text_columns`) are not judged,
    nor are rows of labels with fewer than `min_per_label` rows. Below `min_rows` rows
    with a label and text, or with fewer than two labels to compare, the check does not
    guess: it passes with a note saying why.

    Why it matters: a label the batch uses for other kinds of stories puts an article
    in the wrong filter, feed and statistic, and no typo check can see it because the
    label itself is valid. The suggestion shows the editor where the article probably
    belongs; a low confidence or an unusual article may well be right as it is.

    Known problems: real sections overlap, so a few per cent of honest rows disagree
    with the batch (with low confidence in a clean batch); the default rule fails only
    when more than 5 % do. A wrong label that is a close neighbour of the right one gets
    a lower confidence than it deserves.
    """

    metric: ClassVar[type] = LabelConsistencyMetric
    rule_id: ClassVar[str] = "category-consistent-in-batch"
