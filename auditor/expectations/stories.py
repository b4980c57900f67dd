"""Batch-level expectation: rows that tell the same story agree on their metadata.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints.
"""

from __future__ import annotations

from typing import ClassVar, Dict, List, Optional

from great_expectations.compatibility.pydantic import Field

from auditor.batch.stories import StorySettings, find_story_conflicts
from auditor.expectations.base import AuditorBatchExpectation, batch_check_metric

_DEFAULTS = StorySettings()
_STORY_KEYS = ("column", "also_columns", "text_columns", *StorySettings.names())


class ExpectSameStoriesToAgree(AuditorBatchExpectation):
    """Rows of the batch that tell the same story carry the same category and location.

    What it checks: rows whose texts (`text_columns`) tell one story -- an original and
    its rewrites in other outlets' words -- are grouped by near-duplicate detection that
    scales to millions of rows: MinHash signatures of each row's lead (title and first
    words) and locality-sensitive hashing find candidate pairs, which are one story when
    the TF-IDF cosine of their word stems reaches `threshold` for the whole texts and
    `lead_threshold` for the leads (same topic is not same story: two reports of
    different football rounds share many words, but not their leads). In every group, a
    row whose `column` (compared as a normalised label) or any of `also_columns`
    (compared by the first comma part, any case) differs from another row's is flagged,
    pointing at the other rows of its group. Empty values conflict with nothing; rows
    with fewer than `min_stems` distinct words of `min_word_length` letters are not
    compared; groups of more than `max_group` alike rows (templated text, not one story
    retold) are left out with a note. The groups are listed in the results (`stories`).

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
    threshold: float = Field(_DEFAULTS.threshold, gt=0, le=1)
    lead_threshold: float = Field(_DEFAULTS.lead_threshold, ge=0, le=1)
    num_perm: int = Field(_DEFAULTS.num_perm, ge=16, le=1024)
    rows_per_band: int = Field(_DEFAULTS.rows_per_band, ge=1, le=16)
    min_word_length: int = Field(_DEFAULTS.min_word_length, ge=1, le=20)
    stem_length: int = Field(_DEFAULTS.stem_length, ge=3, le=100)
    min_stems: int = Field(_DEFAULTS.min_stems, ge=1)
    min_rows_for_idf: int = Field(_DEFAULTS.min_rows_for_idf, ge=2)
    max_bucket: int = Field(_DEFAULTS.max_bucket, ge=2)
    max_group: int = Field(_DEFAULTS.max_group, ge=2)
    seed: int = _DEFAULTS.seed

    # 'column' is the label column (a domain key, as in every batch check); the metric is
    # table-level and gets it among its value keys, with every other parameter.
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", *_STORY_KEYS[1:])
    batch_metric: ClassVar[str] = batch_check_metric("auditor_same_stories", find_story_conflicts, _STORY_KEYS,
                                                    text_key="text_columns")
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
