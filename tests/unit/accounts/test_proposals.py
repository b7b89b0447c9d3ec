"""Net-new accounts proposed from unmatched leads: what groups leads, what never does."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadmatch import AccountIndex, propose_accounts
from leadmatch.cli import main
from tests.files import write_csv

ACCOUNTS = [{"account_id": "A1", "name": "Acme Robotics", "domain": "acme-robotics.com"}]
LEADS = [
    {"lead_id": "1", "email": "a@acme-robotics.com", "company": "Acme Robotics"},  # matched
    {"lead_id": "2", "email": "ann@brightwell-energy.de", "company": "Brightwell Energy GmbH",
     "country": "DE"},
    {"lead_id": "3", "email": "bo@brightwell-energy.de", "company": "Brightwell", "country": "DE"},
    {"lead_id": "4", "email": "cy@gmail.com", "company": "Brightwell Energy", "country": "DE"},
    {"lead_id": "5", "email": "dee@gmail.com", "company": "Tessaract Analytics"},
    {"lead_id": "6", "email": "eve@gmail.com", "company": "Quillon Bakery"},  # free-mail too
    {"lead_id": "7", "email": "fay@yahoo.com", "company": "Brightwell Energy Ltd",
     "country": "GB"},  # the same name in another country, with another legal form
    {"lead_id": "8", "email": "gus@gmail.com", "company": ""},  # nothing to propose
]  # fmt: skip


@pytest.fixture(scope="module")
def proposals() -> list:  # type: ignore[type-arg]
    index = AccountIndex.build(ACCOUNTS)
    return propose_accounts(LEADS, index.match_many(LEADS))


def test_leads_of_one_company_are_one_proposal(proposals: list) -> None:  # type: ignore[type-arg]
    groups = {p.lead_ids: p for p in proposals}
    brightwell = groups[("2", "3", "4")]  # a shared domain, and the name of a free-mail lead
    assert brightwell.account_id == "NEW-2"
    assert (brightwell.domain, brightwell.country) == ("brightwell-energy.de", "DE")
    assert brightwell.name in {"Brightwell Energy GmbH", "Brightwell", "Brightwell Energy"}
    assert 0.9 <= brightwell.confidence <= 1.0


def test_free_mail_alone_never_groups_and_conflicts_keep_apart(proposals: list) -> None:  # type: ignore[type-arg]
    groups = {p.lead_ids for p in proposals}
    assert ("5",) in groups and ("6",) in groups  # gmail.com is nobody's company domain
    assert ("7",) in groups  # other country, other legal form: not the German company
    assert all("1" not in g for g in groups)  # matched: not proposed
    assert all("8" not in g for g in groups)  # no company name, no company domain


def test_a_proposal_is_a_row_of_an_accounts_file(proposals: list) -> None:  # type: ignore[type-arg]
    row = proposals[0].row()
    # The account columns an accounts file takes, then what the proposal rests on.
    assert list(row) == [
        "account_id", "name", "domain", "alias_domains", "country", "city", "phone", "parent_id",
        "lead_ids", "leads", "confidence",
    ]  # fmt: skip
    rebuilt = AccountIndex.build([p.row() for p in proposals])
    assert "NEW-2" in rebuilt


def test_the_order_of_the_leads_does_not_change_the_proposals() -> None:
    index = AccountIndex.build(ACCOUNTS)
    forward = propose_accounts(LEADS, index.match_many(LEADS))
    reverse = list(reversed(LEADS))
    assert propose_accounts(reverse, index.match_many(reverse)) == forward


def test_the_cli_writes_proposals(tmp_path: Path) -> None:
    accounts = write_csv(tmp_path / "accounts.csv", ACCOUNTS)
    leads = write_csv(tmp_path / "leads.csv", LEADS)
    matches, out = tmp_path / "matches.csv", tmp_path / "new_accounts.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out",
                 str(matches), "--quiet"]) == 0  # fmt: skip
    assert main(["propose", "--leads", str(leads), "--matches", str(matches), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["account_id"] == "NEW-2" and rows[0]["lead_ids"] == "2;3;4"
    assert main(["index", "--accounts", str(out), "--out", str(tmp_path / "new.lmx"),
                 "--quiet"]) == 0  # fmt: skip
