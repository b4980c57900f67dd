"""The ``auditor`` command."""

from __future__ import annotations

import inspect
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from auditor.errors import AuditorError

app = typer.Typer(
    help="Audit the metadata of news aggregator output against declarative rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="List and explain the rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


RulesOption = typer.Option(None, "--rules", help="Rules file or folder (default: the shipped rules/).")
HistoryOption = typer.Option(None, "--history", help="Run history store (default: history.sqlite in the output root, "
                             "the parent of --out; reports/history.sqlite).")
DEFAULT_HISTORY = Path("reports") / "history.sqlite"
DatasetOption = typer.Option(None, "--dataset", help="The dataset a run belongs to: runs are compared with the "
                             "previous run of the same dataset (default: the inputs' absolute paths).")


def _find_history(given: Optional[Path]) -> Path:
    """--history, else the store of the output root we are in (./history.sqlite, or the parent's
    when run inside a run folder), else reports/history.sqlite."""
    if given is not None:
        return given
    here = Path.cwd()
    for candidate in (here / "history.sqlite", here / DEFAULT_HISTORY):
        if candidate.is_file():
            return candidate
    if (here / "results.json").is_file() and (here.parent / "history.sqlite").is_file():
        return here.parent / "history.sqlite"
    return DEFAULT_HISTORY


def _fail(message: str) -> None:
    typer.echo(f"auditor: error: {message}", err=True)
    raise typer.Exit(2)


def _check_out_dir(out: Path) -> None:
    """--out must be a folder the run can create or replace: fail in one line before any work,
    never replace a file with a folder."""
    import tempfile

    if out.exists() and not out.is_dir():
        _fail(f"--out {out}: this is a file, not a folder; name a folder (it is created) or move the file away")
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        _fail(f"--out {out}: {ancestor} is a file, so no folder can be made below it; choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.probe-"):
            pass
    except OSError as error:
        _fail(f"--out {out}: cannot write in {out.parent} ({error.strerror or error}); choose a folder you can write to")


def _load_rules(path: Optional[Path]):
    from auditor.rules import load_rules

    return load_rules(path)


@app.command()
def audit(
    inputs: List[Path] = typer.Argument(..., help="Tables (CSV, TSV, JSONL, JSON, Parquet), article pages (.txt, .html) or folders."),
    rules: Optional[Path] = RulesOption,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: a new timestamped folder under reports/)."),
    fail_on: FailOn = typer.Option(FailOn.error, "--fail-on", help="Lowest severity of a failing rule that makes the exit code 1."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    history: Optional[Path] = HistoryOption,
    no_history: bool = typer.Option(False, "--no-history", help="Do not record this run in the run history."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Compare with this run of the history "
                                           "(number, 'latest' or 'previous') instead of the run before."),
    data_docs: bool = typer.Option(True, "--data-docs/--no-data-docs", help="Build GX Data Docs in OUT/data-docs."),
    decisions: Optional[List[Path]] = typer.Option(None, "--decisions", help="Editors' decisions (decisions.yaml from "
                                                   "the report, or a folder of them; repeatable): dismissed findings are waived, accepted "
                                                   "and corrected values go to OUT/corrections.csv."),
    fail_on_new: bool = typer.Option(False, "--fail-on-new", help="Gate only on findings new since the last run of the "
                                     "same inputs (or --baseline), as with a linter's baseline."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=256, help="Processes for the per-row checks "
                                          "(default: the cores this process may use). The findings do not depend on it."),
    chunk_rows: Optional[int] = typer.Option(None, "--chunk-rows", min=0, help="An input of more rows is audited in "
                                             "chunks of this many, in two passes, so that memory stays flat as rows "
                                             "grow (default 100000; 0: always whole). The findings do not depend on it."),
    dataset: Optional[str] = DatasetOption,
    engine: str = typer.Option("pandas", "--engine", help="Where the rules run: 'pandas' (this machine) or 'spark' "
                               "(GX's Spark engine; needs the 'spark' extra and Java)."),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master URL for --engine spark "
                                               "(default: the active session's, else local[*])."),
    max_findings: Optional[int] = typer.Option(None, "--max-findings", min=0, help="For --engine spark: at most this many "
                                               "findings of the per-row checks are gathered to the driver with their "
                                               "details (default 50000); Spark makes the rest, which count everywhere "
                                               "and are in findings.jsonl (run.findings_beyond in results.json)."),
) -> None:
    """Audit INPUTS and write results.json, junit.xml, report.html and GX Data Docs; record the run in the history.

    In GitHub Actions (GITHUB_ACTIONS=true) also print annotations for error findings and
    append a markdown summary to $GITHUB_STEP_SUMMARY.
    """
    from auditor.pipeline import default_out_dir, run_audit

    if dataset is not None and not dataset.strip():
        _fail("--dataset: give a name (e.g. --dataset nightly-export), or leave it out to use the inputs")
    if engine not in ("pandas", "spark"):
        _fail(f"--engine: {engine!r} is not an engine; use pandas or spark")
    if spark_master is not None and engine != "spark":
        _fail("--spark-master is for --engine spark")
    if chunk_rows is not None and engine != "pandas":
        _fail("--chunk-rows is for --engine pandas (Spark reads its inputs in partitions itself)")
    if max_findings is not None and engine != "spark":
        _fail("--max-findings is for --engine spark (on pandas every finding is gathered)")
    if engine == "spark":
        from auditor.errors import AuditorError
        from auditor.spark import require_pyspark

        try:
            require_pyspark()
        except AuditorError as error:
            _fail(str(error))
    out = out or default_out_dir()
    _check_out_dir(out)
    ruleset = _load_rules(rules)
    run = run_audit(inputs, ruleset, out, fail_on.value, show_progress=sys.stderr.isatty() and not quiet,
                    history_path=history, use_history=not no_history, baseline=baseline, data_docs=data_docs,
                    decisions=decisions or [], fail_on_new=fail_on_new, dataset=dataset, workers=workers,
                    engine=engine, spark_master=spark_master, max_findings=max_findings, chunk_rows=chunk_rows)
    summary = run.result.summary
    if not quiet:
        per = summary["findings_per_severity"]
        verdict = summary["verdict"]["text"]
        if summary["verdict"]["state"] == "failed":
            verdict = "FAILED" + verdict[len("failed"):]  # the word a CI log is searched for
        typer.echo(
            f"{summary['rows']} rows, {summary['rows_with_findings']} with findings, {summary['rows_not_checked']} not checked: "
            f"{per['error']} errors, {per['warning']} warnings, {per['info']} infos -> {verdict}"
        )
        from auditor.decisions import describe_outcome

        for line in describe_outcome(run.decisions) if run.decisions else []:
            notice = line.startswith(("warning:", "note:"))
            typer.echo(f"auditor: {line}" if notice else line, err=notice)
        if run.outputs.get("corrections.csv"):
            typer.echo(f"corrections: {run.outputs['corrections.csv']}")
        if run.history and run.history.get("baseline"):
            typer.echo(f"since run #{run.history['baseline']['id']}: {run.history['new']} new, {run.history['fixed']} fixed "
                       f"[history: {run.history['path']}, run #{run.history['run_id']}]")
        typer.echo(f"report: {run.outputs['report.html']}")
    _github_outputs(run)
    for rule in run.result.rule_errors:
        typer.echo(f"auditor: error: rule {rule['id']!r} could not be evaluated: {rule['error']}", err=True)
    raise typer.Exit(run.exit_code)


