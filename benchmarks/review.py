"""A simulated reviewer on a real set: answers from the truth, in queue order or in random order,
and the whole set's F1 and review share after each number of answers.

    python benchmarks/review.py                         # ror_dev, 0/50/100/200/400 answers
    python benchmarks/review.py --sets ror_dev,patstat_leuven --plot review.png

Starts from the shipped defaults. The reviewer answers each item with the lead's true account
(the model's account or candidate when that is right, else the one a search would find) or
"none of these"; each answer is a label (:class:`leadmatch.Label`), and the whole set is then
matched again with the labels (labels win: every lead a label finds gets it). Random order takes
the same queue's items shuffled (mean over ``--seeds`` shuffles). An item an earlier answer
already settles is passed over without an answer.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import leadmatch
from leadmatch import AccountIndex, InvalidInputError, Label, LabelBook, evaluate, fit
from leadmatch.review import Item, queue
from real import SHARED, DataSet, load, truth_of

STEPS = (0, 50, 100, 200, 400)


def answer(item: Item, truth: dict[str, frozenset[str]]) -> Label:
    """What a reviewer who knows the truth says about an item."""
    right = truth[str(item.lead.lead_id)]
    account = item.account_id if item.account_id in right else min(right, default=None)
    return item.answer(account, by="simulated reviewer")


def figures(
    index: AccountIndex,
    data: DataSet,
    labels: list[Label],
    truth: dict[str, frozenset[str]],
    refit: bool = False,
) -> tuple[float, float]:
    """The whole set's F1 and review share, matched with ``labels`` (and with the model fitted
    on them where ``refit`` and the fit does better on the answers it held apart)."""
    if refit and labels:
        try:
            fitted = fit(index, labels=labels)
        except InvalidInputError as exc:  # too few answers to fit, calibrate and measure
            print(f"  {len(labels)} answers: no refit ({exc})")
        else:
            print(
                f"  {len(labels)} answers: refit {'kept the defaults' if fitted.kept else 'used'}"
            )
            index = index.with_config(fitted.config)
    results = index.match_many(data.leads, labels=LabelBook.of(labels) if labels else None)
    found = evaluate(results, truth)
    return found.f1, found.review / found.leads


def curve(
    index: AccountIndex,
    data: DataSet,
    items: Sequence[Item],
    truth: dict[str, frozenset[str]],
    steps: Sequence[int],
    refit: bool = False,
) -> list[tuple[float, float]]:
    """F1 and review share after each number of answers, taking ``items`` in order."""
    labels: list[Label] = []
    out = []
    pending = iter(items)
    for step in steps:
        book = LabelBook.of(labels)
        while len(labels) < step:
            item = next(pending, None)
            if item is None:
                break
            lead = item.lead
            if book.find(lead.lead_id, lead.email, lead.company, lead.website) is None:
                labels.append(answer(item, truth))
                book = LabelBook.of(labels)
        out.append(figures(index, data, labels, truth, refit))
    return out


def report(
    data: DataSet, steps: Sequence[int], seeds: int, bands: Sequence[str], refit: bool
) -> dict[str, Any]:
    truth = truth_of(data)
    started = time.perf_counter()
    index = AccountIndex.build(data.accounts)
    results = index.match_many(data.leads)
    items = queue(results, data.leads, bands=bands)  # type: ignore[arg-type]
    band = sum(result.decision == "review" for result in results)
    print(f"\n### {data.name}: {len(data.leads):,} leads, {band:,} in review, {len(items):,} items")
    ordered = curve(index, data, items, truth, steps)
    if refit:
        fitted = curve(index, data, items, truth, steps, refit=True)
        print("F1 in queue order, refitted on the answers: " + ", ".join(
            f"{step}: {f1:.4f}" for step, (f1, _) in zip(steps, fitted)))  # fmt: skip
    shuffled = []
    for seed in range(seeds):
        order = list(items)
        random.Random(seed).shuffle(order)
        shuffled.append(curve(index, data, order, truth, steps))
    mean = [
        tuple(sum(run[k][j] for run in shuffled) / seeds for j in range(2))
        for k in range(len(steps))
    ]
    print("\n| answers | F1, queue order | F1, random order | review share: queue | random |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for step, (f1, share), (f1_r, share_r) in zip(steps, ordered, mean):
        print(f"| {step} | {f1:.4f} | {f1_r:.4f} | {share:.2%} | {share_r:.2%} |")
    print(f"\n({time.perf_counter() - started:.0f} s; random: mean of {seeds} shuffles)")
    return {"steps": list(steps), "queue": ordered, "random": mean, "name": data.name}


def plot(curves: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for found in curves:
        for axis, j, what in ((axes[0], 0, "F1"), (axes[1], 1, "review share")):
            axis.plot(found["steps"], [p[j] for p in found["queue"]], "o-",
                      label=f"{found['name']}: queue order")  # fmt: skip
            axis.plot(found["steps"], [p[j] for p in found["random"]], "s--",
                      label=f"{found['name']}: random order")  # fmt: skip
            axis.set_xlabel("answers")
            axis.set_title(what)
            axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="ror_dev")
    parser.add_argument("--steps", default=",".join(map(str, STEPS)))
    parser.add_argument("--seeds", type=int, default=3, help="random orders to average (1+)")
    parser.add_argument("--limit", type=int, default=0, help="at most this many leads per set")
    parser.add_argument("--bands", default="review,unmatched", help="what the queue holds")
    parser.add_argument("--refit", action="store_true", help="also fit on the answers")
    parser.add_argument("--plot", type=Path, help="write the curves as a PNG")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    if args.seeds < 1:
        parser.error("--seeds must be 1 or more")
    print(f"leadmatch {leadmatch.__version__}; simulated reviewer, answers {steps}")
    curves = [
        report(
            load(SHARED / name, name, args.limit),
            steps,
            args.seeds,
            args.bands.split(","),
            args.refit,
        )
        for name in args.sets.split(",")
    ]
    if args.plot:
        plot(curves, args.plot)
        print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
