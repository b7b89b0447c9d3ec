"""Mutation score of the core: small bugs planted one at a time, and the share the tests catch.

    pip install mutmut                                # 3.x; not a dependency of the package
    python benchmarks/mutation.py                     # every core module (MODULES below)
    python benchmarks/mutation.py --modules resolve,scoring --children 2   # one run: "match"
    python benchmarks/mutation.py --report            # the last run's figures, nothing run

mutmut (https://github.com/boxed/mutmut) copies ``src/`` and ``tests/`` to ``mutants/``, plants
each mutant (a changed comparison or operator, a constant, a dropped argument...) behind a
switch, and runs the tests that reach the mutated function, fastest first, until one fails.
The modules pinned by the same tests run together (:data:`RUNS`), each run in its own copy of
the checkout under ``benchmarks/out/mutation/``, against those tests only. The settings all
runs share are ``[tool.mutmut]`` in pyproject.toml, with the tests left out (static checks of
the source text, and tests that start other processes: see the ``process`` marker).
Hypothesis runs under the ``mutation`` profile of ``tests/conftest.py`` (fewer examples, still
derandomized, a failing example neither shrunk nor explained), so that a surviving mutant
costs seconds and a caught one no more than its first failure.

Printed per module: mutants, killed (a test failed, the type check refused it, or it timed out),
survived, and the score: killed over all mutants but those judged equivalent, which are listed
with a reason in ``benchmarks/mutation-equivalent.txt`` (``<mutant name>  <reason>``; mutmut's
numbering changes with the code, so the list is judged again after each change). Then every
other survivor with its diff (``mutmut show``): each is a test to write, or an equivalent to list.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).resolve().parent / "mutation-equivalent.txt"
WORK = ROOT / "benchmarks" / "out" / "mutation"
_MATCH = "src/leadmatch/match/"
#: Core module -> its source.
MODULES = {
    "normalize": "src/leadmatch/normalize/*",
    "blocking": _MATCH + "blocking.py",
    "features": _MATCH + "features.py",
    "scoring": _MATCH + "scoring.py",
    "resolve": _MATCH + "resolve.py",
    "fitting": "src/leadmatch/quality/fitting.py",
    "records": "src/leadmatch/io/records.py",
    "fileformats": "src/leadmatch/io/fileformats.py",
    "edits": "src/leadmatch/tables/edit_in_place.py",
}
#: Run -> (its modules, the tests that pin them). Each run is one mutmut run in its own copy of
#: the checkout, whose ``[tool.mutmut]`` names those modules and tests only: modules pinned by
#: the same tests share a run (one map of which test reaches which function, one warm server).
#: A mutant that survives runs every selected test that reaches it: the selection is the time.
RUNS = {
    "normalize": (("normalize",), ["tests/unit/normalize",
                  "tests/property/test_normalizer_properties.py", "tests/unit/io/test_bad_input.py",
                  "tests/unit/match/test_matching.py"]),
    "fitting": (("fitting",), ["tests/unit/quality"]),
    "io": (("records", "fileformats"), ["tests/unit/io", "tests/unit/test_cli.py"]),
    "edits": (("edits",), ["tests/unit/tables", "tests/property/test_update_properties.py"]),
    "match": (("blocking", "features", "scoring", "resolve"), ["tests/unit/match",
              "tests/property/test_resolver_properties.py",
              "tests/property/test_scoring_properties.py"]),
}  # fmt: skip
#: mutmut's exit codes (mutmut/stats.py) of a killed mutant: 1 and 3 a failing test, 37 the type
#: check, 36 and +-24 a timeout, 255 a test run that stopped on an error outside any test
#: (mutmut files it under timeouts; the same mutants fail a test in a plain pytest run).
KILLED = frozenset({1, 3, 37, 36, 24, -24, 255})
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}
_COPIED = ("src", "tests", "benchmarks/synth.py", "benchmarks/synth_data", "README.md", "docs")


def _run_of(module: str) -> str:
    return next(name for name, (modules, _) in RUNS.items() if module in modules)


def _prepare(run: str, modules: list[str]) -> Path:
    """A copy of the checkout for one run of ``modules``; mutmut's results of an earlier run
    stay in its ``mutants/`` and are reused where the code has not changed."""
    tests = RUNS[run][1]
    folder = WORK / run
    folder.mkdir(parents=True, exist_ok=True)
    for name in _COPIED:
        src, dst = ROOT / name, folder / name
        if src.is_dir():
            shutil.copytree(
                src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    # pyproject.toml ends with [tool.mutmut]: the modules and their tests are appended to it.
    lines = [f"only_mutate = {json.dumps([MODULES[m] for m in modules])}",
             f"pytest_add_cli_args_test_selection = {json.dumps(tests)}"]  # fmt: skip
    text = (ROOT / "pyproject.toml").read_text("utf-8").rstrip("\n")
    (folder / "pyproject.toml").write_text(text + "\n" + "\n".join(lines) + "\n", "utf-8")
    return folder


def outcomes(module: str) -> dict[str, str]:
    """Mutant name -> killed / survived / no tests / not run, from mutmut's files."""
    found: dict[str, str] = {}
    mutants = WORK / _run_of(module) / "mutants"
    for meta in sorted(mutants.glob(MODULES[module] + ".meta")):
        codes = json.loads(meta.read_text("utf-8")).get("exit_code_by_key", {})
        for mutant, code in codes.items():
            found[mutant] = "killed" if code in KILLED else SURVIVED.get(code) or (
                "not run" if code is None else f"exit {code}"
            )  # fmt: skip
    return found


