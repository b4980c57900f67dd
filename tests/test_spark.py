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
    (in the Python workers, other processes, which this does not reach). So does the driver's
    story grouping: the stories are grouped on Spark (:mod:`auditor.spark.stories`)."""
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
        patched.setattr(stories, "find_groups", refuse)
        yield


def _assert_same(on_pandas, on_spark) -> None:
    assert sorted(map(_key, on_spark.findings)) == sorted(map(_key, on_pandas.findings))
    per_rule = lambda result: [(rule["id"], rule.get("column"), rule["passed"], rule.get("unexpected_count"),  # noqa: E731
                                rule.get("evaluated")) for rule in result.rules]
    assert per_rule(on_spark) == per_rule(on_pandas)
    assert on_spark.summary["findings_per_severity"] == on_pandas.summary["findings_per_severity"]


def test_features_wait_on_the_drivers_disk_and_come_back_per_check_in_row_order(tmp_path):
    """Cells arrive in any order; a feature missing from one cell (it failed on that
    partition) is left out; a feature's parts are read back in row order, each time they are
    iterated; parts that are not row ranges are refused."""
    import pickle

    import pandas as pd

    from auditor.partitions import PartitionFeature
    from auditor.spark.row_checks import SpilledFeatures, combined

    def cell(start: int, keys: tuple[str, ...]) -> bytes:
        return pickle.dumps({key: pd.Series([f"{key}{n}" for n in range(start, start + 3)],
                                            index=range(start, start + 3)) for key in keys})

    spilled = SpilledFeatures(tmp_path)
    for start, keys in ((6, ("stems", "hashed")), (0, ("stems", "hashed")), (3, ("stems",))):
        spilled.add(start, cell(start, keys))
    assert "stems" in spilled and "hashed" not in spilled and "other" not in spilled
    stems = PartitionFeature(key="stems", function=len, combine=lambda parts: pd.concat(list(parts)), columns=())
    whole = combined(stems, spilled)
    assert whole.tolist() == [f"stems{n}" for n in range(9)] and whole.index.tolist() == list(range(9))
    parts = spilled["stems"]
    assert [part.index[0] for part in parts] == [0, 3, 6] == [part.index[0] for part in parts]
    assert parts.rows_index.tolist() == list(range(9)) and parts.scratch == tmp_path

    shuffled = SpilledFeatures(tmp_path / "shuffled")
    shuffled.add(0, pickle.dumps({"stems": pd.Series(["a", "b"], index=[4, 1])}))
    with pytest.raises(RuntimeError, match="not row ranges"):
        combined(stems, shuffled)


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


def _nights(folder: Path) -> tuple[Path, Path, Path]:
    """The examples as two nights of one export (the second fixes one row's cause and breaks
    another's), and rules whose systematic threshold a dozen rows reach (`cause-in-text` on
    a quarter of the rows)."""
    rules = (REPO / "rules" / "default.yaml").read_text(encoding="utf-8")
    rules = rules.replace("taxonomy: taxonomy.yaml", f"taxonomy: {REPO / 'rules' / 'taxonomy.yaml'}")
    rules = rules.replace("min_share: 0.3", "min_share: 0.2").replace("min_rows: 200", "min_rows: 2")
    folder.mkdir()
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    records = [json.loads(line) for line in (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    (folder / "night-1.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                          encoding="utf-8")
    changed = {"agg-011": {"Ursache": "Grippewelle"}, "agg-009": {"Ursache": "Erdbeben"}}
    records = [{**record, **changed.get(record["id"], {})} for record in records]
    (folder / "night-2.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                          encoding="utf-8")
    return folder / "rules.yaml", folder / "night-1.jsonl", folder / "night-2.jsonl"


def _all_findings(out: Path) -> list[str]:
    lines = (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    return sorted(re.sub(r"\(run at [^)]*\)", "", line) for line in lines)


def test_findings_beyond_the_bound_count_as_on_pandas(spark, tmp_path):
    """With --max-findings 3, three per-row check details reach the driver and Spark makes the
    findings of the others; yet summary, exit code, rules' figures, systematic problems, the
    editors' waivers and the history's new and fixed counts are the pandas run's, and
    findings.jsonl holds every finding in full."""
    from typer.testing import CliRunner

    from auditor.cli import app
    from auditor.history import HistoryStore

    rules, night_1, night_2 = _nights(tmp_path / "in")
    decisions = tmp_path / "in" / "decisions.yaml"
    runs: dict[str, list[Path]] = {}
    exits: dict[str, list[int]] = {}
    for engine, extra in (("pandas", ["--workers", "1"]), ("spark", ["--max-findings", "3"])):
        history = tmp_path / f"{engine}.sqlite"
        for night, table in enumerate((night_1, night_2), start=1):
            out = tmp_path / engine / f"night-{night}"
            waivers = ["--decisions", str(decisions)] if night == 2 else []
            outcome = CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "--rules", str(rules),
                                               "--history", str(history), "--dataset", "export", "--no-data-docs",
                                               "--engine", engine, *waivers, *extra])
            assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
            runs.setdefault(engine, []).append(out)
            exits.setdefault(engine, []).append(outcome.exit_code)
            if engine == "pandas" and night == 1:
                # The editors dismiss every error of the first night.
                errors = [finding for finding in _results(out)["findings"] if finding["severity"] == "error"]
                decisions.write_text("".join(
                    f"- rule: {json.dumps(f['rule'])}\n  row_id: {json.dumps(f['row_id'])}\n  column: {json.dumps(f['column'])}\n"
                    f"  value: {json.dumps(f['value'], ensure_ascii=False)}\n  decision: \"dismiss\"\n"
                    f"  decided_at: \"2026-12-02T07:40:00Z\"\n  by: \"Anna\"\n" for f in errors), encoding="utf-8")
    assert exits["spark"] == exits["pandas"] == [1, 0], "the waivers of night 2 let it pass, on Spark too"
    for night, (on_pandas, on_spark) in enumerate(zip(runs["pandas"], runs["spark"]), start=1):
        expected, got = _results(on_pandas), _results(on_spark)
        beyond = got["run"]["findings_beyond"]
        assert beyond["findings"] > 0 and beyond["in"] == "findings.jsonl"
        assert got["findings_file"]["findings"] == expected["findings_file"]["findings"]
        assert got["findings_file"]["left_out_held_elsewhere"] == beyond["findings"]
        for key in ("summary", "rules", "rows", "systematic", "decisions"):
            assert got.get(key) == expected.get(key), (night, key)
        assert got["history"]["new"] == expected["history"]["new"] and got["history"]["fixed"] == expected["history"]["fixed"]
        assert _all_findings(on_spark) == _all_findings(on_pandas)
        page = (on_spark / "report.html").read_text(encoding="utf-8")
        assert f'id="held-elsewhere">{beyond["findings"]} findings' in page
        assert not (on_spark / "findings-beyond").exists()
    second = _results(runs["spark"][1])
    # What makes these equalities worth asserting: a waived finding, a systematic problem's
    # rows and a new and a fixed finding are among the findings beyond the bound.
    listed = {(f["rule"], f["row_id"]) for f in second["findings"]}
    held = [json.loads(line) for line in (runs["spark"][1] / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    held = [f for f in held if (f["rule"], f["row_id"]) not in listed]
    assert any(f["status"] == "waived" for f in held) and any(f.get("systematic") for f in held)
    assert second["summary"]["findings_waived"] == 5 and second["systematic"]
    assert second["history"]["new"] >= 1 and second["history"]["fixed"] >= 1
    with HistoryStore(tmp_path / "spark.sqlite", create=False) as store, \
            HistoryStore(tmp_path / "pandas.sqlite", create=False) as expected_store:
        assert [run["findings"] for run in store.runs()] == [run["findings"] for run in expected_store.runs()]
        changes, expected_changes = store.changes(1, 2), expected_store.changes(1, 2)
        assert sorted(f["key"] for f in changes.new) == sorted(f["key"] for f in expected_changes.new)
        assert sorted(f["key"] for f in changes.fixed) == sorted(f["key"] for f in expected_changes.fixed)
