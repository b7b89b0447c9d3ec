"""Every Python example in README.md and docs/ runs as written (so none can rot), each page in
one session, in a folder holding the files its prose names: the bundled demo accounts.csv and
leads.csv, and accounts.lmx built from them. A block whose first line is ``# (not run ...``
says why it is not run here, and is counted."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from leadmatch import AccountIndex
from leadmatch._util.resources import demo_text
from leadmatch.io.columns import read_csv

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPTIONAL = {"pandas", "polars", "pyarrow", "duckdb", "matplotlib", "pyspark"}


def _blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: p.name)
def test_the_examples_of_a_page_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("accounts.csv", "leads.csv"):
        (tmp_path / name).write_text(demo_text(name), encoding="utf-8")
    _, rows = read_csv(iter_text(demo_text("accounts.csv")), "account")
    AccountIndex.build(rows).save(tmp_path / "accounts.lmx")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for code in _blocks(page):
        if code.startswith("# (not run"):
            continue
        try:
            exec(compile(code, str(page), "exec"), namespace)
        except ModuleNotFoundError as exc:
            if exc.name not in OPTIONAL:
                raise
            pytest.skip(f"{page.name} needs {exc.name}")
    if page.name == "quickstart-notebook.md":  # the rendered results table is what runs give
        shown = re.findall(
            r"^\| (\d+) +\| (L\d) +\| (\w*) +\| ([\d.]+) +\| (\w+) ", page.read_text("utf-8"), re.M
        )
        results = namespace["index"].match_many(namespace["leads"])  # type: ignore[attr-defined]
        assert len(shown) == 5
        for label, lead_id, account_id, confidence, decision in shown:
            row = results.loc[int(label)]
            assert (row.lead_id, row.account_id, f"{row.confidence:.4f}", row.decision) == (
                lead_id,
                account_id,
                confidence,
                decision,
            )
    if page.name == "accounts.md":
        _check_accounts_walkthrough(namespace)
    if page.name == "labels.md":  # the printed results are what the run gives
        shown = re.search(r"```text\n(W1 .*?)```", page.read_text("utf-8"), re.S)
        assert shown is not None
        results = namespace["index"].match_many(  # type: ignore[attr-defined]
            namespace["leads"], labels=namespace["labels"]
        )
        printed = [
            f"{m.lead_id} {m.decision} {m.account_id} | {m.evidence[0].detail}" for m in results
        ]
        assert printed == shown.group(1).splitlines()
    if page.name == "review.md":  # the printed queue is what the run gives
        shown = re.search(r"```text\n(L-.*?)```", page.read_text("utf-8"), re.S)
        assert shown is not None
        items = namespace["items"]
        printed = [
            " ".join(map(str, (i.lead.lead_id, i.band, i.account_id, i.confidence, i.worth,
                               i.lead.company)))
            for i in items[:6]  # type: ignore[index]
        ]  # fmt: skip
        assert printed == shown.group(1).splitlines()
        report = namespace["explained"].report().splitlines()  # type: ignore[attr-defined]
        told = re.search(r"```text\n(lead 0: .*?)\n\.\.\.\n```", page.read_text("utf-8"), re.S)
        assert told is not None and report[: len(told.group(1).splitlines())] == (
            told.group(1).splitlines()
        )


def _check_accounts_walkthrough(ns: dict[str, Any]) -> None:
    """The walk-through reached its end with results that hold together."""
    results = ns["results"]
    matched = [m for m in results if m.decision == "matched"]
    customers = ns["customers"]
    assert 0 < len(customers) < len(matched)
    assert all(dict(m.account_fields)["type"] == "Customer" for m in customers)
    counts = [row["matched_leads"] for row in ns["rows"]]
    assert counts == sorted(counts, reverse=True) and sum(counts) == len(matched)
    # Coverage counted here from the results: a target (the 20 accounts with most leads; the
    # id the page appends is one of them, and a repeat counts once) is engaged with 2 or more
    # matched leads of its own.
    targets = dict.fromkeys(t["account_id"] for t in ns["targets"])
    leads_of = Counter(m.account_id for m in matched)
    engaged = [t for t in targets if leads_of[t] >= 2]
    report = ns["report"]
    assert len(targets) == 20
    assert report.summary().startswith(f"{len(engaged)} of 20 target accounts")
    assert [a for a, _ in report.uncovered] == [t for t in targets if t not in engaged]
    unmatched = {m.lead_id for m in results if m.decision == "unmatched"}
    proposed = [i for row in ns["new_rows"] for i in row["lead_ids"].split(";")]
    assert proposed and set(proposed) <= unmatched and len(set(proposed)) == len(proposed)
    assert all(row["account_id"] == "NEW-" + row["lead_ids"].split(";")[0]
               for row in ns["new_rows"])  # fmt: skip


def test_few_examples_are_not_run() -> None:
    skipped = [p.name for p in PAGES for code in _blocks(p) if code.startswith("# (not run")]
    assert skipped == ["quickstart-etl.md"]  # the Spark job: tests/unit/test_spark.py runs it


def iter_text(text: str) -> object:
    import io

    return io.StringIO(text)
