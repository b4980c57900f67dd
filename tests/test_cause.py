"""cause-in-text: each cause term is supported by the article, through lemmas and compounds."""

from __future__ import annotations

import pandas as pd
import pytest

from auditor.text.analysis import analyse_texts
from auditor.text.cause import cause_terms, compound_parts, find_unsupported_causes
from tests.conftest import audit_records, findings_of

TEXT = (
    "Die Außenminister warfen Russland eine enge Militärkooperation mit Nordkorea vor. Beide Staaten stehen "
    "unter UN-Sanktionen. Nach tagelangem Regen traten zudem Bäche über die Ufer, und im dichten "
    "Kolonnenverkehr kam es zu Auffahrunfällen. Eine Rentnerin wurde Opfer eines Telefonbetrugs."
)


def unsupported(cause: str) -> list[str]:
    [detail] = find_unsupported_causes(pd.Series([cause]), analyse_texts(None, pd.Series([TEXT]))).tolist()
    return detail["evidence"]["unsupported"] if detail else []


def test_terms_are_split_at_commas_semicolons_and_und():
    assert cause_terms("UN-Sanktionen, Militär-Kooperation; Streit und Drohungen") == [
        "UN-Sanktionen", "Militär-Kooperation", "Streit", "Drohungen"]


@pytest.mark.parametrize("cause", [
    "UN-Sanktionen, Militär-Kooperation",   # hyphenated vs closed compound
    "Militärkooperation",
    "Kooperation",                          # a compound's head in the text
    "Dauerregen",                           # the cause word's head is in the text ("Regen")
    "dichter Kolonnenverkehr",              # inflected adjective
    "Telefonbetrug",                        # genitive in the text
    "Sanktion",                             # singular vs plural
])
def test_supported_causes(cause):
    assert unsupported(cause) == []


@pytest.mark.parametrize("cause, missing", [
    ("Brandstiftung", ["Brandstiftung"]),
    ("UN-Sanktionen, Korruption", ["Korruption"]),
    ("Handelsstreit", ["Handelsstreit"]),   # a compound's modifier alone does not support it
])
def test_unsupported_causes_are_named(cause, missing):
    assert unsupported(cause) == missing


def test_compounds_split_with_the_dictionary():
    assert compound_parts("Dauerregen") == ("Dauer", "Regen")
    assert compound_parts("Sanktionsstreit") == ("Sanktion", "Streit")
    assert compound_parts("Regen") == ()


def test_cause_rule_through_gx(default_rules):
    result = audit_records(default_rules, [
        {"id": "c1", "Titel": "Unwetter", "Text": TEXT, "Vorfall": "Naturkatastrophe", "Ursache": "Dauerregen, Erdbeben"},
    ])
    [finding] = findings_of(result, "cause-in-text")
    assert finding["severity"] == "warning" and "'Erdbeben'" in finding["message"]
    assert finding["evidence"] == {"unsupported": ["Erdbeben"], "supported": ["Dauerregen"]}
