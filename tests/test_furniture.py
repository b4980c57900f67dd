"""body-without-furniture: page furniture and a glued-on story in the body, through the pure
function, the patterns file and its validation, real GX runs, and the seed pages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import RulesError
from auditor.expectations.furniture import ExpectColumnValuesToBeFreeOfFurniture
from auditor.extract import extract_page
from auditor.rules import load_rules
from auditor.text.furniture.repeats import count_rows
from auditor.text.furniture import (
    DEFAULT_PATTERNS,
    analyse_body,
    FurnitureSettings,
    find_furniture,
    furniture_possible,
    load_furniture,
)
from auditor.text.furniture import coherence as coherence_module
from auditor.text.furniture import prefilter as prefilter_module
from auditor.text.words import stem
from auditor.yamldoc import load_validated
from tests.conftest import one_rule_file, audit_records, findings_of

RULE = "body-without-furniture"
EXPECTATION = "expect_column_values_to_be_free_of_furniture"

# An article written for these tests: a flood in a valley town, one topic throughout.
FLOOD = [
    "Nach tagelangem Starkregen ist die Saalach in Unterweißbach über die Ufer getreten.",
    "Die Feuerwehr von Unterweißbach evakuierte in der Nacht rund 40 Häuser am Flussufer.",
    "Bürgermeisterin Renate Gschwandtner sprach von dem schwersten Hochwasser seit 2002.",
    "Die Saalach erreichte am Morgen einen Pegelstand von 4,20 Metern.",
    "Mehrere Keller in Unterweißbach standen bis zur Decke unter Wasser, die Feuerwehr pumpte sie aus.",
    "Gschwandtner kündigte an, die Gemeinde werde betroffenen Familien mit einem Hochwasserfonds helfen.",
    "Die Bundesstraße entlang der Saalach bleibt bis auf Weiteres gesperrt.",
    "Für die kommenden Tage rechnen die Meteorologen mit weiterem Regen über dem Tal.",
]
# A teaser of an unrelated story: a football transfer.
TRANSFER = [
    "Stürmer Kofi Mensah wechselt zum FC Rotbach.",
    "Der ghanaische Angreifer unterschreibt beim Zweitligisten einen Vertrag bis 2028.",
    "Rotbach-Trainer Milan Horvat lobt seine Schnelligkeit und seine Torgefahr im Strafraum.",
]


def clip(text: str) -> str:
    """A span as findings show it: cut to 200 characters with an ellipsis."""
    return text if len(text) <= 200 else text[:199] + "…"


def one(body: str):
    return find_furniture(pd.Series([body])).iloc[0]


def parts(detail) -> list[dict]:
    return list((detail or {}).get("parts", []))


def kinds(detail) -> set[str]:
    return {kind for part in parts(detail) for kind in part["evidence"]["kind"]}


def spanned(body: str, part: dict) -> str:
    """The text a part's span covers, after checking that its lines are those of the span."""
    start, end = part["span"]
    assert 0 <= start < end <= len(body)
    first = body.count("\n", 0, start) + 1
    assert part["lines"] == [first, first + body[start:end].count("\n")]
    assert part["snippet"] == clip(body[start:end])
    return body[start:end]


def assert_spans(body: str, detail) -> None:
    """Every part has a span and lines that agree with its snippet; the parts come in body
    order without overlapping; a detail of one part has that part's span."""
    found = parts(detail)
    for part in found:
        spanned(body, part)
    assert all(a["span"][1] <= b["span"][0] for a, b in zip(found, found[1:]))
    if len(found) == 1:
        assert detail["span"] == found[0]["span"] and detail["lines"] == found[0]["lines"]


