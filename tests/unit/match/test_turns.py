"""Threads of a process take turns through the matching stages, a chunk of leads at a time:
never two batches at once, and results the same as in one piece. Threads that ask while
another has the turn are matched together in one batch, each getting its own results."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from leadmatch import AccountIndex, MatchConfig
from leadmatch.errors import InvalidLeadError
from leadmatch.match import pipeline

ACCOUNTS = [
    {"account_id": "DE-1", "name": "Stadtwerke Köln GmbH", "domain": "stadtwerke-koeln.de"},
    {"account_id": "BR-1", "name": "Comércio Fonseca Ltda.", "domain": "fonseca.com.br"},
    {"account_id": "JP-1", "name": "株式会社田中精機", "domain": "tanaka-seiki.co.jp"},
]
LEADS = [
    {"email": "a.weber@stadtwerke-koeln.de", "company": "Stadtwerke Köln"},
    {"email": "paula@gmail.com", "company": "Fonseca Comercio"},
    {"email": "k.sato@tanaka-seiki.co.jp", "company": "Tanaka Seiki"},
    {"email": "x@unknown-gmbh.de", "company": "Unbekannt GmbH"},
    {"email": 42.5j},  # an error row keeps its place
] * 3


def test_threads_never_run_the_stages_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    index = AccountIndex.build(ACCOUNTS)
    inside, most = [0], [0]
    guard = threading.Lock()
    decided = pipeline._decided

    def counted(*args: Any) -> Any:
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # long enough for another thread to come in, were it let in
        try:
            return decided(*args)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(pipeline, "_decided", counted)
    serial = index.match_many(LEADS)
    found: list[Any] = []
    threads = [
        threading.Thread(target=lambda: found.append(index.match_many(LEADS))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert found == [serial] * 4


def test_a_batch_matched_in_turns_is_the_batch_matched_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = AccountIndex.build(ACCOUNTS)
    whole = index.match_many(LEADS)
    monkeypatch.setattr(pipeline, "TURN_LEADS", 4)
    chunked = index.match_many(LEADS)
    assert chunked == whole
    assert [m.lead_id for m in chunked] == [str(n) for n in range(len(LEADS))]
    assert [m.decision for m in chunked][4::5] == ["error"] * 3
    assert index.match_many(iter(LEADS)) == whole  # a generator: read once, in turns


def _slow_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make each batch take 20 ms (so that threads asking meanwhile queue up); the number of
    leads of each batch is recorded in the list returned."""
    sizes: list[int] = []
    decided = pipeline._decided

    def slow(*args: Any) -> Any:
        sizes.append(len(args[1]))
        time.sleep(0.02)
        return decided(*args)

    monkeypatch.setattr(pipeline, "_decided", slow)
    return sizes


def _at_once(*calls: Any) -> list[Any]:
    """Each call run in a thread of its own, all started together; what each returned or
    raised, in the order of the calls."""
    out: list[Any] = [None] * len(calls)

    def run(k: int) -> None:
        try:
            out[k] = calls[k]()
        except Exception as exc:
            out[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def test_threads_asking_at_once_share_a_batch_and_each_get_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = AccountIndex.build(ACCOUNTS)
    serial = index.match_many(LEADS[:5])  # no lead has an id: each is named by its position
    sizes = _slow_batches(monkeypatch)
    found = _at_once(*[lambda: [index.match_many(LEADS[:5]) for _ in range(3)]] * 4)
    assert found == [[serial] * 3] * 4  # positions in each thread's own list, not the batch's
    assert max(sizes) > 5  # some batch held more than one thread's leads
    assert sum(sizes) == 60  # every lead matched once


def test_one_threads_invalid_lead_fails_that_thread_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = AccountIndex.build(ACCOUNTS, MatchConfig(strict=True))
    good = LEADS[:4]
    expected = index.match_many(good)
    sizes = _slow_batches(monkeypatch)
    found = _at_once(
        lambda: index.match_many(good),
        lambda: index.match_many(LEADS[:5]),  # its last lead is no lead
        lambda: index.match_many(good),
    )
    assert found[0] == expected and found[2] == expected
    assert isinstance(found[1], InvalidLeadError)
    assert sum(sizes) == 8


def test_threads_under_other_configs_are_never_batched_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = AccountIndex.build(ACCOUNTS)
    strict = index.with_config(MatchConfig(match_threshold=0.999999, review_threshold=0.99999))
    expected = [index.match_many(LEADS), strict.match_many(LEADS)]
    assert expected[0] != expected[1]
    sizes = _slow_batches(monkeypatch)
    found = _at_once(lambda: index.match_many(LEADS), lambda: strict.match_many(LEADS))
    assert found == expected
    assert sizes == [len(LEADS), len(LEADS)]  # a batch per config, never the two mixed


def test_a_thread_alone_does_not_wait_for_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """With another thread alive, a thread lets the GIL go before it takes its turn, so that
    the other can queue and share its batch; alone in its process it has nobody to wait for
    (the sleep's system call cost a thirtieth of one lead's call)."""
    index = AccountIndex.build(ACCOUNTS)
    slept: list[float] = []
    monkeypatch.setattr(pipeline.time, "sleep", slept.append)
    monkeypatch.setattr(pipeline.threading, "active_count", lambda: 1)
    alone = index.match(LEADS[0])
    assert slept == []
    monkeypatch.setattr(pipeline.threading, "active_count", lambda: 2)
    assert index.match(LEADS[0]) == alone
    assert slept == [0]
