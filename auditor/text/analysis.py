"""Tokenise and lemmatise a batch of German article text once, for every check that needs it.

The result is a sparse rows x lemmas count matrix over the batch's own vocabulary.
Tokenising and vocabulary building run in Arrow's C++ kernels; lemmas come from
simplemma, looked up once per *unique* token (a 100k-article batch has ~35 M
tokens but only ~1 M distinct ones).

Normalised forms (``normalise``) fold case, ß and umlauts, so `Straße`, `STRASSE`
and `Strasse`, or `Anschläge` and `Anschlaege`, meet in one form.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
import simplemma

from auditor.text.words import normalise, normalise_all  # noqa: F401  (normalise: imported from here too)

LANGUAGE = "de"
# Punctuation around a whitespace-separated token; hyphens inside a token stay, so
# `Militär-Kooperation` is one compound, as simplemma expects.
_EDGE_PUNCTUATION = "".join(sorted(set(".,;:!?\"'()[]{}<>«»„“”‚‘’`´*_#/\\|+=~^&%$§@•·…–—-")))
LEAD_TOKENS = 40
LEAD_WEIGHT = 2.0
@lru_cache(maxsize=2_000_000)
def lemma_of(token: str) -> str:
    return simplemma.lemmatize(token, lang=LANGUAGE) if token else ""


def lemmas_of(tokens: np.ndarray) -> list[str]:
    """simplemma's lemma of every distinct word.

    Unknown words (names, rare compounds) cost simplemma ~20-30 µs each, and a
    100k-article batch has about a million distinct words: the largest single cost of
    the analysis. Splitting it over worker processes was measured slower on 2 cores
    (pickling the words and lemmas costs about what the second core saves).
    """
    return [lemma_of(token) for token in tokens.tolist()]


@dataclass
class TextAnalysis:
    """Per batch: which words each row's text holds, how often, and their normalised forms.

    A word is known by its normalised surface form, its normalised lemma and, when
    hyphenated, the lemma of its last part (``forms``). Terms are matched against both, because lemmatisers are unsure with
    nominalised adjectives (`Angeklagte`, `Verletzten`) and foreign words.
    """

    index: pd.Index  # the rows, as in the batch
    counts: sp.csr_matrix  # rows x surface words, title words counted ``title_weight`` times
    surfaces: np.ndarray  # each surface word as written
    forms: np.ndarray  # every normalised surface form and lemma of the batch, unique
    surface_forms: sp.csr_matrix  # surface words x forms: 1 for the word's surface form and its lemma
    token_totals: np.ndarray  # tokens per row (title counted once)
    lead_counts: sp.csr_matrix  # rows x surface words of the title and the lead only, unweighted
    # The raw texts analysed (references, not copies), for checks that read phrases rather than words.
    titles: pd.Series  # the title (all None when the batch has none)
    texts: pd.Series  # the body, as joined from the text columns

    def rows(self, index: pd.Index) -> np.ndarray:
        """Positions in this analysis of the given row labels."""
        return self.index.get_indexer(index)

    def words_in_row(self, position: int, surface_weights: np.ndarray) -> list[str]:
        """The row's words with a positive weight in ``surface_weights`` (one per surface word),
        strongest first: weight x count."""
        start, end = self.counts.indptr[position], self.counts.indptr[position + 1]
        columns = self.counts.indices[start:end]
        strength = surface_weights[columns] * self.counts.data[start:end]
        chosen = strength > 0
        ranked = sorted(zip(-strength[chosen], self.surfaces[columns[chosen]]))
        return [str(word) for _, word in ranked]


def _tokens(texts: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """All tokens of all texts in one flat Arrow array, and each text's offset into it."""
    array = pa.array(texts.fillna("").astype(str).tolist(), type=pa.large_string())
    # A slash joins words, not parts of one: datelines `Wien/London –`, `und/oder`, `sda/dpa`.
    split = pc.utf8_split_whitespace(pc.replace_substring(array, "/", " "))
    flat = pc.utf8_trim(pc.list_flatten(split), characters=_EDGE_PUNCTUATION)
    return flat, np.asarray(split.offsets, dtype=np.int64)


def _count_matrix(token_ids: np.ndarray, offsets: np.ndarray, columns: int,
                  lead_tokens: int = 0, lead_weight: float = 1.0) -> sp.csr_matrix:
    """rows x words; the first ``lead_tokens`` tokens of each row count ``lead_weight`` times."""
    data = np.ones(len(token_ids), dtype=np.float32)
    if lead_tokens and lead_weight != 1.0 and len(token_ids):
        row_of_token = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        position = np.arange(len(token_ids)) - offsets[row_of_token]
        data[position < lead_tokens] = lead_weight
    # Duplicate (row, column) entries are summed by every operation that follows.
    return sp.csr_matrix((data, token_ids, offsets), shape=(len(offsets) - 1, columns))


