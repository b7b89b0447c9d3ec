"""leadmatch beside the tools a user would otherwise reach for, on the same data in one run.

    python benchmarks/peers.py --size 10k                 # synthetic CRM, seed 7
    python benchmarks/peers.py --patstat ../shared/data/patstat_leuven
    python benchmarks/peers.py --size 10k --sample 2000   # brute force on 2,000 leads
    python benchmarks/peers.py --size 1m --lead-count 100000 --sample 200

Each tool runs in its own process (so that its peak RSS is its own) and gives each lead one
account or none; the table shows time (from the files read and the tool imported to its
answers), leads/s, peak RSS, precision and recall of its matches,
and the ratio of its time to leadmatch's. The peers, each used as its documentation suggests:

- ``exact-domain``: the rule CRMs ship (HubSpot's company association): the lead's email domain,
  lower-cased, equal to an account's website domain or alias domain; free-mail never matches.
- ``rapidfuzz``: brute force, every lead against every account, ``process.cdist`` with
  ``fuzz.WRatio`` and ``utils.default_process`` on all cores, best score ≥ 90 (rapidfuzz's
  documented way to score all pairs). Run on a sample of leads and extrapolated when slow.
- ``string_grouper``: TF-IDF character 3-gram cosine, ``match_most_similar`` with its default
  ``min_similarity`` 0.8 (the documented call for linking one list to another). Needs
  ``pip install string-grouper``; skipped when it is not installed.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZES = {"smoke": 300, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
PEERS = ("leadmatch", "exact-domain", "rapidfuzz", "string_grouper")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _host(value: str) -> str:
    value = value.strip().lower()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/")[0].split(":")[0]
    return value.removeprefix("www.")


def run_leadmatch(accounts: list[dict[str, str]], leads: list[dict[str, str]]) -> list[str]:
    from leadmatch import AccountIndex

    index = AccountIndex.build(accounts)
    return [m.account_id if m.decision == "matched" else "" for m in index.match_many(leads)]


def run_exact_domain(accounts: list[dict[str, str]], leads: list[dict[str, str]]) -> list[str]:
    from leadmatch._util.resources import word_set

    freemail = word_set("freemail_domains.txt") | word_set("disposable_domains.txt")
    owner: dict[str, str] = {}
    for account in accounts:
        domains = [account.get("domain") or "", *(account.get("alias_domains") or "").split(";")]
        for domain in domains:
            if _host(domain):
                owner.setdefault(_host(domain), account["account_id"])
    out = []
    for lead in leads:
        domain = (lead.get("email") or "").rpartition("@")[2].strip().lower()
        out.append("" if domain in freemail else owner.get(domain, ""))
    return out


def run_rapidfuzz(
    accounts: list[dict[str, str]], leads: list[dict[str, str]], sample: int
) -> tuple[list[str], int]:
    import numpy as np
    from rapidfuzz import fuzz, process, utils

    names = [a.get("name") or "" for a in accounts]
    chosen = leads[:sample] if sample else leads
    companies = [lead.get("company") or "" for lead in chosen]
    out: list[str] = []
    for start in range(0, len(companies), 1000):  # 1,000 leads x all accounts at a time
        block = companies[start : start + 1000]
        scores = process.cdist(
            block, names, scorer=fuzz.WRatio, processor=utils.default_process, workers=-1,
            dtype=np.uint8,
        )  # fmt: skip
        best = scores.argmax(axis=1)
        for row, column in enumerate(best.tolist()):
            ok = block[row].strip() and scores[row, column] >= 90
            out.append(accounts[column]["account_id"] if ok else "")
    return out, len(chosen)


def run_string_grouper(accounts: list[dict[str, str]], leads: list[dict[str, str]]) -> list[str]:
    import pandas as pd
    from string_grouper import match_most_similar

    master = pd.Series([a.get("name") or "" for a in accounts])
    master_id = pd.Series([a["account_id"] for a in accounts])
    duplicates = pd.Series([(lead.get("company") or "").strip() or "-" for lead in leads])
    duplicates_id = pd.Series([lead["lead_id"] for lead in leads])
    result = match_most_similar(
        master, duplicates, master_id=master_id, duplicates_id=duplicates_id, ignore_index=True
    )
    matched_id = result["most_similar_master_id"].astype(str).tolist()
    return [m if m != lead_id else "" for m, lead_id in zip(matched_id, duplicates_id.tolist())]


#: The modules each tool imports, imported before its clock starts: an import is paid once,
#: and a time measured on a sample of leads (rapidfuzz's) is scaled up to all of them.
IMPORTS = {
    "leadmatch": ("leadmatch",),
    "exact-domain": ("leadmatch._util.resources",),
    "rapidfuzz": ("numpy", "rapidfuzz.process"),
    "string_grouper": ("pandas", "string_grouper"),
}


def child(peer: str, accounts_csv: Path, leads_csv: Path, sample: int) -> None:
    """Run one peer and print its figures as JSON (called in a subprocess)."""
    accounts, leads = _rows(accounts_csv), _rows(leads_csv)
    for module in IMPORTS[peer]:
        importlib.import_module(module)
    started = time.perf_counter()
    n = len(leads)
    if peer == "leadmatch":
        predicted = run_leadmatch(accounts, leads)
    elif peer == "exact-domain":
        predicted = run_exact_domain(accounts, leads)
    elif peer == "rapidfuzz":
        predicted, n = run_rapidfuzz(accounts, leads, sample)
    else:
        predicted = run_string_grouper(accounts, leads)
    seconds = time.perf_counter() - started
    truth = []
    for lead in leads[:n]:
        ids = {lead.get("true_account_id") or ""}
        ids.update((lead.get("acceptable_account_ids") or "").split(";"))
        truth.append({i for i in ids if i})
    matched = sum(1 for p in predicted if p)
    right = sum(1 for p, t in zip(predicted, truth) if p and p in t)
    with_account = sum(1 for t in truth if t)
    no_account = [p for p, t in zip(predicted, truth) if not t]
    print(json.dumps({
        "peer": peer, "leads": n, "seconds": seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "precision": _share(right, matched),
        "recall": _share(right, with_account),
        "no_account_unmatched": _share(sum(1 for p in no_account if not p), len(no_account)),
    }))  # fmt: skip


def _share(part: int, whole: int) -> float | None:
    """``part / whole``; ``None`` over nothing (no match, no lead of that kind): no figure."""
    return part / whole if whole else None


def _shown(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.3f}"


def compare(name: str, accounts_csv: Path, leads_csv: Path, sample: int) -> None:
    total = len(_rows(leads_csv))
    results: list[dict[str, Any]] = []
    for peer in PEERS:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", peer, "--accounts", str(accounts_csv),
             "--leads", str(leads_csv), "--sample", str(sample)],
            capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            print(f"- {peer}: not run ({reason})")
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = next((r for r in results if r["peer"] == "leadmatch"), None)
    print(f"\n## {name}: {total:,} leads\n")
    print(
        "| tool | leads timed | seconds (all leads) | leads/s | peak RSS MB | precision | "
        "recall | no-account leads not matched | time vs leadmatch |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        full = r["seconds"] * total / r["leads"]  # extrapolated when a sample was timed
        ratio = f"{full / (base['seconds']):.2f}x" if base else "-"
        note = "" if r["leads"] == total else " (extrapolated)"
        print(f"| {r['peer']} | {r['leads']:,} | {full:.1f}{note} | {total / full:,.0f} | "
              f"{r['rss_mb']:,.0f} | {_shown(r['precision'])} | {_shown(r['recall'])} | "
              f"{_shown(r['no_account_unmatched'])} | {ratio} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--patstat", type=Path)
    parser.add_argument("--sample", type=int, default=0, help="leads for brute force (0: all)")
    parser.add_argument("--lead-count", type=int, help="leads to generate (default 3 x accounts)")
    parser.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--leads", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.accounts, args.leads, args.sample)
        return
    if not args.size and not args.patstat:
        parser.error("give --size and/or --patstat")
    if args.size:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, str(HERE / "synth.py"), "--accounts", str(SIZES[args.size]),
                 "--seed", str(args.seed), "--out", tmp, "--quiet",
                 *(["--leads", str(args.lead_count)] if args.lead_count else [])],
                check=True,
            )  # fmt: skip
            compare(
                f"synthetic CRM ({args.size}, seed {args.seed})",
                Path(tmp) / "accounts.csv", Path(tmp) / "leads.csv", args.sample,
            )  # fmt: skip
    if args.patstat:
        compare(
            "PATSTAT applicants (real names, no domains)",
            args.patstat / "accounts.csv", args.patstat / "leads.csv", args.sample,
        )  # fmt: skip


if __name__ == "__main__":
    main()
