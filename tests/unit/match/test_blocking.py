"""Blocking at the edges the synthetic millions found: look-alikes, frequent words, two typos."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from leadmatch import AccountIndex, Lead, MatchConfig
from leadmatch.io.records import validate_leads
from leadmatch.match import blocking
from leadmatch.normalize.leads import prepare
from leadmatch.tables import lookups


def _candidate_ids(index: AccountIndex, company: str) -> set[str]:
    valid, _, _ = validate_leads([{"company": company}], strict=False)
    batch = prepare(valid)
    ids = blocking.batch_ids(index, batch)
    _, names, _ = blocking.candidates(index, batch, ids, index.config)
    return {index.data.account_id[int(a)] for a in index.data.name_owner[names]}


def test_a_misspelled_word_finds_the_common_word_before_rare_look_alikes() -> None:
    """'Tian' is one edit from 'Titan' (15 names) and from five one-off misspellings in
    other accounts, whose higher IDF used to take every blocking slot."""
    titans = [
        {"account_id": f"T{i:02}", "name": f"Titan {word}"}
        for i, word in enumerate(
            [
                "Foods",
                "Steel",
                "Lines",
                "Tools",
                "Paper",
                "Glass",
                "Media",
                "Mining",
                "Optics",
                "Pumps",
                "Rail",
                "Rope",
                "Seeds",
                "Tiles",
                "Yarns",
            ]
        )
    ]
    junk = [
        {"account_id": f"J{i}", "name": f"{word} Foods"}
        for i, word in enumerate(["Tiaz", "Tiaf", "Tzan", "Tioa", "Jtan"])
    ]
    target = {"account_id": "TD", "name": "Titan Digital SAS"}
    for accounts in ([*titans, *junk, target], [target, *junk, *titans]):
        index = AccountIndex.build(accounts)
        assert "TD" in _candidate_ids(index, "Tian Digital")
        assert index.match(Lead(company="Tian Digital")).candidate_id == "TD"


def test_a_frequent_word_reaches_the_name_that_shares_another_word_of_the_lead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More 'Harrier' names than blocking reads one by one (scaled down: the pair table
    starts at 8 names here, and 4 are read): the one that also says 'Logistics' (a common
    word, which blocks nothing alone) is found through the word-pair table, though its id
    sorts last."""
    monkeypatch.setattr(lookups, "PAIR_MIN_POSTINGS", 8)
    monkeypatch.setattr(blocking, "PAIR_MIN_POSTINGS", 8)
    config = MatchConfig(max_candidates=2)
    harriers = [
        {"account_id": f"H{i:02}", "name": f"Harrier {word} Ltd"}
        for i, word in enumerate(
            ["Bax", "Cox", "Dux", "Fix", "Gax", "Hox", "Jux", "Kix", "Lax", "Mox", "Nux", "Pix"]
        )
    ]
    target = {"account_id": "Z9", "name": "Harrier Logistics GmbH"}
    for accounts in ([*harriers, target], [target, *reversed(harriers)]):
        index = AccountIndex.build(accounts, config)
        assert len(index.lookups.pair_table) > 0
        found = _candidate_ids(index, "Harrier Logistics")
        assert "Z9" in found
        assert len(found) == config.max_candidates
        assert index.match(Lead(company="Harrier Logistics")).candidate_id == "Z9"


