"""Write a table (the output of ``auditor extract``) as JSON Lines, CSV or Parquet."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from auditor.errors import AuditorError

WRITERS = {
    ".jsonl": lambda frame, path: frame.to_json(path, orient="records", lines=True, force_ascii=False),
    ".csv": lambda frame, path: frame.to_csv(path, index=False, encoding="utf-8"),
    ".parquet": lambda frame, path: frame.to_parquet(path, index=False),
}


def write_table(frame: pd.DataFrame, path: Path) -> None:
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise AuditorError(f"{path}: cannot write {path.suffix or 'files without a suffix'}; use one of {', '.join(WRITERS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        writer(frame, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
