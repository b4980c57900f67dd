"""How words are compared: the one word normaliser of the package, and its stemmer.

Every check that matches words of the metadata against words of the text (terms,
places, outlets, other-story words) folds them with :func:`normalise`, so `Straße`,
`STRASSE` and `strasse` are one word everywhere. :func:`stem` cuts a word down to the
part its inflected forms and derivations share, for checks that compare topics.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# German inflection endings, longest first: only one comes off.
_SUFFIXES = ("innen", "ern", "en", "er", "es", "em", "e", "n", "s")


def normalise(word: str) -> str:
    """The form words are compared in: case-folded (ß -> ss), umlauts as ae/oe/ue, no hyphens."""
    return word.casefold().translate(_UMLAUTS).replace("-", "")


def normalise_all(words: pa.Array) -> pa.Array:
    """:func:`normalise` of every word of an Arrow string array. ASCII words, most of a
    batch's, in Arrow's kernels (their case folding is lower-casing); the others, which may
    hold ß, umlauts or letters whose case folding is more than lower-casing, one by one."""
    folded = pc.replace_substring(pc.ascii_lower(words), "-", "")
    others = np.flatnonzero(~np.asarray(pc.string_is_ascii(words).fill_null(True), dtype=bool))
    if not len(others):
        return folded
    mask = np.zeros(len(words), dtype=bool)
    mask[others] = True
    replacements = pa.array([normalise(word) for word in words.take(others).to_pylist()], type=folded.type)
    return pc.replace_with_mask(folded, mask, replacements)


@lru_cache(maxsize=500_000)
def stem(word: str, length: int) -> str:
    """Lower case, one inflection ending off, the first ``length`` letters
    (`Nordkoreas`, `nordkoreanischen` -> `nordko` with 6).

    Lower-cased rather than folded with :func:`normalise`: the other-story check looks
    stems up in the lower-cased body itself, where `ß` and umlauts stand as written."""
    lowered = word.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            if len(lowered) - len(suffix) >= 4:
                lowered = lowered[: -len(suffix)]
            break
    return lowered[:length]
