"""Coverage-guided fuzzing (atheris) of every normalizer, the CSV and JSON Lines readers and the
whole matching path: nothing a lead or a file holds may crash them.

    python benchmarks/fuzz.py --all --runs 2000          # CI: each target for 2,000 inputs
    python benchmarks/fuzz.py --all --runs 125000        # 10^6 inputs over the 8 targets
    python benchmarks/fuzz.py names -atheris_runs=0      # one target, until stopped

Needs ``pip install atheris``. Each target runs in its own process (atheris fuzzes once per
process) with the library instrumented for coverage; a crash stops it, writes the input to a
``fuzz-crash-*`` file in the current folder and makes the run fail. What counts as a crash: any
exception other than the documented ones (a reader's ``LeadmatchError`` for a broken file),
or a result that breaks its contract (a normalizer that does not return its type, a lead
without exactly one result of a known decision).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, get_args

TARGETS = ("names", "domains", "emails", "places", "phones", "csv", "jsonl", "leads")


def _targets() -> dict[str, Callable[[bytes], None]]:
    import atheris

    with atheris.instrument_imports(include=["leadmatch"]):
        from leadmatch import AccountIndex, Match
        from leadmatch.errors import LeadmatchError
        from leadmatch.io.columns import read_csv
        from leadmatch.io.fileformats import read_jsonl
        from leadmatch.normalize import (
            domain_key,
            normalize_city,
            normalize_country,
            normalize_name,
            parse_email,
            phone_key,
        )
        from leadmatch.normalize.domains import EmailKind

    index = AccountIndex.build(
        [{"account_id": "A1", "name": "Acme Robotics Ltd", "domain": "acme-robotics.co.uk"},
         {"account_id": "A2", "name": "株式会社 桜電機", "domain": "sakura-denki.co.jp"},
         {"account_id": "A3", "name": "Müller & Söhne GmbH", "parent_id": "A1"}]
    )  # fmt: skip

    def text(data: bytes) -> str:
        return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))

    def names(data: bytes) -> None:
        key = normalize_name(text(data))
        assert isinstance(key.ascii, str) and isinstance(key.legal_form, str)

    def domains(data: bytes) -> None:
        key = domain_key(text(data))
        assert isinstance(key.domain, str) and isinstance(key.brand, str)

    def emails(data: bytes) -> None:
        key = parse_email(text(data))
        assert key.kind in get_args(EmailKind) and isinstance(key.domain, str)

    def places(data: bytes) -> None:
        value = text(data)
        assert isinstance(normalize_country(value), str)
        assert isinstance(normalize_city(value), str)

    def phones(data: bytes) -> None:
        assert isinstance(phone_key(text(data)), str)

    def csv_file(data: bytes) -> None:
        try:
            _, rows = read_csv(io.StringIO(text(data)), "lead")
            for row in rows:
                assert isinstance(row, dict)
        except LeadmatchError:
            pass  # a broken file is refused with a clear error: that is the contract

    def jsonl_file(data: bytes) -> None:
        try:
            _, rows = read_jsonl(io.StringIO(text(data)), "lead", None, ())
            for row in rows:
                assert isinstance(row, dict)
        except LeadmatchError:
            pass

    def leads(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        fields = ("lead_id", "email", "company", "website", "country", "city", "phone")
        lead: dict[str, Any] = {}
        for field in fields:
            kind = fdp.ConsumeIntInRange(0, 4)
            if kind == 1:
                lead[field] = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64))
            elif kind == 2:
                lead[field] = fdp.ConsumeInt(8)
            elif kind == 3:
                lead[field] = fdp.ConsumeFloat()
            elif kind == 4:
                lead[field] = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 16))
        results = index.match_many([lead, lead])
        assert len(results) == 2 and all(isinstance(m, Match) for m in results)
        assert results[0].decision in ("matched", "review", "unmatched", "error")
        first, second = (m.model_dump(exclude={"lead_id"}) for m in results)
        assert first == second  # the same lead twice: the same result (ids are positions)

    return {"names": names, "domains": domains, "emails": emails, "places": places,
            "phones": phones, "csv": csv_file, "jsonl": jsonl_file, "leads": leads}  # fmt: skip


def fuzz_one(target: str, argv: list[str]) -> None:
    import atheris

    atheris.Setup([sys.argv[0], *argv], _targets()[target])
    atheris.Fuzz()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in TARGETS:  # one target, in this process
        fuzz_one(sys.argv[1], sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--all", action="store_true", help="every target, one after another")
    parser.add_argument("--runs", type=int, default=2_000, help="inputs per target")
    args = parser.parse_args()
    if not args.all:
        parser.error("name a target or use --all")
    print(f"leadmatch fuzzing; python {sys.version.split()[0]}")
    print("\n| target | inputs | seconds | result |")
    print("| --- | ---: | ---: | --- |")
    failed = []
    for target in TARGETS:
        started = time.perf_counter()
        command = [sys.executable, __file__, target, f"-atheris_runs={args.runs}",
                   "-artifact_prefix=fuzz-crash-"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        result = "no crash" if done.returncode == 0 else "**crash** (see below)"
        print(f"| {target} | {args.runs:,} | {seconds:.1f} | {result} |")
        if done.returncode:
            failed.append((target, done.stderr[-3000:]))
    for target, log in failed:
        print(f"\n### {target}\n\n```\n{log}\n```")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
