"""Find markup that leaked into plain-text fields: HTML tags, entities, markdown."""

from __future__ import annotations

import re

import pandas as pd

from auditor.contracts import span_of

SNIPPET_LIMIT = 80

# Single `*` or `_` are left alone on purpose: German gender forms ("Bürger*innen")
# and names with underscores are ordinary text, while doubled markers almost never are.
_KINDS = {
    "html_tag": r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,500})?/?>",
    "html_entity": r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});",
    "markdown_link": r"!?\[[^\]\n]{1,200}\]\((?:https?://|www\.|/|#)[^)\s]{0,300}\)",
    "markdown_emphasis": r"\*\*[^*\n]{1,200}?\*\*|(?<!\w)__[^_\n]{1,200}?__(?!\w)",
    "markdown_heading": r"(?m:^#{1,6}[ \t]+\S[^\n]{0,60})",
}
_ANY_MARKUP = re.compile("(" + "|".join(f"(?:{pattern})" for pattern in _KINDS.values()) + ")", re.DOTALL)
_KIND_PATTERNS = {kind: re.compile(pattern, re.DOTALL) for kind, pattern in _KINDS.items()}

_KIND_LABELS = {
    "html_tag": "HTML tag",
    "html_entity": "HTML entity",
    "markdown_link": "markdown link",
    "markdown_emphasis": "markdown emphasis",
    "markdown_heading": "markdown heading",
}


def markup_kind(snippet: str) -> str:
    for kind, pattern in _KIND_PATTERNS.items():
        if pattern.fullmatch(snippet):
            return kind
    return "html_tag"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_LIMIT else text[: SNIPPET_LIMIT - 1] + "…"


# Every pattern above needs one of these; a substring test is far cheaper than the
# regex, and most article text contains none of them.
_TELLTALES = ("<", "&", "**", "__", "](", "#")


def _may_hold_markup(text: str) -> bool:
    return any(telltale in text for telltale in _TELLTALES)


def find_markup(values: pd.Series) -> pd.Series:
    """Per row: None when the text is free of markup, else a dict naming the first snippet."""
    text = values.astype(str)
    text = text[text.map(_may_hold_markup).astype(bool)]
    details = pd.Series(None, index=values.index, dtype=object)
    for index, value in text.items():
        matches = list(_ANY_MARKUP.finditer(value))
        if not matches:
            continue
        first = matches[0]
        snippet = first.group(0)
        kind = markup_kind(snippet)
        more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
        details[index] = {
            "message": f"{_KIND_LABELS[kind]} leaked into the text: {_shorten(snippet)!r}{more}",
            "snippet": _shorten(snippet),
            **span_of(value, first.start(), first.end()),
            "kind": kind,
            "count": len(matches),
        }
    return details
