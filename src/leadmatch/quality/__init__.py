"""How good the matching is, and how to make it better: :mod:`evaluation` (precision, recall,
calibration and errors by cause against known answers) and :mod:`fitting` (weights and
calibration from labelled leads)."""

from leadmatch.quality.evaluation import Evaluation, ReliabilityBin, evaluate, truth_from_rows
from leadmatch.quality.fitting import (
    Fit,
    PairLevels,
    Winners,
    calibration,
    fit,
    fit_gap,
    fit_weights,
    fit_weights_em,
    pair_levels,
    winner_scores,
)

__all__ = [
    "Evaluation",
    "Fit",
    "PairLevels",
    "ReliabilityBin",
    "Winners",
    "calibration",
    "evaluate",
    "fit",
    "fit_gap",
    "fit_weights",
    "fit_weights_em",
    "pair_levels",
    "truth_from_rows",
    "winner_scores",
]
