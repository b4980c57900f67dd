"""Tests for the declarative rules: the shipped rules, every kind of broken rules file,
rules that compile and run through real GX, and the ``auditor rules`` commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.errors import RulesError
from auditor.rules import DEFAULT_RULES_DIR, SEVERITIES, known_expectation_names, load_rules
from auditor.validate import run_validation

REPO = Path(__file__).resolve().parents[1]
AUDITOR_BIN = Path(sys.executable).with_name("auditor")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED_RULE_IDS = (
    "title-present", "body-present", "category-present", "category-known",
    "no-markup", "sources-well-formed", "published-at-valid", "unique-ids",
)

# One valid rule; the cases below change one thing in it. Lines: 1 rules:, 2 - id, 3 description,
# 4 severity, 5 expectation, 6 column.
HEAD = "rules:\n  - id: title-short\n    description: Titles fit in one line.\n    severity: error\n"
UNIQUE = "    expectation: expect_column_values_to_be_unique\n    column: id\n"
LENGTHS = "    expectation: expect_column_value_lengths_to_be_between\n    column: title\n"

TAXONOMY = """\
categories:
  - id: brand
    label: Brand
    aliases: [Feuer]
  - id: politik
    label: Politik
    aliases: [Diplomatie]
"""


def write(folder: Path, text: str, name: str = "rules.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rules_error(path: Path) -> str:
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def assert_points_at(message: str, file: Path, line: int, text: str, marker: str) -> None:
    """The message starts with ``file:line:`` and that line of the fixture is the one with ``marker``."""
    assert message.startswith(f"{file}:{line}: "), message
    assert marker in text.splitlines()[line - 1], f"line {line} of the fixture is not the one with {marker!r}"


# --- the shipped rules ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_rules()


def test_shipped_rules_ids_are_kebab_case_unique_and_complete(shipped):
    ids = [rule.id for rule in shipped.rules]
    assert all(KEBAB.match(rule_id) for rule_id in ids), ids
    assert len(ids) == len(set(ids))
    assert set(REQUIRED_RULE_IDS) <= set(ids)


def test_shipped_rules_are_well_formed(shipped):
    known = known_expectation_names()
    default = (DEFAULT_RULES_DIR / "default.yaml").read_text(encoding="utf-8").splitlines()
    assert shipped.sources == (DEFAULT_RULES_DIR / "default.yaml",)
    for rule in shipped.rules:
        assert rule.expectation in known, rule
        assert rule.severity in SEVERITIES
        assert rule.columns and rule.description
        # origin points at the rule's "- id:" line, so errors and `explain` lead to it
        file, line = rule.origin.rsplit(":", 1)
        assert file == str(DEFAULT_RULES_DIR / "default.yaml")
        assert default[int(line) - 1].strip() == f"- id: {rule.id}"
    assert shipped.get("published-at-valid").args == {"max_future_minutes": 60}
    assert shipped.get("no-markup").columns == ("title", "body", "category", "cause", "location", "sources")
    assert shipped.column_mapping["Vorfall"] == "category"
    assert shipped.taxonomy is not None and shipped.taxonomy.lookup("Terror").id == "terrorismus"


# --- one clear line for every kind of mistake ------------------------------------------------------

# (case id, rules YAML, line the error must point at, text on that line, fragments of the message)
BROKEN = [
    ("yaml-indentation", HEAD.replace("    severity", "   severity") + UNIQUE, 4, "severity: error",
     ["not valid YAML", "indentation"]),
    ("yaml-unclosed-list", HEAD.replace("Titles fit in one line.", "[Titles") + UNIQUE, 4, "severity",
     ["not valid YAML", "flow sequence on line 3"]),
    ("missing-severity", HEAD.replace("    severity: error\n", "") + UNIQUE, 2, "- id: title-short",
     ["rule 'title-short'", "missing required key 'severity'"]),
    ("bad-severity", HEAD.replace("severity: error", "severity: fatal") + UNIQUE, 4, "severity: fatal",
     ["'fatal' is not allowed", "error, warning, info"]),
    ("non-kebab-id", HEAD.replace("title-short", "Title_Short") + UNIQUE, 2, "Title_Short",
     ["rule id 'Title_Short' is not kebab-case"]),
    ("duplicate-id", HEAD + UNIQUE + HEAD.replace("rules:\n", "") + UNIQUE, 7, "- id: title-short",
     ["rule id 'title-short' is used twice", "first at", "rules.yaml:2"]),
    ("unknown-key", HEAD.replace("severity:", "sevrity:") + UNIQUE, 4, "sevrity",
     ["unknown key 'sevrity'", "did you mean 'severity'?"]),
    ("unknown-top-level-key", "colums:\n  Titel: title\n" + HEAD + UNIQUE, 1, "colums",
     ["unknown key 'colums'", "did you mean 'columns'?"]),
    ("column-and-columns", HEAD + UNIQUE + "    columns: [id, url]\n", 7, "columns:",
     ["either 'column' or 'columns', not both"]),
    ("no-column", HEAD + "    expectation: expect_column_values_to_be_unique\n", 2, "- id: title-short",
     ["names no column", "'column: NAME'"]),
    ("column-not-text", HEAD + "    expectation: expect_column_values_to_be_unique\n    column: 5\n", 6, "column: 5",
     ["column: expected a text, got a number (5)"]),
    ("rule-not-a-mapping", "rules:\n  - title-present\n", 2, "title-present",
     ["rules[0]: expected a mapping"]),
    ("rules-not-a-list", "rules: 3\n", 1, "rules: 3", ["rules: expected a list, got a number (3)"]),
    ("camel-case-expectation", HEAD + "    expectation: ExpectColumnValuesToBeUnique\n    column: id\n", 5,
     "ExpectColumnValuesToBeUnique", ["is not an expectation name", "snake_case"]),
    ("unknown-expectation", HEAD + "    expectation: expect_column_values_to_be_nul\n    column: id\n", 5,
     "expect_column_values_to_be_nul",
     ["unknown expectation 'expect_column_values_to_be_nul'", "closest known:",
      "expect_column_values_to_be_null", "expect_column_values_to_not_be_null"]),
    ("table-expectation", HEAD + "    expectation: expect_table_row_count_to_be_between\n    column: id\n", 5,
     "expect_table_row_count_to_be_between", ["does not check a single column"]),
    ("pair-expectation", HEAD + "    expectation: expect_column_pair_values_to_be_equal\n    columns: [a, b]\n", 5,
     "expect_column_pair_values_to_be_equal", ["does not check a single column"]),
    # GX (pydantic) rejects a text where a whole number belongs ...
    ("arg-not-a-number", HEAD + LENGTHS + "    args:\n      max_value: 200\n      min_value: abc\n", 9,
     "min_value: abc", ["args.min_value: 'abc'", "expect_column_value_lengths_to_be_between", "not a valid integer"]),
    ("arg-unknown", HEAD + LENGTHS + "    args:\n      max_valu: 200\n", 8, "max_valu",
     ["has no argument 'max_valu'", "did you mean 'max_value'?"]),
    ("arg-unknown-nothing-close", HEAD + LENGTHS + "    args:\n      colour: red\n", 8, "colour",
     ["has no argument 'colour'; its arguments: row_condition, condition_parser, min_value, max_value, strict_min"]),
    ("arg-missing", HEAD + LENGTHS, 2, "- id: title-short", ["min_value and max_value cannot both be None"]),
    ("arg-wrong-type-list", HEAD + "    expectation: expect_column_values_to_be_in_set\n    column: category\n"
     "    args:\n      value_set: Brand\n", 8, "value_set", ["args.value_set: 'Brand'", "not a valid list"]),
    # ... but silently truncates 1.5 to 1, reads '200' as 200 and accepts min > max: the auditor catches these.
    ("arg-silently-truncated", HEAD + LENGTHS + "    args:\n      max_value: 1.5\n", 8, "max_value: 1.5",
     ["GX would silently read 1.5 as 1"]),
    ("arg-quoted-number", HEAD + LENGTHS + "    args:\n      max_value: '200'\n", 8, "max_value",
     ["GX would silently read '200' as 200"]),
    ("arg-min-above-max", HEAD + LENGTHS + "    args:\n      min_value: 10\n      max_value: 2\n", 9, "max_value: 2",
     ["max_value 2 is below min_value 10", "no value can pass"]),
    ("arg-bad-regex", HEAD + "    expectation: expect_column_values_to_match_regex\n    column: title\n"
     "    args:\n      regex: '['\n", 8, "regex", ["args.regex: '['", "not a valid regular expression"]),
    ("arg-overrides-column", HEAD + UNIQUE + "    args:\n      column: url\n", 8, "column: url",
     ["set 'column' on the rule itself, not under 'args'"]),
    ("arg-meta", HEAD + UNIQUE + "    args:\n      meta: {owner: me}\n", 8, "meta",
     ["'meta' is set by the auditor"]),
    ("mostly-above-one", HEAD + UNIQUE + "    mostly: 1.5\n", 7, "mostly: 1.5",
     ["mostly: must be a fraction above 0 and at most 1", "not 1.5"]),
    ("mostly-zero", HEAD + UNIQUE + "    mostly: 0\n", 7, "mostly: 0", ["not 0"]),
    ("missing-taxonomy-file", "taxonomy: nowhere.yaml\n" + HEAD + UNIQUE, 1, "taxonomy: nowhere.yaml",
     ["taxonomy file", "nowhere.yaml", "does not exist"]),
    ("needs-taxonomy", HEAD + "    expectation: expect_column_values_to_be_known_category\n    column: category\n",
     2, "- id: title-short", ["needs a taxonomy", "taxonomy: FILE"]),
    ("empty-file", "", 1, "", ["the file is empty", "'rules:'"]),
    ("only-comments", "# rules will follow\n", 1, "#", ["the file is empty"]),
    ("taxonomy-instead-of-rules", "# categories\n" + TAXONOMY, 2, "categories:", ["this is a taxonomy file"]),
]


@pytest.mark.parametrize(("text", "line", "marker", "fragments"), [case[1:] for case in BROKEN],
                         ids=[case[0] for case in BROKEN])
def test_broken_rules_file_gives_one_line_with_file_and_line(tmp_path, text, line, marker, fragments):
    file = write(tmp_path, text)
    message = rules_error(file)
    assert_points_at(message, file, line, text or "\n", marker)
    for fragment in fragments:
        assert fragment in message, message


def test_broken_taxonomy_named_by_rules_file_points_into_the_taxonomy(tmp_path):
    write(tmp_path, TAXONOMY.replace("label: Politik", "lable: Politik"), "taxonomy.yaml")
    rules = write(tmp_path, "taxonomy: taxonomy.yaml\n" + HEAD + UNIQUE)
    message = rules_error(rules)
    assert message.startswith(f"{tmp_path / 'taxonomy.yaml'}:6: "), message
    assert "unknown key 'lable'; did you mean 'label'?" in message


def test_not_utf8_points_at_the_line(tmp_path):
    file = tmp_path / "rules.yaml"
    file.write_bytes((HEAD + UNIQUE).replace("one line", "eine Zeile f\xfcr").encode("latin-1"))
    message = rules_error(file)
    assert message.startswith(f"{file}:3: not UTF-8"), message


def test_nonexistent_path(tmp_path):
    message = rules_error(tmp_path / "nope.yaml")
    assert message.startswith(f"{tmp_path / 'nope.yaml'}: no such file or folder"), message
    assert "--rules" in message


def test_folder_without_rules_file(tmp_path):
    write(tmp_path, TAXONOMY, "taxonomy.yaml")
    write(tmp_path, "just: notes\n", "notes.yaml")
    message = rules_error(tmp_path)
    assert message.startswith(f"{tmp_path}: no rules file"), message
    assert "'rules:'" in message


def test_duplicate_rule_id_across_files_of_a_folder(tmp_path):
    write(tmp_path, HEAD + UNIQUE, "a.yaml")
    second = write(tmp_path, HEAD + UNIQUE, "b.yaml")
    message = rules_error(tmp_path)
    assert message.startswith(f"{second}:2: rule id 'title-short' is used twice (first at {tmp_path / 'a.yaml'}:2)")


# --- rules compile to GX and run --------------------------------------------------------------------


def test_builtin_with_args_runs_through_gx(tmp_path):
    file = write(tmp_path, f"""\
