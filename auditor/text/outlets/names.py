"""Outlets' names: the keys names and domains are compared by, and whether words that no
outlets-file entry knows form an outlet's name (`Rheinischen Post`, `Radio Wien`)."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product

from auditor.text.outlets.patterns import capitalised
from auditor.text.outlets.vocabulary import load_attribution_words, load_press_words
from auditor.text.words import normalise

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def compact(text: str) -> str:
    """`Berliner Zeitung`, `berliner-zeitung`, `BERLINER ZEITUNG` -> `berlinerzeitung`."""
    return _NON_ALNUM.sub("", normalise(text))


@lru_cache(maxsize=1)
def article_forms() -> frozenset[str]:
    """The definite articles, also capitalised as at a sentence start."""
    articles = load_attribution_words().articles
    return articles | frozenset(map(capitalised, articles))


def _word_stems(word: str) -> set[str]:
    stems = {word}
    if len(word) > 4:
        if word.endswith("es"):
            stems.add(word[:-2])
        if word.endswith(("n", "s")):
            stems.add(word[:-1])
    return stems


@lru_cache(maxsize=65536)
def name_keys(written: str) -> frozenset[str]:
    """Keys a credited name is compared by: compacted, German endings stripped, initials."""
    words = written.split()
    if len(words) > 1 and words[0] in article_forms():
        words = words[1:]
    if not words:
        return frozenset()
    keys = {compact(" ".join(combination)) for combination in product(*(_word_stems(w) for w in words[:4]))}
    capitals = [w for w in words if w[:1].isupper()]
    if len(capitals) >= 2:
        keys.add(compact("".join(w[0] for w in capitals)))
    return frozenset(key for key in keys if key)


def domain_keys(domain: str) -> frozenset[str]:
    """`berliner-zeitung.de` -> {berlinerzeitung}; `derstandard.at` -> {derstandard, standard}."""
    words = load_press_words()
    part = compact(domain.split(".", 1)[0])
    keys = {part}
    for prefix in words.domain_name_prefixes:
        if part.startswith(prefix) and len(part) > len(prefix) + 2:
            keys.add(part[len(prefix):])
    for suffix in words.domain_name_suffixes:
        if part.endswith(suffix) and len(part) > len(suffix) + 1:
            keys.add(part[: -len(suffix)])
    return frozenset(keys)


@lru_cache(maxsize=65536)
def press_stem(word: str) -> bool:
    """Does the word end like an outlet's name (`Zeitung`, `Morgenblatt`, `Boten`, `Kuriers`)?"""
    endings = load_press_words().press_endings
    word = word.casefold()
    if word.endswith(endings):
        return True
    if len(word) > 4 and word[-1] in "ns" and word[:-1].endswith(endings):
        return True
    return word.endswith("es") and word[:-2].endswith(endings)


@lru_cache(maxsize=1)
def _not_press_keys() -> frozenset[str]:
    return frozenset(map(compact, load_press_words().not_press_names))


def press_name(words: list[str]) -> bool:
    """An unknown outlet's name: capitalised words, or the parts of a hyphenated word, that
    end in a press word (`Rheinischen Post`, `Linzer Morgenblatt`, `Traunviertel-Boten`), or
    a word that starts names and a name (`Radio Wien`). A single word (`Boulevardpresse`)
    is no name."""
    if not words or len(words) > 4:
        return False
    parts = [part for word in words for part in word.split("-") if part]
    if len(parts) < 2 or not all(part[:1].isupper() or part[:1].isdigit() for part in parts):
        return False
    press = load_press_words()
    if words[0] in press.descriptors or words[0] in article_forms() or parts[0].casefold() in press.generic_modifiers:
        return False
    if not (press_stem(parts[-1]) or words[0] in press.press_name_starts):
        return False
    return not (name_keys(" ".join(words)) & _not_press_keys())
