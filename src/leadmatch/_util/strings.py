"""A column of strings stored as one UTF-8 buffer and offsets: saved and loaded without
pickle, and read from a memory-mapped index without turning a million values into objects.

Values are decoded when asked for; :meth:`StringColumn.objects` decodes the whole column once
(one ``split`` of the decoded buffer), for the few columns the matcher reads pair by pair.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from leadmatch._util.arrays import BoolArray, IntArray, object_array, offsets, utf8
from leadmatch._util.buffers import Buffers

#: Up to this many rows, :meth:`StringColumn.take` reads them one by one.
_FEW = 16
#: Separator between values in the buffer when no value contains it (the fast decode path).
_SEP = "\x00"
_NUL = np.zeros(1, dtype=np.uint8)


def _separators(ptr: IntArray, run: IntArray) -> BoolArray:
    """Where the separators of a run of a joined column are, within the run's bytes."""
    start = int(ptr[run[0]])
    size = int(ptr[run[-1] + 1]) - 1 - start
    mask = np.zeros(size, dtype=bool)
    mask[ptr[run[1:]] - 1 - start] = True
    return mask


class StringColumn(Sequence[str]):
    """An immutable sequence of ``str`` backed by ``data`` (UTF-8 bytes) and ``ptr`` (offsets).

    ``data`` holds the values joined by NUL when none contains a NUL (``joined``), else back to
    back; value ``i`` starts at ``ptr[i]`` and ends where the next starts (less its separator).
    """

    __slots__ = ("_data", "_joined", "_lock", "_objects", "_ptr", "_view")

    def __init__(self, data: Any, ptr: IntArray, joined: bool, objects: Any = None) -> None:
        self._data = data
        self._view = memoryview(data).cast("B")
        self._ptr = ptr
        self._joined = joined
        self._objects = objects
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent between processes (a worker's chunk of a build) as its bytes and offsets."""
        return (type(self), (np.array(self._view, dtype=np.uint8), self._ptr, self._joined))

    @classmethod
    def from_list(cls, values: Sequence[str]) -> StringColumn:
        items = list(values)
        lengths, data = utf8(items, _SEP)
        joined = data.count(0) == max(len(items) - 1, 0)  # no value holds a NUL of its own
        if not joined:
            lengths, data = utf8(items)
        ptr = offsets(lengths + (1 if joined else 0))
        return cls(np.frombuffer(data, dtype=np.uint8), ptr, joined, object_array(items))

    @property
    def buffers(self) -> tuple[Any, IntArray, bool]:
        """What is saved: the bytes, the offsets and whether the bytes are NUL-joined."""
        return self._data, self._ptr, self._joined

    def __len__(self) -> int:
        return len(self._ptr) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        objects = self._objects
        if objects is not None:
            return str(objects[i])
        k = int(i)
        ptr = self._ptr
        if k < 0:
            k += len(ptr) - 1
        if not 0 <= k < len(ptr) - 1:
            raise IndexError(i)
        start, end = int(ptr[k]), int(ptr[k + 1]) - (1 if self._joined else 0)
        return str(self._view[start:end], "utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return iter(self.objects().tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StringColumn):
            return self.tolist() == other.tolist()
        if isinstance(other, list):
            return self.tolist() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StringColumn({len(self):,} values)"

    def filled(self) -> BoolArray:
        """Which values are not empty, from the offsets (nothing is decoded)."""
        lengths: BoolArray = np.diff(self._ptr) > self._gap
        return lengths

    def tolist(self) -> list[str]:
        return list(self.objects().tolist())

    def take(self, rows: IntArray) -> list[str]:
        """Values at ``rows``, decoding only those (for a few rows of a large loaded column)."""
        if self._objects is not None:
            return list(self._objects[rows].tolist())
        if len(rows) <= _FEW:  # one lead's rows: NumPy's fixed costs exceed the work
            return [self[int(r)] for r in rows]
        rows = np.asarray(rows, dtype=np.int64)
        rows = np.where(rows < 0, rows + len(self), rows)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError("row out of range")
        view, ptr = self._view, self._ptr
        return [
            str(view[a:b], "utf-8", "surrogatepass")
            for a, b in zip(ptr[rows].tolist(), (ptr[rows + 1] - self._gap).tolist())
        ]

    def take_objects(self, rows: IntArray) -> Any:
        """:meth:`take` as an object array: straight from the decoded strings if the column
        holds them, so a hot look-up makes no list between."""
        objects = self._objects
        return objects[rows] if objects is not None else object_array(self.take(rows))

    def objects(self) -> Any:
        """The whole column as a NumPy object array (decoded once, then kept)."""
        objects = self._objects
        if objects is None:
            with self._lock:
                if self._objects is None:
                    self._objects = object_array(self._decode_all())
                objects = self._objects
        return objects

    def _decode_all(self) -> list[str]:
        raw = bytes(self._data)
        n = len(self)
        if self._joined:
            if n == 0:
                return []
            values = raw.decode("utf-8", "surrogatepass").split(_SEP)
            if len(values) == n:
                return values
        bounds, gap = self._ptr.tolist(), self._gap
        return [
            raw[a : b - gap].decode("utf-8", "surrogatepass") for a, b in zip(bounds, bounds[1:])
        ]

    @property
    def _gap(self) -> int:
        return 1 if self._joined else 0

    @classmethod
    def gathered(cls, parts: Sequence[tuple[StringColumn, IntArray]]) -> StringColumn:
        """The values at ``rows`` of each ``(column, rows)``, one after another, gathered as
        bytes (no value is decoded): how an index update copies its columns. Runs of
        consecutive rows (all of a column but the few an update removes) are copied whole."""
        joined = all(column._joined for column, _ in parts)
        gap = 1 if joined else 0
        lengths, pieces = [], []
        for column, rows in parts:
            ptr, source = column._ptr, np.asarray(column._data, dtype=np.uint8).reshape(-1)
            length = ptr[rows + 1] - column._gap - ptr[rows]
            lengths.append(length)
            if not len(rows):
                continue
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            if len(breaks) < len(rows) // 64 + 1:  # few runs: copy each as one slice
                for run in np.split(rows, breaks):
                    start, end = int(ptr[run[0]]), int(ptr[run[-1] + 1])
                    piece = source[start : max(end - column._gap, start)]
                    if column._joined != joined:  # a joined run into an unjoined column
                        piece = piece[np.ones(len(piece), dtype=bool) ^ _separators(ptr, run)]
                    pieces.append(piece)
                    if joined:
                        pieces.append(_NUL)
                continue
            starts = ptr[rows]
            which = np.repeat(np.arange(len(rows), dtype=np.int64), length + gap)
            within = np.arange(len(which), dtype=np.int64) - np.repeat(
                offsets(length + gap)[:-1], length + gap
            )
            if not len(source):  # only empty values
                pieces.append(np.zeros(len(which), dtype=np.uint8))
                continue
            piece = source[np.minimum(starts[which] + within, len(source) - 1)]
            if gap:  # the byte after each value is its separator (or past the end)
                piece[offsets(length + gap)[1:] - 1] = 0
            pieces.append(piece)
        length = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
        out = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint8)
        ptr = offsets(length + gap)
        size = int(ptr[-1]) - gap if len(length) else 0
        return cls(out[:size], ptr, joined)

    def extended(self, values: Sequence[str], buffers: Buffers, name: str) -> StringColumn:
        """This column followed by ``values``, grown in ``buffers`` under ``name`` (see
        :class:`~leadmatch._util.buffers.Buffers`): what an index update appends costs what the new
        values hold, not what the column holds."""
        if not values:
            return self
        items = list(values)
        if self._joined and any(_SEP in v for v in items):  # stored back to back from now on
            new = StringColumn.from_list(items)
            every = np.arange(len(self), dtype=np.int64)
            return StringColumn.gathered([(self, every), (new, np.arange(len(new)))])
        encoded = [v.encode("utf-8", "surrogatepass") for v in items]
        gap = self._gap
        lengths = np.fromiter((len(e) + gap for e in encoded), np.int64, len(encoded))
        ptr = buffers.extend(f"{name}.ptr", self._ptr, int(self._ptr[-1]) + np.cumsum(lengths))
        head = b"\x00" if gap and len(self) else b""
        blob = head + (b"\x00" if gap else b"").join(encoded)
        stored = np.asarray(self._data, dtype=np.uint8).reshape(-1)
        data = buffers.extend(f"{name}.data", stored, np.frombuffer(blob, dtype=np.uint8))
        objects = self._objects
        if objects is not None:
            objects = buffers.extend(f"{name}.objects", objects, object_array(items))
        return StringColumn(data, ptr, self._joined, objects)

    def check(self) -> str | None:
        """What is wrong with the buffers (for a loaded file), or ``None``."""
        ptr, size = self._ptr, len(self._data)
        if len(ptr) == 0 or ptr[0] != 0 or (np.diff(ptr) < self._gap).any():
            return "offsets do not fit"
        if int(ptr[-1]) != size + (self._gap if len(ptr) > 1 else 0):
            return "offsets do not fit"
        try:
            bytes(self._data).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return "not valid UTF-8"
        return None