rules:
  - id: title-length
    description: Titles are at most 200 characters.
    severity: warning
    expectation: expect_column_value_lengths_to_be_between
    column: title
    args:
      max_value: 200
  - id: url-scheme
    description: Links are http(s).
    severity: error
    expectation: expect_column_values_to_match_regex
    column: url
    args:
      regex: "^https?://"
    mostly: 0.5
  - id: ids-unique
    description: Ids are unique.
    severity: error
    expectation: expect_column_values_to_be_unique
    column: id
  - id: clean-text
    description: No markup.
    severity: error
    expectation: expect_column_values_to_be_free_of_markup
    columns: [title, body]
""")
    ruleset = load_rules(file)
    assert ruleset.get("title-length").args == {"max_value": 200}
    data = pd.DataFrame({
        "id": ["a1", "a2", "a3"],
        "title": ["Brand in Linz", "x" * 201, "Unfall auf der A1"],
        "body": ["Die Feuerwehr war im Einsatz.", "<p>Text</p>", "Ein Auto kam von der Straße ab."],
        "url": ["https://example.at/1", "ftp://example.at/2", "https://example.at/3"],
    })
    outcomes = {(o.rule_id, o.column): o for o in run_validation(ruleset, data).outcomes}
    assert set(outcomes) == {("title-length", "title"), ("url-scheme", "url"), ("ids-unique", "id"),
                             ("clean-text", "title"), ("clean-text", "body")}
    assert all(o.error is None for o in outcomes.values())
    length = outcomes[("title-length", "title")]
    assert not length.success and length.result["unexpected_index_list"] == [1]
    assert outcomes[("url-scheme", "url")].success  # 1 of 3 fails, mostly 0.5 lets it pass
    assert outcomes[("url-scheme", "url")].result["unexpected_count"] == 1
    assert outcomes[("ids-unique", "id")].success
    assert outcomes[("clean-text", "title")].success
    body = outcomes[("clean-text", "body")]
    assert not body.success and list(body.result["details"]) == ["1"]

    clean = data.assign(title=["Brand in Linz", "Hochwasser", "Unfall"], url="https://example.at/x",
                        body="Klartext.")
    assert all(o.success for o in run_validation(ruleset, clean).outcomes)


def test_rule_on_missing_column_is_an_outcome_error_not_a_crash(tmp_path):
    ruleset = load_rules(write(tmp_path, HEAD + LENGTHS + "    args:\n      max_value: 200\n"))
    (outcome,) = run_validation(ruleset, pd.DataFrame({"id": ["1"]})).outcomes
    assert not outcome.success and "column 'title' is not in the input" in outcome.error


def test_rules_folder_with_taxonomy(tmp_path):
    write(tmp_path, TAXONOMY, "categories.yaml")
    write(tmp_path, "# notes, not rules\nowner: desk\n", "notes.yml")
    rules = write(tmp_path, """\
