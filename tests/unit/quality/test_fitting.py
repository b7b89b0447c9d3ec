"""Fitting and calibrating the confidence model: by hand, against references, end to end."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadmatch import (
    AccountIndex,
    ConfigError,
    InvalidInputError,
    MatchConfig,
    Weights,
    evaluate,
    fit,
    truth_from_rows,
)
from leadmatch.cli import main
from leadmatch.config import LEVELS
from leadmatch.io.columns import open_text, read_csv
from leadmatch.match.scoring import probability
from leadmatch.quality.fitting import (
    CALIBRATION_MIN_LEADS,
    SMOOTHING,
    PairLevels,
    calibration,
    fit_weights,
    fit_weights_em,
)

SYNTH = Path(__file__).resolve().parents[3] / "benchmarks" / "synth.py"
CRMs = dict[str, tuple[AccountIndex, list[dict[str, str]]]]


def _pairs(country: list[int], match: list[bool]) -> PairLevels:
    """Pairs that differ only in the country comparison (every other comparison: level 0)."""
    levels = {c: np.zeros(len(match), dtype=np.int64) for c in LEVELS}
    levels["country"] = np.array(country, dtype=np.int64)
    return PairLevels(levels=levels, match=np.array(match, dtype=bool))


def test_weights_from_labels_are_smoothed_log2_ratios() -> None:
    # Matches: agree 8, unknown 2; non-matches: agree 2, conflict 6, unknown 2.
    country = [0] * 8 + [2] * 2 + [0] * 2 + [1] * 6 + [2] * 2
    pairs = _pairs(country, [True] * 10 + [False] * 10)
    weights = fit_weights(pairs)
    m = np.array([8, 0, 2]) + SMOOTHING
    u = np.array([2, 6, 2]) + SMOOTHING
    expected = np.log2((m / m.sum()) / (u / u.sum()))
    assert [weights.country[k] for k in LEVELS["country"]] == pytest.approx(expected, abs=1e-4)
    assert weights.prior == pytest.approx(0.0)  # half the pairs are matches
    assert weights.calibration == ()


def test_weights_need_both_kinds_of_pair() -> None:
    with pytest.raises(InvalidInputError, match="both kinds"):
        fit_weights(_pairs([0, 1], [True, True]))


def test_em_recovers_the_weights_that_generated_the_pairs() -> None:
    rng = np.random.default_rng(3)
    n, share = 40_000, 0.2
    match = rng.random(n) < share
    m = {"country": [0.85, 0.05, 0.10], "legal_form": [0.6, 0.1, 0.3], "city": [0.7, 0.3]}
    u = {"country": [0.25, 0.55, 0.20], "legal_form": [0.15, 0.45, 0.40], "city": [0.05, 0.95]}
    levels = {c: np.zeros(n, dtype=np.int64) for c in LEVELS}
    for comparison in m:
        for rows, table in ((match, m), (~match, u)):
            levels[comparison][rows] = rng.choice(
                len(table[comparison]), size=int(rows.sum()), p=table[comparison]
            )
    start = Weights(country={"agree": 1.0, "conflict": -1.0, "unknown": 0.0})
    fitted = fit_weights_em(PairLevels(levels, match), start, iterations=200)
    for comparison in m:
        true = np.log2(np.array(m[comparison]) / np.array(u[comparison]))
        got = [getattr(fitted, comparison)[k] for k in LEVELS[comparison]]
        assert got == pytest.approx(true, abs=0.35), comparison


def _slow_isotonic(x: list[float], y: list[float]) -> list[tuple[list[float], float]]:
    """Pool adjacent violators, one distinct x at a time: (the block's totals, its mean)."""
    blocks: list[tuple[list[float], list[float]]] = []
    for value in sorted(set(x)):
        blocks.append(([a for a in x if a == value], [b for a, b in zip(x, y) if a == value]))
        while len(blocks) > 1 and np.mean(blocks[-2][1]) >= np.mean(blocks[-1][1]):
            xs, ys = blocks.pop()
            blocks[-1] = (blocks[-1][0] + xs, blocks[-1][1] + ys)
    return [(xs, float(np.mean(ys))) for xs, ys in blocks]


@given(st.lists(st.tuples(st.integers(-40, 40), st.booleans()), min_size=1, max_size=300))
def test_calibration_is_the_isotonic_fit_and_never_falls(data: list[tuple[int, bool]]) -> None:
    x = np.array([a / 4 for a, _ in data])
    y = np.array([b for _, b in data])
    points = calibration(x, y)
    xs, ps = [p[0] for p in points], [p[1] for p in points]
    assert all(b > a for a, b in zip(xs, xs[1:]))
    assert all(b >= a for a, b in zip(ps, ps[1:]))
    assert all(0.0 <= p <= 1.0 for p in ps)
    weights = Weights(calibration=points)  # a valid config
    blocks = _slow_isotonic(x.tolist(), y.astype(float).tolist())
    if all(len(totals) >= CALIBRATION_MIN_LEADS for totals, _ in blocks):
        # No block merged for size: the isotonic fit itself, each block's mean over its totals.
        fitted = probability(x, weights)
        for totals, mean in blocks:
            inside = (x >= min(totals)) & (x <= max(totals))
            assert fitted[inside] == pytest.approx(mean, abs=1e-6)


def test_a_calibration_maps_totals_flat_beyond_its_ends() -> None:
    weights = Weights(calibration=((-2.0, 0.1), (2.0, 0.9)))
    assert probability(np.array([-9.0, -2.0, 0.0, 2.0, 9.0]), weights) == pytest.approx(
        [0.1, 0.1, 0.5, 0.9, 0.9]
    )
    config = MatchConfig(weights=weights)
    assert MatchConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    "points",
    [((0.0, 0.5), (0.0, 0.6)), ((0.0, 0.6), (1.0, 0.5)), ((0.0, 1.5),), ((float("nan"), 0.5),)],
)
def test_a_calibration_that_falls_or_leaves_0_1_is_refused(
    points: tuple[tuple[float, float], ...],
) -> None:
    with pytest.raises(ConfigError):
        Weights(calibration=points)


