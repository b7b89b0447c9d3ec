"""Every way a CSV file can be wrong, pinned: what the readers (``read_csv`` over ``open_text``,
``read_records``, and the CLI over both) give back, word for word and byte for byte.

A broken file must stop the run with its line, never lose rows quietly: an empty file is not a
file of no leads, an unclosed quote is not one long company name, and ``csv.Error`` reaches the
user as a :class:`LeadmatchError` (exit 2), not as a traceback. A file in another encoding
decodes to exactly the text that was typed (``Müller``, ``€``), not to U+FFFD or mojibake.
"""

from __future__ import annotations

import csv
import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadmatch.cli import main
from leadmatch.errors import LeadmatchError, MissingColumnError
from leadmatch.io import columns, fileformats
from leadmatch.io.columns import open_text, read_csv
from leadmatch.io.fileformats import read_records

ACCOUNTS_CSV = "account_id,name,city\nA1,Müller GmbH,Köln\nA2,Acme Robotics,Leeds\n"
#: The csv module's own field size limit, before anything raises it.
CSV_DEFAULT_LIMIT = 131_072


def _file(tmp_path: Path, data: bytes, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path, kind: str = "lead") -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The column mapping and every row of a CSV file, as the CLI reads it."""
    with open_text(str(path)) as stream:
        mapping, rows = read_csv(stream, kind)
        return mapping, list(rows)


def _read_until_error(path: Path, kind: str = "lead") -> tuple[list[dict[str, Any]], str]:
    """The rows a CSV file gave before the error that stopped it, and that error's text."""
    got: list[dict[str, Any]] = []
    with open_text(str(path)) as stream:
        _, rows = read_csv(stream, kind)
        with pytest.raises(LeadmatchError) as caught:
            _drain(rows, got)
    return got, str(caught.value)


def _drain(rows: Iterator[dict[str, Any]], into: list[dict[str, Any]]) -> None:
    for row in rows:
        into.append(row)


def _match(
    tmp_path: Path, accounts: Path, leads: Path, *extra: str
) -> tuple[int, Path, list[dict[str, str]]]:
    """The CLI's exit code, its output path and the rows written there (none if it failed)."""
    out = tmp_path / "out.csv"
    code = main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet", *extra])  # fmt: skip
    if not out.exists():
        return code, out, []
    with out.open(encoding="utf-8", newline="") as f:
        return code, out, list(csv.DictReader(f))


def _messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    return [(r.name, r.levelname, r.getMessage()) for r in caplog.records]


@pytest.fixture
def field_limit_100(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Readers that allow fields of 100 characters (the real limit, 1 GiB, is too big to write
    in a unit test); the csv module's process-wide limit is put back afterwards."""
    before = csv.field_size_limit()
    monkeypatch.setattr(columns, "MAX_FIELD_BYTES", 100)
    monkeypatch.setattr(fileformats, "MAX_FIELD_BYTES", 100)
    yield
    csv.field_size_limit(before)


@pytest.fixture
def csv_default_limit() -> Iterator[None]:
    """The csv module's limit as a fresh process has it (another test may have raised it)."""
    before = csv.field_size_limit(CSV_DEFAULT_LIMIT)
    yield
    csv.field_size_limit(before)


# -- empty files and header-only files --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"", "lead", "the leads file is empty (no header row)"),
        (b"", "account", "the accounts file is empty (no header row)"),
        (b"\xef\xbb\xbf", "lead", "the leads file is empty (no header row)"),  # a BOM alone
        (b"\r\n\r\n", "lead",
         "the leads file's first line is blank (the header row belongs there)"),
        (b"\n\nlead_id,company\nL1,Acme\n", "lead",
         "the leads file's first line is blank (the header row belongs there)"),
    ],
)  # fmt: skip
def test_an_empty_file_is_a_clear_error_not_zero_rows(
    tmp_path: Path, data: bytes, kind: str, message: str
) -> None:
    path = _file(tmp_path, data)
    with open_text(str(path)) as stream, pytest.raises(MissingColumnError) as caught:
        read_csv(stream, kind)
    assert str(caught.value) == message


def test_an_empty_file_stops_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = _file(tmp_path, ACCOUNTS_CSV.encode(), "accounts.csv")
    empty = _file(tmp_path, b"", "empty.csv")
    assert _match(tmp_path, accounts, empty) == (2, tmp_path / "out.csv", [])
    assert capsys.readouterr().err == "leadmatch: error: the leads file is empty (no header row)\n"
    assert _match(tmp_path, empty, accounts) == (2, tmp_path / "out.csv", [])
    assert capsys.readouterr().err == (
        "leadmatch: error: the accounts file is empty (no header row)\n"
    )


