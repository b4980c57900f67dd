"""Does the assigned category fit the article text? Scores from the taxonomy's indicator terms.

For each row, every category gets an evidence score from its indicator terms in the
title and body (see ``lexicon``); the fallback category (`Sonstiges`) starts from a
baseline, so a text without incident vocabulary is "no incident". The assigned
category's *fit* is its score divided by the best score (1.0 when it is the best).

How sure that a label is wrong, from its fit: ``confidence = 1 / (1 + exp(-(intercept +
slope * ln(fit + offset))))``, Platt scaling, whose parameters ``benchmarks/calibrate_fit.py``
fits on held-out folds of labelled dev news and police releases (each article once with a
right and once with a wrong label, so the probability assumes as many wrong labels as right
ones). A row fails when its confidence reaches ``min_confidence``; the finding suggests the
best category and shows the words that speak for each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.contracts import setting, text_columns_setting
from auditor.text.analysis import TextAnalysis
from auditor.text.labels import normalise_label
from auditor.text.lexicon import CategoryScores, Lexicon, score_categories

EVIDENCE_WORDS = 8
SHORT_TEXT_EVIDENCE = 6.0  # two strong terms


@dataclass(frozen=True)
class FitSettings:
    taxonomy: dict = setting(factory=dict, doc="The taxonomy's fit spec (Taxonomy.fit_spec()); default: the rules' taxonomy.")
    text_columns: list[str] = text_columns_setting()
    min_confidence: float = setting(
        0.6, ge=0, le=1, doc="A row fails when the calibrated probability that its label is wrong reaches this "
                             "(set from the rule's confidence levels).")
    calibration: dict = setting(
        factory=lambda: {"intercept": -4.39, "slope": -3.75, "offset": 0.02, "fallback_shift": 0.90},
        doc="Platt scaling of ln(fit + offset), plus fallback_shift for a 'no incident' label, to the "
            "probability that the label is wrong (fitted by benchmarks/calibrate_fit.py).")
    topic_min_fit: float = setting(0.2, ge=0, le=1, doc="The looser bar between two topics (Politik, Sonstiges).")
    min_tokens: int = setting(25, ge=0, doc="Shorter texts get an info note instead of a verdict.")
    baseline: float = setting(5.0, ge=0, doc="The score Sonstiges starts from: text without incident words is no incident.")
    baseline_words: int = setting(
        200, ge=1, doc="The text length (words) at which Sonstiges starts from `baseline`; longer texts start "
                       "higher, shorter ones lower (with the square root of the length).")
    lead_bonus: float = setting(
        1.0, ge=0, doc="How much more a word of the title or the lead (the first 40 words) counts, on top of the "
                       "double weight the shared analysis gives it: the event is stated there.")
    unmet_requirement: float = setting(
        0.3, ge=0, le=1, doc="The share of its evidence a category keeps when the text lacks what it requires "
                             "(the taxonomy's requires: a death for a killing, force or threat for a robbery).")


def _words(analysis: TextAnalysis, scores: CategoryScores, lexicon: Lexicon, row: int, position: int,
           category: int) -> list[str]:
    """The row's own words that speak for ``category``, most frequent first."""
    return analysis.words_in_row(position, scores.word_weights(category, lexicon))[:EVIDENCE_WORDS]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.ones_like(numerator, dtype=float), where=denominator > 0)


@dataclass
class FitWeighing:
    """Per row: what the lexicon says about the assigned category against the others."""

    assigned: np.ndarray  # category column of the label, -1 for a label the taxonomy does not know
    best: np.ndarray  # the category the text speaks for most (the suggestion)
    fit: np.ndarray  # the assigned category's evidence over the best category's
    confidence: np.ndarray  # calibrated probability that the label is wrong
    too_short: np.ndarray
    positions: np.ndarray  # rows of the analysis
    scores: CategoryScores
    lexicon: Lexicon
    fallback: int | None  # the column of "no incident" (Sonstiges), if the taxonomy has one


def calibrated(fit: np.ndarray, calibration: dict, fallback: np.ndarray) -> np.ndarray:
    """Platt scaling: the probability that a label with this fit is wrong. A "no incident" label
    (the fallback) at the same fit is wrong more often, hence its own shift."""
    z = calibration["intercept"] + calibration["slope"] * np.log(np.asarray(fit, dtype=float) + calibration["offset"])
    z = z + calibration.get("fallback_shift", 0.0) * fallback
    return 1.0 / (1.0 + np.exp(-z))


