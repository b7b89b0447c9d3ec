"""Settings for the processes that leadmatch itself runs: the CLI and its worker processes."""

from __future__ import annotations

import gc

#: Allocations between collections of the youngest generation (CPython's default is 700).
GC_THRESHOLD = (50_000, 20, 100)


def tune_gc() -> None:
    """Collect reference cycles less often.

    A batch of leads makes hundreds of thousands of small objects that reference counting
    frees; at CPython's default thresholds the cycle collector walks them again and again, a
    tenth of the CLI's time. A library must not change this for the program that imports
    it, so only the CLI and leadmatch's own workers call this.
    """
    gc.set_threshold(*GC_THRESHOLD)
