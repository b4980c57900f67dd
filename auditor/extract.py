"""Turn saved article pages (text extractions or HTML) into raw table rows.

:func:`extract_page` returns the fields of one page as written, without judging them:
``id`` (file stem), ``title``, ``body``, ``published_at``, ``publisher``, ``url`` and
every key of the aggregator's "Details" block (``Vorfall``, ``Ursache``, ``Ort``,
``Quellen``, ...). Standard fields that a page lacks are None; a page without a
Details block has no Details keys at all, and a Details key written with an empty
value is kept as ``""`` so that "blank" and "absent" stay distinguishable.
Leaked markup, markdown, page furniture and odd dates are left in place on purpose:
finding them is the job of the checks, which need to see them.

Text pages
    UTF-8 (with or without BOM), else Windows-1252. Leading breadcrumb lines are
    skipped, a headline repeated on the next line is kept once, a line holding only a
    date becomes ``published_at``, a ``Details`` line followed by ``Key<TAB>Value``
    lines is the Details block (lines without a TAB continue the previous value), and a
    site footer such as ``Besuchen Sie uns auf: example.at`` becomes ``publisher``.
    Body paragraphs are separated by blank lines and joined with ``"\\n\\n"``; lines
    inside a paragraph are joined with ``"\\n"``.

HTML pages
    What the page itself says is read by **trafilatura** (a well-kept extraction library,
    offline): ``main_text`` -- the page's main text as trafilatura finds it, comments left
    out, the Details block taken off first, lines joined with ``"\\n"`` --, the ``title``,
    the ``published_at`` date (htmldate: the page's original publication date; the page's
    own ``article:published_time`` or ``<time datetime>`` is kept instead when it names the
    same day, as it also has the time), the site name (``publisher``, after an aggregator's
    own footer line) and the ``url``. Where trafilatura finds nothing, the page's own markup
    answers as before (``<h1>``, ``<title>``, the meta tags).

    ``body`` is the aggregator's article region *as published*: the text blocks of the
    page's ``<article>`` (else ``<main>``, else ``<body>``), ``<nav>``, ``<header>`` and
    ``<footer>`` left out, paragraphs joined with ``"\\n\\n"``. Furniture inside that region
    stays in the body on purpose, for the furniture check to find, which reads ``main_text``
    as its reference for what the article is.

    The auditor's own parsing (BeautifulSoup/lxml) reads what is the aggregator's: the
    Details block and the article region. The Details block is a
    ``<table>`` (key cell, value cell per row) or a ``<dl>`` (``<dt>``/``<dd>``) that is
    marked as such: class or id containing "details" on it or its parent, a caption or
    preceding heading reading "Details", or at least one of the usual Details keys.

    Rule for HTML Details values: a cell holding only text and inline phrasing elements
    (``a``, ``span``, ``strong``, ``br``, ...) gives its visible text, whitespace
    collapsed -- inline formatting is how a page renders a plain value. A cell holding
    any other element (``ul``, ``li``, ``div``, ``p``, ``img``, ...) gives its inner
    HTML as serialised by BeautifulSoup, stripped -- block structure inside a one-line
    metadata value is what leaked markup looks like, and the markup check must see it.
    Escaped markup (``&lt;ul&gt;``) is text and therefore shows up as ``<ul>`` either way.
    Several ``<dd>`` for one ``<dt>`` are joined with ``"\\n"``; for a key listed
    twice, the first value wins.

    Without a date from trafilatura or the markup, a paragraph holding only a date is
    ``published_at``.

Errors are :class:`auditor.errors.InputError` with a one-line message naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from bs4 import BeautifulSoup, CData, NavigableString, Tag
from lxml import etree

from auditor.encodings import decode
from auditor.errors import InputError

PAGE_SUFFIXES = (".txt", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")

DETAILS_KEYS = ("Vorfall", "Ursache", "Ort", "Quellen")

_DATE_ONLY = re.compile(
    r"^\d{1,2}\.\s?\d{1,2}\.\s?\d{4}(?:\s*,?\s*(?:um\s+)?\d{1,2}[:.]\d{2}(?:\s*Uhr)?)?$", re.IGNORECASE
)
# Aggregators close their rewrites with a line pointing at their own site.
_SITE_FOOTER = re.compile(
    r"^(?:Besuchen Sie uns|Mehr Nachrichten|Weitere Nachrichten|Alle Nachrichten)\s+(?:auf|unter)\s*:?\s*"
    r"(?P<site>(?:https?://)?[\w.-]+\.[A-Za-z]{2,}[\w./-]*)$",
    re.IGNORECASE,
)
_DETAILS_HEADING = re.compile(r"^Details\s*:?$", re.IGNORECASE)
_DETAILS_LOOKAHEAD = 3
# Real Details keys are short labels; a longer text before a TAB is prose with a stray tab.
_MAX_KEY_LENGTH = 40
_MAX_KEY_WORDS = 4
_BREADCRUMB_SEPARATORS = re.compile(r"\s*[›>]\s*")
_MAX_BREADCRUMB_WORDS = 2

_EXCLUDED_HTML = {"nav", "header", "footer", "script", "style", "noscript", "template"}
_BLOCK_TAGS = ["p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption"]
_INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
}
_KNOWN_KEYS = {key.casefold() for key in DETAILS_KEYS}


def extract_page(path: Path) -> dict[str, str | None]:
    """The raw fields of one saved article page; see the module docstring for the rules."""
    path = Path(path)
    text = read_page_text(path)
    if path.suffix.lower() in HTML_SUFFIXES:
        fields = extract_html(text)
    else:
        fields = extract_text(text)
    return {"id": path.stem, **fields}


# --- reading -----------------------------------------------------------------------------


def read_page_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the page ({error.strerror}); check the path and its permissions") from None
    text = decode_page(raw, path)
    if not text.strip():
        raise InputError(f"{path}: the page is empty; remove it or save the article's text into it")
    return text


def decode_page(raw: bytes, path: Path) -> str:
    if b"\x00" in raw:
        raise InputError(f"{path}: the page contains NUL bytes (binary or UTF-16?); save it as UTF-8 text")
    return decode(raw, path)


# --- text pages --------------------------------------------------------------------------


def extract_text(text: str) -> dict[str, str | None]:
    lines = [line.strip() for line in text.splitlines()]
    publisher = take_footer_site(lines)
    details: dict[str, str] = {}
    details_start = find_details_heading(lines)
    if details_start is not None:
        details = parse_details_lines(lines[details_start + 1 :])
        lines = lines[:details_start]
    published_at = take_date_line(lines)
    title_index = find_title_index(lines)
    title = lines[title_index] if title_index is not None else None
    rest = lines[title_index + 1 :] if title_index is not None else []
    drop_repeated_title(rest, title)
    return {
        "title": title,
        "body": join_paragraphs(rest),
        "published_at": published_at,
        "publisher": publisher,
        "url": None,
        **details,
    }


def take_footer_site(lines: list[str]) -> str | None:
    """The site named by the first footer line; every footer line is blanked out."""
    site = None
    for index, line in enumerate(lines):
        found = footer_site(line)
        if found:
            site = site or found
            lines[index] = ""
    return site


def take_date_line(lines: list[str]) -> str | None:
    """The first line holding only a date, blanked out so it ends a paragraph instead of joining one."""
    for index, line in enumerate(lines):
        if _DATE_ONLY.match(line):
            lines[index] = ""
            return line
    return None


def footer_site(line: str) -> str | None:
    match = _SITE_FOOTER.match(line)
    return match["site"] if match else None


def split_key_line(line: str) -> tuple[str, str] | None:
    """``(key, value)`` for a ``Key<TAB>Value`` line, None for anything else."""
    key, tab, value = line.partition("\t")
    key = key.strip()
    if not tab or not key or len(key) > _MAX_KEY_LENGTH or len(key.split()) > _MAX_KEY_WORDS:
        return None
    return key, value.strip()


def find_details_heading(lines: list[str]) -> int | None:
    # A lone "Details" in the prose is only a heading when key lines follow it closely;
    # a stray line or two between heading and keys is tolerated (and ignored).
    for index, line in enumerate(lines):
        if not _DETAILS_HEADING.match(line):
            continue
        following = [later for later in lines[index + 1 :] if later][:_DETAILS_LOOKAHEAD]
        if any(split_key_line(later) for later in following):
            return index
    return None


def parse_details_lines(lines: list[str]) -> dict[str, str]:
    values: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if not line:
            continue
        key_value = split_key_line(line)
        if key_value is None:
            if current is not None:
                current.append(line)
            continue
        key, value = key_value
        current = [value]
        values.setdefault(key, current)
    return {key: "\n".join(part for part in parts if part).strip() for key, parts in values.items()}


def looks_like_breadcrumb(line: str) -> bool:
    parts = [part for part in _BREADCRUMB_SEPARATORS.split(line) if part]
    return all(len(part.split()) <= _MAX_BREADCRUMB_WORDS for part in parts)


def find_title_index(lines: list[str]) -> int | None:
    filled = [index for index, line in enumerate(lines) if line]
    for index in filled:
        if not looks_like_breadcrumb(lines[index]):
            return index
    # A page made only of short lines still has a first line worth calling its title.
    return filled[0] if filled else None


def same_text(left: str, right: str) -> bool:
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


def drop_repeated_title(lines: list[str], title: str | None) -> None:
    if title is None:
        return
    for index, line in enumerate(lines):
        if line:
            if same_text(line, title):
                lines[index] = ""
            return


def join_paragraphs(lines: list[str]) -> str | None:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    return "\n\n".join(paragraphs) or None


# --- HTML pages --------------------------------------------------------------------------


def extract_html(text: str) -> dict[str, str | None]:
    soup = BeautifulSoup(text, "lxml")
    blocks = find_details_blocks(soup)
    details: dict[str, str] = {}
    for block in blocks:
        for key, value in details_pairs(block):
            details.setdefault(key, value)
    headline = soup.find("h1")
    paragraphs = body_paragraphs(soup, blocks, headline)
    own_date = html_published_at(soup)
    footer = html_footer_site(soup)
    library = library_reading(soup, blocks, text)
    published_at = own_date if own_date and (not library.date or own_date.startswith(library.date)) else library.date
    if published_at is None:
        published_at = next((p for p in paragraphs if _DATE_ONLY.match(p)), None)
    paragraphs = [p for p in paragraphs if p != published_at and not footer_site(p)]
    return {
        "title": library.title or html_title(soup, headline),
        "body": "\n\n".join(paragraphs) or None,
        "main_text": library.text,
        "published_at": published_at,
        "publisher": footer or library.sitename or meta_content(soup, "og:site_name"),
        "url": library.url or html_url(soup),
        **details,
    }


@dataclass(frozen=True)
class LibraryReading:
    """What trafilatura reads off a page (each None where it finds nothing)."""

    text: str | None = None
    title: str | None = None
    date: str | None = None
    sitename: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, document) -> "LibraryReading":
        def field(name: str) -> str | None:
            value = getattr(document, name, None)
            return (value.strip() or None) if isinstance(value, str) else None

        return cls(*(field(name) for name in ("text", "title", "date", "sitename", "url")))


def library_reading(soup: BeautifulSoup, details_blocks: list[Tag], markup: str | None = None) -> LibraryReading:
    """trafilatura on the page without its Details block (the aggregator's metadata is no
    part of the page's main text). Offline: it is handed the markup, never a URL to fetch. A
    page without a Details block is handed over as it is (``markup``), so ``main_text`` is
    what trafilatura itself reads off the page, not off BeautifulSoup's rewrite of it."""
    for block in details_blocks:
        heading = details_heading(block)
        if heading is not None:
            heading.decompose()
        block.decompose()
    page = markup if markup is not None and not details_blocks else str(soup)
    try:
        document = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False,
                                               include_tables=True)
    except (ValueError, TypeError, etree.LxmlError):  # markup lxml cannot build a tree of
        return LibraryReading()
    return LibraryReading.of(document)


