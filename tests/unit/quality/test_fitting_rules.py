"""The rules of fitting, each pinned by a number worked out by hand on a tiny input: the
isotonic steps of a calibration, EM's smoothed ``log2(m / u)``, which leads fit, calibrate and
measure, and the thresholds ``for_precision`` picks. A test here fails when one rule changes,
however little the change moves the figures of a large fit."""

from __future__ import annotations

import logging
import math
from typing import Any

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
from leadmatch.quality import fitting
from leadmatch.quality.fitting import Fit, PairLevels, calibration, fit_weights_em

# --- calibration: pool adjacent violators, then steps of too few leads merged -------------


def test_calibration_pools_falling_and_equal_steps_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # Six scored leads, one per total; no step too small to stand (a minimum of 1 lead), so
    # the points are the pool-adjacent-violators fit itself:
    #   -2: 1/1 = 1;  -1: 0/1 = 0 falls below 1: pool -> 1/2;  0: 0/1 = 0 falls below 1/2:
    #   pool -> 1/3;  1: 1/1 = 1 rises: new step;  2: 1/1 = 1 equals 1: pool -> 2/2;
    #   3: 1/1 equals 1: pool -> 3/3.
    # Steps: totals -2..0 with 1 right of 3, totals 1..3 with 3 right of 3. Each share with
    # half a right and half a wrong lead added: (1 + 0.5) / (3 + 1) = 0.375 and
    # (3 + 0.5) / (3 + 1) = 0.875, at each step's smallest and largest total.
    monkeypatch.setattr(fitting, "CALIBRATION_MIN_LEADS", 1)
    total = np.array([0.0, -2.0, 3.0, -1.0, 2.0, 1.0])  # unsorted: the calibration sorts
    right = np.array([False, True, True, False, True, True])
    assert calibration(total, right) == ((-2.0, 0.375), (0.0, 0.375), (1.0, 0.875), (3.0, 0.875))


def test_calibration_merges_steps_of_fewer_than_20_leads() -> None:
    # The same six leads at the shipped minimum of 20 leads a step: both steps are too small
    # and merge into one, 4 right of 6: (4 + 0.5) / (6 + 1) = 0.642857 (rounded to 6 places).
    total = np.array([0.0, -2.0, 3.0, -1.0, 2.0, 1.0])
    right = np.array([False, True, True, False, True, True])
    assert calibration(total, right) == ((-2.0, 0.642857), (3.0, 0.642857))


def test_a_small_step_merges_into_its_nearest_neighbour_in_share() -> None:
    # 45 leads: 20 at total 0 (2 right: 0.1), 5 at total 1 (3 right: 0.6), 20 at total 2
    # (14 right: 0.7). The shares rise, so pool adjacent violators keeps three steps; the middle
    # one holds 5 leads (< 20) and is 0.1 from its right neighbour, 0.5 from its left one: it
    # joins the right one, 17 right of 25. Shares: (2 + 0.5) / 21 = 0.119048 and
    # (17 + 0.5) / 26 = 0.673077. (Merged left instead: 5/25 and 14/20, 0.211538 and 0.690476.)
    total = np.repeat([0.0, 1.0, 2.0], [20, 5, 20])
    right = np.repeat([True, False, True, False, True, False], [2, 18, 3, 2, 14, 6])
    assert calibration(total, right) == ((0.0, 0.119048), (1.0, 0.673077), (2.0, 0.673077))


def test_a_calibration_with_too_many_steps_merges_the_closest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Steps 0/1 (total 0), 1/3 (total 1), 1/1 (total 2), at most 2 points: the shares 0, 1/3
    # and 1 are 1/3 and 2/3 apart, the closer pair merges: 1 right of 4, then 1 of 1:
    # (1 + 0.5) / (4 + 1) = 0.3 and (1 + 0.5) / (1 + 1) = 0.75. (The other pair merged:
    # 0/1 and 2/4, 0.25 and 0.5.)
    monkeypatch.setattr(fitting, "CALIBRATION_MIN_LEADS", 1)
    monkeypatch.setattr(fitting, "CALIBRATION_POINTS", 2)
    total = np.array([0.0, 1.0, 1.0, 1.0, 2.0])
    right = np.array([False, True, False, False, True])
    assert calibration(total, right) == ((0.0, 0.3), (1.0, 0.3), (2.0, 0.75))


