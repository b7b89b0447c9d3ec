"""Candidate recall of blocking, measured against brute force (every account scored).

    python benchmarks/recall.py --accounts 100k --sample 500 --seed 7
    python benchmarks/recall.py --accounts /tmp/d1m --sample 300 --seed 7
    python benchmarks/recall.py --accounts smoke --sample 50          # seconds

``--accounts`` is a folder with ``accounts.csv`` and ``leads.csv`` (as ``benchmarks/synth.py``
writes them, with ``true_account_id`` and ``acceptable_account_ids``) or a size (smoke, 10k,
100k, 1m) for which synth.py generates the data, as ``run.py`` does. A seeded random sample of
the leads that have a right account goes through

(a) the pipeline as it is: validate, prepare, ``blocking.candidates``, ``features.compute``,
    ``scoring.score``, ``resolve`` and ``results.assemble``, all sampled leads in one batch as
    the CLI sends a chunk (and again one lead at a time, for the latency);
(b) the same code with blocking replaced by every (lead, name row) pair of the index: one lead at
    a time, over slices of ``--slice`` name rows so that memory stays bounded. The blocker bits
    are 0: ``features.compute`` only carries them through to ``Match.found_by``; no feature,
    weight or decision reads them.

Between slices, brute force keeps only the name rows that can still decide the lead: within
``config.tie_margin`` bits of the best total so far, or at or above ``match_threshold`` (the
contenders and rivals that ``resolve`` weighs), at most :data:`KEEP_CAP` of them (best total,
then smallest account id, as ``resolve`` ranks them). Those are scored again together and
resolved, so the brute-force decision is the one the pipeline would make had blocking proposed
every account. Decisions can only differ from it where the kept rows hit the cap (a lead whose
name is missing ties with thousands of accounts) or in the alternatives listed.

Printed: candidate pairs per lead; the share of sampled leads whose brute-force winner (the
best-scored account after the tie-break) is right, and of those the share whose winner was among
the blocked run's candidates (candidate recall relative to brute force); both runs' decisions;
the time per lead of each; and up to 10 leads that blocking lost, beside their right account.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from leadmatch import AccountIndex, Match, MatchConfig
from leadmatch._util.arrays import IntArray
from leadmatch.io.records import validate_leads
from leadmatch.match import blocking, features, scoring
from leadmatch.match.resolve import resolve
from leadmatch.match.results import assemble
from leadmatch.normalize.leads import prepare
from leadmatch.quality.evaluation import truth_from_rows
from run import generate, read_rows  # benchmarks/run.py: this script's folder is on the path

HERE = Path(__file__).resolve().parent
SIZES = {"smoke": 300, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
#: Most name rows brute force carries from the slices to the final resolve of one lead.
KEEP_CAP = 5_000
#: Leads listed among those lost by blocking.
SHOW_LOST = 10
CATEGORIES = ("matched right", "matched wrong", "review right", "review wrong", "unmatched")


@dataclass(frozen=True)
class Run:
    """One way of matching the sample: a result and the accounts scored, per lead."""

    results: dict[str, Match]
    scored: dict[str, set[str]]
    pairs: int
    seconds: float


def pipeline(
    index: AccountIndex, leads: Sequence[dict[str, Any]], name_rows: IntArray | None = None
) -> tuple[list[Match], features.Features]:
    """The pipeline's stages; with ``name_rows`` (one lead only), those rows instead of the
    blockers' candidates."""
    config = index.config
    view = index.view()
    valid, ids, errors = validate_leads(leads, strict=False)
    batch = prepare(valid)
    index_ids = blocking.batch_ids(view, batch)
    if name_rows is None:
        lead_rows, name_rows, bits = blocking.candidates(view, batch, index_ids, config)
    else:
        lead_rows = np.zeros(len(name_rows), dtype=np.int64)
        bits = np.zeros(len(name_rows), dtype=np.int64)
    feats = features.compute(view, batch, index_ids, lead_rows, name_rows, bits)
    scores = scoring.score(feats, config.weights, view.lookups.group[feats.account])
    decided = resolve(view, feats, scores, len(valid), config)
    return assemble(view, batch, feats, scores, decided, ids, errors), feats


def blocked_run(index: AccountIndex, leads: list[dict[str, Any]]) -> Run:
    started = time.perf_counter()
    results, feats = pipeline(index, leads)
    seconds = time.perf_counter() - started
    account_ids = index.data.account_id
    scored: dict[str, set[str]] = {str(lead["lead_id"]): set() for lead in leads}
    for lead_row, acct in zip(feats.lead.tolist(), feats.account.tolist()):
        scored[str(leads[lead_row]["lead_id"])].add(account_ids[acct])
    by_id = {m.lead_id: m for m in results}
    return Run(by_id, scored, len(feats.lead), seconds)


