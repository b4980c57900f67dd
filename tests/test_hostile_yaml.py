"""Hostile YAML in rules, taxonomy and decisions files (issue 16): an alias bomb ("billion
laughs"), nesting thousands deep, an integer of 5,000 digits. Each is refused with one
``file:line`` line in well under a second, before any input is read; aliases of normal size
still work. All fixture text is written for these tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.errors import RulesError
from auditor.rules import DEFAULT_RULES_DIR, load_rules
from auditor.yamldoc import load_validated

AUDITOR = Path(sys.executable).with_name("auditor")

RULES = """\
columns: {Titel: title}
rules:
  - id: title-present
    description: Every row has a title.
    severity: error
    expectation: expect_column_values_to_not_be_null
    column: title
"""


def alias_bomb(levels: int = 9, top_key: str = "rules") -> str:
    """Nine aliases per level, nine levels: 9^9 (387 million) values from 600 bytes."""
    text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in range(1, levels):
        name, previous = chr(97 + level), chr(96 + level)
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
    return text + f"{top_key}: *{chr(96 + levels)}\n"


def refused(path: Path, schema: str) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(RulesError) as raised:
        load_validated(path, schema)
    return str(raised.value), time.perf_counter() - started


@pytest.mark.parametrize("schema, top_key", [("rules", "rules"), ("taxonomy", "categories"), ("decisions", None)])
def test_an_alias_bomb_is_refused_in_well_under_a_second(tmp_path, schema, top_key):
    path = tmp_path / f"{schema}.yaml"
    if top_key is None:  # a decisions file is a list
        body = "- &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
            f"- &{chr(97 + level)} [" + ", ".join([f"*{chr(96 + level)}"] * 9) + "]\n" for level in range(1, 9))
    else:
        body = alias_bomb(top_key=top_key)
    path.write_text(body, encoding="utf-8")
    message, seconds = refused(path, schema)
    assert seconds < 0.5
    assert message.startswith(f"{path}:") and "aliases" in message and "expand to more than 100,000 values" in message


@pytest.mark.parametrize("depth", [65, 5000, 100_000])
def test_a_rules_file_nested_thousands_deep_is_refused(tmp_path, depth):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES + "    args: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    message, seconds = refused(path, "rules")
    assert f"{path}:8: nested more than 64 levels deep; flatten the file" == message
    assert seconds < 2


def test_block_nesting_is_refused_too(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES + "    args:\n" + "".join("  " * (3 + level) + f"k{level}:\n" for level in range(80)) +
                    "  " * 83 + "leaf: 1\n", encoding="utf-8")
    message, _ = refused(path, "rules")
    assert "nested more than 64 levels deep" in message


def test_an_integer_of_5000_digits_is_refused_in_one_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES + "    mostly: " + "9" * 5000 + "\n", encoding="utf-8")
    message, _ = refused(path, "rules")
    assert message.startswith(f"{path}: a value cannot be read") and "quote it" in message


def test_aliases_of_normal_size_still_work(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.replace("    column: title\n", "    column: &c title\n") + """\
  - id: title-present-again
    description: The same column, by alias.
    severity: warning
    expectation: expect_column_values_to_not_be_null
    column: *c
""", encoding="utf-8")
    ruleset = load_rules(path)
    assert [rule.columns for rule in ruleset.rules] == [("title",), ("title",)]


def test_the_shipped_files_are_within_the_limits():
    assert load_rules(DEFAULT_RULES_DIR).rules


def test_the_cli_refuses_a_bomb_before_reading_any_input(tmp_path):
    """The input named does not exist: had the run read inputs first, it would say so."""
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules)
    (rules / "taxonomy.yaml").write_text(alias_bomb(top_key="categories"), encoding="utf-8")
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("- &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"- &{chr(97 + n)} [" + ", ".join([f"*{chr(96 + n)}"] * 10) + "]\n" for n in range(1, 8)), encoding="utf-8")
    for extra, named in (([], "taxonomy.yaml"), (["--rules", str(tmp_path / "only.yaml"), "--decisions", str(decisions)],
                                                 "decisions.yaml")):
        if named == "decisions.yaml":
            (tmp_path / "only.yaml").write_text(RULES, encoding="utf-8")
        else:
            extra = ["--rules", str(rules)]
        started = time.perf_counter()
        done = subprocess.run([str(AUDITOR), "audit", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "out"),
                               "--no-history", *extra], capture_output=True, text=True, timeout=120)
        seconds = time.perf_counter() - started
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and named in lines[0] and "expand to more than 100,000 values" in lines[0], done.stderr
        assert "missing.jsonl" not in done.stderr
        assert seconds < 30  # the import of GX included; the bomb itself took minutes
        assert not (tmp_path / "out").exists()
