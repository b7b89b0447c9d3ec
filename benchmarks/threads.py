"""Threads sharing one index, as a service does: throughput with 1, 2, 4 and 8 threads, while
another thread keeps the index current.

    python benchmarks/threads.py --accounts 100000 --leads 20000
    python benchmarks/threads.py --accounts 300 --leads 400           # CI smoke test

A synthetic CRM (``benchmarks/synth.py``, seed 7) and its leads. Each run splits the leads
among N threads; each thread matches its share one lead at a time (``index.match``, the
service pattern) or in batches of ``--batch`` leads (``match_many``, default 100). In the
third run one more thread adds and removes an account every ``--every`` seconds meanwhile (a
CRM webhook). Every result is checked against a serial run: account, decision and
confidence; in the third run account and decision only (while the extra account is in, the
words of the others are a little rarer, which moves confidences a little). Printed: a
Markdown table of leads/s per thread count.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from leadmatch import AccountIndex, Match
from run import built_crm  # benchmarks/run.py: this script's folder is on the path


def run(
    index: AccountIndex, leads: list[dict[str, Any]], threads: int, batch: int, exact: bool = True
) -> float:
    """Seconds to match all leads split among ``threads`` (``batch`` 1: one ``match`` each);
    each result is checked against the serial run's, its confidence too where ``exact``."""
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
    got = {m.lead_id: (m.account_id, m.confidence if exact else 0, m.decision)
           for part in out for m in part}  # fmt: skip
    serial = {m.lead_id: (m.account_id, m.confidence if exact else 0, m.decision) for m in SERIAL}
    if got != serial:
        first = next(k for k in serial if got.get(k) != serial[k])
        raise SystemExit(
            f"{threads} threads, batches of {batch}, gave other results than the serial run: "
            f"lead {first}: {got.get(first)} against {serial[first]}"
        )
    return seconds


SERIAL: list[Match] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between updates")
    parser.add_argument("--batch", type=int, default=100, help="leads per match_many call")
    args = parser.parse_args()
    print(f"leadmatch with threads; python {sys.version.split()[0]}")
    index, leads = built_crm(args.accounts, args.leads)
    SERIAL.extend(index.match_many(leads))
    print(f"\n{index!r}; {len(leads):,} leads; updates every {args.every} s when on\n")
    print(f"| threads | one lead a call (leads/s) | batches of {args.batch} (leads/s) "
          "| one lead a call, with updates | updates applied |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: |")
    for threads in (1, 2, 4, 8):
        single = run(index, leads, threads, 1)
        batched = run(index, leads, threads, args.batch)
        done = threading.Event()
        applied = [0]

        def updater(done: threading.Event = done, applied: list[int] = applied) -> None:
            n = 0
            while not done.wait(args.every):
                # A name of words no lead has: an account's words weigh by how common they
                # are, so one that shares a lead's word ("Holdings") moves its confidence.
                record = {"account_id": f"WEBHOOK-{n}", "name": "Zzyzx Quokka Qwxv"}
                index.add([record])
                index.remove([record["account_id"]])
                applied[0] += 2
                n += 1

        writer = threading.Thread(target=updater)
        writer.start()
        try:
            # While the extra account is in, other accounts' words are a little rarer and
            # confidences move by a little: the accounts and decisions must not.
            updated = run(index, leads, threads, 1, exact=False)
        finally:
            done.set()
            writer.join()
        n = len(leads)
        print(f"| {threads} | {n / single:,.0f} | {n / batched:,.0f} | {n / updated:,.0f} "
              f"| {applied[0]} |")  # fmt: skip


if __name__ == "__main__":
    main()
