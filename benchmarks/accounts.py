"""Account-level work at scale: rollup and coverage over many match rows, duplicate accounts.

    python benchmarks/accounts.py --accounts 100k --rows 10000000
    python benchmarks/accounts.py --accounts 1m --rows 1000000
    python benchmarks/accounts.py --accounts smoke --rows 20000 --propose smoke   # CI
    python benchmarks/accounts.py --accounts smoke --rows 1000 --propose 100k     # proposals

Accounts come from ``benchmarks/synth.py`` (seed 7). The match rows are made up: each names a
random account of the index with a random decision (80% matched, 10% review, 10% unmatched),
and the first million leads a random contact among 5 per account, so that the figures are
about the group-by, not about matching (``run.py`` measures that). Printed: seconds and rows
per second of ``rollup`` (per account and per ultimate parent, with the leads' emails for
contacts),
``coverage`` of a 10,000-account target list, and ``find_duplicate_accounts`` over the index,
with the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from leadmatch import AccountIndex, coverage, find_duplicate_accounts, rollup
from leadmatch.io.columns import open_text, read_csv
from run import generate  # benchmarks/run.py: this script's folder is on the path

#: Rows whose leads carry an email for the contacts step (the leads' fields cost memory).
CONTACT_ROWS = 1_000_000
SIZES = {"smoke": 300, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", choices=sorted(SIZES), default="100k")
    parser.add_argument("--rows", type=int, default=1_000_000, help="match rows (default 1M)")
    parser.add_argument(
        "--propose", choices=sorted(SIZES), help="also propose net-new accounts at this size"
    )
    args = parser.parse_args()
    n = SIZES[args.accounts]
    print(f"leadmatch account-level benchmark; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        generate(n, 7, Path(tmp), 10)
        started = time.perf_counter()
        with open_text(str(Path(tmp) / "accounts.csv")) as f:
            _, accounts = read_csv(f, "account")
            index = AccountIndex.build(accounts, workers=2 if n >= 100_000 else 1)
        print(f"built {index!r} in {time.perf_counter() - started:.1f} s")
    rng = random.Random(7)
    ids = list(index.data.account_id)
    decisions = ["matched"] * 8 + ["review", "unmatched"]
    results, leads = [], []
    for i in range(args.rows):
        account = rng.choice(ids)
        lead_id = f"L{i}"
        results.append(
            {"lead_id": lead_id, "account_id": account, "decision": rng.choice(decisions)}
        )
        if i < CONTACT_ROWS:
            email = f"p{rng.randrange(5)}@{account.lower()}.com"
            leads.append({"lead_id": lead_id, "email": email})
    some = results[:CONTACT_ROWS]
    targets = [{"account_id": a, "tier": str(k % 3 + 1)} for k, a in enumerate(ids[:10_000])]
    print(f"{args.rows:,} match rows over {len(ids):,} accounts; peak RSS {peak_mb():,.0f} MB\n")
    print("| step | seconds | rows/s |")
    print("| --- | ---: | ---: |")
    steps = (
        ("rollup per account (counts only)", lambda: rollup(results, index)),
        ("rollup per account, with contacts", lambda: rollup(some, index, leads=leads)),
        ("rollup per ultimate parent", lambda: rollup(results, index, level="parent")),
        ("coverage of 10,000 targets", lambda: coverage(results, index, targets, min_leads=2)),
    )
    for label, step in steps:
        started = time.perf_counter()
        step()
        seconds = time.perf_counter() - started
        rows = len(some) if "contacts" in label else args.rows
        print(f"| {label} ({rows:,} rows) | {seconds:.2f} | {rows / seconds:,.0f} |")
    started = time.perf_counter()
    groups = find_duplicate_accounts(index)
    seconds = time.perf_counter() - started
    print(f"\nfind_duplicate_accounts: {len(groups):,} groups among {len(ids):,} accounts in "
          f"{seconds:.2f} s; peak RSS {peak_mb():,.0f} MB")  # fmt: skip
    if args.propose:
        proposals(SIZES[args.propose])


def proposals(n: int) -> None:
    """Net-new accounts on a synthetic CRM whose unknown companies have several leads each:
    pairwise precision and recall of same-company leads among the unmatched leads grouped."""
    import csv
    import itertools
    from collections import defaultdict

    from leadmatch import propose_accounts

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(n, 7, folder, 3 * n)
        with open_text(str(folder / "accounts.csv")) as f:
            _, accounts = read_csv(f, "account")
            index = AccountIndex.build(accounts, workers=2 if n >= 100_000 else 1)
        with (folder / "leads.csv").open(encoding="utf-8", newline="") as f:
            leads = list(csv.DictReader(f))
        with (folder / "unknown_companies.csv").open(encoding="utf-8", newline="") as f:
            company = {r["lead_id"]: r["company"] for r in csv.DictReader(f)}
    results = index.match_many(leads)
    unmatched = sum(1 for m in results if m.decision == "unmatched")
    started = time.perf_counter()
    proposed = propose_accounts(leads, results)
    seconds = time.perf_counter() - started
    # The company of each lead: its account for the leads the matcher missed, else the
    # generator's unknown company.
    truth = {
        lead["lead_id"]: company.get(lead["lead_id"]) or f"A{lead['true_account_id']}"
        for lead in leads
        if company.get(lead["lead_id"]) or lead["true_account_id"]
    }

    def pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
        return {p for g in groups for p in itertools.combinations(sorted(g), 2)}

    grouped = [list(p.lead_ids) for p in proposed]
    by_company: dict[str, list[str]] = defaultdict(list)
    for lead_id in (lead_id for g in grouped for lead_id in g):
        if lead_id in truth:
            by_company[truth[lead_id]].append(lead_id)
    predicted, true = pairs(grouped), pairs(list(by_company.values()))
    right = len(predicted & true)
    print(f"\npropose_accounts, {n:,} accounts, {len(leads):,} leads ({unmatched:,} unmatched): "
          f"{len(proposed):,} proposals ({sum(len(g) > 1 for g in grouped):,} of 2+ leads) in "
          f"{seconds:.1f} s ({unmatched / seconds:,.0f} unmatched leads/s); same-company pairs: "
          f"precision {right / max(len(predicted), 1):.3f} ({right:,}/{len(predicted):,}), "
          f"recall {right / max(len(true), 1):.3f} ({right:,}/{len(true):,})")  # fmt: skip


if __name__ == "__main__":
    main()
