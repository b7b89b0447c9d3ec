"""Fitting and calibrating the confidence model: by hand, against references, end to end."""

from __future__ import annotations

import csv
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
    Label,
    Labels,
    MatchConfig,
    Weights,
    evaluate,
    fit,
    truth_from_rows,
)
from leadmatch.cli import main
from leadmatch.config import LEVELS, NEUTRAL
from leadmatch.io.columns import open_text, read_csv
from leadmatch.match.scoring import probability
from leadmatch.quality import fitting, regression
from leadmatch.quality.fitting import (
    PairLevels,
    calibration,
    fit_weights,
    fit_weights_em,
)

SYNTH = Path(__file__).resolve().parents[3] / "benchmarks" / "synth.py"
CRMs = dict[str, tuple[AccountIndex, list[dict[str, str]]]]


def _pairs(country: list[int], match: list[bool]) -> PairLevels:
    """Pairs that differ only in the country comparison (every other one at its neutral level,
    which weighs 0)."""
    levels = {c: np.full(len(match), LEVELS[c].index(NEUTRAL[c]), dtype=np.int64) for c in LEVELS}
    levels["country"] = np.array(country, dtype=np.int64)
    return PairLevels(levels=levels, match=np.array(match, dtype=bool))


AGREE, CONFLICT, UNKNOWN = 0, 1, 2  # LEVELS["country"]


def test_weights_from_labels_are_the_logistic_fit_of_the_levels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One comparison, levels seen apart: the fit is each level's log2 odds, the prior that of
    # the neutral level. unknown 20 right / 80 wrong: log2(1/4) = -2; agree 80 / 20: log2(4) =
    # 2, a weight of 2 - (-2) = 4; conflict 5 / 95: log2(5/95) = -4.2479, a weight of -2.2479.
    country = [UNKNOWN] * 100 + [AGREE] * 100 + [CONFLICT] * 100
    match = [True] * 20 + [False] * 80 + [True] * 80 + [False] * 20 + [True] * 5 + [False] * 95
    pairs = _pairs(country, match)
    monkeypatch.setattr(regression, "RIDGE", 0.0)
    weights = fit_weights(pairs)
    assert weights.prior == pytest.approx(-2.0, abs=1e-3)
    assert weights.country["agree"] == pytest.approx(4.0, abs=1e-3)
    assert weights.country["conflict"] == pytest.approx(-2.2479, abs=1e-3)
    assert weights.country["unknown"] == 0.0
    assert weights.calibration == ()
    assert weights.falling() == []
    # The shipped ridge pulls weights a little towards 0, never past it.
    monkeypatch.setattr(regression, "RIDGE", 1e-3)
    shrunk = fit_weights(pairs)
    assert 0.0 < shrunk.country["agree"] < 4.0 - 1e-3
    assert -2.2479 + 1e-3 < shrunk.country["conflict"] < 0.0


def test_more_agreement_never_weighs_less_after_a_fit() -> None:
    # Here agreement is rarer among matches than unknown is (1 in 4 against 1 in 2): a free fit
    # would weigh "agree" below "unknown". The fit pools the two, and "unknown" weighs 0.
    country = [UNKNOWN] * 100 + [AGREE] * 100
    match = [True] * 50 + [False] * 50 + [True] * 25 + [False] * 75
    weights = fit_weights(_pairs(country, match))
    assert weights.country["agree"] == pytest.approx(0.0, abs=1e-6)
    assert weights.country["unknown"] == 0.0
    # Both levels pooled: 75 right of 200, log2(75 / 125) = -0.737.
    assert weights.prior == pytest.approx(-0.737, abs=0.02)


def test_weights_need_both_kinds_of_pair() -> None:
    with pytest.raises(InvalidInputError, match="both kinds"):
        fit_weights(_pairs([0, 1], [True, True]))


