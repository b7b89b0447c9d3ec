"""The integer tricks inside blocking, each against the obvious computation it stands for: the
packed sort of candidate pairs (in both of its forms) against a plain lexicographic sort, the
ranks of a lead's token masks and the ranks a lead needs, worked out by hand, and the batch cut
into slices of postings against the batch in one piece (issue 20: a mutation run found these
reached only by the few shapes that end-to-end tests happen to make)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from leadmatch import Account, AccountIndex, Lead, MatchConfig
from leadmatch.match import blocking, scored_batches, view_of
from leadmatch.match.blocking import BLOCKING_TOKENS, _best_first, _mask_ranks, _needed_ranks
from leadmatch.tables import lookups


def _pairs_to_order(
    seed: int, n_rows: int, n_pairs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    row = np.sort(rng.integers(0, n_rows, n_pairs))
    score = rng.integers(0, 80, n_pairs) / 8.0  # in eighths: exact in every form of the key
    rank = rng.integers(0, 1 << BLOCKING_TOKENS, n_pairs)
    id_rank = rng.permutation(n_pairs)
    return row, score, rank, id_rank


@pytest.mark.parametrize("n_acct", [1_000, 2**45])  # the packed key; two sorts past 63 bits
@pytest.mark.parametrize("seed", range(5))
def test_pairs_are_ordered_by_lead_then_overlap_then_rank_then_account(
    n_acct: int, seed: int
) -> None:
    row, score, rank, id_rank = _pairs_to_order(seed, n_rows=7, n_pairs=300)
    expected = np.lexsort((id_rank, rank, -score, row))
    got = _best_first(row, score, rank, id_rank, 7, n_acct)
    assert got.tolist() == expected.tolist()


def test_the_mask_ranks_of_two_leads_by_hand() -> None:
    # Lead 0 has two blocking tokens, of weight 2 (slot 0) and 1 (slot 1); lead 4 one, of
    # weight 3. A mask's score is the weight of the slots it holds; equal scores share a rank.
    #   lead 0: {0,1} -> 3 (rank 0), {0} -> 2 (1), {1} -> 1 (2), {} -> 0 (3); the bits of the
    #   unused slots 2 and 3 add nothing.
    #   lead 4: {0} -> 3 (rank 0), else 0 (1).
    leads, mask_rank = _mask_ranks(
        np.array([0, 0, 4]), np.array([0, 1, 0]), np.array([2.0, 1.0, 3.0])
    )
    assert leads.tolist() == [0, 4]
    assert mask_rank[0].tolist() == [3, 1, 2, 0] * 4
    assert mask_rank[1].tolist() == [1, 0] * 8


def test_a_lead_keeps_whole_ranks_until_it_has_the_names_it_wants() -> None:
    # Lead 0 has one name at rank 0, one at rank 1, one at rank 2: two wanted, ranks 0 and 1
    # hold them. Lead 1 has one name: never enough, every rank kept.
    kept = _needed_ranks(np.array([0, 0, 0, 1]), np.array([0, 1, 2, 0]), 2, 2)
    assert kept.tolist() == [0, 1, 3]
    # Three wanted: lead 0 has them by rank 1; lead 1, with two names (ranks 0 and 3), never
    # has enough and keeps every rank, whatever the other lead has.
    kept = _needed_ranks(np.array([0, 0, 0, 1, 1]), np.array([0, 0, 1, 0, 3]), 2, 3)
    assert kept.tolist() == [0, 1, 2, 3, 4]
    kept = _needed_ranks(np.array([0, 0, 0, 0, 1, 1]), np.array([0, 0, 1, 2, 0, 3]), 2, 3)
    assert kept.tolist() == [0, 1, 2, 4, 5]
    # Two names at rank 0 already make two: rank 1 is left out.
    kept = _needed_ranks(np.array([0, 0, 0]), np.array([0, 0, 1]), 1, 2)
    assert kept.tolist() == [0, 1]


WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"]
SECTORS = ["Robotics", "Logistics", "Software", "Pharma", "Foods", "Mining"]


@pytest.fixture(scope="module")
def crowded() -> AccountIndex:
    """Names that share words in every combination: many postings per word."""
    return AccountIndex.build(
        [
            Account(account_id=f"A{k}", name=f"{w} {s}", country="US")
            for k, (w, s) in enumerate((w, s) for w in WORDS for s in SECTORS)
        ]
    )


def _candidates(index: AccountIndex, leads: list[Lead]) -> list[tuple[str, str, int]]:
    view = view_of(index)
    found = []
    for ids, feats, _, _ in scored_batches(view, leads, index.config):
        accounts = view.data.account_id.take(feats.account)
        found += list(zip([ids[k] for k in feats.lead.tolist()], accounts, feats.blockers.tolist()))
    return found


def test_a_batch_cut_into_slices_of_postings_proposes_what_it_proposes_whole(
    crowded: AccountIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = [
        Lead(lead_id=f"L{k}", company=f"{WORDS[k % 8]} {SECTORS[k % 6]} Group", country="US")
        for k in range(24)
    ]
    whole = _candidates(crowded, leads)
    monkeypatch.setattr(blocking, "_SLICE", 8)  # a slice every 8 postings: a lead a slice or so
    assert _candidates(crowded, leads) == whole
    assert len({lead for lead, _, _ in whole}) == 24


def test_a_leads_candidates_do_not_depend_on_the_other_leads_of_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every lead's (account, blockers) in one batch of many shapes against each lead alone:
    # keys packed per lead (lead * tokens + token, lead * names + name) and ranges read per
    # lead must not leak into a neighbour. The pair table starts at 4 names (scaled down):
    # a sector word, in 8 names, reaches them through it.
    monkeypatch.setattr(lookups, "PAIR_MIN_POSTINGS", 4)
    monkeypatch.setattr(blocking, "PAIR_MIN_POSTINGS", 4)
    pairs_read: list[int] = []
    read_pairs = blocking._Overlap.pairs

    def spy(self: blocking._Overlap, *args: Any) -> Any:
        found = read_pairs(self, *args)
        pairs_read.append(len(found[0]))
        return found

    monkeypatch.setattr(blocking._Overlap, "pairs", spy)
    config = MatchConfig(max_candidates=3)
    index = AccountIndex.build(
        [
            Account(account_id=f"A{k:02}", name=f"{w} {s}", domain=f"{w}{s}.com".lower())
            for k, (w, s) in enumerate((w, s) for w in WORDS for s in SECTORS)
        ],
        config,
    )
    companies = ["Acme Robotics", "Acme", "Globex Mining Group", "Initek Software", "Umbrela",
                 "Hooli Foods, Palo Alto, USA", "Stark", "Robotics", "Wayne Pharma",
                 "Wonka Logistcs", "", "AR", "Zzyzx Quarries"]  # fmt: skip
    leads = [
        Lead(
            lead_id=f"L{k}",
            company=c,
            email=f"x@{WORDS[k % 8].lower()}foods.com" if k % 3 else None,
        )
        for k, c in enumerate(companies)
    ]
    together = _candidates(index, leads)
    alone = [found for lead in leads for found in _candidates(index, [lead])]
    assert sorted(together) == sorted(alone)
    assert len({lead for lead, _, _ in together}) >= 10
    assert sum(pairs_read) > 0  # names were reached through the pair table


def test_a_name_is_looked_up_as_an_acronym_of_3_to_8_letters() -> None:
    index = AccountIndex.build(
        [
            Account(account_id="I", name="IBM"),
            Account(account_id="N", name="Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota"),
        ]
    )
    # The lead's acronym (3 letters) is an account's whole name.
    found = index.match(Lead(company="International Business Machines"))
    assert (found.candidate_id, found.found_by) == ("I", ("acronym",))
    # A word of 9 letters is not read as an acronym.
    assert index.match(Lead(company="ABGDEZETI")).found_by == ()
