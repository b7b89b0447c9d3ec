"""docs/scoring.md shows the shipped weights: its table must be the weights that ship."""

from __future__ import annotations

import re
from pathlib import Path

from leadmatch import Weights
from leadmatch.config import LEVELS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"
ROW = re.compile(r"^\| (`(\w+)`)? *\| `(\w+)` \|.*\| ([+-]\d+\.\d\d) \|$")


def _table(text: str) -> tuple[dict[tuple[str, str], float], float, float]:
    found: dict[tuple[str, str], float] = {}
    comparison = ""
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            comparison = match.group(2) or comparison
            found[(comparison, match.group(3))] = float(match.group(4))
    prior = re.search(r"^\| \(prior\) \|.*\| ([+-]\d+\.\d\d) \|$", text, re.M)
    gap = re.search(r"^\| \(gap\) \|.*\| (\d+\.\d\d) \|$", text, re.M)
    assert prior and gap, "the table's prior and gap rows"
    return found, float(prior.group(1)), float(gap.group(1))


def _mismatches(text: str) -> list[str]:
    """What the doc's table says differently from the shipped weights."""
    found, prior, gap = _table(text)
    weights = Weights()
    expected = {
        (c, level): getattr(weights, c)[level] for c, levels in LEVELS.items() for level in levels
    }
    wrong = [f"{key} missing or extra" for key in set(found) ^ set(expected)]
    wrong += [f"{key}: {found[key]} != {value}" for key, value in expected.items()
              if key in found and abs(found[key] - value) > 0.006]  # fmt: skip
    wrong += ["prior"] if abs(prior - weights.prior) > 0.006 else []
    return wrong + (["gap"] if abs(gap - weights.gap) > 0.006 else [])


def test_the_weights_table_is_the_shipped_weights() -> None:
    assert _mismatches(DOC.read_text(encoding="utf-8")) == []


def test_a_wrong_or_missing_weight_in_the_table_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8")
    found, _, _ = _table(text)
    shown = f"| {found[('domain', 'conflict')]:+.2f} |"
    assert _mismatches(text.replace(shown, "| +9.99 |", 1)) == [
        f"('domain', 'conflict'): 9.99 != {Weights().domain['conflict']}"
    ]
    lines = [line for line in text.splitlines() if "`sim93`" not in line]
    assert _mismatches("\n".join(lines)) == ["('name', 'sim93') missing or extra"]
