"""Parse the `sources` field into outlet domains, with the public suffix list."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import pandas as pd
import tldextract

_TAG = re.compile(r"<[^<>]*>")
# Aggregators separate sources with commas, semicolons, bullets, pipes or line breaks.
_SEPARATORS = re.compile(r"[,;|•·\n\r\t]+|\s+")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:(?!-)[\w-]{1,63}(?<!-)\.)+[^\W\d_][\w-]*$")


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # The bundled suffix list only: no download at run time, no cache under $HOME.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def split_sources(value: str) -> list[str]:
    """The tokens of a sources value, with leaked tags removed (those are `no-markup`'s finding)."""
    without_tags = _TAG.sub(" ", value)
    return [token.strip(" .\"'()[]") for token in _SEPARATORS.split(without_tags) if token.strip(" .\"'()[]")]


def hostname_of(token: str) -> str:
    if "://" in token:
        return (urlsplit(token).hostname or "").lower()
    return token.split("/", 1)[0].lower()


@lru_cache(maxsize=65536)
def registered_domain(token: str) -> str | None:
    """`www.heute.at` -> `heute.at`; None when the token is not a well-formed domain or URL."""
    host = hostname_of(token)
    if not _HOSTNAME.match(host):
        return None
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return None
    return f"{parts.domain}.{parts.suffix}"


def find_malformed_sources(values: pd.Series) -> pd.Series:
    """Per row: None when every source is a well-formed domain, else a dict naming the bad ones."""
    def check(value: str):
        tokens = split_sources(str(value))
        if not tokens:
            return {"message": "sources holds no domain at all", "snippet": str(value)[:80]}
        bad = [token for token in tokens if registered_domain(token) is None]
        if not bad:
            return None
        listed = ", ".join(repr(token) for token in bad[:5])
        return {
            "message": f"not a well-formed outlet domain: {listed}",
            "snippet": bad[0][:80],
            "malformed": bad,
        }

    return values.map(check).astype(object)
