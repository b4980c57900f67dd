"""Parse publication dates as aggregators write them (ISO 8601 and German forms)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from auditor.contracts import setting

_GERMAN_MONTHS = {
    "januar": 1, "jänner": 1, "jaenner": 1, "februar": 2, "feber": 2, "märz": 3, "maerz": 3,
    "april": 4, "mai": 5, "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10,
    "november": 11, "dezember": 12,
}
_NUMERIC_GERMAN = re.compile(
    r"^\s*(?P<day>\d{1,2})\.\s*(?P<month>\d{1,2})\.\s*(?P<year>\d{4})"
    r"(?:\s*,?\s*(?:um\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:\s*(?:Uhr|h))?)?\s*$",
    re.IGNORECASE,
)
_WORDED_GERMAN = re.compile(
    r"^\s*(?P<day>\d{1,2})\.\s*(?P<month>[A-Za-zäÄ]+)\s+(?P<year>\d{4})"
    r"(?:\s*,?\s*(?:um\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:\s*(?:Uhr|h))?)?\s*$",
    re.IGNORECASE,
)
_ZONE_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"
# Aggregator dates without a zone are local to Central Europe.
LOCAL_ZONE = "Europe/Berlin"


def _german_dates(text: pd.Series) -> pd.Series:
    """German numeric and worded dates, vectorised; NaT where neither form matches."""
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    for pattern in (_NUMERIC_GERMAN, _WORDED_GERMAN):
        parts = text.str.extract(pattern)
        parts = parts[parts["day"].notna()]
        if parts.empty:
            continue
        month = parts["month"].str.lower().map(lambda m: int(m) if m.isdigit() else _GERMAN_MONTHS.get(m))
        local = pd.to_datetime(
            pd.DataFrame({
                "year": pd.to_numeric(parts["year"]),
                "month": pd.to_numeric(month, errors="coerce"),
                "day": pd.to_numeric(parts["day"]),
                "hour": pd.to_numeric(parts["hour"]).fillna(0),
                "minute": pd.to_numeric(parts["minute"]).fillna(0),
            }),
            errors="coerce",
        )
        result[parts.index] = local.dt.tz_localize(LOCAL_ZONE, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
    return result


def parse_dates(values: pd.Series) -> pd.Series:
    """Per row: the moment as a UTC Timestamp, or NaT when the text is not a date."""
    text = values.astype(str).str.strip()
    has_zone = text.str.contains(_ZONE_SUFFIX)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if has_zone.any():
        parsed[has_zone] = pd.to_datetime(text[has_zone], errors="coerce", format="ISO8601", utc=True)
    naive = ~has_zone
    if naive.any():
        local = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
        parsed[naive] = local.dt.tz_localize(LOCAL_ZONE, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
    missing = parsed.isna()
    if missing.any():
        parsed[missing] = _german_dates(text[missing])
    return parsed


@dataclass(frozen=True)
class DateSettings:
    max_future_minutes: int = setting(0, ge=0, doc="How far past the time of the run a date may lie (clock and time-zone slack).")
    now: str | None = setting(None, doc="The moment dates are compared with (ISO 8601); default: the time of the run.")


def find_bad_dates(values: pd.Series, settings: DateSettings) -> pd.Series:
    """Per row: None for a parseable past date, else a dict saying what is wrong."""
    parsed = parse_dates(values)
    reference = pd.Timestamp(settings.now, tz="UTC") if settings.now else pd.Timestamp.now(tz="UTC")
    limit = reference + pd.Timedelta(minutes=settings.max_future_minutes)
    details = pd.Series(None, index=values.index, dtype=object)
    for index in parsed.index[parsed.isna()]:
        details[index] = {"message": f"not a date: {str(values[index])[:60]!r}", "snippet": str(values[index])[:60]}
    for index in parsed.index[parsed > limit]:
        details[index] = {
            "message": f"date lies in the future: {str(values[index])[:60]!r} (run at {reference:%Y-%m-%d %H:%M} UTC)",
            "snippet": str(values[index])[:60],
        }
    return details
