"""Decisions: per lead, the best account after tie-breaks, and matched / review / unmatched.

The tie-break rule applies to the contenders: the accounts of the best one's company group
(duplicate records, parent and subsidiaries) that are within ``tie_margin`` bits (log2 odds) of
the best, or that would be ``matched`` on their own. Among them, in order:

1. an account in the lead's country ("the subsidiary in the lead's country"), then
2. an account within the margin of the best (specific evidence, such as the lead's name being
   exactly this account's, beats a mere family tie), then
3. an account whose own domain the lead writes from (the subsidiary's domain names the
   subsidiary, not its parent), then
4. the account highest in its hierarchy (the ultimate parent before a subsidiary), then
5. the smallest account id — so the answer never depends on the order accounts were loaded in.

Accounts within the margin that belong to *another* company make the lead ambiguous: it goes
to ``review`` however high the confidence, and the rival is listed first among alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray, first_of_groups, rank_in_group
from leadmatch.config import CONFIDENCE_PLACES, MatchConfig
from leadmatch.match.features import Features
from leadmatch.match.scoring import Scores
from leadmatch.tables import MAX_HIERARCHY_DEPTH

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


@dataclass(frozen=True)
class _Best:
    """One candidate pair per (lead, account), sorted by lead: the account's best-scoring name
    (name or alias) speaks for it. The decision reads these alone."""

    pair: IntArray
    """Index into the candidate pairs."""
    lead: IntArray
    acct: IntArray
    total: FloatArray
    prob: FloatArray
    rank: IntArray
    """The account's rank by id (smaller id, smaller rank)."""
    starts: IntArray
    sizes: IntArray
    """Where each lead's run starts, and its length."""

    @classmethod
    def of(cls, index: IndexView, features: Features, scores: Scores) -> _Best:
        lk = index.lookups
        total = scores.total
        key = features.lead * max(lk.n_rows, 1) + features.account
        order = key.argsort(kind="stable")  # pairs come sorted already: this is a check, O(n)
        runs = _group_starts(key[order])
        top = np.maximum.reduceat(total[order], runs).repeat(_sizes(runs, len(key)))
        best = order[_first_in_runs(runs, (total[order] == top).nonzero()[0])]
        lead, acct = features.lead[best], features.account[best]
        starts = _group_starts(lead)
        return cls(
            pair=best,
            lead=lead,
            acct=acct,
            total=total[best],
            prob=scores.probability[best],
            rank=lk.id_rank[acct],
            starts=starts,
            sizes=_sizes(starts, len(lead)),
        )


def _standing(
    index: IndexView, b: _Best, n_leads: int, config: MatchConfig
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Per pair of ``b``: whether it is near its lead's top account (highest total, then
    smallest id), a contender (of the top one's company group, and near or plausible), and a
    rival (near, of another group)."""
    lk = index.lookups
    is_top = b.total == np.maximum.reduceat(b.total, b.starts).repeat(b.sizes)
    top_rank = np.minimum.reduceat(np.where(is_top, b.rank, max(lk.n_rows, 1)), b.starts)
    top = (is_top & (b.rank == top_rank.repeat(b.sizes))).nonzero()[0]
    top_of_lead = np.full(n_leads, -1, dtype=np.int64)
    top_of_lead[b.lead[top]] = top
    top_b = top_of_lead[b.lead]
    near = b.total >= b.total[top_b] - config.tie_margin
    same_group = lk.group[b.acct] == lk.group[b.acct[top_b]]
    # As likely as the top, or matched on its own (read on the confidence as shown, as the
    # decision reads it).
    shown = b.prob.round(CONFIDENCE_PLACES)
    plausible = (b.prob >= b.prob[top_b]) | (shown >= config.match_threshold)
    return near, same_group & (near | plausible), near & ~same_group


def _winners(
    index: IndexView, features: Features, b: _Best, near: BoolArray, contenders: BoolArray
) -> IntArray:
    """Position in ``b`` of each lead's winner. Tie-break among contenders: lead's country,
    near the top, the lead's domain the account's own, shallowest, smallest id, as one integer
    per pair whose smallest value per lead wins (ids are unique: one winner)."""
    lk = index.lookups
    in_country = features.country_agree[b.pair]
    own_domain = features.domain_exact[b.pair]
    flags = (~contenders).astype(np.int64) * 8 + (~in_country) * 4 + (~near) * 2 + (~own_domain)
    tie_key = (flags * (MAX_HIERARCHY_DEPTH + 1) + lk.depth[b.acct]) * max(lk.n_rows, 1) + b.rank
    winner_key = np.minimum.reduceat(tie_key, b.starts).repeat(b.sizes)
    winners: IntArray = (tie_key == winner_key).nonzero()[0]
    return winners


def _alternatives(
    b: _Best, winners: IntArray, rival: BoolArray, n_leads: int, config: MatchConfig
) -> tuple[IntArray, IntArray]:
    """(alt_ptr, alt_pairs) of :class:`Resolution`: everything but the winner, rivals first,
    then by confidence."""
    is_winner = np.zeros(len(b.pair), dtype=bool)
    is_winner[winners] = True
    others = (~is_winner & ((b.prob >= MIN_ALTERNATIVE_CONFIDENCE) | rival)).nonzero()[0]
    order = others[np.lexsort((b.rank[others], -b.total[others], ~rival[others], b.lead[others]))]
    keep = order[rank_in_group(b.lead[order]) < config.max_alternatives]
    counts = np.bincount(b.lead[keep], minlength=n_leads)
    alt_ptr = np.zeros(n_leads + 1, dtype=np.int64)
    counts.cumsum(out=alt_ptr[1:])
    return alt_ptr, b.pair[keep]


def resolve(
    index: IndexView, features: Features, scores: Scores, n_leads: int, config: MatchConfig
) -> Resolution:
    """Choose one account per lead among its scored candidate pairs (all vectorized)."""
    b = _Best.of(index, features, scores)
    near, contenders, rival = _standing(index, b, n_leads, config)
    winners = _winners(index, features, b, near, contenders)
    winner_pair = np.full(n_leads, -1, dtype=np.int64)
    winner_pair[b.lead[winners]] = b.pair[winners]
    confidence = np.zeros(n_leads)
    confidence[b.lead[winners]] = b.prob[winners]
    alt_ptr, alt_pairs = _alternatives(b, winners, rival, n_leads, config)
    return Resolution(
        winner_pair=winner_pair,
        confidence=confidence,
        ambiguous=np.bincount(b.lead, weights=rival, minlength=n_leads) > 0,
        tie_broken=np.bincount(b.lead, weights=contenders, minlength=n_leads) > 1,
        alt_ptr=alt_ptr,
        alt_pairs=alt_pairs,
    )
