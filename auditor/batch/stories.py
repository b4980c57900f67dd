"""Which rows of a batch tell the same story, and whether such rows agree on their metadata.

An aggregator's batch often holds one event several times: the original article and
rewrites of it in other outlets' words. Those rows should carry the same category and
location; when they do not, at least one of them is wrong.

Grouping (:func:`group_stories`) scales to large batches without comparing every pair,
and works on the batch's shared text analysis (no second tokenisation):

1. Each row becomes two bags of word stems: the whole text and the *lead* (title and
   first words of the body). A stem is a word of at least ``min_word_length`` letters,
   case and umlauts folded, cut to ``stem_length`` letters (``Russlands`` and
   ``Russland`` are one stem). A rewrite changes sentences and word order, so word
   n-grams hardly survive it (on the two seed pages 2-word shingles reach a Jaccard of
   0.03); single stems do.
2. Bags are weighted like TF-IDF (``1 + log tf`` times the batch's smoothed IDF, when
   the batch has at least ``min_rows_for_idf`` comparable rows; a smaller batch has no
   meaningful document frequencies, so its words weigh alike).
3. Candidate pairs come from MinHash signatures of the lead stem sets and banding
   (locality-sensitive hashing, ``num_perm / rows_per_band`` bands of
   ``rows_per_band`` values): rows that agree on a whole band are candidates. Two
   versions of one story share their lead most (Jaccard ~0.3 on the seeds, candidate
   with probability > 0.99); in a bucket of more than ``max_bucket`` rows only each row
   and the next are candidates (a chain: the bucket still ends up in one group), which
   keeps the work linear for batches full of near-copies. Stems that more than
   ``common_rows`` rows hold are left out of the signatures: words of the language or the
   feed, not of one story, they made most candidates. The limit is a number of rows, not a
   share: rows sharing a stem make pairs by the square of its rows, so a limit that grew with
   the batch made the candidates grow with its square (5.4 M at 100k real-text rows, about
   200 M projected at 1M); a fixed one keeps them in step with the rows.
4. A candidate pair is one story when the cosine of its whole texts reaches
   ``threshold`` *and* the cosine of its leads reaches ``lead_threshold``. Whole-text
   similarity alone cannot tell one event from one topic: on 514 real articles of one
   newspaper, pairs of different stories on the same subject (two football rounds, two
   refugee-policy reports) reach the seeds' whole-text similarity; their leads do not,
   because a news lead states the event itself. Kept pairs are joined into groups
   (connected components). Rows with fewer than ``min_stems`` distinct stems are not
   compared (too little text to tell).

The signatures are datasketch's MinHash values (its ``affine32`` scheme and
permutations; a test checks them against ``MinHash.update``), computed for all rows at
once with numpy; banding is a sort per band. datasketch's own ``MinHashLSH`` keeps a
Python set per band and bucket, which took ~100 s and 7.8 GB for 100k rows.
Everything is seeded: the same batch gives the same groups.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from auditor.contracts import BatchVerdict, parts_index, setting, text_columns_setting
from auditor.text.analysis import TextAnalysis, sorted_unique, analyse_texts
from auditor.text.words import normalise_all
from auditor.text.labels import normalise_label


@dataclass(frozen=True)
class StorySettings:
    """How rows are compared; the defaults were calibrated with ``benchmarks/eval_stories.py``."""

    also_columns: list[str] = setting(
        factory=lambda: ["location"], doc="Besides the label column, these must agree within a story (by their first comma part).")
    text_columns: list[str] = text_columns_setting()
    threshold: float = setting(0.25, gt=0, le=1, doc="TF-IDF cosine of two whole texts from which they may tell one story.")
    lead_threshold: float = setting(0.35, ge=0, le=1, doc="The same for their leads: same topic is not same story.")
    num_perm: int = setting(128, ge=16, le=1024, doc="MinHash permutations per row.")
    rows_per_band: int = setting(2, ge=1, le=16, doc="Signature rows per LSH band (fewer: more candidate pairs).")
    min_word_length: int = setting(4, ge=1, le=20, doc="Shorter words do not count.")
    stem_length: int = setting(6, ge=3, le=100, doc="Words are compared by their first letters.")
    min_stems: int = setting(30, ge=1, doc="Rows with fewer distinct words are not compared.")
    min_rows_for_idf: int = setting(50, ge=2, doc="Smaller batches weigh words without IDF.")
    max_bucket: int = setting(50, ge=2, doc="LSH buckets holding more rows are skipped (boilerplate).")
    max_group: int = setting(200, ge=2, doc="Larger groups of alike rows are templated text, not one story: left out with a note.")
    common_rows: int = setting(1000, ge=2, doc="Stems in more rows than this do not count when candidate pairs are "
                                               "sought (words of the language or the feed).")
    seed: int = setting(1, doc="Seed of the MinHash permutations.")


BLOCK = 100_000  # (row, stem) entries per block when taking minima (x num_perm x 4 bytes)
PAIR_SLICE = 2_000_000  # candidate pairs whose lead cosines are worked out at a time
WHOLE_BLOCK_ROWS = 100_000  # rows of weighted whole texts held at a time (~2 KB a row)


@dataclass
class StoryFeatures:
    """What the grouping needs of some rows, and all it needs: per row, how often each word
    stem occurs in the whole text and in the lead (unweighted counts). A row partition
    makes them from its own text analysis (:func:`story_features`); the partitions'
    features put together (:func:`combine_story_features`) are the batch's, exactly as if
    the whole batch had been analysed at once, without its text."""

    index: pd.Index  # the rows
    stems: np.ndarray  # the stems' texts, sorted, unique
    whole: sp.csr_matrix  # rows x stems: counts in the whole text (title and lead weighted as analysed)
    lead: sp.csr_matrix  # rows x stems: counts in the title and lead


def _stem_map(analysis: TextAnalysis, settings: StorySettings) -> tuple[sp.csr_matrix, np.ndarray]:
    """surface words x stems (1 where a word has that stem), and the stems' texts."""
    normalised = normalise_all(pa.array(analysis.surfaces.tolist(), type=pa.large_string()))
    # A word has a stem when it is of letters only and long enough. Arrow tells letters in
    # ASCII words; Python's isalpha decides for the others.
    letters = np.asarray(pc.ascii_is_alpha(normalised), dtype=bool)
    others = np.flatnonzero(~np.asarray(pc.string_is_ascii(normalised), dtype=bool))
    letters[others] = [word.isalpha() for word in normalised.take(others).to_pylist()]
    words = np.flatnonzero(letters & (np.asarray(pc.utf8_length(normalised), dtype=np.int64) >= settings.min_word_length))
    stems, stem_ids = sorted_unique(pc.utf8_slice_codeunits(normalised.take(words), 0, settings.stem_length))
    mapping = sp.csr_matrix((np.ones(len(words), dtype=np.float32), (words, stem_ids)),
                            shape=(len(normalised), len(stems)))
    return mapping, stems


