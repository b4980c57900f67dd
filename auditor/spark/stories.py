"""Story groups on Spark: the batch is grouped in the executors, and only the kept pairs reach
the driver.

The row partitions make each Arrow batch's :class:`~auditor.batch.stories.StoryFeatures` (stem
counts of the whole texts and the leads) into a column of their own (one pickled part per
batch, :func:`auditor.spark.row_checks.with_detail_columns`). From there, the steps of
:func:`auditor.batch.stories.find_groups` run as Spark jobs around the same functions:

1. **Vocabulary.** Each part's stems with how many of its comparable rows hold them
   (:func:`~auditor.batch.stories.part_frequencies`), summed per stem by a ``groupBy``. The
   stem table (the vocabulary, not the text) comes to the driver, which makes the batch's
   :class:`~auditor.batch.stories._Vocabulary`, its IDF, which stems are rare and their hashes,
   and broadcasts them.
2. **Rows.** In the partitions, each part's weighted leads and whole texts (``_weighted``) and
   the MinHash signatures of its comparable rows' rare lead stems
   (:func:`~auditor.batch.stories.lead_signatures`), as one row per row that can be found:
   its band keys (:func:`~auditor.batch.stories.band_keys`) and its two weighted vectors.
3. **Candidates.** The band keys exploded and grouped by (band, key): a bucket of at most
   ``max_bucket`` rows gives all its pairs, a larger one each row and the next in row order (a
   chain), as :func:`~auditor.batch.stories.candidate_codes` does; each pair once.
4. **Cosines.** The candidate pairs joined with both rows' weighted leads, their cosines
   (:func:`~auditor.batch.stories.pair_cosines`) at least ``lead_threshold``; those joined with
   both rows' weighted whole texts, at least ``threshold``.
5. Only these kept pairs (thousands) are collected; the driver joins them into groups
   (:func:`~auditor.batch.stories.groups_of`).

Every row's numbers are made by the functions the pandas path uses, on the same stored
arrays, so groups, similarities (to the last bit) and the count of comparable rows are what
:func:`~auditor.batch.stories.find_groups` gives on the whole batch.
"""

from __future__ import annotations

import pickle
from typing import Iterator

import numpy as np
import pandas as pd

from auditor.batch.stories import (StoryGroups, StorySettings, _Vocabulary, _weighted, band_keys, groups_of,
                                   lead_signatures, pair_cosines, part_frequencies, stem_hashes, story_features)
from auditor.spark.row_checks import FAILED_FEATURE

PART = "part"


def _part(cell):
    if cell is None or bytes(cell) == FAILED_FEATURE:
        raise RuntimeError("the story features failed on a Spark partition")
    return pickle.loads(bytes(cell))


def _frequencies(batches: Iterator[pd.DataFrame], settings: StorySettings) -> Iterator[pd.DataFrame]:
    """Per part, its stems and how many of its comparable rows hold each; the part's count of
    comparable rows as the stem None."""
    for frame in batches:
        for cell in frame[PART]:
            part = _part(cell)
            frequency, comparable = part_frequencies(part, settings)
            yield pd.DataFrame({"stem": [None, *part.stems.tolist()],
                                "rows": np.r_[comparable, frequency].astype(np.int64)})


def _lists(matrix) -> tuple:
    """A CSR matrix's rows as two Arrow list arrays, (stem codes, weights), each row in its
    stored order (the order its products are summed in)."""
    import pyarrow as pa

    offsets = pa.array(matrix.indptr.astype(np.int32))
    return (pa.ListArray.from_arrays(offsets, pa.array(matrix.indices.astype(np.int32))),
            pa.ListArray.from_arrays(offsets, pa.array(matrix.data.astype(np.float64))))


