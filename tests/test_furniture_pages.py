"""body-without-furniture on whole web pages pasted as the body, on the page's main text as
reference, and on lines a batch repeats (the site's template). Pages written for these tests."""

from __future__ import annotations

import pandas as pd
import pytest

from auditor.rules import load_rules
from auditor.text.furniture import find_furniture, load_furniture
from auditor.text.furniture.layout import page_parts
from auditor.text.furniture.repeats import (
    batch_line_counts,
    count_rows,
    line_hashes,
    merge_counts,
    repeated_lines,
    template_lines,
)
from tests.conftest import audit_records, findings_of, one_rule_file

RULE = "body-without-furniture"

MENU = ["Talbote", "Startseite", "Region", "Pongau", "Pinzgau", "Sport", "Kultur", "Wirtschaft", "Wetter",
        "Leserreisen", "Anzeigen", "Suche", "Menü schließen"]
TITLE = "Hochwasser: Saalach tritt in Unterweißbach über die Ufer"
BYLINE = "Von Renate Ortner | 14.06.2026, 07:45"
ARTICLE = [
    "Nach drei Tagen Starkregen ist die Saalach in der Nacht auf Freitag in Unterweißbach über die Ufer getreten. "
    "Die Feuerwehr brachte rund 40 Bewohnerinnen und Bewohner der Häuser am Flussufer in Sicherheit.",
    "Bürgermeisterin Renate Gschwandtner sprach am Morgen vom schwersten Hochwasser seit dem Jahr 2002. "
    "Der Pegel stieg bis sechs Uhr auf 4,20 Meter, die Bundesstraße entlang des Flusses ist gesperrt.",
    "Gefährdet sind vor allem die tiefer gelegenen Siedlungen",
    "In mehreren Kellern stand das Wasser bis zur Decke, die Feuerwehr pumpte sie den ganzen Vormittag lang aus. "
    "Verletzt wurde nach Angaben der Einsatzleitung niemand.",
    "Die Gemeinde will betroffenen Familien mit einem Hochwasserfonds helfen, der Gemeinderat tritt am Montag zusammen. "
    "Die Meteorologen erwarten für das Wochenende weiteren Regen über dem Tal.",
]
RELATED = ["Mehr aus der Region", "Neue Brücke über die Salzach eröffnet", "13.06.2026", "Gemeinderat beschließt Budget",
           "12.06.2026", "Almsommer beginnt mit Auftrieb", "11.06.2026", "Schulschluss im Pinzgau", "10.06.2026"]
FOOTER = ["Talbote", "Über den Verlag", "Redaktion", "Kontakt", "Impressum", "Datenschutz", "© 2026 Talbote Medien"]
PAGE_LINES = [*MENU, TITLE, BYLINE, *ARTICLE, "Artikel teilen", *RELATED, *FOOTER]
PAGE = "\n".join(PAGE_LINES)


def one(body: str, main_text: str | None = None):
    main_texts = pd.Series([main_text]) if main_text is not None else None
    return find_furniture(pd.Series([body]), main_texts=main_texts).iloc[0]


def mask(body: str, detail) -> list[bool]:
    covered = [False] * len(body)
    for part in (detail or {}).get("parts", []):
        start, end = part["span"]
        assert part["lines"][0] == body.count("\n", 0, start) + 1
        covered[start:end] = [True] * (end - start)
    return covered


def inside(body: str, covered: list[bool], line: str) -> bool:
    start = body.index(line)
    return all(covered[start:start + len(line)])


def touched(body: str, covered: list[bool], line: str) -> bool:
    start = body.index(line)
    return any(covered[start:start + len(line)])


def test_a_pasted_page_has_its_menu_and_the_page_after_the_article_flagged():
    detail = one(PAGE)
    covered = mask(PAGE, detail)
    for line in ARTICLE:
        assert not touched(PAGE, covered, line), line
    for line in [*MENU, "Artikel teilen", *RELATED, *FOOTER[1:]]:
        assert inside(PAGE, covered, line), line
    found = {kind for part in detail["parts"] for kind in part["evidence"]["kind"]}
    assert {"page_head", "page_tail"} <= found
    head = next(part for part in detail["parts"] if "page_head" in part["evidence"]["kind"])
    assert head["span"][0] == 0 and head["message"].startswith("page header")


