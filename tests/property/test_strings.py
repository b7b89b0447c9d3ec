"""StringColumn, as loaded from a file (buffers only), against the list it was made from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadmatch._strings import StringColumn

texts = st.lists(st.text(st.characters(codec="utf-8") | st.sampled_from(["\x00", "é", "東"])))


def _loaded(values: list[str]) -> StringColumn:
    data, ptr, joined = StringColumn.from_list(values).buffers
    return StringColumn(np.array(data, copy=True), ptr.copy(), joined)


@given(texts, st.data())
def test_a_loaded_column_reads_back_every_value(values: list[str], data: st.DataObject) -> None:
    column = _loaded(values)
    assert len(column) == len(values)
    assert column.check() is None
    if values:
        rows = data.draw(st.lists(st.integers(-len(values), len(values) - 1), max_size=20))
        assert column.take(np.array(rows, dtype=np.int64)) == [values[r] for r in rows]
        assert [column[r] for r in rows] == [values[r] for r in rows]
    assert column.tolist() == values


@given(texts)
def test_a_row_outside_the_column_is_an_index_error(values: list[str]) -> None:
    column = _loaded(values)
    with pytest.raises(IndexError):
        column.take(np.array([len(values)], dtype=np.int64))
    with pytest.raises(IndexError):
        column.take(np.array([-len(values) - 1], dtype=np.int64))
