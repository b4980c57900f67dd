"""What a pattern's parse tree says about every match of it: the characters a match can
begin with, how long it can be, and the literal strings it must hold.

The patterns are read with CPython's own regex parser (``re._parser``), so these facts are
about the pattern exactly as ``re`` will run it, not about a second reading of the syntax.
They let the matching skip work: a sentence is tried only against patterns that can begin
with its first character (:mod:`.spec`), a contains pattern only in bodies holding its
literals, and the prefilter (:mod:`.beginnings`, :mod:`.prefilter`) rules out whole bodies.
"""

from __future__ import annotations

import re
from re import _parser as sre_parse

REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def parse(pattern: str):
    return sre_parse.parse(pattern, re.IGNORECASE)


def width(pattern: str) -> int:
    """The longest text a match can take (unbounded repeats count as 2**20)."""
    return min(parse(pattern).getwidth()[1], 1 << 20)


def first_chars(pattern: str) -> set[str] | None:
    """Lower-case characters a match of ``pattern`` can begin with, or None for any."""
    return _first_chars(parse(pattern))


def _first_chars(sequence) -> set[str] | None:
    chars: set[str] = set()
    for op, av in sequence.data if hasattr(sequence, "data") else sequence:
        name = str(op)
        if name == "AT":  # \b and the like take no characters
            continue
        if name == "LITERAL":
            return chars | {chr(av).lower()}
        if name == "IN":
            for item_op, item in av:
                item_name = str(item_op)
                if item_name == "LITERAL":
                    chars.add(chr(item).lower())
                elif item_name == "RANGE" and item[1] - item[0] <= 64:
                    chars.update(chr(code).lower() for code in range(item[0], item[1] + 1))
                else:
                    return None
            return chars
        if name == "SUBPATTERN":
            inner = av[-1]
            found = _first_chars(inner)
            if found is None:
                return None
            chars |= found
            if inner.getwidth()[0] > 0:
                return chars
            continue
        if name == "BRANCH":
            for branch in av[1]:
                found = _first_chars(branch)
                if found is None or branch.getwidth()[0] == 0:
                    return None
                chars |= found
            return chars
        if name in REPEATS:
            found = _first_chars(av[2])
            if found is None:
                return None
            chars |= found
            if av[0] >= 1 and av[2].getwidth()[0] > 0:
                return chars
            continue
        return None
    return None


def required_literals(pattern: re.Pattern) -> list[frozenset[str]]:
    """What every match of ``pattern`` contains, read off the pattern: a list of sets of
    lower-case strings, each set holding one string at least (each string at least 3
    characters, or a symbol like ``©``). Empty when nothing useful can be read. Substring
    tests for them are far cheaper than searching the pattern in every sentence."""
    return sequence_literals(list(parse(pattern.pattern).data))


def useful(literal: str) -> bool:
    """Worth testing for: shorter strings ("en", "a") are in nearly every text."""
    return len(literal.strip()) >= 3 or any(not (c.isalnum() or c.isspace()) for c in literal)


def sequence_literals(items: list, lower: bool = True) -> list[frozenset[str]]:
    """The needs of a sequence of parsed items, in the order their strings stand in a match.
    ``lower=False`` keeps the characters as written (the prefilter expands each to every
    character Python's ``re`` matches it with, case ignored)."""
    needs: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run += chr(av).lower() if lower else chr(av)
            continue
        if run:
            needs.append(frozenset({run}))
            run = ""
        if name == "SUBPATTERN":
            needs.extend(sequence_literals(list(av[-1].data), lower))
        elif name == "BRANCH":
            # One of the branches matches: a string from each branch's best set will be there.
            best = [best_need(sequence_literals(list(branch.data), lower)) for branch in av[1]]
            if all(best):
                needs.append(frozenset().union(*best))
        elif name in REPEATS and av[0] >= 1:
            needs.extend(sequence_literals(list(av[2].data), lower))
    if run:
        needs.append(frozenset({run}))
    return [need for need in needs if need and all(useful(item) for item in need)]


def best_need(needs: list[frozenset[str]]) -> frozenset[str] | None:
    """The need that rules out most texts: the longest shortest string, then the fewest strings."""
    if not needs:
        return None
    return max(needs, key=lambda need: (min(len(item.strip()) for item in need), -len(need)))


def item_width(parsed, item) -> int:
    """The longest text one item of the parsed pattern ``parsed`` can take."""
    return sre_parse.SubPattern(parsed.state, [item]).getwidth()[1]
