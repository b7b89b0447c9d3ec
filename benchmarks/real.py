"""Accuracy on real data beside synthetic data and the peers, all in one run.

    python benchmarks/real.py                            # ror_dev, patstat_leuven, synth 10k
    python benchmarks/real.py --sets ror_dev --no-peers  # leadmatch alone (a quick loop)
    python benchmarks/real.py --smoke                    # what CI runs: tiny slices
    python benchmarks/real.py --sets ror_dev --no-peers --fit   # and leadmatch fit on them
    python benchmarks/real.py --tune                     # how THRESHOLDS were chosen (~6 min)

Every set is scored the same way, with :func:`leadmatch.evaluate` over every lead: precision,
recall and F1 of ``matched``; the share of leads sent to review; average precision of each
lead's best candidate ranked by confidence; and the expected calibration error over every lead
(its account, or else its best candidate). The peers get the same figures, their score / 100
standing in for a confidence:

- ``exact-domain``: the lead's email domain (else its website's host) equal to an account's
  domain or alias domain; free-mail never matches (HubSpot's company association rule).
- ``WRatio``, ``token_sort``: rapidfuzz over every account name (brute force, ``default_process``),
  the best one when its score is at least :data:`THRESHOLDS` (tuned once on synth.py 10k, seed
  11, to the best F1, and fixed here).
- ``string_grouper``: TF-IDF character 3-gram cosine, ``match_most_similar`` at its default
  0.8 (skipped where string-grouper is not installed).
- ``... + domain``: the exact-domain rule first, then the name peer: what a user would wire up.

The ROR set also gets tables per subset and per variant type (from ``leads_meta.csv``), and the
figures issue 17 sets as targets. Nothing here is fitted to the sets it measures.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
#: Fixed thresholds of the name peers (rapidfuzz scores, 0-100): each one's best F1 on
#: ``synth.py --accounts 10000 --seed 11`` (``--tune``), tuned once, never on the real sets.
THRESHOLDS = {"WRatio": 87, "token_sort": 78}
SUBSETS = {"rorN": "ROR names", "rorE": "email", "rorW": "website", "roraN": "affiliation"}


@dataclass
class DataSet:
    name: str
    accounts: list[dict[str, str]]
    leads: list[dict[str, str]]
    meta: dict[str, dict[str, str]]


@dataclass
class Run:
    """One system's answer per lead, as result rows :func:`leadmatch.evaluate` reads."""

    system: str
    rows: list[dict[str, Any]]
    seconds: float


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def in_fit_half(lead: dict[str, str], meta: dict[str, dict[str, str]]) -> bool:
    """The half of a real set the shipped weights were fitted on (``benchmarks/train.py``):
    chosen by a hash of the lead's organisation, so that one organisation's names never sit
    on both sides; a lead of no account by its own id."""
    org = meta.get(lead["lead_id"], {}).get("true_org_id") or lead.get("true_account_id") or ""
    key = (org or lead["lead_id"]).encode("utf-8")
    return hashlib.blake2b(key, digest_size=8).digest()[0] < 128


