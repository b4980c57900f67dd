"""Editors' decisions through the real command: waivers, corrections, stale and conflicting
decisions, broken decision files, ``--fail-on-new``, and the run history's counts.

Every audit here runs GX on a small table written by the test; the rules are two of the
shipped kind (a taxonomy check with suggestions and a not-null warning), so runs are quick.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.decisions import load_decisions
from auditor.history import HistoryStore
from auditor.resources import default_rules_dir

TEXT = ("Der Gemeinderat von Steyr beriet am Dienstag lange über den neuen Haushalt. Die Fraktionen stritten über "
        "Kürzungen bei den Bädern, am Abend stimmte eine knappe Mehrheit für den Entwurf des Bürgermeisters.")


def rules_file(folder: Path, decisions: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rules.yaml"
    path.write_text(
        f"taxonomy: {default_rules_dir() / 'taxonomy.yaml'}\n"
        + (f"decisions: {decisions}\n" if decisions else "")
        + "columns: {Titel: title, Text: body, Vorfall: category, Ort: location}\n"
        "rules:\n"
        "  - id: category-known\n"
        "    description: The category is one of the taxonomy's.\n"
        "    severity: error\n"
        "    expectation: expect_column_values_to_be_known_category\n"
        "    column: category\n"
        "  - id: location-present\n"
        "    description: Every row names a place.\n"
        "    severity: warning\n"
        "    expectation: expect_column_values_to_not_be_null\n"
        "    column: location\n",
        encoding="utf-8",
    )
    return path


def table(path: Path, categories: dict[str, str | None], places: dict[str, str | None] | None = None) -> Path:
    places = places or {}
    rows = [{"id": row_id, "Titel": f"Gemeinderat {row_id}", "Text": TEXT, "Vorfall": category,
             "Ort": places.get(row_id, "Steyr")} for row_id, category in categories.items()]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def decision(rule: str, row_id: str, column: str | None, value: str | None, kind: str, at: str,
             new_value: str | None = None, note: str | None = None, by: str | None = None) -> str:
    """One decisions.yaml entry as the report page writes it: JSON strings, which YAML reads."""
    lines = [f"- rule: {json.dumps(rule)}", f"  row_id: {json.dumps(row_id)}", f"  column: {json.dumps(column)}",
             f"  value: {json.dumps(value, ensure_ascii=False)}", f"  decision: {json.dumps(kind)}"]
    if new_value is not None:
        lines.append(f"  new_value: {json.dumps(new_value, ensure_ascii=False)}")
    lines += [f"  note: {json.dumps(note, ensure_ascii=False)}", f"  decided_at: {json.dumps(at)}",
              f"  by: {json.dumps(by)}"]
    return "\n".join(lines) + "\n"


def audit(*args: str):
    result = CliRunner().invoke(app, ["audit", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def finding(document: dict, rule: str, row_id: str) -> dict:
    return next(f for f in document["findings"] if f["rule"] == rule and f["row_id"] == row_id)


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    """Night 1 without decisions; night 2 with one editor's file: a waiver, a correction, a stale entry."""
    root = tmp_path_factory.mktemp("decisions")
    rules = rules_file(root / "rules")
    export = table(root / "export.jsonl", {"r1": "Poltik", "r2": "Terorismus", "r3": "Politik"}, {"r3": None})
    night1 = audit(str(export), "--rules", str(rules), "--out", str(root / "reports" / "n1"))
    editor = root / "anna.yaml"
    editor.write_text(
        "# downloaded from the report\n"
        + decision("category-known", "r1", "category", "Poltik", "dismiss", "2026-12-02T07:40:00Z",
                   note="Poltik is our own tag for local politics", by="Anna")
        + decision("category-known", "r2", "category", "Terorismus", "accept", "2026-12-02T07:41:00Z",
                   new_value="Terrorismus", by="Anna")
        + decision("location-present", "r3", "location", None, "correct", "2026-12-02T07:42:00Z", new_value="Steyr",
                   by="Anna")
        + decision("category-known", "gone", "category", "Sport", "dismiss", "2026-12-02T07:43:00Z", by="Anna"),
        encoding="utf-8")
    night2 = audit(str(export), "--rules", str(rules), "--out", str(root / "reports" / "n2"), "--decisions", str(editor))
    return root, rules, export, editor, night1, night2


