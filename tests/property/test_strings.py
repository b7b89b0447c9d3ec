"""StringColumn, as loaded from a file (buffers only), against the list it was made from."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadmatch._util.strings import StringColumn

#: What a spreadsheet reads as the start of a formula (OWASP, "CSV injection"), and the plain
#: numbers (``-12``, ``+4420``, ``1e5``) that may start with a sign and stay unquoted.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")

texts = st.lists(st.text(st.characters(codec="utf-8") | st.sampled_from(["\x00", "é", "東"])))


@given(texts | st.lists(st.text(st.characters(codec="ascii"))))
def test_a_column_lays_its_values_out_as_its_format_says(values: list[str]) -> None:
    """UTF-8 values joined by NUL (none holds one) or back to back; ``ptr`` at each start."""
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    joined = not any("\x00" in v for v in values)
    data, ptr, is_joined = StringColumn.from_list(values).buffers
    assert is_joined == joined
    assert bytes(data) == (b"\x00" if joined else b"").join(encoded)
    gap = 1 if joined else 0
    assert ptr.tolist() == [0, *np.cumsum([len(e) + gap for e in encoded]).tolist()]


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


@given(st.lists(st.tuples(texts, st.data()), min_size=1, max_size=3))
def test_gathered_rows_read_back_as_the_values_at_them(
    parts: list[tuple[list[str], st.DataObject]],
) -> None:
    picked, expected = [], []
    for values, data in parts:
        n = len(values)
        removed = (
            set(data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3))) if n else set()
        )
        rows = data.draw(
            st.sampled_from(
                [[r for r in range(n) if r not in removed], list(range(n))[::-1]]
                + ([data.draw(st.lists(st.integers(0, n - 1), max_size=80))] if n else [])
            )
        )
        column = _loaded(values) if data.draw(st.booleans()) else StringColumn.from_list(values)
        picked.append((column, np.array(rows, dtype=np.int64)))
        expected += [values[r] for r in rows]
    gathered = StringColumn.gathered(picked)
    assert gathered.check() is None
    assert gathered.tolist() == expected
    assert [gathered[i] for i in range(len(gathered))] == expected


@given(st.text(st.sampled_from("'=+-@\t\r0123456789.eE aZ")) | st.text())
def test_csv_cells_never_start_a_formula_and_read_back_as_written(text: str) -> None:
    from leadmatch.io.columns import spreadsheet_safe, unescaped

    safe = spreadsheet_safe(text)
    assert safe[:1] not in FORMULA_START or PLAIN_NUMBER.fullmatch(safe)
    assert unescaped(safe) == text
