"""category-fits-text: German matching, verdicts with evidence, edge cases, real text."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from auditor.text.analysis import analyse_texts, normalise
from auditor.text.lexicon import Lexicon, Term, parse_term
from tests.conftest import REPO, SHARED, audit_records, findings_of

NATO_MEETING = (
    "Die Außenminister der NATO haben sich am Dienstag in Brüssel zu einem zweitägigen Treffen versammelt. "
    "Im Mittelpunkt des Außenministertreffens stand der Vorwurf, Russland unterstütze Nordkorea beim Ausbau "
    "seines Raketenprogramms. Der Generalsekretär sprach von einer gefährlichen Militär-Kooperation und "
    "kündigte an, die Verbündeten würden über weitere Sanktionen beraten. Diplomaten mehrerer Mitgliedstaaten "
    "forderten eine gemeinsame Erklärung, die Regierung in Moskau wies die Vorwürfe zurück."
)
BOMB_ATTACK = (
    "Bei einem Bombenanschlag auf einen belebten Markt sind am Freitag mindestens zwölf Menschen getötet worden. "
    "Ein Selbstmordattentäter zündete nach Angaben der Polizei einen Sprengstoffgürtel. Die Terrormiliz bekannte "
    "sich in einem Bekennerschreiben zu dem Anschlag. Die Ermittler gehen von einer Terrorzelle aus, die seit "
    "Monaten weitere Terroranschläge geplant habe; drei mutmaßliche Islamisten wurden festgenommen."
)
CAR_CRASH = (
    "Auf der Bundesstraße bei Amstetten ist am Sonntagabend ein Autolenker ums Leben gekommen. Der 45-Jährige "
    "geriet mit seinem Pkw auf die Gegenfahrbahn und prallte frontal gegen einen Lkw. Der Lkw-Lenker wurde "
    "leicht verletzt. Die Straße war für die Unfallaufnahme drei Stunden gesperrt, die Feuerwehr barg das "
    "Wrack des Autos aus dem Straßengraben."
)


def lexicon(**terms: list[str]) -> Lexicon:
    return Lexicon.from_spec({category: {"indicators": {3.0: words}} for category, words in terms.items()})


def matches(term: str, text: str) -> bool:
    lex = lexicon(test=[term])
    analysis = analyse_texts(None, pd.Series([text]))
    hits = analysis.surface_forms @ lex.match_matrix(analysis.forms)
    return bool((analysis.counts @ hits).sum() > 0)


@pytest.mark.parametrize("term, text", [
    ("anschlag", "Die Anschläge erschütterten die Stadt"),          # plural with umlaut
    ("anschlag", "nach dem Terroranschlag vom Montag"),             # compound head
    ("anschlag", "zwei Bombenanschlägen"),                          # compound head, inflected
    ("terror*", "eine terroristische Vereinigung"),                  # modifier
    ("terror*", "die Terrorzelle flog auf"),
    ("außenminister*", "beim Außenministertreffen in Brüssel"),
    ("militär*", "eine enge Militär-Kooperation"),                  # hyphenated compound
    ("straße", "auf der STRASSE"),                                   # ß folded, case folded
    ("=bürgermeister", "der Buergermeister sagte"),                  # umlaut written as ue
    ("außenminister*", "die Aussenministerin"),                      # ß written as ss
    ("=töten", "zwei Menschen wurden getötet"),                      # participle through the lemma
])
def test_terms_match_inflections_and_compounds(term, text):
    assert matches(term, text)


@pytest.mark.parametrize("term, text", [
    ("brand", "in Brandenburg wird gewählt"),     # a prefix is not a compound head
    ("=wahl*", "eine große Auswahl an Käse"),      # =wahl* does not match as a head
    ("=rat", "der Apparat streikt"),               # exact terms match whole words only
    ("mord", "Mordor ist ein Ort aus einem Roman"),
])
def test_terms_do_not_match_lookalikes(term, text):
    assert not matches(term, text)


def test_short_terms_never_match_inside_words():
    term = parse_term("rat")
    assert not term.as_head and not term.as_modifier
    assert normalise("Außenminister-Treffen") == "aussenministertreffen"


def test_words_are_normalised_alike_one_by_one_and_all_at_once():
    """The analysis folds a partition's words in Arrow's kernels where they are ASCII: the
    forms must be exactly those of normalise, whatever the script."""
    import pyarrow as pa
    from auditor.text.words import normalise_all

    words = ["Straße", "STRASSE", "Militär-Kooperation", "UN-", "-", "", "İstanbul", "ﬁnanz", "ẞ", "ΣΊΣΥΦΟΣ",
             "Ǆemal", "µ-Meter", "Öl", "x-y-z", "ABC", "𝔄𝔅", "ʼN"]
    assert normalise_all(pa.array(words)).to_pylist() == [normalise(word) for word in words]
    assert normalise_all(pa.array(["A-B", "cd"])).to_pylist() == ["ab", "cd"]


def test_normalised_forms_match_their_terms_by_the_written_rules():
    """The forms x terms matrix on its own, for each way a form may match: whole, without
    an inflection ending or the feminine ending, as a compound's head or modifier (with
    enough letters left beside the term), and a form shared by two terms."""
    terms = (Term("Politiker", "politiker", False, False), Term("Handel", "handel", False, False),
             Term("Brand", "brand", True, False), Term("Anschlag", "anschlag", True, False),
             Term("Terror", "terror", True, True), Term("Ion", "ion", True, True),
             Term("Terror", "terror", False, False))
    lex = Lexicon(categories=("x",), terms=terms, weights=np.ones((len(terms), 1), dtype=np.float32))
    expected = {
        "politikerinnen": {0}, "politikerin": {0}, "politikers": {0},
        "handeln": set(),  # an infinitive, not the plural of `Handel`
        "handels": {1}, "grossbrandes": {2}, "brandes": {2}, "brands": {2},
        "terroranschlag": {3, 4}, "ueanschlag": set(),  # two letters are no compound's other part
        "terrorzelle": {4}, "terrorxy": set(), "bombenterror": {4}, "terror": {4, 6},
        "information": set(), "ion": {5},  # a three-letter term matches whole forms only
        "brandanschlags": {3}, "": set(),
    }
    forms = np.asarray(sorted(expected), dtype=object)
    matrix = lex.match_matrix(forms)
    assert matrix.shape == (len(forms), len(terms))
    for row, form in enumerate(forms):
        found = set(matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]].tolist())
        assert found == expected[form], form
    assert set(matrix.data.tolist()) == {1.0}


def fit_findings(default_rules, records):
    result = audit_records(default_rules, records)
    return result, findings_of(result, "category-fits-text")


def test_nato_meeting_labelled_terrorism_is_flagged_with_politik_and_evidence(default_rules):
    result, [finding] = fit_findings(default_rules, [
        {"id": "nato", "Titel": "NATO wirft Russland Hilfe für Nordkorea vor", "Text": NATO_MEETING, "Vorfall": "Terrorismus"},
    ])
    assert finding["severity"] == "error"
    assert finding["suggestion"] == "Politik"
    assert 0 <= finding["score"] < 0.35
    evidence = finding["evidence"]
    assert evidence["assigned"] == "Terrorismus" and evidence["suggested"] == "Politik"
    assert {"Außenminister", "Sanktionen"} <= set(evidence["for_suggested"])
    assert "Politik" in finding["message"] and "Terrorismus" in finding["message"]


def test_terror_story_labelled_terrorism_passes(default_rules):
    _, findings = fit_findings(default_rules, [
        {"id": "bomb", "Titel": "Zwölf Tote bei Anschlag auf Markt", "Text": BOMB_ATTACK, "Vorfall": "Terrorismus"},
    ])
    assert findings == []


@pytest.mark.parametrize("label", ["Terror", "terroranschlag"])
def test_aliases_are_judged_as_their_category(default_rules, label):
    _, findings = fit_findings(default_rules, [{"id": "b", "Titel": "Anschlag", "Text": BOMB_ATTACK, "Vorfall": label}])
    assert findings == []


def test_wrong_incident_gets_the_right_suggestion(default_rules):
    _, [finding] = fit_findings(default_rules, [
        {"id": "crash", "Titel": "Tödlicher Unfall auf der B1", "Text": CAR_CRASH, "Vorfall": "Brand"},
    ])
    assert finding["suggestion"] == "Verkehrsunfall"
    assert "Pkw" in finding["evidence"]["for_suggested"]


def test_story_without_incident_suggests_sonstiges(default_rules):
    text = ("Der Tennisspieler gewann am Sonntag das Turnier in Kitzbühel. Im Finale setzte er sich in drei Sätzen "
            "gegen den Titelverteidiger durch. Für die Saison ist es bereits der dritte Sieg, sein Trainer sprach "
            "von einem verdienten Erfolg vor ausverkauftem Stadion und dankte der Mannschaft hinter ihm.")
    _, [finding] = fit_findings(default_rules, [{"id": "t", "Titel": "Turniersieg", "Text": text, "Vorfall": "Brand"}])
    assert finding["suggestion"] == "Sonstiges"


@pytest.mark.parametrize("body", [None, "", "Kurze Meldung ohne Inhalt."])
def test_too_little_text_is_an_info_note_not_a_verdict(default_rules, body):
    result, findings = fit_findings(default_rules, [{"id": "s", "Titel": "Kurz", "Text": body, "Vorfall": "Terrorismus"}])
    assert [f["severity"] for f in findings] == ["info"]
    assert "not enough text" in findings[0]["message"]
    rule = next(r for r in result.rules if r["id"] == "category-fits-text")
    assert rule["passed"] is True and rule["unexpected"] == 0


def test_unknown_category_is_left_to_category_known(default_rules):
    result, findings = fit_findings(default_rules, [{"id": "u", "Titel": "x", "Text": NATO_MEETING, "Vorfall": "Weltpolitik"}])
    assert findings == []
    assert findings_of(result, "category-known")


def test_batch_with_a_single_label_is_judged_row_by_row(default_rules):
    records = [
        {"id": "1", "Titel": "NATO tagt", "Text": NATO_MEETING, "Vorfall": "Terrorismus"},
        {"id": "2", "Titel": "Anschlag", "Text": BOMB_ATTACK, "Vorfall": "Terrorismus"},
        {"id": "3", "Titel": "Unfall", "Text": CAR_CRASH, "Vorfall": "Terrorismus"},
    ]
    _, findings = fit_findings(default_rules, records)
    assert {f["row_id"]: f["suggestion"] for f in findings} == {"1": "Politik", "3": "Verkehrsunfall"}


def test_seed_rewrite_is_flagged_with_politik(shared_seeds, tmp_path):
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "auditor.cli", "audit", str(shared_seeds), "--out", str(out), "-q"],
                   cwd=REPO, timeout=300, check=False)
    findings = json.loads((out / "results.json").read_text(encoding="utf-8"))["findings"]
    [fit] = [f for f in findings if f["rule"] == "category-fits-text" and f["row_id"] == "001_d6f240a953c802b2"]
    assert fit["value"] == "Terrorismus" and fit["suggestion"] == "Politik"
    assert fit["evidence"]["for_suggested"]


def test_real_news_politik_labelled_terrorism_is_flagged_and_true_labels_pass(default_rules):
    """On real German news (../shared/data): floors well below what benchmarks/eval_fit.py measures."""
    if not (SHARED / "data" / "gnad10k_dev_incidents.csv").exists():
        pytest.skip("../shared/data is not present")
    texts = {r["id"]: r["text"] for r in csv.DictReader((SHARED / "data" / "gnad10k_dev.csv").open(encoding="utf-8"))}
    labels = list(csv.DictReader((SHARED / "data" / "gnad10k_dev_incidents.csv").open(encoding="utf-8")))
    spec = default_rules.taxonomy.fit_spec()
    display = spec["display"]
    from auditor.text.category_fit import FitSettings, judge_category_fit

    rule = default_rules.get("category-fits-text")
    settings = FitSettings(**{k: v for k, v in rule.args.items() if k != "text_columns"}, taxonomy=spec)
    body = pd.Series([texts[r["id"]] for r in labels] * 2)
    given = pd.Series([display[r["primary"]] for r in labels] + ["Terrorismus" if r["primary"] == "politik" else
                                                                    display[r["primary"]] for r in labels])
    details = judge_category_fit(given, analyse_texts(None, body), settings)
    failing = details.map(lambda d: isinstance(d, dict) and d.get("level") != "info").to_numpy()
    n = len(labels)
    politik = np.array([r["primary"] == "politik" for r in labels])
    assert failing[:n].mean() <= 0.06
    assert failing[n:][politik].mean() >= 0.9


def test_short_text_with_clear_evidence_is_still_judged(default_rules):
    _, [finding] = fit_findings(default_rules, [
        {"id": "h", "Titel": "Koalition verliert Mandate", "Text": "Die Koalition verliert bei der Landtagswahl drei Mandate.",
         "Vorfall": "Terrorismus"},
    ])
    assert finding["severity"] == "error" and finding["suggestion"] == "Politik"


# The classes of issue 11 that the taxonomy's requirements and the lead handle (texts written for this file).
BODY_FOUND = (
    "Lebloser Mann aus dem Kanal geborgen",
    "Spaziergänger haben am Mittwochmorgen einen leblosen Mann im Kanal nahe der Schleuse entdeckt und die Polizei "
    "gerufen. Die Feuerwehr barg den Toten aus dem Wasser, ein Notarzt konnte nur noch den Tod feststellen. Nach "
    "ersten Erkenntnissen lag der 61-Jährige seit einigen Tagen im Wasser. Hinweise auf ein Fremdverschulden gibt "
    "es nicht, die Obduktion soll die Todesursache klären. Da der Mann keine Papiere bei sich trug, bittet die "
    "Polizei um Mithilfe: Er war etwa 1,75 Meter groß, schlank, hatte kurze graue Haare und trug eine dunkelblaue "
    "Regenjacke, Jeans und braune Wanderschuhe. Wer kann Angaben zu seiner Identität machen oder hat den Mann in "
    "den vergangenen Tagen am Ufer gesehen? Hinweise nimmt jede Polizeidienststelle entgegen.",
)
SCHOOL_ATTACK = (
    "Maskierter überfällt Schulhof – zwei Schüler verletzt",
    "Ein maskierter junger Mann hat am Dienstagvormittag den Hof einer Gesamtschule überfallen und zwei Schüler "
    "mit einem Holzknüppel geschlagen. Die beiden Jungen erlitten Prellungen und eine Platzwunde am Kopf. Lehrer "
    "hielten den Angreifer fest, bis eine Streife eintraf. Zum Motiv machte der 19-Jährige keine Angaben, die "
    "Schule bot den Kindern am Nachmittag Gespräche mit Psychologen an.",
)
CAR_RAMPAGE = (
    "Amokfahrt durch die Fußgängerzone – drei Tote",
    "Ein 38-Jähriger ist am Samstagmittag mit seinem Geländewagen absichtlich in eine belebte Fußgängerzone "
    "gerast. Drei Passanten wurden getötet, elf weitere verletzt. Zeugen berichten, der Fahrer habe gezielt auf "
    "Menschen zugehalten und sei erst an einem Brunnen zum Stehen gekommen. Beamte nahmen ihn noch am Wagen fest, "
    "die Staatsanwaltschaft ermittelt wegen Mordes in drei Fällen.",
)
PREVENTION_DAY = (
    "Aktionstag: Polizei informiert über Trickbetrug an der Haustür",
    "Die Polizei lädt am kommenden Donnerstag zu einem Aktionstag im Einkaufszentrum am Markt ein. Von 10 bis 16 "
    "Uhr beantworten Beamtinnen und Beamte der Präventionsstelle Fragen rund um Betrüger, die sich am Telefon als "
    "Verwandte ausgeben oder an der Haustür als Handwerker auftreten. Es gibt Informationsmaterial, Verhaltenstipps "
    "für Seniorinnen und Senioren und um 14 Uhr einen Vortrag mit anschließender Beratung.",
)


def category_scores(default_rules, *articles: tuple[str, str]):
    """The shipped taxonomy's scores for each (title, body), as category-fits-text computes them."""
    from auditor.text.category_fit import FitSettings
    from auditor.text.lexicon import score_categories

    settings = FitSettings(**{k: v for k, v in default_rules.get("category-fits-text").args.items() if k != "text_columns"})
    lexicon = Lexicon.from_spec(default_rules.taxonomy.fit_spec()["lexicon"])
    analysis = analyse_texts(pd.Series([a[0] for a in articles]), pd.Series([a[1] for a in articles]))
    return lexicon, score_categories(analysis, lexicon, None, settings.unmet_requirement, settings.lead_bonus)


