"""language-matches: the body is in the expected language (lingua, offline)."""

from __future__ import annotations

import pandas as pd

from auditor.text.language import LanguageSettings, find_wrong_language
from tests.conftest import audit_records, findings_of

GERMAN = ("Die Außenminister der Mitgliedstaaten haben am Dienstag in Brüssel über neue Sanktionen beraten. "
          "Eine Einigung wurde bis zum Abend nicht erzielt, die Gespräche sollen am Mittwoch weitergehen.")
ENGLISH = ("The foreign ministers of the member states met in Brussels on Tuesday to discuss new sanctions. "
           "No agreement was reached by the evening, and talks are set to continue on Wednesday.")
FRENCH = ("Les ministres des affaires étrangères se sont réunis mardi à Bruxelles pour discuter de nouvelles "
          "sanctions. Aucun accord n'a été trouvé dans la soirée, les discussions reprendront mercredi.")


def test_german_passes_other_languages_are_named():
    german, english, french = find_wrong_language(pd.Series([GERMAN, ENGLISH, FRENCH])).tolist()
    assert german is None
    assert english["evidence"] == {"detected": "en", "expected": "de"} and english["score"] > 0.8
    assert "English" in english["message"]
    assert french["evidence"]["detected"] == "fr"


def test_expected_language_is_configurable():
    german, english = find_wrong_language(pd.Series([GERMAN, ENGLISH]), LanguageSettings(language="en")).tolist()
    assert german["evidence"]["detected"] == "de" and english is None


def test_short_text_gets_an_info_note():
    [note] = find_wrong_language(pd.Series(["Kurze Meldung."])).tolist()
    assert note["level"] == "info" and "too short" in note["message"]


def test_language_rule_through_gx(default_rules):
    result = audit_records(default_rules, [
        {"id": "de", "Titel": "Sanktionen", "Text": GERMAN, "Vorfall": "Politik"},
        {"id": "en", "Titel": "Sanctions", "Text": ENGLISH, "Vorfall": "Politik"},
    ])
    [finding] = findings_of(result, "language-matches")
    assert finding["row_id"] == "en" and finding["column"] == "body" and finding["severity"] == "error"
