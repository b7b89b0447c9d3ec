"""Decisions: per lead, the best account after tie-breaks, and matched / review / unmatched.

The tie-break rule applies to the contenders: the accounts of the best one's company group
(duplicate records, parent and subsidiaries) that are within ``tie_margin`` bits (log2 odds) of
the best, or that would be ``matched`` on their own. Among them, in order:

1. an account in the lead's country ("the subsidiary in the lead's country"), then
2. an account within the margin of the best (specific evidence, such as the lead's email
   domain being this very account's, beats a mere family tie), then
3. the account highest in its hierarchy (the ultimate parent before a subsidiary), then
4. the smallest account id — so the answer never depends on the order accounts were loaded in.

Accounts within the margin that belong to *another* company make the lead ambiguous: it goes
to ``review`` however high the confidence, and the rival is listed first among alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray, first_of_groups, rank_in_group
from leadmatch.config import MatchConfig
from leadmatch.match.features import Features
from leadmatch.match.scoring import Scores
from leadmatch.tables.lookups import MAX_HIERARCHY_DEPTH

if TYPE_CHECKING:
    from leadmatch.match.view import IndexView


#: Candidates below this confidence are not worth listing as alternatives.
MIN_ALTERNATIVE_CONFIDENCE = 0.01


@dataclass(frozen=True)
class Resolution:
    """Per lead (row ``i``): the chosen pair and what was decided about it."""

    winner_pair: IntArray
    """Index into the candidate pairs, -1 where the lead had no candidate."""
    confidence: FloatArray
    ambiguous: BoolArray
    tie_broken: BoolArray
    """Another account of the same company group scored within the margin."""
    alt_ptr: IntArray
    alt_pairs: IntArray
    """Candidate pairs of the alternatives of lead ``i``: ``alt_pairs[alt_ptr[i]:alt_ptr[i+1]]``."""


def _group_starts(sorted_leads: IntArray) -> IntArray:
    return first_of_groups(sorted_leads).nonzero()[0]


def _sizes(starts: IntArray, length: int) -> IntArray:
    """Run lengths from the run starts of an array of ``length``."""
    return np.concatenate([starts[1:], [length]]) - starts


def _first_in_runs(starts: IntArray, hits: IntArray) -> IntArray:
    """The first of ``hits`` (sorted positions) in each run that has one."""
    run = starts.searchsorted(hits, side="right") - 1
    return hits[first_of_groups(run)]


def resolve(
    index: IndexView, features: Features, scores: Scores, n_leads: int, config: MatchConfig
) -> Resolution:
    """Choose one account per lead among its scored candidate pairs (all vectorized)."""
    lk = index.lookups
    total = scores.total
    lead, acct = features.lead, features.account

    # One pair per (lead, account): an account's best-scoring name (name or alias) speaks for it.
    n_acct = max(lk.n_rows, 1)
    key = lead * n_acct + acct
    order = key.argsort(kind="stable")  # pairs come sorted already: this is a check, O(n)
    runs = _group_starts(key[order])
    is_best = total[order] == np.maximum.reduceat(total[order], runs).repeat(_sizes(runs, len(key)))
    best = order[_first_in_runs(runs, is_best.nonzero()[0])]
    lead_b, acct_b, total_b = lead[best], acct[best], total[best]
    prob_b = scores.probability[best]
    rank_b = lk.id_rank[acct_b]

    # The top account per lead (highest total, then smallest id), and its company group.
    starts = _group_starts(lead_b)
    sizes = _sizes(starts, len(lead_b))
    is_top = total_b == np.maximum.reduceat(total_b, starts).repeat(sizes)
    top_rank = np.minimum.reduceat(np.where(is_top, rank_b, n_acct), starts)
    top = (is_top & (rank_b == top_rank.repeat(sizes))).nonzero()[0]
    top_of_lead = np.full(n_leads, -1, dtype=np.int64)
    top_of_lead[lead_b[top]] = top
    top_total = total_b[top_of_lead[lead_b]]
    near = total_b >= top_total - config.tie_margin
    same_group = lk.group[acct_b] == lk.group[acct_b[top_of_lead[lead_b]]]
    plausible = prob_b >= np.minimum(prob_b[top_of_lead[lead_b]], config.match_threshold)
    contenders = same_group & (near | plausible)
    rival = near & ~same_group

    # Tie-break among contenders: lead's country, near the top, shallowest, smallest id, as
    # one integer per pair whose smallest value per lead wins (ids are unique: one winner).
    in_country = features.country_agree[best]
    flags = (~contenders).astype(np.int64) * 4 + (~in_country) * 2 + (~near)
    tie_key = (flags * (MAX_HIERARCHY_DEPTH + 1) + lk.depth[acct_b]) * n_acct + rank_b
    winner_key = np.minimum.reduceat(tie_key, starts).repeat(sizes)
    winner_local = (tie_key == winner_key).nonzero()[0]
    winner_pair = np.full(n_leads, -1, dtype=np.int64)
    winner_pair[lead_b[winner_local]] = best[winner_local]
    confidence = np.zeros(n_leads)
    confidence[lead_b[winner_local]] = prob_b[winner_local]
    ambiguous = np.bincount(lead_b, weights=rival, minlength=n_leads) > 0
    tie_broken = np.bincount(lead_b, weights=contenders, minlength=n_leads) > 1

    # Alternatives: everything but the winner, rivals first, then by confidence.
    is_winner = np.zeros(len(best), dtype=bool)
    is_winner[winner_local] = True
    others = (~is_winner & ((prob_b >= MIN_ALTERNATIVE_CONFIDENCE) | rival)).nonzero()[0]
    order = others[np.lexsort((rank_b[others], -total_b[others], ~rival[others], lead_b[others]))]
    keep = order[rank_in_group(lead_b[order]) < config.max_alternatives]
    counts = np.bincount(lead_b[keep], minlength=n_leads)
    alt_ptr = np.zeros(n_leads + 1, dtype=np.int64)
    counts.cumsum(out=alt_ptr[1:])
    return Resolution(
        winner_pair=winner_pair,
        confidence=confidence,
        ambiguous=ambiguous,
        tie_broken=tie_broken,
        alt_ptr=alt_ptr,
        alt_pairs=best[keep],
    )
