"""Do the outlets an article credits match its `sources` field?

An aggregator's rewrite credits outlets in its text (`laut **Berliner Zeitung**`, `wie
die Kleine Zeitung berichtet`, `(sda/dpa/lyn)`) and lists domains in `sources`
(`www.heute.at • www.berliner-zeitung.de`). Both should name the same outlets.

Credits are recognised, precision first:

- domain names in the text (`Heute.at`, `www.krone.at`): credits when the domain is a
  known outlet's, when it stands in an attribution (`laut watson.ch`, `von **Heute.at**`)
  or marked (bold, quotes), or when its name looks like a paper's (`…zeitung.at`);
  any other domain (`www.wien.gv.at`) only counts as a mention;
- known outlets and agencies of ``auditor/data/outlets.yaml``: their unambiguous names
  wherever they stand (`Reuters`, `der Süddeutschen Zeitung`); names that are also
  ordinary words or often a story's subject (`Heute`, `Zeit`, `Kurier`, `ORF`) only in
  an attribution (`laut Heute`, `berichtete die Krone`, `wie die Zeit berichtet`, `dem
  Standard zufolge`); after the weaker `sagte der/dem`, `gegenüber`, `so die` only
  when marked as a title (`gegenüber dem „Standard“`, `sagte er der Welt` does not count);
- agency credit lines: `(sda/dpa/lyn)`, `(APA, 3.12.2024)`, `(Quelle: dpa)`; only known
  agency codes count, author initials (`lyn`) do not;
- unknown outlets in an attribution when their last word is a press word (`laut der
  Rheinischen Post`, `berichtet die Kieler Nachrichten`) or a press word introduces them
  (`wie das Nachrichtenmagazin Profil berichtet`, `laut dem Sender Puls 4`).

`laut Polizei`, `berichtet der Bürgermeister`, `nach Angaben des Innenministeriums` name no
outlet and are not credits. Photo credits (`Foto: APA`) are not credits either.

A credit matches a source when both belong to one known outlet, when the credited domain
is the source's, or by name: names and a domain's name part are compared lower-cased,
umlauts folded, without spaces, hyphens and dots, with German endings stripped
(`der Berliner Zeitung` ~ `berliner-zeitung.de`, `Kleinen Zeitung` ~ `kleinezeitung.at`),
or by initials (`Salzburger Nachrichten` ~ `sn.at`).

Speed: the texts are scanned once by RE2 (pyarrow's C++ regex engine) for every place
where a credit may start; Python looks only at those places. Sources values are parsed
once per distinct value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import product
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from auditor.errors import RulesError
from auditor.text.words import normalise
from auditor.text.domains import registered_domain, split_sources

STRONG, WEAK = 2, 1

# Whitespace as both engines (RE2 and Python's re with re.ASCII) read it: the same set.
_SPACES = " \t\r\n\f\u00a0\u202f"
_S = f"[{_SPACES}]"
_NOT_END = f"[^{_SPACES}.]"  # what may follow a dot inside a phrase: `picturedesk.com`, not `. Die`
_QUOTES = "\"„“”«»‚‘'’"
_ARTICLES = frozenset("der die das dem den des Der Die Das Dem Den Des".split())
# Words that introduce an outlet's name: `das Nachrichtenmagazin Profil`, `der Sender CNN`.
_DESCRIPTORS = (
    "Zeitung Tageszeitung Wochenzeitung Sonntagszeitung Boulevardzeitung Gratiszeitung Regionalzeitung "
    "Lokalzeitung Onlinezeitung Online-Zeitung Zeitschrift Magazin Nachrichtenmagazin Wochenmagazin "
    "Nachrichtenmagazins Nachrichtenagentur Presseagentur Sender Fernsehsender Radiosender Nachrichtensender "
    "TV-Sender Rundfunksender Nachrichtenportal Onlineportal Online-Portal Newsportal Nachrichtenseite "
    "Nachrichtenplattform Boulevardblatt Blatt Wochenblatt Fachblatt Fachmagazin Onlinemagazin Online-Magazin "
    "Sendung Nachrichtensendung"
).split()
_DESCRIPTOR_SET = frozenset(_DESCRIPTORS)
# How outlet names end (`Rheinische Post`, `Linzer Morgenblatt`, `Traunviertel-Boten`); `Radio`
# leads (`Radio Wien`).
_PRESS_ENDINGS = tuple((
    "zeitung rundschau post kurier nachrichten blatt anzeiger magazin zeitschrift sender echo bote journal "
    "presse spiegel merkur express fernsehen rundfunk welle times herald tribune telegraph gazette observer "
    "chronicle news"
).split())
# First parts of compounds that make a press word generic: `Online-Zeitung`, `Boulevard-Presse`.
_GENERIC_MODIFIERS = frozenset(
    "online boulevard gratis lokal regional sonntags wochen tages abend morgen partei mitarbeiter schüler "
    "kirchen fach branchen welt auslands inlands print internet".split()
)
# Names that end in a press word but are no outlets.
_NOT_PRESS = frozenset(("deutschepost", "oesterreichischepost", "schweizerischepost", "postag"))
# Domains of institutions, not outlets: mentioned, never credited.
_INSTITUTION_SUFFIXES = ("gv.at", "gov", "gov.uk", "gc.ca", "edu", "mil", "int")
_INSTITUTION_DOMAINS = frozenset(("admin.ch", "bund.de", "europa.eu", "un.org", "who.int"))
# Name parts of domains that look like a paper's, so a bare mention of the domain is a credit.
_PRESSY_DOMAIN_PARTS = (
    "zeitung", "nachrichten", "news", "post", "kurier", "blatt", "presse", "journal", "anzeiger", "rundschau",
    "radio", "online", "magazin", "echo", "bote", "merkur", "express", "times", "herald", "tribune",
    "observer", "spiegel", "welle", "funk", "medien", "media", "heute", "krone", "standard",
)
# A known outlet's name in a compound still credits it when the compound is about a report of it.
_CREDIT_COMPOUNDS = (
    "interview", "bericht", "angabe", "information", "anfrage", "recherche", "umfrage", "meldung", "reporter",
    "korrespondent", "journalist", "artikel", "kommentar", "analyse", "sendung", "quelle", "zitat",
)
_DOMAIN_PREFIXES = ("der", "die", "das")
_DOMAIN_SUFFIXES = ("online", "news", "net")


@dataclass(frozen=True)
class Outlet:
    name: str
    domains: tuple[str, ...]
    names: tuple[str, ...] = ()
    context_names: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """An outlet named in the text. ``credit``: attributed (counts as credited); otherwise
    only mentioned (enough to confirm a source, not to demand one)."""

    written: str  # as in the text, without markup: `Berliner Zeitung`, `Heute.at`, `dpa`
    snippet: str  # the credit as it stands: `Laut **Berliner Zeitung**`, `(sda/dpa/lyn)`
    outlet: int | None
    domain: str | None
    keys: frozenset[str]
    credit: bool


@dataclass(frozen=True)
class Source:
    token: str  # as written in `sources`: `www.heute.at`
    domain: str  # registered domain: `heute.at`
    outlet: int | None
    keys: frozenset[str]


@dataclass(eq=False)
class Directory:
    """The known outlets, compiled for look-ups and the scan."""

    outlets: tuple[Outlet, ...]
    by_domain: dict[str, int]
    anywhere: dict[str, int]  # written form (with derived forms) -> outlet
    in_context: dict[str, int]
    by_code: dict[str, int]  # case-folded agency code -> outlet
    first_words: frozenset[str]
    last_words: frozenset[str]
    scan: re.Pattern
    scan_source: str
    lenient: dict[int, re.Pattern]


# ---------------------------------------------------------------------------------------
# The outlets file


def outlets_file() -> Path:
    return Path(str(resources.files("auditor.data").joinpath("outlets.yaml")))


@lru_cache(maxsize=4)
def load_outlets(path: Path | None = None) -> Directory:
    """Read and check the outlets file (default: the bundled ``auditor/data/outlets.yaml``).

    A malformed file raises :class:`~auditor.errors.RulesError` with one line naming the
    file, the line and the entry."""
    file = Path(path) if path is not None else outlets_file()
    try:
        document = YAML(typ="rt").load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(f"{file}: cannot be read ({error})") from None
    except YAMLError as error:
        raise RulesError(f"{file}: not valid YAML: {' '.join(str(error).split())}") from None
    entries = document.get("outlets") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RulesError(f"{file}:1: expected a top-level 'outlets:' list of outlets")
    outlets = tuple(_outlet(file, position, entry) for position, entry in enumerate(entries))
    owners: dict[tuple[str, str], int] = {}
    for position, (outlet, entry) in enumerate(zip(outlets, entries)):
        forms = [("domain", d) for d in outlet.domains] + [("code", c.casefold()) for c in outlet.codes]
        forms += [("name", form) for name in outlet.names + outlet.context_names for form in derived_forms(name)]
        for kind, form in dict.fromkeys(forms):
            first = owners.setdefault((kind, form), position)
            if first != position:
                raise RulesError(
                    f"{_entry_at(file, entry, position, outlet.name)}: {kind} {form!r} also belongs to "
                    f"{outlets[first].name!r}; a {kind} may belong to one outlet only"
                )
    return _compile(outlets)


_KEYS = {"name", "domains", "names", "context_names", "codes"}


def _entry_at(file: Path, entry: Any, position: int, name: str | None = None) -> str:
    line = entry.lc.line + 1 if hasattr(entry, "lc") else None
    label = f" ({name!r})" if name else ""
    return f"{file}:{line}: outlet {position + 1}{label}" if line else f"{file}: outlet {position + 1}{label}"


def _outlet(file: Path, position: int, entry: Any) -> Outlet:
    if not isinstance(entry, dict):
        raise RulesError(f"{_entry_at(file, entry, position)}: expected a mapping with 'name' and 'domains'")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RulesError(f"{_entry_at(file, entry, position)}: 'name' must be a non-empty text")
    where = _entry_at(file, entry, position, name)
    unknown = sorted(set(map(str, entry)) - _KEYS)
    if unknown:
        raise RulesError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_KEYS))}")

    def texts(key: str, required: bool = False) -> tuple[str, ...]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise RulesError(f"{where}: {key!r} must be a list of non-empty texts")
        if required and not value:
            raise RulesError(f"{where}: {key!r} must list at least one domain")
        return tuple(v.strip() for v in value)

    domains = texts("domains", required=True)
    for domain in domains:
        if registered_domain(domain) != domain:
            raise RulesError(f"{where}: {domain!r} is not a registered domain like 'example.at' (no www., no path)")
    return Outlet(name=name.strip(), domains=domains, names=texts("names"),
                  context_names=texts("context_names"), codes=texts("codes"))


def derived_forms(name: str) -> list[str]:
    """The written forms a name takes in German text: each word in -e may take -n
    (`Süddeutschen Zeitung`), the last word a genitive -s/-es (`des Handelsblatts`)."""
    words = name.split()
    options = []
    for position, word in enumerate(words):
        choices = [word]
        if word.endswith("e"):
            choices.append(word + "n")
        if position == len(words) - 1 and word[-1:].islower() and word[-1] not in "se":
            choices += [word + "s", word + "es"]
        options.append(choices)
    return [" ".join(parts) for parts in product(*options)]


def _name_pattern(name: str) -> str:
    """One name with its derived forms as a regex that RE2 and Python read alike."""
    words = name.split()
    parts = []
    for position, word in enumerate(words):
        part = re.escape(word)
        if word.endswith("e"):
            part += "n?"
        if position == len(words) - 1 and word[-1:].islower() and word[-1] not in "se":
            part += "(?:es|s)?"
        parts.append(part)
    pattern = f"{_S}+".join(parts)
    if name[0].isascii() and (name[0].isalnum()):
        pattern = r"\b" + pattern
    if name[-1].isascii() and name[-1].isalnum():
        pattern += r"\b"
    return pattern


_ARTICLE_RE = "(?:der|dem|den|die|das|Der|Dem|Den|Die|Das)"


def _compile(outlets: tuple[Outlet, ...]) -> Directory:
    by_domain = {domain: index for index, outlet in enumerate(outlets) for domain in outlet.domains}
    anywhere = {form: i for i, o in enumerate(outlets) for name in o.names for form in derived_forms(name)}
    in_context = {form: i for i, o in enumerate(outlets) for name in o.context_names for form in derived_forms(name)}
    by_code = {code.casefold(): i for i, o in enumerate(outlets) for code in o.codes}
    first_words = frozenset(form.split()[0] for form in [*anywhere, *in_context])
    last_words = frozenset(form.split()[-1] for form in [*anywhere, *in_context])
    names = sorted({n for o in outlets for n in o.names}, key=len, reverse=True)
    # One pattern, read alike by RE2 and by Python's re with re.ASCII: no look-arounds, no
    # counted repetitions (they blow up RE2's automaton), the same whitespace. Python checks
    # what RE2 cannot (Unicode word boundaries, lengths).
    branches = [
        # Photo credits (`Foto: APA/Hans Punz`) credit no source of the text.
        r"(?P<photo>\b(?:Fotos?|Bild(?:er)?|Symbolbild|Archivbild|Archivfoto|Titelbild|Grafik|Video|Screenshot)"
        rf"{_S}*:(?:[^\n().]|\.{_NOT_END})*)",
        rf"(?P<quelle>\({_S}*Quellen?{_S}*:[^()\n]+\)|\bQuellen?{_S}*:(?:[^\n.]|\.{_NOT_END})+)",
        # Credit lines: slash or comma separated codes, maybe a date: (sda/dpa/lyn), (APA, 3.12.2024).
        rf"(?P<line>\([A-Za-z][A-Za-z-]*(?:{_S}*[/,;]{_S}*"
        rf"(?:[A-Za-z][A-Za-z.-]*|\d\d?\.{_S}?\d\d?\.(?:{_S}?\d+)?))*\))",
        r"(?P<domain>\b(?:https?://)?(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[a-z][a-z]+\b)",
        "(?P<name>" + "|".join(_name_pattern(name) for name in names) + ")",
        r"(?P<fwd>\b(?:[Ll]aut|[Bb]erichte(?:t|te|ten)|[Mm]elde(?:t|te|ten)|[Ss]chreib(?:t|en)|[Ss]chrieb(?:en)?"
        rf"|[Zz]itier(?:t|te|ten)|[Ii]nterviews?{_S}+mit"
        rf"|[Nn]ach{_S}+(?:eigenen{_S}+)?(?:Angaben|Informationen|Recherchen|Berichten|Darstellung))\b)",
        rf"(?P<weak>\b(?:[Ss]agten?|[Gg]egenüber|[Ss]o){_S}+(?:(?:er|sie|es){_S}+)?{_ARTICLE_RE}{_S})",
        r"(?P<zufolge>\bzufolge\b)",
    ]
    source = "|".join(branches)
    lenient = {}
    for index, outlet in enumerate(outlets):
        forms = sorted({form for name in outlet.names + outlet.context_names for form in derived_forms(name)},
                       key=len, reverse=True)
        if forms:
            alternatives = "|".join(map(re.escape, forms))
            lenient[index] = re.compile(
                rf"(?:(?<![^\W\d_])(?i:der|die|das|dem|den|des)\s+|[{_QUOTES}*_]{{1,2}})(?:{alternatives})(?![^\W\d_])"
            )
    return Directory(
        outlets=outlets, by_domain=by_domain, anywhere=anywhere, in_context=in_context, by_code=by_code,
        first_words=first_words, last_words=last_words, scan=re.compile(source, re.ASCII), scan_source=source,
        lenient=lenient,
    )


# ---------------------------------------------------------------------------------------
# Names and keys


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def compact(text: str) -> str:
    """`Berliner Zeitung`, `berliner-zeitung`, `BERLINER ZEITUNG` -> `berlinerzeitung`."""
    return _NON_ALNUM.sub("", normalise(text))


def _word_stems(word: str) -> set[str]:
    stems = {word}
    if len(word) > 4:
        if word.endswith("es"):
            stems.add(word[:-2])
        if word.endswith(("n", "s")):
            stems.add(word[:-1])
    return stems


@lru_cache(maxsize=65536)
def name_keys(written: str) -> frozenset[str]:
    """Keys a credited name is compared by: compacted, German endings stripped, initials."""
    words = written.split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    if not words:
        return frozenset()
    keys = {compact(" ".join(combination)) for combination in product(*(_word_stems(w) for w in words[:4]))}
    capitals = [w for w in words if w[:1].isupper()]
    if len(capitals) >= 2:
        keys.add(compact("".join(w[0] for w in capitals)))
    return frozenset(key for key in keys if key)


def domain_keys(domain: str) -> frozenset[str]:
    """`berliner-zeitung.de` -> {berlinerzeitung}; `derstandard.at` -> {derstandard, standard}."""
    part = compact(domain.split(".", 1)[0])
    keys = {part}
    for prefix in _DOMAIN_PREFIXES:
        if part.startswith(prefix) and len(part) > len(prefix) + 2:
            keys.add(part[len(prefix):])
    for suffix in _DOMAIN_SUFFIXES:
        if part.endswith(suffix) and len(part) > len(suffix) + 1:
            keys.add(part[: -len(suffix)])
    return frozenset(keys)


@lru_cache(maxsize=65536)
def _press_stem(word: str) -> bool:
    """Does the word end like an outlet's name (`Zeitung`, `Morgenblatt`, `Boten`, `Kuriers`)?"""
    word = word.casefold()
    if word.endswith(_PRESS_ENDINGS):
        return True
    if len(word) > 4 and word[-1] in "ns" and word[:-1].endswith(_PRESS_ENDINGS):
        return True
    return word.endswith("es") and word[:-2].endswith(_PRESS_ENDINGS)


