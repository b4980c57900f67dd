"""Match category labels as aggregators write them against a taxonomy's labels."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
import re
import unicodedata

import pandas as pd

from auditor.contracts import setting

_SPACE = re.compile(r"\s+")


def normalise_label(label: str) -> str:
    """Case, Unicode form and spacing do not make a different label."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", str(label))).strip().casefold()


@dataclass(frozen=True)
class KnownLabelSettings:
    known_labels: dict[str, str] = setting(
        factory=dict, doc="Each normalised label or alias -> the category's display label (default: the taxonomy's).")


def find_unknown_labels(values: pd.Series, settings: KnownLabelSettings) -> pd.Series:
    """Per row: None when the label is known, else a dict with the closest known label."""
    known = settings.known_labels
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