def test_a_frequent_word_alone_reaches_the_same_names_whatever_the_account_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its first names by account id, not by load order."""
    monkeypatch.setattr(lookups, "PAIR_MIN_POSTINGS", 8)
    monkeypatch.setattr(blocking, "PAIR_MIN_POSTINGS", 8)
    config = MatchConfig(max_candidates=2)
    harriers = [{"account_id": f"H{i:02}", "name": f"Harrier {i} Ltd"} for i in range(15)]
    forward = AccountIndex.build(harriers, config)
    backward = AccountIndex.build(list(reversed(harriers)), config)
    assert _candidate_ids(forward, "Harrier") == _candidate_ids(backward, "Harrier")
    assert _candidate_ids(forward, "Harrier") == {"H00", "H01"}


def test_a_word_two_edits_off_finds_the_account() -> None:
    """Only 'Domsnnt' tells 'Domant Solutions' from thirty other 'Solutions', and it is two
    edits off: without two-edit look-alikes, 'Solutions' alone blocks and the ids decide."""
    words = [f"{a}{b}ex" for a in "bcdfghklmnprstv" for b in "ao"]
    others = [
        {"account_id": f"A{i:02}", "name": f"{word.title()} Solutions"}
        for i, word in enumerate(words)
    ]
    target = {"account_id": "ZD", "name": "Domant Solutions Great Britain LLP"}
    index = AccountIndex.build([*others, target])
    assert "ZD" in _candidate_ids(index, "Domsnnt Solutions")
    assert index.match(Lead(company="Domsnnt Solutions")).candidate_id == "ZD"


def test_two_edit_matches_are_checked_by_distance() -> None:
    """'acefgx' shares a key with 'abcdefg' (delete b and d; delete x) but is three edits
    away; 'acdfg' is two (b and e missing)."""
    index = AccountIndex.build(
        [{"account_id": "A", "name": "Acefgx Corp"}, {"account_id": "B", "name": "Acdfg Corp"}]
    )
    position, tok, _, edits = blocking._token_matches(index, ["abcdefg"])
    found = {index.data.tokens[int(t)]: int(e) for t, e in zip(tok, edits)}
    assert found == {"acdfg": 2}
    assert np.all(position == 0)


def test_a_word_does_not_take_turns_as_its_own_look_alike() -> None:
    """'digital' shares all its deletion keys with itself: it must not fill the turns after
    its own, nor take two turns for one look-alike."""
    names = ["Digital Ltd", "Digtial Co", "Digitas AB", "Nordic X", "Nordix Y"]
    index = AccountIndex.build([{"account_id": f"A{i}", "name": n} for i, n in enumerate(names)])
    position, tok, _, edits = blocking._token_matches(index, ["digital", "nordic"])
    pairs = list(zip(position.tolist(), tok.tolist()))
    assert len(pairs) == len(set(pairs))
    turn = blocking._turns(index, position, tok, edits)
    by_word: dict[int, list[int]] = {}
    for p, u in zip(position.tolist(), turn.tolist()):
        by_word.setdefault(p, []).append(u)
    assert all(sorted(u) == list(range(len(u))) for u in by_word.values())
    assert max(by_word[0]) == 2  # digital, then digtial and digitas


def test_long_words_cost_no_typo_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5,000-letter "word" would have 25 million two-edit keys: it gets none (bounded work)."""
    from leadmatch.match import blocking
    from leadmatch.tables.lookups import MAX_TYPO_LENGTH, deletion_keys, typo_variants_of

    assert len(deletion_keys("a" * 8)) == 9
    assert deletion_keys("b" * (MAX_TYPO_LENGTH + 1)) == ["b" * (MAX_TYPO_LENGTH + 1)]
    assert len(typo_variants_of(["qwertzuiop" * 500])[1]) == 1
    index = AccountIndex.build([{"account_id": "A1", "name": "Domant Systems"}])
    seen: list[list[str]] = []
    real = blocking._two_edit_matches

    def spy(index: AccountIndex, tokens: list[str], positions: list[int]) -> Any:
        seen.append([tokens[k] for k in positions])
        return real(index, tokens, positions)

    monkeypatch.setattr(blocking, "_two_edit_matches", spy)
    long_word = "qwertzuiop" * 500
    assert index.match({"company": f"Domsnnt {long_word}"}).candidate_id == "A1"
    assert seen == [["domsnnt"]]  # the short misspelling is looked up; the long word is not
