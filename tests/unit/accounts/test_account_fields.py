"""Account fields travel with the match: kept by the index, copied into each result."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadmatch import AccountIndex, ConfigError, Lead, MatchConfig
from leadmatch.cli import main
from leadmatch.match import result_row

ACCOUNTS = [
    {"account_id": "A1", "name": "Acme Robotics Ltd", "domain": "acme-robotics.co.uk",
     "owner_id": "u-17", "type": "Customer", "tier": "1"},
    {"account_id": "G1", "name": "Globex Corporation", "domain": "globex.com",
     "owner_id": "u-02", "type": "Prospect"},  # no tier
]  # fmt: skip
CONFIG = MatchConfig(account_fields=("owner_id", "type", "tier"))


def test_results_carry_the_fields_of_their_account() -> None:
    index = AccountIndex.build(ACCOUNTS, CONFIG)
    acme = index.match(Lead(email="j@acme-robotics.co.uk", company="Acme Robotics"))
    assert dict(acme.account_fields) == {"owner_id": "u-17", "type": "Customer", "tier": "1"}
    globex = index.match(Lead(email="k@globex.com"))
    assert dict(globex.account_fields) == {"owner_id": "u-02", "type": "Prospect", "tier": ""}
    stranger = index.match(Lead(company="Initech", email="x@initech.io"))
    assert stranger.decision == "unmatched" and stranger.account_fields == ()
    assert result_row(acme)["owner_id"] == "u-17"


def test_a_config_may_copy_fewer_fields_than_the_index_holds_never_more(tmp_path: Path) -> None:
    index = AccountIndex.build(ACCOUNTS, CONFIG)
    only_type = index.with_config(MatchConfig(account_fields=("type",)))
    assert only_type.match(Lead(email="k@globex.com")).account_fields == (("type", "Prospect"),)
    with pytest.raises(ConfigError, match="'industry'"):
        index.with_config(MatchConfig(account_fields=("industry",)))
    path = index.save(tmp_path / "accounts.lmx")
    loaded = AccountIndex.load(path, CONFIG)
    assert loaded.match(Lead(email="j@acme-robotics.co.uk")).account_fields == (
        ("owner_id", "u-17"), ("type", "Customer"), ("tier", "1")
    )  # fmt: skip
    with pytest.raises(ConfigError):
        AccountIndex.build(ACCOUNTS).with_config(CONFIG)  # built without them


def test_field_names_are_checked() -> None:
    for names in (("owner", "owner"), ("",)):
        with pytest.raises(ConfigError):
            MatchConfig(account_fields=names)


def test_a_dataframe_keeps_the_fields_it_is_asked_for() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(ACCOUNTS).rename(columns={"owner_id": "Owner ID"})
    index = AccountIndex.build(frame, MatchConfig(account_fields=("owner_id",)))
    results = index.match_many(pandas.DataFrame([{"lead_id": "L1", "email": "k@globex.com"}]))
    assert results.loc[0, "owner_id"] == "u-02"


def test_the_cli_keeps_and_writes_account_fields(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    with accounts.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["account_id", "name", "domain", "owner_id", "type"])
        writer.writeheader()
        writer.writerows({k: a.get(k, "") for k in writer.fieldnames} for a in ACCOUNTS)
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,email\nL1,j@acme-robotics.co.uk\nL2,x@initech.io\n", "utf-8")
    saved, out = tmp_path / "accounts.lmx", tmp_path / "matches.csv"
    fields = ["--account-fields", "owner_id,type"]
    assert (
        main(["index", "--accounts", str(accounts), "--out", str(saved), "--quiet", *fields]) == 0
    )
    argv = ["match", "--accounts", str(saved), "--leads", str(leads), "--out", str(out), "--quiet"]
    assert main([*argv, *fields]) == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert (rows[0]["owner_id"], rows[0]["type"]) == ("u-17", "Customer")
    assert (rows[1]["owner_id"], rows[1]["type"]) == ("", "")  # unmatched: no account
    # A saved index without the field, or a CSV without the column: a clear error.
    assert main([*argv, "--account-fields", "industry"]) == 2
    argv_csv = ["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out)]
    assert main([*argv_csv, "--account-fields", "industry"]) == 2


@pytest.mark.process
def test_worker_processes_give_the_same_fields() -> None:
    index = AccountIndex.build(ACCOUNTS * 1, CONFIG)
    leads = [{"lead_id": f"L{i}", "email": "j@acme-robotics.co.uk"} for i in range(9)]
    expected = index.match_many(leads)
    assert list(index.match_iter(leads, chunk_size=2, workers=2)) == expected
    assert dict(expected[0].account_fields)["owner_id"] == "u-17"


def test_field_values_read_as_a_csv_cell_would() -> None:
    import datetime

    import numpy as np

    from leadmatch.normalize.accounts import field_text

    cases = [(None, ""), (float("nan"), ""), (True, "True"), (np.int64(7), "7"), (101.0, "101"),
             (1.5, "1.5"), (datetime.date(2026, 1, 2), "2026-01-02"),
             (np.bool_(False), "False")]  # fmt: skip
    assert [field_text(value) for value, _ in cases] == [text for _, text in cases]


def test_a_kept_column_may_also_be_a_built_in_one() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame([{"account_id": "N1", "Account Name": "Nordic Timber AB"}])
    index = AccountIndex.build(frame, MatchConfig(account_fields=("Account Name",)))
    match = index.match(Lead(company="Nordic Timber"))
    assert match.account_id == "N1"
    assert dict(match.account_fields) == {"Account Name": "Nordic Timber AB"}


def test_field_names_that_are_result_columns_are_prefixed() -> None:
    config = MatchConfig(account_fields=("ultimate_parent_id", "confidence"))
    accounts = [{**ACCOUNTS[0], "ultimate_parent_id": "X", "confidence": "high"}]
    match = AccountIndex.build(accounts, config).match(Lead(email="j@acme-robotics.co.uk"))
    row = result_row(match)
    assert row["account_ultimate_parent_id"] == "X" and row["account_confidence"] == "high"
    assert row["confidence"] == match.confidence
