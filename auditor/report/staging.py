"""Staging folders: where a run writes its outputs before moving them into place, and how
the next run tells a killed run's leftovers from a live run's work.

A staging folder (``.<out>.partial-XXXX`` beside the output folder) holds a lock file that
its run keeps locked (``flock``) for as long as it writes. The kernel drops the lock when
the process ends, however it ends (a SIGKILL too), so a staging folder whose lock can be
taken belongs to no live run and is removed; one whose lock is held is a concurrent run's
and is left alone. Just before the move the lock file is unlinked (the lock stays held
through the open descriptor), so the finished output folder never contains it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

LOCK_NAME = ".writer.lock"
# A staging folder without a lock file is only ever seen for an instant (just created, or
# just before its move), or it was left by an auditor that wrote no lock file: removed once
# it is this old.
UNLOCKED_GRACE_SECONDS = 3600


class Staging:
    """A locked staging folder beside ``out_dir``; ``release()`` before moving it into place."""

    def __init__(self, out_dir: Path):
        self.path = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
        self._lock = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self._lock, str(os.getpid()).encode("ascii"))

    def unlink_lock_file(self) -> None:
        """The folder is complete: drop the lock file from it (the lock itself stays held)."""
        try:
            (self.path / LOCK_NAME).unlink()
        except FileNotFoundError:
            pass

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _staging_is_stale(folder: Path) -> bool:
    try:
        descriptor = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_SECONDS
        except FileNotFoundError:
            return False  # moved into place meanwhile
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live run holds it
    finally:
        os.close(descriptor)
    return True


PID_FOLDERS = (".old-", ".long-texts-", ".findings-beyond-")
"""Folders a run makes beside its output, named ``.<out><marker><PID>``: a retired output folder,
a run in chunks' long texts, a Spark run's findings beyond its bound."""


def sweep_stale(root: Path) -> list[Path]:
    """Remove what killed runs left in an output root: staging folders no live run holds, and
    the folders of :data:`PID_FOLDERS` whose process is gone. Returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        stale = False
        if ".partial-" in entry.name:
            stale = _staging_is_stale(folder)
        else:
            marker = next((marker for marker in PID_FOLDERS if marker in entry.name), None)
            if marker is not None:
                pid = entry.name.rpartition(marker)[2]
                stale = pid.isdigit() and not _pid_alive(int(pid))
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
