"""Small NumPy building blocks shared by the index, blocking and features: CSR groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def object_array(values: list[str]) -> Any:
    """A list of strings as a NumPy object array (fancy indexing without copying the strings)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


_NUL = "\x00"
#: From this many values, :func:`utf8` encodes text other than ASCII in one call.
_MANY = 64


def utf8(values: Sequence[str], sep: str = "") -> tuple[IntArray, bytes]:
    """Each value's length in UTF-8 bytes, and the values' bytes joined by ``sep``. The values
    are encoded in one call, not one per value: a list of ASCII values (most key and name
    lists) as it is; any other joined by NUL, whose bytes then say where each value ends."""
    text = sep.join(values)
    if text.isascii():
        return np.fromiter(map(len, values), np.int64, len(values)), text.encode("ascii")
    if len(values) < _MANY:  # a lead's few values: a handful of NumPy calls would cost more
        return _one_by_one(values, sep)
    marked = text if sep == _NUL else _NUL.join(values)
    del text  # a million names are tens of MB a copy; the bytes need two more
    data = marked.encode("utf-8", "surrogatepass")  # a NUL is one byte, in no other character
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
    if len(ends) == len(values) - 1:  # no value holds a NUL of its own
        bounds = np.concatenate(([-1], ends, [len(data)]))
        joined = data if sep == _NUL else data.replace(b"\0", sep.encode("utf-8", "surrogatepass"))
        return np.diff(bounds) - 1, joined
    return _one_by_one(values, sep)


def _one_by_one(values: Sequence[str], sep: str) -> tuple[IntArray, bytes]:
    parts = [v.encode("utf-8", "surrogatepass") for v in values]
    lengths = np.fromiter(map(len, parts), np.int64, len(parts))
    return lengths, sep.encode("utf-8", "surrogatepass").join(parts)


def offsets(counts: npt.NDArray[np.integer]) -> IntArray:
    """CSR row pointer from per-row counts: ``[0, c0, c0+c1, ...]``."""
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    counts.cumsum(out=ptr[1:])
    return ptr


def expand(ptr: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """For each of ``rows``, every position in its CSR slice.

    Returns ``(which, position)``: ``which[k]`` indexes ``rows``, ``position[k]`` indexes the
    CSR values. One vectorized gather instead of a Python loop over rows.
    """
    starts = ptr[rows]
    counts = ptr[rows + 1] - starts
    which = np.arange(len(rows), dtype=np.int64).repeat(counts)
    if len(which) == 0:
        return which, which.copy()
    first = offsets(counts)[:-1]
    position = np.arange(len(which), dtype=np.int64) - (first - starts).repeat(counts)
    return which, position


def group_by(keys: IntArray, size: int, tie: IntArray | None = None) -> tuple[IntArray, IntArray]:
    """CSR index of ``range(len(keys))`` grouped by key in ``[0, size)``: ``(ptr, order)``;
    within a key in ``tie`` order if given (else in position order)."""
    if tie is None:
        order = keys.argsort(kind="stable").astype(np.int64)
    else:
        order = np.lexsort((tie, keys)).astype(np.int64)
    counts = np.bincount(keys, minlength=size) if len(keys) else np.zeros(size, dtype=np.int64)
    return offsets(counts), order


def first_of_groups(sorted_keys: npt.NDArray[np.integer] | npt.NDArray[np.object_]) -> BoolArray:
    """True where a run of equal values starts in a sorted array."""
    mask = np.empty(len(sorted_keys), dtype=bool)  # (np.ones costs more than this work)
    mask[:1] = True
    mask[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return mask


def rank_in_group(sorted_keys: IntArray) -> IntArray:
    """Position of each element within its run of equal keys (0 for the first of a run)."""
    position = np.arange(len(sorted_keys), dtype=np.int64)
    start = np.where(first_of_groups(sorted_keys), position, 0)  # each run's start, carried on
    np.maximum.accumulate(start, out=start)
    return position - start


def connected_components(n: int, left: IntArray, right: IntArray) -> IntArray:
    """Component label (the smallest member) of each of ``n`` nodes joined by edges.

    Hooking and pointer jumping (Shiloach–Vishkin style): a label never exceeds its node, so
    the labels form a forest whose roots are the smallest members; rounds are few even for
    long chains, and all of it is NumPy.
    """
    labels = np.arange(n, dtype=np.int64)
    while len(left):
        low = np.minimum(labels[left], labels[right])
        high = np.maximum(labels[left], labels[right])
        if not (low != high).any():
            break
        np.minimum.at(labels, high, low)  # hook the larger root under the smaller
        while True:  # path compression: every node straight to its root
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
    return labels