def analyse_texts(title: pd.Series | None, body: pd.Series, title_weight: float = 2.0,
                  lead_tokens: int = LEAD_TOKENS, lead_weight: float = LEAD_WEIGHT) -> TextAnalysis:
    """Tokenise and lemmatise ``title`` and ``body`` (same index) of a whole batch.

    The title and the lead (first ``lead_tokens`` words of the body) weigh more: what a
    story is about is said there, while the rest may mention other events in passing.
    """
    title = title if title is not None else pd.Series([None] * len(body), index=body.index, dtype=object)
    title_tokens, title_offsets = _tokens(title)
    body_tokens, body_offsets = _tokens(body)
    encoded = pc.dictionary_encode(pa.concat_arrays([title_tokens, body_tokens]))
    surfaces = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    ids = np.asarray(encoded.indices, dtype=np.int64)
    title_ids, body_ids = ids[: len(title_tokens)], ids[len(title_tokens):]

    # Tokens that were punctuation only are empty: they count for nothing.
    keep = sp.diags(np.where(surfaces == "", 0.0, 1.0).astype(np.float32))
    title_counts = _count_matrix(title_ids, title_offsets, len(surfaces)) @ keep
    body_counts = _count_matrix(body_ids, body_offsets, len(surfaces)) @ keep
    weighted_body = _count_matrix(body_ids, body_offsets, len(surfaces), lead_tokens, lead_weight) @ keep
    counts = (weighted_body + title_weight * title_counts).tocsr()
    # The lead counted twice minus the body counted once is the lead alone: what rewrites
    # of one story share most (the story check compares it).
    lead_counts = (_count_matrix(body_ids, body_offsets, len(surfaces), lead_tokens, 2.0) - body_counts) @ keep
    lead_counts = (lead_counts + title_counts).tocsr()
    lead_counts.eliminate_zeros()
    token_totals = np.asarray((body_counts + title_counts).sum(axis=1)).ravel()

    # A hyphenated word also stands for its last part (`UN-Sanktionen` is about `Sanktion`).
    hyphenated = [row for row, token in enumerate(surfaces) if "-" in token.strip("-")]
    heads = [lemma_of(surfaces[row].rstrip("-").rsplit("-", 1)[-1]) for row in hyphenated]
    norms = normalise_all(pa.array([*surfaces, *lemmas_of(surfaces), *heads], type=pa.large_string()))
    forms, form_ids = sorted_unique(norms)
    count = len(surfaces)
    owners = np.concatenate([np.arange(count), np.arange(count), np.asarray(hyphenated, dtype=np.int64)])
    surface_forms = sp.csr_matrix(
        (np.ones(len(owners), dtype=np.float32), (owners, form_ids)),
        shape=(count, len(forms)),
    )
    surface_forms.data[:] = 1.0  # a word whose surface form is its lemma has one form, not two
    return TextAnalysis(
        index=body.index,
        counts=counts,
        surfaces=surfaces,
        forms=forms,
        surface_forms=surface_forms,
        token_totals=token_totals,
        lead_counts=lead_counts,
        titles=title,
        texts=body,
    )


def sorted_unique(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The distinct strings in sorted order, and each string's position among them (as
    ``np.unique(..., return_inverse=True)`` gives them, without sorting Python objects:
    UTF-8's byte order is the order of the code points)."""
    distinct = pc.unique(strings)
    distinct = distinct.take(pc.array_sort_indices(distinct))
    positions = np.asarray(pc.index_in(strings, value_set=distinct), dtype=np.int64)
    return np.asarray(distinct.to_pylist(), dtype=object), positions


def _joined(frame: pd.DataFrame) -> pd.Series:
    if frame.shape[1] == 1:
        return frame.iloc[:, 0]
    return frame.fillna("").astype(str).agg("\n\n".join, axis=1)


def analyse_frame(frame: pd.DataFrame, text_columns: list[str]) -> TextAnalysis:
    """The analysis of ``text_columns`` of a table: the first is the title (weighted), the
    rest, joined, the body; with one column, it is the body. Columns the table lacks are left out."""
    columns = [column for column in text_columns if column in frame.columns]
    if len(columns) >= 2:
        return analyse_texts(frame[columns[0]], _joined(frame[columns[1:]]))
    body = frame[columns[0]] if columns else pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return analyse_texts(None, body)
