"""Small rules of :mod:`leadmatch.quality.fitting` that a mutation run found unchecked: exact
error messages, the bounds of the threshold search, the loss of the gap fit, the EM stopping
rule and start, and the smoothing, clipping and sign of EM's weights. Each expectation is a
literal worked out by hand, so a changed operator or constant fails a test here (issue 20)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from leadmatch import (
    AccountIndex,
    ConfigError,
    InvalidInputError,
    MatchConfig,
    Weights,
    evaluate,
    fit,
)
from leadmatch.config import LEVELS, NEUTRAL
from leadmatch.quality import fitting, regression
from leadmatch.quality.evaluation import Evaluation
from leadmatch.quality.fitting import Fit, PairLevels, fit_weights, fit_weights_em

AGREE, CONFLICT, UNKNOWN = 0, 1, 2  # LEVELS["country"]
THIRD = math.log2(3)  # a score of +-log2(3) bits is a chance of 3/4 or 1/4 without calibration


def _pairs(
    country: list[int],
    match: list[bool] | None = None,
    weight: list[float] | None = None,
    gap: list[float] | None = None,
) -> PairLevels:
    """Pairs that differ only in the country comparison (every other one at its neutral level,
    which weighs 0)."""
    n = len(country)
    levels = {c: np.full(n, LEVELS[c].index(NEUTRAL[c]), dtype=np.int64) for c in LEVELS}
    levels["country"] = np.array(country, dtype=np.int64)
    return PairLevels(
        levels=levels,
        match=np.array(match if match is not None else [False] * n, dtype=bool),
        weight=None if weight is None else np.array(weight, dtype=np.float64),
        gap=None if gap is None else np.array(gap, dtype=np.float64),
    )


def _plain(country: dict[str, float], gap: float = 0.0) -> Weights:
    """Weights that read a score as log2 odds (prior 0, no calibration), with ``country``."""
    return Weights(prior=0.0, country=country, gap=gap, calibration=())


# --- error messages -------------------------------------------------------------------------


@pytest.mark.parametrize("match", [[True, True], [False, False]])
def test_fit_weights_names_both_kinds_of_pair_it_needs(match: list[bool]) -> None:
    with pytest.raises(InvalidInputError) as raised:
        fit_weights(_pairs([AGREE, CONFLICT], match))
    assert str(raised.value) == (
        "fitting needs candidate pairs of both kinds: leads whose right account is among "
        "their candidates, and other candidates"
    )


def test_em_says_it_needs_an_iteration_and_pairs() -> None:
    with pytest.raises(ConfigError) as no_iteration:
        fit_weights_em(_pairs([AGREE]), iterations=0)
    assert str(no_iteration.value) == "EM needs at least one iteration, not 0"
    with pytest.raises(InvalidInputError) as no_pairs:
        fit_weights_em(_pairs([]))
    assert str(no_pairs.value) == "fitting needs candidate pairs"


def test_em_fits_a_single_pair() -> None:
    # One pair is few, but not none: EM runs (it is refused only without pairs).
    base = _plain({"agree": 1.0, "conflict": -1.0, "unknown": 0.0})
    fitted = fit_weights_em(_pairs([AGREE]), base, iterations=1)
    assert fitted.prior == 0.0
    assert dict(fitted.name) == dict(base.name)


def test_for_precision_without_labelled_leads_says_so() -> None:
    unlabelled = Fit(config=MatchConfig(), before=None, after=None, pairs=3)
    with pytest.raises(InvalidInputError) as raised:
        unlabelled.for_precision(0.9)
    assert str(raised.value) == "no labelled leads: no threshold can be chosen for a precision"


# --- _threshold_for: the target's range and the config's own threshold ----------------------


def _one_right_lead() -> Evaluation:
    """One held-apart lead, right, at confidence 0.9: precision 1 at threshold 0.9."""
    rows = [{"lead_id": "L0", "account_id": "A", "candidate_id": "A", "confidence": 0.9,
             "decision": "matched"}]  # fmt: skip
    return evaluate(rows, {"L0": frozenset({"A"})})


def _five_leads() -> Evaluation:
    """Five held-apart leads of account A by confidence: 0.95 wrong, 0.90 right, 0.80 right,
    0.70 wrong, 0.50 right; precision at or above each: 0, 1/2, 2/3, 1/2, 3/5."""
    ranked = [(0.95, "X"), (0.90, "A"), (0.80, "A"), (0.70, "X"), (0.50, "A")]
    rows = [
        {"lead_id": f"L{k}", "account_id": candidate, "candidate_id": candidate,
         "confidence": confidence, "decision": "matched"}
        for k, (confidence, candidate) in enumerate(ranked)
    ]  # fmt: skip
    return evaluate(rows, {f"L{k}": frozenset({"A"}) for k in range(5)})


def _chosen(given: tuple[float, float], figures: Evaluation, target: float) -> tuple[float, float]:
    config = MatchConfig(match_threshold=given[0], review_threshold=given[1])
    chosen = Fit(config=config, before=None, after=figures, pairs=0).for_precision(target)
    return chosen.match_threshold, chosen.review_threshold


def test_a_target_precision_of_exactly_1_is_allowed() -> None:
    # (0, 1] includes 1: the single right lead reaches it at 0.9, the config's own threshold.
    assert _chosen((0.9, 0.6), _one_right_lead(), 1.0) == (0.9, 0.6)


@pytest.mark.parametrize(("target", "shown"), [(0.0, "0.0"), (1.5, "1.5")])
def test_a_target_outside_0_1_is_refused_with_its_value(target: float, shown: str) -> None:
    result = Fit(config=MatchConfig(), before=None, after=_one_right_lead(), pairs=0)
    with pytest.raises(ConfigError) as raised:
        result.for_precision(target)
    assert str(raised.value) == f"target precision must be in (0, 1], not {shown}"


def test_the_config_threshold_is_kept_when_no_confidence_lies_below_the_one_chosen() -> None:
    # 0.9 reaches precision 1 and nothing was scored below it: any threshold in (-inf, 0.9]
    # matches the same lead, so the config's own 0.8 is kept.
    assert _chosen((0.8, 0.6), _one_right_lead(), 0.9) == (0.8, 0.6)


def test_the_config_threshold_at_the_next_lower_confidence_is_not_kept() -> None:
    # Precision 0.65 is first reached at 0.80 (2/3); the next lower confidence is 0.70, and a
    # threshold of exactly 0.70 would match that wrong lead too: 0.80 is chosen, not 0.70.
    assert _chosen((0.7, 0.6), _five_leads(), 0.65) == (0.8, 0.6)


# --- _gap_loss ------------------------------------------------------------------------------


def test_the_gap_loss_is_the_log_loss_plus_half_the_ridge_on_the_slopes() -> None:
    # Columns (intercept, score); beta (0, 2): z = (-2, 2); the pair at z = -2 is wrong, the
    # one at 2 right. Log loss: log(1 + e^-2) - 0 + log(1 + e^2) - 1 * 2 = 2 log(1 + e^-2)
    # = 2 * 0.1269280110 = 0.2538560221; ridge, slopes only: 0.5 * 1e-3 * 2^2 = 0.002.
    x = np.array([[1.0, -1.0], [1.0, 1.0]])
    right = np.array([0.0, 1.0])
    beta = np.array([0.0, 2.0])
    assert fitting._gap_loss(x, right, beta, np.ones(2)) == pytest.approx(0.2558560221, abs=1e-10)
    # The right pair counted three times: its log loss log(1 + e^-2) = 0.1269280110 twice more.
    thrice = fitting._gap_loss(x, right, beta, np.array([1.0, 3.0]))
    assert thrice == pytest.approx(0.2558560221 + 2 * 0.1269280110, abs=1e-9)


# --- fit_weights: started from base ---------------------------------------------------------


def test_fit_weights_starts_from_the_base_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    # With no optimizer step the fit is its start: base's prior and tables, without the
    # calibration (it belongs to the old weights).
    monkeypatch.setattr(regression, "STEPS", 0)
    base = Weights(
        prior=-1.25, country={"agree": 2.5, "conflict": -0.75, "unknown": 0.0}, calibration=()
    )
    fitted = fit_weights(_pairs([AGREE, CONFLICT], [True, False]), base)
    assert fitted.prior == -1.25
    assert dict(fitted.country) == {"agree": 2.5, "conflict": -0.75, "unknown": 0.0}
    assert dict(fitted.name) == dict(base.name)


# --- EM: the gap, the stopping rule, the start ----------------------------------------------


def test_em_adds_the_gap_term_to_the_score() -> None:
    # Every level weighs 0; only the gap term (gap 1.0 times the pair's gap of +-log2(3))
    # moves the score: the agree pair is a match with chance 3/4, the conflict pair 1/4.
    #   m = (3/4, 1/4, 0) + 0.5 = (1.25, 0.75, 0.5), u = (1/4, 3/4, 0) + 0.5 = (0.75, 1.25, 0.5)
    #   agree log2(1.25 / 0.75) = log2(5/3) = 0.737, conflict -0.737, unknown log2(1) = 0.
    # (Subtracting the gap term instead reads them the other way round.)
    base = _plain({"agree": 0.0, "conflict": 0.0, "unknown": 0.0}, gap=1.0)
    pairs = _pairs([AGREE, CONFLICT], gap=[THIRD, -THIRD])
    fitted = fit_weights_em(pairs, base, iterations=1)
    assert dict(fitted.country) == {"agree": 0.737, "conflict": -0.737, "unknown": 0.0}


def _scripted(
    monkeypatch: pytest.MonkeyPatch, posteriors: Iterator[list[float]]
) -> list[PairLevels]:
    """Make EM's confidences the given sequence; the list returned records each call."""
    calls: list[PairLevels] = []

    def confidence(pairs: PairLevels, weights: Weights) -> np.ndarray:
        calls.append(pairs)
        return np.array(next(posteriors), dtype=np.float64)

    monkeypatch.setattr(fitting, "_confidence", confidence)
    return calls


