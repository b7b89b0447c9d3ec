"""The NumPy building blocks against plain-Python references."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from leadmatch._util import arrays
from leadmatch._util.arrays import (
    connected_components,
    expand,
    object_array,
    offsets,
    rank_in_group,
    utf8,
)
from leadmatch.match.blocking import _best_first
from leadmatch.tables.lookups import _alphabetical_rank


def _union_find(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for u, v in edges:
        a, b = root(u), root(v)
        parent[max(a, b)] = min(a, b)
    return [root(x) for x in range(n)]


@given(st.integers(1, 60).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1),
                                                       st.integers(0, n - 1)), max_size=80))
))  # fmt: skip
def test_connected_components_match_union_find(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = case
    left = np.array([u for u, _ in edges], dtype=np.int64)
    right = np.array([v for _, v in edges], dtype=np.int64)
    assert connected_components(n, left, right).tolist() == _union_find(n, edges)


@given(st.lists(st.integers(0, 5), max_size=30), st.data())
def test_expand_lists_every_csr_position(counts: list[int], data: st.DataObject) -> None:
    ptr = offsets(np.array(counts, dtype=np.int64))
    rows = np.array(
        data.draw(st.lists(st.integers(0, max(len(counts) - 1, 0)), max_size=20)) if counts else [],
        dtype=np.int64,
    )
    which, position = expand(ptr, rows)
    expected = [(k, p) for k, r in enumerate(rows.tolist()) for p in range(ptr[r], ptr[r + 1])]
    assert list(zip(which.tolist(), position.tolist())) == expected


@given(st.lists(st.integers(0, 4), max_size=40))
def test_rank_in_group(values: list[int]) -> None:
    keys = np.sort(np.array(values, dtype=np.int64))
    expected = [keys[:i].tolist().count(k) for i, k in enumerate(keys.tolist())]
    assert rank_in_group(keys).tolist() == expected


@given(st.lists(st.text(max_size=8), max_size=40))
def test_alphabetical_rank_is_the_rank_in_sorted_order(values: list[str]) -> None:
    rank = _alphabetical_rank(object_array(values)).tolist()
    expected = sorted(range(len(values)), key=lambda i: (values[i], i))
    assert [rank[i] for i in expected] == list(range(len(values)))


@given(
    st.lists(
        st.tuples(
            st.integers(0, 9),  # lead row
            st.integers(0, 400),  # overlap, in eighths of a bit
            st.integers(0, 15),  # blocking rank
            st.integers(0, 50),  # account id rank
        ),
        max_size=60,
    )
)
def test_best_first_in_one_sort_is_the_plain_order(rows: list[tuple[int, int, int, int]]) -> None:
    """The packed-key sort and the two-sort fallback (taken when the fields do not fit 63 bits:
    here, for an index of 2**50 accounts) both give the plain-Python order."""
    row = np.array([r[0] for r in rows], dtype=np.int64)
    score = np.array([r[1] / 8 for r in rows])
    rank = np.array([r[2] for r in rows], dtype=np.int64)
    id_rank = np.array([r[3] for r in rows], dtype=np.int64)
    expected = sorted(range(len(rows)), key=lambda k: (rows[k][0], -rows[k][1], *rows[k][2:]))
    for n_acct in (51, 1 << 50):
        order = _best_first(row, score, rank, id_rank, 10, n_acct)
        assert order.tolist() == expected


@given(
    st.lists(st.text() | st.text(st.sampled_from("a\x00é\ud800\udc00語")), max_size=12),
    st.sampled_from(["", "\x00", " | "]),
    st.sampled_from([1, 64]),
)
def test_utf8_gives_each_values_bytes_as_encoding_it_alone_does(
    values: list[str], sep: str, many: int
) -> None:
    """Encoded in one call (NUL-joined, cut at the NULs: from ``many`` values), or one by one
    where a value holds a NUL of its own; lone surrogates as Python's surrogatepass writes
    them."""
    parts = [v.encode("utf-8", "surrogatepass") for v in values]
    with patch.object(arrays, "_MANY", many):
        lengths, data = utf8(values, sep)
    assert lengths.dtype == np.int64
    assert lengths.tolist() == [len(p) for p in parts]
    assert data == sep.encode("utf-8", "surrogatepass").join(parts)
