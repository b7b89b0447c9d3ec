"""Accounts prepared a chunk per worker: the chunking, the order, the plain tuples that cross
between processes, and the fallback for a chunk a worker could not take. The pool itself is
replaced by an in-process stand-in (the real one has its own tests under the ``process``
marker): what is checked here is what ``prepare_all`` does around it."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future
from typing import Any

import pytest

from leadmatch._util.processes import tune_gc
from leadmatch.normalize import accounts
from leadmatch.normalize.accounts import PreparedAccount, prepare_account, prepare_all

RECORDS: list[Any] = [
    {"account_id": "1", "name": "Müller GmbH", "domain": "mueller.de", "country": "DE"},
    {"account_id": "2", "name": "Société Générale SA", "country": "FR"},
    {"account_id": "", "name": "no id"},  # unusable: its reason comes back in its place
    {"account_id": "4", "name": "株式会社トヨタ", "country": "JP", "aliases": ["Toyota"]},
    {"account_id": "5", "name": "Acme Inc", "domain": "acme.com"},
]


def _in_process(
    calls: list[tuple[int, int]], fail: Callable[[list[Any]], bool] = lambda chunk: False
) -> Callable[..., Generator[tuple[tuple[Any, ...], Future[Any]], None, None]]:
    """``in_order`` run here: each task's future holds fn(*task) (or its error)."""

    def run(
        fn: Callable[..., Any],
        tasks: Iterable[tuple[Any, ...]],
        workers: int,
        initializer: Callable[..., None],
    ) -> Generator[tuple[tuple[Any, ...], Future[Any]], None, None]:
        assert initializer is tune_gc  # the workers collect garbage as the CLI does
        for task in tasks:
            calls.append((len(task[0]), workers))
            future: Future[Any] = Future()
            if fail(task[0]):
                future.set_exception(TypeError("cannot pickle"))
            else:
                future.set_result(fn(*task))
            yield task, future

    return run


def _one_by_one() -> list[PreparedAccount | str]:
    return list(prepare_all(RECORDS, workers=1))


def test_chunks_come_back_in_order_as_one_record_at_a_time_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(accounts, "CHUNK", 2)
    monkeypatch.setattr(accounts, "in_order", _in_process(calls))
    got = list(prepare_all(RECORDS, workers=3))
    assert calls == [(2, 3), (2, 3), (1, 3)]  # chunks of 2, the last one short
    # Plain tuples from the workers read as the prepared accounts, field by field.
    assert [tuple(map(_plain, g)) if not isinstance(g, str) else g for g in got] == [
        tuple(map(_plain, w)) if not isinstance(w, str) else w for w in _one_by_one()
    ]
    assert isinstance(got[2], str) and "account_id" in got[2]
    assert got[0][0] == "1" and got[3][0] == "4" and got[4][0] == "5"


def _plain(value: Any) -> Any:
    """Named tuples as plain ones, all the way down."""
    return tuple(map(_plain, value)) if isinstance(value, tuple) else value


def test_a_chunk_a_worker_cannot_take_is_prepared_here(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(accounts, "CHUNK", 2)
    monkeypatch.setattr(
        accounts, "in_order", _in_process(calls, fail=lambda chunk: len(chunk) == 2)
    )
    got = list(prepare_all(RECORDS, workers=2))
    assert got == _one_by_one()
    # Prepared here, the records come back as named tuples again.
    assert isinstance(got[0], PreparedAccount) and got[0] == prepare_account(RECORDS[0])


def test_fewer_records_than_a_chunk_start_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(accounts, "CHUNK", 5)  # exactly as many as there are: still a pool
    monkeypatch.setattr(accounts, "in_order", _in_process(calls))
    assert [_plain(g) for g in prepare_all(RECORDS, workers=2)] == [
        _plain(w) for w in _one_by_one()
    ]
    assert calls == [(5, 2)]
    calls.clear()
    monkeypatch.setattr(accounts, "CHUNK", 6)  # one more than there are: prepared here
    assert list(prepare_all(RECORDS, workers=2)) == _one_by_one()
    assert calls == []


def test_the_plain_form_keeps_domains_and_names_as_tuples() -> None:
    (plain,) = accounts._prepare_chunk_plain([RECORDS[0]])
    prepared = prepare_account(RECORDS[0])
    assert type(plain) is tuple and type(plain[6][0]) is tuple and type(plain[7][0]) is tuple
    assert plain == _plain(prepared)