def test_a_dismissed_finding_is_waived_shown_collapsed_and_does_not_gate(decided):
    root, _, _, editor, night1, night2 = decided
    assert night1.exit_code == 1
    first, second = results(root / "reports" / "n1"), results(root / "reports" / "n2")
    assert {f["status"] for f in first["findings"]} == {"open"}
    waived = finding(second, "category-known", "r1")
    assert waived["status"] == "waived"
    assert waived["waiver"]["by"] == "Anna" and waived["waiver"]["note"].startswith("Poltik is our own")
    assert waived["waiver"]["decision"] == f"{editor}:2"
    assert finding(second, "category-known", "r2")["status"] == "open"
    assert second["summary"]["findings_waived"] == 1 and second["summary"]["open_per_severity"]["error"] == 1
    # r2's accepted correction is not applied to the data yet: its finding still gates.
    assert night2.exit_code == 1 and second["summary"]["gating_rules_failed"] == ["category-known"]
    assert "1 finding waived, 2 corrections" in night2.output

    suite = ET.parse(root / "reports" / "n2" / "junit.xml").getroot()
    case = suite.find(".//testcase[@name='category-known']")
    assert "r2 [category]" in case.find("failure").text and "r1" not in case.find("failure").text
    assert "waived by Anna" in case.find("system-out").text and "r1 [category]" in case.find("system-out").text

    page = (root / "reports" / "n2" / "report.html").read_text(encoding="utf-8")
    assert '"wv":{"by":"Anna"' in page and "Editors' decisions" in page


def test_waiving_every_open_finding_lets_the_run_pass(decided, tmp_path):
    root, rules, export, editor, _, _ = decided
    more = tmp_path / "ben.yaml"
    more.write_text(decision("category-known", "r2", "category", "Terorismus", "dismiss", "2026-12-02T09:00:00Z",
                             by="Ben"), encoding="utf-8")
    run = audit(str(export), "--rules", str(rules), "--out", str(tmp_path / "out"), "--decisions", str(editor),
                "--decisions", str(more), "--no-history")
    assert run.exit_code == 0, run.output
    summary = results(tmp_path / "out")["summary"]
    assert summary["passed"] is True and summary["verdict"]["state"] == "passed"
    assert "2 waived" in summary["verdict"]["text"]
    # Ben's dismissal is later than Anna's acceptance: it wins, and the run says so.
    assert "decided twice" in run.output and "by Ben" in run.output
    assert "Terrorismus" not in (tmp_path / "out" / "corrections.csv").read_text(encoding="utf-8")


