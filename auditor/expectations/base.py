"""The shape every auditor check takes inside GX.

A check is a pure per-row function ``analyse(column, **params) -> Series``: for each
row it returns ``None`` when the row passes, or a dict describing the problem
(``message`` and, where the check has them, ``snippet``, ``suggestion``, ``score``,
``evidence``). :func:`row_check_metrics` wraps such a function into three GX metrics:

- ``column_values.<name>.map`` (function metric): the per-row details, computed once;
- ``column_values.<name>`` (condition metric): a row passes when its detail is None;
  GX derives unexpected counts and index lists from it as for any built-in;
- ``column_values.<name>.details`` (value metric): the failing rows' details keyed by
  row index, which :class:`AuditorColumnMapExpectation` copies into ``result["details"]``.

Keeping ``analyse`` free of GX is what lets the same logic run on Spark later:
only the thin partials below are engine-specific.
"""

from __future__ import annotations

import math
from typing import Any, Callable, ClassVar, Dict, Optional

import pandas as pd
from great_expectations.core.metric_function_types import MetricPartialFunctionTypeSuffixes
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
    column_function_partial,
)
from great_expectations.expectations.metrics.metric_provider import MetricProvider, metric_value
from great_expectations.validator.metric_configuration import MetricConfiguration

RowAnalysis = Callable[..., pd.Series]

MAP_SUFFIX = MetricPartialFunctionTypeSuffixes.MAP.value


def row_check_metrics(name: str, analyse: RowAnalysis, value_keys: tuple[str, ...] = ()) -> str:
    """Register the GX metrics for one per-row check and return the condition metric's name."""
    condition_name = f"column_values.{name}"
    function_name = f"column_values.{name}.detail"
    function_metric = f"{function_name}.{MAP_SUFFIX}"

    def _function(cls, column, **kwargs):
        params = {key: kwargs.get(key) for key in value_keys}
        return analyse(column, **params)

    def _condition(cls, column, _metrics, **kwargs):
        details, _, _ = _metrics[function_metric]
        return details.isna()

    def _evaluation_dependencies(cls, metric, configuration=None, execution_engine=None, runtime_configuration=None):
        dependencies = ColumnMapMetricProvider._get_evaluation_dependencies.__func__(
            cls, metric, configuration, execution_engine, runtime_configuration
        )
        if metric.metric_name == f"{condition_name}.{MetricPartialFunctionTypeSuffixes.CONDITION.value}":
            dependencies[function_metric] = MetricConfiguration(
                metric_name=function_metric,
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs={k: v for k, v in metric.metric_value_kwargs.items() if k in value_keys},
            )
        return dependencies

    provider_name = "".join(part.title() for part in name.replace("-", "_").split("_"))
    type(
        f"{provider_name}Metric",
        (ColumnMapMetricProvider,),
        {
            "condition_metric_name": condition_name,
            "function_metric_name": function_name,
            "condition_value_keys": value_keys,
            "function_value_keys": value_keys,
            "_pandas_function": column_function_partial(engine=PandasExecutionEngine)(_function),
            "_pandas_condition": column_condition_partial(engine=PandasExecutionEngine)(_condition),
            "_get_evaluation_dependencies": classmethod(_evaluation_dependencies),
        },
    )

    def _details(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        details, _, _ = metrics[function_metric]
        failing = details.dropna()
        return {str(index): detail for index, detail in failing.items()}

    def _details_dependencies(cls, metric, configuration=None, execution_engine=None, runtime_configuration=None):
        dependencies = MetricProvider._get_evaluation_dependencies.__func__(
            cls, metric, configuration, execution_engine, runtime_configuration
        )
        dependencies[function_metric] = MetricConfiguration(
            metric_name=function_metric,
            metric_domain_kwargs=metric.metric_domain_kwargs,
            metric_value_kwargs=metric.metric_value_kwargs,
        )
        return dependencies

    type(
        f"{provider_name}Details",
        (MetricProvider,),
        {
            "metric_name": f"{condition_name}.details",
            "domain_keys": ColumnMapMetricProvider.condition_domain_keys,
            "value_keys": value_keys,
            "_pandas": metric_value(engine=PandasExecutionEngine)(_details),
            "_get_evaluation_dependencies": classmethod(_details_dependencies),
        },
    )
    return condition_name


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


class AuditorColumnMapExpectation(ColumnMapExpectation):
    """Base of the auditor's own column checks: a GX map expectation whose result
    also carries ``details`` (index -> what is wrong) for every failing row."""

    rule_id: ClassVar[str] = ""
    """The default rule id that uses this check; shown by ``auditor rules explain``."""

    def _value_kwargs(self) -> dict:
        return {key: getattr(self, key) for key in self.success_keys if key != "mostly"}

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
        dependencies = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        domain_kwargs = dependencies.get_metric_configuration(
            f"{self.map_metric}.unexpected_count"
        ).metric_domain_kwargs
        dependencies.set_metric_configuration(
            metric_name=f"{self.map_metric}.details",
            metric_configuration=MetricConfiguration(
                metric_name=f"{self.map_metric}.details",
                metric_domain_kwargs=domain_kwargs,
                metric_value_kwargs=self._value_kwargs(),
            ),
        )
        return dependencies

    def _validate(self, metrics: Dict, runtime_configuration: Optional[dict] = None, execution_engine=None):
        outcome = super()._validate(metrics, runtime_configuration, execution_engine)
        details = metrics.get(f"{self.map_metric}.details") or {}
        outcome.setdefault("result", {})["details"] = _json_safe(details)
        return outcome
