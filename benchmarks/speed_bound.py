"""How fast issue 19's targets could be met at best if compiled column kernels (pyarrow,
Polars) took over the per-record work, and what is left that they would not touch.

    python benchmarks/speed_bound.py --folder /tmp/d1m --leads 20000     # targets 2 and 3
    python benchmarks/speed_bound.py --accounts 100000 --leads 20000      # target 1
    python benchmarks/speed_bound.py --accounts 300 --leads 300           # CI-sized

Measured as CPU seconds (``time.process_time``; preparing accounts in a fresh process each
time, whose caches start empty as a worker's do):

- what a worker spends preparing an account (validation, names, domains, places, the chunk's
  columns: ``part_of``), separately for records whose every field is ASCII and for the
  others. The others need Python's case folding (``"ß"`` to ``"ss"``; a lower-casing kernel
  keeps ``"ß"``) and anyascii's transliteration, which neither pyarrow nor Polars provides;
  both work one code point at a time, so a rewrite could carry them as tables too;
- the look-up tables (``derive``: NumPy, on threads already at 1M) and the save, in wall
  seconds, counted whole;
- what matching spends per lead finding candidates and computing their features
  (``blocking`` and ``features``), in batches of the CLI's turn (``TURN_LEADS``): NumPy and
  rapidfuzz calls over all of a batch's candidate pairs already, which a column kernel for
  names or CSV would not touch; the least of ``--repeat`` runs counts;
- the time to start Python and import leadmatch.

The floors assume that reading the CSV, validating, normalizing the leads and writing the
results all cost nothing, and that two workers share the preparing perfectly; in one column
the accounts not all in ASCII keep Python, in the other every account's preparation is free
(a complete second implementation of the normalizers). They are floors under such a
rewrite, not predictions; the matcher's own algorithm (which candidates it scores) is taken
as it is.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from leadmatch import AccountIndex, MatchConfig
from leadmatch.io.records import validate_leads
from leadmatch.match import blocking, features
from leadmatch.match.pipeline import TURN_LEADS
from leadmatch.normalize.leads import prepare
from leadmatch.tables import RowValues, build_data, derive
from leadmatch.tables.build import CHUNK as BUILD_CHUNK
from leadmatch.tables.build import part_of
from run import each_run, on_crm, read_rows  # benchmarks/run.py, this script's folder

#: Cores the targets are stated for.
CORES = 2
#: A record that loads every table the normalizers read, and no value of the data.
WARM_UP = {
    "account_id": "-",
    "name": "Ωmega Straße GmbH & Co. KG (i.L.)",
    "domain": "x.co.uk",
    "alias_domains": "y.example",
    "country": "DE",
    "city": "Köln",
    "phone": "+49 1",
}


def in_ascii(record: dict[str, Any]) -> bool:
    return all(value is None or str(value).isascii() for value in record.values())


def prepare_cpu(records: list[dict[str, Any]]) -> float:
    """CPU seconds per record to prepare ``records`` in chunks, as a build's worker does."""
    started = time.process_time()
    for start in range(0, len(records), BUILD_CHUNK):
        part_of(records[start : start + BUILD_CHUNK], ())
    return (time.process_time() - started) / len(records)


def prepare_cpu_fresh(folder: Path, ascii_only: bool, repeat: int) -> float:
    """:func:`prepare_cpu` of the ASCII or the other accounts of ``folder``, each time in a
    fresh process: the normalizers' caches must start empty, as a build's worker's do (a
    second pass in one process would find every name cached), best of ``repeat``."""
    kind = "ascii" if ascii_only else "other"
    runs = [
        subprocess.run(
            [sys.executable, __file__, "--prepare", kind, "--folder", str(folder)],
            check=True, capture_output=True, text=True,
        ).stdout
        for _ in range(repeat)
    ]  # fmt: skip
    return min(float(out.split()[-1]) for out in runs)


def _prepare_child(folder: Path, kind: str) -> None:
    """In a fresh process: the CPU seconds per record of preparing one kind of accounts."""
    records = read_rows(folder / "accounts.csv", "account")
    chosen = [r for r in records if in_ascii(r) == (kind == "ascii")]
    part_of([WARM_UP], ())  # the normalizers' tables loaded, as a worker's are before its chunks
    print(prepare_cpu(chosen) if chosen else 0.0)


def candidate_cpu(
    index: AccountIndex, leads: list[dict[str, Any]], repeat: int
) -> tuple[list[float], float]:
    """CPU seconds per lead of finding candidates and computing their features in each run,
    and candidate pairs per lead. The leads go in batches of the CLI's turn
    (``TURN_LEADS``), validated and normalized beforehand (not counted)."""
    view, config = index.view(), index.config
    batches = [prepare(validate_leads(leads[s : s + TURN_LEADS], strict=False)[0])
               for s in range(0, len(leads), TURN_LEADS)]  # fmt: skip

    def run() -> int:
        pairs = 0
        for batch in batches:
            ids = blocking.batch_ids(view, batch)
            lead_rows, name_rows, bits = blocking.candidates(view, batch, ids, config)
            pairs += len(features.compute(view, batch, ids, lead_rows, name_rows, bits).lead)
        return pairs

    pairs = run()  # the first pass also reads the saved index's pages from disk
    runs = [seconds / len(leads) for seconds in each_run(run, repeat, time.process_time)]
    return runs, pairs / len(leads)


