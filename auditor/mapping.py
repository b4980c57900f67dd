"""Map source columns to the canonical fields and give every row its id."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from auditor.loaders import POSITION, SOURCE, LoadedInput
from auditor.rules import CANONICAL_FIELDS

# The page's main text as an extraction library found it (``auditor extract`` writes it for
# HTML pages), kept beside the body as published: the furniture check's reference. Named
# canonically when an input has it; never added to inputs without it.
MAIN_TEXT = "main_text"

LONG_TEXT = ("body", MAIN_TEXT)
"""The columns whose texts are long (most of a news table's bytes); every other is a short cell.
A run too large for one piece keeps only the short cells of every row at hand (a run in chunks,
a Spark driver)."""


@dataclass
class Batch:
    """What GX validates: ``data`` (canonical fields first, other columns kept) on a
    0..n-1 index, and ``rows``, the same index with ``row_id``, ``source`` and ``position``."""

    data: pd.DataFrame
    rows: pd.DataFrame


def column_targets(columns, mapping: dict[str, str]) -> dict:
    """Each source column's canonical name (case-insensitive), or its own name when it maps to none."""
    by_lower = {name.casefold(): name for name in (*CANONICAL_FIELDS, MAIN_TEXT)}
    by_lower.update({source.casefold(): target for source, target in mapping.items()})
    return {column: by_lower.get(str(column).casefold(), column) for column in columns}


def source_columns(columns, mapping: dict[str, str], target: str) -> list:
    """The source columns that feed canonical ``target``, in the order ``map_columns`` reads them
    (a column named canonically first, its mapped twins after)."""
    targets = column_targets(columns, mapping)
    feeding = [column for column in columns if targets[column] == target]
    return sorted(feeding, key=lambda column: str(column).casefold() != targets[column])


def map_columns(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Rename source columns (case-insensitively) to canonical names.

    When a file has both a source column and its canonical twin, the canonical
    column wins where it has a value.
    """
    targets = column_targets(frame.columns, mapping)
    # Columns already named canonically go first, so mapped twins only fill their gaps.
    order = sorted(frame.columns, key=lambda column: str(column).casefold() != targets[column])
    mapped = pd.DataFrame(index=frame.index)
    for column in order:
        target = targets[column]
        if target in mapped:
            mapped[target] = mapped[target].where(mapped[target].notna(), frame[column])
        else:
            mapped[target] = frame[column]
    for name in CANONICAL_FIELDS:
        if name not in mapped:
            mapped[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    ordered = [*CANONICAL_FIELDS, *([MAIN_TEXT] if MAIN_TEXT in mapped else [])]
    ordered += [c for c in mapped.columns if c not in ordered]
    return mapped[ordered]


def build_batch(loaded: LoadedInput, mapping: dict[str, str]) -> Batch:
    frame = loaded.frame.reset_index(drop=True)
    provenance = frame[[SOURCE, POSITION]].rename(columns={SOURCE: "source", POSITION: "position"})
    data = map_columns(frame.drop(columns=[SOURCE, POSITION]), mapping)
    fallback_ids = provenance["source"].astype(str) + ":" + provenance["position"].astype(str)
    row_ids = data["id"].where(data["id"].notna(), fallback_ids)
    rows = provenance.assign(row_id=row_ids)[["row_id", "source", "position"]]
    return Batch(data=data, rows=rows)
