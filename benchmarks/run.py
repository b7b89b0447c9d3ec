"""Quality and speed of leadmatch on synthetic CRM data and on real company names.

    python benchmarks/run.py --size smoke      # CI: 300 accounts, seconds
    python benchmarks/run.py --size 10k        # 10,000 accounts, 30,000 leads
    python benchmarks/run.py --size 100k
    python benchmarks/run.py --size 1m --leads 100000   # 1M accounts, 100,000 leads
    python benchmarks/run.py --patstat ../shared/data/patstat_leuven

Prints, for one data set:

- the index build as a user runs it (``leadmatch index`` on the accounts CSV, in a child
  process: its time and its own peak RSS), the file size and the load time;
- per matching stage, the seconds and leads/s of one process (leads in chunks, as the CLI
  streams a file), candidate pairs per lead and candidate recall (share of leads with an
  account whose right account was among the pairs scored);
- the CLI end to end (``leadmatch match`` on the saved index and the leads CSV, CSV out) with
  ``--workers 1`` and ``--workers 2``: seconds, leads/s and the main process's peak RSS;
- one lead at a time, as a service calls ``match``: p50 and p99 latency;
- precision / recall of the ``matched`` decision.

Data come from ``benchmarks/synth.py`` (seeded, so a rerun measures the same data).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from leadmatch import AccountIndex, Match, MatchConfig
from leadmatch.cli import CHUNK
from leadmatch.io.columns import open_text, read_csv
from leadmatch.io.records import validate_leads
from leadmatch.match import blocking, features, scoring
from leadmatch.match.resolve import resolve
from leadmatch.match.results import assemble
from leadmatch.normalize.leads import prepare
from leadmatch.quality.evaluation import evaluate, truth_from_rows

HERE = Path(__file__).resolve().parent
SIZES = {"smoke": 300, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
T = TypeVar("T")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(label: str, table: dict[str, float], fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = fn()
    table[label] = table.get(label, 0.0) + time.perf_counter() - started
    return value


def each_run(
    action: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """The seconds of ``clock`` (wall time by default) ``action`` took in each of ``repeat``
    runs."""
    times = []
    for _ in range(repeat):
        started = clock()
        action()
        times.append(clock() - started)
    return times


def generate(accounts: int, seed: int, out: Path, leads: int | None = None) -> None:
    extra = ["--leads", str(leads)] if leads else []
    subprocess.run(
        [sys.executable, str(HERE / "synth.py"), "--accounts", str(accounts),
         "--seed", str(seed), "--out", str(out), "--quiet", *extra],
        check=True,
    )  # fmt: skip


def on_crm(folder: Path | None, accounts: int, leads: int, measure: Callable[[Path], None]) -> None:
    """``measure`` on the accounts.csv and leads.csv in ``folder``, or on a synthetic CRM
    (seed 7) of ``accounts`` and ``leads`` made for it in a temporary folder."""
    if folder:
        measure(folder)
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(accounts, 7, Path(tmp), leads)
        measure(Path(tmp))


def read_rows(path: Path, kind: str) -> list[dict[str, Any]]:
    with open_text(str(path)) as stream:
        _, rows = read_csv(stream, kind)
        return list(rows)


def built_crm(
    accounts: int, leads: int, workers: int = 2
) -> tuple[AccountIndex, list[dict[str, Any]]]:
    """A synthetic CRM of ``accounts`` (seed 7), its index built in memory, and its first
    ``leads`` leads (the generated files are removed)."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(accounts, 7, Path(tmp), leads)
        index = AccountIndex.build(
            read_rows(Path(tmp) / "accounts.csv", "account"), workers=workers
        )
        return index, read_rows(Path(tmp) / "leads.csv", "lead")[:leads]


def match_chunk(
    index: AccountIndex, leads: list[dict[str, Any]], stages: dict[str, float]
) -> tuple[list[Match], dict[str, set[str]], int]:
    """One chunk through the pipeline's stages, timed; also the accounts each lead was scored
    against (for candidate recall) and the number of candidate pairs."""
    config = index.config
    view = index.view()
    valid, ids, errors = timed("validate", stages, lambda: validate_leads(leads, strict=False))
    batch = timed("normalize", stages, lambda: prepare(valid))
    index_ids = timed("candidates", stages, lambda: blocking.batch_ids(view, batch))
    lead_rows, name_rows, bits = timed(
        "candidates", stages, lambda: blocking.candidates(view, batch, index_ids, config)
    )
    feats = timed(
        "features",
        stages,
        lambda: features.compute(view, batch, index_ids, lead_rows, name_rows, bits),
    )
    group = view.lookups.group[feats.account]
    scores = timed("confidence", stages, lambda: scoring.score(feats, config.weights, group))
    decided = timed("decision", stages, lambda: resolve(view, feats, scores, len(valid), config))
    results = timed(
        "results", stages, lambda: assemble(view, batch, feats, scores, decided, ids, errors)
    )
    acct_ids = np.array(index.data.account_id, dtype=object)[feats.account]
    found: dict[str, set[str]] = {}
    for lead_row, acct in zip(feats.lead.tolist(), acct_ids.tolist()):
        found.setdefault(ids[lead_row], set()).add(acct)
    return results, found, len(feats.lead)


#: Runs the CLI, then writes the process's own peak RSS (VmHWM of its address space) to the
#: file named by $LEADMATCH_HWM. (getrusage's maxrss would count the benchmark process's
#: memory too: Linux carries it over through fork and exec.)
_CLI = """
import atexit, os, re
from leadmatch.cli import main
def hwm():
    status = open("/proc/self/status").read()
    open(os.environ["LEADMATCH_HWM"], "w").write(re.search(r"VmHWM:\\s+(\\d+)", status)[1])
atexit.register(hwm)
raise SystemExit(main())
"""