def test_too_many_steps_merge_the_closest_pair_wherever_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Steps 0/1 (total 0), 2/3 (total 1), 1/1 (total 2), at most 2 points: the shares 0, 2/3
    # and 1 are 2/3 and 1/3 apart, so the second pair merges: 0 of 1, then 3 right of 4:
    # (0 + 0.5) / 2 = 0.25 and (3 + 0.5) / 5 = 0.7. (The first pair merged: 0.5 and 0.75.)
    monkeypatch.setattr(fitting, "CALIBRATION_MIN_LEADS", 1)
    monkeypatch.setattr(fitting, "CALIBRATION_POINTS", 2)
    total = np.array([0.0, 1.0, 1.0, 1.0, 2.0])
    right = np.array([False, True, True, False, True])
    assert calibration(total, right) == ((0.0, 0.25), (1.0, 0.7), (2.0, 0.7))


def test_a_small_last_step_merges_into_the_one_before() -> None:
    # 20 leads at total 0 (2 right), 5 at total 1 (4 right): the shares rise; the last step is
    # too small and has no right neighbour: 6 right of 25, (6 + 0.5) / 26 = 0.25.
    total = np.repeat([0.0, 1.0], [20, 5])
    right = np.repeat([True, False, True, False], [2, 18, 4, 1])
    assert calibration(total, right) == ((0.0, 0.25), (1.0, 0.25))


def test_a_small_step_nearer_its_left_neighbour_merges_left() -> None:
    # Shares 2/20 = 0.1, 2/5 = 0.4, 18/20 = 0.9: the middle step is 0.3 from the left one and
    # 0.5 from the right one: 4 right of 25, 4.5 / 26 = 0.173077; then 18.5 / 21 = 0.880952.
    # (Merged right: 2.5 / 21 = 0.119048 and 20.5 / 26 = 0.788462.)
    total = np.repeat([0.0, 1.0, 2.0], [20, 5, 20])
    right = np.repeat([True, False, True, False, True, False], [2, 18, 2, 3, 18, 2])
    assert calibration(total, right) == ((0.0, 0.173077), (1.0, 0.173077), (2.0, 0.880952))


def test_a_small_step_halfway_between_its_neighbours_merges_left() -> None:
    # Shares 5/20 = 0.25, 2/4 = 0.5, 15/20 = 0.75: exactly as far from either (binary
    # fractions, no rounding): the tie goes left, 7 right of 24: 7.5 / 25 = 0.3; then
    # 15.5 / 21 = 0.738095. (Merged right: 0.261905 and 0.7.)
    total = np.repeat([0.0, 1.0, 2.0], [20, 4, 20])
    right = np.repeat([True, False, True, False, True, False], [5, 15, 2, 2, 15, 5])
    assert calibration(total, right) == ((0.0, 0.3), (1.0, 0.3), (2.0, 0.738095))


def test_a_falling_step_is_pooled_by_its_share_not_its_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Total 0: 1 right of 2 (0.5); total 1: 1 right of 4 (0.25), a fall: pooled, 2 of 6,
    # 2.5 / 7 = 0.357143. (Unpooled, the steps would read 0.5 and 0.3, shown as 0.5 twice.)
    monkeypatch.setattr(fitting, "CALIBRATION_MIN_LEADS", 1)
    total = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    right = np.array([True, False, True, False, False, False])
    assert calibration(total, right) == ((0.0, 0.357143), (1.0, 0.357143))


def test_leads_at_one_total_are_one_step_in_any_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # Total 0: 0 of 1; total 1: 1 of 2 (a wrong lead first, then a right one, which must not
    # read as a rise within the total): 0.5 / 2 = 0.25 and 1.5 / 3 = 0.5.
    monkeypatch.setattr(fitting, "CALIBRATION_MIN_LEADS", 1)
    total = np.array([0.0, 1.0, 1.0])
    right = np.array([False, False, True])
    assert calibration(total, right) == ((0.0, 0.25), (1.0, 0.5))