def test_a_killing_needs_a_death_that_someone_caused(default_rules):
    lexicon, scores = category_scores(default_rules, BODY_FOUND, CAR_RAMPAGE)
    killing = lexicon.categories.index("toetung")
    assert not scores.requirement_met[0, killing]  # a body found: a death, but nobody caused it
    assert scores.requirement_met[1, killing]


def test_an_attack_that_takes_nothing_is_no_robbery(default_rules):
    lexicon, scores = category_scores(default_rules, SCHOOL_ATTACK)
    assert not scores.requirement_met[0, lexicon.categories.index("raub")]  # force, but nothing taken
    _, [finding] = fit_findings(default_rules, [
        {"id": "s", "Titel": SCHOOL_ATTACK[0], "Text": SCHOOL_ATTACK[1], "Vorfall": "Diebstahl"},
    ])
    assert finding["suggestion"] == "Körperverletzung"


def test_a_car_driven_at_people_on_purpose_is_no_road_accident(default_rules):
    _, findings = fit_findings(default_rules, [
        {"id": "road", "Titel": CAR_RAMPAGE[0], "Text": CAR_RAMPAGE[1], "Vorfall": "Verkehrsunfall"},
        {"id": "killing", "Titel": CAR_RAMPAGE[0], "Text": CAR_RAMPAGE[1], "Vorfall": "Tötungsdelikt"},
    ])
    assert [(f["row_id"], f["suggestion"]) for f in findings] == [("road", "Tötungsdelikt")]
    assert findings[0]["confidence"] >= 0.6 and "Amokfahrt" in findings[0]["evidence"]["for_suggested"]