def _press_name(words: list[str]) -> bool:
    """An unknown outlet's name: capitalised words, or the parts of a hyphenated word, that
    end in a press word (`Rheinischen Post`, `Linzer Morgenblatt`, `Traunviertel-Boten`), or
    `Radio` and a name (`Radio Wien`). A single word (`Boulevardpresse`) is no name."""
    if not words or len(words) > 4:
        return False
    parts = [part for word in words for part in word.split("-") if part]
    if len(parts) < 2 or not all(part[:1].isupper() or part[:1].isdigit() for part in parts):
        return False
    if words[0] in _DESCRIPTOR_SET or words[0] in _ARTICLES or parts[0].casefold() in _GENERIC_MODIFIERS:
        return False
    if not (_press_stem(parts[-1]) or words[0] == "Radio"):
        return False
    return not (name_keys(" ".join(words)) & _NOT_PRESS)


# ---------------------------------------------------------------------------------------
# Reading credits around a trigger


_LEAD = re.compile(
    rf"{_S}*(?:(?:er|sie|es){_S}+)?"
    rf"(?:(?:(?:einem|einen|eines|einer|dem|den){_S}+)?"
    rf"(?:Angaben|Informationen|Berichte?n?|Berichts|Recherchen|Meldungen?|Artikel|Interview)"
    rf"{_S}+(?:der|des|von|vom|dem|im|in{_S}+der|aus{_S}+der){_S}+)?"
    rf"(?:(?:heute|gestern|zuerst|zuvor|bereits|nun|jetzt|auch|ebenfalls|am{_S}+[A-Z][a-z]*tag){_S}+)*"
    rf"(?:(?P<art>der|die|das|dem|den|des|Der|Die|Das|Dem|Den|Des|einer|einem|eines){_S}+)?"
    rf"(?:[a-zäöüß][a-zäöüß-]*e[mnrs]?{_S}+){{0,2}}"
    rf"(?:(?P<desc>{'|'.join(sorted(_DESCRIPTORS, key=len, reverse=True))}){_S}+)?"
)
_STOP = re.compile(r"[,;:!?()\[\]\n]|\.(?=\s|$)|\s[-–—]\s")
_OPEN = re.compile(rf"\*\*|__|[{_QUOTES}]")
_WORDS = re.compile(rf"[^\s*{_QUOTES}]+")
_BACK_WORDS = re.compile(rf"[^\s*{_QUOTES},;:!?()]+")
_WIE = re.compile(r"(?<![^\W\d_])[Ww]ie\s+")
_SENTENCE = re.compile(r"(?:^|[.!?:]\s+|\n\s*)(?=\S)")
_VON = re.compile(r"(?<![^\W\d_])von\s+")
_VERB_TRIGGERS = (
    "berichte", "Berichte", "melde", "Melde", "schreib", "Schreib", "schrieb", "Schrieb", "zitier", "Zitier",
)