def _synthetic(folder: Path, seed: int) -> tuple[AccountIndex, list[dict[str, str]]]:
    subprocess.run(
        [sys.executable, str(SYNTH), "--accounts", "3000", "--leads", "9000", "--seed", str(seed),
         "--out", str(folder), "--quiet"],
        check=True,
    )  # fmt: skip
    with open_text(str(folder / "accounts.csv")) as f:
        _, rows = read_csv(f, "account")
        index = AccountIndex.build(list(rows))
    with (folder / "leads.csv").open(encoding="utf-8", newline="") as f:
        return index, list(csv.DictReader(f))


@pytest.fixture(scope="module")
def crms(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[AccountIndex, list[dict[str, str]]]]:
    if not SYNTH.exists():
        pytest.skip("benchmarks/synth.py is not in this tree")
    return {
        name: _synthetic(tmp_path_factory.mktemp(name), seed)
        for name, seed in (("fit", 21), ("unseen", 22))
    }


def test_fitting_on_one_crm_calibrates_the_confidence_on_another(crms: CRMs) -> None:
    index, leads = crms["fit"]
    result = fit(index, leads, truth_from_rows(leads))
    assert result.pairs > len(leads)
    assert result.after.ece <= 0.03
    other, other_leads = crms["unseen"]
    truth = truth_from_rows(other_leads)
    before = evaluate(other.match_many(other_leads), truth)
    after = evaluate(other.with_config(result.config).match_many(other_leads), truth)
    assert after.ece <= 0.03
    assert after.precision >= 0.98 and after.recall >= before.recall - 0.01
    chosen = result.for_precision(0.98)
    assert chosen.match_threshold <= result.config.match_threshold
    at_target = evaluate(other.with_config(chosen).match_many(other_leads), truth)
    assert at_target.precision >= 0.975 and at_target.recall >= after.recall


def test_fitting_refuses_leads_without_truth_or_ids(crms: CRMs) -> None:
    index, leads = crms["fit"]
    truth = truth_from_rows(leads)
    del truth[leads[0]["lead_id"]]
    with pytest.raises(InvalidInputError, match="no truth"):
        fit(index, leads, truth)
    with pytest.raises(InvalidInputError, match="distinct lead_id"):
        fit(index, [*leads, leads[0]], truth_from_rows(leads))


def test_the_cli_fits_and_match_uses_the_result(tmp_path: Path, crms: CRMs) -> None:
    folder = tmp_path / "crm"
    _synthetic(folder, 21)
    config = tmp_path / "fitted.json"
    argv = ["fit", "--accounts", str(folder / "accounts.csv"), "--leads", str(folder / "leads.csv"),
            "--out", str(config), "--precision", "0.98"]  # fmt: skip
    assert main(argv) == 0
    fitted = MatchConfig.from_json(config)
    assert fitted.weights.calibration
    assert json.loads(config.read_text("utf-8"))["match_threshold"] == fitted.match_threshold
    out = tmp_path / "matches.csv"
    assert main(["match", "--accounts", str(folder / "accounts.csv"), "--leads",
                 str(folder / "leads.csv"), "--out", str(out), "--config", str(config),
                 "--quiet"]) == 0  # fmt: skip
    assert out.read_text("utf-8").count("\n") == 9001


@pytest.mark.parametrize("argv", [["--holdout", "0"], ["--holdout", "1.5"], ["--precision", "x"]])
def test_the_cli_refuses_shares_outside_0_1(tmp_path: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--accounts", "a.csv", "--leads", "l.csv", "--out", str(tmp_path / "c.json"),
              *argv])  # fmt: skip
    assert exc.value.code == 2


def test_a_holdout_of_everything_is_a_config_error(crms: CRMs) -> None:
    index, leads = crms["fit"]
    with pytest.raises(ConfigError, match="holdout"):
        fit(index, leads, truth_from_rows(leads), holdout=1.0)


def test_em_needs_an_iteration() -> None:
    with pytest.raises(ConfigError):
        fit_weights_em(_pairs([0, 1], [True, False]), iterations=0)
