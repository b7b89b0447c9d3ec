"""Worker pools: a command that builds and then matches in workers shares one pool
(:func:`shared_pool`), each run's workers set up for that run; files the workers read outlive
the run until the pool is gone; a reader that stops early leaves no task queued."""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
import threading
import warnings
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from leadmatch._util import processes
from leadmatch._util.processes import in_order, scratch_folder, shared_pool

_state = "none"


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers spawned, as beside other threads and on macOS and Windows: the only case where
    a :func:`shared_pool` block shares a pool."""
    monkeypatch.setattr(processes, "start_method", lambda: "spawn")


def _remember(value: str) -> None:
    global _state
    _state = value


def _where(task: int) -> tuple[int, int, str]:
    return task, os.getpid(), _state


def _run(kind: str) -> list[tuple[int, int, str]]:
    run = in_order(_where, [(k,) for k in range(6)], 2, _remember, (kind,))
    return [future.result() for _, future in run]


@pytest.mark.process
def test_runs_in_a_shared_pool_use_the_same_workers_each_set_up_for_its_run(spawned: None) -> None:
    a, b = {pid for _, pid, _ in _run("a")}, {pid for _, pid, _ in _run("b")}
    assert a.isdisjoint(b)  # a pool per run
    with shared_pool(2):
        first, second = _run("build"), _run("match")
    assert [t for t, _, _ in first] == [t for t, _, _ in second] == list(range(6))  # in order
    assert {state for *_, state in first} == {"build"}
    assert {state for *_, state in second} == {"match"}  # set up again for the second run
    assert len({pid for _, pid, _ in first + second}) <= 2  # the same two processes at most
    with shared_pool(3):  # a pool of another size is not shared
        assert {pid for _, pid, _ in _run("c")}.isdisjoint(a | b)


def _die_on_zero(task: int) -> int:
    if task == 0:
        os._exit(1)  # a worker killed mid-run (for its memory, say)
    return task


@pytest.mark.process
def test_a_run_after_a_worker_died_gets_fresh_workers(spawned: None) -> None:
    with shared_pool(2):
        run = in_order(_die_on_zero, [(k,) for k in range(2)], 2, processes.tune_gc)
        with pytest.raises(BrokenProcessPool):
            [future.result() for _, future in run]
        assert {state for *_, state in _run("match")} == {"match"}  # not a broken pool


def test_a_shared_pool_is_its_own_threads(spawned: None) -> None:
    seen: list[object] = []
    with shared_pool(2):
        assert processes._shared(2) is not None and processes._shared(3) is None
        other = threading.Thread(target=lambda: seen.append(processes._shared(2)))
        other.start()
        other.join()
    assert seen == [None]
    assert processes._shared(2) is None


def test_a_scratch_folder_outlives_its_block_inside_a_shared_pool(spawned: None) -> None:
    with scratch_folder(2) as name:
        Path(name, "index.lmx").write_text("x")
    assert not Path(name).exists()
    with shared_pool(2):
        with scratch_folder(2) as name:
            Path(name, "index.lmx").write_text("x")
        assert Path(name, "index.lmx").exists()  # a worker may still hold it
        with scratch_folder(3) as other:  # not for this pool's workers
            pass
        assert not Path(other).exists()
    assert not Path(name).exists()


def test_a_reader_that_stops_early_leaves_no_task_queued() -> None:
    futures: list[Future[Any]] = []

    def submit(*task: Any) -> Future[Any]:
        futures.append(Future())
        return futures[-1]

    run = processes._submitted(submit, [(k,) for k in range(10)], 2)
    next(run)
    assert len(futures) == 4  # 2 * workers ahead of the reader
    run.close()
    assert [f.cancelled() for f in futures] == [False, True, True, True]


_AT_EXIT = """
import atexit, gc, sys
atexit.register(lambda: print("frozen" if gc.get_freeze_count() else "walked", flush=True))
from leadmatch._util.processes import tune_gc
tune_gc()
tune_gc()  # a shared pool's worker is set up once for each run
print(gc.get_threshold()[0], flush=True)
sys.exit(3)
"""


@pytest.mark.process
def test_a_tuned_process_leaves_its_objects_unwalked_at_exit_with_its_exit_code() -> None:
    """The CLI and leadmatch's workers skip the collector's walk over everything they hold
    when they end (handlers run last-registered first: the freeze comes before the check)."""
    done = subprocess.run([sys.executable, "-c", _AT_EXIT], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert done.stdout.split() == [str(processes.GC_THRESHOLD[0]), "frozen"]


def _sum_or_die(chunk: list[int], parent: int) -> int:
    if os.getpid() != parent and chunk[0] == 0:
        os._exit(1)  # the worker that takes the first chunk is killed (for its memory, say)
    return sum(chunk)


@pytest.mark.process
def test_chunks_go_on_in_this_process_when_a_private_pool_breaks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Outside a shared pool (``AccountIndex.build(..., workers=2)`` from Python), a worker
    that dies breaks the pool: the chunks not yet done, and those not yet sent, are done
    here, in order, with one warning."""
    out = list(processes.chunked(_sum_or_die, range(40), 2, 4, os.getpid()))
    assert out == [(4, sum(range(k, k + 4))) for k in range(0, 40, 4)]
    said = [r.getMessage() for r in caplog.records if "could not take" in r.getMessage()]
    assert len(said) == 1 and "BrokenProcessPool" in said[0]


