"""GX Data Docs beside the report make no network request (issue 16), in a real browser.

GX's pages load jQuery, Bootstrap, bootstrap-table, Font Awesome, Vega and GX's logo from
CDNs; the auditor rewrites them to stand alone. Every page is opened in Debian's chromium
with every request recorded (those that would leave the machine are aborted, never sent):
none may go anywhere but the site's own files, each page carries a Content-Security-Policy,
its local style sheet applies, and the index still lists the validation (pass/fail) and
links to it.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from auditor.cli import app
from auditor.report.datadocs import CSP, offline_page
from tests.test_report_browser import browser  # noqa: F401  (the shared chromium fixture)


def audited(folder: Path) -> Path:
    table = folder / "batch.jsonl"
    rows = [{"id": "d1", "Titel": "Gemeinderat beschließt Budget", "Text": "Der Gemeinderat beschloss das Budget.",
             "Vorfall": "Politik"},
            {"id": "d2", "Titel": None, "Text": "Ein Text ohne Titel.", "Vorfall": "Unbekannt"}]
    table.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    out = folder / "out"
    result = CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "-q", "--no-history"])
    assert result.exit_code in (0, 1), result.output
    return out / "data-docs"


def test_data_docs_pages_request_nothing_remote_and_carry_a_csp(browser, tmp_path):  # noqa: F811
    site = audited(tmp_path)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 3  # the index, the suite, the validation
    remote_total = 0
    for doc in pages:
        text = doc.read_text(encoding="utf-8")
        assert f'content="{CSP}"' in text and "<script" not in text
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                   else route.abort())
        page.goto(doc.as_uri())
        page.wait_for_load_state("load")
        remote = [url for url in requests if not url.startswith(("file:", "data:"))]
        remote_total += len(remote)
        assert remote == [], (doc, remote)
        assert any(url.endswith("auditor-offline.css") for url in requests), requests
        assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily")  # the local sheet applies
        if doc.name == "index.html":
            link = page.locator("a[href^='validations/']")
            assert link.count() == 1
            assert "failed" in page.locator("table.auditor-static-table").first.inner_text()
            link.click()
            page.wait_for_load_state("load")
            assert "aggregator_output-batch" in page.url
        page.close()
    assert remote_total == 0


def test_offline_page_drops_remote_loads_scripts_and_handlers():
    page = ('<html><head><link rel="stylesheet" href="https://cdn.example/b.css"><script src="//cdn.example/j.js">'
            '</script><style>.x{background:url("https://t.example/p.png")}</style></head><body>'
            '<img src="https://t.example/logo.png" alt="logo"><img src="../static/images/ok.png">'
            '<button onclick="go()" onmouseover=\'x()\'>b</button><script>track()</script></body></html>')
    offline = offline_page(page, "../")
    for gone in ("cdn.example", "t.example", "<script", "onclick", "onmouseover"):
        assert gone not in offline
    assert '<img src="../static/images/ok.png">' in offline
    assert offline.index("Content-Security-Policy") < offline.index("<style>")
    assert 'href="../static/styles/auditor-offline.css"' in offline
