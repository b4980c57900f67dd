"""Page furniture in article bodies, and a trailing segment that tells another story.

An extraction that takes too much of a web page leaves the page's furniture in the
body: a donation box with its price buttons, the comment section's notice, a newsletter
or social-media prompt, "you might also like" teasers with a teaser text of another
story, the site's footer. The patterns are data (``rules/furniture.yaml``, validated by
``auditor/schemas/furniture.schema.json``); this module matches them line by line
(and sentence by sentence inside paragraphs), groups neighbouring furniture lines into
one span per problem, and checks the body's topical coherence: a trailing run of
paragraphs (or, in a body without line breaks, sentences) that shares (almost) no
names or topic words with the text before it is another story glued to the article.

Pure pandas, ``re`` and pyarrow (whose RE2 rules out bodies without furniture first): no
GX, so the same function can run on Spark partitions.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.errors import RulesError
from auditor.resources import default_rules_dir
from auditor.text.sentences import sentence_spans
from auditor.yamldoc import load_validated, where

DEFAULT_PATTERNS = default_rules_dir() / "furniture.yaml"
SNIPPET_LIMIT = 200
QUOTE_LIMIT = 60
MODES = ("whole", "starts", "contains")

# Coherence defaults, calibrated by benchmarks/eval_furniture.py on real German news.
MAX_SHARED = 0.025  # share of the trailing run's word weight also found before it
MAX_SHARED_CUED = 0.2  # the same after page furniture or when the run opens with a dateline
LEAD_PARTS = 2  # the article's lead: its first parts (title and lead in a flat body)
# A run that shares nothing at all with the lead may share up to 2 x max_shared with the rest.
MIN_STORY_WORDS = 12  # weight of content words a trailing segment needs to be judged
MAX_TAIL_PARTS = 8  # longest trailing run considered (sentences or paragraphs)
STEM_LENGTH = 6


# --- the patterns file ---------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    group: str
    joins: bool
    line_only: bool


@dataclass(frozen=True)
class _Anchored:
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


@dataclass(frozen=True, eq=False)
class FurnitureSpec:
    """The compiled patterns of one furniture file."""

    source: Path
    kinds: tuple[Kind, ...]
    max_line_chars: int
    line_anchored: _Anchored  # every kind
    sentence_anchored: _Anchored  # without the line-only kinds
    contains: tuple[tuple[int, str, bool, tuple[frozenset[str], ...]], ...]  # (kind, pattern, line only, needs)
    anchored: tuple[tuple[int, str, str, bool], ...] = ()  # whole and starts patterns: (kind, mode, pattern, line only)

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


@lru_cache(maxsize=4096)
def _contains_regexes(spec: "FurnitureSpec", chosen: tuple[int, ...]) -> tuple[re.Pattern | None, re.Pattern | None]:
    def combined(line: bool) -> re.Pattern | None:
        grouped: dict[int, list[str]] = {}
        for position in chosen:
            kind, pattern, line_only, _ = spec.contains[position]
            if line or not line_only:
                grouped.setdefault(kind, []).append(pattern)
        return _combined(sorted(grouped.items()))

    return combined(True), combined(False)


def _compile(file: Path, document: Any, path: list, pattern: str) -> re.Pattern:
    at = where(file, document, path)
    label = ".".join(str(part) for part in path[:-1]) + f"[{path[-1]}]"
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise RulesError(f"{at}: {label}: {pattern!r} is not a valid regular expression ({error})") from None
    if compiled.fullmatch("") is not None or (path[-2] == "contains" and compiled.search(" ") is not None):
        raise RulesError(f"{at}: {label}: {pattern!r} matches empty text, so it would flag every line")
    if compiled.groupindex:
        raise RulesError(f"{at}: {label}: {pattern!r} has a named group; use plain groups (…) or (?:…)")
    if "^" in pattern.replace("[^", "") or pattern.rstrip().endswith("$"):
        raise RulesError(f"{at}: {label}: {pattern!r} uses ^ or $; the mode (whole, starts, contains) anchors it")
    return compiled


def _combined(groups: list[tuple[int, list[str]]], suffix: str = "") -> re.Pattern | None:
    """One regex for several kinds' patterns, a named group ``k<index>`` per kind, in order."""
    if not groups:
        return None
    body = "|".join(f"(?P<k{index}>{'|'.join(f'(?:{p})' for p in patterns)})" for index, patterns in groups)
    return re.compile(f"(?:{body}){suffix}", re.IGNORECASE)


_WHOLE_END = r"[\s.:!?…]*"


def _anchored(entries: dict[str, list[tuple[int, str]]]) -> _Anchored:
    """Index the whole (and starts) patterns ``(kind index, pattern)`` by first character."""
    firsts = {mode: [(kind, pattern, first_chars(pattern)) for kind, pattern in entries[mode]] for mode in ("whole", "starts")}
    characters = {c for mode in firsts.values() for _, _, chars in mode if chars for c in chars}

    def build(mode: str, character: str | None):
        chosen: dict[int, list[str]] = {}
        for kind, pattern, chars in firsts[mode]:
            if chars is None or (character is not None and character in chars):
                chosen.setdefault(kind, []).append(pattern)
        groups = sorted(chosen.items())
        width = max((_width(p) for _, patterns in groups for p in patterns), default=0)
        return _combined(groups, _WHOLE_END if mode == "whole" else ""), width

    whole, starts, widths = {}, {}, {}
    for character in characters:
        whole[character], widths[character] = build("whole", character)
        starts[character], _ = build("starts", character)
    any_whole, any_width = build("whole", None)
    any_starts, _ = build("starts", None)
    return _Anchored(whole, starts, widths, any_whole, any_starts, any_width)


def _parser_module():
    try:
        from re import _parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    return sre_parse


def _parse(pattern: str):
    return _parser_module().parse(pattern, re.IGNORECASE)


def _width(pattern: str) -> int:
    return min(_parse(pattern).getwidth()[1], 1 << 20)


def first_chars(pattern: str) -> set[str] | None:
    """Lower-case characters a match of ``pattern`` can begin with, or None for any."""
    return _first_chars(_parse(pattern))


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
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            found = _first_chars(av[2])
            if found is None:
                return None
            chars |= found
            if av[0] >= 1 and av[2].getwidth()[0] > 0:
                return chars
            continue
        return None
    return None


def load_furniture(file: Path | str | None = None) -> FurnitureSpec:
    """Load and check a furniture file (default: the shipped ``rules/furniture.yaml``).

    Errors come back as :class:`RulesError` with ``file:line: what is wrong``. The result
    is cached until the file changes.
    """
    path = Path(file) if file else DEFAULT_PATTERNS
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise RulesError(f"{path}: no such furniture file; pass an existing file as the rule's 'patterns' argument") from None
    except OSError as error:
        raise RulesError(f"{path}: cannot be read ({error.strerror})") from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load(file_name: str, mtime_ns: int, size: int) -> FurnitureSpec:
    file = Path(file_name)
    document = load_validated(file, "furniture")
    kinds: list[Kind] = []
    line_entries: dict[str, list[tuple[int, str]]] = {mode: [] for mode in MODES}
    sentence_entries: dict[str, list[tuple[int, str]]] = {mode: [] for mode in MODES}
    contains: list[tuple[int, str, bool, tuple[frozenset[str], ...]]] = []
    anchored: list[tuple[int, str, str, bool]] = []
    for index, (name, entry) in enumerate(document["kinds"].items()):
        at = where(file, document, ["kinds", name])
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise RulesError(f"{at}: kinds: kind name {str(name)!r} is not valid (lower-case letters, digits and '_', e.g. 'donation')")
        if not any(entry.get(mode) for mode in MODES):
            raise RulesError(f"{at}: kinds.{name}: no patterns; give at least one of whole, starts, contains")
        line_only = entry.get("scope") == "line"
        kinds.append(Kind(str(name), str(entry["label"]), str(entry.get("group") or name), bool(entry.get("joins")), line_only))
        for mode in MODES:
            for position, pattern in enumerate(str(p) for p in entry.get(mode) or []):
                compiled = _compile(file, document, ["kinds", name, mode, position], pattern)
                if mode == "contains":
                    # The most telling (longest) literals first: the test stops at the first missing one.
                    needs = sorted(required_literals(compiled), key=lambda need: -min(len(item.strip()) for item in need))
                    contains.append((index, pattern, line_only, tuple(needs)))
                    continue
                line_entries[mode].append((index, pattern))
                anchored.append((index, mode, pattern, line_only))
                if not line_only:
                    sentence_entries[mode].append((index, pattern))
    return FurnitureSpec(
        source=file,
        kinds=tuple(kinds),
        max_line_chars=int(document.get("max_line_chars", 320)),
        line_anchored=_anchored(line_entries),
        sentence_anchored=_anchored(sentence_entries),
        contains=tuple(contains),
        anchored=tuple(anchored),
    )


def required_literals(pattern: re.Pattern) -> list[frozenset[str]]:
    """What every match of ``pattern`` contains, read off the pattern: a list of sets of
    lower-case strings, each set holding one string at least (each string at least 3
    characters, or a symbol like ``©``). Empty when nothing useful can be read. Substring
    tests for them are far cheaper than searching the pattern in every sentence."""
    return _sequence_literals(list(_parse(pattern.pattern).data))


def _useful(literal: str) -> bool:
    return len(literal.strip()) >= 3 or any(not (c.isalnum() or c.isspace()) for c in literal)


def _sequence_literals(items: list, lower: bool = True) -> list[frozenset[str]]:
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
            needs.extend(_sequence_literals(list(av[-1].data), lower))
        elif name == "BRANCH":
            # One of the branches matches: a string from each branch's best set will be there.
            best = [_best(_sequence_literals(list(branch.data), lower)) for branch in av[1]]
            if all(best):
                needs.append(frozenset().union(*best))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            needs.extend(_sequence_literals(list(av[2].data), lower))
    if run:
        needs.append(frozenset({run}))
    return [need for need in needs if need and all(_useful(item) for item in need)]


def _best(needs: list[frozenset[str]]) -> frozenset[str] | None:
    if not needs:
        return None
    return max(needs, key=lambda need: (min(len(item.strip()) for item in need), -len(need)))


# --- splitting a body into lines -------------------------------------------------------

_LINE = re.compile(r"[^\n]+")
_LEADING_BULLET = re.compile(r"^[•·*►▶■□–—-]\s+")


_BULLETS = "•·*►▶■□–—-"


def _normal(text: str) -> str:
    """Runs of white space as one space, no leading bullet."""
    if "  " in text or "\n" in text or "\t" in text or "\u00a0" in text or text[:1].isspace() or text[-1:].isspace():
        text = " ".join(text.split())
    return _LEADING_BULLET.sub("", text) if text[:1] in _BULLETS else text


# --- the prefilter: which bodies can hold furniture at all ---------------------------------
#
# Most bodies hold none, and splitting every body into lines and sentences and matching
# each against the patterns was most of the check's time. The patterns tell where a match
# can be: a whole or starts pattern only at the start of a line or sentence, beginning with
# the characters it begins with (a whole one also ending where the sentence or line ends)
# and holding its literal strings after them, each within a known number of characters of
# the one before; a contains pattern anywhere in a line, with its literal strings likewise.
# RE2 searches of the whole column for such places (pyarrow's C++ engine, as
# ``auditor/text/outlets.py`` uses it; 2-3 s per 100k bodies) rule out most bodies; only the
# others are split and matched.
#
# The search errs on one side only: it may let through a body without furniture (it knows
# the characters around a sentence boundary, not the boundary; it reads a pattern's first
# characters and literal strings, not all of it), never the other way round. It is built
# from the parsed patterns, each character widened to every character Python's ``re``
# matches it with (case ignored; RE2's case folding differs, e.g. for 'İ'), and it searches
# the bodies with their white space collapsed as the units are (see ``_normal``), so the
# characters it counts are the units'. A body it rules out is one whose units all come out
# as article text: the results are the same with and without it. Where it cannot be built
# or run (a pattern that can begin anywhere without a literal string, RE2 refusing a huge
# program, text that is no UTF-8) every body goes through.

_MAX_BEGINNINGS = 256  # ways a pattern may begin; beyond this its beginnings are cut shorter
_MAX_BEGINNING_CHARS = 16
# Beginnings this short are common words ("den ", "zum ", a digit); only for them the literal
# strings that follow are searched too (a longer beginning is rare enough alone, and every
# chain makes the search's program bigger: RE2 slows down sharply beyond a size).
_CHAINED_BEGINNING_CHARS = 8
_END_CHARACTERS = ".!?…\"“”»«')]"  # what can end a sentence, right before the white space after it
_CHARACTERS: dict[str, frozenset[str]] = {}  # one-character regex -> every character it matches
Chain = list[tuple[int, frozenset[str]]]  # (most characters before it, one of these strings), in order


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


# Digits and white space: classes of a few hundred characters; \w and negated classes hold
# too many to be worth writing out.
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s"}


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
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
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


def _pattern_beginnings(pattern: str, longest_gap: int) -> list[tuple[tuple[str, ...], Chain, bool]]:
    """How every match of ``pattern`` begins: (one-character regex sources, the literal
    strings that follow them (see :func:`_literal_chain`), whether the sources are all of the
    match). No sources: it can begin anywhere."""
    parsed = _parse(pattern)
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
    return sorted(((atoms, [] if stop is None else _literal_chain(parsed, stop, longest_gap, anchored=bool(atoms)),
                    stop is None) for atoms, stop in beginnings), key=lambda beginning: beginning[0])


def _literal_chain(parsed, after: int, longest_gap: int, anchored: bool = True) -> Chain:
    """Literal strings a match holds after item ``after`` (which the beginning may have only
    partly matched: its own strings do not count), in order, one set per item or run of
    literals, each with the most characters that can stand between it and the string before
    it (or the beginning): the widths of the items between, at most ``longest_gap`` (a unit
    is never longer). Not ``anchored``: the first string may stand anywhere (gap -1)."""
    items = list(parsed.data)

    def width(item) -> int:
        return min(_parser_module().SubPattern(parsed.state, [item]).getwidth()[1], longest_gap)

    segments: list[tuple[int, frozenset[str] | None]] = []  # (width, the strings one of which it holds)
    run = ""
    for op, av in items[after + 1:]:
        if str(op) == "LITERAL":
            run += chr(av)
            continue
        if run:
            segments.append((len(run), frozenset({run}) if _useful(run) else None))
            run = ""
        segments.append((width((op, av)), _best(_sequence_literals([(op, av)], lower=False))))
    if run:
        segments.append((len(run), frozenset({run}) if _useful(run) else None))
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
    line_limit: int  # longer lines are never judged as a whole (see _units)


@lru_cache(maxsize=16)
def _prefilter(spec: FurnitureSpec) -> _Prefilter:
    limit = spec.max_line_chars  # no unit is longer, so no gap in a match is either
    anchored: dict[bool, list[tuple[tuple[str, ...], Chain, bool]]] = {False: [], True: []}  # (sources, chain, whole)
    loose: dict[bool, list[Chain]] = {False: [], True: []}  # chains of patterns that can match anywhere
    for _, mode, pattern, line_only in spec.anchored:
        for atoms, chain, complete in _pattern_beginnings(pattern, limit):
            if atoms:
                anchored[line_only].append((atoms, chain, mode == "whole" and complete))
            else:
                loose[line_only].append(chain)
    for _, pattern, line_only, _ in spec.contains:
        loose[line_only].append(_literal_chain(_parse(pattern), -1, limit, anchored=False))
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
        starts_at += f"[ \\n]*(?:{_re2_class(_BULLETS)} )?"
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
    searched only in the texts where a beginning alone is found (the quicker search)."""
    beginnings, followed, loose = searches
    found = pc.match_substring_regex(texts, loose).fill_null(True).to_pylist()
    rows = pc.indices_nonzero(pc.match_substring_regex(texts, beginnings).fill_null(True))
    if len(rows):
        hits = pc.match_substring_regex(pc.take(texts, rows), followed).fill_null(True).to_pylist()
        for row, hit in zip(rows.to_pylist(), hits):
            found[row] = found[row] or hit
    return found


# --- furniture units and blocks ---------------------------------------------------------


@dataclass
class _Unit:
    start: int
    end: int
    kind: int | None  # index into spec.kinds, None for article text
    line: int
    whole_line: bool
    glue: bool = False  # a short unclassified line next to furniture ("Anderer", "1")
    group: str | None = None


def _units(body: str, spec: FurnitureSpec, contains: tuple[re.Pattern | None, re.Pattern | None]) -> list[_Unit]:
    """Every line of the body (or, for lines that are not furniture as a whole, each of
    their sentences), classified."""
    units: list[_Unit] = []
    for number, line in enumerate(_LINE.finditer(body)):
        start, end = line.span()
        if not line.group().strip():
            continue
        raw = line.group()
        text = _normal(raw) if len(raw) <= 2 * spec.max_line_chars else raw
        kind = spec.classify(text, True, contains) if len(text) <= spec.max_line_chars else None
        if kind is not None:
            units.append(_Unit(start, end, kind, number, True))
            continue
        sentences = sentence_spans(body, start, end)
        if len(sentences) == 1:
            glue = "\n" in body and len(text) <= 40 and len(text.split()) <= 4 and not text.endswith((".", "!", "?", ":"))
            units.append(_Unit(start, end, None, number, True, glue=glue))
            continue
        for s_start, s_end in sentences:
            kind = None
            sentence = _normal(body[s_start:s_end])
            if len(sentence) <= spec.max_line_chars:
                kind = spec.classify(sentence, False, contains)
            units.append(_Unit(s_start, s_end, kind, number, False))
    return units


def _assign_groups(units: list[_Unit], spec: FurnitureSpec) -> None:
    """Give every furniture unit its group; link texts and glue lines take their neighbour's."""
    for unit in units:
        if unit.kind is not None and not spec.kinds[unit.kind].joins:
            unit.group = spec.kinds[unit.kind].group
    for position, unit in enumerate(units):
        if unit.kind is not None and spec.kinds[unit.kind].joins:
            before = units[position - 1] if position else None
            after = units[position + 1] if position + 1 < len(units) else None
            if before is not None and before.group:
                unit.group = before.group
            elif after is not None and after.group and not (after.kind is not None and spec.kinds[after.kind].joins):
                unit.group = after.group
            else:
                unit.group = spec.kinds[unit.kind].group
    for _ in range(3):  # glue lines may come in short runs ("Anderer", "1")
        for position, unit in enumerate(units):
            if not unit.glue or unit.group:
                continue
            after = units[position + 1] if position + 1 < len(units) else None
            before = units[position - 1] if position else None
            if after is not None and after.group:
                unit.group = after.group
            elif before is not None and before.group:
                unit.group = before.group


@dataclass
class _Block:
    start: int
    end: int
    first: int  # index of the first unit
    last: int  # index of the last unit
    kinds: list[int]


def _blocks(units: list[_Unit]) -> list[_Block]:
    blocks: list[_Block] = []
    for position, unit in enumerate(units):
        if not unit.group:
            continue
        previous = blocks[-1] if blocks else None
        if previous is not None and previous.last == position - 1 and units[previous.first].group == unit.group:
            previous.end, previous.last = unit.end, position
        else:
            previous = _Block(unit.start, unit.end, position, position, [])
            blocks.append(previous)
        if unit.kind is not None and unit.kind not in previous.kinds:
            previous.kinds.append(unit.kind)
    return blocks


def _parts_around_furniture(body: str, units: list[_Unit], blocks: list[_Block],
                            paragraphs: bool) -> tuple[list[tuple[int, int]], set[int], str]:
    """The article's parts (paragraphs: runs of article text within a line; else sentences),
    the indexes of those right after furniture, and the body with its furniture blanked out."""
    parts: list[tuple[int, int]] = []
    furniture_between: set[int] = set()
    after_furniture = False
    previous_line = None
    for unit in units:
        if unit.group:
            after_furniture = True
            continue
        if paragraphs and parts and previous_line == unit.line and not after_furniture:
            parts[-1] = (parts[-1][0], unit.end)
        else:
            if after_furniture and parts:
                furniture_between.add(len(parts))
            parts.append((unit.start, unit.end))
        after_furniture = False
        previous_line = unit.line
    masked = body
    for block in blocks:  # furniture is no part of the article the tail is compared with
        masked = masked[: block.start] + " " * (block.end - block.start) + masked[block.end:]
    return parts, furniture_between, masked


def _article_parts(body: str, paragraphs: bool) -> list[tuple[int, int]]:
    """The parts of a body without furniture, as :func:`_parts_around_furniture` makes them
    from its units, without making units: the lines (a line's units are joined), or in a
    body without line breaks the sentences of its one line."""
    if "\n" not in body:  # one line (analyse_body has made sure it is not blank)
        return sentence_spans(body)
    lines = [line.span() for line in _LINE.finditer(body) if line.group().strip()]
    if paragraphs:
        return lines
    [(start, end)] = lines
    return sentence_spans(body, start, end)


# --- coherence: does the end of the body tell another story? ------------------------------

_WORD = re.compile(r"[^\W\d_][^\W\d_-]{2,}")
_SUFFIXES = ("innen", "ern", "en", "er", "es", "em", "e", "n", "s")
# Function words and words any news story uses: they say nothing about which story it is.
_GENERIC = frozenset("""
aber alle allem allen aller alles also andere anderen anderer anderes auch auf aus bei beim bereits bis bisher
damit dann darauf darum dass davon dazu dem den denen denn der deren derzeit des dessen die dies diese diesem
diesen dieser dieses doch dort durch eine einem einen einer eines einige einigen einmal etwa etwas euch für gegen
gegenüber gewesen habe haben hat hatte hatten hier hin hinter immer indem ist jedoch jede jedem jeden jeder jedes
jetzt kann kein keine keinem keinen keiner können könne könnte könnten machen macht mehr mehrere man manche mich
mit muss musste müssen müsse nach nachdem neben nicht nichts noch nun nur oder ohne schon sehr sein seine seinem
seinen seiner seit selbst sich sie sind sollen sollte sollten sondern soll sowie über um und uns unter viel viele
vom von vor während war waren warum was weil weiter weitere weiteren welche welcher welches wenn werde werden wer
wie wieder will wird wo wurde wurden zu zum zur zwar zwischen wollen wollte worden ihrem ihren ihrer ihre ihr ihm
ihn seien sei wäre wären würde würden hätte hätten gibt gab geht ging gehen kommt kam kommen steht stand stehen
lässt ließ liegt lag dabei daher deshalb außerdem zudem allerdings bislang laut demnach sowohl zufolge trotz
sagte sagt sagten sagen erklärte erklärt erklären betonte berichtete berichtet berichten teilte mitteilte
hieß heißt meinte meint fügte hinzu zeigte zeigt gilt galt bleibt blieb eigenen eigene ganz ganze ganzen gut
neue neuen neuer neues erste ersten erster zweite zweiten dritte letzte letzten nächste nächsten große großen
großer kleine kleinen lange langen hohe hohen weniger wenige wenigen rund fast knapp bereits sogar schon eher
zwei drei vier fünf sechs sieben acht neun zehn hundert tausend prozent million millionen milliarde milliarden
euro dollar franken jahr jahre jahren jahres monat monate monaten woche wochen tag tage tagen tages stunde stunden
minute minuten montag dienstag mittwoch donnerstag freitag samstag sonntag januar jänner februar märz april mai
juni juli august september oktober november dezember heute gestern morgen zeit ende anfang mitte zuletzt damals
inzwischen mittlerweile künftig weiterhin derzeit aktuell bericht angaben angabe frage fragen seite seiten
menschen mann frau leute teil fall fälle grund ziel beispiel möglich möglichkeit rahmen thema problem probleme
das ein als wir sie man wie was wer vor bei aus mit von nun nur hat war ist ihr ihm uns zum zur dem den der die
des und oder doch auf aus bis für nie neu alt gut ganz sonst mehr weil wann dann denn also dort hier jene jener
""".split())
# A place and a dash open an agency story: "Wien – ", "Berlin (dpa) – ".
_DATELINE = re.compile(r"[A-ZÄÖÜ][\w.'/-]*(?:[ -][\w.'/-]+){0,3}(?: \([^()]{1,30}\))? [–—-] (?=[A-ZÄÖÜ„\"»«0-9])")


@lru_cache(maxsize=500_000)
def _stem(word: str) -> str:
    """Lower case, one inflection ending off, the first letters (`Nordkoreas`, `nordkoreanischen` -> `nordko`)."""
    stem = word.lower()
    for suffix in _SUFFIXES:
        if stem.endswith(suffix):
            if len(stem) - len(suffix) >= 4:
                stem = stem[: -len(suffix)]
            break
    return stem[:STEM_LENGTH]


_GENERIC_STEMS = frozenset(_stem(word) for word in _GENERIC if len(word) >= 5)
_WORD_INFO: dict[str, tuple[str, float] | None] = {}


def _word_info(word: str) -> tuple[str, float] | None:
    """(stem, weight) of a content word, None for function words: capitalised words
    (names, nouns) weigh 2, others 1. Cached per distinct word."""
    info = _WORD_INFO.get(word, False)
    if info is False:
        lowered = word.lower()
        capital = word[0].isupper()
        stem = _stem(word)
        generic = lowered in _GENERIC or stem in _GENERIC_STEMS or (len(word) < 4 and not capital)
        info = None if generic else (stem, 2.0 if capital else 1.0)
        if len(_WORD_INFO) < 1_000_000:
            _WORD_INFO[word] = info
    return info


def _first_at_word_start(lowered: str, stem: str, before: int) -> int:
    """Where ``stem`` first begins a word (or, from 5 letters, any part of a compound)
    before ``before``; -1 when it does not."""
    position = lowered.find(stem, 0, before + len(stem))
    while position != -1 and position < before:
        if position == 0 or not lowered[position - 1].isalpha() or len(stem) >= 5:
            return position
        position = lowered.find(stem, position + 1, before + len(stem))
    return -1


def _cue(body: str, parts: list[tuple[int, int]], k: int, furniture_between: set[int], paragraphs: bool) -> str | None:
    """What marks ``parts[k]`` as the start of another story, besides its words."""
    start, end = parts[k]
    if k in furniture_between:
        return "after page furniture"
    if _DATELINE.match(body, start):
        return "opens with a dateline"
    # A teaser's title, then its lead with a dateline.
    second = parts[k + 1][0] if not paragraphs and k + 1 < len(parts) else next(iter(sentence_spans(body, start, end)[1:2]), (None,))[0]
    if second is not None and _DATELINE.match(body, second):
        return "opens with a dateline"
    return None


@dataclass
class _Story:
    start: int
    end: int
    parts: int
    shared: list[str]
    story_words: list[str]
    article_words: list[str]
    cue: str | None


def _other_story(body: str, parts: list[tuple[int, int]], furniture_between: set[int],
                 paragraphs: bool, max_shared: float, max_shared_cued: float, min_words: float) -> _Story | None:
    """The longest trailing run of ``parts`` that shares (almost) nothing with the text before it."""
    count = len(parts)
    if count < 2:
        return None
    lowered = body.lower()
    lowest = max(1, count - MAX_TAIL_PARTS)
    lead_end = parts[min(LEAD_PARTS, count) - 1][1]
    zone_end = parts[-1][1]
    tail: dict[str, tuple[float, str]] = {}
    first_seen: dict[str, int] = {}  # stem -> where it first occurs, if before the part it came with (else: len(body))
    # Kept up to date part by part rather than summed over the tail for each part (the sums
    # are of weights 1 and 2, exact in any order): the tail's weight, and the weight of its
    # stems found before the current part, with those stems by where they are first found,
    # so that each leaves the sum when the run grows back over that place.
    total = shared_weight = 0.0
    shared_now: set[str] = set()
    leaving: list[tuple[int, str]] = []  # heap of (-first_seen, stem) over shared_now
    most_shared = max(max_shared, max_shared_cued, 2 * max_shared)
    length = len(body)
    cached = _WORD_INFO.get
    found: _Story | None = None
    for k in range(count - 1, lowest - 1, -1):
        start = parts[k][0]
        if start < (length - start) * 0.8:
            break  # the trailing run is not shorter than what precedes it: which one is the article?
        while leaving and -leaving[0][0] >= start:
            stem = heapq.heappop(leaving)[1]
            shared_now.discard(stem)
            shared_weight -= tail[stem][0]
        # The part's content words (see _word_info; its cache looked up here, one call less
        # per word), merged into the tail word by word: a stem keeps its heaviest weight and
        # the first form that had it, as when each part's words were summed up first.
        for word in _WORD.findall(body, start, parts[k][1]):
            info = cached(word, False)
            if info is False:
                info = _word_info(word)
            if info is None:
                continue
            stem, weight = info
            known = tail.get(stem)
            if known is None:
                tail[stem] = (weight, word)
                total += weight
                # Where the stem is first found matters only if before this part (the run only
                # grows backwards, so a stem first found later is never shared): the search
                # stops there, and such a stem is recorded as found at the end of the body.
                # (_first_at_word_start, its usual first step written out: it runs per new stem.)
                seen = lowered.find(stem, 0, start + len(stem) - 1)
                if seen == -1:
                    seen = length
                elif seen > 0 and len(stem) < 5 and lowered[seen - 1].isalpha():
                    seen = _first_at_word_start(lowered, stem, start)
                    seen = length if seen == -1 else seen
                first_seen[stem] = seen
                if seen < start:
                    shared_now.add(stem)
                    shared_weight += weight
                    heapq.heappush(leaving, (-seen, stem))
            elif known[0] < weight:
                tail[stem] = (weight, word)
                total += weight - known[0]
                if stem in shared_now:
                    shared_weight += weight - known[0]
        if not paragraphs and count - k < 2:
            continue
        if total < min_words:
            continue
        share = shared_weight / total
        if share > most_shared:
            continue
        shared = [(weight, word, stem) for stem, (weight, word) in tail.items() if -1 < first_seen[stem] < start]
        cue = _cue(body, parts, k, furniture_between, paragraphs)
        apart_from_lead = k >= LEAD_PARTS and all(first_seen[stem] >= min(start, lead_end) for _, _, stem in shared)
        if share <= (max_shared_cued if cue else max_shared) or (apart_from_lead and share <= 2 * max_shared):
            found = _Story(start, zone_end, count - k, [word for _, word, _ in sorted(shared, reverse=True)],
                           [], [], cue)
    if found is not None:
        shared_stems = {_stem(word) for word in found.shared}
        found.story_words = [word for word in _top_words(body[found.start:found.end], 12)
                             if _stem(word) not in shared_stems][:8]
        found.article_words = _top_words(body[: found.start])
    return found


def _top_words(text: str, limit: int = 8) -> list[str]:
    """The text's most frequent content words, names and nouns first."""
    counts: dict[str, list] = {}
    for word in _WORD.findall(text):
        if _word_info(word) is None or len(word) < 4:
            continue
        entry = counts.setdefault(_stem(word), [0.0, word])
        entry[0] += 2.0 if word[0].isupper() else 1.0
    ranked = sorted(counts.values(), key=lambda entry: -entry[0])
    return [word for _, word in ranked[:limit]]


# --- the check ------------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return _shorten(" ".join(text.split()), QUOTE_LIMIT)


