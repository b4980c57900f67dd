"""Reading a credit around a trigger: the outlet named after `laut`, `berichtete`, `sagte
der` (`laut einem Bericht der Kleinen Zeitung`), or before `berichtet`, `zufolge` (`wie die
Zeit berichtet`, `dem Standard zufolge`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from auditor.text.outlets.directory import Directory
from auditor.text.outlets.names import article_forms, press_name, press_stem
from auditor.text.outlets.patterns import MARKS, OPENING, PUNCTUATION, QUOTES, SPACE, alternatives
from auditor.text.outlets.vocabulary import load_attribution_words, load_press_words

# How sure the trigger is: after `laut` any known name credits; after `sagte der` only an
# unambiguous name or one marked as a title.
STRONG, WEAK = 2, 1

_STOP = re.compile(r"[,;:!?()\[\]\n]|\.(?=\s|$)|\s[-–—]\s")
_WORDS = re.compile(rf"[^\s*{QUOTES}]+")
_BACK_WORDS = re.compile(rf"[^\s*{QUOTES},;:!?()]+")
_WIE = re.compile(r"(?<![^\W\d_])[Ww]ie\s+")
_VON = re.compile(r"(?<![^\W\d_])von\s+")
# Where the subject of `… berichtete` may begin: after end punctuation, a colon (`Reuters:
# Die Krone berichtete`) or a line break, within the short window before the verb. Not
# auditor.text.sentences: that splits whole texts and tells abbreviations from sentence
# ends; here a wrong start costs nothing, as the name must still follow it with an article.
_SENTENCE = re.compile(r"(?:^|[.!?:]\s+|\n\s*)(?=\S)")


@lru_cache(maxsize=1)
def _lead() -> re.Pattern:
    """What may stand between a trigger and the name: `laut einem Bericht der`, `berichtete
    am Montag die`, `wie das renommierte Nachrichtenmagazin`. Group ``art``: the article,
    ``desc``: a press word introducing the name."""
    words, s = load_attribution_words(), SPACE
    name_articles = article_forms() | words.indefinite_articles
    return re.compile(
        rf"{s}*(?:{alternatives(words.pronouns)}{s}+)?"
        rf"(?:(?:{alternatives(words.report_articles)}{s}+)?{alternatives(words.report_nouns)}"
        rf"{s}+{alternatives(words.report_links)}{s}+)?"
        rf"(?:(?:{alternatives(words.lead_adverbs)}|am{s}+[A-Z][a-z]*tag){s}+)*"
        rf"(?:(?P<art>{alternatives(name_articles)}){s}+)?"
        rf"(?:[a-zäöüß][a-zäöüß-]*e[mnrs]?{s}+){{0,2}}"
        rf"(?:(?P<desc>{alternatives(load_press_words().descriptors)}){s}+)?"
    )


def may_name_after(directory: Directory, text: str, position: int) -> bool:
    """Quick test: can an outlet's name start after ``position``? Most triggers (`laut Polizei`,
    `sagte der Bürgermeister`) are rejected here without the full reading."""
    skipped, press = load_attribution_words().quick_test_words, load_press_words()
    tokens = text[position:position + 90].split(None, 7)
    index = 0
    while index < len(tokens) and (tokens[index] in skipped or (
            tokens[index][:1].islower() and tokens[index].endswith(("e", "en", "er", "es", "em"))
            and tokens[index] not in directory.first_words)):
        index += 1
    if index >= len(tokens):
        return False
    token = tokens[index]
    if token[0] in MARKS:
        return True
    token = token.strip(PUNCTUATION)
    if token in directory.first_words or token in press.descriptors or token in press.press_name_starts:
        return True
    return token[:1].isupper() and any(press_stem(t.strip(PUNCTUATION + MARKS)) for t in tokens[index:index + 4])


def may_name_before(directory: Directory, text: str, position: int) -> bool:
    """Quick test: can an outlet's name end shortly before ``position``?"""
    descriptors = load_press_words().descriptors
    for token in text[max(0, position - 90):position].split()[-7:]:
        if token[-1] in MARKS or token[0] in MARKS:
            return True
        token = token.strip(PUNCTUATION)
        if token in directory.last_words or token in descriptors or press_stem(token):
            return True
    return False


