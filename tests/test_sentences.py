"""The package's one sentence splitter: where German news sentences begin and end."""

from __future__ import annotations

import pytest

from auditor.text.sentences import sentence_spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, start, end)]


def test_sentences_split_at_agency_tags_but_not_at_ordinals_or_initials():
    text = "Am 4. Mai sprach J. Smith in Wien. Das war neu. (APA, 4.5.2024) Folgen Sie uns."
    assert sentences(text) == ["Am 4. Mai sprach J. Smith in Wien.", "Das war neu.", "(APA, 4.5.2024)", "Folgen Sie uns."]


@pytest.mark.parametrize("text, expected", [
    # abbreviations, also one after another, do not end a sentence
    ("Dr. Müller und Prof. Dr. Huber sprachen z. B. über Art. 5 der Satzung. Danach ging es um die Nr. 12 der Liste.",
     ["Dr. Müller und Prof. Dr. Huber sprachen z. B. über Art. 5 der Satzung.", "Danach ging es um die Nr. 12 der Liste."]),
    # a year ends a sentence, an ordinal (one or two digits) does not; a longer number does
    ("Im Jahr 2015. Dann 1. 2. 3. Vier. 12345. Ende.", ["Im Jahr 2015.", "Dann 1. 2. 3. Vier.", "12345.", "Ende."]),
    # runs of end punctuation and closing quotes stay with their sentence
    ("Fünf... Sechs?! „Sieben.“ Acht.", ["Fünf...", "Sechs?!", "„Sieben.“", "Acht."]),
    # a sentence goes on where the next word is written small
    ("Ein Satz ohne Ende ... und weiter! Noch einer? (Mit Klammer.) Schluss.",
     ["Ein Satz ohne Ende ... und weiter!", "Noch einer?", "(Mit Klammer.)", "Schluss."]),
    # a bracket ends a sentence only when it closes an agency or author tag
    ("Der Rest (ohne Tag) Folgt. Acht (sda/dpa) Neun (red) Zehn.",
     ["Der Rest (ohne Tag) Folgt.", "Acht (sda/dpa)", "Neun (red)", "Zehn."]),
    # single letters are initials; a lone period is a sentence of its own
    (". Beginnt mit Punkt. A. B. C. Evang. Kirche. Bspw. so.",
     [".", "Beginnt mit Punkt.", "A. B. C. Evang. Kirche.", "Bspw. so."]),
    # the last sentence needs no end punctuation
    ("Eine sehr lange Wortkette. Ein Ende", ["Eine sehr lange Wortkette.", "Ein Ende"]),
])
def test_sentence_boundaries(text, expected):
    assert sentences(text) == expected


def test_white_space_between_sentences_belongs_to_none():
    text = "Zwei  Leerzeichen.  Und\u00a0Sonderzeichen.\tTab. Ja."
    assert sentences(text) == ["Zwei  Leerzeichen.", "Und\u00a0Sonderzeichen.", "Tab.", "Ja."]
    assert sentence_spans("   ") == [] and sentence_spans("") == []


def test_spans_of_a_slice_are_positions_in_the_whole_text():
    text = "Vorne. Erster Satz. Zweiter Satz. Hinten."
    start, end = text.index("Erster"), text.index(" Hinten")
    assert sentence_spans(text, start, end) == [(7, 19), (20, 33)]
    assert sentences(text, start, end) == ["Erster Satz.", "Zweiter Satz."]


def test_a_line_break_is_white_space_between_sentences():
    assert sentences("Erster Satz.\nZweiter Satz.") == ["Erster Satz.", "Zweiter Satz."]
