"""The audit on Spark (GX's Spark engine, ``local[2]``) gives the findings of the pandas run.

One session for the whole file: a Spark session takes seconds to start. The tests skip when
pyspark or Java is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from contextlib import contextmanager
import re
import shutil
from pathlib import Path

import pytest

from auditor.findings import collect
from auditor.loaders import load_inputs
from auditor.mapping import build_batch
from auditor.validate import run_validation

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
DEV_ROWS = 300
"""Enough real rows for label consistency to judge (its min_rows is 200) and rewrites for the
story grouping to find."""


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


def _both_engines(ruleset, inputs: list[Path], on_driver=None):
    from auditor.spark.validate import run_spark_validation

    loaded = load_inputs(inputs)
    batch = build_batch(loaded, ruleset.column_mapping)
    on_pandas = collect(ruleset, batch, run_validation(ruleset, batch.data, workers=1).outcomes, loaded.unreadable)
    with on_driver or _nothing():
        on_spark = collect(ruleset, batch, run_spark_validation(ruleset, batch.data).outcomes, loaded.unreadable)
    return on_pandas, on_spark


@contextmanager
def _nothing():
    yield


@contextmanager
def _no_text_work_on_the_driver(monkeypatch):
    """The driver's text analysis and text hashing raise: on Spark the partitions do them
    (in the Python workers, other processes, which this does not reach)."""
    import auditor.batch.label_consistency as label_consistency
    import auditor.batch.stories as stories
    import auditor.partitions as partitions
    import auditor.text.analysis as analysis
    import auditor.validate as validate

    def refuse(*args, **kwargs):
        raise AssertionError("the driver analysed the batch's text")

    with monkeypatch.context() as patched:
        for module, name in ((analysis, "analyse_frame"), (analysis, "analyse_texts"), (stories, "analyse_texts"),
                             (partitions, "analyse_frame"), (validate, "analyse_frame")):
            patched.setattr(module, name, refuse)
        patched.setattr(label_consistency._TextModel, "_hash", refuse)
        yield


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


def test_real_rows_give_the_same_batch_findings_without_text_work_on_the_driver(spark, default_rules, tmp_path,
                                                                              monkeypatch):
    """A few hundred rows of real German text: label consistency judges (not a 'too few rows'
    note) and the story grouping finds rewrites, from the features the partitions made."""
    if not (REPO.parent / "shared" / "data" / "police_dev.csv").exists():
        pytest.skip("../shared/data is not present")
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from real_rows import real_rows
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    table = tmp_path / "real.jsonl"
    table.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in real_rows(DEV_ROWS, seed=3)),
                     encoding="utf-8")
    on_pandas, on_spark = _both_engines(default_rules, [table], _no_text_work_on_the_driver(monkeypatch))
    judged = {rule["id"]: rule for rule in on_spark.rules}
    assert judged["category-consistent-in-batch"]["evaluated"] >= 200
    assert {finding["rule"] for finding in on_pandas.findings} >= {"category-consistent-in-batch",
                                                                    "duplicate-story-consistency"}
    _assert_same(on_pandas, on_spark)


def test_the_cli_runs_on_spark_and_says_so(spark, tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    out = tmp_path / "run"
    outcome = CliRunner().invoke(app, ["audit", str(EXAMPLES / "articles.jsonl"), "--out", str(out), "--fail-on", "never",
                                       "--no-history", "--no-data-docs", "--engine", "spark"])
    assert outcome.exit_code == 0, outcome.output
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
