"""``match_many`` on the same leads as dicts, a pandas, a polars DataFrame and a pyarrow Table.

    python benchmarks/frames.py --accounts 100000 --leads 100000
    python benchmarks/frames.py --accounts 300 --leads 2000          # smoke

A synthetic CRM (``benchmarks/synth.py``, seed 7) and its leads; each input kind is matched in
this process (one slice of 20,000 rows at a time for frames), three times, fastest shown, and
its results are checked equal to those of the dicts. Printed: a Markdown table of seconds and
leads/s per input kind.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from leadmatch.match import OUTPUT_COLUMNS, result_row
from run import built_crm  # benchmarks/run.py: this script's folder is on the path

FIELDS = ("lead_id", "first_name", "last_name", "email", "company", "website", "country", "city")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    print(f"leadmatch on DataFrames; python {sys.version.split()[0]}")
    index, rows = built_crm(args.accounts, args.leads)
    records = [{f: row.get(f) or None for f in FIELDS} for row in rows]
    columns = {f: [r[f] for r in records] for f in FIELDS}
    inputs: dict[str, Callable[[], Any]] = {
        "list of dicts": lambda: records,
        "pandas DataFrame": lambda: pd.DataFrame(columns),
        "polars DataFrame": lambda: pl.DataFrame(columns),
        "pyarrow Table": lambda: pa.table(columns),
    }
    expected = [
        {c: row[c] for c in OUTPUT_COLUMNS} for row in map(result_row, index.match_many(records))
    ]
    print(f"\n{index!r}; {len(records):,} leads\n")
    print("| input | seconds | leads/s | results equal |")
    print("| --- | ---: | ---: | --- |")
    for name, make in inputs.items():
        data, best, out = make(), float("inf"), None
        for _ in range(3):
            started = time.perf_counter()
            out = index.match_many(data)
            best = min(best, time.perf_counter() - started)
        got = _rows(out)
        same = [{c: r[c] for c in OUTPUT_COLUMNS} for r in got] == expected
        print(f"| {name} | {best:.2f} | {len(records) / best:,.0f} | {same} |")


def _rows(out: Any) -> list[dict[str, Any]]:
    if isinstance(out, list):
        return [result_row(m) for m in out]
    if hasattr(out, "to_dicts"):
        return list(out.to_dicts())
    if hasattr(out, "to_pylist"):
        return list(out.to_pylist())
    return list(out.to_dict("records"))


if __name__ == "__main__":
    main()
