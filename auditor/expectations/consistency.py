"""Batch-level expectations: each row judged against the rest of the batch.

Like the checks in :mod:`auditor.expectations.checks`, each class's docstring is what
``auditor rules explain`` prints.
"""

from __future__ import annotations

from typing import ClassVar, List

from great_expectations.compatibility.pydantic import Field

from auditor.batch.label_consistency import find_inconsistent_labels
from auditor.expectations.base import AuditorBatchExpectation, batch_check_metric

_LABEL_CONSISTENCY_KEYS = (
    "column", "text_columns", "min_rows", "min_per_label", "folds", "repeats", "max_chars", "workers", "random_state",
)


class ExpectBatchLabelsToBeConsistent(AuditorBatchExpectation):
    """Within the batch, each row's label agrees with how the rest of the batch labels similar text.

    What it checks: a text model is learnt from the batch itself, with no word lists,
    for any label column (incident categories, newspaper sections). Cross-validation
    (`folds`-fold, repeated `repeats` times) lets every row be judged only by models
    that never saw it; confident learning (cleanlab) then picks the rows whose label
    the rest of the batch clearly gives to other texts. Each finding suggests the label
    the batch would give, a score (confidence that the given label is wrong: 1 minus the
    out-of-fold probability of the given label) and the row's words that speak for the
    suggestion. Rows with an empty label or no text (`text_columns`) are not judged,
    nor are rows of labels with fewer than `min_per_label` rows. Below `min_rows` rows
    with a label and text, or with fewer than two labels to compare, the check does not
    guess: it passes with a note saying why.

    Why it matters: a label the batch uses for other kinds of stories puts an article
    in the wrong filter, feed and statistic, and no typo check can see it because the
    label itself is valid. The suggestion shows the editor where the article probably
    belongs; a low score or an unusual article may well be right as it is.

    Passes: an article on a parliament's budget debate labelled `Politik` in a batch
    whose other parliament and government stories are labelled `Politik`.
    Fails:  the same article labelled `Terrorismus` (suggests `Politik`; words:
            Parlament, Budget, Abgeordnete).
    """

    text_columns: List[str] = Field(default_factory=lambda: ["title", "body"], min_items=1)
    min_rows: int = Field(200, ge=2)
    min_per_label: int = Field(20, ge=2)
    folds: int = Field(5, ge=2, le=20)
    repeats: int = Field(3, ge=1, le=10)
    max_chars: int = Field(20_000, ge=100)
    workers: int = Field(2, ge=1, le=64)
    random_state: int = 0

    # The expectation's 'column' is the label column. It is a domain key so that rules
    # can name it like any column check; the metric itself is table-level, so it gets
    # 'column' as one of its value keys, with every other parameter.
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", *_LABEL_CONSISTENCY_KEYS[1:])
    batch_metric: ClassVar[str] = batch_check_metric(
        "auditor_label_consistency", find_inconsistent_labels, _LABEL_CONSISTENCY_KEYS
    )
    metric_dependencies: ClassVar[tuple[str, ...]] = (batch_metric,)
    rule_id: ClassVar[str] = "category-consistent-in-batch"
