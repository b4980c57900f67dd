"""Does the end of the body tell another story? The topical-coherence check.

A trailing run of paragraphs (or, in a body without line breaks, sentences) that shares
(almost) no names or topic words with the text before it is another story glued to the
article: a teaser's title and lead, or half of the next article on the page. Words are
compared by stem (:func:`auditor.text.words.stem`), weighted (names and nouns count
double) and without the generic words of ``auditor/data/generic_words.yaml``.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from auditor.text.sentences import sentence_spans
from auditor.text.words import stem as stem_of
from auditor.yamldoc import load_validated

# Defaults calibrated by benchmarks/eval_furniture.py on real German news.
MAX_SHARED = 0.025  # share of the trailing run's word weight also found before it
MAX_SHARED_CUED = 0.2  # the same after page furniture or when the run opens with a dateline
LEAD_PARTS = 2  # the article's lead: its first parts (title and lead in a flat body)
# A run that shares nothing at all with the lead may share up to 2 x max_shared with the rest.
MIN_STORY_WORDS = 12  # weight of content words a trailing segment needs to be judged
MAX_TAIL_PARTS = 8  # longest trailing run considered (sentences or paragraphs)
STEM_LENGTH = 6

_WORD = re.compile(r"[^\W\d_][^\W\d_-]{2,}")
# A place and a dash open an agency story: "Wien – ", "Berlin (dpa) – ".
_DATELINE = re.compile(r"[A-ZÄÖÜ][\w.'/-]*(?:[ -][\w.'/-]+){0,3}(?: \([^()]{1,30}\))? [–—-] (?=[A-ZÄÖÜ„\"»«0-9])")
_WORD_INFO: dict[str, tuple[str, float] | None] = {}


@lru_cache(maxsize=1)
def generic_words() -> tuple[frozenset[str], frozenset[str]]:
    """The words of ``auditor/data/generic_words.yaml``, and the stems of those of five
    letters or more (a shorter word's stem would also be the start of too many others)."""
    file = Path(str(resources.files("auditor.data").joinpath("generic_words.yaml")))
    document = load_validated(file, "generic_words")
    words = frozenset(str(word) for group in document["words"].values() for word in group)
    return words, frozenset(stem_of(word, STEM_LENGTH) for word in words if len(word) >= 5)


def word_info(word: str) -> tuple[str, float] | None:
    """(stem, weight) of a content word, None for function words: capitalised words
    (names, nouns) weigh 2, others 1. Cached per distinct word."""
    info = _WORD_INFO.get(word, False)
    if info is False:
        generic, generic_stems = generic_words()
        lowered = word.lower()
        capital = word[0].isupper()
        stem = stem_of(word, STEM_LENGTH)
        is_generic = lowered in generic or stem in generic_stems or (len(word) < 4 and not capital)
        info = None if is_generic else (stem, 2.0 if capital else 1.0)
        if len(_WORD_INFO) < 1_000_000:
            _WORD_INFO[word] = info
    return info


def first_at_word_start(lowered: str, stem: str, before: int) -> int:
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
class Story:
    start: int
    end: int
    parts: int
    shared: list[str]
    story_words: list[str]
    article_words: list[str]
    cue: str | None


def other_story(body: str, parts: list[tuple[int, int]], furniture_between: set[int],
                paragraphs: bool, max_shared: float, max_shared_cued: float, min_words: float) -> Story | None:
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
    found: Story | None = None
    for k in range(count - 1, lowest - 1, -1):
        start = parts[k][0]
        if start < (length - start) * 0.8:
            break  # the trailing run is not shorter than what precedes it: which one is the article?
        while leaving and -leaving[0][0] >= start:
            stem = heapq.heappop(leaving)[1]
            shared_now.discard(stem)
            shared_weight -= tail[stem][0]
        # The part's content words (see word_info; its cache looked up here, one call less
        # per word), merged into the tail word by word: a stem keeps its heaviest weight and
        # the first form that had it, as when each part's words were summed up first.
        # A word again in the same part changes nothing: its stem is in the tail by then, as heavy.
        for word in dict.fromkeys(_WORD.findall(body, start, parts[k][1])):
            info = cached(word, False)
            if info is False:
                info = word_info(word)
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
                # (first_at_word_start, its usual first step written out: it runs per new stem.)
                seen = lowered.find(stem, 0, start + len(stem) - 1)
                if seen == -1:
                    seen = length
                elif seen > 0 and len(stem) < 5 and lowered[seen - 1].isalpha():
                    seen = first_at_word_start(lowered, stem, start)
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
        # The tail's stems first found before the part are those in shared_now (see above).
        shared = [(*tail[stem], stem) for stem in shared_now]
        cue = _cue(body, parts, k, furniture_between, paragraphs)
        apart_from_lead = k >= LEAD_PARTS and all(first_seen[stem] >= min(start, lead_end) for _, _, stem in shared)
        if share <= (max_shared_cued if cue else max_shared) or (apart_from_lead and share <= 2 * max_shared):
            found = Story(start, zone_end, count - k, [word for _, word, _ in sorted(shared, reverse=True)],
                          [], [], cue)
    if found is not None:
        shared_stems = {stem_of(word, STEM_LENGTH) for word in found.shared}
        found.story_words = [word for word in _top_words(body[found.start:found.end], 12)
                             if stem_of(word, STEM_LENGTH) not in shared_stems][:8]
        found.article_words = _top_words(body[: found.start])
    return found


def _top_words(text: str, limit: int = 8) -> list[str]:
    """The text's most frequent content words, names and nouns first."""
    counts: dict[str, list] = {}
    cached = _WORD_INFO.get
    # Each distinct word once, in the order of its first occurrence, with how often it occurs:
    # a stem's first word and the stems' order are those of the text.
    for word, occurrences in Counter(_WORD.findall(text)).items():
        info = cached(word, False)
        if info is False:
            info = word_info(word)
        if info is None or len(word) < 4:
            continue
        stem, weight = info  # the word's stem, and 2 for a capitalised word, else 1
        entry = counts.setdefault(stem, [0.0, word])
        entry[0] += weight * occurrences
    ranked = sorted(counts.values(), key=lambda entry: -entry[0])
    return [word for _, word in ranked[:limit]]

