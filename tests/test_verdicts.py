"""Verdicts editors can trust (issue 11): the classes of mistakes category-fits-text must not make,
its calibrated confidence, severity from confidence, and the rule gate.

Every text here is written for this file; each runs through the real pipeline (JSONL file → load →
GX validation with the default rules → findings).
"""

from __future__ import annotations

import pytest

from tests.conftest import audit_records, findings_of


def verdict(ruleset, title: str, body: str, label: str) -> dict | None:
    """The category-fits-text finding on one article (None when the label passes)."""
    result = audit_records(ruleset, [{"id": "a1", "Titel": title, "Text": body, "Vorfall": label}])
    found = [f for f in findings_of(result, "category-fits-text") if f["severity"] != "info"]
    return found[0] if found else None


STABBING_SURVIVED = (
    "Messerangriff vor Imbiss – Mann schwer verletzt",
    "Nach einem Streit vor einem Imbiss in der Innenstadt hat ein 31-Jähriger am Samstagabend einen Bekannten mit "
    "einem Messer angegriffen und am Oberarm verletzt. Der Verletzte kam in ein Krankenhaus, Lebensgefahr besteht "
    "nicht. Der Angreifer flüchtete zunächst, wurde aber wenig später von einer Streife gestellt und festgenommen.",
)
STABBING_FATAL = (
    "Mann nach Messerstichen gestorben – Mordkommission ermittelt",
    "In einer Wohnung im Norden der Stadt ist ein 52-Jähriger nach mehreren Messerstichen gestorben. Nachbarinnen "
    "hatten Schreie gehört und den Notruf gewählt, die Rettungskräfte konnten den Mann nicht mehr retten. Eine "
    "Mordkommission hat die Ermittlungen übernommen, ein Verdächtiger wurde in der Nähe festgenommen.",
)
BIKE_STOLEN = (
    "Fahrräder aus Keller gestohlen",
    "Unbekannte sind in der Nacht zum Dienstag in den Keller eines Mehrfamilienhauses eingedrungen und haben drei "
    "hochwertige Fahrräder gestohlen. Die Bewohner bemerkten den Diebstahl erst am Morgen, als sie die aufgebrochene "
    "Kellertür sahen. Der Schaden beläuft sich auf mehrere tausend Euro, die Kriminalpolizei sucht Zeugen.",
)
KIOSK_HOLDUP = (
    "Maskierter überfällt Kiosk",
    "Ein maskierter Mann hat am Montagabend einen Kiosk am Bahnhofsplatz überfallen. Er bedrohte den Verkäufer mit "
    "einer Pistole und forderte das Geld aus der Kasse. Mit einigen hundert Euro Beute flüchtete der Räuber zu Fuß, "
    "die Fahndung mit mehreren Streifenwagen blieb bislang ohne Erfolg.",
)
SCAFFOLD_FALL = (
    "Arbeiter stürzt von Gerüst",
    "Auf einer Baustelle in einem Gewerbegebiet ist am Donnerstagvormittag ein 44 Jahre alter Arbeiter von einem "
    "Gerüst gestürzt. Er fiel aus etwa sechs Metern Höhe und zog sich schwere Verletzungen zu. Ein "
    "Rettungshubschrauber brachte ihn in eine Klinik, das Arbeitsinspektorat untersucht die Ursache des Unglücks.",
)
BAR_BRAWL = (
    "Schlägerei vor Bar – zwei Verletzte",
    "Vor einer Bar in der Altstadt sind in der Nacht auf Sonntag mehrere Männer aneinandergeraten. Aus einem Streit "
    "wurde eine Schlägerei, bei der zwei Beteiligte Platzwunden und Prellungen erlitten. Die alarmierte Polizei "
    "trennte die Gruppen, gegen vier Männer wird wegen Körperverletzung ermittelt.",
)
ROAD_BLOCKADE = (
    "Klimaaktivisten blockieren Kreuzung",
    "Rund dreißig Aktivistinnen und Aktivisten haben am Montagmorgen eine große Kreuzung im Zentrum blockiert und "
    "sich teilweise auf der Fahrbahn festgeklebt. Sie protestierten mit Transparenten gegen die Klimapolitik der "
    "Regierung. Autofahrer standen bis zu einer Stunde im Stau, Busse wurden umgeleitet, die Polizei löste die "
    "Versammlung nach zwei Stunden auf.",
)
GRANDCHILD_TRICK = (
    "Falscher Enkel erbeutet Ersparnisse",
    "Eine 86-jährige Frau ist Opfer von Betrügern geworden. Ein Anrufer gab sich als ihr Enkel aus und behauptete, "
    "nach einem Unfall dringend Geld für einen Anwalt zu brauchen. Die Seniorin hob daraufhin ihre Ersparnisse ab "
    "und übergab sie einem angeblichen Boten an der Haustür. Die Polizei warnt erneut vor dieser Masche.",
)
STORM_BARN = (
    "Unwetter richtet schwere Schäden an",
    "Ein heftiges Unwetter mit Sturmböen und Starkregen ist am Mittwochabend über die Region gezogen. Bäume "
    "stürzten auf Straßen, zahlreiche Keller liefen voll, die Feuerwehren rückten zu mehr als zweihundert Einsätzen "
    "aus. Ein Blitz schlug in eine Scheune ein, die daraufhin in Brand geriet. Der Wetterdienst warnt vor weiteren "
    "Gewittern in der Nacht.",
)
CONCERT = (
    "Rockband begeistert im ausverkauften Stadion",
    "Die Band spielte am Samstag vor vierzigtausend Fans ein Konzert, bei dem das Publikum von der ersten Minute an "
    "brannte. Feuerfontänen und ein Feuerwerk auf der Bühne begleiteten die größten Hits des neuen Albums. Der "
    "Sänger bedankte sich nach drei Stunden bei den Musikern und kündigte eine Tournee für den Herbst an.",
)
ORDNANCE = (
    "Fliegerbombe auf Baustelle entschärft",
    "Bei Bauarbeiten für ein neues Wohnhaus ist am Dienstag eine Fliegerbombe aus dem Zweiten Weltkrieg gefunden "
    "worden. Der Kampfmittelräumdienst entschärfte den Blindgänger am Nachmittag. Für die Dauer der Entschärfung "
    "wurde ein Sperrkreis eingerichtet, rund tausend Anwohner mussten ihre Wohnungen für einige Stunden verlassen.",
)
MISSING_FOUND = (
    "Vermisste Seniorin wohlbehalten aufgefunden",
    "Die seit Sonntag vermisste 79-jährige Frau aus dem Stadtteil Süd ist wohlbehalten aufgefunden worden. Eine "
    "Passantin hatte die Seniorin am Abend in einem Park erkannt und die Polizei verständigt. Die Frau wurde zu "
    "ihrer Familie gebracht. Die Polizei bedankt sich bei allen, die bei der Suche geholfen haben.",
)


