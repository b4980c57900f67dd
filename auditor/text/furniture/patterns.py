"""Reading a furniture patterns file (``rules/furniture.yaml``) into a :class:`FurnitureSpec`.

The file is data written by people: its structure is checked by
``auditor/schemas/furniture.schema.json``, and what a schema cannot say (a regex that does
not compile, matches empty text or anchors itself) comes back here as a
:class:`RulesError` naming the file and line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.errors import RulesError
from auditor.resources import default_rules_dir
from auditor.text.furniture.layout import LayoutLimits
from auditor.text.furniture.pattern_shape import required_literals
from auditor.text.furniture.repeats import RepeatLimits
from auditor.text.furniture.spec import ContainsEntry, FurnitureSpec, Kind, anchored_index
from auditor.yamldoc import load_validated, where

DEFAULT_PATTERNS = default_rules_dir() / "furniture.yaml"
MODES = ("whole", "starts", "contains")
PAGE_KINDS = ("page_head", "page_gap", "page_tail")  # found by the layout (see .layout), not by patterns
REPEAT_KIND = "repeated"  # found across the batch (see .repeats)


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
    contains: list[ContainsEntry] = []
    anchored: list[tuple[int, str, str, bool]] = []
    for index, (name, entry) in enumerate(document["kinds"].items()):
        at = where(file, document, ["kinds", name])
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise RulesError(f"{at}: kinds: kind name {str(name)!r} is not valid (lower-case letters, digits and '_', e.g. 'donation')")
        if name in (*PAGE_KINDS, REPEAT_KIND):
            raise RulesError(f"{at}: kinds: {name!r} is the name of a finding the check makes itself ({', '.join((*PAGE_KINDS, REPEAT_KIND))}); name the kind otherwise")
        if not any(entry.get(mode) for mode in MODES):
            raise RulesError(f"{at}: kinds.{name}: no patterns; give at least one of whole, starts, contains")
        line_only = entry.get("scope") == "line"
        kinds.append(Kind(str(name), str(entry["label"]), str(entry.get("group") or name), bool(entry.get("joins")),
                          line_only, bool(entry.get("in_article"))))
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
    layout = LayoutLimits(**(document.get("layout") or {}))
    page_kinds = (len(kinds), len(kinds) + 1, len(kinds) + 2)
    for name, label in zip(PAGE_KINDS, (layout.head_label, layout.gap_label, layout.tail_label)):
        kinds.append(Kind(name, label, name, False, True))
    repeats = RepeatLimits(**(document.get("repeats") or {}))
    repeat_kind = len(kinds)
    kinds.append(Kind(REPEAT_KIND, repeats.label, REPEAT_KIND, False, True))
    return FurnitureSpec(
        source=file,
        kinds=tuple(kinds),
        max_line_chars=int(document.get("max_line_chars", 320)),
        line_anchored=anchored_index(line_entries),
        sentence_anchored=anchored_index(sentence_entries),
        contains=tuple(contains),
        anchored=tuple(anchored),
        layout=layout,
        page_kinds=page_kinds,
        repeats=repeats,
        repeat_kind=repeat_kind,
    )


def _compile(file: Path, document: Any, path: list, pattern: str) -> re.Pattern:
    at = where(file, document, path)
    label = ".".join(str(part) for part in path[:-1]) + f"[{path[-1]}]"
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise RulesError(f"{at}: {label}: {pattern!r} is not a valid regular expression ({error})") from None
    if compiled.fullmatch("") is not None or (path[-2] == "contains" and compiled.search(" ") is not None):
        raise RulesError(f"{at}: {label}: {pattern!r} matches empty text, so it would flag every line")
    # The combined regexes name a group per kind (see spec.combined_regex): a pattern's own
    # named group would clash with those.
    if compiled.groupindex:
        raise RulesError(f"{at}: {label}: {pattern!r} has a named group; use plain groups (…) or (?:…)")
    if "^" in pattern.replace("[^", "") or pattern.rstrip().endswith("$"):
        raise RulesError(f"{at}: {label}: {pattern!r} uses ^ or $; the mode (whole, starts, contains) anchors it")
    return compiled
