"""``report.html``: one self-contained page for editors, rendered from Jinja2 templates.

The overview (figures, charts, rules, categories, history) is rendered by Jinja2 with
autoescaping. The findings are embedded as JSON in a ``<script type="application/json">``
block (``<``, ``>`` and ``&`` escaped, so article text cannot end the block) and rendered
page by page by the inline script with DOM text nodes, never ``innerHTML``, so 20k
findings open fast and no article text is ever parsed as markup. The findings of
systematic problems (a rule failing on most rows) sit in a second, leaner block that the
script parses only when an editor asks for them, so a bad night's 300k findings neither
bloat the page nor delay its first findings. The Content-Security-
Policy allows exactly that script and that style sheet (by their SHA-256), nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from auditor.findings import HELD_ELSEWHERE, SEVERITY_RANK, AuditResult
from auditor.report.evidence import evidence_groups, excerpts_for

SEVERITIES = ("error", "warning", "info")
VALUE_SHOWN = 160
TOP_CATEGORIES = 16
FIXED_SHOWN = 200
ON_DEMAND_TITLE = 24  # titles of rows listed only on demand are cut here: the page stays small
# Evidence in context (excerpts, evidence words) is the bulk of a finding on the page. When
# the findings would make the page larger than PAGE_BYTES, the least severe findings (the
# last articles) lose it until the page fits, down to DETAIL_FLOOR_BYTES of it kept for the
# worst ones; they keep message, value and suggestion, and say their evidence is in
# findings.jsonl. So a bad night's 40k ordinary findings stay a page of <= 25 MB (measured in
# benchmarks/bench_report.py --bad-night), and an ordinary night keeps all of it.
PAGE_BYTES = 21_000_000  # the findings' share of the page; overview, script and tables add 1-3 MB
# Beyond this many ordinary findings even lean ones outgrow PAGE_BYTES (117k made a 55 MB
# page): the page then lists the articles of the worst findings up to it, and says how many
# findings (in how many articles, the least severe) only findings.jsonl holds.
PAGE_FINDINGS = 40_000
DETAIL_FLOOR_BYTES = 2_000_000  # about 3,500 findings with evidence: the first 70 pages
LEAN_MESSAGE = 120  # a lean finding's message is cut here (in full in findings.jsonl)
_LONG_TEXT_COLUMNS = ("body",)
# How a kind of marked word is coloured: words for the suggestion and words the check
# found read green, words for the assigned value amber, leaked or missing things red.
_TONES = {"for_suggested": "for", "supported": "for", "for_assigned": "against", "snippet": "leak",
          "unsupported": "leak"}



def _decision_fields(finding: dict) -> dict:
    """An editor's waiver and decision of a finding, in the page's short keys."""
    fields = {}
    waiver = finding.get("waiver") if finding.get("status") == "waived" else None
    if waiver:
        fields["wv"] = {"by": waiver.get("by"), "at": waiver.get("decided_at"), "note": waiver.get("note")}
    decision = finding.get("decision")
    if isinstance(decision, dict):
        fields["dc"] = {"d": decision.get("decision"), "nv": decision.get("new_value"), "by": decision.get("by"),
                        "at": decision.get("decided_at")}
    return fields

def _number(value: Any) -> str:
    """12345 -> "12 345" (narrow no-break spaces group the digits)."""
    return f"{int(value or 0):,}".replace(",", "\u202f")


def _percent(value: Any) -> str:
    return f"{float(value or 0.0):.1f}\u202f%"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("auditor.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = _number
    environment.filters["pct"] = _percent
    return environment


@lru_cache(maxsize=None)
def _asset(name: str) -> tuple[Markup, str]:
    """A static asset (the page's script or style sheet) and its CSP hash source."""
    environment = _environment()
    source = environment.loader.get_source(environment, name)[0]
    if "</" in source.replace("<\\/", ""):
        raise ValueError(f"{name} must not contain '</' (it is inlined in the page)")
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    return Markup(source), f"'sha256-{digest}'"


def json_for_script(data: Any) -> Markup:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    survives, so no ``</script>`` or ``<!--`` in article text can end or alter the block."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


_WEB_LINK = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def safe_link(url: Any) -> str | None:
    """Only web links become links: a ``javascript:`` or ``data:`` URL from the data stays text."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if _WEB_LINK.fullmatch(url) else None


def _display_value(value: Any, column: str | None) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    limit = VALUE_SHOWN if column in _LONG_TEXT_COLUMNS else 300
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Index:
    """Strings the payload repeats (rules, columns, categories) stored once, referred to by number."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._positions: dict[str, int] = {}

    def __call__(self, value: Any) -> int:
        if value is None:
            return -1
        key = str(value)
        if key not in self._positions:
            self._positions[key] = len(self.items)
            self.items.append(key)
        return self._positions[key]


def build_payload(result: AuditResult, texts: dict[tuple[str, int], dict[str, Any]] | None = None,
                  history: dict[str, Any] | None = None) -> dict[str, Any]:
    """The findings grouped per article, worst first, in the compact form the page script reads."""
    texts = texts or {}
    new_indexes: set[int] = (history or {}).get("new_indexes") or set()
    first_seen: list[int] = (history or {}).get("first_seen") or []
    run_id = (history or {}).get("run_id")
    rows = {(row["source"], row["position"]): row for row in result.rows}
    rules, columns, categories, sources, kinds = _Index(), _Index(), _Index(), _Index(), {}
    # The exact value each finding was about (capped as in results.json), which an editor's
    # decision names; shared by the findings on one cell, so a body is carried once.
    values = _Index()
    for rule in result.rules:
        rules(rule["id"])
    stories = [story for story in (getattr(result, "stories", None) or []) if isinstance(story, dict)]
    story_index = _Index()
    story_labels = {}
    for story in stories:
        story_id = story.get("id", story.get("story"))
        if story_id is not None:
            story_index(story_id)
            story_labels[str(story_id)] = story.get("label") or story.get("title") or str(story_id)

    grouped, on_demand = _grouped(result.findings)
    elsewhere = [finding for finding in result.findings if HELD_ELSEWHERE in finding]
    left_out = _leave_out_beyond_page(grouped)
    if elsewhere:
        left_out.update(held_elsewhere=len(elsewhere),
                        held_elsewhere_articles=len({(finding.get("source"), finding.get("position")) for finding in elsewhere}),
                        held_elsewhere_systematic=sum(1 for finding in elsewhere if finding.get("systematic")))

    articles = []
    for order, (key, numbered) in enumerate(grouped.items()):
        row = rows.get(key, {})
        text = texts.get(key, {})
        title = text.get("title") if isinstance(text.get("title"), str) else row.get("title")
        body = text.get("body")
        numbered.sort(key=lambda item: -SEVERITY_RANK.get(item[1]["severity"], 0))
        counts = [0, 0, 0]
        story = row.get("story")
        items = []
        for number, finding in numbered:
            severity = SEVERITIES.index(finding["severity"]) if finding["severity"] in SEVERITIES else 2
            counts[severity] += 1
            story = story if story is not None else finding.get("story")
            item: dict[str, Any] = {
                "s": severity,
                "r": rules(finding.get("rule")),
                "c": columns(finding.get("column")),
                "m": finding.get("message") or "",
            }
            value = _display_value(finding.get("value"), finding.get("column"))
            if value is not None:
                item["v"] = value
            if finding.get("suggestion") is not None:
                item["g"] = str(finding["suggestion"])
            if isinstance(finding.get("score"), (int, float)):
                item["sc"] = round(float(finding["score"]), 2)
            groups = evidence_groups(finding, kinds)
            if groups:
                item["e"] = groups
            excerpts = excerpts_for(finding, title, body, groups, kinds)
            if excerpts:
                item["x"] = excerpts
                if "g" not in item and any(x["f"] == finding.get("column") for x in excerpts):
                    item.pop("v", None)  # the excerpt shows the value, with the part that matters marked
            item["dv"] = values(finding.get("value"))
            if isinstance(finding.get("span"), (list, tuple)) and len(finding["span"]) == 2:
                item["sp"] = [int(finding["span"][0]), int(finding["span"][1])]
            item.update(_decision_fields(finding))
            if number in new_indexes:
                item["n"] = 1
            if number < len(first_seen) and run_id is not None and first_seen[number] not in (None, run_id):
                item["fs"] = first_seen[number]
            items.append(item)
        category = row.get("category")
        article = {
            "id": row.get("row_id") or (numbered[0][1].get("row_id")),
            "t": title if isinstance(title, str) else None,
            "src": sources(key[0]),
            "pos": key[1],
            "cat": categories(category) if category is not None else -1,
            "w": min(f["s"] for f in items),
            "n": counts,
            "o": order,
            "f": items,
        }
        # Left out when empty (the page reads a missing key as none): 36k articles, a megabyte.
        if story is not None:
            article["st"] = story_index(story)
        if safe_link(row.get("url")):
            article["u"] = safe_link(row.get("url"))
        elif row.get("url"):
            article["url"] = row.get("url")
        articles.append(article)
    articles.sort(key=lambda a: (-a["n"][0], -a["n"][1], -a["n"][2], a["o"]))
    marks = {"new_indexes": new_indexes, "first_seen": first_seen, "run_id": run_id}

    def on_demand_block() -> dict[str, Any]:
        in_articles = {(sources.items[article["src"]], article["pos"]): number
                       for number, article in enumerate(articles)}
        return _on_demand(result, on_demand, rows, in_articles, marks,
                          {"rules": rules, "columns": columns, "categories": categories, "sources": sources,
                           "stories": story_index})

    systematic = on_demand_block()
    size = _size(articles) + _size(systematic)
    if size > PAGE_BYTES:
        _fit_detail(articles, size)
        size = _size(articles) + _size(systematic)
    if size > PAGE_BYTES:
        # Lean findings still too many beside a bad night's on-demand block: the least severe
        # articles go to findings.jsonl too, and the block is made again without them.
        keep = _articles_within(articles, size - PAGE_BYTES)
        left_out["articles"] += len(articles) - keep
        left_out["findings"] += sum(len(article["f"]) for article in articles[keep:])
        del articles[keep:]
        systematic = on_demand_block()
    return {
        "severities": list(SEVERITIES),
        "rules": rules.items,
        "columns": columns.items,
        "categories": categories.items,
        "sources": sources.items,
        "stories": [{"id": s, "label": story_labels.get(s, s)} for s in story_index.items],
        "kinds": [{"name": name, "tone": _TONES.get(name, "other")} for name in sorted(kinds, key=kinds.get)],
        "values": values.items,
        "run": run_id,
        "compared": bool((history or {}).get("baseline")),
        "articles": articles,
        "problems": [{key: problem[key] for key in ("id", "rule", "text", "rows", "findings", "s")}
                     for problem in systematic["problems"]],
        "on_demand": systematic,
        "left_out": left_out,
    }


def _grouped(findings: list[dict]) -> tuple[dict[tuple[str, int], list[tuple[int, dict]]], list[tuple[int, dict]]]:
    """The findings the page lists, numbered and grouped per article; and those of systematic
    problems, which it lists on demand."""
    grouped: dict[tuple[str, int], list[tuple[int, dict]]] = {}
    on_demand: list[tuple[int, dict]] = []
    for number, finding in enumerate(findings):
        if HELD_ELSEWHERE in finding:
            # Held without its evidence (a Spark run's beyond --max-findings): counted in the
            # overview but left to findings.jsonl, as the page would show it bare.
            continue
        if finding.get("systematic"):
            on_demand.append((number, finding))
            continue
        grouped.setdefault((finding.get("source"), finding.get("position")), []).append((number, finding))
    return grouped, on_demand


def articles_on_page(findings: list[dict]) -> set[tuple[str, int]]:
    """The articles (source, position) whose texts the page may show: those of the findings it
    lists one by one, within its bound. A run that keeps texts on disk reads only these."""
    grouped, _ = _grouped(findings)
    _leave_out_beyond_page(grouped)
    return set(grouped)


def _leave_out_beyond_page(grouped: dict[tuple[str, int], list[tuple[int, dict]]]) -> dict[str, int]:
    """Keep in ``grouped`` the articles of the worst findings (the page's own order: most errors,
    then warnings, then infos) up to PAGE_FINDINGS findings; the rest are left to findings.jsonl.
    What was left out, counted."""
    total = sum(len(numbered) for numbered in grouped.values())
    if total <= PAGE_FINDINGS:
        return {"articles": 0, "findings": 0}

    def worst_first(item: tuple[int, tuple[Any, list[tuple[int, dict]]]]) -> tuple:
        order, (_, numbered) = item
        counts = Counter(finding["severity"] for _, finding in numbered)
        return (-counts["error"], -counts["warning"], -counts["info"], order)

    kept, listed = set(), 0
    for _, (key, numbered) in sorted(enumerate(grouped.items()), key=worst_first):
        if listed + len(numbered) > PAGE_FINDINGS:
            break
        kept.add(key)
        listed += len(numbered)
    left = [key for key in grouped if key not in kept]
    for key in left:
        del grouped[key]
    return {"articles": len(left), "findings": total - listed}


def _size(data: Any) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"))


def _articles_within(articles: list[dict[str, Any]], excess: int) -> int:
    """How many of the (worst first) articles to keep so that the page sheds ``excess`` bytes,
    with a margin for the on-demand block's rows that the left-out articles become."""
    shed, keep = 0, len(articles)
    while keep and shed < excess * 1.05:
        keep -= 1
        shed += _size(articles[keep])
    return keep


def _fit_detail(articles: list[dict[str, Any]], size: int) -> None:
    """Make the findings fit PAGE_BYTES: from the last article (the least severe) back, findings
    drop their excerpts and evidence words (marked ``ln``, lean) until they fit, keeping at least
    DETAIL_FLOOR_BYTES of it for the worst ones."""
    if size <= PAGE_BYTES:
        return
    items = [item for article in articles for item in article["f"] if "x" in item or "e" in item]
    sizes = [_size({key: item[key] for key in ("x", "e") if key in item}) for item in items]
    kept = sum(sizes)
    for item, detail in zip(reversed(items), reversed(sizes)):
        if size <= PAGE_BYTES or kept - detail < DETAIL_FLOOR_BYTES:
            break
        item.pop("x", None)
        item.pop("e", None)
        item["ln"] = 1
        size -= detail
        kept -= detail
        if len(item["m"]) > LEAN_MESSAGE:
            size -= len(item["m"].encode("utf-8")) - LEAN_MESSAGE
            item["m"] = item["m"][: LEAN_MESSAGE - 1] + "…"


def _column(values: list[Any]) -> Any:
    """A column of one value per finding, or that value alone when every finding has it."""
    return values[0] if values and all(value == values[0] for value in values) else values


def _on_demand(result: AuditResult, numbered: list[tuple[int, dict]], rows: dict,
               in_articles: dict[tuple[Any, Any], int], marks: dict[str, Any],
               indexes: dict[str, _Index]) -> dict[str, Any]:
    """The findings of systematic problems in a lean, columnar form the page reads on demand.

    Per problem, one column per field (a single value when all its findings share it):
    ``a`` the article of each finding — below ``articles`` (the number of articles in the
    main block) one of those, from there on ``rows[a - articles]``: ``[row id, title (cut),
    source, position, category, story]`` —, ``s`` severity, ``c`` column, ``m`` message,
    ``v`` value, ``d`` shown value (-1: the value), ``g`` suggestion (-1: none), ``x`` the
    extras of the few findings that have them (span, new, first seen, waiver, decision) by
    their number. Strings are stored once. No excerpts: the problem is the same on every row."""
    problem_index = {problem["id"]: number for number, problem in enumerate(result.systematic)}
    columns_of: list[dict[str, list]] = [{name: [] for name in "ascmvdg"} for _ in result.systematic]
    extras_of: list[dict[str, Any]] = [{} for _ in result.systematic]
    new_rows: dict[tuple[Any, Any], int] = {}
    table_rows: list[list[Any]] = []
    values, messages, shown, suggestions = _Index(), _Index(), _Index(), _Index()
    new_indexes, first_seen, run_id = marks["new_indexes"], marks["first_seen"], marks["run_id"]
    offset = len(in_articles)
    for number, finding in numbered:
        key = (finding.get("source"), finding.get("position"))
        reference = in_articles.get(key)
        if reference is None:
            if key not in new_rows:
                row = rows.get(key, {})
                title = row.get("title")
                if isinstance(title, str) and len(title) > ON_DEMAND_TITLE:
                    title = title[: ON_DEMAND_TITLE - 1] + "…"
                story = row.get("story")
                new_rows[key] = len(table_rows)
                table_rows.append([row.get("row_id") or finding.get("row_id"), title, indexes["sources"](key[0]), key[1],
                                   indexes["categories"](row.get("category")) if row.get("category") is not None else -1,
                                   indexes["stories"](story) if story is not None else -1])
            reference = offset + new_rows[key]
        value = finding.get("value")
        display = _display_value(value, finding.get("column"))
        extras: dict[str, Any] = {}
        if isinstance(finding.get("span"), (list, tuple)) and len(finding["span"]) == 2:
            extras["sp"] = [int(finding["span"][0]), int(finding["span"][1])]
        if number in new_indexes:
            extras["n"] = 1
        if number < len(first_seen) and run_id is not None and first_seen[number] not in (None, run_id):
            extras["fs"] = first_seen[number]
        extras.update(_decision_fields(finding))
        problem = problem_index.get(finding["systematic"], 0)
        column = columns_of[problem]
        if extras:
            extras_of[problem][str(len(column["a"]))] = extras
        column["a"].append(reference)
        column["s"].append(SEVERITIES.index(finding["severity"]) if finding["severity"] in SEVERITIES else 2)
        column["c"].append(indexes["columns"](finding.get("column")))
        column["m"].append(messages(finding.get("message") or ""))
        column["v"].append(values(value))
        column["d"].append(-1 if display is None or display == (value if isinstance(value, str) else None) else shown(display))
        column["g"].append(-1 if finding.get("suggestion") is None else suggestions(str(finding["suggestion"])))
    problems = []
    for problem, columns, extras in zip(result.systematic, columns_of, extras_of):
        problems.append({"id": problem["id"], "rule": indexes["rules"](problem["rule"]), "text": problem["text"],
                         "rows": problem["rows"], "findings": problem["findings"],
                         "s": SEVERITIES.index(problem["severity"]),
                         "columns": {"a": columns["a"], **{name: _column(columns[name]) for name in "scmvdg"},
                                     "x": extras}})
    return {"problems": problems, "articles": offset, "rows": table_rows, "values": values.items,
            "messages": messages.items, "shown": shown.items, "suggestions": suggestions.items}


# -- the overview -------------------------------------------------------------------------


def _category_table(result: AuditResult) -> dict[str, Any]:
    totals: Counter = Counter()
    failing: Counter = Counter()
    for row in result.rows:
        if row.get("status") == "not_checked":
            continue
        category = row.get("category")
        label = "(none)" if category in (None, "") else str(category)
        totals[label] += 1
        if row.get("status") == "failed":
            failing[label] += 1
    checked = sum(totals.values())
    top = totals.most_common(TOP_CATEGORIES)
    rest = checked - sum(count for _, count in top)
    largest = top[0][1] if top else 1
    entries = [{
        "label": label,
        "rows": count,
        "share": 100.0 * count / checked if checked else 0.0,
        "failing": failing[label],
        "failing_share": 100.0 * failing[label] / count if count else 0.0,
        "bar": round(100.0 * count / largest, 1),
        "filter": label != "(none)",
    } for label, count in top]
    return {"entries": entries, "rest": rest, "rest_categories": max(0, len(totals) - len(top)), "checked": checked}


def _trend_chart(trend: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Geometry of the runs chart: findings and errors (left scale), % rows passing (0-100)."""
    if len(trend) < 2:
        return None
    width, height, left, right, top, bottom = 360, 150, 46, 10, 12, 24
    peak = max(max(run["findings"] for run in trend), 1)
    step = (width - left - right) / (len(trend) - 1)

    def y(value: float, scale: float) -> float:
        return round(height - bottom - (height - top - bottom) * value / scale, 1)

    def line(values: list[float], scale: float) -> str:
        return " ".join(f"{round(left + i * step, 1)},{y(v, scale)}" for i, v in enumerate(values))

    points = [{"x": round(left + i * step, 1), "y": y(run["findings"], peak), "run": run} for i, run in enumerate(trend)]
    return {
        "width": width, "height": height, "left": left, "right": width - right, "top": top,
        "base": height - bottom,
        "findings": line([run["findings"] for run in trend], peak),
        "errors": line([run["errors"] for run in trend], peak),
        "passing": line([run["share_passed"] for run in trend], 100.0),
        "points": points,
        "peak": peak,
    }


def _rule_rows(result: AuditResult, previous: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rule in result.rules:
        evaluated = rule.get("evaluated") or 0
        pass_rate = 100.0 - float(rule.get("unexpected_percent") or 0.0) if evaluated else None
        before = previous.get(rule["id"])
        delta = None
        if before is not None and before.get("unexpected") is not None:
            delta = int(rule.get("unexpected") or 0) - int(before["unexpected"])
        rows.append({**rule, "pass_rate": pass_rate, "delta": delta})
    return rows


def render_html(result: AuditResult, run_info: dict[str, Any], texts: dict | None = None,
                history: dict[str, Any] | None = None, links: dict[str, str] | None = None) -> str:
    summary = result.summary
    rows_total = summary["rows"] or 0
    share_passed = 100.0 * summary["rows_passed"] / rows_total if rows_total else 100.0
    # Waived findings are listed, collapsed, but not counted with the open ones.
    per_severity = summary.get("open_per_severity") or summary["findings_per_severity"]
    peak = max(max(per_severity.values(), default=0), 1)
    severity_bars = [{"severity": s, "count": per_severity.get(s, 0), "width": round(100.0 * per_severity.get(s, 0) / peak, 1)}
                     for s in SEVERITIES]
    status_bar = [
        {"status": "passed", "count": summary["rows_passed"]},
        {"status": "failed", "count": summary["rows_with_findings"]},
        {"status": "not-checked", "count": summary["rows_not_checked"]},
    ]
    offset = 0.0
    for segment in status_bar:
        segment["x"] = round(offset, 2)
        segment["width"] = round(100.0 * segment["count"] / rows_total, 2) if rows_total else 0.0
        offset += segment["width"]
    payload = build_payload(result, texts, history)
    on_demand = payload.pop("on_demand")
    # Decisions stay in the browser until downloaded, kept per input: file:// pages share one
    # localStorage, and tomorrow's report of the same export should see today's unsaved ones.
    inputs = json.dumps(sorted(str(name) for name in run_info.get("inputs") or []), ensure_ascii=False)
    payload["store"] = "auditor.decisions." + hashlib.sha1(inputs.encode("utf-8")).hexdigest()[:16]
    payload["inputs"] = list(run_info.get("inputs") or [])
    script, script_hash = _asset("report.js.j2")
    style, style_hash = _asset("report.css.j2")
    history = history or {}
    fixed = history.get("fixed_findings") or []
    return _environment().get_template("report.html.j2").render(
        run=run_info,
        summary=summary,
        share_passed=share_passed,
        severity_bars=severity_bars,
        status_bar=status_bar,
        rules=_rule_rows(result, history.get("previous_rules") or {}),
        categories=_category_table(result),
        files=result.files,
        history=history,
        fixed=fixed[:FIXED_SHOWN],
        fixed_total=len(fixed),
        decisions=getattr(result, "decisions", None),
        verdict=summary.get("verdict") or {"state": "passed" if summary.get("passed") else "failed",
                                           "text": "passed" if summary.get("passed") else "failed"},
        trend=_trend_chart(history.get("trend") or []),
        links=links or {},
        articles_total=len(payload["articles"]),
        left_out=payload["left_out"],
        has_stories=bool(payload["stories"]),
        systematic=result.systematic,
        on_demand_total=sum(problem["findings"] for problem in result.systematic),
        payload=json_for_script(payload),
        on_demand=json_for_script(on_demand),
        script=script,
        style=style,
        csp=(f"default-src 'none'; script-src {script_hash}; style-src {style_hash}; img-src data:; "
             "base-uri 'none'; form-action 'none'"),
    )