@pytest.mark.parametrize("article, label, suggestion", [
    pytest.param(STABBING_SURVIVED, "Tötungsdelikt", "Körperverletzung", id="killing-without-a-death"),
    pytest.param(STABBING_FATAL, "Körperverletzung", "Tötungsdelikt", id="assault-where-someone-died"),
    pytest.param(BIKE_STOLEN, "Raub", "Diebstahl", id="robbery-without-force"),
    pytest.param(SCAFFOLD_FALL, "Verkehrsunfall", "Unfall", id="road-accident-off-the-road"),
    pytest.param(BAR_BRAWL, "Demonstration", "Körperverletzung", id="protest-that-is-a-brawl"),
    pytest.param(CONCERT, "Brand", "Sonstiges", id="figurative-fire"),
    pytest.param(ORDNANCE, "Krieg", "Sonstiges", id="old-ordnance-is-no-war"),
    pytest.param(ORDNANCE, "Terrorismus", "Sonstiges", id="old-ordnance-is-no-attack"),
])
def test_wrong_neighbour_is_flagged_with_the_right_one(default_rules, article, label, suggestion):
    finding = verdict(default_rules, *article, label)
    assert finding is not None, f"{label!r} passed"
    assert finding["suggestion"] == suggestion
    assert 0.6 <= finding["confidence"] <= 1.0


@pytest.mark.parametrize("article, label", [
    pytest.param(STABBING_SURVIVED, "Körperverletzung", id="assault"),
    pytest.param(STABBING_FATAL, "Tötungsdelikt", id="killing"),
    pytest.param(BIKE_STOLEN, "Diebstahl", id="theft"),
    pytest.param(KIOSK_HOLDUP, "Raub", id="robbery"),
    pytest.param(SCAFFOLD_FALL, "Unfall", id="workplace-accident"),
    pytest.param(BAR_BRAWL, "Körperverletzung", id="brawl"),
    pytest.param(ROAD_BLOCKADE, "Demonstration", id="blockade-full-of-traffic-words"),
    pytest.param(GRANDCHILD_TRICK, "Betrug", id="grandchild-trick"),
    pytest.param(STORM_BARN, "Naturkatastrophe", id="storm-that-also-set-a-barn-alight"),
    pytest.param(CONCERT, "Sonstiges", id="concert-that-burns-figuratively"),
    pytest.param(ORDNANCE, "Sonstiges", id="ordnance-defused"),
    pytest.param(MISSING_FOUND, "Sonstiges", id="missing-person-found"),
])
def test_right_label_passes(default_rules, article, label):
    finding = verdict(default_rules, *article, label)
    assert finding is None, finding and finding["message"]


