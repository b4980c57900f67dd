"""Real web pages: main-text extraction beside trafilatura, and furniture found span by span.

    .venv/bin/python benchmarks/eval_webpages.py                      # furniture coverage on the dev pages
    .venv/bin/python benchmarks/eval_webpages.py --show               # ... with what is missed / wrongly covered
    .venv/bin/python benchmarks/eval_webpages.py --halves             # ... and for the odd and even pages apart
    .venv/bin/python benchmarks/eval_webpages.py --html DIR           # + the extraction table on the dev pages' HTML

Data: ``../shared/data/webpages_dev/`` (see its README): ``<n>.txt``, each a real page's
visible text pasted whole, and ``truth.csv`` with trafilatura's evaluation snippets of each
page, ``with`` (main text) and ``without`` (boilerplate), joined with `` || ``.

Furniture coverage. Each page's text is the body of one row, all pages one batch, through
:func:`auditor.text.furniture.find_furniture` (what the GX expectation calls); the findings'
``span`` values (character offsets) are the furniture. A snippet is found in the body after
white space is collapsed on both sides; it is *covered* when every one of its occurrences
lies inside the findings' spans (all its non-space characters), and *touched* when any
character of any occurrence does. Printed: boilerplate snippets covered (target >= 0.80)
and main-text snippets covered (target <= 0.02), and, stricter, main-text snippets touched.
Only warnings count: an info note (``"level": "info"``: a caption or picture credit, which
belongs to the story, or a trailing paragraph that *may* tell another story) is neither
furniture coverage nor main-text loss. The notes are counted on their own line: the
boilerplate snippets that only a note touches, and the main-text snippets a note touches.

Extraction. Always on the pages written for this benchmark, ``benchmarks/pages/`` (German
news and aggregator pages in our own words, ``<n>.html`` and a ``truth.csv`` as above: menus,
breadcrumbs, bylines, cookie banners, related-article lists, share rows, newsletter, paywall
and donation boxes, comments and footers around stories with quotes, fact boxes, captions,
tables and, on the aggregator pages, a Details table or list, whose values are annotated
as boilerplate: they are the aggregator's metadata, not the story's text). With
``--html DIR`` also on the saved HTML of the dev pages: DIR holds either a checkout of
trafilatura's repository at the commit named in the data README (``tests/evaldata.json``
maps each page's URL to its file in ``tests/eval/`` or ``tests/cache/``), or files named
like the ``.txt`` (``1.html``...). For each page the main text of ``auditor extract``
(its ``main_text`` field) and of ``trafilatura.extract`` on the same HTML are scored the
way trafilatura's own evaluation does: main-text snippets kept, boilerplate snippets left
out (white space collapsed), side by side in one table.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import unicodedata
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditor.text.furniture import FurnitureSettings, find_furniture  # noqa: E402

PAGES = REPO.parent / "shared" / "data" / "webpages_dev"
OWN_PAGES = REPO / "benchmarks" / "pages"


def snippets(field: str) -> list[str]:
    return [part.strip() for part in (field or "").split(" || ") if part.strip()]


def collapsed(text: str) -> tuple[str, list[int]]:
    """``text`` with white space runs as one space, and for each of its characters the
    offset it came from."""
    out: list[str] = []
    origin: list[int] = []
    space = True
    for position, character in enumerate(text):
        if character.isspace():
            if not space:
                out.append(" ")
                origin.append(position)
            space = True
        else:
            out.append(character)
            origin.append(position)
            space = False
    return "".join(out), origin


def occurrences(body: str, snippet: str) -> list[tuple[int, int]]:
    """Every place of ``snippet`` in ``body`` (white space collapsed), as body offsets."""
    flat, origin = collapsed(body)
    needle = " ".join(snippet.split())
    found, start = [], flat.find(needle)
    while start >= 0 and needle:
        found.append((origin[start], origin[start + len(needle) - 1] + 1))
        start = flat.find(needle, start + 1)
    return found


def flagged_mask(body: str, detail: dict | None, notes: bool = False) -> list[bool]:
    """Per body character: inside a warning's span (``notes``: inside an info note's)."""
    mask = [False] * len(body)
    for part in (detail or {}).get("parts", []):
        if (part.get("level") == "info") != notes:
            continue
        start, end = part["span"]
        for position in range(start, end):
            mask[position] = True
    return mask


def inside(body: str, mask: list[bool], start: int, end: int) -> bool:
    return all(mask[p] for p in range(start, end) if not body[p].isspace())


def touches(mask: list[bool], start: int, end: int) -> bool:
    return any(mask[start:end])


def read_truth(folder: Path) -> list[dict]:
    """The pages a ``truth.csv`` in ``folder`` annotates, with their snippets."""
    with (folder / "truth.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["with"], row["without"] = snippets(row["with_snippets"]), snippets(row["without_snippets"])
    return rows


def read_pages() -> list[dict]:
    if not (PAGES / "truth.csv").exists():
        sys.exit(f"{PAGES / 'truth.csv'} is not present; this benchmark needs ../shared/data/webpages_dev")
    rows = read_truth(PAGES)
    for row in rows:
        row["body"] = (PAGES / row["file"]).read_text(encoding="utf-8")
    return rows


COUNTS = ("boilerplate", "boilerplate covered", "main", "main covered", "main touched", "pages flagged",
          "boilerplate noted", "main noted")


def furniture_coverage(pages: list[dict], show: bool, main_texts: list | None = None) -> tuple[list[dict], float]:
    """Per page, its counts (see :data:`COUNTS`), and the seconds the check took.
    ``main_texts``: per page, the reference main text (as ``auditor extract`` writes it)."""
    bodies = pd.Series([page["body"] for page in pages])
    started = time.perf_counter()
    details = find_furniture(bodies, FurnitureSettings(),
                             main_texts=pd.Series(main_texts, dtype=object) if main_texts is not None else None)
    seconds = time.perf_counter() - started
    per_page = []
    for page, detail in zip(pages, details):
        counts = dict.fromkeys(COUNTS, 0)
        per_page.append(counts)
        body = page["body"]
        mask = flagged_mask(body, detail)
        noted = flagged_mask(body, detail, notes=True)
        counts["pages flagged"] += detail is not None
        for snippet in page["without"]:
            places = occurrences(body, snippet)
            if not places:
                continue
            counts["boilerplate"] += 1
            covered = all(inside(body, mask, s, e) for s, e in places)
            counts["boilerplate covered"] += covered
            note = not covered and any(touches(noted, s, e) for s, e in places)
            counts["boilerplate noted"] += note
            if show and not covered:
                print(f"  missed boilerplate  {page['file']:>7}{' (noted)' if note else ''}: {snippet[:90]!r}")
        for snippet in page["with"]:
            places = occurrences(body, snippet)
            if not places:
                continue
            counts["main"] += 1
            covered = all(inside(body, mask, s, e) for s, e in places)
            touched = any(touches(mask, s, e) for s, e in places)
            counts["main covered"] += covered
            counts["main touched"] += touched
            note = any(touches(noted, s, e) for s, e in places)
            counts["main noted"] += note
            if show and touched:
                print(f"  main text {'covered' if covered else 'touched'} {page['file']:>7}: {snippet[:90]!r}")
            if show and note:
                print(f"  main text noted   {page['file']:>7}: {snippet[:90]!r}")
    return per_page, seconds


def summed(per_page: list[dict]) -> dict:
    return {key: sum(counts[key] for counts in per_page) for key in COUNTS}


def print_coverage(counts: dict, indent: str = "  ") -> None:
    print(f"{indent}boilerplate snippets covered: {counts['boilerplate covered']}/{counts['boilerplate']}"
          f" = {counts['boilerplate covered'] / max(counts['boilerplate'], 1):.3f}  (target >= 0.80)")
    print(f"{indent}main-text snippets covered:   {counts['main covered']}/{counts['main']}"
          f" = {counts['main covered'] / max(counts['main'], 1):.3f}  (target <= 0.02)")
    print(f"{indent}main-text snippets touched:   {counts['main touched']}/{counts['main']}"
          f" = {counts['main touched'] / max(counts['main'], 1):.3f}")
    print(f"{indent}info notes (captions, credits; counted in neither figure): on {counts['boilerplate noted']}"
          f" boilerplate and {counts['main noted']} main-text snippets")


# --- extraction ---------------------------------------------------------------------------


def html_files(html: Path, pages: list[dict]) -> dict[str, Path]:
    """The saved HTML of each dev page that ``html`` holds, by the page's ``.txt`` name."""
    found: dict[str, Path] = {}
    evaldata = html / "tests" / "evaldata.json"
    if evaldata.exists():
        entries = {unicodedata.normalize("NFC", url): entry for url, entry in
                   json.loads(evaldata.read_text(encoding="utf-8")).items()}
        for page in pages:
            entry = entries.get(unicodedata.normalize("NFC", page["url"]))
            if entry is None:
                continue
            for folder in ("eval", "cache"):
                candidate = html / "tests" / folder / entry["file"]
                if candidate.exists():
                    found[page["file"]] = candidate
                    break
    for page in pages:
        for suffix in (".html", ".htm"):
            candidate = html / (Path(page["file"]).stem + suffix)
            if page["file"] not in found and candidate.exists():
                found[page["file"]] = candidate
    return found


