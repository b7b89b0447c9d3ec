"""How much better could another way of combining the same features rank the leads?

    python benchmarks/ceiling.py          # needs scikit-learn (pip install scikit-learn)

Fits, on the pairs ``benchmarks/train.py`` fits the shipped weights on (the fit half of each
real set and synth.py seed 11, 70% of their leads, every set counting alike), a logistic
regression over the same levels and gradient-boosted trees over the features and levels
(scikit-learn's ``HistGradientBoostingClassifier``), and prints, on the check halves and
synth.py seed 7, the best F1 over all thresholds and the average precision of each lead's best
candidate, beside the shipped model's score. Trees that rank much better would say the model's
form holds it back; trees that rank about as well say the features do.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from leadmatch import AccountIndex, MatchConfig, truth_from_rows  # noqa: E402
from leadmatch.config import LEVELS  # noqa: E402
from leadmatch.match import scored_batches, view_of  # noqa: E402
from real import SHARED, DataSet, load, synth  # noqa: E402
from train import _calibrating  # noqa: E402

FLAGS = ("domain_exact", "domain_family", "domain_brand", "domain_conflict", "name_exact",
         "name_part", "name_adds", "name_elsewhere", "acronym", "name_missing", "name_listed",
         "name_one_word", "name_generic", "legal_agree", "legal_conflict", "country_agree",
         "country_conflict", "city_agree", "phone_agree")  # fmt: skip
NUMBERS = ("name_sim", "name_cover", "candidates", "domain_owners")


def pairs(data: DataSet, leads: list[dict[str, str]]) -> dict[str, Any]:
    """Every candidate pair of ``leads``: features, levels, label, lead id and shipped score."""
    index, truth = AccountIndex.build(data.accounts), truth_from_rows(data.leads)
    view, parts = view_of(index), []
    for ids, f, s, _ in scored_batches(view, leads, MatchConfig()):
        accounts = view.data.account_id.take(f.account)
        lead_ids = [ids[k] for k in f.lead.tolist()]
        parts.append({
            "x": np.column_stack([getattr(f, n).astype(np.float64) for n in FLAGS + NUMBERS]),
            "levels": np.column_stack([s.levels[c] for c in LEVELS]),
            "right": np.array([a in truth[i] for a, i in zip(accounts, lead_ids)]),
            "lead": np.array(lead_ids, dtype=object),
            "shipped": s.total,
        })  # fmt: skip
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out["positives"] = sum(1 for lead in leads if truth[lead["lead_id"]])
    out["leads"] = len(leads)
    return out


def ranking(score: np.ndarray, p: dict[str, Any]) -> tuple[float, float]:
    """Best F1 over all thresholds, and average precision, of each lead's best candidate."""
    order = np.lexsort((-score, p["lead"]))
    first = np.r_[True, p["lead"][order][1:] != p["lead"][order][:-1]]
    best = order[first]
    by_score = np.argsort(-score[best], kind="stable")
    right, ranked = p["right"][best][by_score], score[best][by_score]
    hits = np.cumsum(right)
    last = np.r_[ranked[1:] != ranked[:-1], True]  # a threshold cuts between distinct scores
    f1 = np.where(last, 2 * hits / (np.arange(1, len(right) + 1) + p["positives"]), 0.0)
    precision = hits / np.arange(1, len(right) + 1)
    return float(f1.max()), float(np.sum(precision * right) / p["positives"])


def main() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder

    with tempfile.TemporaryDirectory() as tmp:
        sets = {
            "ror_dev": (load(SHARED / "ror_dev", "ror_dev", half="fit"),
                        load(SHARED / "ror_dev", "ror_dev", half="check")),
            "patstat_leuven": (load(SHARED / "patstat_leuven", "patstat", half="fit"),
                               load(SHARED / "patstat_leuven", "patstat", half="check")),
            "synth.py 10k": (synth(10_000, 11, Path(tmp) / "fit"),
                             synth(10_000, 7, Path(tmp) / "check")),
        }  # fmt: skip
        fit = {n: pairs(a, [r for r in a.leads if not _calibrating(r["lead_id"])])
               for n, (a, _) in sets.items()}  # fmt: skip
        check = {n: pairs(b, b.leads) for n, (_, b) in sets.items()}
    x = np.concatenate([p["x"] for p in fit.values()])
    levels = np.concatenate([p["levels"] for p in fit.values()])
    y = np.concatenate([p["right"] for p in fit.values()])
    w = np.concatenate([np.full(len(p["right"]), 1.0 / p["leads"]) for p in fit.values()])
    w /= w.mean()
    every = np.concatenate([levels, *(p["levels"] for p in check.values())])
    onehot = OneHotEncoder(handle_unknown="ignore").fit(every)
    lr = LogisticRegression(max_iter=2000).fit(onehot.transform(levels), y, sample_weight=w)
    trees = HistGradientBoostingClassifier(max_depth=4, max_iter=300, learning_rate=0.05,
                                           min_samples_leaf=40, random_state=0)  # fmt: skip
    trees.fit(np.column_stack([x, levels]), y, sample_weight=w)
    print("| set | model | best F1 over all thresholds | best-candidate AP |")
    print("| --- | --- | ---: | ---: |")
    for name, p in check.items():
        scores = {
            "shipped weights": p["shipped"],
            "logistic regression, levels": lr.decision_function(onehot.transform(p["levels"])),
            "boosted trees, features + levels": trees.decision_function(
                np.column_stack([p["x"], p["levels"]])
            ),
        }
        for model, score in scores.items():
            f1, ap = ranking(score, p)
            print(f"| {name} | {model} | {f1:.3f} | {ap:.3f} |")


if __name__ == "__main__":
    main()
