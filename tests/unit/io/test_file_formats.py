"""The CLI on CSV, JSON Lines and Parquet: every format in and out gives the results of CSV;
a file's format comes from --format, its extension or its first bytes; broken files say where."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from leadmatch.cli import main
from leadmatch.errors import LeadmatchError, MissingColumnError
from leadmatch.io.fileformats import format_of, open_rows, read_records
from tests.files import write_csv

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ACCOUNTS = [
    {"account_id": 101, "name": "Müller Maschinenbau GmbH", "domain": "mueller-mb.de",
     "country": "DE", "owner": "ana"},
    {"account_id": 102, "name": "株式会社 桜電機", "domain": "sakura-denki.co.jp", "country": "JP",
     "owner": "bo"},
    {"account_id": 103, "name": "Construtora Horizonte Ltda", "domain": "horizonte.com.br",
     "country": "BR", "owner": None},
]  # fmt: skip
LEADS = [
    {"lead_id": "L1", "email": "k.weber@mueller-mb.de", "company": "Müller Maschinenbau"},
    {"lead_id": "L2", "email": None, "company": "桜電機", "country": "JP"},
    {"lead_id": None, "email": "ana@horizonte.com.br", "company": None},
    {"lead_id": "L4", "email": "bob@gmail.com", "company": "Nowhere Partners"},
]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """``rows`` in the format of ``path``'s extension (a Parquet file keeps numbers as numbers)."""
    if path.suffix == ".csv":
        return write_csv(path, [{k: "" if v is None else v for k, v in r.items()} for r in rows])
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
        return path
    names = list(dict.fromkeys(k for r in rows for k in r))
    pq.write_table(pa.table({n: [r.get(n) for r in rows] for n in names}), path)
    return path


def _results(path: Path) -> list[dict[str, str]]:
    _, rows = read_records(str(path))
    return list(rows)


def _match(
    tmp_path: Path, accounts: str, leads: str, out: str, *extra: str
) -> list[dict[str, str]]:
    folder = tmp_path / f"{accounts}-{leads}-{out}"
    folder.mkdir()
    a = _write(folder / f"accounts.{accounts}", ACCOUNTS)
    le = _write(folder / f"leads.{leads}", LEADS)
    target = folder / f"matches.{out}"
    args = ["match", "--accounts", str(a), "--leads", str(le), "--out", str(target), "--quiet"]
    assert main([*args, "--account-fields", "owner", *extra]) == 0
    return _results(target)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_every_format_in_and_out_gives_the_results_of_csv(tmp_path: Path, fmt: str) -> None:
    expected = _match(tmp_path, "csv", "csv", "csv")
    assert [r["account_id"] for r in expected] == ["101", "102", "103", ""]
    assert [r["lead_id"] for r in expected] == ["L1", "L2", "row-3", "L4"]
    for combination in [(fmt, "csv", "csv"), ("csv", fmt, "csv"), ("csv", "csv", fmt)]:
        assert _match(tmp_path, *combination) == expected, combination


def test_parquet_results_keep_confidence_a_number(tmp_path: Path) -> None:
    _match(tmp_path, "csv", "csv", "parquet")
    table = pq.read_table(tmp_path / "csv-csv-parquet" / "matches.parquet")
    assert table.schema.field("confidence").type == pa.float64()
    assert table.schema.field("account_id").type == pa.string()
    assert table.column_names[:6] == [
        "lead_id", "account_id", "confidence", "decision", "evidence", "candidate_id"
    ]  # fmt: skip


def test_format_flag_wins_over_the_extension(tmp_path: Path) -> None:
    rows = _match(tmp_path, "csv", "csv", "out", "--format", "jsonl")
    lines = (tmp_path / "csv-csv-out" / "matches.out").read_text("utf-8").splitlines()
    assert json.loads(lines[0])["lead_id"] == "L1" and len(lines) == 4
    assert [r["lead_id"] for r in rows] == ["L1", "L2", "row-3", "L4"]


