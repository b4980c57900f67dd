"""An input of more rows than --chunk-rows is audited in two passes over its chunks, its long
texts on disk between them (auditor.chunked): every output must be what the whole-batch run
writes, whatever the chunks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.pipeline import run_audit
from tests.conftest import one_rule_file

REPO = Path(__file__).resolve().parents[1]


def _timeless(text: str) -> str:
    """The one message that names the time of the run, and the run's own times and folder."""
    return re.sub(r"\(run at [^)]*\)", "", text)


def _outputs(out: Path) -> dict:
    results = json.loads(_timeless((out / "results.json").read_text(encoding="utf-8")))
    return {
        "results": {key: value for key, value in results.items() if key not in ("run", "timings")},
        "findings.jsonl": _timeless((out / "findings.jsonl").read_text(encoding="utf-8")),
        "junit": re.sub(r'time(stamp)?="[^"]*"', "", _timeless((out / "junit.xml").read_text(encoding="utf-8"))),
    }


def _audit(ruleset, inputs: list[Path], out: Path, chunk_rows: int, **options):
    run = run_audit(inputs, ruleset, out, use_history=False, workers=2, chunk_rows=chunk_rows, **options)
    return run, _outputs(out)


def _write(table: Path, records: list[dict]) -> Path:
    table.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return table


