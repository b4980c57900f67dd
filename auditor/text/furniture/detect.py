"""The check itself: a body's furniture blocks and other story, per body and per column.

Per body: units (:mod:`.units`), grouped into blocks (:mod:`.blocks`), the article parts
between them judged for another story (:mod:`.coherence`), and the findings written
(:mod:`.report`). Per column: the prefilter (:mod:`.prefilter`) first rules out the bodies
that cannot hold furniture, so only the others are split and matched.
"""

from __future__ import annotations

import pandas as pd

from auditor.text.furniture.blocks import Block, article_parts, assign_groups, furniture_blocks, parts_around_furniture
from auditor.text.furniture.coherence import MAX_SHARED, MAX_SHARED_CUED, MIN_STORY_WORDS, Story, other_story
from auditor.text.furniture.layout import PageParts, in_main_text, may_be_page, page_parts, teaser_texts
from auditor.text.furniture.repeats import batch_line_counts, shared_lines, sum_counts, template_lines
from auditor.text.furniture.patterns import load_furniture
from auditor.text.furniture.prefilter import furniture_possible
from auditor.text.furniture.report import block_part, body_detail, story_part
from auditor.text.furniture.spec import FurnitureSpec
from auditor.text.furniture.units import classified_units
from auditor.text.furniture.settings import FurnitureSettings


def analyse_body(body: str, spec: FurnitureSpec, coherence: bool = True, max_shared: float = MAX_SHARED,
                 max_shared_cued: float = MAX_SHARED_CUED, min_story_words: float = MIN_STORY_WORDS,
                 may_hold_furniture: bool = True, main_text: str | None = None,
                 repeated: list[tuple[int, int, int]] = ()) -> dict | None:
    """None when ``body`` is one article and nothing else; else what is wrong, one part per span.
    ``may_hold_furniture=False`` (the prefilter's verdict, see :func:`furniture_possible`)
    skips matching the lines and sentences against the patterns; the result is the same.
    ``main_text``: the page's main text as an extraction found it, the reference for which
    lines of a whole page pasted as the body are the article (see :mod:`.layout`).
    ``repeated``: (start, end, rows) of the body's lines that many rows of the batch repeat
    (see :mod:`.repeats`), furniture of the site's template."""
    if not isinstance(body, str) or not body.strip():
        return None
    paragraphs = "\n" in body.strip()
    page = None
    pageish = may_be_page(body, spec.layout)
    if may_hold_furniture or repeated or pageish:
        units = classified_units(body, spec, spec.contains_for(body))
        if repeated:
            _mark_repeated(units, repeated, spec)
        reference = main_text if isinstance(main_text, str) and main_text.strip() else None
        teasers = _mark_teasers(body, units, spec, reference) if pageish or reference else frozenset()
        assign_groups(units, spec)
        if pageish:
            # A teaser box inside the article is a finding of its own, but weighs for the
            # layout by its shape: it does not cut the article in two.
            furniture_lines = frozenset(unit.start for unit in units if unit.whole_line and unit.kind is not None
                                        and not spec.kinds[unit.kind].in_article and unit.line not in teasers)
            link_lines = frozenset(unit.start for unit in units if unit.whole_line and unit.kind is not None
                                   and spec.kinds[unit.kind].joins)
            matched_lines = frozenset(unit.start for unit in units if unit.whole_line and unit.group)
            page = page_parts(body, spec.layout, main_text if isinstance(main_text, str) else None,
                              furniture_lines, link_lines, matched_lines)
        if page is not None:
            _mark_page(units, page, spec)
        furniture = furniture_blocks(units)
    else:
        units, furniture = [], []
    found: list[tuple[int, dict]] = []  # (start, part)
    absorbed: set[int] = set()
    # A whole page's tail is furniture already; what is left is the article, too short a
    # text for telling its end from another story.
    if coherence and page is None:
        if may_hold_furniture:
            parts, furniture_between, masked = parts_around_furniture(body, units, furniture, paragraphs)
        else:  # every line and sentence is article text
            parts, furniture_between, masked = article_parts(body, paragraphs), set(), body
        story = other_story(masked, parts, furniture_between, paragraphs, max_shared, max_shared_cued,
                            min_story_words)
        if story is not None:
            absorbed = _absorb_teasers(body, story, furniture, spec)
            found.append((story.start, story_part(body, story, paragraphs)))
    for index, block in enumerate(furniture):
        if index not in absorbed and block.kinds:
            found.append((block.start, block_part(body, block, units, spec)))
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    return body_detail([part for _, part in found])


def _mark_repeated(units: list, repeated: list[tuple[int, int, int]], spec: FurnitureSpec) -> None:
    """Lines of the batch's template that no pattern names become furniture of their own kind."""
    for start, end, _ in repeated:
        for unit in units:
            if unit.kind is None and unit.start >= start and unit.end <= end:
                unit.kind = spec.repeat_kind


