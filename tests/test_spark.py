"""The audit on Spark (GX's Spark engine, ``local[2]``) gives the findings of the pandas run.

One session for the whole file: a Spark session takes seconds to start. The tests skip when
pyspark or Java is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from auditor.findings import collect
from auditor.loaders import load_inputs
from auditor.mapping import build_batch
from auditor.validate import run_validation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def spark():
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (pip install -c constraints.txt -e '.[spark]')")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (apt-get install default-jre-headless)")
    from auditor.spark.session import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def _key(finding: dict) -> tuple:
    return (finding["rule"], finding["row_id"], finding["column"], str(finding.get("suggestion")),
            finding["severity"], str(finding.get("span")), re.sub(r"\(run at [^)]*\)", "", finding["message"]))


def _both_engines(ruleset, inputs: list[Path]):
    from auditor.spark.validate import run_spark_validation

    loaded = load_inputs(inputs)
    batch = build_batch(loaded, ruleset.column_mapping)
    on_pandas = collect(ruleset, batch, run_validation(ruleset, batch.data, workers=1).outcomes, loaded.unreadable)
    on_spark = collect(ruleset, batch, run_spark_validation(ruleset, batch.data).outcomes, loaded.unreadable)
    return on_pandas, on_spark


def _assert_same(on_pandas, on_spark) -> None:
    assert sorted(map(_key, on_spark.findings)) == sorted(map(_key, on_pandas.findings))
    per_rule = lambda result: [(rule["id"], rule.get("column"), rule["passed"], rule.get("unexpected_count"),  # noqa: E731
                                rule.get("evaluated")) for rule in result.rules]
    assert per_rule(on_spark) == per_rule(on_pandas)
    assert on_spark.summary["findings_per_severity"] == on_pandas.summary["findings_per_severity"]


def test_examples_give_the_same_findings_on_spark(spark, default_rules):
    on_pandas, on_spark = _both_engines(default_rules, [EXAMPLES])
    assert on_pandas.findings, "the examples have findings to compare"
    _assert_same(on_pandas, on_spark)


def test_seeds_give_the_same_findings_on_spark(spark, default_rules, shared_seeds):
    on_pandas, on_spark = _both_engines(default_rules, [shared_seeds])
    _assert_same(on_pandas, on_spark)


def test_the_cli_runs_on_spark_and_says_so(spark, tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    out = tmp_path / "run"
    outcome = CliRunner().invoke(app, ["audit", str(EXAMPLES / "articles.jsonl"), "--out", str(out), "--fail-on", "never",
                                       "--no-history", "--no-data-docs", "--engine", "spark"])
    assert outcome.exit_code == 0, outcome.output
    import json

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["engine"] == "spark"
    assert results["summary"]["rows"] == len((EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines())
    assert (out / "junit.xml").is_file() and (out / "report.html").is_file()


def test_an_unknown_engine_is_one_line_and_exit_2(tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    outcome = CliRunner().invoke(app, ["audit", str(EXAMPLES), "--out", str(tmp_path / "r"), "--engine", "dask"])
    assert outcome.exit_code == 2
    assert "--engine" in outcome.output and "Traceback" not in outcome.output
