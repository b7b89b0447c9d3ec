"""Live index updates: the cost of add / update / remove against the size of the index.

    python benchmarks/updates.py --accounts smoke                       # CI
    python benchmarks/updates.py --accounts 100k
    python benchmarks/updates.py --crm /tmp/d1m --index /tmp/d1m/idx.lmx   # 1M, saved index

Accounts come from ``benchmarks/synth.py`` (seed 7), or from ``--crm FOLDER/accounts.csv`` with
its saved index (``leadmatch index``). New accounts are another synthetic CRM (seed 11) whose
ids are prefixed ``NEW-``. Each change is timed on its own (median of ``--repeat`` runs, the
index growing or shrinking as it goes), then 1,000 accounts in one call, and ``save`` after.
``--verify N`` then matches N leads on the changed index and on an index built fresh from its
final accounts, and counts the results that differ (expected: 0). Printed: a Markdown table
and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leadmatch import AccountIndex

# benchmarks/run.py: this script's folder is on the path
from run import each_run, generate, read_rows

SIZES = {"smoke": 300, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
BULK = 1_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def new_accounts(n: int, folder: Path) -> list[dict[str, Any]]:
    generate(n, 11, folder)
    rows = read_rows(folder / "accounts.csv", "account")[:n]
    for row in rows:
        row["account_id"] = f"NEW-{row['account_id']}"
        if row.get("parent_id"):
            row["parent_id"] = f"NEW-{row['parent_id']}"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", choices=sorted(SIZES), default="10k")
    parser.add_argument(
        "--crm", type=Path, help="a folder with accounts.csv (instead of --accounts)"
    )
    parser.add_argument("--index", type=Path, help="its saved index (with --crm)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each one-account change")
    parser.add_argument("--verify", type=int, default=2_000, help="leads compared with a rebuild")
    args = parser.parse_args()
    print(f"leadmatch live-update benchmark; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.crm:
            accounts = read_rows(args.crm / "accounts.csv", "account")
        else:
            generate(SIZES[args.accounts], 7, folder / "crm", 10)
            accounts = read_rows(folder / "crm" / "accounts.csv", "account")
        started = time.perf_counter()
        if args.index:
            index = AccountIndex.load(args.index)
            how = "loaded"
        else:
            index = AccountIndex.build(accounts, workers=2 if len(accounts) >= 100_000 else 1)
            how = "built"
        print(f"{how} {index!r} in {time.perf_counter() - started:.1f} s")
        fresh = new_accounts(BULK + 2 * args.repeat + 1, folder / "new")
        final = {a["account_id"]: a for a in accounts if a["account_id"] in index}
        held = list(final.values())
        random.Random(7).shuffle(held)
        one_new = iter(fresh[BULK:])
        to_update = iter(held[: args.repeat])
        to_remove = iter(held[args.repeat : 2 * args.repeat])
        bulk_remove = [a["account_id"] for a in held[2 * args.repeat : 2 * args.repeat + BULK]]

        def add(records: list[dict[str, Any]]) -> None:
            index.add(records)
            final.update((r["account_id"], r) for r in records)

        def update(record: dict[str, Any]) -> None:
            changed = {**record, "name": f"{record['name']} Group"}
            index.update([changed])
            final[record["account_id"]] = changed

        def remove(ids: list[str]) -> None:
            index.remove(ids)
            for i in ids:
                del final[i]

        steps: list[tuple[str, list[float]]] = [
            (
                "first change: add 1 account (prepares in-place edits)",
                each_run(lambda: add([next(one_new)]), 1),
            ),
            ("add 1 account", each_run(lambda: add([next(one_new)]), args.repeat)),
            ("update 1 account (new name)", each_run(lambda: update(next(to_update)), args.repeat)),
            (
                "remove 1 account",
                each_run(lambda: remove([next(to_remove)["account_id"]]), args.repeat),
            ),
            (f"add {BULK:,} accounts in one call", each_run(lambda: add(fresh[:BULK]), 1)),
            (
                f"remove {len(bulk_remove):,} accounts in one call",
                each_run(lambda: remove(bulk_remove), 1),
            ),
            ("save the changed index", each_run(lambda: index.save(folder / "changed.lmx"), 1)),
        ]
        print(f"\n{index!r} after the changes; peak RSS {peak_mb():,.0f} MB\n")
        print("| change | median ms | min ms | max ms |")
        print("| --- | ---: | ---: | ---: |")
        for name, times in steps:
            ms = [t * 1000 for t in times]
            print(f"| {name} | {statistics.median(ms):,.1f} | {min(ms):,.1f} | {max(ms):,.1f} |")
        if args.verify:
            verify(index, list(final.values()), args.verify)


def verify(index: AccountIndex, final: list[dict[str, Any]], n: int) -> None:
    """Leads of the final accounts, matched by the changed index and by a rebuild from them."""
    started = time.perf_counter()
    rebuilt = AccountIndex.build(final, workers=2 if len(final) >= 100_000 else 1)
    rebuild = time.perf_counter() - started
    sample = random.Random(11).sample(final, min(n, len(final)))
    leads = [
        {"lead_id": str(k), "company": a["name"], "email": f"x@{a.get('domain') or 'gmail.com'}"}
        for k, a in enumerate(sample)
    ]
    differ = sum(a != b for a, b in zip(index.match_many(leads), rebuilt.match_many(leads)))
    print(
        f"\nverify: rebuilt {len(final):,} accounts in {rebuild:.1f} s; "
        f"{differ} of {len(leads):,} leads differ between the changed index and the rebuild"
    )


if __name__ == "__main__":
    main()
