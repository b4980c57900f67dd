"""Aggregator rows built from real German text, as many as a benchmark needs.

The sentences come from the labelled dev sets in ../shared/data (514 news articles,
240 police releases: about 11,000 sentences); nothing of them is stored in the project.
A row is one distinct story: its title and first sentences are drawn from different
articles of one category, the rest of its body from all articles (so no two rows share a
lead or most of their sentences, as in a real night),
and it carries a few made-up German compounds (a real 100k batch has about a million
distinct words, the dev sets some 60,000, and per-word work grows with them). A share
of rows are rewrites of an earlier row (one sentence dropped, two swapped, another
outlet), so the story grouping has real groups to find; a share carry planted defects
(markup, wrong or unknown categories, future dates, uncredited sources, page furniture).

    rows = real_rows(100_000, seed=7)  # an iterator of dicts with the German column names
"""

from __future__ import annotations

import csv
import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterator

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_SYLLABLES = ("ver", "stadt", "haus", "bau", "wer", "ke", "rungs", "land", "schaft", "amt", "zeit", "an", "lage",
              "berg", "feld", "markt", "ge", "meinde", "heit", "ung", "kraft", "werk", "sicher", "bahn", "kinder")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"])")
_DATELINE = re.compile(r"^((?:St\.\s|Bad\s)?[A-ZÄÖÜ][\w-]+)(?:/[^–]{1,40})?\s*[–-]\s")
# Unlabelled news by section: politics where the section is about it, else no incident.
_BY_RUBRIK = {"Inland": "politik", "International": "politik"}
DISPLAY = {"terrorismus": "Terrorismus", "krieg": "Krieg", "politik": "Politik", "verkehrsunfall": "Verkehrsunfall",
           "unfall": "Unfall", "brand": "Brand", "toetung": "Tötungsdelikt", "gewalt": "Körperverletzung",
           "raub": "Raub", "diebstahl": "Diebstahl", "betrug": "Betrug", "drogen": "Drogen", "cyber": "Cyberangriff",
           "naturkatastrophe": "Naturkatastrophe", "protest": "Demonstration", "gesundheit": "Gesundheit",
           "sonstiges": "Sonstiges"}
PLACES = ("Wien, Österreich", "Graz, Österreich", "Linz, Österreich", "Berlin, Deutschland", "Frankfurt, Deutschland",
          "München, Deutschland", "Brüssel, Belgien", "Salzburg, Österreich", "Zürich, Schweiz")
OUTLETS = ("www.derstandard.at", "www.diepresse.com", "www.kurier.at", "www.spiegel.de", "www.faz.net",
           "www.sueddeutsche.de", "www.krone.at", "www.orf.at", "www.tagesspiegel.de")
# Written for the benchmark: how rewrites credit the outlets they draw on.
_CREDITS = ("Wie {outlet} berichtet, laufen die Erhebungen weiter.", "Laut {outlet} war die Lage am Abend ruhig.",
            "Das berichtete zuerst {outlet}.")
_FURNITURE = ("\n\nAbonnieren Sie unseren Newsletter und verpassen Sie keine Meldung mehr.",
              "\n\nDie Kommentarfunktion für diesen Artikel wurde geschlossen.",
              "\n\nGefällt Ihnen dieser Artikel? Unterstützen Sie unseren Journalismus!\n5 Euro\n10 Euro\nJetzt spenden")


@lru_cache(maxsize=1)
def sentences_by_category() -> dict[str, tuple[list[str], list[str]]]:
    """Per category id: the first sentences (leads) and the other sentences of its articles."""
    if not (DATA / "police_dev.csv").exists():
        raise SystemExit(f"the real dev texts are not in {DATA}; this benchmark needs ../shared/data")
    labels = {row["id"]: row["primary"] for row in csv.DictReader((DATA / "gnad10k_dev_incidents.csv").open(encoding="utf-8"))}
    articles: list[tuple[str, str]] = []
    for row in csv.DictReader((DATA / "gnad10k_dev.csv").open(encoding="utf-8")):
        articles.append((labels.get(row["id"]) or _BY_RUBRIK.get(row["rubrik"], "sonstiges"), row["text"]))
    for row in csv.DictReader((DATA / "police_dev.csv").open(encoding="utf-8")):
        articles.append((row["primary"], f"{row['title']}. {row['body']}"))
    pools: dict[str, tuple[list[str], list[str]]] = {}
    for category, text in articles:
        parts = [part.strip() for part in _SENTENCE_END.split(text.replace("\n", " ")) if len(part.strip()) > 20]
        if len(parts) < 2:
            continue
        leads, rest = pools.setdefault(category, ([], []))
        leads.append(parts[0])
        rest.extend(parts[1:])
    return pools