def test_a_file_without_a_known_extension_is_read_by_its_first_bytes(tmp_path: Path) -> None:
    parquet = _write(tmp_path / "leads.parquet", LEADS).rename(tmp_path / "leads.bin")
    jsonl = _write(tmp_path / "leads.jsonl", LEADS).rename(tmp_path / "leads.dat")
    csv_file = _write(tmp_path / "leads.csv", LEADS).rename(tmp_path / "leads.export")
    assert [format_of(str(p)) for p in (parquet, jsonl, csv_file)] == ["parquet", "jsonl", "csv"]
    for path in (parquet, jsonl, csv_file):
        with open_rows(str(path), "lead") as (mapping, rows):
            emails = [r["email"] or None for r in rows]
            assert emails == [
                "k.weber@mueller-mb.de",
                None,
                "ana@horizonte.com.br",
                "bob@gmail.com",
            ]
            assert set(mapping.values()) >= {"lead_id", "email", "company"}


@pytest.mark.parametrize("before", ["", "\n  \n"], ids=["plain", "blank lines first"])
def test_json_lines_on_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: str
) -> None:
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS)
    text = before + "".join(json.dumps(r) + "\n" for r in LEADS)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    out = tmp_path / "m.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", "-", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    assert [r["account_id"] for r in _results(out)] == ["101", "102", "103", ""]


def test_json_values_of_any_type_are_read_or_reported_per_row(tmp_path: Path) -> None:
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS)
    leads = tmp_path / "leads.jsonl"
    leads.write_text(
        '{"lead_id": 7, "email": "k@mueller-mb.de"}\n\n'
        '{"lead_id": 8, "company": ["not", "text"], "extra": {"x": 1}}\n'
        '{"lead_id": 9, "email": true}\n',
        "utf-8",
    )
    out = tmp_path / "m.jsonl"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    rows = _results(out)
    assert [r["lead_id"] for r in rows] == ["7", "8", "9"]
    assert [r["decision"] for r in rows] == ["matched", "error", "error"]
    assert "company must be text" in rows[1]["evidence"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"lead_id": "a", "email": "x@y.com"}\n{"lead_id": "b", "email": \n', "line 2"),
        ('{"lead_id": "a", "email": "x@y.com"}\n["a", "b"]\n', "a list at line 2"),
    ],
)
def test_broken_json_lines_say_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text(text, "utf-8")
    with pytest.raises(LeadmatchError, match=message), open_rows(str(path), "lead") as (_, rows):
        list(rows)


def test_empty_and_foreign_files_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "leads.jsonl"
    empty.write_text("\n\n", "utf-8")
    with pytest.raises(MissingColumnError, match="empty"), open_rows(str(empty), "lead"):
        pass
    fake = tmp_path / "leads.parquet"
    fake.write_text("lead_id,email\nL1,x@y.com\n", "utf-8")
    with (
        pytest.raises(LeadmatchError, match="not a readable Parquet"),
        open_rows(str(fake), "lead"),
    ):
        pass
    accounts = str(_write(tmp_path / "a.csv", ACCOUNTS))
    assert main(["dedupe-accounts", "--accounts", accounts, "--out", "-", "--format",
                 "parquet"]) == 2  # fmt: skip
    assert "Parquet cannot be written to standard output" in capsys.readouterr().err


def test_account_level_commands_write_every_format(tmp_path: Path) -> None:
    _match(tmp_path, "csv", "csv", "csv")
    folder = tmp_path / "csv-csv-csv"
    accounts, matches = str(folder / "accounts.csv"), str(folder / "matches.csv")
    rollup = folder / "rollup.parquet"
    assert main(["rollup", "--accounts", accounts, "--matches", matches,
                 "--out", str(rollup)]) == 0  # fmt: skip
    table = pq.read_table(rollup)
    assert sorted(table.column("account_id").to_pylist()) == ["101", "102", "103"]
    assert table.schema.field("matched_leads").type == pa.int64()
    dupes = folder / "dupes.jsonl"
    assert main(["dedupe-accounts", "--accounts", accounts, "--out", str(dupes), "--quiet"]) == 0
    assert dupes.read_text("utf-8") == ""  # no account is recorded twice: no rows


def test_json_lines_whose_objects_leave_keys_out(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text(
        '{"account_id": "A1", "name": "Müller Maschinenbau GmbH"}\n'  # no owner, no domain
        '{"account_id": "A2", "name": "Nordic Timber AB", "domain": "nordictimber.se",'
        ' "owner": "bo"}\n',
        "utf-8",
    )
    leads = tmp_path / "leads.jsonl"
    leads.write_text(
        '{"email": "x@nordictimber.se"}\n{"lead_id": "L2", "company": "Müller Maschinenbau"}\n'
    )
    out = tmp_path / "m.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--account-fields", "owner", "--quiet"]) == 0  # fmt: skip
    rows = _results(out)
    assert [(r["lead_id"], r["account_id"], r["owner"]) for r in rows] == [
        ("row-1", "A2", "bo"), ("L2", "A1", "")
    ]  # fmt: skip


