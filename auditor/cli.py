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


def _fail(message: str) -> None:
    typer.echo(f"auditor: error: {message}", err=True)
    raise typer.Exit(2)


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
) -> None:
    """Audit INPUTS and write results.json, junit.xml and report.html."""
    from auditor.pipeline import default_out_dir, run_audit

    ruleset = _load_rules(rules)
    run = run_audit(inputs, ruleset, out or default_out_dir(), fail_on.value, show_progress=sys.stderr.isatty() and not quiet)
    summary = run.result.summary
    if not quiet:
        per = summary["findings_per_severity"]
        verdict = "passed" if summary["passed"] else f"FAILED ({', '.join(summary['gating_rules_failed'])})"
        typer.echo(
            f"{summary['rows']} rows, {summary['rows_with_findings']} with findings, {summary['rows_not_checked']} not checked: "
            f"{per['error']} errors, {per['warning']} warnings, {per['info']} infos -> {verdict} [fail on {summary['fail_on']}]"
        )
        typer.echo(f"report: {run.outputs['report.html']}")
    for rule in run.result.rule_errors:
        typer.echo(f"auditor: error: rule {rule['id']!r} could not be evaluated: {rule['error']}", err=True)
    raise typer.Exit(run.exit_code)


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
    typer.echo(f"defined at: {rule.origin}\n")
    if rule.explain:
        # A rule on a GX built-in carries its editor-facing explanation in the rules file.
        for key, heading in (("why", "Why it matters"), ("passes", "Passes"), ("fails", "Fails")):
            if key in rule.explain:
                typer.echo(f"{heading}: {rule.explain[key]}")
        typer.echo("")
    docstring = inspect.cleandoc(get_expectation_impl(rule.expectation).__doc__ or "(no description)")
    typer.echo(docstring if not rule.explain else docstring.split("\n\n")[0])


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
