"""Table files read in chunks of rows, so that reading a large export never holds the whole
file, its decoded text and its parsed records at once beside the table.

JSON Lines, CSV/TSV (plain or gzip-compressed) and Parquet are streamed: the lines (records,
row groups) are parsed ``rows`` at a time, with every row's line or row number as in a
whole-file read. A file that is not plain UTF-8 text (Windows-1252, NUL bytes, broken or
oversized gzip) is read whole, as before, because deciding its encoding, or the error that
names its first bad byte, needs all of it; so does a JSON document (one array) and Parquet
that is itself gzip-compressed. Chunked or whole, the rows, their positions, the unreadable
rows and the errors are the same.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from auditor.errors import InputError
from auditor.limits import MAX_DECOMPRESSED_BYTES
from auditor.loaders import (
    _GZIP_MAGIC,
    _OTHER_COMPRESSION,
    _SURROGATE_ESCAPE,
    GZIP_SUFFIX,
    POSITION,
    SNIFF_CHARACTERS,
    TableRead,
    _as_strings,
    _first_line,
    _json_lines,
    _read_parquet_schema,
    _read_table,
    _replace_surrogates,
    delimited_frame,
    delimited_record_chunks,
    sniff_delimiter,
    table_format,
)

# Rows per chunk: enough that per-chunk overhead (a frame, the string conversion) is small,
# few enough that a chunk of long articles stays well under a hundred MB.
DEFAULT_CHUNK_ROWS = 20_000
_BLOCK = 1 << 24


def iter_table_chunks(file: Path, rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[TableRead]:
    """``file``'s rows, ``rows`` at a time, as :func:`auditor.loaders._read_table` would read them
    whole (every cell a string or None, ``POSITION`` set; the unreadable rows of each chunk with
    it). A file that cannot be streamed (see the module's docstring) comes as one chunk."""
    kind = table_format(file) or file.suffix.lower()
    try:
        with open(file, "rb") as raw:
            start = raw.read(8)
        other_compression = any(start.startswith(magic) for magic, _, _ in _OTHER_COMPRESSION)
        compression = "gzip" if start.startswith(_GZIP_MAGIC) else None
        streamable = not other_compression and (
            _plain_utf8(file, compression) if kind in (".jsonl", ".ndjson", ".csv", ".tsv")
            else kind == ".parquet" and compression is None)
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})") from None
    if not streamable:
        yield _read_table(file)
        return
    if kind == ".parquet":
        yield from _parquet_chunks(file, rows)
    elif kind in (".jsonl", ".ndjson"):
        yield from _json_line_chunks(file, rows, compression)
    else:
        yield from _delimited_chunks(file, rows, compression, tab=kind == ".tsv")


@contextmanager
def _plain_bytes(file: Path, compression: str | None) -> Iterator[IO[bytes]]:
    """The file's bytes, gunzipped when they are gzip (whatever the name says)."""
    with open(file, "rb") as raw:
        if compression == "gzip":
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream
        else:
            yield raw


def _plain_utf8(file: Path, compression: str | None) -> bool:
    """Whether ``file`` is text that a streamed read decodes exactly as a whole one: valid UTF-8
    (a BOM allowed), no NUL byte, not empty, gzip only when intact and within the size limit
    (and named .gz only when gzip). One pass over blocks, nothing kept."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    if compression is None and file.suffix.lower() == GZIP_SUFFIX:
        return False
    size, blank = 0, True
    try:
        with _plain_bytes(file, compression) as stream:
            while block := stream.read(_BLOCK):
                size += len(block)
                if size > MAX_DECOMPRESSED_BYTES or b"\x00" in block:
                    return False
                decoder.decode(block)
                blank = blank and not block.removeprefix(b"\xef\xbb\xbf" if size == len(block) else b"").strip()
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError, EOFError, zlib.error):
        return False
    return not blank


def _json_line_chunks(file: Path, rows: int, compression: str | None) -> Iterator[TableRead]:
    keys: set[str] = set()
    with _plain_bytes(file, compression) as stream:
        lines: list[bytes] = []
        first_number = number = 1
        for line in stream:
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            # A whole read splits at "\n" and so keeps a "\r" before it; so does this.
            lines.append(line[:-1] if line.endswith(b"\n") else line)
            number += 1
            if len(lines) == rows:
                yield _json_chunk(lines, file, first_number, keys, compression)
                lines, first_number = [], number
        if lines or first_number == 1:
            yield _json_chunk(lines, file, first_number, keys, compression)


def _json_chunk(lines: list[bytes], file: Path, first_number: int, keys: set[str],
                compression: str | None) -> TableRead:
    frame, bad = _json_lines(lines, file, first_number, keys)
    frame = _as_strings(frame)
    repaired = _replace_surrogates(frame, file) if any(_SURROGATE_ESCAPE.search(line) for line in lines) else []
    return TableRead(frame, bad, repaired, compression)


def _delimited_chunks(file: Path, rows: int, compression: str | None, tab: bool) -> Iterator[TableRead]:
    # One field may be as long as the file; the csv module refuses fields over 128 KiB by default.
    csv.field_size_limit(max(csv.field_size_limit(), min(MAX_DECOMPRESSED_BYTES, 2**31 - 1)))
    with _plain_bytes(file, compression) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        sample = text.read(SNIFF_CHARACTERS)
        # The lines below must split where a whole read splits them: finish the sample's last
        # line (or take the next one); nothing follows a sample that is the whole text.
        following = text.readline()
        complete = len(sample) < SNIFF_CHARACTERS or not following
        delimiter = "\t" if tab else sniff_delimiter(sample, complete)
        lines = _chain(io.StringIO(sample + following, newline=""), text)
        for header, header_line, records in delimited_record_chunks(lines, file, delimiter, rows):
            frame = delimited_frame(header, header_line, [record for record, _ in records],
                                    [line for _, line in records], file)
            yield TableRead(_as_strings(frame), [], [], compression)


def _chain(first: io.StringIO, rest: io.TextIOWrapper) -> Iterator[str]:
    yield from first
    yield from rest


def _parquet_chunks(file: Path, rows: int) -> Iterator[TableRead]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pandas.io._util import arrow_table_to_pandas

    parquet = _read_parquet_schema(file)
    position = 1
    try:
        batches = parquet.iter_batches(batch_size=rows, use_pandas_metadata=True)
        for batch in batches:
            # What pandas.read_parquet(dtype_backend="numpy_nullable") does with the whole table.
            frame = arrow_table_to_pandas(pa.Table.from_batches([batch]), dtype_backend="numpy_nullable")
            frame = frame.reset_index(drop=True)
            frame[POSITION] = range(position, position + len(frame))
            position += len(frame)
            yield TableRead(_as_strings(frame), [], [], None)
    except InputError:
        raise
    except Exception as error:  # pyarrow raises many types for damaged files
        raise InputError(f"{file}: not a readable Parquet file ({type(error).__name__}: {_first_line(error)})") from None
    if position == 1:
        yield TableRead(_as_strings(arrow_table_to_pandas(parquet.schema_arrow.empty_table(),
                                                          dtype_backend="numpy_nullable")), [], [], None)