_PUNCTUATION = ",.;:!?()"
_MARKS = "*_" + _QUOTES
_LEAD_WORDS = frozenset(
    "der die das dem den des einer einem eines einen er sie es Angaben Informationen Bericht Berichten Berichts "
    "Recherchen Meldung Meldungen Artikel Interview von vom im in aus heute gestern zuerst zuvor bereits nun jetzt "
    "auch ebenfalls am Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag Feiertag".split()
)


def _may_name_after(directory: Directory, text: str, position: int) -> bool:
    """Quick test: can an outlet's name start after ``position``? Most triggers (`laut Polizei`,
    `sagte der Bürgermeister`) are rejected here without the full reading."""
    tokens = text[position:position + 90].split(None, 7)
    index = 0
    while index < len(tokens) and (tokens[index] in _LEAD_WORDS or (
            tokens[index][:1].islower() and tokens[index].endswith(("e", "en", "er", "es", "em"))
            and tokens[index] not in directory.first_words)):
        index += 1
    if index >= len(tokens):
        return False
    token = tokens[index]
    if token[0] in _MARKS:
        return True
    token = token.strip(_PUNCTUATION)
    if token in directory.first_words or token in _DESCRIPTOR_SET or token == "Radio":
        return True
    return token[:1].isupper() and any(_press_stem(t.strip(_PUNCTUATION + _MARKS)) for t in tokens[index:index + 4])


