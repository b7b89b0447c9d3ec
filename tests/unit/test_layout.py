"""The package's layout holds: imports run one way between rooms, no module imports another in
a circle (counting imports inside functions; ``TYPE_CHECKING`` imports never run), no module
reaches into another's private names, and no function outgrows a reader's mind.

Read from the source with :mod:`ast`, so a violation fails here before it confuses a reader.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "leadmatch"

#: Rooms from the face down; a module imports only from its own room or a lower layer.
LAYERS: dict[str, int] = {
    "leadmatch.cli": 8,  # the command line and Spark use the public names
    "leadmatch.spark": 8,
    "leadmatch": 7,  # the package's __init__: the public names
    "leadmatch.index": 6,  # AccountIndex, the engine
    "leadmatch.accounts": 5,
    "leadmatch.quality": 5,
    "leadmatch.review": 6,  # the review queue and page, beside the index (and fitting below)
    "leadmatch.match": 4,
    "leadmatch.tables": 3,
    "leadmatch.io": 3,
    "leadmatch.normalize": 2,
    "leadmatch.config": 1,
    "leadmatch.models": 1,
    "leadmatch.errors": 0,
    "leadmatch._util": 0,
    "leadmatch._version": 0,
}
MAX_LINES = 60


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _room(module: str) -> str:
    parts = module.split(".")
    return module if module == PACKAGE else ".".join(parts[:2])


def _type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports there never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The module an ``import from`` names, relative ones resolved against ``module``."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


_DYNAMIC = ("importlib.import_module", "import_module", "__import__")


def _imported(module: str, tree: ast.AST | list[ast.AST]) -> Iterator[tuple[str, list[str]]]:
    """Each (module, names) the code imports: ``import a.b`` gives ``("a.b", [])``, and a
    dynamic ``importlib.import_module("a.b")`` or ``__import__("a.b")`` of a literal too."""
    for node in tree if isinstance(tree, list) else ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield _absolute(module, node), [a.name for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in _DYNAMIC
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield str(node.args[0].value), []


def _imports(module: str, source: str | None = None) -> set[str]:
    """The package modules ``module`` imports when it runs. ``from package import module``
    imports that module (the package is the one it is in, already under way); a package that
    Python initializes before a submodule it is asked for is not counted: a subpackage's
    ``__init__`` re-exports its modules, which import each other by full name."""
    tree = ast.parse(source if source is not None else MODULES[module].read_text("utf-8"))
    out: set[str] = set()
    for name, names in _imported(module, list(_runtime_nodes(tree))):
        if name.split(".")[0] != PACKAGE:
            continue
        submodules = {f"{name}.{n}" for n in names}
        out.update(submodules)
        if not names or not submodules <= MODULES.keys():  # the module itself is imported
            out.add(name)
    return {name for name in out if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle() -> None:
    assert _cycles() == []


def test_cycle_finder_finds_a_planted_circle(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = {m: set(deps) for m, deps in GRAPH.items()}
    planted["leadmatch.errors"].add("leadmatch.config")  # config imports errors
    monkeypatch.setattr(f"{__name__}.GRAPH", planted)
    assert ["leadmatch.config", "leadmatch.errors"] in _cycles()


def test_every_module_has_a_room() -> None:
    assert sorted(m for m in MODULES if _room(m) not in LAYERS) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_the_rooms(module: str) -> None:
    room = _room(module)
    upward = [
        dep
        for dep in sorted(GRAPH[module])
        if _room(dep) != room and LAYERS[_room(dep)] >= LAYERS[room]
    ]
    assert upward == [], f"{module} ({room}) imports a room at its level or above"


#: Rooms entered only through their door: their ``__init__``, whose ``__all__`` lists what they
#: share. ``_util`` is private to the package; its modules are imported by name.
DOORS = {
    f"{PACKAGE}.{room}" for room in ("normalize", "tables", "match", "io", "quality", "accounts")
}


def _exported(room: str) -> set[str]:
    """A room's ``__all__``, read from its ``__init__`` without importing it."""
    for node in ast.parse(MODULES[room].read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            return set(ast.literal_eval(node.value))
    return set()


def _through_walls(module: str, source: str | None = None) -> list[str]:
    """Imports of another room's modules, or of names its door does not list."""
    tree = ast.parse(source if source is not None else MODULES[module].read_text("utf-8"))
    found = []
    for name, names in _imported(module, tree):
        room = _room(name)
        if room not in DOORS or room == _room(module):
            continue
        if name != room:
            found.append(name)
        found += [f"{room}.{n}" for n in names if n not in _exported(room)]
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_other_rooms_are_entered_by_their_door(module: str) -> None:
    assert _through_walls(module) == []


def test_the_checks_see_every_form_of_import() -> None:
    """A planted module with each way around the rules: every check must catch it."""
    planted = """
from typing import TYPE_CHECKING
import leadmatch.tables.lookups as lk
from ..index import AccountIndex
from leadmatch.match import Undeclared
if not TYPE_CHECKING:
    from leadmatch.quality import evaluate
if TYPE_CHECKING:
    from leadmatch.accounts import rollup
def late():
    importlib.import_module("leadmatch.io.frames")
"""
    module = "leadmatch.match.scoring"
    assert {"leadmatch.index", "leadmatch.quality", "leadmatch.io.frames"} <= _imports(
        module, planted
    )
    assert "leadmatch.accounts" not in _imports(module, planted)
    assert set(_through_walls(module, planted)) >= {
        "leadmatch.tables.lookups",
        "leadmatch.io.frames",
    }
    # From another room, a name the match room's door does not list is a breach too.
    assert _through_walls("leadmatch.quality.fitting", planted) == [
        "leadmatch.tables.lookups",
        "leadmatch.match.Undeclared",
        "leadmatch.io.frames",
    ]
    reached = _private_reaches("x = other._secret\nfrom leadmatch.tables.lookups import _hidden")
    assert sorted(reached) == ["_hidden", "other._secret"]


@pytest.mark.process
def test_every_module_imports_in_a_fresh_interpreter() -> None:
    """What the static checks cannot see: the modules import, each one after the package."""
    script = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", script, *sorted(MODULES)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _defined_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_reaches(source: str) -> list[str]:
    """``_name`` imported from another module, or read off an object of another module (a
    name the source never binds itself)."""
    tree = ast.parse(source)
    own = _defined_names(tree)
    reached = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            reached += [a.name for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            reached.append(ast.unparse(node))
    return reached


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_crosses_a_module(module: str) -> None:
    """``_name`` belongs to the module that defines it. A module of the private ``_util``
    room is shared by name (its module is private to the package, its names are not)."""
    assert _private_reaches(MODULES[module].read_text(encoding="utf-8")) == []


def _functions() -> Iterator[tuple[str, str, int]]:
    for module, path in sorted(MODULES.items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield module, node.name, (node.end_lineno or node.lineno) - node.lineno + 1


def test_functions_fit_in_a_readers_mind() -> None:
    long = [f"{m}.{name}: {lines}" for m, name, lines in _functions() if lines > MAX_LINES]
    assert long == []
