"""The per-row checks run on row partitions in worker processes: the findings must not
depend on how the batch is cut, nor on how many processes check it, and must be those GX
works out by itself when nothing is computed before the validation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditor.findings import collect
from auditor.loaders import load_inputs
from auditor.mapping import build_batch
from auditor.partitions import check_partition, partition_bounds
from auditor.validate import RESULT_FORMAT, _context, build_suite, run_validation

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def real_batch(tmp_path_factory, default_rules):
    """The bundled examples and the labelled dev news and police releases, with a tenth of
    their labels made wrong, so that most rules have findings."""
    from tests.test_verdicts import _real_batch

    folder = tmp_path_factory.mktemp("partitions")
    table = folder / "night.jsonl"
    records = _real_batch(0.1)
    table.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    loaded = load_inputs([REPO / "examples", table])
    return loaded, build_batch(loaded, default_rules.column_mapping)


def _findings(default_rules, loaded, batch, validation) -> list[dict]:
    result = collect(default_rules, batch, validation.outcomes, loaded.unreadable)
    # The one message that names the time of the run.
    return [{**finding, "message": re.sub(r"\(run at [^)]*\)", "", finding["message"])} for finding in result.findings]


def _timeless(result: dict) -> str:
    return re.sub(r"\(run at [^)]*\)", "", json.dumps(result, sort_keys=True, default=str))


def _outcome_results(validation) -> dict:
    return {(outcome.rule_id, outcome.column): (outcome.success, outcome.error, _timeless(outcome.result))
            for outcome in validation.outcomes}


def test_findings_do_not_depend_on_the_partitions_or_the_workers(default_rules, real_batch):
    loaded, batch = real_batch
    whole = run_validation(default_rules, batch.data, workers=1, partition_rows=10**9)
    cut = run_validation(default_rules, batch.data, workers=2, partition_rows=97)
    assert len(partition_bounds(len(batch.data), 97)) >= 4
    assert whole.steps["row partitions"] > 0 and cut.steps["batch checks"] > 0
    findings = _findings(default_rules, loaded, batch, whole)
    assert len({finding["rule"] for finding in findings}) >= 6, "the batch should give most rules findings"
    assert _findings(default_rules, loaded, batch, cut) == findings
    assert _outcome_results(cut) == _outcome_results(whole)


def test_gx_alone_works_out_the_same_results(default_rules, real_batch):
    """Without results worked out before, every metric computes its own inside GX: the
    partitioned validation must give exactly what GX gives then."""
    loaded, batch = real_batch
    suite, _ = build_suite(default_rules, list(batch.data.columns))
    context = _context()
    suite = context.suites.add(suite)
    gx_batch = (context.data_sources.add_pandas("plain").add_dataframe_asset("batch")
                .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": batch.data}))
    plain = {(r.expectation_config.meta["rule_id"], r.expectation_config.kwargs.get("column", "")):
             (bool(r.success), _timeless(dict(r.result or {}))) for r in gx_batch.validate(suite, result_format=RESULT_FORMAT).results}
    partitioned = run_validation(default_rules, batch.data, workers=2, partition_rows=150)
    assert {key: (success, result) for key, (success, error, result) in _outcome_results(partitioned).items()} == plain


def test_a_partition_is_checked_without_gx(default_rules, real_batch):
    """The unit of work a worker (or a Spark partition) runs is a plain function of the rows."""
    from auditor.expectations.base import AuditorColumnMapExpectation

    _, batch = real_batch
    suite, _ = build_suite(default_rules, list(batch.data.columns))
    checks = [e.metric.row_check(e.column, e.value_kwargs()) for e in suite.expectations
              if isinstance(e, AuditorColumnMapExpectation) and e.metric.partitionable]
    # what a check needs of the whole batch (the furniture check's line counts) is worked out first
    checks = [check.prepared(batch.data[check.column].dropna()) for check in checks]
    rows = batch.data.iloc[40:90]
    details = check_partition(rows, checks)
    assert set(details) == {check.key for check in checks}
    assert all(set(found.index) <= set(rows.index) for found in details.values())
    assert any(len(found) for found in details.values())


def test_the_cli_takes_workers_and_records_them(tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["audit", str(REPO / "examples"), "--out", str(out), "--workers", "2",
                                   "--no-history", "--no-data-docs", "--fail-on", "never", "-q"])
    assert run.exit_code == 0, run.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["workers"] == 2
    assert set(results["run"]["validate_steps"]) == {"batch checks", "row partitions", "gx"}
    bad = CliRunner().invoke(app, ["audit", str(REPO / "examples"), "--out", str(tmp_path / "o2"), "--workers", "0"])
    assert bad.exit_code == 2


def _refuses_rows(values, settings=None):
    raise ValueError("this check cannot judge these rows")


def test_a_check_or_feature_that_raises_is_left_to_gx(default_rules, real_batch):
    """A partition never fails the run: what raises is left out, so GX works it out itself and
    reports the error on its expectation (the run's one-line error, not a traceback)."""
    from auditor.expectations.base import AuditorBatchExpectation
    from auditor.partitions import PartitionFeature, RowCheck, RowCheckRun

    _, batch = real_batch
    suite, _ = build_suite(default_rules, list(batch.data.columns))
    feature = next(e.metric.partition_feature(e.value_kwargs()) for e in suite.expectations
                   if isinstance(e, AuditorBatchExpectation))
    refusing = RowCheck(key="refuses", function=_refuses_rows, column="category")
    broken = PartitionFeature(key="broken", function=_refuses_rows, combine=list, columns=("body",))
    rows = batch.data.iloc[:60]
    found = check_partition(rows, [refusing], [feature, broken])
    assert set(found) == {feature.key}
    gathered = RowCheckRun(batch.data, [refusing], partition_rows=200, features=[feature, broken]).details()
    assert set(gathered) == {feature.key}
    assert gathered[feature.key].index.equals(batch.data.index)
