"""Duplicate accounts: what joins two records, what never does, and who survives."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadmatch import AccountIndex, find_duplicate_accounts
from leadmatch.cli import main

CRM = [
    {"account_id": "N1", "name": "Nexora AB", "domain": "nexora.se", "country": "SE"},
    {"account_id": "N2", "name": "NEXORA A.B.", "country": "SE"},  # same name, same country
    {"account_id": "N0", "name": "Nexora Sverige", "domain": "www.nexora.se"},  # no country
    {"account_id": "P", "name": "Parentco Holdings", "domain": "parentco.com", "country": "US"},
    {"account_id": "S", "name": "Parentco Logistics", "domain": "parentco.com", "country": "US",
     "parent_id": "P"},  # shares its parent's domain: a hierarchy, not a duplicate
    {"account_id": "S2", "name": "Parentco Logistics LLC", "country": "US", "parent_id": "P"},
    {"account_id": "DE", "name": "Acme GmbH", "domain": "acme.com", "country": "DE"},
    {"account_id": "FR", "name": "Acme SAS", "domain": "acme.com", "country": "FR"},
    {"account_id": "M1", "name": "Müller & Söhne GmbH", "domain": "mueller-soehne.de",
     "country": "DE"},
    {"account_id": "M2", "name": "Mueller und Soehne", "domain": "muellersoehne.com",
     "alias_domains": "mueller-soehne.de", "country": "DE"},  # an alias domain of the other
    {"account_id": "X", "name": "Nexora AB", "country": "NO"},  # same name, another country
]  # fmt: skip


def test_duplicates_are_grouped_with_the_survivor_and_the_reason() -> None:
    groups = {g.survivor: g for g in find_duplicate_accounts(AccountIndex.build(CRM))}
    assert set(groups) == {"N0", "S", "M1"}
    assert groups["N0"].accounts == ("N0", "N1", "N2")
    assert "same domain nexora.se" in groups["N0"].reasons
    assert any(r.startswith("same name 'nexora'") for r in groups["N0"].reasons)
    assert groups["S"].accounts == ("S", "S2")  # two records of one subsidiary
    assert groups["M1"].accounts == ("M1", "M2")
    assert groups["M1"].reasons == ("same domain mueller-soehne.de",)


def test_a_parent_and_its_child_are_never_duplicates() -> None:
    groups = find_duplicate_accounts(
        AccountIndex.build(
            [
                {"account_id": "A", "name": "Acme", "domain": "acme.com", "country": "US"},
                {"account_id": "B", "name": "Acme", "domain": "acme.com", "country": "US",
                 "parent_id": "A"},
                {"account_id": "C", "name": "Acme", "domain": "acme.com", "country": "US",
                 "parent_id": "B"},
            ]
        )
    )  # fmt: skip
    assert groups == []


def test_the_survivor_is_the_highest_in_its_hierarchy_then_the_smallest_id() -> None:
    crm = [
        {"account_id": "P", "name": "Holding", "country": "US"},
        {"account_id": "A2", "name": "Widget Co", "country": "US", "parent_id": "P"},
        {"account_id": "A1", "name": "Widget Co", "country": "US", "parent_id": "A2"},
        {"account_id": "A3", "name": "Widget Co", "country": "US"},
    ]
    # A1 is A2's child: part of A2's hierarchy, not a duplicate of anyone, though it has
    # A3's name too. A2 and A3 are one company; A3, a root (depth 0), survives.
    (group,) = find_duplicate_accounts(AccountIndex.build(crm))
    assert group.survivor == "A3"
    assert group.accounts == ("A3", "A2")


names = st.sampled_from(["Acme", "Acme GmbH", "Globex", "Initech", "Umbrella"])
countries = st.sampled_from(["", "DE", "US"])
domains = st.sampled_from(["", "acme.com", "globex.com", "initech.io"])


@given(
    st.lists(st.tuples(names, countries, domains, st.integers(-1, 11)), max_size=12), st.randoms()
)
def test_groups_do_not_depend_on_account_order_and_never_hold_a_hierarchy(
    rows: list[tuple[str, str, str, int]], rng: object
) -> None:
    crm = [
        {"account_id": f"A{i:02}", "name": n, "country": c, "domain": d,
         "parent_id": f"A{p:02}" if 0 <= p < i else None}
        for i, (n, c, d, p) in enumerate(rows)
    ]  # fmt: skip
    shuffled = list(crm)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    index = AccountIndex.build(crm)
    groups = find_duplicate_accounts(index)
    assert groups == find_duplicate_accounts(AccountIndex.build(shuffled))
    seen: set[str] = set()
    for group in groups:
        assert len(group.accounts) >= 2 and group.survivor == group.accounts[0]
        assert not seen & set(group.accounts)  # an account is in one group at most
        seen |= set(group.accounts)
    if len(groups) == 0 or len(index) < 2:
        return
    parent = {a["account_id"]: a["parent_id"] for a in crm}
    for group in groups:  # never an account and its ancestor in one group
        for child in group.accounts:
            node = parent[child]
            while node is not None:
                assert node not in group.accounts
                node = parent[node]


def test_the_cli_writes_the_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = tmp_path / "accounts.csv"
    with accounts.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["account_id", "name", "domain", "country"])
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in writer.fieldnames} for r in CRM[:3])
    out = tmp_path / "duplicates.csv"
    assert main(["dedupe-accounts", "--accounts", str(accounts), "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["group"], r["account_id"], r["is_survivor"]) for r in rows] == [
        ("1", "N0", "True"), ("1", "N1", "False"), ("1", "N2", "False")
    ]  # fmt: skip
    assert rows[0]["survivor_id"] == "N0" and "same domain nexora.se" in rows[0]["reason"]
    assert "1 groups of duplicate accounts (3 accounts, 2 to merge)" in capsys.readouterr().err
