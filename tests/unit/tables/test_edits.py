"""Changes made in place (leadmatch.tables.edit_in_place): older versions stay as they were,
removed accounts leave nothing behind in a saved file, a failed change leaves the index usable,
and the code that reads every account sees only live ones."""

from __future__ import annotations

import dataclasses
import random
import zipfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadmatch import AccountIndex, Lead, find_duplicate_accounts, rollup
from leadmatch._util.buffers import Buffers
from leadmatch._util.keys import KeyTable
from leadmatch._util.strings import StringColumn
from leadmatch.tables import edit_in_place as edits
from leadmatch.tables import lookups
from leadmatch.tables import version as table_version
from leadmatch.tables.edit_in_place import Ids
from tests.canonical import canonical

ACCOUNTS = [
    {"account_id": "FR-1", "name": "Boulangerie Dupont SARL", "domain": "dupont.fr",
     "country": "FR"},
    {"account_id": "FR-2", "name": "Dupont Boulangerie", "domain": "dupont-patisserie.fr",
     "country": "FR", "parent_id": "FR-1"},
    {"account_id": "IN-1", "name": "Tata Steel Limited", "domain": "tatasteel.com",
     "country": "IN"},
    {"account_id": "KR-1", "name": "삼성전자 주식회사", "aliases": ["Samsung Electronics"],
     "domain": "samsung.com", "country": "KR"},
    {"account_id": "KR-2", "name": "Samsung Electronics", "domain": "samsung.com",
     "country": "KR"},
]  # fmt: skip
LEADS = [
    Lead(lead_id="1", company="Samsung Electronics", email="kim@samsung.com"),
    Lead(lead_id="2", company="Dupont", email="marie@dupont-patisserie.fr"),
    Lead(lead_id="3", company="Tata Steel", email="r@tatasteel.com"),
    Lead(lead_id="4", company="Vale S.A.", email="a@vale.com"),
]


def _edited() -> AccountIndex:
    index = AccountIndex.build(ACCOUNTS)
    vale = {"account_id": "BR-1", "name": "Vale S.A.", "domain": "vale.com", "country": "BR"}
    index.apply(add=[vale], remove=["KR-2"])
    return index


def test_a_small_change_is_made_in_place_and_keeps_removed_rows_unreachable() -> None:
    index = _edited()
    assert index._shared.state.editor is not None  # edited, not derived again
    assert len(index) == 5 and index.lookups.n_rows == 6
    assert "KR-2" not in index and "BR-1" in index
    vale = {"account_id": "BR-1", "name": "Vale S.A.", "domain": "vale.com", "country": "BR"}
    fresh = AccountIndex.build([*ACCOUNTS[:4], vale])
    assert index.match_many(LEADS) == fresh.match_many(LEADS)
    assert {m.account_id for m in index.match_many(LEADS)} >= {"KR-1", "BR-1"}


@mock.patch.object(lookups, "COMMON_TOKEN_MIN_DF", 3)  # words turn common as accounts come
def test_older_versions_read_what_they_read_before_the_change() -> None:
    index = AccountIndex.build(ACCOUNTS)
    index.add([{"account_id": "X-0", "name": "Warm Up Oy"}])  # the editor and its buffers
    old = index.snapshot()
    before, tables = old.match_many(LEADS), _copied(old)
    for k in range(5):
        index.add([{"account_id": f"N-{k}", "name": f"Samsung Electronics {k} Tata",
                    "domain": "samsung.com", "country": "KR", "parent_id": "KR-1"}])  # fmt: skip
    index.update([{**ACCOUNTS[1], "parent_id": None, "name": "Patisserie Dupont"}])
    index.remove(["KR-1", "FR-1"])
    assert old.match_many(LEADS) == before
    after = _copied(old)
    assert after.keys() == tables.keys()
    for name, values in tables.items():
        assert values == after[name], name
    assert "KR-1" in old and "KR-1" not in index


def _copied(index: AccountIndex) -> dict[str, object]:
    """Every column and table of an index, copied out as lists."""
    out: dict[str, object] = {}
    for part in (index.data, index.lookups):
        for field in dataclasses.fields(part):  # type: ignore[arg-type]
            value = getattr(part, field.name)
            if isinstance(value, KeyTable):
                out[field.name] = [value.keys.tolist(), value.ptr.tolist(), value.values.tolist()]
            else:
                out[field.name] = list(value) if isinstance(value, StringColumn) else value.tolist()
    return out


def test_a_snapshot_and_its_index_can_both_change_apart() -> None:
    index = _edited()
    copy = index.snapshot()
    index.add([{"account_id": "A", "name": "Alpha Robotics AB", "country": "SE"}])
    copy.add([{"account_id": "B", "name": "Beta Pharma Oy", "country": "FI"}])
    assert "A" in index and "B" not in index
    assert "B" in copy and "A" not in copy
    assert copy.match(Lead(company="Beta Pharma")).account_id == "B"
    assert index.match(Lead(company="Beta Pharma")).account_id is None


