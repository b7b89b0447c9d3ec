"""The confidence model before and after fitting, on leads the fit never saw.

    python benchmarks/fit.py --size 10k                       # synthetic: fit seed 11, test seed 7
    python benchmarks/fit.py --size 100k --leads 100000
    python benchmarks/fit.py --patstat ../shared/data/patstat_leuven
    python benchmarks/fit.py --crm /tmp/d1m --index /tmp/d1m/idx.lmx   # one CRM, split in two
    python benchmarks/fit.py --size smoke                     # seconds (CI)

Synthetic: two CRMs from ``benchmarks/synth.py`` with different seeds. ``leadmatch.fit`` fits
the weights on half of the first CRM's leads and calibrates them on the other half; the
figures are measured on the second CRM, which the fit never saw. Rows: the shipped defaults;
fitted from labels; fitted by EM (weights without labels, calibration with them); and the
fitted config with ``match_threshold`` chosen for precision 0.98 (``Fit.for_precision``).

PATSTAT (real company names, no domains): the leads are split in two halves by a hash of their
id; the fit sees one half, the figures are of the other. Beside leadmatch, brute-force rapidfuzz
(``process.cdist``, ``fuzz.WRatio``, ``utils.default_process``) and, when installed,
string_grouper (``match_most_similar``), each with the best recall its own score reaches at a
given precision (its threshold swept over the test half: the most favourable setting for it).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from leadmatch import (
    AccountIndex,
    Evaluation,
    InvalidInputError,
    MatchConfig,
    evaluate,
    fit,
    truth_from_rows,
)
from leadmatch.io.columns import open_text, read_csv
from run import generate  # benchmarks/run.py: this script's folder is on the path

SIZES = {"smoke": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
PRECISIONS = (0.98, 0.99, 0.995)


def load(folder: Path) -> tuple[AccountIndex, list[dict[str, Any]]]:
    with open_text(str(folder / "accounts.csv")) as f:
        _, rows = read_csv(f, "account")
        index = AccountIndex.build(list(rows))
    with (folder / "leads.csv").open(encoding="utf-8", newline="") as f:
        return index, list(csv.DictReader(f))


def row(name: str, config: MatchConfig, ev: Evaluation) -> str:
    at = " | ".join(f"{ev.precision_at_recall[r]:.3f}" for r in (0.9, 0.95))
    return (
        f"| {name} | {config.match_threshold:.3f} | {ev.precision:.3f} | {ev.recall:.3f} | "
        f"{ev.f1:.3f} | {ev.review:,} | {ev.no_account_accuracy:.3f} | {ev.average_precision:.3f}"
        f" | {at} | {ev.ece:.3f} |"
    )


HEADER = (
    "| model | match_threshold | precision | recall | F1 | review | no-account unmatched | AP "
    "| P at R 0.90 | P at R 0.95 | ECE |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | ---: | ---: |"
)


def causes_table(before: Evaluation, after: Evaluation) -> str:
    lines = ["| cause | leads | wrong before | wrong after |", "| --- | ---: | ---: | ---: |"]
    assert before.causes is not None and after.causes is not None
    for cause, (wrong, total) in before.causes.items():
        lines.append(f"| {cause} | {total:,} | {wrong:,} | {after.causes[cause][0]:,} |")
    return "\n".join(lines)


def synthetic(size: str, leads_n: int | None) -> None:
    n = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        train, test = Path(tmp) / "train", Path(tmp) / "test"
        count = leads_n or min(3 * n, 100_000)
        generate(n, 11, train, count)
        generate(n, 7, test, count)
        index, leads = load(train)
        started = time.perf_counter()
        fitted = fit(index, leads, truth_from_rows(leads))
        fit_s = time.perf_counter() - started
        unlabelled = [{k: v for k, v in lead.items() if k != "true_account_id"} for lead in leads]
        em = fit(index, unlabelled, None, method="em")  # no labels: EM needs none
        other, other_leads = load(test)
    truth = truth_from_rows(other_leads)
    print(f"\n## synthetic CRM, {n:,} accounts: fitted on seed 11 ({len(leads):,} leads, "
          f"{fitted.pairs:,} candidate pairs, {fit_s:.1f} s), measured on seed 7 "
          f"({len(other_leads):,} leads)\n")  # fmt: skip
    print(HEADER)
    evaluations = {}
    for name, config in (
        ("shipped defaults", MatchConfig()),
        ("fitted (labels)", fitted.config),
        ("fitted (EM)", em.config),
        ("fitted, for_precision(0.98)", fitted.for_precision(0.98)),
    ):
        results = other.with_config(config).match_many(other_leads)
        ev = evaluate(results, truth, leads=other_leads, index=other)
        evaluations[name] = ev
        print(row(name, config, ev))
    print("\nErrors by cause (wrong: a wrong account matched or in review, or the account left "
          "unmatched), shipped defaults vs fitted (labels):\n")  # fmt: skip
    print(causes_table(evaluations["shipped defaults"], evaluations["fitted (labels)"]))
    print("\nReliability of the fitted model on the unseen CRM:\n")
    print(evaluations["fitted (labels)"].reliability_table())


def crm(folder: Path, index_path: Path | None) -> None:
    """One CRM: fit on the second half of its leads file, measure on the first half."""
    if index_path:
        index = AccountIndex.load(index_path)
        with (folder / "leads.csv").open(encoding="utf-8", newline="") as f:
            leads = list(csv.DictReader(f))
    else:
        index, leads = load(folder)
    truth = truth_from_rows(leads)
    half = len(leads) // 2
    train, test = leads[half:], leads[:half]
    started = time.perf_counter()
    fitted = fit(index, train, truth)
    fit_s = time.perf_counter() - started
    test_truth = {lead["lead_id"]: truth[lead["lead_id"]] for lead in test}
    print(f"\n## {folder}: {len(index):,} accounts; fitted on leads {half + 1:,}-{len(leads):,} "
          f"({fitted.pairs:,} candidate pairs, {fit_s:.0f} s), "
          f"measured on leads 1-{half:,}\n")  # fmt: skip
    print(HEADER)
    for name, config in (
        ("shipped defaults", MatchConfig()),
        ("fitted (labels)", fitted.config),
        ("fitted, for_precision(0.98)", fitted.for_precision(0.98)),
    ):
        print(row(name, config, evaluate(index.with_config(config).match_many(test), test_truth)))


def _half(lead_id: str) -> bool:
    digest = hashlib.blake2b(f"test:{lead_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 2 == 0


def best_recall(scores: list[float], right: list[bool], positives: int, precision: float) -> float:
    """The best recall of 'take the lead's best account when its score >= t' over all t."""
    order = np.argsort(-np.array(scores), kind="stable")
    hits = np.cumsum(np.array(right)[order])
    taken = np.arange(1, len(order) + 1)
    ok = hits / taken >= precision
    return float(hits[ok].max() / positives) if ok.any() else 0.0


