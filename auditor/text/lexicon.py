"""Indicator terms per category, matched against a batch's lemmas, and per-row scores.

A term is written as a German lemma, with an optional marker for how it may match
inside compounds (German writes `Terroranschlag`, `Außenministertreffen`):

- ``anschlag``  the lemma itself, or a compound ending in it (`Terroranschlag`, `Bombenanschläge`);
- ``terror*``   also a compound starting with it (`Terrorzelle`, `terroristisch`);
- ``=wahl``     the lemma itself only (not `Auswahl`);
- ``=wahl*``    the lemma itself, or a compound starting with it (`Wahlkampf`), not ending in it.

Terms are written as lemmas (as simplemma gives them: nouns in the nominative
singular, verbs in the infinitive). Matching happens on normalised lemmas (case, ß
and umlauts folded), so inflected forms (`Anschläge`, `Anschlägen`) meet their term
through simplemma.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from auditor.text.analysis import TextAnalysis
from auditor.text.words import normalise

# A compound's other part must be at least this long: `Großbrand` is a fire, `Sbrand` is noise.
MIN_COMPOUND_REST = 3
# Shorter terms only ever match whole lemmas (`rat` must not match `Apparat`).
MIN_COMPOUND_TERM = 4


# Case and number endings a lemmatiser leaves on words it does not know
# (`Telefonbetrugs`, `Großbrandes`): stripped as a fallback, never below a term's length.
_INFLECTION_ENDINGS = ("es", "s", "en", "n", "e")


def _variants(forms: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Each form, its stem without an inflection ending, and for feminine nouns (`Ministerin`,
    `Politikerinnen`) the masculine stem (terms are written once, as lemmas): the variants,
    and the position of the form each stands for. Arrow's string kernels, not a loop over
    the forms: a partition has ~100,000 forms, and three lexicons look at each."""
    lengths = np.asarray(pc.utf8_length(forms), dtype=np.int64)
    shortest = MIN_COMPOUND_TERM + 1
    variants, owners = [forms], [np.arange(len(forms))]

    def cut(chosen: np.ndarray, suffix: str) -> None:
        rows = np.flatnonzero(chosen)
        variants.append(pc.utf8_slice_codeunits(forms.take(rows), 0, -len(suffix)))
        owners.append(rows)

    for suffix in ("innen", "in"):  # a form ending in one never ends in the other
        cut(_ends_with(forms, suffix) & (lengths - len(suffix) >= shortest), suffix)
    # The first ending the form has and is long enough for comes off. An infinitive
    # (`handeln`, `ändern`) keeps its `n` (`handeln` is no `Handel`), and no other ending fits it.
    done = np.asarray(pc.match_substring_regex(forms, "e[lr]n$"), dtype=bool)
    for ending in _INFLECTION_ENDINGS:
        chosen = ~done & _ends_with(forms, ending) & (lengths - len(ending) >= shortest)
        cut(chosen, ending)
        done |= chosen
    return pa.concat_arrays(variants), np.concatenate(owners)


def _ends_with(forms: pa.Array, suffix: str) -> np.ndarray:
    return np.asarray(pc.ends_with(forms, suffix), dtype=bool)


@dataclass(frozen=True)
class Term:
    text: str  # as written in the taxonomy, without markers
    form: str  # normalised lemma
    as_head: bool
    as_modifier: bool


def parse_term(written: str) -> Term:
    text = written.strip()
    exact = text.startswith("=")
    modifier = text.endswith("*")
    text = text.strip("=*").strip()
    form = normalise(text)
    long_enough = len(form) >= MIN_COMPOUND_TERM
    return Term(text=text, form=form, as_head=not exact and long_enough, as_modifier=modifier and long_enough)


@dataclass(frozen=True)
class Lexicon:
    """Terms of all categories with a weight per category (negative for counter-indicators)."""

    categories: tuple[str, ...]
    terms: tuple[Term, ...]
    weights: np.ndarray  # terms x categories
    # terms x categories: 1 where the term is one of what the category requires (a death, a road vehicle)
    required: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    # terms x categories: 1 where the term rules the category out (a death rules out an assault)
    excluded: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    # terms x categories: a second requirement, met by any of its terms (a robbery takes something)
    also_required: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_term_tables", None)  # made again where needed
        return state

    @cached_property
    def _term_tables(self) -> tuple["_Keys", "_Keys", "_Keys"]:
        return _tables_of(self.terms)

    @staticmethod
    def from_spec(spec: dict[str, dict]) -> "Lexicon":
        """``spec``: category id -> {"indicators": {weight: [terms]}, "counter": {weight: [terms]},
        "requires": [terms], "also_requires": [terms], "excludes": [terms]}."""
        return _compiled(json.dumps(spec, sort_keys=True, ensure_ascii=False))

    def match_matrix(self, forms: np.ndarray) -> sp.csr_matrix:
        """forms x terms: 1 where the normalised form is, or is a compound of, the term."""
        size = max(1, len(self.terms))
        rows, columns = _matched(pa.array(list(forms), type=pa.string()), *self._term_tables)
        pairs = np.unique(rows * size + columns)
        return sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (pairs // size, pairs % size)),
                             shape=(len(forms), len(self.terms)))


