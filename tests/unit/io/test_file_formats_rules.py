"""The rules of the file readers and writers, one at a time, with the exact text a user sees:
how a format is chosen, what a JSON Lines object after the head may add, what Parquet and JSON
Lines writers put in the file, and what each says when a file or a library is missing."""

from __future__ import annotations

import datetime
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from leadmatch.errors import LeadmatchError, MissingExtraError
from leadmatch.io import fileformats
from leadmatch.io.fileformats import (
    HEAD_OBJECTS,
    RowWriter,
    format_of,
    open_rows,
    output_format,
    read_records,
    row_writer,
)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _lines(path: Path, objects: list[Any]) -> str:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), "utf-8")
    return str(path)


def _rows(path: str, kind: str = "lead", **options: Any) -> list[dict[str, Any]]:
    with open_rows(path, kind, **options) as (_, rows):
        return list(rows)


# --- which format -------------------------------------------------------------------------------


def test_standard_input_and_unknown_names_are_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'-' is standard input, never a file of that name in the working directory; a file that
    cannot be opened is left to the CSV reader, which says what is wrong with it."""
    monkeypatch.chdir(tmp_path)
    Path("-").write_text('{"lead_id": "1"}\n', "utf-8")
    assert format_of("-") == "csv"
    assert format_of(str(tmp_path / "missing")) == "csv"
    assert [output_format(p) for p in ("-", "out.unknown", "out")] == ["csv", "csv", "csv"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xef\xbb\xbf{}", "jsonl"),  # a byte-order mark before the object
        (b"\r\n \t{}", "jsonl"),  # blank lines before it
        (b"X{},b\n", "csv"),  # only blanks and the mark are skipped
        (b"\n" * 63 + b"{}", "jsonl"),
        (b"\n" * 64 + b"{}", "csv"),  # the first 64 bytes tell, no more
    ],
)
def test_the_first_bytes_tell_json_lines_from_csv(
    tmp_path: Path, head: bytes, expected: str
) -> None:
    path = tmp_path / "leads"
    path.write_bytes(head)
    assert format_of(str(path)) == expected


def test_a_given_format_wins_when_reading_records(tmp_path: Path) -> None:
    path = tmp_path / "matches.txt"  # .txt is CSV by its extension
    path.write_text('{"lead_id": "L1", "email": "a@b.de"}\n', "utf-8")
    headers, rows = read_records(str(path), "jsonl")
    assert headers == ["lead_id", "email"]
    assert list(rows) == [{"lead_id": "L1", "email": "a@b.de"}]


# --- JSON Lines -------------------------------------------------------------------------------


def test_a_map_names_columns_of_json_lines_and_parquet(tmp_path: Path) -> None:
    """--map applies to every format, and to every spelling of the mapped column."""
    objects = [{"lead_id": "1", "Org": "Acme"}, {"lead_id": "2", "org": "Beta"}]
    jsonl = _lines(tmp_path / "leads.jsonl", objects)
    assert [r["company"] for r in _rows(jsonl, explicit={"Org": "company"})] == ["Acme", "Beta"]
    parquet = tmp_path / "leads.parquet"
    pq.write_table(pa.table({"lead_id": ["1"], "Org": ["Acme"]}), parquet)
    assert _rows(str(parquet), explicit={"Org": "company"})[0]["company"] == "Acme"


def test_an_object_with_none_of_the_spellings_of_a_field_has_none(tmp_path: Path) -> None:
    objects = [
        {"lead_id": "1", "email": "a@b.de"},
        {"lead_id": "2", "Email Address": "b@b.de"},
        {"lead_id": "3", "company": "Acme"},
    ]
    path = _lines(tmp_path / "leads.jsonl", objects)
    assert [r["email"] for r in _rows(path)] == ["a@b.de", "b@b.de", None]


def test_a_bad_line_in_the_head_says_which_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text('{"lead_id": "1", "email": "a@b.de"}\n[1]\n', "utf-8")
    with pytest.raises(LeadmatchError) as caught, open_rows(str(path), "lead"):
        pass
    assert str(caught.value) == "the leads file has a list at line 2, not an object"


def _head(count: int = HEAD_OBJECTS) -> list[dict[str, str]]:
    return [{"lead_id": str(n), "company": "Acme"} for n in range(count)]


def test_objects_after_the_head_are_read_as_they_come(tmp_path: Path) -> None:
    """The head names the columns and is read at once; a bad line after it stops the run only
    when the rows reach it, with the same message."""
    path = tmp_path / "leads.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in _head()) + "[1]\n", "utf-8")
    with open_rows(str(path), "lead") as (_, rows):
        assert next(rows)["lead_id"] == "0"
        with pytest.raises(LeadmatchError) as caught:
            list(rows)
    line = HEAD_OBJECTS + 1
    assert str(caught.value) == f"the leads file has a list at line {line}, not an object"
    path.write_text("".join(json.dumps(o) + "\n" for o in _head()) + "{oops\n", "utf-8")
    with open_rows(str(path), "lead") as (_, rows), pytest.raises(LeadmatchError) as caught:
        list(rows)
    assert str(caught.value).startswith(f"the leads file is not JSON Lines at line {line}: ")


def test_keys_that_only_objects_after_the_head_have_are_read(tmp_path: Path) -> None:
    later = [
        {"lead_id": "a", "email": "a@b.de"},  # a field the head did not have
        {"lead_id": "b", "company": "Beta", "Organization": "Gamma"},  # the head's spelling wins
        {"lead_id": "c", "Mail": "c@b.de"},  # a key --map names
        {"lead_id": "d", "email": "d@b.de"},  # the same keys again
    ]
    path = _lines(tmp_path / "leads.jsonl", _head() + later)
    rows = _rows(path, explicit={"Mail": "email"})[HEAD_OBJECTS:]
    assert [(r["lead_id"], r.get("email"), r["company"]) for r in rows] == [
        ("a", "a@b.de", None), ("b", None, "Beta"), ("c", "c@b.de", None), ("d", "d@b.de", None)
    ]  # fmt: skip


def test_a_later_key_fills_a_field_only_where_the_head_left_it_empty(tmp_path: Path) -> None:
    head = [{"lead_id": str(n), "email": "x@b.de"} for n in range(HEAD_OBJECTS)]
    later = [{"lead_id": "a", "email": "a@b.de", "E-mail": "other@b.de"}]
    path = _lines(tmp_path / "leads.jsonl", head + later)
    assert _rows(path)[-1]["email"] == "a@b.de"


def test_kept_account_fields_may_come_under_a_later_spelling(tmp_path: Path) -> None:
    head = [{"account_id": str(n), "name": "Acme", "owner": "ana"} for n in range(HEAD_OBJECTS)]
    later = [{"account_id": "z", "name": "Beta", "Owner ": "bo", "Region": "EU"}]
    path = _lines(tmp_path / "accounts.jsonl", head + later)
    last = _rows(path, "account", keep=["owner"])[-1]
    assert (last["account_id"], last["owner"]) == ("z", "bo")


# --- Parquet and records -------------------------------------------------------------------------


def test_a_missing_parquet_file_is_named(tmp_path: Path) -> None:
    path = str(tmp_path / "leads.parquet")
    with pytest.raises(LeadmatchError) as by_rows, open_rows(path, "lead"):
        pass
    with pytest.raises(LeadmatchError) as by_records:
        read_records(path)
    for caught in (by_rows, by_records):
        assert str(caught.value).startswith(f"{path} is not a readable Parquet file: ")


def test_every_column_named_twice_is_named(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    arrays = [pa.array(["x"])] * 4
    pq.write_table(pa.Table.from_arrays(arrays, ["email", "company", "email", "company"]), path)
    with pytest.raises(LeadmatchError) as caught, open_rows(str(path), "lead"):
        pass
    assert str(caught.value) == f"{path} has more than one column named company, email"


def test_json_lines_of_other_values_than_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "matches.jsonl"
    path.write_text('{"lead_id": "1"}\n[1]\n', "utf-8")
    with pytest.raises(LeadmatchError) as caught:
        read_records(str(path))
    assert str(caught.value) == f"{path} is not JSON Lines of objects"


def test_a_line_break_inside_a_csv_value_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(b'lead_id,note\r\nL1,"two\r\nlines"\r\nL2,"a\rb"\r\n')
    headers, rows = read_records(str(path))
    assert headers == ["lead_id", "note"]
    assert [r["note"] for r in rows] == ["two\r\nlines", "a\rb"]


@pytest.mark.parametrize("module", ["pyarrow", "pyarrow.parquet"])
def test_without_pyarrow_parquet_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    path = tmp_path / "leads.parquet"
    pq.write_table(pa.table({"lead_id": ["1"], "email": ["a@b.de"]}), path)
    monkeypatch.setitem(sys.modules, module, None)  # an import of it fails
    expected = f"this needs {module}: pip install 'leadmatch[arrow]'"
    writer = RowWriter(None, io.BytesIO(), ["lead_id"], "parquet")
    with pytest.raises(MissingExtraError) as caught:
        writer.close()
    assert str(caught.value) == expected
    if module == "pyarrow.parquet":  # the readers import only pyarrow.parquet
        with pytest.raises(MissingExtraError) as by_rows, open_rows(str(path), "lead"):
            pass
        with pytest.raises(MissingExtraError) as by_records:
            read_records(str(path))
        assert str(by_rows.value) == str(by_records.value) == expected


# --- writers ------------------------------------------------------------------------------------


def test_json_lines_are_written_as_utf8_text_with_any_value_as_text(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with row_writer(str(path), ["name", "day"]) as writer:
        writer.writerow({"name": "Müller 桜", "day": datetime.date(2024, 1, 2)})
    assert path.read_text("utf-8") == '{"name": "Müller 桜", "day": "2024-01-02"}\n'


def test_parquet_is_written_in_batches_of_batch_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileformats, "BATCH_ROWS", 2)
    path = tmp_path / "out.parquet"
    with row_writer(str(path), ["lead_id", "leads"], types={"leads": "int64"}) as writer:
        writer.writerows([{"lead_id": "", "leads": 1}, {"lead_id": 7, "leads": ""}])
        writer.writerow({"lead_id": None, "leads": 3})
    source = pq.ParquetFile(path)
    sizes = [source.metadata.row_group(k).num_rows for k in range(source.metadata.num_row_groups)]
    assert sizes == [2, 1]
    table = source.read()
    assert table.column("lead_id").to_pylist() == ["", "7", None]  # text stays text, '' too
    assert table.column("leads").to_pylist() == [1, None, 3]  # an empty number is null
