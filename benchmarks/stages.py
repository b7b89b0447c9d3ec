"""Where the time of a build and of matching goes, stage by stage, without a profiler (which
inflates Python's share): wall seconds of each stage as the CLI runs it.

    python benchmarks/stages.py --folder /tmp/d1m --workers 2 --leads 30000
    python benchmarks/stages.py --accounts 100000 --leads 20000          # generated, seed 7
    python benchmarks/stages.py --accounts 300 --leads 300                # CI-sized

Build: reading the accounts CSV; normalizing the records into each chunk's columns (in
``--workers`` processes); the chunks' columns appended in this process (ids checked, domains
and words numbered as the whole's); the look-up tables (``derive``, NumPy). Match: a saved
index loaded, then the leads in the CLI's batches through each stage in this process
(``benchmarks/run.py``'s stages: validate, normalize, candidates, features, confidence,
decision, results).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from leadmatch import AccountIndex
from leadmatch._util.processes import chunked
from leadmatch.cli import CHUNK
from leadmatch.config import MatchConfig
from leadmatch.io.columns import open_text, read_csv
from leadmatch.tables import RowValues, build_data, derive
from leadmatch.tables.build import CHUNK as BUILD_CHUNK
from leadmatch.tables.build import part_of
from run import match_chunk, on_crm, read_rows  # benchmarks/run.py, this script's folder


def build_stages(accounts_csv: Path, workers: int) -> tuple[dict[str, float], AccountIndex]:
    """Seconds per build stage; the index built."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with open_text(str(accounts_csv)) as stream:
        _, reader = read_csv(stream, "account")
        rows: list[Any] = list(reader)
    seconds["read the CSV"] = time.perf_counter() - started
    normalize = f"normalize the records into chunks' columns ({workers} process(es))"
    started = time.perf_counter()
    for _ in chunked(part_of, rows, workers, BUILD_CHUNK, ()):
        pass
    seconds[normalize] = time.perf_counter() - started
    started = time.perf_counter()
    keys: list[RowValues] = []  # as AccountIndex.build: each chunk's own keys, from the workers
    data = build_data(rows, False, workers, rows=keys)  # normalizes again, appends the chunks
    columns = time.perf_counter() - started - seconds[normalize]
    seconds["columns: ids checked, chunks appended (this process)"] = max(columns, 0.0)
    started = time.perf_counter()
    lookups = derive(data, rows=keys[0])
    seconds["look-up tables (derive)"] = time.perf_counter() - started
    return seconds, AccountIndex(data, MatchConfig(), lookups)


def match_stages(index: AccountIndex, leads: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds per matching stage over ``leads``, in the CLI's batches, in this process."""
    stages: dict[str, float] = {}
    for start in range(0, len(leads), CHUNK):
        match_chunk(index, leads[start : start + CHUNK], stages)
    return stages


def table(title: str, seconds: dict[str, float], count: int, unit: str) -> None:
    total = sum(seconds.values())
    print(f"\n{title}\n\n| stage | seconds | share | µs per {unit} |\n| --- | ---: | ---: | ---: |")
    for label, value in seconds.items():
        print(f"| {label} | {value:.2f} | {value / total:.0%} | {value / count * 1e6:,.1f} |")
    print(f"| **all** | {total:.2f} | 100% | {total / count * 1e6:,.1f} |")


def measure(folder: Path, workers: int, lead_count: int) -> None:
    accounts_csv = folder / "accounts.csv"
    seconds, index = build_stages(accounts_csv, workers)
    table(f"Build of {len(index):,} accounts ({accounts_csv})", seconds, len(index), "account")
    with tempfile.TemporaryDirectory() as tmp:
        path = index.save(Path(tmp) / "accounts.lmx")
        started = time.perf_counter()
        loaded = AccountIndex.load(path)
        load = time.perf_counter() - started
        leads = read_rows(folder / "leads.csv", "lead")[:lead_count]
        stages = {"load the saved index": load, **match_stages(loaded, leads)}
    table(f"Matching {len(leads):,} leads, one process", stages, len(leads), "lead")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--folder", type=Path, help="accounts.csv and leads.csv from here")
    parser.add_argument("--accounts", type=int, default=100_000, help="synthetic accounts")
    parser.add_argument("--leads", type=int, default=20_000, help="leads matched")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    on_crm(args.folder, args.accounts, args.leads,
           lambda folder: measure(folder, args.workers, args.leads))  # fmt: skip


if __name__ == "__main__":
    main()
