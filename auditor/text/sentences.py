"""Where the sentences of a German news text begin and end.

The one sentence splitter of the package: furniture matching, the other-story check and
the evidence excerpts all cut text with it, so they agree on what a sentence is.
"""

from __future__ import annotations

import re

# A sentence ends at end punctuation (and closing quotes or brackets), or at the ")" of an
# agency tag, followed by white space and a capital, a digit or an opening quote. Written to
# start with one character class (faster to scan for than an alternation) and with two groups,
# so that ``split`` hands over the text, the punctuation and the white space of each candidate
# without a match object each.
_SENTENCE_END = re.compile(
    r"([.!?…)](?:(?<=[.!?…])[.!?…]*[\"“”»«')\]]*|(?<=\))))(\s+)(?=[\"„“«»‚(]?[A-ZÄÖÜ0-9])"
)
# An agency or author tag closes a story without a period: "(APA, 4.12.2024)", "(sda/dpa)", "(red)".
_TAG = re.compile(r"[^()]{0,60}[\d,/][^()]{0,60}|[a-zäöü. ]{2,12}")
# A period after these does not end a sentence: abbreviations, initials ("J. Smith",
# "z. B."), ordinals and dates ("am 4. Mai", "1.4.").
_ABBREVIATIONS = frozenset("""
dr prof st nr bzw ca vgl etc mio mrd abs art str hr fr jh ggf inkl evtl usw bd mag ing dipl tel co mr mrs ms jr sen
gen bsp kap ziff lt gem zit pkt abg min max mind sog zb ua dh va od bspw ff evang kath
""".split())
# Whether a period ends a sentence depends on the letters or digits right before it, and only
# on the last few: a longer word is no abbreviation, three digits are a year ("2015."), two or
# fewer an ordinal. So the decision is cached per text of that many characters before the period.
_PERIOD_CONTEXT = max(3, max(map(len, _ABBREVIATIONS)) + 1)
_PERIOD_ENDS: dict[str, bool] = {}


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text[start:end]``, in body positions."""
    end = len(text) if end is None else end
    segment = text if start == 0 and end == len(text) else text[start:end]
    # text, punctuation, white space, text, punctuation, white space, ..., text
    pieces = _SENTENCE_END.split(segment)
    spans: list[tuple[int, int]] = []
    begin = position = start
    period_ends = _PERIOD_ENDS.get
    for piece, punctuation, space in zip(pieces[::3], pieces[1::3], pieces[2::3]):
        stop = position + len(piece)
        position = stop + len(punctuation) + len(space)
        if punctuation[0] == ".":
            # The characters before the period, back to the white space the piece starts after
            # at most: the same as back to the sentence's beginning (see _PERIOD_CONTEXT).
            before = piece[-_PERIOD_CONTEXT:]
            ends = period_ends(before)
            if ends is None:
                ends = _ends_sentence(before, 0, len(before))
                if len(_PERIOD_ENDS) < 200_000:
                    _PERIOD_ENDS[before] = ends
            if not ends:
                continue
        elif punctuation == ")":
            opening = text.rfind("(", max(begin, stop - 80), stop)
            if opening == -1 or not _TAG.fullmatch(text, opening + 1, stop):
                continue
        spans.append((begin, stop + len(punctuation)))
        begin = position
    if begin < end and text[begin:end].strip():
        spans.append((begin, end))
    return spans


def _ends_sentence(text: str, begin: int, stop: int) -> bool:
    """Does the period at ``stop`` end a sentence (not an abbreviation, initial or ordinal)?"""
    word_start = stop
    while word_start > begin and text[word_start - 1].isalpha():
        word_start -= 1
    word = text[word_start:stop]
    if word:
        return len(word) > 1 and word.lower() not in _ABBREVIATIONS
    digits = stop
    while digits > begin and text[digits - 1].isdigit():
        digits -= 1
    return stop - digits > 2 or stop == digits  # a year ("2015.") ends a sentence, "4." does not