def test_captions_in_the_story_are_notes_and_after_it_the_page():
    caption = "Sandsäcke vor dem Gemeindeamt. Foto: Talbote/Ortner"
    teaser_credit = "Foto: Talbote/Archiv"
    lines = [*MENU, TITLE, BYLINE, *ARTICLE[:2], caption, *ARTICLE[2:], "Artikel teilen", *RELATED[:3],
             teaser_credit, *RELATED[3:], *FOOTER]
    body = "\n".join(lines)
    detail = one(body)
    [note] = [part for part in detail["parts"] if part.get("level") == "info"]
    assert body[note["span"][0]:note["span"][1]] == caption and note["evidence"]["kind"] == ["credit"]
    covered = mask(body, {"parts": [part for part in detail["parts"] if part.get("level") != "info"]})
    assert inside(body, covered, teaser_credit) and not touched(body, covered, caption)
    for line in ARTICLE:
        assert not touched(body, covered, line), line


def test_a_list_the_article_announces_with_a_colon_stays_the_article():
    announced = ARTICLE[4][:-1] + " Die Gemeinde rät:"
    items = ["Keller räumen", "Heizöltanks sichern und verschließen", "Sandsäcke bei der Feuerwehr abholen",
             "Stromzähler nur mit einem Elektriker wieder einschalten"]
    body = "\n".join([*MENU, TITLE, BYLINE, *ARTICLE[:4], announced, *items, "Artikel teilen", *RELATED, *FOOTER])
    covered = mask(body, one(body))
    for line in [announced, *items]:
        assert not touched(body, covered, line), line
    for line in [*RELATED, *FOOTER[1:]]:
        assert inside(body, covered, line), line
    # without the colon the same short lines read as the page after the article
    plain = body.replace(announced, ARTICLE[4])
    assert inside(plain, mask(plain, one(plain)), items[1])


def test_a_teaser_box_title_summary_and_link_is_furniture_inside_the_page():
    teaser = ["Podcast: Talbote vor Ort", "Der Almsommer beginnt mit dem Auftrieb der Kühe.",
              "Jeden Freitag erzählen Bäuerinnen aus dem Pinzgau von ihrer Arbeit auf der Alm.", "mehr"]
    body = "\n".join([*MENU, TITLE, BYLINE, *ARTICLE[:2], *teaser[:1], teaser[1] + " " + teaser[2], teaser[3],
                      *ARTICLE[3:], "Artikel teilen", *RELATED, *FOOTER])
    covered = mask(body, one(body))
    for line in [teaser[0], teaser[1] + " " + teaser[2]]:
        assert inside(body, covered, line), line
    link = body.index("\nmehr\n") + 1
    assert all(covered[link:link + 4])
    # the box does not cut the article: its part after the box is no page tail
    for line in [*ARTICLE[:2], *ARTICLE[3:]]:
        assert not touched(body, covered, line), line


def test_with_main_text_a_teaser_box_the_extraction_left_out_is_furniture_in_a_short_body():
    box = ["Neue Brücke über die Salzach eröffnet", "Rund 2000 Menschen kamen am Samstag zur Feier ans Ufer.", "Mehr"]
    story = [ARTICLE[1], ARTICLE[3], ARTICLE[4]]
    body = "\n\n".join([ARTICLE[0], *box, *story])
    detail = one(body, "\n".join([ARTICLE[0], *story]))
    covered = mask(body, detail)
    for line in box:
        assert inside(body, covered, line), line
    for line in (ARTICLE[0], *story):
        assert not touched(body, covered, line), line
    # the extraction kept the box: it is the article's
    kept = one(body, "\n".join([ARTICLE[0], *box[:2], *story]))
    assert not touched(body, mask(body, kept), box[1])


def test_a_paragraph_before_a_link_text_without_a_title_is_no_teaser():
    # an aggregator's shortened story: its last paragraph and "Weiterlesen" (a link text
    # of its own, never the story's text)
    body = "\n".join([*ARTICLE, "Weiterlesen"])
    assert not touched(body, mask(body, one(body)), ARTICLE[-1])


def test_the_same_article_as_an_aggregator_body_passes():
    assert one("\n\n".join([ARTICLE[0], ARTICLE[1], ARTICLE[3], ARTICLE[4]])) is None


