"""How :func:`leadmatch.fit` carries leads to what it fits, pinned where a mutation run found it
unchecked: the pairs and winners of no leads, of leads without a label and of several sets
joined; the stable split by lead id (also ids that are not valid UTF-8); the gap found on the
calibrating leads, which the shipped weights and their calibration must both use; the
messages; and the gap's regression itself, against a Newton fit written here from the loss's
definition (issue 20)."""

from __future__ import annotations

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
from leadmatch.config import LEVELS
from leadmatch.quality import fitting
from leadmatch.quality.evaluation import Evaluation
from leadmatch.quality.fitting import Fit, PairLevels, pair_levels, winner_scores

#: Each company in the US and in Germany: a lead from the US has a right candidate and a rival.
ACCOUNTS = [
    {"account_id": f"{country}{k}", "name": name, "country": country}
    for k, name in enumerate(["Acme Robotics", "Globex Logistics", "Initech Software"])
    for country in ("US", "DE")
]


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


def _lead(lead_id: str, company: str, country: str = "US") -> dict[str, str]:
    return {"lead_id": lead_id, "company": company, "country": country}


# --- pair_levels and winner_scores ------------------------------------------------------------


def test_no_leads_give_no_pairs_with_every_comparison_and_the_right_types(
    index: AccountIndex,
) -> None:
    pairs = pair_levels(index, [], {}, MatchConfig())
    assert set(pairs.levels) == set(LEVELS)
    assert all(v.dtype == np.int64 and v.shape == (0,) for v in pairs.levels.values())
    assert pairs.match.dtype == bool and pairs.match.shape == (0,)
    assert len(pairs) == 0


def test_no_leads_give_no_winners_of_the_right_types(index: AccountIndex) -> None:
    won = winner_scores(index, [], {}, MatchConfig())
    assert [(str(a.dtype), a.shape) for a in won] == [
        ("float64", (0,)),
        ("bool", (0,)),
        ("float64", (0,)),
        ("float64", (0,)),
    ]


def test_pairs_without_labels_are_all_not_a_match_as_booleans(index: AccountIndex) -> None:
    pairs = pair_levels(index, [_lead("a", "Acme Robotics")], {}, MatchConfig())
    assert len(pairs) == 2  # the US account and its German namesake
    assert pairs.match.dtype == bool and not pairs.match.any()


def test_a_lead_missing_from_the_truth_has_no_right_pair(index: AccountIndex) -> None:
    # Only "a" is labelled; "b" is not in the truth at all: its pairs are not matches (and
    # reading them does not fail).
    leads = [_lead("a", "Acme Robotics"), _lead("b", "Globex Logistics")]
    pairs = pair_levels(index, leads, {"a": frozenset({"US0"})}, MatchConfig())
    assert len(pairs) == 4
    assert pairs.match.dtype == bool and int(pairs.match.sum()) == 1


def test_a_lead_without_candidates_gives_boolean_labels(index: AccountIndex) -> None:
    pairs = pair_levels(index, [_lead("z", "Zzyzx Quarries")], {"z": frozenset()}, MatchConfig())
    assert len(pairs) == 0 and pairs.match.dtype == bool


def test_each_pair_keeps_its_gap_to_the_rival(index: AccountIndex) -> None:
    # The US lead's right account leads its German namesake: the pairs' gaps are not all 0.
    pairs = pair_levels(
        index, [_lead("a", "Acme Robotics")], {"a": frozenset({"US0"})}, MatchConfig()
    )
    assert np.count_nonzero(pairs.gaps()) > 0


def test_the_winner_of_the_first_pair_counts(index: AccountIndex) -> None:
    # The first lead's chosen pair is pair 0 of the batch: it is one of the two winners.
    leads = [_lead("a", "Acme Robotics"), _lead("b", "Globex Logistics", "DE")]
    won = winner_scores(
        index, leads, {"a": frozenset({"US0"}), "b": frozenset({"DE1"})}, MatchConfig()
    )
    assert won.right.tolist() == [True, True]
    assert len(won.total) == len(won.raw) == len(won.gap) == 2


