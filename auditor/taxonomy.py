"""The incident taxonomy: category ids, the labels aggregators write, and aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import RulesError
from auditor.text.labels import normalise_label
from auditor.yamldoc import load_validated, where


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    fallback: bool = False


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


def load_taxonomy(file: Path) -> Taxonomy:
    document = load_validated(file, "taxonomy")
    categories: list[Category] = []
    by_label: dict[str, Category] = {}
    seen_ids: set[str] = set()
    for position, entry in enumerate(document["categories"]):
        category = Category(
            id=str(entry["id"]),
            label=str(entry["label"]),
            aliases=tuple(str(alias) for alias in entry.get("aliases", [])),
            description=str(entry.get("description", "")),
            fallback=bool(entry.get("fallback", False)),
        )
        if category.id in seen_ids:
            raise RulesError(f"{where(file, document, ['categories', position, 'id'])}: category id {category.id!r} appears twice")
        seen_ids.add(category.id)
        for written in (category.id, category.label, *category.aliases):
            key = normalise_label(written)
            other = by_label.get(key)
            if other is not None and other.id != category.id:
                raise RulesError(
                    f"{where(file, document, ['categories', position])}: label {written!r} of {category.id!r} "
                    f"is already a label of {other.id!r}; a label must name one category"
                )
            by_label[key] = category
        categories.append(category)
    return Taxonomy(source=file, categories=tuple(categories), by_label=by_label)
