"""report.html without a browser: CSP, the embedded JSON, evidence in context; and the Data Docs beside it."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.findings import AuditResult
from auditor.report.evidence import excerpt, excerpts_for, evidence_groups, find_words
from auditor.report.html import build_payload, json_for_script, render_html, safe_link
from tests.conftest import audit_records

RUN = {"started_at": "2025-03-01T05:00:00+00:00", "auditor_version": "test", "inputs": ["t.jsonl"], "rules": ["r.yaml"]}
FIRE = ("In einer Lagerhalle im Gewerbegebiet brach in der Nacht ein Brand aus. Die Feuerwehr rückte mit mehreren "
        "Löschfahrzeugen an und bekämpfte die Flammen stundenlang. Verletzt wurde niemand, der Sachschaden ist hoch, "
        "die Brandursache wird noch ermittelt. Der Bürgermeister dankte den Einsatzkräften.")


def _result(findings: list[dict], rows: list[dict] | None = None) -> AuditResult:
    rows = rows or [{"row_id": f["row_id"], "source": f["source"], "position": f["position"], "title": "Titel",
                     "url": None, "category": "Politik", "status": "failed", "worst_severity": f["severity"],
                     "findings": 1} for f in findings]
    per = {s: sum(1 for f in findings if f["severity"] == s) for s in ("error", "warning", "info")}
    summary = {"rows": len(rows), "rows_passed": 0, "rows_with_findings": len(rows), "rows_not_checked": 0,
               "findings": len(findings), "findings_per_severity": per, "fail_on": "error",
               "gating_rules_failed": [], "passed": False}
    return AuditResult(summary=summary, rules=[], rows=rows, findings=findings)


def _finding(row: int, severity: str = "error", **extra) -> dict:
    return {"rule": "no-markup", "severity": severity, "row_id": f"r{row}", "source": "t.jsonl", "position": row,
            "column": "body", "value": None, "message": "markup", **extra}


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)


def test_csp_forbids_remote_loads_and_allows_only_the_pages_own_script_and_style():
    page = render_html(_result([_finding(1)]), RUN)
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    inline = _scripts(page)[-1]
    digest = base64.b64encode(hashlib.sha256(inline.encode("utf-8")).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)
    assert directives["style-src"] == "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing remote


def test_article_text_cannot_leave_the_json_block():
    body = "Text </script><script>alert(1)</script> <!-- kommentar --> & <b>fett</b> \u2028"
    result = _result([_finding(1, value=body, snippet="<b>")])
    page = render_html(result, RUN, texts={("t.jsonl", 1): {"title": '"><img src=x>', "body": body}})
    # the findings, the findings of systematic problems (on demand), the script
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert "<!--" not in page and "<img" not in page and "<b>" not in page
    block = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', page, flags=re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    article = data["articles"][0]
    assert article["t"] == '"><img src=x>'
    excerpt_text = article["f"][0]["x"][0]["t"]
    assert "<b>fett</b>" in excerpt_text  # the text itself is intact, as text


def test_json_for_script_round_trips():
    value = {"a": "</script>&<!--", "b": ["\u2028", "ß"]}
    text = str(json_for_script(value))
    assert json.loads(text) == value and "<" not in text


@pytest.mark.parametrize("url, link", [
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
    ("HTTP://example.org", "HTTP://example.org"),
    ("javascript:alert(1)", None),
    (" javascript:alert(1)", None),
    ("data:text/html,<script>", None),
    ("https://example.org/\"><script>", "https://example.org/\"><script>"),  # a link, escaped by the template
    ("https://exa mple.org", None),
    (None, None),
])
def test_only_web_urls_become_links(url, link):
    assert safe_link(url) == link


def test_find_words_matches_whole_words_case_insensitively():
    text = "Der Brand in der Brandstraße: ein BRAND, kein Brandschutz."
    spans = find_words(text, ["Brand"])
    assert [text[s:e] for s, e, _ in spans] == ["Brand", "BRAND"]
    assert find_words("Straße", ["straße"]) == [(0, 6, "straße")]


def test_excerpt_picks_the_densest_passage_and_marks_offsets_into_it():
    text = "Anfang. " + "Füllwort " * 80 + "Die Feuerwehr löschte den Brand, die Flammen waren hoch. " + "Rest " * 50
    kinds: dict[str, int] = {}
    finding = {"evidence": {"suggested": "Brand", "for_suggested": ["Feuerwehr", "Brand", "Flammen"],
                            "assigned": "Politik", "for_assigned": []}}
    groups = evidence_groups(finding, kinds)
    assert [g["l"] for g in groups] == ["for Brand", "for Politik"]
    found = excerpts_for(finding, "Titel ohne Treffer", text, groups, kinds)
    assert len(found) == 1 and found[0]["f"] == "body"
    piece = found[0]
    marked = [piece["t"][s:e] for s, e, _ in piece["m"]]
    assert marked == ["Feuerwehr", "Brand", "Flammen"]
    assert piece.get("pre") == 1 and piece.get("post") == 1 and len(piece["t"]) < 300


def test_snippet_excerpt_shows_leaked_markup_where_it_sits():
    body = "Satz eins. " * 40 + "Laut **Beispielblatt** war es so. " + "Satz zwei. " * 40
    kinds: dict[str, int] = {}
    found = excerpts_for({"column": "body", "snippet": "**Beispielblatt**"}, None, body, [], kinds)
    (piece,) = found
    (mark,) = piece["m"]
    assert piece["t"][mark[0]:mark[1]] == "**Beispielblatt**" and kinds == {"snippet": 0}
    # A snippet that is the whole (short) value needs no excerpt.
    assert excerpts_for({"column": "category", "snippet": "Terorismus", "value": "Terorismus"}, None, None, [], {}) == []


def test_excerpt_without_marks_is_the_lead():
    piece = excerpt("kurz", [], "body")
    assert piece == {"f": "body", "t": "kurz", "m": []}


def test_payload_orders_articles_worst_first_and_carries_suggestion_evidence_and_new_marks():
    findings = [
        _finding(1, "warning", rule="sources-well-formed", column="sources", value="www.zeitung"),
        {"rule": "category-fits-text", "severity": "error", "row_id": "r2", "source": "t.jsonl", "position": 2,
         "column": "category", "value": "Politik", "message": "does not fit", "suggestion": "Brand", "score": 0.0,
         "evidence": {"suggested": "Brand", "for_suggested": ["Feuerwehr", "Flammen"], "assigned": "Politik",
                      "for_assigned": ["Bürgermeister"]}},
        _finding(2, "error", snippet="**x**"),
    ]
    texts = {("t.jsonl", 2): {"title": "Feuer in Wels", "body": FIRE}}
    payload = build_payload(_result(findings), texts, {"new_indexes": {1}, "run_id": 3, "first_seen": [2, 3, 1],
                                                       "baseline": {"id": 2}})
    first, second = payload["articles"]
    assert first["id"] == "r2" and first["n"] == [2, 0, 0] and second["id"] == "r1"
    fit = next(f for f in first["f"] if payload["rules"][f["r"]] == "category-fits-text")
    assert fit["g"] == "Brand" and fit["v"] == "Politik" and fit["sc"] == 0.0 and fit["n"] == 1
    assert [g["w"] for g in fit["e"]] == [["Feuerwehr", "Flammen"], ["Bürgermeister"]]
    tones = {kind["name"]: kind["tone"] for kind in payload["kinds"]}
    assert tones["for_suggested"] == "for" and tones["for_assigned"] == "against"
    body = next(x for x in fit["x"] if x["f"] == "body")
    assert {body["t"][s:e] for s, e, _ in body["m"]} == {"Feuerwehr", "Flammen", "Bürgermeister"}
    assert "fs" not in fit  # new in this run
    markup = next(f for f in first["f"] if payload["rules"][f["r"]] == "no-markup")
    assert markup["fs"] == 1  # open since run #1
    assert payload["compared"] is True and payload["stories"] == []


def test_seeds_report_shows_the_terrorismus_finding_with_evidence_and_the_leaked_markup(shared_seeds, tmp_path, default_rules):
    out = tmp_path / "seeds"
    result = CliRunner().invoke(app, ["audit", str(shared_seeds), "--out", str(out), "-q", "--no-history"])
    assert result.exit_code == 1, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', page, flags=re.S).group(1)
    data = json.loads(block)
    findings = [(data["rules"][f["r"]], f) for a in data["articles"] for f in a["f"]]
    fit = next(f for rule, f in findings if rule == "category-fits-text")
    assert fit["v"] == "Terrorismus" and fit["g"] == "Politik"
    body = next(x for x in fit["x"] if x["f"] == "body")
    marked = {body["t"][s:e] for s, e, _ in body["m"]}
    assert {"NATO", "Außenminister"} & marked
    leaks = [f for rule, f in findings if rule == "no-markup"]
    snippets = {x["t"][s:e] for f in leaks for x in f.get("x", []) for s, e, _ in x["m"]}
    assert "**Heute.at**" in snippets and '<ul style="list-style-type: none">' in snippets


def test_data_docs_are_built_from_a_slim_copy_without_article_text(tmp_path, default_rules):
    from auditor.loaders import load_inputs
    from auditor.mapping import build_batch
    from auditor.report.datadocs import build_data_docs, slim_validation_result
    from auditor.validate import run_validation

    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"id": "x1", "Titel": "<script>window.__xss=1</script>", "Text": FIRE + " **Fett**",
                                 "Vorfall": "Terrorismus", "Quellen": "<img src=x onerror=alert(1)>"}) + "\n",
                     encoding="utf-8")
    batch = build_batch(load_inputs([table]), default_rules.column_mapping)
    validation = run_validation(default_rules, batch.data)
    original = json.dumps(validation.gx_result.to_json_dict(), default=str)
    slim = slim_validation_result(validation.gx_result)
    for expectation_result in slim.results:
        assert set(expectation_result.result) <= {"element_count", "missing_count", "missing_percent",
                                                  "unexpected_count", "unexpected_percent",
                                                  "unexpected_percent_total", "unexpected_percent_nonmissing",
                                                  "observed_value"}
    assert json.dumps(validation.gx_result.to_json_dict(), default=str) == original  # untouched
    index = build_data_docs(validation.gx_result, validation.suite, tmp_path / "docs", run_name="run-1")
    assert index == (tmp_path / "docs" / "index.html").resolve()
    pages = list((tmp_path / "docs").rglob("*.html"))
    assert any("validations" in str(p) for p in pages) and any("expectations" in str(p) for p in pages)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "__xss" not in text and "onerror" not in text and "Fett" not in text and "Lagerhalle" not in text
    assert not (tmp_path / "docs" / "static" / "images" / "glossary_scroller.gif").exists()


def test_run_writes_data_docs_beside_the_report_and_keeps_results_json_keys(tmp_path):
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"id": "a", "Titel": "Ein Titel", "Text": FIRE, "Vorfall": "Brand"}) + "\n",
                     encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["audit", str(table), "--out", str(out), "-q"])
    assert result.exit_code in (0, 1), result.output
    assert (out / "data-docs" / "index.html").is_file()
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {"format_version", "run", "summary", "rules", "rows", "findings", "inputs", "timings"} <= set(document)
    assert document["run"]["data_docs"] == "data-docs/index.html"
    assert {"data_docs", "report_html", "history"} <= set(document["timings"])
    assert document["history"]["run_id"] == 1 and document["history"]["baseline_run"] is None
    assert 'href="data-docs/index.html"' in (out / "report.html").read_text(encoding="utf-8")

    plain = tmp_path / "plain"
    result = CliRunner().invoke(app, ["audit", str(table), "--out", str(plain), "-q", "--no-data-docs"])
    assert not (plain / "data-docs").exists() and "data-docs" not in (plain / "report.html").read_text(encoding="utf-8")


def test_report_of_a_real_audit_lists_findings_in_the_payload(default_rules):
    result = audit_records(default_rules, [
        {"id": "m1", "Titel": "Treffen", "Text": "Laut **Blatt** trafen sich Minister.", "Vorfall": "Politik"},
    ])
    payload = build_payload(result)
    assert payload["articles"][0]["id"] == "m1"
    assert any(payload["rules"][f["r"]] == "no-markup" for f in payload["articles"][0]["f"])
