"""Every default rule's executable examples (rules/cases/<rule-id>.yaml), run through the
real pipeline: the same cases `auditor rules explain` prints."""

from __future__ import annotations

import pytest

from auditor.cases import load_cases, mismatch, run_case
from auditor.resources import default_cases_dir
from auditor.rules import load_rules

DEFAULT_RULES = load_rules()
CASES = [case for rule in DEFAULT_RULES.rules for case in load_cases(rule.id)]


def test_every_default_rule_has_a_passing_and_a_failing_case():
    for rule in DEFAULT_RULES.rules:
        expected = {case.expect for case in load_cases(rule.id)}
        assert {"pass", "fail"} <= expected, f"rules/cases/{rule.id}.yaml needs a passing and a failing case"
    named = {path.stem for path in default_cases_dir().glob("*.yaml")}
    assert named == {rule.id for rule in DEFAULT_RULES.rules}, "a cases file for a rule that does not exist"


@pytest.mark.parametrize("case", CASES, ids=[f"{case.rule}: {case.name}" for case in CASES])
def test_rule_case(case):
    assert mismatch(case, run_case(DEFAULT_RULES, case)) is None, mismatch(case, run_case(DEFAULT_RULES, case))


def test_a_case_that_contradicts_its_rule_is_caught():
    """The runner itself can fail: a passing case turned into a failing one is reported."""
    import dataclasses

    [passing] = [case for case in CASES if case.rule == "no-markup" and case.expect == "pass"]
    wrong = dataclasses.replace(passing, expect="fail")
    assert mismatch(wrong, run_case(DEFAULT_RULES, wrong)).startswith("expected a failure")


def test_a_broken_cases_file_names_its_line(tmp_path):
    from auditor.errors import RulesError

    (tmp_path / "no-markup.yaml").write_text(
        "rule: no-markup\ncases:\n  - name: one\n    expect: pass\n    row: {Text: ok}\n"
        "  - name: two\n    expect: maybe\n    row: {Text: ok}\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"no-markup.yaml:7"):
        load_cases("no-markup", tmp_path)