def load(folder: Path, name: str, limit: int = 0, half: str = "all") -> DataSet:
    leads = read_csv(folder / "leads.csv")
    if limit:
        step = max(len(leads) // limit, 1)
        leads = leads[::step][:limit]
    meta_path = folder / "leads_meta.csv"
    meta = {r["lead_id"]: r for r in read_csv(meta_path)} if meta_path.exists() else {}
    if half != "all":
        leads = [lead for lead in leads if in_fit_half(lead, meta) == (half == "fit")]
        name = f"{name} ({half} half)"
    return DataSet(name, read_csv(folder / "accounts.csv"), leads, meta)


def synth(accounts: int, seed: int, out: Path) -> DataSet:
    subprocess.run(
        [sys.executable, str(HERE / "synth.py"), "--accounts", str(accounts), "--seed",
         str(seed), "--out", str(out), "--quiet"],
        check=True,
    )  # fmt: skip
    return load(out, f"synth.py {accounts:,} (seed {seed})")


def run_leadmatch(data: DataSet) -> tuple[Run, float]:
    from leadmatch import AccountIndex

    started = time.perf_counter()
    index = AccountIndex.build(data.accounts)
    built = time.perf_counter()
    matches = index.match_many(data.leads)
    seconds = time.perf_counter() - built
    rows = [
        {"lead_id": m.lead_id, "account_id": m.account_id or "", "decision": m.decision,
         "candidate_id": m.candidate_id or "", "confidence": m.confidence}
        for m in matches
    ]  # fmt: skip
    return Run("leadmatch", rows, seconds), built - started


def _host(value: str) -> str:
    value = value.strip().lower()
    if "@" in value:
        return value.rpartition("@")[2]
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/")[0].split(":")[0]
    for prefix in ("www.", "www2.", "www3.", "www4."):
        value = value.removeprefix(prefix)
    return value


def domain_owner(data: DataSet) -> Callable[[dict[str, str]], str]:
    from leadmatch._util.resources import word_set

    freemail = word_set("freemail_domains.txt") | word_set("disposable_domains.txt")
    owner: dict[str, str] = {}
    for account in data.accounts:
        for domain in [
            account.get("domain") or "",
            *(account.get("alias_domains") or "").split(";"),
        ]:
            if _host(domain):
                owner.setdefault(_host(domain), account["account_id"])

    def of(lead: dict[str, str]) -> str:
        host = _host(lead.get("email") or "") or _host(lead.get("website") or "")
        return "" if host in freemail else owner.get(host, "")

    return of


def _rows(
    data: DataSet, best: list[str], score: Iterable[float], cut: float
) -> list[dict[str, Any]]:
    rows = []
    for lead, account, s in zip(data.leads, best, score):
        matched = bool(account) and s >= cut
        rows.append({
            "lead_id": lead["lead_id"], "account_id": account if matched else "",
            "decision": "matched" if matched else "unmatched", "candidate_id": account,
            "confidence": min(max(s / 100.0, 0.0), 1.0),
        })  # fmt: skip
    return rows


def run_exact_domain(data: DataSet) -> Run:
    started = time.perf_counter()
    owner = domain_owner(data)
    best = [owner(lead) for lead in data.leads]
    return Run(
        "exact-domain", _rows(data, best, [100.0] * len(best), 100.0), time.perf_counter() - started
    )


def brute_force(
    data: DataSet, scorer_name: str, cut: float | None = None
) -> tuple[list[str], list[float], float]:
    """Each lead's best account name under a rapidfuzz scorer, and its score."""
    from rapidfuzz import fuzz, process, utils

    scorer = {"WRatio": fuzz.WRatio, "token_sort": fuzz.token_sort_ratio}[scorer_name]
    started = time.perf_counter()
    names = [utils.default_process(a.get("name") or "") for a in data.accounts]
    companies = [utils.default_process(lead.get("company") or "") for lead in data.leads]
    best: list[str] = []
    scores: list[float] = []
    if cut is None:  # below it a score is 0: the ranking figures start there
        cut = THRESHOLDS[scorer_name] - 20
    for start in range(0, len(companies), 1000):
        block = companies[start : start + 1000]
        matrix = process.cdist(
            block, names, scorer=scorer, workers=-1, dtype=np.uint8, score_cutoff=cut
        )
        top = matrix.argmax(axis=1)
        for row, column in enumerate(top.tolist()):
            s = float(matrix[row, column]) if block[row] else 0.0
            best.append(data.accounts[column]["account_id"] if s > 0 else "")
            scores.append(s)
    return best, scores, time.perf_counter() - started


def run_string_grouper(data: DataSet) -> tuple[list[str], list[float], float]:
    import pandas as pd
    from string_grouper import match_most_similar

    started = time.perf_counter()
    master = pd.Series([a.get("name") or "-" for a in data.accounts])
    master_id = pd.Series([a["account_id"] for a in data.accounts])
    leads = pd.Series([(lead.get("company") or "").strip() or "-" for lead in data.leads])
    lead_id = pd.Series([lead["lead_id"] for lead in data.leads])
    result = match_most_similar(
        master, leads, master_id=master_id, duplicates_id=lead_id, ignore_index=True
    )
    found = result["most_similar_master_id"].astype(str).tolist()
    best = [m if m != i else "" for m, i in zip(found, lead_id.tolist())]
    return best, [100.0 if b else 0.0 for b in best], time.perf_counter() - started


def peers(data: DataSet) -> list[Run]:
    owner = domain_owner(data)
    by_domain = [owner(lead) for lead in data.leads]
    runs = [run_exact_domain(data)]
    found: dict[str, tuple[list[str], list[float], float]] = {}
    for scorer in THRESHOLDS:
        found[scorer] = brute_force(data, scorer)
    try:
        found["string_grouper"] = run_string_grouper(data)
    except ImportError:
        print("string_grouper: not installed (pip install string-grouper), not run")
    for name, (best, scores, seconds) in found.items():
        cut = THRESHOLDS.get(name, 80)
        runs.append(Run(name, _rows(data, best, scores, cut), seconds))
        both = [d or b for d, b in zip(by_domain, best)]
        both_score = [100.0 if d else s for d, s in zip(by_domain, scores)]
        runs.append(Run(f"{name} + domain", _rows(data, both, both_score, cut), seconds))
    return runs


def truth_of(data: DataSet) -> dict[str, frozenset[str]]:
    from leadmatch import truth_from_rows

    return truth_from_rows(data.leads)


def figures(run: Run, truth: dict[str, frozenset[str]], keep: set[str] | None = None) -> Any:
    from leadmatch import evaluate

    rows = run.rows if keep is None else [r for r in run.rows if r["lead_id"] in keep]
    return evaluate(rows, {r["lead_id"]: truth[r["lead_id"]] for r in rows})


def summary_table(data: DataSet, runs: list[Run], build_seconds: float) -> None:
    truth = truth_of(data)
    n = len(data.leads)
    print(f"\n### {data.name}: {len(data.accounts):,} accounts, {n:,} leads "
          f"({sum(1 for t in truth.values() if t):,} with an account)\n")  # fmt: skip
    print("| system | precision | recall | F1 | review | best-candidate AP | ECE | leads/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in runs:
        e = figures(run, truth)
        print(f"| {run.system} | {e.precision:.3f} | {e.recall:.3f} | {e.f1:.3f} | "
              f"{e.review / n:.3f} | {e.average_precision:.3f} | {e.ece:.3f} | "
              f"{n / max(run.seconds, 1e-9):,.0f} |")  # fmt: skip
    print(f"\n(leadmatch built its index in {build_seconds:.1f} s; leads/s is matching alone. "
          "A peer's ECE reads its score / 100 as a confidence.)")  # fmt: skip


def _slices(data: DataSet, key: Callable[[dict[str, str]], str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for lead in data.leads:
        out.setdefault(key(lead), set()).add(lead["lead_id"])
    return dict(sorted(out.items()))


def subset_of(lead: dict[str, str]) -> str:
    prefix = lead["lead_id"].rstrip("0123456789")
    return SUBSETS.get(prefix, prefix)


def slice_table(data: DataSet, runs: list[Run], title: str, slices: dict[str, set[str]]) -> None:
    truth = truth_of(data)
    lm, others = runs[0], runs[1:]
    print(f"\n#### {data.name} by {title}\n")
    head = " | ".join(f"F1 {r.system}" for r in others)
    print(f"| {title} | leads | with account | precision | recall | F1 | review | "
          f"best candidate right (review) | ECE | {head} |")  # fmt: skip
    print("| --- " * 2 + "| ---: " * (7 + len(others)) + "|")
    for label, ids in slices.items():
        e = figures(lm, truth, ids)
        right_first = f"{e.review_right / e.review:.2f}" if e.review else "-"
        peer_f1 = " | ".join(f"{figures(r, truth, ids).f1:.3f}" for r in others)
        print(f"| {label} | {e.leads:,} | {e.with_account:,} | {e.precision:.3f} | "
              f"{e.recall:.3f} | {e.f1:.3f} | {e.review / e.leads:.3f} | {right_first} | "
              f"{e.ece:.3f} | {peer_f1} |")  # fmt: skip


def ror_targets(data: DataSet, runs: list[Run]) -> None:
    """Issue 17's own checks on the ROR set (printed, never asserted)."""
    truth = truth_of(data)
    lm = runs[0]
    hard = {
        lead["lead_id"] for lead in data.leads
        if subset_of(lead) in ("email", "website")
        and data.meta.get(lead["lead_id"], {}).get("variant_type") in
        ("acronym", "alias", "label_other_language")
    }  # fmt: skip
    whole = figures(lm, truth)
    best_peer = max((figures(r, truth).f1, r.system) for r in runs[1:]) if runs[1:] else None
    e = figures(lm, truth, hard)
    print(f"\n#### {data.name}: issue 17's targets\n")
    if best_peer:
        print(f"- matched F1 {whole.f1:.3f}; best peer {best_peer[1]} {best_peer[0]:.3f} "
              f"(target: peer + 0.10 = {best_peer[0] + 0.10:.3f})")  # fmt: skip
    print(f"- email and website leads named by an acronym, alias or other-language label "
          f"({e.leads:,}): recall {e.recall:.3f}, precision {e.precision:.3f} "
          "(target: 0.90 at 0.97)")  # fmt: skip
    first = f"{whole.review_right / whole.review:.2f}" if whole.review else "-"
    print(
        f"- review {whole.review / whole.leads:.3f} of leads (target ≤ 0.10), right account "
        f"first in {first} of them (target ≥ 0.50); ECE {whole.ece:.3f} (target ≤ 0.05)"
    )


def best_threshold_f1(run: Run, truth: dict[str, frozenset[str]]) -> tuple[float, float] | None:
    """The best F1 of matching every lead whose best candidate is at a confidence threshold or
    above, over all thresholds, and that threshold: how good the ranking is, whatever the
    calibration makes of it; ``None`` without a lead that has an account."""
    positives = sum(1 for t in truth.values() if t)
    if not positives:
        return None
    rows = sorted(run.rows, key=lambda r: -r["confidence"])
    confidence = np.array([r["confidence"] for r in rows], dtype=np.float64)
    right = np.cumsum([r["candidate_id"] in truth[r["lead_id"]] for r in rows])
    last = np.r_[confidence[1:] != confidence[:-1], True]  # cut only between distinct values
    f1 = np.where(last, 2 * right / (np.arange(1, len(rows) + 1) + positives), 0.0)
    best = int(np.argmax(f1))
    return float(f1[best]), float(confidence[best])


def report(data: DataSet, with_peers: bool) -> None:
    lm, build_seconds = run_leadmatch(data)
    runs = [lm, *(peers(data) if with_peers else [])]
    summary_table(data, runs, build_seconds)
    if best := best_threshold_f1(lm, truth_of(data)):
        print(f"\nleadmatch's best F1 over all confidence thresholds: {best[0]:.3f} "
              f"(at {best[1]:.4f})")  # fmt: skip
    if data.meta:
        slice_table(data, runs, "subset", _slices(data, subset_of))
        slice_table(
            data, runs, "variant type",
            _slices(data, lambda r: f"{subset_of(r)}: {data.meta[r['lead_id']]['variant_type']}"),
        )  # fmt: skip
        ror_targets(data, runs)


def fit_report(folder: Path, name: str) -> None:
    """``leadmatch fit`` on the fit half (with its labels, and by EM without them), measured on
    the check half beside the shipped weights."""
    from leadmatch import AccountIndex, MatchConfig, evaluate, fit, truth_from_rows

    fitting, checking = load(folder, name, half="fit"), load(folder, name, half="check")
    index = AccountIndex.build(fitting.accounts)
    truth = truth_from_rows(checking.leads)
    labelled = fit(index, fitting.leads, truth_from_rows(fitting.leads))
    plain = [{k: v for k, v in lead.items() if k != "true_account_id"} for lead in fitting.leads]
    em = fit(index, plain, None, method="em")
    print(f"\n### {name}: fitted on the fit half ({len(fitting.leads):,} leads), measured on the "
          f"check half ({len(checking.leads):,} leads)\n")  # fmt: skip
    print("| weights | precision | recall | F1 | review | best-candidate AP | ECE |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    kept = " (kept: the fit did worse on its held-apart leads)" if labelled.kept else ""
    for label, config in (("shipped", MatchConfig()), (f"fit, labels{kept}", labelled.config),
                          ("fit, EM without labels", em.config)):  # fmt: skip
        e = evaluate(index.with_config(config).match_many(checking.leads), truth)
        print(f"| {label} | {e.precision:.3f} | {e.recall:.3f} | {e.f1:.3f} | "
              f"{e.review / e.leads:.3f} | {e.average_precision:.3f} | {e.ece:.3f} |")  # fmt: skip


def tune_thresholds(data: DataSet) -> None:
    """Each name peer's threshold with the best F1 on ``data`` (how :data:`THRESHOLDS` were
    chosen, on synth.py seed 11)."""
    truth = truth_of(data)
    with_account = sum(1 for t in truth.values() if t)
    for scorer in THRESHOLDS:
        best, scores, _ = brute_force(data, scorer, cut=50)
        found = []
        for cut in range(70, 101):
            picked = [(b, lead) for b, s, lead in zip(best, scores, data.leads) if b and s >= cut]
            right = sum(1 for b, lead in picked if b in truth[lead["lead_id"]])
            p, r = right / max(len(picked), 1), right / max(with_account, 1)
            found.append((2 * p * r / (p + r) if p + r else 0.0, cut))
        f1, cut = max(found)
        print(f"{scorer}: best F1 {f1:.3f} at {cut} (shipped {THRESHOLDS[scorer]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sets", default="ror_dev,patstat_leuven,synth")
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the real sets")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--seed", type=int, default=7, help="synth.py's seed")
    parser.add_argument("--smoke", action="store_true", help="tiny slices (CI)")
    parser.add_argument(
        "--fit", action="store_true", help="also leadmatch fit on each real set's fit half"
    )
    parser.add_argument(
        "--tune", action="store_true", help="the peers' best thresholds on synth.py seed 11"
    )
    parser.add_argument(
        "--half", choices=("check", "fit", "all"), default="check",
        help="leads of the real sets measured: the half the shipped weights never saw (default)",
    )  # fmt: skip
    args = parser.parse_args()
    limit = 300 if args.smoke else 0
    if args.tune:
        with tempfile.TemporaryDirectory() as tmp:
            tune_thresholds(synth(300 if args.smoke else 10_000, 11, Path(tmp)))
        return
    for name in args.sets.split(","):
        if name == "synth":
            with tempfile.TemporaryDirectory() as tmp:
                report(
                    synth(300 if args.smoke else 10_000, args.seed, Path(tmp)), not args.no_peers
                )
        elif (args.data / name / "leads.csv").exists():
            report(load(args.data / name, name, limit, args.half), not args.no_peers)
            if args.fit:
                fit_report(args.data / name, name)
        else:
            print(f"\n### {name}: not found under {args.data}, skipped")


if __name__ == "__main__":
    main()