def test_workers_are_forked_only_where_no_other_thread_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fork beside another thread may copy a lock that thread holds, held forever: a Python
    thread, or a native one started since leadmatch was imported. macOS's system libraries do
    not survive a fork at all, and pools of Python before 3.10.5 forked late, beside their own
    threads. Anywhere else, forked workers skip starting Python and importing leadmatch."""
    monkeypatch.delenv(processes.START_METHOD_VARIABLE, raising=False)
    monkeypatch.setattr(processes.sys, "platform", "linux")
    monkeypatch.setattr(processes.sys, "version_info", (3, 11, 7, "final", 0))
    monkeypatch.setattr(processes.threading, "active_count", lambda: 1)
    then = frozenset({"100", "101"})  # the main thread and NumPy's BLAS pool, say
    monkeypatch.setattr(processes, "_THREADS_AT_IMPORT", then)
    monkeypatch.setattr(processes, "_os_threads", lambda: then)
    assert processes.start_method() == "fork"
    monkeypatch.setattr(processes.threading, "active_count", lambda: 2)
    assert processes.start_method() == "spawn"
    monkeypatch.setattr(processes.threading, "active_count", lambda: 1)
    monkeypatch.setattr(processes, "_os_threads", lambda: then | {"107"})
    assert processes.start_method() == "spawn"  # a native pool started since the import
    monkeypatch.setattr(processes, "_os_threads", lambda: frozenset({"100", "107"}))
    assert processes.start_method() == "spawn"  # one ended, another began: as many, not the same
    monkeypatch.setattr(processes, "_os_threads", lambda: frozenset({"100"}))
    assert processes.start_method() == "fork"  # one that ended is no danger
    monkeypatch.setattr(processes.sys, "version_info", (3, 10, 4, "final", 0))
    assert processes.start_method() == "spawn"
    monkeypatch.setattr(processes.sys, "version_info", (3, 10, 5, "final", 0))
    assert processes.start_method() == "fork"
    for platform in ("darwin", "win32"):
        monkeypatch.setattr(processes.sys, "platform", platform)
        assert processes.start_method() == "spawn"


def test_the_environment_chooses_how_workers_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator who knows of a thread leadmatch cannot see turns forking off (or on)."""
    monkeypatch.setattr(processes.threading, "active_count", lambda: 1)
    monkeypatch.setenv(processes.START_METHOD_VARIABLE, "spawn")
    assert processes.start_method() == "spawn"
    monkeypatch.setattr(processes.threading, "active_count", lambda: 3)
    monkeypatch.setenv(processes.START_METHOD_VARIABLE, "fork")
    assert processes.start_method() == "fork"