def test_findings_carry_a_calibrated_confidence_and_severity_follows_it(default_rules):
    result = audit_records(default_rules, [
        {"id": "a", "Titel": KIOSK_HOLDUP[0], "Text": KIOSK_HOLDUP[1], "Vorfall": "Naturkatastrophe"},
        {"id": "b", "Titel": BIKE_STOLEN[0], "Text": BIKE_STOLEN[1], "Vorfall": "Raub"},
        {"id": "c", "Titel": BAR_BRAWL[0], "Text": BAR_BRAWL[1], "Vorfall": "Körperverletzung"},
    ])
    rule = default_rules.get("category-fits-text")
    findings = {f["row_id"].split("_")[0]: f for f in findings_of(result, "category-fits-text")}
    assert "c" not in findings
    for finding in findings.values():
        confidence = finding["confidence"]
        assert 0.0 <= confidence <= 1.0
        expected = "error" if confidence >= rule.confidence["error"] else "warning"
        assert finding["severity"] == expected
        assert confidence >= rule.confidence["warning"]
    assert findings["a"]["confidence"] > 0.9  # nothing at all speaks for a natural disaster


def test_confidence_levels_in_the_rules_decide_severity_and_what_is_reported(default_rules, tmp_path):
    from dataclasses import replace

    rule = default_rules.get("category-fits-text")
    strict = replace(default_rules, rules=tuple(
        replace(r, confidence={"error": 0.9999999, "warning": 0.99999}) if r.id == rule.id else r
        for r in default_rules.rules))
    records = [{"id": "a", "Titel": KIOSK_HOLDUP[0], "Text": KIOSK_HOLDUP[1], "Vorfall": "Naturkatastrophe"},
               {"id": "b", "Titel": BIKE_STOLEN[0], "Text": BIKE_STOLEN[1], "Vorfall": "Raub"}]
    default = findings_of(audit_records(default_rules, records), "category-fits-text")
    raised = findings_of(audit_records(strict, records), "category-fits-text")
    assert len(raised) < len(default) or any(f["severity"] == "warning" for f in raised)
    assert all(f["confidence"] >= 0.99999 for f in raised)


