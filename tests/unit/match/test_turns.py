"""Threads of a process take turns through the matching stages, a chunk of leads at a time:
never two batches at once, and results the same as in one piece."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from leadmatch import AccountIndex
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
    records = pipeline._records

    def counted(*args: Any) -> list[Any]:
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # long enough for another thread to come in, were it let in
        try:
            return records(*args)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(pipeline, "_records", counted)
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