@lru_cache(maxsize=1)
def _all_sentences() -> list[str]:
    return [sentence for _, rest in sentences_by_category().values() for sentence in rest]


def _made_up(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 5))).capitalize() for _ in range(count)]


def _story(rng: random.Random, category: str) -> tuple[str, list[str]]:
    leads, rest = sentences_by_category()[category]
    # A title drawn from all of the category's sentences and a first body sentence drawn
    # apart from it: only ~750 articles lead the dev sets, and rows sharing a lead would
    # be one story to the story grouping.
    title = rng.choice(rest) if rng.random() < 0.8 else rng.choice(leads)
    # A few sentences of the category and the rest from all of them: a small category has only
    # a few dozen sentences, and rows drawn from them alone would be near-duplicates.
    everything = _all_sentences()
    body = [rng.choice(rest) for _ in range(4)] + [rng.choice(everything) for _ in range(rng.randint(8, 16))]
    # The made-up compounds go into the lead too, so that leads are distinct even when one is drawn twice.
    compounds = _made_up(rng, 14)
    body[0] = f"{body[0]} {' '.join(compounds[:3])}."
    body.append(" ".join(compounds[3:]) + ".")
    return f"{title.rstrip('.')} – {compounds[0]}", body


def _cause(rng: random.Random, body: list[str]) -> str | None:
    """A noun of the story's first sentences as its cause, as an extraction would pick one; now and then none."""
    nouns = [word.strip(".,;:!?\"„“()") for word in " ".join(body[:3]).split()[1:] if word[:1].isupper() and len(word) > 5]
    return rng.choice(nouns) if nouns and rng.random() < 0.9 else None


def _row(number: int, rng: random.Random, category: str, title: str, body: list[str], place: str) -> dict:
    outlets = rng.sample(OUTLETS, 2)
    credited = [rng.choice(_CREDITS).format(outlet=outlet.removeprefix("www.")) for outlet in outlets]
    text = f"{place.split(',')[0]} – " + " ".join(body[:2] + credited[:1] + body[2:] + credited[1:])
    return {
        "id": f"real-{number:07d}",
        "url": f"https://aggregator.example/artikel/{number}",
        "Titel": title[:160],
        "Text": text,
        "Datum": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2025, {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "Vorfall": DISPLAY[category],
        "Ursache": _cause(rng, body),
        "Ort": place,
        "Quellen": ", ".join(outlets),
        "publisher": "aggregator.example",
    }


def _plant_defect(row: dict, rng: random.Random, categories: list[str]) -> None:
    defect = rng.random()
    if defect < 0.01:
        row["Text"] = row["Text"].replace(" die ", " **die** ", 1)
    elif defect < 0.02:
        row["Quellen"] = '<ul style="list-style-type: none">• ' + row["Quellen"]
    elif defect < 0.03:
        row["Vorfall"] = "Allgemein"
    elif defect < 0.035:
        row["Datum"] = "2031-01-01T10:00:00+01:00"
    elif defect < 0.065:
        row["Vorfall"] = DISPLAY[rng.choice(categories)]
    elif defect < 0.075:
        row["Quellen"] = "www.fremdes-tagblatt.at"
    elif defect < 0.085:
        row["Text"] += rng.choice(_FURNITURE)


def real_rows(count: int, seed: int = 7, rewrite_share: float = 0.03) -> Iterator[dict]:
    rng = random.Random(seed)
    pools = sentences_by_category()
    categories = sorted(pools)
    # Incidents are rarer than other news in a real feed, but every category must be there.
    weights = [3.0 if category in ("sonstiges", "politik") else 1.0 for category in categories]
    recent: list[tuple[str, str, list[str], str]] = []
    for number in range(count):
        if recent and rng.random() < rewrite_share:
            category, title, body, place = rng.choice(recent)
            body = list(body)
            body.pop(rng.randrange(2, len(body)))
            i, j = rng.randrange(2, len(body)), rng.randrange(2, len(body))
            body[i], body[j] = body[j], body[i]
        else:
            category = rng.choices(categories, weights)[0]
            title, body = _story(rng, category)
            dateline = _DATELINE.match(body[0])
            place = rng.choice(PLACES) if not dateline else next(
                (p for p in PLACES if p.startswith(dateline.group(1))), rng.choice(PLACES))
            recent = (recent + [(category, title, body, place)])[-500:]
        row = _row(number, rng, category, title, body, place)
        _plant_defect(row, rng, categories)
        yield row
