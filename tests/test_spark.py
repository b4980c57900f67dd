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


def _results(folder: Path) -> dict:
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    for finding in results["findings"]:
        finding["message"] = re.sub(r"\(run at [^)]*\)", "", finding["message"])
    return results


def test_the_cli_on_spark_reads_examples_and_writes_the_pandas_results(spark, tmp_path):
    """``auditor audit examples/ --engine spark``: Spark reads the table (the pages join it from
    the driver) and results.json has the pandas run's findings, rows, rules and inputs."""
    from typer.testing import CliRunner

    from auditor.cli import app

    outputs = {}
    for engine in ("pandas", "spark"):
        outputs[engine] = tmp_path / engine
        outcome = CliRunner().invoke(app, ["audit", str(EXAMPLES), "--out", str(outputs[engine]), "--fail-on", "never",
                                           "--no-history", "--no-data-docs", "--engine", engine])
        assert outcome.exit_code == 0, outcome.output
    on_pandas, on_spark = _results(outputs["pandas"]), _results(outputs["spark"])
    assert on_spark["run"]["engine"] == "spark"
    assert on_pandas["findings"], "the examples have findings to compare"
    for key in ("findings", "summary", "rules", "rows", "inputs", "stories", "systematic"):
        assert on_spark.get(key) == on_pandas.get(key), key
    assert (outputs["spark"] / "junit.xml").is_file() and (outputs["spark"] / "report.html").is_file()


def test_an_unknown_engine_is_one_line_and_exit_2(tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    outcome = CliRunner().invoke(app, ["audit", str(EXAMPLES), "--out", str(tmp_path / "r"), "--engine", "dask"])
    assert outcome.exit_code == 2
    assert "--engine" in outcome.output and "Traceback" not in outcome.output


def _tables(folder: Path) -> Path:
    """The example articles as JSON Lines (with a broken line, a line that is no object and a
    blank line), as CSV (a body with a line break and a semicolon) and as Parquet (a number
    column with a gap), in one folder."""
    records = [json.loads(line) for line in (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    folder.mkdir()
    lines = [json.dumps(record, ensure_ascii=False) for record in records[:6]]
    lines[2:2] = ['{"id": "cut-short", "Titel": "Abgebroch', "[1, 2]", ""]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import csv

    with (folder / "b.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records[6:9]:
            writer.writerow({key: record.get(key) for key in records[0]})
        writer.writerow({**{key: records[9].get(key) for key in records[0]}, "Text": "Erste Zeile;\nzweite Zeile"})
    import pandas as pd

    frame = pd.DataFrame([{key: record.get(key) for key in records[0]} for record in records[10:]])
    frame["Seite"] = pd.array([3, None], dtype="Int64")[: len(frame)]
    frame.to_parquet(folder / "c.parquet")
    return folder


def test_spark_reads_the_tables_as_the_pandas_loaders_do(spark, default_rules, tmp_path):
    """Cells, positions, sources, unreadable rows and the files' report are those of the pandas
    loaders; the driver's batch holds the long texts only of the rows asked for."""
    from auditor.spark.read import read_inputs

    folder = _tables(tmp_path / "in")
    loaded = load_inputs([folder])
    on_pandas = build_batch(loaded, default_rules.column_mapping)
    source = read_inputs(spark, [folder], default_rules.column_mapping)
    try:
        assert source.rows == len(on_pandas.data)
        every = source.driver_batch(set(range(source.rows)))
        assert list(every.data.columns) == list(on_pandas.data.columns)
        assert every.data.to_dict("records") == on_pandas.data.to_dict("records")
        assert every.rows.to_dict("records") == on_pandas.rows.to_dict("records")
        assert source.loaded.unreadable == loaded.unreadable and len(loaded.unreadable) == 2
        assert source.loaded.files == loaded.files
        some = source.driver_batch({1})
        assert some.data["body"].notna().tolist() == [position == 1 for position in range(source.rows)]
        assert some.data["title"].tolist() == on_pandas.data["title"].tolist()
    finally:
        source.release()
    # A glob names the same files.
    globbed = read_inputs(spark, [tmp_path / "in" / "*.*"], default_rules.column_mapping)
    try:
        assert globbed.driver_batch(set()).rows.to_dict("records") == on_pandas.rows.to_dict("records")
    finally:
        globbed.release()


def test_a_ragged_csv_record_is_reported_not_dropped_and_a_missing_id_is_one_line(spark, default_rules, tmp_path,
                                                                                   monkeypatch, capsys):
    from auditor.cli import main
    from auditor.errors import AuditorError
    from auditor.spark.read import read_inputs

    table = tmp_path / "ragged.csv"
    table.write_text("id,Titel,Text\nr1,Eins,Ein Text\nr2,Zwei\nr3,Drei,Noch ein Text\n", encoding="utf-8")
    source = read_inputs(spark, [table], default_rules.column_mapping)
    try:
        assert source.rows == 2
        assert [(row.position, "fields" in row.reason) for row in source.loaded.unreadable] == [(3, True)]
        assert source.loaded.files[0]["rows"] == 3 and source.loaded.files[0]["unreadable_rows"] == 1
    finally:
        source.release()
    nameless = tmp_path / "nameless.jsonl"
    nameless.write_text('{"Titel": "Ohne Kennung", "Text": "Ein Text"}\n', encoding="utf-8")
    with pytest.raises(AuditorError, match="id column"):
        read_inputs(spark, [nameless], default_rules.column_mapping)
    # The CLI's own entry point, in this process (a subprocess would start a Spark session of its own).
    monkeypatch.setattr(sys, "argv", ["auditor", "audit", str(nameless), "--out", str(tmp_path / "r"), "--no-history",
                                      "--engine", "spark"])
    with pytest.raises(SystemExit) as exited:
        main()
    said = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2 and len(said) == 1 and "id column" in said[0]


def test_findings_beyond_the_bound_are_written_by_spark_and_named(spark, tmp_path):
    """With --max-findings 3, three per-row check details reach the driver; Spark writes the
    findings of the others to OUT/findings-beyond/, and together they are the pandas run's."""
    from typer.testing import CliRunner

    from auditor.cli import app

    table = EXAMPLES / "articles.jsonl"
    runs = {}
    for engine, extra in (("pandas", []), ("spark", ["--max-findings", "3"])):
        runs[engine] = tmp_path / engine
        outcome = CliRunner().invoke(app, ["audit", str(table), "--out", str(runs[engine]), "--fail-on", "never",
                                           "--no-history", "--no-data-docs", "--engine", engine, *extra])
        assert outcome.exit_code == 0, outcome.output
    on_pandas, on_spark = _results(runs["pandas"]), _results(runs["spark"])
    beyond = on_spark["run"]["findings_beyond"]
    assert beyond["path"] == "findings-beyond/" and beyond["details"] > 0
    written = [json.loads(line) for part in sorted((runs["spark"] / "findings-beyond").glob("part-*"))
               for line in part.read_text(encoding="utf-8").splitlines()]
    assert len(written) == beyond["findings"] > 0
    for finding in written:
        finding["message"] = re.sub(r"\(run at [^)]*\)", "", finding["message"])
    key = lambda finding: json.dumps(finding, sort_keys=True, ensure_ascii=False)  # noqa: E731
    assert sorted(map(key, on_spark["findings"] + written)) == sorted(map(key, on_pandas["findings"]))
    assert on_spark["rules"] == on_pandas["rules"]
