"""Hostile inputs for the fuzz suite, and the contract every run must keep.

A *case* is one audit run: one generated input file (CSV, TSV, JSON Lines, a JSON array,
Parquet, or an article page) and possibly a generated rules file. The generator knows how
many rows it wrote, so a run that ends with results must list exactly that many; a run
that refuses must say why in one line (exit 2). Never a traceback, an internal error or a
hang. Used by ``tests/test_fuzz.py`` (a few derandomized examples in CI, a long ``slow``
run) and ``benchmarks/fuzz_inputs.py`` (10,000 cases, counted).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

# A few cheap rules over text columns: the fuzz looks at what files do to a run, and a
# run with the full default rules takes ~1.5 s; every RULES_EVERY-th case uses those.
FUZZ_RULES = """\
columns: {Titel: title, Text: body, Vorfall: category, Ort: location, Quellen: sources}
rules:
  - id: title-present
    description: Every row has a title.
    severity: error
    expectation: expect_column_values_to_not_be_null
    column: title
  - id: no-markup
    description: Text fields hold plain text.
    severity: warning
    expectation: expect_column_values_to_be_free_of_markup
    columns: [title, body, category]
"""

KEYS = ["id", "Titel", "Text", "Vorfall", "Ort", "Quellen", "url", "Datum", "titel", "TITEL", "extra", "",
        " ", "__auditor_note__", "a,b", "a;b", "x\ty", "zeile\nneu", "\u00e4\u00f6\u00fc", "\ud800", "\udfff",
        "<b>k</b>", "\u202eevil", "null", "0"]
NASTY_STRINGS = [
    "", " ", "\t", "\n", "\r\n", "\r", "\x00", "\x0b", "\x1b[31m", "\ufeff", "\ufffd", "\u2028", "\u0085", "\u200b",
    "\ud800", "\udc00", "x\ud83dy", "\ud83d\ude00", "<script>alert(1)</script>", "</script><!--", "\"", "'", ",", ";",
    "|", "\"\"", "a\"b", "=cmd|'/c calc'!A1", "NaN", "null", "None", "true", "-0", "1e999", "0x1F",
    "Terrorismus", "Brand", "Politik", "Stra\u00dfe", "\u00c4rger in \u00d6sterreich", "\U0001f600" * 3,
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "Z\u0351\u0352\u0353algo", "9" * 400, "[" * 70 + "]" * 70,
    "{" * 40, "a" * 5000, "&lt;b&gt;", "**fett**", "# Titel", "\\u00e4", "\\ud800",
]
MAX_ROWS = 6


@st.composite
def texts(draw) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(NASTY_STRINGS))
    if kind == 1:  # any code point, lone surrogates included
        return draw(st.text(st.characters(codec=None, categories=None), max_size=40))
    if kind == 2:
        return " ".join(draw(st.lists(st.sampled_from(NASTY_STRINGS), max_size=4)))
    return draw(st.text(max_size=60))


def json_values(max_depth: int = 3) -> st.SearchStrategy:
    scalars = st.one_of(
        texts(), st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=10**30, max_value=10**40),
    )
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)), max_leaves=6)


records = st.lists(st.dictionaries(st.sampled_from(KEYS), json_values(), max_size=6), min_size=0, max_size=MAX_ROWS)


@dataclass
class Case:
    """One generated run: the input file, perhaps a rules file, and what the run must show."""

    kind: str
    name: str
    data: bytes
    rows: int | None  # rows the results must list; None when the generator cannot know
    must_succeed: bool  # a clean file: exit 2 would be a wrong exit
    rules: bytes | None = None
    notes: list[str] = field(default_factory=list)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@st.composite
def jsonl_cases(draw) -> Case:
    rows = draw(records)
    ascii_only = draw(st.booleans())
    lines = [json.dumps(row, ensure_ascii=ascii_only) for row in rows]
    clean = True
    notes = []
    for _ in range(draw(st.integers(0, 3))):
        mutation = draw(st.sampled_from(["truncate", "not-object", "blank", "garbage", "deep", "digits", "bom",
                                         "crlf", "nul", "cp1252"]))
        notes.append(mutation)
        index = draw(st.integers(0, len(lines))) if lines else 0
        if mutation == "truncate" and lines:
            line = lines[min(index, len(lines) - 1)]
            lines[min(index, len(lines) - 1)] = line[: draw(st.integers(1, max(1, len(line) - 1)))]
        elif mutation == "not-object":
            lines.insert(index, draw(st.sampled_from(["[1, 2]", "\"text\"", "42", "null", "true"])))
        elif mutation == "blank":
            lines.insert(index, draw(st.sampled_from(["", "   ", "\t"])))
        elif mutation == "garbage":
            lines.insert(index, draw(st.sampled_from(["{", "}{", "{\"a\": }", "{'a': 1}", "\u00ff\u00fe"])))
        elif mutation == "deep":
            depth = draw(st.sampled_from([70, 1000, 100_000]))
            lines.insert(index, "{\"x\": " + "[" * depth + "]" * depth + "}")
            clean = False
        elif mutation == "digits":
            lines.insert(index, "{\"x\": " + "7" * draw(st.sampled_from([4301, 5000, 20000])) + "}")
            clean = False
        elif mutation in ("nul", "cp1252"):
            clean = False
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))
    if "crlf" in notes:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8", "surrogatepass")
    if "bom" in notes:
        data = b"\xef\xbb\xbf" + data
    if "nul" in notes:
        data += b"\x00"
    if "cp1252" in notes:
        data += b"\n{\"Titel\": \"Stra\xdfe\"}"
    count = sum(1 for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n") if line.strip())
    if b"\xed" in data:  # a surrogate written raw (ensure_ascii=False) is no UTF-8: the file may be refused
        clean = False
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        clean = False  # an empty file is refused
    name = "batch.jsonl"
    if draw(st.booleans()) and draw(st.booleans()):
        data = _gzip(data)
        name = draw(st.sampled_from(["batch.jsonl.gz", "batch.ndjson.gz", "batch.jsonl"]))
        notes.append("gzip")
    return Case("jsonl", name, data, count, clean, notes=notes)


@st.composite
def json_cases(draw) -> Case:
    rows: list[Any] = list(draw(records))
    notes = []
    if draw(st.booleans()) and rows:
        rows.insert(draw(st.integers(0, len(rows))), draw(json_values()))
        notes.append("element")
    document: Any = rows
    if draw(st.booleans()):
        document = {"meta": {"n": len(rows)}, "items": rows}
        notes.append("wrapped")
    data = json.dumps(document, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))).encode(
        "utf-8", "surrogatepass")
    clean = b"\xed" not in data
    if draw(st.integers(0, 9)) == 0:
        data = data[: len(data) // 2]
        clean = False
        notes.append("truncated")
    name = "batch.json"
    if draw(st.integers(0, 3)) == 0:
        data, name = _gzip(data), draw(st.sampled_from(["batch.json.gz", "batch.json"]))
        notes.append("gzip")
    return Case("json", name, data, len(rows) if clean else None, clean, notes=notes)


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@st.composite
def csv_cases(draw) -> Case:
    rows = draw(records)
    header = list(dict.fromkeys(key for row in rows for key in row)) or ["Titel"]
    header = [key for key in header if key.strip()] or ["Titel"]
    tab = draw(st.booleans()) and draw(st.booleans())
    delimiter = "\t" if tab else draw(st.sampled_from([",", ";", "|", "\t"]))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
                        lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(key, "")) if row.get(key) is not None else "" for key in header])
    text = buffer.getvalue()
    notes = []
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    clean = "\x00" not in text  # NUL bytes are refused (UTF-16 or binary)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
        clean = False  # a raw surrogate or a character cp1252 lacks: bytes that may be refused
    if encoding == "cp1252" and not text.isascii():
        # Windows-1252 bytes that happen to form UTF-8 before a byte that does not are refused
        # by design (a UTF-8 file with one broken byte must not be re-read as Windows-1252).
        clean = False
    if draw(st.integers(0, 7)) == 0:
        data = data + draw(st.sampled_from([b"\"unclosed,x\n", b"a" + delimiter.encode() * 9 + b"\n", b"\xff\xfe\n"]))
        clean = False
        notes.append("damaged")
    if not text.strip() or not rows:
        clean = False if not rows else clean
    name = "batch.tsv" if tab else "batch.csv"
    if draw(st.integers(0, 3)) == 0:
        data = _gzip(data)
        name = draw(st.sampled_from([name + ".gz", name]))
        notes.append("gzip")
    return Case("csv", name, data, len(rows) if clean else None, clean and bool(rows), notes=notes)


@st.composite
def parquet_cases(draw) -> Case:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = draw(st.integers(0, MAX_ROWS))
    columns: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from([k for k in KEYS if "\ud800" not in k and "\udfff" not in k]),
                             min_size=1, max_size=5, unique=True)):
        kind = draw(st.sampled_from(["text", "int", "float", "list", "struct", "struct-list", "map", "binary",
                                     "timestamp", "null", "dictionary"]))
        if kind == "text":
            values = [draw(texts()) for _ in range(n)]
            values = [value.encode("utf-8", "replace").decode("utf-8") for value in values]
            columns[key] = pa.array(values, pa.string())
        elif kind == "int":
            columns[key] = pa.array([draw(st.one_of(st.none(), st.integers(-2**63, 2**63 - 1))) for _ in range(n)], pa.int64())
        elif kind == "float":
            columns[key] = pa.array([draw(st.floats()) for _ in range(n)], pa.float64())
        elif kind == "list":
            columns[key] = pa.array([draw(st.lists(st.text(max_size=5), max_size=3)) for _ in range(n)], pa.list_(pa.string()))
        elif kind == "struct":
            columns[key] = pa.array([{"a": draw(st.integers(0, 9)), "b": "x"} for _ in range(n)])
        elif kind == "struct-list":
            columns[key] = pa.array([{"l": draw(st.lists(st.integers(0, 5), max_size=3)), "s": {"t": [1.5]}} for _ in range(n)])
        elif kind == "map":
            columns[key] = pa.array([[("k", draw(st.integers(0, 9)))] for _ in range(n)], pa.map_(pa.string(), pa.int64()))
        elif kind == "binary":
            columns[key] = pa.array([draw(st.binary(max_size=8)) for _ in range(n)], pa.binary())
        elif kind == "timestamp":
            columns[key] = pa.array([draw(st.integers(0, 2**40)) for _ in range(n)], pa.timestamp("ms", tz="UTC"))
        elif kind == "null":
            columns[key] = pa.nulls(n)
        else:
            columns[key] = pa.array([draw(st.sampled_from(["a", "b", None])) for _ in range(n)], pa.string()).dictionary_encode()
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    data = buffer.getvalue()
    clean, notes = True, []
    if draw(st.integers(0, 9)) == 0:
        data, clean = data[: draw(st.integers(0, len(data) - 1))], False
        notes.append("truncated")
    elif draw(st.integers(0, 9)) == 0:
        data = _gzip(data)
        notes.append("gzip")
    return Case("parquet", "batch.parquet", data, n if clean else None, clean, notes=notes)


@st.composite
def page_cases(draw) -> Case:
    html = draw(st.booleans())
    title, body = draw(texts()), draw(texts())
    details = draw(st.dictionaries(st.sampled_from(["Vorfall", "Ort", "Ursache", "Quellen", "Datum", "<x>"]), texts(),
                                   max_size=4))
    if html:
        rows = "".join(f"<tr><td>{key}</td><td>{value}</td></tr>" for key, value in details.items())
        text = (f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p>"
                f"<h2>Details</h2><table>{rows}</table>{draw(st.sampled_from(['', '<script>x()</script>', '&#xd800;', '<!--']))}"
                "</body></html>")
    else:
        text = "\n".join([title, "", body, "", "Details", *(f"{key}: {value}" for key, value in details.items())])
    data = text.encode("utf-8", "surrogatepass")
    clean = b"\xed" not in data and "\x00" not in text and bool(text.strip())
    return Case("page", "artikel.html" if html else "artikel.txt", data, 1 if clean else None, clean)


@st.composite
def rules_cases(draw) -> Case:
    """A hostile rules file over a clean table."""
    table = "".join(json.dumps({"id": f"r{n}", "Titel": f"Titel {n}", "Text": "Ein kurzer Text."}) + "\n" for n in range(3))
    kind = draw(st.sampled_from(["valid", "bomb", "deep", "digits", "garbage", "mutated", "wrong-types"]))
    if kind == "valid":
        rules = FUZZ_RULES
    elif kind == "bomb":
        levels = draw(st.integers(3, 9))
        rules = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(levels)) + \
            "rules: []\n"
    elif kind == "deep":
        depth = draw(st.sampled_from([65, 1000, 5000, 50000]))
        rules = "rules:\n  - id: a\n    description: " + "[" * depth + "]" * depth + "\n"
    elif kind == "digits":
        rules = FUZZ_RULES + "    mostly: " + "9" * draw(st.sampled_from([100, 5000])) + "\n"
    elif kind == "garbage":
        rules = draw(st.text(st.characters(codec=None, categories=None), max_size=200))
    elif kind == "wrong-types":
        value = draw(json_values())
        rules = FUZZ_RULES.replace("severity: error", "severity: " + json.dumps(value, ensure_ascii=False))
    else:
        lines = FUZZ_RULES.splitlines()
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = draw(st.sampled_from(["", "\t" + lines[index], lines[index] + ": x", "- " + lines[index],
                                             lines[index].replace(":", ""), "&x " + lines[index], "*y"]))
        rules = "\n".join(lines) + "\n"
    case = Case("rules", "batch.jsonl", table.encode("utf-8"), 3, kind == "valid",
                rules=rules.encode("utf-8", "surrogatepass"), notes=[kind])
    return case


# --- running a case ---------------------------------------------------------------------


class Hang(Exception):
    pass


@dataclass
class Outcome:
    exit_code: int | None
    stderr: str
    results: dict | None
    seconds: float


def run_cli(args: list[str], timeout: int = 60) -> tuple[int, str]:
    """``auditor ARGS`` through the CLI's own ``main`` (the one-line error handling a user
    gets), in this process: exit code and stderr. A run over ``timeout`` seconds raises ``Hang``."""
    from auditor import cli

    stderr = io.StringIO()

    def alarm(signum, frame):
        raise Hang()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    saved_argv = sys.argv
    try:
        sys.argv = ["auditor", *args]
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.main()
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = saved_argv
    return code, stderr.getvalue()


def run_case(case: Case, folder: Path, full_rules: bool = False, history: bool = True, timeout: int = 60) -> Outcome:
    """One case through the real CLI, in this process."""
    import time

    folder.mkdir(parents=True, exist_ok=True)
    table = folder / case.name
    table.write_bytes(case.data)
    args = ["audit", str(table), "--out", str(folder / "out"), "--no-data-docs", "-q", "--fail-on", "error"]
    if case.rules is not None:
        (folder / "rules.yaml").write_bytes(case.rules)
        args += ["--rules", str(folder / "rules.yaml")]
    elif not full_rules:
        (folder / "rules.yaml").write_text(FUZZ_RULES, encoding="utf-8")
        args += ["--rules", str(folder / "rules.yaml")]
    args += ["--history", str(folder / "history.sqlite")] if history else ["--no-history"]
    started = time.perf_counter()
    code, stderr = run_cli(args, timeout)
    seconds = time.perf_counter() - started
    results_file = folder / "out" / "results.json"
    results = json.loads(results_file.read_text(encoding="utf-8")) if code in (0, 1) and results_file.exists() else None
    return Outcome(code, stderr, results, seconds)


def problems(case: Case, outcome: Outcome) -> list[str]:
    """What breaks the contract, as (kind, detail): kind is internal-error, wrong-exit or lost-rows."""
    found = []
    text = outcome.stderr.strip()
    if "internal error" in text or "Traceback" in text:
        found.append(("internal-error", text.splitlines()[0][:300] if text else ""))
        return found
    if outcome.exit_code == 2:
        lines = text.splitlines()
        if len(lines) != 1 or not lines[0].startswith("auditor: error: "):
            found.append(("wrong-exit", f"exit 2 without one error line: {text[:300]!r}"))
        elif case.must_succeed:
            found.append(("wrong-exit", f"a clean {case.kind} file refused: {lines[0][:300]}"))
        return found
    if outcome.exit_code not in (0, 1):
        found.append(("wrong-exit", f"exit {outcome.exit_code}: {text[:300]!r}"))
        return found
    if outcome.results is None:
        found.append(("lost-rows", "exit 0/1 without results.json"))
        return found
    rows = outcome.results["rows"]
    if outcome.results["summary"]["rows"] != len(rows):
        found.append(("lost-rows", f"summary says {outcome.results['summary']['rows']} rows, {len(rows)} listed"))
    places = {(row["source"], row["position"]) for row in rows}
    if len(places) != len(rows):
        found.append(("lost-rows", "two rows at one place"))
    read = sum(entry.get("rows", 0) for entry in outcome.results["inputs"] if entry.get("status") == "read")
    if read != len(rows):
        found.append(("lost-rows", f"inputs report {read} rows, {len(rows)} listed"))
    if case.rows is not None and len(rows) != case.rows:
        found.append(("lost-rows", f"{case.rows} rows written, {len(rows)} in the results"))
    return found


KINDS = {
    "csv": csv_cases(), "jsonl": jsonl_cases(), "json": json_cases(), "parquet": parquet_cases(),
    "page": page_cases(), "rules": rules_cases(),
}
