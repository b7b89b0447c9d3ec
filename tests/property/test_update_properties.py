"""Live updates: after any sequence of add / update / remove, an index matches every lead as an
index built fresh from the final accounts does, its tables say what that index's say
(``tests/canonical.py``), and it saves and loads as one."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.budget import examples
from tests.canonical import canonical

from leadmatch import Account, AccountIndex, Lead, MatchConfig
from leadmatch.match import blocking
from leadmatch.tables import lookups
from leadmatch.tables import version as table_version

WORDS = ["acme", "nordic", "timber", "delta", "air", "global", "energy", "robotics",
         "müller", "sakura", "denki", "apex", "logistics", "nexora", "ромашка", "東京", "kraft",
         "ab"]  # fmt: skip
FORMS = ["", " Ltd", " GmbH", " Inc.", " AB", " S.A."]
IDS = [f"A{i}" for i in range(10)]
CONFIG = MatchConfig(account_fields=["owner", "region"])  # two: fields are kept row by row


@st.composite
def account(draw: st.DrawFn, account_id: str) -> dict[str, object]:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
    brand = "".join(words)[:12]
    suffix = draw(st.sampled_from(["com", "de", "co.uk", "se"]))
    return {
        "account_id": account_id,
        "name": " ".join(w.title() for w in words) + draw(st.sampled_from(FORMS)),
        "domain": draw(st.sampled_from([None, f"{brand}.{suffix}", "shared-host.com"])),
        # Several domains of one brand: one account is then twice under that brand.
        "alias_domains": draw(st.sampled_from([[], [f"{brand}.net"], [f"{brand}.io", "x.se"]])),
        "aliases": draw(st.lists(st.sampled_from(WORDS), max_size=2)),
        "country": draw(st.sampled_from([None, "DE", "GB", "SE", "JP"])),
        "parent_id": draw(st.sampled_from([None, None, *IDS])),
        "owner": draw(st.sampled_from(["", "ana", "bo"])),
        "region": draw(st.sampled_from(["", "EMEA", "APAC"])),
    }


@st.composite
def history(draw: st.DrawFn) -> tuple[dict[str, dict[str, object]], list[tuple[str, object]]]:
    """Starting accounts, then changes that are valid where they are applied."""
    start = {i: draw(account(i)) for i in draw(st.lists(st.sampled_from(IDS), unique=True))}
    held = set(start)
    changes: list[tuple[str, object]] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["add", "update", "remove", "apply", "save"]))
        if kind == "save":  # saved (compacted) and changed on, or loaded back first
            changes.append((kind, draw(st.booleans())))
            continue
        if kind == "apply":  # all three at once, on distinct ids
            fresh = draw(st.lists(st.sampled_from([i for i in IDS if i not in held] or ["-"])))
            ids = draw(st.permutations(sorted(held)))
            cut = draw(st.integers(0, len(ids)))
            change = {
                "add": [draw(account(i)) for i in dict.fromkeys(fresh) if i != "-"],
                "update": [draw(account(i)) for i in ids[:cut]],
                "remove": list(ids[cut:][: draw(st.integers(0, 3))]),
            }
            changes.append((kind, change))
            held = (held | {r["account_id"] for r in change["add"]}) - set(change["remove"])
            continue
        pool = sorted(held) if kind != "add" else [i for i in IDS if i not in held]
        if not pool:
            continue
        ids = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        if kind == "remove":
            changes.append((kind, ids))
            held -= set(ids)
        else:
            changes.append((kind, [draw(account(i)) for i in ids]))
            held |= set(ids)
    return start, changes


def _leads(accounts: list[dict[str, object]], rnd: random.Random) -> list[Lead]:
    leads = [Lead(lead_id="stranger", company="Zeta Pharma Oy", email="z@zeta.fi")]
    # Every word alone and misspelt: a word only removed accounts had must be unknown again.
    for word in WORDS:
        leads.append(Lead(lead_id=word, company=f"{word.title()} {rnd.choice(WORDS)}"))
        leads.append(Lead(lead_id=f"{word}~", company=word[:-1] + word[-1] * 2))
    for k, record in enumerate(accounts):
        name = str(record["name"])
        domain = record["domain"] or "gmail.com"
        leads.append(Lead(lead_id=f"L{k}", company=name, email=f"j@{domain}"))
        leads.append(Lead(lead_id=f"M{k}", company=name.split()[0] + rnd.choice(WORDS)))
    return leads


#: How a change reaches the tables: edited in place (small changes), derived again (large
#: ones), either at random, and edited with thresholds so low that a few accounts make words
#: common and give them word-pair tables (which a real index reaches with thousands).
MODES = ["edits", "derived", "mixed", "low thresholds"]


@contextlib.contextmanager
def _mode(mode: str, rnd: random.Random) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        if mode == "derived":
            stack.enter_context(mock.patch.object(table_version, "incremental", return_value=False))
        elif mode == "mixed":
            choose = lambda *_: rnd.random() < 0.5  # noqa: E731
            stack.enter_context(mock.patch.object(table_version, "incremental", choose))
        elif mode == "low thresholds":
            low = {"PAIR_MIN_POSTINGS": 2, "PAIR_MAX_POSTINGS": 5, "COMMON_TOKEN_MIN_DF": 3}
            for module in (lookups, blocking):
                for name, value in low.items():
                    if hasattr(module, name):
                        stack.enter_context(mock.patch.object(module, name, value))
        yield


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=examples(40))
@given(history(), st.randoms(use_true_random=False))
def test_an_updated_index_matches_as_one_built_from_the_final_accounts(
    mode: str,
    case: tuple[dict[str, dict[str, object]], list[tuple[str, object]]],
    rnd: random.Random,
) -> None:
    with _mode(mode, rnd):
        holds_after(case, rnd)


def holds_after(
    case: tuple[dict[str, dict[str, object]], list[tuple[str, object]]], rnd: random.Random
) -> None:
    """Apply the history's changes; then the index matches as one built from the final
    accounts (in shuffled order) does."""
    start, changes = case
    index = AccountIndex.build(list(start.values()), CONFIG)
    final = dict(start)
    for kind, arg in changes:
        if kind == "save":
            index = _saved(index, reload=bool(arg))
        elif kind == "apply":
            counts = index.apply(**arg)  # type: ignore[arg-type]
            assert counts == {"added": len(arg["add"]), "updated": len(arg["update"]),  # type: ignore[index]
                              "removed": len(arg["remove"])}  # type: ignore[index]  # fmt: skip
            for record in [*arg["add"], *arg["update"]]:  # type: ignore[index]
                final[record["account_id"]] = record
            for i in arg["remove"]:  # type: ignore[index]
                del final[i]
        elif kind == "remove":
            assert index.remove(arg) == len(arg)  # type: ignore[arg-type]
            for i in arg:  # type: ignore[attr-defined]
                del final[i]
        else:
            assert getattr(index, kind)(arg) == len(arg)  # type: ignore[arg-type]
            final.update({r["account_id"]: r for r in arg})  # type: ignore[attr-defined, misc]
    records = list(final.values())
    rnd.shuffle(records)  # the order of a fresh build must not matter either
    fresh = AccountIndex.build(records, CONFIG)
    assert sorted(index.view().tables.row_of_id) == sorted(final)
    for account_id in final:
        assert index.account(account_id) == fresh.account(account_id)
    leads = _leads(records, rnd)
    assert index.match_many(leads) == fresh.match_many(leads)
    assert canonical(index) == canonical(fresh)  # every table, not only what these leads read


def _saved(index: AccountIndex, reload: bool) -> AccountIndex:
    """``index`` after a save, or the index loaded from the file (copied into memory)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = index.save(Path(folder) / "saved.lmx")
        return AccountIndex.load(path, CONFIG, mmap=False) if reload else index


