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

_FIRST = ["Nordic", "Alpine", "Pacific", "Delta", "Summit", "Harbor", "Vertex", "Orion"]
_SECOND = ["Freight", "Timber", "Robotics", "Dairy", "Textiles", "Mining", "Optics"]


def _accounts() -> list[dict[str, str]]:
    """The demo's accounts, and 224 more whose names share words often enough (in more than
    :data:`~leadmatch.tables.lookups.PAIR_MIN_POSTINGS` names) to have word pairs."""
    accounts = list(csv.DictReader(io.StringIO(demo_text("accounts.csv"))))
    for k, (a, b) in enumerate((a, b) for a in _FIRST for b in _SECOND for _ in range(4)):
        sector = ("Logistics", "Holdings")[k % 2]
        accounts.append({"account_id": f"X{k:03d}", "name": f"{a} {b} {sector} {k}",
                         "domain": f"{a}{b}{k}.com".lower(), "country": "SE"})  # fmt: skip
    return accounts


def _saved(tmp_path: Path, name: str) -> bytes:
    index = AccountIndex.build(_accounts())
    assert len(index._shared.state.lookups.pair_table.values) > 0  # word pairs to find
    return index.save(tmp_path / name).read_bytes()


def test_tables_built_on_helper_threads_are_those_of_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And what the helper threads freed goes back to the system once they are done (glibc
    would keep it in their own arenas)."""
    started: list[int] = []
    trimmed: list[int] = []

    class Counted(ThreadPoolExecutor):
        def __init__(self, workers: int, thread_name_prefix: str = "") -> None:
            started.append(workers)
            super().__init__(workers, thread_name_prefix)

        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            super().shutdown(wait, cancel_futures=cancel_futures)
            trimmed.append(0)  # after this, the memory is released

    monkeypatch.setattr(lookups, "ThreadPoolExecutor", Counted)
    release = lookups._release_freed_memory
    monkeypatch.setattr(lookups, "_release_freed_memory", lambda: trimmed.append(1) or release())
    alone = _saved(tmp_path, "alone.lmx")
    assert started == [] and trimmed == []  # a few hundred accounts: no threads
    monkeypatch.setattr(lookups, "THREADS_FROM", 1)
    helped = _saved(tmp_path, "helped.lmx")
    assert started == [2, 2]  # the row keys' hashes, then the tables
    assert trimmed == [0, 1, 0, 1]  # each time the threads are gone, not before
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


@pytest.mark.parametrize("block", [1, 7])
def test_word_pairs_found_a_block_of_names_at_a_time_are_those_found_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    at_once = _saved(tmp_path, "at_once.lmx")
    monkeypatch.setattr(lookups, "PAIR_BLOCK", block)
    assert _saved(tmp_path, "blocks.lmx") == at_once
