"""Which rows of a batch tell the same story, and whether such rows agree on their metadata.

An aggregator's batch often holds one event several times: the original article and
rewrites of it in other outlets' words. Those rows should carry the same category and
location; when they do not, at least one of them is wrong.

Grouping (:func:`group_stories`) scales to large batches without comparing every pair:

1. Each row's text (``text_columns`` joined) becomes a *set of word stems*: words of
   at least ``min_word_length`` letters (so most function words drop out), lower-cased,
   NFC, cut to their first ``stem_length`` letters (a cheap stemmer: ``Russlands`` and
   ``Russland`` are one stem). A rewrite changes the sentences and the word order, so
   multi-word shingles hardly survive it: on the two seed pages (one event, two outlets)
   2-word shingles reach a Jaccard of 0.03 and 3-word shingles 0.01, while the stem sets
   reach 0.15. Stems are the only shingling under which a rewrite is visible at all --
   but 0.12-0.16 is also the far tail (99.99th percentile) of pairs of *different* real
   news stories (10kGNAD dev, 514 articles: at 0.12 they formed 20 groups, at 0.2 six),
   so on real batches a group can be two stories on one topic; the finding points at
   the rows so that an editor can see it.
2. In large batches (at least ``min_rows_for_df`` rows) stems in more than ``max_df`` of
   the rows are dropped: they say nothing about which event a row tells, and they raise
   the similarity of unrelated rows, and with it the work of step 4.
3. MinHash signatures (``num_perm`` values per row) are computed with numpy: each unique
   stem is hashed once (CRC32, premixed with the MurmurHash3 finalizer), the
   permutations are array operations (datasketch's ``affine32`` scheme,
   ``a * h + b mod 2**32``), and each row's minimum is one ``minimum.reduceat`` per block
   of rows. Rows with fewer than ``min_stems`` stems are not compared (too little text).
4. Candidate pairs come from datasketch's :class:`~datasketch.MinHashLSH` (``num_perm / 2``
   bands of 2 values, for recall at the low Jaccard of rewrites): rows sharing a bucket
   in any band. In a bucket of more than ``max_bucket`` rows only each row and the
   bucket's first and previous row are candidates, which keeps the work linear for
   batches full of near-copies.
5. A candidate pair is kept when the exact Jaccard of its two stem sets (a sparse row
   product, vectorised over all candidates) is at least ``threshold``: MinHash estimates
   of a Jaccard near 0.15 are too noisy (sd 0.03 at 128 values) to decide on. Kept pairs
   are joined into groups (connected components, i.e. union-find). Groups of one row
   are not stories.

Everything is seeded: the same batch gives the same groups.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from typing import Any, Hashable, Sequence

import numpy as np
import pandas as pd

from auditor.text.labels import normalise_label

_WORD = re.compile(r"[^\W\d_]+")
_SPACE = re.compile(r"\s+")

THRESHOLD = 0.12
NUM_PERM = 256
ROWS_PER_BAND = 2
MIN_WORD_LENGTH = 5
STEM_LENGTH = 6
MIN_STEMS = 20
MAX_DF = 0.05
MIN_ROWS_FOR_DF = 1000
MAX_BUCKET = 50
SEED = 1
BLOCK = 100_000  # (row, stem) entries per block when taking minima (x num_perm x 4 bytes)


def _texts(frame: pd.DataFrame, text_columns: Sequence[str]) -> pd.Series:
    missing = [name for name in text_columns if name not in frame.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the batch")
    if not text_columns:
        raise ValueError("text_columns names no column to compare")
    parts = [frame[name].where(frame[name].notna(), "").astype(str) for name in text_columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\n" + part
    return joined


def _stems(texts: pd.Series, min_word_length: int, stem_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row position, stem id) of each row's unique stems, sorted by row, and the stems' texts.

    A plain loop with one set per row: pandas' ``str.findall`` + ``explode`` took 36 s for
    20k rows (and 8 GB at 100k as one list of words), this about a tenth of that."""
    vocabulary: dict[str, int] = {}
    find, normalize = _WORD.findall, unicodedata.normalize
    row_parts: list[np.ndarray] = []
    stem_parts: list[np.ndarray] = []
    for position, text in enumerate(texts.tolist()):
        stems = {word[:stem_length] for word in find(normalize("NFC", text).casefold()) if len(word) >= min_word_length}
        if not stems:
            continue
        ids = np.fromiter((vocabulary.setdefault(stem, len(vocabulary)) for stem in stems), dtype=np.int64,
                          count=len(stems))
        ids.sort()
        stem_parts.append(ids)
        row_parts.append(np.full(len(ids), position, dtype=np.int64))
    if not row_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.array([], dtype=object)
    return (np.concatenate(row_parts), np.concatenate(stem_parts),
            np.fromiter(vocabulary, dtype=object, count=len(vocabulary)))


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (what datasketch's affine32 scheme premixes with)."""
    h = values.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def minhash_signatures(rows: np.ndarray, stems: np.ndarray, vocabulary: np.ndarray, n_rows: int,
                       num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """MinHash signatures (``n_rows`` x ``num_perm``, uint32) of the rows' stem sets;
    rows without stems get the maximum value everywhere."""
    hashes = np.fromiter((zlib.crc32(str(stem).encode("utf-8")) for stem in vocabulary), dtype=np.uint32,
                         count=len(vocabulary))
    hashes = _fmix32(hashes)
    rng = np.random.default_rng(seed)
    a = (rng.integers(0, 2**32, size=num_perm, dtype=np.uint64) | 1).astype(np.uint32)
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32)
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


def _candidate_pairs(signatures: np.ndarray, positions: np.ndarray, threshold: float, num_perm: int,
                     seed: int, max_bucket: int) -> np.ndarray:
    from datasketch import LeanMinHash, MinHashLSH

    # Bands of ROWS_PER_BAND values: a pair at Jaccard J is a candidate with probability
    # 1 - (1 - J**2)**(num_perm/2): 0.95 at the seeds' 0.15 with 256 values, 0.84 at 0.12.
    # (datasketch's own choice for threshold 0.12 misses a quarter of pairs at 0.15.)
    rows_per_band = min(ROWS_PER_BAND, num_perm)
    lsh = MinHashLSH(num_perm=num_perm, params=(num_perm // rows_per_band, rows_per_band))
    with lsh.insertion_session() as session:
        for position in positions.tolist():
            session.insert(position, LeanMinHash(seed=seed, hashvalues=signatures[position], scheme="affine32"),
                           check_duplication=False)
    left: list[int] = []
    right: list[int] = []
    for table in lsh.hashtables:
        for key in table.keys():
            members = table.get(key)
            if len(members) < 2:
                continue
            members = sorted(members)
            if len(members) <= max_bucket:
                for i, first in enumerate(members[:-1]):
                    left.extend([first] * (len(members) - i - 1))
                    right.extend(members[i + 1:])
            else:
                left.extend([members[0]] * (len(members) - 1) + members[1:-1])
                right.extend(members[1:] + members[2:])
    if not left:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.column_stack([np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)])
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0)


def _jaccard(sets, pairs: np.ndarray) -> np.ndarray:
    """Exact Jaccard of the stem sets of each candidate pair (``sets``: binary CSR, rows x stems)."""
    sizes = np.diff(sets.indptr)
    similarity = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), 100_000):
        chunk = pairs[start:start + 100_000]
        shared = np.asarray(sets[chunk[:, 0]].multiply(sets[chunk[:, 1]]).sum(axis=1)).ravel()
        union = sizes[chunk[:, 0]] + sizes[chunk[:, 1]] - shared
        similarity[start:start + len(chunk)] = shared / np.maximum(union, 1)
    return similarity


