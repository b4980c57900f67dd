"""Run history: every audit run's summary and findings in one embedded SQLite file.

The store lives in the output root by default (``reports/history.sqlite`` beside the
timestamped run folders), needs no server, and answers three questions: what is new and
what was fixed since an earlier run, how the figures moved over the last runs, and what
changed between any two runs (``auditor diff``).

"The same finding" across runs is matched by a key: a hash of rule, row id, column and
the finding's value (as written in ``results.json``). A finding whose value changes
(the category is corrected to another wrong one) is therefore one fixed and one new
finding. Identical keys within one run (two rows sharing an id) get an occurrence
suffix, so they are counted, not merged.

Runs belong to a *dataset* (``--dataset``, by default the inputs' absolute paths): a run is
compared with the previous run of the same dataset, never with whatever else was audited
into the same output root in between.

A run is recorded as *pending* while its outputs are written and becomes a run once they
are in place (``complete``); a pending run is never listed, never a baseline, and a pending
run whose process is gone (killed while writing) is deleted by the next run.

Findings are kept per run as one zlib-compressed JSON document; the per-run summary rows
are kept for ever, the findings of the last ``KEEP_FINDINGS_FOR_RUNS`` runs of each dataset
only, and of at most ``KEEP_FINDINGS_TOTAL`` findings over all datasets (the latest run of
each dataset always keeps its findings: it is the next run's baseline).
"""

from __future__ import annotations

import codecs
import gc
import hashlib
import itertools
import json
import os
import socket
import sqlite3
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from auditor.errors import AuditorError