def _may_name_before(directory: Directory, text: str, position: int) -> bool:
    """Quick test: can an outlet's name end shortly before ``position``?"""
    for token in text[max(0, position - 90):position].split()[-7:]:
        if token[-1] in _MARKS or token[0] in _MARKS:
            return True
        token = token.strip(_PUNCTUATION)
        if token in directory.last_words or token in _DESCRIPTOR_SET or _press_stem(token):
            return True
    return False


@dataclass
class _Found:
    written: str
    start: int  # in the window
    end: int
    outlet: int | None


def _resolve(directory: Directory, window: str, strength: int, need_article: bool = False) -> _Found | None:
    """The outlet named at the start of ``window`` (after an article, adjectives or a press
    word like `Nachrichtenmagazin`), or None."""
    lead = _LEAD.match(window)
    article, descriptor = lead.group("art"), lead.group("desc")
    if need_article and not article:
        return None
    rest_start = lead.end()
    stop = _STOP.search(window, rest_start)
    rest_end = stop.start() if stop else len(window)
    opened = _OPEN.match(window, rest_start)
    marked = bool(opened) or (article is not None and article[0].isupper())
    if opened:
        close = _OPEN.search(window, opened.end(), rest_end)
        rest_start = opened.end()
        rest_end = close.start() if close else rest_end
    spans = [m.span() for m in _WORDS.finditer(window, rest_start, rest_end)][:5]
    if not spans:
        return None
    words = [window[s:e] for s, e in spans]
    first = words[0]
    plausible = (
        descriptor is not None or first in directory.first_words or first.rstrip(".") in directory.first_words
        or first == "Radio" or (first[:1].isupper() and any(_press_stem(w.rstrip(".")) for w in words))
    )
    if not plausible:
        return None
    if descriptor is not None or (opened and not article):
        strength = STRONG
    capitalised = 0  # leading words that may form an unknown outlet's name
    while capitalised < len(words) and (words[capitalised][:1].isupper() or words[capitalised][:1].isdigit()):
        capitalised += 1
    begin = spans[0][0]
    for count in range(len(words), 0, -1):
        phrase = " ".join(words[:count])
        candidates = (phrase, phrase[:-1]) if phrase.endswith(".") else (phrase,)
        for candidate in candidates:
            end = spans[count - 1][1] - (len(phrase) - len(candidate))
            outlet = directory.anywhere.get(candidate)
            if outlet is not None:
                return _Found(window[begin:end], begin, end, outlet)
            outlet = directory.in_context.get(candidate)
            if outlet is not None:
                if strength == STRONG or marked:
                    return _Found(window[begin:end], begin, end, outlet)
                return None
        if count <= capitalised and _press_name(words[:count - 1] + [candidates[-1].rsplit(" ", 1)[-1]]):
            end = spans[count - 1][1] - (len(phrase) - len(candidates[-1]))
            return _Found(window[begin:end], begin, end, None)
    if descriptor is not None:
        # `das Nachrichtenmagazin Profil`, `die Zeitung „Heute“`: the name that follows.
        run = []
        for (s, e), word in zip(spans, words):
            if not (word[:1].isupper() or word[:1].isdigit() or opened):
                break
            run.append((s, e))
        if run:
            end = run[-1][1] - (1 if window[run[-1][1] - 1] == "." else 0)
            return _Found(window[run[0][0]:end], run[0][0], end, None)
    return None


