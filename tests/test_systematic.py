"""The bad night: a rule failing on most rows is one systematic problem, said once (results.json,
the top of the report, JUnit, GitHub annotations), its per-row findings listed on demand in the
page and all of them in findings.jsonl; the threshold is data in the rules file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.annotations import annotation_lines, job_summary
from auditor.cli import app
from auditor.decisions import load_decisions
from auditor.errors import RulesError
from auditor.report.results_json import RESULTS_JSON_FINDINGS
from auditor.resources import default_rules_dir
from auditor.rules import load_rules
from tests.test_report_browser import browser, open_page  # noqa: F401  (browser is a fixture)

ROWS = 60
PLACES = ["Linz", "Graz", "Salzburg", "Innsbruck", "Klagenfurt", "Wels"]
TOPICS = ["die neue Umfahrungsstraße", "den Ausbau des Radwegs", "die Sanierung des Hallenbads",
          "den Bau einer Volksschule", "die Erweiterung des Busnetzes"]


def rules_text(systematic: str = "systematic: {min_share: 0.3, min_rows: 20, examples: 3}", sources_rule: str = "") -> str:
    """Three rules of the shipped kind; ``systematic`` is the file's threshold (line 3),
    ``sources_rule`` extra keys of sources-match-text."""
    return "\n".join([
        f"taxonomy: {default_rules_dir() / 'taxonomy.yaml'}",
        "columns: {Titel: title, Text: body, Vorfall: category, Ursache: cause, Ort: location, Quellen: sources}",
        systematic,
        "rules:",
        "  - id: metadata-present",
        "    description: Cause, location and sources are filled in.",
        "    severity: warning",
        '    systematic: {hint: "likely the extraction"}',
        "    expectation: expect_column_values_to_not_be_null",
        "    columns: [cause, location, sources]",
        "  - id: sources-match-text",
        "    description: The sources are the outlets the text credits.",
        "    severity: warning",
        *([f"    {sources_rule}"] if sources_rule else []),
        "    expectation: expect_column_values_to_match_credited_outlets",
        "    column: sources",
        "    args: {text_columns: [title, body]}",
        "  - id: no-markup",
        "    description: Text fields hold plain text.",
        "    severity: error",
        "    expectation: expect_column_values_to_be_free_of_markup",
        "    columns: [title, body]",
        "",
    ])


def bad_night(path: Path) -> Path:
    """Every cause empty (the extraction lost it), half the rows list an outlet their text does
    not credit, and three titles with leaked markup: ordinary per-row findings."""
    rows = []
    for number in range(ROWS):
        place, topic = PLACES[number % len(PLACES)], TOPICS[number % len(TOPICS)]
        body = (f"{place} - Der Gemeinderat von {place} hat am Montag über {topic} beraten. Nach einer langen "
                f"Sitzung stimmte eine knappe Mehrheit dafür, die Arbeiten im Frühjahr zu beginnen (Vorlage {number}).")
        if number % 2 == 0:
            body += " Das berichtete Heute.at am Abend."
        title = f"{place}: Gemeinderat beschließt {topic.split(' ', 1)[1]} ({number})"
        if number in (5, 17, 33):
            title = f"<b>{title}</b>"
        rows.append({"id": f"a{number:03d}", "Titel": title, "Text": body, "Vorfall": "Politik", "Ursache": "",
                     "Ort": place, "Quellen": "www.heute.at"})
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def audit(folder: Path, rules: str, *extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    out = folder / "out"
    result = CliRunner().invoke(app, ["audit", str(bad_night(folder / "export.jsonl")), "--rules",
                                      str(folder / "rules.yaml"), "--out", str(out), "--fail-on", "never", "-q", *extra])
    assert result.exit_code == 0, (result.output, result.exception)
    return out


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    return audit(tmp_path_factory.mktemp("bad-night"), rules_text())


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def every_finding(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]


def test_results_json_says_it_is_one_problem_and_findings_jsonl_has_every_finding(night):
    document = results(night)
    problems = {problem["id"]: problem for problem in document["systematic"]}
    assert set(problems) == {"metadata-present:cause", "sources-match-text:sources"}
    cause = problems["metadata-present:cause"]
    assert cause["text"] == "`cause` empty in 100\u202f% of rows — likely the extraction"
    assert (cause["rows"], cause["of"], cause["findings"], cause["share"]) == (ROWS, ROWS, ROWS, 1.0)
    assert [example["row_id"] for example in cause["examples"]] == ["a000", "a001", "a002"]  # examples: 3
    sources = problems["sources-match-text:sources"]
    assert sources["rows"] == ROWS // 2 and sources["share"] == 0.5
    assert "50.0\u202f% of rows" in sources["text"]
    assert [p["id"] for p in document["summary"]["systematic"]] == [p["id"] for p in document["systematic"]]

    # results.json lists the ordinary findings; findings.jsonl every one, marked.
    listed = document["findings"]
    assert {(f["rule"], f.get("column")) for f in listed} == {("no-markup", "title")}
    assert len(listed) == 3
    everything = every_finding(night)
    assert len(everything) == document["summary"]["findings"] == ROWS + ROWS // 2 + 3
    assert document["findings_file"] == {"path": "findings.jsonl", "findings": len(everything), "in_results_json": 3,
                                         "left_out_beyond_limit": 0, "limit": RESULTS_JSON_FINDINGS}
    marked = [f for f in everything if f.get("systematic")]
    assert {f["systematic"] for f in marked} == set(problems)
    assert all(f["systematic"] == f"{f['rule']}:{f['column']}" for f in marked)
    # Every row is still accounted for.
    assert len(document["rows"]) == ROWS and {row["status"] for row in document["rows"]} == {"failed"}


def test_junit_and_annotations_say_so_without_listing_every_row(night):
    junit = (night / "junit.xml").read_text(encoding="utf-8")
    assert "systematic: `cause` empty in 100\u202f% of rows — likely the extraction" in junit
    assert junit.count("[cause]: cause is empty") == 10  # the first examples, then a count
    assert "and 50 more (see results.json; all findings in findings.jsonl)" in junit

    document = results(night)
    lines = annotation_lines(every_finding(night), systematic=document["summary"]["systematic"])
    assert lines[0].startswith("::warning title=systematic%3A metadata-present [cause]::`cause` empty in 100")
    assert lines[1].startswith("::warning title=systematic%3A sources-match-text [sources]::")
    assert [line.split("::")[1].split(" ")[0] for line in lines[2:]] == ["error"] * 3  # the markup rows
    summary = job_summary(document["summary"], document["rules"], every_finding(night), document["rows"])
    assert "### Systematic problems" in summary and "empty in 100" in summary


def test_the_page_carries_systematic_findings_apart_and_says_so_at_the_top(night):
    page = (night / "report.html").read_text(encoding="utf-8")
    top = page.index('id="systematic"')
    assert top < page.index('aria-label="Overview"') < page.index('id="findings"')
    assert "`cause` empty in 100\u202f% of rows — likely the extraction" in page[top:page.index('aria-label="Overview"')]
    main = json.loads(re.search(r'id="audit-data">(.*?)</script>', page, flags=re.S).group(1))
    on_demand = json.loads(re.search(r'id="audit-on-demand">(.*?)</script>', page, flags=re.S).group(1))
    assert sum(len(article["f"]) for article in main["articles"]) == 3
    assert [p["id"] for p in main["problems"]] == ["metadata-present:cause", "sources-match-text:sources"]
    waiting = {problem["id"]: problem["columns"] for problem in on_demand["problems"]}
    assert len(waiting["metadata-present:cause"]["a"]) == ROWS and len(waiting["sources-match-text:sources"]["a"]) == ROWS // 2
    assert on_demand["messages"][waiting["metadata-present:cause"]["m"]] == "cause is empty"  # one value for all
    # Each article once, however many of its findings wait; the three in the main block by reference.
    assert on_demand["articles"] == 3 and len(on_demand["rows"]) == ROWS - 3


def test_the_threshold_is_data_in_the_rules_file(tmp_path):
    # A stricter file-wide share: half the rows is no longer systematic, all of them still is.
    stricter = results(audit(tmp_path / "strict", rules_text("systematic: {min_share: 0.9, min_rows: 20}")))
    assert [p["id"] for p in stricter["systematic"]] == ["metadata-present:cause"]
    assert sum(1 for f in stricter["findings"] if f["rule"] == "sources-match-text") == ROWS // 2
    # A rule may opt out; the defaults (min_rows 200) keep a small batch listed in full.
    opted_out = results(audit(tmp_path / "out", rules_text(sources_rule="systematic: false")))
    assert [p["id"] for p in opted_out["systematic"]] == ["metadata-present:cause"]
    assert results(audit(tmp_path / "default", rules_text(systematic="")))["systematic"] == []


@pytest.mark.parametrize(("systematic", "expected"), [
    ("systematic: {min_share: 2}", "rules.yaml:3: systematic.min_share: 2 is greater than the maximum of 1"),
    ("systematic: {min_rows: 0}", "rules.yaml:3: systematic.min_rows: 0 is less than the minimum of 1"),
    ("systematic: {share: 0.5}", "rules.yaml:3: systematic: unknown key 'share'"),
])
def test_a_wrong_threshold_is_one_line_with_file_and_line(tmp_path, systematic, expected):
    path = tmp_path / "rules.yaml"
    path.write_text(rules_text(systematic), encoding="utf-8")
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    assert str(raised.value).startswith(str(tmp_path / expected.split(":", 1)[0]) + ":" + expected.split(":", 1)[1].split(":")[0])
    assert expected.split(": ", 1)[1].split(" ")[0] in str(raised.value)


def test_diff_of_two_run_folders_counts_the_systematic_findings(tmp_path, night):
    again = audit(tmp_path / "again", rules_text())
    result = CliRunner().invoke(app, ["diff", str(night), str(again), "-o", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    assert f"still open: {ROWS + ROWS // 2 + 3}" in result.output


def test_findings_shown_on_demand_can_be_decided_in_the_browser(browser, night, tmp_path):
    page, problems, requests = open_page(browser, night / "report.html")
    page.wait_for_selector("html[data-findings-rendered='1']")
    assert page.locator("#articles li.finding").count() == 3
    assert "90 findings of systematic problems are not listed" in page.inner_text("#status")
    rules = json.loads(re.search(r'id="audit-data">(.*?)</script>', (night / "report.html").read_text(encoding="utf-8"),
                                 flags=re.S).group(1))["rules"]
    page.click("[data-systematic='metadata-present:cause']")
    assert page.locator("[data-systematic='metadata-present:cause']").inner_text().startswith("listed below")
    assert page.input_value("#f-rule") == str(rules.index("metadata-present"))
    assert "60 of" in page.inner_text("#status") and "30 findings of systematic problems" in page.inner_text("#status")
    first = page.locator("#articles article", has_text="a000").locator("li.finding", has_text="cause is empty")
    first.locator(".d-dismiss").click()
    first.locator(".d-note").fill("Ursache liefert die Quelle nicht")
    first.locator(".d-confirm").click()
    assert page.inner_text("#d-count") == "1 decision not yet downloaded"
    page.check("#f-undecided")
    assert page.locator("#articles article", has_text="a000").count() == 0
    page.uncheck("#f-undecided")
    # The other problem comes with its rule: choosing it in the filter lists its findings.
    assert page.locator("#f-rule option", has_text="sources-match-text (30, systematic)").count() == 1
    page.select_option("#f-rule", value=str(rules.index("sources-match-text")))
    assert page.locator("#articles li.finding", has_text="sources-match-text").count() == 30
    assert "not listed" not in page.inner_text("#status")
    with page.expect_download() as info:
        page.click("#d-download")
    info.value.save_as(str(tmp_path / "decisions.yaml"))
    assert problems == [] and all(url.startswith("file:") for url in requests)
    page.close()
    [entry] = load_decisions([tmp_path / "decisions.yaml"])
    assert (entry.rule, entry.row_id, entry.column, entry.value, entry.decision, entry.note) == (
        "metadata-present", "a000", "cause", None, "dismiss", "Ursache liefert die Quelle nicht")


def test_many_ordinary_findings_are_capped_in_results_json_and_on_the_page(tmp_path, monkeypatch):
    """Findings that are many but no systematic problem (the threshold is out of reach here):
    results.json and the page list the worst up to their limits and say how many they leave to
    findings.jsonl, which holds every one; `auditor diff` of the run folder still sees them all."""
    import auditor.report.html as page
    import auditor.report.results_json as results_json

    monkeypatch.setattr(results_json, "RESULTS_JSON_FINDINGS", 40)
    monkeypatch.setattr(page, "PAGE_FINDINGS", 25)
    out = audit(tmp_path, rules_text(systematic="systematic: {min_share: 0.99, min_rows: 1000, examples: 3}"))
    document = results(out)
    everything = every_finding(out)
    assert document["systematic"] == [] and len(everything) == ROWS + ROWS // 2 + 3
    listed = document["findings"]
    assert len(listed) == 40
    assert document["findings_file"] == {"path": "findings.jsonl", "findings": len(everything), "in_results_json": 40,
                                         "left_out_beyond_limit": len(everything) - 40, "limit": 40}
    # The errors (leaked markup) come first; the rest are the first warnings in row order.
    assert [f["rule"] for f in listed].count("no-markup") == 3
    warnings = [f for f in everything if f["severity"] == "warning"]
    assert [f for f in listed if f["severity"] == "warning"] == warnings[:37]

    html = (out / "report.html").read_text(encoding="utf-8")
    payload = json.loads(re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', html,
                                   flags=re.S).group(1))
    on_page = sum(len(article["f"]) for article in payload["articles"])
    assert 0 < on_page <= 25
    assert payload["left_out"]["findings"] == len(everything) - on_page
    # The articles with errors are the ones kept first.
    assert sum(1 for article in payload["articles"] if article["n"][0]) == 3
    assert f"{len(everything) - on_page} more findings" in html and 'href="findings.jsonl"' in html

    result = CliRunner().invoke(app, ["diff", str(out), str(out)])
    assert result.exit_code == 0, result.output


def test_a_page_over_its_size_sheds_its_least_severe_articles_and_keeps_on_demand_rows_valid(tmp_path, monkeypatch):
    import auditor.report.html as page

    # `cause` empty everywhere is systematic; the half of the rows with an uncredited source is not here.
    rules = rules_text(systematic="systematic: {min_share: 0.6, min_rows: 20, examples: 3}")

    def blocks(out: Path) -> tuple[dict, dict, int, int]:
        html = (out / "report.html").read_text(encoding="utf-8")
        found = [re.search(r'<script type="application/json" id="%s">(.*?)</script>' % name, html, flags=re.S).group(1)
                 for name in ("audit-data", "audit-on-demand")]
        return json.loads(found[0]), json.loads(found[1]), len(found[0].encode()), len(found[1].encode())

    whole, _, articles_bytes, on_demand_bytes = blocks(audit(tmp_path / "whole", rules))
    assert whole["left_out"] == {"articles": 0, "findings": 0}
    monkeypatch.setattr(page, "PAGE_BYTES", on_demand_bytes + articles_bytes // 2)
    out = audit(tmp_path / "shed", rules)
    payload, on_demand, articles_bytes_now, on_demand_bytes_now = blocks(out)
    assert articles_bytes_now < articles_bytes * 0.8
    # The worst articles (leaked markup: errors) stay.
    assert sum(1 for article in payload["articles"] if article["n"][0]) == 3
    document = results(out)
    ordinary = sum(1 for finding in every_finding(out) if not finding.get("systematic"))
    on_page = sum(len(article["f"]) for article in payload["articles"])
    assert payload["left_out"]["findings"] == ordinary - on_page > 0
    assert len(payload["articles"]) + payload["left_out"]["articles"] == len({
        (f["source"], f["position"]) for f in every_finding(out) if not f.get("systematic")})
    # Every systematic finding still names a listed article or a row of the block, and all are there.
    articles, rows = len(payload["articles"]), len(on_demand["rows"])
    assert on_demand["articles"] == articles
    references = [reference for problem in on_demand["problems"] for reference in problem["columns"]["a"]]
    assert all(0 <= reference < articles + rows for reference in references)
    assert len(references) == sum(problem["findings"] for problem in document["systematic"]) == ROWS
