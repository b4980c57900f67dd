"""Decode input files: UTF-8 (with or without BOM), else Windows-1252.

Exports from newsroom tools come in these encodings. Guessing among more (as
charset detectors do) turns rare bytes into wrong umlauts without a word; here a
file that is neither is refused with the line of the first bad byte.
"""

from __future__ import annotations

import re
from pathlib import Path

from auditor.errors import InputError

# A UTF-8 encoded umlaut or ß (C3 xx): a file full of these is UTF-8 even when
# one byte somewhere is broken, and must not be re-read as Windows-1252.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, file: Path | str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        utf8_error = error
    if len(_UTF8_SEQUENCE.findall(data, 0, utf8_error.start)) > 0:
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