def _closing(text: str, position: int) -> int:
    """``position`` moved past a closing bold or quote mark."""
    close = _OPEN.match(text, position)
    return close.end() if close else position


def _backward_verb(directory: Directory, text: str, start: int, verb: str) -> tuple[_Found, int] | None:
    """`wie die Berliner Zeitung berichtet`, `Die Krone berichtete`, `von der Bild zitiert`."""
    floor = max(0, start - 100)
    window = text[floor:start]
    anchors = []  # (where the name may start, where the snippet starts, an article is required)
    wie = list(_WIE.finditer(window))
    if wie:
        anchors.append((wie[-1].end(), wie[-1].start(), False))
    if verb.lower().startswith("zitier"):
        von = list(_VON.finditer(window))
        if von:
            anchors.append((von[-1].end(), von[-1].start(), False))
    sentence = list(_SENTENCE.finditer(window))
    if sentence and (sentence[-1].end() > 0 or floor == 0):
        anchors.append((sentence[-1].end(), sentence[-1].end(), True))
    for name_start, snippet_start, need_article in sorted(anchors, reverse=True):
        segment = window[name_start:]
        if len(segment.split()) > 8 or _STOP.search(segment.rstrip()):
            continue
        found = _resolve(directory, segment, STRONG, need_article=need_article)
        if found is not None:
            return found, floor + snippet_start
    return None


