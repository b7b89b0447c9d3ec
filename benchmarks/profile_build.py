"""Where an index build's time goes: a cold ``AccountIndex.build`` (fresh interpreter, empty
caches) of a synthetic CRM under cProfile, the functions by cumulative time.

    python benchmarks/profile_build.py --accounts 100000
    python benchmarks/profile_build.py --accounts 300 --top 5     # CI-sized
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from leadmatch import AccountIndex
from run import generate, read_rows  # benchmarks/run.py: this script's folder is on the path


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(args.accounts, 7, Path(tmp), 10)
        rows = read_rows(Path(tmp) / "accounts.csv", "account")
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    AccountIndex.build(rows)
    profile.disable()
    seconds = time.perf_counter() - started
    print(f"{args.accounts:,} accounts built in {seconds:.1f} s under the profiler")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
