"""The words outlets' names and attributions are made of, read from data files.

``auditor/data/press_words.yaml`` says what an outlet's name looks like,
``auditor/data/attribution_words.yaml`` how German news texts attribute a report to an
outlet. They are data, not code, so that whoever tunes the check edits word lists; each is
checked against its schema in ``auditor/schemas/`` when first used, so a mistake comes back
as a RulesError naming the file and line instead of a credit silently missed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path

from auditor.yamldoc import load_validated

# Most lists are looked up by membership; those matched as starts or endings of words stay
# tuples, which is what str.startswith and str.endswith take.
WordSet = frozenset[str]
Words = tuple[str, ...]


@dataclass(frozen=True)
class PressWords:
    """``press_words.yaml``, one field per key (see the file for what each list is for)."""

    descriptors: WordSet
    press_endings: Words
    press_name_starts: WordSet
    generic_modifiers: WordSet
    not_press_names: WordSet
    credit_compounds: Words
    institution_suffixes: WordSet
    institution_suffix_starts: Words
    institution_domains: WordSet
    press_domain_parts: Words
    domain_name_prefixes: Words
    domain_name_suffixes: Words


@dataclass(frozen=True)
class AttributionWords:
    """``attribution_words.yaml``, one field per key (see the file for what each list is for)."""

    articles: WordSet
    pronouns: WordSet
    credit_words: WordSet
    nach_nouns: WordSet
    report_verbs: WordSet
    quote_verbs: WordSet
    weak_credit_words: WordSet
    weak_credit_articles: WordSet
    credit_words_after: WordSet
    report_articles: WordSet
    report_nouns: WordSet
    report_links: WordSet
    lead_adverbs: WordSet
    indefinite_articles: WordSet
    quick_test_words: WordSet
    domain_credit_words: WordSet
    domain_credit_word_starts: Words
    domain_site_words: WordSet
    domain_credit_words_after: Words
    photo_labels: WordSet
    source_labels: WordSet


def data_file(name: str) -> Path:
    return Path(str(resources.files("auditor.data").joinpath(name)))


def _load(kind: type, file: Path, schema_name: str):
    # The schema requires every key and allows no other, so the keys are the fields.
    document = load_validated(file, schema_name)
    values = {}
    for field in fields(kind):
        collect = frozenset if field.type == "WordSet" else tuple
        values[field.name] = collect(map(str, document[field.name]))
    return kind(**values)


@lru_cache(maxsize=4)
def load_press_words(path: Path | None = None) -> PressWords:
    file = Path(path) if path is not None else data_file("press_words.yaml")
    return _load(PressWords, file, "press_words")


@lru_cache(maxsize=4)
def load_attribution_words(path: Path | None = None) -> AttributionWords:
    file = Path(path) if path is not None else data_file("attribution_words.yaml")
    return _load(AttributionWords, file, "attribution_words")
