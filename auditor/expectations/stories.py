"""Batch-level expectation: rows that tell the same story agree on their metadata.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints.
"""

from __future__ import annotations

from typing import ClassVar, Dict, Optional

from auditor.batch.stories import StorySettings, combine_story_features, find_story_conflicts, story_features
from auditor.expectations.base import AuditorBatchExpectation, BatchCheckMetric


class SameStoriesMetric(BatchCheckMetric):
    check = find_story_conflicts
    settings = StorySettings
    reads_text = True
    features = story_features
    combine_features = combine_story_features
    features_read_text = True


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

    Known problems: follow-up reports of one event (day two of a trial) may be grouped
    with the first report although their location or category may rightly differ.
    """

    metric: ClassVar[type] = SameStoriesMetric
    rule_id: ClassVar[str] = "duplicate-story-consistency"

    def _validate(self, metrics: Dict, runtime_configuration: Optional[dict] = None, execution_engine=None):
        outcome = super()._validate(metrics, runtime_configuration, execution_engine)
        groups = metrics[self.batch_metric].get("stories") or []
        outcome["result"]["stories"] = [
            {"story": number, "rows": list(group)}
            for number, group in enumerate(groups, start=1)
        ]
        return outcome
