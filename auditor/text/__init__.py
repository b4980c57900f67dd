"""Per-row text analysis: pure functions from pandas Series to Series.

Nothing here knows about GX, files or reports, so the same functions can later be
applied to Spark columns (as pandas UDFs) without change.
"""
