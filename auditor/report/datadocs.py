"""GX Data Docs beside the report, from a slimmed copy of the run's GX validation result.

GX 1.x renders data values into Data Docs without HTML-escaping them, so no article text
may reach them. The copy handed to Data Docs keeps per expectation only the counts and
percentages (no unexpected values or indexes, no ``details`` with the auditor's
suggestions, evidence words and snippets, no ``note``), and escapes exception messages,
which can quote data. The copy is also what keeps Data Docs fast: the full result of a
100k-row run holds every failing row's details.

GX's pages load jQuery, Bootstrap, bootstrap-table, Font Awesome, Vega and GX's logo from
CDNs: opened offline they were unstyled, online they told third parties that someone opened
an audit. Once built, every page is made to stand alone (``make_offline``): remote scripts,
style sheets and images are dropped, the index's tables (filled by bootstrap-table from
script data) are written out as plain HTML tables, a small local style sheet stands in for
Bootstrap's looks and Font Awesome's pass/fail icons, and a Content-Security-Policy like
the report's (``default-src 'none'``, no script at all) forbids loading anything else.
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

DATA_DOCS_DIR = "data-docs"
SITE_NAME = "auditor"
# Per-expectation result keys that are figures about the column, never values from it.
NUMERIC_RESULT_KEYS = (
    "element_count", "missing_count", "missing_percent", "unexpected_count", "unexpected_percent",
    "unexpected_percent_total", "unexpected_percent_nonmissing",
)
_IMAGE_REFERENCE = re.compile(r"images/([\w.-]+)")
# Expectation arguments longer than this (the whole taxonomy, the label map) are summarised:
# GX prints arguments of expectations without their own renderer in full.
ARGUMENT_CHARS = 300


def _slim_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    slim = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and len(json.dumps(value, ensure_ascii=False, default=str)) > ARGUMENT_CHARS:
            value = {"summary": f"{len(value)} entries, from the auditor's rules files"}
        elif isinstance(value, list) and len(json.dumps(value, ensure_ascii=False, default=str)) > ARGUMENT_CHARS:
            value = [*value[:5], f"… {len(value) - 5} more"]
        slim[key] = value
    return slim


def _slim_config(config: Any, keep_id: bool = True) -> Any:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return ExpectationConfiguration(type=config.type, kwargs=_slim_kwargs(dict(config.kwargs)), meta=config.meta,
                                    id=getattr(config, "id", None) if keep_id else None)


def slim_suite(suite: Any) -> Any:
    """A copy of the suite with long arguments summarised, for the Data Docs suite page."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=suite.name,
                               expectations=[_slim_config(e.configuration, keep_id=False).to_domain_obj()
                                             for e in suite.expectations])


