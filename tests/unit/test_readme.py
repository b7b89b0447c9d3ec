"""The README's Python examples run as written (on the bundled demo files where they read files)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadmatch._util.resources import demo_text

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "pandas" in code:
        pytest.importorskip("pandas")
    for name in ("accounts.csv", "leads.csv"):
        (tmp_path / name).write_text(demo_text(name), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), namespace)  # our own README, run as a user would
