"""What the worst leads cost: huge blocks and huge fields, one lead at a time.

    python benchmarks/bounded.py --index /tmp/d1m/idx.lmx     # a saved 1M-account index
    python benchmarks/bounded.py --accounts 300                  # CI: a small synthetic CRM

Each lead is matched 5 times after a warm-up; the median is shown with its candidate pairs.
The leads: "Consulting" (a word thousands of accounts hold), a Gmail address with a generic
name, 10,000 characters of the index's most common words, random words, one 9,999-letter word
(random letters, and one letter repeated), and a 10 MB company field (refused as an error).
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
from pathlib import Path

from leadmatch import AccountIndex
from leadmatch.io.records import validate_leads
from leadmatch.match import blocking
from leadmatch.normalize.leads import prepare
from run import built_crm  # benchmarks/run.py: this script's folder is on the path


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--index", type=Path, help="a saved index")
    parser.add_argument("--accounts", type=int, default=300, help="else a synthetic CRM")
    args = parser.parse_args()
    if args.index:
        index = AccountIndex.load(args.index)
    else:
        index, _ = built_crm(args.accounts, 10, workers=1)
    rng = random.Random(7)
    words = index.data.tokens.tolist()
    common = sorted(range(len(words)), key=lambda t: -int(index.lookups.token_df[t]))[:3000]
    letters = string.ascii_lowercase
    leads = {
        '"Consulting"': {"company": "Consulting"},
        "gmail.com, a generic name": {"email": "x@gmail.com", "company": "Global Consulting"},
        "10,000 characters of common words": {
            "company": " ".join(words[t] for t in common)[:10_000]
        },
        "10,000 characters of random words": {
            "company": " ".join(rng.choice(words) for _ in range(3000))[:10_000]
        },
        "one 9,999-letter word, random letters": {
            "company": "".join(rng.choice(letters) for _ in range(9999))
        },
        "one 9,999-letter word, one letter": {"company": "a" * 9999},
        "a 10 MB company field": {"company": "x" * 10_000_000},
    }
    print(f"leadmatch, the worst leads; python {sys.version.split()[0]}; {index!r}\n")
    print("| lead | median ms | max ms | candidate pairs | decision |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, lead in leads.items():
        index.match(lead)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            result = index.match(lead)
            times.append((time.perf_counter() - started) * 1000)
        valid, _, _ = validate_leads([lead], strict=False)
        view, batch = index.view(), prepare(valid)
        index_ids = blocking.batch_ids(view, batch)
        pairs = len(blocking.candidates(view, batch, index_ids, index.config)[0])
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} | {pairs} "
              f"| {result.decision} |")  # fmt: skip


if __name__ == "__main__":
    main()
