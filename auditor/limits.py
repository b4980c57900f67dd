"""Fixed safety limits on what an input or a YAML file may hold.

These are not tuning knobs: each one bounds the work or memory a single hostile file can
cause (a value nested 100,000 deep, a header of 200,000 columns, a YAML alias bomb), far
above what a real export or rules file holds. A file beyond a limit is refused with one
line naming the file, the line and what to do; the README's "Limits and guarantees" lists
them.
"""

from __future__ import annotations

import sys

# JSON values (JSON Lines, JSON arrays) nested deeper than this: a record is level 1, a list
# in one of its cells level 2. Metadata nests two or three levels; Python's JSON reader
# and writer recurse, and give up near 1,000.
MAX_JSON_DEPTH = 64
# Digits of an integer in a JSON file: Python refuses to convert longer ones (CVE-2020-10735).
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() or 4300
# Columns of one table (the CSV header, the keys of all JSON records, a Parquet schema).
MAX_COLUMNS = 2000
# YAML (rules, taxonomy, decisions): nesting depth, and how many nodes aliases may add when
# expanded (a "billion laughs" file adds 10^9 from a few hundred bytes).
MAX_YAML_DEPTH = 64
MAX_YAML_ALIAS_NODES = 100_000
# Bytes a gzip-compressed input may expand to (a gzip bomb expands 1,000-fold).
MAX_DECOMPRESSED_BYTES = 4 * 1024**3
