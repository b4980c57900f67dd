"""Batch-level analyses: pure functions that judge each row against the rest of the batch.

Unlike the per-row checks in :mod:`auditor.text`, these cannot be split by rows: they
learn from the whole batch (e.g. by cross-validation) and return a
:class:`~auditor.contracts.BatchVerdict`. They know nothing about GX.
"""

from auditor.batch.label_consistency import find_inconsistent_labels

__all__ = ["find_inconsistent_labels"]
