"""The report page in a real browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
HOSTILE_TITLE = '"><img src=x onerror="window.__xss=1">'
HOSTILE_BODY = "Ein Bericht <script>window.__xss=1</script> mit **Markdown** und <b onmouseover=\"window.__xss=1\">Fett</b>."


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


def audit_to(tmp_path: Path, records: list[dict]) -> Path:
    table = tmp_path / "batch.jsonl"
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "-q"])
    assert result.exit_code in (0, 1), result.output
    return out / "report.html"


def open_page(browser, report: Path):
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    return page, problems, requests


def test_report_shows_findings_and_loads_cleanly(browser, tmp_path):
    report = audit_to(tmp_path, [
        {"id": "ok-1", "Titel": "Landtag tagt",
         "Text": "Der Landtag beriet am Donnerstag über das Budget des Landes. Die Koalition und die Opposition "
                 "stritten lange, am Ende stimmte die Mehrheit der Abgeordneten für den Entwurf der Regierung.",
         "Vorfall": "Politik",
         "Datum": "2025-02-01", "Ursache": "Budget", "Ort": "Linz", "Quellen": "www.orf.at"},
        {"id": "bad-1", "Titel": "Minister treffen sich", "Text": "Laut **Beispielblatt** trafen sich Minister.",
         "Vorfall": "Terorismus", "Datum": "2025-02-01", "Ursache": "Treffen", "Ort": "Wien",
         "Quellen": '<ul style="list-style-type: none">• www.orf.at'},
    ])
    page, problems, requests = open_page(browser, report)
    assert problems == []
    assert all(url.startswith("file://") or url.startswith("data:") for url in requests)
    text = page.inner_text("body")
    assert "Minister treffen sich" in text and "bad-1" in text
    assert "**Beispielblatt**" in text
    assert "Terorismus → Terrorismus" in text
    assert "Landtag tagt" not in text  # only articles with findings are listed
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-overview.png"), full_page=True)
    page.close()


def test_article_text_is_escaped_and_runs_nothing(browser, tmp_path):
    report = audit_to(tmp_path, [
        {"id": "xss", "Titel": HOSTILE_TITLE, "Text": HOSTILE_BODY, "Vorfall": "<script>window.__xss=1</script>",
         "url": "javascript:window.__xss=1", "Ort": "Graz", "Quellen": "www.orf.at"},
    ])
    page, problems, _ = open_page(browser, report)
    assert page.evaluate("window.__xss") is None
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert HOSTILE_TITLE in page.inner_text("body")
    assert problems == []
    page.close()