def patstat(folder: Path) -> None:
    index, leads = load(folder)
    truth = truth_from_rows(leads)
    train = [lead for lead in leads if not _half(lead["lead_id"])]
    test = [lead for lead in leads if _half(lead["lead_id"])]
    test_truth = {lead["lead_id"]: truth[lead["lead_id"]] for lead in test}
    positives = sum(1 for lead in test if truth[lead["lead_id"]])
    fitted = fit(index, train, truth)
    print(f"\n## PATSTAT (real names, no domains): fitted on {len(train):,} leads, measured on "
          f"the other {len(test):,} ({positives:,} with an account)\n")  # fmt: skip
    print(HEADER)
    curves: dict[str, tuple[list[float], list[bool]]] = {}
    configs = [("shipped defaults", MatchConfig()), ("fitted (labels)", fitted.config)]
    try:
        configs.append(("fitted, for_precision(0.98)", fitted.for_precision(0.98)))
    except InvalidInputError as exc:
        print(f"(for_precision(0.98): {exc})\n")
    for name, config in configs:
        results = index.with_config(config).match_many(test)
        ev = evaluate(results, test_truth)
        print(row(name, config, ev))
        curves[f"leadmatch, {name}"] = (
            [m.confidence for m in results],
            [(m.candidate_id or "") in test_truth[m.lead_id] for m in results],
        )
    curves["rapidfuzz WRatio, brute force"] = rapidfuzz_scores(index, test, test_truth)
    grouper = string_grouper_scores(folder, test, test_truth)
    if grouper:
        curves["string_grouper, TF-IDF 3-grams"] = grouper
    print("\nBest recall at a given precision, each tool's own score swept as its threshold:\n")
    print("| tool | " + " | ".join(f"recall at P >= {p}" for p in PRECISIONS) + " |")
    print("| --- |" + " ---: |" * len(PRECISIONS))
    for name, (scores, right) in curves.items():
        cells = " | ".join(f"{best_recall(scores, right, positives, p):.3f}" for p in PRECISIONS)
        print(f"| {name} | {cells} |")
    if not grouper:
        print("\n(string_grouper is not installed: `pip install string-grouper` to add it)")


