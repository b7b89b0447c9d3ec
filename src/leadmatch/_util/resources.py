"""Reference lists shipped under ``leadmatch/data``: read once, lazily, never written."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources


def _lines(name: str) -> Iterator[str]:
    text = resources.files("leadmatch").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


@cache
def word_set(name: str) -> frozenset[str]:
    """A one-entry-per-line list as a set (free-mail domains, role mailboxes, ...)."""
    return frozenset(line.casefold() for line in _lines(name))


@cache
def rows(name: str) -> tuple[tuple[str, ...], ...]:
    """A tab-separated table as tuples of stripped fields."""
    return tuple(tuple(field.strip() for field in line.split("\t")) for line in _lines(name))


def demo_text(name: str) -> str:
    """The text of a file of the bundled demo data set."""
    return (
        resources.files("leadmatch")
        .joinpath("data")
        .joinpath("demo")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )
