"""Finding the outlets a text names: domains, known names, credit lines, and the names a
trigger attributes something to (see :mod:`auditor.text.outlets.credits`).

Speed: RE2 (pyarrow's C++ regex engine) scans the texts once for every place where a
credit may start; Python looks only at those places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from auditor.text.domains import registered_domain
from auditor.text.outlets.credits import (
    STRONG, WEAK, Found, backward_verb, backward_zufolge, may_name_after, may_name_before, resolve,
)
from auditor.text.outlets.directory import Directory, load_outlets
from auditor.text.outlets.names import domain_keys, name_keys, press_name
from auditor.text.outlets.patterns import NOT_END, QUOTES, SPACE, alternatives, capitalised, closing
from auditor.text.outlets.vocabulary import load_attribution_words, load_press_words


@dataclass(frozen=True)
class Mention:
    """An outlet named in the text. ``credit``: attributed (counts as credited); otherwise
    only mentioned (enough to confirm a source, not to demand one)."""

    written: str  # as in the text, without markup: `Berliner Zeitung`, `Heute.at`, `dpa`
    snippet: str  # the credit as it stands: `Laut **Berliner Zeitung**`, `(sda/dpa/lyn)`
    outlet: int | None
    domain: str | None
    keys: frozenset[str]
    credit: bool


def _name_pattern(name: str) -> str:
    """One name with its derived forms (see ``derived_forms``) as a regex that RE2 and
    Python read alike."""
    words = name.split()
    parts = []
    for position, word in enumerate(words):
        part = re.escape(word)
        if word.endswith("e"):
            part += "n?"
        if position == len(words) - 1 and word[-1:].islower() and word[-1] not in "se":
            part += "(?:es|s)?"
        parts.append(part)
    pattern = f"{SPACE}+".join(parts)
    if name[0].isascii() and (name[0].isalnum()):
        pattern = r"\b" + pattern
    if name[-1].isascii() and name[-1].isalnum():
        pattern += r"\b"
    return pattern


@lru_cache(maxsize=4)
def _scan_pattern(directory: Directory) -> re.Pattern:
    """Every place where a credit may start, one named group per kind."""
    words, s = load_attribution_words(), SPACE
    names = sorted({n for o in directory.outlets for n in o.names}, key=len, reverse=True)
    labels = alternatives(words.source_labels)
    # One pattern, read alike by RE2 and by Python's re with re.ASCII: no look-arounds, no
    # counted repetitions (they blow up RE2's automaton), the same whitespace. Python checks
    # what RE2 cannot (Unicode word boundaries, lengths).
    branches = [
        # Photo credits (`Foto: APA/Hans Punz`) credit no source of the text.
        rf"(?P<photo>\b{alternatives(words.photo_labels)}{s}*:(?:[^\n().]|\.{NOT_END})*)",
        rf"(?P<quelle>\({s}*{labels}{s}*:[^()\n]+\)|\b{labels}{s}*:(?:[^\n.]|\.{NOT_END})+)",
        # Credit lines: slash or comma separated codes, maybe a date: (sda/dpa/lyn), (APA, 3.12.2024).
        rf"(?P<line>\([A-Za-z][A-Za-z-]*(?:{s}*[/,;]{s}*"
        rf"(?:[A-Za-z][A-Za-z.-]*|\d\d?\.{s}?\d\d?\.(?:{s}?\d+)?))*\))",
        r"(?P<domain>\b(?:https?://)?(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[a-z][a-z]+\b)",
        "(?P<name>" + "|".join(_name_pattern(name) for name in names) + ")",
        rf"(?P<fwd>\b(?:{alternatives(words.credit_words | words.report_verbs | words.quote_verbs, either_case=True)}"
        rf"|[Nn]ach{s}+(?:eigenen{s}+)?{alternatives(words.nach_nouns)})\b)",
        rf"(?P<weak>\b{alternatives(words.weak_credit_words, either_case=True)}{s}+"
        rf"(?:{alternatives(words.pronouns)}{s}+)?{alternatives(words.weak_credit_articles, either_case=True)}{s})",
        rf"(?P<zufolge>\b{alternatives(words.credit_words_after)}\b)",
    ]
    return re.compile("|".join(branches), re.ASCII)


@lru_cache(maxsize=1)
def _verb_forms() -> frozenset[str]:
    """Triggers the name may also precede (`wie die Krone berichtet`), as the scan finds them."""
    words = load_attribution_words()
    verbs = words.report_verbs | words.quote_verbs
    return verbs | frozenset(map(capitalised, verbs))


@lru_cache(maxsize=1)
def _domain_triggers() -> tuple[re.Pattern, re.Pattern]:
    """An attribution right before a domain (searched in the 40 characters before it) and
    right after it (matched where it ends)."""
    words = load_attribution_words()
    before = re.compile(
        rf"(?<![^\W\d_])(?:{alternatives(words.domain_credit_words)}|{alternatives(words.domain_credit_word_starts)}\w*"
        rf"|{alternatives(words.source_labels)}:)"
        rf"\s+(?:{alternatives(words.articles | words.domain_site_words)}\s+){{0,2}}[*_{QUOTES}]*$"
    )
    after = re.compile(rf"\s*{alternatives(words.domain_credit_words_after)}")
    return before, after


@lru_cache(maxsize=1)
def _institution_suffix_starts() -> tuple[str, ...]:
    return tuple(f"{label}." for label in load_press_words().institution_suffix_starts)


_REGIONAL_BEFORE = re.compile(r"(?<![^\W\d_])[A-ZÄÖÜ][a-zäöüß]+er[ \u00a0]$")


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Collector:
    def __init__(self, directory: Directory, text: str):
        self.directory, self.text, self.found = directory, text, []

    def add(self, written: str, snippet: str, outlet: int | None, domain: str | None, credit: bool) -> None:
        written = _clean(written)
        if not written:
            return
        keys = domain_keys(domain) if domain else name_keys(written)
        self.found.append(Mention(written, _clean(snippet)[:120], outlet, domain, keys, credit))

    def found_name(self, found: Found, offset: int, snippet_start: int, snippet_end: int | None = None) -> None:
        end = closing(self.text, offset + found.end) if snippet_end is None else snippet_end
        self.add(found.written, self.text[snippet_start:end], found.outlet, None, True)

    def handle(self, match: re.Match) -> None:
        kind, text, directory = match.lastgroup, self.text, self.directory
        start, end = match.span()
        if kind == "photo":
            return
        if kind == "quelle":
            self._quelle(match)
        elif kind == "line":
            tokens = re.split(r"\s*[/,;]\s*", match.group()[1:-1])
            for token in tokens:
                outlet = directory.by_code.get(token.casefold(), directory.anywhere.get(token))
                if outlet is not None:
                    self.add(token, match.group(), outlet, None, True)
        elif kind == "domain":
            self._domain(match)
        elif kind == "name":
            if start and text[start - 1].isalnum() or end < len(text) and text[end].isalnum():
                return
            outlet = directory.anywhere.get(_clean(match.group()))
            if outlet is None:
                return
            credit = True
            if text[end:end + 1] == "-" and text[end + 1:end + 2].isalpha():
                compound = text[end + 1:end + 40].split(None, 1)[0].casefold()
                credit = compound.startswith(load_press_words().credit_compounds)
            elif _REGIONAL_BEFORE.search(text, max(0, start - 30), start):
                # `der Tiroler Tagesspiegel` is another paper than the Tagesspiegel: a mention
                # only; an attribution around it credits the whole name.
                credit = False
            self.add(match.group(), match.group(), outlet, None, credit)
        elif kind in ("fwd", "weak"):
            trigger_end = start + len(match.group().split()[0]) if kind == "weak" else end
            found = None
            if may_name_after(directory, text, trigger_end):
                found = resolve(directory, text[trigger_end:trigger_end + 160], STRONG if kind == "fwd" else WEAK)
            if found is not None:
                self.found_name(found, trigger_end, start)
            elif kind == "fwd" and match.group() in _verb_forms() and may_name_before(directory, text, start):
                backward = backward_verb(directory, text, start, match.group())
                if backward is not None:
                    found, snippet_start = backward
                    self.add(found.written, text[snippet_start:end], found.outlet, None, True)
        elif kind == "zufolge" and may_name_before(directory, text, start):
            backward = backward_zufolge(directory, text, start)
            if backward is not None:
                found, snippet_start = backward
                self.add(found.written, text[snippet_start:end], found.outlet, None, True)

    def _quelle(self, match: re.Match) -> None:
        content = match.group().strip("()").split(":", 1)[1]
        stop = re.search(r"\.\s|\n", content)
        content = content[: stop.start()] if stop else content
        for part in re.split(r"\s*(?:[,;/|•&]|\bund\b)\s*", content):
            part = part.strip(" *_." + QUOTES)
            if not part:
                continue
            domain = registered_domain(part) if "." in part else None
            known = self.directory
            outlet = known.by_code.get(part.casefold(), known.anywhere.get(part, known.in_context.get(part)))
            if domain:
                self.add(part, match.group(), known.by_domain.get(domain), domain, True)
            elif outlet is not None or press_name(part.split()):
                self.add(part, match.group(), outlet, None, True)

    def _domain(self, match: re.Match) -> None:
        text = self.text
        start, end = match.span()
        if start and (text[start - 1].isalnum() or text[start - 1] in "@.-/_") or end < len(text) and (
                text[end].isalnum() or text[end] == "@"):
            return
        host = match.group()
        domain = registered_domain(host)
        if domain is None:
            return
        press = load_press_words()
        trigger_before, trigger_after = _domain_triggers()
        written = host.split("://", 1)[-1]
        outlet = self.directory.by_domain.get(domain)
        name, suffix = domain.split(".", 1)
        institution = (suffix in press.institution_suffixes or suffix.startswith(_institution_suffix_starts())
                       or domain in press.institution_domains)
        before = text[max(0, start - 40):start]
        last = before.rstrip(" ")[-1:]
        marked_before = bool(last) and last in QUOTES + "*_"
        trigger = trigger_before.search(before) or trigger_after.match(text, closing(text, end))
        credit = not institution and bool(
            outlet is not None or marked_before or trigger or any(part in name for part in press.press_domain_parts)
        )
        snippet_start = start
        if trigger is not None and trigger.re is trigger_before:
            snippet_start = max(0, start - 40) + trigger.start()
        elif marked_before:
            snippet_start = start - (len(before) - len(before.rstrip("*_" + QUOTES)))
        self.add(written, text[snippet_start:closing(text, end)], outlet, domain, credit)


def scan_texts(texts: list[Any], directory: Directory | None = None) -> list[list[Mention]]:
    """The outlets each text names, in text order. RE2 (pyarrow) finds where a credit may
    start; Python reads each such place with the same pattern."""
    directory = directory or load_outlets()
    results: list[list[Mention]] = [[] for _ in texts]
    strings = [t if isinstance(t, str) and t else None for t in texts]
    if not any(strings):
        return results
    try:
        array = pa.array(strings, type=pa.large_string())
    except (pa.ArrowException, UnicodeError):
        # Lone surrogates (from JSON escapes) are not UTF-8: each becomes one `?`, so
        # positions stay the same.
        strings = [s.encode("utf-8", "replace").decode("utf-8") if s else s for s in strings]
        array = pa.array(strings, type=pa.large_string())
    scan = _scan_pattern(directory)
    pieces = pc.split_pattern_regex(array, pattern=scan.pattern)
    offsets = np.asarray(pieces.offsets, dtype=np.int64)
    lengths = np.asarray(pc.utf8_length(pieces.values).fill_null(0), dtype=np.int64)
    for row in np.nonzero(np.diff(offsets) > 1)[0].tolist():
        text = strings[row]
        collector = _Collector(directory, text)
        piece_lengths = lengths[offsets[row]:offsets[row + 1]].tolist()
        position = piece_lengths[0]
        for length in piece_lengths[1:]:
            match = scan.match(text, position)
            if match is None:  # the engines disagreed here: read the rest of this text with Python alone
                for match in scan.finditer(text, position):
                    collector.handle(match)
                break
            collector.handle(match)
            position = match.end() + length
        results[row] = collector.found
    return results
