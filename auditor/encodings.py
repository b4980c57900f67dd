"""Decode input files: UTF-8 (with or without BOM), else Windows-1252.

Exports from newsroom tools come in these encodings. Guessing among more (as
charset detectors do) turns rare bytes into wrong umlauts without a word; here a
file that is neither is refused with the line of the first bad byte.
"""

from __future__ import annotations

import re
from pathlib import Path

from auditor.errors import InputError

# What UTF-8 German text holds besides ASCII: umlauts, ß and other accented letters
# (U+0080-U+052F, which also covers Greek and Cyrillic names), typographic punctuation
# and € (U+1E00-U+20CF), a BOM. A file with such characters before its first bad byte is
# UTF-8 even when that one byte is broken, and must not be re-read as Windows-1252.
# Windows-1252 umlauts followed by punctuation ("ß…", "Ö–") are valid UTF-8 byte pairs
# too, but they decode to NKo, Syriac or Armenian letters, which this leaves out.
_UTF8_EVIDENCE = re.compile("[\u0080-\u052f\u1e00-\u20cf\ufeff]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _refuse_nul_bytes(data: bytes, file: Path | str) -> None:
    # Windows-1252 decodes NUL, so a UTF-16 export (Excel's "Unicode text") or a binary file
    # would otherwise be read as columns of garbage.
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"{file}: line {_line_of(data, nul)}: the file contains NUL bytes (UTF-16 or not a text file?); "
            "re-export it as UTF-8"
        )


def decode(data: bytes, file: Path | str) -> str:
    _refuse_nul_bytes(data, file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        utf8_error = error
    # Everything before the first bad byte is valid UTF-8.
    if _UTF8_EVIDENCE.search(data[: utf8_error.start].decode("utf-8")):
        raise InputError(
            f"{file}: line {_line_of(data, utf8_error.start)}: byte 0x{data[utf8_error.start]:02x} is not valid UTF-8 "
            "in a UTF-8 file; repair or re-export the file as UTF-8"
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{file}: line {_line_of(data, error.start)}: byte 0x{data[error.start]:02x} is neither UTF-8 nor "
            "Windows-1252; re-export the file as UTF-8"
        ) from None
