"""Batch-level expectation: rows that tell the same story agree on their metadata.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints.
"""

from __future__ import annotations

from typing import ClassVar, Dict, List, Optional

from great_expectations.compatibility.pydantic import Field

from auditor.batch.stories import (
    MAX_BUCKET,
    MAX_DF,
    MIN_ROWS_FOR_DF,
    MIN_STEMS,
    MIN_WORD_LENGTH,
    NUM_PERM,
    SEED,
    STEM_LENGTH,
    THRESHOLD,
    find_story_conflicts,
)
from auditor.expectations.base import AuditorBatchExpectation, batch_check_metric

_STORY_KEYS = (
    "column", "also_columns", "text_columns", "threshold", "num_perm", "min_word_length", "stem_length", "min_stems",
    "max_df", "min_rows_for_df", "max_bucket", "seed",
)


class ExpectSameStoriesToAgree(AuditorBatchExpectation):
    """Rows of the batch that tell the same story carry the same category and location.

    What it checks: rows whose texts (`text_columns`) tell one story -- an original and
    its rewrites in other outlets' words -- are grouped by near-duplicate detection that
    scales to millions of rows: MinHash signatures of each row's word stems and
    locality-sensitive hashing (datasketch) find candidate pairs, which are kept when the
    Jaccard similarity of their stem sets reaches `threshold`. In every group, a row whose
    `column` (compared as a normalised label) or any of `also_columns` (compared by the
    first comma part, any case) differs from another row's is flagged, pointing at the
    other rows of its group. Empty values conflict with nothing; rows with fewer than
    `min_stems` distinct words of `min_word_length` letters are not compared. The groups
    themselves are listed in the result (`stories`).

    Why it matters: one event gets one category and one place. When two outlets' versions
    of it disagree, at least one is wrong, and readers filtering by category or map find
    the event in one place and not the other. The rows the finding points at show the
    editor which label the other versions carry.

    Passes: two rewrites of one ministers' meeting in Brüssel, both `Vorfall: Politik`,
    one with `Ort: Brüssel, Belgien`, the other `Ort: brüssel`.
    Fails:  the same two rewrites, one labelled `Politik` and the other `Terrorismus`
            (each row points at the other).
    """

    also_columns: List[str] = Field(default_factory=lambda: ["location"])
    text_columns: List[str] = Field(default_factory=lambda: ["title", "body"], min_items=1)
    threshold: float = Field(THRESHOLD, gt=0, le=1)
    num_perm: int = Field(NUM_PERM, ge=16, le=1024)
    min_word_length: int = Field(MIN_WORD_LENGTH, ge=1, le=20)
    stem_length: int = Field(STEM_LENGTH, ge=3, le=100)
    min_stems: int = Field(MIN_STEMS, ge=1)
    max_df: float = Field(MAX_DF, gt=0, le=1)
    min_rows_for_df: int = Field(MIN_ROWS_FOR_DF, ge=2)
    max_bucket: int = Field(MAX_BUCKET, ge=2)
    seed: int = SEED

    # 'column' is the label column (a domain key, as in every batch check); the metric is
    # table-level and gets it among its value keys, with every other parameter.
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", *_STORY_KEYS[1:])
    batch_metric: ClassVar[str] = batch_check_metric("auditor_same_stories", find_story_conflicts, _STORY_KEYS)
    metric_dependencies: ClassVar[tuple[str, ...]] = (batch_metric,)
    rule_id: ClassVar[str] = "duplicate-story-consistency"

    def _validate(self, metrics: Dict, runtime_configuration: Optional[dict] = None, execution_engine=None):
        outcome = super()._validate(metrics, runtime_configuration, execution_engine)
        groups = metrics[self.batch_metric].get("stories") or []
        outcome["result"]["stories"] = [
            {"story": number, "rows": list(group)}
            for number, group in enumerate(groups, start=1)
        ]
        return outcome