def test_a_long_article_in_many_paragraphs_is_no_page():
    body = "\n\n".join(ARTICLE[i % 5] for i in range(20) if i % 5 != 2)
    assert page_parts(body, load_furniture().layout) is None


def test_main_text_is_the_reference_for_what_the_article_is():
    # The extraction kept the short line in the article (a heading) but not the byline.
    main_text = "\n".join([TITLE, *ARTICLE])
    detail = one(PAGE, main_text)
    covered = mask(PAGE, detail)
    for line in [TITLE, *ARTICLE]:
        assert not touched(PAGE, covered, line), line
    for line in [*MENU, BYLINE, *RELATED, *FOOTER[1:]]:
        assert inside(PAGE, covered, line), line


def test_main_text_column_reaches_the_check_through_gx(tmp_path):
    ruleset = load_rules(one_rule_file(tmp_path, RULE, "expect_column_values_to_be_free_of_furniture", "body"))
    # The heading of the article's list looks like a menu item; the main text says it is the article's.
    body = "\n".join([*MENU, TITLE, ARTICLE[0], ARTICLE[1], "Was jetzt gilt", "Baden verboten", "Ufer meiden",
                      "Keller nicht betreten", ARTICLE[3], *FOOTER])
    main_text = "\n".join([ARTICLE[0], ARTICLE[1], "Was jetzt gilt", "Baden verboten", "Ufer meiden",
                           "Keller nicht betreten", ARTICLE[3]])
    result = audit_records(ruleset, [{"id": "p1", "Text": body, "main_text": main_text}])
    covered = [False] * len(body)
    for finding in findings_of(result, RULE, "body"):
        start, end = finding["span"]
        covered[start:end] = [True] * (end - start)
    for line in ["Was jetzt gilt", "Baden verboten", "Ufer meiden", "Keller nicht betreten", ARTICLE[3]]:
        assert not touched(body, covered, line), line
    assert inside(body, covered, "Leserreisen") and inside(body, covered, "Über den Verlag")


# --- lines the batch repeats -----------------------------------------------------------------

STORIES = [
    ["Der Gemeinderat von Bischofshofen hat am Dienstag einen neuen Radweg entlang der Salzach beschlossen.",
     "Die Arbeiten sollen im Herbst beginnen und 1,2 Millionen Euro kosten."],
    ["In Zell am See hat ein Hotelier die erste Seilbahn-Gondel aus Holz vorgestellt.",
     "Sie soll ab Dezember zwischen Talstation und Mittelstation pendeln."],
    ["Die Volksschule in Mittersill bekommt einen Zubau mit vier neuen Klassen.",
     "Das Land übernimmt die Hälfte der Kosten, der Rest kommt von der Gemeinde."],
    ["Bei einem Wettbewerb in Saalfelden haben Schülerinnen ein Gerät gebaut, das Plastik aus Bächen fischt.",
     "Die Jury lobte vor allem die einfache Bauweise."],
    ["Der Almabtrieb in Werfenweng fällt heuer wegen der Maul- und Klauenseuche aus.",
     "Die Bauern bedauern die Absage, halten sie aber für richtig."],
    ["Ein neues Busnetz verbindet ab Juli die Orte im oberen Ennstal im Stundentakt.",
     "Die Fahrpläne sind ab sofort in allen Gemeindeämtern erhältlich."],
]
TEMPLATE_TOP = ["Talbote Pongau", "Lokales aus dem Tal"]
TEMPLATE_END = ["Leserbriefe an die Redaktion", "Talbote Medien GmbH, Bahnhofstraße 4, Bischofshofen"]


def site_rows() -> list[str]:
    return ["\n".join([*TEMPLATE_TOP, *story, *TEMPLATE_END]) for story in STORIES]


def test_repeated_template_lines_are_found_span_by_span(tmp_path):
    ruleset = load_rules(one_rule_file(tmp_path, RULE, "expect_column_values_to_be_free_of_furniture", "body"))
    bodies = site_rows()
    result = audit_records(ruleset, [{"id": f"r{i}", "Text": body} for i, body in enumerate(bodies)])
    findings = findings_of(result, RULE, "body")
    assert {f["row_id"] for f in findings} == {f"r{i}" for i in range(len(bodies))}
    for finding in findings:
        body = bodies[int(finding["row_id"][1:])]
        start, end = finding["span"]
        assert finding["evidence"]["kind"] == ["repeated"]
        assert body[start:end] in ("\n".join(TEMPLATE_TOP), "\n".join(TEMPLATE_END))


