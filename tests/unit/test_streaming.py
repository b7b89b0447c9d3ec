"""match_iter: any number of leads, a chunk at a time, the same answers as match_many."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadmatch import AccountIndex

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