# --- ordinary news text passes -------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Der Eintritt zum Stadtfest kostet 5 Euro, Kinder zahlen die Hälfte.",
    "Ein Ticket für die Seilbahn kostet heuer 32 Franken.",
    "Der Minister kommentierte die Entscheidung am Abend nur knapp.",
    "Auf Twitter schrieb die Bürgermeisterin, sie sei erleichtert.",
    "Die Partei verschickt ihren Newsletter seit Jahren an 20.000 Mitglieder.",
    "Die Plattform hat die Kommentarfunktion unter Videos von Kindern abgeschaltet, teilte ein Sprecher mit.",
    "Folgen hatte der Streit für die Koalition vorerst keine.",
    "Zu den Spenden sagte der Kassier, man habe bei dem Fest 3.000 Euro gesammelt.",
    "Der Verlag kündigte an, sein Abo-Modell im Herbst umzustellen.",
    "Das Foto zeigt den Angeklagten beim Betreten des Gerichtssaals.",
    "Die Feuerwehr stellte die Einsatzberichte zum Herunterladen auf ihre Internetseite.",
    "Mehr als 300 Helfer waren im Einsatz, die Themen der Sitzung am Montag sind Dämme und Pumpen.",
    "Für den Wiederaufbau brauchen wir Ihre Unterstützung, sagte die Bürgermeisterin.",
    "Der nächste Beitrag der Gemeinde zum Hochwasserfonds soll im Herbst fließen.",
])
def test_news_sentences_that_mention_prices_comments_and_social_media_pass(sentence):
    flat = " ".join(FLOOD[:4] + [sentence] + FLOOD[4:])
    assert one(flat) is None
    assert one("\n\n".join([" ".join(FLOOD[:4]), sentence, " ".join(FLOOD[4:])])) is None


def test_long_coherent_article_passes_flat_and_in_paragraphs():
    assert one(" ".join(FLOOD)) is None
    assert one("\n\n".join(" ".join(FLOOD[i:i + 2]) for i in range(0, len(FLOOD), 2))) is None


@pytest.mark.parametrize("value", [None, "", "   ", "Kurz."])
def test_empty_and_tiny_bodies_pass(value):
    assert find_furniture(pd.Series([value], dtype=object)).iloc[0] is None


# --- each kind of furniture is found, with its span as the snippet --------------------------

@pytest.mark.parametrize("kind, furniture", [
    ("donation", "Unterstützen Sie unseren Journalismus mit einem Beitrag Ihrer Wahl."),
    ("donation", "Willst du unsere Arbeit unterstützen? Jetzt spenden"),
    ("price", "5 Euro\n12,50 Euro\nBetrag frei wählen"),
    ("comment", "Die Kommentarfunktion ist für diesen Beitrag geschlossen."),
    ("comment", "Die Kommentarfunktion für diesen Artikel wurde deaktiviert."),
    ("comment", "27 Kommentare"),
    ("newsletter", "Abonnieren Sie jetzt unseren täglichen Newsletter!"),
    ("social", "Folgt uns auf Instagram und TikTok"),
    ("teaser", "Lesen Sie auch: Warum die Mieten in der Stadt weiter steigen"),
    ("footer", "© 2025 Talpost Medien GmbH. Alle Rechte vorbehalten."),
    ("footer", "Besuchen Sie uns auf: www.talpost-beispiel.at"),
    ("paywall", "Dieser Artikel ist nur für Abonnentinnen und Abonnenten."),
    ("consent", "Um diesen Inhalt von YouTube anzuzeigen, brauchen wir Ihre Zustimmung."),
    ("embed", "Posted by Talpost on Friday, June 12, 2026"),
    ("donation", "Gefällt Ihnen unser Lokalteil? Dann unterstützen Sie unsere Redaktion mit einem Beitrag."),
    ("download", "Diese Broschüre als PDF herunterladen"),
    ("download", "Download (2,4 MB)"),
    ("navigation", "Schlagwörter: Hochwasser, Saalach, Feuerwehr"),
    ("navigation", "Vorheriger Beitrag: Neue Brücke über die Salzach eröffnet"),
    ("disclaimer", "Dieser Gastbeitrag gibt ausschließlich die Meinung des Verfassers wieder."),
    ("disclaimer", "Dies ist Teil 3 unserer Serie über die Täler im Pinzgau."),
    ("byline", "Text: Renate Ortner"),
])
def test_each_kind_of_furniture_on_its_own_lines_is_flagged(kind, furniture):
    body = "\n\n".join([" ".join(FLOOD[:4]), " ".join(FLOOD[4:]), furniture])
    detail = one(body)
    [part] = parts(detail)
    assert kind in part["evidence"]["kind"]
    assert part["snippet"] == clip(furniture)
    assert spanned(body, part) == furniture
    assert " in the body: " in part["message"]