def test_joined_pairs_keep_each_sets_weights_and_gaps() -> None:
    def part(n: int, weight: float, gap: float) -> PairLevels:
        levels = {c: np.zeros(n, dtype=np.int64) for c in LEVELS}
        return PairLevels(levels, np.ones(n, bool), np.full(n, weight), np.full(n, gap))

    joined = PairLevels.joined([part(2, 0.5, 1.25), part(1, 2.0, -0.75)])
    assert joined.weights().tolist() == [0.5, 0.5, 2.0]
    assert joined.gaps().tolist() == [1.25, 1.25, -0.75]
    assert joined.match.tolist() == [True, True, True]


# --- the split by lead id ---------------------------------------------------------------------


def test_the_split_reads_an_id_that_is_not_valid_utf8() -> None:
    # A lone surrogate (from a badly decoded file) cannot be encoded as strict UTF-8; the split
    # still places it, and always on the same side: at share 1 every lead is held apart, at a
    # share of 0 none.
    lone = "lead-\ud800"
    assert fitting._held_apart(lone, 1.0) is True
    assert fitting._held_apart(lone, 0.0) is False
    assert fitting._held_apart(lone, 0.5) == fitting._held_apart(lone, 0.5)


# --- fit: the fitted gap is the one shipped and the one calibrated with ---------------------


