"""Which language is a text written in? Offline detection with lingua's bundled models.

lingua reads the beginning of every text (all rows at once, in parallel), except where that
beginning is plainly prose of the expected language already: at least ``min_prose_words``
lower-case words, enough of them function words of the language (see below); that is most
rows of a German feed, and lingua was the costliest per-row check (1.4 s per 5,000 bodies).
A text it does not find in the expected language gets a second look at its prose, because a list of
results or a line-up is mostly names, numbers and abbreviations, whose letters say where
the players come from, not what language the text is in: "Lajović (SRB) - Veselý (CZE)
6:4, 3:6; Bedene gegen Rola am Freitag" looked Slovene to lingua with confidence 1.00. The
prose is the text's lower-case words (names, abbreviations and, in German, nouns are
capitalised; numbers have no letters), read from a longer stretch of the text:

- when enough of them are function words of the expected language
  (``auditor/data/function_words.yaml``: `gegen`, `am`, `und`, `nach`), the text is in that
  language: foreign names do not make a foreign text;
- else, when there are at least ``min_prose_words``, lingua judges the prose alone, and
  only a foreign verdict on it is reported;
- else the text is mostly names and numbers: an info note says the language could not be
  told, instead of a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from auditor.contracts import setting
from auditor.yamldoc import load_validated
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

# Letters only, so scores, times and ranks (`6:4`, `2:21,34`, `12.`) are no words; a word
# written with a capital (a name, an abbreviation, a German noun) is not prose.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# Languages an aggregator for German-speaking readers plausibly ingests; restricting the
# candidates keeps detection fast and avoids exotic guesses on short snippets.
DEFAULT_CANDIDATES = ("de", "en", "fr", "it", "es", "nl", "pl", "cs", "hu", "hr", "sl", "tr", "ru", "pt")


def _language(code: str) -> Language:
    return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


@lru_cache(maxsize=8)
def _detector(candidates: tuple[str, ...]):
    return LanguageDetectorBuilder.from_languages(*(_language(code) for code in candidates)).build()


@lru_cache(maxsize=1)
def _all_function_words() -> dict[str, frozenset[str]]:
    file = Path(str(resources.files("auditor.data").joinpath("function_words.yaml")))
    document = load_validated(file, "function_words")
    return {code: frozenset(words) for code, words in document["languages"].items()}


def function_words(language: str) -> frozenset[str]:
    """The function words of ``language`` (empty when the file lists none for it)."""
    return _all_function_words().get(language, frozenset())


def prose_words(text: str) -> list[str]:
    """The words of ``text`` written in lower case: what is left without names, numbers and
    abbreviations (and, in German, nouns)."""
    return [word for word in _WORD.findall(text) if word.islower()]


@dataclass(frozen=True)
class LanguageSettings:
    language: str = setting("de", doc="The language the text must be in (ISO 639-1 code).")
    candidates: list[str] | None = setting(
        None, doc="The languages told apart (default: those an aggregator for German-speaking readers meets).")
    sample_chars: int = setting(300, ge=20, doc="How much of the text's beginning is read.")
    min_chars: int = setting(80, ge=1, doc="Shorter texts get an info note instead of a verdict.")
    prose_chars: int = setting(
        1500, ge=20, doc="How much of a text found in another language is read again for its prose (lower-case words).")
    min_prose_words: int = setting(
        8, ge=1, doc="A text with fewer lower-case words (a list of names and numbers) gets an info note instead of a verdict.")
    function_word_share: float = setting(
        0.25, gt=0, le=1, doc="At least this share of the prose words (and two different ones) being function words of "
                              "the expected language makes the text that language.")


def find_wrong_language(values: pd.Series, settings: LanguageSettings = LanguageSettings()) -> pd.Series:
    """Per row: None when the text is in ``settings.language``; a dict naming the detected
    language otherwise; an info note when the text is too short to tell."""
    language, candidates = settings.language, settings.candidates
    sample_chars, min_chars = settings.sample_chars, settings.min_chars
    codes = tuple(sorted({language, *(candidates or DEFAULT_CANDIDATES)}))
    detector = _detector(codes)
    expected = _language(language)
    # The first few hundred characters decide: detection time grows with text length,
    # accuracy hardly does (100k bodies: 600 characters took 20 s, full texts ~150 s).
    samples = values.astype(str).str.slice(0, sample_chars)
    long_enough = samples.str.len() >= min_chars
    ours = function_words(language)
    plain = pd.Series([len(words) >= settings.min_prose_words and _expected_prose(words, ours, settings)
                       for words in map(prose_words, samples.tolist())], index=samples.index, dtype=bool)
    to_detect = long_enough & ~plain
    detected = detector.detect_languages_in_parallel_of(samples[to_detect].tolist())
    details: list[dict | None] = [None] * len(values)
    position = {index: row for row, index in enumerate(values.index)}
    doubtful = [index for index, found in zip(samples.index[to_detect], detected)
                if found is not None and found != expected]
    for index, detail in zip(doubtful, _second_look(values[doubtful].astype(str), detector, expected, settings)):
        details[position[index]] = detail
    for index in samples.index[~long_enough]:
        details[position[index]] = {
            "level": "info",
            "message": f"too short to tell the language ({len(samples[index])} characters; needs {min_chars})",
        }
    return pd.Series(details, index=values.index, dtype=object)


def _expected_prose(words: list[str], ours: frozenset[str], settings: LanguageSettings) -> bool:
    """Whether these prose words are the expected language's: enough of them (and two
    different ones) are its function words."""
    own = [word for word in words if word in ours]
    return bool(words) and len(set(own)) >= 2 and len(own) >= settings.function_word_share * len(words)


def _second_look(texts: pd.Series, detector, expected: Language, settings: LanguageSettings) -> list[dict | None]:
    """The verdict on texts whose beginning lingua found in another language, from their prose."""
    if texts.empty:
        return []
    ours = function_words(settings.language)
    prose = [prose_words(text) for text in texts.str.slice(0, settings.prose_chars)]
    verdicts: list[dict | None] = [None] * len(prose)
    to_detect = []
    for row, words in enumerate(prose):
        if _expected_prose(words, ours, settings):
            continue  # prose in the expected language between foreign names
        if len(words) < settings.min_prose_words:
            verdicts[row] = {
                "level": "info",
                "message": f"mostly names and numbers: too little prose to tell the language ({len(words)} lower-case "
                           f"words; needs {settings.min_prose_words})",
            }
            continue
        to_detect.append(row)
    texts_of_prose = [" ".join(prose[row]) for row in to_detect]
    for row, text, found in zip(to_detect, texts_of_prose, detector.detect_languages_in_parallel_of(texts_of_prose)):
        if found is None or found == expected:
            continue
        confidence = detector.compute_language_confidence(text, found)
        name = found.name.title()
        verdicts[row] = {
            "message": f"text is in {name} ({found.iso_code_639_1.name.lower()}, confidence {confidence:.2f}), "
                       f"expected {expected.name.title()} ({settings.language})",
            "score": round(float(confidence), 3),
            "evidence": {"detected": found.iso_code_639_1.name.lower(), "expected": settings.language},
        }
    return verdicts
