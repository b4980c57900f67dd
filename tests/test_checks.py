"""Each default check passing and failing, through the real GX suite."""

from __future__ import annotations

import pytest

from tests.conftest import audit_records, findings_of


def article(**fields) -> dict:
    base = {
        "id": "a1",
        "Titel": "Gemeinderat beschließt neues Budget",
        "Text": (
            "Der Gemeinderat von Graz hat am Dienstag das Budget für das kommende Jahr beschlossen. "
            "Die Koalition aus zwei Parteien stimmte dafür, die Opposition kritisierte die Schulden. "
            "Der Bürgermeister sprach nach der Abstimmung von einem guten Kompromiss für die Stadt, wie "
            "grazer-beispiel.at und steirerblatt.at berichten."
        ),
        "Datum": "2025-03-04T10:15:00+01:00",
        "Vorfall": "Politik",
        "Ursache": "Budget, Schulden",
        "Ort": "Graz, Österreich",
        "Quellen": "www.grazer-beispiel.at, www.steirerblatt.at",
    }
    base.update(fields)
    return base


def test_clean_article_has_no_findings(default_rules):
    result = audit_records(default_rules, [article()])
    assert result.findings == []
    assert result.summary["passed"] is True
    assert result.rows[0]["status"] == "passed"


@pytest.mark.parametrize(
    "value, snippet",
    [
        ('<ul style="list-style-type: none">• www.a-zeitung.at', '<ul style="list-style-type: none">'),
        ("Wie **Das Blatt** berichtet", "**Das Blatt**"),
        ("Mehr dazu [hier](https://www.example.org/x)", "[hier](https://www.example.org/x)"),
        ("Budget &amp; Steuern", "&amp;"),
        ("Text</p>", "</p>"),
    ],
)
def test_no_markup_names_the_snippet(default_rules, value, snippet):
    result = audit_records(default_rules, [article(Text=value)])
    [finding] = findings_of(result, "no-markup", "body")
    assert finding["snippet"] == snippet
    assert snippet in finding["message"]
    assert finding["severity"] == "error"


@pytest.mark.parametrize("text", ["Bürger*innen trafen sich", "Ein Preis von 3 < 4 Euro", "Datei_name_v2 ist da", "Mehr unter www.x.at/a_b"])
def test_no_markup_leaves_ordinary_text_alone(default_rules, text):
    assert findings_of(audit_records(default_rules, [article(Text=text)]), "no-markup") == []


def test_no_markup_checks_every_listed_column(default_rules):
    result = audit_records(default_rules, [article(Titel="<b>Titel</b>", Ort="Wien &amp; Umgebung", Ursache="**Streit**")])
    assert {f["column"] for f in findings_of(result, "no-markup")} == {"title", "location", "cause"}


@pytest.mark.parametrize("label", ["Politik", "politik", " POLITIK ", "Diplomatie", "Tötungsdelikt", "to\u0308tungsdelikt", "Terror"])
def test_category_known_accepts_labels_and_aliases(default_rules, label):
    assert findings_of(audit_records(default_rules, [article(Vorfall=label)]), "category-known") == []


def test_category_known_flags_unknown_label_with_closest_suggestion(default_rules):
    result = audit_records(default_rules, [article(Vorfall="Terorismus"), article(id="a2", Vorfall="Allgemeines")])
    typo, unknown = findings_of(result, "category-known")
    assert typo["row_id"] == "a1" and typo["suggestion"] == "Terrorismus"
    assert unknown["row_id"] == "a2" and "suggestion" not in unknown


def test_empty_category_is_left_to_category_present(default_rules):
    result = audit_records(default_rules, [article(Vorfall="")])
    assert findings_of(result, "category-known") == []
    [missing] = findings_of(result, "category-present")
    assert missing["message"] == "category is empty"


@pytest.mark.parametrize("sources", ["www.orf.at", "https://www.derstandard.at/story/123, kurier.at", "bbc.co.uk; süddeutsche.de", "• www.a.at• www.b.de"])
def test_sources_well_formed_passes(default_rules, sources):
    assert findings_of(audit_records(default_rules, [article(Quellen=sources)]), "sources-well-formed") == []


@pytest.mark.parametrize("sources, bad", [("www.zeitung", "www.zeitung"), ("orf.at, Agenturmeldung", "Agenturmeldung"), ("http://", None)])
def test_sources_well_formed_fails(default_rules, sources, bad):
    [finding] = findings_of(audit_records(default_rules, [article(Quellen=sources)]), "sources-well-formed")
    if bad:
        assert bad in finding["message"]


@pytest.mark.parametrize("date", ["2024-12-04T18:49:00+01:00", "04.12.2024, 18:49", "4. Dezember 2024", "2024-12-04"])
def test_published_at_valid_passes(default_rules, date):
    assert findings_of(audit_records(default_rules, [article(Datum=date)]), "published-at-valid") == []