def _github_outputs(run) -> None:
    from auditor.annotations import emit, in_github_actions

    if not in_github_actions():
        return
    result = run.result
    report = os.path.relpath(run.outputs["report.html"]) if run.outputs.get("report.html") else None
    for line in emit(result.summary, result.rules, result.findings, result.rows, run.history, report):
        typer.echo(line)


@app.command("history")
def history_command(
    history: Optional[Path] = typer.Option(None, "--history", help="Run history store (default: history.sqlite "
                                           "here, when run inside an output root, else reports/history.sqlite)."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many of the latest runs to list (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="List only the runs of this dataset."),
) -> None:
    """List the recorded runs and their figures, oldest first."""
    import json

    from auditor.history import HistoryStore

    history = _find_history(history)
    with HistoryStore(history, create=False) as store:
        runs = store.runs(limit or None, dataset)
        datasets = store.datasets()
    if as_json:
        typer.echo(json.dumps(runs, ensure_ascii=False, indent=1))
        return
    if not runs:
        known = f"; its datasets: {', '.join(datasets)}" if dataset is not None and datasets else ""
        typer.echo(f"{history}: no runs recorded yet" + (f" of dataset {dataset!r}{known}" if dataset else ""))
        return
    header = (f"{'run':>5}  {'started (UTC)':<25}  {'rows':>8}  {'passing':>8}  {'errors':>7}  {'warnings':>8}  {'infos':>6}  "
              f"{'new':>6}  {'fixed':>6}  {'waived':>6}  {'corrected':>9}  {'verdict':<9}  output")
    # With several datasets in one store, each run says which one it belongs to.
    several = dataset is None and len({run.get("dataset") for run in runs}) > 1
    typer.echo(header + ("  [dataset]" if several else ""))
    for run in runs:
        new = "-" if run["new"] is None else str(run["new"])
        fixed = "-" if run["fixed"] is None else str(run["fixed"])
        typer.echo(
            f"{'#' + str(run['id']):>5}  {run['started_at']:<25}  {run['rows']:>8}  {run['share_passed']:>7.1f}%  "
            f"{run['errors']:>7}  {run['warnings']:>8}  {run['infos']:>6}  {new:>6}  {fixed:>6}  "
            f"{run.get('waived') or 0:>6}  {run.get('corrected') or 0:>9}  "
            f"{_run_verdict(run):<9}  {run['out_dir'] or ''}" + (f"  [{run.get('dataset')}]" if several else "")
        )


def _run_verdict(run: dict) -> str:
    # A run under --fail-on never decided nothing; "passed" would read as "all is well".
    if run.get("fail_on") == "never":
        return "not gated"
    return "passed" if run["passed"] else "failed"


@app.command("diff")
def diff_command(
    run_a: Optional[str] = typer.Argument(None, help="The earlier run: a number from 'auditor history', 'latest', "
                                          "'previous', a run folder or a results.json file (default: previous)."),
    run_b: Optional[str] = typer.Argument(None, help="The later run (default: the latest)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Compare RUN_A (default: the latest run) against "
                                           "this baseline run instead."),
    history: Optional[Path] = typer.Option(None, "--history", help="Run history store (default: history.sqlite here, "
                                           "when run inside an output root, else reports/history.sqlite)."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="'latest' and 'previous' are runs of this dataset "
                                          "(default: the latest run's dataset)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the changes here: .json (default "
                                          "diff-A-B.json beside the history) or .md."),
    shown: int = typer.Option(20, "--show", help="How many new and fixed findings to print."),
) -> None:
    """Print and write what changed between two runs: new findings, fixed findings, per rule."""
    import json

    from auditor.history import HistoryError, HistoryStore, compare, results_json_run
    from auditor.report.changes import changes_markdown, changes_text

    history = _find_history(history)
    if baseline is not None:
        if run_b is not None:
            _fail("give either RUN_A RUN_B or --baseline RUN [RUN], not both")
        references = [baseline, run_a or "latest"]
    elif run_a is not None and run_b is not None:
        references = [run_a, run_b]
    elif run_a is not None:
        references = [run_a, "latest"]
    else:
        references = ["previous", "latest"]

    def is_file(reference: str) -> bool:
        return reference.endswith(".json") or Path(reference).is_file()

    def is_folder(reference: str) -> bool:
        return not reference.strip().lstrip("#").isdigit() and Path(reference).is_dir()

    store = None
    try:
        sides = []
        for reference in references:
            if is_folder(reference):
                # A run folder: its results.json (and findings.jsonl) hold every finding.
                sides.append(results_json_run(Path(reference) / "results.json"))
                continue
            if is_file(reference):
                sides.append(results_json_run(Path(reference)))
                continue
            if store is None:
                store = HistoryStore(history, create=False)
            run_id = store.resolve(reference, dataset)
            findings = store.findings(run_id)
            if findings is None:
                raise HistoryError(f"{history}: the findings of run #{run_id} are no longer kept")
            sides.append((store.run(run_id), findings))
    finally:
        if store is not None:
            store.close()
    (before_run, before), (after_run, after) = sides
    changes = compare(before, after, before_run, after_run).to_dict()
    typer.echo(changes_text(changes, shown))

    def label(run: dict) -> str:
        return str(run["id"]) if isinstance(run.get("id"), int) else Path(str(run.get("id"))).parent.name or "file"

    target = output or Path(history).parent / f"diff-{label(before_run)}-{label(after_run)}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".md":
        target.write_text(changes_markdown(changes) + "\n", encoding="utf-8")
    else:
        target.write_text(json.dumps(changes, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    typer.echo(f"\nwritten: {target}")


@app.command("apply")
def apply_command(
    corrections: Path = typer.Argument(..., help="corrections.csv, as an audit with --decisions wrote it."),
    table: Path = typer.Argument(..., help="The input table to correct (CSV, TSV, JSONL, JSON, Parquet)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the corrected copy (same format as TABLE)."),
    rules: Optional[Path] = RulesOption,
) -> None:
    """Write a corrected copy of TABLE: the cells of CORRECTIONS changed, every other cell, row and column as it was.

    Exit 1 when some correction could not be applied (its row is missing, or the cell holds
    neither the old nor the new value); they are listed.
    """
    from auditor.corrections import apply_corrections

    ruleset = _load_rules(rules)
    applied = apply_corrections(corrections, table, output, ruleset.column_mapping)
    for change in applied.changed:
        typer.echo(f"{table}:{change['position']} {change['row_id']} [{change['input_column']}]: "
                   f"{change['old_value']!r} -> {change['new_value']!r}")
    for entry in applied.not_applied:
        typer.echo(f"auditor: warning: {entry['correction']}: not applied: {entry['reason']}", err=True)
    already = f", {len(applied.unchanged)} already corrected" if applied.unchanged else ""
    missed = f", {len(applied.not_applied)} not applied" if applied.not_applied else ""
    typer.echo(f"{len(applied.changed)} cell{'s' if len(applied.changed) != 1 else ''} changed{already}{missed} -> {output}")
    raise typer.Exit(1 if applied.not_applied else 0)


@app.command()
def extract(
    pages: List[Path] = typer.Argument(..., help="Article pages (.txt, .html) or folders of them."),
    output: Path = typer.Option(..., "--output", "-o", help="Table to write: .jsonl, .csv or .parquet."),
    rules: Optional[Path] = RulesOption,
) -> None:
    """Extract title, body and the Details block of article pages into a table."""
    from auditor.extract import PAGE_SUFFIXES
    from auditor.loaders import expand_inputs, load_inputs
    from auditor.mapping import build_batch
    from auditor.tables import write_table

    files, _ = expand_inputs(pages)
    not_pages = [str(file) for file in files if file.suffix.lower() not in PAGE_SUFFIXES]
    if not_pages:
        _fail(f"{not_pages[0]}: not an article page; extract takes .txt and .html pages")
    ruleset = _load_rules(rules)
    batch = build_batch(load_inputs(files), ruleset.column_mapping)
    write_table(batch.data, output)
    typer.echo(f"{len(batch.data)} pages -> {output}")


@rules_app.command("list")
def rules_list(rules: Optional[Path] = RulesOption) -> None:
    """List every rule with its severity and what it checks."""
    ruleset = _load_rules(rules)
    width = max((len(rule.id) for rule in ruleset.rules), default=10)
    for rule in ruleset.rules:
        typer.echo(f"{rule.id:<{width}}  {rule.severity:<7}  {', '.join(rule.columns):<30}  {rule.description}")


@rules_app.command("explain")
def rules_explain(rule_id: str = typer.Argument(..., help="The rule id, e.g. no-markup."), rules: Optional[Path] = RulesOption) -> None:
    """Print what a rule checks, why it matters, and a passing and a failing example."""
    from great_expectations.expectations.registry import get_expectation_impl

    ruleset = _load_rules(rules)
    rule = ruleset.get(rule_id)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(rule_id, [r.id for r in ruleset.rules], n=3)
        _fail(f"no rule {rule_id!r}" + (f"; closest: {', '.join(close)}" if close else "; see 'auditor rules list'"))
    typer.echo(f"{rule.id}  ({rule.severity})  {rule.description}")
    typer.echo(f"columns: {', '.join(rule.columns)}")
    typer.echo(f"expectation: {rule.expectation}" + (f"  args: {rule.args}" if rule.args else ""))
    if rule.confidence:
        levels = ", ".join(f"{severity} at confidence >= {rule.confidence[severity]}" for severity in ("error", "warning")
                           if severity in rule.confidence)
        typer.echo(f"severity by confidence: {levels}; below, no finding")
    if rule.gate:
        typer.echo(f"gate: the run fails on this rule when more than {rule.gate['max_share']:.0%} of its rows have open "
                   f"findings with confidence >= {rule.gate['min_confidence']}")
    typer.echo(f"defined at: {rule.origin}\n")
    expectation = get_expectation_impl(rule.expectation)
    if rule.explain:
        # A rule on a GX built-in carries its editor-facing explanation in the rules file.
        if "why" in rule.explain:
            typer.echo(f"Why it matters: {rule.explain['why']}\n")
    docstring = inspect.cleandoc(expectation.__doc__ or "(no description)")
    typer.echo(docstring if not rule.explain else docstring.split("\n\n")[0])
    if hasattr(expectation, "metric"):
        options = explain_options(expectation)
        typer.echo("\nOptions (under 'args:'):" + ("" if options else " none"))
        for line in options:
            typer.echo(f"  {line}")
    from auditor.cases import describe, load_cases

    cases = load_cases(rule.id)
    if cases:
        typer.echo(f"\nExamples (rules/cases/{rule.id}.yaml, run by the tests):")
        reverse = {target: source for source, target in ruleset.column_mapping.items()}
        for case in cases:
            heading = {"pass": "Passes", "fail": "Fails", "note": "Note"}[case.expect]
            typer.echo(f"  {heading}: {case.name}")
            typer.echo(f"      {describe(case, case.column or rule.columns[0], reverse)}")
            said = [f"{key} {value!r}" for key, value in (("message has", case.message), ("suggests", case.suggestion),
                                                          ("snippet", case.snippet)) if value]
            if case.span:
                said.append(f"span {list(case.span)}")
            if said:
                typer.echo(f"      -> {'; '.join(said)}")


def explain_options(expectation: type) -> list[str]:
    """One line per option of an auditor expectation: name, default and meaning, from the
    settings dataclass that declares it (taxonomy-filled options say so)."""
    metric = getattr(expectation, "metric", None)
    settings = getattr(metric, "settings", None)
    if settings is None:
        return []
    import dataclasses

    lines = []
    for item in dataclasses.fields(settings):
        if item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        else:
            default = item.default
        shown = "(from the taxonomy)" if isinstance(default, dict) and not default else repr(default)
        doc = item.metadata.get("description", "")
        lines.append(f"{item.name} = {shown}" + (f": {doc}" if doc else ""))
    return lines


@rules_app.command("expectations")
def rules_expectations() -> None:
    """List the auditor's own expectations (usable in rules besides GX's built-ins)."""
    from auditor.expectations import AUDITOR_EXPECTATIONS

    for name, cls in sorted(AUDITOR_EXPECTATIONS.items()):
        first_line = inspect.cleandoc(cls.__doc__ or "").splitlines()[0] if cls.__doc__ else ""
        typer.echo(f"{name:<48}  {first_line}")


def main() -> None:
    try:
        app()
    except AuditorError as error:
        typer.echo(f"auditor: error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("auditor: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # one line for the user; AUDITOR_DEBUG=1 shows the traceback
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        typer.echo(f"auditor: internal error: {type(error).__name__}: {error} (set AUDITOR_DEBUG=1 for details)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
