"""A body cut into units, each classified as a kind of furniture or as article text.

A unit is a whole line when the line is furniture as a whole (or is one sentence), else
one sentence of it: furniture comes as lines of its own ("5 Euro", "27 Kommentare") and as
sentences glued into a paragraph ("Folgen Sie uns auf Facebook.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.text.furniture.spec import FurnitureSpec
from auditor.text.sentences import sentence_spans

LINE = re.compile(r"[^\n]+")
BULLETS = "•·*►▶■□–—-"
_LEADING_BULLET = re.compile(r"^[•·*►▶■□–—-]\s+")


def normal(text: str) -> str:
    """Runs of white space as one space, no leading bullet: the text the patterns see. The
    prefilter (:mod:`.prefilter`) collapses white space the same way, so counts agree."""
    if "  " in text or "\n" in text or "\t" in text or "\u00a0" in text or text[:1].isspace() or text[-1:].isspace():
        text = " ".join(text.split())
    return _LEADING_BULLET.sub("", text) if text[:1] in BULLETS else text


@dataclass
class Unit:
    start: int
    end: int
    kind: int | None  # index into spec.kinds, None for article text
    line: int
    whole_line: bool
    glue: bool = False  # a short unclassified line next to furniture ("Anderer", "1")
    group: str | None = None


def classified_units(body: str, spec: FurnitureSpec, contains: tuple[re.Pattern | None, re.Pattern | None]) -> list[Unit]:
    """Every line of the body (or, for lines that are not furniture as a whole, each of
    their sentences), classified."""
    found: list[Unit] = []
    for number, line in enumerate(LINE.finditer(body)):
        start, end = line.span()
        if not line.group().strip():
            continue
        raw = line.group()
        # Normalising a huge line costs more than it could change: it is never judged whole.
        text = normal(raw) if len(raw) <= 2 * spec.max_line_chars else raw
        kind = spec.classify(text, True, contains) if len(text) <= spec.max_line_chars else None
        if kind is not None:
            found.append(Unit(start, end, kind, number, True))
            continue
        sentences = sentence_spans(body, start, end)
        if len(sentences) == 1:
            glue = "\n" in body and len(text) <= 40 and len(text.split()) <= 4 and not text.endswith((".", "!", "?", ":"))
            found.append(Unit(start, end, None, number, True, glue=glue))
            continue
        for s_start, s_end in sentences:
            kind = None
            sentence = normal(body[s_start:s_end])
            if len(sentence) <= spec.max_line_chars:
                kind = spec.classify(sentence, False, contains)
            found.append(Unit(s_start, s_end, kind, number, False))
    return found