taxonomy: categories.yaml
columns:
  Vorfall: category
rules:
  - id: category-known
    description: The category is in the taxonomy.
    severity: error
    expectation: expect_column_values_to_be_known_category
    column: category
""")
    ruleset = load_rules(tmp_path)
    assert ruleset.sources == (rules,)
    assert ruleset.column_mapping == {"Vorfall": "category"}
    assert ruleset.taxonomy.source == tmp_path / "categories.yaml"
    assert [c.id for c in ruleset.taxonomy.categories] == ["brand", "politik"]
    data = pd.DataFrame({"category": ["Brand", "DIPLOMATIE", "feuer", "Terror"]})
    (outcome,) = run_validation(ruleset, data).outcomes
    assert not outcome.success and outcome.result["unexpected_index_list"] == [3]
    assert "not in the taxonomy" in outcome.result["details"]["3"]["message"]

    result = CliRunner().invoke(app, ["rules", "list", "--rules", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[0] == "category-known"


def test_rules_file_with_byte_order_mark_is_found_in_a_folder(tmp_path):
    (tmp_path / "rules.yaml").write_bytes(b"\xef\xbb\xbf" + (HEAD + UNIQUE).encode())
    assert [rule.id for rule in load_rules(tmp_path).rules] == ["title-short"]


# --- the CLI ----------------------------------------------------------------------------------------


def test_cli_rules_list_shows_every_shipped_rule(shipped):
    result = CliRunner().invoke(app, ["rules", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [rule.id for rule in shipped.rules]
    for line, rule in zip(lines, shipped.rules):
        assert rule.severity in line.split() and rule.description in line


def test_cli_rules_explain_prints_description_and_examples(shipped):
    result = CliRunner().invoke(app, ["rules", "explain", "no-markup"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("no-markup  (error)  " + shipped.get("no-markup").description)
    assert "expectation: expect_column_values_to_be_free_of_markup" in out
    assert f"defined at: {shipped.get('no-markup').origin}" in out
    assert "Why it matters" in out
    assert re.search(r"^  Passes: ", out, re.M) and re.search(r"^  Fails: ", out, re.M)


@pytest.mark.parametrize("rule_id", [rule.id for rule in load_rules().rules])
def test_cli_rules_explain_prints_every_case_of_the_rules_cases_file(rule_id):
    from auditor.cases import load_cases

    out = CliRunner().invoke(app, ["rules", "explain", rule_id]).stdout
    assert f"rules/cases/{rule_id}.yaml" in out
    for case in load_cases(rule_id):
        heading = {"pass": "Passes", "fail": "Fails", "note": "Note"}[case.expect]
        assert f"  {heading}: {case.name}" in out, (rule_id, case.name)


def _auditor_rule_ids() -> list[str]:
    from auditor.expectations import AUDITOR_EXPECTATIONS

    return [rule.id for rule in load_rules().rules if rule.expectation in AUDITOR_EXPECTATIONS]


def test_every_auditor_expectation_is_registered_under_its_rule_id():
    from auditor.expectations import AUDITOR_EXPECTATIONS

    for name, expectation in AUDITOR_EXPECTATIONS.items():
        assert expectation.expectation_type == name and KEBAB.match(expectation.rule_id), name
    # Every auditor check ships in the default rules, under the id its class names.
    shipped = {rule.expectation: rule.id for rule in load_rules().rules if rule.expectation in AUDITOR_EXPECTATIONS}
    assert shipped == {name: expectation.rule_id for name, expectation in AUDITOR_EXPECTATIONS.items()}


@pytest.mark.parametrize("rule_id", _auditor_rule_ids())
def test_cli_rules_explain_auditor_checks_read_like_linter_rules(rule_id):
    result = CliRunner().invoke(app, ["rules", "explain", rule_id])
    assert result.exit_code == 0, result.output
    for part in ("What it checks:", "Why it matters:", "Known problems:", "Options (under 'args:')", "Passes:", "Fails:"):
        assert part in result.stdout, (rule_id, part)


def test_cli_rules_explain_shows_args():
    result = CliRunner().invoke(app, ["rules", "explain", "published-at-valid"])
    assert "args: {'max_future_minutes': 60}" in result.stdout


@pytest.mark.parametrize(("asked", "expected"), [
    ("nonexistent", "see 'auditor rules list'"),  # nothing is close enough to suggest
    ("no-markdown", "closest: no-markup"),
    ("title-presnt", "closest: title-present, category-present"),
])
def test_cli_rules_explain_unknown_id_exits_2(asked, expected):
    result = CliRunner().invoke(app, ["rules", "explain", asked])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"auditor: error: no rule {asked!r}; {expected}"]


def test_cli_broken_rules_exit_2_with_one_line(tmp_path):
    broken = write(tmp_path, HEAD.replace("severity:", "sevrity:") + UNIQUE, "broken.yaml")
    missing = tmp_path / "missing"
    processes = [
        subprocess.Popen([str(AUDITOR_BIN), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        for args in (["rules", "list", "--rules", str(broken)],
                     ["rules", "explain", "no-markup", "--rules", str(missing)])
    ]
    (out1, err1), (out2, err2) = (process.communicate(timeout=60) for process in processes)
    for process, out, err in zip(processes, (out1, out2), (err1, err2)):
        assert process.returncode == 2, err
        assert out == ""
        assert "Traceback" not in err
        assert len(err.splitlines()) == 1, err
    assert err1.strip() == f"auditor: error: {broken}:4: rule 'title-short': unknown key 'sevrity'; did you mean 'severity'?"
    assert err2.startswith(f"auditor: error: {missing}: no such file or folder")


def test_every_shipped_rule_explains_why_with_examples(default_rules):
    """`rules explain` gives an editor the why and both examples for every shipped rule, built-in or own."""
    for rule in default_rules.rules:
        result = CliRunner().invoke(app, ["rules", "explain", rule.id])
        assert result.exit_code == 0, result.output
        assert "Why it matters" in result.output, rule.id
        assert "Passes" in result.output and "Fails" in result.output, rule.id
