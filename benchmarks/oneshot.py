"""Issue 19's speed targets as a new user meets them: files in, files out, each run in a
process of its own (its wall time and its own peak RSS), beside its baseline in the same run.

    python benchmarks/oneshot.py --accounts 100000 --leads 20000           # target 1
    python benchmarks/oneshot.py --accounts 1000000 --leads 100000 --build # targets 1, 2, 3
    python benchmarks/oneshot.py --folder /tmp/d1m --build                 # files already made
    python benchmarks/oneshot.py --accounts 300 --leads 300 --build        # CI-sized

Every run is repeated ``--rounds`` times (3 by default; 1 is a single pass), once a round in
the table's order, and the table gives the median and each round's seconds: on a machine whose
speed drifts, a single pass puts the peer's run minutes away from leadmatch's, and its ratio
read anywhere from 0.74x to 1.58x from one invocation to the next.

Rows of the table:

- ``leadmatch match`` one shot: ``--accounts accounts.csv --leads leads.csv --out out.csv``,
  with the default options (``--workers auto``), then in one process (``--workers 1``);
- ``string_grouper + domain``: the peer an ETL job would write instead: the CSVs read with the
  ``csv`` module, a lead's email domain equal to an account's domain decides (free-mail never
  does; the rule of ``benchmarks/peers.py``), else string_grouper's ``match_most_similar`` of
  the company against the account names (its default ``min_similarity`` 0.8), CSV written;
- ``leadmatch index --workers 2``: the build alone (target 2);
- ``leadmatch match`` on the saved index with ``--workers 2`` (target 3);
- the I/O floors: the same rows merely read and written with the ``csv`` module, one row a
  lead written with the result's columns: for a one shot, accounts and leads read; for the
  saved index's run (which reads no accounts file), the leads only.

Precision, recall and F1 are over the ``matched`` decisions against the leads' truth.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers import _rows, run_exact_domain, run_string_grouper  # this script's folder

HERE = Path(__file__).resolve().parent
SAVED_RUN = "`leadmatch match`, saved index, `--workers 2`"
ONE_SHOT_FLOOR = "I/O floor of a one shot: `csv` reads both files, writes a row a lead"
SAVED_FLOOR = "I/O floor of the saved index's run: `csv` reads the leads, writes a row a lead"


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024.0


def child_peer(accounts_csv: Path, leads_csv: Path, out_csv: Path) -> None:
    """string_grouper behind the exact-domain rule, CSV to CSV (run in its own process)."""
    accounts, leads = _rows(accounts_csv), _rows(leads_csv)
    by_domain = run_exact_domain(accounts, leads)
    by_name = run_string_grouper(accounts, leads)
    with out_csv.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["lead_id", "account_id", "decision"])
        for lead, domain, name in zip(leads, by_domain, by_name):
            chosen = domain or name
            writer.writerow([lead["lead_id"], chosen, "matched" if chosen else "unmatched"])


def child_floor(
    columns: str, leads_csv: Path, out_csv: Path, accounts_csv: Path | None = None
) -> None:
    """Read the leads (and the accounts, for a one shot) and write one row a lead with the
    result's ``columns`` (comma-separated: this process imports no leadmatch): the I/O floor."""
    if accounts_csv is not None:
        with accounts_csv.open(encoding="utf-8", newline="") as f:
            for _ in csv.DictReader(f):
                pass
    with (
        leads_csv.open(encoding="utf-8", newline="") as f,
        out_csv.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.DictWriter(out, columns.split(","))
        writer.writeheader()
        for lead in csv.DictReader(f):
            writer.writerow({"lead_id": lead["lead_id"], "decision": "unmatched"})


def timed_child(args: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's own peak RSS (MB) of this script run with ``args``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--child", report.name, *args],
            check=True, env={**os.environ, "PYTHONPATH": str(HERE)},
        )  # fmt: skip
        seconds = time.perf_counter() - started
        return seconds, json.loads(Path(report.name).read_text())["rss_mb"]


def run_child(report: str, args: list[str]) -> None:
    kind, *rest = args
    if kind == "leadmatch":
        from leadmatch.cli import main as cli

        code = cli([*rest, "--quiet"])
        if code:
            raise SystemExit(code)
    elif kind == "peer":
        child_peer(*map(Path, rest))
    else:  # "floor": the columns, leads, out, and the accounts for a one shot's floor
        columns, *paths = rest
        child_floor(columns, *map(Path, paths))
    Path(report).write_text(json.dumps({"rss_mb": _peak_rss_mb()}))


def quality(out_csv: Path, leads_csv: Path) -> tuple[float, float, float]:
    """Precision, recall and F1 of the ``matched`` rows of a results file."""
    truth: dict[str, set[str]] = {}
    for lead in _rows(leads_csv):
        ids = {lead.get("true_account_id") or ""}
        ids.update((lead.get("acceptable_account_ids") or "").split(";"))
        truth[lead["lead_id"]] = {i for i in ids if i}
    matched = right = 0
    for row in _rows(out_csv):
        if row["decision"] == "matched":
            matched += 1
            right += row["account_id"] in truth.get(row["lead_id"], set())
    with_account = sum(1 for t in truth.values() if t)
    if not matched or not with_account:
        raise SystemExit(f"{out_csv}: nothing matched or no labelled lead; no figure to give")
    precision, recall = right / matched, right / with_account
    return precision, recall, 2 * precision * recall / (precision + recall)


#: A row: its label, median seconds, every run's seconds, peak RSS (MB, the highest), and the
#: precision, recall and F1 of its results (``None`` for a run that writes no results).
Row = tuple[str, float, list[float], float, tuple[float, float, float] | None]


def measure(folder: Path, build: bool, rounds: int) -> None:
    from leadmatch.match.results import OUTPUT_COLUMNS  # here: the floor's process imports none

    accounts, leads = folder / "accounts.csv", folder / "leads.csv"
    n_leads, n_accounts = len(_rows(leads)), len(_rows(accounts))
    with tempfile.TemporaryDirectory() as tmp:
        out, index = Path(tmp) / "out.csv", Path(tmp) / "accounts.lmx"
        one_shot = ["leadmatch", "match", "--accounts", str(accounts), "--leads", str(leads),
                    "--out", str(out)]  # fmt: skip
        runs = [
            ("`leadmatch match`, one shot, defaults", one_shot, True),
            ("`leadmatch match`, one shot, `--workers 1`", [*one_shot, "--workers", "1"], True),
            ("string_grouper + domain rule", ["peer", str(accounts), str(leads), str(out)], True),
        ]
        if importlib.util.find_spec("string_grouper") is None:
            print("string_grouper is not installed (pip install string-grouper): no peer row")
            runs.pop()
        if build:
            runs += [
                ("`leadmatch index --workers 2` (build only)",
                 ["leadmatch", "index", "--accounts", str(accounts), "--out", str(index),
                  "--workers", "2"], False),
                (SAVED_RUN,
                 ["leadmatch", "match", "--accounts", str(index), "--leads", str(leads),
                  "--out", str(out), "--workers", "2"], True),
            ]  # fmt: skip
        floor = ["floor", ",".join(OUTPUT_COLUMNS), str(leads), str(out)]
        runs.append((ONE_SHOT_FLOOR, [*floor, str(accounts)], False))
        if build:  # the saved index's run reads no accounts file
            runs.append((SAVED_FLOOR, floor, False))
        rows = _in_rounds(runs, rounds, out, leads)
    title = f"{n_accounts:,} accounts, {n_leads:,} leads ({folder}), {rounds} round(s)"
    _table(title, rows, n_leads)


def _in_rounds(
    runs: list[tuple[str, list[str], bool]], rounds: int, out: Path, leads: Path
) -> list[Row]:
    """Every run once a round, in order, for ``rounds`` rounds: each run's times then come
    from the same stretches of the machine's drifting speed as the others' (one run after
    another, a single round put the peer minutes away from leadmatch: its ratio read 0.74x
    to 1.58x from one invocation to the next)."""
    seconds: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    peak: dict[str, float] = {}
    scores: dict[str, tuple[float, float, float] | None] = {}
    for round_ in range(rounds):
        for label, args, writes in runs:
            took, rss = timed_child(args)
            seconds[label].append(took)
            peak[label] = max(peak.get(label, 0.0), rss)
            if round_ == rounds - 1:  # every round writes the same results: score them once
                scores[label] = quality(out, leads) if writes else None
    return [
        (label, statistics.median(seconds[label]), seconds[label], peak[label], scores[label])
        for label, _, _ in runs
    ]


def _table(title: str, rows: list[Row], n_leads: int) -> None:
    """Medians, and each round's seconds beside them."""
    peer = next((s for label, s, *_ in rows if label.startswith("string_grouper")), None)
    print(f"\n### {title}\n")
    print("| run | seconds (median) | each round | leads/s | peak RSS MB | precision | recall | "
          "F1 | peer time / this |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, seconds, each, rss, scores in rows:
        p, r, f1 = (f"{x:.4f}" for x in scores) if scores else ("-", "-", "-")
        ratio = f"{peer / seconds:.2f}x" if scores and peer else "-"  # whole tasks only
        times = ", ".join(f"{t:.1f}" for t in each)
        print(f"| {label} | {seconds:.1f} | {times} | {n_leads / seconds:,.0f} | {rss:,.0f} | "
              f"{p} | {r} | {f1} | {ratio} |")  # fmt: skip
    seconds = {label: s for label, s, *_ in rows}
    if SAVED_FLOOR in seconds:
        saved = seconds[SAVED_RUN] / seconds[SAVED_FLOOR]
        print(f"\nThe saved index's run takes {saved:.1f}x its I/O floor's time.")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="synthetic accounts")
    parser.add_argument("--leads", type=int, default=20_000, help="synthetic leads")
    parser.add_argument("--folder", type=Path, help="use accounts.csv and leads.csv from here")
    parser.add_argument("--build", action="store_true", help="also the build and saved index")
    parser.add_argument("--rounds", type=int, default=3, help="every run once a round; medians")
    if sys.argv[1:2] == ["--child"]:
        run_child(sys.argv[2], sys.argv[3:])
        return
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    if args.folder:
        measure(args.folder, args.build, args.rounds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), "--accounts", str(args.accounts),
             "--leads", str(args.leads), "--seed", "7", "--out", tmp, "--quiet"],
            check=True,
        )  # fmt: skip
        measure(Path(tmp), args.build, args.rounds)


if __name__ == "__main__":
    main()
