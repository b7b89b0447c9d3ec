"""The look-up tables of a large index are built on helper threads too: the same tables,
byte for byte, as in one thread, and a failure in a helper reaches the caller."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from leadmatch import AccountIndex
from leadmatch._util.resources import demo_text
from leadmatch.tables import lookups


def _saved(tmp_path: Path, name: str) -> bytes:
    accounts = list(csv.DictReader(io.StringIO(demo_text("accounts.csv"))))
    return AccountIndex.build(accounts).save(tmp_path / name).read_bytes()


def test_tables_built_on_helper_threads_are_those_of_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []

    class Counted(ThreadPoolExecutor):
        def __init__(self, workers: int, thread_name_prefix: str = "") -> None:
            started.append(workers)
            super().__init__(workers, thread_name_prefix)

    monkeypatch.setattr(lookups, "ThreadPoolExecutor", Counted)
    alone = _saved(tmp_path, "alone.lmx")
    assert started == []  # the demo's few accounts: no threads
    monkeypatch.setattr(lookups, "THREADS_FROM", 1)
    helped = _saved(tmp_path, "helped.lmx")
    assert started == [2, 2]  # the row keys' hashes, then the tables
    assert helped == alone


@pytest.mark.parametrize("threads_from", [1, 10**9])
def test_a_failure_in_a_helper_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch, threads_from: int
) -> None:
    monkeypatch.setattr(lookups, "THREADS_FROM", threads_from)

    def broken(*args: object) -> None:
        raise MemoryError("no room for the brand tables")

    monkeypatch.setattr(lookups, "_brand_tables", broken)
    with pytest.raises(MemoryError, match="brand tables"):
        AccountIndex.build([{"account_id": "A1", "name": "Acme", "domain": "acme.com"}])
