"""Threads sharing one index, as a service does: throughput with 1, 2, 4 and 8 threads, while
another thread keeps the index current.

    python benchmarks/threads.py --accounts 100000 --leads 20000
    python benchmarks/threads.py --accounts 300 --leads 400           # CI smoke test

A synthetic CRM (``benchmarks/synth.py``, seed 7) and its leads. Each run splits the leads
among N threads; each thread matches its share one lead at a time (``index.match``, the
service pattern) or in batches of 500 (``match_many``). With ``--updates``, one more thread
adds and removes an account every ``--every`` seconds meanwhile (a CRM webhook). Every result
is checked against a serial run of the same index version (the updates touch accounts no
lead matches, so every version gives the serial results). Printed: a Markdown table of
leads/s per thread count.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from leadmatch import AccountIndex, Match
from run import built_crm  # benchmarks/run.py: this script's folder is on the path


def run(index: AccountIndex, leads: list[dict[str, Any]], threads: int, batch: int) -> float:
    """Seconds to match all leads split among ``threads`` (``batch`` 1: one ``match`` each)."""
    shares = [leads[k::threads] for k in range(threads)]
    out: list[list[Match]] = [[] for _ in range(threads)]

    def work(k: int) -> None:
        share = shares[k]
        if batch == 1:
            out[k] = [index.match(lead) for lead in share]
        else:
            for start in range(0, len(share), batch):
                out[k] += index.match_many(share[start : start + batch])

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    started = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - started
    got = {m.lead_id: (m.account_id, m.confidence, m.decision) for part in out for m in part}
    serial = {m.lead_id: (m.account_id, m.confidence, m.decision) for m in SERIAL}
    if got != serial:
        raise SystemExit(f"{threads} threads gave other results than the serial run")
    return seconds


SERIAL: list[Match] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between updates")
    args = parser.parse_args()
    print(f"leadmatch with threads; python {sys.version.split()[0]}")
    index, leads = built_crm(args.accounts, args.leads)
    SERIAL.extend(index.match_many(leads))
    print(f"\n{index!r}; {len(leads):,} leads; updates every {args.every} s when on\n")
    print("| threads | one lead a call (leads/s) | batches of 500 (leads/s) "
          "| one lead a call, with updates | updates applied |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: |")
    for threads in (1, 2, 4, 8):
        single = run(index, leads, threads, 1)
        batched = run(index, leads, threads, 500)
        done = threading.Event()
        applied = [0]

        def updater(done: threading.Event = done, applied: list[int] = applied) -> None:
            n = 0
            while not done.wait(args.every):
                record = {"account_id": f"WEBHOOK-{n}", "name": f"Zzyzx Quokka Holdings {n}"}
                index.add([record])
                index.remove([record["account_id"]])
                applied[0] += 2
                n += 1

        writer = threading.Thread(target=updater)
        writer.start()
        try:
            updated = run(index, leads, threads, 1)
        finally:
            done.set()
            writer.join()
        n = len(leads)
        print(f"| {threads} | {n / single:,.0f} | {n / batched:,.0f} | {n / updated:,.0f} "
              f"| {applied[0]} |")  # fmt: skip


if __name__ == "__main__":
    main()
