"""The long texts of a batch read in chunks, kept on disk while the rest of the run works on
the short cells.

A run in chunks (:mod:`auditor.chunked`) holds every row's short cells (id, title, labels,
places, sources) in memory, but ``body`` and ``main_text`` (nine tenths of a news table's
bytes) only one chunk at a time: each chunk's are written to a Parquet file in the run's
scratch folder in row groups of a few thousand rows, read back whole for the second pass,
and row by row for the few rows whose texts are needed later (the flagged rows' evidence,
the articles on the report page, the rows editors decided on).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


ROW_GROUP_ROWS = 5_000
GROUPS_AT_ONCE = 4


class LongTexts:
    """The long-text columns of consecutive chunks, one Parquet file a chunk."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._starts: list[int] = []  # each chunk's first batch position
        self._columns: list[list[str]] = []

    def add(self, texts: pd.DataFrame) -> None:
        """The next chunk's long texts, on its batch positions (a RangeIndex, empty or not)."""
        start = int(texts.index.start)
        table = pa.table({str(name): pa.array(texts[name].tolist(), type=pa.string()) for name in texts.columns})
        pq.write_table(table, self._file(len(self._starts)), row_group_size=ROW_GROUP_ROWS, compression="lz4")
        self._starts.append(start)
        self._columns.append([str(name) for name in texts.columns])

    def _file(self, chunk: int) -> Path:
        return self.folder / f"chunk-{chunk:05d}.parquet"

    def chunk(self, number: int, first: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Chunk ``number``'s long texts, on its batch positions; with ``first`` (a multiple of
        ``ROW_GROUP_ROWS``) and ``stop``, only those of its rows first..stop-1 (read by row group)."""
        file = pq.ParquetFile(self._file(number))
        rows = file.metadata.num_rows
        stop = rows if stop is None else min(stop, rows)
        if first % ROW_GROUP_ROWS:
            raise ValueError(f"a piece of a chunk starts at a row group ({ROW_GROUP_ROWS} rows), not at row {first}")
        groups = list(range(first // ROW_GROUP_ROWS, -(-stop // ROW_GROUP_ROWS)))
        table = file.read_row_groups(groups) if groups else file.schema_arrow.empty_table()
        frame = table.slice(0, max(0, stop - first)).to_pandas()
        del table
        frame = frame.astype(object).where(frame.notna(), None)
        start = self._starts[number] + first
        frame.index = pd.RangeIndex(start, start + len(frame))
        return frame

    def rows(self, positions, columns: list[str]) -> pd.DataFrame:
        """The long texts ``columns`` of the rows at batch ``positions``, in that order (None
        where a chunk has no such column)."""
        positions = np.asarray(positions, dtype=np.int64)
        found = pd.DataFrame({name: np.full(len(positions), None, dtype=object) for name in columns})
        if not len(positions) or not self._starts:
            return found
        starts = np.asarray(self._starts, dtype=np.int64)
        chunks = np.searchsorted(starts, positions, side="right") - 1
        for chunk in np.unique(chunks):
            wanted = np.flatnonzero(chunks == chunk)
            within = positions[wanted] - starts[chunk]
            present = [name for name in columns if name in self._columns[chunk]]
            if not present:
                continue
            file = pq.ParquetFile(self._file(int(chunk)))
            group_of = within // ROW_GROUP_ROWS
            # A few row groups at a time: the rows asked for may be spread over every group of
            # the chunk, and reading them all at once held the chunk's whole texts.
            groups = np.unique(group_of)
            for first in range(0, len(groups), GROUPS_AT_ONCE):
                read = groups[first:first + GROUPS_AT_ONCE]
                these = np.flatnonzero(np.isin(group_of, read))
                table = file.read_row_groups(read.tolist(), columns=present)
                # Every group but a file's last holds ROW_GROUP_ROWS rows, and the groups read
                # follow one another in the table: a row's place is its group's rank there, then its own.
                rows = np.searchsorted(read, group_of[these]) * ROW_GROUP_ROWS + within[these] % ROW_GROUP_ROWS
                taken = table.take(pa.array(rows, type=pa.int64())).to_pydict()
                del table
                for name in present:
                    column = found[name].to_numpy()
                    column[wanted[these]] = taken[name]
                    found[name] = column
        return found
