"""sources-match-text: the outlets an article credits and the domains in `sources` name the same outlets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import RulesError
from auditor.expectations.sources import ExpectColumnValuesToMatchCreditedOutlets
from auditor.loaders import load_inputs
from auditor.rules import load_rules
from auditor.text.analysis import analyse_texts
from auditor.text.outlets import (
    find_uncredited_sources, load_attribution_words, load_outlets, load_press_words, scan_texts,
)
from tests.conftest import one_rule_file, audit_records, findings_of

RULE = "sources-match-text"
EXPECTATION = "expect_column_values_to_match_credited_outlets"


def credited(text: str) -> list[str]:
    """The outlets a text credits, as written, once each (a name in an attribution is also
    found on its own)."""
    [mentions] = scan_texts([text])
    return list(dict.fromkeys(m.written for m in mentions if m.credit))


def verdict(sources: str, body: str, title: str | None = None) -> dict | None:
    [detail] = find_uncredited_sources(
        pd.Series([sources]), pd.Series([body]), pd.Series([title]) if title is not None else None
    ).tolist()
    return detail


# ---- what counts as a credit -------------------------------------------------------------------

@pytest.mark.parametrize("text, outlets", [
    ("Laut **Berliner Zeitung** unterschrieben beide Seiten.", ["Berliner Zeitung"]),          # markdown bold
    ("Das wurde von **Heute.at** übernommen.", ["Heute.at"]),                                     # domain in the text
    ("Mehr dazu berichtete watson.ch am Abend.", ["watson.ch"]),
    ("Der Stau war laut Heute fünf Kilometer lang.", ["Heute"]),                                  # ambiguous name, attributed
    ("Laut „Kurier“ stieg die Zahl der Anzeigen.", ["Kurier"]),                                   # German quotes
    ('Laut "Kurier" stieg die Zahl der Anzeigen.', ["Kurier"]),
    ("Dem Standard zufolge sinkt die Zahl.", ["Standard"]),                                       # zufolge after the name
    ("Einem Bericht der Kleinen Zeitung zufolge regnet es.", ["Kleinen Zeitung"]),               # inflected known name
    ("Wie die Zeit berichtet, tagte der Ausschuss.", ["Zeit"]),
    ("Die Krone berichtete am Montag über den Fall.", ["Krone"]),                                 # sentence start, article
    ("Das berichtete am Montag die Krone.", ["Krone"]),
    ("Nach Recherchen des Spiegels gab es Absprachen.", ["Spiegels"]),                            # genitive
    ("Das bestätigte er gegenüber dem „Standard“.", ["Standard"]),                                # weak context, marked
    ("Die Regierung trat zurück. (sda/dpa/lyn)", ["sda", "dpa"]),                                 # credit line, no initials
    ("Die Regierung trat zurück (APA, 3.12.2024).", ["APA"]),
    ("Die Regierung trat zurück. (dpa/AFP)", ["dpa", "AFP"]),
    ("Die Regierung trat zurück. (Quelle: dpa)", ["dpa"]),
    ("Laut der Rheinischen Post ist das Budget knapp.", ["Rheinischen Post"]),                    # known outlet, inflected
    ("Laut der Kieler Nachrichten ist das Budget knapp.", ["Kieler Nachrichten"]),                # unknown, press word
    ("Das berichtet der Oberland-Kurier.", ["Oberland-Kurier"]),                                   # unknown, hyphenated
    ("Wie das Nachrichtenmagazin Bergblick berichtet, fehlt Geld.", ["Bergblick"]),               # press word introduces
    ("Nach dpa-Informationen ist die Lage ernst.", ["dpa"]),                                        # credit compound
])
def test_credits_are_recognised(text, outlets):
    assert credited(text) == outlets


@pytest.mark.parametrize("text", [
    "Laut Polizei war niemand verletzt.",
    "Das berichtet der Bürgermeister der Gemeinde.",
    "Nach Angaben des Innenministeriums gab es keine Festnahmen.",
    "Berichten zufolge waren Tausende Soldaten im Einsatz.",
    "Russlands Kurs gefährdet die Welt!",                        # `Welt` without an attribution
    "Heute tagt der Nationalrat, in der Zeit berichtete er von Reisen.",
    "Er sagte dem Kurier, dass er zurücktritt.",                 # weak context, unmarked common word
    "Er sprach gegenüber der Presse von einem Erfolg.",
    "Bild: imago. Foto: APA/Hans Punz",                          # photo credits
    "Der ORF-Generaldirektor trat zurück.",                      # a subject, not a source
    "Laut Boulevardpresse gab es Streit.",                       # a generic press word is no outlet
    "Die Meldung berichtet die Deutsche Post selbst.",           # not a paper
    "Weitere Informationen unter www.wien.gv.at.",               # an institution's site: a mention only
    "Der Bericht erschien im Tiroler Tagesspiegel.",             # not the Tagesspiegel, and not attributed
])
def test_no_outlet_is_credited(text):
    assert credited(text) == []


# ---- the verdict ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sources, body", [
    ("www.heute.at • www.berliner-zeitung.de",
     "Das wurde von **Heute.at** übernommen. Laut **Berliner Zeitung** unterschrieben beide Seiten."),
    ("kleinezeitung.at", "Das berichtet die Kleine Zeitung."),
    ("https://www.kleinezeitung.at/politik/123", "Einem Bericht der Kleinen Zeitung zufolge regnet es."),
    ("dpa.com, keystone-sda.ch", "Die Regierung trat zurück. (sda/dpa/lyn)"),
    ("rp-online.de", "Laut der Rheinischen Post ist das Budget knapp."),
    ("www.sn.at", "Die Salzburger Nachrichten berichteten zuerst."),                # initials of the name
    ("oberland-kurier.de", "Das berichtet der Oberland-Kurier."),
    ("www.krone.at", "Wie die Krone erfuhr, stieg die Zahl."),                     # a mention confirms a source
    ("www.example-zeitung.at, dpa.com", "Wie die Example Zeitung berichtet, stieg die Zahl. (dpa)"),
    ("derstandard.at, www.zeitung", "Dem Standard zufolge sinkt die Zahl."),       # malformed entry skipped
])
def test_matching_sources_pass(sources, body):
    assert verdict(sources, body) is None


def test_credited_outlet_missing_from_sources():
    detail = verdict("www.heute.at", "Laut Heute.at stieg die Zahl. Dem Kurier zufolge sinkt sie.")
    assert detail["evidence"] == {
        "credited_not_in_sources": ["Kurier"], "sources_not_credited": [], "credited_and_in_sources": ["Heute.at"],
    }
    assert detail["message"] == "the article credits 'Kurier' but sources does not list it"
    assert detail["snippet"] == "Dem Kurier zufolge"


def test_source_the_text_never_credits():
    detail = verdict("www.heute.at, www.krone.at", "Laut Heute.at stieg die Zahl.")
    assert detail["evidence"]["sources_not_credited"] == ["www.krone.at"]
    assert detail["evidence"]["credited_not_in_sources"] == []
    assert detail["message"] == "sources lists 'www.krone.at' but the article never credits it"
    assert detail["snippet"] == "www.krone.at"


def test_both_directions_in_one_sentence():
    detail = verdict("watson.ch", "Die Regierung trat zurück. (sda/dpa/lyn)")
    assert detail["evidence"]["credited_not_in_sources"] == ["sda", "dpa"]
    assert detail["evidence"]["sources_not_credited"] == ["watson.ch"]
    assert detail["message"] == (
        "the article credits 'sda', 'dpa' (Deutsche Presse-Agentur) but sources does not list them; "
        "sources lists 'watson.ch' but the article never credits it"
    )
    assert detail["snippet"] == "(sda/dpa/lyn)"


def test_text_without_any_credit_fails_with_the_sources():
    detail = verdict("www.krone.at", "Laut Polizei war niemand verletzt.")
    assert detail["message"] == "sources lists 'www.krone.at' but the article credits no outlet at all"


def test_lone_surrogates_do_not_stop_the_scan():
    assert credited("Laut \ud800 Reuters stieg die Zahl. (dpa)") == ["Reuters", "dpa"]


def test_title_counts_as_text():
    assert verdict("reuters.com", "Die Regierung trat zurück.", title="Reuters: Regierung tritt zurück") is None


def test_rows_without_text_get_a_note_and_rows_without_domains_are_left_alone():
    values = pd.Series(["www.heute.at", "Agenturmeldung", "www.heute.at"], index=[4, 7, 9])
    bodies = pd.Series(["", "Laut Reuters stieg die Zahl.", "Laut Heute stieg die Zahl."], index=[4, 7, 9])
    details = find_uncredited_sources(values, bodies)
    assert details.index.tolist() == [4, 7, 9]
    assert details[4] == {"level": "info", "message": "no article text to match the sources against"}
    assert details[7] is None and details[9] is None


# ---- the outlets file ----------------------------------------------------------------------------

def test_outlets_file_is_valid_and_knows_the_agencies():
    directory = load_outlets()
    assert len(directory.outlets) >= 40
    for code, domain in [("dpa", "dpa.com"), ("apa", "apa.at"), ("afp", "afp.com"), ("sda", "keystone-sda.ch")]:
        assert domain in directory.outlets[directory.by_code[code]].domains


HEAD = "outlets:\n  - name: Heute\n    domains: [heute.at]\n    context_names: [Heute]\n"  # entry 2 starts on line 5


@pytest.mark.parametrize("entry, problem", [
    # what the schema (auditor/schemas/outlets.schema.json) checks
    ("  - name: Beispielblatt\n    domain: [beispiel.at]\n",
     r"outlets\.yaml:6: outlets\[1\]: unknown key 'domain'; did you mean 'domains'\?"),
    ("  - domains: [beispiel.at]\n", r"outlets\.yaml:5: outlets\[1\]: missing required key 'name'"),
    ("  - name: Beispielblatt\n    domains: []\n", r"outlets\.yaml:6: outlets\[1\]\.domains: must not be empty"),
    ("  - name: Beispielblatt\n    domains: [beispiel.at]\n    names: [Blatt, 42]\n",
     r"outlets\.yaml:7: outlets\[1\]\.names\[1\]: expected a text, got a number \(42\)"),
    # what the loader checks
    ("  - name: Beispielblatt\n    domains: [beispiel.at, www.beispiel.at]\n",
     r"outlets\.yaml:6: outlets\[1\] \('Beispielblatt'\): 'www\.beispiel\.at' is not a registered domain"),
    ("  - name: Beispielblatt\n    domains: [beispiel.at]\n    names: [Heute]\n",
     r"outlets\.yaml:5: outlets\[1\] \('Beispielblatt'\): name 'Heute' also belongs to 'Heute'"),
])
def test_malformed_outlets_file_names_file_line_and_entry(tmp_path, entry, problem):
    path = tmp_path / "outlets.yaml"
    path.write_text(HEAD + entry, encoding="utf-8")
    with pytest.raises(RulesError, match=problem) as error:
        load_outlets(path)
    assert "\n" not in str(error.value)


# ---- the vocabulary files ------------------------------------------------------------------------

def test_vocabulary_files_are_valid():
    assert "Nachrichtenmagazin" in load_press_words().descriptors
    assert "berichtete" in load_attribution_words().report_verbs


@pytest.mark.parametrize("name, load, old, new, problem", [
    ("press_words.yaml", load_press_words, "  Zeitung, Tageszeitung,", "  Zeitung, 42,",
     r"descriptors\[1\]: expected a text, got a number \(42\)"),
    ("press_words.yaml", load_press_words, "  zeitung, rundschau,", "  Zeitung, rundschau,",
     r"press_endings\[0\]: 'Zeitung' does not match"),
    ("attribution_words.yaml", load_attribution_words, "quote_verbs: [", "quote_verb: [",
     r"unknown key 'quote_verb'; did you mean 'quote_verbs'\?"),
])
def test_broken_vocabulary_file_names_file_and_line(tmp_path, name, load, old, new, problem):
    bundled = (Path(__file__).parents[1] / "auditor" / "data" / name).read_text(encoding="utf-8")
    assert old in bundled
    line = bundled[: bundled.index(old)].count("\n") + 1
    path = tmp_path / name
    path.write_text(bundled.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError, match=rf"{name.replace('.', '[.]')}:{line}: {problem}") as error:
        load(path)
    assert "\n" not in str(error.value)


# ---- through GX --------------------------------------------------------------------------------

def rules_file(tmp_path: Path) -> Path:
    return one_rule_file(tmp_path, RULE, EXPECTATION, "sources", "{text_columns: [title, body]}")


def test_text_columns_reach_the_metric():
    expectation = ExpectColumnValuesToMatchCreditedOutlets(column="sources", text_columns=["headline", "text"])
    dependencies = expectation.get_validation_dependencies()
    config = dependencies.get_metric_configuration(expectation.metric.details_metric())
    assert dict(config.metric_value_kwargs) == {"text_columns": ["headline", "text"]}


def test_rule_through_gx(tmp_path):
    ruleset = load_rules(rules_file(tmp_path))
    result = audit_records(ruleset, [
        {"id": "ok", "Titel": "Stau", "Text": "Laut **Berliner Zeitung** war der Stau lang.",
         "Quellen": "www.berliner-zeitung.de"},
        {"id": "bad", "Titel": "Stau", "Text": "Laut Reuters war der Stau lang. (sda/dpa/lyn)",
         "Quellen": "www.heute.at, dpa.com"},
        {"id": "empty", "Titel": "Stau", "Text": "Laut Reuters war der Stau lang.", "Quellen": None},
    ])
    [finding] = findings_of(result, RULE, "sources")
    assert finding["row_id"] == "bad" and finding["severity"] == "warning"
    assert finding["evidence"] == {
        "credited_not_in_sources": ["Reuters", "sda"],
        "sources_not_credited": ["www.heute.at"],
        "credited_and_in_sources": ["dpa"],
    }
    assert finding["snippet"] == "Laut Reuters"
    [rule] = [r for r in result.rules if r["id"] == RULE]
    assert rule["evaluated"] == 2 and rule["unexpected"] == 1


def test_analysis_keeps_the_texts_it_analysed():
    titles, bodies = pd.Series(["A", None]), pd.Series(["Laut Heute stieg die Zahl.", "x"])
    analysis = analyse_texts(titles, bodies)
    assert analysis.texts is bodies and analysis.titles is titles


# ---- the seed ------------------------------------------------------------------------------------

def test_seed_rewrite_sources_match_its_credits(shared_seeds):
    loaded = load_inputs([shared_seeds / "001_d6f240a953c802b2.txt"])
    row = loaded.frame.iloc[0]
    assert "www.heute.at" in row["Quellen"] and "www.berliner-zeitung.de" in row["Quellen"]
    [mentions] = scan_texts([row["body"]])
    assert list(dict.fromkeys(m.written for m in mentions if m.credit)) == ["Heute.at", "Berliner Zeitung"]
    assert verdict(row["Quellen"], row["body"], row["title"]) is None
    # The same page with one source dropped fails and names the outlet the text credits.
    detail = verdict("www.heute.at", row["body"], row["title"])
    assert detail["evidence"]["credited_not_in_sources"] == ["Berliner Zeitung"]
    assert detail["snippet"] == "Laut **Berliner Zeitung**"
