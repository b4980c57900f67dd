"""duplicate-story-consistency: rows telling one story are grouped (MinHash + LSH) and must
agree on category and location; through the pure functions, a real GX run and the seeds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import zlib

import numpy as np

from auditor.batch.stories import StorySettings, candidate_pairs, find_story_conflicts, group_stories, minhash_signatures
from auditor.expectations.stories import ExpectSameStoriesToAgree
from auditor.rules import load_rules
from auditor.validate import run_validation
from tests.conftest import one_rule_file, audit_records, findings_of

RULE = "duplicate-story-consistency"
EXPECTATION = "expect_same_stories_to_agree"

# One invented event (a dam breach in a fictional valley) in two outlets' words.
FLOOD_A = (
    "Dammbruch im Kessental: Hunderte Bewohner in Notquartieren",
    "Nach tagelangem Starkregen ist in der Nacht auf Mittwoch der Damm des Speichersees oberhalb von "
    "Kessental gebrochen. Die Wassermassen überfluteten die Ortschaften Unterkessen und Mühlried, "
    "rund dreihundert Bewohner mussten ihre Häuser verlassen und verbrachten die Nacht in einer Turnhalle. "
    "Bürgermeisterin Renate Falkner sprach von der schwersten Katastrophe seit Jahrzehnten. Die Feuerwehr "
    "pumpte Keller aus, das Bundesheer errichtete Barrieren aus Sandsäcken entlang der Landesstraße. "
    "Verletzt wurde nach Angaben der Einsatzleitung niemand. Die Betreibergesellschaft des Speichersees "
    "kündigte eine Untersuchung an, Geologen sollen prüfen, ob der Damm schon länger beschädigt war.",
)
FLOOD_B = (
    "Speichersee-Damm gebrochen: Kessental steht unter Wasser",
    "Katastrophenalarm im Kessental: In der Nacht zum Mittwoch brach der Damm des Speichersees, nachdem es "
    "tagelang heftig geregnet hatte. In Unterkessen und Mühlried standen ganze Straßenzüge unter Wasser. "
    "Etwa dreihundert Menschen wurden in Sicherheit gebracht und in einer Turnhalle untergebracht, wie "
    "Bürgermeisterin Renate Falkner berichtete. Sie nannte das Unglück die schlimmste Katastrophe der "
    "letzten Jahrzehnte. Soldaten des Bundesheeres stapelten Sandsäcke an der Landesstraße, Feuerwehren "
    "pumpten überflutete Keller leer. Laut Einsatzleitung gab es keine Verletzten. Ob der Damm bereits "
    "beschädigt war, sollen nun Geologen im Auftrag der Betreibergesellschaft klären.",
)
# Another flood story: same topic and vocabulary, a different event.
FLOOD_OTHER = (
    "Hochwasser an der Salbach: Pegel steigt weiter",
    "Der Pegel der Salbach ist am Sonntag auf über vier Meter gestiegen, im Gemeindegebiet von Ortenberg "
    "wurden erste Wiesen und Radwege überflutet. Die Feuerwehr baute mobile Schutzwände auf und verteilte "
    "Sandsäcke an Anrainer der Uferstraße. Meteorologen erwarten für die kommenden Tage weiteren Regen, "
    "die Landesregierung richtete einen Krisenstab ein. Bürgermeister Klaus Oberhauser rief die Bewohner "
    "auf, Fahrzeuge aus Tiefgaragen zu holen und Keller zu räumen. Eine Evakuierung sei derzeit nicht "
    "geplant, hieß es aus dem Gemeindeamt. Schulen und Kindergärten bleiben vorsorglich geschlossen.",
)
# Unrelated stories, each once.
OTHERS = [
    (
        "Stadtrat beschließt neues Parkraumkonzept",
        "Der Stadtrat von Lindenburg hat am Dienstagabend mit knapper Mehrheit ein neues Parkraumkonzept "
        "beschlossen. Anrainer erhalten künftig günstigere Jahreskarten, Pendler zahlen in der Innenstadt "
        "deutlich höhere Gebühren. Die Opposition kritisierte, das Konzept belaste Geschäftsleute und "
        "Handwerker. Bürgermeister Tobias Brenner verteidigte die Entscheidung mit dem Hinweis auf verstopfte "
        "Straßen und schlechte Luftwerte. Die neuen Tarife gelten ab dem ersten März.",
    ),
    (
        "Heimsieg für den Tabellenführer",
        "Der Tabellenführer aus Gmundental gewann sein Heimspiel gegen die Gäste aus Rosenau souverän mit "
        "drei zu null. Stürmerin Petra Lindner erzielte zwei Treffer nach Flanken von der rechten Seite, den "
        "dritten Treffer köpfte die Kapitänin nach einem Eckball ein. Trainer Matthias Kofler lobte die "
        "Abwehrarbeit seiner Mannschaft und warnte vor dem schwierigen Auswärtsspiel am kommenden Samstag. "
        "Vor ausverkauften Rängen feierten die Anhänger ihre Spielerinnen noch lange nach dem Schlusspfiff.",
    ),
]


def frame_of(stories: list[tuple[str, str]], categories=None, locations=None, index=None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "title": [title for title, _ in stories],
            "body": [body for _, body in stories],
            "category": categories or ["Unwetter"] * len(stories),
            "location": locations or ["Kessental, Österreich"] * len(stories),
        },
        index=index,
    )


def batch(categories=None, locations=None) -> pd.DataFrame:
    """Rows: 0 other, 1 flood A, 2 other, 3 other flood, 4 flood B."""
    return frame_of(
        [OTHERS[0], FLOOD_A, OTHERS[1], FLOOD_OTHER, FLOOD_B],
        categories or ["Politik", "Unwetter", "Sport", "Unwetter", "Unwetter"],
        locations or ["Lindenburg", "Kessental, Österreich", "Gmundental", "Ortenberg", "Kessental"],
    )


# --- the pure functions -----------------------------------------------------------------

def test_rewrites_of_one_event_are_one_story_and_other_stories_are_not():
    assert group_stories(batch()) == [[1, 4]]


def test_groups_use_index_labels():
    frame = batch()
    frame.index = ["a", "b", "c", "d", "e"]
    assert group_stories(frame) == [["b", "e"]]


def test_different_stories_on_one_topic_are_not_grouped():
    assert group_stories(frame_of([FLOOD_A, FLOOD_OTHER, OTHERS[0]])) == []
    assert group_stories(frame_of([FLOOD_B, FLOOD_OTHER])) == []


def test_conflicting_categories_are_flagged_pointing_at_the_other_rows():
    verdict = find_story_conflicts(batch(categories=["Politik", "Unwetter", "Sport", "Unwetter", "Terrorismus"]))
    assert verdict["stories"] == [[1, 4]]
    assert set(verdict["details"]) == {1, 4}
    detail = verdict["details"][4]
    # "{rows}" becomes the other rows' ids when findings are collected (see the GX test below).
    assert detail["message"] == "tells the same story as {rows}, which say category 'Unwetter', not 'Terrorismus'"
    assert 0.25 <= detail["score"] <= 1
    assert detail["evidence"] == {"story": 1, "rows": [1], "conflicts": {"category": ["Unwetter"]}}
    assert verdict["details"][1]["evidence"] == {"story": 1, "rows": [4], "conflicts": {"category": ["Terrorismus"]}}
    assert verdict["evaluated"] == 5 and verdict["note"] is None


def test_three_rows_and_conflicting_locations():
    frame = frame_of(
        [FLOOD_A, FLOOD_B, FLOOD_A],
        categories=["Unwetter", "unwetter ", "Unwetter"],
        locations=["Kessental, Österreich", "Mühlried", "KESSENTAL"],
        index=[10, 20, 30],
    )
    verdict = find_story_conflicts(frame)
    assert verdict["stories"] == [[10, 20, 30]]
    assert set(verdict["details"]) == {10, 20, 30}
    assert verdict["details"][20]["evidence"] == {
        "story": 1, "rows": [10, 30], "conflicts": {"location": ["Kessental"]},
    }
    assert verdict["details"][20]["message"] == (
        "tells the same story as {rows}, which say location 'Kessental', not 'Mühlried'"
    )
    assert verdict["details"][10]["evidence"]["conflicts"] == {"location": ["Mühlried"]}


def test_agreeing_group_is_not_flagged():
    # Spelling, case and what follows the first comma do not make a conflict; empty values neither.
    verdict = find_story_conflicts(
        batch(
            categories=["Politik", "Unwetter", "Sport", "Unwetter", " UNWETTER"],
            locations=["Lindenburg", "Kessental, Österreich", "Gmundental", "Ortenberg", "kessental, Tirol"],
        )
    )
    assert verdict["stories"] == [[1, 4]] and verdict["details"] == {}
    frame = batch()
    frame.loc[4, ["category", "location"]] = [None, "  "]
    assert find_story_conflicts(frame)["details"] == {}


def test_groups_of_one_are_not_stories():
    # Each story once, with every category different: nothing is grouped, nothing flagged.
    frame = frame_of([OTHERS[0], FLOOD_A, OTHERS[1]], categories=["Politik", "Unwetter", "Sport"])
    verdict = find_story_conflicts(frame)
    assert verdict["stories"] == [] and verdict["details"] == {} and verdict["evaluated"] == 3


def test_empty_texts_are_ignored():
    frame = batch(categories=["Politik", "Unwetter", "Sport", "Unwetter", "Terrorismus"])
    frame.loc[[0, 2], ["title", "body"]] = [None, "   "]
    empty = frame_of([("", ""), ("", "")], categories=["A", "B"], index=[5, 6])
    frame = pd.concat([frame, empty])
    verdict = find_story_conflicts(frame)
    assert verdict["stories"] == [[1, 4]]
    assert set(verdict["details"]) == {1, 4}
    assert verdict["evaluated"] == 3


def test_too_little_text_to_compare_gives_a_note():
    verdict = find_story_conflicts(frame_of([("Kurz", "Nur ein Satz."), ("Kurz", "Nur ein Satz.")]))
    assert verdict["stories"] == [] and verdict["evaluated"] == 0 and verdict["note"].startswith("not judged")


def test_deterministic():
    frame = pd.concat([batch()] * 3, ignore_index=True)
    assert group_stories(frame) == group_stories(frame) == [[0, 5, 10], [1, 4, 6, 9, 11, 14], [2, 7, 12], [3, 8, 13]]


def test_a_crowd_of_alike_rows_is_not_a_story():
    # Ten copies of one text with every category different: templated text, not one story
    # retold by several outlets. Judging every row against all others would say nothing.
    frame = frame_of([FLOOD_A] * 10 + [FLOOD_B, OTHERS[0]], categories=[f"C{n}" for n in range(12)])
    verdict = find_story_conflicts(frame, settings=StorySettings(max_group=5))
    assert verdict["stories"] == [] and verdict["details"] == {}
    assert verdict["note"] == "1 group(s) of more than 5 alike rows not judged (11 rows; templated text?)"
    assert len(find_story_conflicts(frame)["details"]) == 11


def test_missing_column_is_an_error():
    with pytest.raises(ValueError, match="column 'lead' is not in the batch"):
        find_story_conflicts(batch(), settings=StorySettings(text_columns=["title", "lead"]))
    with pytest.raises(ValueError, match="column 'ort' is not in the batch"):
        find_story_conflicts(batch(), settings=StorySettings(also_columns=["ort"]))


def test_signatures_are_datasketchs_minhash():
    from datasketch import MinHash

    words = ["dammbr", "kessen", "speich", "turnha", "sandsä", "feuerw"]
    rows = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])
    stems = np.array([0, 1, 2, 0, 1, 2, 3, 4, 5])
    signatures = minhash_signatures(rows, stems, np.array(words, dtype=object), 3, num_perm=32, seed=7)
    for row, members in ((0, words[:3]), (1, words)):
        expected = MinHash(num_perm=32, seed=7, scheme="affine32", hashfunc=zlib.crc32)
        for word in members:
            expected.update(word.encode("utf-8"))
        assert (signatures[row] == expected.hashvalues).all()
    assert (signatures[2] == np.iinfo(np.uint32).max).all()  # a row without stems


def test_banding_pairs_rows_that_share_a_band_and_stays_linear_in_large_buckets():
    signatures = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [5, 6, 3, 4], [7, 7, 7, 7]], dtype=np.uint32)
    assert candidate_pairs(signatures, rows_per_band=2, max_bucket=10).tolist() == [[0, 1], [0, 2]]
    # 200 identical rows: all pairs would be 19,900; a chain of neighbours is 199 and still
    # connects them all.
    same = np.ones((200, 4), dtype=np.uint32)
    pairs = candidate_pairs(same, rows_per_band=2, max_bucket=10)
    assert pairs.tolist() == [[row, row + 1] for row in range(199)]


# --- through GX -------------------------------------------------------------------------

def rules_file(tmp_path: Path, args: str = "{also_columns: [location]}") -> Path:
    return one_rule_file(tmp_path, RULE, EXPECTATION, "category", args)


def test_every_parameter_reaches_the_metric():
    expectation = ExpectSameStoriesToAgree(
        column="rubrik", also_columns=["ort"], text_columns=["text"], threshold=0.2, lead_threshold=0.3, num_perm=64,
        rows_per_band=3, min_word_length=5, stem_length=7, min_stems=5, min_rows_for_idf=500, max_bucket=10, max_group=30, common_rows=40, seed=3,
    )
    config = expectation.get_validation_dependencies().get_metric_configuration(ExpectSameStoriesToAgree.batch_metric)
    assert dict(config.metric_value_kwargs) == {
        "column": "rubrik", "also_columns": ["ort"], "text_columns": ["text"], "threshold": 0.2, "lead_threshold": 0.3,
        "num_perm": 64, "rows_per_band": 3, "min_word_length": 5, "stem_length": 7, "min_stems": 5,
        "min_rows_for_idf": 500, "max_bucket": 10, "max_group": 30, "common_rows": 40, "seed": 3,
    }


def test_gx_run_reports_details_stories_and_findings(tmp_path):
    ruleset = load_rules(rules_file(tmp_path))
    frame = batch(categories=["Politik", "Unwetter", "Sport", "Unwetter", "Terrorismus"])
    [outcome] = run_validation(ruleset, frame).outcomes
    assert outcome.error is None and outcome.expectation == EXPECTATION and outcome.column == "category"
    assert not outcome.success
    assert outcome.result["unexpected_index_list"] == [1, 4]
    assert outcome.result["stories"] == [{"story": 1, "rows": [1, 4]}]
    assert outcome.result["details"]["4"]["evidence"]["rows"] == [1]

    records = [
        {"id": f"r{n}", "Titel": row.title, "Text": row.body, "Vorfall": row.category, "Ort": row.location}
        for n, row in enumerate(frame.itertuples())
    ]
    result = audit_records(ruleset, records)
    findings = findings_of(result, RULE, "category")
    assert {f["row_id"] for f in findings} == {"r1", "r4"}
    by_row = {f["row_id"]: f for f in findings}
    assert by_row["r4"]["severity"] == "warning" and by_row["r4"]["value"] == "Terrorismus"
    assert by_row["r4"]["evidence"]["conflicts"] == {"category": ["Unwetter"]}
    assert by_row["r4"]["message"] == "tells the same story as row r1, which say category 'Unwetter', not 'Terrorismus'"
    assert by_row["r4"]["evidence"]["rows"] == ["r1"] and by_row["r1"]["evidence"]["rows"] == ["r4"]
    # results.json's story list names rows by id, and each member row knows its story.
    assert result.stories == [{"story": 1, "rows": ["r1", "r4"], "label": f"1: {FLOOD_A[0]}"}]
    assert [row.get("story") for row in result.rows] == [None, 1, None, None, 1]


def test_gx_run_passes_when_stories_agree(tmp_path):
    ruleset = load_rules(rules_file(tmp_path))
    [outcome] = run_validation(ruleset, batch()).outcomes
    assert outcome.success and outcome.result["details"] == {}
    assert outcome.result["stories"] == [{"story": 1, "rows": [1, 4]}]


# --- the seeds: one event in two outlets' words ------------------------------------------

def test_seed_pages_are_one_story(shared_seeds):
    from auditor.loaders import load_inputs
    from auditor.mapping import build_batch

    paths = [shared_seeds / "000_8f140c7bc8186c8a.txt", shared_seeds / "001_d6f240a953c802b2.txt"]
    if not all(path.exists() for path in paths):
        pytest.skip("seed pages 000 and 001 are not present")
    data = build_batch(load_inputs(paths), load_rules().column_mapping).data
    assert group_stories(data) == [[0, 1]]
    verdict = find_story_conflicts(data)
    # Seed 000 has no Details table: its empty category and location conflict with nothing.
    assert verdict["stories"] == [[0, 1]] and verdict["details"] == {}


# --- read in parts, as from row partitions and from disk ---------------------------------

def _made_up_batch(stories: int = 240, rewrites: int = 50, seed: int = 3) -> pd.DataFrame:
    """Stories of made-up words (Zipf-like draws from one vocabulary, so that common words
    are common), some of them told twice: the second telling drops and reorders words."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghiklmnoprstuwz"))
    vocabulary = sorted({"".join(rng.choice(letters, size=rng.integers(5, 11))) for _ in range(4000)})
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    rows = []
    for _ in range(stories):
        words = list(rng.choice(vocabulary, size=140, p=weights))
        rows.append((" ".join(words[:8]).capitalize(), ". ".join(" ".join(words[at:at + 12]) for at in range(8, 140, 12))))
    for told in rng.choice(stories, size=rewrites, replace=False):
        title, body = rows[told]
        words = body.replace(".", "").split()
        kept = [word for word in words if rng.random() > 0.1]
        middle = kept[10:]
        rng.shuffle(middle)
        rows.append((title, " ".join(kept[:10] + middle)))
    return frame_of(rows, ["Unwetter"] * len(rows), ["Kessental"] * len(rows))


def test_groups_from_parts_on_disk_are_those_of_the_whole_batch(monkeypatch):
    from auditor.batch import stories
    from auditor.text.analysis import analyse_texts

    frame = _made_up_batch()
    settings = StorySettings(min_stems=20)
    whole = stories.find_groups(stories.story_features(analyse_texts(frame["title"], frame["body"]), settings),
                                settings)
    assert len(whole.groups) >= 40  # the planted second tellings, and little else
    assert all(len(group) == 2 for group in whole.groups)

    parts = []
    for start in range(0, len(frame), 37):
        rows = frame.iloc[start:start + 37]
        parts.append(stories.story_features(analyse_texts(rows["title"], rows["body"]), settings))
    # Small blocks of weighted texts (so they go to disk and are paired block by block) and
    # small slices of candidates.
    monkeypatch.setattr(stories, "WHOLE_BLOCK_ROWS", 50)
    monkeypatch.setattr(stories, "PAIR_SLICE", 7)
    in_parts = stories.find_groups(stories.combine_story_features(parts), settings)
    assert in_parts.groups == whole.groups
    assert in_parts.similarity == whole.similarity  # to the last bit
    assert in_parts.comparable == whole.comparable == len(frame)