def _backward_zufolge(directory: Directory, text: str, start: int) -> tuple[_Found, int] | None:
    """`dem Kurier zufolge`, `einem Bericht der Kleinen Zeitung zufolge`."""
    floor = max(0, start - 100)
    window = text[floor:start]
    tokens = list(_BACK_WORDS.finditer(window))[-6:]
    for count in range(min(5, len(tokens)), 0, -1):
        chosen = tokens[-count:]
        words = [t.group() for t in chosen]
        if words[0] in _ARTICLES or _STOP.search(window, chosen[0].start(), chosen[-1].end()):
            continue
        if window[chosen[-1].end():].strip(" *_" + _QUOTES):
            continue
        phrase = " ".join(words)
        outlet = directory.anywhere.get(phrase, directory.in_context.get(phrase))
        before = tokens[-count - 1].group() if len(tokens) > count else ""
        if outlet is not None or _press_name(words) or (before in _DESCRIPTOR_SET and words[0][:1].isupper()):
            begin = chosen[0].start()
            snippet_start = tokens[-count - 1].start() if before in _ARTICLES | _DESCRIPTOR_SET else begin
            return _Found(phrase, begin, chosen[-1].end(), outlet), floor + snippet_start
    return None


# ---------------------------------------------------------------------------------------
# Scanning texts


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Collector:
    def __init__(self, directory: Directory, text: str):
        self.directory, self.text, self.found = directory, text, []

    def add(self, written: str, snippet: str, outlet: int | None, domain: str | None, credit: bool) -> None:
        written = _clean(written)
        if not written:
            return
        keys = domain_keys(domain) if domain else name_keys(written)
        self.found.append(Mention(written, _clean(snippet)[:120], outlet, domain, keys, credit))

    def found_name(self, found: _Found, offset: int, snippet_start: int, snippet_end: int | None = None) -> None:
        end = _closing(self.text, offset + found.end) if snippet_end is None else snippet_end
        self.add(found.written, self.text[snippet_start:end], found.outlet, None, True)

    def handle(self, match: re.Match) -> None:
        kind, text, directory = match.lastgroup, self.text, self.directory
        start, end = match.span()
        if kind == "photo":
            return
        if kind == "quelle":
            self._quelle(match)
        elif kind == "line":
            tokens = re.split(r"\s*[/,;]\s*", match.group()[1:-1])
            for token in tokens:
                outlet = directory.by_code.get(token.casefold(), directory.anywhere.get(token))
                if outlet is not None:
                    self.add(token, match.group(), outlet, None, True)
        elif kind == "domain":
            self._domain(match)
        elif kind == "name":
            if start and text[start - 1].isalnum() or end < len(text) and text[end].isalnum():
                return
            outlet = directory.anywhere.get(_clean(match.group()))
            if outlet is None:
                return
            credit = True
            if text[end:end + 1] == "-" and text[end + 1:end + 2].isalpha():
                compound = text[end + 1:end + 40].split(None, 1)[0].casefold()
                credit = compound.startswith(_CREDIT_COMPOUNDS)
            elif _REGIONAL_BEFORE.search(text, max(0, start - 30), start):
                # `der Tiroler Tagesspiegel` is another paper than the Tagesspiegel: a mention
                # only; an attribution around it credits the whole name.
                credit = False
            self.add(match.group(), match.group(), outlet, None, credit)
        elif kind in ("fwd", "weak"):
            trigger_end = start + len(match.group().split()[0]) if kind == "weak" else end
            found = None
            if _may_name_after(directory, text, trigger_end):
                found = _resolve(directory, text[trigger_end:trigger_end + 160], STRONG if kind == "fwd" else WEAK)
            if found is not None:
                self.found_name(found, trigger_end, start)
            elif (kind == "fwd" and match.group().startswith(_VERB_TRIGGERS)
                  and _may_name_before(directory, text, start)):
                backward = _backward_verb(directory, text, start, match.group())
                if backward is not None:
                    found, snippet_start = backward
                    self.add(found.written, text[snippet_start:end], found.outlet, None, True)
        elif kind == "zufolge" and _may_name_before(directory, text, start):
            backward = _backward_zufolge(directory, text, start)
            if backward is not None:
                found, snippet_start = backward
                self.add(found.written, text[snippet_start:end], found.outlet, None, True)

    def _quelle(self, match: re.Match) -> None:
        content = match.group().strip("()").split(":", 1)[1]
        stop = re.search(r"\.\s|\n", content)
        content = content[: stop.start()] if stop else content
        for part in re.split(r"\s*(?:[,;/|•&]|\bund\b)\s*", content):
            part = part.strip(" *_." + _QUOTES)
            if not part:
                continue
            domain = registered_domain(part) if "." in part else None
            known = self.directory
            outlet = known.by_code.get(part.casefold(), known.anywhere.get(part, known.in_context.get(part)))
            if domain:
                self.add(part, match.group(), known.by_domain.get(domain), domain, True)
            elif outlet is not None or _press_name(part.split()):
                self.add(part, match.group(), outlet, None, True)

    def _domain(self, match: re.Match) -> None:
        text = self.text
        start, end = match.span()
        if start and (text[start - 1].isalnum() or text[start - 1] in "@.-/_") or end < len(text) and (
                text[end].isalnum() or text[end] == "@"):
            return
        host = match.group()
        domain = registered_domain(host)
        if domain is None:
            return
        written = host.split("://", 1)[-1]
        outlet = self.directory.by_domain.get(domain)
        name, suffix = domain.split(".", 1)
        institution = (suffix in _INSTITUTION_SUFFIXES or suffix.startswith(("gv.", "gov."))
                       or domain in _INSTITUTION_DOMAINS)
        before = text[max(0, start - 40):start]
        last = before.rstrip(" ")[-1:]
        marked_before = bool(last) and last in _QUOTES + "*_"
        trigger = _DOMAIN_TRIGGER_BEFORE.search(before) or _DOMAIN_TRIGGER_AFTER.match(text, _closing(text, end))
        credit = not institution and bool(
            outlet is not None or marked_before or trigger or any(part in name for part in _PRESSY_DOMAIN_PARTS)
        )
        snippet_start = start
        if trigger is not None and trigger.re is _DOMAIN_TRIGGER_BEFORE:
            snippet_start = max(0, start - 40) + trigger.start()
        elif marked_before:
            snippet_start = start - (len(before) - len(before.rstrip("*_" + _QUOTES)))
        self.add(written, text[snippet_start:_closing(text, end)], outlet, domain, credit)