def story_features(analysis: TextAnalysis, settings: StorySettings = StorySettings(),
                   positions: np.ndarray | None = None) -> StoryFeatures:
    """The stem counts of the analysed rows (or of those at ``positions``)."""
    positions = np.arange(len(analysis.index)) if positions is None else positions
    mapping, stems = _stem_map(analysis, settings)
    whole = (analysis.counts[positions] @ mapping).tocsr()
    lead = (analysis.lead_counts[positions] @ mapping).tocsr()
    whole.eliminate_zeros()
    lead.eliminate_zeros()
    return StoryFeatures(index=analysis.index[positions], stems=stems, whole=whole, lead=lead)


@dataclass
class StoryFeatureParts:
    """A batch's story features as its row partitions made them, in row order, not put together:
    the grouping reads them part by part (three times), so the batch's counts are never one
    matrix. ``parts`` is re-iterable: a list, or parts read back from disk one chunk at a time
    in an audit in chunks."""

    index: pd.Index  # the batch's rows
    parts: Iterable[StoryFeatures]
    scratch: Path | None = None  # where the grouping may keep blocks of weighted rows (a temporary folder)


def combine_story_features(parts: Iterable[StoryFeatures]) -> StoryFeatureParts:
    """The features of consecutive row partitions as one batch's (one stem vocabulary, the rows
    in partition order, as :func:`find_groups` reads them)."""
    return StoryFeatureParts(index=parts_index(parts), parts=parts, scratch=getattr(parts, "scratch", None))