@settings(max_examples=examples(15))
@given(history())
def test_an_updated_index_saves_and_loads_what_it_holds(
    case: tuple[dict[str, dict[str, object]], list[tuple[str, object]]],
) -> None:
    import tempfile

    start, changes = case
    index = AccountIndex.build(list(start.values()), CONFIG)
    for kind, arg in changes:
        if kind == "save":
            index = _saved(index, reload=bool(arg))
        elif kind == "apply":
            index.apply(**arg)  # type: ignore[arg-type]
        else:
            getattr(index, kind)(arg)
    with tempfile.TemporaryDirectory() as folder:
        path = index.save(Path(folder) / "updated.lmx")
        loaded = AccountIndex.load(path, CONFIG)
        leads = _leads(
            [index.account(i) | {"domain": None} for i in index.data.account_id],
            random.Random(0),
        )
        assert loaded.match_many(leads) == index.match_many(leads)
        assert loaded.data.account_id.tolist() == index.data.account_id.tolist()


def test_accounts_objects_are_taken_too() -> None:
    index = AccountIndex.build([Account(account_id="A1", name="Nordic Timber AB")])
    index.add([Account(account_id="A2", name="Sakura Denki KK", domain="sakura-denki.co.jp")])
    assert index.match(Lead(email="t@sakura-denki.co.jp")).account_id == "A2"
