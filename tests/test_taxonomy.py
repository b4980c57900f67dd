"""Tests for the incident taxonomy: the shipped categories, label lookup, and broken taxonomy files."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from auditor.errors import RulesError
from auditor.rules import DEFAULT_RULES_DIR
from auditor.taxonomy import load_taxonomy

SHIPPED = DEFAULT_RULES_DIR / "taxonomy.yaml"
DEFAULT_IDS = [
    "terrorismus", "krieg", "politik", "verkehrsunfall", "unfall", "brand", "toetung", "gewalt", "raub",
    "diebstahl", "betrug", "drogen", "cyber", "naturkatastrophe", "protest", "gesundheit", "sonstiges",
]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(SHIPPED)


def test_shipped_taxonomy_has_the_default_categories(taxonomy):
    assert [category.id for category in taxonomy.categories] == DEFAULT_IDS
    assert all(category.label and category.description for category in taxonomy.categories)
    assert [category.id for category in taxonomy.categories if category.fallback] == ["sonstiges"]


@pytest.mark.parametrize(("written", "expected"), [
    ("Terrorismus", "terrorismus"),
    ("terror", "terrorismus"),
    ("TERRORANSCHLAG", "terrorismus"),
    ("DIPLOMATIE", "politik"),
    ("diplomatie", "politik"),
    ("Tötungsdelikt", "toetung"),
    ("tötungsdelikt", "toetung"),
    ("TÖTUNGSDELIKT", "toetung"),
    (unicodedata.normalize("NFD", "Tötungsdelikt"), "toetung"),  # o + combining diaeresis
    (unicodedata.normalize("NFD", "Überfall"), "raub"),
    ("Außenpolitik", "politik"),
    ("  kein   Vorfall ", "sonstiges"),  # spacing is ignored
    ("Körperverletzung", "gewalt"),
    ("toetung", "toetung"),  # the id itself is known too
    ("Demonstration", "protest"),
])
def test_lookup_ignores_case_unicode_form_and_spacing(taxonomy, written, expected):
    assert taxonomy.lookup(written).id == expected


@pytest.mark.parametrize("written", ["Terorismus", "Allgemein", "", "Toetungsdelikt", "Tötungs delikt"])
def test_lookup_of_unknown_labels(taxonomy, written):
    assert taxonomy.lookup(written) is None


def test_known_labels_map_every_alias_to_the_display_label(taxonomy):
    known = taxonomy.known_labels()
    assert known["terror"] == "Terrorismus"
    assert known["tötungsdelikt"] == "Tötungsdelikt"
    assert known["überfall"] == "Raub"
    assert all(key == key.casefold() and unicodedata.is_normalized("NFC", key) for key in known)


def broken(tmp_path: Path, text: str) -> tuple[Path, str]:
    file = tmp_path / "taxonomy.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_taxonomy(file)
    message = str(caught.value)
    assert "\n" not in message, message
    return file, message


def test_duplicate_id(tmp_path):
    file, message = broken(tmp_path, """\
categories:
  - id: brand
    label: Brand
  - id: raub
    label: Raub
  - id: brand
    label: Feuer
""")
    assert message == f"{file}:6: category id 'brand' appears twice (first at line 2); category ids must be unique"


def test_label_of_two_categories_differing_only_in_case(tmp_path):
    file, message = broken(tmp_path, """\
categories:
  - id: brand
    label: Feuer
  - id: explosion
    label: FEUER
""")
    assert message.startswith(
        f"{file}:5: label 'FEUER' of category 'explosion' is already the label 'Feuer' of category 'brand' (case,"
    )
    assert message.endswith("a label must name one category")


def test_alias_shared_with_another_category_points_at_the_alias(tmp_path):
    file, message = broken(tmp_path, """\
categories:
  - id: brand
    label: Brand
    aliases: [Feuer]
  - id: explosion
    label: Explosion
    aliases:
      - Detonation
      - feuer
""")
    assert message.startswith(f"{file}:9: alias 'feuer' of category 'explosion' is already the alias 'Feuer' of category 'brand'")


def test_label_shared_in_another_unicode_form(tmp_path):
    nfd = unicodedata.normalize("NFD", "Tötung")
    file, message = broken(tmp_path, f"categories:\n  - id: toetung\n    label: Tötung\n  - id: mord\n    label: {nfd}\n")
    assert message.startswith(f"{file}:5: label {nfd!r} of category 'mord' is already the label 'Tötung'")
    assert "Unicode form" in message


def test_id_equal_to_another_categorys_alias(tmp_path):
    file, message = broken(tmp_path, "categories:\n  - id: a\n    label: A\n    aliases: [b]\n  - id: b\n    label: B\n")
    assert message.startswith(f"{file}:5: id 'b' of category 'b' is already the alias 'b' of category 'a'")


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("categories:\n  - id: a\n    lable: A\n", 3, "categories[0]: unknown key 'lable'; did you mean 'label'?"),
    ("categories:\n  - id: a\n", 2, "categories[0]: missing required key 'label'"),
    ("categories:\n  - id: Brand-Feuer\n    label: Brand\n", 2, "category id 'Brand-Feuer' is not valid"),
    ("categories: []\n", 1, "categories: must not be empty"),
    ("categories:\n  - id: a\n    label: A\n    aliases: Feuer\n", 4, "aliases: expected a list, got a text ('Feuer')"),
    ("name: x\n", 1, "missing required key 'categories'"),
    ("categories:\n  - id: a\n    label: A\n    also_requires: =beute\n", 4, "also_requires: expected a list"),
    ("categories:\n  - id: a\n    label: A\n    also_require: [=beute]\n", 4,
     "unknown key 'also_require'; did you mean 'also_requires'?"),
    ("", 1, "the file is empty; it needs a top-level 'categories:' list"),
    ("categories:\n  - id: a\n   label: A\n", 3, "not valid YAML"),
])
def test_broken_taxonomy_gives_one_line(tmp_path, text, line, fragment):
    file, message = broken(tmp_path, text)
    assert message.startswith(f"{file}:{line}: "), message
    assert fragment in message, message


def test_missing_taxonomy_file(tmp_path):
    with pytest.raises(RulesError) as caught:
        load_taxonomy(tmp_path / "taxonomy.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'taxonomy.yaml'}: no such file")