def test_calibration_edges_are_rounded_to_6_places(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fitting, "CALIBRATION_MIN_LEADS", 1)
    total = np.array([0.1234567, 2.7182818])
    right = np.array([False, True])
    assert calibration(total, right) == ((0.123457, 0.25), (2.718282, 0.75))


# --- EM: smoothed log2(m / u) -------------------------------------------------------------

AGREE, CONFLICT, UNKNOWN = 0, 1, 2  # LEVELS["country"]


def test_one_em_step_is_the_smoothed_log_ratio_by_hand() -> None:
    # Four pairs that differ in the country only. The start reads agree as log2(3) bits, conflict
    # as -log2(3) and the prior as 0, without a calibration: a pair's chance of being a match
    # (EM's posterior) is 1 / (1 + 2 ** -score): agree 3/4, conflict 1/4, unknown 1/2.
    levels = {c: np.full(4, LEVELS[c].index(NEUTRAL[c]), dtype=np.int64) for c in LEVELS}
    levels["country"] = np.array([AGREE, AGREE, CONFLICT, UNKNOWN], dtype=np.int64)
    third = math.log2(3)
    start = Weights(
        prior=0.0,
        country={"agree": third, "conflict": -third, "unknown": 0.0},
        calibration=(),
    )
    fitted = fit_weights_em(PairLevels(levels, np.zeros(4, dtype=bool)), start, iterations=1)
    # Posterior mass per level (agree, conflict, unknown), plus 0.5 smoothing each:
    #   m = (3/4 + 3/4, 1/4, 1/2) + 0.5 = (2.0, 0.75, 1.0)
    #   u = (1/4 + 1/4, 3/4, 1/2) + 0.5 = (1.0, 1.25, 1.0)
    # log2(m / u) against unknown's (log2(1 / 1) = 0; the sums cancel out):
    #   agree log2(2 / 1) = 1, conflict log2(0.75 / 1.25) = log2(0.6) = -0.737.
    assert dict(fitted.country) == {"agree": 1.0, "conflict": -0.737, "unknown": 0.0}
    # legal_form, every pair at unknown: m = (0.5, 0.5, 2.25 + 0.5), u = (0.5, 0.5, 1.75 + 0.5);
    # a level never seen weighs log2(0.5 / 0.5) - log2(2.75 / 2.25) = log2(9 / 11) = -0.2895;
    # agree cannot weigh less than unknown (0): it is pooled up to 0, conflict may.
    assert dict(fitted.legal_form) == {"agree": 0.0, "conflict": -0.2895, "unknown": 0.0}
    assert dict(fitted.city) == {"agree": 0.0, "unknown": 0.0}
    # Only the EM comparisons move; the prior is the start's.
    assert fitted.prior == 0.0
    assert dict(fitted.name) == dict(start.name)


# --- fit: which leads fit, calibrate and measure -------------------------------------------

COMPANIES = ["Acme Robotics", "Globex Logistics", "Initech Software", "Umbrella Pharma",
             "Hooli Search", "Stark Turbines", "Wayne Foundries", "Wonka Confections",
             "Soylent Nutrition", "Tyrell Genetics"]  # fmt: skip
#: Each company twice, in the US and in Germany: every lead has 2 candidates, one right.
ACCOUNTS = [
    {"account_id": f"{country}{k}", "name": name, "country": country}
    for k, name in enumerate(COMPANIES)
    for country in ("US", "DE")
]
#: Leads that name a company of the index but belong to none of its accounts (both of them
#: fitting leads at either holdout below).
NO_ACCOUNT = ("L10", "L27")


@pytest.fixture(scope="module")
def tiny() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


def _leads(labelled: bool) -> list[dict[str, str]]:
    """L00..L39: lead ``j`` gives the name and country of account ``j % 20``."""
    leads = []
    for j in range(40):
        account = ACCOUNTS[j % 20]
        lead = {"lead_id": f"L{j:02d}", "company": account["name"], "country": account["country"]}
        if labelled:
            lead["true_account_id"] = "" if lead["lead_id"] in NO_ACCOUNT else account["account_id"]
        leads.append(lead)
    return leads


