"""location-in-text: real place, right country, named in the article (GeoNames, offline)."""

from __future__ import annotations

import pandas as pd
import pytest

from auditor.text.analysis import analyse_texts
from auditor.text.places import find_ungrounded_locations, split_location
from tests.conftest import audit_records, findings_of


PASSING = [
    ("Brüssel, Belgien", "Die Minister trafen sich am Dienstag in Brüssel."),
    ("Brüssel, Belgien", "Der Brüsseler Gipfel endete ohne Einigung."),          # derived form
    ("Brüssel, Belgien", "Les ministres se sont réunis à Bruxelles."),           # exonym in the text
    ("Wien, Österreich", "Die Wiener Polizei ermittelt."),
    ("Wien", "Der Gemeinderat Wiens tagte."),                                     # genitive
    ("München, Deutschland", "Der Münchner Stadtrat beschloss das Budget."),
    ("Österreich", "Die österreichische Regierung beriet."),                      # country only
    ("Wels, Österreich", "Ein Großbrand in Wels hielt die Feuerwehr in Atem."),   # small town
    ("Linz, Österreich", "Linz/Wels – Zwei Feuerwehren rückten gemeinsam aus."),  # dateline with a slash
    ("New York, USA", "Der Bürgermeister von New York kündigte Neuwahlen an."),   # several words
    ("New York", "Die New Yorker Polizei ermittelt."),                           # derived last word
    ("Crans Montana, Schweiz", "Das Rennen in Crans Montana fiel aus."),          # GeoNames: Crans-Montana
]
FAILING = [
    ("Wien, Deutschland", "In Wien regnete es den ganzen Tag."),
    ("Xyzzyhausen, Österreich", "Xyzzyhausen feiert."),
    ("Steyr, Österreich", "Ein Brand in Wels beschäftigte die Feuerwehr."),
    ("New York, USA", "Eine neue Brücke über den Fluss York wurde eröffnet."),  # 'New' is not there
]


@pytest.fixture(scope="module")
def verdicts() -> dict[tuple[str, str], dict | None]:
    """One batch for all cases: the gazetteer is scanned once per batch."""
    cases = PASSING + FAILING
    locations = pd.Series([location for location, _ in cases])
    analysis = analyse_texts(None, pd.Series([text for _, text in cases]))
    return dict(zip(cases, find_ungrounded_locations(locations, analysis).tolist()))


@pytest.mark.parametrize("case", PASSING)
def test_grounded_locations_pass(verdicts, case):
    assert verdicts[case] is None


def test_city_in_the_wrong_country_is_flagged(verdicts):
    detail = verdicts[FAILING[0]]
    assert "not in 'Deutschland'" in detail["message"] and "AT" in detail["message"]
    assert detail["evidence"]["country_code"] == "DE"


def test_unknown_place_is_flagged(verdicts):
    assert "not a known place" in verdicts[FAILING[1]]["message"]


def test_place_not_named_in_the_article_is_flagged(verdicts):
    detail = verdicts[FAILING[2]]
    assert detail["message"] == "'Steyr' is not mentioned in the article"


def test_split_location():
    assert split_location("Brüssel, Belgien") == ("Brüssel", "Belgien")
    assert split_location("Graz, Steiermark, Österreich") == ("Graz", "Österreich")
    assert split_location("Linz") == ("Linz", None)


def test_location_rule_through_gx(default_rules):
    text = "Die Außenminister berieten am Dienstag in Brüssel über neue Sanktionen gegen mehrere Staaten."
    result = audit_records(default_rules, [
        {"id": "ok", "Titel": "Treffen", "Text": text, "Vorfall": "Politik", "Ort": "Brüssel, Belgien"},
        {"id": "bad", "Titel": "Treffen", "Text": text, "Vorfall": "Politik", "Ort": "Wien, Deutschland"},
    ])
    [finding] = findings_of(result, "location-in-text")
    assert finding["row_id"] == "bad" and finding["severity"] == "warning"
    assert "not in 'Deutschland'" in finding["message"] and "not mentioned" in finding["message"]


def test_a_name_of_several_words_needs_all_of_them(verdicts):
    assert verdicts[FAILING[3]]["message"] == "'New York' is not mentioned in the article"