def weigh_category_fit(labels: pd.Series, analysis: TextAnalysis, settings: FitSettings) -> FitWeighing:
    """The lexicon's evidence for each row's assigned category against the best other one."""
    taxonomy = settings.taxonomy
    lexicon = Lexicon.from_spec(taxonomy["lexicon"])
    column_of = {category: column for column, category in enumerate(lexicon.categories)}
    fallback = column_of.get(taxonomy.get("fallback") or "")
    assigned = labels.map(lambda label: column_of.get(taxonomy["labels"].get(normalise_label(label), ""), -1)).astype(int)
    assigned = assigned.to_numpy()
    positions = analysis.rows(labels.index)
    scores = score_categories(analysis, lexicon, positions, settings.unmet_requirement, settings.lead_bonus)
    evidence = scores.scores.copy()
    if fallback is not None:
        # A long text meets incident words by chance more often than a short one; the bar for
        # "this is an incident" grows with it (as the square root, as the term counts are sublinear).
        length = np.maximum(analysis.token_totals[positions], 1.0) / settings.baseline_words
        evidence[:, fallback] += settings.baseline * np.sqrt(length)
    known = assigned >= 0
    given = np.maximum(assigned, 0)
    rows = np.arange(len(labels))
    assigned_score = np.where(known, evidence[rows, given], 0.0)
    # A row assigned a topic (politics, "none of the above") must hold up against the
    # incident categories as usual, but against the other topic only loosely: which
    # topic a story without an incident belongs to is often a matter of taste.
    topics = np.isin(np.array(lexicon.categories), taxonomy.get("topics") or [])
    topic_rows = topics[given] & known
    incidents_only = np.where(topic_rows[:, None] & topics[None, :], -np.inf, evidence)
    incidents_only[rows, given] = assigned_score
    best_incident = incidents_only.argmax(axis=1)
    best_any = evidence.argmax(axis=1)
    fit_incident = _ratio(assigned_score, incidents_only[rows, best_incident])
    fit_any = _ratio(assigned_score, evidence[rows, best_any])
    by_topic = topic_rows & (fit_any < settings.topic_min_fit) & (fit_any < fit_incident)
    best = np.where(by_topic, best_any, best_incident)
    fit = np.where(by_topic, fit_any, fit_incident)
    # Short texts are judged only when they hold clear evidence (a headline-only row
    # naming `Koalition` and `Mandate` is plainly politics); otherwise they get a note.
    too_short = (analysis.token_totals[positions] < settings.min_tokens) & (
        scores.scores.max(axis=1, initial=0.0) < SHORT_TEXT_EVIDENCE
    )
    is_fallback = known & (assigned == fallback) if fallback is not None else np.zeros(len(labels), bool)
    return FitWeighing(assigned=assigned, best=best, fit=fit,
                       confidence=calibrated(fit, settings.calibration, is_fallback), too_short=too_short,
                       positions=positions, scores=scores, lexicon=lexicon, fallback=fallback)


def judge_category_fit(labels: pd.Series, analysis: TextAnalysis, settings: FitSettings) -> pd.Series:
    """Per row: None when the category fits (or is unknown), else a dict with suggestion and evidence.

    ``settings.taxonomy`` is ``Taxonomy.fit_spec()``: labels -> ids, ids -> display labels,
    the lexicon per id and the fallback id.
    """
    taxonomy = settings.taxonomy
    if labels.empty:
        return pd.Series([], index=labels.index, dtype=object)
    weighing = weigh_category_fit(labels, analysis, settings)
    lexicon, scores, positions, fit, best = weighing.lexicon, weighing.scores, weighing.positions, weighing.fit, weighing.best
    fallback = weighing.fallback
    display = taxonomy["display"]
    known = weighing.assigned >= 0
    too_short = weighing.too_short
    confidence = weighing.confidence
    failing = known & ~too_short & (confidence >= settings.min_confidence) & (best != weighing.assigned)

    details: list[dict | None] = [None] * len(labels)
    for row in np.flatnonzero(known & too_short):
        details[row] = {
            "level": "info",
            "message": f"not enough text to judge the category ({int(analysis.token_totals[positions[row]])} words; "
                       f"needs {settings.min_tokens})",
        }
    for row in np.flatnonzero(failing):
        position, given, suggested = positions[row], int(weighing.assigned[row]), int(best[row])
        given_label = display[lexicon.categories[given]]
        suggested_label = display[lexicon.categories[suggested]]
        for_suggested = _words(analysis, scores, lexicon, row, position, suggested)
        for_given = _words(analysis, scores, lexicon, row, position, given)
        if suggested == fallback and not for_suggested:
            reason = "the text holds no sign of any incident category"
        else:
            reason = f"the text speaks for {suggested_label!r} ({', '.join(for_suggested[:5]) or 'no incident words'})"
        support = f"; for {given_label!r} only: {', '.join(for_given[:5])}" if for_given else f"; nothing speaks for {given_label!r}"
        details[row] = {
            "message": f"category {labels.iat[row]!r} does not fit: {reason}{support} "
                       f"(fit {fit[row]:.2f}, wrong with probability {confidence[row]:.2f})",
            "suggestion": suggested_label,
            "score": round(float(fit[row]), 3),
            "confidence": round(float(confidence[row]), 3),
            "evidence": {
                "suggested": suggested_label,
                "for_suggested": for_suggested,
                "assigned": given_label,
                "for_assigned": for_given,
            },
        }
    return pd.Series(details, index=labels.index, dtype=object)