def analyse_body(body: str, spec: FurnitureSpec, coherence: bool = True, max_shared: float = MAX_SHARED,
                 max_shared_cued: float = MAX_SHARED_CUED, min_story_words: float = MIN_STORY_WORDS,
                 may_hold_furniture: bool = True) -> dict | None:
    """None when ``body`` is one article and nothing else; else what is wrong, one part per span.
    ``may_hold_furniture=False`` (the prefilter's verdict, see :func:`furniture_possible`)
    skips matching the lines and sentences against the patterns; the result is the same."""
    if not isinstance(body, str) or not body.strip():
        return None
    paragraphs = "\n" in body.strip()
    if may_hold_furniture:
        units = _units(body, spec, spec.contains_for(body))
        _assign_groups(units, spec)
        blocks = _blocks(units)
    else:
        units, blocks = [], []
    found: list[tuple[int, int, dict]] = []
    story = None
    if coherence:
        if may_hold_furniture:
            parts, furniture_between, masked = _parts_around_furniture(body, units, blocks, paragraphs)
        else:  # every line and sentence is article text
            parts, furniture_between, masked = _article_parts(body, paragraphs), set(), body
        story = _other_story(masked, parts, furniture_between, paragraphs, max_shared, max_shared_cued,
                             min_story_words)
    absorbed: set[int] = set()
    if story is not None:
        # Teaser headings and link texts right around the other story belong to it.
        for index, block in enumerate(blocks):
            teaserish = all(spec.kinds[kind].joins or spec.kinds[kind].group == "teaser" for kind in block.kinds)
            gap_before = body[block.end:story.start]
            gap_after = body[story.end:block.start]
            if teaserish and ((block.end <= story.start and not gap_before.strip())
                              or (block.start >= story.end and not gap_after.strip())):
                absorbed.add(index)
                story.start, story.end = min(story.start, block.start), max(story.end, block.end)
        unit_word = "paragraph" if paragraphs else "sentence"
        # Without a cue (furniture before it, a dateline opening it) a tail that shares no
        # words may just be an article changing subject (~2 % of real articles end so): a
        # note for the editor, not a warning.
        verb = ("tells" if story.parts == 1 else "tell") if story.cue else "may tell"
        told = (f"the last {unit_word} {verb} another story" if story.parts == 1
                else f"the last {story.parts} {unit_word}s {verb} another story")
        overlap = "they share no" if not story.shared else "they share almost no"
        if story.parts == 1:
            overlap = overlap.replace("they share", "it shares")
        message = f"{told} ({overlap} names or topic words with the article): {_quote(body[story.start:story.end])!r}"
        evidence: dict[str, Any] = {"kind": ["other_story"], "story_words": story.story_words,
                                    "article_words": story.article_words}
        if story.shared:
            evidence["shared_words"] = story.shared
        if story.cue:
            evidence["cue"] = story.cue
        found.append((story.start, story.end, {
            "message": message,
            "snippet": _shorten(body[story.start:story.end], SNIPPET_LIMIT),
            "evidence": evidence,
            **({} if story.cue else {"level": "info"}),
        }))
    for index, block in enumerate(blocks):
        if index in absorbed or not block.kinds:
            continue
        kinds = sorted(block.kinds)
        main = spec.kinds[kinds[0]]
        first = next(units[i] for i in range(block.first, block.last + 1) if units[i].kind in block.kinds)
        lines = len({units[i].line for i in range(block.first, block.last + 1)})
        size = f" ({lines} lines)" if lines > 1 else ""
        text = body[block.start:block.end]
        found.append((block.start, block.end, {
            "message": f"{main.label} in the body: {_quote(body[first.start:first.end])!r}{size}",
            "snippet": _shorten(text, SNIPPET_LIMIT),
            "evidence": {"kind": [spec.kinds[kind].name for kind in kinds]},
        }))
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    parts_out = [detail for _, _, detail in found]
    notes_only = {"level": "info"} if all(detail.get("level") == "info" for detail in parts_out) else {}
    if len(parts_out) == 1:
        return {**parts_out[0], "parts": parts_out}
    labels = []
    for detail in parts_out:
        label = "another story" if "other_story" in detail["evidence"]["kind"] else detail["message"].split(" in the body")[0]
        if label not in labels:
            labels.append(label)
    return {
        "message": f"the body carries {len(parts_out)} pieces of page furniture: {', '.join(labels)}",
        "parts": parts_out,
        "evidence": {"kind": sorted({kind for detail in parts_out for kind in detail["evidence"]["kind"]})},
        **notes_only,
    }


def find_furniture(values: pd.Series, patterns: str | None = None, coherence: bool | None = True,
                   max_shared: float | None = MAX_SHARED, max_shared_cued: float | None = MAX_SHARED_CUED,
                   min_story_words: float | None = MIN_STORY_WORDS) -> pd.Series:
    """Per row: None when the body is one article, else a dict with a ``message`` and one
    ``parts`` entry (message, snippet, evidence) per furniture span or other story. The
    column is searched first for places where furniture can be (:func:`furniture_possible`);
    only bodies with such a place are split into lines and sentences and matched."""
    spec = load_furniture(patterns)
    settings = dict(
        coherence=True if coherence is None else bool(coherence),
        max_shared=MAX_SHARED if max_shared is None else float(max_shared),
        max_shared_cued=MAX_SHARED_CUED if max_shared_cued is None else float(max_shared_cued),
        min_story_words=MIN_STORY_WORDS if min_story_words is None else float(min_story_words),
    )
    bodies = values.tolist()
    possible = furniture_possible(bodies, spec)
    details = [analyse_body(body, spec, **settings, may_hold_furniture=flag) for body, flag in zip(bodies, possible)]
    return pd.Series(details, index=values.index, dtype=object)