def import_seconds(repeat: int) -> float:
    """Wall seconds to start Python and import the CLI, best of ``repeat``."""
    command = [sys.executable, "-c", "import leadmatch.cli"]
    return min(each_run(lambda: subprocess.run(command, check=True), repeat))


def wall(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure(folder: Path, lead_count: int, repeat: int) -> None:
    records = read_rows(folder / "accounts.csv", "account")
    others = sum(1 for r in records if not in_ascii(r))
    per_ascii = prepare_cpu_fresh(folder, True, repeat)
    per_other = prepare_cpu_fresh(folder, False, repeat)
    derive_s, index = _built(records)
    with tempfile.TemporaryDirectory() as tmp:
        save_s, path = wall(lambda: index.save(Path(tmp) / "accounts.lmx"))
        load_s, loaded = wall(lambda: AccountIndex.load(path))
        leads = read_rows(folder / "leads.csv", "lead")[:lead_count]
        per_lead, pairs = candidate_cpu(loaded, leads, repeat)
    start = import_seconds(repeat)
    n, share, least, most = len(records), others / len(records), min(per_lead), max(per_lead)
    print(f"\n### {n:,} accounts ({folder}), {len(leads):,} leads\n")
    print("| measured | value |\n| --- | ---: |")
    print(f"| accounts with every field in ASCII | {1 - share:.1%} |")
    print(f"| CPU to prepare such an account (a worker's) | {per_ascii * 1e6:.1f} µs |")
    print(f"| CPU to prepare another account | {per_other * 1e6:.1f} µs |")
    print(f"| look-up tables (`derive`), wall | {derive_s:.2f} s |")
    print(f"| save, wall | {save_s:.2f} s |")
    print(f"| load the saved index, wall | {load_s:.2f} s |")
    print(f"| CPU to find a lead's candidates and their features, {TURN_LEADS:,} leads a batch "
          f"| {least * 1e6:.1f} to {most * 1e6:.1f} µs over {repeat} run(s) "
          f"({pairs:.1f} pairs a lead) |")  # fmt: skip
    print(f"| start Python and import leadmatch | {start:.2f} s |")
    _floors(n, len(leads), (start, derive_s, save_s), n * share * per_other, least)


def _floors(
    n: int, leads: int, fixed: tuple[float, float, float], others: float, per_lead: float
) -> None:
    """The floors, with the accounts not all in ASCII kept in Python (``others`` CPU seconds)
    and with every account's preparation free; ``fixed``: import, ``derive``, save."""
    start, derive_s, save_s = fixed
    print(f"\nFloors, {CORES} cores; reading, validating, normalizing leads and writing free:\n")
    print("| run | other accounts in Python | every account free |\n| --- | ---: | ---: |")
    build = [start + cpu / CORES + derive_s + save_s for cpu in (others, 0.0)]
    print(f"| build and save {n:,} accounts | {build[0]:.1f} s | {build[1]:.1f} s |")
    one_shot = [start + (cpu + leads * per_lead) / CORES + derive_s for cpu in (others, 0.0)]
    print(f"| one shot, {n:,} accounts x {leads:,} leads | {one_shot[0]:.1f} s | "
          f"{one_shot[1]:.1f} s |")  # fmt: skip
    ceiling = CORES / per_lead
    print(f"| saved index, leads a second (loading aside) | {ceiling:,.0f} | {ceiling:,.0f} |")


def _built(records: list[dict[str, Any]]) -> tuple[float, AccountIndex]:
    """The wall seconds of ``derive`` in building the index of ``records``, and the index."""
    keys: list[RowValues] = []
    data = build_data(records, False, CORES, rows=keys)
    started = time.perf_counter()
    lookups = derive(data, rows=keys[0])
    seconds = time.perf_counter() - started
    return seconds, AccountIndex(data, MatchConfig(), lookups)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--folder", type=Path, help="accounts.csv and leads.csv from here")
    parser.add_argument("--accounts", type=int, default=100_000, help="synthetic accounts")
    parser.add_argument("--leads", type=int, default=20_000, help="leads matched")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the least counts")
    parser.add_argument("--prepare", choices=("ascii", "other"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        _prepare_child(args.folder, args.prepare)
        return
    on_crm(args.folder, args.accounts, args.leads,
           lambda folder: measure(folder, args.leads, args.repeat))  # fmt: skip


if __name__ == "__main__":
    main()
