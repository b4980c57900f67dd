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
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.metric_function_types import (
    MetricPartialFunctionTypes,
    MetricPartialFunctionTypeSuffixes,
)
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation, ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
    column_function_partial,
)
from great_expectations.expectations.metrics.metric_provider import MetricProvider, metric_partial, metric_value
from great_expectations.validator.metric_configuration import MetricConfiguration

from auditor.contracts import BatchVerdict, passes

RowAnalysis = Callable[..., pd.Series]



MAP_SUFFIX = MetricPartialFunctionTypeSuffixes.MAP.value


TEXT_ANALYSIS = "table.auditor_text_analysis"


def _pandas_function_with_text(metric_fn):
    """Like GX's ``column_function_partial`` for pandas, but the metric function also
    receives ``analysis``: the batch's shared text analysis (a metric of its own, so GX
    computes it once for every check that names the same text columns)."""

    @metric_partial(engine=PandasExecutionEngine, partial_fn_type=MetricPartialFunctionTypes.MAP_SERIES,
                    domain_type=MetricDomainTypes.COLUMN)
    def inner_func(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, compute_domain_kwargs, accessor_domain_kwargs = execution_engine.get_compute_domain(
            domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.COLUMN
        )
        column = df[accessor_domain_kwargs["column"]]
        values = metric_fn(cls, column[column.notnull()], analysis=metrics[TEXT_ANALYSIS], **metric_value_kwargs)
        return values, compute_domain_kwargs, accessor_domain_kwargs

    return inner_func


def row_check_metrics(
    name: str, analyse: RowAnalysis, value_keys: tuple[str, ...] = (), text_key: str | None = None
) -> str:
    """Register the GX metrics for one per-row check and return the condition metric's name.

    With ``text_key`` (the argument naming the text columns, e.g. ``text_columns``),
    ``analyse`` is called as ``analyse(column, analysis, **params)`` with the batch's
    shared :class:`~auditor.text.analysis.TextAnalysis` of those columns.
    """
    condition_name = f"column_values.{name}"
    function_name = f"column_values.{name}.detail"
    function_metric = f"{function_name}.{MAP_SUFFIX}"

    def _function(cls, column, analysis=None, **kwargs):
        params = {key: kwargs.get(key) for key in value_keys}
        if text_key is not None:
            return analyse(column, analysis, **params)
        return analyse(column, **params)

    def _condition(cls, column, _metrics, **kwargs):
        details, _, _ = _metrics[function_metric]
        return details.map(passes).astype(bool)

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
        if text_key is not None and metric.metric_name == function_metric:
            dependencies[TEXT_ANALYSIS] = MetricConfiguration(
                metric_name=TEXT_ANALYSIS,
                metric_domain_kwargs={k: v for k, v in metric.metric_domain_kwargs.items() if k == "batch_id"},
                metric_value_kwargs={"text_columns": list(metric.metric_value_kwargs.get(text_key) or [])},
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
            # Empty values are left to the not-null rules; no check sees them.
            "filter_column_isnull": True,
            "_pandas_function": (
                _pandas_function_with_text(_function)
                if text_key is not None
                else column_function_partial(engine=PandasExecutionEngine)(_function)
            ),
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
        outcome.setdefault("result", {})["details"] = metrics.get(f"{self.map_metric}.details") or {}
        return outcome


BatchAnalysis = Callable[..., "BatchVerdict"]


def batch_check_metric(name: str, analyse: BatchAnalysis, value_keys: tuple[str, ...],
                       text_key: str | None = None) -> str:
    """Register a table-level GX metric for a batch-level check and return its name.

    ``analyse(frame, **params)`` sees the whole batch (the columns it names in its
    params) and judges every row against the rest, e.g. by cross-validation. Unlike a
    per-row check it cannot be split by rows, which is why it is a separate, explicit
    step: on Spark it needs its own distributed implementation. With ``text_key`` (the
    parameter naming the text columns) it is called as ``analyse(frame, analysis, **params)``
    with the batch's shared text analysis, as per-row checks are.
    """
    metric_name = f"table.{name}"

    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        params = {key: metric_value_kwargs.get(key) for key in value_keys}
        if text_key is not None:
            verdict = analyse(df, metrics[TEXT_ANALYSIS], **params)
        else:
            verdict = analyse(df, **params)
        # Keys beyond details/evaluated/note (e.g. the story groups) travel on to _validate.
        return {
            **verdict,
            "details": {str(index): detail for index, detail in verdict["details"].items()},
            "evaluated": int(verdict["evaluated"]),
            "note": verdict.get("note"),
        }

    from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

    attributes: dict[str, Any] = {
        "metric_name": metric_name,
        "value_keys": value_keys,
        "_pandas": metric_value(engine=PandasExecutionEngine)(_pandas),
    }
    if text_key is not None:
        def _get_evaluation_dependencies(cls, metric, configuration=None, execution_engine=None,
                                         runtime_configuration=None):
            dependencies = TableMetricProvider._get_evaluation_dependencies.__func__(
                cls, metric, configuration, execution_engine, runtime_configuration
            )
            # The same configuration as the per-row checks ask for, so GX computes it once.
            dependencies[TEXT_ANALYSIS] = MetricConfiguration(
                metric_name=TEXT_ANALYSIS,
                metric_domain_kwargs={k: v for k, v in metric.metric_domain_kwargs.items() if k == "batch_id"},
                metric_value_kwargs={"text_columns": list(metric.metric_value_kwargs.get(text_key) or [])},
            )
            return dependencies

        attributes["_get_evaluation_dependencies"] = classmethod(_get_evaluation_dependencies)

    provider_name = "".join(part.title() for part in name.replace("-", "_").split("_"))
    type(f"{provider_name}BatchMetric", (TableMetricProvider,), attributes)
    return metric_name


class AuditorBatchExpectation(BatchExpectation):
    """Base of the auditor's batch-level checks: judged on the whole batch, reported per
    row like a map expectation (``unexpected_index_list``, ``details``), plus a ``note``."""

    column: str
    mostly: float = 1.0
    # 'column' is a domain key so that a rule can name it like any column check (the
    # rules loader accepts only expectations with a 'column' domain key) and so that it
    # reaches the table-level batch metric, which must list it among its value keys.
    # Without it GX handed the metric column=None.
    domain_keys: ClassVar[tuple[str, ...]] = ("batch_id", "column")
    batch_metric: ClassVar[str] = ""
    rule_id: ClassVar[str] = ""

    @classmethod
    def is_abstract(cls) -> bool:
        return not cls.batch_metric or super().is_abstract()

    def _validate(self, metrics: Dict, runtime_configuration: Optional[dict] = None, execution_engine=None):
        verdict = metrics[self.batch_metric]
        total = int(metrics.get("table.row_count") or 0)
        details = _json_safe(verdict["details"])
        evaluated = verdict["evaluated"]
        unexpected = len(details)
        share = unexpected / evaluated if evaluated else 0.0
        result = {
            "element_count": total,
            "missing_count": total - evaluated,
            "unexpected_count": unexpected,
            "unexpected_percent": 100.0 * share,
            "unexpected_index_list": sorted(int(index) for index in details),
            "details": details,
        }
        if verdict.get("note"):
            result["note"] = verdict["note"]
        return {"success": share <= 1 - self.mostly + 1e-12, "result": result}

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
        dependencies = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        dependencies.set_metric_configuration(
            metric_name="table.row_count",
            metric_configuration=MetricConfiguration(metric_name="table.row_count", metric_domain_kwargs={}),
        )
        return dependencies