@dataclass(frozen=True)
class _Keys:
    """Term forms to look a word's parts up in, and the terms each stands for (those of
    key ``k`` are ``terms[starts[k]:starts[k + 1]]``)."""

    forms: pa.Array
    lengths: np.ndarray
    starts: np.ndarray
    terms: np.ndarray

    @staticmethod
    def of(table: dict[str, list[int]]) -> "_Keys":
        keys = list(table)
        return _Keys(forms=pa.array(keys, type=pa.string()), lengths=np.asarray([len(key) for key in keys], dtype=np.int64),
                     starts=np.cumsum([0] + [len(table[key]) for key in keys]),
                     terms=np.asarray([term for key in keys for term in table[key]], dtype=np.int64))

    def look_up(self, parts: pa.Array, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(owner, term) for every part that is a key."""
        found = np.asarray(pc.index_in(parts, value_set=self.forms).fill_null(-1), dtype=np.int64)
        hit = found >= 0
        keys = found[hit]
        per_key = self.starts[keys + 1] - self.starts[keys]
        # Positions of each hit key's terms: its start, then the next ones for a form of several terms.
        firsts = np.repeat(self.starts[keys] - np.cumsum(per_key) + per_key, per_key)
        return np.repeat(owners[hit], per_key), self.terms[firsts + np.arange(len(firsts))]


def _tables_of(terms: tuple[Term, ...]) -> tuple[_Keys, _Keys, _Keys]:
    """The terms by their form, matching it whole, as a compound's head and as its modifier."""
    exact: dict[str, list[int]] = {}
    heads: dict[str, list[int]] = {}
    modifiers: dict[str, list[int]] = {}
    for position, term in enumerate(terms):
        exact.setdefault(term.form, []).append(position)
        if term.as_head:
            heads.setdefault(term.form, []).append(position)
        if term.as_modifier:
            modifiers.setdefault(term.form, []).append(position)
    return _Keys.of(exact), _Keys.of(heads), _Keys.of(modifiers)


def _matched(forms: pa.Array, exact: _Keys, heads: _Keys, modifiers: _Keys) -> tuple[np.ndarray, np.ndarray]:
    """(form, term) pairs, possibly repeated: the term the form (or a variant of it) is, ends
    in (leaving at least ``MIN_COMPOUND_REST`` letters before it) or starts with (leaving as
    many after it). One look-up per length of the terms, over all forms at once."""
    variants, owners = _variants(forms)
    found = [exact.look_up(variants, owners)]
    # Longest first, so that the variants long enough to hold a term of a given length and
    # the rest of a compound are the first ones: most terms are longer than most words.
    lengths = np.asarray(pc.utf8_length(variants), dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    variants, owners, lengths = variants.take(order), owners[order], lengths[order]
    for keys, part in ((heads, lambda strings, length: pc.utf8_slice_codeunits(strings, -length)),
                       (modifiers, lambda strings, length: pc.utf8_slice_codeunits(strings, 0, length))):
        # Shorter terms only ever match whole forms.
        for length in np.unique(keys.lengths[keys.lengths >= MIN_COMPOUND_TERM]).tolist():
            count = int(np.count_nonzero(lengths >= length + MIN_COMPOUND_REST))
            if count:
                found.append(keys.look_up(part(variants.slice(0, count), length), owners[:count]))
    return np.concatenate([rows for rows, _ in found]), np.concatenate([terms for _, terms in found])


@lru_cache(maxsize=8)
def _compiled(spec_json: str) -> Lexicon:
    spec = json.loads(spec_json)
    categories = tuple(spec)
    index: dict[tuple, int] = {}
    terms: list[Term] = []
    entries: list[tuple[int, int, float]] = []
    requirements: list[tuple[int, int]] = []
    exclusions: list[tuple[int, int]] = []
    second_requirements: list[tuple[int, int]] = []

    def position_of(written: str) -> int:
        term = parse_term(str(written))
        key = (term.form, term.as_head, term.as_modifier)
        if key not in index:
            index[key] = len(terms)
            terms.append(term)
        return index[key]

    for column, category in enumerate(categories):
        for kind, sign in (("indicators", 1.0), ("counter", -1.0)):
            for weight, written_terms in (spec[category].get(kind) or {}).items():
                for written in written_terms:
                    entries.append((position_of(written), column, sign * float(weight)))
        for written in spec[category].get("requires") or ():
            requirements.append((position_of(written), column))
        for written in spec[category].get("also_requires") or ():
            second_requirements.append((position_of(written), column))
        for written in spec[category].get("excludes") or ():
            exclusions.append((position_of(written), column))
    weights = np.zeros((len(terms), len(categories)), dtype=np.float32)
    for row, column, weight in entries:
        weights[row, column] += weight

    def marks(pairs: list[tuple[int, int]]) -> np.ndarray:
        marked = np.zeros((len(terms), len(categories)), dtype=np.float32)
        for row, column in pairs:
            marked[row, column] = 1.0
        return marked

    return Lexicon(categories=categories, terms=tuple(terms), weights=weights, required=marks(requirements),
                   excluded=marks(exclusions), also_required=marks(second_requirements))


@dataclass
class CategoryScores:
    """Per row and category: the evidence score, and which words gave it."""

    categories: tuple[str, ...]
    scores: np.ndarray  # rows x categories
    requirement_met: np.ndarray  # rows x categories: False where the text lacks what the category requires, or excludes it
    term_hits: sp.csr_matrix  # rows x terms, sublinear counts
    surface_terms: sp.csr_matrix  # surface words x terms: 1 where the word matches the term
    _word_weights: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def word_weights(self, category: int, lexicon: Lexicon) -> np.ndarray:
        """Per surface word: the weight it carries for ``category`` (0 for words speaking for nothing)."""
        if category not in self._word_weights:
            positive = np.maximum(lexicon.weights[:, category], 0.0)
            self._word_weights[category] = np.asarray(self.surface_terms @ positive).ravel()
        return self._word_weights[category]


def score_categories(analysis: TextAnalysis, lexicon: Lexicon, rows: np.ndarray | None = None,
                     unmet_requirement: float = 1.0, lead_bonus: float = 0.0) -> CategoryScores:
    """Evidence per category: each matched term adds weight x (1 + ln count), floored at 0.
    A word of the title or the lead counts ``lead_bonus`` more than the analysis weighs it.

    A category that requires something (a killing act, force or threat, a crash) whose text
    names none of it keeps only ``unmet_requirement`` of its evidence: a stabbing without a
    killing is no killing, however many crime words it holds. So does a category whose text
    lacks its second requirement (a robbery takes something), or names what excludes it (a
    death, for an assault)."""
    surface_terms = (analysis.surface_forms @ lexicon.match_matrix(analysis.forms)).tocsr()
    surface_terms.data[:] = 1.0  # a word counts once for a term, though both its forms match
    counts = analysis.counts if rows is None else analysis.counts[rows]
    term_counts = (counts @ surface_terms).tocsr()
    if lead_bonus:
        # The title and the lead state the event; a later sentence may name another in passing.
        # Added per term rather than per word: the lead's terms are few, the batch's words many.
        lead = analysis.lead_counts if rows is None else analysis.lead_counts[rows]
        term_counts = (term_counts + lead_bonus * (lead @ surface_terms)).tocsr()
    # Sublinear: the tenth mention of `Regierung` says less than the first.
    term_counts.data = 1.0 + np.log(np.maximum(term_counts.data, 1.0))
    scores = np.maximum(np.asarray(term_counts @ lexicon.weights), 0.0)
    met = np.ones_like(scores, dtype=bool)
    for required in (lexicon.required, lexicon.also_required):
        demanding = required.any(axis=0) if required.size else np.zeros(len(lexicon.categories), bool)
        if demanding.any():
            met &= np.asarray((term_counts @ required) > 0) | ~demanding[None, :]
    if lexicon.excluded.size and lexicon.excluded.any():
        met &= ~np.asarray((term_counts @ lexicon.excluded) > 0)
    scores = np.where(met, scores, scores * unmet_requirement)
    return CategoryScores(
        categories=lexicon.categories,
        scores=scores,
        requirement_met=met,
        term_hits=term_counts,
        surface_terms=surface_terms,
    )
