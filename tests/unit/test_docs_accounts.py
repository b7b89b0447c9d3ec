"""docs/accounts.md's Python examples run as written, on the bundled demo files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadmatch._resources import demo_text

PAGE = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"


def test_the_accounts_page_runs_on_the_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not PAGE.exists():
        pytest.skip("docs/ is not in this tree")
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    for name in ("accounts.csv", "leads.csv"):
        (tmp_path / name).write_text(demo_text(name), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for code in blocks:  # one namespace: the page is one session
        exec(compile(code, str(PAGE), "exec"), namespace)
    assert namespace["customers"] and namespace["rows"] and namespace["report"]
    assert namespace["proposals"] and namespace["new_rows"][0]["account_id"].startswith("NEW-")
