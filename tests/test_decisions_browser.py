"""An editor's morning in a real browser (Debian's chromium, driven by Playwright): decide on
findings in the report page, download decisions.yaml, re-run the audit with it, apply the
corrections. Skipped like the other browser tests when chromium is missing (outside CI)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from auditor.cli import app
from auditor.decisions import load_decisions
from tests.test_decisions import audit, results
from tests.test_report_browser import audit_to, browser, open_page  # noqa: F401  (browser is a fixture)

SEED_001 = "001_d6f240a953c802b2"



def download_decisions(page, target: Path) -> Path:
    with page.expect_download() as info:
        page.click("#d-download")
    info.value.save_as(str(target))
    return target


def test_dismiss_and_accept_in_the_seeds_report_then_the_next_run_follows(browser, shared_seeds, tmp_path):
    night1, night2 = tmp_path / "reports" / "night1", tmp_path / "reports" / "night2"
    first = audit(str(shared_seeds), "--out", str(night1), "--fail-on", "warning", "-q")
    assert first.exit_code == 1
    assert "published-at-present" in results(night1)["summary"]["gating_rules_failed"]

    page, problems, _ = open_page(browser, night1 / "report.html")
    page.wait_for_selector("html[data-findings-rendered='1']")
    page.fill("#d-by", "Redaktion Test")
    page.dispatch_event("#d-by", "change")
    article = page.locator("#articles article", has_text=SEED_001)
    undated = article.locator("li.finding", has_text="published-at-present")
    undated.locator(".d-dismiss").click()
    undated.locator(".d-note").fill("die Vorlage nennt kein Datum")
    undated.locator(".d-confirm").click()
    fits = article.locator("li.finding", has_text="category-fits-text")
    assert "Terrorismus → Politik" in fits.inner_text()
    fits.locator("button.d-accept", has_text="accept Politik").click()
    assert "decided" in undated.get_attribute("class") and "wrong alarm" in undated.inner_text()
    assert "accepted → Politik" in fits.inner_text()
    assert page.inner_text("#d-count") == "2 decisions not yet downloaded"

    # The filter hides what is decided; the rest of the article's findings stay.
    open_before = article.locator("li.finding").count()
    page.check("#f-undecided")
    assert article.locator("li.finding").count() == open_before - 2
    assert article.locator("li.finding", has_text="category-fits-text").count() == 0
    page.uncheck("#f-undecided")

    # Kept in the browser until downloaded: a reload still has them.
    page.reload()
    page.wait_for_selector("html[data-findings-rendered='1']")
    assert page.inner_text("#d-count") == "2 decisions not yet downloaded"
    decisions = download_decisions(page, tmp_path / "decisions.yaml")
    assert page.inner_text("#d-count") == "2 decisions kept in this browser, all downloaded"
    assert problems == []
    page.close()
    entries = {entry.rule: entry for entry in load_decisions([decisions])}
    assert entries["published-at-present"].decision == "dismiss" and entries["published-at-present"].by == "Redaktion Test"
    assert (entries["category-fits-text"].decision, entries["category-fits-text"].new_value) == ("accept", "Politik")

    second = audit(str(shared_seeds), "--out", str(night2), "--fail-on", "warning", "--decisions", str(decisions), "-q")
    document = results(night2)
    waived = [f for f in document["findings"] if f["status"] == "waived"]
    assert [(f["rule"], f["row_id"]) for f in waived] == [("published-at-present", SEED_001)]
    assert waived[0]["waiver"]["note"] == "die Vorlage nennt kein Datum"
    # The exit code follows the open findings: the waived rule no longer gates, the others still do.
    assert "published-at-present" not in document["summary"]["gating_rules_failed"]
    assert second.exit_code == (1 if document["summary"]["gating_rules_failed"] else 0) == 1
    rows = list(csv.reader(io.StringIO((night2 / "corrections.csv").read_text(encoding="utf-8"))))
    assert [row[:4] for row in rows[1:]] == [[SEED_001, "category", "Terrorismus", "Politik"]]
    assert document["decisions"]["stale"] == [] and document["decisions"]["conflicts"] == []

    # The next report shows the waived finding folded away, with who and why.
    page, problems, _ = open_page(browser, night2 / "report.html")
    page.wait_for_selector("html[data-findings-rendered='1']")
    folded = page.locator("#articles details.waived")
    assert folded.count() == 1 and folded.get_attribute("open") is None
    assert "waived · by Redaktion Test" in folded.inner_text() and "die Vorlage nennt kein Datum" in folded.inner_text()
    assert page.locator("#articles li.finding", has_text="correction pending").count() == 1
    assert problems == []
    page.close()

    # The aggregator's own table of the seeds (German column names) gets the correction.
    extracted = tmp_path / "seeds.jsonl"
    assert CliRunner().invoke(app, ["extract", str(shared_seeds), "--output", str(extracted)]).exit_code == 0
    german = {"title": "Titel", "body": "Text", "category": "Vorfall", "cause": "Ursache", "location": "Ort",
              "sources": "Quellen", "published_at": "Datum"}
    records = [json.loads(line) for line in extracted.read_text(encoding="utf-8").splitlines()]
    export = tmp_path / "export.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[german.get(key, key) for key in records[0]])
        writer.writeheader()
        writer.writerows({german.get(key, key): value for key, value in record.items()} for record in records)
    corrected = tmp_path / "export.corrected.csv"
    applied = CliRunner().invoke(app, ["apply", str(night2 / "corrections.csv"), str(export), "-o", str(corrected)])
    assert applied.exit_code == 0, applied.output
    assert f"{SEED_001} [Vorfall]: 'Terrorismus' -> 'Politik'" in applied.output
    before = list(csv.DictReader(export.open(encoding="utf-8", newline="")))
    after = list(csv.DictReader(corrected.open(encoding="utf-8", newline="")))
    assert [row["id"] for row in after] == [row["id"] for row in before]
    for old, new in zip(before, after):
        assert list(new) == list(old)
        assert new == ({**old, "Vorfall": "Politik"} if old["id"] == SEED_001 else old)


def test_values_with_quotes_breaks_and_odd_characters_survive_the_decisions_file(browser, tmp_path):
    """The page writes YAML itself; whatever the data holds must come back exactly, or the
    decision would silently match nothing."""
    odd = 'Ter"ror: #1 \\ \u2028zwei\u0085 \x7f 🙂'
    report = audit_to(tmp_path, [{"id": "odd-1", "Titel": "Ein Titel", "Text": "Ein kurzer Text ohne Belang.",
                                  "Vorfall": odd, "Ort": "Linz"}], "--fail-on", "never")
    page, problems, _ = open_page(browser, report)
    page.wait_for_selector("html[data-findings-rendered='1']")
    item = page.locator("#articles li.finding", has_text="category-known")
    item.locator(".d-dismiss").click()
    item.locator(".d-confirm").click()
    assert page.inner_text("#d-count") == "1 decision not yet downloaded"
    item.locator("button.undo").click()  # taken back: nothing left to download
    assert page.inner_text("#d-count") == "no decisions yet" and page.locator("#d-download").is_disabled()
    item.locator(".d-correct").click()
    new_value = 'Politik "neu": # \u2029ok'
    item.locator(".d-value").fill(new_value)
    item.locator(".d-confirm").click()
    decisions = download_decisions(page, tmp_path / "decisions.yaml")
    assert problems == []
    page.close()
    [entry] = [entry for entry in load_decisions([decisions]) if entry.rule == "category-known"]
    assert (entry.value, entry.new_value, entry.decision) == (odd, new_value, "correct")

    out = tmp_path / "again"
    audit(str(tmp_path / "batch.jsonl"), "--out", str(out), "--decisions", str(decisions), "-q", "--no-history")
    document = results(out)
    assert document["decisions"]["stale"] == []
    rows = list(csv.DictReader((out / "corrections.csv").open(encoding="utf-8", newline="")))
    assert [(row["row_id"], row["old_value"], row["new_value"]) for row in rows] == [("odd-1", odd, new_value)]
