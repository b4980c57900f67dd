"""Spark reads the inputs itself: Parquet, JSON Lines and CSV/TSV tables, folders and globs.

Each table file is read by ``spark.read`` (``.text`` for JSON Lines, then parsed per
partition with the pandas loader's own JSON rules; ``.csv`` with ``multiLine`` and
``mode=PERMISSIVE``; ``.parquet``), its cells made text as the pandas loaders make them
(:func:`auditor.loaders.cell_text`, blank is empty) in the Python workers, and the rules'
column mapping applied as Spark column expressions. The guarantees of the pandas loaders hold
where they apply: every row is accounted for, and a row that cannot be read (a JSON line that
is not an object, a CSV record whose fields do not match the header) is reported as
unreadable with its reason, never dropped. A file's rows keep the pandas positions (the line
of a JSON Lines record, the row of a Parquet file); a CSV record is numbered by its place
after the header (the line it starts on when no field holds a line break).

Article pages (.txt, .html) and JSON documents (.json) are few and small: the pandas loader
reads them on the driver and they join the table on Spark.

What reaches the driver (:meth:`SparkBatch.driver_batch`): every row's short cells (id,
title, url, category, …: the report lists every row), never the long texts
(:data:`auditor.mapping.LONG_TEXT`), which come only for the rows that have findings.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from auditor.errors import AuditorError, InputError
from auditor.limits import MAX_COLUMNS
from auditor.loaders import (
    LoadedInput,
    UnreadableRow,
    _column_names,
    _parse_json,
    _sniff_delimiter,
    _unique,
    cell_text,
    expand_inputs,
    load_inputs,
    table_format,
)
from auditor.mapping import LONG_TEXT, MAIN_TEXT, Batch, column_targets
from auditor.rules import CANONICAL_FIELDS
from auditor.spark.row_checks import ROW_COLUMN

ID_COLUMN = "id"
SOURCE_COLUMN = "__auditor_source"
POSITION_COLUMN = "__auditor_position"
REASON_COLUMN = "__auditor_unreadable"
_CORRUPT = "__auditor_corrupt_record"
SPARK_TABLES = (".jsonl", ".ndjson", ".csv", ".tsv", ".parquet")
_SNIFF_LINES = 2000


def _col(name: str):
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


@dataclass
class SparkBatch:
    """The batch on Spark: ``frame`` holds the mapped data columns (text or null),
    :data:`ROW_COLUMN` (the row's position in the batch, as on pandas), and the row's source
    file and position there; cached. ``loaded`` carries what the pandas loader would have
    reported (unreadable rows, files), with an empty frame."""

    frame: Any
    columns: list[str]
    rows: int
    loaded: LoadedInput
    # The same rows, cached, in read order: what the driver's reads select from (no shuffle).
    cached: Any = None
    _meta: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def _source(self):
        return self.cached if self.cached is not None else self.frame

    @property
    def long_columns(self) -> list[str]:
        return [name for name in self.columns if name in LONG_TEXT]

    def meta(self) -> pd.DataFrame:
        """Every row's short cells (all columns but the long texts), with its source and
        position, in batch order: what the report and the batch checks' verdicts read."""
        if self._meta is None:
            short = [name for name in self.columns if name not in LONG_TEXT]
            frame = self._source.select(ROW_COLUMN, SOURCE_COLUMN, POSITION_COLUMN, *map(_col, short)).toPandas()
            frame = frame.sort_values(ROW_COLUMN, kind="stable").reset_index(drop=True)
            for name in short:
                frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
            self._meta = frame
        return self._meta

    def positions_of(self, row_ids: set[str]) -> set[int]:
        """The batch positions of the rows with these row ids (as findings name rows)."""
        if not row_ids:
            return set()
        meta = self.meta()
        fallback = meta[SOURCE_COLUMN].astype(str) + ":" + meta[POSITION_COLUMN].astype(str)
        ids = meta[ID_COLUMN] if ID_COLUMN in meta.columns else fallback
        named = ids.where(ids.notna(), fallback).astype(str)
        return set(np.flatnonzero(named.isin(row_ids).to_numpy()).tolist())

    def cells_of(self, positions: Sequence[int], columns: Sequence[str]) -> pd.DataFrame:
        """The ``columns`` of the rows at batch ``positions`` (in that order): the only way
        the long texts reach the driver."""
        from pyspark.sql import functions as F

        wanted = sorted({int(position) for position in positions})
        present = [name for name in columns if name in self.columns]
        if not wanted:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in present})
        found = (self._source.where(F.col(ROW_COLUMN).isin(wanted)).select(ROW_COLUMN, *map(_col, present))
                 .toPandas().set_index(ROW_COLUMN))
        found = found.reindex([int(position) for position in positions])
        found = found.astype(object).where(found.notna(), None)
        found.index = pd.RangeIndex(len(found))
        return found

    def verdict_frame(self) -> pd.DataFrame:
        """The batch as the batch checks' verdicts see it on the driver: the short cells of
        every row; the long texts' columns are there, empty (the verdicts judge features)."""
        meta = self.meta()
        frame = pd.DataFrame({name: meta[name] if name in meta.columns else pd.Series([None] * len(meta), dtype=object)
                              for name in self.columns}, index=pd.RangeIndex(len(meta)))
        return frame

    def driver_batch(self, positions: set[int]) -> Batch:
        """The :class:`~auditor.mapping.Batch` findings, history and report are made from:
        every row's short cells, and the long texts of the rows at ``positions`` only."""
        meta = self.meta()
        data = self.verdict_frame()
        if self.long_columns and positions:
            ordered = sorted(positions)
            texts = self.cells_of(ordered, self.long_columns)
            for name in self.long_columns:
                column = np.full(len(data), None, dtype=object)
                column[np.asarray(ordered, dtype=np.int64)] = texts[name].to_numpy()
                data[name] = column
        fallback = meta[SOURCE_COLUMN].astype(str) + ":" + meta[POSITION_COLUMN].astype(str)
        ids = data[ID_COLUMN] if ID_COLUMN in data.columns else pd.Series([None] * len(data), dtype=object)
        rows = pd.DataFrame({"row_id": ids.where(ids.notna(), fallback).to_numpy(),
                             "source": meta[SOURCE_COLUMN].to_numpy(),
                             "position": meta[POSITION_COLUMN].astype("int64").to_numpy()})
        return Batch(data=data, rows=rows)

    def release(self) -> None:
        if self.cached is not None:
            self.cached.unpersist()