@pytest.mark.parametrize(
    "data", [b"lead_id,company,email", b"lead_id,company,email\n", b"lead_id,company,email\r\n"]
)
def test_a_header_only_file_is_zero_rows_without_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes
) -> None:
    mapping, rows = _read(_file(tmp_path, data))
    assert mapping == {"lead_id": "lead_id", "company": "company", "email": "email"}
    assert rows == []
    assert _messages(caplog) == []


# -- a quote that is never closed ---------------------------------------------------------------


def _lines_with_open_quote(last: int, closed_at: int | None = None) -> bytes:
    """A leads file of ``last`` lines (line 1 the header, line n the lead ``L{n-1}``) whose line
    150 opens a quote it never closes; the quoted value on line ``closed_at`` ends it by chance."""
    lines = ["lead_id,company,email"]
    for n in range(2, last + 1):
        lead = f"L{n - 1}"
        if n == 150:
            lines.append(f'{lead},"Acme Robotics,a@acme.uk')
        elif n == closed_at:
            lines.append(f'{lead},"Zeta, Inc.",z@zeta.com')
        else:
            lines.append(f"{lead},Company {n - 1},x{n - 1}@example.com")
    return ("\n".join(lines) + "\n").encode()


def test_a_quote_left_open_at_line_150_and_closed_150_lines_later_stops_the_run(
    tmp_path: Path,
) -> None:
    got, message = _read_until_error(_file(tmp_path, _lines_with_open_quote(400, closed_at=300)))
    assert message == (
        "the leads file has a record running from line 150 to line 300: a quote opened there "
        "is probably never closed"
    )
    assert len(got) == 148  # L1..L148; nothing of line 150 or after was given as a row
    assert got[0] == {"lead_id": "L1", "company": "Company 1", "email": "x1@example.com"}
    assert got[-1] == {"lead_id": "L148", "company": "Company 148", "email": "x148@example.com"}


def test_a_quote_left_open_at_line_150_of_400_stops_the_run(tmp_path: Path) -> None:
    got, message = _read_until_error(_file(tmp_path, _lines_with_open_quote(400)))
    assert message == (
        "the leads file has a record running from line 150 to line 400: a quote opened there "
        "is probably never closed"
    )
    assert [row["lead_id"] for row in got] == [f"L{n}" for n in range(1, 149)]


def test_a_quote_left_open_at_line_150_of_160_stops_the_run(tmp_path: Path) -> None:
    got, message = _read_until_error(_file(tmp_path, _lines_with_open_quote(160)))
    assert message == (
        "the leads file has a record running from line 150 to line 160: a quote opened there "
        "is probably never closed"
    )
    # The last record is read before the end shows that it swallowed the rest; the error still
    # stops the run, so no result of it is written (see the CLI test below).
    assert [row["lead_id"] for row in got] == [f"L{n}" for n in range(1, 150)]
    assert got[-1]["company"].startswith("Acme Robotics,a@acme.uk\nL150,Company 150,")


def test_a_quote_left_open_mid_file_stops_the_cli_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = _file(tmp_path, ACCOUNTS_CSV.encode(), "accounts.csv")
    leads = _file(tmp_path, _lines_with_open_quote(400, closed_at=300))
    code, out, rows = _match(tmp_path, accounts, leads)
    assert (code, rows) == (2, [])
    assert not out.exists() and not Path(f"{out}.part").exists()
    assert capsys.readouterr().err == (
        "leadmatch: error: the leads file has a record running from line 150 to line 300: "
        "a quote opened there is probably never closed\n"
    )


# -- rows with more or fewer values than the header ---------------------------------------------


