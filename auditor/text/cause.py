"""Is each term of the `cause` field supported by the article? Shares the batch's text analysis.

A cause value lists terms (`UN-Sanktionen, Militär-Kooperation`). A term is supported
when its content words occur in the title or body: as the same lemma or surface form,
inside a compound (`Kooperation` in `Militärkooperation`), or, for a compound cause
word, through its head (`Dauerregen` by "tagelanger Regen"; compounds are split with
simplemma's dictionary).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import simplemma

from auditor.contracts import span_of

from auditor.text.analysis import LANGUAGE, TextAnalysis, lemma_of
from auditor.text.words import normalise
from auditor.text.lexicon import MIN_COMPOUND_TERM, Lexicon, Term

_TERM_SEPARATORS = re.compile(r"\s*[,;/|]\s*|\s+(?:und|sowie|bzw\.?)\s+")
_WORD = re.compile(r"[^\W\d_][\w-]*")
# Function words carry no support: "Streit um das Budget" is supported by Streit and Budget.
_STOPWORDS = frozenset("""
der die das den dem des ein eine einer eines einem einen und oder aber mit ohne für gegen um von vom zu zur zum
im in am an auf aus bei nach über unter vor durch wegen bis seit als wie nicht kein keine sein seine ihr ihre
sich es er sie wir man auch noch nur sehr mehr viel viele
""".split())


def cause_terms(value: str) -> list[str]:
    return [term.strip(" .") for term in _TERM_SEPARATORS.split(str(value)) if term.strip(" .")]


def content_words(term: str) -> list[str]:
    """The words of a term that must be found: no function words, hyphenated parts kept whole."""
    return [word for word in _WORD.findall(term) if word.casefold() not in _STOPWORDS and len(word) >= 3]


@lru_cache(maxsize=65536)
def compound_parts(word: str) -> tuple[str, ...]:
    """A German compound's two parts when simplemma's dictionary knows both (`Handelsstreit`
    -> `Handel`, `Streit`; the linking `s` dropped), else (): the longest known head wins."""
    if len(word) < 2 * MIN_COMPOUND_TERM:
        return ()
    for split in range(MIN_COMPOUND_TERM, len(word) - MIN_COMPOUND_TERM + 1):
        left, right = word[:split], word[split:].capitalize()
        if not simplemma.is_known(right, lang=LANGUAGE):
            continue
        for stem in (left, left[:-1] if left[-1:] in "sn" else None, left[:-2] if left[-2:] == "es" else None):
            if stem and len(stem) >= 3 and simplemma.is_known(stem, lang=LANGUAGE):
                return stem, right
    return ()


def word_alternatives(word: str) -> list[tuple[str, ...]]:
    """Ways a word can be found: whole, or for a compound its head, which carries the
    meaning (`Dauerregen` is supported by "tagelanger Regen", `Influenza-Welle` by
    `Grippewelle`); the modifier alone never is."""
    alternatives = [(word,)]
    parts = tuple(part for part in word.split("-") if part) if "-" in word else compound_parts(word)
    if parts and len(parts[-1]) >= MIN_COMPOUND_TERM:
        alternatives.append((parts[-1],))
    return alternatives


def find_unsupported_causes(values: pd.Series, analysis: TextAnalysis) -> pd.Series:
    """Per row: None when every cause term is supported by the text, else the unsupported terms."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    rows_terms = {index: cause_terms(value) for index, value in values.items()}
    vocabulary: dict[str, int] = {}
    for terms in rows_terms.values():
        for term in terms:
            for word in content_words(term):
                for alternative in word_alternatives(word):
                    for form in alternative:
                        vocabulary.setdefault(form, len(vocabulary))
    if not vocabulary:
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    # Each word is looked for as its lemma and as written (lemmatisers differ on rare words).
    words = list(vocabulary)
    terms = [Term(text=w, form=normalise(form), as_head=True, as_modifier=True)
             for w in words for form in {lemma_of(w), w}]
    word_of_term = np.array([vocabulary[term.text] for term in terms])
    lexicon = Lexicon(categories=("cause",), terms=tuple(terms), weights=np.ones((len(terms), 1), dtype=np.float32))
    surface_terms = analysis.surface_forms @ lexicon.match_matrix(analysis.forms)
    present = (analysis.counts[analysis.rows(values.index)] @ surface_terms).tocsr()

    details: list[dict | None] = []
    for row, (index, terms) in enumerate(rows_terms.items()):
        found = set(word_of_term[present.indices[present.indptr[row]:present.indptr[row + 1]]].tolist())
        missing = [term for term in terms if not _supported(term, found, vocabulary)]
        if not missing:
            details.append(None)
            continue
        listed = ", ".join(repr(term) for term in missing)
        value = str(values[index])
        start = value.find(missing[0])
        details.append({
            "message": f"cause not found in the article: {listed}",
            "snippet": missing[0][:80],
            **(span_of(value, start, start + len(missing[0])) if start >= 0 else {}),
            "evidence": {"unsupported": missing, "supported": [t for t in terms if t not in missing]},
        })
    return pd.Series(details, index=values.index, dtype=object)


def _supported(term: str, found: set[int], vocabulary: dict[str, int]) -> bool:
    words = content_words(term)
    if not words:
        return True
    hits = sum(
        1 for word in words
        if any(all(vocabulary[form] in found for form in alternative) for alternative in word_alternatives(word))
    )
    # At least half of a term's words must be there, nouns first: "dichter Kolonnenverkehr"
    # is supported by "im dichten Kolonnenverkehr" even where the adjective's lemma goes astray.
    nouns = [word for word in words if word[:1].isupper()]
    if nouns and not any(any(all(vocabulary[f] in found for f in alt) for alt in word_alternatives(n)) for n in nouns):
        return False
    return 2 * hits >= len(words)