def rows_with_findings(outcomes) -> set[int]:
    """The batch positions the validation's outcomes name: failing rows and rows with a note."""
    positions: set[int] = set()
    for outcome in outcomes:
        positions.update(int(index) for index in outcome.result.get("unexpected_index_list") or [])
        positions.update(int(index) for index in (outcome.result.get("details") or {}))
    return positions


def input_files(paths: Sequence[Path]) -> tuple[list[Path], list[dict[str, Any]]]:
    """The files to read, as the pandas loader lists them; a path with glob characters that
    names no file is expanded (sorted)."""
    expanded: list[Path] = []
    for path in paths:
        text = str(path)
        if not path.exists() and glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(f"{path}: the pattern matches no file or folder")
            expanded.extend(Path(match) for match in matches)
        else:
            expanded.append(path)
    files, skipped = expand_inputs(expanded)
    files = _unique(files)
    if not files:
        raise InputError("no input files found; give table files, article pages or folders holding them")
    return files, skipped


def read_inputs(spark, paths: Sequence[Path], mapping: dict[str, str]) -> SparkBatch:
    from pyspark.sql import functions as F

    files, skipped = input_files(paths)
    tables = [file for file in files if table_format(file) in SPARK_TABLES]
    on_driver = [file for file in files if table_format(file) not in SPARK_TABLES]
    parts, report = [], {}
    for file in tables:
        parts.append(_read_table(spark, file).withColumn(SOURCE_COLUMN, F.lit(str(file))))
        report[str(file)] = {"file": str(file), "status": "read", "kind": "table"}
    unreadable: list[UnreadableRow] = []
    if on_driver:
        # Pages (and JSON documents): the pandas loader's rules, on the driver; pages come
        # after the tables, as the pandas loader orders them.
        small = load_inputs(on_driver)
        unreadable.extend(small.unreadable)
        report.update({entry["file"]: entry for entry in small.files})
        parts.append(_from_pandas(spark, small.frame))
    columns: list[str] = []
    for part in parts:
        columns.extend(name for name in part.columns
                       if name not in (SOURCE_COLUMN, POSITION_COLUMN, REASON_COLUMN) and name not in columns)
    if len(columns) > MAX_COLUMNS:
        raise InputError(f"the inputs have {len(columns)} columns, more than the {MAX_COLUMNS} the auditor reads; "
                         "export only the columns to audit")
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part, allowMissingColumns=True)
    if REASON_COLUMN not in union.columns:
        union = union.withColumn(REASON_COLUMN, F.lit(None).cast("string"))
    union = union.cache()
    try:
        bad = union.where(F.col(REASON_COLUMN).isNotNull()).select(SOURCE_COLUMN, POSITION_COLUMN, REASON_COLUMN).collect()
        unreadable = [UnreadableRow(row[SOURCE_COLUMN], int(row[POSITION_COLUMN]), row[REASON_COLUMN])
                      for row in sorted(bad, key=lambda row: (files.index(Path(row[SOURCE_COLUMN])), row[POSITION_COLUMN]))
                      ] + unreadable
        for source, count, broken in union.groupBy(SOURCE_COLUMN).agg(
                F.count(F.lit(1)), F.count(F.col(REASON_COLUMN))).collect():
            if source in report and report[source]["kind"] == "table":
                report[source].update(rows=int(count), unreadable_rows=int(broken))
        readable = union.where(F.col(REASON_COLUMN).isNull()).drop(REASON_COLUMN)
        mapped, mapped_columns = _mapped(readable, columns, mapping)
        numbered = _numbered(mapped, ROW_COLUMN, start=0).cache()
        rows = numbered.count()
    finally:
        union.unpersist()
    frame = in_row_ranges(spark, numbered, rows)
    listed = [report[str(file)] for file in files if str(file) in report]
    return SparkBatch(frame=frame, columns=mapped_columns, rows=rows,
                      loaded=LoadedInput(frame=pd.DataFrame(), unreadable=unreadable, files=listed + skipped),
                      cached=numbered)