def one_at_a_time_seconds(index: AccountIndex, leads: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for lead in leads:
        pipeline(index, [lead])
    return time.perf_counter() - started


def brute_force_one(index: AccountIndex, lead: dict[str, Any], slice_rows: int) -> Match:
    """One lead scored against every name row of the index (see the module docstring)."""
    config = index.config
    view = index.view()
    valid, _, _ = validate_leads([lead], strict=False)
    batch = prepare(valid)
    index_ids = blocking.batch_ids(view, batch)
    n_names = len(index.data.name_owner)
    keep_rows = np.zeros(0, dtype=np.int64)
    keep_total = np.zeros(0)
    best = -np.inf
    for start in range(0, n_names if batch.usable[0] else 0, slice_rows):
        rows = np.arange(start, min(start + slice_rows, n_names), dtype=np.int64)
        zeros = np.zeros(len(rows), dtype=np.int64)
        feats = features.compute(view, batch, index_ids, zeros, rows, zeros)
        # Pruned on the raw score: the decision's score adds at most gap * GAP_CAP to it, and
        # ranks a lead's accounts as the raw score does.
        raw = scoring.totals(scoring.choose_levels(feats), config.weights)
        best = max(best, float(raw.max()))
        keep_rows = np.concatenate([keep_rows, rows])
        keep_total = np.concatenate([keep_total, raw])
        bound = keep_total + config.weights.gap * scoring.GAP_CAP
        probability = scoring.probability(bound, config.weights)
        keep = (keep_total >= best - config.tie_margin) | (probability >= config.match_threshold)
        keep_rows, keep_total = keep_rows[keep], keep_total[keep]
    if len(keep_rows) > KEEP_CAP:
        rank = index.lookups.id_rank[index.data.name_owner[keep_rows]]
        order = np.lexsort((rank, -keep_total))[:KEEP_CAP]
        keep_rows = keep_rows[order]
    results, _ = pipeline(index, [lead], np.sort(keep_rows))
    return results[0]


def brute_force_run(index: AccountIndex, leads: list[dict[str, Any]], slice_rows: int) -> Run:
    started = time.perf_counter()
    results: dict[str, Match] = {}
    for done, lead in enumerate(leads, start=1):
        match = brute_force_one(index, lead, slice_rows)
        results[match.lead_id] = match
        if done % 25 == 0 or done == len(leads):
            elapsed = time.perf_counter() - started
            print(
                f"  brute force: {done}/{len(leads)} leads, {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    seconds = time.perf_counter() - started
    all_accounts = set(index.data.account_id)
    scored = dict.fromkeys(results, all_accounts)
    return Run(results, scored, len(leads) * len(index.data.name_owner), seconds)


def category(match: Match, right: frozenset[str]) -> str:
    if match.decision in ("matched", "review"):
        return f"{match.decision} {'right' if match.account_id in right else 'wrong'}"
    return match.decision


def describe_account(index: AccountIndex, account_id: str) -> str:
    acct = index.account(account_id)
    domains = ", ".join(acct["domains"]) or "no domain"
    return f"{account_id} {acct['name']!r} ({domains}; {acct['country'] or '?'})"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.4f} ({part}/{whole})" if whole else "- (0/0)"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--accounts", required=True, help=f"folder with accounts.csv, leads.csv; or {list(SIZES)}"
    )
    parser.add_argument("--sample", type=int, default=200, help="leads sampled (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="sample (and generator) seed")
    parser.add_argument("--leads", type=int, help="leads to generate for a size (3 x, <= 100k)")
    parser.add_argument(
        "--slice", type=int, default=250_000, help="name rows scored at once by brute force"
    )
    args = parser.parse_args()
    if args.sample < 1 or args.slice < 1:
        parser.error("--sample and --slice must be positive")
    print(f"leadmatch blocking recall vs brute force; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.accounts)
        if args.accounts in SIZES:
            folder = Path(tmp)
            n = SIZES[args.accounts]
            started = time.perf_counter()
            generate(n, args.seed, folder, args.leads or min(3 * n, 100_000))
            print(f"generated {args.accounts} data in {time.perf_counter() - started:.1f} s")
        elif not (folder / "accounts.csv").is_file() or not (folder / "leads.csv").is_file():
            parser.error(f"{folder} has no accounts.csv and leads.csv, and is not {list(SIZES)}")
        evaluate(folder, args.sample, args.seed, args.slice)


def evaluate(folder: Path, sample_size: int, seed: int, slice_rows: int) -> None:
    started = time.perf_counter()
    index = AccountIndex.build(read_rows(folder / "accounts.csv", "account"), MatchConfig())
    print(f"built {index!r} from {folder} in {time.perf_counter() - started:.1f} s")
    with (folder / "leads.csv").open(encoding="utf-8", newline="") as f:
        truth = truth_from_rows(csv.DictReader(f))
    all_leads = read_rows(folder / "leads.csv", "lead")
    eligible = [lead for lead in all_leads if truth.get(str(lead.get("lead_id")))]
    sample = random.Random(seed).sample(eligible, min(sample_size, len(eligible)))
    del all_leads
    n = len(sample)
    print(
        f"sample: {n} of the {len(eligible):,} leads that have a right account "
        f"(random.Random({seed}).sample)\n"
    )

    blocked = blocked_run(index, sample)
    single = one_at_a_time_seconds(index, sample)
    brute = brute_force_run(index, sample, slice_rows)

    ids = [str(lead["lead_id"]) for lead in sample]
    accounts_per_lead = sum(len(blocked.scored[i]) for i in ids) / n
    truth_hit = sum(1 for i in ids if truth[i] & blocked.scored[i])
    finds = [i for i in ids if brute.results[i].candidate_id in truth[i]]
    kept = [i for i in finds if brute.results[i].candidate_id in blocked.scored[i]]
    lost = [i for i in finds if i not in kept]
    cats = {
        name: {i: category(run.results[i], truth[i]) for i in ids}
        for name, run in (("blocked", blocked), ("brute", brute))
    }
    right = "matched right"
    brute_only = [i for i in ids if cats["brute"][i] == right and cats["blocked"][i] != right]
    blocked_only = [i for i in ids if cats["blocked"][i] == right and cats["brute"][i] != right]
    same_winner = sum(
        1 for i in ids if blocked.results[i].candidate_id == brute.results[i].candidate_id
    )

    print(f"## blocking vs brute force: {len(index):,} accounts, {n} sampled leads\n")
    print(f"- blocked run: {blocked.pairs / n:.1f} candidate pairs per lead")
    print(f"  ({accounts_per_lead:.1f} accounts)")
    print(f"- brute force: {len(index.data.name_owner):,} pairs per lead (every name row)")
    print(f"- candidate recall against the truth (blocked run): {share(truth_hit, n)}")
    print(f"- brute force finds (its best-scored account is right): {share(len(finds), n)}")
    print(
        f"- **candidate recall relative to brute force** (of those, the blocked run's candidates "
        f"held that account): {share(len(kept), len(finds))} (target >= 0.995)"
    )
    print(f"- same winning account in both runs: {share(same_winner, n)}")
    print(f"- matched right by brute force, not by the blocked run: {len(brute_only)}")
    print(f"- matched right by the blocked run, not by brute force: {len(blocked_only)}")
    print(
        f"- time per lead: blocked {blocked.seconds / n * 1000:.2f} ms in one batch of {n}, "
        f"{single / n * 1000:.2f} ms one at a time; brute force {brute.seconds / n * 1000:,.1f} ms "
        f"({brute.seconds:,.1f} s in all)"
    )

    print("\ndecisions (rows: brute force, columns: blocked run; right = an acceptable account)\n")
    print("| brute force \\ blocked | " + " | ".join(CATEGORIES) + " | total |")
    print("| --- |" + " ---: |" * (len(CATEGORIES) + 1))
    table = Counter((cats["brute"][i], cats["blocked"][i]) for i in ids)
    rows = [*CATEGORIES, *sorted({c for c, _ in table} - set(CATEGORIES))]
    for row in rows:
        cells = [table[(row, col)] for col in CATEGORIES]
        print(f"| {row} | " + " | ".join(str(c) for c in cells) + f" | {sum(cells)} |")
    totals = [sum(table[(row, col)] for row in rows) for col in CATEGORIES]
    print("| total | " + " | ".join(str(c) for c in totals) + f" | {n} |")

    leads_by_id = {str(lead["lead_id"]): lead for lead in sample}
    shown = lost[:SHOW_LOST]
    print(f"\nleads lost by blocking (right account found by brute force only): {len(lost)}")
    for i in shown:
        lead, b, m = leads_by_id[i], brute.results[i], blocked.results[i]
        print(
            f"- {i}: company {lead.get('company')!r}, email {lead.get('email')!r}, "
            f"website {lead.get('website')!r}, country {lead.get('country')!r}\n"
            f"  right account {describe_account(index, str(b.candidate_id))}; brute force "
            f"{b.decision} {b.confidence:.3f}: {b.reasons()}\n"
            f"  blocked run: {m.decision} {m.confidence:.3f}"
            + (f" -> {describe_account(index, m.candidate_id)}" if m.candidate_id else "")
        )
    if len(lost) > len(shown):
        print(f"- ... and {len(lost) - len(shown)} more")


if __name__ == "__main__":
    main()