def _slim_result(result: dict[str, Any] | None) -> dict[str, Any]:
    slim: dict[str, Any] = {}
    for key in NUMERIC_RESULT_KEYS:
        value = (result or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            slim[key] = value
    observed = (result or {}).get("observed_value")
    if isinstance(observed, (int, float)) and not isinstance(observed, bool):
        slim["observed_value"] = observed
    return slim


def _slim_exception(info: dict[str, Any] | None) -> dict[str, Any]:
    infos = (info or {}).values() if "raised_exception" not in (info or {}) else [info]
    for item in infos:
        if isinstance(item, dict) and item.get("raised_exception"):
            message = str(item.get("exception_message") or "error").strip().splitlines()
            return {"raised_exception": True, "exception_traceback": None,
                    "exception_message": html.escape(message[-1] if message else "error")[:300]}
    return {"raised_exception": False, "exception_traceback": None, "exception_message": None}


def slim_validation_result(gx_result: Any, run_id: Any = None) -> Any:
    """A copy of a suite validation result that carries no data values (the original is untouched)."""
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

    results = []
    for expectation_result in gx_result.results:
        config = expectation_result.expectation_config
        results.append(ExpectationValidationResult(
            success=bool(expectation_result.success),
            expectation_config=_slim_config(config),
            result=_slim_result(expectation_result.result),
            exception_info=_slim_exception(expectation_result.exception_info),
        ))
    meta = gx_result.meta or {}
    definition = dict(meta.get("active_batch_definition") or {})
    if definition.get("batch_identifiers"):
        definition["batch_identifiers"] = {key: "<DATAFRAME>" for key in definition["batch_identifiers"]}
    slim_meta = {
        "great_expectations_version": meta.get("great_expectations_version"),
        "active_batch_definition": definition,
        "batch_markers": {key: value for key, value in (meta.get("batch_markers") or {}).items()
                          if isinstance(value, (str, int, float))},
        "batch_spec": {"batch_data": "PandasDataFrame", "data_asset_name": str(definition.get("data_asset_name") or "")},
    }
    if run_id is not None:
        slim_meta["run_id"] = run_id
    return ExpectationSuiteValidationResult(
        success=bool(gx_result.success),
        results=results,
        suite_name=gx_result.suite_name,
        statistics=dict(gx_result.statistics or {}),
        meta=slim_meta,
    )


def build_data_docs(gx_result: Any, suite: Any, target: Path, run_name: str, run_time: Any = None) -> Path | None:
    """Build a GX Data Docs site in ``target`` for one validation; returns its index page."""
    if gx_result is None:
        return None
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    target = Path(target).resolve()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for name in list(context.get_site_names()):
        context.delete_data_docs_site(name)
    context.add_data_docs_site(SITE_NAME, {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "show_cta_footer": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(target)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    if suite is not None and getattr(suite, "expectations", None):
        context.suites.add(slim_suite(suite))
    run_id = RunIdentifier(run_name=run_name, run_time=run_time)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=gx_result.suite_name),
        run_id=run_id,
        batch_identifier="aggregator_output-batch",
    )
    context.validation_results_store.set(key, slim_validation_result(gx_result, run_id))
    context.build_data_docs(site_names=[SITE_NAME])
    _prune_static(target)
    make_offline(target)
    index = target / "index.html"
    return index if index.is_file() else None


def _prune_static(site: Path) -> None:
    """Drop GX's bundled images no page refers to (a 2.5 MB animation among them)."""
    images = site / "static" / "images"
    if not images.is_dir():
        return
    used: set[str] = set()
    for page in list(site.rglob("*.html")) + list(site.rglob("*.css")):
        used.update(_IMAGE_REFERENCE.findall(page.read_text(encoding="utf-8", errors="replace")))
    for image in images.iterdir():
        if image.is_file() and image.name not in used:
            image.unlink()
    if not any(images.iterdir()):
        shutil.rmtree(images, ignore_errors=True)


# No page may load or run anything: styles from the site's own files and inline (GX's pages
# set style attributes), images and fonts from the site, no script.
CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
       "script-src 'none'; connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'")
OFFLINE_CSS = "auditor-offline.css"
_REMOTE = r"(?:https?:)?//"
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
_REMOTE_TAG = re.compile(r"<(?:link|img|iframe|source|embed|object|video|audio)\b[^>]*?\b(?:href|src|data)\s*=\s*[\"']?"
                         + _REMOTE + r"[^>]*>", re.S | re.I)