def _rows(batches, shared, settings: StorySettings):
    """Per row that can be found by a rare lead stem: its position, band keys, weighted lead
    and weighted whole text (Arrow record batches in, Arrow record batches out)."""
    import pyarrow as pa

    vocabulary, idf, rare_stem, hashes = shared.value
    bands = max(settings.num_perm // settings.rows_per_band, 1)
    for batch in batches:
        for cell in batch.column(PART).to_pylist():
            part = _part(cell)
            whole, lead = vocabulary.columns(part)
            held, signatures = lead_signatures(part, lead, rare_stem, hashes, settings)
            if not len(held):
                continue
            keys = np.column_stack([band_keys(signatures, band, settings.rows_per_band) for band in range(bands)])
            lead_stems, lead_weights = _lists(_weighted(lead[held], idf))
            whole_stems, whole_weights = _lists(_weighted(whole[held], idf))
            yield pa.RecordBatch.from_arrays(
                [pa.array(np.asarray(part.index, dtype=np.int64)[held]),
                 pa.ListArray.from_arrays(pa.array(np.arange(0, keys.size + 1, bands, dtype=np.int32)),
                                          pa.array(keys.view(np.int64).ravel())),
                 lead_stems, lead_weights, whole_stems, whole_weights],
                names=["row", "keys", "lead_stems", "lead_weights", "whole_stems", "whole_weights"])


def _matrix(stems, weights, columns: int):
    """Arrow list arrays of (stem codes, weights) as a CSR matrix, each row as stored."""
    import scipy.sparse as sp

    offsets = np.asarray(stems.offsets, dtype=np.int64)
    indices = np.asarray(stems.values, dtype=np.int32)[offsets[0]:offsets[-1]]
    data = np.asarray(weights.values, dtype=np.float64)[offsets[0]:offsets[-1]]
    return sp.csr_matrix((data, indices, offsets - offsets[0]), shape=(len(stems), columns))


def _cosines(batches, columns: int):
    """Per pair (``i``, ``j``), the cosine of the two rows' vectors (``i_stems``, ``i_weights``
    and those of ``j``), by :func:`pair_cosines` as on pandas."""
    import pyarrow as pa

    for batch in batches:
        if batch.num_rows == 0:
            continue
        left = _matrix(batch.column("i_stems"), batch.column("i_weights"), columns)
        right = _matrix(batch.column("j_stems"), batch.column("j_weights"), columns)
        at = np.arange(batch.num_rows)
        yield pa.RecordBatch.from_arrays([batch.column("i"), batch.column("j"),
                                          pa.array(pair_cosines(left, np.column_stack([at, at]), right))],
                                         names=["i", "j", "cosine"])


_PAIRS = """IF(size(members) <= {max_bucket},
    flatten(transform(sequence(0, size(members) - 2),
                      a -> transform(sequence(a + 1, size(members) - 1),
                                     b -> named_struct('i', members[a], 'j', members[b])))),
    transform(sequence(0, size(members) - 2), a -> named_struct('i', members[a], 'j', members[a + 1])))"""
"""A bucket's pairs (its members sorted by row): all of them in a bucket of at most
``max_bucket`` rows, else each row and the next (the rule of ``candidate_codes``)."""


def candidate_pairs(rows, settings: StorySettings):
    """The distinct pairs (``i`` < ``j``, batch positions) of rows that agree on a whole band:
    the rows' band keys exploded and grouped by band and key."""
    from pyspark.sql import functions as F

    buckets = (rows.select("row", F.posexplode("keys").alias("band", "key"))
               .groupBy("band", "key").agg(F.sort_array(F.collect_list("row")).alias("members"))
               .where(F.size("members") > 1))
    return (buckets.select(F.explode(F.expr(_PAIRS.format(max_bucket=int(settings.max_bucket)))).alias("pair"))
            .select(F.col("pair.i").alias("i"), F.col("pair.j").alias("j")).distinct())


def _with_cosines(pairs, rows, vector: str, columns: int):
    """``pairs`` joined with both rows' ``vector`` (``lead`` or ``whole``), and their cosines."""
    from pyspark.sql import functions as F

    def side(name: str):
        return rows.select(F.col("row").alias(name), F.col(f"{vector}_stems").alias(f"{name}_stems"),
                           F.col(f"{vector}_weights").alias(f"{name}_weights"))

    joined = pairs.join(side("i"), "i").join(side("j"), "j").select("i", "j", "i_stems", "i_weights", "j_stems",
                                                                    "j_weights")
    return joined.mapInArrow(lambda batches: _cosines(batches, columns), "i long, j long, cosine double")


def story_groups(cells, column: str, settings: StorySettings, n_rows: int,
                 steps: dict[str, float] | None = None) -> StoryGroups:
    """The story groups of a batch whose :class:`~auditor.batch.stories.StoryFeatures` parts
    (pickled, indexed by batch position) are the non-empty cells of ``column`` of the Spark
    frame ``cells``: those :func:`~auditor.batch.stories.find_groups` gives on the parts put
    together. Raises when a part failed
    (:data:`~auditor.spark.row_checks.FAILED_FEATURE`). ``steps``, when given, receives the
    seconds of its three jobs (vocabulary, rows, pairs)."""
    import time

    import pyarrow as pa
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    steps = {} if steps is None else steps
    started = time.perf_counter()
    parts = cells.where(F.col(f"`{column}`").isNotNull()).select(F.col(f"`{column}`").alias(PART))
    counted = (parts.mapInPandas(lambda batches: _frequencies(batches, settings), "stem string, rows long")
               .groupBy("stem").agg(F.sum("rows").alias("rows")).toPandas())
    named = counted["stem"].notna()
    comparable = int(counted.loc[~named, "rows"].sum())
    stems = counted.loc[named, "stem"].tolist()
    vocabulary = _Vocabulary.from_frequencies([pa.array(stems, type=pa.large_string())] if stems else [],
                                              [counted.loc[named, "rows"].to_numpy(np.int64)], comparable)
    del counted, stems
    steps["story groups: vocabulary"] = round(time.perf_counter() - started, 3)
    if vocabulary.comparable < 2:
        return StoryGroups([], {}, vocabulary.comparable)
    idf = vocabulary.idf(settings)
    shared = cells.sparkSession.sparkContext.broadcast(
        (vocabulary, idf, vocabulary.document_frequency <= settings.common_rows,
         stem_hashes(vocabulary.stems.to_pylist())))
    schema = ("row long, keys array<long>, lead_stems array<int>, lead_weights array<double>, "
              "whole_stems array<int>, whole_weights array<double>")
    rows = parts.mapInArrow(lambda batches: _rows(batches, shared, settings), schema).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        started = time.perf_counter()
        rows.count()  # made and cached once, read by the three joins
        steps["story groups: rows"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        columns = len(vocabulary.stems)
        agreeing = (_with_cosines(candidate_pairs(rows, settings), rows, "lead", columns)
                    .where(F.col("cosine") >= settings.lead_threshold).select("i", "j"))
        kept = (_with_cosines(agreeing, rows, "whole", columns).where(F.col("cosine") >= settings.threshold)
                .toPandas())
        steps["story groups: pairs"] = round(time.perf_counter() - started, 3)
    finally:
        rows.unpersist()
        shared.unpersist()
    kept = kept.sort_values(["i", "j"], kind="stable")
    pairs = kept[["i", "j"]].to_numpy(np.int64).reshape(-1, 2)
    return groups_of(pairs, kept["cosine"].to_numpy(np.float64), n_rows, vocabulary.comparable)


def grouped_on_spark(feature) -> bool:
    """Whether a batch check's :class:`~auditor.partitions.PartitionFeature` is the story
    grouping's, which :func:`story_groups` judges on Spark (its features stay there)."""
    return feature.function is story_features
