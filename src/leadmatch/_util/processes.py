"""The processes leadmatch itself runs: the CLI's settings, and an ordered pool of workers."""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import warnings
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from itertools import chain, islice
from typing import Any, TypeVar

import numpy  # noqa: F401  (first: its BLAS threads are then among _THREADS_AT_IMPORT)

R = TypeVar("R")

log = logging.getLogger("leadmatch")

#: Most processes the CLI starts by itself (``--workers auto``); more are given by number.
AUTO_WORKERS_MAX = 8

#: Allocations between collections of the youngest generation (CPython's default is 700).
GC_THRESHOLD = (50_000, 20, 100)


def tune_gc() -> None:
    """Collect reference cycles less often, and not at all once the process is ending.

    A batch of leads makes hundreds of thousands of small objects that reference counting
    frees; at CPython's default thresholds the cycle collector walks them again and again, a
    tenth of the CLI's time. At exit, the interpreter's own collections walk every object
    left (a worker's caches and tables): a one-shot match at 100k accounts waited 0.6 s for
    its workers to end. Frozen objects are left to the operating system instead. Exit codes,
    exit handlers and output flushed or closed before the end are unchanged; an object still
    in a reference cycle at exit is not finalized (its ``__del__`` does not run, as Python
    does not promise at exit either), so the CLI and the workers close what they write
    themselves. A library must not change this for the program that imports it, so only the
    CLI and leadmatch's own workers call this.
    """
    gc.set_threshold(*GC_THRESHOLD)
    atexit.unregister(gc.freeze)  # once, however often a worker is set up
    atexit.register(gc.freeze)


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
    method: str | None = None,
) -> Generator[tuple[tuple[Any, ...], Future[R]], None, None]:
    """``fn(*task)`` for each task in ``workers`` processes, each task with its future in the
    order given: at most ``2 * workers`` in flight, so memory stays flat for any stream.

    Workers are started as ``method`` (else :func:`start_method`) says, when the caller first
    reads, each running ``initializer(*initargs)`` first. The pool lives while the caller
    reads; leaving early shuts it down. Inside :func:`shared_pool` of as many workers, the
    tasks go to that pool instead, and a worker runs the initializer before its first task of
    this kind.
    """
    shared = None if method == "fork" else _shared(workers)  # forked: a pool of its own
    if shared is None:
        with _pool(workers, initializer, initargs, method or start_method()) as pool:
            yield from _submitted(partial(pool.submit, fn), tasks, workers)
        return
    yield from _submitted(partial(shared.submit, _set_up_then, initializer, initargs, fn),
                          tasks, workers)  # fmt: skip


#: Set to ``spawn`` (or ``fork``) to choose how workers start instead of :func:`start_method`.
START_METHOD_VARIABLE = "LEADMATCH_START_METHOD"


def _os_threads() -> frozenset[str]:
    """The ids of this process's threads as the kernel lists them (native ones included);
    empty where it does not (not Linux)."""
    try:
        return frozenset(os.listdir("/proc/self/task"))
    except OSError:
        return frozenset()


#: Threads when leadmatch was imported, NumPy's BLAS pool among them (it resets itself at a
#: fork). A native pool a program started before importing leadmatch is among them too:
#: :data:`START_METHOD_VARIABLE` is for that case.
_THREADS_AT_IMPORT = _os_threads()


def start_method() -> str:
    """``fork`` on Linux while this is the process's only Python thread and no native thread
    was started since leadmatch was imported, else ``spawn``; :data:`START_METHOD_VARIABLE`
    overrides both.

    A spawned worker starts a new interpreter and imports leadmatch and its tables again:
    half a second of each core before its first record, a tenth of a one-shot match at 100k
    accounts. A forked one starts with them. Forking is safe only when no other thread can be
    holding a lock the child would inherit held (a logging handler's, an import's): so never
    beside other Python threads (a web server's, a notebook's), and never on macOS, whose
    system libraries do not survive a fork; nor before Python 3.10.5, whose pools forked
    workers late, beside their own threads. NumPy's OpenBLAS pool, started before leadmatch
    was imported, resets itself at a fork; a native pool started since (Polars', PyTorch's,
    gRPC's) might not.
    """
    chosen = os.environ.get(START_METHOD_VARIABLE, "")
    if chosen in ("fork", "spawn"):
        return chosen
    if (
        sys.platform.startswith("linux")
        and sys.version_info >= (3, 10, 5)
        and threading.active_count() == 1
        and _os_threads() <= _THREADS_AT_IMPORT  # no thread that was not there then
    ):
        return "fork"
    return "spawn"


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut down a pool whose workers were not all forked: those that were wait for a task,
    and only the pool's manager thread, never started, would tell them to stop."""
    # The pool's own list of them (Python 3.14's terminate_workers() does the same).
    forked = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in forked:
        process.terminate()
        process.join()


def forks(workers: int) -> bool:
    """Whether an :func:`in_order` run of ``workers`` processes begun now by this thread forks
    workers of its own (give it ``method="fork"``): they start with this process's state, an
    index built here included, as it is when the run begins."""
    return _shared(workers) is None and start_method() == "fork"


def _pool(
    workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...], method: str
) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=initializer,
        initargs=initargs,
    )
    if method == "fork":
        # Fork every worker now, while no other Python thread runs (the pool's own manager
        # thread starts with its first task). Python 3.12+ warns at any fork of a process with
        # a second thread, NumPy's native one included; that one is safe (see start_method).
        # Frozen, this process's objects are never walked by a worker's collector, which would
        # copy every page of them (an index built here is millions of objects). A program that
        # froze its own objects keeps them frozen.
        ours = gc.get_freeze_count() == 0
        if ours:
            gc.freeze()
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", r"This process .* is multi-threaded",
                                        DeprecationWarning)  # fmt: skip
                pool.submit(int)
        except BaseException:  # no memory or no process left for a fork: no pool left behind
            _stop(pool)
            raise
        finally:
            if ours:
                gc.unfreeze()
    return pool