@pytest.mark.parametrize("kind, sentence", [
    ("newsletter", "Melden Sie sich hier für unseren Newsletter an."),
    ("social", "Folgen Sie uns auf Facebook."),
    ("donation", "Unterstütze uns mit einer Spende."),
    ("paywall", "Dieser Artikel ist exklusiv für Abonnenten."),
])
def test_sentence_shaped_furniture_inside_a_flat_body_is_flagged(kind, sentence):
    body = " ".join(FLOOD[:5] + [sentence] + FLOOD[5:])
    [part] = parts(one(body))
    assert kind in part["evidence"]["kind"] and part["snippet"] == sentence


def test_navigation_and_image_credit_lines_at_the_top():
    body = "Startseite › Chronik › Salzburg\n" + "Die Feuerwehr im Einsatz am Flussufer. Foto: Talpost/Archiv\n\n" + " ".join(FLOOD)
    detail = one(body)
    assert [part["evidence"]["kind"] for part in parts(detail)] == [["navigation"], ["credit"]]
    navigation, credit = parts(detail)
    # The caption belongs to the story: a note with its span, not a warning.
    assert credit["level"] == "info" and "level" not in navigation
    start, end = credit["span"]
    assert body[start:end] == "Die Feuerwehr im Einsatz am Flussufer. Foto: Talpost/Archiv"


def test_a_body_whose_only_furniture_is_a_caption_passes_with_a_note():
    body = " ".join(FLOOD[:4]) + "\nDie Saalach am Freitagmorgen. (Foto: Talpost/Archiv)\n" + " ".join(FLOOD[4:])
    detail = one(body)
    assert detail["level"] == "info" and [part["level"] for part in parts(detail)] == ["info"]


def test_a_copyright_line_with_a_year_is_the_footer_not_a_credit():
    detail = one(" ".join(FLOOD) + "\n© 2026 Talpost Medien GmbH")
    [part] = parts(detail)
    assert part["evidence"]["kind"] == ["footer"] and "level" not in part


def test_donation_box_with_prices_is_one_finding_and_link_text_joins_it():
    box = "Danke für deine Unterstützung!\nWürdest du gerne unsere Redaktion unterstützen? Mehr erfahren\n5 Euro\n10 Euro\nAnderer\nOder unterstütze uns per Überweisung."
    detail = one(" ".join(FLOOD) + "\n\n" + box)
    [part] = parts(detail)
    assert part["evidence"]["kind"] == ["donation", "price"]
    assert part["snippet"] == box
    assert part["message"].startswith("donation appeal in the body: 'Danke für deine Unterstützung!'")


# --- coherence: another story at the end ------------------------------------------------------

def test_appended_teaser_of_another_story_is_flagged_with_the_teaser_as_snippet():
    teaser = "\n".join(TRANSFER)
    body = "\n\n".join([" ".join(FLOOD[:3]), " ".join(FLOOD[3:6]), " ".join(FLOOD[6:]), teaser])
    [part] = parts(one(body))
    assert part["evidence"]["kind"] == ["other_story"]
    assert part["snippet"] == clip(teaser)
    # Nothing announces it (no furniture, no dateline): a note, not a warning.
    assert part["message"].startswith("the last 3 paragraphs may tell another story (they share no names or topic")
    assert part["level"] == "info" and one(body)["level"] == "info"
    assert "Mensah" in part["evidence"]["story_words"]
    assert {"Saalach", "Unterweißbach"} <= set(part["evidence"]["article_words"])


