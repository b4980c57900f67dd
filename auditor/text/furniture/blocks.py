"""Neighbouring furniture units as one block per problem, and the article text between.

A donation box is a heading, a few price lines and a link text: one finding, not five.
Units of one group next to each other form a block; a link text ("Mehr erfahren") and a
short unclassified line ("Anderer", "1") take the group of the furniture next to them.
What is left is the article, in the parts the other-story check compares.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.text.furniture.spec import FurnitureSpec
from auditor.text.furniture.units import LINE, Unit
from auditor.text.sentences import sentence_spans


def assign_groups(units: list[Unit], spec: FurnitureSpec) -> None:
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
    # A caption is one line of the story: the short lines around it are not its box.
    captions = {kind.group for kind in spec.kinds if kind.in_article}
    for _ in range(3):  # glue lines may come in short runs ("Anderer", "1")
        for position, unit in enumerate(units):
            if not unit.glue or unit.group:
                continue
            after = units[position + 1] if position + 1 < len(units) else None
            before = units[position - 1] if position else None
            if after is not None and after.group and after.group not in captions:
                unit.group = after.group
            elif before is not None and before.group and before.group not in captions:
                unit.group = before.group


@dataclass
class Block:
    start: int
    end: int
    first: int  # index of the first unit
    last: int  # index of the last unit
    kinds: list[int]


def furniture_blocks(units: list[Unit]) -> list[Block]:
    found: list[Block] = []
    for position, unit in enumerate(units):
        if not unit.group:
            continue
        previous = found[-1] if found else None
        if previous is not None and previous.last == position - 1 and units[previous.first].group == unit.group:
            previous.end, previous.last = unit.end, position
        else:
            previous = Block(unit.start, unit.end, position, position, [])
            found.append(previous)
        if unit.kind is not None and unit.kind not in previous.kinds:
            previous.kinds.append(unit.kind)
    return found


def parts_around_furniture(body: str, units: list[Unit], blocks: list[Block],
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


def article_parts(body: str, paragraphs: bool) -> list[tuple[int, int]]:
    """The parts of a body without furniture, as :func:`parts_around_furniture` makes them
    from its units, without making units: the lines (a line's units are joined), or in a
    body without line breaks the sentences of its one line."""
    if "\n" not in body:  # one line (analyse_body has made sure it is not blank)
        return sentence_spans(body)
    lines = [line.span() for line in LINE.finditer(body) if line.group().strip()]
    if paragraphs:
        return lines
    [(start, end)] = lines
    return sentence_spans(body, start, end)
