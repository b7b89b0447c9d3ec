"""The public face holds what it says: every name in ``leadmatch.__all__`` and in each room's
``__all__`` can be imported, nothing public-looking is left out of them, and
``docs/reference.md`` documents exactly those names (as httpx checks its own ``__all__``)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
#: The package and its rooms (subpackages), and the face modules that name their own surface.
FACES = (
    "leadmatch",
    "leadmatch.normalize",
    "leadmatch.tables",
    "leadmatch.match",
    "leadmatch.io",
    "leadmatch.quality",
    "leadmatch.accounts",
    "leadmatch.review",
    "leadmatch.spark",
)


def _module(name: str) -> ModuleType:
    if name == "leadmatch.spark":
        pytest.importorskip("pyspark")
    return importlib.import_module(name)


def _bound_names(module: ModuleType) -> set[str]:
    """Names a module's own source binds at its top level (imports, definitions, assignments)."""
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("name", FACES)
def test_all_is_importable_and_complete(name: str) -> None:
    module = _module(name)
    listed = list(module.__all__)
    assert len(listed) == len(set(listed))
    missing = [n for n in listed if not hasattr(module, n)]
    assert missing == []
    if module.__file__ and module.__file__.endswith("__init__.py"):
        # A package's face re-exports: whatever it imports and does not list is a leak.
        public = {
            n
            for n in _bound_names(module)
            if not n.startswith("_") and n not in ("annotations", "TYPE_CHECKING")
        }
        assert sorted(public - set(listed)) == []


def _documented() -> dict[str, str]:
    """Each ``::: dotted.path`` of the reference (and each member listed under one)."""
    found: dict[str, str] = {}
    current = ""
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"::: ([\w.]+)", line.strip()):
            current = match.group(1)
            found[current] = current
        elif current and (member := re.fullmatch(r"\s+- (\w+)", line)):
            found[f"{current}.{member.group(1)}"] = current
        elif line and not line.startswith(" "):
            current = ""
    return found


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: Any = _module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            value = getattr(value, attr)
        return value
    raise AssertionError(f"{path} cannot be imported")


def _key(path: str, value: Any) -> object:
    """What makes two documented paths one name: the object itself for a class, function or
    module (re-exported under several paths), the path for a value (two equal numbers are
    not one name)."""
    named = isinstance(value, (type, ModuleType)) or callable(value)
    return ("object", id(value)) if named else ("path", path)


def _surface() -> dict[object, str]:
    surface: dict[object, str] = {}
    for face in FACES:
        module = _module(face)
        for name in module.__all__:
            if name != "__version__":
                path = f"{face}.{name}"
                surface.setdefault(_key(path, getattr(module, name)), path)
    return surface


def test_the_reference_documents_exactly_the_public_names() -> None:
    documented = _documented()
    objects = {_key(path, _resolve(path)): path for path in documented if "." in path}
    surface = _surface()
    undocumented = sorted(path for key, path in surface.items() if key not in objects)
    assert undocumented == [], "names in an __all__ that docs/reference.md does not document"
    members = {path for path, parent in documented.items() if path != parent}
    extra = sorted(
        path
        for key, path in objects.items()
        if key not in surface and path not in members and not isinstance(_resolve(path), ModuleType)
    )
    assert extra == [], "docs/reference.md documents names that no __all__ lists"


def test_the_checker_notices_a_name_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = importlib.import_module("leadmatch.tables")
    monkeypatch.setattr(tables, "__all__", [*tables.__all__, "Undocumented"])
    monkeypatch.setattr(tables, "Undocumented", type("Undocumented", (), {}), raising=False)
    with pytest.raises(AssertionError, match="does not document"):
        test_the_reference_documents_exactly_the_public_names()
