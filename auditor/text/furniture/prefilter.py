"""Which bodies can hold furniture at all: RE2 searches of the whole column.

Most bodies hold none, and splitting every body into lines and sentences and matching
each against the patterns was most of the check's time. The patterns tell where a match
can be (:mod:`.beginnings`): a whole or starts pattern only at the start of a line or
sentence, beginning with the characters it begins with (a whole one also ending where the
sentence or line ends) and holding its literal strings after them, each within a known
number of characters of the one before; a contains pattern anywhere in a line, with its
literal strings likewise. RE2 searches of the whole column for such places (pyarrow's C++
engine, as ``auditor/text/outlets/scan.py`` uses it; 2-3 s per 100k bodies) rule out most
bodies; only the others are split and matched.

The search errs on one side only: it may let through a body without furniture (it knows
the characters around a sentence boundary, not the boundary; it reads a pattern's first
characters and literal strings, not all of it), never the other way round. It is built
from the parsed patterns, each character widened to every character Python's ``re``
matches it with (case ignored; RE2's case folding differs, e.g. for 'İ'), and it searches
the bodies with their white space collapsed as the units are (see ``units.normal``), so
the characters it counts are the units'. A body it rules out is one whose units all come
out as article text: the results are the same with and without it. Where it cannot be
built or run (a pattern that can begin anywhere without a literal string, RE2 refusing a
huge program, text that is no UTF-8) every body goes through.

The searches run as pyarrow's ``match_substring_regex`` over the column, not as
google-re2's multi-pattern ``re2.Set`` per body; see :func:`_found` for why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from auditor.text.furniture.beginnings import Chain, literal_chain, pattern_beginnings
from auditor.text.furniture.pattern_shape import parse
from auditor.text.furniture.spec import FurnitureSpec
from auditor.text.furniture.units import BULLETS

# Beginnings this short are common words ("den ", "zum ", a digit); only for them the literal
# strings that follow are searched too (a longer beginning is rare enough alone, and every
# chain makes the search's program bigger: RE2 slows down sharply beyond a size).
_CHAINED_BEGINNING_CHARS = 8
_END_CHARACTERS = ".!?…\"“”»«')]"  # what can end a sentence, right before the white space after it
_CHARACTERS: dict[str, frozenset[str]] = {}  # one-character regex -> every character it matches
_PREFILTER_ROWS = 10_000  # bodies searched at a time: their Arrow copies stay small (~50 MB)


def furniture_possible(bodies: list, spec: FurnitureSpec) -> list[bool]:
    """Per body: False when no line or sentence of it can match a pattern (see above), so
    that :func:`analyse_body` need not split and match it; True when it may."""
    prefilter = _prefilter(spec)
    if prefilter.anywhere is None:
        return [True] * len(bodies)
    flags: list[bool] = []
    for first in range(0, len(bodies), _PREFILTER_ROWS):
        flags += _possible(bodies[first:first + _PREFILTER_ROWS], prefilter)
    return flags


@dataclass(frozen=True)
class _Prefilter:
    """RE2 searches that find every body able to hold furniture, in the bodies with their
    white space collapsed (``spaces`` made one space). Several searches per scope, not one:
    RE2 runs each in a few microseconds per body, but all in one many times slower (its
    automaton for all is too big). ``None`` for a scope: every body may hold its furniture
    (a pattern there can begin anywhere and holds no literal string)."""

    spaces: str  # two or more white space characters but line breaks, or one but a space
    # (beginnings alone, beginnings with what follows them, loose chains) of the kinds judged
    # in lines and sentences; the second is asked only of bodies where the first is found
    anywhere: tuple[str, str, str] | None
    in_lines: tuple[str, str, str] | None  # the same for the line-only kinds, asked only of bodies with a short line
    line_limit: int  # longer lines are never judged as a whole (see units.classified_units)


def _possible(bodies: list, prefilter: _Prefilter) -> list[bool]:
    try:
        array = pa.array([body if isinstance(body, str) else None for body in bodies], type=pa.large_string())
    except (pa.ArrowException, UnicodeError):  # lone surrogates are no UTF-8: let these bodies through
        return [True] * len(bodies)
    try:
        collapsed = pc.replace_substring_regex(array, prefilter.spaces, " ")
        flags = _found(collapsed, prefilter.anywhere)
        # The line-only kinds judge whole lines, and only lines short enough: a body without
        # line breaks is one long line.
        rows = [row for row, body in enumerate(bodies)
                if isinstance(body, str) and ("\n" in body or len(body) <= prefilter.line_limit)]
        in_lines = [True] * len(rows)
        if rows and prefilter.in_lines is not None:
            in_lines = _found(pc.take(collapsed, pa.array(rows, type=pa.int64())), prefilter.in_lines)
    except pa.ArrowInvalid:  # RE2 refuses a program this big (a huge patterns file)
        return [True] * len(bodies)
    for row, flag in zip(rows, in_lines):
        flags[row] = flags[row] or flag
    return flags


def _found(texts: pa.Array, searches: tuple[str, str, str]) -> list[bool]:
    """Per text: can a pattern match in it? The beginnings with what follows them are
    searched only in the texts where a beginning alone is found (the quicker search).

    One ``match_substring_regex`` per search over the column, not a google-re2 ``re2.Set``
    of the searches per body. Measured on 20k generated bodies and on the 514 real dev
    articles (20 times over, with and without furniture), both give the same flags; the Set
    is quicker by 0.1-0.2 s per 10-20k bodies (a few per cent of the whole check), and only
    with 8 times RE2's default memory: at the default its DFA keeps running out of memory
    and the Set takes 2-3 times as long as this on real articles. Worse, RE2's
    Set reports an out-of-memory DFA as "no match", and the Python binding cannot tell
    the two apart, so a body holding furniture could be ruled out; a plain RE2 search, as
    here, falls back to its NFA instead."""
    beginnings, followed, loose = searches
    found = pc.match_substring_regex(texts, loose).fill_null(True).to_pylist()
    rows = pc.indices_nonzero(pc.match_substring_regex(texts, beginnings).fill_null(True))
    if len(rows):
        hits = pc.match_substring_regex(pc.take(texts, rows), followed).fill_null(True).to_pylist()
        for row, hit in zip(rows.to_pylist(), hits):
            found[row] = found[row] or hit
    return found


# --- building the searches from the patterns -----------------------------------------------


@lru_cache(maxsize=16)
def _prefilter(spec: FurnitureSpec) -> _Prefilter:
    limit = spec.max_line_chars  # no unit is longer, so no gap in a match is either
    anchored: dict[bool, list[tuple[tuple[str, ...], Chain, bool]]] = {False: [], True: []}  # (sources, chain, whole)
    loose: dict[bool, list[Chain]] = {False: [], True: []}  # chains of patterns that can match anywhere
    for _, mode, pattern, line_only in spec.anchored:
        for atoms, chain, complete in pattern_beginnings(pattern, limit):
            if atoms:
                anchored[line_only].append((atoms, chain, mode == "whole" and complete))
            else:
                loose[line_only].append(chain)
    for _, pattern, line_only, _ in spec.contains:
        loose[line_only].append(literal_chain(parse(pattern), -1, limit, anchored=False))
    sources = {r"\s"} | {atom for entries in anchored.values() for atoms, _, _ in entries for atom in atoms}
    chains = [chain for entries in anchored.values() for _, chain, _ in entries] + [*loose[False], *loose[True]]
    sources |= {re.escape(c) for chain in chains for _, need in chain for literal in need for c in literal}
    _characters(sources)

    def character(source: str) -> str:
        characters = _CHARACTERS[source]
        if any(c.isspace() for c in characters):  # in the searched text, white space is a space
            characters = {c for c in characters if not c.isspace()} | {" "}
        return _re2_class(characters)

    def chain_regex(chain: Chain) -> str:
        parts = []
        for gap, need in chain:
            if gap > 0:
                parts.append(f".{{0,{gap}}}")
            parts.append("(?:" + "|".join(sorted("".join(map(character, map(re.escape, literal))) for literal in need)) + ")")
        return "".join(parts)

    def ending(atoms: tuple[str, ...]) -> str:
        # A whole pattern's match is all of its unit but trailing [\s.:!?…]: the line ends
        # there, or the sentence (after one of .!?… or the match's own last character).
        ends = [" "] if _CHARACTERS[atoms[-1]] & set(_END_CHARACTERS) else []
        return "(?:" + "|".join(["[ .:!?…]*(?:\\n|\\z|[.!?…] )", *ends]) + ")"

    def searches(line_only: bool) -> tuple[str, str, str] | None:
        if any(not chain for chain in loose[line_only]):
            return None
        starts_at = "(?:\\A|\\n)" if line_only else f"(?:\\A|\\n|{_re2_class(_END_CHARACTERS)} )"
        starts_at += f"[ \\n]*(?:{_re2_class(BULLETS)} )?"
        # All beginnings in one trie; and beginnings followed by the same text in one trie
        # each, so that the text is written once.
        every: dict = {}
        tries: dict[str, dict] = {}
        for atoms, chain, whole in anchored[line_only]:
            follows = ending(atoms) if whole else chain_regex(chain) if len(atoms) <= _CHAINED_BEGINNING_CHARS else ""
            for trie in (every, tries.setdefault(follows, {})):
                for atom in atoms:
                    trie = trie.setdefault(character(atom), {})
                trie[None] = True
        never = _re2_class(())
        loose_chains = "|".join(sorted({chain_regex(chain) for chain in loose[line_only]})) or never
        if not every:
            return never, never, loose_chains
        followed = "|".join(_trie_regex(trie) + follows for follows, trie in sorted(tries.items()))
        return f"{starts_at}{_trie_regex(every)}", f"{starts_at}(?:{followed})", loose_chains

    white = _CHARACTERS[r"\s"] - {"\n"}
    spaces = f"{_re2_class(white)}{{2,}}|{_re2_class(white - {' '})}"
    return _Prefilter(spaces, searches(False), searches(True), 2 * limit)


def _characters(sources: set[str]) -> None:
    """Fill ``_CHARACTERS`` for ``sources``: every character each matches with case ignored,
    found by trying them on every Unicode character (once per process, ~0.1 s)."""
    missing = sorted(source for source in sources if source not in _CHARACTERS)
    if not missing:
        return
    every_character = "".join(map(chr, range(0x110000)))
    candidates = set(re.findall("|".join(missing), every_character, re.IGNORECASE))
    for source in missing:
        compiled = re.compile(source, re.IGNORECASE)
        _CHARACTERS[source] = frozenset(c for c in candidates if compiled.fullmatch(c))


def _re2_class(characters) -> str:
    codes = sorted(ord(c) for c in characters if not 0xD800 <= ord(c) <= 0xDFFF)  # no surrogates in UTF-8
    ranges, position = [], 0
    while position < len(codes):
        last = position
        while last + 1 < len(codes) and codes[last + 1] == codes[last] + 1:
            last += 1
        first_code, last_code = codes[position], codes[last]
        ranges.append(f"\\x{{{first_code:x}}}" + (f"-\\x{{{last_code:x}}}" if last_code > first_code else ""))
        position = last + 1
    return f"[{''.join(ranges)}]" if ranges else "[^\\x{0}-\\x{10ffff}]"


def _trie_regex(node: dict) -> str:
    """One regex for the beginnings stored in a trie (common beginnings written once)."""
    if None in node:
        return ""  # a beginning ends here: longer ones add nothing
    branches = [atom + _trie_regex(child) for atom, child in node.items()]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
