"""Evidence in context: excerpts of an article's text with the words that matter marked.

Excerpts are plain text plus mark ranges (start, end, kind) into that text; the page
builds them with DOM text nodes and ``<mark>`` elements, so article text is never
parsed as HTML and highlighting cannot be used to smuggle markup in.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Iterable

EXCERPT_CHARS = 240
SNIPPET_CONTEXT = 110
MAX_MARKS = 40
MAX_WORDS_PER_KIND = 8


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def find_words(text: str, words: Iterable[str]) -> list[tuple[int, int, str]]:
    """Whole-word, case-insensitive occurrences of ``words`` in ``text`` as (start, end, word)."""
    if not text:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lowered; stay exact
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    spans: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for word in words:
        word = str(word)
        needle = word.lower()
        if not needle or needle in seen or len(needle) != len(word):
            continue
        seen.add(needle)
        start = lowered.find(needle)
        while start != -1:
            end = start + len(needle)
            if (start == 0 or not _is_word_char(text[start - 1])) and (end == len(text) or not _is_word_char(text[end])):
                spans.append((start, end, word))
            start = lowered.find(needle, end)
    return spans


def _snap_start(text: str, start: int) -> int:
    """Move an excerpt's start back to a sentence or word boundary nearby."""
    if start <= 0:
        return 0
    floor = max(0, start - 60)
    sentence = max(text.rfind(mark, floor, start) for mark in (". ", "! ", "? ", "\n"))
    if sentence != -1:
        return sentence + (1 if text[sentence] == "\n" else 2)
    space = text.rfind(" ", max(0, start - 25), start)
    return space + 1 if space != -1 else start


def _snap_end(text: str, end: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.find(" ", end, end + 25)
    return space if space != -1 else end


def _window(text: str, spans: list[tuple[int, int, int]], width: int, lead: int) -> tuple[int, int]:
    """The window of ``width`` characters that holds the most distinct marked words (spans sorted)."""
    words = [text[start:end].lower() for start, end, _ in spans]
    inside: dict[str, int] = {}
    best_count, best_left, right = 0, 0, 0
    for left in range(len(spans)):
        limit = spans[left][0] + width
        while right < len(spans) and spans[right][1] <= limit:
            inside[words[right]] = inside.get(words[right], 0) + 1
            right += 1
        if len(inside) > best_count:
            best_count, best_left = len(inside), left
        if right > left:  # slide: the left span leaves the window
            word = words[left]
            inside[word] -= 1
            if not inside[word]:
                del inside[word]
        else:
            right = left + 1
    first = spans[best_left][0]
    # Some context before the first marked word.
    start = max(0, first - lead)
    return start, min(len(text), start + width)


def excerpt(text: str, spans: list[tuple[int, int, int]], field: str, width: int = EXCERPT_CHARS,
            lead: int | None = None) -> dict[str, Any]:
    """An excerpt of ``text`` around ``spans`` (start, end, kind index), marks relative to it."""
    lead = width // 5 if lead is None else lead
    spans = sorted(spans)
    start, end = _window(text, spans, width, lead) if spans else (0, min(len(text), width))
    start, end = _snap_start(text, start), _snap_end(text, end)
    marks = []
    last_end = -1
    for s, e, kind in spans[bisect_left(spans, (start, -1, -1)):]:
        if s >= end or len(marks) >= MAX_MARKS:
            break
        if e <= end and s >= last_end:
            marks.append([s - start, e - start, kind])
            last_end = e
    found: dict[str, Any] = {"f": field, "t": text[start:end], "m": marks}
    if start > 0:
        found["pre"] = 1
    if end < len(text):
        found["post"] = 1
    return found


def evidence_groups(finding: dict[str, Any], kinds: dict[str, int]) -> list[dict[str, Any]]:
    """The finding's evidence as labelled word groups: ``for_suggested`` becomes "for Politik"."""
    evidence = finding.get("evidence")
    if not isinstance(evidence, dict):
        return []
    groups = []
    for key, words in evidence.items():
        if not isinstance(words, list):
            continue
        label = key.replace("_", " ")
        if key.startswith("for_") and isinstance(evidence.get(key[4:]), str):
            label = f"for {evidence[key[4:]]}"
        kind = kinds.setdefault(key, len(kinds))
        group = {"k": kind, "l": label, "w": [str(word) for word in words[:MAX_WORDS_PER_KIND]]}
        if len(words) > MAX_WORDS_PER_KIND:
            group["more"] = len(words) - MAX_WORDS_PER_KIND
        groups.append(group)
    return groups


def excerpts_for(finding: dict[str, Any], title: str | None, body: str | None,
                 groups: list[dict[str, Any]], kinds: dict[str, int]) -> list[dict[str, Any]]:
    """Excerpts that show a finding in its article: the evidence words in the title and the
    body's densest passage, or a leaked snippet where it sits."""
    found: list[dict[str, Any]] = []
    words = [(word, group["k"]) for group in groups for word in group["w"]]
    if words:
        for field, text in (("title", title), ("body", body)):
            if not isinstance(text, str) or not text:
                continue
            kind_of = {word: kind for word, kind in words}
            spans = [(s, e, kind_of[w]) for s, e, w in find_words(text, kind_of)]
            if spans:
                # The title is on the page already: its marks come without the text.
                found.append(excerpt(text, spans, field) if field == "body" else
                             {"f": field, "m": [[s, e, k] for s, e, k in _nonoverlapping(spans)]})
    snippet = finding.get("snippet")
    column = finding.get("column")
    if column == "body" and isinstance(body, str):
        text = body
    elif column == "title" and isinstance(title, str):
        text = title
    else:
        text = finding.get("value") if isinstance(finding.get("value"), str) else ""
    start, end = _located(finding, text, snippet)
    # A snippet that is the whole value needs no context (the value is shown already).
    if start is not None and text[start:end].strip() != text.strip():
        kind = kinds.setdefault("snippet", len(kinds))
        found = [item for item in found if item["f"] != column]
        found.append(excerpt(text, [(start, end, kind)], column or "value", width=2 * SNIPPET_CONTEXT + end - start,
                             lead=SNIPPET_CONTEXT))
    return found


def _located(finding: dict[str, Any], text: str, snippet: Any) -> tuple[int | None, int]:
    """Where the finding sits in its field's text: its span when it has one (exact, and
    right where a snippet occurs more than once), else the first place of its snippet."""
    span = finding.get("span")
    if isinstance(span, list) and len(span) == 2 and 0 <= span[0] < span[1] <= len(text):
        return int(span[0]), int(span[1])
    if not isinstance(snippet, str) or not snippet.strip():
        return None, 0
    needle = snippet[:-1] if snippet.endswith("…") else snippet
    position = text.find(needle) if needle else -1
    return (position, position + len(needle)) if position != -1 else (None, 0)


def _nonoverlapping(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    kept, last_end = [], -1
    for span in sorted(spans):
        if span[0] >= last_end:
            kept.append(span)
            last_end = span[1]
    return kept[:MAX_MARKS]
