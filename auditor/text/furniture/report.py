"""What a finding says: the message, snippet, span and evidence of each furniture block
and other story, and the one detail of a body that has several.
"""

from __future__ import annotations

from typing import Any

from auditor.contracts import span_of
from auditor.text.furniture.blocks import Block
from auditor.text.furniture.coherence import Story
from auditor.text.furniture.spec import FurnitureSpec
from auditor.text.furniture.units import Unit

SNIPPET_LIMIT = 200
QUOTE_LIMIT = 60


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return _shorten(" ".join(text.split()), QUOTE_LIMIT)


def story_part(body: str, story: Story, paragraphs: bool) -> dict:
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
    return {
        "message": message,
        "snippet": _shorten(body[story.start:story.end], SNIPPET_LIMIT),
        **span_of(body, story.start, story.end),
        "evidence": evidence,
        **({} if story.cue else {"level": "info"}),
    }


def block_part(body: str, block: Block, units: list[Unit], spec: FurnitureSpec) -> dict:
    kinds = sorted(block.kinds)
    # A page's head or tail names the block, whatever patterns matched inside it.
    main = spec.kinds[kinds[-1]] if spec.page_kinds and kinds[-1] in spec.page_kinds else spec.kinds[kinds[0]]
    # The message quotes the block's first furniture unit, not a glue line before it.
    first = next(units[i] for i in range(block.first, block.last + 1) if units[i].kind in block.kinds)
    lines = len({units[i].line for i in range(block.first, block.last + 1)})
    size = f" ({lines} lines)" if lines > 1 else ""
    # Captions and picture credits belong to the story they illustrate: worth a look (a
    # credit line an aggregator may not want to republish), never a warning.
    note = all(spec.kinds[kind].in_article for kind in kinds)
    return {
        "message": f"{main.label} in the body: {_quote(body[first.start:first.end])!r}{size}",
        "snippet": _shorten(body[block.start:block.end], SNIPPET_LIMIT),
        **span_of(body, block.start, block.end),
        "evidence": {"kind": [spec.kinds[kind].name for kind in kinds]},
        **({"level": "info"} if note else {}),
    }


def body_detail(parts: list[dict]) -> dict:
    """The detail of a body with these parts (in body order): the part itself when it is
    the only one, else a message naming them all."""
    if len(parts) == 1:
        return {**parts[0], "parts": parts}
    notes_only = {"level": "info"} if all(part.get("level") == "info" for part in parts) else {}
    labels = []
    for part in parts:
        label = "another story" if "other_story" in part["evidence"]["kind"] else part["message"].split(" in the body")[0]
        if label not in labels:
            labels.append(label)
    return {
        "message": f"the body carries {len(parts)} pieces of page furniture: {', '.join(labels)}",
        "parts": parts,
        "evidence": {"kind": sorted({kind for part in parts for kind in part["evidence"]["kind"]})},
        **notes_only,
    }