def test_chunks_write_the_outputs_of_a_whole_run(tmp_path, default_rules, monkeypatch):
    inputs = [REPO / "examples"]
    # What a killed run in chunks left: its long texts, under a process that is gone.
    left = tmp_path / ".chunks.long-texts-999999999"
    left.mkdir()
    whole, expected = _audit(default_rules, inputs, tmp_path / "whole", chunk_rows=0)
    chunked, got = _audit(default_rules, inputs, tmp_path / "chunks", chunk_rows=5)
    results = json.loads((tmp_path / "chunks" / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["chunks"]["chunks"] >= 3
    assert "chunks" not in json.loads((tmp_path / "whole" / "results.json").read_text(encoding="utf-8"))["run"]
    assert expected["results"]["findings"], "the examples have findings"
    assert got == expected
    assert chunked.exit_code == whole.exit_code
    assert (tmp_path / "chunks" / "data-docs" / "index.html").exists()
    # The second pass reads each chunk's texts back in pieces of whole row groups.
    import auditor.chunked
    import auditor.long_texts

    monkeypatch.setattr(auditor.long_texts, "ROW_GROUP_ROWS", 2)
    monkeypatch.setattr(auditor.chunked, "SECOND_PASS_ROWS", 2)
    _, in_pieces = _audit(default_rules, inputs, tmp_path / "pieces", chunk_rows=5)
    assert in_pieces == expected
    # The long texts were on disk only while the run lasted.
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")]


def test_chunks_of_real_text_give_the_whole_batch_findings(tmp_path, default_rules):
    """Real dev news and police releases with a tenth of their labels made wrong, so that label
    consistency and the category checks judge across chunk borders."""
    from tests.test_verdicts import _real_batch

    table = _write(tmp_path / "night.jsonl", _real_batch(0.1))
    _, expected = _audit(default_rules, [table], tmp_path / "whole", chunk_rows=0)
    _, got = _audit(default_rules, [table], tmp_path / "chunks", chunk_rows=97)
    rules_with_findings = {finding["rule"] for finding in expected["results"]["findings"]}
    assert {"category-consistent-in-batch", "category-fits-text"} <= rules_with_findings
    assert got == expected


def _article(number: int, **fields) -> dict:
    record = {"id": f"a-{number}", "Titel": f"Feuer in Lagerhalle {number}",
              "Text": f"In der Nacht brannte eine Lagerhalle im Hafen. Die Feuerwehr löschte den Brand {number}.\n"
                      "Jetzt spenden und unabhängigen Journalismus unterstützen!\nDie Polizei ermittelt.",
              "Vorfall": "Brand", "Ursache": "Brandstiftung", "Ort": "Hamburg", "Quellen": "dpa"}
    record.update(fields)
    return record


def test_an_input_of_exactly_one_chunk_is_audited_whole(tmp_path, default_rules):
    table = _write(tmp_path / "export.jsonl", [_article(number) for number in range(12)])
    _, expected = _audit(default_rules, [table], tmp_path / "whole", chunk_rows=0)
    _, got = _audit(default_rules, [table], tmp_path / "one", chunk_rows=12)
    results = json.loads((tmp_path / "one" / "results.json").read_text(encoding="utf-8"))
    assert "chunks" not in results["run"] and "row partitions" in results["run"]["validate_steps"]
    assert got == expected


def test_ids_repeated_in_different_chunks_are_found(tmp_path, default_rules):
    records = [_article(number) for number in range(30)]
    records[27]["id"] = records[2]["id"]
    table = _write(tmp_path / "export.jsonl", records)
    _, expected = _audit(default_rules, [table], tmp_path / "whole", chunk_rows=0)
    _, got = _audit(default_rules, [table], tmp_path / "chunks", chunk_rows=10)
    repeated = [finding for finding in got["results"]["findings"] if finding["column"] == "id"]
    assert {finding["position"] for finding in repeated} == {3, 28}
    assert "used by 2 rows" in repeated[0]["message"]
    assert got == expected


def test_late_columns_unreadable_rows_and_furniture_across_chunks(tmp_path, default_rules):
    """A key only later rows have, broken lines in every chunk, and a line repeated in many rows
    (the site's template, counted over the whole batch): all as in a whole run."""
    lines = [json.dumps(_article(number), ensure_ascii=False) for number in range(24)]
    lines[3] = '{"id": "broken", "Titel": "abgeschnitten'
    lines[17] = "[1, 2]"
    for number in range(12, 24):
        if number != 17:
            lines[number] = json.dumps(_article(number, Rubrik="Lokales", Ursache=None), ensure_ascii=False)
    table = tmp_path / "export.jsonl"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, expected = _audit(default_rules, [table], tmp_path / "whole", chunk_rows=0)
    _, got = _audit(default_rules, [table], tmp_path / "chunks", chunk_rows=7)
    findings = expected["results"]["findings"]
    assert {finding["rule"] for finding in findings} >= {"row-readable", "body-without-furniture", "metadata-present"}
    assert sum(1 for row in expected["results"]["rows"] if row["status"] == "not_checked") == 2
    assert got == expected


def test_decisions_apply_in_chunks(tmp_path, default_rules):
    records = [_article(number) for number in range(20)]
    records[15]["Vorfall"] = "Terrorismus"
    table = _write(tmp_path / "export.jsonl", records)
    _, before = _audit(default_rules, [table], tmp_path / "before", chunk_rows=0)
    furniture = next(finding for finding in before["results"]["findings"]
                     if finding["rule"] == "body-without-furniture" and finding["position"] == 16)
    from tests.test_decisions import decision

    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(decision("body-without-furniture", furniture["row_id"], "body", furniture["value"], "dismiss",
                                  "2026-12-02T07:40:00Z", note="our own appeal", by="Anna"), encoding="utf-8")
    _, expected = _audit(default_rules, [table], tmp_path / "whole", chunk_rows=0, decisions=[decisions])
    _, got = _audit(default_rules, [table], tmp_path / "chunks", chunk_rows=6, decisions=[decisions])
    assert expected["results"]["summary"]["findings_waived"] >= 1
    assert got == expected


def test_a_rule_judging_a_long_column_whole_is_refused_in_one_line(tmp_path):
    rules = one_rule_file(tmp_path, "few-bodies", "expect_column_unique_value_count_to_be_between", "body",
                          "{min_value: 1}")
    table = _write(tmp_path / "export.jsonl", [_article(number) for number in range(12)])
    command = [sys.executable, "-m", "auditor.cli", "audit", str(table), "--rules", str(rules), "--out",
               str(tmp_path / "out"), "--no-history"]
    whole = subprocess.run(command + ["--chunk-rows", "0"], capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    refused = subprocess.run(command + ["--chunk-rows", "5"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "few-bodies" in refused.stderr and "--chunk-rows 0" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_validator_holds_nothing_of_a_chunk_once_it_is_validated(default_rules):
    """An audit in chunks reads the next chunk's texts while nothing of the last one is left:
    GX's engine kept the frame it validated and its metrics (every row's details) until the
    next validation."""
    import gc
    import weakref

    import pandas as pd

    from auditor.partitions import RowCheckRun
    from auditor.validate import GxValidator, auditor_checks, build_suite

    frame = pd.DataFrame({"title": ["Hochwasser an der Elbe", "Neue Brücke eröffnet"],
                          "body": ["Der Pegel stieg über Nacht. Helfer füllten Sandsäcke.",
                                   "Die Stadt gab die Brücke am Morgen frei. Autos rollten darüber."]})
    validator = GxValidator()  # a suite is made within a context
    suite, _ = build_suite(default_rules, list(frame.columns))
    checks = list(auditor_checks(suite, list(frame.columns)).row_checks.values())
    run = RowCheckRun(frame, checks, workers=1, partition_rows=1)
    known = run.details()
    assert known  # the checks ran
    result = validator.validate(suite, frame, known)
    assert result.results
    gone = weakref.ref(frame)
    del frame, known
    gc.collect()
    assert gone() is None  # the validator and its result are still in scope, holding nothing of the chunk
    assert validator is not None and result is not None
