"""Fit the shipped weights (``src/leadmatch/data/weights.json``) on the development data.

    python benchmarks/train.py            # writes src/leadmatch/data/weights.json
    python benchmarks/train.py --dry-run  # prints the weights, writes nothing

The data, and only it: the *fit* half of each real set in ``../shared/data`` (``ror_dev``,
``patstat_leuven``; the half is chosen by a hash of the lead's organisation, see
``real.in_fit_half``: ``benchmarks/real.py`` measures on the other half) and synth.py's CRM
with seed 11 (the measurements use seed 7). Within each, 70% of the leads (by a hash of the
lead id) fit the weights and 30% the calibration. Every set counts alike, whatever its size:
a pair weighs one over its set's number of leads, and a calibration lead as many leads as
make its set count as much as the largest. The weights are
:func:`leadmatch.quality.fit_weights` (the same fit ``leadmatch fit`` runs on a user's
labels), started from the weights shipped before.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from leadmatch import AccountIndex, MatchConfig, Weights, truth_from_rows  # noqa: E402
from leadmatch.quality import (  # noqa: E402
    PairLevels,
    Winners,
    calibration,
    fit_gap,
    fit_weights,
    pair_levels,
    winner_scores,
)
from real import SHARED, DataSet, load, synth  # noqa: E402

OUT = HERE.parent / "src" / "leadmatch" / "data" / "weights.json"
CALIBRATION_SHARE = 0.3


def _calibrating(lead_id: str) -> bool:
    digest = hashlib.blake2b(lead_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < CALIBRATION_SHARE


def sets(tmp: Path) -> list[DataSet]:
    found = [load(SHARED / name, name, half="fit") for name in ("ror_dev", "patstat_leuven")]
    return [*found, synth(10_000, 11, tmp)]


def winners(
    data: list[DataSet], indexes: list[AccountIndex], config: MatchConfig
) -> tuple[Winners, np.ndarray]:
    """The chosen pairs of every set's calibration leads, and how many leads each counts for:
    every set as much as the largest."""
    found = []
    for d, index in zip(data, indexes):
        leads = [lead for lead in d.leads if _calibrating(lead["lead_id"])]
        found.append(winner_scores(index, leads, truth_from_rows(d.leads), config))
    most = max(len(w.total) for w in found)
    weight = np.concatenate([np.full(len(w.total), most / len(w.total)) for w in found])
    return Winners(*(np.concatenate(columns) for columns in zip(*found))), weight


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    config = MatchConfig()
    with tempfile.TemporaryDirectory() as tmp:
        data = sets(Path(tmp))
        indexes = [AccountIndex.build(d.accounts) for d in data]
        parts = []
        for d, index in zip(data, indexes):
            leads = [lead for lead in d.leads if not _calibrating(lead["lead_id"])]
            found = pair_levels(index, leads, truth_from_rows(d.leads), config)
            weight = np.full(len(found), 1.0 / len(leads))
            parts.append(PairLevels(found.levels, found.match, weight))
            print(
                f"{d.name}: {len(leads):,} leads, {len(found):,} pairs, {found.match.sum():,} right"
            )
        weights = fit_weights(PairLevels.joined(parts), config.weights)
        found, weight = winners(data, indexes, config.model_copy(update={"weights": weights}))
        gap = fit_gap(found.raw, found.gap, found.right, weight)
        if gap is None:
            raise SystemExit("the calibration leads cannot tell the gap's weight")
        weights = weights.model_copy(update={"gap": gap})
        found, weight = winners(data, indexes, config.model_copy(update={"weights": weights}))
    final = Weights(
        **{**weights.model_dump(), "calibration": calibration(found.total, found.right, weight)}
    )
    values = final.model_dump(mode="json")
    lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in values.items()]
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    print(text)
    if final.falling():
        raise SystemExit(f"not monotone: {final.falling()}")
    if not args.dry_run:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