def visible_text(element: Tag) -> str:
    """Text as a reader sees it: ``<br>`` breaks lines, source whitespace collapses."""
    pieces: list[str] = []
    for node in element.descendants:
        if isinstance(node, Tag) and node.name == "br":
            pieces.append("\n")
        # Exact types: bs4 uses subclasses for comments and script/style contents.
        elif type(node) in (NavigableString, CData):
            pieces.append(str(node))
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def meta_content(soup: BeautifulSoup, name: str) -> str | None:
    for attribute in ("property", "name"):
        tag = soup.find("meta", attrs={attribute: name})
        if tag and tag.get("content", "").strip():
            return tag["content"].strip()
    return None


def html_title(soup: BeautifulSoup, headline: Tag | None) -> str | None:
    for candidate in (headline, soup.title):
        if candidate is not None:
            text = " ".join(visible_text(candidate).split())
            if text:
                return text
    return None


def html_published_at(soup: BeautifulSoup) -> str | None:
    meta = meta_content(soup, "article:published_time")
    if meta:
        return meta
    time = soup.find("time", attrs={"datetime": True})
    if time is None:
        return None
    return time["datetime"].strip() or None


def html_footer_site(soup: BeautifulSoup) -> str | None:
    """The site an aggregator's footer line names ("Besuchen Sie uns auf: ...")."""
    footers = soup.find_all("footer")
    for scope in [*footers, soup]:
        for line in scope.get_text("\n").splitlines():
            site = footer_site(line.strip())
            if site:
                return site
    return None