def test_the_column_at_once_finds_what_each_row_alone_finds():
    bodies = [*site_rows(), None, "", " ".join(STORIES[1]), "\n".join(["Talbote Pongau", *STORIES[2]])]
    counts = batch_line_counts(bodies)
    found = template_lines(bodies, counts)
    assert [found.get(row, []) for row in range(len(bodies))] == [repeated_lines(body, counts) for body in bodies]
    assert {row: len(lines) for row, lines in found.items()} == {**{row: 4 for row in range(len(STORIES))}, len(bodies) - 1: 1}


def test_copies_of_one_story_are_no_template():
    copies = ["\n".join([*TEMPLATE_TOP, *STORIES[0], *TEMPLATE_END])] * 8
    counts = batch_line_counts(copies)
    assert all(repeated_lines(body, counts) == [] for body in copies)
    assert find_furniture(pd.Series(copies)).isna().all()


def test_template_lines_need_enough_rows():
    bodies = site_rows()[:4]  # fewer rows than repeats.min_rows hold the template
    counts = batch_line_counts(bodies)
    assert all(repeated_lines(body, counts) == [] for body in bodies)


def test_line_counts_partition_and_add_up():
    bodies = site_rows() + [" ".join(STORIES[0]), None, ""]
    whole = batch_line_counts(bodies)
    halves = merge_counts(count_rows(line_hashes(bodies[:4])), count_rows(line_hashes(bodies[4:])))
    pd.testing.assert_series_equal(whole.sort_index(), halves.sort_index(), check_names=False)
    assert whole.max() == len(STORIES)  # each template line once per row
    assert line_hashes([" ".join(STORIES[0]), None]) == {}  # a body in one line has no lines to count


@pytest.mark.parametrize("name", ["page_head", "repeated"])
def test_a_kind_may_not_take_the_name_of_a_structural_finding(tmp_path, name):
    from auditor.errors import RulesError

    path = tmp_path / "furniture.yaml"
    path.write_text(f"kinds:\n  {name}:\n    label: x\n    whole: ['jetzt bestellen']\n", encoding="utf-8")
    with pytest.raises(RulesError, match=rf"furniture\.yaml:2: kinds: '{name}'"):
        load_furniture(path)


def test_partitions_find_the_template_the_whole_batch_repeats(tmp_path):
    """The rows of the site's template are cut into partitions of two rows, fewer than
    repeats.min_rows: a partition alone sees no template. The batch's counts are worked out
    before the cut, so 1 partition and many on 2 workers find the same, span by span; the
    page with its main text (the reference column) is judged the same way too."""
    import json

    from auditor.findings import collect
    from auditor.loaders import load_inputs
    from auditor.mapping import build_batch
    from auditor.partitions import partition_bounds
    from auditor.validate import run_validation

    ruleset = load_rules(one_rule_file(tmp_path, RULE, "expect_column_values_to_be_free_of_furniture", "body"))
    bodies = site_rows()
    records = [{"id": f"r{i}", "Text": body} for i, body in enumerate(bodies)]
    records.insert(3, {"id": "page", "Text": PAGE, "main_text": "\n".join([TITLE, *ARTICLE])})
    records.append({"id": "plain", "Text": " ".join(STORIES[0])})
    table = tmp_path / "site.jsonl"
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    loaded = load_inputs([table])
    batch = build_batch(loaded, ruleset.column_mapping)

    def findings(workers: int, partition_rows: int) -> list[dict]:
        outcome = run_validation(ruleset, batch.data, workers=workers, partition_rows=partition_rows)
        return findings_of(collect(ruleset, batch, outcome.outcomes, loaded.unreadable), RULE, "body")

    assert len(partition_bounds(len(records), 2)) == 4
    whole, cut = findings(1, 10**9), findings(2, 2)
    assert cut == whole
    repeated = [f for f in whole if f["evidence"]["kind"] == ["repeated"]]
    assert {f["row_id"] for f in repeated} == {f"r{i}" for i in range(len(bodies))}
    assert any(f["row_id"] == "page" for f in whole) and not any(f["row_id"] == "plain" for f in whole)
