"""How good the matching is, and how to make it better: :mod:`evaluation` (precision, recall,
calibration and errors by cause against known answers) and :mod:`fitting` (weights and
calibration from labelled leads)."""

from leadmatch.quality.evaluation import Evaluation, ReliabilityBin, evaluate, truth_from_rows
from leadmatch.quality.fitting import (
    Fit,
    PairLevels,
    calibration,
    fit,
    fit_weights,
    fit_weights_em,
    pair_levels,
)

__all__ = [
    "Evaluation",
    "Fit",
    "PairLevels",
    "ReliabilityBin",
    "calibration",
    "evaluate",
    "fit",
    "fit_weights",
    "fit_weights_em",
    "pair_levels",
    "truth_from_rows",
]
