"""docs/scoring.md shows the shipped weights: its table must be the weights that ship."""

from __future__ import annotations

import re
from pathlib import Path

from leadmatch import Account, AccountIndex, Lead, Weights
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


WORKED_INDEX = [
    Account(account_id="ACME", name="Acme Robotics Ltd", domain="acme-robotics.co.uk",
            country="GB"),
    Account(account_id="GLOBEX", name="Globex Corporation", country="US"),
    Account(account_id="INITECH", name="Initech Systems", domain="initech.com", country="US"),
    Account(account_id="IBM", name="International Business Machines Corp.", country="US"),
    Account(account_id="KYOTO", name="Kyoto University", country="JP"),
    Account(account_id="CNRS", name="Centre National de la Recherche Scientifique",
            domain="cnrs.fr", country="FR"),
    Account(account_id="LPP", name="Laboratoire de Physique des Plasmas", domain="lpp.cnrs.fr",
            country="FR", parent_id="CNRS"),
    Account(account_id="LKB", name="Laboratoire Kastler Brossel", domain="cnrs.fr", country="FR",
            parent_id="CNRS"),
]  # fmt: skip
WORKED_LEADS = {
    '`j.doe@acme-robotics.co.uk`, "ACME Robotics"':
        Lead(email="j.doe@acme-robotics.co.uk", company="ACME Robotics"),
    '`jane@gmail.com`, "Acme Robotics"': Lead(email="jane@gmail.com", company="Acme Robotics"),
    '`jane@gmail.com`, "Acme Robotcs"': Lead(email="jane@gmail.com", company="Acme Robotcs"),
    '`bob@hotmail.com`, "Globx Corp"': Lead(email="bob@hotmail.com", company="Globx Corp"),
    '`kim@initech.com`, "IBM"': Lead(email="kim@initech.com", company="IBM"),
    '`kim@gmail.com`, "IBM"': Lead(email="kim@gmail.com", company="IBM"),
    'no email, "Department of Physics, Kyoto University, Kyoto, Japan"':
        Lead(company="Department of Physics, Kyoto University, Kyoto, Japan"),
    '`marie@lpp.cnrs.fr`, "LPP"': Lead(email="marie@lpp.cnrs.fr", company="LPP"),
    "`marie@cnrs.fr`": Lead(email="marie@cnrs.fr"),
    '`x@other-firm.com`, "Acme Robotics"':
        Lead(email="x@other-firm.com", company="Acme Robotics", country="US"),
    'no email, "Universidad de Kioto"': Lead(company="Universidad de Kioto"),
}  # fmt: skip


def _worked_row(lead: Lead) -> str:
    m = AccountIndex.build(WORKED_INDEX).match(lead)
    return f"{m.account_id or ''} | {m.confidence:.3f} | {m.decision} | {m.reasons()} |"


def test_the_worked_examples_are_what_matching_gives() -> None:
    """Each row of the page's worked examples, as the shipped weights give it today."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Worked examples") : text.index("## How the shipped weights")]
    rows = {
        line.split(" | ", 1)[0][2:]: line.split(" | ", 1)[1]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith(("| lead ", "|---"))
    }
    expected = {shown: _worked_row(lead) for shown, lead in WORKED_LEADS.items()}
    assert rows == expected


def test_every_weight_the_pages_quote_is_a_shipped_weight() -> None:
    """Results quoted in the README and docs show each signal's weight in brackets
    (``[+2.213]``): after a refit, a page quoting the weights before it is caught here."""
    weights = Weights()
    shipped = {0.0} | {round(v, 4) for c in LEVELS for v in getattr(weights, c).values()}
    root = DOC.parents[1]
    stale = [
        (page.name, quoted)
        for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]
        for quoted in re.findall(r"\[([+-]\d+(?:\.\d+)?)\]", page.read_text(encoding="utf-8"))
        if round(float(quoted), 4) not in shipped
    ]
    assert stale == []


def test_the_gap_the_pages_quote_is_the_shipped_gap() -> None:
    gap = f"{Weights().gap:.2f}"
    how = (DOC.parent / "how-it-works.md").read_text(encoding="utf-8")
    quoted = re.findall(r"the shipped (\d\.\d\d), so a bit", DOC.read_text(encoding="utf-8"))
    quoted += re.findall(r"gap is\s+about (\d\.\d\d):", how)
    assert quoted == [gap, gap]