def test_a_rule_gate_needs_confidence_levels_and_a_check_that_reports_confidence(tmp_path):
    from auditor.errors import RulesError
    from auditor.rules import load_rules

    (tmp_path / "taxonomy.yaml").write_text((default_rules_dir() / "taxonomy.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text("taxonomy: taxonomy.yaml\nrules:\n  - id: fits\n    description: d\n    severity: error\n"
                     "    expectation: expect_column_values_to_fit_article_text\n    column: category\n"
                     "    gate: {max_share: 0.05}\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"rules.yaml:\d+: rule 'fits': a gate counts findings by confidence"):
        load_rules(rules)
    rules.write_text("rules:\n  - id: present\n    description: d\n    severity: error\n"
                     "    expectation: expect_column_values_to_not_be_null\n    column: title\n"
                     "    confidence: {warning: 0.6}\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"rules.yaml:\d+: rule 'present': .* does not say how sure it is"):
        load_rules(rules)


def default_rules_dir():
    from auditor.resources import default_rules_dir as shipped

    return shipped()


def test_a_category_keeps_only_a_share_of_its_evidence_without_what_it_requires_or_with_what_excludes_it():
    import pandas as pd

    from auditor.text.analysis import analyse_texts
    from auditor.text.lexicon import Lexicon, score_categories

    lexicon = Lexicon.from_spec({
        "killing": {"indicators": {3.0: ["messer", "=mordkommission"]}, "requires": ["=tot", "=sterben"]},
        "assault": {"indicators": {3.0: ["messer"]}, "excludes": ["=tot", "=sterben"]},
    })
    texts = pd.Series(["Ein Mann griff mit einem Messer an, die Mordkommission ermittelt.",
                       "Ein Mann griff mit einem Messer an, das Opfer starb im Krankenhaus."])
    scores = score_categories(analyse_texts(None, texts), lexicon, unmet_requirement=0.3)
    full = score_categories(analyse_texts(None, texts), lexicon, unmet_requirement=1.0)
    killing, assault = lexicon.categories.index("killing"), lexicon.categories.index("assault")
    assert scores.scores[0, killing] == pytest.approx(0.3 * full.scores[0, killing])  # no death named
    assert scores.scores[0, assault] == pytest.approx(full.scores[0, assault])
    assert scores.scores[1, killing] == pytest.approx(full.scores[1, killing])  # `starb` is `sterben`
    assert scores.scores[1, assault] == pytest.approx(0.3 * full.scores[1, assault])  # a death rules it out
    assert not scores.requirement_met[0, killing] and not scores.requirement_met[1, assault]


def _real_batch(corrupt_share: float, seed: int = 7) -> list[dict]:
    """The labelled dev news and police releases (../shared/data) with their primary labels, and a
    share of them relabelled with a seeded category outside their acceptable set."""
    import csv
    import random

    from auditor.rules import load_rules
    from tests.conftest import SHARED

    data = SHARED / "data"
    if not (data / "police_dev.csv").exists() or not (data / "gnad10k_dev_incidents.csv").exists():
        pytest.skip("../shared/data is not present")
    display = {category.id: category.label for category in load_rules().taxonomy.categories}
    texts = {row["id"]: row["text"] for row in csv.DictReader((data / "gnad10k_dev.csv").open(encoding="utf-8"))}
    articles = []
    for row in csv.DictReader((data / "gnad10k_dev_incidents.csv").open(encoding="utf-8")):
        # 10kGNAD runs title and body together; its first sentence is the teaser line.
        title, _, body = texts[row["id"]].partition(". ")
        articles.append((row["id"], title, body, row["primary"], {row["primary"], *filter(None, row["acceptable"].split("|"))}))
    for row in csv.DictReader((data / "police_dev.csv").open(encoding="utf-8")):
        articles.append((row["id"], row["title"], row["body"], row["primary"],
                         {row["primary"], *filter(None, row["acceptable"].split("|"))}))
    rng = random.Random(seed)
    wrong = set(rng.sample(range(len(articles)), int(corrupt_share * len(articles))))
    return [{"id": article_id, "Titel": title, "Text": body,
             "Vorfall": display[rng.choice(sorted(set(display) - acceptable)) if k in wrong else primary]}
            for k, (article_id, title, body, primary, acceptable) in enumerate(articles)]


@pytest.mark.parametrize("corrupt_share, fails", [(0.0, False), (0.1, True)], ids=["clean", "ten-percent-wrong"])
def test_the_gate_passes_a_clean_real_batch_and_fails_one_with_ten_percent_wrong_labels(tmp_path, corrupt_share, fails):
    import json

    from typer.testing import CliRunner

    from auditor.cli import app

    records = _real_batch(corrupt_share)
    table = tmp_path / "night.jsonl"
    table.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "-q"])
    assert run.exit_code in (0, 1), run.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    rules = {rule["id"]: rule for rule in results["rules"]}
    category_rules = [rule_id for rule_id in rules if rule_id.startswith("category-")]
    gate = rules["category-fits-text"]["gate"]
    if fails:
        assert not rules["category-fits-text"]["passed"] and gate["share"] > gate["max_share"]
        assert "category-fits-text" in results["summary"]["gating_rules_failed"]
        assert run.exit_code == 1
    else:
        assert all(rules[rule_id]["passed"] for rule_id in category_rules), {
            rule_id: rules[rule_id].get("gate") or rules[rule_id]["unexpected"] for rule_id in category_rules}
        assert not set(category_rules) & set(results["summary"]["gating_rules_failed"])
        # Findings below the gate's confidence still reach the editor.
        assert gate["rows"] <= rules["category-fits-text"]["unexpected"]


def test_waived_findings_do_not_count_for_the_rule_gate(tmp_path):
    import json

    from typer.testing import CliRunner

    from auditor.cli import app
    from tests.test_decisions import decision

    # Three of four articles wrongly labelled: far above the gate's share.
    records = [{"id": f"r{k}", "Titel": title, "Text": body, "Vorfall": label} for k, ((title, body), label) in enumerate([
        (KIOSK_HOLDUP, "Naturkatastrophe"), (BAR_BRAWL, "Cyberangriff"), (ORDNANCE, "Gesundheit"),
        (GRANDCHILD_TRICK, "Betrug")])]
    table = tmp_path / "night.jsonl"
    table.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    CliRunner().invoke(app, ["audit", str(table), "--out", str(tmp_path / "first"), "-q"])
    first = json.loads((tmp_path / "first" / "results.json").read_text(encoding="utf-8"))
    rule = next(r for r in first["rules"] if r["id"] == "category-fits-text")
    assert not rule["passed"] and rule["gate"]["rows"] == 3
    sure = [f for f in first["findings"] if f["rule"] == "category-fits-text"]
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("".join(decision(f["rule"], f["row_id"], f["column"], f["value"], "dismiss",
                                          "2026-12-02T08:00:00Z", note="checked") for f in sure), encoding="utf-8")
    CliRunner().invoke(app, ["audit", str(table), "--out", str(tmp_path / "second"), "-q", "--decisions", str(decisions)])
    second = json.loads((tmp_path / "second" / "results.json").read_text(encoding="utf-8"))
    rule = next(r for r in second["rules"] if r["id"] == "category-fits-text")
    assert rule["passed"] and rule["gate"]["rows"] == 0
    assert "category-fits-text" not in second["summary"]["gating_rules_failed"]
    assert all(f["status"] == "waived" for f in second["findings"] if f["rule"] == "category-fits-text")
