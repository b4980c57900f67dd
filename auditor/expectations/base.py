"""The shape every auditor check takes inside GX.

A check is a pure function in ``text/`` or ``batch/`` and a settings dataclass beside it
that declares its parameters once (name, type, default, bounds). Here it gets two
classes, both written in source and named by one stem:

- a metric, ``<Stem>Metric(RowCheckMetric)`` or ``(BatchCheckMetric)``, naming the
  function and its settings; its GX metric name, value keys and partials are derived;
- an expectation, ``Expect…(AuditorColumnMapExpectation)`` or
  ``(AuditorBatchExpectation)``, naming the metric; its GX fields, ``success_keys`` and
  ``map_metric``/``batch_metric`` are derived from the metric's settings.

A per-row metric registers ``column_values.auditor_<stem>.detail.map`` (each row's
detail: ``None`` when it passes, else a :class:`~auditor.contracts.RowDetail`) and the
condition ``column_values.auditor_<stem>`` built on it, from which GX derives unexpected
counts and index lists as for any built-in. The expectation also depends on the detail
metric itself and copies the failing rows' details into ``result["details"]``, so the
details are computed once.

Keeping the functions free of GX is what lets the same logic run on Spark later: only
the thin partials below are engine-specific.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import math
import re
import typing
from typing import Any, Callable, ClassVar, Dict, Optional

import pandas as pd
from great_expectations.compatibility.pydantic import Field
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.metric_function_types import (
    MetricFunctionTypes,
    MetricPartialFunctionTypes,
    MetricPartialFunctionTypeSuffixes,
)
from great_expectations.execution_engine import PandasExecutionEngine, SparkDFExecutionEngine
from great_expectations.expectations.registry import register_metric
from great_expectations.expectations.expectation import BatchExpectation, ColumnMapExpectation, MetaExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial
from great_expectations.expectations.metrics.metric_provider import metric_partial, metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

from auditor.contracts import passes
from auditor.expectations.precomputed import known_results, result_key
from auditor.partitions import PartitionFeature, RowCheck

TEXT_ANALYSIS = "table.auditor_text_analysis"
MAP_SUFFIX = MetricPartialFunctionTypeSuffixes.MAP.value
CONDITION_SUFFIX = MetricPartialFunctionTypeSuffixes.CONDITION.value


# --- parameters: declared once, in a settings dataclass -----------------------------------

def parameter_names(settings: type | None) -> tuple[str, ...]:
    return tuple(item.name for item in dataclasses.fields(settings)) if settings is not None else ()


def _pydantic_fields(settings: type | None) -> dict[str, tuple[Any, Any]]:
    """Annotation and pydantic default of each settings field; bounds (``ge``, ``le``,
    ``min_items``…) come from the field's metadata."""
    if settings is None:
        return {}
    hints = typing.get_type_hints(settings)
    declared = {}
    for item in dataclasses.fields(settings):
        limits = dict(item.metadata)
        if item.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=item.default_factory, **limits)
        else:
            default = Field(item.default, **limits) if limits else item.default
        declared[item.name] = (hints[item.name], default)
    return declared


def _settings_of(settings: type | None, values: dict[str, Any]):
    if settings is None:
        return None
    return settings(**{name: values[name] for name in parameter_names(settings) if name in values})