def test_a_saved_file_holds_nothing_of_a_removed_account(tmp_path: Path) -> None:
    index = _edited()
    index.remove(["IN-1"])
    path = index.save(tmp_path / "edited.lmx")
    with zipfile.ZipFile(path) as archive:
        content = b"".join(archive.read(name) for name in archive.namelist())
    # Not its id, name, words ("tata", "steel") or domain.
    assert b"IN-1" not in content and b"tata" not in content.lower() and b"steel" not in content
    loaded = AccountIndex.load(path)
    assert len(loaded) == len(index) == 4 == loaded.lookups.n_rows
    assert loaded.match_many(LEADS) == index.match_many(LEADS)
    vale = {"account_id": "BR-1", "name": "Vale S.A.", "domain": "vale.com", "country": "BR"}
    fresh = AccountIndex.build([*ACCOUNTS[:2], ACCOUNTS[3], vale])
    assert canonical(loaded) == canonical(fresh)
    # Compacted: no table holds more than the fresh build's (words, brands, domains, names).
    for part, fresh_part in [(loaded.data, fresh.data), (loaded.lookups, fresh.lookups)]:
        for field in dataclasses.fields(part):  # type: ignore[arg-type]
            assert len(getattr(part, field.name)) == len(getattr(fresh_part, field.name)), field
    index.add([{"account_id": "IN-1", "name": "Tata Steel Limited", "country": "IN"}])
    assert index.match(LEADS[2]).account_id == "IN-1"  # changes go on after the save


def test_a_change_that_fails_half_way_leaves_the_index_as_it_was() -> None:
    index = _edited()
    before = index.match_many(LEADS)
    with (
        mock.patch.object(edits, "company_groups", side_effect=MemoryError),
        pytest.raises(MemoryError),
    ):
        index.add([{"account_id": "Z", "name": "Zeta Oy", "domain": "zeta.fi"}])
    assert "Z" not in index and index.match_many(LEADS) == before
    index.add([{"account_id": "Z", "name": "Zeta Oy", "domain": "zeta.fi"}])  # a fresh editor
    assert index.match(Lead(email="a@zeta.fi")).account_id == "Z"
    assert index.match_many(LEADS) == before


def test_reading_every_account_sees_the_live_ones_only() -> None:
    index = _edited()
    index.add([{"account_id": "KR-3", "name": "Samsung Electronics", "domain": "samsung.com",
                "country": "KR"}])  # fmt: skip
    groups = find_duplicate_accounts(index)
    assert [sorted(g.accounts) for g in groups] == [["KR-1", "KR-3"]]
    results = index.match_many(LEADS)
    table = rollup(results, index)
    assert {row["account_id"] for row in table} == {m.account_id for m in results if m.account_id}


def test_a_large_change_derives_the_tables_again() -> None:
    index = _edited()
    with mock.patch.object(table_version, "incremental", return_value=False):
        index.add([{"account_id": "L-1", "name": "Lambda Logistics GmbH", "country": "DE"}])
    assert index._shared.state.editor is None and index.lookups.n_rows == len(index) == 6


# -- the growing columns ------------------------------------------------------------------


def test_a_buffer_grows_in_place_only_from_its_newest_version() -> None:
    buffers = Buffers()
    first = buffers.extend("x", np.arange(3), np.array([3]))
    second = buffers.extend("x", first, np.array([4, 5]))
    assert np.shares_memory(first, second) and first.tolist() == [0, 1, 2, 3]
    branch = buffers.extend("x", first, np.array([9]))  # not the newest: copied
    assert not np.shares_memory(branch, second)
    assert second.tolist() == [0, 1, 2, 3, 4, 5] and branch.tolist() == [0, 1, 2, 3, 9]


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)


@given(st.lists(TEXT, max_size=5), st.lists(st.lists(TEXT, max_size=4), max_size=4))
def test_an_extended_string_column_reads_as_the_joined_lists(
    start: list[str], parts: list[list[str]]
) -> None:
    buffers, column, expected = Buffers(), StringColumn.from_list(start), list(start)
    versions = [(column, list(expected))]
    for part in parts:
        column = column.extended(part, buffers, "c")
        expected += part
        versions.append((column, list(expected)))
    for version, values in versions:
        assert version.tolist() == values
        data, ptr, joined = version.buffers  # as saved and loaded: no decoded copy
        assert StringColumn(data, ptr, joined).tolist() == values
        assert StringColumn(data, ptr, joined).check() is None


