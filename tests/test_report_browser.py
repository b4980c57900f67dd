"""The report page and the Data Docs beside it in a real browser (Debian's chromium, driven by Playwright).

Skipped when chromium is missing, unless CI is set: then missing chromium fails the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.findings import AuditResult
from auditor.report.html import render_html
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
HOSTILE_TITLE = '"><img src=x onerror="window.__xss=1">'
HOSTILE_BODY = ("Ein Bericht <script>window.__xss=1</script> mit **Markdown** und <b onmouseover=\"window.__xss=1\">Fett</b>. "
                "Dann </script><script>window.__xss=2</script><!-- und <svg onload=window.__xss=3> am Ende.")
POLITICS = ("Der Landtag in Linz beriet am Donnerstag über das Budget des Landes. Die Koalition und die Opposition stritten "
            "lange, am Ende stimmte die Mehrheit der Abgeordneten für den Entwurf der Regierung. Der Finanzminister "
            "verteidigte die Sparpläne, die Opposition kündigte Widerstand im Ausschuss an.")
FIRE = ("In einer Lagerhalle im Welser Gewerbegebiet brach in der Nacht ein Brand aus. Die Feuerwehr rückte mit mehreren "
        "Löschfahrzeugen an und bekämpfte die Flammen stundenlang. Verletzt wurde niemand, der Sachschaden ist hoch, "
        "die Brandursache wird noch ermittelt.")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


def audit_to(folder: Path, records: list[dict], *extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "batch.jsonl"
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = folder / "report"
    result = CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "-q", *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    return out / "report.html"


def open_page(browser, page_file: Path, offline: bool = True):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    if offline:  # Data Docs ask CDNs for their styles; a test never goes out to the network
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                   else route.abort())
    page.goto(page_file.as_uri())
    return page, problems, requests


def visible_articles(page) -> list[str]:
    return page.locator("#articles article h3").all_inner_texts()


def status(page) -> str:
    return page.inner_text("#status")


def expect_status(page, pattern: str) -> None:
    """Wait for the status line (the page's CSP forbids eval, so no wait_for_function)."""
    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_text(re.compile(pattern), timeout=5000)


def records() -> list[dict]:
    rows = [
        {"id": "ok-1", "Titel": "Landtag beschließt das Budget", "Text": POLITICS + " Das meldete der ORF.",
         "Vorfall": "Politik",
         "Datum": "2025-02-01", "Ursache": "Budget", "Ort": "Linz", "Quellen": "www.orf.at"},
        {"id": "bad-1", "Titel": "Minister treffen sich", "Text": "Laut **Beispielblatt** trafen sich Minister.",
         "Vorfall": "Terorismus", "Datum": "2025-02-01", "Ursache": "Treffen", "Ort": "Wien",
         "Quellen": '<ul style="list-style-type: none">• www.orf.at', "url": "https://example.org/minister"},
        {"id": "fire-1", "Titel": "Lagerhalle in Flammen", "Text": FIRE + " Das meldete der ORF.", "Vorfall": "Politik", "Datum": "2025-02-02",
         "Ursache": "Brand", "Ort": "Wels", "Quellen": "www.orf.at"},
    ]
    # Enough articles with a warning for more than one page of 50.
    for number in range(60):
        rows.append({"id": f"warn-{number:02d}", "Titel": f"Gemeinderat Nummer {number} tagt", "Text": POLITICS,
                     "Vorfall": "Politik", "Datum": "2025-02-03", "Ursache": "Budget", "Ort": "Linz",
                     "Quellen": "www.zeitung"})
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return audit_to(tmp_path_factory.mktemp("browser"), records())


def test_report_loads_cleanly_and_shows_the_overview(browser, report):
    page, problems, requests = open_page(browser, report, offline=False)
    page.wait_for_selector("html[data-findings-rendered='1']")
    assert problems == []
    assert all(url.startswith(("file://", "data:")) for url in requests), requests
    overview = page.inner_text("main")
    assert "63" in page.inner_text(".cards") and "rows audited" in overview
    assert "Findings per severity" in overview and page.locator("svg.bars").first.locator("rect").count() == 3
    assert "category-fits-text" in page.inner_text("#rules")
    assert page.locator("#categories tbody tr").count() >= 2
    # The worst article first, with its suggestion and its evidence in context.
    first = page.locator("#articles article").first
    assert "Minister treffen sich" in first.inner_text() and "bad-1" in first.inner_text()
    assert first.locator("h3 a").get_attribute("href") == "https://example.org/minister"
    text = page.inner_text("#articles")
    assert "**Beispielblatt**" in text
    assert "Terorismus → Terrorismus" in text
    fire = page.locator("#articles article", has_text="Lagerhalle in Flammen")
    assert "Politik → " in fire.inner_text()
    assert fire.locator(".excerpt mark").count() >= 2  # the fire words highlighted in the body
    assert "Landtag beschließt" not in text  # only articles with findings are listed
    assert page.locator("a[href='data-docs/index.html']").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-overview.png"))
    page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator("#controls").is_hidden()  # print shows the report, not the controls
    page.close()


def test_filters_search_sorting_and_pages_change_what_is_shown(browser, report):
    page, problems, _ = open_page(browser, report)
    page.wait_for_selector("html[data-findings-rendered='1']")
    assert "63 articles" not in status(page)
    assert status(page).startswith("62 of 62 articles")
    assert len(visible_articles(page)) == 50 and page.locator("#pager").is_visible()
    page.click("#p-next")
    assert len(visible_articles(page)) == 12 and "page 2 of 2" in page.inner_text("#p-info")

    page.uncheck("input[name=severity][value='1']")  # no warnings: only the error articles remain
    assert status(page).startswith("2 of 62 articles")
    assert not page.locator("#pager").is_visible()
    page.check("input[name=severity][value='1']")

    page.select_option("#f-rule", label="category-fits-text (1)")
    assert visible_articles(page) == ["Lagerhalle in Flammen"]
    page.select_option("#f-rule", value="-1")

    page.fill("#f-search", "beispielblatt")
    expect_status(page, r"^1 of")
    assert visible_articles(page) == ["Minister treffen sich"]
    page.fill("#f-search", "nichts passt hierzu")
    expect_status(page, r"^No article")
    page.click("#f-reset")
    expect_status(page, r"^62 of")

    page.select_option("#f-category", label="Terorismus")
    assert visible_articles(page) == ["Minister treffen sich"]
    page.select_option("#f-category", value="-1")
    assert not page.locator("#f-story").is_visible()  # no story groups in this batch

    page.select_option("#f-sort", "title")
    titles = visible_articles(page)
    # Natural order, as editors read numbers: 2 before 10.
    assert titles[:3] == ["Gemeinderat Nummer 0 tagt", "Gemeinderat Nummer 1 tagt", "Gemeinderat Nummer 2 tagt"]

    # A rule's "show findings" link filters the list; sortable tables sort.
    page.click("#rules button[data-filter-rule='no-markup']")
    assert visible_articles(page) == ["Minister treffen sich"]
    failing = page.locator("#rules th", has_text="Failing").locator("button")
    failing.click()
    failing.click()  # descending: the rule with most failing rows first
    assert page.locator("#rules tbody tr").first.locator("code").inner_text() == "sources-well-formed"
    assert problems == []
    page.close()


def test_article_text_is_escaped_and_runs_nothing_in_report_and_data_docs(browser, tmp_path):
    report = audit_to(tmp_path, [
        {"id": "xss", "Titel": HOSTILE_TITLE, "Text": HOSTILE_BODY, "Vorfall": "<script>window.__xss=1</script>",
         "url": "javascript:window.__xss=1", "Ort": "Graz", "Quellen": "<img src=x onerror=window.__xss=4>",
         "Ursache": "<svg onload=window.__xss=5>"},
        {"id": "<b onmouseover=window.__xss=6>id</b>", "Titel": "Brand in Graz", "Text": FIRE,
         "Vorfall": "Terrorismus", "url": "https://example.org/\"><script>window.__xss=7</script>"},
    ])
    page, problems, _ = open_page(browser, report)
    page.wait_for_selector("html[data-findings-rendered='1']")
    assert page.evaluate("window.__xss") is None
    assert page.locator("script").count() == 3  # the two JSON blocks (findings, on demand) and the page's own script
    assert page.locator("img, svg[onload], [onerror], [onmouseover]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    text = page.inner_text("#articles")
    assert HOSTILE_TITLE in text and "<script>window.__xss=1</script>" in text
    assert "</script><script>window.__xss=2</script>" in text
    page.hover("#articles article")
    assert page.evaluate("window.__xss") is None
    assert problems == []
    page.close()

    data_docs = report.parent / "data-docs"
    pages = sorted(data_docs.rglob("*.html"))
    assert len(pages) >= 2
    for doc in pages:
        assert "__xss" not in doc.read_text(encoding="utf-8")  # no article text reaches Data Docs at all
        page, _, _ = open_page(browser, doc)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, doc
        assert page.locator("[onerror], [onmouseover], svg[onload]").count() == 0
        page.close()


def test_story_groups_filter_when_results_carry_them(browser, tmp_path):
    """Story groups come from another check: an optional ``stories`` list and a ``story`` key on findings."""
    rows = [
        {"row_id": f"r{n}", "source": "t.jsonl", "position": n, "title": f"Artikel {n}", "url": None,
         "category": "Politik", "status": "failed", "worst_severity": "warning", "findings": 1}
        for n in range(1, 4)
    ]
    findings = [
        {"rule": "near-duplicate", "severity": "warning", "row_id": f"r{n}", "source": "t.jsonl", "position": n,
         "column": "body", "value": None, "message": "same story as another row", "story": story}
        for n, story in ((1, "s1"), (2, "s1"), (3, "s2"))
    ]
    summary = {"rows": 3, "rows_passed": 0, "rows_with_findings": 3, "rows_not_checked": 0, "findings": 3,
               "findings_per_severity": {"error": 0, "warning": 3, "info": 0}, "fail_on": "error",
               "gating_rules_failed": [], "passed": True}
    result = AuditResult(summary=summary, rules=[], rows=rows, findings=findings)
    result.stories = [{"id": "s1", "label": "Nato-Treffen in Brüssel", "rows": ["r1", "r2"]},
                      {"id": "s2", "label": "Hochwasser an der Donau", "rows": ["r3"]}]
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(result, {"started_at": "x", "auditor_version": "t", "inputs": [], "rules": []}),
                         encoding="utf-8")
    page, problems, _ = open_page(browser, page_file)
    page.wait_for_selector("html[data-findings-rendered='1']")
    assert page.locator("#f-story").is_visible()
    page.select_option("#f-story", label="Nato-Treffen in Brüssel")
    assert sorted(visible_articles(page)) == ["Artikel 1", "Artikel 2"]
    assert "story: Nato-Treffen in Brüssel" in page.inner_text("#articles")
    assert problems == []
    page.close()
