"""A Spark run's findings beyond ``--max-findings``, read back on the driver to be counted.

The workers make them (:func:`auditor.spark.row_checks.write_findings_beyond`) and write one
a line, each prefixed with what orders it as :func:`auditor.findings.collect` orders the
driver's findings (its batch row, and whether it is a note). The driver reads them once and
keeps each *without its bulky details* (evidence words, excerpts, lines), marked
:data:`~auditor.findings.HELD_ELSEWHERE` with where its line is: the summary, the gate, the
rules' figures, systematic problems, the editors' decisions and the history count them like
any finding, and ``findings.jsonl`` writes each in full again (:meth:`FindingsBeyond.full`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

from auditor.findings import HELD_ELSEWHERE
from auditor.rules import RuleSet

BULKY = ("evidence", "snippet", "lines")
"""A finding's details that only the page and findings.jsonl show: left in the files."""
SHARED = ("rule", "severity", "source", "column", "status")
"""Values that thousands of findings repeat: held once (1.9 -> 1.6 kB per held finding)."""


def finding_line(row: int, note: bool, encoded: str) -> str:
    """One line of the files: batch row, note flag and the finding's JSON (which escapes tabs)."""
    return f"{row}\t{int(note)}\t{encoded}"


def _split(line: bytes) -> tuple[int, bool, str]:
    row, note, encoded = line.decode("utf-8").split("\t", 2)
    return int(row), note == "1", encoded


class FindingsBeyond:
    """The folder Spark wrote the findings beyond the bound into."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.parts = sorted(self.folder.glob("part-*"))

    def _lines(self) -> Iterator[tuple[int, int, bytes]]:
        for number, part in enumerate(self.parts):
            with part.open("rb") as handle:
                offset = 0
                for line in handle:
                    if line.strip():
                        yield number, offset, line.rstrip(b"\n")
                    offset += len(line)

    def held(self, ruleset: RuleSet) -> list[dict[str, Any]]:
        """Every finding, without its bulky details, in the order the driver's collect makes
        findings (rule, column, failing rows before notes, row): a systematic problem's
        examples and a history key's repeat number come out as on pandas."""
        outcome_order = {(rule.id, column): (number, place) for number, rule in enumerate(ruleset.rules)
                         for place, column in enumerate(rule.columns)}
        keyed = []
        for number, offset, line in self._lines():
            row, note, encoded = _split(line)
            finding = {key: sys.intern(value) if key in SHARED and isinstance(value, str) else value
                       for key, value in json.loads(encoded).items() if key not in BULKY}
            finding[HELD_ELSEWHERE] = (number, offset)
            # Lines of one row and check are consecutive in a part file: the sort is stable.
            keyed.append(((outcome_order.get((finding["rule"], finding.get("column")), (len(outcome_order), 0)), note, row),
                          finding))
        keyed.sort(key=lambda item: item[0])
        return [finding for _, finding in keyed]

    def full(self, finding: dict[str, Any]) -> dict[str, Any]:
        """``finding`` (held) in full: its line as the workers wrote it, with what the run added
        to it since (status, waiver, decision, systematic, new)."""
        number, offset = finding[HELD_ELSEWHERE]
        with self.parts[number].open("rb") as handle:
            handle.seek(offset)
            written = json.loads(_split(handle.readline().rstrip(b"\n"))[2])
        written.update((key, value) for key, value in finding.items() if key != HELD_ELSEWHERE)
        return written
