"""Memory stays flat while ``AccountIndex.match_iter`` matches a stream of millions of leads.

    python benchmarks/stream.py --accounts 100000 --leads 10000000   # ~30 min on 2 cores
    python benchmarks/stream.py --accounts 300 --leads 5000          # smoke test, seconds

The accounts and a pool of distinct leads (``--pool``, default 300,000 but at most half the
stream, so that even the smoke test cycles) come from
``benchmarks/synth.py`` (seeded). The stream is a generator that reads the pool's ``leads.csv``
lazily, row by row, and starts over at its end until ``--leads`` leads have been produced;
every lead gets a new, unique ``lead_id`` (``S000000001``...). Neither the pool nor the stream
is ever held in memory: only the CSV reader's buffer and the chunk that ``match_iter`` holds.
Reading and parsing the CSV is part of the measured rate, as it is for the CLI.

A pool larger than the normalizers' LRU caches (131,072 entries each) keeps those caches full
and turning over, as they would be on a real stream of distinct leads; the pipeline keeps no
state between chunks, so cycling a pool exercises the same code and memory as fresh leads.
The results are consumed and dropped at once: only the count of each decision is kept.

Every ``--every`` leads (default 1,000,000; a fifth of the stream when it is shorter) the run
prints the leads done, elapsed seconds, leads/s, the current RSS (``VmRSS``) and the peak RSS
(``VmHWM``) of the process; the peak is reset after the index is built where Linux allows it
(``/proc/self/clear_refs``), so that it measures matching, not building. The last line compares
the RSS at the first report with the RSS at the end.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leadmatch import AccountIndex, MatchConfig
from leadmatch.io.columns import open_text, read_csv
from run import generate  # benchmarks/run.py: this script's folder is on the path

HERE = Path(__file__).resolve().parent
#: A drift below this share of the first report's RSS counts as flat.
FLAT_SHARE = 0.05


def memory_mb() -> tuple[float, float]:
    """Current and peak resident set size of this process, in MB (``/proc/self/status``)."""
    fields: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) / 1024.0
    except OSError:  # not Linux: the peak is all there is
        pass
    peak = fields.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
    return fields.get("VmRSS", peak), peak


def reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux 4.0+); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def read_accounts(path: Path) -> list[dict[str, Any]]:
    with open_text(str(path)) as stream:
        _, rows = read_csv(stream, "account")
        return list(rows)


def lead_stream(path: Path, total: int, passes: list[int]) -> Iterator[dict[str, Any]]:
    """``total`` leads read lazily from ``path``, from its start again at its end, each with a
    unique ``lead_id``; ``passes[0]`` counts the passes begun over the file."""
    done = 0
    while done < total:
        passes[0] += 1
        before = done
        with open_text(str(path)) as stream:
            _, rows = read_csv(stream, "lead")
            for row in rows:
                if done >= total:
                    return
                done += 1
                row["lead_id"] = f"S{done:09d}"
                yield row
        if done == before:
            raise SystemExit(f"{path} has no leads")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts (default 100k)")
    parser.add_argument("--leads", type=int, default=10_000_000, help="leads in the stream")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument(
        "--chunk", type=int, help="match_iter chunk_size (20,000; less for a short stream)"
    )
    parser.add_argument("--pool", type=int, default=300_000, help="distinct leads generated")
    parser.add_argument("--every", type=int, help="report every this many leads")
    args = parser.parse_args()
    if min(args.accounts, args.leads, args.pool, args.chunk or 1, args.every or 1) < 1:
        parser.error("--accounts, --leads, --pool, --chunk and --every must be positive")
    every = args.every or (1_000_000 if args.leads >= 2_000_000 else max(args.leads // 5, 1))
    chunk = args.chunk or min(20_000, max(every // 2, 1))
    pool = min(args.pool, -(-args.leads // 2))
    print(f"leadmatch stream benchmark; python {sys.version.split()[0]}")

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        generate(args.accounts, args.seed, Path(tmp), pool)
        print(
            f"generated {args.accounts:,} accounts and a pool of {pool:,} distinct leads "
            f"(synth.py, seed {args.seed}) in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        index = AccountIndex.build(read_accounts(Path(tmp) / "accounts.csv"), MatchConfig())
        gc.collect()
        built = time.perf_counter() - started
        rss, peak = memory_mb()
        print(f"built {index!r} in {built:.1f} s; RSS {rss:,.0f} MB, peak {peak:,.0f} MB")
        peak_label = "peak since build" if reset_peak() else "peak incl. build"
        print(
            f"streaming {args.leads:,} leads: the pool's leads.csv read lazily and cycled "
            f"(~{args.leads / pool:,.1f} passes), each lead with a unique lead_id; "
            f"match_iter(chunk_size={chunk:,}); results counted, not kept\n"
        )
        print(f"| leads done | elapsed s | leads/s | RSS MB | {peak_label} MB |")
        print("| ---: | ---: | ---: | ---: | ---: |")

        passes = [0]
        reports: list[tuple[int, float]] = []
        next_report = every
        started = time.perf_counter()

        def report(done: int) -> None:
            elapsed = time.perf_counter() - started
            rss, peak = memory_mb()
            reports.append((done, rss))
            print(
                f"| {done:,} | {elapsed:,.1f} | {done / elapsed:,.0f} | {rss:,.0f} | {peak:,.0f} |",
                flush=True,
            )

        def progress(done: int) -> None:
            nonlocal next_report
            if done >= next_report:
                report(done)
                while next_report <= done:
                    next_report += every

        decisions: Counter[str] = Counter()
        stream = lead_stream(Path(tmp) / "leads.csv", args.leads, passes)
        for match in index.match_iter(stream, chunk_size=chunk, progress=progress):
            decisions[match.decision] += 1
        elapsed = time.perf_counter() - started
        total = sum(decisions.values())
        if not reports or reports[-1][0] != total:
            report(total)

    print(
        f"\n{total:,} leads in {elapsed:,.1f} s ({total / elapsed:,.0f} leads/s), "
        f"{passes[0]:,} passes over the pool; decisions: {dict(decisions)}"
    )
    first_done, first_rss = reports[0]
    end_rss = reports[-1][1]
    growth = end_rss - first_rss
    share = growth / first_rss if first_rss else 0.0
    verdict = "flat" if abs(share) < FLAT_SHARE else "NOT flat"
    print(
        f"verdict: memory {verdict}: RSS {first_rss:,.0f} MB after the first {first_done:,} "
        f"leads, {end_rss:,.0f} MB after {total:,} ({growth:+,.0f} MB, {share:+.1%})"
    )


if __name__ == "__main__":
    main()
