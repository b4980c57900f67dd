"""The incident taxonomy: category ids, the labels aggregators write, and aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import RulesError
from auditor.text.labels import normalise_label
from auditor.yamldoc import load_validated, where


STRENGTHS = {"strong": 3.0, "medium": 2.0, "weak": 1.0}


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    fallback: bool = False
    incident: bool = True
    indicators: dict[str, tuple[str, ...]] = field(default_factory=dict)  # strength -> terms
    counter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    requires: tuple[str, ...] = ()  # any of these terms must be in the text, or the evidence counts less
    also_requires: tuple[str, ...] = ()  # and any of these too (a robbery: force or threat, and something taken)
    excludes: tuple[str, ...] = ()  # any of these terms in the text, and the evidence counts less


@dataclass(frozen=True)
class Taxonomy:
    source: Path
    categories: tuple[Category, ...]
    by_label: dict[str, Category] = field(repr=False)

    def lookup(self, written: str) -> Category | None:
        """The category a label or alias stands for, ignoring case and spacing."""
        return self.by_label.get(normalise_label(written))

    def known_labels(self) -> dict[str, str]:
        """Normalised label or alias -> the category's display label (for GX checks)."""
        return {written: category.label for written, category in self.by_label.items()}

    def fit_spec(self) -> dict:
        """What the category-fit check needs, as plain data (it travels inside the GX suite)."""
        return {
            "labels": {written: category.id for written, category in self.by_label.items()},
            "display": {category.id: category.label for category in self.categories},
            "fallback": next((category.id for category in self.categories if category.fallback), None),
            "topics": [category.id for category in self.categories if not category.incident],
            "lexicon": {
                category.id: {
                    "indicators": {STRENGTHS[name]: list(terms) for name, terms in category.indicators.items()},
                    "counter": {STRENGTHS[name]: list(terms) for name, terms in category.counter.items()},
                    "requires": list(category.requires),
                    "also_requires": list(category.also_requires),
                    "excludes": list(category.excludes),
                }
                for category in self.categories
            },
        }


def load_taxonomy(file: Path) -> Taxonomy:
    document = load_validated(file, "taxonomy")
    categories: list[Category] = []
    by_label: dict[str, Category] = {}
    named_by: dict[str, str] = {}  # normalised label -> how the first category names it ("label 'Brand'")
    first_id_at: dict[str, str] = {}
    for position, entry in enumerate(document["categories"]):
        category = Category(
            id=str(entry["id"]),
            label=str(entry["label"]),
            aliases=tuple(str(alias) for alias in entry.get("aliases", [])),
            description=str(entry.get("description", "")),
            fallback=bool(entry.get("fallback", False)),
            incident=bool(entry.get("incident", True)),
            indicators={name: tuple(map(str, terms)) for name, terms in (entry.get("indicators") or {}).items()},
            counter={name: tuple(map(str, terms)) for name, terms in (entry.get("counter") or {}).items()},
            requires=tuple(map(str, entry.get("requires") or ())),
            also_requires=tuple(map(str, entry.get("also_requires") or ())),
            excludes=tuple(map(str, entry.get("excludes") or ())),
        )
        at = where(file, document, ["categories", position, "id"])
        if category.id in first_id_at:
            raise RulesError(
                f"{at}: category id {category.id!r} appears twice (first at line {_line(first_id_at[category.id])}); "
                "category ids must be unique"
            )
        first_id_at[category.id] = at
        names = [("id", category.id, ["id"]), ("label", category.label, ["label"])]
        names += [("alias", alias, ["aliases", index]) for index, alias in enumerate(category.aliases)]
        for kind, written, path in names:
            key = normalise_label(written)
            other = by_label.get(key)
            if other is not None and other.id != category.id:
                ignored = "" if f"{written!r}" in named_by[key] else " (case, Unicode form and spacing are ignored)"
                raise RulesError(
                    f"{where(file, document, ['categories', position, *path])}: {kind} {written!r} of category "
                    f"{category.id!r} is already the {named_by[key]} of category {other.id!r}{ignored}; "
                    "a label must name one category"
                )
            by_label[key] = category
            named_by.setdefault(key, f"{kind} {written!r}")
        categories.append(category)
    return Taxonomy(source=file, categories=tuple(categories), by_label=by_label)


def _line(origin: str) -> str:
    return origin.rsplit(":", 1)[-1]
