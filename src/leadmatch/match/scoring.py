"""Confidence: each comparison picks one level per pair; level weights add up to log2 odds.

A comparison is an ordered list of levels, as in splink's Fellegi–Sunter models: the first
whose condition holds applies. The weights are not each level's ``log2(m / u)`` fitted alone,
though: they are fitted jointly (a logistic regression over the levels, kept monotone within
each comparison: :mod:`leadmatch.quality.fitting`), so that overlapping signals (a name that
is both very similar and fully covered) are not counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray, first_of_groups
from leadmatch.config import LEVELS, Weights
from leadmatch.match.features import Features

#: Similarity cut-offs of the name levels ``simNN`` (see ``Weights.name``), highest first.
NAME_CUTS = {level: int(level[3:]) / 100 for level in LEVELS["name"] if level.startswith("sim")}
#: The ``part`` level: a part of the lead's name this similar to the account's name.
PART_CUT = 0.97
#: Cut-offs of the ``name_at_domain`` levels, highest first.
DOMAIN_NAME_CUTS = {"sim90": 0.9, "sim76": 0.76, "sim55": 0.55}
#: Cut-offs of the ``name_cover`` levels, highest first.
COVER_CUTS = {"all": 0.99, "cover90": 0.9, "cover75": 0.75, "cover50": 0.5}
#: The ``shorter`` level: a lead none of whose words the account's name lacks, holding this
#: share of it or more (a name shortened, not another company's).
SHORTER_COVER = 0.5
#: A name agrees (for the generic-name penalty) from this similarity or this cover up.
AGREEING_SIM, AGREEING_COVER = 0.82, 0.9
#: Accounts sharing the lead's exact domain: up to this many are ``few``, more are ``many``.
FEW_OWNERS = 3
#: Upper ends of the ``candidates`` levels ``few`` and ``some`` (``one`` and ``two``: 1 and 2).
FEW_CANDIDATES, SOME_CANDIDATES = 5, 12


#: Bits of lead over the best rival beyond which being further ahead says nothing more.
GAP_CAP = 8.0


@dataclass(frozen=True)
class Scores:
    """Per pair: the level index chosen in each comparison, the summed weight, the probability."""

    levels: dict[str, IntArray]
    total: FloatArray
    """The score the decision reads: ``raw`` plus ``Weights.gap`` times ``gap``."""
    probability: FloatArray
    raw: FloatArray
    """The prior plus the weight of each comparison's level."""
    gap: FloatArray
    """``raw`` minus the best ``raw`` of the lead's other company groups or the prior,
    whichever is higher, within ±:data:`GAP_CAP`."""
    alone: FloatArray
    """The probability the pair would have without rivals: that the lead is this account or
    one just like it (an ambiguous lead goes to review on it, not on ``probability``)."""


def _conditions(f: Features) -> dict[str, list[BoolArray]]:
    """For each comparison, one condition per level of ``LEVELS`` but the last (the fallback)."""
    sim, cover, owners = f.name_sim, f.name_cover, f.domain_owners
    agrees_by_name = f.name_exact | (sim >= AGREEING_SIM) | (cover >= AGREEING_COVER)
    # name and name_cover are neutral at the account's domain or its group's, and where one
    # name is the other's acronym (it is not their similarity that speaks there); name is
    # also neutral for a name written as a list none of whose parts is the account's.
    by_domain = f.domain_exact | f.domain_family
    elsewhere = f.name_missing | by_domain | f.acronym
    unlisted = elsewhere | (f.name_listed & ~f.name_part & ~f.name_exact)
    part = f.name_part & (sim >= PART_CUT)
    at_domain = ~by_domain | f.name_missing | f.acronym  # name_at_domain: neutral elsewhere
    # The candidates count amplifies what the pair shows; a lead with no comparable name off
    # the account's domain shows nothing for it to amplify (and falls to the neutral level).
    count = np.where(~f.name_missing | by_domain, f.candidates, SOME_CANDIDATES + 1)
    return {
        "domain": [f.domain_exact, f.domain_family, f.domain_brand, f.domain_conflict],
        "domain_owners": [owners == 1, (owners > 1) & (owners <= FEW_OWNERS), owners > FEW_OWNERS],
        "name": [unlisted, f.name_exact, part, *(sim >= cut for cut in NAME_CUTS.values())],
        "name_cover": [
            elsewhere,
            f.name_one_word & f.name_adds & (cover >= COVER_CUTS["all"]),
            cover >= COVER_CUTS["all"],
            ~f.name_adds & (cover >= SHORTER_COVER),
            *(cover >= COVER_CUTS[level] for level in ("cover90", "cover75", "cover50")),
        ],
        "name_at_domain": [
            at_domain,
            f.name_exact,
            *(sim >= cut for cut in DOMAIN_NAME_CUTS.values()),
            ~f.domain_exact | (owners > 1) | f.name_elsewhere,
        ],
        "acronym": [f.acronym & f.country_agree, f.acronym],
        "name_generic": [agrees_by_name & f.name_generic],
        "legal_form": [f.legal_agree, f.legal_conflict],
        "country": [f.country_agree, f.country_conflict],
        "city": [f.city_agree],
        "phone": [f.phone_agree],
        "candidates": [
            count == 1,
            count == 2,
            count <= FEW_CANDIDATES,
            count <= SOME_CANDIDATES,
        ],
    }


