"""The examples in the library's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import leadmatch

MODULES = sorted(m.name for m in pkgutil.walk_packages(leadmatch.__path__, "leadmatch."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:  # an optional extra's module (leadmatch.spark)
        pytest.skip(f"{name} needs {exc.name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_library_has_examples_to_run() -> None:
    finder = doctest.DocTestFinder()
    examples = sum(
        len(test.examples)
        for name in MODULES
        if name != "leadmatch.spark"
        for test in finder.find(importlib.import_module(name))
    )
    assert examples >= 7