def _weighted(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Rows of (1 + log tf) x idf, of unit length. Each row's numbers depend on that row alone,
    so the rows of a part come out exactly as in the whole batch's matrix."""
    weights = counts.tocsr(copy=True)
    weights.data = (1.0 + np.log(np.maximum(weights.data, 1.0))) * idf[weights.indices]
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    weights = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ weights
    return weights.tocsr()


@dataclass
class _Vocabulary:
    """The batch's stems (sorted) and, per stem, how many comparable rows hold it."""

    stems: pa.Array
    document_frequency: np.ndarray
    comparable: int  # rows with enough stems

    @classmethod
    def of(cls, parts: Iterable[StoryFeatures], settings: StorySettings) -> "_Vocabulary":
        stems: list[pa.Array] = []
        frequencies: list[np.ndarray] = []
        comparable = 0
        for part in parts:
            frequency, held = part_frequencies(part, settings)
            comparable += held
            frequencies.append(frequency)
            stems.append(pa.array(part.stems.tolist(), type=pa.large_string()))
        return cls.from_frequencies(stems, frequencies, comparable)

    @classmethod
    def from_frequencies(cls, stems: Sequence[pa.Array], frequencies: Sequence[np.ndarray],
                         comparable: int) -> "_Vocabulary":
        """The vocabulary of pieces (stems, and per stem how many comparable rows hold it; a
        stem may be in several pieces): the batch's whether the pieces are its parts
        (:func:`part_frequencies`) or counts already summed per stem elsewhere (on Spark)."""
        if not stems:
            return cls(pa.array([], type=pa.large_string()), np.zeros(0, dtype=np.int64), 0)
        every = pa.chunked_array(stems, type=pa.large_string())
        distinct = pc.unique(every)
        distinct = distinct.take(pc.array_sort_indices(distinct))  # UTF-8 byte order: code point order
        codes = np.asarray(pc.index_in(every, value_set=distinct), dtype=np.int64)
        frequency = np.bincount(codes, weights=np.concatenate(frequencies).astype(np.float64), minlength=len(distinct))
        return cls(distinct, np.rint(frequency).astype(np.int64), comparable)

    def idf(self, settings: StorySettings) -> np.ndarray:
        if self.comparable >= settings.min_rows_for_idf:
            return np.log((1.0 + self.comparable) / (1.0 + self.document_frequency)) + 1.0
        return np.ones(len(self.stems))

    def columns(self, part: StoryFeatures) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The part's whole and lead counts on the batch's stems (the order within a row kept:
        both vocabularies are sorted)."""
        codes = np.asarray(pc.index_in(pa.array(part.stems.tolist(), type=pa.large_string()), value_set=self.stems),
                           dtype=np.int64)
        return tuple(sp.csr_matrix((matrix.data, codes[matrix.indices].astype(np.int32), matrix.indptr),
                                   shape=(matrix.shape[0], len(self.stems))) for matrix in (part.whole, part.lead))


def _comparable(part: StoryFeatures, settings: StorySettings) -> np.ndarray:
    """Positions (in the part) of the rows with enough distinct stems to compare."""
    return np.flatnonzero(np.diff(part.whole.indptr) >= settings.min_stems)


def part_frequencies(part: StoryFeatures, settings: StorySettings) -> tuple[np.ndarray, int]:
    """Per stem of the part (``part.stems``, zeros included), how many of its comparable rows
    hold it; and how many comparable rows it has."""
    held = _comparable(part, settings)
    return np.bincount(part.whole[held].indices, minlength=len(part.stems)), len(held)


def lead_signatures(part: StoryFeatures, lead: sp.csr_matrix, rare_stem: np.ndarray, hashes: np.ndarray,
                    settings: StorySettings) -> tuple[np.ndarray, np.ndarray]:
    """The part's rows that can be found by a rare lead stem (positions in the part, sorted),
    and their MinHash signatures of those stems. ``lead``: the part's lead counts on the
    batch's stems (:meth:`_Vocabulary.columns`); ``rare_stem`` and ``hashes`` per batch stem.

    Candidates come from the lead stems a comparable row shares with few other rows: a stem
    of more than ``common_rows`` rows is a word of the language or of the feed, not of one
    story (pairs sharing only such stems were most candidates: 2.6 M pairs at 20k real-text
    rows, 0.4 M without them). A crowd of templated rows up to that size is still found (and
    noted, see ``max_group``)."""
    comparable = _comparable(part, settings)
    lead_sets = lead[comparable]
    rows = np.repeat(comparable, np.diff(lead_sets.indptr))
    stems = lead_sets.indices.astype(np.int64)
    rare = rare_stem[stems]
    held = np.unique(rows[rare])  # rows with a stem left to be found by
    signatures = minhash_signatures(np.searchsorted(held, rows[rare]), stems[rare], None, len(held),
                                    settings.num_perm, settings.seed, hashes=hashes)
    return held, signatures


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (what datasketch's affine32 scheme premixes with)."""
    h = values.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters, so that the signatures below are exactly
    what ``MinHash(num_perm, seed, scheme="affine32", hashfunc=zlib.crc32)`` gives."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)


def stem_hashes(vocabulary: Sequence[str] | np.ndarray) -> np.ndarray:
    """Each stem's hash as datasketch's affine32 scheme takes it (CRC32, premixed)."""
    hashes = np.fromiter((zlib.crc32(str(stem).encode("utf-8")) for stem in vocabulary), dtype=np.uint32,
                         count=len(vocabulary))
    return _fmix32(hashes)


def minhash_signatures(rows: np.ndarray, stems: np.ndarray, vocabulary: np.ndarray | None, n_rows: int,
                       num_perm: int = StorySettings.num_perm, seed: int = StorySettings.seed,
                       hashes: np.ndarray | None = None) -> np.ndarray:
    """MinHash signatures (``n_rows`` x ``num_perm``, uint32) of the rows' stem sets, given
    as (row, stem id) pairs sorted by row; rows without stems get the maximum everywhere.
    The stems' ``hashes`` (:func:`stem_hashes`), when given, stand for the ``vocabulary``."""
    hashes = stem_hashes(vocabulary) if hashes is None else hashes
    a, b = _permutations(num_perm, seed)
    signatures = np.full((n_rows, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    if len(rows) == 0:
        return signatures
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    # Blocks of whole rows, about BLOCK entries each, so memory stays bounded.
    cut = np.searchsorted(starts, np.arange(0, len(rows), BLOCK), side="right") - 1
    bounds = np.unique(np.r_[starts[cut], len(rows)])
    for begin, end in zip(bounds[:-1], bounds[1:]):
        block_starts = starts[(starts >= begin) & (starts < end)]
        permuted = np.multiply.outer(hashes[stems[begin:end]], a)  # uint32 arithmetic wraps: mod 2**32
        permuted += b
        minima = np.minimum.reduceat(permuted, block_starts - begin, axis=0)
        signatures[rows[block_starts]] = minima
    return signatures


def candidate_pairs(signatures: np.ndarray, rows_per_band: int, max_bucket: int) -> np.ndarray:
    """Pairs (i < j, positions in ``signatures``) that agree on at least one band
    (:func:`candidate_codes`, decoded)."""
    codes = candidate_codes(signatures, rows_per_band, max_bucket)
    return np.column_stack([codes // len(signatures), codes % len(signatures)])


def band_keys(signatures: np.ndarray, band: int, rows_per_band: int) -> np.ndarray:
    """Each row's bucket in ``band``: the band's signature values mixed into one 64-bit key
    (rows agree on the band when their keys are equal; a rare collision only adds a
    candidate, which the exact comparison then rejects)."""
    values = signatures[:, band * rows_per_band:(band + 1) * rows_per_band]
    key = np.zeros(len(signatures), dtype=np.uint64)
    for column in range(values.shape[1]):
        key = key * np.uint64(0x9E3779B97F4A7C15) + values[:, column].astype(np.uint64)
    return key


def candidate_codes(signatures: np.ndarray, rows_per_band: int, max_bucket: int) -> np.ndarray:
    """Pairs (i < j, positions in ``signatures``) that agree on at least one band, each as
    one sorted, distinct code ``i * len(signatures) + j`` (half the memory of the pairs).

    With bands of 2 values, a pair whose sets have Jaccard J is a candidate with
    probability 1 - (1 - J**2)**bands: 0.998 at the seeds' lead Jaccard of 0.31 with 64
    bands, 0.93 at 0.2."""
    n_rows, num_perm = signatures.shape
    bands = max(num_perm // rows_per_band, 1)
    # Pairs as one int64 code each (i * n_rows + j, i < j), deduplicated as they come: most
    # pairs agree on several bands, and the raw pairs of all bands were 4 copies of the result.
    distinct = np.zeros(0, dtype=np.int64)  # sorted, of the bands merged so far
    found: list[np.ndarray] = []  # of the bands since
    held = 0
    for band in range(bands):
        key = band_keys(signatures, band, rows_per_band)
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        starts = np.r_[True, ordered[1:] != ordered[:-1]]
        run = np.cumsum(starts) - 1
        run_length = np.bincount(run)[run]
        small = run_length <= max_bucket
        for offset in range(1, max_bucket):
            same = ordered[:-offset] == ordered[offset:]
            if offset > 1:
                same &= small[:-offset]  # large buckets: next neighbours only (offset 1), a chain
            if not same.any():
                break
            first, second = order[:-offset][same].astype(np.int64), order[offset:][same].astype(np.int64)
            codes = np.minimum(first, second) * n_rows + np.maximum(first, second)
            found.append(codes[first != second])
            held += len(found[-1])
        if held > len(distinct) + 4_000_000:
            distinct, found, held = _distinct(np.concatenate([distinct, *found])), [], 0
    return _distinct(np.concatenate([distinct, *found]))


def _distinct(codes: np.ndarray) -> np.ndarray:
    """Sorted distinct codes: a plain sort, not np.unique (a hash table in numpy 2: 4 times
    slower here)."""
    codes.sort()
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) else codes


def pair_cosines(vectors: sp.csr_matrix, pairs: np.ndarray, others: sp.csr_matrix | None = None) -> np.ndarray:
    """Cosine of each pair's rows (rows of unit length): the first of ``vectors``, the second
    of ``others`` (``vectors`` too when not given)."""
    others = vectors if others is None else others
    similarity = np.empty(len(pairs), dtype=np.float64)
    # 20k pairs at a time: each side's rows are copied out (~300 stems a row at 100k rows).
    for start in range(0, len(pairs), 20_000):
        chunk = pairs[start:start + 20_000]
        similarity[start:start + len(chunk)] = np.asarray(
            vectors[chunk[:, 0]].multiply(others[chunk[:, 1]]).sum(axis=1)).ravel()
    return similarity


@dataclass
class StoryGroups:
    groups: list[list[int]]  # positions of the rows, each group sorted, groups by first row
    similarity: dict[tuple[int, int], float]  # (i, j) -> whole-text cosine of the pairs kept
    comparable: int  # rows with enough text to compare


@dataclass
class FoundGroups:
    """Story groups found elsewhere for the rows ``index`` (the Spark engine groups the batch
    itself, :mod:`auditor.spark.stories`): what :func:`find_story_conflicts` takes as
    ``features`` instead of the rows' stem counts."""

    index: pd.Index
    found: StoryGroups


def find_groups(features: StoryFeatures | StoryFeatureParts, settings: StorySettings) -> StoryGroups:
    """Story groups among the rows of ``features`` (group members are their batch positions).

    The parts are read three times, one at a time: for the batch's stems and their document
    frequencies; for each row's weighted lead and the MinHash signature of its rare lead
    stems; and, once the candidate pairs whose leads agree are known, for the weighted whole
    texts of just the rows in them. A row's numbers depend only on that row and the batch's
    stem frequencies, so the groups are the same however the batch is cut into parts."""
    parts = features.parts if isinstance(features, StoryFeatureParts) else [features]
    n_rows = len(features.index)
    vocabulary = _Vocabulary.of(parts, settings)
    if vocabulary.comparable < 2:
        return StoryGroups([], {}, vocabulary.comparable)
    idf = vocabulary.idf(settings)
    hashes = stem_hashes(vocabulary.stems.to_pylist())
    rare_stem = vocabulary.document_frequency <= settings.common_rows
    leads, members, signatures = [], [], []
    offset = 0
    for part in parts:
        whole, lead = vocabulary.columns(part)
        leads.append(_weighted(lead, idf))
        held, signed = lead_signatures(part, lead, rare_stem, hashes, settings)
        signatures.append(signed)
        members.append(held + offset)
        offset += whole.shape[0]
        del whole, lead
    member_rows = np.concatenate(members)
    if len(member_rows) < 2:
        return StoryGroups([], {}, vocabulary.comparable)
    codes = candidate_codes(np.concatenate(signatures), settings.rows_per_band, settings.max_bucket)
    del signatures
    # Leads first: they are short, so their cosines cost a fraction of the whole texts',
    # and most candidates (rows that merely share common words) fail on them. A slice of the
    # candidates at a time: at a million rows they are tens of millions.
    leads = sp.vstack(leads, format="csr")
    agreeing = []
    for start in range(0, len(codes), PAIR_SLICE):
        slice_codes = codes[start:start + PAIR_SLICE]
        pairs = member_rows[np.column_stack([slice_codes // len(member_rows), slice_codes % len(member_rows)])]
        agreeing.append(pairs[pair_cosines(leads, pairs) >= settings.lead_threshold])
    del leads, codes
    pairs = np.concatenate(agreeing) if agreeing else np.zeros((0, 2), dtype=np.int64)
    whole = _whole_cosines(parts, vocabulary, idf, pairs, getattr(features, "scratch", None))
    keep = whole >= settings.threshold
    return groups_of(pairs[keep], whole[keep], n_rows, vocabulary.comparable)


def groups_of(pairs: np.ndarray, similarity: np.ndarray, n_rows: int, comparable: int) -> StoryGroups:
    """The groups (connected components) of the kept ``pairs`` (i < j, batch positions, sorted)
    with their whole-text cosines ``similarity``."""
    from scipy.sparse.csgraph import connected_components

    if not len(pairs):
        return StoryGroups([], {}, comparable)
    graph = sp.coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n_rows, n_rows))
    _, component = connected_components(graph, directed=False)
    linked = np.unique(pairs)
    order = np.argsort(component[linked], kind="stable")
    linked, labels = linked[order], component[linked][order]
    splits = np.flatnonzero(np.diff(labels)) + 1
    groups = [sorted(part.tolist()) for part in np.split(linked, splits)]
    groups.sort(key=lambda group: group[0])
    kept = {(int(i), int(j)): float(s) for (i, j), s in zip(pairs.tolist(), similarity.tolist())}
    return StoryGroups(groups, kept, comparable)


def _whole_cosines(parts: Iterable[StoryFeatures], vocabulary: _Vocabulary, idf: np.ndarray, pairs: np.ndarray,
                   scratch: Path | None) -> np.ndarray:
    """The whole-text cosine of each pair. Only the weighted whole texts of rows in ``pairs``
    are made, in blocks of about ``WHOLE_BLOCK_ROWS`` rows; when there is more than one block
    they wait on disk, and the pairs are worked out for each two blocks in turn, so at most
    two blocks are in memory (most rows of a large batch are in some pair)."""
    import tempfile

    needed = np.unique(pairs)
    where = np.searchsorted(needed, pairs)
    similarity = np.zeros(len(pairs), dtype=np.float64)
    if not len(pairs):
        return similarity
    with tempfile.TemporaryDirectory(prefix="story-blocks-", dir=scratch) as folder:
        blocks = _WholeBlocks(Path(folder))
        rows, offset = [], 0
        for part in parts:
            size = part.whole.shape[0]
            within = needed[np.searchsorted(needed, offset):np.searchsorted(needed, offset + size)] - offset
            if len(within):
                whole, _ = vocabulary.columns(part)
                rows.append(_weighted(whole[within], idf))
                del whole
                if sum(block.shape[0] for block in rows) >= WHOLE_BLOCK_ROWS:
                    blocks.add(sp.vstack(rows, format="csr"))
                    rows = []
            offset += size
        if rows:
            blocks.add(sp.vstack(rows, format="csr"))
        del rows
        block_of = np.searchsorted(blocks.starts, where, side="right") - 1
        for first in range(len(blocks.starts)):
            mine = np.flatnonzero(block_of[:, 0] == first)
            if not len(mine):
                continue
            left = blocks.get(first)
            for second in np.unique(block_of[mine, 1]):
                together = mine[block_of[mine, 1] == second]
                right = left if second == first else blocks.get(int(second))
                local = where[together] - np.array([blocks.starts[first], blocks.starts[second]])
                similarity[together] = pair_cosines(left, local, right)
                del right
    return similarity


class _WholeBlocks:
    """Consecutive blocks of weighted rows: in memory when there is one, else on disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.starts: list[int] = []
        self._held: list[sp.csr_matrix] = []
        self._rows = 0

    def add(self, block: sp.csr_matrix) -> None:
        self.starts.append(self._rows)
        self._rows += block.shape[0]
        if len(self.starts) == 2:
            self._write(0, self._held.pop())
        if len(self.starts) == 1:
            self._held.append(block)
        else:
            self._write(len(self.starts) - 1, block)

    def _write(self, number: int, block: sp.csr_matrix) -> None:
        sp.save_npz(self.folder / f"block-{number:05d}.npz", block, compressed=False)

    def get(self, number: int) -> sp.csr_matrix:
        if self._held:
            return self._held[0]
        return sp.load_npz(self.folder / f"block-{number:05d}.npz").tocsr()


def _analysis_of(frame: pd.DataFrame, text_columns: Sequence[str]) -> TextAnalysis:
    """The text analysis of a frame, for callers outside GX (GX shares the batch's own)."""
    missing = [name for name in text_columns if name not in frame.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the batch")
    if not text_columns:
        raise ValueError("text_columns names no column to compare")
    if len(text_columns) == 1:
        return analyse_texts(None, frame[text_columns[0]])
    body = frame[list(text_columns[1:])].fillna("").astype(str).agg("\n\n".join, axis=1)
    return analyse_texts(frame[text_columns[0]], body)


def group_stories(frame: pd.DataFrame, settings: StorySettings = StorySettings(),
                  analysis: TextAnalysis | None = None) -> list[list[Hashable]]:
    """Groups of two or more rows (index labels) that tell the same story, ordered by
    their first row; rows within a group in batch order."""
    analysis = analysis if analysis is not None else _analysis_of(frame, list(settings.text_columns))
    found = find_groups(story_features(analysis, settings, analysis.rows(frame.index)), settings)
    return [[_plain(frame.index[position]) for position in group] for group in found.groups]


def _plain(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


def _key(value: Any, first_part: bool) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    if first_part:
        text = text.split(",", 1)[0]
    key = normalise_label(text)
    return key or None


def _display(value: Any, first_part: bool) -> str:
    text = " ".join(str(value).split())
    return text.split(",", 1)[0].strip() if first_part else text


def _group_conflicts(frame: pd.DataFrame, group: list[int], compared: list[str], column: str) -> list[dict[str, list[str]]]:
    """For each row of the group: the values of ``compared`` columns that other rows of
    the group hold and it does not (one pass per column, not per pair of rows)."""
    per_row: list[dict[str, list[str]]] = [{} for _ in group]
    for name in compared:
        first_part = name != column
        values = frame[name].iloc[group].tolist()
        keys = [_key(value, first_part) for value in values]
        shown: dict[str, str] = {}
        for key, value in zip(keys, values):
            if key is not None:
                shown.setdefault(key, _display(value, first_part))
        if len(shown) < 2:
            continue
        for at, own in enumerate(keys):
            if own is not None:
                per_row[at][name] = [text for key, text in shown.items() if key != own]
    return per_row


def find_story_conflicts(frame: pd.DataFrame, analysis: TextAnalysis | None = None, column: str = "category",
                         settings: StorySettings = StorySettings(),
                         features: StoryFeatures | StoryFeatureParts | FoundGroups | None = None):
    """Rows telling the same story as other rows of the batch but with another ``column``
    (normalised label) or ``also_columns`` value (the first comma part, any case: ``Brüssel,
    Belgien`` and ``brüssel`` agree). Empty values conflict with nothing.

    Returns a :class:`~auditor.contracts.BatchVerdict` with, besides ``details``,
    ``evaluated`` (rows with enough text to compare) and ``note``, the key ``stories``:
    every group as a list of index labels (groups of one are not stories). ``features``,
    when given, are the rows' stem counts gathered from row partitions
    (:func:`combine_story_features`), or the groups already found (:class:`FoundGroups`);
    otherwise they come from ``analysis``.
    """

    compared = [column, *[name for name in settings.also_columns if name != column]]
    missing = [name for name in compared if name not in frame.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the batch")
    if features is None:
        analysis = analysis if analysis is not None else _analysis_of(frame, list(settings.text_columns))
        features = story_features(analysis, settings, analysis.rows(frame.index))
    elif not features.index.equals(frame.index):
        raise ValueError("the story features are not those of the batch's rows")
    found = features.found if isinstance(features, FoundGroups) else find_groups(features, settings)
    index = [_plain(label) for label in frame.index]
    details: dict[Any, dict] = {}
    oversized = [group for group in found.groups if len(group) > settings.max_group]
    groups = [group for group in found.groups if len(group) <= settings.max_group]
    for number, group in enumerate(groups, start=1):
        for at, (position, conflicts) in enumerate(zip(group, _group_conflicts(frame, group, compared, column))):
            if not conflicts:
                continue
            other_rows = [index[other] for other in group if other != position]
            # "{rows}" is filled in with the rows' ids when the findings are collected
            # (only then are batch positions known as the editor's row ids).
            said = "; ".join(
                f"{name} {' or '.join(repr(v) for v in values)}, not "
                f"{_display(frame[name].iloc[position], name != column)!r}"
                for name, values in conflicts.items()
            )
            closest = max((found.similarity.get((min(position, other), max(position, other)), 0.0)
                           for other in group if other != position), default=0.0)
            details[index[position]] = {
                "message": f"tells the same story as {{rows}}, which say {said}",
                "score": round(closest, 3),
                "evidence": {"story": number, "rows": other_rows, "conflicts": conflicts},
            }
    stories = [[index[position] for position in group] for group in groups]
    notes = []
    if found.comparable < 2:
        notes.append(f"not judged: {found.comparable} row(s) with enough text to compare")
    if oversized:
        # Hundreds of rows alike are templated or boilerplate text, not one story told
        # by several outlets; pairing each of them with all others says nothing useful.
        sizes = ", ".join(str(len(group)) for group in oversized[:5])
        notes.append(f"{len(oversized)} group(s) of more than {settings.max_group} alike rows not judged "
                     f"({sizes} rows; templated text?)")
    note = "; ".join(notes) or None
    return BatchVerdict(details=details, evaluated=found.comparable, note=note, stories=stories)
