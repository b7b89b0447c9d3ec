"""The processes leadmatch itself runs: the CLI's settings, and an ordered pool of workers."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from typing import Any, TypeVar

R = TypeVar("R")

#: Most processes the CLI starts by itself (``--workers auto``); more are given by number.
AUTO_WORKERS_MAX = 8

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


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container or ``taskset``
    limits it; not the machine's count), at most :data:`AUTO_WORKERS_MAX`."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    cores = len(getaffinity(0)) if getaffinity else (os.cpu_count() or 1)
    return max(1, min(cores, AUTO_WORKERS_MAX))


def in_order(
    fn: Callable[..., R],
    tasks: Iterable[tuple[Any, ...]],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...] = (),
) -> Generator[tuple[tuple[Any, ...], Future[R]], None, None]:
    """``fn(*task)`` for each task in ``workers`` processes, each task with its future in the
    order given: at most ``2 * workers`` in flight, so memory stays flat for any stream.

    Workers are started with ``spawn`` (safe with threads in the parent, and the same on every
    platform). The pool lives while the caller reads; leaving early shuts it down.
    """
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )
    with pool:
        stream = iter(tasks)
        pending: deque[tuple[tuple[Any, ...], Future[R]]] = deque()
        while True:
            while len(pending) < 2 * workers:
                task = next(stream, None)
                if task is None:
                    break
                pending.append((task, pool.submit(fn, *task)))
            if not pending:
                return
            yield pending.popleft()


def chunked(
    fn: Callable[..., R], items: Iterable[Any], workers: int, size: int, *args: Any
) -> Iterator[tuple[int, R]]:
    """``fn(chunk, *args)`` for each chunk of ``size`` items, in order, with the chunk's size.

    With ``workers > 1`` and more than one chunk, chunks go to worker processes (see
    :func:`in_order`); fewer items are not worth starting processes for. A chunk a worker
    could not take (say, an object that does not pickle) is done here instead.
    """
    rows = iter(items)
    first = list(islice(rows, size))
    chunks = chain([first], iter(lambda: list(islice(rows, size)), []))
    if workers <= 1 or len(first) < size:
        for chunk in chunks:
            yield len(chunk), fn(chunk, *args)
        return
    tasks = ((chunk, *args) for chunk in chunks)
    for (chunk, *_), future in in_order(fn, tasks, workers, tune_gc):
        try:
            result = future.result()
        except Exception:
            result = fn(chunk, *args)
        yield len(chunk), result