@pytest.mark.process
def test_a_fork_that_fails_leaves_no_worker_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """No memory or no process left for the third fork: the error reaches the caller, and
    the two workers forked already are stopped, not left waiting for a task (the program
    would wait for them at its exit, forever)."""

    class NoRoom(processes.ProcessPoolExecutor):
        forked = 0

        def _spawn_process(self) -> None:
            NoRoom.forked += 1
            if NoRoom.forked == 3:
                raise OSError(12, "Cannot allocate memory")
            super()._spawn_process()  # type: ignore[misc]

    before = set(multiprocessing.active_children())
    monkeypatch.setattr(processes, "ProcessPoolExecutor", NoRoom)
    with pytest.raises(OSError, match="allocate"):
        processes._pool(4, processes.tune_gc, (), "fork")
    assert NoRoom.forked == 3
    assert set(multiprocessing.active_children()) == before
    assert gc.get_freeze_count() == 0  # this process's objects unfrozen again


_seen_in_parent = "as imported"


def _what_the_worker_sees(chunk: list[int]) -> tuple[int, str, int]:
    return sum(chunk), _seen_in_parent, os.getpid()


def _in_workers(out: list[tuple[int, tuple[int, str, int]]]) -> list[tuple[int, str]]:
    """Each chunk's sum and what its worker saw, checked to come from another process."""
    assert all(pid != os.getpid() for _, (_, _, pid) in out)  # not done here after a failure
    return [(total, seen) for _, (total, seen, _) in out]


def _frozen(chunk: list[int]) -> tuple[int, int]:
    return gc.get_freeze_count(), os.getpid()


@pytest.mark.process
def test_forked_workers_leave_this_process_objects_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked worker's collector never walks the objects it started with (walking them
    copies their pages: an index built here is millions of objects); this process's own
    collector does, as before, and objects a program froze itself stay frozen."""
    monkeypatch.setattr(processes, "start_method", lambda: "fork")
    counts = [n for _, (n, pid) in processes.chunked(_frozen, range(8), 2, 4) if pid != os.getpid()]
    assert len(counts) == 2 and min(counts) > 0 and gc.get_freeze_count() == 0
    gc.freeze()
    try:
        list(processes.chunked(_frozen, range(8), 2, 4))
        assert gc.get_freeze_count() > 0  # (frozen objects freed meanwhile leave the count)
    finally:
        gc.unfreeze()


@pytest.mark.process
@pytest.mark.parametrize(("method", "seen"), [("fork", "set here"), ("spawn", "as imported")])
def test_forked_and_spawned_workers_give_the_same_results(
    monkeypatch: pytest.MonkeyPatch, method: str, seen: str
) -> None:
    """A forked worker starts from this process's state (the variable set here), a spawned one
    from a fresh import; both give each chunk's result, in order. Python 3.12+ warns about a
    fork beside NumPy's native thread: the pool starts without it, even where warnings are
    errors."""
    monkeypatch.setattr(processes, "start_method", lambda: method)
    monkeypatch.setattr(sys.modules[__name__], "_seen_in_parent", "set here")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = _in_workers(list(processes.chunked(_what_the_worker_sees, range(40), 2, 4)))
    assert out == [(sum(range(k, k + 4)), seen) for k in range(0, 40, 4)]


@pytest.mark.process
def test_where_workers_fork_each_run_forks_its_own_with_this_process_as_it_is_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Inside a shared pool's block too: a run that matches after one that built forks
    workers that hold what the build made (here, the variable set between the runs)."""
    monkeypatch.setattr(processes, "start_method", lambda: "fork")
    this = sys.modules[__name__]
    with shared_pool(2):
        assert processes._shared(2) is None and processes.forks(2)
        monkeypatch.setattr(this, "_seen_in_parent", "built")
        first = _in_workers(list(processes.chunked(_what_the_worker_sees, range(8), 2, 4)))
        monkeypatch.setattr(this, "_seen_in_parent", "matched")
        second = _in_workers(list(processes.chunked(_what_the_worker_sees, range(8), 2, 4)))
    assert {seen for _, seen in first} == {"built"}
    assert {seen for _, seen in second} == {"matched"}
    monkeypatch.setattr(processes, "start_method", lambda: "spawn")
    assert not processes.forks(2)
    with shared_pool(2):
        assert processes._shared(2) is not None and not processes.forks(2)
