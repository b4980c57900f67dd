"""What flows between the layers: a row's detail, a batch's verdict, a span of text.

``text/`` and ``batch/`` produce these, ``expectations/`` carries them through GX and
``findings`` turns them into results. This module imports nothing of the auditor, so any
layer may use it without reaching up the data path.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, TypedDict


class RowDetail(TypedDict, total=False):
    """What a per-row check says about one failing (or noted) row.

    A check returns ``None`` for a row that passes, else a dict with these keys (only
    ``message`` is required). ``span`` is ``[start, end]``: character offsets into the
    checked value, end exclusive; ``lines`` the first and last line (from 1) it covers.
    ``parts`` lists several separate problems of one value, each a detail of its own.
    ``confidence`` is how sure the check is that the value is wrong: a calibrated probability
    (0-1) that the rule's ``confidence`` levels turn into a severity.
    """

    message: str
    level: Literal["info"]
    snippet: str
    suggestion: str
    score: float
    confidence: float
    evidence: Any
    span: list[int]
    lines: list[int]
    parts: list["RowDetail"]


def passes(detail: Any) -> bool:
    """A row passes when its check returned nothing, or only an info note ("level": "info")."""
    return not isinstance(detail, dict) or detail.get("level") == "info"


class BatchVerdict(dict):
    """What a batch-level analysis returns: ``details`` (index -> problem, failing rows
    only), ``evaluated`` (rows it judged) and an optional ``note`` (e.g. why it skipped).
    Further keys (the story groups, say) travel on to the expectation's result."""


class SpilledParts:
    """A batch's features as its row partitions made them, kept on disk chunk by chunk (an
    audit in chunks): iterating reads them back one chunk at a time, each time, and
    ``rows_index`` is the batch's rows without reading them. What the batch checks' feature
    combiners accept besides a list of parts."""

    rows_index: Any  # pandas Index
    scratch: Any = None  # a folder (Path) where a check may keep temporary files

    def __iter__(self):  # pragma: no cover (the protocol)
        raise NotImplementedError


def parts_index(parts: Any) -> Any:
    """The rows of consecutive parts (each with an ``index``), in order."""
    if isinstance(parts, SpilledParts):
        return parts.rows_index
    import pandas as pd

    parts = list(parts)
    if not parts:
        return pd.Index([])
    return parts[0].index.append([part.index for part in parts[1:]])


def span_of(text: str, start: int, end: int) -> dict[str, list[int]]:
    """``{"span": [start, end], "lines": [first, last]}`` for ``text[start:end]``.

    Lines count from 1; a span ending right after a line break ends on the line before it.
    """
    first = text.count("\n", 0, start) + 1
    last = first + text.count("\n", start, max(start, end - 1))
    return {"span": [int(start), int(end)], "lines": [first, last]}


def setting(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, doc: str = "",
            **limits: Any) -> Any:
    """A check's parameter in its settings dataclass: default, bounds and meaning, declared once.

    ``limits`` are pydantic's (``ge``, ``le``, ``gt``, ``min_items``): the expectation built
    from the settings enforces them when the rules are loaded, with the rule's line. ``doc``
    is what ``auditor rules explain`` says of the option.
    """
    metadata = {**limits, "description": doc} if doc else limits
    return dataclasses.field(default=default, default_factory=factory, metadata=metadata)


def text_columns_setting() -> Any:
    return setting(factory=lambda: ["title", "body"], min_items=1,
                   doc="The columns of the text read: the title first (weighted more), then the body.")


@dataclasses.dataclass(frozen=True)
class TextSettings:
    """The settings of a check whose only parameter is the text it reads."""

    text_columns: list[str] = text_columns_setting()