def test_teaser_after_furniture_takes_its_heading_and_link_text_along():
    body = "\n".join([" ".join(FLOOD[:4]), " ".join(FLOOD[4:]), "Das könnte Sie auch interessieren:", *TRANSFER, "Zum Artikel"])
    [part] = parts(one(body))
    assert part["evidence"]["kind"] == ["other_story"]
    assert part["snippet"].startswith("Das könnte Sie auch interessieren:\nStürmer Kofi Mensah")
    # one part: the link text after the story joined it instead of making a finding of its own
    assert part["message"].startswith("the last 3 paragraphs tell another story")
    assert part["evidence"]["cue"] == "after page furniture"


def test_story_glued_into_a_flat_body_is_flagged_at_its_first_sentence():
    body = " ".join(FLOOD + TRANSFER)
    [part] = parts(one(body))
    assert part["snippet"] == clip(" ".join(TRANSFER))
    assert part["message"].startswith("the last 3 sentences may tell another story")


def test_a_story_after_furniture_or_opening_with_a_dateline_is_a_warning():
    after_furniture = "\n".join([" ".join(FLOOD), "Jetzt spenden", *TRANSFER])
    dateline = " ".join(FLOOD) + "\n\nRotbach – " + " ".join(TRANSFER)
    for body in (after_furniture, dateline):
        story = [part for part in parts(one(body)) if part["evidence"]["kind"] == ["other_story"]]
        assert story and "level" not in story[0], body
        assert story[0]["message"].startswith("the last ") and "may tell" not in story[0]["message"]
        assert "level" not in one(body)


def test_coherence_can_be_switched_off():
    body = " ".join(FLOOD + TRANSFER)
    assert find_furniture(pd.Series([body]), FurnitureSettings(coherence=False)).iloc[0] is None


# --- the other-story check's words: generic words file and stems ----------------------------------

def test_generic_words_file_loads_and_leaves_function_words_out():
    words, stems = coherence_module.generic_words()
    assert {"sagte", "prozent", "montag", "und"} <= words and stem("erklärte", 6) in stems
    assert coherence_module.word_info("sagte") is None and coherence_module.word_info("Das") is None
    assert coherence_module.word_info("Saalach") == ("saalac", 2.0)
    assert coherence_module.word_info("evakuierte") == ("evakui", 1.0)


@pytest.mark.parametrize("text, error", [
    ("words:\n  verbs: [sagte, Erklärte]\n", r"generic\.yaml:2: words\.verbs\[1\]: 'Erklärte' does not match"),
    ("words:\n  verbs: []\n", r"generic\.yaml:2: words\.verbs: must not be empty"),
    ("wörter:\n  verbs: [sagte]\n", r"generic\.yaml:1: missing required key 'words'"),
])
def test_malformed_generic_words_file_is_reported_with_file_and_line(tmp_path, text, error):
    with pytest.raises(RulesError, match=error):
        load_validated(write(tmp_path, text, "generic.yaml"), "generic_words")


@pytest.mark.parametrize("word, expected", [
    ("Nordkoreas", "nordko"), ("nordkoreanischen", "nordko"), ("Lehrerinnen", "lehrer"),
    ("Häuser", "häus"), ("Haus", "haus"), ("Bären", "bären"), ("Straße", "straß"),
])
def test_stem_takes_one_ending_off_and_keeps_the_first_letters(word, expected):
    assert stem(word, 6) == expected