def test_em_recovers_the_weights_that_generated_the_pairs() -> None:
    rng = np.random.default_rng(3)
    n, share = 40_000, 0.2
    match = rng.random(n) < share
    m = {"country": [0.85, 0.05, 0.10], "legal_form": [0.6, 0.1, 0.3], "city": [0.7, 0.3]}
    u = {"country": [0.25, 0.55, 0.20], "legal_form": [0.15, 0.45, 0.40], "city": [0.05, 0.95]}
    levels = {c: np.full(n, LEVELS[c].index(NEUTRAL[c]), dtype=np.int64) for c in LEVELS}
    for comparison in m:
        for rows, table in ((match, m), (~match, u)):
            levels[comparison][rows] = rng.choice(
                len(table[comparison]), size=int(rows.sum()), p=table[comparison]
            )
    # EM keeps the prior it is given: here the one that generated the pairs, log2(0.2 / 0.8)
    # plus the neutral levels' log2(m / u): -2 - 1 - 0.415 - 1.663.
    start = Weights(
        prior=-5.078,
        country={"agree": 1.0, "conflict": -1.0, "unknown": 0.0},
        legal_form={"agree": 1.0, "conflict": -1.0, "unknown": 0.0},
        city={"agree": 1.0, "unknown": 0.0},
        calibration=(),
    )
    fitted = fit_weights_em(PairLevels(levels, match), start, iterations=200)
    # log2(m / u), moved so that the neutral level (the last) weighs 0:
    expected = {
        "country": [2.7655, -2.4594, 0.0],  # log2(.85/.25) + 1, log2(.05/.55) + 1, 0
        "legal_form": [2.415, -1.7549, 0.0],
        "city": [5.4696, 0.0],
    }
    for comparison, weights in expected.items():
        got = [getattr(fitted, comparison)[k] for k in LEVELS[comparison]]
        assert got == pytest.approx(weights, abs=0.35), comparison
    assert fitted.prior == start.prior
    assert fitted.falling() == []


def test_em_keeps_neutral_levels_at_0_and_agreement_rising_on_any_pairs() -> None:
    # Pairs where EM alone would read a conflict as evidence (as it did when it was given an
    # empty truth): conflicts among the pairs its start calls likely.
    rng = np.random.default_rng(5)
    n = 5_000
    levels = {c: rng.integers(0, len(LEVELS[c]), size=n) for c in LEVELS}
    fitted = fit_weights_em(PairLevels(levels, np.zeros(n, dtype=bool)), Weights(), iterations=30)
    assert fitted.falling() == []
    assert all(getattr(fitted, c)[NEUTRAL[c]] == 0.0 for c in LEVELS)


def _slow_isotonic(x: list[float], y: list[float]) -> list[tuple[list[float], float]]:
    """Pool adjacent violators, one distinct x at a time: (the block's totals, its share)."""
    blocks: list[tuple[list[float], list[float]]] = []
    for value in sorted(set(x)):
        blocks.append(([a for a in x if a == value], [b for a, b in zip(x, y) if a == value]))
        while len(blocks) > 1 and np.mean(blocks[-2][1]) >= np.mean(blocks[-1][1]):
            xs, ys = blocks.pop()
            blocks[-1] = (blocks[-1][0] + xs, blocks[-1][1] + ys)
    # Each block's share with half a right and half a wrong lead added, never falling.
    shares = np.maximum.accumulate([(sum(ys) + 0.5) / (len(ys) + 1) for _, ys in blocks])
    return [(xs, float(share)) for (xs, _), share in zip(blocks, shares)]


@given(st.lists(st.tuples(st.integers(-40, 40), st.booleans()), min_size=1, max_size=300))
def test_calibration_is_the_isotonic_fit_and_never_falls(data: list[tuple[int, bool]]) -> None:
    x = np.array([a / 4 for a, _ in data])
    y = np.array([b for _, b in data])
    points = calibration(x, y)
    xs, ps = [p[0] for p in points], [p[1] for p in points]
    assert all(b > a for a, b in zip(xs, xs[1:]))
    assert all(b >= a for a, b in zip(ps, ps[1:]))
    assert all(0.0 < p < 1.0 for p in ps)  # labels never show certainty
    weights = Weights(calibration=points)  # a valid config
    blocks = _slow_isotonic(x.tolist(), y.astype(float).tolist())
    if all(len(totals) >= 20 for totals, _ in blocks):  # 20: the fewest leads of a step
        # No block merged for size: the isotonic fit itself, each block's share over its totals.
        fitted = probability(x, weights)
        for totals, mean in blocks:
            inside = (x >= min(totals)) & (x <= max(totals))
            assert fitted[inside] == pytest.approx(mean, abs=1e-6)


