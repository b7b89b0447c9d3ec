"""Real, hand-labelled company names (PATSTAT applicants, KU Leuven): a guard against regressions.

Name-only data: no domain, country or phone helps, so this measures the name path alone. The
bounds sit a little under the figures measured when they were set (precision 1.000, recall
0.754, no-account leads left unmatched 0.963) so that a real regression fails, not noise.
"""

from __future__ import annotations

import csv
from pathlib import Path

from leadmatch import AccountIndex
from leadmatch.quality.evaluation import evaluate, truth_from_rows


def test_patstat_precision_and_recall(patstat_dir: Path) -> None:
    with (patstat_dir / "accounts.csv").open(encoding="utf-8", newline="") as f:
        index = AccountIndex.build(csv.DictReader(f))
    with (patstat_dir / "leads.csv").open(encoding="utf-8", newline="") as f:
        leads = list(csv.DictReader(f))
    results = index.match_many(leads)
    assert [m.lead_id for m in results] == [lead["lead_id"] for lead in leads]
    quality = evaluate(results, truth_from_rows(leads))
    assert quality.precision >= 0.98
    assert quality.recall >= 0.70
    assert quality.no_account_accuracy >= 0.90