def test_em_stops_once_no_confidence_moves_by_1e_6_or_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Start 0; step 1 moves it by exactly 1e-6 (not less: EM goes on); step 2 by 0: EM stops.
    # Three confidences in all (the start and two steps), of the 10 iterations allowed.
    def moves() -> Iterator[list[float]]:
        yield [0.0]
        while True:
            yield [1e-6]

    calls = _scripted(monkeypatch, moves())
    fit_weights_em(_pairs([AGREE]), Weights(), iterations=10)
    assert len(calls) == 3


def test_em_runs_50_iterations_by_default_when_it_never_settles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def flips() -> Iterator[list[float]]:
        while True:
            yield [0.0]
            yield [1.0]

    calls = _scripted(monkeypatch, flips())
    fit_weights_em(_pairs([AGREE]), Weights())
    assert len(calls) == 1 + 50


ACCOUNTS = [
    {"account_id": f"{country}{k}", "name": name, "country": country}
    for k, name in enumerate(["Acme Robotics", "Globex Logistics", "Initech Software"])
    for country in ("US", "DE")
]


def test_fit_by_em_starts_from_and_keeps_the_config_weights() -> None:
    # An acronym weight no shipped config has: EM does not refit the acronym, so the fitted
    # config keeps it (and the name table) as given.
    index = AccountIndex.build(ACCOUNTS)
    leads = [
        {"lead_id": f"L{k}", "company": a["name"], "country": a["country"]}
        for k, a in enumerate(ACCOUNTS)
    ]
    acronym = {"agree_country": 3.0, "agree": 2.5, "unknown": 0.0}
    given = Weights().model_copy(update={"acronym": acronym})
    config = MatchConfig(weights=given)
    fitted = fit(index, leads, config=config, method="em").config.weights
    assert dict(fitted.acronym) == acronym
    assert dict(fitted.name) == dict(given.name)
    assert fitted.prior == given.prior


