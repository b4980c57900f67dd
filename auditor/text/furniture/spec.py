"""The compiled patterns of one furniture file, and how a line or sentence is classified
with them.

A kind's patterns become one named group ``k<index>`` of a combined regex, so one match
says which kind (the first in file order) a text is. The whole and starts patterns are
indexed by the character a match can begin with: a sentence is tried only against the few
that can start it. Reading and checking the file is :mod:`.patterns`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from auditor.text.furniture.layout import LayoutLimits
from auditor.text.furniture.repeats import RepeatLimits
from auditor.text.furniture.pattern_shape import first_chars, width

# What a whole pattern's match may leave over at the end of its unit.
_WHOLE_END = r"[\s.:!?…]*"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    group: str  # kinds of one group next to each other are one finding
    joins: bool  # a link text: it takes the group of the furniture next to it
    line_only: bool  # judged on whole lines only, never on a sentence inside a paragraph
    in_article: bool = False  # sits inside an article too (captions): the layout weighs it as a short line


@dataclass(frozen=True)
class Anchored:
    """The whole and starts patterns of some kinds, indexed by the character a match can
    begin with: a sentence is tried only against the few patterns that can start it."""

    whole: dict[str, re.Pattern | None]
    starts: dict[str, re.Pattern | None]
    whole_width: dict[str, int]  # longest text a whole pattern of that character can match
    any_whole: re.Pattern | None  # for characters no pattern names
    any_starts: re.Pattern | None
    any_width: int

    def match(self, text: str) -> re.Match | None:
        first = text[:1].lower()
        whole = self.whole.get(first, self.any_whole)
        width = self.whole_width.get(first, self.any_width)
        found = None
        if whole is not None and len(text.rstrip(" .:!?…")) <= width:
            found = whole.fullmatch(text)
        if found is None:
            starts = self.starts.get(first, self.any_starts)
            if starts is not None:
                found = starts.match(text)
        return found


ContainsEntry = tuple[int, str, bool, tuple[frozenset[str], ...]]  # (kind, pattern, line only, needs)


@dataclass(frozen=True, eq=False)
class FurnitureSpec:
    """The compiled patterns of one furniture file."""

    source: Path
    kinds: tuple[Kind, ...]
    max_line_chars: int
    line_anchored: Anchored  # every kind
    sentence_anchored: Anchored  # without the line-only kinds
    contains: tuple[ContainsEntry, ...]
    anchored: tuple[tuple[int, str, str, bool], ...] = ()  # whole and starts patterns: (kind, mode, pattern, line only)
    layout: LayoutLimits = LayoutLimits()
    # The last three kinds are the page's head, gaps and tail found by the layout (no patterns).
    page_kinds: tuple[int, int, int] | None = None
    repeats: RepeatLimits = RepeatLimits()
    repeat_kind: int | None = None  # the kind of lines repeated across the batch (no patterns)

    def classify(self, text: str, line: bool, contains: tuple[re.Pattern | None, re.Pattern | None] = (None, None)) -> int | None:
        """Index of the first kind whose patterns match ``text`` (normalised), else None.
        ``contains``: the (line, sentence) regexes of the contains patterns that can match in
        this body (see :meth:`contains_for`)."""
        match = (self.line_anchored if line else self.sentence_anchored).match(text)
        if match is None:
            pattern = contains[0] if line else contains[1]
            match = pattern.search(text) if pattern is not None else None
        return int(match.lastgroup[1:]) if match else None

    def contains_for(self, body: str) -> tuple[re.Pattern | None, re.Pattern | None]:
        """The contains patterns that can match somewhere in ``body``, as one regex for lines
        and one for sentences. Substring tests for each pattern's literals, then one search
        of the survivors over the body, spare searching every sentence of every article."""
        lowered = body.lower()
        chosen = tuple(
            position for position, (_, _, _, needs) in enumerate(self.contains)
            if all(any(literal in lowered for literal in need) for need in needs)
        )
        if not chosen:
            return None, None
        line, sentence = _contains_regexes(self, chosen)
        if line is None or line.search(body) is None:
            return None, None
        return line, sentence


# Bodies share few distinct sets of candidate contains patterns: their regexes are compiled once.
@lru_cache(maxsize=4096)
def _contains_regexes(spec: FurnitureSpec, chosen: tuple[int, ...]) -> tuple[re.Pattern | None, re.Pattern | None]:
    def combined(line: bool) -> re.Pattern | None:
        grouped: dict[int, list[str]] = {}
        for position in chosen:
            kind, pattern, line_only, _ = spec.contains[position]
            if line or not line_only:
                grouped.setdefault(kind, []).append(pattern)
        return combined_regex(sorted(grouped.items()))

    return combined(True), combined(False)


def combined_regex(groups: list[tuple[int, list[str]]], suffix: str = "") -> re.Pattern | None:
    """One regex for several kinds' patterns, a named group ``k<index>`` per kind, in order."""
    if not groups:
        return None
    body = "|".join(f"(?P<k{index}>{'|'.join(f'(?:{p})' for p in patterns)})" for index, patterns in groups)
    return re.compile(f"(?:{body}){suffix}", re.IGNORECASE)


def anchored_index(entries: dict[str, list[tuple[int, str]]]) -> Anchored:
    """Index the whole (and starts) patterns ``(kind index, pattern)`` by first character."""
    firsts = {mode: [(kind, pattern, first_chars(pattern)) for kind, pattern in entries[mode]] for mode in ("whole", "starts")}
    characters = {c for mode in firsts.values() for _, _, chars in mode if chars for c in chars}

    def build(mode: str, character: str | None):
        chosen: dict[int, list[str]] = {}
        for kind, pattern, chars in firsts[mode]:
            if chars is None or (character is not None and character in chars):
                chosen.setdefault(kind, []).append(pattern)
        groups = sorted(chosen.items())
        longest = max((width(p) for _, patterns in groups for p in patterns), default=0)
        return combined_regex(groups, _WHOLE_END if mode == "whole" else ""), longest

    whole, starts, widths = {}, {}, {}
    for character in characters:
        whole[character], widths[character] = build("whole", character)
        starts[character], _ = build("starts", character)
    any_whole, any_width = build("whole", None)
    any_starts, _ = build("starts", None)
    return Anchored(whole, starts, widths, any_whole, any_starts, any_width)
