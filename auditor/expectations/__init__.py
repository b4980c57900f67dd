"""GX expectations of the auditor. Importing this package registers them with GX,
which must happen before any suite that uses them is built or loaded."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from auditor.expectations import checks, consistency, furniture, sources, stories, text_metrics  # noqa: F401  (text_metrics registers the shared analysis)
from auditor.expectations.base import AuditorBatchExpectation, AuditorColumnMapExpectation

_BASES = (AuditorColumnMapExpectation, AuditorBatchExpectation)

AUDITOR_EXPECTATIONS: dict[str, type[AuditorColumnMapExpectation | AuditorBatchExpectation]] = {
    cls.expectation_type: cls
    for module in (checks, consistency, furniture, sources, stories)  # consistency, stories: batch-level checks
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, _BASES) and cls not in _BASES
}

__all__ = ["AUDITOR_EXPECTATIONS", "Expectation"]
