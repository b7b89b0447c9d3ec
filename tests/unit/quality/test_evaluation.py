"""Evaluation against known answers: figures checked by hand on small cases."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadmatch import AccountIndex, InvalidInputError, Match, evaluate, truth_from_rows
from leadmatch.cli import main


def _row(lead: str, decision: str, confidence: float, candidate: str = "") -> dict[str, object]:
    named = candidate if decision in ("matched", "review") else ""
    return {"lead_id": lead, "account_id": named, "confidence": confidence,
            "decision": decision, "candidate_id": candidate}  # fmt: skip


TRUTH = {
    "L1": frozenset({"A"}),
    "L2": frozenset({"B", "B2"}),  # a company recorded twice: either id is right
    "L3": frozenset({"C"}),
    "L4": frozenset(),
    "L5": frozenset({"E"}),
}
RESULTS = [
    _row("L1", "matched", 0.99, "A"),  # right
    _row("L2", "matched", 0.95, "B2"),  # right (the duplicate record)
    _row("L3", "matched", 0.90, "X"),  # wrong account
    _row("L4", "unmatched", 0.20, "Y"),  # no account, left unmatched: right
    _row("L5", "review", 0.70, "E"),  # right, but for a person to confirm
]


def test_precision_recall_and_ranking_figures_by_hand() -> None:
    ev = evaluate(RESULTS, TRUTH)
    assert (ev.leads, ev.with_account, ev.matched, ev.matched_right) == (5, 4, 3, 2)
    assert ev.precision == pytest.approx(2 / 3)
    assert ev.recall == pytest.approx(2 / 4)
    assert ev.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert (ev.review, ev.review_right, ev.no_account_accuracy) == (1, 1, 1.0)
    # Ranked by confidence, every lead taking its candidate: right, right, wrong, right, wrong.
    precision, recall, thresholds = ev.curve
    assert precision == pytest.approx([1, 1, 2 / 3, 3 / 4, 3 / 5])
    assert recall == pytest.approx([1 / 4, 2 / 4, 2 / 4, 3 / 4, 3 / 4])
    assert thresholds == pytest.approx([0.99, 0.95, 0.90, 0.70, 0.20])
    assert ev.average_precision == pytest.approx(0.25 * 1 + 0.25 * 1 + 0.25 * 0.75)
    assert ev.precision_at_recall[0.5] == 1.0
    assert ev.precision_at_recall[0.95] == 0.0  # never reached
    # Errors: L3 (wrong account) only; L5's right account is in review.
    assert ev.errors == 1


def test_reliability_bins_and_expected_calibration_error_by_hand() -> None:
    ev = evaluate(RESULTS, TRUTH, bins=2)
    low, high = ev.reliability
    assert (low.leads, high.leads) == (1, 4)
    assert low.mean_confidence == pytest.approx(0.20) and low.right_share == 0.0
    assert high.mean_confidence == pytest.approx((0.99 + 0.95 + 0.90 + 0.70) / 4)
    assert high.right_share == pytest.approx(3 / 4)
    expected = (1 * 0.20 + 4 * abs((0.99 + 0.95 + 0.90 + 0.70) / 4 - 0.75)) / 5
    assert ev.ece == pytest.approx(expected)


def test_calibrated_confidence_has_a_small_error_and_an_overconfident_one_a_large() -> None:
    rng = random.Random(5)
    truth = {f"L{i}": frozenset({"A"}) for i in range(20_000)}
    confidence = [rng.random() for _ in truth]
    honest = [
        _row(lead, "matched", c, "A" if rng.random() < c else "B")
        for lead, c in zip(truth, confidence)
    ]
    boastful = [_row(lead, "matched", min(1.0, c + 0.3), r["candidate_id"])  # type: ignore[arg-type]
                for lead, c, r in zip(truth, confidence, honest)]  # fmt: skip
    assert evaluate(honest, truth).ece < 0.02
    assert evaluate(boastful, truth).ece > 0.2


def test_records_and_rows_give_the_same_figures() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "A", "name": "Acme Robotics", "domain": "acme-robotics.com"},
            {"account_id": "G", "name": "Globex Corporation", "country": "US"},
        ]
    )
    leads = [
        {"lead_id": "1", "company": "Acme Robotics", "email": "a@acme-robotics.com"},
        {"lead_id": "2", "company": "Globex Corp", "country": "US"},
        {"lead_id": "3", "company": "Initech"},
    ]
    truth = {"1": frozenset({"A"}), "2": frozenset({"G"}), "3": frozenset()}
    matches = index.match_many(leads)
    rows = [
        {**_row(m.lead_id, m.decision, m.confidence, m.candidate_id or ""),
         "account_id": m.account_id or ""}
        for m in matches
    ]  # fmt: skip
    assert evaluate(matches, truth).to_dict() == evaluate(rows, truth).to_dict()


def test_a_result_without_truth_is_refused_not_skipped() -> None:
    with pytest.raises(InvalidInputError, match="no truth"):
        evaluate([*RESULTS, _row("L9", "matched", 0.9, "A")], TRUTH)


def test_errors_are_broken_down_by_what_made_the_lead_hard() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "P", "name": "Parentco Holdings", "domain": "parentco.com"},
            {"account_id": "S", "name": "Parentco Logistics GmbH", "parent_id": "P"},
            {"account_id": "K", "name": "株式会社トヨタ", "country": "JP"},
            {"account_id": "T", "name": "Tessaract Analytics", "domain": "tessaract.io"},
        ]
    )
    leads = [
        {"lead_id": "1", "company": "Parentco Logistik", "email": "x@gmail.com"},
        {"lead_id": "2", "company": "トヨタ", "email": ""},
        {"lead_id": "3", "company": "Tessaract Analytics", "email": "x@tessaract.io"},
        {"lead_id": "4", "company": "Nobody Ltd", "email": "x@nobody-ltd.com"},
    ]
    truth = {"1": frozenset({"S"}), "2": frozenset({"K"}), "3": frozenset({"T"}),
             "4": frozenset()}  # fmt: skip
    results = [
        _row("1", "matched", 0.95, "P"),  # the parent, not the subsidiary: wrong
        _row("2", "unmatched", 0.10, ""),  # missed
        _row("3", "matched", 0.99, "T"),  # right
        _row("4", "matched", 0.91, "T"),  # a stranger matched: wrong
    ]
    causes = evaluate(results, truth, leads=leads, index=index).causes
    assert causes is not None
    assert causes["free-mail"] == (1, 1)
    assert causes["typo"] == (1, 1)
    assert causes["hierarchy"] == (1, 1)
    assert causes["no domain"] == (1, 1)
    assert causes["other script"] == (1, 1)
    assert causes["no account"] == (1, 1)
    assert causes["other"] == (0, 1)  # lead 3: nothing hard about it, and right


def test_truth_rows_read_duplicates_and_blanks() -> None:
    rows = [
        {"lead_id": "1", "true_account_id": "A", "acceptable_account_ids": "A;A2"},
        {"lead_id": "2", "true_account_id": "", "acceptable_account_ids": None},
        {"lead_id": "3", "true_account_id": float("nan")},
    ]
    assert truth_from_rows(rows) == {
        "1": frozenset({"A", "A2"}), "2": frozenset(), "3": frozenset()
    }  # fmt: skip


def test_the_cli_evaluates_a_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account_id,name,domain\nA,Acme Robotics,acme-robotics.com\nG,Globex Corporation,\n",
        "utf-8",
    )
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "lead_id,company,email,true_account_id\n"
        "1,Acme Robotics,a@acme-robotics.com,A\n2,Globex Corp,,G\n3,Initech,,\n",
        "utf-8",
    )
    out = tmp_path / "matches.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    with out.open(encoding="utf-8") as f:
        assert next(r["candidate_id"] for r in csv.DictReader(f)) == "A"
    capsys.readouterr()
    figures, plots = tmp_path / "figures.json", tmp_path / "plots"
    plots.mkdir()
    argv = ["evaluate", "--results", str(out), "--truth", str(leads), "--accounts", str(accounts),
            "--json", str(figures), "--plots", str(plots)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "3 leads, 2 with an account" in printed
    assert "| confidence | leads |" in printed
    data = json.loads(figures.read_text("utf-8"))
    assert data["leads"] == 3 and data["causes"]["no account"]["leads"] == 1
    for png in ("pr_curve.png", "reliability.png"):
        assert (plots / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cli_says_when_the_truth_file_has_no_answers(tmp_path: Path) -> None:
    results = tmp_path / "matches.csv"
    results.write_text("lead_id,account_id,confidence,decision\n1,,0,unmatched\n", "utf-8")
    truth = tmp_path / "leads.csv"
    truth.write_text("lead_id,company\n1,Acme\n", "utf-8")
    assert main(["evaluate", "--results", str(results), "--truth", str(truth)]) == 2


def test_two_results_for_one_lead_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="more than one result"):
        evaluate([*RESULTS, RESULTS[0]], TRUTH)


def test_the_cli_says_when_the_results_file_is_not_one(tmp_path: Path) -> None:
    results = tmp_path / "leads.csv"
    results.write_text("lead_id,company\n1,Acme\n", "utf-8")
    truth = tmp_path / "truth.csv"
    truth.write_text("lead_id,true_account_id\n1,A\n", "utf-8")
    assert main(["evaluate", "--results", str(results), "--truth", str(truth)]) == 2


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["matched", "review", "unmatched", "error"]),
            st.floats(0.0, 1.0),
            st.sampled_from(["", "A", "B"]),  # the candidate
            st.sampled_from([(), ("A",), ("B",), ("A", "B")]),  # the right accounts
        ),
        max_size=40,
    )
)
def test_figures_stay_within_their_ranges(
    cases: list[tuple[str, float, str, tuple[str, ...]]],
) -> None:
    results = [_row(f"L{i}", d, c, cand) for i, (d, c, cand, _) in enumerate(cases)]
    truth = {f"L{i}": frozenset(right) for i, (*_, right) in enumerate(cases)}
    ev = evaluate(results, truth)
    for value in (ev.precision, ev.recall, ev.f1, ev.average_precision, ev.ece,
                  ev.no_account_accuracy, *ev.precision_at_recall.values()):  # fmt: skip
        assert 0.0 <= value <= 1.0 + 1e-9
    assert sum(b.leads for b in ev.reliability) == ev.leads == len(cases)
    assert ev.matched_right <= ev.matched and ev.review_right <= ev.review
    assert ev.errors <= ev.leads
    assert sum(ev.decisions.values()) == len(cases)


def test_a_confidence_on_a_bin_edge_falls_in_the_bin_it_starts() -> None:
    truth = {f"L{i}": frozenset({"A"}) for i in range(3)}
    rows = [_row(f"L{i}", "matched", c, "A") for i, c in enumerate((0.3, 0.6, 0.7))]
    bins = evaluate(rows, truth).reliability
    assert [b.leads for b in bins[3:8]] == [1, 0, 0, 1, 1]


def test_a_precision_over_no_matched_lead_is_reported_as_none() -> None:
    results = [Match(lead_id="L1", account_id=None, confidence=0.4, decision="review",
                     candidate_id="A1")]  # fmt: skip
    figures = evaluate(results, {"L1": frozenset({"A1"})})
    assert figures.matched == 0 and figures.f1 == 0.0
    assert "precision n/a (nothing matched), recall 0.000" in figures.summary()
    assert figures.to_dict()["precision"] is None
    matched = evaluate([results[0].model_copy(update={"decision": "matched", "account_id": "A1"})],
                       {"L1": frozenset({"A1"})})  # fmt: skip
    assert "precision 1.000," in matched.summary() and matched.to_dict()["precision"] == 1.0