def test_the_furniture_package_runs_without_rules_expectations_or_gx():
    """It must run where GX is not (Spark partitions): importing it loads none of them."""
    code = ("import sys, auditor.text.furniture; print(sorted(m for m in sys.modules if m.split('.')[0] == "
            "'great_expectations' or m.startswith(('auditor.rules', 'auditor.expectations'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == "[]"


# --- spans: where in the body each finding is -------------------------------------------------

def test_span_of_a_furniture_block_on_its_own_lines():
    box = "Danke für deine Unterstützung!\nWürdest du gerne unsere Redaktion unterstützen? Mehr erfahren\n5 Euro\n10 Euro"
    body = "\n\n".join([" ".join(FLOOD[:4]), " ".join(FLOOD[4:]), box, "Ein letzter Absatz über die Saalach und Unterweißbach."])
    [part] = parts(one(body))
    assert spanned(body, part) == box
    assert part["span"] == [body.index(box), body.index(box) + len(box)]
    assert part["lines"] == [5, 8]  # paragraph, blank, paragraph, blank, then the box's four lines


def test_span_of_sentence_shaped_furniture_glued_into_a_flat_body():
    sentence = "Folgen Sie uns auf Facebook."
    body = " ".join(FLOOD[:5] + [sentence] + FLOOD[5:])
    [part] = parts(one(body))
    assert spanned(body, part) == sentence
    assert part["span"][0] == body.index(sentence) and part["lines"] == [1, 1]


def test_span_of_furniture_inside_a_paragraph_is_the_sentence_not_the_line():
    sentence = "Melden Sie sich hier für unseren Newsletter an."
    paragraph = " ".join(FLOOD[4:6] + [sentence] + FLOOD[6:])
    body = " ".join(FLOOD[:4]) + "\n\n" + paragraph
    [part] = parts(one(body))
    assert spanned(body, part) == sentence and part["lines"] == [3, 3]


def test_span_of_another_story_at_the_end_of_paragraphs():
    teaser = "\n".join(TRANSFER)
    body = "\n\n".join([" ".join(FLOOD[:3]), " ".join(FLOOD[3:6]), " ".join(FLOOD[6:]), teaser])
    [part] = parts(one(body))
    assert part["evidence"]["kind"] == ["other_story"]
    assert spanned(body, part) == teaser
    assert part["span"][1] == len(body) and part["lines"] == [7, 9]


def test_span_of_another_story_in_a_flat_body_starts_at_its_first_sentence():
    body = " ".join(FLOOD + TRANSFER)
    [part] = parts(one(body))
    assert spanned(body, part) == " ".join(TRANSFER) and part["lines"] == [1, 1]


def test_span_of_another_story_takes_its_teaser_heading_and_link_text_along():
    body = "\n".join([" ".join(FLOOD[:4]), " ".join(FLOOD[4:]), "Das könnte Sie auch interessieren:", *TRANSFER, "Zum Artikel"])
    [part] = parts(one(body))
    assert spanned(body, part) == "\n".join(["Das könnte Sie auch interessieren:", *TRANSFER, "Zum Artikel"])
    assert part["lines"] == [3, 7]


def test_each_part_of_a_body_with_several_has_its_own_span():
    box = "Würdest du gerne unsere Arbeit unterstützen?\n5 Euro\n10 Euro\nBetrag frei wählen"
    newsletter = "Abonnieren Sie unseren Newsletter!"
    body = "\n\n".join([" ".join(FLOOD[:4]), newsletter, " ".join(FLOOD[4:]), box, "\n".join(TRANSFER)])
    detail = one(body)
    assert "span" not in detail  # several places: only the parts have one
    assert [spanned(body, part) for part in parts(detail)] == [newsletter, box, "\n".join(TRANSFER)]
    assert [part["lines"] for part in parts(detail)] == [[3, 3], [7, 10], [12, 14]]


# --- the prefilter: bodies that cannot hold furniture skip the line and sentence matching ----

def all_units_matched(body: str):
    """What the check finds with every line and sentence matched (no prefilter)."""
    return analyse_body(body, load_furniture())


@pytest.mark.parametrize("furniture", [
    "JETZT SPENDEN",
    "jetzt   spenden",
    "Jetzt\u00a0spenden",
    "•\tJetzt spenden",
    "27 \u212aOMMENTARE",  # a Kelvin sign, which `re` takes for a k when case is ignored
    "Kommentar ſchreiben",  # a long s, which it takes for an s
    "Zum Artİkel",  # an I with a dot, which it takes for an i
    "5\u202fEuro",
    "ÜBER UNS | IMPRESSUM",
    "Mehr zum Thema:  Österreich",
    "  - Startseite » Chronik",
    "Das Rathaus am Abend. FOTO:\u2009Talpost",
])
def test_prefilter_lets_through_furniture_in_odd_case_and_white_space(furniture):
    body = " ".join(FLOOD) + "\n\n" + furniture
    assert kinds(all_units_matched(body)) - {"other_story"}  # the furniture is found without the prefilter ...
    assert furniture_possible([body], load_furniture()) == [True]  # ... the prefilter lets it through ...
    assert one(body) == all_units_matched(body)  # ... and the check finds the same


def test_prefilter_rules_out_ordinary_articles_with_the_same_results():
    flat = " ".join(FLOOD)
    in_paragraphs = "\n\n".join(" ".join(FLOOD[i:i + 2]) for i in range(0, len(FLOOD), 2))
    story = " ".join(FLOOD + TRANSFER)
    assert furniture_possible([flat, in_paragraphs, story, None], load_furniture()) == [False, False, False, True]
    assert find_furniture(pd.Series([flat, in_paragraphs, story])).tolist() == [
        all_units_matched(flat), all_units_matched(in_paragraphs), all_units_matched(story)]
    assert kinds(one(story)) == {"other_story"}


def test_prefilter_and_full_matching_agree_on_the_test_bodies(monkeypatch):
    monkeypatch.setattr(prefilter_module, "_PREFILTER_ROWS", 7)  # several batches of bodies, a short last one
    furniture = ["Willst du unsere Arbeit unterstützen? Jetzt spenden", "5 Euro\n12,50 Euro\nBetrag frei wählen",
                 "Folgt uns auf Instagram und TikTok", "Besuchen Sie uns auf: www.talpost-beispiel.at",
                 "Um diesen Inhalt von YouTube anzuzeigen, brauchen wir Ihre Zustimmung.",
                 "Melden Sie sich hier für unseren Newsletter an.", "Startseite › Chronik › Salzburg",
                 "Das Team. Foto: Talpost/Archiv", "Zum Artikel", "»", "X", "© 2025 Talpost"]
    bodies = []
    for text in furniture:
        bodies += [" ".join(FLOOD) + "\n" + text, text + "\n" + " ".join(FLOOD), " ".join(FLOOD[:3] + [text] + FLOOD[3:]),
                   text, " ".join(FLOOD) + "\n\n" + "\n".join(TRANSFER) + "\n" + text]
    expected = [all_units_matched(body) for body in bodies]
    assert sum(detail is not None for detail in expected) > len(bodies) // 2
    # Without the batch's line counts: the story repeated in 12 of these rows is no template here.
    assert find_furniture(pd.Series(bodies), line_counts=count_rows([])).tolist() == expected
    for body, detail in zip(bodies, expected):
        assert_spans(body, detail)


def test_patterns_that_can_begin_anywhere_let_every_body_through(tmp_path):
    path = write(tmp_path, "kinds:\n  promo:\n    label: promotion\n    whole: ['\\w+ \\w+ bestellen', '[^\\W\\d]+']\n")
    spec = load_furniture(path)
    bodies = [" ".join(FLOOD), " ".join(FLOOD) + "\nJetzt gleich bestellen", " ".join(FLOOD) + "\nHallo"]
    # the first pattern holds a literal string to look for, the second none: no body is ruled out
    assert furniture_possible(bodies, spec) == [True, True, True]
    assert [kinds(detail) for detail in find_furniture(pd.Series(bodies), FurnitureSettings(patterns=str(path), coherence=False))] == [
        set(), {"promo"}, {"promo"}]


def test_text_that_is_no_utf8_goes_through_unfiltered():
    broken = " ".join(FLOOD) + " \ud800"  # a lone surrogate, as a JSON escape can leave one
    assert furniture_possible([broken, " ".join(FLOOD)], load_furniture()) == [True, True]
    assert one(broken) is None


# --- the patterns file --------------------------------------------------------------------------

def test_shipped_patterns_load_and_name_every_kind():
    spec = load_furniture()
    assert spec.source == DEFAULT_PATTERNS and DEFAULT_PATTERNS.name == "furniture.yaml"
    assert {"donation", "price", "comment", "newsletter", "social", "teaser", "link", "footer"} <= {
        kind.name for kind in spec.kinds
    }


def write(tmp_path: Path, text: str, name: str = "furniture.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("text, error", [
    ("""\
        kinds:
          donation:
            label: donation appeal
            starts:
              - 'jetzt spenden'
              - 'unterstütz(e|en sie uns'
        """, r"furniture\.yaml:6: kinds\.donation\.starts\[1\]: 'unterstütz\(e\|en sie uns' is not a valid regular expression"),
    ("""\
        kinds:
          donation:
            lable: donation appeal
            whole: ['spenden']
        """, r"furniture\.yaml:3: kinds\.donation: unknown key 'lable'; did you mean 'label'\?"),
    ("""\
        kinds:
          comment:
            label: comment notice
        """, r"furniture\.yaml:2: kinds\.comment: no patterns; give at least one of whole, starts, contains"),
    ("""\
        kinds:
          footer:
            label: footer
            contains: ['(©)?']
        """, r"furniture\.yaml:4: kinds\.footer\.contains\[0\]: .* matches empty text"),
    ("""\
        max_line_chars: lots
        kinds: {}
        """, r"furniture\.yaml:1: max_line_chars: expected a whole number"),
])
def test_malformed_furniture_file_is_reported_with_file_and_line(tmp_path, text, error):
    with pytest.raises(RulesError, match=error):
        load_furniture(write(tmp_path, text))