@dataclass
class Found:
    written: str
    start: int  # in the window
    end: int
    outlet: int | None


def resolve(directory: Directory, window: str, strength: int, need_article: bool = False) -> Found | None:
    """The outlet named at the start of ``window`` (after an article, adjectives or a press
    word like `Nachrichtenmagazin`), or None."""
    lead = _lead().match(window)
    article, descriptor = lead.group("art"), lead.group("desc")
    if need_article and not article:
        return None
    rest_start = lead.end()
    stop = _STOP.search(window, rest_start)
    rest_end = stop.start() if stop else len(window)
    opened = OPENING.match(window, rest_start)
    marked = bool(opened) or (article is not None and article[0].isupper())
    if opened:
        close = OPENING.search(window, opened.end(), rest_end)
        rest_start = opened.end()
        rest_end = close.start() if close else rest_end
    spans = [m.span() for m in _WORDS.finditer(window, rest_start, rest_end)][:5]
    if not spans:
        return None
    words = [window[s:e] for s, e in spans]
    first = words[0]
    plausible = (
        descriptor is not None or first in directory.first_words or first.rstrip(".") in directory.first_words
        or first in load_press_words().press_name_starts
        or (first[:1].isupper() and any(press_stem(w.rstrip(".")) for w in words))
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
                return Found(window[begin:end], begin, end, outlet)
            outlet = directory.in_context.get(candidate)
            if outlet is not None:
                if strength == STRONG or marked:
                    return Found(window[begin:end], begin, end, outlet)
                return None
        if count <= capitalised and press_name(words[:count - 1] + [candidates[-1].rsplit(" ", 1)[-1]]):
            end = spans[count - 1][1] - (len(phrase) - len(candidates[-1]))
            return Found(window[begin:end], begin, end, None)
    if descriptor is not None:
        # `das Nachrichtenmagazin Profil`, `die Zeitung „Heute“`: the name that follows.
        run = []
        for (s, e), word in zip(spans, words):
            if not (word[:1].isupper() or word[:1].isdigit() or opened):
                break
            run.append((s, e))
        if run:
            end = run[-1][1] - (1 if window[run[-1][1] - 1] == "." else 0)
            return Found(window[run[0][0]:end], run[0][0], end, None)
    return None


def backward_verb(directory: Directory, text: str, start: int, verb: str) -> tuple[Found, int] | None:
    """`wie die Berliner Zeitung berichtet`, `Die Krone berichtete`, `von der Bild zitiert`."""
    floor = max(0, start - 100)
    window = text[floor:start]
    anchors = []  # (where the name may start, where the snippet starts, an article is required)
    wie = list(_WIE.finditer(window))
    if wie:
        anchors.append((wie[-1].end(), wie[-1].start(), False))
    if verb.lower() in load_attribution_words().quote_verbs:
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
        found = resolve(directory, segment, STRONG, need_article=need_article)
        if found is not None:
            return found, floor + snippet_start
    return None


def backward_zufolge(directory: Directory, text: str, start: int) -> tuple[Found, int] | None:
    """`dem Kurier zufolge`, `einem Bericht der Kleinen Zeitung zufolge`."""
    articles, descriptors = article_forms(), load_press_words().descriptors
    floor = max(0, start - 100)
    window = text[floor:start]
    tokens = list(_BACK_WORDS.finditer(window))[-6:]
    for count in range(min(5, len(tokens)), 0, -1):
        chosen = tokens[-count:]
        words = [t.group() for t in chosen]
        if words[0] in articles or _STOP.search(window, chosen[0].start(), chosen[-1].end()):
            continue
        if window[chosen[-1].end():].strip(" *_" + QUOTES):
            continue
        phrase = " ".join(words)
        outlet = directory.anywhere.get(phrase, directory.in_context.get(phrase))
        before = tokens[-count - 1].group() if len(tokens) > count else ""
        if outlet is not None or press_name(words) or (before in descriptors and words[0][:1].isupper()):
            begin = chosen[0].start()
            snippet_start = tokens[-count - 1].start() if before in articles or before in descriptors else begin
            return Found(phrase, begin, chosen[-1].end(), outlet), floor + snippet_start
    return None
