"""Byte-identical output for identical input: across runs, string-hash seeds, worker counts and
a saved index (each run a fresh process, as a nightly job is)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadmatch._util.resources import demo_text


def _leadmatch(*args: str, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-m", "leadmatch.cli", *args, "--quiet"], env=env, check=True)


@pytest.mark.process
def test_the_same_files_come_out_whatever_the_hash_seed_and_workers(tmp_path: Path) -> None:
    accounts, leads = tmp_path / "accounts.csv", tmp_path / "leads.csv"
    accounts.write_text(demo_text("accounts.csv"), "utf-8")
    # Six copies of the demo leads with new ids: more than one chunk (5,000) for the workers.
    text = demo_text("leads.csv").splitlines()
    rows = [f"{k}-{line}" for k in range(6) for line in text[1:]]
    leads.write_text("\n".join([text[0], *rows]) + "\n", "utf-8")
    outputs = []
    for seed, workers in (("0", "1"), ("1", "1"), ("0", "2"), ("4242", "2")):
        index = tmp_path / f"accounts-{seed}-{workers}.lmx"
        _leadmatch("index", "--accounts", str(accounts), "--out", str(index), seed=seed)
        out = tmp_path / f"matches-{seed}-{workers}.csv"
        _leadmatch("match", "--accounts", str(index), "--leads", str(leads), "--out", str(out),
                   "--workers", workers, seed=seed)  # fmt: skip
        outputs.append((index.read_bytes(), out.read_bytes()))
    assert len(outputs[0][1].splitlines()) == 6 * (len(text) - 1) + 1
    assert all(o == outputs[0] for o in outputs)  # index files and results, byte for byte
