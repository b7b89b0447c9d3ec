"""Bad input: every lead in gets exactly one result out, or a clear error in strict mode."""

from __future__ import annotations

import math
from typing import Any

import pytest

from leadmatch import (
    AccountIndex,
    InvalidAccountError,
    InvalidLeadError,
    Lead,
    LeadmatchError,
    MatchConfig,
)

ACCOUNTS = [
    {"account_id": "A1", "name": "Acme Robotics Ltd", "domain": "acme-robotics.co.uk"},
    {"account_id": "A2", "name": "Nordic Timber AB", "domain": "nordictimber.se"},
]

HOSTILE: list[Any] = [
    {},
    {"lead_id": "none", "company": None, "email": None},
    {"lead_id": "nan", "company": math.nan, "email": float("nan")},
    {"lead_id": "empty", "company": "", "email": ""},
    {"lead_id": "spaces", "company": "   \t ", "email": "  "},
    {"lead_id": "numbers", "company": 12345, "email": 3.5, "country": 49},
    {"lead_id": "control", "company": "Acme\x00\x07 Robotics\u200b\u202e", "email": "a@\x00b"},
    {"lead_id": "mixed", "company": "Acme Ромашка 株式会社 شركة", "email": "ü@例え.jp"},
    {"lead_id": "bad-email", "company": "-", "email": "not-an-email"},
    {"lead_id": "bad-url", "company": "N/A", "website": "http://", "email": "@@@"},
    {"lead_id": "at-only", "email": "@acme-robotics.co.uk"},
    {"lead_id": "ip", "website": "http://192.168.0.1/x", "email": "root@[127.0.0.1]"},
    {"lead_id": "list", "company": ["Acme"]},
    {"lead_id": "huge", "company": "A" * 10_000_000},
    {"lead_id": "dup", "company": "Acme Robotics"},
    {"lead_id": "dup", "company": "Nordic Timber"},
    "not a mapping",
    None,
]


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


def test_every_hostile_lead_gets_one_result_in_order(index: AccountIndex) -> None:
    results = index.match_many(HOSTILE)
    assert len(results) == len(HOSTILE)
    by_id = {m.lead_id: m for m in results}
    assert results[0].lead_id == "0"  # no lead_id: its position
    assert by_id["list"].decision == "error" and "company" in (by_id["list"].error or "")
    assert by_id["huge"].decision == "error" and "10,000,000 characters" in by_id["huge"].error
    assert results[-2].decision == "error" and results[-1].decision == "error"
    assert [(m.lead_id, m.decision, m.account_id, m.candidate_id) for m in results] == [
        ("0", "unmatched", None, None),
        ("none", "unmatched", None, None),
        ("nan", "unmatched", None, None),
        ("empty", "unmatched", None, None),
        ("spaces", "unmatched", None, None),
        ("numbers", "unmatched", None, None),  # 12345 is read as the text "12345"
        ("control", "matched", "A1", "A1"),  # control and format characters dropped
        ("mixed", "unmatched", None, "A1"),
        ("bad-email", "unmatched", None, None),
        ("bad-url", "unmatched", None, None),
        ("at-only", "unmatched", None, None),  # "@domain" is no address: not guessed at
        ("ip", "unmatched", None, None),
        ("list", "error", None, None),
        ("huge", "error", None, None),
        ("dup", "matched", "A1", "A1"),
        ("dup", "matched", "A2", "A2"),
        ("16", "error", None, None),
        ("17", "error", None, None),
    ]
    for m in results:
        assert (m.decision == "error") == (m.error is not None)
        assert m.reasons()


def test_strict_mode_raises_a_leadmatch_error(index: AccountIndex) -> None:
    strict = index.with_config(MatchConfig(strict=True))
    with pytest.raises(InvalidLeadError, match="company") as caught:
        strict.match_many([{"lead_id": "ok", "company": "Acme"}, {"company": ["x"]}])
    assert isinstance(caught.value, LeadmatchError)


def test_a_single_lead_call_is_a_batch_of_one(index: AccountIndex) -> None:
    assert index.match({"company": "Acme Robotics"}).account_id == "A1"
    with pytest.raises(TypeError, match="match"):
        index.match_many(Lead(company="Acme"))


def test_bad_account_records_are_reported_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    rows: list[Any] = [
        *ACCOUNTS,
        {"account_id": "A1", "name": "Duplicate id"},
        {"name": "No id"},
        {"account_id": "A3", "name": None, "domain": "https://www.example.org/about"},
        {"account_id": "A4", "name": "Orphan", "parent_id": "NOPE"},
        {"account_id": "A5", "name": "Loop Co", "parent_id": "A5"},
    ]
    index = AccountIndex.build(rows)
    assert len(index) == 5
    assert "appears more than once" in caplog.text and "record 3" in caplog.text
    assert index.match({"email": "x@example.org"}).account_id == "A3"
    assert index.account("A5")["ultimate_parent_id"] == "A5"
    with pytest.raises(InvalidAccountError, match="more than once"):
        AccountIndex.build(rows, MatchConfig(strict=True))


def test_empty_index_and_empty_batch() -> None:
    empty = AccountIndex.build([])
    assert empty.match(Lead(company="Acme")).decision == "unmatched"
    assert AccountIndex.build(ACCOUNTS).match_many([]) == []


def test_parent_loops_are_cut_not_followed(caplog: pytest.LogCaptureFixture) -> None:
    index = AccountIndex.build(
        [
            {"account_id": "A", "name": "Alpha", "parent_id": "B"},
            {"account_id": "B", "name": "Beta", "parent_id": "A"},
            {"account_id": "C", "name": "Gamma", "parent_id": "A"},
        ]
    )
    assert "loops" in caplog.text
    for account_id in ("A", "B", "C"):
        assert index.account(account_id)["ultimate_parent_id"] == account_id


def test_a_row_that_fails_with_an_empty_id_is_named_by_its_position(index: AccountIndex) -> None:
    """Found by tests/property/test_hostile_records.py: such a row was named ''."""
    results = index.match_many([{"lead_id": "", "first_name": True}, {"lead_id": " ", "x": 1}])
    assert [(m.lead_id, m.decision) for m in results] == [("0", "error"), ("1", "unmatched")]
