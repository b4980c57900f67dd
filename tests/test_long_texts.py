"""The long texts of an audit in chunks, on disk: any rows come back as they went in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditor import long_texts
from auditor.long_texts import LongTexts


def test_rows_spread_over_many_row_groups_come_back_in_the_order_asked(tmp_path, monkeypatch):
    # Small row groups, read two at a time: rows asked for span many reads in every chunk.
    monkeypatch.setattr(long_texts, "ROW_GROUP_ROWS", 10)
    monkeypatch.setattr(long_texts, "GROUPS_AT_ONCE", 2)
    texts = LongTexts(tmp_path / "texts")
    start = 0
    for size, columns in ((95, ["body", "main_text"]), (0, ["body"]), (61, ["body"])):
        index = pd.RangeIndex(start, start + size)
        texts.add(pd.DataFrame({name: [f"{name} of row {row}" for row in index] for name in columns}, index=index))
        start += size
    positions = np.random.default_rng(5).permutation(start)[:120]
    found = texts.rows(positions, ["body", "main_text"])
    assert found["body"].tolist() == [f"body of row {row}" for row in positions]
    # The second chunk with rows has no main_text: None there.
    assert found["main_text"].tolist() == [f"main_text of row {row}" if row < 95 else None for row in positions]
    assert texts.chunk(2)["body"].tolist() == [f"body of row {row}" for row in range(95, 156)]


def test_a_piece_of_a_chunk_is_read_by_its_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(long_texts, "ROW_GROUP_ROWS", 3)
    texts = LongTexts(tmp_path / "texts")
    texts.add(pd.DataFrame({"body": [f"Text {number}" for number in range(10)]}, index=pd.RangeIndex(0, 10)))
    texts.add(pd.DataFrame({"body": [f"Text {number}" if number % 4 else None for number in range(10, 18)]},
                           index=pd.RangeIndex(10, 18)))
    piece = texts.chunk(1, 3, 7)
    assert list(piece.index) == [13, 14, 15, 16]
    assert piece["body"].tolist() == ["Text 13", "Text 14", "Text 15", None]
    assert texts.chunk(0, 6)["body"].tolist() == ["Text 6", "Text 7", "Text 8", "Text 9"]
    assert texts.chunk(1)["body"].tolist() == texts.chunk(1, 0, 100)["body"].tolist()
    with pytest.raises(ValueError, match="row group"):
        texts.chunk(0, 4, 6)
