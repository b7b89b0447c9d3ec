"""String hashing and key tables: two code paths, one answer; look-ups find what was stored."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from leadmatch._util import keys
from leadmatch._util.keys import EMPTY, KeyTable, _hash_many, _hash_one, hash_keys

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
#: Mostly ASCII, as most keys are (a list of them is encoded in one call), sometimes not.
KEYS = st.text(st.characters(codec="ascii") | st.sampled_from(["é", "東", "\x00"]), max_size=40)


@given(st.lists(TEXT | KEYS, max_size=30))
def test_python_and_numpy_paths_agree(values: list[str]) -> None:
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    fast = [_hash_one(e) for e in encoded]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    assert _hash_many(lengths, b"".join(encoded)).tolist() == fast
    assert hash_keys(values).tolist() == fast
    assert hash_keys(values * 20).tolist() == fast * 20  # the NumPy path, by size


@given(st.lists(TEXT | KEYS, max_size=30), st.integers(1, 90))
def test_hashing_a_block_at_a_time_changes_no_hash(values: list[str], block: int) -> None:
    """Blocks of any size, strings longer than a block, empty strings at a block's edge."""
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    with patch.object(keys, "BLOCK_BYTES", block):
        assert _hash_many(lengths, b"".join(encoded)).tolist() == [_hash_one(e) for e in encoded]


@given(st.lists(TEXT, max_size=30, unique=True))
def test_only_the_empty_string_hashes_to_empty(values: list[str]) -> None:
    hashes = hash_keys(values)
    assert ((hashes == EMPTY) == np.array([v == "" for v in values], dtype=bool)).all()
    assert len(set(hashes.tolist())) == len(values)  # no collisions among a few distinct keys


@given(st.lists(st.tuples(TEXT, st.integers(0, 99)), max_size=40), st.lists(TEXT, max_size=10))
def test_a_table_returns_every_value_of_a_key_in_order(
    pairs: list[tuple[str, int]], queries: list[str]
) -> None:
    keys = [k for k, _ in pairs if k]
    values = np.array([v for k, v in pairs if k], dtype=np.int64)
    table = KeyTable.build(hash_keys(keys), values)
    assert table.problem(100) is None
    asked = queries + keys[:5]
    rows, found = table.gather(np.arange(len(asked)), hash_keys(asked), cap=3)
    expected = [
        (row, value)
        for row, query in enumerate(asked)
        for value in sorted(v for k, v in zip(keys, values.tolist()) if k == query and query)[:3]
    ]
    assert list(zip(rows.tolist(), found.tolist())) == expected
    first = table.first(hash_keys(asked)).tolist()
    assert first == [next((v for r, v in expected if r == row), -1) for row in range(len(asked))]
