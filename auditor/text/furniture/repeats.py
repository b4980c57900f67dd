"""Lines repeated across many rows of one batch: a site's template repeats, its stories do not.

A batch step in three pure parts, so that it partitions like the other batch steps (on
worker processes or Spark, a map over partitions, a sum of counts, a map again):

1. :func:`line_hashes` -- rows to compact features: per row, the 64-bit hashes of its
   distinct lines (white space collapsed, case folded). Only bodies of more than
   one line have them: a body in one line is one text, not a page's blocks.
2. :func:`count_rows` -- the reduction: per hash, the number of rows that hold it.
   :func:`merge_counts` adds the counts of two partitions.
3. :func:`template_lines` (:func:`repeated_lines` for one body) -- per row, with the
   counts: which of its lines are the template. A line is when at least ``min_rows`` rows hold it *and* at least
   ``factor`` times as many as hold the row's rarest line: a batch of copies of one story
   (every line in every row) has no template, a site's rows (its menu in each, its story
   in one) do. Only lines of at most ``max_chars`` characters are flagged.

Nothing here reads the text twice: the per-row part hashes the row's lines again, as the
check needs their positions, which the compact features leave out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class RepeatLimits:
    """The ``repeats`` section of a furniture file (see ``rules/furniture.yaml``)."""

    min_rows: int = 5
    factor: float = 3.0
    max_chars: int = 320
    label: str = "line repeated in many rows of the batch (the site's template)"


def _normal_lines(body: str) -> list[tuple[int, int, str]]:
    found = []
    for match in _LINE.finditer(body):
        text = " ".join(match.group().split())
        if text:
            found.append((match.start(), match.end(), text.casefold()))
    return found


def _hash(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.empty(0, dtype=np.uint64)
    return pd.util.hash_array(np.array(texts, dtype=object), categorize=False)


def line_hashes(bodies: list, limits: RepeatLimits = RepeatLimits()) -> dict[int, np.ndarray]:
    """Per row position with lines to count (a body of more than one line), the distinct
    hashes of its lines; rows of one line are left out (they have none)."""
    texts: list[str] = []
    rows: list[int] = []
    sizes: list[int] = []
    for row, body in enumerate(bodies):
        if isinstance(body, str) and "\n" in body.strip():
            lines = {text for _, _, text in _normal_lines(body)}
            texts.extend(lines)
            rows.append(row)
            sizes.append(len(lines))
    if not rows:
        return {}
    hashes = _hash(texts)  # one vectorised call for the whole batch
    return dict(zip(rows, np.split(hashes, np.cumsum(sizes)[:-1])))


def count_rows(per_row) -> pd.Series:
    """Per hash (the index), how many rows hold it (each row's hashes are distinct);
    ``per_row`` is what :func:`line_hashes` returns (or its values)."""
    arrays = per_row.values() if isinstance(per_row, dict) else per_row
    filled = [hashes for hashes in arrays if len(hashes)]
    if not filled:
        return pd.Series([], dtype="int64", index=pd.Index([], dtype="uint64"))
    values, counts = np.unique(np.concatenate(filled), return_counts=True)
    return pd.Series(counts.astype("int64"), index=pd.Index(values, dtype="uint64"))


def merge_counts(left: pd.Series, right: pd.Series) -> pd.Series:
    """The counts of two partitions of one batch, added."""
    return left.add(right, fill_value=0).astype("int64")


def sum_counts(parts: list) -> pd.Series:
    """The counts of several pieces of one batch (:func:`count_rows` of each), added: the
    counts of the whole batch, sorted by hash as :func:`count_rows` gives them."""
    filled = [part for part in parts if len(part)]
    if not filled:
        return pd.Series([], dtype="int64", index=pd.Index([], dtype="uint64"))
    if len(filled) == 1:
        return filled[0]
    hashes, codes = np.unique(np.concatenate([part.index.to_numpy() for part in filled]), return_inverse=True)
    counts = np.bincount(codes, weights=np.concatenate([part.to_numpy() for part in filled]), minlength=len(hashes))
    return pd.Series(counts.astype("int64"), index=pd.Index(hashes, dtype="uint64"))


def batch_line_counts(bodies: list, limits: RepeatLimits = RepeatLimits()) -> pd.Series:
    """Parts 1 and 2 on one machine: the batch's line counts."""
    return count_rows(line_hashes(bodies, limits))


def shared_lines(counts: pd.Series) -> pd.Series:
    """The counts of the lines that more than one row holds: what the partitions are handed.
    The rest can be left out without changing a verdict, as a line missing from the counts
    is held by one row (its own), which is what they said."""
    return counts[counts > 1]


def template_lines(bodies: list, counts: pd.Series, limits: RepeatLimits = RepeatLimits()) -> dict[int, list[tuple[int, int, int]]]:
    """Part 3 for a column: per row position that has any, (start, end, rows holding it) of
    each of its lines that is the batch's template (see the module docstring). The rows'
    lines are hashed in one call, and looked up in the counts sorted once."""
    found: dict[int, list[tuple[int, int, int]]] = {}
    if counts is None or counts.empty:
        return found
    rows, spans, texts = [], [], []
    for row, body in enumerate(bodies):
        if isinstance(body, str) and "\n" in body.strip():
            for start, end, text in _normal_lines(body):
                rows.append(row)
                spans.append((start, end, len(text)))
                texts.append(text)
    if not texts:
        return found
    order = np.argsort(counts.index.to_numpy())
    known, held_by = counts.index.to_numpy()[order], counts.to_numpy()[order]
    hashes = _hash(texts)
    places = np.minimum(np.searchsorted(known, hashes), len(known) - 1)
    held = np.where(known[places] == hashes, held_by[places], 1)
    row_ids = np.asarray(rows)
    # each row's rarest line: the minimum over its lines (the rows come in order)
    firsts = np.flatnonzero(np.r_[True, row_ids[1:] != row_ids[:-1]])
    rarest = np.maximum(1, np.minimum.reduceat(held, firsts))
    threshold = np.maximum(limits.min_rows, limits.factor * np.repeat(rarest, np.diff(np.r_[firsts, len(row_ids)])))
    for index in np.flatnonzero(held >= threshold):
        start, end, length = spans[index]
        if length <= limits.max_chars:  # only short lines are the template's: a long one that repeats is a story copied
            found.setdefault(rows[index], []).append((start, end, int(held[index])))
    return found


def repeated_lines(body: str, counts: pd.Series, limits: RepeatLimits = RepeatLimits()) -> list[tuple[int, int, int]]:
    """(start, end, rows holding it) of each line of ``body`` that is the batch's template."""
    return template_lines([body], counts, limits).get(0, [])
