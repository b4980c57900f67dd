"""Match category labels as aggregators write them against a taxonomy's labels."""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

_SPACE = re.compile(r"\s+")


def normalise_label(label: str) -> str:
    """Case, Unicode form and spacing do not make a different label."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", str(label))).strip().casefold()


def find_unknown_labels(values: pd.Series, known_labels: dict[str, str] | None = None) -> pd.Series:
    """Per row: None when the label is known, else a dict with the closest known label.

    ``known_labels`` maps each normalised label or alias to the category's display label.
    """
    known = known_labels or {}
    normalised = values.map(normalise_label)
    unknown = ~normalised.isin(known.keys())
    details = pd.Series(None, index=values.index, dtype=object)
    for index in normalised.index[unknown]:
        written = str(values[index])
        close = difflib.get_close_matches(normalised[index], list(known), n=1, cutoff=0.6)
        detail = {"message": f"category {written!r} is not in the taxonomy", "snippet": written[:80]}
        if close:
            suggestion = known[close[0]]
            detail["suggestion"] = suggestion
            detail["message"] += f"; did you mean {suggestion!r}?"
        details[index] = detail
    return details
