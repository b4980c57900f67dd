"""Characters that delimit credits, and pieces of the patterns built from word lists.

The scan runs one pattern in RE2 (pyarrow) and re-reads its matches with Python's ``re``
(``re.ASCII``). The two engines agree only on what the pattern spells out, so white space
is a listed character set rather than ``\\s``, and word lists become plain alternatives.
"""

from __future__ import annotations

import re
from typing import Iterable

# Whitespace as both engines (RE2 and Python's re with re.ASCII) read it: the same set.
SPACES = " \t\r\n\f\u00a0\u202f"
SPACE = f"[{SPACES}]"
NOT_END = f"[^{SPACES}.]"  # what may follow a dot inside a phrase: `picturedesk.com`, not `. Die`
QUOTES = "\"„“”«»‚‘'’"
MARKS = "*_" + QUOTES  # bold or quotes: a title is marked as such
PUNCTUATION = ",.;:!?()"
OPENING = re.compile(rf"\*\*|__|[{QUOTES}]")


def closing(text: str, position: int) -> int:
    """``position`` moved past a closing bold or quote mark."""
    close = OPENING.match(text, position)
    return close.end() if close else position


def capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def phrase_pattern(phrase: str, either_case: bool = False) -> str:
    """A phrase of the word lists as a pattern: its words split by any white space, the
    first letter in either case if asked (a trigger may start a sentence)."""
    first, *rest = phrase.split()
    head = re.escape(first)
    if either_case and first[0].lower() != first[0].upper():
        head = f"[{first[0].upper()}{first[0].lower()}]{re.escape(first[1:])}"
    return f"{SPACE}+".join([head, *map(re.escape, rest)])


def alternatives(phrases: Iterable[str], either_case: bool = False) -> str:
    """``(?:a|b|…)`` of the phrases, longest first, so that a phrase that begins another
    (`Quelle`, `Quellen`) does not cut it short where nothing after it forces the longer."""
    ordered = sorted(set(phrases), key=lambda phrase: (-len(phrase), phrase))
    return "(?:" + "|".join(phrase_pattern(phrase, either_case) for phrase in ordered) + ")"
