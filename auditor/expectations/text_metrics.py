"""The batch's text analysis as a GX metric, so every check that needs it shares one."""

from __future__ import annotations

from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from auditor.expectations.base import TEXT_ANALYSIS
from auditor.text.analysis import analyse_frame


class AuditorTextAnalysis(TableMetricProvider):
    """Tokens and lemmas of ``text_columns``: the first is the title (weighted), the rest the body."""

    metric_name = TEXT_ANALYSIS
    value_keys = ("text_columns",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return analyse_frame(df, list(metric_value_kwargs["text_columns"]))