def child(command: list[str]) -> tuple[float, float]:
    """Run the CLI with ``command``; its wall time (s) and its own peak RSS (MB)."""
    with tempfile.NamedTemporaryFile(suffix=".hwm") as hwm:
        started = time.perf_counter()
        env = {**os.environ, "LEADMATCH_HWM": hwm.name}
        subprocess.run([sys.executable, "-c", _CLI, *command], check=True, env=env)
        seconds = time.perf_counter() - started
        return seconds, int(Path(hwm.name).read_text() or 0) / 1024.0


def leadmatch_cli(*args: str) -> list[str]:
    return list(args)


def latency(index: AccountIndex, leads: list[dict[str, Any]]) -> str:
    """One lead at a time, as a service calls ``match``: up to 1,000 leads after a warm-up."""
    sample = leads[:1000]
    for lead in sample[:50]:
        index.match(lead)
    latencies = []
    for lead in sample:
        started = time.perf_counter()
        index.match(lead)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    return f"one lead at a time: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(latencies)} leads)"


def measure(name: str, accounts_csv: Path, leads_csv: Path, config: MatchConfig) -> None:
    stages: dict[str, float] = {}
    with leads_csv.open(encoding="utf-8", newline="") as f:
        truth = truth_from_rows(csv.DictReader(f))
    leads = read_rows(leads_csv, "lead")
    n = len(leads)
    with tempfile.TemporaryDirectory() as tmp:
        index_path = Path(tmp) / "accounts.lmx"
        builds = []
        for workers in (1, 2):
            seconds, rss = child(
                leadmatch_cli("index", "--accounts", str(accounts_csv), "--out",
                              str(index_path), "--workers", str(workers), "--quiet")
            )  # fmt: skip
            builds.append(f"`--workers {workers}` {seconds:.1f} s, peak RSS {rss:,.0f} MB")
        started = time.perf_counter()
        index = AccountIndex.load(index_path, config)
        load_s = time.perf_counter() - started
        results: list[Match] = []
        found: dict[str, set[str]] = {}
        pairs = 0
        for start in range(0, n, CHUNK):
            chunk_results, chunk_found, chunk_pairs = match_chunk(
                index, leads[start : start + CHUNK], stages
            )
            results.extend(chunk_results)
            found.update(chunk_found)
            pairs += chunk_pairs
        in_process_rss = peak_rss_mb()
        runs = []
        for workers in (1, 2):
            out = Path(tmp) / f"results-{workers}.csv"
            seconds, rss = child(
                leadmatch_cli("match", "--accounts", str(index_path), "--leads", str(leads_csv),
                              "--out", str(out), "--workers", str(workers), "--quiet")
            )  # fmt: skip
            runs.append((workers, seconds, rss))
        size = index_path.stat().st_size / 1e6
        service = latency(index, leads)

    # Candidate recall: of leads with an account, the share whose right account was scored.
    with_account = [i for i in truth if truth[i]]
    hit = sum(1 for i in with_account if truth[i] & found.get(i, set()))
    quality = evaluate(results, truth)

    matching = sum(stages.values())
    print(f"\n## {name}: {len(index):,} accounts, {n:,} leads\n")
    print(f"- build (`leadmatch index`, CSV in, index file out): {'; '.join(builds)} (main "
          f"process); index file {size:,.1f} MB; load {load_s:.2f} s")  # fmt: skip
    print(f"- {service}")
    print("- match end to end (`leadmatch match`, saved index + CSV in, CSV out):")
    for workers, seconds, rss in runs:
        print(f"  - `--workers {workers}`: {seconds:.1f} s, {n / seconds:,.0f} leads/s, "
              f"peak RSS {rss:,.0f} MB (main process)")  # fmt: skip
    print(f"\nIn one process, by stage (chunks of {CHUNK:,}):\n")
    print("| stage | seconds | leads/s |")
    print("| --- | ---: | ---: |")
    for label, seconds in stages.items():
        rate = f"{n / seconds:,.0f}" if seconds else "-"
        print(f"| {label} | {seconds:.2f} | {rate} |")
    print(f"| **all stages** | {matching:.2f} | {n / matching:,.0f} |")
    print()
    print(f"- peak RSS of this process (index + all {n:,} leads and results): "
          f"{in_process_rss:,.0f} MB")  # fmt: skip
    print(f"- candidate pairs per lead: {pairs / max(n, 1):.1f}")
    if with_account:
        print(f"- candidate recall: {hit / len(with_account):.4f} ({hit}/{len(with_account)})")
    print(f"- decisions: {quality.decisions}")
    for line in quality.summary().splitlines():
        print(f"- {line}")
    print("\nReliability (confidence of each lead's best-scored account):\n")
    print(quality.reliability_table())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), help="synthetic CRM size")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--leads", type=int, help="number of leads (default: 3 x accounts)")
    parser.add_argument("--patstat", type=Path, help="folder with accounts.csv and leads.csv")
    args = parser.parse_args()
    if not args.size and not args.patstat:
        parser.error("give --size and/or --patstat")
    config = MatchConfig()
    print(f"leadmatch benchmark; python {sys.version.split()[0]}")
    if args.size:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            generate(SIZES[args.size], args.seed, Path(tmp), args.leads)
            print(f"generated {args.size} data in {time.perf_counter() - started:.1f} s")
            measure(
                f"synthetic CRM ({args.size}, seed {args.seed})",
                Path(tmp) / "accounts.csv", Path(tmp) / "leads.csv", config,
            )  # fmt: skip
    if args.patstat:
        measure(
            "PATSTAT applicants (real names, no domains)",
            args.patstat / "accounts.csv", args.patstat / "leads.csv", config,
        )  # fmt: skip


if __name__ == "__main__":
    main()