def extraction_scores(texts: list[tuple[str, dict]]) -> tuple[float, float]:
    """(main-text snippets kept, boilerplate snippets left out) over (extracted text, page) pairs."""
    kept = main = left_out = boilerplate = 0
    for text, page in texts:
        flat = " ".join((text or "").split())
        for snippet in page["with"]:
            main += 1
            kept += " ".join(snippet.split()) in flat
        for snippet in page["without"]:
            boilerplate += 1
            left_out += " ".join(snippet.split()) not in flat
    return kept / max(main, 1), left_out / max(boilerplate, 1)


def extraction_table(pages: list[dict], files: dict[str, Path], what: str, show: bool = False) -> None:
    """The table for the ``pages`` whose HTML ``files`` holds (by the page's ``file``)."""
    import trafilatura

    from auditor.extract import extract_page

    chosen = [page for page in pages if page["file"] in files]
    ours, theirs = [], []
    for page in chosen:
        path = files[page["file"]]
        ours.append((extract_page(path).get("main_text"), page))
        # trafilatura as a user calls it: the saved bytes, its defaults
        theirs.append((trafilatura.extract(path.read_bytes()), page))
    print(f"extraction on {what}:")
    print("| | main-text snippets kept | boilerplate snippets left out |")
    print("| --- | --- | --- |")
    for label, texts in (("`auditor extract` (main_text)", ours), (f"trafilatura {trafilatura.__version__}", theirs)):
        kept, left_out = extraction_scores(texts)
        print(f"| {label} | {kept:.2f} | {left_out:.2f} |")
    if show:
        for label, texts in (("auditor", ours), ("trafilatura", theirs)):
            for text, page in texts:
                flat = " ".join((text or "").split())
                for snippet in page["with"]:
                    if " ".join(snippet.split()) not in flat:
                        print(f"  {label:11} lost main text  {page['file']:>8}: {snippet[:80]!r}")
                for snippet in page["without"]:
                    if " ".join(snippet.split()) in flat:
                        print(f"  {label:11} kept boilerplate {page['file']:>7}: {snippet[:80]!r}")