def test_edited_file_is_read_again(tmp_path):
    path = write(tmp_path, "kinds:\n  promo:\n    label: promotion\n    whole: ['jetzt bestellen']\n")
    body = " ".join(FLOOD) + "\nJetzt bestellen"
    assert kinds(find_furniture(pd.Series([body]), FurnitureSettings(patterns=str(path))).iloc[0]) == {"promo"}
    path.write_text("kinds:\n  promo:\n    label: promotion\n    whole: ['gleich bestellen']\n", encoding="utf-8")
    assert find_furniture(pd.Series([body]), FurnitureSettings(patterns=str(path), coherence=False)).iloc[0] is None


# --- through GX ---------------------------------------------------------------------------------

def rules_file(tmp_path: Path, args: str = "{}") -> Path:
    return one_rule_file(tmp_path, RULE, EXPECTATION, "body", args)


def test_every_parameter_reaches_the_metric(tmp_path):
    """GX passes a metric only the value keys it lists; a missing one would arrive as None."""
    custom = write(tmp_path, "kinds:\n  promo:\n    label: promotion\n    whole: ['jetzt bestellen']\n")
    expectation = ExpectColumnValuesToBeFreeOfFurniture(
        column="body", patterns=str(custom), coherence=False, max_shared=0.07, max_shared_cued=0.3, min_story_words=20,
        reference_column="extracted",
    )
    config = expectation.get_validation_dependencies().get_metric_configuration(
        ExpectColumnValuesToBeFreeOfFurniture.metric.details_metric()
    )
    assert dict(config.metric_value_kwargs) == {
        "patterns": str(custom), "coherence": False, "max_shared": 0.07, "max_shared_cued": 0.3, "min_story_words": 20,
        "reference_column": "extracted",
    }


