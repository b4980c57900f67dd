"""Which rows' labels disagree with how the rest of the batch labels similar text.

Confident learning on the batch itself, with no lexicon and for any label column:

1. Rows with a label and some text are *evaluable*. Labels that differ only in case,
   Unicode form or spacing are one label; a suggestion is written the way the batch
   writes that label most often. Labels with fewer than ``min_per_label`` evaluable rows
   are too rare to learn: their rows are neither judged nor used for training.
2. Text model: word unigrams of the text columns (lower-cased, hashed, so no vocabulary
   has to be built and the hashing can be split across processes), words in fewer than
   two rows dropped, sublinear TF-IDF; a Complement Naive Bayes classifier.
   ComplementNB is the fast, strong linear text classifier for few, unbalanced training
   rows per label; on a 100k-row batch its cross-validation costs seconds where
   logistic regression costs minutes.
3. Out-of-fold probabilities: ``folds``-fold stratified cross-validation, so no row is
   judged by a model that saw it; repeated ``repeats`` times with different splits and
   averaged, which steadies the probabilities of small batches.
4. cleanlab's ``find_label_issues`` on those probabilities (ComplementNB's own
   ``predict_proba``) with ``filter_by="both"``: a row is an issue when it is among the
   rows the confident joint counts as mislabelled both per given label (prune by class)
   and per pair of labels (prune by noise rate), and its predicted label is not its
   given one. This is the more precise of cleanlab's standard filters.
5. For the editor, the same out-of-fold scores are also calibrated: per repeat, one
   temperature fitted to the labels (Naive Bayes probabilities are badly scaled: on
   news sections they are far too flat). The calibrated probabilities give the score
   and the suggestion. They are not what cleanlab sees: a temperature fitted to noisy
   labels is pulled by the very rows that are wrong, and on a batch whose labels the
   model learns almost perfectly it made confident learning miss obvious swaps.
6. ``confidence``, the probability that the given label is wrong, is calibrated on the
   held-out folds by *swap calibration* (``_wrong_label_probability``): every row's label
   swapped for random other labels shows how wrong labels score; a density-ratio
   classifier (logistic regression on splines) fitted on the other folds tells the
   batch's labels from swapped ones; times the batch's share of wrong labels (a
   mixture-proportion estimate) that is the posterior probability of a wrong label, made
   monotone by isotonic regression. Nothing is fitted to the dev data.

Chosen on general grounds and checked with 10 % of the labels corrupted (5 seeds,
``benchmarks/eval_batch.py``) on the 10kGNAD dev sections (514 rows, 9 labels): mean F1
0.68, against 0.51 for the plain baseline (TF-IDF 1-2-grams + logistic regression,
cleanlab's default filter), expected calibration error of ``confidence`` 0.10; and on the
240 dev police releases (16 incident labels, 3-44 rows each): F1 0.57 against 0.26, ECE
0.13. Variants measured on news: calibrated probabilities fed to cleanlab 0.65, one split
instead of three 0.64, five 0.67, ``prune_by_noise_rate`` alone 0.61; word 1-2-grams or
character n-grams did not help and cost more. ``min_per_label`` is 5, the least that
5-fold stratified cross-validation can hold out: at 20 the police batch had only six
labels to learn, and most corrupted rows carried a label the check skipped (F1 0.31).
For calibration (ECE on news and police): ``1 - p(given)`` had 0.5 on police (it is the
model's doubt, not the label's); swap calibration with a linear curve 0.18 and 0.15, an
isotonic curve 0.10 and 0.17, the spline curve without the isotonic step 0.125 and 0.134;
a linear curve with cleanlab's confident-joint noise rate instead of the mixture estimate
0.10 and 0.21 (it counts the model's own errors as noise: up to four times the true share).

Each flagged row's detail:

- ``suggestion``: the label with the highest out-of-fold probability (never the given one);
- ``confidence``: the calibrated probability that the given label is wrong (step 6),
  rounded to 3 places; severity and the gate follow from it;
- ``score``: how much the model doubts the given label, ``1 - p(given label)``, where ``p``
  is the calibrated out-of-fold probability averaged over the repeats (1 minus
  cleanlab's ``self_confidence`` label quality); kept for the report's sorting;
- ``evidence``: the out-of-fold probabilities of the suggestion and of the given label,
  and the row's own words that pull its text most towards the suggestion and away from
  the given label (from the model of the fold that held the row out).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from auditor.contracts import BatchVerdict, SpilledParts, parts_index, setting, text_columns_setting
from auditor.text.labels import normalise_label

N_FEATURES = 2**21
"""Hash buckets for words. A 100k-row German batch has 1-1.5 M distinct words, most of
them in one row only (dropped); 2 M buckets keep collisions among the rest rare."""
ALPHA = 0.3
"""ComplementNB smoothing."""
EVIDENCE_WORDS = 5
PARALLEL_FROM_ROWS = 20_000
"""Below this many rows, hashing in one process is faster than starting workers."""
_WORD = re.compile(r"(?u)\b\w\w+\b")  # the tokens HashingVectorizer uses by default


@dataclass(frozen=True)
class LabelConsistencySettings:
    text_columns: list[str] = text_columns_setting()
    min_rows: int = setting(200, ge=2, doc="With fewer rows that have a label and text the check does not guess (a note says why).")
    min_per_label: int = setting(5, ge=2, doc="Rows of rarer labels are not judged (at least `folds` rows are always needed).")
    folds: int = setting(5, ge=2, le=20, doc="Cross-validation folds: each row is judged only by models that never saw it.")
    repeats: int = setting(3, ge=1, le=10, doc="Cross-validation repeats, averaged.")
    max_chars: int = setting(20_000, ge=100, doc="Characters of each row read, so one runaway body cannot stall the batch.")
    workers: int = setting(2, ge=1, le=64, doc="Processes sharing the hashing of large batches.")
    random_state: int = setting(0, doc="Seed of the folds: a given seed gives the same findings every run.")
    min_confidence: float = setting(
        0.0, ge=0, le=1, doc="Only rows whose label is wrong with at least this probability are flagged "
                             "(set from the rule's confidence levels).")


@dataclass
class HashedTexts:
    """The hashed word counts of rows' texts (``text_columns`` joined, ``max_chars`` read):
    all the text model needs of the text. A row partition hashes its own rows
    (:func:`hashed_texts`); put together (:func:`combine_hashed_texts`) they are what
    hashing the whole batch at once gives, since hashing needs no vocabulary."""

    index: pd.Index  # the rows, in order
    blocks: Iterable[Any]  # consecutive row blocks, re-iterable: float32 CSR, rows x N_FEATURES
    has_text: np.ndarray | None = None  # per row, whether its text holds more than white space
    # Set where the batch's texts are not at hand (on Spark): ``rows_of(positions)`` gives the
    # text columns of the rows at those batch positions (the flagged ones, for their evidence
    # words), and the check then reads no text of the frame it is handed.
    rows_of: Callable[[np.ndarray], pd.DataFrame] | None = None


def hashed_texts(frame: pd.DataFrame, settings: LabelConsistencySettings = LabelConsistencySettings()) -> HashedTexts:
    columns = [name for name in settings.text_columns if name in frame.columns]
    if not columns:
        raise ValueError("text_columns names no column of the batch to learn from")
    texts = _texts(frame, columns, max(1, int(settings.max_chars or 0)))
    return HashedTexts(index=frame.index, blocks=[hashed_counts(texts.tolist())],
                       has_text=texts.str.contains(r"\S", regex=True).to_numpy(dtype=bool))


def hashed_counts(texts: list[str]) -> "sp.csr_matrix":
    """Exactly ``HashingVectorizer.transform(texts)`` of the model's hasher, in Arrow's kernels.

    The vectorizer lower-cases each text and finds its words (runs of two or more word
    characters) in Python, then hashes every token: 0.7 s per 5,000 rows. Here a text of
    only the characters that Arrow lower-cases as Python does (:func:`_plain_characters`) is
    lower-cased and cut at its runs of non-word characters by Arrow; any other text is read
    by the vectorizer's own pattern. Each distinct word is hashed once."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import scipy.sparse as sp

    try:
        array = pa.array(texts, type=pa.large_string())
    except (pa.ArrowException, UnicodeError):  # lone surrogates: not UTF-8
        return _TextModel().hasher.transform(texts).tocsr()
    plain_text, separators = _plain_characters()
    plain = np.asarray(pc.match_substring_regex(array, plain_text), dtype=bool)
    rows = np.flatnonzero(plain)
    pieces = pc.split_pattern_regex(pc.utf8_lower(array.take(rows)), pattern=separators)
    words = pc.list_flatten(pieces)
    row_of_word = np.repeat(rows, np.diff(np.asarray(pieces.offsets, dtype=np.int64)))
    others = np.flatnonzero(~plain)
    if len(others):
        found = [_WORD.findall(texts[row].lower()) for row in others.tolist()]
        words = pa.concat_arrays([words, pa.array([word for row in found for word in row], type=pa.large_string())])
        row_of_word = np.concatenate([row_of_word, np.repeat(others, [len(row) for row in found])])
    encoded = pc.dictionary_encode(words)
    # A one-letter piece (or the empty one before a leading separator) is no word.
    distinct = encoded.dictionary
    words_kept = np.flatnonzero(np.asarray(pc.utf8_length(distinct), dtype=np.int64) >= 2)
    column_of = np.full(len(distinct), -1, dtype=np.int64)
    column_of[words_kept] = _buckets(distinct.take(words_kept).to_pylist())
    columns = column_of[np.asarray(encoded.indices, dtype=np.int64)]
    kept = columns >= 0
    # From (row, column) pairs: the repeated ones summed, each row's columns sorted, as the vectorizer's.
    return sp.csr_matrix((np.ones(int(kept.sum()), dtype=np.float32), (row_of_word[kept], columns[kept])),
                         shape=(len(texts), N_FEATURES))