@pytest.mark.parametrize("kind", ["lead", "account"])
def test_extra_values_are_dropped_with_a_logged_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    header = b"lead_id,company,email\n" if kind == "lead" else b"account_id,name,email\n"
    path = _file(tmp_path, header + b'R1,"Acme, Inc.",a@acme.uk\nR2,Acme, Inc.,a@acme.uk\n'
                 b"R3,Beta,b@beta.io,x,y\nR4,Gamma,g@gamma.io\n")  # fmt: skip
    with warnings.catch_warnings(record=True) as python_warnings:
        warnings.simplefilter("always")
        _, rows = _read(path, kind)
    id_, name = ("lead_id", "company") if kind == "lead" else ("account_id", "name")
    assert rows == [
        {id_: "R1", name: "Acme, Inc.", "email": "a@acme.uk"},
        {id_: "R2", name: "Acme", "email": " Inc."},
        {id_: "R3", name: "Beta", "email": "b@beta.io"},
        {id_: "R4", name: "Gamma", "email": "g@gamma.io"},
    ] if kind == "lead" else [
        {id_: "R1", name: "Acme, Inc."},
        {id_: "R2", name: "Acme"},
        {id_: "R3", name: "Beta"},
        {id_: "R4", name: "Gamma"},
    ]  # fmt: skip
    assert _messages(caplog) == [
        ("leadmatch", "WARNING",
         f"2 {kind} row(s) have more values than the header has columns (an unquoted separator "
         "inside a value?); the extra values were not read"),
    ]  # fmt: skip
    assert python_warnings == []  # a log record the CLI prints, not a Python warning


def test_missing_values_are_none_and_empty_values_are_empty_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _file(tmp_path, b"lead_id,company,email\nL1,Acme\nL2,,\n\nL3\nL4,M\xc3\xbcller,\n")
    _, rows = _read(path)
    assert rows == [
        {"lead_id": "L1", "company": "Acme", "email": None},
        {"lead_id": "L2", "company": "", "email": ""},
        {"lead_id": "L3", "company": None, "email": None},  # the blank line is no row
        {"lead_id": "L4", "company": "Müller", "email": ""},
    ]
    assert _messages(caplog) == []


# -- csv.Error becomes the library's error ------------------------------------------------------


@pytest.mark.usefixtures("field_limit_100")
def test_a_field_over_the_size_limit_is_a_leadmatch_error_with_its_line(tmp_path: Path) -> None:
    path = _file(tmp_path, b"lead_id,company\nL1,M\xc3\xbcller\nL2," + b"x" * 101 + b"\nL3,Acme\n")
    got, message = _read_until_error(path)
    assert got == [{"lead_id": "L1", "company": "Müller"}]
    assert (
        message == "the leads file is not valid CSV at line 3: field larger than field limit (100)"
    )
    with open_text(str(path)) as stream, pytest.raises(LeadmatchError) as caught:
        list(read_csv(stream, "lead")[1])
    assert type(caught.value) is LeadmatchError
    assert isinstance(caught.value.__cause__, csv.Error)


@pytest.mark.usefixtures("field_limit_100")
def test_a_header_over_the_size_limit_is_a_leadmatch_error(tmp_path: Path) -> None:
    path = _file(tmp_path, b"lead_id,company," + b"h" * 101 + b"\nL1,Acme,\n")
    with open_text(str(path)) as stream, pytest.raises(LeadmatchError) as caught:
        read_csv(stream, "lead")
    assert (
        str(caught.value)
        == "the leads file is not readable CSV: field larger than field limit (100)"
    )
    assert isinstance(caught.value.__cause__, csv.Error)


@pytest.mark.usefixtures("field_limit_100")
def test_a_csv_error_stops_the_cli_with_exit_2_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = _file(tmp_path, ACCOUNTS_CSV.encode(), "accounts.csv")
    leads = _file(tmp_path, b"lead_id,company\nL1,Acme\nL2," + b"x" * 101 + b"\n")
    assert _match(tmp_path, accounts, leads) == (2, tmp_path / "out.csv", [])
    assert capsys.readouterr().err == (
        "leadmatch: error: the leads file is not valid CSV at line 3: field larger than field "
        "limit (100)\n"
    )


@pytest.mark.usefixtures("field_limit_100")
def test_read_records_wraps_csv_errors_too(tmp_path: Path) -> None:
    body = _file(tmp_path, b"lead_id,decision\nL1,matched\nL2," + b"x" * 101 + b"\n", "m.csv")
    headers, rows = read_records(str(body))
    assert headers == ["lead_id", "decision"]
    with pytest.raises(LeadmatchError) as caught:
        list(rows)
    assert str(caught.value) == (
        f"{body} is not valid CSV at line 3: field larger than field limit (100)"
    )
    assert isinstance(caught.value.__cause__, csv.Error)
    header = _file(tmp_path, b"lead_id," + b"h" * 101 + b"\nL1,x\n", "h.csv")
    with pytest.raises(LeadmatchError) as caught:
        read_records(str(header))
    assert str(caught.value) == f"{header} is not readable CSV: field larger than field limit (100)"