def test_ids_fold_their_changes_and_forget_removed_ids() -> None:
    ids = Ids({"a": 0, "b": 1}, {}, 2)
    changed = ids.changed(["a"], {"c": 2})
    assert dict(changed) == {"b": 1, "c": 2} and len(changed) == 2
    assert "a" not in changed and changed.get("a") is None and ids["a"] == 0
    for k in range(5000):  # past the fold: one dictionary again
        changed = changed.changed([], {f"n{k}": 3 + k})
    assert changed["n4999"] == 5002 and "a" not in changed and len(changed) == 5002
    assert changed["b"] == 1 and "n4999" in changed
    with pytest.raises(KeyError, match="'a'"):
        changed["a"]
    with pytest.raises(KeyError, match="'a'"):  # removed and not folded yet
        ids.changed(["a"], {})["a"]
    # The account at row 0 is kept through a fold.
    first = Ids({"z": 0}, {}, 1)
    for k in range(5000):
        first = first.changed([], {f"n{k}": 1 + k})
    assert first["z"] == 0 and "z" in first and len(first) == 5001


@pytest.mark.process
def test_worker_processes_get_the_live_accounts_of_an_edited_index() -> None:
    index = _edited()
    index.remove(["IN-1"])
    expected = index.match_many(LEADS * 3)
    assert list(index.match_iter(iter(LEADS * 3), chunk_size=4, workers=2)) == expected
    assert expected[2].account_id is None  # Tata Steel was removed, in the workers too


def test_removed_rows_are_dropped_before_they_pass_a_quarter_of_the_index() -> None:
    index = _edited()
    for k in range(1100):  # a CRM sync that keeps renaming one account
        index.update([{"account_id": "IN-1", "name": f"Tata Steel {k}", "domain": "tatasteel.com"}])
    assert len(index) == 5 and index.lookups.n_rows <= 5 + 1025
    assert index.match(LEADS[2]).account_id == "IN-1"


@mock.patch.object(edits, "COMPACT_AT", 8)  # compaction after a few changes, not a thousand
def test_large_applies_snapshots_and_compaction_give_what_a_fresh_build_gives() -> None:
    """More than eight ids placed at once (the binary-search branch of the rank updates), an
    editor made on tables that already hold removed rows (a snapshot, edited on its own), and
    compaction between changes."""
    rnd = random.Random(3)
    words = ["Nordic", "Timber", "Acme", "Delta", "Sakura", "Denki", "Kraft"]

    def record(account_id: str) -> dict[str, object]:
        first, second = rnd.sample(words, 2)
        domain = f"{first.lower()}{rnd.randint(0, 5)}.com"
        return {"account_id": account_id, "name": f"{first} {second}" + rnd.choice(["", " AB"]),
                "domain": domain, "alias_domains": [domain.replace(".com", ".net")],
                "parent_id": rnd.choice([None, "A1", "A2"])}  # fmt: skip

    final = {f"A{k}": record(f"A{k}") for k in range(40)}
    index = AccountIndex.build(list(final.values()))
    forks = []
    for step in range(12):
        ids = sorted(final)
        gone = rnd.sample(ids, 10)
        updated = [record(i) for i in rnd.sample([i for i in ids if i not in gone], 10)]
        added = [record(f"B{step}-{k}") for k in range(10)]
        index.apply(add=added, update=updated, remove=gone)
        for i in gone:
            del final[i]
        final.update({str(r["account_id"]): r for r in added + updated})
        if step in (3, 7):
            forks.append((index.snapshot(), dict(final)))
    for snapshot, held in forks:
        gone, added = sorted(held)[:9], [record(f"C{k}") for k in range(9)]
        snapshot.apply(remove=gone, add=added)
        for i in gone:
            del held[i]
        held.update({str(r["account_id"]): r for r in added})
    assert index.lookups.n_rows < 40 + 12 * 20  # compacted on the way
    for edited, held in [(index, final), *forks]:
        records = list(held.values())
        leads = [Lead(lead_id=str(k), company=str(r["name"]), email=f"x@{r['domain']}")
                 for k, r in enumerate(records)]  # fmt: skip
        live = edited.lookups.family_rows
        assert sorted(edited.lookups.id_rank[live].tolist()) == list(range(len(live)))
        assert edited.match_many(leads) == AccountIndex.build(records).match_many(leads)


@pytest.mark.parametrize("length", [62, 63, 64, 65, 66, 70])
def test_a_parent_added_above_a_deep_chain_reaches_its_deepest_descendants(length: int) -> None:
    """Chains around the depth cap (64 links; past it a chain is a data error and its
    accounts roots). The top account names a parent that comes later: adding it relinks the
    top, whose descendants are all recomputed, as deep as a build reads."""
    chain = [{"account_id": f"C{k:02}", "name": f"Chain Link {k}", "parent_id": f"C{k - 1:02}"}
             for k in range(length)]  # fmt: skip
    chain[0] = {"account_id": "C00", "name": "Chain Link 0", "parent_id": "ROOT"}
    index = AccountIndex.build(chain)
    top = {"account_id": "ROOT", "name": "Root Holding"}
    index.add([top])
    assert index._shared.state.editor is not None  # edited in place
    assert canonical(index) == canonical(AccountIndex.build([*chain, top]))
    index.remove(["ROOT"])  # and back
    assert canonical(index) == canonical(AccountIndex.build(chain))


