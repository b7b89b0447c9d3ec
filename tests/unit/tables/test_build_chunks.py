"""Accounts are prepared a chunk at a time into columns of their own (in worker processes with
``workers > 1``), then appended in order: whatever the chunk size, the index's columns, its
warnings and what the caller is told must be those of one record after another. The pool
itself is replaced by an in-process stand-in here (the real one is tested under the
``process`` marker, in tests/unit/match/test_streaming.py)."""

from __future__ import annotations

import dataclasses
import logging
import pickle
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future
from typing import Any

import numpy as np
import pytest

from leadmatch._util import processes
from leadmatch._util.processes import chunked, tune_gc
from leadmatch._util.strings import StringColumn
from leadmatch.errors import InvalidAccountError
from leadmatch.tables import RowValues, build, build_data
from leadmatch.tables.data import IndexData
from leadmatch.tables.lookups import RowKeys

RECORDS: list[Any] = [
    {"account_id": "1", "name": "Müller GmbH", "domain": "mueller.de", "country": "DE",
     "owner": "ana"},
    {"account_id": "2", "name": "Société Générale SA", "domain": "societegenerale.fr",
     "alias_domains": "sg.com", "country": "FR", "parent_id": "9"},
    {"account_id": "", "name": "no id"},  # unusable: skipped, with its reason
    {"account_id": "4", "name": "株式会社トヨタ", "country": "JP", "aliases": ["Toyota"],
     "owner": "bo"},
    {"account_id": "2", "name": "Zyxwv Repeated Holdings", "domain": "zyxwv.io"},  # repeated id
    {"account_id": "5", "name": "Acme Inc", "domain": "acme.com", "aliases": "Müller Acme"},
    {"account_id": "6", "name": "Acme Robotics GmbH", "domain": "acme.com", "parent_id": "5"},
    "not a record",  # unusable
    {"account_id": "5", "name": "Qqqq Again", "domain": "qqqq.com"},  # repeated, a chunk later
    {"account_id": "9", "name": "Société Générale Group", "domain": "sg.com", "owner": "cy"},
    {"account_id": "10", "name": "Toyota Motor Corporation", "domain": "toyota.jp"},
]  # fmt: skip


def _columns(data: IndexData) -> dict[str, Any]:
    """Every column of ``data`` as plain lists."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        out[field.name] = _plain(value)
    return out


def _built(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, chunk: int
) -> tuple[dict[str, Any], list[str], list[int], list[str]]:
    monkeypatch.setattr(build, "CHUNK", chunk)
    caplog.clear()
    sources: list[int] = []
    repeated: list[str] = []
    rows: list[RowValues] = []
    with caplog.at_level(logging.WARNING, logger="leadmatch"):
        data = build_data(
            RECORDS, False, fields=("owner",), sources=sources, repeated=repeated, rows=rows
        )
    # The keys worked out a chunk at a time are those of the whole columns.
    whole = RowKeys.of(data).rows
    assert {k: _plain(v) for k, v in rows[0].items()} == {k: _plain(v) for k, v in whole.items()}
    return _columns(data), [r.getMessage() for r in caplog.records], sources, repeated


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, StringColumn | np.ndarray) else value


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5])
def test_any_chunk_size_gives_the_columns_of_one_chunk(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, chunk: int
) -> None:
    whole = _built(monkeypatch, caplog, len(RECORDS))
    assert _built(monkeypatch, caplog, chunk) == whole


def test_one_chunk_keeps_the_first_record_of_an_id_and_numbers_in_order(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    columns, messages, sources, repeated = _built(monkeypatch, caplog, 3)
    assert columns["account_id"] == ["1", "2", "4", "5", "6", "9", "10"]
    assert sources == [0, 1, 3, 5, 6, 9, 10]
    assert repeated == ["2", "5"]
    assert columns["field_values"] == ["ana", "", "bo", "", "", "cy", ""]
    # Domains and words in the order first seen; none from a repeated record.
    assert columns["domains"] == [
        "mueller.de", "societegenerale.fr", "sg.com", "acme.com", "toyota.jp"
    ]  # fmt: skip
    assert columns["brands"] == ["mueller", "societegenerale", "sg", "acme", "toyota"]
    assert "zyxwv" not in columns["tokens"] and "qqqq" not in columns["tokens"]
    assert columns["tokens"][:3] == ["muller", "society", "generale"]
    assert columns["parent_row"] == [-1, 5, -1, -1, 3, -1, -1]
    assert [m.split(";")[0] for m in messages[:4]] == [
        "account record 2 cannot be used: account_id: an account needs a non-empty account_id",
        "account_id '2' appears more than once",
        "account record 7 cannot be used: record: Input should be a valid dictionary or instance"
        " of Account",
        "account_id '5' appears more than once",
    ]


@pytest.mark.parametrize("chunk", [1, 5, 20])
def test_strict_refuses_the_first_problem_in_record_order(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(build, "CHUNK", chunk)
    with pytest.raises(InvalidAccountError, match="account record 2 cannot be used"):
        build_data(RECORDS, True)
    with pytest.raises(InvalidAccountError, match="'2' appears more than once"):
        build_data(RECORDS[:2] + RECORDS[3:], True)


def test_a_chunk_crosses_between_processes_whole() -> None:
    """What a worker sends back must pickle: a chunk that does not is prepared again in this
    process, silently and at twice the cost."""
    part = build.part_of(RECORDS, ("owner",))
    back = pickle.loads(pickle.dumps(part))
    assert back.ids == part.ids and back.token_vocab == part.token_vocab
    assert _plain(back.rows[0]["name_compact"]) == _plain(part.rows[0]["name_compact"])
    assert _plain(back.rows[0]["ascii_hash"]) == _plain(part.rows[0]["ascii_hash"])


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


def _sums(chunk: list[int], plus: int) -> int:
    return sum(chunk) + plus


def test_chunks_go_to_workers_in_order_and_back(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(processes, "in_order", _in_process(calls))
    assert list(chunked(_sums, range(5), 3, 2, 100)) == [(2, 101), (2, 105), (1, 104)]
    assert calls == [(2, 3), (2, 3), (1, 3)]  # chunks of 2, the last one short


def test_a_chunk_a_worker_cannot_take_is_done_here_and_said_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(processes, "in_order", _in_process(calls, fail=lambda c: c != [4]))
    with caplog.at_level(logging.WARNING, logger="leadmatch"):
        assert list(chunked(_sums, range(5), 2, 2, 0)) == [(2, 1), (2, 5), (1, 4)]
    assert len(calls) == 3
    assert [r.getMessage() for r in caplog.records] == [
        "a worker process could not take a chunk (TypeError: cannot pickle); such chunks are "
        "done in this process"
    ]


def test_one_chunk_or_one_worker_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(processes, "in_order", _in_process(calls))
    assert list(chunked(_sums, range(5), 2, 5, 0)) == [(5, 10)]  # exactly one full chunk
    assert calls == [(5, 2)]  # a full first chunk may have more behind it: a pool
    calls.clear()
    assert list(chunked(_sums, range(5), 2, 6, 0)) == [(5, 10)]  # fewer than a chunk
    assert list(chunked(_sums, range(5), 1, 2, 0)) == [(2, 1), (2, 5), (1, 4)]
    assert list(chunked(_sums, [], 1, 2, 0)) == [(0, 0)]
    assert calls == []
