"""Rollup per account and coverage of a target list, checked by hand on a small CRM."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadmatch import AccountIndex, InvalidInputError, Lead, MatchConfig, coverage, rollup
from leadmatch.cli import main
from tests.files import write_csv

ACCOUNTS = [
    {"account_id": "P", "name": "Parentco Holdings", "domain": "parentco.com", "owner": "ann"},
    {"account_id": "S", "name": "Parentco Logistics", "domain": "parentco-logistics.de",
     "parent_id": "P", "owner": "bob"},
    {"account_id": "G", "name": "Globex Corporation", "domain": "globex.com", "owner": "cy"},
    {"account_id": "I", "name": "Initech", "domain": "initech.io", "owner": "dee"},
]  # fmt: skip
LEADS = [
    {"lead_id": "1", "email": "a@parentco.com", "country": "US", "created": "2026-03-01"},
    {"lead_id": "2", "email": "A@Parentco.com", "country": "US", "created": "2026-01-15"},
    {"lead_id": "3", "email": "b@parentco.com", "country": "CA", "created": "2026-02-01"},
    {"lead_id": "4", "email": "c@parentco-logistics.de", "country": "DE"},
    {"lead_id": "5", "email": "d@globex.com", "first_name": "Dana", "created": "junk"},
    {"lead_id": "6", "email": "e@gmail.com", "company": "Unheard Of Ltd"},
]
INDEX = AccountIndex.build(ACCOUNTS, MatchConfig(account_fields=("owner",)))
RESULTS = INDEX.match_many([{k: v for k, v in lead.items() if k != "created"} for lead in LEADS])


def test_rollup_per_account_by_hand() -> None:
    rows = rollup(RESULTS, INDEX, leads=LEADS, date_field="created")
    assert [r["account_id"] for r in rows] == ["P", "G", "S"]  # most leads first, then id
    p = rows[0]
    assert (p["matched_leads"], p["review_leads"], p["contacts"]) == (3, 0, 2)  # a@ twice
    assert p["countries"] == "CA;US"
    assert (p["first_lead_date"], p["last_lead_date"]) == ("2026-01-15", "2026-03-01")
    assert p["owner"] == "ann" and p["name"] == "Parentco Holdings"
    assert rows[1]["first_lead_date"] == ""  # an unreadable date is no date


def test_rollup_per_ultimate_parent() -> None:
    rows = rollup(RESULTS, INDEX, leads=LEADS, level="parent")
    assert [(r["account_id"], r["matched_leads"]) for r in rows] == [("P", 4), ("G", 1)]
    assert rows[0]["countries"] == "CA;DE;US"


def test_rollup_of_result_rows_equals_that_of_records() -> None:
    from leadmatch.match import result_row

    assert rollup([result_row(m) for m in RESULTS], INDEX) == rollup(RESULTS, INDEX)


def test_coverage_of_a_tiered_target_list() -> None:
    targets = [{"account_id": "P", "tier": "1"}, {"account_id": "S", "tier": "1"},
               {"account_id": "I", "tier": "2"}]  # fmt: skip
    report = coverage(RESULTS, INDEX, targets, min_leads=2)
    assert (report.overall.targets, report.overall.engaged) == (3, 1)  # only P has 2+ leads
    assert [(t.tier, t.targets, t.engaged) for t in report.tiers] == [("1", 2, 1), ("2", 1, 0)]
    assert report.uncovered == (("S", "1"), ("I", "2"))
    assert report.engaged_non_targets == ()  # G has one lead: not engaged at min_leads 2
    at_parent = coverage(RESULTS, INDEX, targets, min_leads=2, level="parent")
    assert at_parent.uncovered == (("I", "2"),)  # S counts its parent's leads
    loose = coverage(RESULTS, INDEX, ["P"], min_leads=1)
    assert loose.engaged_non_targets == (("G", 1), ("S", 1))
    assert "1 of 1 target accounts engaged (100.0%)" in loose.summary()


def test_unknown_accounts_are_errors_not_silent_drops() -> None:
    with pytest.raises(InvalidInputError, match="not accounts of the index"):
        coverage(RESULTS, INDEX, ["P", "NOPE"])
    foreign = [{"lead_id": "9", "account_id": "ELSEWHERE", "decision": "matched"}]
    with pytest.raises(InvalidInputError, match="ELSEWHERE"):
        rollup(foreign, INDEX)


def test_the_cli_rolls_up_and_reports_coverage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = write_csv(tmp_path / "accounts.csv", ACCOUNTS)
    leads = write_csv(tmp_path / "leads.csv", LEADS)
    matches, out = tmp_path / "matches.csv", tmp_path / "rollup.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out",
                 str(matches), "--quiet"]) == 0  # fmt: skip
    assert main(["rollup", "--accounts", str(accounts), "--matches", str(matches), "--leads",
                 str(leads), "--date-column", "created", "--account-fields", "owner",
                 "--out", str(out)]) == 0  # fmt: skip
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert (rows[0]["account_id"], rows[0]["contacts"], rows[0]["owner"]) == ("P", "2", "ann")
    assert rows[0]["last_lead_date"] == "2026-03-01"
    targets = tmp_path / "targets.csv"
    targets.write_text("account_id,tier\nP,1\nI,2\n", "utf-8")
    details = tmp_path / "coverage.csv"
    assert main(["coverage", "--accounts", str(accounts), "--matches", str(matches),
                 "--targets", str(targets), "--out", str(details)]) == 0  # fmt: skip
    assert "1 of 2 target accounts engaged (50.0%)" in capsys.readouterr().out
    assert "uncovered target,I,2," in details.read_text("utf-8")


def test_match_results_name_the_right_accounts() -> None:
    # The fixture's premise: what rollup counts.
    by_lead = {m.lead_id: (m.account_id, m.decision) for m in RESULTS}
    assert by_lead["1"] == ("P", "matched") and by_lead["4"] == ("S", "matched")
    assert by_lead["6"][1] == "unmatched"
    assert INDEX.match(Lead(email="d@globex.com")).account_id == "G"
