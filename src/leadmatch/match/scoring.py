"""Confidence: each comparison picks one level per pair; level weights add up to log2 odds.

This is the Fellegi–Sunter model as splink uses it: a comparison is an ordered list of levels,
the first whose condition holds applies, and its weight is ``log2(m / u)`` — how much likelier the
observed agreement is among true pairs than among false ones. Summing weights assumes the
comparisons are independent given match status; the levels are cut so that the strongest
overlaps (exact name vs. very similar name) live inside one comparison rather than two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray
from leadmatch.config import LEVELS, Weights
from leadmatch.match.features import Features

#: Similarity cut-offs of the name comparison levels (see ``Weights.name``).
NAME_CUTS = {"very_similar": 0.92, "similar": 0.82, "related": 0.65, "weak": 0.45}


@dataclass(frozen=True)
class Scores:
    """Per pair: the level index chosen in each comparison, the summed weight, the probability."""

    levels: dict[str, IntArray]
    total: FloatArray
    probability: FloatArray


def _conditions(f: Features) -> dict[str, list[BoolArray]]:
    """For each comparison, one condition per level of ``LEVELS`` but the last (the fallback)."""
    sim = f.name_sim
    agrees_by_name = f.name_exact | (sim >= NAME_CUTS["similar"])
    return {
        "domain": [f.domain_exact, f.domain_family, f.domain_brand, f.domain_conflict],
        "name": [
            f.name_missing,
            f.name_exact,
            sim >= NAME_CUTS["very_similar"],
            sim >= NAME_CUTS["similar"],
            f.acronym,
            sim >= NAME_CUTS["related"],
            sim >= NAME_CUTS["weak"],
        ],
        "name_generic": [agrees_by_name & f.name_generic],
        "legal_form": [f.legal_agree, f.legal_conflict],
        "country": [f.country_agree, f.country_conflict],
        "city": [f.city_agree],
        "phone": [f.phone_agree],
    }


def score(features: Features, weights: Weights) -> Scores:
    """Levels, summed log2 weight and probability of every candidate pair."""
    n = len(features.lead)
    total = np.full(n, weights.prior, dtype=np.float64)
    levels: dict[str, IntArray] = {}
    for comparison, conditions in _conditions(features).items():
        names = LEVELS[comparison]
        # The first condition that holds picks the level: assign from the last to the first.
        chosen = np.full(n, len(names) - 1, dtype=np.int64)
        for position in range(len(conditions) - 1, -1, -1):
            chosen[conditions[position]] = position
        table: dict[str, float] = getattr(weights, comparison)
        level_weights = np.array([table[level] for level in names], dtype=np.float64)
        total += level_weights[chosen]
        levels[comparison] = chosen
    return Scores(levels=levels, total=total, probability=probability(total, weights))


def probability(total: FloatArray, weights: Weights) -> FloatArray:
    """The confidence of summed weights: calibrated where the weights carry a calibration."""
    if weights.calibration:
        xs, ys = np.array(weights.calibration, dtype=np.float64).T
        return np.asarray(np.interp(total, xs, ys), dtype=np.float64)
    return 1.0 / (1.0 + np.exp2(-total))