@lru_cache(maxsize=1)
def _plain_characters() -> tuple[str, str]:
    """RE2 patterns: a text made only of characters (up to U+2FFF) that Arrow lower-cases to
    what Python's ``str.lower`` gives, one character for one; and a run of the characters
    that are no word characters to Python's ``re`` once lower-cased. Worked out here from
    both engines, so a text matched by the first is tokenised exactly as the vectorizer does."""
    import pyarrow as pa
    import pyarrow.compute as pc

    characters = [chr(code) for code in range(1, 0x3000) if not 0xD800 <= code < 0xE000]
    lowered = pc.utf8_lower(pa.array(characters, type=pa.large_string())).to_pylist()
    # Python lower-cases a capital sigma by its context (a word's last letter: ς); Arrow does not.
    plain = [character for character, lower in zip(characters, lowered)
             if character.lower() == lower and len(lower) == 1 and character != "\u03a3"]
    word = re.compile(r"\w")
    separators = sorted({ord(character.lower()) for character in plain if not word.fullmatch(character.lower())})
    return f"^{_character_class([ord(character) for character in plain])}*$", f"{_character_class(separators)}+"


def _character_class(codes: list[int]) -> str:
    """An RE2 class of the code points ``codes`` (sorted), as ranges."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(rf"\x{{{first:x}}}-\x{{{last:x}}}" for first, last in ranges) + "]"


def _buckets(words: list[str]) -> np.ndarray:
    """Each word's HashingVectorizer column: its signed MurmurHash3 (seed 0), absolute, modulo
    the features (the vectorizer maps -2**31 to a column that is also 0 for 2**21 features)."""
    from sklearn.utils import murmurhash3_32

    hashes = np.fromiter((murmurhash3_32(word, seed=0) for word in words), dtype=np.int64, count=len(words))
    return np.abs(hashes) % N_FEATURES


def combine_hashed_texts(parts: Iterable[HashedTexts]) -> HashedTexts:
    """The partitions' hashed texts as one batch's. The blocks are not gathered: they are read
    from the parts at every pass over them (from disk, one chunk at a time, in an audit in
    chunks), so the batch's counts are never held twice."""
    parts = parts if isinstance(parts, SpilledParts) else list(parts)
    index = parts_index(parts)
    known: list[np.ndarray] = []
    for part in parts:
        if part.has_text is None:
            known = []
            break
        known.append(part.has_text)
    has_text = np.concatenate(known) if known else (np.zeros(0, dtype=bool) if not len(index) else None)
    return HashedTexts(index=index, blocks=_Blocks(parts), has_text=has_text)


