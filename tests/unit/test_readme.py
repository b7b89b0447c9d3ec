"""The README's Python examples give what they say they give: an expression whose line ends in
a comment holding a Python literal (``m.account_id, m.confidence  # ('A1', 1.0)``) must evaluate
to that literal, run as written on the bundled demo files. (That every block runs at all is
``test_docs_examples.py``'s promise.)"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path
from typing import Any

import pytest

from leadmatch._util.resources import demo_text

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _shown(code: str) -> dict[int, Any]:
    """Line number -> the literal its trailing comment shows, for comments that are literals."""
    shown: dict[int, Any] = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            try:
                shown[tok.start[0]] = ast.literal_eval(tok.string[1:].strip())
            except (ValueError, SyntaxError):
                continue  # prose, or a value abridged with "..."
    return shown


def _run(code: str) -> tuple[list[tuple[Any, Any]], dict[str, Any]]:
    """Run a block statement by statement; (value, shown) for each expression with a literal
    comment on its line."""
    shown = _shown(code)
    namespace: dict[str, Any] = {}
    checked: list[tuple[Any, Any]] = []
    for statement in ast.parse(code).body:
        if isinstance(statement, ast.Expr) and statement.lineno in shown:
            value = eval(compile(ast.Expression(statement.value), str(README), "eval"), namespace)
            checked.append((value, shown[statement.lineno]))
        else:
            module = ast.Module(body=[statement], type_ignores=[])
            exec(compile(module, str(README), "exec"), namespace)  # our own README
    return checked, namespace


def test_shown_values_are_read_from_literal_comments_only() -> None:
    code = "x = 1\nx + 1  # 2\nx  # one, prose\n(x, 'a')  # (1, 'a')\n"
    assert _shown(code) == {2: 2, 4: (1, "a")}
    assert _run(code)[0] == [(2, 2), ((1, "a"), (1, "a"))]


@pytest.fixture
def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("accounts.csv", "leads.csv"):
        (tmp_path / name).write_text(demo_text(name), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_first_example_gives_the_values_it_shows(demo_folder: Path) -> None:
    checked, namespace = _run(BLOCKS[0])
    assert checked == [(("A1", 0.9999, "matched"), ("A1", 0.9999, "matched"))]
    assert (demo_folder / "accounts.lmx").is_file()
    assert namespace["m"].reasons().startswith("1 account of the index came near the lead")


def test_the_pandas_example_matches_every_demo_lead(demo_folder: Path) -> None:
    pytest.importorskip("pandas")
    _, namespace = _run(BLOCKS[1])
    leads = demo_text("leads.csv").count("\nL-")
    results = namespace["results"]
    assert len(results) == leads > 500
    assert set(results.decision) == {"matched", "review", "unmatched"}
