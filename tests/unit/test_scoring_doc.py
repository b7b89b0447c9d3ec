"""docs/scoring.md shows the shipped weights: its table must be the weights that ship."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_the_weights_table_is_the_shipped_weights() -> None:
    found, prior, gap = _table(DOC.read_text(encoding="utf-8"))
    weights = Weights()
    expected = {
        (c, level): getattr(weights, c)[level] for c, levels in LEVELS.items() for level in levels
    }
    assert set(found) == set(expected), "every level of every comparison, once"
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, abs=0.006), key
    assert prior == pytest.approx(weights.prior, abs=0.006)
    assert gap == pytest.approx(weights.gap, abs=0.006)


def test_a_wrong_weight_in_the_table_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8")
    found, _, _ = _table(text)
    level = ("domain", "conflict")
    shown = f"{found[level]:+.2f} |"
    broken = text.replace(shown, f"{found[level] + 1:+.2f} |", 1)
    assert _table(broken)[0][level] != pytest.approx(Weights().domain["conflict"], abs=0.006)
