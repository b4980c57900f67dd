"""GX Data Docs beside the report, from a slimmed copy of the run's GX validation result.

GX 1.x renders data values into Data Docs without HTML-escaping them, so no article text
may reach them. The copy handed to Data Docs keeps per expectation only the counts and
percentages (no unexpected values or indexes, no ``details`` with the auditor's
suggestions, evidence words and snippets, no ``note``), and escapes exception messages,
which can quote data. The copy is also what keeps Data Docs fast: the full result of a
100k-row run holds every failing row's details.
"""

from __future__ import annotations

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
