"""Look-up tables keyed by strings, as sorted 64-bit hashes: saved as plain arrays, loaded
without building a dictionary, and searched for a whole batch of keys in one NumPy call.

The hash is a polynomial over the UTF-8 bytes modulo 2**64, finished with the SplitMix64 mixer
(Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014). It is
computed for all keys at once. Two different keys share a hash with probability about 2**-64
per pair; where a shared hash would change a decision (domains), callers compare the strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import mul

import numpy as np
import numpy.typing as npt

from leadmatch._util.arrays import IntArray, first_of_groups, offsets, utf8

U64Array = npt.NDArray[np.uint64]

_BASE = np.uint64(0x9E3779B97F4A7C15)
_LENGTH = np.uint64(0xBF58476D1CE4E5B9)
#: The hash of the empty string: reserved, so that "no value" compares unequal to any value.
EMPTY = np.uint64(0)


@lru_cache(maxsize=8)
def _powers(size: int) -> U64Array:
    powers = np.full(size, _BASE, dtype=np.uint64)
    powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)


def _mix(h: U64Array) -> U64Array:
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))  # type: ignore[no-any-return]


_MASK = (1 << 64) - 1
#: Below this many bytes in all, plain Python beats the fixed cost of a dozen NumPy calls
#: (one lead matched at a time); both paths give the same hashes.
_SMALL = 256


#: ``_BASE ** j`` modulo 2**64 for ``j < _SMALL``, and their running sums (from 0): with them a
#: short key's polynomial is one C-level dot product instead of a Python loop over its bytes.
_POWER_LIST: list[int] = _powers(_SMALL).tolist()
_POWER_SUMS: list[int] = [0, *accumulate(_POWER_LIST)]


def _hash_one(data: bytes) -> int:
    """:func:`hash_keys` of one encoded string, in plain Python."""
    n = len(data)
    if not n:
        return 0
    if n <= _SMALL:
        powers, power_sum = _POWER_LIST, _POWER_SUMS[n]
    else:
        powers = _powers(n).tolist()
        power_sum = sum(powers)
    # sum of (byte + 1) * B**j  ==  sum of byte * B**j  +  sum of B**j
    h = (sum(map(mul, data, powers)) + power_sum) & _MASK
    h ^= (n * int(_LENGTH)) & _MASK
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK
    h ^= h >> 31
    return h or 1


def hash_keys(values: Sequence[str]) -> U64Array:
    """A 64-bit hash per string; ``""`` hashes to :data:`EMPTY` and nothing else does."""
    # A few short keys (one lead's): no NumPy overhead. (Counted only for a short list.)
    if len(values) <= _SMALL and sum(map(len, values)) <= _SMALL:
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        if sum(map(len, encoded)) <= _SMALL:
            return np.fromiter(map(_hash_one, encoded), dtype=np.uint64, count=len(encoded))
    return _hash_many(*utf8(values))


#: Bytes hashed at a time: each byte takes 40 bytes of temporary arrays, so a million domains
#: hashed at once took 500 MB, and a block that stays in the CPU's cache is faster too.
BLOCK_BYTES = 1 << 20


def _hash_many(lengths: IntArray, data: bytes) -> U64Array:
    """The hashes of the strings whose UTF-8 bytes are ``data`` back to back, of ``lengths``,
    a block of about :data:`BLOCK_BYTES` at a time (a longer string is a block of its own)."""
    blob = np.frombuffer(data, dtype=np.uint8)
    if len(blob) <= BLOCK_BYTES:  # a batch's keys: one block, no more NumPy calls than that
        return _hash_block(lengths, blob)
    out = np.zeros(len(lengths), dtype=np.uint64)
    ptr = offsets(lengths)
    start = 0
    while start < len(lengths):
        stop = max(int(ptr.searchsorted(ptr[start] + BLOCK_BYTES, "right")) - 1, start + 1)
        out[start:stop] = _hash_block(lengths[start:stop], blob[ptr[start] : ptr[stop]])
        start = stop
    return out


def _hash_block(lengths: IntArray, blob: npt.NDArray[np.uint8]) -> U64Array:
    """:func:`_hash_many` of one block."""
    out = np.zeros(len(lengths), dtype=np.uint64)
    filled = lengths.nonzero()[0]
    if len(filled) == 0:
        return out
    starts = offsets(lengths)[:-1][filled]
    position = np.arange(len(blob), dtype=np.int64) - starts.repeat(lengths[filled])
    powers = _powers(1 << max(int(lengths.max()) - 1, 1).bit_length())
    with np.errstate(over="ignore"):
        terms = (blob.astype(np.uint64) + np.uint64(1)) * powers[position]
        sums = np.add.reduceat(terms, starts) ^ (lengths[filled].astype(np.uint64) * _LENGTH)
        mixed = _mix(sums)
    out[filled] = np.where(mixed == EMPTY, np.uint64(1), mixed)
    return out


@dataclass(frozen=True)
class KeyTable:
    """Hash -> one or more integer values (a CSR table over sorted unique hashes)."""

    keys: U64Array
    ptr: IntArray
    values: IntArray

    @classmethod
    def build(cls, hashes: U64Array, values: IntArray, order: IntArray | None = None) -> KeyTable:
        """Group ``values`` by hash; within a hash they keep the order of ``order`` (then of
        ``values``), so that a capped look-up does not depend on input order."""
        if order is None and (len(values) < 2 or bool((np.diff(values) >= 0).all())):
            sort = np.argsort(hashes, kind="stable")  # ties already in value order
        elif order is not None and len(values) and values.min() >= 0 and order.min() >= 0:
            span = int(values.max()) + 1
            if int(order.max()) < (1 << 62) // span:  # (order, value) packed in one key
                sort = np.lexsort((order.astype(np.int64) * span + values, hashes))
            else:
                sort = np.lexsort((values, order, hashes))
        else:
            sort = np.lexsort((values, values if order is None else order, hashes))
        hashes, values = hashes[sort], values[sort]
        starts = first_of_groups(hashes).nonzero()[0]
        ptr = np.append(starts, len(hashes)).astype(np.int64)
        return cls(hashes[starts], ptr, values.astype(np.int64))

    def __len__(self) -> int:
        return len(self.keys)

    def slots(self, hashes: U64Array) -> IntArray:
        """Each hash's slot in the table, ``-1`` where absent (and for the empty string)."""
        if len(self.keys) == 0:
            return np.full(len(hashes), -1, dtype=np.int64)
        at = np.minimum(self.keys.searchsorted(hashes), len(self.keys) - 1)
        at[(self.keys[at] != hashes) | (hashes == EMPTY)] = -1
        return at

    def first(self, hashes: U64Array) -> IntArray:
        """The first value of each hash, ``-1`` where absent."""
        slot = self.slots(hashes)
        out = np.full(len(slot), -1, dtype=np.int64)
        found = slot >= 0
        out[found] = self.values[self.ptr[slot[found]]]
        return out

    def gather(self, rows: IntArray, hashes: U64Array, cap: int) -> tuple[IntArray, IntArray]:
        """(row, value) for every value of each present hash, at most ``cap`` per hash."""
        slot = self.slots(hashes)
        keep = slot >= 0
        rows, slot = rows[keep], slot[keep]
        ptr = self.ptr
        start = ptr[slot]
        counts = np.minimum(ptr[slot + 1] - start, cap)
        which = np.arange(len(slot), dtype=np.int64).repeat(counts)
        position = np.arange(len(which), dtype=np.int64) - (offsets(counts)[:-1] - start).repeat(
            counts
        )
        return rows[which], self.values[position]

    def problem(self, limit: int) -> str | None:
        """What is wrong with a loaded table whose values index ``[0, limit)``, or ``None``."""
        keys, ptr, values = self.keys, self.ptr, self.values
        if keys.dtype != np.uint64 or ptr.dtype.kind != "i" or values.dtype.kind != "i":
            return "has the wrong types"
        if len(ptr) != len(keys) + 1 or (len(ptr) and (ptr[0] != 0 or ptr[-1] != len(values))):
            return "offsets do not fit"
        if (np.diff(ptr) <= 0).any() or (len(keys) > 1 and (np.diff(keys) == 0).any()):
            return "is not a sorted table"
        if len(keys) > 1 and (keys[1:] < keys[:-1]).any():
            return "is not a sorted table"
        if len(values) and (values.min() < 0 or values.max() >= limit):
            return "points outside the index"
        return None