def equivalents() -> dict[str, str]:
    """The survivors judged equivalent, with the reason."""
    if not EQUIVALENT.is_file():
        return {}
    judged: dict[str, str] = {}
    for line in EQUIVALENT.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.strip().partition(" ")
            judged[name] = reason.strip()
    return judged


def report(modules: list[str]) -> list[tuple[str, str]]:
    """Print the table; return (module, mutant) of the survivors not judged equivalent."""
    judged = equivalents()
    head = ("module", "mutants", "killed", "survived", "equivalent", "not run", "score")
    print("{:12} {:>8} {:>7} {:>9} {:>11} {:>8} {:>7}".format(*head))
    survivors: list[tuple[str, str]] = []
    for module in modules:
        c: Counter[str] = Counter()
        for mutant, status in outcomes(module).items():
            kind = "equivalent" if status != "killed" and mutant in judged else status
            c[kind] += 1
            if kind not in ("killed", "equivalent", "not run"):
                survivors.append((module, mutant))
        counted = sum(c.values()) - c["equivalent"] - c["not run"]
        score = f"{c['killed'] / counted:7.1%}" if counted else "      -"
        print(f"{module:12} {sum(c.values()):8} {c['killed']:7} {counted - c['killed']:9} "
              f"{c['equivalent']:11} {c['not run']:8} {score}")  # fmt: skip
    return survivors


def _forget_survivors(folder: Path) -> None:
    """mutmut keeps a mutant's result while its function is unchanged: a survivor is tested
    again, since the tests may have changed since (a killed mutant stays killed). Which tests
    reach which function is collected again too: mutmut adds only new tests to its map, so a
    new function would be tried against them alone, not against the old tests that reach it."""
    (folder / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    for meta in (folder / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text("utf-8"))
        codes = data.get("exit_code_by_key", {})
        data["exit_code_by_key"] = {k: v if v in KILLED else None for k, v in codes.items()}
        meta.write_text(json.dumps(data, indent=4), "utf-8")


def run(name: str, modules: list[str], children: int) -> float:
    folder = _prepare(name, modules)
    _forget_survivors(folder)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}
    started = time.perf_counter()
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)]
    done = subprocess.run(command, cwd=folder, env=env, stdout=subprocess.DEVNULL)
    if done.returncode != 0:
        sys.exit(f"mutmut run failed ({done.returncode}) in {folder}; run it there to see why")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modules", default=",".join(MODULES), help="comma-separated short names")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--report", action="store_true", help="print the last run's figures")
    parser.add_argument("--diffs", type=int, default=50, help="show at most this many survivors")
    args = parser.parse_args()
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        sys.exit(f"unknown modules {unknown}; known: {', '.join(MODULES)}")
    total = 0.0
    for name, (members, _) in [] if args.report else RUNS.items():
        chosen = [m for m in members if m in modules]
        if chosen:
            seconds = run(name, chosen, args.children)
            total += seconds
            print(f"{name} ({', '.join(chosen)}): mutmut ran in {seconds / 60:.1f} min "
                  f"with {args.children} children")  # fmt: skip
    if total:
        print(f"all runs: {total / 60:.1f} min")
    survivors = report(modules)
    print(f"\n{len(survivors)} survivor(s) not judged equivalent")
    for module, mutant in survivors[: args.diffs]:
        command = [sys.executable, "-m", "mutmut", "show", mutant]
        folder = WORK / _run_of(module)
        shown = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        print(f"\n## {mutant}\n{shown.stdout.strip()}")


if __name__ == "__main__":
    main()