def rapidfuzz_scores(
    index: AccountIndex, leads: list[dict[str, Any]], truth: dict[str, frozenset[str]]
) -> tuple[list[float], list[bool]]:
    from rapidfuzz import fuzz, process, utils

    names = list(index.data.display_name)
    ids = list(index.data.account_id)
    companies = [lead.get("company") or "" for lead in leads]
    scores = process.cdist(
        companies, names, scorer=fuzz.WRatio, processor=utils.default_process, workers=-1
    )
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(leads)), best]
    right = [ids[b] in truth[lead["lead_id"]] for b, lead in zip(best.tolist(), leads)]
    return top.tolist(), right


def string_grouper_scores(
    folder: Path, leads: list[dict[str, Any]], truth: dict[str, frozenset[str]]
) -> tuple[list[float], list[bool]] | None:
    try:
        import pandas as pd
        from string_grouper import match_strings
    except ImportError:
        return None
    with (folder / "accounts.csv").open(encoding="utf-8", newline="") as f:
        accounts = list(csv.DictReader(f))
    # Every pair at cosine >= 0.3 (match_strings), then each lead's most similar account.
    pairs = match_strings(
        pd.Series([a["name"] for a in accounts]),
        pd.Series([(lead.get("company") or "-").strip() or "-" for lead in leads]),
        master_id=pd.Series([a["account_id"] for a in accounts]),
        duplicates_id=pd.Series([lead["lead_id"] for lead in leads]),
        min_similarity=0.3,
    )
    best = pairs.sort_values("similarity", ascending=False).drop_duplicates("right_id")
    found = dict(
        zip(best["right_id"].astype(str), zip(best["left_id"].astype(str), best["similarity"]))
    )
    similarity = [float(found.get(lead["lead_id"], ("", 0.0))[1]) for lead in leads]
    right = [found.get(lead["lead_id"], ("", 0.0))[0] in truth[lead["lead_id"]] for lead in leads]
    return similarity, right


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), help="synthetic CRM size")
    parser.add_argument("--leads", type=int, help="leads per CRM (default 3 x accounts, <= 100k)")
    parser.add_argument("--patstat", type=Path, help="folder with accounts.csv and leads.csv")
    parser.add_argument(
        "--crm", type=Path, help="a synth.py folder: fit on its later leads, measure on the first"
    )
    parser.add_argument("--index", type=Path, help="with --crm: its saved index (else built)")
    args = parser.parse_args()
    if not (args.size or args.patstat or args.crm):
        parser.error("give --size, --patstat or --crm")
    print(f"leadmatch fitting benchmark; python {sys.version.split()[0]}")
    if args.size:
        synthetic(args.size, args.leads)
    if args.patstat:
        patstat(args.patstat)
    if args.crm:
        crm(args.crm, args.index)


if __name__ == "__main__":
    main()
