"""Mutation score of the core: small bugs planted one at a time, and the share the tests catch.

    pip install mutmut                                # 3.x; not a dependency of the package
    python benchmarks/mutation.py                     # every core module (see pyproject.toml)
    python benchmarks/mutation.py --modules resolve,scoring --children 2
    python benchmarks/mutation.py --report            # the last run's figures, nothing run

mutmut (https://github.com/boxed/mutmut) copies ``src/`` and ``tests/`` to ``mutants/``, plants
each mutant (a changed comparison or operator, a constant, a dropped argument...) behind a
switch, and runs the tests that reach the mutated function, fastest first, until one fails.
Its settings are ``[tool.mutmut]`` in pyproject.toml: the core modules, the tests left out
(static checks of the source text, and tests that start other processes: see the ``process``
marker). Hypothesis runs under the ``mutation`` profile of ``tests/conftest.py`` (fewer examples,
still derandomized), so that a surviving mutant costs seconds, not minutes.

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
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).resolve().parent / "mutation-equivalent.txt"
#: Short names of the core modules (``only_mutate`` in pyproject.toml) and their mutant names.
MODULES = {
    "normalize": "leadmatch.normalize.*",
    "blocking": "leadmatch.match.blocking.*",
    "features": "leadmatch.match.features.*",
    "scoring": "leadmatch.match.scoring.*",
    "resolve": "leadmatch.match.resolve.*",
    "fitting": "leadmatch.quality.fitting.*",
    "records": "leadmatch.io.records.*",
    "fileformats": "leadmatch.io.fileformats.*",
    "edits": "leadmatch.tables.edit_in_place.*",
}
#: mutmut's exit codes (mutmut/stats.py): 1 and 3 a failing test, 37 the type check, timeouts.
KILLED = {1: "killed", 3: "killed", 37: "killed", 36: "timeout", 24: "timeout", -24: "timeout"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}


def _module_of(mutant: str) -> str:
    """``leadmatch.match.resolve.x__sizes__mutmut_1`` -> ``leadmatch.match.resolve``."""
    return mutant.split(".x", 1)[0] if ".x" in mutant else mutant.rsplit(".", 1)[0]


def _short(module: str) -> str | None:
    for short, pattern in MODULES.items():
        if module == pattern[:-2] or module.startswith(pattern[:-1]):
            return short
    return None


def outcomes() -> dict[str, str]:
    """Mutant name -> killed / timeout / survived / no tests / not run, from mutmut's files."""
    found: dict[str, str] = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text("utf-8")).get("exit_code_by_key", {})
        for mutant, code in codes.items():
            found[mutant] = KILLED.get(code) or SURVIVED.get(code) or (
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


def report(modules: list[str]) -> list[str]:
    """Print the table; return the survivors not judged equivalent."""
    found, judged = outcomes(), equivalents()
    rows: dict[str, Counter[str]] = {m: Counter() for m in modules}
    open_survivors: list[str] = []
    for mutant, status in found.items():
        short = _short(_module_of(mutant))
        if short not in rows or status == "not run":
            continue
        kind = "equivalent" if status != "killed" and mutant in judged else status
        rows[short]["killed" if kind == "timeout" else kind] += 1
        if kind in ("survived", "no tests") or kind.startswith("exit"):
            open_survivors.append(mutant)
    head = ("module", "mutants", "killed", "survived", "equivalent", "score")
    print("{:12} {:>8} {:>7} {:>9} {:>11} {:>7}".format(*head))
    for short, c in rows.items():
        total = sum(c.values())
        counted = total - c["equivalent"]
        if counted == 0:
            print(f"{short:12} {total:8} {'':>7} {'':>9} {'':>11}   (not run)")
            continue
        print(f"{short:12} {total:8} {c['killed']:7} {counted - c['killed']:9} "
              f"{c['equivalent']:11} {c['killed'] / counted:7.1%}")  # fmt: skip
    return sorted(open_survivors)


def run(modules: list[str], children: int) -> float:
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}
    started = time.perf_counter()
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)]
    done = subprocess.run([*command, *(MODULES[m] for m in modules)], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"mutmut run failed ({done.returncode}); run it by hand to see why")
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
    if not args.report:
        seconds = run(modules, args.children)
        print(f"mutmut ran {len(modules)} module(s) in {seconds / 60:.1f} min "
              f"with {args.children} children")  # fmt: skip
    survivors = report(modules)
    print(f"\n{len(survivors)} survivor(s) not judged equivalent")
    for mutant in survivors[: args.diffs]:
        shown = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=ROOT,
                               capture_output=True, text=True)  # fmt: skip
        print(f"\n## {mutant}\n{shown.stdout.strip()}")


if __name__ == "__main__":
    main()
