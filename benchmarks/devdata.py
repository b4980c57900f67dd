"""The real dev articles (../shared/data) shaped for the benchmarks, in one place.

10kGNAD runs title and body together, and a large batch needs more rows than the 514
articles: both are needed by several scripts, which is why they live here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

_SYLLABLES = np.array(["ver", "stadt", "haus", "bau", "wer", "ke", "rungs", "land", "schaft", "amt", "zeit",
                       "an", "lage", "berg", "feld", "markt", "ge", "meinde", "heit", "ung", "kraft", "werk"])


# `Wien/London – Die …`: one to three capitalised words (`St. Pölten`, `Bad Ischl`) before a dash.
_DATELINE = re.compile(r"(?:^|\.\s)((?:St\.\s|Bad\s)?[A-ZÄÖÜ][\w-]+(?:\s[A-ZÄÖÜ][\w-]+){0,2})(?:\s?/[^–]{1,40})?"
                       r"\s*[–-]\s+[A-ZÄÖÜ„\"]")


def dateline_place(text: str) -> str:
    """The first place of an article's dateline (`Wien/Gumpoldskirchen – ...` -> `Wien`), or ""."""
    found = _DATELINE.search(text[:400])
    place = found.group(1).strip() if found else ""
    return place if 2 <= len(place) <= 40 else ""


def title_and_body(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """10kGNAD runs title and body together; its first sentence is the teaser line, used as title."""
    def split(text: str) -> tuple[str | None, str]:
        end = text.find(". ")
        return (text[:end], text[end + 2:]) if 0 < end < 200 else (None, text)
    parts = [split(text) for text in texts]
    return pd.Series([p[0] for p in parts], index=texts.index), pd.Series([p[1] for p in parts], index=texts.index)


def perturbed_copies(texts: pd.Series, rows: int, seed: int = 5) -> tuple[pd.Series, np.ndarray]:
    """``rows`` texts drawn from ``texts``, and which text each copies.

    Each copy drops a random sentence, so rows are not identical, and gets made-up compounds:
    a real 100k batch has ~1-1.4 M distinct words, the repeated dev rows ~40k, and per-word
    work (lemmas, term matching) grows with the distinct words."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(texts), rows)
    copies = []
    for pick in picks:
        sentences = texts.iat[pick].split(". ")
        if len(sentences) > 3:
            sentences.pop(int(rng.integers(0, len(sentences))))
        made_up = ["".join(rng.choice(_SYLLABLES, size=int(rng.integers(3, 6)))).capitalize() for _ in range(14)]
        copies.append(". ".join(sentences) + " " + " ".join(made_up) + ".")
    return pd.Series(copies), picks
