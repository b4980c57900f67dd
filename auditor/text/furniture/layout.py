"""A whole web page pasted as the body: where the article is, and the page around it.

A scraper that keeps a page's visible text puts one line per block: the menus, the
breadcrumb trail and the title bar first, then the article -- paragraphs of prose, a few
headings and captions between them --, then the byline box, tag lists, "related
articles", comments and the footer. No pattern knows every site's menu, but the shape
tells: the article is where the prose is dense, the page around it is runs of short lines
(menu items, dates, names, titles of other stories) with a little prose between them.

Every line is weighed: a prose line (long, ending a sentence) gains its length, a short
line costs ``line_cost``, a stub -- a few words, like a menu item, a date or a name --
``stub_cost``, a line the patterns name as furniture ``furniture_cost`` (captions, marked
``in_article``, cost as short lines). The article is the run of lines with the highest
total (the maximum-sum segment), with further runs of at least ``min_article`` at most
``max_gap_lines`` away (a widget inside the article), the lead above it (a line of prose
or of ``lead_words`` words, bylines and credits between), the heading right before each
part and a short closing sentence after the last. Teasers (a title, a date, a sentence)
and comments (a name, a date, a reply link around each post) cost more in short lines
than their prose gains, so the article stops before them. What is left before the
article is the page's head, between its parts its gaps, after it its tail: each one
finding when it holds at least ``min_run`` lines that no pattern names and that are not
prose (otherwise the patterns' own findings, and the other-story check, say all there
is). Only bodies of at least ``min_lines`` lines are judged, and a body whose lines are
all article is no page (a long article in paragraphs).

A list or box the article's end announces -- its last line, or a short line right after
it, ends with a colon ("Pressekontakt:") -- is the article's, up to a line a pattern names
or a menu (:func:`announced_end`). A teaser of another page inside the article -- a title,
a summary and a link text ("mehr") -- is furniture of its own (:func:`teaser_texts`), but
weighs by its shape, so it does not cut the article in two.

When the row carries the extraction's ``main_text`` (the page's main text as an
extraction library found it), it is the reference instead: the runs of body lines found
in the main text are the article.

The limits are data: the ``layout`` section of ``rules/furniture.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"[^\n]+")
# A line is prose when it ends a sentence (closing quotes and brackets allowed), or holds
# two sentence ends after a word (not after a digit: "6. November 2023").
_LINE_END = re.compile(r"(?:[.!?…:;][\"“”»«')\]]*|\([\w/.,; -]{1,30}\))$")
_INNER_END = re.compile(r"[^\W\d_][.!?…][\"“”»«')\]]*\s+[\"„“«»(]?[A-ZÄÖÜ]")


@dataclass(frozen=True)
class LayoutLimits:
    """The ``layout`` section of a furniture file (see ``rules/furniture.yaml``)."""

    min_lines: int = 15
    prose_chars: int = 80
    stub_words: int = 4
    line_cost: float = 10.0
    stub_cost: float = 100.0
    furniture_cost: float = 300.0
    min_article: float = 400.0
    max_gap_lines: int = 12
    lead_words: int = 15
    max_leads: int = 3
    min_run: int = 3
    menu_words: int = 2
    head_label: str = "page header (menus, title bar) before the article"
    gap_label: str = "page furniture between the article's parts (widgets, link boxes)"
    tail_label: str = "page after the article (links, teasers, comments, footer)"


@dataclass(frozen=True)
class PageParts:
    """Offsets (start, end) into the body of the page around the article: ``head`` before
    it, ``gaps`` between its parts, ``tail`` after it (None or empty where there is none
    of at least ``min_run`` lines)."""

    head: tuple[int, int] | None
    gaps: tuple[tuple[int, int], ...]
    tail: tuple[int, int] | None


def may_be_page(body: str, limits: LayoutLimits) -> bool:
    """Cheap test before the lines are read: only bodies of enough lines are pages."""
    return isinstance(body, str) and body.count("\n") + 1 >= limits.min_lines


def line_weight(text: str, limits: LayoutLimits, furniture: bool = False) -> float:
    if furniture:
        return -limits.furniture_cost
    if len(text) >= limits.prose_chars and (_LINE_END.search(text) or len(_INNER_END.findall(text)) >= 2):
        return float(min(len(text), 1000))
    if len(text.split()) <= limits.stub_words:
        return -limits.stub_cost
    return -limits.line_cost


def page_parts(body: str, limits: LayoutLimits, main_text: str | None = None,
               furniture_lines: frozenset[int] = frozenset(), link_lines: frozenset[int] = frozenset(),
               matched_lines: frozenset[int] = frozenset()) -> PageParts | None:
    """The page around the article in a body that is a whole page; None for a body that
    is not one (fewer than ``min_lines`` lines, or no run of prose). ``furniture_lines``:
    the start offsets of the lines the patterns found to be furniture as a whole;
    ``link_lines`` those of link texts among them; ``matched_lines`` every line a pattern
    names (captions too). A head, gap or tail is the page's only when it holds at least
    ``min_run`` lines no pattern names and too short for prose: otherwise the patterns'
    findings (and the other-story check) say all there is."""
    if not may_be_page(body, limits):
        return None
    lines = [match.span() for match in _LINE.finditer(body) if match.group().strip()]
    if len(lines) < limits.min_lines:
        return None
    texts = [" ".join(body[start:end].split()) for start, end in lines]
    if main_text:
        weights = []
        segments = main_text_segments(in_main_text(texts, main_text))
    else:
        weights = [line_weight(text, limits, start in furniture_lines) for text, (start, _) in zip(texts, lines)]
        segments = article_segments(weights, limits.min_article, limits.max_gap_lines)
        if segments:
            links = frozenset(index for index, (start, _) in enumerate(lines) if start in link_lines)
            segments = with_lead_and_close(segments, texts, weights, limits, links)
    if not segments:
        return None

    def around(first: int, last: int) -> tuple[int, int] | None:
        unnamed = sum(1 for index in range(first, last + 1)
                      if lines[index][0] not in matched_lines and (main_text or weights[index] <= 0))
        return (lines[first][0], lines[last][1]) if unnamed >= limits.min_run else None

    head = around(0, segments[0][0] - 1)
    tail = around(segments[-1][1] + 1, len(lines) - 1)
    gaps = tuple(gap for (_, end), (start, _) in zip(segments, segments[1:])
                 if (gap := around(end + 1, start - 1)) is not None)
    if head is None and tail is None and not gaps:
        return None  # all article: a long article in paragraphs, not a page
    return PageParts(head, gaps, tail)


def best_segment(weights: list[float], first: int = 0, last: int | None = None) -> tuple[float, int, int] | None:
    """(sum, first, last index) of the run of ``weights[first:last + 1]`` with the highest
    sum (Kadane), None when no weight there is positive."""
    last = len(weights) - 1 if last is None else last
    best, best_range = 0.0, None
    total, start = 0.0, first
    for index in range(first, last + 1):
        weight = weights[index]
        if total <= 0:
            total, start = weight, index
        else:
            total += weight
        if total > best:
            best, best_range = total, (start, index)
    return (best, *best_range) if best_range else None


def article_segments(weights: list[float], min_article: float, max_gap: int) -> list[tuple[int, int]]:
    """The article's parts: the best run of lines, and next to it -- at most ``max_gap``
    lines away from a part already found -- the best runs left on either side, as long as
    each weighs at least ``min_article`` (in index order). A box of prose far from the
    article (a cookie notice above the menus, comments below the tag list) is no part."""
    best = best_segment(weights)
    if best is None:
        return []
    found = [(best[1], best[2])]
    while True:
        first, last = found[0][0], found[-1][1]
        before = best_segment(weights, max(0, first - 1 - max_gap - 200), first - 1) if first > 0 else None
        after = best_segment(weights, last + 1, min(len(weights) - 1, last + 1 + max_gap + 200)) if last + 1 < len(weights) else None
        added = False
        if before is not None and before[0] >= min_article and first - before[2] - 1 <= max_gap:
            found.insert(0, (before[1], before[2]))
            added = True
        if after is not None and after[0] >= min_article and after[1] - last - 1 <= max_gap:
            found.append((after[1], after[2]))
            added = True
        if not added:
            return found


def find_lead(first: int, texts: list[str], weights: list[float], limits: LayoutLimits,
              link_lines: frozenset[int]) -> tuple[int, int] | None:
    """The nearest line of prose (or of ``lead_words`` words) at most ``max_gap_lines`` above
    line ``first``, with the line above it when that is one too; None when there is none.
    A line followed by a link text ("weiterlesen") is a teaser of another page, no lead."""
    for index in range(first - 1, max(-1, first - 1 - limits.max_gap_lines), -1):
        if index + 1 in link_lines:
            continue
        if weights[index] > 0 or len(texts[index].split()) >= limits.lead_words:
            start = index
            if start > 0 and (weights[start - 1] > 0 or len(texts[start - 1].split()) >= limits.lead_words):
                start -= 1
            return start, index
    return None


def with_lead_and_close(segments: list[tuple[int, int]], texts: list[str], weights: list[float],
                        limits: LayoutLimits, link_lines: frozenset[int]) -> list[tuple[int, int]]:
    """The article's parts with what the weights miss at their edges: the lead (a line of
    prose, or of at least ``lead_words`` words, a few lines above the first part: bylines
    and picture credits between are page furniture), the heading right before each part,
    and a closing sentence too short to count as prose right after the last part."""
    for _ in range(limits.max_leads):
        lead = find_lead(segments[0][0], texts, weights, limits, link_lines)
        if lead is None:
            break
        segments = [lead, *segments]
    adopted = []
    for start, end in segments:
        if start > 0 and weights[start - 1] == -limits.line_cost and (not adopted or adopted[-1][1] < start - 1):
            start -= 1
        adopted.append((start, end))
    last = adopted[-1][1]
    if last + 1 < len(texts) and weights[last + 1] == -limits.line_cost and _LINE_END.search(texts[last + 1]):
        last += 1
    adopted[-1] = (adopted[-1][0], announced_end(last, texts, weights, limits, link_lines))
    return adopted


def announced_end(last: int, texts: list[str], weights: list[float], limits: LayoutLimits,
                  link_lines: frozenset[int]) -> int:
    """The article's last line once what its end announces is added: when the last line,
    or a short line right after it ("Pressekontakt:"), ends with a colon, the list or box
    that follows is the article's -- its lines up to the first one a pattern names (or a
    link text), or two stubs in a row (a menu), at most ``max_gap_lines`` -- if it holds
    a line longer than a stub (list items are; a tag list's are not)."""
    first = last + 1
    if first >= len(texts):
        return last
    if not texts[last].endswith(":"):
        if not (texts[first].endswith(":") and weights[first] > -limits.furniture_cost and first not in link_lines):
            return last
        first += 1
    end, longer = first - 1, False
    for index in range(first, min(len(texts), first + limits.max_gap_lines)):
        if weights[index] == -limits.furniture_cost or index in link_lines:
            break
        stub = weights[index] == -limits.stub_cost
        if index + 1 < len(texts) and len(texts[index].split()) <= limits.menu_words >= len(texts[index + 1].split()):
            break
        end, longer = index, longer or not stub
    return end if longer else last


def teaser_texts(texts: list[str], links: list[bool], free: list[bool], limits: LayoutLimits) -> list[int]:
    """The lines of the teasers of other pages: a title (a line or two too short for prose,
    not ending a sentence), a summary (a line ending a sentence) and a link text or teaser
    line after it ("mehr", "Lesen Sie diesen Artikel: ..."). ``links``: per line, is it a
    link text or teaser line; ``free``: per line, does no pattern name it. Indexes of the
    titles and summaries; the link lines are furniture already."""
    found: list[int] = []
    for index in range(2, len(texts)):
        summary = index - 1
        if not links[index] or not free[summary] or not _LINE_END.search(texts[summary]):
            continue
        titles = []
        for title in (summary - 1, summary - 2):
            text = texts[title] if title >= 0 else ""
            if (title < 0 or not free[title] or _LINE_END.search(text) or len(text) >= limits.prose_chars
                    or len(text.split()) < 2):
                break
            titles.append(title)
        if titles:
            found.extend([*titles, summary])
    return sorted(set(found))


def main_text_segments(found: list[bool]) -> list[tuple[int, int]]:
    """Runs of lines found in the main text (neighbouring runs with one line between joined)."""
    segments: list[tuple[int, int]] = []
    for index, inside in enumerate(found):
        if not inside:
            continue
        if segments and index - segments[-1][1] <= 2:
            segments[-1] = (segments[-1][0], index)
        else:
            segments.append((index, index))
    return segments


def in_main_text(texts: list[str], main_text: str) -> list[bool]:
    """Per body line: is it (white space collapsed, case folded) part of the main text?"""
    reference = " ".join(main_text.split()).casefold()
    return [bool(text) and text.casefold() in reference for text in texts]