HISTORY_FILE = "history.sqlite"
# 2: runs carry waived and corrected counts, run_decisions the decisions;
# 3: runs carry their dataset, and are complete only once their outputs are in place.
SCHEMA_VERSION = 3
KEEP_FINDINGS_FOR_RUNS = 90  # per dataset
KEEP_FINDINGS_TOTAL = 5_000_000  # over all datasets (about 0.35 GB at ~70 bytes per stored finding)
# A pending run older than this is a killed one even when its process id is in use again.
PENDING_FOR_AT_MOST_SECONDS = 24 * 3600
TREND_RUNS = 20
_SHORT = {"value": 120, "message": 240, "title": 120, "suggestion": 80}
# The compact form of a finding in the store: a list in this order.
STORED_FIELDS = ("key", "rule", "severity", "row_id", "column", "value", "message", "suggestion", "title",
                 "first_seen", "source", "position", "status")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    out_dir TEXT,
    inputs TEXT NOT NULL,
    fail_on TEXT,
    passed INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    rows_passed INTEGER NOT NULL,
    rows_with_findings INTEGER NOT NULL,
    rows_not_checked INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    infos INTEGER NOT NULL,
    baseline_id INTEGER,
    new INTEGER,
    fixed INTEGER,
    rules TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_decisions (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_findings (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    count INTEGER NOT NULL,
    data BLOB NOT NULL
);
"""


class HistoryError(AuditorError):
    """The history store cannot be read, or a run reference names no run."""


def dataset_name(inputs: Iterable[Any]) -> str:
    """The default dataset of a run: its inputs' absolute paths, sorted, joined by `` + ``.
    Symbolic links are not followed, so ``export.jsonl`` pointing at each night's dated file
    stays one dataset."""
    return " + ".join(sorted(os.path.abspath(str(name)) for name in inputs))


def _this_writer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _writer_alive(writer: str | None) -> bool:
    """Whether the process that recorded a pending run still runs (only known on its host)."""
    host, _, pid = (writer or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run: only its age can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _short(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def finding_keys(findings: Iterable[dict[str, Any]]) -> list[str]:
    """The identity of each finding across runs: a hash of rule, row id, column and value;
    repeats within one run (two rows with one id) are numbered."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for finding in findings:
        base = "\x1f".join((str(finding.get("rule")), str(finding.get("row_id")), str(finding.get("column")),
                            _value_text(finding.get("value"))))
        digest = hashlib.sha1(base.encode("utf-8")).hexdigest()[:20]
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        keys.append(digest if count == 0 else f"{digest}#{count}")
    return keys


def compact_findings(findings: list[dict[str, Any]], titles: dict[tuple[str, int], Any] | None = None,
                     keys: list[str] | None = None) -> list[dict[str, Any]]:
    """The stored form of findings: what a diff needs to name them, capped in size."""
    keys = keys if keys is not None else finding_keys(findings)
    return [dict(zip(STORED_FIELDS, row)) for row in _stored_rows(findings, titles or {}, keys, itertools.repeat(None))]


def _stored_rows(findings: Iterable[dict[str, Any]], titles: dict[tuple[str, int], Any], keys: Iterable[str],
                 first_seen: Iterable[Any]) -> Iterator[list[Any]]:
    """Each finding's stored row (STORED_FIELDS in order), made as it is packed: a million
    findings as dicts beside the batch's were 2.5 GB at the end of a run."""
    for key, finding, first in zip(keys, findings, first_seen):
        yield [key, finding.get("rule"), finding.get("severity"), finding.get("row_id"), finding.get("column"),
               _short(finding.get("value"), _SHORT["value"]), _short(finding.get("message"), _SHORT["message"]),
               _short(finding.get("suggestion"), _SHORT["suggestion"]),
               _short(titles.get((finding.get("source"), finding.get("position"))), _SHORT["title"]),
               first, finding.get("source"), finding.get("position"), finding.get("status")]


_PACKED_ROWS = 10_000  # rows encoded and compressed at a time
_READ_BYTES = 1 << 20  # compressed bytes decompressed at a time


def _pack(rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """The rows as one zlib-compressed JSON array (the store's format since the first
    version), encoded and compressed a slice at a time; and how many there were."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    compressor = zlib.compressobj(3)
    packed = [compressor.compress(b"[")]
    count = 0
    rows = iter(rows)
    while True:
        piece = list(itertools.islice(rows, _PACKED_ROWS))
        if not piece:
            break
        text = encoder.encode(piece)[1:-1]  # without the slice's own brackets
        packed.append(compressor.compress(((b"," if count else b"") + text.encode("utf-8"))))
        count += len(piece)
    packed.append(compressor.compress(b"]"))
    packed.append(compressor.flush())
    return b"".join(packed), count


def _unpacked_rows(data: bytes) -> Iterator[list[Any]]:
    """The stored rows, decompressed and decoded a megabyte at a time (the whole JSON text of a
    million findings and its million lists at once were the other half of that peak)."""
    decompressor = zlib.decompressobj()
    text = codecs.getincrementaldecoder("utf-8")()
    decoder = json.JSONDecoder()
    buffer, at, opened = "", 0, False
    offsets = iter(range(0, len(data), _READ_BYTES))
    more = True
    while True:
        while True:
            while at < len(buffer) and buffer[at] in " \t\r\n,":
                at += 1
            if not opened:
                if at < len(buffer):
                    if buffer[at] != "[":
                        raise ValueError("stored findings are not a JSON array")
                    opened, at = True, at + 1
                    continue
                break
            if at < len(buffer) and buffer[at] == "]":
                return
            try:
                row, at = decoder.raw_decode(buffer, at)
            except json.JSONDecodeError:
                if not more:
                    raise
                break  # the row goes on in the next megabyte
            yield row
        offset = next(offsets, None)
        if offset is None:
            piece, more = text.decode(decompressor.flush(), final=True), False
        else:
            piece = text.decode(decompressor.decompress(data[offset:offset + _READ_BYTES]))
        buffer, at = buffer[at:] + piece, 0
        if not more and not buffer.strip():
            raise ValueError("stored findings end before their array does")


def _unpack(data: bytes) -> list[dict[str, Any]]:
    return [dict(zip(STORED_FIELDS, row)) for row in _unpacked_rows(data)]


@dataclass
class Changes:
    """What changed from ``baseline`` to ``current``: findings that are new, fixed, and still open."""

    baseline: dict[str, Any]
    current: dict[str, Any]
    new: list[dict[str, Any]]
    fixed: list[dict[str, Any]]
    still_open: int

    def per_rule(self) -> list[dict[str, Any]]:
        table: dict[str, dict[str, Any]] = {}
        for kind in ("new", "fixed"):
            for finding in getattr(self, kind):
                entry = table.setdefault(finding["rule"], {"rule": finding["rule"], "severity": finding["severity"],
                                                           "new": 0, "fixed": 0})
                entry[kind] += 1
        return sorted(table.values(), key=lambda e: (-(e["new"] + e["fixed"]), e["rule"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "current": self.current,
            "counts": {"new": len(self.new), "fixed": len(self.fixed), "still_open": self.still_open},
            "per_rule": self.per_rule(),
            "new": self.new,
            "fixed": self.fixed,
        }


def compare(baseline_findings: list[dict[str, Any]], current_findings: list[dict[str, Any]],
            baseline: dict[str, Any], current: dict[str, Any]) -> Changes:
    before = {finding["key"]: finding for finding in baseline_findings}
    now = {finding["key"]: finding for finding in current_findings}
    new = [finding for key, finding in now.items() if key not in before]
    fixed = [finding for key, finding in before.items() if key not in now]
    return Changes(baseline=baseline, current=current, new=new, fixed=fixed,
                   still_open=sum(1 for key in now if key in before))


class _Earlier:
    """What a run's record needs of earlier runs' stored findings: the baseline's keys that
    this run has too, its findings that are no longer there (fixed), and the first-seen runs
    of the run just before."""

    def __init__(self, now: set[str]):
        self.now = now
        self.baseline_keys: set[str] = set()
        self.fixed: list[dict[str, Any]] = []
        self.first_seen: dict[str, Any] = {}

    def read(self, packed: bytes | None, as_baseline: bool, previous_id: int | None) -> bool:
        """Take in one run's stored findings: as the baseline, as the run just before
        (``previous_id``), or both. False when they are no longer kept."""
        if packed is None:
            return False
        key_at, first_at = STORED_FIELDS.index("key"), STORED_FIELDS.index("first_seen")
        for row in _unpacked_rows(packed):
            key = row[key_at]
            if as_baseline:
                if key in self.now:
                    self.baseline_keys.add(key)  # only this run's keys are asked about
                else:
                    self.fixed.append(dict(zip(STORED_FIELDS, row)))
            if previous_id is not None and key in self.now:
                self.first_seen[key] = row[first_at] or previous_id
        return True


@dataclass
class Recorded:
    """What the report needs from the store after a run was recorded."""

    run_id: int
    path: Path
    baseline: dict[str, Any] | None = None
    new_indexes: set[int] = field(default_factory=set)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    first_seen: list[int] = field(default_factory=list)
    previous_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def view(self) -> dict[str, Any]:
        """Plain data for the report and the CI summary."""
        return {
            "run_id": self.run_id,
            "path": str(self.path),
            "baseline": self.baseline,
            "new": len(self.new_indexes) if self.baseline else None,
            "fixed": len(self.fixed) if self.baseline else None,
            "fixed_findings": self.fixed,
            "new_indexes": self.new_indexes,
            "first_seen": self.first_seen,
            "previous_rules": self.previous_rules,
            "trend": self.trend,
            "note": self.note,
        }


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    run = {key: row[key] for key in row.keys() if key not in ("rules", "summary", "inputs", "writer", "complete")}
    run["inputs"] = json.loads(row["inputs"])
    run["passed"] = bool(row["passed"])
    run["share_passed"] = round(100.0 * row["rows_passed"] / row["rows"], 2) if row["rows"] else 100.0
    return run


class HistoryStore:
    """One SQLite file; open it with ``HistoryStore(path)`` and close it (or use ``with``)."""

    def __init__(self, path: Path, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise HistoryError(f"{self.path}: no run history here (it is written by 'auditor audit'; see --history)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)
            version = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if version is None:
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(version[0]) > SCHEMA_VERSION:
                raise HistoryError(f"{self.path}: written by a newer auditor (history schema {version[0]})")
            self._upgrade()
        except sqlite3.DatabaseError as error:
            raise HistoryError(f"{self.path}: not a usable run history ({error})") from None

    def _upgrade(self) -> None:
        """Stores of schema 1 get the decision counts (their runs read as none waived or
        corrected); stores of schema 1 and 2 get datasets (derived from each run's inputs as
        recorded, relative ones resolved against the current folder) and completeness (their
        runs were recorded as complete)."""
        if self._columns() >= {"waived", "corrected", "complete", "writer", "dataset"}:
            return
        with self._transaction():
            columns = self._columns()  # again, under the lock: another process may have upgraded meanwhile
            for column in ("waived", "corrected"):
                if column not in columns:
                    self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} INTEGER")
            if "complete" not in columns:
                self._db.execute("ALTER TABLE runs ADD COLUMN complete INTEGER NOT NULL DEFAULT 1")
                self._db.execute("ALTER TABLE runs ADD COLUMN writer TEXT")
            if "dataset" not in columns:
                self._db.execute("ALTER TABLE runs ADD COLUMN dataset TEXT")
                for row in self._db.execute("SELECT id, inputs FROM runs").fetchall():
                    self._db.execute("UPDATE runs SET dataset = ? WHERE id = ?",
                                     (dataset_name(json.loads(row["inputs"])), row["id"]))
            self._db.execute("CREATE INDEX IF NOT EXISTS runs_by_dataset ON runs (dataset, complete, id)")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _columns(self) -> set[str]:
        return {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- reading -------------------------------------------------------------------------

    def runs(self, limit: int | None = None, dataset: str | None = None) -> list[dict[str, Any]]:
        """The latest complete runs (of ``dataset``, when given), oldest first."""
        where, parameters = self._complete(dataset)
        query = f"SELECT * FROM runs WHERE {where} ORDER BY id DESC" + (" LIMIT ?" if limit else "")
        rows = self._db.execute(query, (*parameters, limit) if limit else parameters).fetchall()
        return [_run_dict(row) for row in reversed(rows)]

    @staticmethod
    def _complete(dataset: str | None) -> tuple[str, tuple]:
        if dataset is None:
            return "complete = 1", ()
        return "complete = 1 AND dataset = ?", (dataset,)

    def datasets(self) -> list[str]:
        return [row[0] for row in self._db.execute(
            "SELECT dataset FROM runs WHERE complete = 1 GROUP BY dataset ORDER BY MAX(id)")]

    def run(self, run_id: int) -> dict[str, Any] | None:
        """A complete run; a pending one (still writing, or killed while writing) is no run."""
        row = self._db.execute("SELECT * FROM runs WHERE id = ? AND complete = 1", (run_id,)).fetchone()
        return _run_dict(row) if row else None

    def run_of_folder(self, folder: Path) -> int | None:
        """The latest complete run whose outputs were written to ``folder``."""
        row = self._db.execute("SELECT id FROM runs WHERE complete = 1 AND out_dir = ? ORDER BY id DESC LIMIT 1",
                               (str(Path(folder).resolve()),)).fetchone()
        return int(row[0]) if row else None

    def rule_figures(self, run_id: int) -> dict[str, dict[str, Any]]:
        row = self._db.execute("SELECT rules FROM runs WHERE id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def findings(self, run_id: int) -> list[dict[str, Any]] | None:
        """A run's stored findings, or None when they were pruned (or never stored)."""
        packed = self._packed_findings(run_id)
        return _unpack(packed) if packed is not None else None

    def _packed_findings(self, run_id: int) -> bytes | None:
        row = self._db.execute("SELECT data FROM run_findings WHERE run_id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    def resolve(self, reference: str | int, dataset: str | None = None) -> int:
        """A run id from ``12``, ``latest`` or ``previous`` (the one before the latest), of
        ``dataset`` when given; without one, ``previous`` is the run before the latest of the
        latest run's dataset (what that run was compared with)."""
        text = str(reference).strip().lstrip("#")
        if text in ("latest", "last", "previous", "prev"):
            offset = 0 if text in ("latest", "last") else 1
            if dataset is None and offset:
                latest = self._db.execute("SELECT dataset FROM runs WHERE complete = 1 ORDER BY id DESC LIMIT 1").fetchone()
                dataset = latest[0] if latest else None
            where, parameters = self._complete(dataset)
            row = self._db.execute(f"SELECT id FROM runs WHERE {where} ORDER BY id DESC LIMIT 1 OFFSET ?",
                                   (*parameters, offset)).fetchone()
            if row is None:
                count = self._count(dataset)
                of = f" of dataset {dataset!r}" if dataset is not None else ""
                raise HistoryError(f"{self.path}: no {text} run{of} (the history holds "
                                   f"{count} run{'s' if count != 1 else ''}{of}; see 'auditor history')")
            return int(row[0])
        if not text.isdigit():
            raise HistoryError(f"{reference!r} is not a run: give a run number (see 'auditor history'), "
                               "'latest', 'previous', a run folder or a results.json file")
        if self.run(int(text)) is None:
            pending = self._db.execute("SELECT 1 FROM runs WHERE id = ? AND complete = 0", (int(text),)).fetchone()
            if pending:
                raise HistoryError(f"{self.path}: run #{text} has not written its outputs (still running, or killed "
                                   "while writing); it is no run to compare with")
            raise HistoryError(f"{self.path}: no run #{text} (see 'auditor history')")
        return int(text)

    def _count(self, dataset: str | None = None) -> int:
        where, parameters = self._complete(dataset)
        return int(self._db.execute(f"SELECT COUNT(*) FROM runs WHERE {where}", parameters).fetchone()[0])

    def changes(self, baseline_id: int, current_id: int) -> Changes:
        findings = []
        for run_id in (baseline_id, current_id):
            stored = self.findings(run_id)
            if stored is None:
                raise HistoryError(f"{self.path}: the findings of run #{run_id} are no longer kept "
                                   f"(only those of the last {KEEP_FINDINGS_FOR_RUNS} runs are)")
            findings.append(stored)
        return compare(findings[0], findings[1], self.run(baseline_id) or {}, self.run(current_id) or {})

    # -- writing -------------------------------------------------------------------------

    def record(self, summary: dict[str, Any], rules: list[dict[str, Any]], findings: list[dict[str, Any]],
               run_info: dict[str, Any], out_dir: Path | None = None,
               titles: dict[tuple[str, int], Any] | None = None, baseline: str | int | None = None,
               decisions: dict[str, Any] | None = None, compare: bool = True, dataset: str | None = None,
               complete: bool = True) -> Recorded:
        """Store one run of ``dataset`` (default: derived from its inputs) and compare it with
        ``baseline`` (default: the latest run of the dataset before it; with ``compare=False``
        and no baseline, with none); ``decisions`` (what the editors' decisions did in the
        run) is kept with it. With ``complete=False`` the run stays pending, invisible to
        listings and comparisons, until ``complete(run_id)`` says its outputs are in place."""
        # Tens of thousands of small objects: the cyclic GC would walk the whole batch for nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            dataset = dataset if dataset is not None else dataset_name(run_info.get("inputs", []))
            return self._record(summary, rules, findings, run_info, out_dir, titles, baseline, decisions, compare,
                                dataset, complete)
        finally:
            if collecting:
                gc.enable()

    def _record(self, summary, rules, findings, run_info, out_dir, titles, baseline, decisions, compare,
                dataset, complete) -> Recorded:
        keys = finding_keys(findings)
        with self._transaction():
            self._forget_killed_runs()
            row = self._db.execute("SELECT id FROM runs WHERE complete = 1 AND dataset = ? ORDER BY id DESC LIMIT 1",
                                   (dataset,)).fetchone()
            previous_id = int(row[0]) if row else None
            baseline_id = self.resolve(baseline) if baseline is not None else (previous_id if compare else None)
            note = None
            # The earlier runs are read a row at a time and only what the comparison needs is
            # kept: each key's first run, and the fixed findings whole.
            earlier = _Earlier(set(keys))
            comparable = False
            if baseline_id is not None:
                comparable = earlier.read(self._packed_findings(baseline_id), True,
                                          previous_id if previous_id == baseline_id else None)
                if not comparable:
                    note = f"the findings of run #{baseline_id} are no longer kept; nothing to compare with"
            if previous_id is not None and previous_id != baseline_id:
                earlier.read(self._packed_findings(previous_id), False, previous_id)
            new_indexes = {i for i, key in enumerate(keys) if comparable and key not in earlier.baseline_keys}
            fixed = earlier.fixed
            per_severity = summary.get("findings_per_severity", {})
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, recorded_at, out_dir, inputs, fail_on, passed, rows, rows_passed,"
                " rows_with_findings, rows_not_checked, findings, errors, warnings, infos, baseline_id, new, fixed,"
                " rules, summary, waived, corrected, dataset, complete, writer)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(run_info.get("started_at") or _utc_now()), _utc_now(),
                    str(out_dir) if out_dir else None,
                    json.dumps(run_info.get("inputs", []), ensure_ascii=False),
                    summary.get("fail_on"), int(bool(summary.get("passed"))),
                    int(summary.get("rows", 0)), int(summary.get("rows_passed", 0)),
                    int(summary.get("rows_with_findings", 0)), int(summary.get("rows_not_checked", 0)),
                    int(summary.get("findings", len(findings))),
                    int(per_severity.get("error", 0)), int(per_severity.get("warning", 0)),
                    int(per_severity.get("info", 0)),
                    baseline_id if comparable else None,
                    len(new_indexes) if comparable else None, len(fixed) if comparable else None,
                    json.dumps({rule["id"]: {"severity": rule.get("severity"), "status": rule.get("status"),
                                             "evaluated": rule.get("evaluated"), "unexpected": rule.get("unexpected")}
                                for rule in rules}, ensure_ascii=False),
                    json.dumps(summary, ensure_ascii=False, default=str),
                    int(summary.get("findings_waived", 0)),
                    int(decisions.get("corrections", 0)) if decisions else 0,
                    dataset, int(bool(complete)), None if complete else _this_writer(),
                ),
            )
            run_id = int(cursor.lastrowid)
            if decisions:
                self._db.execute("INSERT INTO run_decisions (run_id, data) VALUES (?, ?)",
                                 (run_id, json.dumps(decisions, ensure_ascii=False, default=str)))
            # An open finding keeps the run it was first seen in, carried from the run just
            # before (whatever the baseline of the comparison).
            first_seen = [earlier.first_seen.get(key, run_id) for key in keys]
            del earlier
            packed, count = _pack(_stored_rows(findings, titles or {}, keys, first_seen))
            self._db.execute("INSERT INTO run_findings (run_id, count, data) VALUES (?, ?, ?)",
                             (run_id, count, packed))
            self._prune()
        previous_rules = self.rule_figures(baseline_id) if baseline_id is not None else {}
        return Recorded(
            run_id=run_id,
            path=self.path,
            baseline=self.run(baseline_id) if baseline_id is not None and comparable else None,
            new_indexes=new_indexes,
            fixed=fixed,
            first_seen=first_seen,
            previous_rules=previous_rules,
            # The run being written is the trend's last point, though not yet listed.
            trend=self.runs(TREND_RUNS, dataset) if complete else
            self.runs(TREND_RUNS - 1, dataset) + [self._pending_run(run_id)],
            note=note,
        )

    def _pending_run(self, run_id: int) -> dict[str, Any]:
        return _run_dict(self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())

    def complete(self, run_id: int) -> None:
        """The run's outputs are in place: from now on it is a run (listed, a baseline)."""
        self._db.execute("UPDATE runs SET complete = 1, writer = NULL WHERE id = ?", (run_id,))

    def _forget_killed_runs(self) -> None:
        """Pending runs whose process is gone (killed while writing), or that are too old to be
        still writing, are deleted: they have no outputs."""
        now = datetime.now(timezone.utc)
        for row in self._db.execute("SELECT id, writer, recorded_at FROM runs WHERE complete = 0").fetchall():
            try:
                age = (now - datetime.fromisoformat(row["recorded_at"])).total_seconds()
            except (TypeError, ValueError):
                age = float("inf")
            if age > PENDING_FOR_AT_MOST_SECONDS or not _writer_alive(row["writer"]):
                self._delete_run(int(row["id"]))

    def update_verdict(self, run_id: int, summary: dict[str, Any]) -> None:
        """The verdict of a run that gates on new findings is known only after the comparison."""
        self._db.execute("UPDATE runs SET passed = ?, summary = ? WHERE id = ?",
                         (int(bool(summary.get("passed"))), json.dumps(summary, ensure_ascii=False, default=str), run_id))

    def decisions(self, run_id: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM run_decisions WHERE run_id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def latest_run_of(self, dataset: str | list[str]) -> int | None:
        """The latest complete run of a dataset (or of the dataset of these inputs), for
        ``--fail-on-new``: another export audited in between is no baseline."""
        if not isinstance(dataset, str):
            dataset = dataset_name(dataset)
        row = self._db.execute("SELECT id FROM runs WHERE complete = 1 AND dataset = ? ORDER BY id DESC LIMIT 1",
                               (dataset,)).fetchone()
        return int(row[0]) if row else None

    def forget(self, run_id: int) -> None:
        """Remove a run again (its outputs could not be written)."""
        with self._transaction():
            self._delete_run(run_id)

    def _delete_run(self, run_id: int) -> None:
        self._db.execute("DELETE FROM run_findings WHERE run_id = ?", (run_id,))
        self._db.execute("DELETE FROM run_decisions WHERE run_id = ?", (run_id,))
        self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def _prune(self) -> None:
        """Findings are kept for the last KEEP_FINDINGS_FOR_RUNS runs of each dataset, newest
        first until KEEP_FINDINGS_TOTAL; each dataset's latest run keeps them regardless."""
        stored = self._db.execute(
            "SELECT run_findings.run_id, run_findings.count, runs.dataset FROM run_findings"
            " JOIN runs ON runs.id = run_findings.run_id ORDER BY run_findings.run_id DESC").fetchall()
        kept_per_dataset: dict[Any, int] = {}
        total = 0
        dropped = []
        for run_id, count, dataset in stored:
            kept = kept_per_dataset.get(dataset, 0)
            if kept and (kept >= KEEP_FINDINGS_FOR_RUNS or total + count > KEEP_FINDINGS_TOTAL):
                dropped.append(run_id)
                continue
            kept_per_dataset[dataset] = kept + 1
            total += count
        self._db.executemany("DELETE FROM run_findings WHERE run_id = ?", [(run_id,) for run_id in dropped])

    class _Transaction:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self) -> None:
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type, *_: Any) -> None:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")

    def _transaction(self) -> "_Transaction":
        return self._Transaction(self._db)


def results_json_run(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A results.json file as a run for ``auditor diff``: its run figures and keyed findings."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        summary, findings = document["summary"], document["findings"]
        # results.json leaves the findings of systematic problems to findings.jsonl beside it.
        listed = document.get("findings_file") or {}
        beside = Path(path).with_name(str(listed.get("path") or "findings.jsonl"))
        if listed and listed.get("findings") != listed.get("in_results_json"):
            with beside.open(encoding="utf-8") as handle:
                findings = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise HistoryError(f"{path}: not a readable results.json ({error})") from None
    titles = {(row.get("source"), row.get("position")): row.get("title") for row in document.get("rows", [])}
    per_severity = summary.get("findings_per_severity", {})
    run = {
        "id": str(path),
        "started_at": (document.get("run") or {}).get("started_at"),
        "rows": summary.get("rows"),
        "findings": summary.get("findings"),
        "errors": per_severity.get("error"),
        "warnings": per_severity.get("warning"),
        "infos": per_severity.get("info"),
        "passed": summary.get("passed"),
    }
    return run, compact_findings(findings, titles)