def test_the_fitted_gap_is_shipped_and_calibrated_with(
    index: AccountIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fit_weights and fit_gap replaced by stand-ins with recognisable answers: the weights
    # fitted start from the config's, the calibration's scores read the fitted weights (first
    # without, then with the fitted gap), and the config returned carries that gap.
    given = MatchConfig()
    fitted = given.weights.model_copy(update={"prior": -3.125})
    bases: list[Weights | None] = []
    scored_with: list[Weights] = []
    real_winners = fitting.winner_scores

    def fake_fit_weights(pairs: PairLevels, base: Weights | None = None) -> Weights:
        bases.append(base)
        return fitted

    def spy(view: Any, leads: Any, truth: Any, config: MatchConfig) -> Any:
        scored_with.append(config.weights)
        return real_winners(view, leads, truth, config)

    monkeypatch.setattr(fitting, "fit_weights", fake_fit_weights)
    monkeypatch.setattr(fitting, "winner_scores", spy)
    monkeypatch.setattr(fitting, "fit_gap", lambda raw, gap, right: 1.75)
    monkeypatch.setattr(fitting, "evaluate", lambda matches, truth: _figures(True))
    leads = [_lead(f"L{j}", ACCOUNTS[j % 6]["name"], ACCOUNTS[j % 6]["country"]) for j in range(40)]
    truth = {
        lead["lead_id"]: frozenset({ACCOUNTS[j % 6]["account_id"]}) for j, lead in enumerate(leads)
    }
    result = fit(index, leads, truth, given)
    assert bases == [given.weights]
    assert [(w.prior, w.gap) for w in scored_with] == [(-3.125, given.weights.gap), (-3.125, 1.75)]
    assert (result.config.weights.prior, result.config.weights.gap) == (-3.125, 1.75)


def _figures(right: bool) -> Evaluation:
    """One held-apart lead of account A, matched at 0.9: to A (F1 1) or to X (F1 0)."""
    row = {"lead_id": "L0", "account_id": "A" if right else "X", "confidence": 0.9,
           "candidate_id": "A" if right else "X", "decision": "matched"}  # fmt: skip
    return evaluate([row], {"L0": frozenset({"A"})})


# --- messages and bounds ----------------------------------------------------------------------


@pytest.mark.parametrize("holdout", [0.0, 1.0])
def test_a_holdout_of_0_or_1_is_refused(index: AccountIndex, holdout: float) -> None:
    with pytest.raises(
        ConfigError, match=rf"^holdout must be between 0 and 1 \(both excluded\), not {holdout}$"
    ):
        fit(index, [_lead("a", "Acme Robotics")], {"a": frozenset()}, holdout=holdout)


def test_fit_says_when_every_lead_falls_on_one_side(index: AccountIndex) -> None:
    # One lead: it either fits or is held apart, never both.
    with pytest.raises(
        InvalidInputError, match=r"^too few leads to fit on some and calibrate on the others$"
    ):
        fit(index, [_lead("a", "Acme Robotics")], {"a": frozenset({"US0"})})


def test_fit_says_when_the_held_apart_leads_cannot_both_calibrate_and_measure(
    index: AccountIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every lead held apart from fitting but one; of those, every one on the measuring side.
    monkeypatch.setattr(fitting, "_held_apart", lambda lead_id, share: lead_id != "a")
    leads = [_lead("a", "Acme Robotics"), _lead("b", "Globex Logistics")]
    truth = {"a": frozenset({"US0"}), "b": frozenset({"US1"})}
    with pytest.raises(
        InvalidInputError, match=r"^too few leads to fit, calibrate and measure on separate ones$"
    ):
        fit(index, leads, truth)


@pytest.mark.parametrize(
    "leads",
    [
        [_lead("a", "Acme Robotics"), _lead("a", "Globex Logistics")],  # the same id twice
        [{"company": "Acme Robotics", "country": "US"}],  # no id at all
        [_lead("", "Acme Robotics")],  # an empty id
    ],
)
def test_fit_names_the_distinct_lead_id_it_needs(
    index: AccountIndex, leads: list[dict[str, str]]
) -> None:
    with pytest.raises(
        InvalidInputError, match=r"^fitting needs a distinct lead_id on every lead$"
    ):
        fit(index, leads, {"a": frozenset()})


def test_em_refuses_labels_with_the_whole_message(index: AccountIndex) -> None:
    with pytest.raises(InvalidInputError) as raised:
        fit(index, [_lead("a", "Acme Robotics")], {"a": frozenset({"US0"})}, method="em")
    assert str(raised.value) == (
        "method 'em' fits without labels and these leads have some: fit from them "
        "with method 'labels', or give no truth"
    )


def test_fit_by_labels_is_the_default(index: AccountIndex) -> None:
    # Without method, a truth is read: a lead missing from it is reported (EM never reads it).
    with pytest.raises(InvalidInputError, match=r"^1 leads have no truth"):
        fit(
            index, [_lead("a", "Acme Robotics"), _lead("b", "Globex Logistics")], {"a": frozenset()}
        )


def test_the_calibration_of_nothing_says_so() -> None:
    with pytest.raises(InvalidInputError, match=r"^calibration needs scored leads$"):
        fitting.calibration(np.zeros(0), np.zeros(0, bool))


# --- the report -------------------------------------------------------------------------------


def test_a_report_with_figures_before_but_none_after_is_a_report_without_evaluation() -> None:
    half = Fit(MatchConfig(), before=_figures(True), after=None, pairs=1234)
    assert half.report() == "fitted on 1,234 candidate pairs; no labels: fitted without evaluation"


def test_a_report_says_when_the_given_config_was_kept() -> None:
    why = "did worse on the held-apart leads"
    kept = Fit(MatchConfig(), _figures(True), _figures(False), pairs=10, kept=True, why=why)
    lines = kept.report().split("\n")
    assert lines[0] == "fitted on 10 candidate pairs; on the held-apart leads:"
    assert lines[1] == "before:"
    assert lines[-1] == "kept the config given: the fitted one did worse on the held-apart leads"


# --- fit_gap against Newton's method written from the loss ----------------------------------


def _newton(raw: np.ndarray, gap: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The minimum of sum(log(1 + e^z) - y z) + 0.001 / 2 (b1^2 + b2^2), z = b0 + b1 raw + b2
    gap: plain Newton steps from 0, then the gradient checked to be 0 there."""
    x = np.column_stack([np.ones(len(raw)), raw, gap])
    y = right.astype(float)
    ridge = np.array([0.0, 1e-3, 1e-3])
    b = np.zeros(3)
    for _ in range(60):
        p = 1.0 / (1.0 + np.exp(-(x @ b)))
        hessian = x.T @ (x * (p * (1.0 - p))[:, None]) + np.diag(ridge)
        b = b - np.linalg.solve(hessian, x.T @ (p - y) + ridge * b)
    p = 1.0 / (1.0 + np.exp(-(x @ b)))
    assert np.abs(x.T @ (p - y) + ridge * b).max() < 1e-9  # a minimum, not a guess
    return b


def _leads_scored(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """300 leads' scores, gaps and rightness: ``noisy`` (rightness a coin weighted by both),
    ``separable`` (nearly: large slopes) or ``steep`` (nearly separable on a small scale)."""
    rng = np.random.default_rng(1 if kind == "steep" else 7)
    if kind == "steep":
        raw, gap = rng.normal(0.0, 1.0, 300), rng.uniform(0.0, 3.0, 300)
        return raw, gap, raw + 0.3 * gap + rng.normal(0.0, 0.01, 300) > 0.0
    raw = rng.normal(0.0, 3.0 if kind == "separable" else 2.0, 300).round(3)
    gap = rng.uniform(0.0, 3.0, 300).round(3)
    if kind == "separable":
        return raw, gap, raw + 0.5 * gap + rng.normal(0.0, 0.05, 300) > 1.0
    return raw, gap, rng.random(300) < 1.0 / (1.0 + np.exp(0.5 - 1.2 * raw - 0.8 * gap))


def _loss_reads(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    losses: list[float] = []
    loss = fitting._gap_loss

    def counted(x: np.ndarray, y: np.ndarray, beta: np.ndarray, w: np.ndarray) -> float:
        losses.append(loss(x, y, beta, w))
        return losses[-1]

    monkeypatch.setattr(fitting, "_gap_loss", counted)
    return losses


def _rose(losses: list[float]) -> bool:
    """Whether a step was tried that raised the loss (beyond rounding): one halved."""
    return any(later > earlier * (1 + 1e-12) for earlier, later in zip(losses, losses[1:]))


@pytest.mark.parametrize("kind", ["noisy", "separable", "steep"])
@pytest.mark.parametrize("overshoot", [1.0, 3.0])
def test_fit_gap_is_the_ratio_of_the_ridge_logistic_slopes(
    kind: str, overshoot: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, gap, right = _leads_scored(kind)
    b = _newton(raw, gap, right)
    assert 0.0 < b[2] / b[1] < 4.0
    losses = _loss_reads(monkeypatch)
    # Steps three times Newton's overshoot and must be halved to reach the same minimum;
    # Newton's own steps never raise this loss.
    solve = np.linalg.solve
    monkeypatch.setattr(fitting.np.linalg, "solve", lambda a, v: overshoot * solve(a, v))
    assert fitting.fit_gap(raw, gap, right) == round(float(b[2] / b[1]), 4)
    assert _rose(losses) == (overshoot > 1.0)


def test_fit_gap_reads_200_leads_and_no_fewer() -> None:
    raw, gap, right = _leads_scored("noisy")
    assert fitting.fit_gap(raw[:200], gap[:200], right[:200]) == round(
        float((b := _newton(raw[:200], gap[:200], right[:200]))[2] / b[1]), 4
    )
    assert fitting.fit_gap(raw[:199], gap[:199], right[:199]) is None


@pytest.mark.parametrize(("sign", "expected"), [(1.0, 4.0), (-1.0, 0.0)])
def test_fit_gap_is_clipped_to_0_and_4(sign: float, expected: float) -> None:
    # Rightness that follows the gap far more than the score: a ratio above 4, or below 0
    # where a larger gap means a wrong lead; the score still rises with rightness.
    rng = np.random.default_rng(3)
    raw = rng.normal(0.0, 1.0, 300)
    gap = rng.uniform(0.0, 3.0, 300)
    right = rng.random(300) < 1.0 / (1.0 + np.exp(-(0.3 * raw + sign * 3.0 * (gap - 1.5))))
    b = _newton(raw, gap, right)
    assert b[1] > 0 and (b[2] / b[1] > 4.0 if sign > 0 else b[2] / b[1] < 0.0)
    assert fitting.fit_gap(raw, gap, right) == expected
