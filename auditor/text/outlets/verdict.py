"""Do the outlets a text credits and the domains of its sources value name the same outlets?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import pandas as pd

from auditor.text.domains import registered_domain, split_sources
from auditor.text.outlets.directory import Directory, derived_forms, load_outlets
from auditor.text.outlets.names import compact, domain_keys
from auditor.text.outlets.patterns import QUOTES, alternatives
from auditor.text.outlets.scan import Mention, scan_texts
from auditor.text.outlets.vocabulary import load_attribution_words


@dataclass(frozen=True)
class Source:
    token: str  # as written in `sources`: `www.heute.at`
    domain: str  # registered domain: `heute.at`
    outlet: int | None
    keys: frozenset[str]


@lru_cache(maxsize=65536)
def parse_sources(value: str, directory: Directory | None = None) -> tuple[Source, ...]:
    """The well-formed domains of a sources value, once each (malformed tokens are
    `sources-well-formed`'s business and are skipped here)."""
    directory = directory or load_outlets()
    seen: dict[str, Source] = {}
    for token in split_sources(value):
        domain = registered_domain(token)
        if domain and domain not in seen:
            seen[domain] = Source(token, domain, directory.by_domain.get(domain), domain_keys(domain))
    return tuple(seen.values())


def _same(mention: Mention, source: Source) -> bool:
    if mention.outlet is not None and mention.outlet == source.outlet:
        return True
    if mention.domain is not None and mention.domain == source.domain:
        return True
    return not mention.keys.isdisjoint(source.keys)


def _credits(mentions: list[Mention]) -> list[Mention]:
    """One credit per outlet, in text order, with the most telling snippet."""
    chosen: dict[Any, Mention] = {}
    for mention in mentions:
        if not mention.credit:
            continue
        identity = ("outlet", mention.outlet) if mention.outlet is not None else (
            ("domain", mention.domain) if mention.domain else ("name", min(mention.keys, default=mention.written)))
        current = chosen.get(identity)
        if current is None:
            chosen[identity] = mention
        elif len(mention.snippet) > len(current.snippet):
            chosen[identity] = Mention(current.written, mention.snippet, current.outlet, current.domain,
                                       current.keys, True)
    return list(chosen.values())


@lru_cache(maxsize=4)
def _lenient_patterns(directory: Directory) -> dict[int, re.Pattern]:
    """Per outlet: its names after an article or a mark (`die Krone`, `„Zeit“`)."""
    articles = alternatives(load_attribution_words().articles)
    patterns = {}
    for index, outlet in enumerate(directory.outlets):
        forms = sorted({form for name in outlet.names + outlet.context_names for form in derived_forms(name)},
                       key=len, reverse=True)
        if forms:
            names = "|".join(map(re.escape, forms))
            patterns[index] = re.compile(
                rf"(?:(?<![^\W\d_])(?i:{articles})\s+|[{QUOTES}*_]{{1,2}})(?:{names})(?![^\W\d_])"
            )
    return patterns


class _Lenient:
    """Looser evidence that the text names a source, asked only for sources no mention
    matched: a known outlet's name after an article or marked (`die Krone`, `„Zeit“`),
    or a long domain name written out anywhere (`Kleine Zeitung` for kleinezeitung.at)."""

    def __init__(self, directory: Directory, texts: list[str]):
        self.directory, self.texts, self._compact = directory, texts, None

    def names(self, source: Source) -> bool:
        if source.outlet is not None:
            pattern = _lenient_patterns(self.directory).get(source.outlet)
            if pattern is not None and any(pattern.search(text) for text in self.texts):
                return True
        long_keys = [key for key in source.keys if len(key) >= 7]
        if long_keys:
            if self._compact is None:
                self._compact = " ".join(compact(text) for text in self.texts)
            return any(key in self._compact for key in long_keys)
        return False


def _quoted(items: Iterable[str]) -> str:
    return ", ".join(repr(item) for item in items)


def _named(credits: list[Mention], directory: Directory) -> str:
    """`'dpa' (Deutsche Presse-Agentur), 'Kurier'`: the written form, and the outlet's name
    where the written form does not show it."""
    named = []
    for credit in credits:
        text = repr(credit.written)
        if credit.outlet is not None:
            name = directory.outlets[credit.outlet].name
            if credit.written.casefold() not in name.casefold():
                text += f" ({name})"
        named.append(text)
    return ", ".join(named)


def judge_row(sources: tuple[Source, ...], mentions: list[Mention], texts: list[str],
              directory: Directory) -> dict | None:
    credits = _credits(mentions)
    missing = [c for c in credits if not any(_same(c, s) for s in sources)]
    listed = [c for c in credits if c not in missing]
    lenient = _Lenient(directory, texts)
    unmatched = [s for s in sources if not any(_same(m, s) for m in mentions) and not lenient.names(s)]
    if not missing and not unmatched:
        return None
    parts = []
    if missing:
        them = "it" if len(missing) == 1 else "them"
        parts.append(f"the article credits {_named(missing, directory)} but sources does not list {them}")
    if unmatched:
        tokens = _quoted(s.token for s in unmatched)
        if credits:
            them = "it" if len(unmatched) == 1 else "them"
            parts.append(f"sources lists {tokens} but the article never credits {them}")
        else:
            parts.append(f"sources lists {tokens} but the article credits no outlet at all")
    return {
        "message": "; ".join(parts),
        "snippet": missing[0].snippet if missing else unmatched[0].token,
        "evidence": {
            "credited_not_in_sources": [c.written for c in missing],
            "sources_not_credited": [s.token for s in unmatched],
            "credited_and_in_sources": [c.written for c in listed],
        },
    }


def find_uncredited_sources(values: pd.Series, bodies: pd.Series, titles: pd.Series | None = None) -> pd.Series:
    """Per row: None when the outlets the text credits and the domains in `sources` match,
    else a dict naming the credited outlets missing from sources and the sources the text
    never credits.

    ``bodies`` and ``titles`` are aligned with ``values`` by index. When the text credits no
    outlet at all, every source is unmatched and the row fails: the article must say whose
    reporting it rewrites, or sources is wrong. Rows without any text get an info note;
    sources without a single well-formed domain are left to `sources-well-formed`."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    directory = load_outlets()
    bodies = bodies.reindex(values.index).tolist()
    titles = titles.reindex(values.index).tolist() if titles is not None else [None] * len(bodies)
    body_mentions = scan_texts(bodies, directory)
    title_mentions = scan_texts(titles, directory)
    details: list[dict | None] = []
    for value, title, body, in_title, in_body in zip(values.tolist(), titles, bodies, title_mentions, body_mentions):
        sources = parse_sources(str(value), directory)
        texts = [t for t in (title, body) if isinstance(t, str) and t.strip()]
        if not sources:
            details.append(None)
        elif not texts:
            details.append({"level": "info", "message": "no article text to match the sources against"})
        else:
            details.append(judge_row(sources, in_title + in_body, texts, directory))
    return pd.Series(details, index=values.index, dtype=object)


def judge_credited_outlets(values: pd.Series, analysis: Any) -> pd.Series:
    """:func:`find_uncredited_sources` for the rows of ``values``, on the titles and bodies of
    a text analysis (``auditor.text.analysis.TextAnalysis``), as the row check reads them."""
    rows = analysis.rows(values.index)
    bodies = pd.Series(analysis.texts.iloc[rows].to_numpy(), index=values.index, dtype=object)
    titles = pd.Series(analysis.titles.iloc[rows].to_numpy(), index=values.index, dtype=object)
    return find_uncredited_sources(values, bodies, titles)