@pytest.mark.parametrize("date, fragment", [("gestern", "not a date"), ("31.02.2024", "not a date"), ("2031-05-02T14:00:00+02:00", "future")])
def test_published_at_valid_fails(default_rules, date, fragment):
    [finding] = findings_of(audit_records(default_rules, [article(Datum=date)]), "published-at-valid")
    assert fragment in finding["message"]


def test_unique_ids_flags_every_row_of_a_duplicate(default_rules):
    result = audit_records(default_rules, [article(id="x"), article(id="x"), article(id="y")])
    duplicates = findings_of(result, "unique-ids")
    assert [f["position"] for f in duplicates] == [1, 2]
    assert "used by 2 rows" in duplicates[0]["message"]


def test_required_fields(default_rules):
    result = audit_records(default_rules, [article(Titel="  ", Text=None, Ort="")])
    assert [f["column"] for f in findings_of(result, "title-present")] == ["title"]
    assert [f["column"] for f in findings_of(result, "body-present")] == ["body"]
    assert [f["column"] for f in findings_of(result, "metadata-present")] == ["location"]


def test_rule_figures_count_checked_and_failing_values(default_rules):
    result = audit_records(default_rules, [article(), article(id="a2", Text="**fett**"), article(id="a3", Text=None)])
    rule = next(r for r in result.rules if r["id"] == "no-markup")
    # 6 columns x 3 rows, minus the one empty body that the map check skips.
    assert rule["evaluated"] == 17
    assert rule["unexpected"] == 1
    assert rule["passed"] is False and rule["status"] == "failed"


def test_every_parameter_of_every_check_reaches_its_metric():
    """Parameters are declared once, in the check's settings dataclass; GX hands a metric only
    the value keys it lists (a missing one arrives as None), so each must be among them."""
    import dataclasses

    from auditor.expectations import AUDITOR_EXPECTATIONS
    from auditor.expectations.base import RowCheckMetric

    for name, expectation in AUDITOR_EXPECTATIONS.items():
        settings = expectation.metric.settings
        declared = tuple(item.name for item in dataclasses.fields(settings)) if settings else ()
        assert expectation.success_keys == ("mostly", *declared), name
        assert set(declared) <= set(expectation.__fields__), name
        if issubclass(expectation.metric, RowCheckMetric):
            assert expectation.metric.condition_value_keys == declared, name
            built = expectation(column="x", **({"known_labels": {"a": "A"}} if "known_labels" in declared else {}))
            config = built.get_validation_dependencies().get_metric_configuration(expectation.metric.details_metric())
            assert set(config.metric_value_kwargs) == set(declared), name
        else:
            assert expectation.metric.value_keys == ("column", *declared), name


def test_a_bound_declared_in_the_settings_is_enforced_when_rules_load(tmp_path):
    from auditor.errors import RulesError
    from auditor.rules import load_rules
    from tests.conftest import one_rule_file

    path = one_rule_file(tmp_path, "fit", "expect_column_values_to_be_in_language", "body", "{sample_chars: 5}")
    with pytest.raises(RulesError, match=r"rules.yaml:\d+: rule 'fit': args.sample_chars"):
        load_rules(path)


def test_findings_share_the_words_their_evidence_repeats(default_rules):
    """Details arrive unpickled from the worker processes, each word a string of its own; a
    million findings' evidence words would be held once per finding. The findings keep what
    the details say, with one string per distinct word."""
    import pandas as pd

    from auditor.findings import findings_of
    from auditor.mapping import Batch
    from auditor.validate import ExpectationOutcome

    def word(text: str) -> str:
        return "".join(list(text))  # an equal string that is not the same object

    rule = default_rules.get("body-without-furniture")
    details = {str(index): {"message": f"another story in row {index}", "confidence": 0.9,
                            "evidence": {word("kind"): [word("other_story")],
                                         "story_words": [word("Hochwasserschutz"), word("Pegelstand")]},
                            "snippet": "Pegelstand steigt", "span": [10, 27]}
               for index in range(2)}
    outcome = ExpectationOutcome(rule.id, "body", "expect_body_without_furniture", False,
                                 {"unexpected_index_list": [0, 1], "details": details})
    batch = Batch(data=pd.DataFrame({"body": ["a body", "another body"]}),
                  rows=pd.DataFrame({"row_id": ["r1", "r2"], "source": ["in.jsonl"] * 2, "position": [1, 2]}))
    first, second = findings_of(outcome, rule, batch)
    assert first["evidence"] == {"kind": ["other_story"], "story_words": ["Hochwasserschutz", "Pegelstand"]}
    assert first["evidence"] == second["evidence"] and first["span"] == [10, 27]
    assert first["evidence"]["story_words"][0] is second["evidence"]["story_words"][0]
    assert list(first["evidence"])[1] is list(second["evidence"])[1]
    assert details["0"]["evidence"]["story_words"][0] is not details["1"]["evidence"]["story_words"][0]
