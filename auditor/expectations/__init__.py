"""GX expectations of the auditor. Importing this package registers them with GX,
which must happen before any suite that uses them is built or loaded."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from auditor.expectations import checks, text_metrics  # noqa: F401  (text_metrics registers the shared analysis)
from auditor.expectations.base import AuditorColumnMapExpectation

AUDITOR_EXPECTATIONS: dict[str, type[AuditorColumnMapExpectation]] = {
    cls.expectation_type: cls
    for cls in vars(checks).values()
    if isinstance(cls, type) and issubclass(cls, AuditorColumnMapExpectation) and cls is not AuditorColumnMapExpectation
}

__all__ = ["AUDITOR_EXPECTATIONS", "Expectation"]
