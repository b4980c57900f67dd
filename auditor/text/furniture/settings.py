"""The furniture check's parameters, declared once (the GX expectation is derived from them)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.contracts import setting
from auditor.text.furniture.coherence import MAX_SHARED, MAX_SHARED_CUED, MIN_STORY_WORDS


@dataclass(frozen=True)
class FurnitureSettings:
    patterns: str | None = setting(None, doc="The furniture patterns file (default: the shipped rules/furniture.yaml).")
    coherence: bool = setting(True, doc="Also flag a trailing run of the body that tells another story.")
    max_shared: float = setting(
        MAX_SHARED, ge=0, le=1,
        doc="Share of a trailing run's word weight found earlier in the article, at most, for it to be another story.")
    max_shared_cued: float = setting(MAX_SHARED_CUED, ge=0, le=1, doc="The same right after furniture or at a dateline.")
    min_story_words: float = setting(MIN_STORY_WORDS, ge=1, doc="Trailing runs lighter than this are not judged.")
    reference_column: str | None = setting(
        "main_text", doc="The column with the page's main text as an extraction found it (auditor extract writes"
                         " main_text): the article's lines in a whole page pasted as the body. None: not used.")