def test_a_police_prevention_day_about_fraud_is_no_fraud(default_rules):
    lexicon, scores = category_scores(default_rules, PREVENTION_DAY)
    assert scores.scores[0, lexicon.categories.index("sonstiges")] > scores.scores[0, lexicon.categories.index("betrug")]
    _, findings = fit_findings(default_rules, [
        {"id": "p", "Titel": PREVENTION_DAY[0], "Text": PREVENTION_DAY[1], "Vorfall": "Sonstiges"},
    ])
    assert findings == []


def test_a_second_requirement_must_be_met_too():
    from auditor.text.lexicon import score_categories

    lex = Lexicon.from_spec({
        "robbery": {"indicators": {3.0: ["=überfallen"]}, "requires": ["=bedrohen"], "also_requires": ["=beute"]},
    })
    texts = pd.Series(["Er hat den Laden überfallen und die Kassiererin bedroht.",
                       "Er hat den Laden überfallen, die Kassiererin bedroht und mit der Beute flüchtete er."])
    scores = score_categories(analyse_texts(None, texts), lex, unmet_requirement=0.3)
    full = score_categories(analyse_texts(None, texts), lex, unmet_requirement=1.0)
    assert list(scores.requirement_met[:, 0]) == [False, True]
    assert scores.scores[0, 0] == pytest.approx(0.3 * full.scores[0, 0])
    assert scores.scores[1, 0] == pytest.approx(full.scores[1, 0])


def test_a_word_of_the_lead_counts_more_than_the_same_word_later():
    from auditor.text.lexicon import score_categories

    lex = lexicon(fire=["brand"])
    filler = " ".join(["Die Nachbarn standen am Abend lange auf der Straße und redeten."] * 6)
    texts = pd.Series([f"Ein Brand in der Nacht. {filler}", f"{filler} Ein Brand in der Nacht."])
    analysis = analyse_texts(None, texts)
    plain = score_categories(analysis, lex).scores[:, 0]
    bonus = score_categories(analysis, lex, lead_bonus=1.0).scores[:, 0]
    assert plain[0] > plain[1]  # the analysis already weighs the lead double
    assert bonus[1] == pytest.approx(plain[1]) and bonus[0] > plain[0]
