"""Spark on one machine against the in-process run: the same leads, the same index.

    python benchmarks/spark.py --accounts 100000 --leads 1000000   # ~15 min on 2 cores
    python benchmarks/spark.py --accounts 300 --leads 2000         # CI smoke test

A synthetic CRM (``benchmarks/synth.py``, seed 7) is indexed (``leadmatch index``) and its
leads repeated, with new ids, into a Parquet file of ``--leads`` rows. Then, on that file:
``leadmatch match`` in this machine's processes (``--workers 1`` and ``--workers 2``, Parquet
in and out), and ``leadmatch.spark.match`` on a ``local[2]`` session (read Parquet, match,
write Parquet), each timed from start to the last row written. The Spark results are checked
against the in-process ones, row for row (by lead id). Printed: a Markdown table of seconds,
leads/s and the ratio to ``--workers 2``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from formats import indexed_crm, leads_of, write  # benchmarks/formats.py, beside this one


def cli_match(index: Path, leads: Path, out: Path, workers: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "leadmatch.cli", "match", "--accounts", str(index), "--leads",
         str(leads), "--out", str(out), "--quiet", "--workers", str(workers)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    from leadmatch import spark as lm_spark

    print(f"leadmatch on Spark; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pool, index = indexed_crm(folder, args.accounts)
        leads = folder / "leads.parquet"
        write(leads, leads_of(pool, args.leads), "parquet")
        timings = {
            f"leadmatch match --workers {w} (Parquet in and out)": cli_match(
                index, leads, folder / f"out-{w}.parquet", w
            )
            for w in (1, 2)
        }
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("leadmatch-benchmark")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "4g")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            started = time.perf_counter()
            frame = spark.read.parquet(str(leads))
            lm_spark.match(frame, index).write.parquet(str(folder / "spark-out"))
            timings["leadmatch.spark.match on local[2] (Parquet in and out)"] = (
                time.perf_counter() - started
            )
        finally:
            spark.stop()
        ours = pq.read_table(folder / "spark-out").to_pylist()
        theirs = pq.read_table(folder / "out-2.parquet").to_pylist()
        by_id = {row["lead_id"]: row for row in theirs}  # the CLI's columns: compare those
        differ = sum(
            {k: row[k] for k in by_id.get(row["lead_id"], row)} != by_id.get(row["lead_id"])
            for row in ours
        )
        base = timings["leadmatch match --workers 2 (Parquet in and out)"]
        print(f"\n{args.accounts:,} accounts, {args.leads:,} leads\n")
        print("| run | seconds | leads/s | time / `--workers 2` |")
        print("| --- | ---: | ---: | ---: |")
        for name, seconds in timings.items():
            print(
                f"| {name} | {seconds:.1f} | {args.leads / seconds:,.0f} | {seconds / base:.2f} |"
            )
        print(
            f"\nSpark results: {len(ours):,} rows for {args.leads:,} leads; "
            f"{differ} differ from the in-process run"
        )


if __name__ == "__main__":
    main()
