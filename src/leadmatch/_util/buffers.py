"""Arrays with room at their end, so that an index update appends its accounts in place.

A column grows into spare room behind it: the new version is a longer view of the same
buffer, and an older version (a view of its first part) still reads what it read. Only the
newest version of a column may grow in place; any other is copied into a new buffer first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Spare room made when a column is copied into a buffer: this share of its length, at least
#: :data:`_MIN_ROOM` entries (so that a run of single adds copies a column rarely).
_ROOM_SHARE = 4
_MIN_ROOM = 1024


def _address(array: np.ndarray[Any, Any]) -> int:
    return int(array.__array_interface__["data"][0])


class Buffers:
    """The growing buffers of one index (see the module docstring), by column name."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[np.ndarray[Any, Any], int]] = {}

    def extend(self, name: str, current: Any, extra: Any) -> Any:
        """``current`` followed by ``extra``: written into ``current``'s buffer when
        ``current`` is that buffer's newest version and there is room, else copied."""
        n, k = len(current), len(extra)
        if k == 0:
            return current
        held = self._held.get(name)
        if held is not None:
            buffer, used = held
            if used == n and n + k <= len(buffer) and n and _address(current) == _address(buffer):
                buffer[n : n + k] = extra
                self._held[name] = (buffer, n + k)
                return buffer[: n + k]
        buffer = np.empty(n + k + max((n + k) // _ROOM_SHARE, _MIN_ROOM), dtype=current.dtype)
        buffer[:n] = current
        buffer[n : n + k] = extra
        self._held[name] = (buffer, n + k)
        return buffer[: n + k]
