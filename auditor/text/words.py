"""How words are compared: the one word normaliser of the package.

Every check that matches words of the metadata against words of the text (terms,
places, outlets, other-story words) folds them with :func:`normalise`, so `Straße`,
`STRASSE` and `strasse` are one word everywhere.
"""

from __future__ import annotations

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def normalise(word: str) -> str:
    """The form words are compared in: case-folded (ß -> ss), umlauts as ae/oe/ue, no hyphens."""
    return word.casefold().translate(_UMLAUTS).replace("-", "")