_REGIONAL_BEFORE = re.compile(r"(?<![^\W\d_])[A-ZÄÖÜ][a-zäöüß]+er[ \u00a0]$")
_DOMAIN_TRIGGER_BEFORE = re.compile(
    r"(?<![^\W\d_])"
    r"(?:[Ll]aut|[Vv]on|vom|[Bb]erichte\w*|[Mm]elde\w*|schreibt|schrieb|[Zz]itier\w*|gegenüber|Quellen?:|via)"
    r"\s+(?:(?:der|die|das|dem|den|des|Portal|Nachrichtenportal|Onlineportal|Website|Webseite|Seite)\s+){0,2}"
    rf"[*_{_QUOTES}]*$"
)
_DOMAIN_TRIGGER_AFTER = re.compile(r"\s*(?:zufolge|berichte|meldete|meldet|schreibt|schrieb)")


def scan_texts(texts: list[Any], directory: Directory | None = None) -> list[list[Mention]]:
    """The outlets each text names, in text order. RE2 (pyarrow) finds where a credit may
    start; Python reads each such place with the same pattern."""
    directory = directory or load_outlets()
    results: list[list[Mention]] = [[] for _ in texts]
    strings = [t if isinstance(t, str) and t else None for t in texts]
    if not any(strings):
        return results
    try:
        array = pa.array(strings, type=pa.large_string())
    except (pa.ArrowException, UnicodeError):
        # Lone surrogates (from JSON escapes) are not UTF-8: each becomes one `?`, so
        # positions stay the same.
        strings = [s.encode("utf-8", "replace").decode("utf-8") if s else s for s in strings]
        array = pa.array(strings, type=pa.large_string())
    pieces = pc.split_pattern_regex(array, pattern=directory.scan_source)
    offsets = np.asarray(pieces.offsets, dtype=np.int64)
    lengths = np.asarray(pc.utf8_length(pieces.values).fill_null(0), dtype=np.int64)
    scan = directory.scan
    for row in np.nonzero(np.diff(offsets) > 1)[0].tolist():
        text = strings[row]
        collector = _Collector(directory, text)
        piece_lengths = lengths[offsets[row]:offsets[row + 1]].tolist()
        position = piece_lengths[0]
        for length in piece_lengths[1:]:
            match = scan.match(text, position)
            if match is None:  # the engines disagreed here: read the rest of this text with Python alone
                for match in scan.finditer(text, position):
                    collector.handle(match)
                break
            collector.handle(match)
            position = match.end() + length
        results[row] = collector.found
    return results


# ---------------------------------------------------------------------------------------
# Sources and the verdict


@lru_cache(maxsize=65536)
def parse_sources(value: str, directory: Directory | None = None) -> tuple[Source, ...]:
    """The well-formed domains of a sources value, once each (malformed tokens are
    `sources-well-formed`'s business and are skipped here)."""
    directory = directory or load_outlets()
    seen: dict[str, Source] = {}
    for token in split_sources(value):
        domain = registered_domain(token)
        if domain and domain not in seen:
            seen[domain] = Source(token, domain, directory.by_domain.get(domain), domain_keys(domain))
    return tuple(seen.values())


