"""language-matches: the body is in the expected language (lingua, offline)."""

from __future__ import annotations

import pandas as pd
import pytest

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


# --- issue 11, class 4: results tables are German text, whatever their names look like -----

# Written for these tests: results the way a German desk prints them, foreign players and
# clubs, scores, times and country codes, held together by a few German words.
GERMAN_RESULTS = [
    "Tennis, Hallenturnier in Ljubljana, Achtelfinale: Dušan Lajović (SRB) - Jiří Veselý (CZE) 6:4, 3:6, 7:5; "
    "Aljaž Bedene (SLO) - Nikoloz Basilashvili (GEO) 6:2, 6:3; Blaž Rola (SLO) - Pablo Carreño Busta (ESP) 4:6, 2:6. "
    "Im Viertelfinale am Freitag spielt Lajović gegen Bedene.",
    "Handball, EHF-Cup, Hinspiele: RK Celje Pivovarna Laško - Vardar Skopje 31:29 (15:14), beste Werfer: Blaž Janc 8, "
    "Dean Bombač 6 bzw. Luka Cindrić 7; RK Zagreb - Meškov Brest 27:27. Die Rückspiele folgen am Sonntag in Skopje und Brest.",
    "Eishockey, Freitag: HK Olimpija Ljubljana - HCB Südtirol 3:2 n.V. (1:0, 0:2, 1:0; 1:0), Tore: Sabolič, Kuralt, Tavžel "
    "bzw. Frigo, Gazley; Fehérvár AV19 - KAC 1:4; Znojmo - Graz99ers 2:5. Die Tabelle führt weiterhin der KAC vor Fehérvár an.",
    "Schach, Turnier in Wijk aan Zee, fünfte Runde: Magnus Carlsen (NOR) - Anish Giri (NED) remis, Ding Liren (CHN) - "
    "Jan-Krzysztof Duda (POL) 1:0, Richárd Rapport (HUN) - Vladimir Fedoseev (SLO) 0:1. Stand nach fünf Runden: "
    "Abdusattorov vier Punkte, Carlsen und Ding je 3,5.",
    "Radsport, dritte Etappe von Celje nach Rogla (167 km): 1. Primož Roglič (SLO) 4:05:12 Std., 2. Tadej Pogačar (SLO) "
    "+0:04, 3. Matej Mohorič (SLO) +0:21, 4. Jan Tratnik (SLO) +0:35. Gesamtwertung: 1. Roglič, 2. Pogačar +0:10.",
]
# ... and real foreign reports about the same kind of events, which must still be caught.
FOREIGN_REPORTS = {
    "sl": "Slovenski smučarji so v Kranjski Gori dosegli odlične rezultate, saj je Žan Kranjec zmagal v veleslalomu "
          "pred Marcom Odermattom. Navijači so ga glasno spodbujali vse do cilja.",
    "hr": "Dinamo Zagreb je u derbiju pobijedio Hajduk Split rezultatom 2:0, a golove su postigli Petković i Baturina. "
          "Trener je nakon utakmice pohvalio svoje igrače zbog discipline.",
    "pl": "Tenis, turniej w Umagu: Dušan Lajović pokonał Jiříego Veselego 6:4, 3:6, 7:5, a Aljaž Bedene wygrał z "
          "Nikolozem Basilashvilim 6:2, 6:3. W piątek obaj zawodnicy zmierzą się w ćwierćfinale turnieju.",
    "en": "Manchester City beat Arsenal 3-1 on Sunday, with Erling Haaland scoring twice before half-time. The win puts "
          "City two points clear at the top of the table.",
    "hu": "A Ferencváros hazai pályán 3-0-ra legyőzte az Újpestet a bajnokság hétvégi fordulójában. A csapat edzője a "
          "mérkőzés után elmondta, hogy nagyon elégedett a játékosokkal.",
    "nl": "De Nederlandse schaatsers wonnen op zaterdag drie medailles bij de wereldbeker in Heerenveen, waar het "
          "publiek de hele middag voor een geweldige sfeer zorgde.",
}


def test_german_results_tables_with_foreign_names_pass():
    results = find_wrong_language(pd.Series(GERMAN_RESULTS)).tolist()
    assert results == [None] * len(GERMAN_RESULTS)


def test_foreign_reports_with_the_same_names_are_still_caught():
    details = find_wrong_language(pd.Series(list(FOREIGN_REPORTS.values()))).tolist()
    assert [detail["evidence"]["detected"] for detail in details] == list(FOREIGN_REPORTS)
    assert all(detail.get("level") != "info" and detail["score"] > 0.5 for detail in details)


def test_a_list_of_only_names_and_numbers_gets_a_note_not_a_verdict():
    listing = ("1. Žan Kranjec (SLO) 2:21,34 - 2. Štefan Hadalin (SLO) +0,12 - 3. Filip Zubčić (CRO) +0,45 - "
               "4. Miha Hrobat (SLO) +0,61 - 5. Istok Rodeš (CRO) +0,88 - 6. Tijan Marovt (SLO) +1,02")
    [detail] = find_wrong_language(pd.Series([listing])).tolist()
    assert detail is None or (detail["level"] == "info" and "names and numbers" in detail["message"])


def test_prose_words_leave_out_names_numbers_and_abbreviations():
    from auditor.text.language import prose_words

    assert prose_words("Lajović (SRB) - Veselý (CZE) 6:4, 3:6; im Finale am Freitag gegen Bedene") == ["im", "am", "gegen"]


def test_function_words_are_data_checked_against_their_schema(tmp_path):
    from auditor.errors import RulesError
    from auditor.text.language import function_words
    from auditor.yamldoc import load_validated

    assert {"und", "gegen", "am"} <= function_words("de") and function_words("xx") == frozenset()
    bad = tmp_path / "function_words.yaml"
    bad.write_text("languages:\n  de: [Der, und]\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"function_words\.yaml:2"):
        load_validated(bad, "function_words")


def test_results_tables_through_gx(default_rules):
    rows = [{"id": f"r{i}", "Titel": "Ergebnisse", "Text": text, "Vorfall": "Sonstiges"} for i, text in enumerate(GERMAN_RESULTS)]
    rows.append({"id": "sl", "Titel": "Smučanje", "Text": FOREIGN_REPORTS["sl"], "Vorfall": "Sonstiges"})
    [finding] = findings_of(audit_records(default_rules, rows), "language-matches")
    assert finding["row_id"] == "sl" and "Slovene" in finding["message"]