def html_url(soup: BeautifulSoup) -> str | None:
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href", "").strip():
        return canonical["href"].strip()
    return meta_content(soup, "og:url")


def body_container(soup: BeautifulSoup) -> Tag:
    return soup.find("article") or soup.find("main") or soup.body or soup


def body_paragraphs(soup: BeautifulSoup, details_blocks: list[Tag], headline: Tag | None) -> list[str]:
    skipped = {id(block) for block in details_blocks}
    skipped |= {id(heading) for block in details_blocks if (heading := details_heading(block))}
    if headline is not None:
        skipped.add(id(headline))
    paragraphs = []
    for element in body_container(soup).find_all(_BLOCK_TAGS):
        # Only the innermost blocks, so a <li> holding a <p> is not read twice.
        if element.find(_BLOCK_TAGS) is not None or is_skipped(element, skipped):
            continue
        text = visible_text(element)
        if text:
            paragraphs.append(text)
    return paragraphs


def is_skipped(element: Tag, skipped: set[int]) -> bool:
    for node in (element, *element.parents):
        if id(node) in skipped or node.name in _EXCLUDED_HTML:
            return True
    return False


def find_details_blocks(soup: BeautifulSoup) -> list[Tag]:
    return [block for block in soup.find_all(["table", "dl"]) if is_details_block(block)]


