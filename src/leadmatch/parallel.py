"""Matching on several cores: chunks of leads go to worker processes that map the same saved
index, and results come back in input order.

Python runs one thread of Python code at a time, and most of a lead's cost is Python
(normalizing its fields, writing its evidence), so threads would not help; processes do. Each
worker maps the index file rather than copying it, so N workers cost little more memory than
one. Workers are started with ``spawn`` (safe with threads in the parent, and the same on every
platform); at most ``2 * workers`` chunks are in flight, so memory stays flat for any stream.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadmatch._process import tune_gc
from leadmatch.config import MatchConfig
from leadmatch.models import Lead

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

_worker_index: AccountIndex | None = None


def _start_worker(path: str, config_json: str) -> None:
    global _worker_index
    from leadmatch.index import AccountIndex

    tune_gc()
    _worker_index = AccountIndex.load(path, MatchConfig.from_json(config_json))


def _match_chunk(chunk: list[Lead | Mapping[str, Any]], offset: int, rows: bool) -> list[Any]:
    from leadmatch.pipeline import match_records

    if _worker_index is None:
        raise RuntimeError("a leadmatch worker was started without an index")
    # Rows are what a file needs, and cross back to this process far faster than records.
    return match_records(_worker_index, chunk, offset=offset, rows=rows)


def match_parallel(
    index: AccountIndex,
    leads: Iterable[Lead | Mapping[str, Any]],
    chunk_size: int,
    progress: Callable[[int], None] | None,
    workers: int,
    rows: bool = False,
) -> Iterator[Any]:
    """What :func:`leadmatch.pipeline.match_stream` yields, computed by ``workers`` processes
    (with ``rows``: each result as :func:`~leadmatch.pipeline.result_row` gives it)."""
    with tempfile.TemporaryDirectory(prefix="leadmatch-") as tmp:
        path = index.path if index.file_unchanged() else None
        if path is None:  # built in memory, or its file replaced since: workers need this one
            path = index._write(Path(tmp) / "index.lmx")
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(path), index.config.to_json()),
        )
        with pool:
            stream = iter(leads)
            pending: deque[tuple[Future[list[Any]], int]] = deque()
            submitted = done = 0
            while True:
                while len(pending) < 2 * workers:
                    chunk = list(islice(stream, chunk_size))
                    if not chunk:
                        break
                    future = pool.submit(_match_chunk, chunk, submitted, rows)
                    pending.append((future, len(chunk)))
                    submitted += len(chunk)
                if not pending:
                    break
                done_future, size = pending.popleft()
                yield from done_future.result()
                done += size
                if progress is not None:
                    progress(done)
