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


_BOM = b"\xef\xbb\xbf"


def _bad_byte(data: bytes, offset: int, problem: str) -> str:
    """Line and byte of a bad byte, counted in the file as it is on disk (the BOM included)."""
    start = data.rfind(b"\n", 0, offset) + 1
    return f"line {_line_of(data, offset)}: byte 0x{data[offset]:02x} {problem} (byte {offset - start + 1} of the line)"


def decode(data: bytes, file: Path | str) -> str:
    _refuse_nul_bytes(data, file)
    # The BOM is stripped by hand: the utf-8-sig codec counts error offsets after it, which
    # pointed messages at the wrong byte.
    bom = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        bad = bom + error.start
    # Everything before the first bad byte is valid UTF-8.
    if bom:
        raise InputError(
            f"{file}: {_bad_byte(data, bad, 'is not valid UTF-8')}, though the file starts with a UTF-8 byte order mark; "
            "repair or re-export the file as UTF-8"
        )
    if _UTF8_EVIDENCE.search(data[:bad].decode("utf-8")):
        raise InputError(
            f"{file}: {_bad_byte(data, bad, 'is not valid UTF-8')} in a UTF-8 file; repair or re-export the file as UTF-8"
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{file}: {_bad_byte(data, error.start, 'is neither UTF-8 nor Windows-1252')}; re-export the file as UTF-8"
        ) from None