def _stem(class_name: str, suffix: str) -> str:
    """``FreeOfMarkupMetric`` -> ``free_of_markup``: the check's one name stem in GX."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name.removesuffix(suffix)).lower()


def _declare_check(metric: type) -> None:
    """The check function as a plain function of the metric class; it is handed its
    settings when it has a ``settings`` parameter (a text check reading only
    ``text_columns`` needs none: the text comes as its analysis)."""
    check = metric.__dict__["check"]
    check = check.__func__ if isinstance(check, staticmethod) else check
    metric.check = staticmethod(check)
    metric.takes_settings = metric.settings is not None and "settings" in inspect.signature(check).parameters


def spark_fails_column(key: str) -> str:
    """The boolean column of the Spark batch that says, per row, whether the check with
    result key ``key`` fails it (worked out per partition by :mod:`auditor.spark`)."""
    return "__auditor_fails_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _known_on_spark(key: str, name: str) -> Any:
    """On Spark every auditor check is worked out before GX validates (per partition, or for
    the batch checks as one step); GX then judges the known results."""
    if key not in known_results:
        raise RuntimeError(f"{name} runs on Spark only inside the auditor's Spark validation "
                           f"(auditor.spark), which works it out before GX validates")
    return known_results.get(key)


def _text_analysis_dependency(metric: MetricConfiguration, text_key: str = "text_columns") -> MetricConfiguration:
    # The same configuration for every check on the same text columns, so GX computes it once.
    return MetricConfiguration(
        metric_name=TEXT_ANALYSIS,
        metric_domain_kwargs={k: v for k, v in metric.metric_domain_kwargs.items() if k == "batch_id"},
        metric_value_kwargs={"text_columns": list(metric.metric_value_kwargs.get(text_key) or [])},
    )


# --- per-row checks -------------------------------------------------------------------------

class RowCheckMetric(ColumnMapMetricProvider):
    """Base of the per-row check metrics. A subclass sets ``check`` (the pure function),
    ``settings`` (its parameters' dataclass, or None) and ``reads_text`` (the function
    also receives the batch's shared :class:`~auditor.text.analysis.TextAnalysis` of
    ``settings.text_columns``). It is called ``check(values, [analysis,] [settings], **inputs)``
    with the column's non-empty values and returns one detail per value; ``inputs`` are
    the other columns it reads (:meth:`extra_columns`) and what ``batch_input`` works out
    on the whole batch's values of the column (see :class:`~auditor.partitions.RowCheck`).
    """

    check: ClassVar[Callable[..., pd.Series]]
    settings: ClassVar[Optional[type]] = None
    reads_text: ClassVar[bool] = False
    takes_settings: ClassVar[bool] = False
    # False for a check that also reads something of the whole batch: GX then works it out
    # in the validation, not the row partitions.
    partitionable: ClassVar[bool] = True
    # See RowCheck.warm_up.
    warm_up: ClassVar[Optional[Callable[[pd.Series], None]]] = None
    # See RowCheck.batch_input: ``batch_input(values, settings)`` -> keyword arguments.
    batch_input: ClassVar[Optional[Callable[[pd.Series, Any], dict[str, Any]]]] = None
    # See RowCheck.batch_input_part and batch_input_merge (a batch read in chunks).
    batch_input_part: ClassVar[Optional[Callable[[pd.Series, Any], Any]]] = None
    batch_input_merge: ClassVar[Optional[Callable[[list, Any], dict[str, Any]]]] = None
    # Empty values are left to the not-null rules; no check sees them.
    filter_column_isnull = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _declare_check(cls)
        name = f"column_values.auditor_{_stem(cls.__name__, 'Metric')}"
        cls.condition_metric_name = name
        cls.function_metric_name = f"{name}.detail"
        cls.condition_value_keys = cls.function_value_keys = parameter_names(cls.settings)

    @classmethod
    def details_metric(cls) -> str:
        return f"{cls.function_metric_name}.{MAP_SUFFIX}"

    @classmethod
    def result_key(cls, column: str, value_kwargs: dict[str, Any]) -> str:
        return result_key(cls.details_metric(), column, _settings_of(cls.settings, value_kwargs))

    @classmethod
    def extra_columns(cls, column: str, settings: Any) -> dict[str, str]:
        """Other columns the check reads, by the keyword they are handed as (none by default)."""
        return {}

    @classmethod
    def row_check(cls, column: str, value_kwargs: dict[str, Any]) -> RowCheck:
        """This check on ``column`` as the row partitions run it, without GX."""
        settings = _settings_of(cls.settings, value_kwargs)
        return RowCheck(
            key=cls.result_key(column, value_kwargs),
            function=cls.check,
            column=column,
            text_columns=tuple(value_kwargs.get("text_columns") or ()) if cls.reads_text else None,
            settings=settings,
            takes_settings=cls.takes_settings,
            warm_up=cls.warm_up,
            extra_columns=tuple(cls.extra_columns(column, settings).items()),
            batch_input=cls.batch_input,
            batch_input_part=cls.batch_input_part,
            batch_input_merge=cls.batch_input_merge,
        )

    @metric_partial(engine=PandasExecutionEngine, partial_fn_type=MetricPartialFunctionTypes.MAP_SERIES,
                    domain_type=MetricDomainTypes.COLUMN)
    def _pandas_details(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,
                        runtime_configuration):
        df, compute_domain_kwargs, accessor_domain_kwargs = execution_engine.get_compute_domain(
            domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.COLUMN
        )
        column = df[accessor_domain_kwargs["column"]]
        values = column[column.notnull()]
        key = cls.result_key(accessor_domain_kwargs["column"], metric_value_kwargs)
        if key in known_results:
            # Worked out on row partitions before the validation: only rows with a detail came back.
            known = known_results.get(key).reindex(values.index)
            return known.astype(object).where(known.notna(), None), compute_domain_kwargs, accessor_domain_kwargs
        settings = _settings_of(cls.settings, metric_value_kwargs)
        arguments = [values]
        if cls.reads_text:
            arguments.append(metrics[TEXT_ANALYSIS])
        if cls.takes_settings:
            arguments.append(settings)
        # The whole batch is here: its batch input is worked out on it, as before the partitions.
        inputs = {keyword: df[name] if name in df.columns else None
                  for keyword, name in cls.extra_columns(accessor_domain_kwargs["column"], settings).items()}
        if cls.batch_input is not None:
            inputs.update(cls.batch_input(values, settings))
        return cls.check(*arguments, **inputs), compute_domain_kwargs, accessor_domain_kwargs

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas_condition(cls, column, _metrics, **kwargs):
        details, _, _ = _metrics[cls.details_metric()]
        return details.map(passes).astype(bool)

    # --- Spark: the detail columns are worked out per partition first (auditor.spark) ---
    # GX checks the native boolean column, and the failing rows' details (gathered to the
    # driver like findings) are the details metric's value, as on pandas.

    @column_condition_partial(engine=SparkDFExecutionEngine)
    def _spark_condition(cls, column, _metrics, _accessor_domain_kwargs, **kwargs):
        from great_expectations.compatibility.pyspark import functions as F

        settings = {name: value for name, value in kwargs.items() if name in cls.condition_value_keys}
        key = cls.result_key(_accessor_domain_kwargs["column"], settings)
        _known_on_spark(key, cls.__name__)
        return ~F.col(spark_fails_column(key))

    @staticmethod
    def _spark_details(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,
                       runtime_configuration):
        key = cls.result_key(metric_domain_kwargs.get("column"), metric_value_kwargs)
        return _known_on_spark(key, cls.__name__), {}, {}

    @classmethod
    def _register_metric_functions(cls):
        super()._register_metric_functions()
        if "check" in cls.__dict__ or hasattr(cls, "function_metric_name"):
            register_metric(
                metric_name=cls.details_metric(),
                metric_domain_keys=cls.function_domain_keys,
                metric_value_keys=cls.function_value_keys,
                execution_engine=SparkDFExecutionEngine,
                metric_class=cls,
                metric_provider=RowCheckMetric._spark_details,
                metric_fn_type=MetricFunctionTypes.VALUE,
            )

    @classmethod
    def _get_evaluation_dependencies(cls, metric, configuration=None, execution_engine=None,
                                     runtime_configuration=None):
        dependencies = super()._get_evaluation_dependencies(
            metric, configuration, execution_engine, runtime_configuration
        )
        if metric.metric_name == f"{cls.condition_metric_name}.{CONDITION_SUFFIX}":
            dependencies[cls.details_metric()] = MetricConfiguration(
                metric_name=cls.details_metric(),
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs={k: v for k, v in metric.metric_value_kwargs.items()
                                     if k in cls.function_value_keys},
            )
        if cls.reads_text and metric.metric_name == cls.details_metric() and cls.result_key(
                metric.metric_domain_kwargs.get("column"), metric.metric_value_kwargs) not in known_results:
            dependencies[TEXT_ANALYSIS] = _text_analysis_dependency(metric)
        return dependencies


class _DeclaredBySettings(MetaExpectation):
    """Gives an auditor expectation the GX fields and success keys of its metric's settings,
    so a parameter is written once, in the settings dataclass."""

    def __new__(mcs, clsname, bases, attrs):
        metric = attrs.get("metric")
        if metric is not None:
            annotations = dict(attrs.get("__annotations__", {}))
            for name, (annotation, default) in _pydantic_fields(metric.settings).items():
                if name not in annotations:
                    annotations[name] = annotation
                    attrs[name] = default
            attrs["__annotations__"] = annotations
            attrs.setdefault("success_keys", ("mostly", *parameter_names(metric.settings)))
            if issubclass(metric, RowCheckMetric):
                attrs["map_metric"] = metric.condition_metric_name
            else:
                attrs["batch_metric"] = metric.metric_name
                attrs["metric_dependencies"] = (metric.metric_name,)
        return super().__new__(mcs, clsname, bases, attrs)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


class AuditorColumnMapExpectation(ColumnMapExpectation, metaclass=_DeclaredBySettings):
    """Base of the auditor's own column checks: a GX map expectation whose result
    also carries ``details`` (index -> what is wrong) for every failing row."""

    metric: ClassVar[Optional[type]] = None
    rule_id: ClassVar[str] = ""
    """The default rule id that uses this check; its cases are ``rules/cases/<rule_id>.yaml``."""

    def value_kwargs(self) -> dict:
        """What the check's metrics are given: every parameter but ``mostly``."""
        return {key: getattr(self, key) for key in self.success_keys if key != "mostly"}

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
        dependencies = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        domain_kwargs = dependencies.get_metric_configuration(
            f"{self.map_metric}.unexpected_count"
        ).metric_domain_kwargs
        dependencies.set_metric_configuration(
            metric_name=self.metric.details_metric(),
            metric_configuration=MetricConfiguration(
                metric_name=self.metric.details_metric(),
                metric_domain_kwargs=domain_kwargs,
                metric_value_kwargs=self.value_kwargs(),
            ),
        )
        return dependencies

    def _validate(self, metrics: Dict, runtime_configuration: Optional[dict] = None, execution_engine=None):
        outcome = super()._validate(metrics, runtime_configuration, execution_engine)
        details = metrics.get(self.metric.details_metric())
        failing = details[0].dropna() if details is not None else pd.Series([], dtype=object)
        outcome.setdefault("result", {})["details"] = {str(index): detail for index, detail in failing.items()}
        return outcome