def _submitted(
    submit: Callable[..., Future[R]], tasks: Iterable[tuple[Any, ...]], workers: int
) -> Generator[tuple[tuple[Any, ...], Future[R]], None, None]:
    """Each task with its future, at most ``2 * workers`` submitted ahead of the reader; those
    not yet started are cancelled if the reader stops early."""
    stream = iter(tasks)
    pending: deque[tuple[tuple[Any, ...], Future[R]]] = deque()
    try:
        while True:
            while len(pending) < 2 * workers:
                task = next(stream, None)
                if task is None:
                    break
                pending.append((task, _future_of(submit, task)))
            if not pending:
                return
            yield pending.popleft()
    finally:
        for _, future in pending:
            future.cancel()


class _Shared:
    """The pool of a :func:`shared_pool` block (started on first use) and the folders its
    workers may still read from when a run inside it ends."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.folders: list[tempfile.TemporaryDirectory[str]] = []

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """``fn(*args)`` in the pool; a pool broken by a worker that died (killed for its
        memory, say) is replaced, so that the runs after it still get workers."""
        if self.pool is not None:
            try:
                return self.pool.submit(fn, *args)
            except BrokenProcessPool:
                self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = _pool(self.workers, tune_gc, (), "spawn")
        return self.pool.submit(fn, *args)


#: Each thread's open :func:`shared_pool` blocks, innermost last.
_blocks = threading.local()


def _shared(workers: int) -> _Shared | None:
    """The innermost shared pool this thread opened, if it has ``workers`` processes."""
    stack: list[_Shared] = getattr(_blocks, "stack", [])
    return stack[-1] if stack and stack[-1].workers == workers else None


#: In a shared pool's worker: the initializer (and its arguments) it ran last.
_set_up: tuple[Callable[..., None], tuple[Any, ...]] | None = None


def _set_up_then(
    initializer: Callable[..., None], initargs: tuple[Any, ...], fn: Callable[..., R], *task: Any
) -> R:
    global _set_up
    if _set_up != (initializer, initargs):
        initializer(*initargs)
        _set_up = (initializer, initargs)
    return fn(*task)


@contextlib.contextmanager
def shared_pool(workers: int) -> Iterator[None]:
    """Inside the block, every :func:`in_order` run of ``workers`` processes uses one pool,
    started when first needed: a command that builds an index in workers and then matches in
    workers starts its processes (and imports leadmatch in them) once, not twice. Runs in
    other threads do not see it. Where workers are forked (:func:`start_method`), each run
    forks its own instead, in milliseconds, with the state of this process when it begins."""
    if start_method() == "fork":
        yield
        return
    shared = _Shared(workers)
    if not hasattr(_blocks, "stack"):
        _blocks.stack = []
    _blocks.stack.append(shared)
    try:
        yield
    finally:
        _blocks.stack.remove(shared)
        if shared.pool is not None:
            shared.pool.shutdown(cancel_futures=True)
        for folder in shared.folders:
            folder.cleanup()


@contextlib.contextmanager
def scratch_folder(workers: int) -> Iterator[str]:
    """A temporary folder for files workers read: removed at the end of the block, or, inside
    :func:`shared_pool` of as many workers, once that pool's workers are gone (they may still
    hold the files open, which Windows does not let go)."""
    folder = tempfile.TemporaryDirectory(prefix="leadmatch-")
    shared = _shared(workers)
    if shared is None:
        with folder as name:
            yield name
        return
    shared.folders.append(folder)
    yield folder.name


def _future_of(submit: Callable[..., Future[R]], task: tuple[Any, ...]) -> Future[R]:
    """``submit(*task)``, or a future failed with the reason a broken pool refused it: the
    reader meets the failure where it reads the result, as for the tasks the pool had taken
    (:func:`chunked` then does the chunk itself)."""
    try:
        return submit(*task)
    except BrokenProcessPool as exc:
        failed: Future[R] = Future()
        failed.set_exception(exc)
        return failed


def chunked(
    fn: Callable[..., R], items: Iterable[Any], workers: int, size: int, *args: Any
) -> Iterator[tuple[int, R]]:
    """``fn(chunk, *args)`` for each chunk of ``size`` items, in order, with the chunk's size.

    With ``workers > 1`` and more than one chunk, chunks go to worker processes (see
    :func:`in_order`); fewer items are not worth starting processes for. A chunk a worker
    could not take (an object that does not pickle, a pool broken by a worker killed for its
    memory) is done here instead.
    """
    rows = iter(items)
    first = list(islice(rows, size))
    chunks = chain([first], iter(lambda: list(islice(rows, size)), []))
    if workers <= 1 or len(first) < size:
        for chunk in chunks:
            yield len(chunk), fn(chunk, *args)
        return
    tasks = ((chunk, *args) for chunk in chunks)
    failed = False
    for (chunk, *_), future in in_order(fn, tasks, workers, tune_gc):
        try:
            result = future.result()
        except Exception as exc:
            if not failed:  # once: the same cause usually fails every chunk
                log.warning("a worker process could not take a chunk (%s: %s); such chunks "
                            "are done in this process", type(exc).__name__, exc)  # fmt: skip
                failed = True
            result = fn(chunk, *args)
        yield len(chunk), result
