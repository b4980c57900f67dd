"""Editors' decisions on findings (``decisions.yaml``): load them, merge several editors'
files, and match them against a run's findings and rows.

A decision names a finding the way the run history does -- rule, row id, column and the
value the finding was about (plus, optionally, the span of the part of the value) -- so it
applies only while the data is what the editor saw: when the value changes, the finding is
open again. ``dismiss`` waives the finding; ``accept`` and ``correct`` ask for a new value,
which the run writes to ``corrections.csv`` as long as the row still holds the old one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import AuditorError
from auditor.findings import VALUE_LIMIT
from auditor.loaders import cell_text
from auditor.mapping import Batch
from auditor.yamldoc import line_of, load_validated

SCHEMA = "decisions"
CORRECTING = ("accept", "correct")


class DecisionsError(AuditorError):
    """A decisions file cannot be read or holds an invalid entry."""


@dataclass(frozen=True)
class Decision:
    rule: str
    row_id: str
    column: str | None
    value: str | None
    decision: str
    decided_at: dt.datetime
    new_value: str | None = None
    note: str | None = None
    by: str | None = None
    span: tuple[int, int] | None = None
    origin: str = ""  # "file:line", for messages

    @property
    def finding_key(self) -> tuple[str, str, str | None, str | None]:
        return (self.rule, self.row_id, self.column, self.value)

    @property
    def key(self) -> tuple:
        return (*self.finding_key, self.span)

    def to_dict(self) -> dict[str, Any]:
        entry = {"rule": self.rule, "row_id": self.row_id, "column": self.column, "value": self.value,
                 "decision": self.decision, "new_value": self.new_value, "note": self.note,
                 "decided_at": self.decided_at.isoformat(), "by": self.by, "origin": self.origin}
        if self.span is not None:
            entry["span"] = list(self.span)
        return entry


def _text(value: Any) -> str | None:
    """A value from the file as the auditor compares it: text as in results.json, None when
    empty. Unquoted YAML (``2025-02-01``, ``12``) reads as a date or a number; it means the text."""
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    text = cell_text(value)
    if isinstance(text, str) and len(text) > VALUE_LIMIT:
        text = text[: VALUE_LIMIT - 1] + "…"  # findings carry values capped like this
    return text


def _decided_at(value: Any, at: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise DecisionsError(f"{at}: decided_at {value!r} is not an ISO date-time; write it like "
                                 "\"2026-12-02T07:45:00Z\"") from None
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        raise DecisionsError(f"{at}: decided_at must be an ISO date-time like \"2026-12-02T07:45:00Z\", not {value!r}")
    # Without a zone the time is read as UTC, so that files from several editors compare.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _has_entries(file: Path) -> bool:
    """A file with nothing but comments is an editor's download without decisions."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return True  # load_validated names the line
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