@given(
    st.lists(st.tuples(st.integers(-40, 40), st.booleans(), st.integers(1, 4)), min_size=1,
             max_size=200)
)  # fmt: skip
def test_a_weighted_lead_counts_as_that_many_leads(data: list[tuple[int, bool, int]]) -> None:
    x = np.array([a / 4 for a, _, _ in data])
    y = np.array([b for _, b, _ in data])
    k = np.array([c for _, _, c in data])
    repeated = calibration(np.repeat(x, k), np.repeat(y, k))
    weighted = calibration(x, y, k.astype(np.float64))
    assert [p for p, _ in weighted] == [p for p, _ in repeated]
    assert [q for _, q in weighted] == pytest.approx([q for _, q in repeated], abs=2e-6)


@pytest.mark.parametrize("weight", [[1.0, 0.0], [1.0, -1.0], [1.0, np.nan], [1.0]])
def test_a_weight_that_is_no_count_of_leads_is_refused(weight: list[float]) -> None:
    with pytest.raises(InvalidInputError, match="weights"):
        calibration(np.array([0.0, 1.0]), np.array([True, False]), np.array(weight))
    with pytest.raises(InvalidInputError, match="weights"):
        fitting.fit_gap(np.zeros(2), np.zeros(2), np.array([True, False]), np.array(weight))


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


@pytest.fixture(scope="module")
def fitted(crms: CRMs) -> fitting.Fit:
    """The fit of the "fit" CRM (synth.py seed 21) through the API, at the defaults."""
    index, leads = crms["fit"]
    return fit(index, leads, truth_from_rows(leads))


def test_fitting_on_one_crm_calibrates_the_confidence_on_another(
    crms: CRMs, fitted: fitting.Fit
) -> None:
    _, leads = crms["fit"]
    result = fitted
    assert result.pairs > len(leads)
    assert result.after is not None and result.after.ece <= 0.03
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


def test_the_cli_fits_and_match_uses_the_result(tmp_path: Path, fitted: fitting.Fit) -> None:
    folder = tmp_path / "crm"
    _synthetic(folder, 21)  # the CRM of ``fitted``, written again, for the command line
    config = tmp_path / "fitted.json"
    argv = ["fit", "--accounts", str(folder / "accounts.csv"), "--leads", str(folder / "leads.csv"),
            "--out", str(config), "--precision", "0.98"]  # fmt: skip
    assert main(argv) == 0
    written = MatchConfig.from_json(config)
    # The command line and the API, each from its own reading of the same files: the same
    # fitted weights and the same threshold for the precision asked.
    assert written == fitted.for_precision(0.98)
    assert written.weights.calibration
    assert written.match_threshold < 0.98  # the held-apart leads show a lower one suffices
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


def test_em_fits_leads_without_labels_and_measures_nothing(crms: CRMs) -> None:
    index, leads = crms["fit"]
    unlabelled = [{k: v for k, v in lead.items() if k != "true_account_id"} for lead in leads]
    result = fit(index, unlabelled, None, method="em")
    assert result.before is None and result.after is None
    assert result.report().endswith("no labels: fitted without evaluation")
    weights, shipped = result.config.weights, Weights()
    assert weights.falling() == []
    # Only the context comparisons move; the rest, the prior and the calibration are kept.
    moved = [c for c in LEVELS if getattr(weights, c) != getattr(shipped, c)]
    assert moved and set(moved) <= {"legal_form", "country", "city", "phone"}
    assert (weights.prior, weights.gap, weights.calibration) == (
        shipped.prior,
        shipped.gap,
        shipped.calibration,
    )
    truth = truth_from_rows(leads)
    default = evaluate(index.match_many(leads), truth)
    refitted = evaluate(index.with_config(result.config).match_many(leads), truth)
    assert refitted.f1 >= default.f1 - 0.02


