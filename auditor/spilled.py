"""The batch checks' features waiting on disk until their check is judged.

Features grow with the rows (a few KB a row), and each batch check reads back only its own,
a file at a time, as often as it iterates them. The chunked audit adds each chunk's parts in
row order; the Spark driver adds each Arrow batch's parts as Spark hands them over, in any
order, with where they belong.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from auditor.contracts import SpilledParts


class PartsOnDisk:
    """Per feature key, lists of parts (each with an ``index``: its rows), one pickle file a list."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, list[tuple[int, Path, list[pd.Index]]]] = {}

    def add(self, key: str, parts: list, order: int | None = None) -> None:
        """Keep ``parts`` of ``key``; ``order`` places them among the key's others (by default
        after them)."""
        files = self._files.setdefault(key, [])
        file = self.folder / f"features-{hashlib.sha256(key.encode()).hexdigest()[:12]}-{len(files):05d}.pickle"
        with file.open("wb") as handle:
            pickle.dump(parts, handle, protocol=pickle.HIGHEST_PROTOCOL)
        files.append((len(files) if order is None else order, file, [part.index for part in parts]))

    def __contains__(self, key: str) -> bool:
        return key in self._files

    def count(self, key: str) -> int:
        """How many times parts of ``key`` were added."""
        return len(self._files.get(key, []))

    def load(self, key: str) -> "SpilledSequence":
        """Every part of ``key``, in order, read from disk as they are iterated."""
        files = sorted(self._files.get(key, []), key=lambda entry: entry[0])
        indexes = [index for _, _, listed in files for index in listed]
        rows = indexes[0].append(indexes[1:]) if indexes else pd.Index([])
        return SpilledSequence([file for _, file, _ in files], rows, self.folder)


class SpilledSequence(SpilledParts):
    def __init__(self, files: list[Path], rows_index: pd.Index, scratch: Path):
        self.files = files
        self.rows_index = rows_index
        self.scratch = scratch  # where a check may keep its own temporary files

    def __iter__(self) -> Iterator[Any]:
        for file in self.files:
            with file.open("rb") as handle:
                parts = pickle.load(handle)
            while parts:
                yield parts.pop(0)  # a part given away is not held here any longer
