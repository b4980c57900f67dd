"""Evaluate `language-matches` on real German text and on foreign reports.

    .venv/bin/python benchmarks/eval_language.py

German (../shared/data): the 514 dev news articles (all sections, and the Sport section
alone), read as the rule reads a body (its beginning), and the same articles cut into
300-character windows (every window a real German snippet; sports pages give many that are
results, names and numbers); the 240 dev police releases' bodies. Every row the check flags
is a false alarm. Foreign: the written-for-the-tests foreign reports of
tests/test_language.py and the failing cases of rules/cases/language-matches.yaml; every
one must be flagged with the right language.

Printed beside the check: "lingua alone", the first pass only (lingua on the text's
beginning), which is what the rule did before it took a second look at the prose.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data"
WINDOW = 300


def lingua_alone(texts: pd.Series) -> int:
    from auditor.text.language import DEFAULT_CANDIDATES, LanguageSettings, _detector, _language

    settings = LanguageSettings()
    detector = _detector(tuple(sorted({settings.language, *DEFAULT_CANDIDATES})))
    samples = texts.astype(str).str.slice(0, settings.sample_chars)
    samples = samples[samples.str.len() >= settings.min_chars]
    expected = _language(settings.language)
    return sum(found is not None and found != expected for found in detector.detect_languages_in_parallel_of(samples.tolist()))


def judged(texts: pd.Series) -> tuple[int, int, list]:
    """(errors, info notes, error details) of the check on ``texts``."""
    from auditor.text.language import find_wrong_language

    details = find_wrong_language(texts.reset_index(drop=True))
    errors = [(i, d) for i, d in details.items() if isinstance(d, dict) and d.get("level") != "info"]
    notes = sum(isinstance(d, dict) and d.get("level") == "info" for d in details)
    return len(errors), notes, errors


def windows(texts: pd.Series) -> pd.Series:
    return pd.Series([text[start:start + WINDOW] for text in texts for start in range(0, len(text) - WINDOW // 2, WINDOW)])


def main() -> None:
    news_file, police_file = DATA / "gnad10k_dev.csv", DATA / "police_dev.csv"
    if not news_file.exists() or not police_file.exists():
        sys.exit(f"{DATA} lacks the dev sets")
    news = pd.read_csv(news_file)
    police = pd.read_csv(police_file)
    sport = news.loc[news["rubrik"] == "Sport", "text"]
    german = {
        "news, all sections (beginning)": news["text"],
        "news, Sport (beginning)": sport,
        "news, all sections (300-char windows)": windows(news["text"]),
        "news, Sport (300-char windows)": windows(sport),
        "police releases (body)": police["body"],
    }
    print(f"{'German set':<40} {'rows':>6} {'lingua alone':>12} {'check':>6} {'notes':>6} {'s':>5}")
    shown = []
    for name, texts in german.items():
        started = time.perf_counter()
        errors, notes, details = judged(texts)
        seconds = time.perf_counter() - started
        print(f"{name:<40} {len(texts):>6} {lingua_alone(texts):>12} {errors:>6} {notes:>6} {seconds:>5.1f}")
        shown += [(name, texts.iat[i], d["message"]) for i, d in details[:3]]
    for name, text, message in shown:
        print(f"  flagged in {name}: {message}\n    {text[:160]!r}")

    from auditor.cases import load_cases
    from tests.test_language import FOREIGN_REPORTS

    foreign = dict(FOREIGN_REPORTS)
    for case in load_cases("language-matches"):
        if case.expect == "fail":
            foreign[f"case {case.row_id}"] = case.row["Text"]
    from auditor.text.language import find_wrong_language

    details = find_wrong_language(pd.Series(list(foreign.values()))).tolist()
    caught = 0
    print(f"\n{'foreign text':<16} {'detected':>8} {'score':>6}")
    for (name, _), detail in zip(foreign.items(), details):
        found = detail["evidence"]["detected"] if isinstance(detail, dict) and "evidence" in detail else "-"
        caught += found != "-"
        print(f"{name:<16} {found:>8} {detail['score'] if found != '-' else '':>6}")
    print(f"\nforeign texts caught: {caught} of {len(foreign)}")


if __name__ == "__main__":
    main()