def test_parquet_edge_cases_are_clear(tmp_path: Path) -> None:
    twice = tmp_path / "leads.parquet"
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b@c.de"])], ["email", "email"])
    pq.write_table(table, twice)
    with (
        pytest.raises(LeadmatchError, match="more than one column named email"),
        open_rows(str(twice), "lead"),
    ):
        pass
    broken = tmp_path / "matches.jsonl"
    broken.write_text('{"lead_id": "1"}\n{"lead_id": \n', "utf-8")
    with pytest.raises(LeadmatchError, match="not JSON Lines"):
        read_records(str(broken))
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS)
    empty = tmp_path / "none.csv"
    empty.write_text("lead_id,email\n", "utf-8")
    out = tmp_path / "m.parquet"
    assert main(["match", "--accounts", str(accounts), "--leads", str(empty), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    written = pq.read_table(out)
    assert written.num_rows == 0 and written.schema.field("confidence").type == pa.float64()


def test_written_csv_cells_cannot_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS)
    hostile = '=HYPERLINK("http://evil.example","click")'
    leads = _write(tmp_path / "leads.csv", [
        {"lead_id": hostile, "email": "k@mueller-mb.de", "company": "@SUM(1+1)" + "x" * 500},
        {"lead_id": "-12", "email": "t@sakura-denki.co.jp", "company": "+cmd|' /C calc'!A0"},
        {"lead_id": "-cmd", "email": "x@horizonte.com.br"},
        {"lead_id": "\t=1+1", "company": "x"},
    ])  # fmt: skip
    out = tmp_path / "m.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    text = out.read_text("utf-8")
    with out.open(encoding="utf-8", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    starts = ("=", "+", "-", "@", "\t", "\r")
    assert not any(cell[:1] in starts for cell in cells if cell != "-12")
    assert "'=HYPERLINK" in text and "\n-12," in text  # a plain number stays a number
    rows = _results(out)  # the CLI reads its own files back as they were
    assert [r["lead_id"] for r in rows] == [hostile, "-12", "-cmd", "=1+1"]  # ids are stripped
    assert all(len(r["evidence"]) < 400 for r in rows)  # a 509-character name is not echoed
    assert "…" in rows[0]["evidence"]


def test_parquet_types_only_the_commands_own_columns(tmp_path: Path) -> None:
    accounts = _write(tmp_path / "accounts.csv", [{**a, "group": "Enterprise"} for a in ACCOUNTS])
    leads = _write(tmp_path / "leads.csv", LEADS)
    out = tmp_path / "m.parquet"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--account-fields", "group", "--quiet"]) == 0  # fmt: skip
    table = pq.read_table(out)
    assert table.schema.field("group").type == pa.string()
    assert table.column("group").to_pylist()[0] == "Enterprise"


def test_every_reader_takes_back_the_quote_before_a_formula(tmp_path: Path) -> None:
    """What the CLI writes (a proposal named '+Plus Robotics', a lead id '=L2') reads back as it
    was, whether the file is read as records or as leads and accounts."""
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name\n'=A1,'+Plus Robotics\nA2,'plain quote\n", "utf-8")
    with open_rows(str(path), "account") as (_, rows):
        assert [(r["account_id"], r["name"]) for r in rows] == [
            ("=A1", "+Plus Robotics"), ("A2", "'plain quote")
        ]  # fmt: skip
    _, records = read_records(str(path))
    assert [r["account_id"] for r in records] == ["=A1", "A2"]


def test_json_lines_with_two_spellings_of_a_field(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text('{"lead_id": "1", "email": "a@mueller-mb.de"}\n'
                    '{"lead_id": "2", "Email Address": "b@mueller-mb.de"}\n', "utf-8")  # fmt: skip
    with open_rows(str(path), "lead") as (_, rows):
        assert [r["email"] for r in rows] == ["a@mueller-mb.de", "b@mueller-mb.de"]