def choose_levels(features: Features) -> dict[str, IntArray]:
    """Per comparison, the level each pair falls in (an index into ``LEVELS[comparison]``)."""
    n = len(features.lead)
    levels: dict[str, IntArray] = {}
    for comparison, conditions in _conditions(features).items():
        # The first condition that holds picks the level: assign from the last to the first.
        chosen = np.full(n, len(LEVELS[comparison]) - 1, dtype=np.int64)
        for position in range(len(conditions) - 1, -1, -1):
            chosen[conditions[position]] = position
        levels[comparison] = chosen
    return levels


def totals(levels: dict[str, IntArray], weights: Weights) -> FloatArray:
    """The summed weight (prior included) of pairs in the given levels."""
    n = len(next(iter(levels.values()))) if levels else 0
    total = np.full(n, weights.prior, dtype=np.float64)
    for comparison, names in LEVELS.items():
        table: dict[str, float] = getattr(weights, comparison)
        total += np.array([table[level] for level in names], dtype=np.float64)[levels[comparison]]
    return total


def rival_gap(lead: IntArray, group: IntArray, raw: FloatArray, floor: float) -> FloatArray:
    """Per pair, how far its score is ahead of the best pair of the same lead in another
    company group, or of ``floor`` (the prior: a pair without evidence) where that is higher;
    clipped to ±:data:`GAP_CAP`.

    The same name similarity means more in an index where nothing else comes close than in a
    crowded one (a lead among 93 patent applicants, or among 20,000 universities half of
    which are "University of ..."): the gap is what the user's own index says about it,
    without labels."""
    n = len(lead)
    if n == 0:
        return np.zeros(0)
    if (lead[1:] < lead[:-1]).any():  # candidate pairs come sorted by lead; others are sorted
        order = lead.argsort(kind="stable")
        out = np.empty(n)
        out[order] = rival_gap(lead[order], group[order], raw[order], floor)
        return out
    starts = first_of_groups(lead).nonzero()[0]
    sizes = np.diff(np.append(starts, n))
    top = np.maximum.reduceat(raw, starts).repeat(sizes)
    # The group of each lead's best pair (the first, where several tie: then the gap of every
    # tied pair is 0 whichever is taken), and the best pair of any other group.
    run = np.arange(len(starts), dtype=np.int64).repeat(sizes)
    hits = (raw == top).nonzero()[0]
    top_group = group[hits[first_of_groups(run[hits])]].repeat(sizes)
    mine = group == top_group
    runner = np.maximum.reduceat(np.where(mine, -np.inf, raw), starts).repeat(sizes)
    rival = np.maximum(np.where(mine, runner, top), floor)
    return np.clip(raw - rival, -GAP_CAP, GAP_CAP)


def score(features: Features, weights: Weights, group: IntArray) -> Scores:
    """Levels, summed log2 weight and probability of every candidate pair (``group``: the
    company group of each pair's account)."""
    levels = choose_levels(features)
    raw = totals(levels, weights)
    gap = rival_gap(features.lead, group, raw, weights.prior)
    total = raw + weights.gap * gap
    alone = raw + weights.gap * np.clip(raw - weights.prior, -GAP_CAP, GAP_CAP)
    return Scores(
        levels=levels,
        total=total,
        probability=probability(total, weights),
        raw=raw,
        gap=gap,
        alone=probability(alone, weights),
    )


def probability(total: FloatArray, weights: Weights) -> FloatArray:
    """The confidence of summed weights: calibrated where the weights carry a calibration."""
    if weights.calibration:
        xs, ys = np.array(weights.calibration, dtype=np.float64).T
        return np.asarray(np.interp(total, xs, ys), dtype=np.float64)
    return 1.0 / (1.0 + np.exp2(-total))
