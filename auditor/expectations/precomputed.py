"""Check results worked out before GX validates, which the auditor's metrics hand to GX.

The per-row checks run on row partitions in worker processes and the batch-level steps run
beside them (:mod:`auditor.validate`); GX then validates as always, but a metric whose
result is already known returns it instead of computing it again, and does not ask for the
text analysis it would have needed. Outside such a validation (rule cases, a plain
``batch.validate``) nothing is known and every metric computes its own result.

A result is known by its metric, its column and its settings, all three as GX hands them
to the metric, so a rule file with the same check twice on one column (with different
options) keeps the two apart.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from contextlib import contextmanager
from typing import Any, Iterator


def result_key(metric_name: str, column: Any, settings: Any) -> str:
    # GX may hand the metric its settings rebuilt from the suite's JSON (tuples as lists,
    # number keys as strings): the key is taken from the JSON form, the same either way.
    fields = dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else settings
    canonical = json.dumps([metric_name, column, fields], sort_keys=True, default=str, ensure_ascii=False)
    return f"{metric_name}|{column}|{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:16]}"


class KnownResults:
    def __init__(self) -> None:
        self._results: dict[str, Any] = {}
        self.used: set[str] = set()

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self._results.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._results

    @contextmanager
    def provided(self, results: dict[str, Any]) -> Iterator[None]:
        """Known results for the validation run inside the block."""
        previous, previously_used = self._results, self.used
        self._results, self.used = {**previous, **results}, set()
        try:
            yield
        finally:
            self._results, self.used = previous, previously_used


known_results = KnownResults()