def test_when_a_change_is_edited_in_place_and_when_rows_are_compacted() -> None:
    # Edited in place: up to 64 changed accounts, or a 50th of the index's rows.
    assert edits.incremental(64, 0) and not edits.incremental(65, 0)
    assert edits.incremental(100, 5_000) and not edits.incremental(101, 5_000)
    assert edits.incremental(100, 5_049) and not edits.incremental(102, 5_099)
    # Compacted: more than 1,024 removed rows and more than a quarter of all rows.
    assert edits.COMPACT_AT == 1024
    assert not edits.worth_compacting(2_000, 976) and edits.worth_compacting(2_000, 975)
    assert not edits.worth_compacting(8_000, 6_000) and edits.worth_compacting(8_000, 5_999)
    assert not edits.worth_compacting(8_003, 6_003) and edits.worth_compacting(8_003, 6_002)


CHILD = {"account_id": "C", "name": "Child Oy", "parent_id": "P", "country": "FI"}
PARENT = {"account_id": "P", "name": "Parent Oyj", "country": "FI"}


def test_a_relink_does_not_reach_an_older_version() -> None:
    """Adding the parent an account named relinks it: in the newest version only."""
    index = AccountIndex.build([*ACCOUNTS, CHILD])
    index.add([{"account_id": "X-0", "name": "Warm Up Oy"}])  # the editor and its buffers
    old = index.snapshot()
    before = _copied(old)
    index.add([PARENT])
    assert _copied(old) == before
    child = index.match(Lead(company="Child Oy", country="FI"))
    assert child.account_id == "C" and child.ultimate_parent_id == "P"
    assert old.match(Lead(company="Child Oy", country="FI")).ultimate_parent_id == "C"


def test_an_account_without_a_name_is_added_last() -> None:
    """Its one name row has no words: the last row graded again has none to count."""
    index = AccountIndex.build(ACCOUNTS)
    nameless = {"account_id": "Z", "name": "", "domain": "zeta.fi", "country": "FI"}
    index.add([nameless])
    assert canonical(index) == canonical(AccountIndex.build([*ACCOUNTS, nameless]))
    assert index.match(Lead(email="a@zeta.fi")).account_id == "Z"


#: Both words of "Nordic Kraft" reach a third account with the third record: a name none of
#: whose words stays as it was.
NORDIC = [{"account_id": f"N{k}", "name": f"Nordic Kraft {w}".strip(), "country": "SE"}
          for k, w in enumerate(["", "Zyqron", "Vellamo"])]  # fmt: skip


@mock.patch.object(lookups, "PAIR_MIN_POSTINGS", 2)  # a word in 3+ names has word pairs
def test_a_word_that_becomes_frequent_or_stops_being_gets_its_word_pairs_right() -> None:
    # Both words turn frequent at once: a name none of whose words stayed as it was is paired
    # again too.
    index = AccountIndex.build([*ACCOUNTS, *NORDIC[:2]])
    index.add([NORDIC[2]])  # "nordic" is now in 3 names: frequent
    tables = canonical(index)
    assert tables == canonical(AccountIndex.build([*ACCOUNTS, *NORDIC]))
    assert any(k.startswith("pair ('nordic'") for k in tables["names"])
    index.remove(["N0"])  # in 2 again: no pairs
    assert canonical(index) == canonical(AccountIndex.build([*ACCOUNTS, *NORDIC[1:]]))


def test_an_account_added_before_its_parent_is_linked_when_the_parent_comes() -> None:
    index = AccountIndex.build(ACCOUNTS)
    index.add([CHILD])
    index.add([PARENT])
    child = index.match(Lead(company="Child Oy", country="FI"))
    assert child.account_id == "C" and child.ultimate_parent_id == "P"


@mock.patch.object(lookups, "COMMON_TOKEN_MIN_DF", 3)  # a word in 3+ accounts is common
def test_a_name_all_of_whose_words_turn_common_is_graded_generic() -> None:
    index = AccountIndex.build([*ACCOUNTS, *NORDIC[:2]])
    index.add([NORDIC[2]])  # "nordic" and "kraft" in 3 accounts: "Nordic Kraft" says little
    tables = canonical(index)
    assert tables == canonical(AccountIndex.build([*ACCOUNTS, *NORDIC]))
    generic = {n[0]: n[6] for account in tables["accounts"].values() for n in account["names"]}
    assert generic[("N0", "nordic kraft")] and not generic[("N1", "nordic kraft zyqron")]
