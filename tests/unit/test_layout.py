"""The package's layout holds: imports run one way between rooms, no module imports another in
a circle (counting imports inside functions; ``TYPE_CHECKING`` imports never run), no module
reaches into another's private names, and no function outgrows a reader's mind.

Read from the source with :mod:`ast`, so a violation fails here before it confuses a reader.
"""

from __future__ import annotations

import ast
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


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports there never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(module: str) -> set[str]:
    """The package modules ``module`` imports when it runs. ``from package import module``
    imports that module (the package is the one it is in, already under way); a package that
    Python initializes before a submodule it is asked for is not counted: a subpackage's
    ``__init__`` re-exports its modules, which import each other by full name."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != PACKAGE:
                continue
            submodules = {f"{node.module}.{a.name}" for a in node.names}
            out.update(submodules)
            if not submodules <= MODULES.keys():  # names of the module itself, not submodules
                out.add(node.module)
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


@pytest.mark.parametrize("module", sorted(MODULES))
def test_other_rooms_are_entered_by_their_door(module: str) -> None:
    room = _room(module)
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    through_walls = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and _room(node.module) in DOORS
        and _room(node.module) != room
        and node.module != _room(node.module)
    ]
    assert through_walls == []


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


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_crosses_a_module(module: str) -> None:
    """``_name`` belongs to the module that defines it. A module of the private ``_util``
    room is shared by name (its module is private to the package, its names are not)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    own = _defined_names(tree)
    reached = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            reached += [a.name for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            reached.append(ast.unparse(node))
    assert reached == []


def _functions() -> Iterator[tuple[str, str, int]]:
    for module, path in sorted(MODULES.items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield module, node.name, (node.end_lineno or node.lineno) - node.lineno + 1


def test_functions_fit_in_a_readers_mind() -> None:
    long = [f"{m}.{name}: {lines}" for m, name, lines in _functions() if lines > MAX_LINES]
    assert long == []