def is_details_block(block: Tag) -> bool:
    if marked_as_details(block) or details_heading(block) is not None:
        return True
    caption = block.find("caption") if block.name == "table" else None
    if caption is not None and _DETAILS_HEADING.match(visible_text(caption)):
        return True
    return any(key.casefold() in _KNOWN_KEYS for key, _ in details_pairs(block))


def marked_as_details(block: Tag) -> bool:
    for element in (block, block.parent):
        if not isinstance(element, Tag):
            continue
        names = [element.get("id") or "", *(element.get("class") or [])]
        if any("details" in name.casefold() for name in names):
            return True
    return False


def details_heading(block: Tag) -> Tag | None:
    """The element just before the block (or before its wrapper) that reads "Details"."""
    previous = block.find_previous_sibling()
    if previous is None and isinstance(block.parent, Tag):
        previous = block.parent.find_previous_sibling()
    if previous is not None and _DETAILS_HEADING.match(visible_text(previous)):
        return previous
    return None


def owned_by(element: Tag, block: Tag) -> bool:
    # Nested tables or lists belong to the cell they sit in, not to this block.
    return element.find_parent(block.name) is block


def details_pairs(block: Tag) -> list[tuple[str, str]]:
    if block.name == "dl":
        return dl_pairs(block)
    return table_pairs(block)


def table_pairs(table: Tag) -> list[tuple[str, str]]:
    pairs = []
    for row in table.find_all("tr"):
        if not owned_by(row, table):
            continue
        cells = row.find_all(["th", "td"], recursive=False)
        if len(cells) < 2:
            continue
        key = details_key(cells[0])
        if key:
            pairs.append((key, cell_value(cells[1])))
    return pairs


def dl_pairs(dl: Tag) -> list[tuple[str, str]]:
    pairs: list[tuple[str, list[str]]] = []
    for element in dl.find_all(["dt", "dd"]):
        if not owned_by(element, dl):
            continue
        if element.name == "dt":
            key = details_key(element)
            pairs.append((key, []))
        elif pairs:
            pairs[-1][1].append(cell_value(element))
    return [(key, "\n".join(values)) for key, values in pairs if key]


def details_key(cell: Tag) -> str:
    return " ".join(visible_text(cell).split()).rstrip(":").strip()


def cell_value(cell: Tag) -> str:
    children = cell.find_all(True)
    if all(child.name in _INLINE_TAGS for child in children):
        return " ".join(visible_text(cell).split())
    return cell.decode_contents().strip()
