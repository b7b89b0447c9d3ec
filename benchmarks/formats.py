"""The CLI on CSV, JSON Lines and Parquet files: speed, and memory that does not grow with the
file.

    python benchmarks/formats.py --accounts 100000 --leads 1000000   # ~10 min
    python benchmarks/formats.py --accounts 300 --leads 4000         # CI smoke test

A synthetic CRM (``benchmarks/synth.py``, seed 7) is indexed once (``leadmatch index``); its
leads are repeated, each copy with new lead ids, into a leads file of each format of
``--leads`` rows and of half as many; ``leadmatch match`` runs on each (leads and results in
that format, one process) in a child process whose peak RSS is read from the kernel
(``RUSAGE_CHILDREN`` of a fresh child each time). Flat memory shows as the same peak for both
sizes of one format. Printed: a Markdown table of seconds, leads/s and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from run import generate, read_rows  # benchmarks/run.py: this script's folder is on the path

FIELDS = ("lead_id", "first_name", "last_name", "email", "company", "website", "country", "city")


def leads_of(pool: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        row = pool[i % len(pool)]
        yield {**{f: row.get(f) or None for f in FIELDS}, "lead_id": f"S{i:09d}"}


def write(path: Path, rows: Iterator[dict[str, Any]], fmt: str) -> None:
    """Written a batch at a time: the file never sits in this process's memory either."""
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows({k: v or "" for k, v in r.items()} for r in rows)
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(f, pa.string()) for f in FIELDS])
        with pq.ParquetWriter(path, schema) as writer:
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                    batch = []
            if batch:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))


def indexed_crm(folder: Path, accounts: int) -> tuple[list[dict[str, Any]], Path]:
    """A synthetic CRM of ``accounts`` in ``folder``: its pool of leads and its saved index
    (built as a user builds it, by ``leadmatch index``)."""
    generate(accounts, 7, folder / "crm", max(accounts * 3, 1_000))
    pool = read_rows(folder / "crm" / "leads.csv", "lead")
    index = folder / "accounts.lmx"
    subprocess.run(
        [sys.executable, "-m", "leadmatch.cli", "index", "--accounts",
         str(folder / "crm" / "accounts.csv"), "--out", str(index), "--quiet"],
        check=True,
    )  # fmt: skip
    return pool, index


def run_child(index: Path, leads: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``leadmatch match`` in a fresh child process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); "
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    command = [sys.executable, "-m", "leadmatch.cli", "match", "--accounts", str(index),
               "--leads", str(leads), "--out", str(out), "--quiet"]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code, *command], check=True, capture_output=True, text=True
    )
    seconds, peak = result.stdout.split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,jsonl,parquet")
    args = parser.parse_args()
    print(f"leadmatch file-format benchmark; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pool, index = indexed_crm(folder, args.accounts)
        print(f"\n{args.accounts:,} accounts; a pool of {len(pool):,} distinct leads\n")
        print("| format | leads | file MB | seconds | leads/s | peak RSS MB |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for fmt in args.formats.split(","):
            for n in (args.leads // 2, args.leads):
                leads = folder / f"leads-{n}.{fmt}"
                write(leads, leads_of(pool, n), fmt)
                seconds, peak = run_child(index, leads, folder / f"out-{n}.{fmt}")
                size = leads.stat().st_size / 1e6
                print(f"| {fmt} | {n:,} | {size:,.0f} | {seconds:.1f} | {n / seconds:,.0f} "
                      f"| {peak:,.0f} |")  # fmt: skip
                leads.unlink()


if __name__ == "__main__":
    main()