def decision_files(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its ``*.yaml``/``*.yml`` files (one per editor and day)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")))
        else:
            files.append(path)
    return files


def load_decisions(files: list[Path]) -> list[Decision]:
    """Every entry of ``files``, in order; a broken file raises with ``file:line: what is wrong``."""
    decisions: list[Decision] = []
    for file in decision_files(files):
        if not file.is_file():
            raise DecisionsError(f"{file}: no such decisions file; pass the decisions.yaml downloaded from the report "
                                 "with --decisions")
        if not _has_entries(file):
            continue
        document = load_validated(file, SCHEMA)
        for position, entry in enumerate(document):
            at = f"{file}:{line_of(document, [position]) or 1}"

            def field_at(key: str) -> str:
                return f"{file}:{line_of(document, [position, key]) or at.rsplit(':', 1)[1]}"

            for key in ("value", "new_value"):
                if isinstance(entry.get(key), (dict, list)):
                    raise DecisionsError(f"{field_at(key)}: {key} must be a text (quote it), not a "
                                         f"{'mapping' if isinstance(entry[key], dict) else 'list'}")
            new_value = _text(entry.get("new_value"))
            if entry["decision"] in CORRECTING and new_value is None:
                raise DecisionsError(f"{field_at('new_value')}: a decision to {entry['decision']} needs a new_value "
                                     "that is not empty")
            span = entry.get("span")
            decisions.append(Decision(
                rule=str(entry["rule"]),
                row_id=str(entry["row_id"]),
                column=None if entry["column"] is None else str(entry["column"]),
                value=_text(entry["value"]),
                decision=str(entry["decision"]),
                decided_at=_decided_at(entry["decided_at"], field_at("decided_at")),
                new_value=new_value if entry["decision"] in CORRECTING else None,
                note=_text(entry.get("note")),
                by=_text(entry.get("by")),
                span=(int(span[0]), int(span[1])) if span else None,
                origin=at,
            ))
    return decisions


@dataclass
class Merged:
    decisions: list[Decision]
    conflicts: list[dict[str, Any]]


def merge(decisions: list[Decision]) -> Merged:
    """One decision per finding: of two on the same finding the later ``decided_at`` wins (on a
    tie, the one read last). Two that disagree are a conflict the run reports."""
    chosen: dict[tuple, Decision] = {}
    conflicts: list[dict[str, Any]] = []
    for decision in decisions:
        earlier = chosen.get(decision.key)
        if earlier is None:
            chosen[decision.key] = decision
            continue
        winner, loser = (decision, earlier) if decision.decided_at >= earlier.decided_at else (earlier, decision)
        chosen[decision.key] = winner
        if (winner.decision, winner.new_value) != (loser.decision, loser.new_value):
            conflicts.append(_conflict(winner, loser))
    # Two rules may ask for different new values of one cell: the cell gets the later one.
    cells: dict[tuple, Decision] = {}
    for decision in list(chosen.values()):
        if decision.decision not in CORRECTING:
            continue
        cell = (decision.row_id, decision.column, decision.value)
        earlier = cells.get(cell)
        if earlier is None:
            cells[cell] = decision
            continue
        winner, loser = (decision, earlier) if decision.decided_at >= earlier.decided_at else (earlier, decision)
        cells[cell] = winner
        if winner.new_value != loser.new_value:
            conflicts.append(_conflict(winner, loser))
            del chosen[loser.key]
    return Merged(decisions=list(chosen.values()), conflicts=conflicts)


def _describe(decision: Decision) -> str:
    what = decision.decision + (f" -> {decision.new_value!r}" if decision.new_value is not None else "")
    return f"{what} by {decision.by or 'someone'} at {decision.decided_at.isoformat()} ({decision.origin})"


def _conflict(winner: Decision, loser: Decision) -> dict[str, Any]:
    return {
        "rule": winner.rule, "row_id": winner.row_id, "column": winner.column, "value": winner.value,
        "kept": winner.origin, "overruled": loser.origin,
        "message": (f"{winner.rule} on {winner.row_id} [{winner.column}] was decided twice: {_describe(winner)} wins "
                    f"over {_describe(loser)}, the later decision"),
    }


@dataclass
class DecisionOutcome:
    """What a run made of the decisions: waived findings, corrections, stale and conflicting entries."""

    files: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    waived: int = 0
    corrections: list[dict[str, Any]] = field(default_factory=list)
    applied: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "decisions": len(self.decisions),
            "waived": self.waived,
            "corrections": len(self.corrections),
            "already_applied": self.applied,
            "stale": self.stale,
            "conflicts": self.conflicts,
        }


class _RowValues:
    """Current (capped) values of the rows the decisions name, looked up by row id."""

    def __init__(self, batch: Batch, row_ids: set[str]):
        self.batch = batch
        self.positions: dict[str, list[int]] = {}
        for position, row_id in enumerate(batch.rows["row_id"].to_numpy()):
            text = str(row_id)
            if text in row_ids:
                self.positions.setdefault(text, []).append(position)

    def has_row(self, row_id: str) -> bool:
        return row_id in self.positions

    def values(self, row_id: str, column: str | None) -> list[str | None] | None:
        if column is None or column not in self.batch.data.columns or row_id not in self.positions:
            return None
        series = self.batch.data[column]
        return [_text(series.iat[position]) for position in self.positions[row_id]]


