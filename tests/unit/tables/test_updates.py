"""Live updates of an index: what they refuse, what they keep, and matching from many threads
while one thread changes the index."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from leadmatch import AccountIndex, Lead, Match, MatchConfig
from leadmatch.errors import InvalidAccountError

ACCOUNTS = [
    {"account_id": "DE-1", "name": "Müller Maschinenbau GmbH", "domain": "mueller-mb.de",
     "country": "DE", "owner": "ana"},
    {"account_id": "JP-1", "name": "株式会社 桜電機", "aliases": ["Sakura Denki"],
     "domain": "sakura-denki.co.jp", "country": "JP", "owner": "bo"},
    {"account_id": "BR-1", "name": "Construtora Horizonte Ltda", "domain": "horizonte.com.br",
     "country": "BR", "parent_id": "BR-0", "owner": "ana"},
]  # fmt: skip
PARENT = {"account_id": "BR-0", "name": "Grupo Horizonte S.A.", "domain": "grupohorizonte.com.br",
          "country": "BR"}  # fmt: skip


def _index() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS, MatchConfig(account_fields=["owner"]))


def test_adding_an_id_the_index_holds_is_refused_and_changes_nothing() -> None:
    index = _index()
    before = index.data
    with pytest.raises(InvalidAccountError, match=r"update them instead.*DE-1"):
        index.add([PARENT, {**ACCOUNTS[0], "name": "Other GmbH"}])
    assert index.data is before and "BR-0" not in index


def test_updating_an_unknown_id_is_refused() -> None:
    index = _index()
    with pytest.raises(InvalidAccountError, match=r"add them instead.*'XX-9'"):
        index.update([{"account_id": "XX-9", "name": "Nowhere Ltd"}])


def test_removing_an_unknown_id_is_a_key_error_unless_missing_is_ok() -> None:
    index = _index()
    with pytest.raises(KeyError, match="XX-9"):
        index.remove(["DE-1", "XX-9"])
    assert "DE-1" in index
    assert index.remove(["DE-1", "XX-9"], missing_ok=True) == 1
    assert "DE-1" not in index and len(index) == 2
    assert index.remove("JP-1") == 1  # one id as a plain string
    assert index.view().whole().data.account_id.tolist() == ["BR-1"]


def test_a_parent_added_later_is_linked_and_a_removed_one_unlinked() -> None:
    index = _index()
    assert index.account("BR-1")["ultimate_parent_id"] == "BR-1"
    index.add([PARENT])
    assert index.account("BR-1")["ultimate_parent_id"] == "BR-0"
    lead = Lead(email="c@grupohorizonte.com.br", company="Construtora Horizonte")
    assert index.match(lead).account_id == "BR-1"  # the child, through its family
    index.remove(["BR-0"])
    assert index.account("BR-1")["parent_id"] is None


def test_an_update_replaces_the_whole_account() -> None:
    index = _index()
    index.update([{"account_id": "DE-1", "name": "Müller Antriebstechnik GmbH",
                   "domain": "mueller-antriebe.de", "country": "DE", "owner": "cy"}])  # fmt: skip
    assert index.match(Lead(email="x@mueller-mb.de")).decision == "unmatched"
    m = index.match(Lead(email="x@mueller-antriebe.de", company="Müller Antriebstechnik"))
    assert (m.account_id, dict(m.account_fields)) == ("DE-1", {"owner": "cy"})


def test_views_see_changes_and_snapshots_do_not() -> None:
    index = _index()
    view = index.with_config(MatchConfig(account_fields=["owner"], review_threshold=0.5))
    frozen = index.snapshot()
    index.add([PARENT])
    assert "BR-0" in view and "BR-0" not in frozen
    assert len(frozen) == 3 and len(index) == 4


@pytest.mark.process
def test_a_change_detaches_the_index_from_its_file(tmp_path: Path) -> None:
    index = _index()
    path = index.save(tmp_path / "crm.lmx")
    loaded = AccountIndex.load(path, MatchConfig(account_fields=["owner"]))
    assert loaded.path == path and loaded.file_unchanged()
    loaded.add([PARENT])
    assert loaded.path is None and not loaded.file_unchanged()
    # Worker processes map a file: after a change they must get the changed index, not `path`.
    leads = [Lead(lead_id=str(i), email="c@grupohorizonte.com.br") for i in range(6)]
    results = list(loaded.match_iter(leads, chunk_size=2, workers=2))
    assert [m.account_id for m in results] == ["BR-0"] * 6
    assert AccountIndex.load(path).match(leads[0]).decision == "unmatched"  # file unchanged
    loaded.save(path)
    assert AccountIndex.load(path).match(leads[0]).account_id == "BR-0"


def test_bad_records_in_an_add_follow_the_strict_setting() -> None:
    index = _index()
    assert index.add([{"name": "No Id GmbH"}, PARENT]) == 1
    strict = AccountIndex.build(ACCOUNTS, MatchConfig(strict=True))
    with pytest.raises(InvalidAccountError):
        strict.add([{"name": "No Id GmbH"}, PARENT])
    assert "BR-0" not in strict


def test_threads_match_while_one_thread_changes_the_index() -> None:
    """Each batch is matched against one version of the accounts, never a mix, and a thread
    never sees an older version after a newer one. A barrier makes the matches and the updates
    really interleave: after each barrier every thread starts a batch while the next account is
    added, so batch j sees version j - 1 or j, whatever the scheduler does."""
    people = [f"{w} {s}" for w in ("Nordic", "Sakura", "Apex", "Delta", "Kraft", "Pacific")
              for s in ("Timber", "Denki", "Logic", "Energy")]  # fmt: skip
    records = [
        {"account_id": f"A{i}", "name": f"{name} AB", "domain": f"{name.replace(' ', '')}.se"}
        for i, name in enumerate(people)
    ]
    leads = [Lead(lead_id=r["account_id"], email=f"x@{r['domain']}") for r in records] * 8
    versions = [records[:4]]
    for i in range(4, len(records)):
        versions.append(versions[-1] + [records[i]])
    expected = [_ids(AccountIndex.build(v).match_many(leads)) for v in versions]
    index = AccountIndex.build(versions[0])
    rounds = records[4:]
    seen: list[list[int]] = [[] for _ in range(4)]
    failures: list[BaseException] = []
    barrier = threading.Barrier(5, timeout=120)

    def matcher(k: int) -> None:
        try:
            for _ in rounds:
                seen[k].append(expected.index(_ids(index.match_many(leads))))
                barrier.wait()
            seen[k].append(expected.index(_ids(index.match_many(leads))))
        except BaseException as exc:  # ValueError: a batch that no version gives
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=matcher, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for record in rounds:
        barrier.wait()
        index.add([record])
    for t in threads:
        t.join()
    assert not failures
    for s in seen:
        assert s[0] == 0 and len(s) == len(rounds) + 1
        assert all(j - 1 <= v <= j for j, v in enumerate(s) if j) and s == sorted(s)
    assert _ids(index.match_many(leads)) == expected[-1]


def _ids(results: list[Match]) -> list[str | None]:
    return [m.account_id for m in results]


def test_one_record_is_added_as_one_account_and_frames_take_columns() -> None:
    index = _index()
    assert index.add(PARENT) == 1 and "BR-0" in index  # a dict is a record, not its keys
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"Kundennummer": ["AT-1"], "Firma": ["Alpenholz GmbH"], "owner": ["cy"]})
    assert index.add(frame, columns={"Kundennummer": "account_id", "Firma": "name"}) == 1
    assert index.match(Lead(company="Alpenholz")).account_id == "AT-1"


def test_one_apply_for_a_sync_and_its_checks_before_any_change() -> None:
    index = _index()
    before = index.data
    with pytest.raises(InvalidAccountError, match="both removed and added"):
        index.apply(update=[{**ACCOUNTS[0], "name": "Neu GmbH"}], remove=["DE-1"])
    with pytest.raises(KeyError, match="XX-1"):
        index.apply(add=[PARENT], remove=["XX-1"])
    assert index.data is before  # nothing changed
    counts = index.apply(
        add=[PARENT], update=[{**ACCOUNTS[0], "name": "Müller Antriebe GmbH"}], remove="JP-1"
    )
    assert counts == {"added": 1, "updated": 1, "removed": 1}
    assert sorted(index.view().tables.row_of_id) == ["BR-0", "BR-1", "DE-1"]
    assert index.account("BR-1")["ultimate_parent_id"] == "BR-0"
    assert index.apply() == {"added": 0, "updated": 0, "removed": 0}


def test_an_id_given_twice_in_one_change_is_refused() -> None:
    index = _index()
    for change in (
        {"add": [PARENT], "update": [{**PARENT, "name": "Other S.A."}]},
        {"update": [ACCOUNTS[0], {**ACCOUNTS[0], "name": "Other GmbH"}]},
    ):
        with pytest.raises(InvalidAccountError, match="more than once"):
            index.apply(**change)
    assert "BR-0" not in index and index.account("DE-1")["name"] == ACCOUNTS[0]["name"]