def test_gx_run_gives_one_finding_per_span(tmp_path):
    ruleset = load_rules(rules_file(tmp_path))
    box = "Würdest du gerne unsere Arbeit unterstützen?\n5 Euro\n10 Euro\nBetrag frei wählen"
    dirty = "\n\n".join([" ".join(FLOOD[:4]), " ".join(FLOOD[4:]), box, "Das könnte dich auch interessieren:\n" + "\n".join(TRANSFER)])
    result = audit_records(ruleset, [
        {"id": "a1", "Titel": "Hochwasser in Unterweißbach", "Text": dirty},
        {"id": "a2", "Titel": "Hochwasser in Unterweißbach", "Text": " ".join(FLOOD)},
    ])
    findings = findings_of(result, RULE, "body")
    assert [f["row_id"] for f in findings] == ["a1", "a1"]
    donation, story = findings
    assert donation["snippet"] == box and donation["evidence"]["kind"] == ["donation", "price"]
    assert story["snippet"].startswith("Das könnte dich auch interessieren:\nStürmer Kofi Mensah")
    assert story["evidence"]["kind"] == ["other_story"]
    assert {f["severity"] for f in findings} == {"warning"}
    assert donation["message"] != story["message"]
    [rule] = [r for r in result.rules if r["id"] == RULE]
    assert rule["evaluated"] == 2 and rule["unexpected"] == 1