def test_accepted_and_corrected_values_are_written_to_corrections_csv(decided):
    root = decided[0]
    lines = (root / "reports" / "n2" / "corrections.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row_id,column,old_value,new_value,rule,decided_at,by"
    assert "r2,category,Terorismus,Terrorismus,category-known,2026-12-02T07:41:00+00:00,Anna" in lines
    assert "r3,location,,Steyr,location-present,2026-12-02T07:42:00+00:00,Anna" in lines
    assert len(lines) == 3
    decisions = finding(results(root / "reports" / "n2"), "category-known", "r2")["decision"]
    assert decisions["decision"] == "accept" and decisions["new_value"] == "Terrorismus"


def test_a_decision_on_no_row_of_the_run_is_stale_and_only_a_warning(decided):
    root, _, _, editor, _, night2 = decided
    stale = results(root / "reports" / "n2")["decisions"]["stale"]
    assert [(entry["row_id"], entry["decision"]) for entry in stale] == [("gone", f"{editor}:28")]
    assert "no row 'gone'" in stale[0]["reason"]
    assert "warning" in night2.output and "stale decision" in night2.output


def test_when_the_value_changes_the_finding_is_open_again(decided, tmp_path):
    _, rules, _, editor, _, _ = decided
    changed = table(tmp_path / "export.jsonl", {"r1": "Politk", "r2": "Terorismus", "r3": "Politik"}, {"r3": None})
    run = audit(str(changed), "--rules", str(rules), "--out", str(tmp_path / "out"), "--decisions", str(editor),
                "--no-history")
    document = results(tmp_path / "out")
    reopened = finding(document, "category-known", "r1")
    assert reopened["value"] == "Politk" and reopened["status"] == "open" and "waiver" not in reopened
    assert run.exit_code == 1
    stale = {entry["row_id"]: entry["reason"] for entry in document["decisions"]["stale"]}
    assert "category is now 'Politk'" in stale["r1"] and "open again" in stale["r1"]


def test_decisions_named_in_the_rules_folder_apply_to_every_run(decided, tmp_path):
    root, _, export, editor, _, _ = decided
    folder = tmp_path / "rules" / "decisions"  # a folder: every editor's file in it
    folder.mkdir(parents=True)
    (folder / "2026-12-02-anna.yaml").write_text(editor.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "2026-12-02-ben.yaml").write_text(
        decision("location-present", "r3", "location", None, "dismiss", "2026-12-02T09:00:00Z", by="Ben"), encoding="utf-8")
    rules = rules_file(tmp_path / "rules", decisions="decisions")
    audit(str(export), "--rules", str(rules), "--out", str(tmp_path / "out"), "--no-history")
    document = results(tmp_path / "out")
    assert finding(document, "category-known", "r1")["status"] == "waived"
    assert finding(document, "location-present", "r3")["waiver"]["by"] == "Ben"
    assert len(document["decisions"]["files"]) == 2 and len(document["decisions"]["conflicts"]) == 1


def test_merged_files_of_two_editors_keep_the_later_decision_whatever_the_order(tmp_path):
    anna, ben = tmp_path / "anna.yaml", tmp_path / "ben.yaml"
    anna.write_text(decision("category-known", "r2", "category", "Terorismus", "accept", "2026-12-02T07:41:00Z",
                             new_value="Terrorismus", by="Anna"), encoding="utf-8")
    ben.write_text(decision("category-known", "r2", "category", "Terorismus", "correct", "2026-12-02T08:10:00+01:00",
                            new_value="Politik", by="Ben"), encoding="utf-8")
    merged = tmp_path / "both.yaml"  # the editors' files concatenated: still one valid list
    merged.write_text(ben.read_text(encoding="utf-8") + anna.read_text(encoding="utf-8"), encoding="utf-8")
    from auditor.decisions import merge

    for files in ([anna, ben], [ben, anna], [merged]):
        result = merge(load_decisions(files))
        assert [d.by for d in result.decisions] == ["Anna"]  # 07:41Z is later than 08:10+01:00 (07:10Z)
        assert len(result.conflicts) == 1 and "Anna" in result.conflicts[0]["message"].split("wins")[0]


def test_fail_on_new_gates_only_on_findings_new_since_the_same_inputs_last_run(tmp_path):
    rules = rules_file(tmp_path / "rules")
    reports = tmp_path / "reports"
    export = table(tmp_path / "export.jsonl", {"r1": "Poltik", "r2": "Politik"})
    other = table(tmp_path / "other.jsonl", {"x1": "Politik"})

    first = audit(str(export), "--rules", str(rules), "--out", str(reports / "1"), "--fail-on-new")
    assert first.exit_code == 1  # no earlier run of this export: every finding is new
    assert "no earlier run of these inputs" in results(reports / "1")["summary"]["verdict"]["text"]
    second = audit(str(export), "--rules", str(rules), "--out", str(reports / "2"), "--fail-on-new")
    assert second.exit_code == 0, second.output
    summary = results(reports / "2")["summary"]
    assert summary["verdict"]["text"].startswith("passed at --fail-on error (only new findings since run #1)")
    assert finding(results(reports / "2"), "category-known", "r1")["new"] is False

    # Another export audited in between is not the baseline; the export's own last run is.
    audit(str(other), "--rules", str(rules), "--out", str(reports / "3"))
    table(export, {"r1": "Poltik", "r2": "Sportt"})
    third = audit(str(export), "--rules", str(rules), "--out", str(reports / "4"), "--fail-on-new")
    assert third.exit_code == 1
    document = results(reports / "4")
    assert document["summary"]["gate"] == {"fail_on": "error", "only_new": True, "baseline_run": 2}
    assert [f["row_id"] for f in document["findings"] if f["new"]] == ["r2"]
    with HistoryStore(reports / "history.sqlite", create=False) as store:
        assert store.run(4)["passed"] is False and store.run(2)["passed"] is True

    # --baseline names the run to compare with: against run 1, r2's finding is still new.
    assert audit(str(export), "--rules", str(rules), "--out", str(reports / "5"), "--fail-on-new",
                 "--baseline", "1").exit_code == 1


def test_the_history_records_decisions_and_lists_waived_and_corrected_counts(decided):
    root = decided[0]
    store_path = root / "reports" / "history.sqlite"
    listing = CliRunner().invoke(app, ["history", "--history", str(store_path)])
    header, first, second = listing.output.strip().splitlines()
    assert header.split()[-4:] == ["waived", "corrected", "verdict", "output"]
    assert first.split()[9:11] == ["0", "0"] and second.split()[9:11] == ["1", "2"]
    with HistoryStore(store_path, create=False) as store:
        kept = store.decisions(2)
        assert store.decisions(1) is None
    assert kept["waived"] == 1 and kept["corrections"] == 2
    assert {entry["row_id"] for entry in kept["entries"]} == {"r1", "r2", "r3", "gone"}


def test_under_fail_on_never_the_verdict_says_not_gated(tmp_path):
    rules = rules_file(tmp_path / "rules")
    export = table(tmp_path / "export.jsonl", {"r1": "Poltik", "r2": "Sportt"})
    run = audit(str(export), "--rules", str(rules), "--out", str(tmp_path / "out"), "--fail-on", "never", "--no-history")
    assert run.exit_code == 0
    verdict = results(tmp_path / "out")["summary"]["verdict"]
    assert verdict == {"state": "not_gated", "text": "not gated (--fail-on never): 2 errors"}
    history_run = audit(str(export), "--rules", str(rules), "--out", str(tmp_path / "reports" / "1"), "--fail-on", "never")
    assert history_run.exit_code == 0
    listing = CliRunner().invoke(app, ["history", "--history", str(tmp_path / "reports" / "history.sqlite")]).output
    assert "not gated" in listing.splitlines()[1] and "passed" not in listing.splitlines()[1]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'class="verdict not-gated">not gated<' in page and "not gated (--fail-on never): 2 errors" in page
    assert 'class="verdict passed"' not in page


# -- broken decisions files: exit 2 and one line naming the file and the line -------------------

ENTRY = decision("category-known", "r1", "category", "Poltik", "dismiss", "2026-12-02T07:40:00Z")
BROKEN = {
    "yaml": (ENTRY + "- rule: [unclosed\n", r":\d+: not valid YAML"),
    "kind": (ENTRY.replace('"dismiss"', '"ignore"'), r":5: \[0\]\.decision: 'ignore' is not allowed; use one of: dismiss, accept, correct"),
    "key": (ENTRY.replace("  note:", "  notes:"), r":6: \[0\]: unknown key 'notes'; did you mean 'note'\?"),
    "new_value": (ENTRY.replace('"dismiss"', '"accept"'), r":1: \[0\]: missing required key 'new_value'"),
    "date": (ENTRY.replace("2026-12-02T07:40:00Z", "gestern"), r":7: decided_at 'gestern' is not an ISO date-time"),
    "mapping": ("rule: category-known\n", r":1: expected a list, got a mapping"),
    "missing": (None, r": no such decisions file"),
}


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    rules = rules_file(root / "rules")
    export = table(root / "export.jsonl", {"r1": "Poltik"})

    def run(name: str):
        text, _ = BROKEN[name]
        file = root / f"{name}.yaml"
        if text is not None:
            file.write_text(text, encoding="utf-8")
        completed = subprocess.run([sys.executable, "-m", "auditor.cli", "audit", str(export), "--rules", str(rules),
                                    "--out", str(root / name), "--decisions", str(file)],
                                   capture_output=True, text=True, timeout=300)
        return name, file, completed

    with ThreadPoolExecutor(max_workers=2) as pool:
        return {name: (file, completed) for name, file, completed in pool.map(run, BROKEN)}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_decisions_file_stops_the_run_with_one_line(broken_runs, name):
    import re

    file, completed = broken_runs[name]
    assert completed.returncode == 2, completed.stdout
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert re.search(re.escape(str(file)) + BROKEN[name][1], completed.stderr), completed.stderr
    assert not (file.parent / name).exists()  # stopped before any output


def test_a_file_with_only_comments_holds_no_decisions(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# auditor decisions\n# inputs: export.jsonl\n", encoding="utf-8")
    assert load_decisions([empty]) == []