_REMOTE_FORM = re.compile(r"<form\b[^>]*>.*?</form\s*>", re.S | re.I)
_REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?" + _REMOTE + r"[^)]*\)", re.I)
_REMOTE_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?" + _REMOTE + r"[^;]*;", re.I)
_HANDLER = re.compile(r"(<[a-z][^>]*?)\s+on[a-z]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)
_TABLE_SCRIPT = re.compile(
    r"\$\('#(?P<id>[\w-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*columns:\s*(?P<columns>\[.*?\]),\s*"
    r"data:\s*(?P<data>\[.*?\]),\s*toolbar:", re.S)
_TAG = re.compile(r"<[^>]*>")

_OFFLINE_STYLES = """\
/* The auditor's stand-in for Bootstrap and Font Awesome, which GX's Data Docs load from CDNs. */
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fff; line-height: 1.4; }
.navbar { display: none; }
.container-fluid { padding: 1rem 2rem; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.col-12, .col-md-10, .col-lg-10 { flex: 1 1 40rem; min-width: 0; }
.col-md-2, .col-lg-2 { flex: 0 0 14rem; }
.card { border: 1px solid #ddd; border-radius: 4px; margin: 0 0 1rem; padding: 0.5rem 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.text-success { color: #1a7f37; }
.text-danger { color: #c62828; }
.fa-check-circle::before { content: "\\2714"; }
.fa-times::before, .fa-times-circle::before { content: "\\2716"; }
.fa-exclamation-triangle::before { content: "\\26A0"; }
.btn, .cooltip .top, [id$="-toolbar"], .d-none { display: none; }
"""


def make_offline(site: Path) -> None:
    """Rewrite every page and style sheet of a built site so that it loads nothing from elsewhere."""
    styles = site / "static" / "styles"
    styles.mkdir(parents=True, exist_ok=True)
    (styles / OFFLINE_CSS).write_text(_OFFLINE_STYLES, encoding="utf-8")
    for sheet in styles.glob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        sheet.write_text(_REMOTE_IMPORT.sub("", _REMOTE_CSS_URL.sub("none", text)), encoding="utf-8")
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        page.write_text(offline_page(page.read_text(encoding="utf-8"), "../" * depth), encoding="utf-8")


def offline_page(text: str, to_root: str = "") -> str:
    """One Data Docs page without remote loads, scripts or handlers, with a CSP."""
    for match in _TABLE_SCRIPT.finditer(text):
        table = _static_table(match)
        if table is not None:
            text = re.sub(r"<table\b[^>]*\bid=\"" + re.escape(match["id"]) + r"\"[^>]*>\s*</table>",
                          lambda _: table, text, count=1)
    text = _SCRIPT.sub("", text)
    text = _REMOTE_TAG.sub("", text)
    text = _REMOTE_FORM.sub("", text)
    text = _REMOTE_IMPORT.sub("", _REMOTE_CSS_URL.sub("none", text))
    found = 1
    while found:  # one handler per tag and pass
        text, found = _HANDLER.subn(r"\1", text)
    head = (f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<link rel="stylesheet" href="{to_root}static/styles/{OFFLINE_CSS}">')
    text, found = _HEAD.subn(lambda match: match.group(0) + head, text, count=1)
    return text if found else head + text


def _cell_text(value: Any) -> str:
    if not isinstance(value, str):
        return "" if value is None else str(value)
    if "ge-success-icon" in value or "fa-check-circle" in value:
        return "\u2714 passed"
    if "ge-failed-icon" in value or "fa-times" in value:
        return "\u2716 failed"
    text = html.unescape(_TAG.sub(" ", value.split("<span class=top>")[0]))
    return " ".join(text.split())


def _static_table(match: re.Match) -> str | None:
    """The rows bootstrap-table would have drawn from the page's script, as a plain HTML table."""
    from jinja2 import Environment

    try:
        columns = ast.literal_eval(match["columns"])
        rows = ast.literal_eval(match["data"])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(columns, list) or not isinstance(rows, list):
        return None
    fields = [(str(column.get("field")), str(column.get("title", column.get("field"))))
              for column in columns if isinstance(column, dict)]
    link_field = next((name for name, _ in fields if name in ("run_name", "expectation_suite_name")),
                      fields[0][0] if fields else None)
    table = [{"link": str(row.get("_table_row_link_path") or ""),
              "cells": [(name == link_field, _cell_text(row.get(name))) for name, _ in fields]}
             for row in rows if isinstance(row, dict)]
    template = Environment(autoescape=True).from_string(
        '<table id="{{ id }}" class="auditor-static-table"><thead><tr>{% for _, title in fields %}<th>{{ title }}</th>'
        '{% endfor %}</tr></thead><tbody>{% for row in rows %}<tr>{% for linked, text in row.cells %}<td>'
        '{% if linked and row.link and not row.link.startswith(("http:", "https:", "//", "javascript:")) %}'
        '<a href="{{ row.link }}">{{ text }}</a>{% else %}{{ text }}{% endif %}</td>{% endfor %}</tr>{% endfor %}'
        '</tbody></table>')
    return template.render(id=match["id"], fields=fields, rows=table)