def test_gx_run_an_unannounced_other_story_is_a_note_next_to_real_furniture(tmp_path):
    ruleset = load_rules(rules_file(tmp_path))
    body = "\n\n".join([" ".join(FLOOD[:4]), "Abonnieren Sie unseren Newsletter!", " ".join(FLOOD[4:]),
                         "\n".join(TRANSFER)])
    quiet = "\n\n".join([" ".join(FLOOD), "\n".join(TRANSFER)])
    result = audit_records(ruleset, [{"id": "a1", "Text": body}, {"id": "a2", "Text": quiet}])
    severities = {(f["row_id"], f["evidence"]["kind"][0]): f["severity"] for f in findings_of(result, RULE, "body")}
    assert severities == {("a1", "newsletter"): "warning", ("a1", "other_story"): "info", ("a2", "other_story"): "info"}
    # A row with only a note passes; the newsletter prompt fails its row.
    assert {row["row_id"]: row["status"] for row in result.rows} == {"a1": "failed", "a2": "passed"}


def test_broken_patterns_file_fails_when_the_rules_load(tmp_path):
    broken = write(tmp_path, "kinds:\n  promo:\n    label: promotion\n    whole: ['jetzt (bestellen']\n", "broken.yaml")
    with pytest.raises(RulesError, match=r"rules\.yaml:\d+: rule 'body-without-furniture': args\.patterns: .*broken\.yaml:4: "
                                         r"kinds\.promo\.whole\[0\]"):
        load_rules(rules_file(tmp_path, args=f"{{patterns: '{broken}'}}"))


# --- the seed pages -------------------------------------------------------------------------------

def test_seed_000_furniture_and_other_story_are_separate_findings(shared_seeds):
    body = extract_page(shared_seeds / "000_8f140c7bc8186c8a.txt")["body"]
    found = parts(one(body))
    by_kind = {kind: part for part in found for kind in part["evidence"]["kind"]}
    assert "Würdest du gerne" in by_kind["donation"]["snippet"] and "CHF" in by_kind["donation"]["snippet"]
    assert "price" in by_kind["donation"]["evidence"]["kind"]
    assert "Kommentarfunktion" in by_kind["comment"]["snippet"]
    story = by_kind["other_story"]
    assert story["snippet"].startswith("Rassemblement National")
    assert "Le Pen" in body[body.index(story["snippet"].rstrip("…")):]
    assert {"Marine", "Bardella"} <= set(story["evidence"]["story_words"])
    # donation box, comment notice and the unrelated story are three different findings
    assert len({id(by_kind[k]) for k in ("donation", "comment", "other_story")}) == 3
    assert_spans(body, one(body))
    assert spanned(body, by_kind["other_story"]).startswith("Rassemblement National")


def test_seed_001_body_has_no_furniture(shared_seeds):
    page = extract_page(shared_seeds / "001_d6f240a953c802b2.txt")
    # The aggregator's footer line is taken off by the extraction (it becomes the publisher) ...
    assert "Besuchen Sie uns" not in page["body"]
    assert one(page["body"]) is None
    # ... and would be flagged as a footer if it were left in the body.
    assert kinds(one(page["body"] + "\n\nBesuchen Sie uns auf: die-nachrichten.at")) == {"footer"}
