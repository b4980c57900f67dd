"""Where a match of a pattern can be, read off the parsed pattern: the characters it begins
with, and the literal strings that follow, each within a known number of characters of the
one before. The prefilter (:mod:`.prefilter`) turns these into RE2 searches.

Everything here errs on one side: a beginning may be cut shorter and a chain may leave
strings out (both let more text through), never the other way round.
"""

from __future__ import annotations

import re

from auditor.text.furniture.pattern_shape import REPEATS, best_need, item_width, parse, sequence_literals, useful

_MAX_BEGINNINGS = 256  # ways a pattern may begin; beyond this its beginnings are cut shorter
_MAX_BEGINNING_CHARS = 16
Chain = list[tuple[int, frozenset[str]]]  # (most characters before it, one of these strings), in order
# Digits and white space: classes of a few hundred characters; \w and negated classes hold
# too many to be worth writing out.
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s"}


def _character_source(op, av) -> str | None:
    """Regex source of a parsed item that matches one character of a small, known set (a
    literal, or a class of literals, ranges, digits or white space), else None."""
    name = str(op)
    if name == "LITERAL":
        return re.escape(chr(av))
    if name != "IN" or any(str(item_op) == "NEGATE" for item_op, _ in av):
        return None
    parts = []
    for item_op, item in av:
        item_name = str(item_op)
        if item_name == "LITERAL":
            parts.append(re.escape(chr(item)))
        elif item_name == "RANGE":
            parts.append(f"{re.escape(chr(item[0]))}-{re.escape(chr(item[1]))}")
        elif item_name == "CATEGORY" and str(item) in _CATEGORIES:
            parts.append(_CATEGORIES[str(item)])
        else:
            return None
    return f"[{''.join(parts)}]"


def _item_beginnings(op, av) -> set[tuple[tuple[str, ...], bool]]:
    """The ways a match of one parsed item can begin: (one-character sources, whole) with
    whole when those characters are all of the item's match."""
    source = _character_source(op, av)
    if source is not None:
        return {((source,), True)}
    name = str(op)
    if name in ("AT", "ASSERT", "ASSERT_NOT"):  # take no characters
        return {((), True)}
    if name == "SUBPATTERN" and not av[1] and not av[2]:
        return _sequence_beginnings(list(av[-1].data))
    if name == "BRANCH":
        return {found for branch in av[1] for found in _sequence_beginnings(list(branch.data))}
    if name in REPEATS:
        low, high, item = av
        inner = _sequence_beginnings(list(item.data))
        if high == 0:
            return {((), True)}
        if high > 1:  # after the first repetition, who knows how many follow
            inner = {(atoms, False) for atoms, _ in inner}
        return inner | {((), True)} if low == 0 else inner
    return {((), False)}  # any character, a back reference, flags changed: the beginning ends here


def _grow(beginnings: set, options: set) -> set:
    grown = set()
    for atoms, open_ in beginnings:
        if not open_:
            grown.add((atoms, False))
            continue
        for more, whole in options:
            longer = atoms + more
            if len(longer) > _MAX_BEGINNING_CHARS:
                grown.add((longer[:_MAX_BEGINNING_CHARS], False))
            else:
                grown.add((longer, whole))
    return grown


def _sequence_beginnings(items: list) -> set[tuple[tuple[str, ...], bool]]:
    beginnings = {((), True)}
    for op, av in items:
        if not any(open_ for _, open_ in beginnings):
            break
        grown = _grow(beginnings, _item_beginnings(op, av))
        if len(grown) > _MAX_BEGINNINGS:
            return {(atoms, False) for atoms, _ in beginnings}
        beginnings = grown
    return beginnings


def pattern_beginnings(pattern: str, longest_gap: int) -> list[tuple[tuple[str, ...], Chain, bool]]:
    """How every match of ``pattern`` begins: (one-character regex sources, the literal
    strings that follow them (see :func:`literal_chain`), whether the sources are all of the
    match). No sources: it can begin anywhere."""
    parsed = parse(pattern)
    items = list(parsed.data)
    beginnings = {((), None)}  # (sources, index of the item where the beginning ended; None: open)
    for index, (op, av) in enumerate(items):
        open_ones = {atoms for atoms, stop in beginnings if stop is None}
        if not open_ones:
            break
        grown = _grow({(atoms, True) for atoms in open_ones}, _item_beginnings(op, av))
        if len(grown) + len(beginnings) > _MAX_BEGINNINGS:
            # Too many ways: end the open beginnings before this item (shorter is never wrong).
            beginnings = {(atoms, index - 1 if stop is None else stop) for atoms, stop in beginnings}
            break
        beginnings = {(atoms, stop) for atoms, stop in beginnings if stop is not None}
        beginnings |= {(atoms, None if whole else index) for atoms, whole in grown}
    return sorted(((atoms, [] if stop is None else literal_chain(parsed, stop, longest_gap, anchored=bool(atoms)),
                    stop is None) for atoms, stop in beginnings), key=lambda beginning: beginning[0])


def literal_chain(parsed, after: int, longest_gap: int, anchored: bool = True) -> Chain:
    """Literal strings a match holds after item ``after`` (which the beginning may have only
    partly matched: its own strings do not count), in order, one set per item or run of
    literals, each with the most characters that can stand between it and the string before
    it (or the beginning): the widths of the items between, at most ``longest_gap`` (a unit
    is never longer). Not ``anchored``: the first string may stand anywhere (gap -1)."""
    items = list(parsed.data)

    def width(item) -> int:
        return min(item_width(parsed, item), longest_gap)

    segments: list[tuple[int, frozenset[str] | None]] = []  # (width, the strings one of which it holds)
    run = ""
    for op, av in items[after + 1:]:
        if str(op) == "LITERAL":
            run += chr(av)
            continue
        if run:
            segments.append((len(run), frozenset({run}) if useful(run) else None))
            run = ""
        segments.append((width((op, av)), best_need(sequence_literals([(op, av)], lower=False))))
    if run:
        segments.append((len(run), frozenset({run}) if useful(run) else None))
    chain: Chain = []
    gap = width(items[after]) if after >= 0 else 0  # most characters since the last string (or the beginning)
    for size, need in segments:
        if need is None:
            gap = min(gap + size, longest_gap)
            continue
        shortest = min(len(literal) for literal in need)
        before = min(gap + size - shortest, longest_gap)  # the string starts at most this far into its item
        chain.append((before if chain or anchored else -1, need))
        gap = size - shortest  # what its item may hold after it
    return chain