def in_row_ranges(spark, frame, rows: int):
    """``frame`` cut into partitions of consecutive rows, each in row order: the partitions'
    features then put together are the batch's in row order."""
    import math

    from auditor.partitions import DEFAULT_PARTITION_ROWS

    partitions = max(spark.sparkContext.defaultParallelism, math.ceil(rows / DEFAULT_PARTITION_ROWS))
    return frame.repartitionByRange(partitions, ROW_COLUMN).sortWithinPartitions(ROW_COLUMN)


def from_pandas_batch(spark, data: pd.DataFrame) -> SparkBatch:
    """A batch the pandas loaders read (tests, callers with a frame in hand) as a
    :class:`SparkBatch`: the same cells, as text, named by position."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    if ID_COLUMN not in data.columns or data[ID_COLUMN].isna().all():
        raise AuditorError("--engine spark needs an id column to name rows by (map one with 'columns: {id: …}' in the rules)")
    columns = {name: _text_cells(data[name].tolist()) for name in data.columns}
    frame = pd.DataFrame(columns, columns=list(data.columns))
    frame[ROW_COLUMN] = np.arange(len(frame), dtype=np.int64)
    frame[SOURCE_COLUMN] = ""
    frame[POSITION_COLUMN] = np.arange(1, len(frame) + 1, dtype=np.int64)
    schema = StructType([*(StructField(name, StringType(), True) for name in data.columns),
                         StructField(ROW_COLUMN, LongType(), False), StructField(SOURCE_COLUMN, StringType(), False),
                         StructField(POSITION_COLUMN, LongType(), False)])
    cached = spark.createDataFrame(frame, schema=schema).cache()
    return SparkBatch(frame=in_row_ranges(spark, cached, len(frame)), columns=list(data.columns), rows=len(frame),
                      loaded=LoadedInput(frame=pd.DataFrame()), cached=cached)


def _mapped(frame, columns: list[str], mapping: dict[str, str]):
    """The rules' column mapping as Spark expressions, as :func:`auditor.mapping.map_columns`
    applies it: a canonical column wins where it has a value, its mapped twins fill its gaps,
    missing canonical fields are empty; the id column is required."""
    from pyspark.sql import functions as F

    targets = column_targets(columns, mapping)
    if ID_COLUMN not in targets.values():
        raise AuditorError("--engine spark needs an id column to name rows by; the inputs have none (columns: "
                           f"{', '.join(columns[:15])}); map one with 'columns: {{id: …}}' in the rules")
    order = sorted(columns, key=lambda column: str(column).casefold() != targets[column])
    feeding: dict[str, list[str]] = {}
    for column in order:
        feeding.setdefault(targets[column], []).append(column)
    for name in CANONICAL_FIELDS:
        feeding.setdefault(name, [])
    ordered = [*CANONICAL_FIELDS, *([MAIN_TEXT] if MAIN_TEXT in feeding else [])]
    ordered += [name for name in feeding if name not in ordered]
    expressions = []
    for target in ordered:
        sources = feeding[target]
        value = (F.lit(None).cast("string") if not sources else _col(sources[0]) if len(sources) == 1
                 else F.coalesce(*map(_col, sources)))
        expressions.append(value.alias(target))
    return frame.select(*expressions, SOURCE_COLUMN, POSITION_COLUMN), ordered


def _numbered(frame, name: str, start: int):
    """``frame`` with ``name``: each row's place in the frame's order (partition by
    partition, row by row), from ``start``. Counts per partition are one small job; the
    frame must read the same on every evaluation (a file, a cached frame)."""
    from pyspark.sql import functions as F

    tagged = frame.withColumn("__pid", F.spark_partition_id()).withColumn("__mid", F.monotonically_increasing_id())
    counts = dict(tagged.groupBy("__pid").count().collect())
    offsets, total = [], start
    for partition in sorted(counts):
        offsets.extend([F.lit(partition), F.lit(total)])
        total += counts[partition]
    offset = F.create_map(*offsets)[F.col("__pid")] if offsets else F.lit(start)
    within = F.col("__mid") - F.shiftleft(F.col("__pid").cast("long"), 33)
    return tagged.withColumn(name, (offset + within).cast("long")).drop("__pid", "__mid")


def _read_table(spark, file: Path):
    kind = table_format(file)
    if kind in (".jsonl", ".ndjson"):
        return _read_json_lines(spark, file)
    if kind in (".csv", ".tsv"):
        return _read_csv(spark, file, tab=kind == ".tsv")
    return _read_parquet(spark, file)


def _string_schema(names: Sequence[str], reason: bool = True):
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    fields = [StructField(name, StringType(), True) for name in names]
    fields.append(StructField(POSITION_COLUMN, LongType(), False))
    if reason:
        fields.append(StructField(REASON_COLUMN, StringType(), True))
    return StructType(fields)


def _text_cells(values: Sequence[Any]) -> list[str | None]:
    texts = [value if type(value) is str else cell_text(value) for value in values]
    return [text if text and not text.isspace() else None for text in texts]


# JSON Lines: the lines by spark.read.text, numbered; parsed in the workers by the pandas
# loader's rules (depth, big integers, objects only), so that cells read as on pandas.

def _json_keys(batches: Iterator[pd.DataFrame], where: str) -> Iterator[pd.DataFrame]:
    keys: dict[str, None] = {}
    for lines in batches:
        for line in lines["value"].tolist():
            if line and line.strip():
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if isinstance(record, dict):
                    keys.update(dict.fromkeys(record))
    yield pd.DataFrame({"key": list(keys), "at": range(len(keys))})


def _json_rows(batches: Iterator[pd.DataFrame], keys: list[str], file: str) -> Iterator[pd.DataFrame]:
    for lines in batches:
        records, positions, reasons = [], [], []
        for line, number in zip(lines["value"].tolist(), lines[POSITION_COLUMN].tolist()):
            if line is None or not line.strip():
                continue
            reason = None
            try:
                value = _parse_json(line, Path(file), f"line {number}")
            except json.JSONDecodeError as error:
                reason = (f"line {number} is not valid JSON ({error.msg}, column {error.colno}); "
                          "the line may be truncated")
            except InputError as error:
                reason = str(error).split(": ", 1)[-1]
            else:
                if not isinstance(value, dict):
                    reason = f"line {number} is a JSON {type(value).__name__}, not an object"
            records.append(value if reason is None else {})
            positions.append(number)
            reasons.append(reason)
        out = {key: _text_cells([record.get(key) for record in records]) for key in keys}
        out[POSITION_COLUMN] = positions
        out[REASON_COLUMN] = reasons
        yield pd.DataFrame(out, columns=[*keys, POSITION_COLUMN, REASON_COLUMN])


def _read_json_lines(spark, file: Path):
    lines = _numbered(spark.read.text(str(file)), POSITION_COLUMN, start=1)
    found = lines.mapInPandas(lambda batches: _json_keys(batches, str(file)), "key string, at long").collect()
    keys: dict[str, None] = {}
    # Keys in order of first appearance, as pandas makes columns of records.
    for row in found:
        keys.setdefault(row["key"], None)
    if len(keys) > MAX_COLUMNS:
        raise InputError(f"{file}: {len(keys)} columns, more than the {MAX_COLUMNS} the auditor reads; "
                         "export only the columns to audit")
    names = list(keys)
    return lines.mapInPandas(lambda batches: _json_rows(batches, names, str(file)), _string_schema(names))


def _read_csv(spark, file: Path, tab: bool):
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    sample = "\n".join(row["value"] for row in spark.read.text(str(file)).limit(_SNIFF_LINES).collect())
    if not sample.removeprefix("\ufeff").strip():
        raise InputError(f"{file}: the file is empty; remove it from the run or check the export")
    delimiter = "\t" if tab else _sniff_delimiter(sample)
    options = {"sep": delimiter, "quote": '"', "escape": '"', "multiLine": "true", "encoding": "UTF-8"}
    first = spark.read.options(header="false", **options).csv(str(file)).limit(1).collect()
    header = _column_names([value or "" for value in first[0]]) if first else []
    header[0:1] = [header[0].removeprefix("\ufeff")] if header else []
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise InputError(f"{file}: line 1: column name(s) {', '.join(map(repr, twice))} appear twice")
    if len(header) > MAX_COLUMNS:
        raise InputError(f"{file}: line 1: {len(header)} columns, more than the {MAX_COLUMNS} the auditor reads; "
                         "export only the columns to audit")
    schema = StructType([*(StructField(name, StringType(), True) for name in header),
                         StructField(_CORRUPT, StringType(), True)])
    frame = (spark.read.schema(schema).options(header="true", mode="PERMISSIVE", columnNameOfCorruptRecord=_CORRUPT,
                                               **options).csv(str(file)))
    # One partition, in file order (a multi-line CSV file is not split anyway), so that each
    # record's line can be counted from the records before it.
    return frame.coalesce(1).mapInPandas(lambda batches: _csv_rows(batches, header), _string_schema(header))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _csv_rows(batches: Iterator[pd.DataFrame], header: list[str]) -> Iterator[pd.DataFrame]:
    """The records as text, each with the line it starts on (the header is line 1; a record
    spans one line more per line break in its fields; blank lines between records, which
    both readers skip, are not counted), and the reason of a record Spark found malformed."""
    line = 2
    for part in batches:
        corrupt = part[_CORRUPT].tolist()
        breaks = [len(_LINE_BREAK.findall(raw)) if isinstance(raw, str) else
                  sum(len(_LINE_BREAK.findall(value)) for value in values if isinstance(value, str))
                  for raw, values in zip(corrupt, part[header].itertuples(index=False, name=None))]
        starts = (line + np.concatenate([[0], np.cumsum(np.asarray(breaks, dtype=np.int64) + 1)[:-1]])
                  if len(breaks) else np.zeros(0, dtype=np.int64))
        line += int(sum(breaks)) + len(breaks)
        out = {name: _text_cells(part[name].tolist()) for name in header}
        out[POSITION_COLUMN] = starts.astype(np.int64)
        out[REASON_COLUMN] = [None if raw is None else
                              f"line {start}: a record whose fields do not match the header's {len(header)}; fix the "
                              "quoting or the number of fields on that line" for raw, start in zip(corrupt, starts.tolist())]
        yield pd.DataFrame(out, columns=[*header, POSITION_COLUMN, REASON_COLUMN])


def _read_parquet(spark, file: Path):
    try:
        frame = spark.read.parquet(str(file))
    except Exception as error:  # noqa: BLE001  (Spark raises its own analysis errors for damaged files)
        raise InputError(f"{file}: not a readable Parquet file ({str(error).splitlines()[0][:200]})") from None
    names = list(frame.columns)
    if len(names) > MAX_COLUMNS:
        raise InputError(f"{file}: schema: {len(names)} columns, more than the {MAX_COLUMNS} the auditor reads; "
                         "export only the columns to audit")
    return _as_text(_numbered(frame, POSITION_COLUMN, start=1), names)


def _as_text(frame, names: list[str]):
    """Every data cell as text or null, by the pandas loaders' rules, in the workers."""
    from pyspark.sql import functions as F

    if REASON_COLUMN not in frame.columns:
        frame = frame.withColumn(REASON_COLUMN, F.lit(None).cast("string"))

    def convert(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in batches:
            out = {name: _text_cells(part[name].tolist()) for name in names}
            out[POSITION_COLUMN] = part[POSITION_COLUMN].to_numpy()
            out[REASON_COLUMN] = part[REASON_COLUMN].to_numpy()
            yield pd.DataFrame(out, columns=[*names, POSITION_COLUMN, REASON_COLUMN])

    return frame.mapInPandas(convert, _string_schema(names))


def _from_pandas(spark, frame: pd.DataFrame):
    """Rows the pandas loader read on the driver (pages), as a Spark frame of text."""
    from auditor.loaders import POSITION, SOURCE

    names = [name for name in frame.columns if name not in (SOURCE, POSITION)]
    data = {name: _text_cells(frame[name].tolist()) for name in names}
    data[POSITION_COLUMN] = frame[POSITION].astype("int64").to_numpy() if len(frame) else np.zeros(0, dtype=np.int64)
    data[SOURCE_COLUMN] = frame[SOURCE].astype(str).to_numpy() if len(frame) else np.zeros(0, dtype=object)
    from pyspark.sql.types import StringType, StructField

    schema = _string_schema(names, reason=False)
    schema = schema.add(StructField(SOURCE_COLUMN, StringType(), False))
    pandas_frame = pd.DataFrame(data, columns=[*names, POSITION_COLUMN, SOURCE_COLUMN])
    return spark.createDataFrame(pandas_frame, schema=schema)
