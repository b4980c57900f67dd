"""Story groups found on Spark (:mod:`auditor.spark.stories`) are those of
:func:`auditor.batch.stories.find_groups` on the whole batch: the same groups, the same kept
pairs' similarities to the last bit, the same count of comparable rows.

Uses the session-wide ``local[2]`` session of ``tests/test_spark.py`` (skipped without pyspark
or Java). The batches are made-up stories (``tests/test_stories.py``), some told twice, and a
crowd of near-copies, cut into parts of uneven size and spread over Spark partitions out of
order, as the row partitions' Arrow batches are.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from auditor.batch import stories
from auditor.batch.stories import StorySettings
from auditor.text.analysis import analyse_texts
from tests.test_spark import spark  # noqa: F401  (the session-wide fixture)
from tests.test_stories import _made_up_batch

CELL = "cell"


def _crowd(frame: pd.DataFrame, copies: int = 70, seed: int = 11) -> pd.DataFrame:
    """``copies`` near-copies of the batch's first story (each drops a few words): one bucket of
    more rows than ``max_bucket`` in most bands, which the grouping chains."""
    rng = np.random.default_rng(seed)
    title, body = frame["title"].iloc[0], frame["body"].iloc[0]
    words = body.split()
    rows = [(title, " ".join(word for word in words if rng.random() > 0.05)) for _ in range(copies)]
    crowd = pd.DataFrame({"title": [row[0] for row in rows], "body": [row[1] for row in rows],
                          "category": "Unwetter", "location": "Kessental"})
    together = pd.concat([frame, crowd], ignore_index=True)
    together.index = [f"r{at}" for at in range(len(together))]
    return together


def _cells(spark, frame: pd.DataFrame, settings: StorySettings, sizes=(37, 5, 61, 23)):
    """The batch's story features as the partition pass leaves them: one pickled part per cut
    (indexed by batch position) on the cut's first row, in Spark partitions out of row order."""
    records, start, turn = [], 0, 0
    while start < len(frame):
        size = sizes[turn % len(sizes)]
        rows = frame.iloc[start:start + size]
        part = stories.story_features(analyse_texts(rows["title"], rows["body"]), settings)
        part.index = pd.RangeIndex(start, start + len(rows))
        records.append((start, pickle.dumps(part)))
        records.extend((position, None) for position in range(start + 1, start + len(rows)))
        start, turn = start + len(rows), turn + 1
    table = pd.DataFrame(records, columns=["row", CELL])
    return spark.createDataFrame(table, "row long, cell binary").repartition(3)


def _on_pandas(frame: pd.DataFrame, settings: StorySettings):
    return stories.find_groups(stories.story_features(analyse_texts(frame["title"], frame["body"]), settings), settings)


SETTINGS = {
    "defaults": StorySettings(min_stems=20),
    # Small buckets (the crowd is chained), one value per band, few permutations, stems of more
    # than 100 rows left out of the signatures, and no IDF (as if the batch were too small;
    # common words then weigh as much as rare ones, hence the higher thresholds).
    "chains, common stems, no idf": StorySettings(min_stems=20, max_bucket=4, rows_per_band=1, num_perm=32,
                                                  common_rows=100, min_rows_for_idf=10_000, seed=5,
                                                  threshold=0.5, lead_threshold=0.5),
}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_spark_groups_are_those_of_find_groups(spark, name):  # noqa: F811
    from auditor.spark.stories import story_groups

    settings = SETTINGS[name]
    frame = _crowd(_made_up_batch())
    expected = _on_pandas(frame, settings)
    got = story_groups(_cells(spark, frame, settings), CELL, settings, len(frame))
    assert got.groups == expected.groups
    assert got.similarity == expected.similarity  # to the last bit
    assert got.comparable == expected.comparable == len(frame)
    # What makes the equality worth asserting: the planted second tellings are grouped, and
    # the crowd is one group (through a chain where buckets are larger than max_bucket).
    assert sum(len(group) == 2 for group in expected.groups) >= 40
    assert max(map(len, expected.groups)) >= 60


def test_spark_candidate_pairs_follow_the_banding_rule(spark):  # noqa: F811
    """All pairs in a bucket of at most ``max_bucket`` rows, each row and the next (in row
    order) in a larger one, each pair once: :func:`~auditor.batch.stories.candidate_pairs`."""
    from auditor.spark.stories import candidate_pairs

    rng = np.random.default_rng(4)
    # Few distinct values: buckets of every size, many larger than max_bucket.
    signatures = rng.integers(0, 6, size=(400, 8)).astype(np.uint32)
    signatures[:60] = rng.integers(0, 2, size=(60, 8))
    settings = StorySettings(num_perm=8, rows_per_band=2, max_bucket=7)
    expected = stories.candidate_pairs(signatures, settings.rows_per_band, settings.max_bucket)
    rows = np.arange(len(signatures)) * 3 + 10  # batch positions of the members, in row order
    keys = np.column_stack([stories.band_keys(signatures, band, settings.rows_per_band) for band in range(4)])
    table = pd.DataFrame({"row": rows, "keys": list(keys.view(np.int64))})
    frame = spark.createDataFrame(table.sample(frac=1, random_state=2), "row long, keys array<long>").repartition(3)
    got = candidate_pairs(frame, settings).toPandas().sort_values(["i", "j"]).to_numpy()
    assert got.tolist() == rows[expected].tolist()
    sizes = pd.Series(keys[:, 0]).value_counts()
    assert (sizes > settings.max_bucket).any() and ((sizes > 1) & (sizes <= settings.max_bucket)).any()


@pytest.mark.filterwarnings("ignore:toPandas attempted Arrow optimization")
def test_too_few_comparable_rows_and_a_failed_part(spark):  # noqa: F811
    from auditor.spark.row_checks import FAILED_FEATURE
    from auditor.spark.stories import story_groups

    frame = _made_up_batch().iloc[:3]
    settings = StorySettings(min_stems=20)
    few = frame.assign(body=["kurz"] * 2 + [frame["body"].iloc[2]])
    got = story_groups(_cells(spark, few, settings), CELL, settings, len(few))
    assert (got.groups, got.similarity, got.comparable) == ([], {}, 1) == \
        (_on_pandas(few, settings).groups, {}, _on_pandas(few, settings).comparable)
    cells = spark.createDataFrame(pd.DataFrame({"row": [0, 1], CELL: [FAILED_FEATURE, None]}), "row long, cell binary")
    with pytest.raises(Exception, match="failed on a Spark partition"):
        story_groups(cells, CELL, settings, 2)
