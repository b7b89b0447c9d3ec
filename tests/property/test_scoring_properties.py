"""The lead over rivals (``scoring.rival_gap``) and the candidates count, against their
definitions, pair by pair."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from leadmatch.match.features import accounts_per_lead
from leadmatch.match.scoring import rival_gap

pairs = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(-12, 12)), max_size=25)


@given(pairs, st.booleans(), st.integers(-6, 2))
def test_rival_gap_is_the_lead_over_the_best_other_group(
    rows: list[tuple[int, int, int]], presorted: bool, floor: int
) -> None:
    if presorted:
        rows = sorted(rows)
    lead = np.array([r[0] for r in rows], dtype=np.int64)
    group = np.array([r[1] for r in rows], dtype=np.int64)
    raw = np.array([r[2] for r in rows], dtype=np.float64)
    got = rival_gap(lead, group, raw, float(floor))
    assert got.shape == (len(rows),)
    for i, (lead_i, group_i, raw_i) in enumerate(rows):
        others = [r for ld, g, r in rows if ld == lead_i and g != group_i]
        rival = max([*others, floor])
        assert got[i] == min(max(raw_i - rival, -8.0), 8.0)  # capped at 8 bits either way


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), max_size=40))
def test_accounts_per_lead_counts_each_account_once(rows: list[tuple[int, int]]) -> None:
    # Pairs are (lead, account) as blocking gives them: an account met through two of its
    # names appears twice and counts once.
    lead = np.array([r[0] for r in rows], dtype=np.int64)
    account = np.array([r[1] for r in rows], dtype=np.int64)
    got = accounts_per_lead(lead, account)
    for i, (lead_i, _) in enumerate(rows):
        assert got[i] == len({a for ld, a in rows if ld == lead_i})