@pytest.mark.usefixtures("csv_default_limit")
def test_read_records_reads_a_field_as_long_as_read_csv_does(tmp_path: Path) -> None:
    """A labelled leads file (``evaluate --truth``) with a 200,000-character note is read by
    ``read_records`` before anything reads it with ``read_csv``: the csv module's own limit
    (128 KiB) must not apply there either."""
    note = "Notiz für Müller " * 12_500  # 212,500 characters
    path = _file(tmp_path, f"lead_id,true_account_id,notes\nL1,A1,{note}\n".encode(), "t.csv")
    headers, rows = read_records(str(path))
    assert headers == ["lead_id", "true_account_id", "notes"]
    assert list(rows) == [{"lead_id": "L1", "true_account_id": "A1", "notes": note}]


# -- NUL bytes -----------------------------------------------------------------------------------


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the csv module reads NUL from 3.11 on")
def test_a_nul_byte_inside_a_value_is_kept_and_the_rows_after_it_survive(tmp_path: Path) -> None:
    path = _file(tmp_path, b"lead_id,company\nL1,M\xc3\xbcller\x00 GmbH\nL2,M\xc3\xbcller\n")
    assert _read(path)[1] == [
        {"lead_id": "L1", "company": "Müller\x00 GmbH"},
        {"lead_id": "L2", "company": "Müller"},
    ]


@pytest.mark.skipif(sys.version_info >= (3, 11), reason="the csv module refuses NUL up to 3.10")
def test_a_nul_byte_is_a_leadmatch_error_where_csv_refuses_it(tmp_path: Path) -> None:
    path = _file(tmp_path, b"lead_id,company\nL1,M\xc3\xbcller\x00 GmbH\nL2,M\xc3\xbcller\n")
    got, message = _read_until_error(path)
    assert got == []
    assert message == "the leads file is not valid CSV at line 2: line contains NUL"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_decoded_not_read_as_nul_riddled_cp1252(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, codec: str
) -> None:
    """Excel's "Unicode Text" export: UTF-16 with a BOM, tab separated; every other byte is NUL."""
    text = "\ufefflead_id\tcompany\temail\r\nL1\tMüller GmbH\tm@mueller.de\r\nL2\t5 €\t\r\n"
    data = text.encode(codec)
    assert data[:4] in (b"\xff\xfel\x00", b"\xfe\xff\x00l") and data.count(b"\x00") == 60
    mapping, rows = _read(_file(tmp_path, data, "leads.txt"))
    assert mapping == {"lead_id": "lead_id", "company": "company", "email": "email"}
    assert rows == [
        {"lead_id": "L1", "company": "Müller GmbH", "email": "m@mueller.de"},
        {"lead_id": "L2", "company": "5 €", "email": ""},
    ]
    assert _messages(caplog) == []


# -- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom_decodes_exactly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, bom: bytes
) -> None:
    data = bom + "account_id,name,city\r\nA1,Müller GmbH,Köln\r\nA2,€uro Shop,\r\n".encode()
    mapping, rows = _read(_file(tmp_path, data), "account")
    assert mapping == {"account_id": "account_id", "name": "name", "city": "city"}
    assert rows == [
        {"account_id": "A1", "name": "Müller GmbH", "city": "Köln"},
        {"account_id": "A2", "name": "€uro Shop", "city": ""},
    ]
    assert _messages(caplog) == []


def test_cp1252_falls_back_and_decodes_exactly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = b"account_id,name,city\r\nA1,M\xfcller GmbH,K\xf6ln\r\nA2,\x80uro Shop,\r\n"
    assert data == "account_id,name,city\r\nA1,Müller GmbH,Köln\r\nA2,€uro Shop,\r\n".encode(
        "cp1252"
    )
    path = _file(tmp_path, data)
    assert _read(path, "account")[1] == [
        {"account_id": "A1", "name": "Müller GmbH", "city": "Köln"},
        {"account_id": "A2", "name": "€uro Shop", "city": ""},
    ]
    assert _messages(caplog) == [
        ("leadmatch", "WARNING", f"{path} is not UTF-8; reading it as Windows-1252 (Latin-1)"),
    ]