def own_pages_table(show: bool) -> None:
    """The extraction table on the pages written for this benchmark (``benchmarks/pages/``)."""
    if not (OWN_PAGES / "truth.csv").exists():
        return
    pages = read_truth(OWN_PAGES)
    files = {page["file"]: OWN_PAGES / page["file"] for page in pages if (OWN_PAGES / page["file"]).exists()}
    extraction_table(pages, files, f"{len(files)} pages written for this benchmark (benchmarks/pages/)", show)
    # The rows `auditor extract` makes of them: the body is the article region as published
    # (furniture inside it left for the check), main_text the check's reference.
    from auditor.extract import extract_page

    rows = [extract_page(files[page["file"]]) for page in pages]
    for page, row in zip(pages, rows):
        page["body"] = row.get("body") or ""
    counts = summed(furniture_coverage(pages, show, [row.get("main_text") for row in rows])[0])
    print(f"furniture on the bodies `auditor extract` makes of them (main_text as the reference;"
          f" snippets outside the body not counted):")
    print_coverage(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list missed boilerplate and covered main text")
    parser.add_argument("--halves", action="store_true",
                        help="also the figures of the odd- and the even-numbered pages (same run)")
    parser.add_argument("--html", type=Path, metavar="DIR", help="saved HTML of the dev pages (see above)")
    args = parser.parse_args()
    pages = read_pages()
    per_page, seconds = furniture_coverage(pages, args.show)
    counts = summed(per_page)
    print(f"furniture on {len(pages)} dev pages (visible text pasted whole as body, one batch;"
          f" {counts['pages flagged']} pages flagged, {seconds:.2f} s):")
    print_coverage(counts)
    if args.halves:
        for name, parity in (("odd", 1), ("even", 0)):
            half = [c for page, c in zip(pages, per_page) if int(Path(page["file"]).stem) % 2 == parity]
            print(f"  {name} pages ({len(half)}):")
            print_coverage(summed(half), indent="    ")
    own_pages_table(args.show)
    if args.html:
        files = html_files(args.html, pages)
        if not files:
            sys.exit(f"{args.html}: holds no saved HTML of the dev pages (a trafilatura checkout, or 1.html ... 50.html)")
        extraction_table(pages, files, f"{len(files)} of {len(pages)} dev pages' HTML ({args.html})", args.show)


if __name__ == "__main__":
    main()