# --- batch-level checks ---------------------------------------------------------------------

class BatchCheckMetric(TableMetricProvider):
    """Base of the batch-level check metrics: ``check(frame, [analysis,] column, settings)``
    sees the whole batch and judges every row against the rest, e.g. by cross-validation.
    Unlike a per-row check it cannot be split by rows, which is why it is a separate,
    explicit step: on Spark it needs its own distributed implementation. It returns a
    :class:`~auditor.contracts.BatchVerdict`; keys beyond details/evaluated/note (the story
    groups) travel on to the expectation's ``_validate``.
    """

    check: ClassVar[Callable[..., Any]]
    settings: ClassVar[Optional[type]] = None
    reads_text: ClassVar[bool] = False
    takes_settings: ClassVar[bool] = False
    # A check whose text work is per row can have the row partitions do it: ``features``
    # makes a partition's compact per-row features (from the partition's text analysis
    # when ``features_read_text``, else from its ``text_columns``), ``combine_features``
    # puts the partitions' together, and ``check`` is then handed them (``features=``)
    # instead of the batch's text analysis. See auditor.partitions.PartitionFeature.
    features: ClassVar[Optional[Callable[..., Any]]] = None
    combine_features: ClassVar[Optional[Callable[[list], Any]]] = None
    features_read_text: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _declare_check(cls)
        for name in ("features", "combine_features"):
            function = cls.__dict__.get(name)
            if function is not None and not isinstance(function, staticmethod):
                setattr(cls, name, staticmethod(function))
        cls.metric_name = f"table.auditor_{_stem(cls.__name__, 'Metric')}"
        # 'column' (the label column) is a domain key of the expectation; the table-level
        # metric gets it as a value key, with every parameter.
        cls.value_keys = ("column", *parameter_names(cls.settings))

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(domain_kwargs=metric_domain_kwargs,
                                                       domain_type=MetricDomainTypes.TABLE)
        key = cls.result_key(metric_value_kwargs)
        if key in known_results:
            return known_results.get(key)
        return cls.verdict(df, metrics.get(TEXT_ANALYSIS), metric_value_kwargs)

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        return _known_on_spark(cls.result_key(metric_value_kwargs), cls.__name__)

    @classmethod
    def result_key(cls, value_kwargs: dict[str, Any]) -> str:
        return result_key(cls.metric_name, value_kwargs.get("column"), _settings_of(cls.settings, value_kwargs))

    @classmethod
    def partition_feature(cls, value_kwargs: dict[str, Any]) -> PartitionFeature | None:
        """What the row partitions make for this check (None: the check reads the batch itself)."""
        if cls.features is None:
            return None
        settings = _settings_of(cls.settings, value_kwargs)
        text_columns = tuple(value_kwargs.get("text_columns") or ())
        return PartitionFeature(
            key=f"{cls.result_key(value_kwargs)}.features",
            function=cls.features,
            combine=cls.combine_features,
            columns=text_columns,
            text_columns=text_columns if cls.features_read_text else None,
            settings=settings,
        )

    @classmethod
    def verdict(cls, df: pd.DataFrame, analysis: Any, value_kwargs: dict[str, Any],
                features: Any = None) -> dict[str, Any]:
        """The check's verdict on the whole batch ``df``, as the metric's value; ``features``
        are the rows' features from the partitions, when they made them."""
        arguments = [df]
        if cls.reads_text:
            arguments.append(analysis if features is None else None)
        arguments.append(value_kwargs["column"])
        if cls.takes_settings:
            arguments.append(_settings_of(cls.settings, value_kwargs))
        verdict = cls.check(*arguments, **({"features": features} if features is not None else {}))
        return {
            **verdict,
            "details": {str(index): detail for index, detail in verdict["details"].items()},
            "evaluated": int(verdict["evaluated"]),
            "note": verdict.get("note"),
        }

    @classmethod
    def _get_evaluation_dependencies(cls, metric, configuration=None, execution_engine=None,
                                     runtime_configuration=None):
        dependencies = super()._get_evaluation_dependencies(
            metric, configuration, execution_engine, runtime_configuration
        )
        if cls.reads_text and cls.result_key(metric.metric_value_kwargs) not in known_results:
            dependencies[TEXT_ANALYSIS] = _text_analysis_dependency(metric)
        return dependencies


class AuditorBatchExpectation(BatchExpectation, metaclass=_DeclaredBySettings):
    """Base of the auditor's batch-level checks: judged on the whole batch, reported per
    row like a map expectation (``unexpected_index_list``, ``details``), plus a ``note``."""

    column: str
    mostly: float = 1.0
    # 'column' is a domain key so that a rule can name it like any column check (the
    # rules loader accepts only expectations with a 'column' domain key) and so that it
    # reaches the table-level batch metric, which must list it among its value keys.
    # Without it GX handed the metric column=None.
    domain_keys: ClassVar[tuple[str, ...]] = ("batch_id", "column")
    metric: ClassVar[Optional[type]] = None
    batch_metric: ClassVar[str] = ""
    rule_id: ClassVar[str] = ""

    @classmethod
    def is_abstract(cls) -> bool:
        return not cls.batch_metric or super().is_abstract()

    def value_kwargs(self) -> dict:
        """What the check's metric is given: the label column and every parameter."""
        return {"column": self.column, **{name: getattr(self, name) for name in parameter_names(self.metric.settings)}}

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