def _same(mention: Mention, source: Source) -> bool:
    if mention.outlet is not None and mention.outlet == source.outlet:
        return True
    if mention.domain is not None and mention.domain == source.domain:
        return True
    return not mention.keys.isdisjoint(source.keys)


def _credits(mentions: list[Mention]) -> list[Mention]:
    """One credit per outlet, in text order, with the most telling snippet."""
    chosen: dict[Any, Mention] = {}
    for mention in mentions:
        if not mention.credit:
            continue
        identity = ("outlet", mention.outlet) if mention.outlet is not None else (
            ("domain", mention.domain) if mention.domain else ("name", min(mention.keys, default=mention.written)))
        current = chosen.get(identity)
        if current is None:
            chosen[identity] = mention
        elif len(mention.snippet) > len(current.snippet):
            chosen[identity] = Mention(current.written, mention.snippet, current.outlet, current.domain,
                                       current.keys, True)
    return list(chosen.values())


class _Lenient:
    """Looser evidence that the text names a source, asked only for sources no mention
    matched: a known outlet's name after an article or marked (`die Krone`, `„Zeit“`),
    or a long domain name written out anywhere (`Kleine Zeitung` for kleinezeitung.at)."""

    def __init__(self, directory: Directory, texts: list[str]):
        self.directory, self.texts, self._compact = directory, texts, None

    def names(self, source: Source) -> bool:
        if source.outlet is not None:
            pattern = self.directory.lenient.get(source.outlet)
            if pattern is not None and any(pattern.search(text) for text in self.texts):
                return True
        long_keys = [key for key in source.keys if len(key) >= 7]
        if long_keys:
            if self._compact is None:
                self._compact = " ".join(compact(text) for text in self.texts)
            return any(key in self._compact for key in long_keys)
        return False


def _quoted(items: Iterable[str]) -> str:
    return ", ".join(repr(item) for item in items)


def _named(credits: list[Mention], directory: Directory) -> str:
    """`'dpa' (Deutsche Presse-Agentur), 'Kurier'`: the written form, and the outlet's name
    where the written form does not show it."""
    named = []
    for credit in credits:
        text = repr(credit.written)
        if credit.outlet is not None:
            name = directory.outlets[credit.outlet].name
            if credit.written.casefold() not in name.casefold():
                text += f" ({name})"
        named.append(text)
    return ", ".join(named)


def judge_row(sources: tuple[Source, ...], mentions: list[Mention], texts: list[str],
              directory: Directory) -> dict | None:
    credits = _credits(mentions)
    missing = [c for c in credits if not any(_same(c, s) for s in sources)]
    listed = [c for c in credits if c not in missing]
    lenient = _Lenient(directory, texts)
    unmatched = [s for s in sources if not any(_same(m, s) for m in mentions) and not lenient.names(s)]
    if not missing and not unmatched:
        return None
    parts = []
    if missing:
        them = "it" if len(missing) == 1 else "them"
        parts.append(f"the article credits {_named(missing, directory)} but sources does not list {them}")
    if unmatched:
        tokens = _quoted(s.token for s in unmatched)
        if credits:
            them = "it" if len(unmatched) == 1 else "them"
            parts.append(f"sources lists {tokens} but the article never credits {them}")
        else:
            parts.append(f"sources lists {tokens} but the article credits no outlet at all")
    return {
        "message": "; ".join(parts),
        "snippet": missing[0].snippet if missing else unmatched[0].token,
        "evidence": {
            "credited_not_in_sources": [c.written for c in missing],
            "sources_not_credited": [s.token for s in unmatched],
            "credited_and_in_sources": [c.written for c in listed],
        },
    }


def find_uncredited_sources(values: pd.Series, bodies: pd.Series, titles: pd.Series | None = None) -> pd.Series:
    """Per row: None when the outlets the text credits and the domains in `sources` match,
    else a dict naming the credited outlets missing from sources and the sources the text
    never credits.

    ``bodies`` and ``titles`` are aligned with ``values`` by index. When the text credits no
    outlet at all, every source is unmatched and the row fails: the article must say whose
    reporting it rewrites, or sources is wrong. Rows without any text get an info note;
    sources without a single well-formed domain are left to `sources-well-formed`."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    directory = load_outlets()
    bodies = bodies.reindex(values.index).tolist()
    titles = titles.reindex(values.index).tolist() if titles is not None else [None] * len(bodies)
    body_mentions = scan_texts(bodies, directory)
    title_mentions = scan_texts(titles, directory)
    details: list[dict | None] = []
    for value, title, body, in_title, in_body in zip(values.tolist(), titles, bodies, title_mentions, body_mentions):
        sources = parse_sources(str(value), directory)
        texts = [t for t in (title, body) if isinstance(t, str) and t.strip()]
        if not sources:
            details.append(None)
        elif not texts:
            details.append({"level": "info", "message": "no article text to match the sources against"})
        else:
            details.append(judge_row(sources, in_title + in_body, texts, directory))
    return pd.Series(details, index=values.index, dtype=object)
