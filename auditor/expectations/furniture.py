"""The body is one article: no page furniture, no glued-on teaser of another story.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints. The logic is the pure function
:func:`auditor.text.furniture.find_furniture`; the patterns are data
(``rules/furniture.yaml``).
"""

from __future__ import annotations

from typing import ClassVar, Optional

from great_expectations.compatibility.pydantic import validator

from auditor.errors import RulesError
from auditor.expectations.base import AuditorColumnMapExpectation, RowCheckMetric
from auditor.text.furniture import FurnitureSettings, batch_inputs, find_furniture, load_furniture
from auditor.text.furniture.detect import batch_input_part, batch_inputs_from_parts


class FreeOfFurnitureMetric(RowCheckMetric):
    check = find_furniture
    settings = FurnitureSettings
    # The repeated-lines signal needs the whole batch: the counts of the lines that more
    # than one row holds, worked out once before the partitions and handed to each.
    batch_input = batch_inputs
    batch_input_part = batch_input_part
    batch_input_merge = batch_inputs_from_parts

    @classmethod
    def extra_columns(cls, column: str, settings: FurnitureSettings) -> dict[str, str]:
        """Where the input has it, the reference column with the page's main text."""
        reference = settings.reference_column
        return {"main_texts": reference} if reference and reference != column else {}


class ExpectColumnValuesToBeFreeOfFurniture(AuditorColumnMapExpectation):
    """The body is one article, not the page around it.

    What it checks: every line of the body -- and, inside paragraphs, every sentence --
    is matched against the page-furniture patterns of `patterns` (default: the shipped
    `rules/furniture.yaml`, editable without code): donation appeals and their price
    buttons, comment-section notices, newsletter and social-media prompts, "you might
    also like" teasers and link texts, site footers, paywall, cookie and consent
    notices and navigation links. Image captions and picture credits belong to the
    story: they are info notes, never warnings. Furniture is judged by its shape -- a
    short line or sentence that addresses the reader or names the site's own functions
    -- so a sentence that mentions a price, a minister's comment or a tweet passes.
    Neighbouring lines of one kind form one finding, with its span. With `coherence`
    the body's end is also compared with what comes before it: a trailing run of
    paragraphs (or, in a body without line breaks, sentences) whose names and topic
    words are not found earlier in the article -- at most `max_shared` of their weight,
    `max_shared_cued` right after furniture or at a dateline, twice `max_shared` when it
    shares nothing with the lead -- is flagged as another story. Runs lighter than
    `min_story_words` are not judged.

    Why it matters: readers of the aggregator see a donation box of another site, a
    notice about comments they cannot write, or half of an unrelated story under the
    article; and every check that reads the text (category fit, cause, location) is
    misled by words that do not belong to the story. Each finding names its span, so the
    editor can cut it out.

    A whole web page pasted as the body is read by its layout: the article is where the
    prose is dense, the menus, bylines, tag lists, teasers, comments and footer around it
    are runs of short lines, each run one finding (the `layout` section of the patterns
    file). Where the row has the page's main text (`reference_column`, default
    `main_text`, as `auditor extract` writes it) the lines found in it are the article.
    Lines that many rows of the batch repeat -- at least `min_rows` rows, and `factor`
    times as many as hold the row's rarest line (the `repeats` section of the patterns
    file) -- are the site's template.

    Known problems: about 2 % of real articles end off-topic on their own; an
    unannounced trailing story is therefore only an info note. On a page, a list in the
    article's last lines (short items) may be taken for the page after it, unless the
    article announces it (a line ending with a colon); readers' comments are the page's.
    """

    metric: ClassVar[type] = FreeOfFurnitureMetric
    rule_id: ClassVar[str] = "body-without-furniture"

    @validator("patterns", always=True, allow_reuse=True)
    def _patterns_load(cls, value: Optional[str]) -> Optional[str]:
        """A broken furniture file fails when the rules are loaded, with its file and line."""
        try:
            load_furniture(value)
        except RulesError as error:
            raise ValueError(str(error)) from None
        return value