def _truth() -> dict[str, frozenset[str]]:
    return {lead["lead_id"]: frozenset({lead["true_account_id"]} - {""}) for lead in _leads(True)}


@pytest.mark.parametrize(
    ("holdout", "pairs", "measured", "share"),
    [
        # A hash of the id splits the leads, the same way on every machine. Held apart at 0.25:
        # L01 L03 L08 L17 L23 L26 L33 L34 L36 (the other 31 fit: 62 pairs); of these, L01 L17
        # L33 L34 calibrate (4 right of 4: (4 + 0.5) / (4 + 1) = 0.9), the other 5 measure.
        (0.25, 62, 5, 0.9),
        # At 0.75, 12 leads fit (24 pairs), 10 calibrate (L01 L04 L09 L13 L17 L20 L28 L33 L34
        # L39, 10 right: 10.5 / 11 = 0.954545), 18 measure. The fitting leads hold both leads
        # of no account: calibrated on them it would be 10 right of 12, 10.5 / 13 = 0.807692.
        (0.75, 24, 18, 0.954545),
    ],
)
def test_fit_splits_leads_by_holdout_and_calibrates_on_the_held_apart_ones(
    tiny: AccountIndex, holdout: float, pairs: int, measured: int, share: float
) -> None:
    result = fit(tiny, _leads(True), _truth(), holdout=holdout)
    assert result.pairs == pairs
    assert result.before is not None and result.after is not None
    assert (result.before.leads, result.after.leads) == (measured, measured)
    assert not result.kept
    # Fewer than 20 calibrating leads: one step, whatever their totals.
    assert {p for _, p in result.config.weights.calibration} == {share}
    assert result.after.f1 == 1.0


# --- EM end to end: no labels anywhere -----------------------------------------------------


def test_em_fits_leads_without_labels_end_to_end(tiny: AccountIndex) -> None:
    given = MatchConfig()
    result = fit(tiny, _leads(False), None, given, method="em")
    assert result.pairs == 80  # 40 leads, 2 candidates each
    assert (result.before, result.after, result.kept) == (None, None, False)
    assert result.report() == "fitted on 80 candidate pairs; no labels: fitted without evaluation"
    with pytest.raises(InvalidInputError, match="no labelled leads"):
        result.for_precision(0.9)  # no precision over zero labelled leads
    weights = result.config.weights
    # Each lead agrees in country with one candidate and conflicts with the other; the one
    # that agrees is the likelier match: agreement is evidence, a conflict never is.
    assert weights.country["agree"] > 1.0
    assert weights.country["conflict"] <= weights.country["unknown"] == 0.0
    assert weights.falling() == []
    # Names and domains keep the given (jointly fitted) weights, and so do the prior, the gap
    # and the calibration.
    for kept in ("domain", "domain_owners", "name", "name_cover", "candidates"):
        assert dict(getattr(weights, kept)) == dict(getattr(given.weights, kept)), kept
    assert weights.domain["exact"] > weights.domain["conflict"]
    assert (weights.prior, weights.gap, weights.calibration) == (
        given.weights.prior,
        given.weights.gap,
        given.weights.calibration,
    )


def test_em_never_reads_labels(tiny: AccountIndex) -> None:
    unlabelled = fit(tiny, _leads(False), None, method="em")
    # The same leads with a true_account_id column, or a truth of no accounts: the same fit.
    assert fit(tiny, _leads(True), None, method="em").config == unlabelled.config
    nothing = {lead["lead_id"]: frozenset[str]() for lead in _leads(False)}
    assert fit(tiny, _leads(False), nothing, method="em").config == unlabelled.config
    # Labels given: refused, not used.
    with pytest.raises(InvalidInputError, match="method 'labels'"):
        fit(tiny, _leads(True), _truth(), method="em")


# --- for_precision --------------------------------------------------------------------------