def _mark_teasers(body: str, units: list, spec: FurnitureSpec, main_text: str | None = None) -> frozenset[int]:
    """The title and summary of a teaser of another page (see :func:`.layout.teaser_texts`)
    become furniture of the teaser kind of the link text after them -- on a whole page, or
    in any body whose row has the page's ``main_text``, where a teaser's lines are those
    the extraction left out of it. Returns the line numbers of the teaser boxes, link
    lines included."""
    by_line: dict[int, list] = {}
    for unit in units:
        by_line.setdefault(unit.line, []).append(unit)
    lines = list(by_line.values())

    def link(line: list) -> bool:
        kind = line[0].kind
        return len(line) == 1 and kind is not None and (spec.kinds[kind].joins or spec.kinds[kind].group == "teaser")

    links = [link(line) for line in lines]
    if not any(links):
        return frozenset()
    texts = [" ".join(body[line[0].start:line[-1].end].split()) for line in lines]
    free = [all(unit.kind is None for unit in line) for line in lines]
    if main_text is not None:
        free = [is_free and not kept for is_free, kept in zip(free, in_main_text(texts, main_text))]
    boxes: set[int] = set()
    for index in teaser_texts(texts, links, free, spec.layout):
        after = next(position for position in range(index + 1, len(lines)) if links[position])
        group = spec.kinds[lines[after][0].kind].group
        kind = next((position for position, k in enumerate(spec.kinds) if k.group == group and not k.joins),
                    lines[after][0].kind)
        for unit in lines[index]:
            unit.kind = kind
        boxes.update((lines[index][0].line, lines[after][0].line))
    return frozenset(boxes)


def _mark_page(units: list, page: PageParts, spec: FurnitureSpec) -> None:
    """The units of the page's head and tail are furniture of their own group: one block each."""
    head_kind, gap_kind, tail_kind = spec.page_kinds
    spans = [(head_kind, page.head), *((gap_kind, gap) for gap in page.gaps), (tail_kind, page.tail)]
    for kind, span in spans:
        if span is None:
            continue
        start, end = span
        for unit in units:
            # What a pattern names keeps its own finding (a donation box inside the tail),
            # but a caption or credit after the story is a teaser's picture or the
            # footer's copyright line: part of the page, not of the story.
            story_caption = unit.kind is not None and spec.kinds[unit.kind].in_article and kind != tail_kind
            if unit.start >= start and unit.end <= end and (not unit.group or (
                    unit.kind is not None and spec.kinds[unit.kind].in_article and not story_caption)):
                unit.group = spec.kinds[kind].group
                unit.kind = kind


def _absorb_teasers(body: str, story: Story, furniture: list[Block], spec: FurnitureSpec) -> set[int]:
    """Teaser headings and link texts right around the other story belong to it: widen the
    story over them and return their indexes, so they make no finding of their own."""
    absorbed: set[int] = set()
    for index, block in enumerate(furniture):
        teaserish = all(spec.kinds[kind].joins or spec.kinds[kind].group == "teaser" for kind in block.kinds)
        gap_before = body[block.end:story.start]
        gap_after = body[story.end:block.start]
        if teaserish and ((block.end <= story.start and not gap_before.strip())
                          or (block.start >= story.end and not gap_after.strip())):
            absorbed.add(index)
            story.start, story.end = min(story.start, block.start), max(story.end, block.end)
    return absorbed


def batch_inputs(values: pd.Series, settings: FurnitureSettings = FurnitureSettings()) -> dict:
    """What :func:`find_furniture` needs of the whole batch, worked out once before the batch
    is cut into partitions: the counts of the lines more than one row holds (the batch
    step of :mod:`.repeats`; a few entries, as a story's lines are its own)."""
    spec = load_furniture(settings.patterns)
    return {"line_counts": shared_lines(batch_line_counts(values.tolist(), spec.repeats))}


def batch_input_part(values: pd.Series, settings: FurnitureSettings = FurnitureSettings()) -> pd.Series:
    """:func:`batch_inputs` for a batch read in pieces: one piece's line counts (all of them:
    a line one piece holds once may be held by another)."""
    return batch_line_counts(values.tolist(), load_furniture(settings.patterns).repeats)


def batch_inputs_from_parts(parts: list, settings: FurnitureSettings = FurnitureSettings()) -> dict:
    """What :func:`batch_inputs` gives on the whole column, from its pieces' counts."""
    return {"line_counts": shared_lines(sum_counts(parts))}


def find_furniture(values: pd.Series, settings: FurnitureSettings = FurnitureSettings(),
                   main_texts: pd.Series | None = None, line_counts: pd.Series | None = None) -> pd.Series:
    """Per row: None when the body is one article, else a dict with a ``message`` and one
    ``parts`` entry (message, snippet, span, lines, evidence) per furniture span or other
    story. The column is searched first for places where furniture can be
    (:func:`furniture_possible`); only bodies with such a place are split and matched.
    ``main_texts`` (same index): each row's main text from the extraction, where known.
    ``line_counts``: the batch's line counts (:func:`batch_inputs`, the batch step); without
    them they are counted over ``values``, which is the same when ``values`` is the batch."""
    spec = load_furniture(settings.patterns)
    bodies = values.tolist()
    possible = furniture_possible(bodies, spec)
    references = main_texts.reindex(values.index).tolist() if main_texts is not None else [None] * len(bodies)
    if line_counts is None:
        line_counts = batch_line_counts(bodies, spec.repeats)
    templates = template_lines(bodies, line_counts, spec.repeats)
    details = [analyse_body(body, spec, coherence=settings.coherence, max_shared=settings.max_shared,
                            max_shared_cued=settings.max_shared_cued, min_story_words=settings.min_story_words,
                            may_hold_furniture=flag, main_text=reference, repeated=templates.get(row, ()))
               for row, (body, flag, reference) in enumerate(zip(bodies, possible, references))]
    return pd.Series(details, index=values.index, dtype=object)
