"""match_iter: any number of leads, a chunk at a time, the same answers as match_many."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadmatch import AccountIndex, InvalidLeadError, MatchConfig
from leadmatch._util import processes
from leadmatch.tables import Tables

ACCOUNTS = [
    {"account_id": "A1", "name": "Acme Robotics Ltd", "domain": "acme-robotics.co.uk"},
    {"account_id": "A2", "name": "Nordic Timber AB", "domain": "nordictimber.se"},
]


def _leads(n: int) -> Iterator[dict[str, object]]:
    companies = ["Acme Robotics", "Nordic Timber", "Unknown Widgets", "", None]
    for i in range(n):
        lead: dict[str, object] = {"company": companies[i % len(companies)]}
        if i % 3:
            lead["lead_id"] = f"L{i}"
        yield lead


@pytest.fixture(params=["fork", "spawn"])
def start(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Workers forked (with this process's index) or spawned (mapping its file)."""
    method: str = request.param
    monkeypatch.setattr(processes, "start_method", lambda: method)
    return method


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 1000])
def test_streaming_gives_what_one_batch_gives(chunk_size: int) -> None:
    index = AccountIndex.build(ACCOUNTS)
    done: list[int] = []
    streamed = list(index.match_iter(_leads(23), chunk_size=chunk_size, progress=done.append))
    assert streamed == index.match_many(list(_leads(23)))
    assert [m.lead_id for m in streamed][:4] == ["0", "L1", "L2", "3"]  # positions in the stream
    assert done[-1] == 23
    assert done == sorted(done)
    assert len(done) == -(-23 // chunk_size)


def test_a_generator_is_read_lazily() -> None:
    index = AccountIndex.build(ACCOUNTS)
    consumed = 0

    def endless() -> Iterator[dict[str, str]]:
        nonlocal consumed
        while True:
            consumed += 1
            yield {"company": "Acme Robotics"}

    stream = index.match_iter(endless(), chunk_size=5)
    first = [next(stream) for _ in range(3)]
    assert [m.account_id for m in first] == ["A1", "A1", "A1"]
    assert consumed == 5  # one chunk read, not the stream


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        list(AccountIndex.build(ACCOUNTS).match_iter([{"company": "x"}], chunk_size=0))


@pytest.mark.process
def test_worker_processes_give_the_same_results_in_order(tmp_path: Path, start: str) -> None:
    """Two processes, chunks of 7: one index built in memory (forked workers start with it,
    spawned ones map a temporary copy), one loaded from a file."""
    built = AccountIndex.build(ACCOUNTS)
    expected = built.match_many(list(_leads(60)))
    done: list[int] = []
    assert list(built.match_iter(_leads(60), chunk_size=7, workers=2, progress=done.append)) == (
        expected
    )
    assert done == [min(7 * k, 60) for k in range(1, 10)]
    assert built.path is None  # the temporary copy is the workers' business
    loaded = AccountIndex.load(built.save(tmp_path / "accounts.lmx"))
    assert list(loaded.match_iter(_leads(60), chunk_size=7, workers=2)) == expected


@pytest.mark.process
def test_a_worker_error_reaches_the_caller(start: str) -> None:
    index = AccountIndex.build(ACCOUNTS, MatchConfig(strict=True))
    leads = [{"company": "Acme"}] * 10 + [{"company": ["not", "text"]}]
    with pytest.raises(InvalidLeadError):
        list(index.match_iter(leads, chunk_size=2, workers=2))


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers"):
        list(AccountIndex.build(ACCOUNTS).match_iter([{"company": "x"}], workers=0))


@pytest.mark.process
def test_building_in_worker_processes_gives_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, start: str
) -> None:
    """Chunks of 7 records over two processes, with an unusable record and a repeated id:
    the same warnings, and a byte-identical index file."""
    monkeypatch.setattr("leadmatch.tables.build.CHUNK", 7)
    records: list[object] = [
        {"account_id": f"A{i}", "name": f"Company {i} GmbH", "domain": f"company{i}.de",
         "aliases": f"C{i}", "country": "DE", "parent_id": f"A{i // 5}" if i % 5 else None}
        for i in range(40)
    ]  # fmt: skip
    records[11] = {"name": "no id"}
    records[23] = {"account_id": "A3", "name": "Again"}
    serial = AccountIndex.build(records)
    serial_log = [r.getMessage() for r in caplog.records]
    caplog.clear()
    parallel = AccountIndex.build(records, workers=2)
    assert [r.getMessage() for r in caplog.records] == serial_log
    assert any("account record 11" in message for message in serial_log)
    a, b = serial.save(tmp_path / "a.lmx"), parallel.save(tmp_path / "b.lmx")
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(ValueError, match="workers"):
        AccountIndex.build(records, workers=0)


@pytest.mark.process
def test_workers_never_read_a_file_replaced_after_load(tmp_path: Path, start: str) -> None:
    """Saving another index over the loaded one's file (by rename) must not change what
    workers match against: they start with the loaded index (forked) or get a copy of it."""
    path = AccountIndex.build(ACCOUNTS).save(tmp_path / "accounts.lmx")
    loaded = AccountIndex.load(path)
    expected = loaded.match_many(list(_leads(30)))
    AccountIndex.build([{"account_id": "Z9", "name": "Acme Robotics"}]).save(path)
    assert not loaded.file_unchanged()
    assert list(loaded.match_iter(_leads(30), chunk_size=7, workers=2)) == expected


@pytest.mark.process
def test_forked_workers_match_an_index_built_here_without_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An index built in memory is not written out for forked workers (a million accounts'
    file takes seconds to write)."""
    monkeypatch.setattr(processes, "start_method", lambda: "fork")
    built = AccountIndex.build(ACCOUNTS)
    expected = built.match_many(list(_leads(30)))

    def refuse(*args: object) -> None:
        raise AssertionError("the index was written for the workers")

    monkeypatch.setattr(Tables, "write", refuse)
    assert list(built.match_iter(_leads(30), chunk_size=7, workers=2)) == expected
    monkeypatch.setattr(processes, "start_method", lambda: "spawn")
    with pytest.raises(AssertionError, match="written"):  # spawned workers need the file
        list(built.match_iter(_leads(30), chunk_size=7, workers=2))