def _figures() -> Any:
    """Five held-apart leads, each with account A, ranked by confidence: 0.95 wrong, 0.90
    right, 0.80 right, 0.70 wrong, 0.50 right."""
    rows = [
        {"lead_id": f"L{k}", "account_id": candidate, "candidate_id": candidate,
         "confidence": confidence, "decision": "matched"}
        for k, (confidence, candidate) in enumerate(
            [(0.95, "X"), (0.90, "A"), (0.80, "A"), (0.70, "X"), (0.50, "A")]
        )
    ]  # fmt: skip
    return evaluate(rows, {f"L{k}": frozenset({"A"}) for k in range(5)})


def test_the_precision_curve_of_the_five_leads() -> None:
    precision, _, thresholds = _figures().curve
    # 0/1, 1/2, 2/3, 2/4, 3/5 at or above each confidence.
    assert precision == pytest.approx([0.0, 0.5, 2 / 3, 0.5, 0.6])
    assert thresholds == pytest.approx([0.95, 0.90, 0.80, 0.70, 0.50])


@pytest.mark.parametrize(
    ("given", "target", "expected"),
    [
        # Precision 0.6 or more at 0.80 (2/3) and 0.50 (3/5): the lowest, 0.50; the review
        # threshold (0.6) would exceed it and comes down with it.
        ((0.9, 0.6), 0.6, (0.5, 0.5)),
        # Only 0.80 (2/3) reaches 0.65; the review threshold stays.
        ((0.9, 0.6), 0.65, (0.8, 0.6)),
        # A threshold of 0.75 matches the same leads as 0.80 (none between 0.70 and 0.80):
        # the config's own is kept.
        ((0.75, 0.6), 0.65, (0.75, 0.6)),
    ],
)
def test_fit_for_precision_takes_the_lowest_threshold_that_reaches_it(
    given: tuple[float, float], target: float, expected: tuple[float, float]
) -> None:
    config = MatchConfig(match_threshold=given[0], review_threshold=given[1])
    chosen = Fit(config=config, before=None, after=_figures(), pairs=0).for_precision(target)
    assert (chosen.match_threshold, chosen.review_threshold) == expected
    MatchConfig.model_validate(chosen.model_dump())  # a valid config: review <= match


def test_fit_for_precision_reports_a_target_no_threshold_reaches() -> None:
    figures = _figures()
    result = Fit(config=MatchConfig(), before=None, after=figures, pairs=0)
    with pytest.raises(InvalidInputError, match=r"reaches precision 0\.7 .*best is 0\.6667"):
        result.for_precision(0.7)
    for outside in (0.0, 1.5, float("nan")):
        with pytest.raises(ConfigError):
            result.for_precision(outside)
    # Where the fit kept the config given, the figures are the given config's (``before``).
    perfect = evaluate(
        [{"lead_id": "L0", "account_id": "A", "candidate_id": "A", "confidence": 0.9,
          "decision": "matched"}],
        {"L0": frozenset({"A"})},
    )  # fmt: skip
    kept = Fit(config=MatchConfig(), before=figures, after=perfect, pairs=0, kept=True)
    with pytest.raises(InvalidInputError, match=r"best is 0\.6667"):
        kept.for_precision(0.7)


@pytest.mark.parametrize(
    ("target", "expected"),
    [(0.95, (0.95, 0.6)), (0.6, (0.6, 0.6)), (0.5, (0.5, 0.5)), (1.0, (1.0, 0.6))],
)
def test_match_config_for_precision_sets_the_threshold_and_never_leaves_review_above_it(
    target: float, expected: tuple[float, float]
) -> None:
    chosen = MatchConfig(match_threshold=0.9, review_threshold=0.6).for_precision(target)
    assert (chosen.match_threshold, chosen.review_threshold) == expected
    MatchConfig.model_validate(chosen.model_dump())


@pytest.mark.parametrize("target", [0.0, -0.1, 1.01, 1.5, float("nan")])
def test_match_config_for_precision_refuses_an_unreachable_target(target: float) -> None:
    with pytest.raises(ConfigError, match="target precision"):
        MatchConfig().for_precision(target)


def test_match_config_for_precision_warns_on_uncalibrated_weights(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="leadmatch"):
        MatchConfig().for_precision(0.95)  # the shipped weights carry a calibration
        assert caplog.records == []
        MatchConfig(weights=Weights(calibration=())).for_precision(0.95)
    assert "uncalibrated" in caplog.text