class _Blocks:
    """The row blocks of consecutive parts, re-iterable."""

    def __init__(self, parts: Iterable[HashedTexts]):
        self.parts = parts

    def __iter__(self) -> Iterator[Any]:
        for part in self.parts:
            yield from part.blocks


def find_inconsistent_labels(frame: pd.DataFrame, column: str,
                             settings: LabelConsistencySettings = LabelConsistencySettings(),
                             features: HashedTexts | None = None) -> BatchVerdict:
    """Flag rows whose ``column`` label disagrees with how the rest of the batch labels similar text.

    ``text_columns`` are joined to make each row's text (only the first ``max_chars``
    characters of each row are read, so one runaway body cannot stall the batch).
    Skips (no details, a ``note`` saying why) when fewer than ``min_rows`` rows have a
    label and text, or fewer than two labels have ``min_per_label`` such rows each.
    ``workers`` processes share the hashing of large batches. Deterministic for a given
    ``random_state``. Returns a :class:`BatchVerdict` keyed by the frame's index.
    ``features``, when given, are the rows' hashed texts gathered from row partitions
    (:func:`combine_hashed_texts`), so the batch's text is not hashed again here.
    """
    folds, repeats, min_rows = settings.folds, settings.repeats, settings.min_rows
    min_per_label = max(settings.min_per_label, folds)
    text_columns = list(settings.text_columns)
    max_chars, workers, random_state = settings.max_chars, settings.workers, settings.random_state
    missing = [name for name in [column, *text_columns] if name not in frame.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the batch (columns: {', '.join(map(str, frame.columns[:15]))})")
    if not text_columns:
        raise ValueError("text_columns names no column to learn from")

    keys, display = _label_keys(frame[column])
    # With the partitions' features (which say which rows have text), the batch's texts are not
    # joined here at all: only the flagged rows' texts are read, for their evidence words.
    elsewhere = features is not None and features.has_text is not None
    texts = None if elsewhere else _texts(frame, text_columns, max(1, int(max_chars or 0)))
    has_text = (pd.Series(features.has_text, index=frame.index) if elsewhere
                else texts.str.contains(r"\S", regex=True))
    evaluable = keys.notna() & has_text
    usable_rows = int(evaluable.sum())
    if usable_rows < min_rows:
        return _skip(
            f"not judged: {_rows(usable_rows)} with a {column} and text; at least {min_rows} are needed to learn "
            f"from the batch"
        )

    counts = keys[evaluable].value_counts()
    learnable = sorted(counts.index[counts >= min_per_label])
    rare = counts[counts < min_per_label]
    rare_note = ""
    if len(rare):
        shown = ", ".join(f"{display[key]!r} ({count})" for key, count in rare.sort_values(ascending=False).head(5).items())
        more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
        rare_note = (
            f"{_rows(int(rare.sum()))} of labels with fewer than {min_per_label} rows not judged: {shown}{more}"
        )
    if len(learnable) < 2:
        return _skip(
            f"not judged: {'only one label has' if learnable else 'no label has'} at least {min_per_label} rows "
            f"with text; at least 2 are needed to compare labels"
            + (f" ({rare_note})" if rare_note else "")
        )

    judged = evaluable & keys.isin(learnable)
    label_of = {key: position for position, key in enumerate(learnable)}
    y = keys[judged].map(label_of).to_numpy(dtype=np.int64)
    model = _TextModel(workers=max(1, int(workers or 1)))
    if features is not None:
        if not features.index.equals(frame.index):
            raise ValueError("the hashed texts are not those of the batch's rows")
        X = model.features(parts=_ChosenRows(features.blocks, judged.to_numpy()))
    else:
        X = model.features(texts[judged].tolist())
    if X.shape[1] == 0:
        return _skip(f"not judged: the texts of the {_rows(len(y))} share no words", evaluated=0)

    model_probabilities, probabilities, fold_of = _out_of_fold(X, y, len(learnable), folds, repeats, int(random_state))

    from cleanlab.filter import find_label_issues

    issues = find_label_issues(y, model_probabilities, filter_by="both", n_jobs=1)
    given_p = probabilities[np.arange(len(y)), y]
    wrong, wrong_share = _wrong_label_probability(probabilities, y, fold_of, folds, int(random_state))
    suggested = probabilities.argmax(axis=1)
    # cleanlab already drops rows its model predicts as given; the calibrated average
    # must agree, so that the suggestion is never the given label.
    issues &= suggested != y
    issues &= wrong >= settings.min_confidence

    flagged = np.flatnonzero(issues)
    if elsewhere:
        at = np.flatnonzero(judged.to_numpy())[flagged]
        flagged_rows = features.rows_of(at) if features.rows_of is not None else frame.iloc[at]
        fetched = _texts(flagged_rows, text_columns, max(1, int(max_chars or 0)))
        judged_texts: Any = dict(zip(flagged.tolist(), fetched.tolist()))
    else:
        judged_texts = texts[judged].to_numpy()
    words = _evidence_words(model, X, y, suggested, fold_of, flagged, judged_texts, len(learnable))
    index = [label.item() if isinstance(label, np.generic) else label for label in keys[judged].index]
    raw = frame.loc[judged, column].to_numpy()
    details: dict[Any, dict] = {}
    for row in flagged:
        given_label, suggestion = display[learnable[y[row]]], display[learnable[suggested[row]]]
        score = round(float(1.0 - given_p[row]), 3)
        confidence = round(float(wrong[row]), 3)
        row_words = words.get(int(row), [])
        because = f"; words for {suggestion!r}: {', '.join(row_words)}" if row_words else ""
        details[index[row]] = {
            "message": (
                f"{column} {str(raw[row]).strip()!r} disagrees with the rest of the batch, which labels similar "
                f"texts {suggestion!r} (probability that the label is wrong {confidence:.2f}{because})"
            ),
            "suggestion": suggestion,
            "score": score,
            "confidence": confidence,
            "evidence": {
                "suggested": suggestion,
                "p_suggested": round(float(probabilities[row, suggested[row]]), 3),
                "given": given_label,
                "p_given": round(float(given_p[row]), 3),
                "batch_wrong_share": round(float(wrong_share), 3),  # the prior behind confidence
                "for_suggested": row_words,
            },
        }
    return _verdict(details, int(len(y)), rare_note or None)


def _verdict(details: dict, evaluated: int, note: str | None) -> BatchVerdict:
    return BatchVerdict(details=details, evaluated=evaluated, note=note)


def _skip(note: str, evaluated: int = 0) -> BatchVerdict:
    return _verdict({}, evaluated, note)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _label_keys(values: pd.Series) -> tuple[pd.Series, dict[str, str]]:
    """Per row the label's key (None when empty) and, per key, its most common spelling."""
    present = values.notna()
    written = values[present].astype(str).str.strip()
    keys = pd.Series(None, index=values.index, dtype=object)
    normalised = written.map(normalise_label)
    keys[normalised.index] = normalised.where(normalised != "", None)
    display: dict[str, str] = {}
    spellings = Counter(zip(normalised[normalised != ""], written[normalised != ""]))
    for (key, spelling), _count in sorted(spellings.items(), key=lambda item: -item[1]):
        display.setdefault(key, spelling)
    return keys, display


def _texts(frame: pd.DataFrame, text_columns: list[str], max_chars: int) -> pd.Series:
    parts = [frame[name].where(frame[name].notna(), "").astype(str) for name in text_columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\n" + part
    return joined.str.slice(0, max_chars)


class _TextModel:
    """Hashed word unigrams -> sublinear TF-IDF, and ComplementNB weights from class counts."""

    def __init__(self, workers: int = 1):
        from sklearn.feature_extraction.text import HashingVectorizer

        self.workers = workers
        self.hasher = HashingVectorizer(
            n_features=N_FEATURES, alternate_sign=False, norm=None, dtype=np.float32, lowercase=True
        )
        self.kept: np.ndarray | None = None

    def features(self, texts: list[str] | None = None, parts: list | None = None):
        """TF-IDF features of ``texts``, or of their word counts hashed already (``parts``)."""
        parts = self._hash(texts) if parts is None else parts
        # Words in one row only cannot tell labels apart; dropping them keeps the model small.
        document_frequency = np.zeros(N_FEATURES, dtype=np.int64)
        rows = 0
        for part in parts:
            document_frequency += np.bincount(part.indices, minlength=N_FEATURES)
            rows += part.shape[0]
        self.kept = np.flatnonzero(document_frequency >= 2)
        counts = _stack_kept_columns(parts, self.kept, rows, int(document_frequency[self.kept].sum()))
        return _sublinear_tf_idf(counts, document_frequency[self.kept])

    def _hash(self, texts: list[str]) -> list:
        """Word counts of ``texts`` (float32 CSR), as consecutive row blocks."""
        if self.workers <= 1 or len(texts) < PARALLEL_FROM_ROWS:
            return [self.hasher.transform(texts).tocsr()]
        from joblib import Parallel, delayed

        # Small blocks keep the texts in transit and each worker's share of memory small.
        size = math.ceil(len(texts) / (self.workers * 8))
        chunks = (texts[start:start + size] for start in range(0, len(texts), size))
        return Parallel(n_jobs=self.workers)(delayed(_hash_block)(self.hasher, chunk) for chunk in chunks)

    def columns_of(self, words: list[str]) -> np.ndarray:
        """The model column of each word (-1 when it was dropped).

        ``words`` are single lower-case tokens, so each one's bucket is its MurmurHash3, as
        ``HashingVectorizer`` computes it, without the vectorizer's per-document overhead
        (20x faster; the evidence of 10k flagged rows looks up ~10^6 words)."""
        first = _buckets(words)
        position = np.searchsorted(self.kept, first)
        position = np.clip(position, 0, len(self.kept) - 1)
        return np.where(self.kept[position] == first, position, -1)


class _ChosenRows:
    """The ``chosen`` rows (a mask over all blocks' rows) of consecutive row blocks, block by
    block, re-iterable."""

    def __init__(self, blocks: Iterable[Any], chosen: np.ndarray):
        self.blocks, self.chosen = blocks, chosen

    def __iter__(self) -> Iterator[Any]:
        start = 0
        for block in self.blocks:
            mask = self.chosen[start:start + block.shape[0]]
            start += block.shape[0]
            yield block[mask] if not mask.all() else block


def _hash_block(hasher, texts: list[str]):
    return hasher.transform(texts).tocsr()


def _sublinear_tf_idf(counts, document_frequency: np.ndarray):
    """``TfidfTransformer(sublinear_tf=True).fit(counts).transform(counts, copy=False)``, to the
    last bit, with the document frequencies already counted: the transformer counts them with
    a bincount of the matrix's column indices as int64 (1.9 GB at a million rows). In place:
    every copy of this matrix is a few hundred MB at 100k rows."""
    from sklearn.preprocessing import normalize

    dtype = counts.dtype
    frequency = document_frequency.astype(dtype, copy=True)
    frequency += 1.0  # smooth_idf
    idf = np.full_like(frequency, fill_value=counts.shape[0] + 1, dtype=dtype)
    idf /= frequency
    np.log(idf, out=idf)
    idf += 1.0
    np.log(counts.data, counts.data)
    counts.data += 1.0
    for start in range(0, counts.nnz, 10_000_000):  # idf[indices] whole would be another 1 GB
        counts.data[start:start + 10_000_000] *= idf[counts.indices[start:start + 10_000_000]]
    return normalize(counts, norm="l2", copy=False).tocsr()


def _stack_kept_columns(parts: Iterable[Any], kept: np.ndarray, rows: int, size: int):
    """``vstack(parts)[:, kept]`` as one CSR matrix of ``rows`` rows and ``size`` entries,
    filled part by part so that only the result and one part are in memory at once (a list
    of ``parts`` is emptied as it goes)."""
    import scipy.sparse as sp

    new_column = np.full(N_FEATURES, -1, dtype=np.int32)
    new_column[kept] = np.arange(len(kept), dtype=np.int32)
    index_type = np.int32 if size < 2**31 else np.int64
    data = np.empty(size, dtype=np.float32)
    indices = np.empty(size, dtype=np.int32)
    indptr = np.zeros(rows + 1, dtype=index_type)
    row = entry = 0
    for part in _given_away(parts):
        mapped = new_column[part.indices]
        keep = mapped >= 0
        kept_before = np.zeros(part.nnz + 1, dtype=index_type)
        np.cumsum(keep, out=kept_before[1:])
        count = int(kept_before[-1])
        data[entry:entry + count] = part.data[keep]
        indices[entry:entry + count] = mapped[keep]
        indptr[row + 1:row + part.shape[0] + 1] = entry + kept_before[part.indptr[1:]]
        row, entry = row + part.shape[0], entry + count
        del part, mapped, keep, kept_before
    return sp.csr_matrix((data, indices, indptr), shape=(rows, len(kept)))


def _given_away(parts: Iterable[Any]) -> Iterator[Any]:
    """The parts in order; a list's are taken out of it as they are handed on."""
    if not isinstance(parts, list):
        yield from parts
        return
    for position in range(len(parts)):
        part, parts[position] = parts[position], None
        yield part


CLASS_COUNT_ROWS = 10_000
"""Rows whose entries are added up at a time in :func:`_class_counts`."""


def _class_counts(X, y: np.ndarray, classes: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Per class, the summed TF-IDF of each word (ComplementNB's ``feature_count_``), over the
    ``rows`` of ``X`` (sorted; all rows when None).

    Added up in float64 entry by entry, in row order, a slab of rows at a time: the sums of
    ``membership @ X[rows]`` to the last bit, without the copies of ``X`` a sparse product
    makes (its data as float64: 1.6 GB at a million rows; the rows taken out: 0.4 GB)."""
    columns = X.shape[1]
    counts = np.zeros(classes * columns, dtype=np.float64)
    for slab, labels in _slabs(X, y, rows):
        entries = np.repeat(np.arange(slab.shape[0]), np.diff(slab.indptr))
        np.add.at(counts, labels[entries] * columns + slab.indices, slab.data.astype(np.float64))
    return counts.reshape(classes, columns)


def _slabs(X, y: np.ndarray, rows: np.ndarray | None):
    """``X``'s rows (those at ``rows``, when given) and their labels, ``CLASS_COUNT_ROWS`` at a time."""
    count = X.shape[0] if rows is None else len(rows)
    for start in range(0, count, CLASS_COUNT_ROWS):
        if rows is None:
            yield X[start:start + CLASS_COUNT_ROWS], y[start:start + CLASS_COUNT_ROWS]
        else:
            at = rows[start:start + CLASS_COUNT_ROWS]
            yield X[at], y[at]


def _complement_weights(counts: np.ndarray, in_place: bool = False) -> np.ndarray:
    """ComplementNB's weights (``feature_log_prob_``, ``norm=False``) from per-class counts
    (made in ``counts`` itself when ``in_place``: each is rows x classes x 8 bytes)."""
    column_sums = counts.sum(axis=0, keepdims=True) + ALPHA
    complement = np.subtract(column_sums, counts, out=counts if in_place else None)
    complement /= complement.sum(axis=1, keepdims=True)
    np.log(complement, out=complement)
    np.negative(complement, out=complement)
    return complement


def _fold_weights(X, y: np.ndarray, classes: int, total: np.ndarray, held_out: np.ndarray) -> np.ndarray:
    """The ComplementNB weights of a model of every row but the ``held_out`` ones."""
    counts = _class_counts(X, y, classes, held_out)
    np.subtract(total, counts, out=counts)
    return _complement_weights(counts, in_place=True)


def _fold_scores(X, y: np.ndarray, held_out: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The held-out rows' scores (float64) under a fold's weights, a slab of rows at a time."""
    transposed = weights.T.astype(np.float32)
    return np.concatenate([np.asarray(slab @ transposed, dtype=np.float64)
                           for slab, _ in _slabs(X, y, held_out)] or [np.zeros((0, weights.shape[0]))])


def _out_of_fold(X, y: np.ndarray, classes: int, folds: int, repeats: int, random_state: int):
    """Out-of-fold probabilities averaged over ``repeats`` stratified splits, as the model
    gives them (ComplementNB's ``predict_proba``) and calibrated, and each row's fold in
    the first split.

    ComplementNB only needs per-class word totals, so each fold's model is the batch's
    totals minus the held-out fold's: one pass over the data per split instead of one per fold.
    """
    from sklearn.model_selection import StratifiedKFold

    total = _class_counts(X, y, classes)
    from scipy.special import softmax

    model_probabilities = np.zeros((len(y), classes))
    probabilities = np.zeros((len(y), classes))
    fold_of = np.zeros(len(y), dtype=np.int64)
    for repeat in range(repeats):
        scores = np.zeros((len(y), classes))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state + repeat)
        for fold, (_, held_out) in enumerate(splitter.split(np.zeros(len(y)), y)):
            weights = _fold_weights(X, y, classes, total, held_out)
            scores[held_out] = _fold_scores(X, y, held_out, weights)
            del weights
            if repeat == 0:
                fold_of[held_out] = fold
        model_probabilities += softmax(scores, axis=1)
        probabilities += _calibrated(scores, y)
    return model_probabilities / repeats, probabilities / repeats, fold_of


TEMPERATURE_ROWS = 20_000
"""Rows the temperature is fitted on (an evenly spaced sample of larger batches)."""


def _calibrated(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Softmax of ``scores / T`` with the one temperature ``T`` that best fits the labels."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax, softmax

    # One number needs no 100k rows: an evenly spaced sample fits it as well, in a fraction of the time.
    step = max(1, len(y) // TEMPERATURE_ROWS)
    sample, labels = scores[::step], y[::step]
    rows = np.arange(len(labels))

    def loss(log_temperature: float) -> float:
        return float(-log_softmax(sample / math.exp(log_temperature), axis=1)[rows, labels].mean())

    best = minimize_scalar(loss, bounds=(-6.0, 6.0), method="bounded", options={"xatol": 1e-3})
    return softmax(scores / math.exp(best.x), axis=1)


SWAPS_PER_ROW = 5
"""Wrong labels drawn per row to learn how the scores of wrong labels are distributed
(in large batches: ``2 * CALIBRATION_ROWS`` drawn rows in all)."""
CALIBRATION_ROWS = 5_000
"""At most this many given and as many swapped labels fit each fold's calibration curve:
a curve of two features needs no more, and a 100k batch stays fast."""
ANCHOR_QUANTILE = 0.3
"""The share of wrong labels is read off the batch's rows that score as low as the lowest
30 % of swapped labels (see ``_wrong_label_probability``)."""


def _label_features(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per row: log p(label) and how far the best other label is ahead of it (log ratio)."""
    rows = np.arange(len(labels))
    own = np.clip(probabilities[rows, labels], 1e-9, 1.0)
    others = probabilities.copy()
    others[rows, labels] = -1.0
    best_other = np.clip(others.max(axis=1), 1e-9, 1.0)
    return np.column_stack([np.log(own), np.log(best_other) - np.log(own)])


def _wrong_label_probability(probabilities: np.ndarray, y: np.ndarray, fold_of: np.ndarray, folds: int,
                             random_state: int) -> tuple[np.ndarray, float]:
    """Per row, the probability that its given label is wrong; and the batch's estimated share
    of wrong labels.

    ``1 - p(given)`` is not that probability: it measures how sure the model is, and the
    model is also unsure (or wrong) on many rows whose label is right. What tells a wrong
    label apart is how its scores are distributed. Swapping every row's label for a random
    other label (which is wrong, up to the few rows whose label already was) and scoring it
    with the row's out-of-fold probabilities gives that distribution, ``f_wrong``, without
    training anything. The batch's own labels follow ``f_batch = (1 - share) f_right + share
    f_wrong``, so ``P(wrong | features) = share * f_wrong / f_batch``:

    - ``f_wrong / f_batch`` comes from a classifier telling swapped from given labels
      (logistic regression on cubic splines of the two features of ``_label_features``,
      constant beyond the data, so the ratio stays bounded), fitted on the other folds'
      rows: no row's confidence comes from a curve fitted to that row;
    - ``share`` is a mixture-proportion estimate: among the given labels, the share that
      score as low as the lowest ``ANCHOR_QUANTILE`` of swapped labels, divided by that
      quantile (right labels rarely score so low, so this is close to and at most a little
      above the true share);
    - last, the held-out estimates are made monotone (isotonic regression) in how far the
      best other label is ahead of the given one.

    The probability follows the batch: in a clean batch ``share`` is small and honest
    disagreements stay well below 0.6; in a batch with many wrong labels the same scores
    mean more. Swaps are drawn uniformly, so a wrong label that is a close neighbour of the
    right one (sections that overlap) gets a lower probability than its share of errors.
    """
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    rng = np.random.default_rng(random_state)
    rows, classes = probabilities.shape
    swapped_rows = np.repeat(np.arange(rows), SWAPS_PER_ROW)
    if len(swapped_rows) > 2 * CALIBRATION_ROWS:
        swapped_rows = np.sort(rng.choice(rows, 2 * CALIBRATION_ROWS))
    # A uniform draw among the other labels: shift the given label by 1..classes-1.
    swapped = (y[swapped_rows] + rng.integers(1, classes, size=len(swapped_rows))) % classes
    given_features = _label_features(probabilities, y)
    swapped_features = _label_features(probabilities[swapped_rows], swapped)

    anchor = np.quantile(swapped_features[:, 0], ANCHOR_QUANTILE)
    share = float(np.mean(given_features[:, 0] <= anchor) / ANCHOR_QUANTILE)
    share = min(max(share, 1.0 / rows), 0.5)

    wrong = np.zeros(rows)
    swapped_fold = fold_of[swapped_rows]
    for fold in range(folds):
        held_out = fold_of == fold
        if not held_out.any():
            continue
        given_train = _sample(np.flatnonzero(~held_out), rng)
        swapped_train = _sample(np.flatnonzero(swapped_fold != fold), rng)
        features = np.vstack([given_features[given_train], swapped_features[swapped_train]])
        is_swapped = np.r_[np.zeros(len(given_train)), np.ones(len(swapped_train))]
        curve = make_pipeline(
            SplineTransformer(n_knots=6, degree=3, extrapolation="constant"),
            LogisticRegression(C=1.0, max_iter=1000),
        ).fit(features, is_swapped)
        odds = np.exp(curve.decision_function(given_features[held_out]))
        wrong[held_out] = np.minimum(1.0, share * odds * len(given_train) / len(swapped_train))
    # More evidence against the label never makes it less likely wrong: the held-out estimates,
    # made monotone in how far the best other label is ahead (pool adjacent violators).
    wrong = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True).fit_transform(given_features[:, 1], wrong)
    return wrong, share


def _sample(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= CALIBRATION_ROWS else rng.choice(rows, CALIBRATION_ROWS, replace=False)


def _evidence_words(model: _TextModel, X, y, suggested, fold_of, flagged, texts, classes: int) -> dict[int, list[str]]:
    """For each flagged row, its words that pull most towards the suggestion and away from the
    given label, under the model of the (first) fold that held the row out."""
    if len(flagged) == 0:
        return {}
    total = _class_counts(X, y, classes)
    top: dict[int, np.ndarray] = {}
    for fold in np.unique(fold_of[flagged]):
        held_out = np.flatnonzero(fold_of == fold)
        weights = _fold_weights(X, y, classes, total, held_out)
        for row in flagged[fold_of[flagged] == fold]:
            start, end = X.indptr[row], X.indptr[row + 1]
            columns = X.indices[start:end]
            pull = X.data[start:end] * (weights[suggested[row], columns] - weights[y[row], columns])
            order = np.argsort(-pull, kind="stable")[: EVIDENCE_WORDS * 3]
            top[int(row)] = columns[order[pull[order] > 0]]
    # Back from model columns to words: the flagged rows' own words, hashed in one call per
    # block of rows (a block at a time keeps the word lists of 10k flagged rows out of memory).
    words: dict[int, list[str]] = {}
    rows = list(top)
    for start in range(0, len(rows), 1000):
        spellings = {row: _spellings(texts[row]) for row in rows[start:start + 1000]}
        vocabulary = list(dict.fromkeys(word for spelled in spellings.values() for word in spelled))
        column_of = dict(zip(vocabulary, model.columns_of(vocabulary).tolist())) if vocabulary else {}
        for row, spelled_words in spellings.items():
            by_column: dict[int, str] = {}
            for lowered, spelled in spelled_words.items():
                by_column.setdefault(column_of[lowered], spelled)
            words[row] = [by_column[c] for c in top[row].tolist() if c in by_column][:EVIDENCE_WORDS]
    return words


def _spellings(text: str) -> dict[str, str]:
    """Each word of ``text`` as the model sees it (lower case) -> as the text first writes it."""
    tokens = _WORD.findall(text)
    # Built from the last token to the first, so the first spelling of a word is the one kept.
    return {token.lower(): token for token in reversed(tokens)}