# --- _weights: smoothing, pair weights, clipping, sign --------------------------------------


def test_em_weights_count_each_pair_by_its_weight_with_half_a_pair_of_smoothing() -> None:
    # Start: agree 3/4 a match, conflict 1/4, unknown 1/2. The agree and conflict pairs count
    # twice (weight 2), the unknown pair once:
    #   m = (3/4 * 2, 1/4 * 2, 1/2 * 1) + 0.5 = (2.0, 1.0, 1.0)
    #   u = (1/4 * 2, 3/4 * 2, 1/2 * 1) + 0.5 = (1.0, 2.0, 1.0)
    # log2(m / u) against unknown's log2(1 / 1) = 0: agree log2(2) = 1, conflict log2(1/2) = -1.
    base = _plain({"agree": THIRD, "conflict": -THIRD, "unknown": 0.0})
    pairs = _pairs([AGREE, CONFLICT, UNKNOWN], weight=[2.0, 2.0, 1.0])
    fitted = fit_weights_em(pairs, base, iterations=1)
    assert dict(fitted.country) == {"agree": 1.0, "conflict": -1.0, "unknown": 0.0}


def test_em_weights_are_clipped_to_12_bits_either_way() -> None:
    # 4096 pairs' worth at agree, all but certainly matches (30 bits), and as many at conflict,
    # all but certainly not: agree log2((4096 + 0.5) / 0.5) = 13.0 bits, conflict -13.0; both
    # beyond MAX_WEIGHT = 12.
    base = _plain({"agree": 30.0, "conflict": -30.0, "unknown": 0.0})
    pairs = _pairs([AGREE, CONFLICT], weight=[4096.0, 4096.0])
    fitted = fit_weights_em(pairs, base, iterations=1)
    assert dict(fitted.country) == {"agree": 12.0, "conflict": -12.0, "unknown": 0.0}


def test_em_weights_are_never_negative_zero() -> None:
    # A conflict weight of -1e-6 bits: the pair is a match with chance just under 1/2, so its
    # refitted weight is a tiny negative number (about -1e-6) that rounds to -0.0; it is
    # written as 0.0.
    base = _plain({"agree": 0.0, "conflict": -1e-6, "unknown": 0.0})
    fitted = fit_weights_em(_pairs([CONFLICT]), base, iterations=1)
    assert dict(fitted.country) == {"agree": 0.0, "conflict": 0.0, "unknown": 0.0}
    assert math.copysign(1.0, fitted.country["conflict"]) == 1.0