def apply_decisions(findings: list[dict[str, Any]], batch: Batch, decisions: list[Decision],
                    files: list[Path]) -> DecisionOutcome:
    """Mark the findings the decisions are about and list the corrections still to make.

    A dismissed finding gets ``status: waived`` and a ``waiver`` (who, when, note); an accepted
    or corrected one stays open -- the data still holds the old value -- and carries its
    ``decision``. A decision that matches nothing in this run is stale, never an error.
    """
    merged = merge(decisions)
    outcome = DecisionOutcome(files=[str(file) for file in decision_files(files)], decisions=merged.decisions,
                              conflicts=merged.conflicts)
    by_key: dict[tuple, list[dict[str, Any]]] = {}
    for finding in findings:
        key = (finding["rule"], str(finding["row_id"]), finding.get("column"), _text(finding.get("value")))
        by_key.setdefault(key, []).append(finding)
    rows = _RowValues(batch, {decision.row_id for decision in merged.decisions})
    for decision in merged.decisions:
        matched = [finding for finding in by_key.get(decision.finding_key, [])
                   if decision.span is None or tuple(finding.get("span") or ()) == decision.span]
        if decision.decision == "dismiss":
            if not matched:
                outcome.stale.append(_stale(decision, _why_stale(decision, rows)))
                continue
            for finding in matched:
                if finding["status"] != "waived":
                    outcome.waived += 1
                finding["status"] = "waived"
                finding["waiver"] = {"by": decision.by, "decided_at": decision.decided_at.isoformat(),
                                     "note": decision.note, "decision": decision.origin}
            continue
        current = rows.values(decision.row_id, decision.column)
        if current is not None and decision.value in current:
            outcome.corrections.append({
                "row_id": decision.row_id, "column": decision.column, "old_value": decision.value,
                "new_value": decision.new_value, "rule": decision.rule,
                "decided_at": decision.decided_at.isoformat(), "by": decision.by, "decision": decision.decision,
            })
            for finding in matched:
                finding["decision"] = {"decision": decision.decision, "new_value": decision.new_value,
                                       "by": decision.by, "decided_at": decision.decided_at.isoformat(),
                                       "note": decision.note}
        elif current is not None and decision.new_value in current:
            outcome.applied.append({**_stale(decision, "the row already holds the new value")})
        else:
            outcome.stale.append(_stale(decision, _why_stale(decision, rows)))
    return outcome


def _stale(decision: Decision, reason: str) -> dict[str, Any]:
    return {"decision": decision.origin, "rule": decision.rule, "row_id": decision.row_id, "column": decision.column,
            "value": decision.value, "kind": decision.decision, "reason": reason}


def _why_stale(decision: Decision, rows: _RowValues) -> str:
    if not rows.has_row(decision.row_id):
        return f"no row {decision.row_id!r} in this run"
    current = rows.values(decision.row_id, decision.column)
    if current is not None and decision.value not in current:
        now = current[0]
        shown = repr(now if now is None or len(now) <= 60 else now[:59] + "…")
        return f"{decision.column} is now {shown}, not the decided value; a finding on it is open again"
    if decision.decision == "dismiss":
        return f"{decision.rule} no longer reports this value"
    return f"the row has no column {decision.column!r}"


def describe_outcome(outcome: DecisionOutcome) -> list[str]:
    """Lines for the terminal: what the decisions did, then each conflict and stale entry."""
    if not outcome.files:
        return []
    lines = [f"decisions: {len(outcome.decisions)} from {len(outcome.files)} file{'s' if len(outcome.files) != 1 else ''}: "
             f"{outcome.waived} finding{'s' if outcome.waived != 1 else ''} waived, {len(outcome.corrections)} "
             f"correction{'s' if len(outcome.corrections) != 1 else ''}"
             + (f", {len(outcome.applied)} already applied" if outcome.applied else "")
             + (f", {len(outcome.stale)} stale" if outcome.stale else "")]
    lines += [f"note: {conflict['message']}" for conflict in outcome.conflicts]
    lines += [f"warning: {entry['decision']}: stale decision ({entry['kind']} {entry['rule']} on {entry['row_id']}): "
              f"{entry['reason']}" for entry in outcome.stale]
    return lines
