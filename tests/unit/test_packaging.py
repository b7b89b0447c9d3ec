"""What ``pip install .`` puts in the wheel: every file the package reads at run time."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "leadmatch"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")


def test_every_data_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["leadmatch"]
    files = [
        p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "data").rglob("*") if p.is_file()
    ]
    assert files, "no data files found"
    left_out = [f for f in files if not _carried(f, patterns)]
    assert left_out == [], "data files a wheel would not carry: add them to package-data"
    # The check itself: a file no pattern covers is reported, and "*" stops at a "/" as in
    # setuptools' globs.
    assert not _carried("data/weights.parquet", patterns)
    assert not _carried("data/sub/words.txt", ["data/*.txt"])
    assert _carried("data/words.txt", ["data/*.txt"])


def _carried(path: str, patterns: list[str]) -> bool:
    return any(
        PurePosixPath(path).match(p)
        and len(PurePosixPath(p).parts) == len(PurePosixPath(path).parts)
        for p in patterns
    )
