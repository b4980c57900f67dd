"""The body is one article: no page furniture, no glued-on teaser of another story.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints. The logic is the pure function
:func:`auditor.text.furniture.find_furniture`; the patterns are data
(``rules/furniture.yaml``).
"""

from __future__ import annotations

from typing import ClassVar, Optional

import pandas as pd
from great_expectations.compatibility.pydantic import validator
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.metric_function_types import MetricPartialFunctionTypes
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.metrics.metric_provider import metric_partial, metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

from auditor.errors import RulesError
from auditor.expectations.base import AuditorColumnMapExpectation, RowCheckMetric, _settings_of
from auditor.text.furniture import FurnitureSettings, find_furniture, load_furniture
from auditor.text.furniture.repeats import batch_line_counts

LINE_COUNTS = "table.auditor_furniture_line_counts"


class FurnitureLineCounts(TableMetricProvider):
    """The batch step of the repeated-lines signal: per hashed short line of ``column``,
    the number of rows that hold it (:func:`auditor.text.furniture.repeats.batch_line_counts`:
    rows to hashes, hashes to counts; on another engine each partition counts and the
    counts are added)."""

    metric_name = LINE_COUNTS
    value_keys = ("column", "patterns")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        column = metric_value_kwargs["column"]
        values = df[column].tolist() if column in df.columns else []
        return batch_line_counts(values, load_furniture(metric_value_kwargs.get("patterns")).repeats)


class FreeOfFurnitureMetric(RowCheckMetric):
    check = find_furniture
    settings = FurnitureSettings
    # It needs the whole batch's line counts. Not yet split into per-partition counts that
    # are added up before the rows are judged, so it runs in the validation, on one core.
    partitionable = False

    # The check reads two things beyond its column: the batch's line counts (a table
    # metric, computed once per batch) and, where the input has it, the reference column
    # with the page's main text.
    @metric_partial(engine=PandasExecutionEngine, partial_fn_type=MetricPartialFunctionTypes.MAP_SERIES,
                    domain_type=MetricDomainTypes.COLUMN)
    def _pandas_details(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,
                        runtime_configuration):
        df, compute_domain_kwargs, accessor_domain_kwargs = execution_engine.get_compute_domain(
            domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.COLUMN
        )
        name = accessor_domain_kwargs["column"]
        column = df[name]
        settings = _settings_of(cls.settings, metric_value_kwargs)
        reference = settings.reference_column
        main_texts = df[reference] if reference and reference != name and reference in df.columns else None
        details = find_furniture(column[column.notnull()], settings, main_texts=main_texts,
                                 line_counts=metrics.get(LINE_COUNTS))
        return details, compute_domain_kwargs, accessor_domain_kwargs

    @classmethod
    def _get_evaluation_dependencies(cls, metric, configuration=None, execution_engine=None,
                                     runtime_configuration=None):
        dependencies = super()._get_evaluation_dependencies(
            metric, configuration, execution_engine, runtime_configuration
        )
        if metric.metric_name == cls.details_metric():
            dependencies[LINE_COUNTS] = MetricConfiguration(
                metric_name=LINE_COUNTS,
                metric_domain_kwargs={k: v for k, v in metric.metric_domain_kwargs.items() if k == "batch_id"},
                metric_value_kwargs={"column": metric.metric_domain_kwargs.get("column"),
                                     "patterns": metric.metric_value_kwargs.get("patterns")},
            )
        return dependencies


class ExpectColumnValuesToBeFreeOfFurniture(AuditorColumnMapExpectation):
    """The body is one article, not the page around it.

    What it checks: every line of the body -- and, inside paragraphs, every sentence --
    is matched against the page-furniture patterns of `patterns` (default: the shipped
    `rules/furniture.yaml`, editable without code): donation appeals and their price
    buttons, comment-section notices, newsletter and social-media prompts, "you might
    also like" teasers and link texts, site footers, paywall, cookie and consent
    notices, navigation links and image credits. Furniture is judged by its shape -- a
    short line or sentence that addresses the reader or names the site's own functions
    -- so a sentence that mentions a price, a minister's comment or a tweet passes.
    Neighbouring lines of one kind form one finding, with its span. With `coherence`
    the body's end is also compared with what comes before it: a trailing run of
    paragraphs (or, in a body without line breaks, sentences) whose names and topic
    words are not found earlier in the article -- at most `max_shared` of their weight,
    `max_shared_cued` right after furniture or at a dateline, twice `max_shared` when it
    shares nothing with the lead -- is flagged as another story. Runs lighter than
    `min_story_words` are not judged.

    Why it matters: readers of the aggregator see a donation box of another site, a
    notice about comments they cannot write, or half of an unrelated story under the
    article; and every check that reads the text (category fit, cause, location) is
    misled by words that do not belong to the story. Each finding names its span, so the
    editor can cut it out.

    A whole web page pasted as the body is read by its layout: the article is where the
    prose is dense, the menus, bylines, tag lists, teasers, comments and footer around it
    are runs of short lines, each run one finding (the `layout` section of the patterns
    file). Where the row has the page's main text (`reference_column`, default
    `main_text`, as `auditor extract` writes it) the lines found in it are the article.
    Lines that many rows of the batch repeat -- at least `min_rows` rows, and `factor`
    times as many as hold the row's rarest line (the `repeats` section of the patterns
    file) -- are the site's template.

    Known problems: about 2 % of real articles end off-topic on their own; an
    unannounced trailing story is therefore only an info note. On a page, a list in the
    article's last lines (short items) may be taken for the page after it.
    """

    metric: ClassVar[type] = FreeOfFurnitureMetric
    rule_id: ClassVar[str] = "body-without-furniture"

    @validator("patterns", always=True, allow_reuse=True)
    def _patterns_load(cls, value: Optional[str]) -> Optional[str]:
        """A broken furniture file fails when the rules are loaded, with its file and line."""
        try:
            load_furniture(value)
        except RulesError as error:
            raise ValueError(str(error)) from None
        return value
