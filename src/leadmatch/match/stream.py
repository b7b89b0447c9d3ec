"""Streams of leads of any length, matched a chunk at a time, in this process or on several
cores: chunks go to worker processes that start with this process's index (forked) or map the
same saved index (spawned), and results come back in input order.

Python runs one thread of Python code at a time, and most of a lead's cost is Python
(normalizing its fields, writing its evidence), so threads would not help; processes do. A
worker shares the index's arrays with this process (forked) or maps its file (spawned) rather
than copying it, so N workers cost little more memory than one; at most ``2 * workers`` chunks
are in flight, so memory stays flat for any stream.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future
from itertools import chain, islice
from pathlib import Path
from typing import Any

from leadmatch._util.processes import forks, in_order, scratch_folder, tune_gc
from leadmatch.config import MatchConfig
from leadmatch.io import book_of_text
from leadmatch.match.pipeline import match_records
from leadmatch.match.view import IndexView
from leadmatch.models import Lead
from leadmatch.tables import Tables, stamp

_worker_view: IndexView | None = None


def match_stream(
    view: IndexView,
    leads: Iterable[Lead | Mapping[str, Any]],
    chunk_size: int,
    progress: Callable[[int], None] | None,
    workers: int = 1,
    rows: bool = False,
) -> Iterator[Any]:
    """Match leads of any number in chunks: memory holds a few chunks, not the stream. One
    :class:`Match` per lead, or with ``rows`` the row
    :func:`~leadmatch.match.results.result_row` makes of it."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    stream = iter(leads)
    first = list(islice(stream, chunk_size))
    if workers > 1 and len(first) == chunk_size:  # more than one chunk: worth the processes
        yield from _in_workers(view, chain(first, stream), chunk_size, progress, workers, rows)
        return
    done = 0
    chunk = first
    while chunk:
        yield from match_records(view, chunk, offset=done, rows=rows)
        done += len(chunk)
        if progress is not None:
            progress(done)
        chunk = list(islice(stream, chunk_size))


def _start_worker(
    path: str, checked_at: tuple[int, int, int] | None, config_json: str, labels: str
) -> None:
    global _worker_view
    tune_gc()
    config = MatchConfig.from_json(config_json)
    tables = Tables.load(path, checked_at=checked_at)  # the parent checked or wrote the file
    _worker_view = IndexView(tables, config, book_of_text(labels))


def _start_forked_worker(view: IndexView) -> None:
    global _worker_view
    tune_gc()
    _worker_view = view  # the parent's, come with the fork (see _in_workers)


def _match_chunk(chunk: list[Lead | Mapping[str, Any]], offset: int, rows: bool) -> list[Any]:
    if _worker_view is None:
        raise RuntimeError("a leadmatch worker was started without an index")
    # Rows are what a file needs, and cross back to this process far faster than records.
    return match_records(_worker_view, chunk, offset=offset, rows=rows)


def _chunks(
    leads: Iterable[Lead | Mapping[str, Any]], chunk_size: int, rows: bool
) -> Iterator[tuple[list[Lead | Mapping[str, Any]], int, bool]]:
    stream, offset = iter(leads), 0
    while chunk := list(islice(stream, chunk_size)):
        yield chunk, offset, rows
        offset += len(chunk)


def _in_workers(
    view: IndexView,
    leads: Iterable[Lead | Mapping[str, Any]],
    chunk_size: int,
    progress: Callable[[int], None] | None,
    workers: int,
    rows: bool,
) -> Iterator[Any]:
    """What :func:`match_stream` yields, computed by ``workers`` processes."""
    tasks = _chunks(leads, chunk_size, rows)
    if forks(workers):
        # Forked workers are handed this view as it is now (a fork passes it without pickling):
        # no file to write (an index built in memory) or to map again.
        run = in_order(_match_chunk, tasks, workers, _start_forked_worker, (view,), "fork")
        yield from _results(run, progress)
        return
    with scratch_folder(workers) as tmp:
        setup = _file_setup(view, Path(tmp))
        run = in_order(_match_chunk, tasks, workers, _start_worker, setup, "spawn")
        yield from _results(run, progress)


def _file_setup(view: IndexView, tmp: Path) -> tuple[str, tuple[int, int, int] | None, str, str]:
    """What a spawned worker needs to match as ``view`` does: the index's file (written to
    ``tmp`` if built in memory or replaced since), its stamp, the config and the labels."""
    tables = view.tables
    path = tables.path if tables.file_unchanged() else None
    checked_at = tables.stamp
    if path is None:  # built in memory, or its file replaced since: workers need this one
        path = tables.write(tmp / "index.lmx")
        checked_at = stamp(path)
    labels = view.labels.to_jsonl() if view.labels else ""
    return str(path), checked_at, view.config.to_json(), labels


def _results(
    run: Generator[tuple[tuple[Any, ...], Future[list[Any]]], None, None],
    progress: Callable[[int], None] | None,
) -> Iterator[Any]:
    """Each chunk's results in order, as they come; ``run`` is closed when the reader stops."""
    done = 0
    with contextlib.closing(run):
        for (chunk, _, _), future in run:
            yield from future.result()
            done += len(chunk)
            if progress is not None:
                progress(done)