def test_em_refuses_leads_that_have_labels(crms: CRMs) -> None:
    index, leads = crms["fit"]
    with pytest.raises(InvalidInputError, match="method 'labels'"):
        fit(index, leads, truth_from_rows(leads), method="em")


def test_a_fit_that_does_worse_keeps_the_config_given(
    crms: CRMs, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, leads = crms["fit"]
    # Weights that read every agreement as evidence against: they must lose on the held-apart
    # leads, and the config given must come back.
    inverted = Weights(name={level: -w for level, w in Weights().name.items()})
    monkeypatch.setattr(fitting, "fit_weights", lambda pairs, base: inverted)
    given = MatchConfig(match_threshold=0.95)
    result = fit(index, leads, truth_from_rows(leads), given)
    assert result.kept
    assert result.config == given
    assert result.after is not None and result.before is not None
    assert result.after.f1 < result.before.f1
    assert "kept the config given" in result.report()


def test_the_cli_fits_by_em_from_a_leads_file_without_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "crm"
    _synthetic(folder, 23)
    with (folder / "leads.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    plain = tmp_path / "leads.csv"
    with plain.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, [k for k in rows[0] if k != "true_account_id"],
                                extrasaction="ignore")  # fmt: skip
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "em.json"
    argv = ["fit", "--accounts", str(folder / "accounts.csv"), "--leads", str(plain),
            "--out", str(out), "--method", "em"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "no labels: fitted without evaluation" in printed
    assert "precision" not in printed and "F1" not in printed
    assert MatchConfig.from_json(out).weights.falling() == []


def test_fit_gap_recovers_the_weight_of_the_lead_over_rivals() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    raw = rng.normal(0.0, 3.0, n)
    gap = np.clip(rng.normal(0.0, 3.0, n), -8, 8)
    right = rng.random(n) < 1.0 / (1.0 + np.exp(-0.8 * (raw + 2.0 * gap)))
    assert fitting.fit_gap(raw, gap, right) == pytest.approx(2.0, abs=0.15)
    # Where the leads cannot tell, nothing is returned (the caller keeps its gap).
    # Each lead counted twice over, by repeating it or by its weight: the same fit.
    twice = fitting.fit_gap(np.repeat(raw, 2), np.repeat(gap, 2), np.repeat(right, 2))
    assert fitting.fit_gap(raw, gap, right, np.full(n, 2.0)) == pytest.approx(twice, abs=1e-3)
    assert fitting.fit_gap(raw[:100], gap[:100], right[:100]) is None
    assert fitting.fit_gap(raw, gap, np.ones(n, dtype=bool)) is None
    falling = rng.random(n) < 1.0 / (1.0 + np.exp(0.8 * raw))  # rightness falls with the score
    assert fitting.fit_gap(raw, gap, falling) is None


def test_em_reads_pairs_on_the_scale_of_their_calibration() -> None:
    # The same pairs, once with a lead over their rivals and once without: EM's posterior
    # (and so the weights it fits) must differ, as the calibration reads the gap term.
    rng = np.random.default_rng(4)
    n = 4_000
    levels = {c: np.full(n, LEVELS[c].index(NEUTRAL[c]), dtype=np.int64) for c in LEVELS}
    levels["country"] = rng.integers(0, 3, n)
    levels["name"] = rng.integers(0, len(LEVELS["name"]), n)
    start = Weights(gap=2.0)
    plain = fit_weights_em(PairLevels(levels, np.zeros(n, dtype=bool)), start, iterations=5)
    ahead = fit_weights_em(
        PairLevels(levels, np.zeros(n, dtype=bool), gap=np.full(n, 6.0)), start, iterations=5
    )
    assert plain.country != ahead.country


_FOUND_BY = ("lead_id", "email", "company", "website")


def _answers(
    leads: list[dict[str, str]],
) -> tuple[list[dict[str, str]], dict[str, frozenset[str]], list[Label]]:
    """Leads cut to what a label keeps of them, their truth (one account: a label names one),
    and a person's answer for each, the same."""
    slim = [{k: lead[k] for k in _FOUND_BY} for lead in leads]
    truth = {lead["lead_id"]: frozenset(filter(None, [lead["true_account_id"]])) for lead in leads}
    labels = [Label(**lead, account_id=min(truth[lead["lead_id"]], default=None)) for lead in slim]
    return slim, truth, labels


def test_labels_fit_as_the_leads_they_answer(crms: CRMs, tmp_path: Path) -> None:
    index, leads = crms["fit"]
    leads = leads[:2400]
    slim, truth, labels = _answers(leads)
    from_leads = fit(index, slim, truth)
    assert from_leads.after is not None  # what the fitted weights do, kept or not
    for labelled in (labels, Labels(path := tmp_path / "labels.jsonl")):
        if isinstance(labelled, Labels):
            labelled.append(*labels)
        result = fit(index, labels=labelled)
        assert (result.config, result.after, result.pairs) == (
            from_leads.config,
            from_leads.after,
            from_leads.pairs,
        )
    out = tmp_path / "fitted.json"
    assert main(["fit", "--accounts", _saved(index, tmp_path), "--labels", str(path),
                 "--out", str(out)]) == 0  # fmt: skip
    assert MatchConfig.from_json(out) == from_leads.config


def _saved(index: AccountIndex, folder: Path) -> str:
    return str(index.save(folder / "accounts.lmx"))


def test_an_answer_replaces_a_leads_truth_and_one_naming_no_account_is_left_out(
    crms: CRMs, caplog: pytest.LogCaptureFixture
) -> None:
    index, leads = crms["fit"]
    slim, truth, labels = _answers(leads[:2400])
    # The CRM says the first 300 leads belong to no account; people said which they do.
    wrong = {lead["lead_id"]: frozenset[str]() for lead in slim[:300]}
    plain = fit(index, slim, truth)
    answered = fit(index, slim, {**truth, **wrong}, labels=labels[:300])
    assert (answered.after, answered.before) == (plain.after, plain.before)
    unknown = [labels[0].model_copy(update={"account_id": "NO-SUCH-ACCOUNT"})]
    with caplog.at_level("WARNING", logger="leadmatch"):
        kept = fit(index, slim, truth, labels=unknown)
    assert "1 labels name accounts the index does not hold" in caplog.text
    assert (kept.after, kept.before) == (plain.after, plain.before)


def test_em_refuses_labels_and_the_cli_needs_leads_or_labels(crms: CRMs, tmp_path: Path) -> None:
    index, leads = crms["fit"]
    *_, labels = _answers(leads[:50])
    with pytest.raises(InvalidInputError, match="method 'em' fits without labels"):
        fit(index, leads[:50], method="em", labels=labels)
    out = tmp_path / "c.json"
    assert main(["fit", "--accounts", _saved(index, tmp_path), "--out", str(out)]) == 2
    assert not out.exists()


def test_a_fit_that_no_longer_matches_accounts_to_themselves_is_not_taken(
    crms: CRMs, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, leads = crms["fit"]
    view = index.view()
    given = MatchConfig()
    assert fitting._forgets_accounts(view, given, given) == ""
    # What fitting on a review queue's answers alone can make: every confidence one value, so
    # nothing is matched; it may still do as well on the answers held apart (none matched).
    flat = given.weights.model_copy(update={"calibration": ((-30.0, 0.68), (30.0, 0.68))})
    why = fitting._forgets_accounts(view, given, given.model_copy(update={"weights": flat}))
    assert why.startswith("matched 0 of 1,000 accounts' own name and domain to them, against 9")
    monkeypatch.setattr(fitting, "_forgets_accounts", lambda *_: "forgot them")
    result = fit(index, leads[:2400], truth_from_rows(leads[:2400]))
    assert (result.kept, result.why, result.config) == (True, "forgot them", given)
    assert result.report().endswith("kept the config given: the fitted one forgot them")