def test_latin_1_text_decodes_exactly(tmp_path: Path) -> None:
    data = "account_id,name\nA1,Ångström Façade Müller\n".encode("latin-1")
    assert data == b"account_id,name\nA1,\xc5ngstr\xf6m Fa\xe7ade M\xfcller\n"
    assert _read(_file(tmp_path, data), "account")[1] == [
        {"account_id": "A1", "name": "Ångström Façade Müller"}
    ]


def test_where_cp1252_and_latin_1_differ_cp1252_wins(tmp_path: Path) -> None:
    """0x80 is € in Windows-1252 and a C1 control in Latin-1; 0x81 is nothing in Windows-1252
    (U+FFFD here) and another control in Latin-1; 0x9F is Ÿ in Windows-1252."""
    data = b"account_id,name\nA1,M\xfcller \x80 \x81 \x9f\n"
    assert _read(_file(tmp_path, data), "account")[1] == [
        {"account_id": "A1", "name": "Müller € \ufffd Ÿ"}
    ]
    assert data.decode("latin-1").endswith("Müller \x80 \x81 \x9f\n")  # what Latin-1 would give


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"account_id,name\nA1,Caf\xe9\n", "Café"), (b"account_id,name\nA1,5 \x80\n", "5 €"),
     (b"account_id,name\nA1,M\xfcller", "Müller")],
)  # fmt: skip
def test_a_non_utf8_byte_near_the_end_of_a_small_file_still_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes, name: str
) -> None:
    """The leeway for a UTF-8 character cut by the end of the 1 MiB sample is only for a sample
    that the file goes on after: a whole small file read is not cut anywhere."""
    path = _file(tmp_path, data)
    assert _read(path, "account")[1] == [{"account_id": "A1", "name": name}]
    assert _messages(caplog) == [
        ("leadmatch", "WARNING", f"{path} is not UTF-8; reading it as Windows-1252 (Latin-1)"),
    ]


def test_a_utf8_character_cut_by_the_end_of_the_sample_is_still_utf8(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    head = b"account_id,name,city\nA1,M\xc3\xbcller GmbH,"
    filler = b"n" * ((1 << 20) - len(head) - 1)  # the sample ends between the two bytes of ü
    data = head + filler + "ü\nA2,Köln AG,\n".encode()
    assert data[(1 << 20) - 1 : (1 << 20) + 1] == b"\xc3\xbc"  # ü
    rows = _read(_file(tmp_path, data), "account")[1]
    assert [(r["account_id"], r["name"]) for r in rows] == [
        ("A1", "Müller GmbH"),
        ("A2", "Köln AG"),
    ]
    assert rows[0]["city"] == filler.decode() + "ü"
    assert _messages(caplog) == []


def test_cr_only_line_endings_are_read_by_both_readers(tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with a bare carriage return."""
    leads = _file(tmp_path, b"lead_id,company,email\rL1,M\xc3\xbcller GmbH,\rL2,Acme,a@acme.uk\r")
    assert _read(leads)[1] == [
        {"lead_id": "L1", "company": "Müller GmbH", "email": ""},
        {"lead_id": "L2", "company": "Acme", "email": "a@acme.uk"},
    ]
    headers, rows = read_records(str(leads))
    assert headers == ["lead_id", "company", "email"]
    assert list(rows) == [
        {"lead_id": "L1", "company": "Müller GmbH", "email": ""},
        {"lead_id": "L2", "company": "Acme", "email": "a@acme.uk"},
    ]


def test_the_cli_matches_cp1252_files_and_writes_utf8(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "leadmatch")
    accounts = _file(tmp_path, ACCOUNTS_CSV.encode("cp1252"), "accounts.csv")
    leads = _file(tmp_path, "lead_id;company;email\r\nL1;Müller GmbH;\r\nL2;€ Nowhere;\r\n"
                  .encode("cp1252"))  # fmt: skip
    code, _, rows = _match(tmp_path, accounts, leads, "--account-fields", "city")
    assert code == 0
    assert [(r["lead_id"], r["account_id"], r["decision"], r["city"]) for r in rows] == [
        ("L1", "A1", "matched", "Köln"),
        ("L2", "", "unmatched", ""),
    ]
    assert f"{accounts} is not UTF-8; reading it as Windows-1252 (Latin-1)" in caplog.messages
    assert f"{leads} is not UTF-8; reading it as Windows-1252 (Latin-1)" in caplog.messages
