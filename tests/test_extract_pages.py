"""`auditor extract` on pages written for the extraction benchmark (benchmarks/pages/: German
news and aggregator pages in our own words, with the snippets annotated as main text and as
boilerplate in truth.csv): the main text is kept, the page around it mostly left out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app

PAGES = Path(__file__).resolve().parents[1] / "benchmarks" / "pages"
CHOSEN = ("1.html", "2.html", "4.html")  # a regional paper, an aggregator with a Details table, a blog with comments


def truth() -> dict[str, dict]:
    with (PAGES / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def flat(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, dict]:
    output = tmp_path_factory.mktemp("extract") / "pages.jsonl"
    result = CliRunner().invoke(app, ["extract", *(str(PAGES / name) for name in CHOSEN), "--output", str(output)])
    assert result.exit_code == 0, result.output
    return {row["id"] + ".html": row for row in map(json.loads, output.read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize("name", CHOSEN)
def test_the_annotated_main_text_is_kept(extracted, name):
    main_text = flat(extracted[name]["main_text"])
    for snippet in truth()[name]["with_snippets"].split(" || "):
        assert flat(snippet) in main_text, snippet


@pytest.mark.parametrize("name", CHOSEN)
def test_most_of_the_annotated_boilerplate_is_left_out(extracted, name):
    main_text = flat(extracted[name]["main_text"])
    boilerplate = truth()[name]["without_snippets"].split(" || ")
    left_out = [snippet for snippet in boilerplate if flat(snippet) not in main_text]
    assert len(left_out) >= len(boilerplate) - 1, set(boilerplate) - set(left_out)


def test_the_details_table_is_the_aggregators_not_the_main_text(extracted):
    row = extracted["2.html"]
    assert row["category"] == "Brand" and row["location"] == "Oberndorf bei Salzburg"  # Vorfall, Ort
    assert "technischer Defekt" not in flat(row["main_text"])
    # the body is the article region as published, the main text beside it
    assert "Sägewerk in Oberndorf" in row["body"] and row["main_text"] != row["body"]
    assert row["publisher"] == "meldungsdienst.example"