def _group_positions(frame: pd.DataFrame, text_columns: Sequence[str], threshold: float, num_perm: int,
                     min_word_length: int, stem_length: int, min_stems: int, max_df: float,
                     min_rows_for_df: int, max_bucket: int, seed: int) -> tuple[list[list[int]], int]:
    """Groups as lists of row positions, and how many rows had enough text to compare."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_rows = len(frame)
    texts = _texts(frame, list(text_columns))
    rows, stems, vocabulary = _stems(texts, min_word_length, stem_length)
    if n_rows >= min_rows_for_df and len(stems):
        document_frequency = np.bincount(stems, minlength=len(vocabulary))
        common = document_frequency > max_df * n_rows
        keep = ~common[stems]
        rows, stems = rows[keep], stems[keep]
    per_row = np.bincount(rows, minlength=n_rows)
    comparable = np.flatnonzero(per_row >= min_stems)
    keep = np.isin(rows, comparable)
    rows, stems = rows[keep], stems[keep]
    if len(comparable) < 2:
        return [], int(len(comparable))
    signatures = minhash_signatures(rows, stems, vocabulary, n_rows, num_perm, seed)
    pairs = _candidate_pairs(signatures, comparable, threshold, num_perm, seed, max_bucket)
    if len(pairs):
        from scipy.sparse import csr_matrix

        sets = csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, stems)), shape=(n_rows, max(len(vocabulary), 1)))
        pairs = pairs[_jaccard(sets, pairs) >= threshold]
    if not len(pairs):
        return [], int(len(comparable))
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n_rows, n_rows))
    _, component = connected_components(graph, directed=False)
    linked = np.unique(pairs)
    order = np.argsort(component[linked], kind="stable")
    linked, labels = linked[order], component[linked][order]
    splits = np.flatnonzero(np.diff(labels)) + 1
    groups = [sorted(part.tolist()) for part in np.split(linked, splits)]
    groups.sort(key=lambda group: group[0])
    return groups, int(len(comparable))


def group_stories(
    frame: pd.DataFrame,
    text_columns: Sequence[str] = ("title", "body"),
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    min_word_length: int = MIN_WORD_LENGTH,
    stem_length: int = STEM_LENGTH,
    min_stems: int = MIN_STEMS,
    max_df: float = MAX_DF,
    min_rows_for_df: int = MIN_ROWS_FOR_DF,
    max_bucket: int = MAX_BUCKET,
    seed: int = SEED,
) -> list[list[Hashable]]:
    """Groups of two or more rows (index labels) that tell the same story, ordered by
    their first row; rows within a group in batch order."""
    groups, _ = _group_positions(frame, text_columns, threshold, num_perm, min_word_length, stem_length,
                                 min_stems, max_df, min_rows_for_df, max_bucket, seed)
    return [[_plain(frame.index[position]) for position in group] for group in groups]


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
    text = _SPACE.sub(" ", str(value)).strip()
    return text.split(",", 1)[0].strip() if first_part else text


def find_story_conflicts(
    frame: pd.DataFrame,
    column: str = "category",
    also_columns: Sequence[str] = ("location",),
    text_columns: Sequence[str] = ("title", "body"),
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    min_word_length: int = MIN_WORD_LENGTH,
    stem_length: int = STEM_LENGTH,
    min_stems: int = MIN_STEMS,
    max_df: float = MAX_DF,
    min_rows_for_df: int = MIN_ROWS_FOR_DF,
    max_bucket: int = MAX_BUCKET,
    seed: int = SEED,
):
    """Rows telling the same story as other rows of the batch but with another ``column``
    (normalised label) or ``also_columns`` value (the first comma part, any case: ``Brüssel,
    Belgien`` and ``brüssel`` agree). Empty values conflict with nothing.

    Returns a :class:`~auditor.expectations.base.BatchVerdict` with, besides ``details``,
    ``evaluated`` (rows with enough text to compare) and ``note``, the key ``stories``:
    every group as a list of index labels (groups of one are not stories).
    """
    compared = [column, *[name for name in (also_columns or ()) if name != column]]
    missing = [name for name in compared if name not in frame.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the batch")
    positions, evaluated = _group_positions(
        frame, list(text_columns or ()), float(threshold), int(num_perm), int(min_word_length), int(stem_length),
        int(min_stems), float(max_df), int(min_rows_for_df), int(max_bucket), int(seed),
    )
    index = [_plain(label) for label in frame.index]
    details: dict[Any, dict] = {}
    for number, group in enumerate(positions, start=1):
        values = {name: frame[name].iloc[group].tolist() for name in compared}
        keys = {name: [_key(value, name != column) for value in values[name]] for name in compared}
        for at, position in enumerate(group):
            conflicts: dict[str, list[str]] = {}
            for name in compared:
                own = keys[name][at]
                if own is None:
                    continue
                others: dict[str, str] = {}
                for other_at, other_key in enumerate(keys[name]):
                    if other_key is not None and other_key != own:
                        others.setdefault(other_key, _display(values[name][other_at], name != column))
                if others:
                    conflicts[name] = list(others.values())
            if not conflicts:
                continue
            other_rows = [index[other] for other in group if other != position]
            said = "; ".join(
                f"{name} {' or '.join(repr(v) for v in found)}, not {_display(values[name][at], name != column)!r}"
                for name, found in conflicts.items()
            )
            details[index[position]] = {
                "message": (
                    f"tells the same story as {'row' if len(other_rows) == 1 else 'rows'} "
                    f"{', '.join(str(row) for row in other_rows)}, which say {said}"
                ),
                "evidence": {"story": number, "rows": other_rows, "conflicts": conflicts},
            }
    from auditor.expectations.base import BatchVerdict

    stories = [[index[position] for position in group] for group in positions]
    note = None if evaluated >= 2 else f"not judged: {evaluated} row(s) with enough text to compare"
    return BatchVerdict(details=details, evaluated=evaluated, note=note, stories=stories)
