"""Files of rows the CLI reads and writes: CSV, JSON Lines and Parquet, streamed.

Every reader yields field dicts a few at a time (Parquet a row group's batch at a time), so
that a file larger than memory is matched with memory flat; every writer writes beside the
final name and renames when complete. The format comes from ``--format``, else the file's
extension, else (for inputs) its first bytes. Parquet needs pyarrow (``leadmatch[arrow]``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from leadmatch.errors import LeadmatchError, MissingColumnError
from leadmatch.io.columns import (
    MAX_FIELD_BYTES,
    header_key,
    kept_columns,
    open_text,
    read_csv,
    resolve_columns,
    spreadsheet_safe,
    unescaped,
)
from leadmatch.io.frames import require

FORMATS = ("csv", "jsonl", "parquet")
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet",
}  # fmt: skip
#: Rows per Parquet batch read or written.
BATCH_ROWS = 20_000
#: JSON Lines objects whose keys name the columns.
HEAD_OBJECTS = 1_000


def format_of(path: str, given: str | None = None) -> str:
    """The format of a file to read: ``given``, its extension, else what its first bytes are."""
    if given:
        return given
    known = _EXTENSIONS.get(Path(path).suffix.lower())
    if known or path == "-":
        return known or "csv"
    try:
        with open(path, "rb") as raw:
            head = raw.read(64)
    except OSError:
        return "csv"  # the reader says what is wrong with the path
    if head.startswith(b"PAR1"):
        return "parquet"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def output_format(path: str, given: str | None = None) -> str:
    """The format of a file to write: ``given``, else its extension, else CSV."""
    return given or _EXTENSIONS.get(Path(path).suffix.lower(), "csv")


@contextmanager
def open_rows(
    path: str,
    kind: str,
    explicit: Mapping[str, str] | None = None,
    keep: Sequence[str] = (),
    given: str | None = None,
) -> Iterator[tuple[dict[str, str], Iterator[dict[str, Any]]]]:
    """The column mapping and the rows (field dicts, read lazily) of a file of ``kind``
    (``"lead"`` or ``"account"``) records, as :func:`~leadmatch.io.columns.read_csv` gives them."""
    fmt = format_of(path, given)
    if fmt == "parquet":
        yield _read_parquet(path, kind, explicit, keep)
        return
    with open_text(path) as stream:
        if path == "-" and not given:  # standard input has no name: its first text tells
            first = stream.readline()
            while first and not first.strip("\ufeff \t\r\n"):  # blank lines before it
                first = stream.readline()
            fmt = "jsonl" if first.lstrip("\ufeff \t").startswith("{") else "csv"
            stream = cast(IO[str], _Replayed(first, stream))
        if fmt == "jsonl":
            yield read_jsonl(stream, kind, explicit, keep)
        else:
            yield read_csv(stream, kind, explicit, keep)


class _Replayed:
    """A text stream whose first line was read already, read again from its start."""

    def __init__(self, first: str, rest: IO[str]) -> None:
        self._first: str | None = first
        self._rest = rest

    def readline(self, size: int | None = -1) -> str:
        if self._first is not None:
            line, self._first = self._first, None
            return line
        return self._rest.readline()

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __iter__(self) -> _Replayed:
        return self


def _positions(
    headers: list[str], kind: str, explicit: Mapping[str, str] | None, keep: Sequence[str]
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    mapping = resolve_columns(headers, kind, explicit)
    pairs = list(mapping.items()) + kept_columns(headers, keep)
    return mapping, pairs


def read_jsonl(
    stream: IO[str], kind: str, explicit: Mapping[str, str] | None, keep: Sequence[str]
) -> tuple[dict[str, str], Iterator[dict[str, Any]]]:
    """One JSON object per line. The columns are the keys of the first
    :data:`HEAD_OBJECTS` objects (a writer may leave out a null key here and there); a later
    object may lack any of them or add others. A line that is not an object stops the run,
    with its number."""
    lines = ((n, line) for n, line in enumerate(stream, start=1) if line.strip())
    head = [_json_object(kind, n, line) for n, line in itertools.islice(lines, HEAD_OBJECTS)]
    if not head:
        raise MissingColumnError(f"the {kind}s file is empty (no JSON object)")
    headers = list(dict.fromkeys(str(k) for record in head for k in record))
    mapping, pairs = _positions(headers, kind, explicit, keep)
    fields = _JsonFields(kind, explicit, keep, headers, mapping, pairs)
    return mapping, _json_rows(kind, head, lines, fields)


def _json_object(kind: str, number: int, line: str) -> dict[str, Any]:
    """The object on a line of a JSON Lines file; anything else is the file's error."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise LeadmatchError(f"the {kind}s file is not JSON Lines at line {number}: {exc}") from exc
    if not isinstance(value, dict):
        raise LeadmatchError(
            f"the {kind}s file has a {type(value).__name__} at line {number}, not an object"
        )
    return value


def _json_rows(
    kind: str, head: list[dict[str, Any]], lines: Iterator[tuple[int, str]], fields: _JsonFields
) -> Iterator[dict[str, Any]]:
    """The rows of the head's objects, then of the lines after them (parsed as they are read)."""
    for record in head:
        yield fields.row(record)
    for number, line in lines:
        yield fields.row(_json_object(kind, number, line))


class _JsonFields:
    """Where an object of a JSON Lines file holds each field: under the head's column mapped to
    it, else under another of the head's spellings of it, else under a key the head lacked."""

    def __init__(
        self,
        kind: str,
        explicit: Mapping[str, str] | None,
        keep: Sequence[str],
        headers: list[str],
        mapping: dict[str, str],
        pairs: list[tuple[str, str]],
    ) -> None:
        self._kind, self._explicit, self._keep, self._pairs = kind, explicit, keep, pairs
        self._known = set(headers)
        self._alternates = _alternates(headers, mapping, kind, explicit)
        self._extra: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def row(self, record: dict[str, Any]) -> dict[str, Any]:
        """The field dict of one object."""
        row = {field: record.get(header) for header, field in self._pairs}
        for field, others in self._alternates.items():
            if row[field] is None:
                row[field] = next((record[h] for h in others if record.get(h) is not None), None)
        new = tuple(str(k) for k in record if k not in self._known)
        if new:
            for header, field in self._later_pairs(new):
                if row.get(field) is None:
                    row[field] = record.get(header)
        return row

    def _later_pairs(self, keys: tuple[str, ...]) -> list[tuple[str, str]]:
        """Fields found under keys the head did not have (mapped once per set of such keys)."""
        found = self._extra.get(keys)
        if found is None:
            if len(self._extra) >= 256:  # memory stays flat whatever the keys
                self._extra.clear()
            named = resolve_columns(list(keys), self._kind, self._explicit, check=False)
            kept = [(h, n) for n in self._keep for h in keys if header_key(h) == header_key(n)]
            found = self._extra[keys] = list(named.items()) + kept
        return found


def _alternates(
    headers: list[str], mapping: dict[str, str], kind: str, explicit: Mapping[str, str] | None
) -> dict[str, list[str]]:
    """Other spellings of a mapped field among the head's keys ("email", "Email Address"):
    read where an object lacks the first."""
    alternates: dict[str, list[str]] = {}
    for header in headers:
        if header not in mapping:
            for _, field in resolve_columns([header], kind, explicit, check=False).items():
                if field in mapping.values():
                    alternates.setdefault(field, []).append(header)
    return alternates


def _read_parquet(
    path: str, kind: str, explicit: Mapping[str, str] | None, keep: Sequence[str]
) -> tuple[dict[str, str], Iterator[dict[str, Any]]]:
    parquet = require("pyarrow.parquet", "arrow")
    try:
        source = parquet.ParquetFile(path)
    except OSError as exc:  # pyarrow.ArrowInvalid is an OSError... or a ValueError
        raise LeadmatchError(f"{path} is not a readable Parquet file: {exc}") from exc
    except ValueError as exc:
        raise LeadmatchError(f"{path} is not a readable Parquet file: {exc}") from exc
    headers = [str(name) for name in source.schema_arrow.names]
    twice = sorted({h for h in headers if headers.count(h) > 1})
    if twice:
        raise LeadmatchError(f"{path} has more than one column named {', '.join(twice)}")
    mapping, pairs = _positions(headers, kind, explicit, keep)
    wanted = list(dict.fromkeys(header for header, _ in pairs))

    def rows() -> Iterator[dict[str, Any]]:
        for batch in source.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            columns = {h: batch.column(h).to_pylist() for h in wanted}
            for k in range(batch.num_rows):
                yield {field: columns[header][k] for header, field in pairs}

    return mapping, rows()


#: Parquet types of the columns the CLI's commands write that are not text, by command output
#: (a column of another name, an account field say, is always text).
RESULT_TYPES = {"confidence": "float64"}
ROLLUP_TYPES = {"matched_leads": "int64", "review_leads": "int64", "contacts": "int64"}
PROPOSAL_TYPES = {"leads": "int64", "confidence": "float64"}
DUPLICATE_TYPES = {"group": "int64", "is_survivor": "bool_"}


class RowWriter:
    """Rows (dicts of the given columns) into a CSV, JSON Lines or Parquet file (Parquet
    columns typed by ``types``, text otherwise, whatever the rows hold: one schema a file)."""

    def __init__(
        self,
        stream: IO[str] | None,
        binary: Any,
        columns: Sequence[str],
        fmt: str,
        types: Mapping[str, str] | None = None,
    ) -> None:
        self.columns, self.fmt, self.types = list(columns), fmt, dict(types or {})
        self._stream, self._binary = stream, binary
        self._csv = None
        if fmt == "csv" and stream is not None:
            self._csv = csv.DictWriter(stream, fieldnames=self.columns)
            self._csv.writeheader()
        self._pending: list[dict[str, Any]] = []
        self._parquet: Any = None
        self._schema: Any = None

    def writerow(self, row: Mapping[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        elif self.fmt == "jsonl":
            record = {c: row.get(c) for c in self.columns}
            assert self._stream is not None
            self._stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        else:
            self._pending.append(dict(row))
            if len(self._pending) >= BATCH_ROWS:
                self._flush()

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)

    def _flush(self) -> None:
        arrow = require("pyarrow", "arrow")
        parquet = require("pyarrow.parquet", "arrow")
        columns = {c: [row.get(c) for row in self._pending] for c in self.columns}
        if self._schema is None:
            self._schema = arrow.schema(
                [(c, getattr(arrow, self.types.get(c, "string"))()) for c in self.columns]
            )
            self._parquet = parquet.ParquetWriter(self._binary, self._schema)
        batch = arrow.RecordBatch.from_pydict(
            {c: _typed(values, self._schema.field(c).type, arrow) for c, values in columns.items()},
            schema=self._schema,
        )
        self._parquet.write_batch(batch)
        self._pending = []

    def close(self) -> None:
        if self.fmt == "parquet":
            if self._pending or self._schema is None:
                self._flush()
            self._parquet.close()


def _typed(values: list[Any], kind: Any, arrow: Any) -> list[Any]:
    if kind == arrow.string():
        return [None if v is None else str(v) for v in values]
    return [None if v == "" else v for v in values]


@contextmanager
def row_writer(
    path: str,
    columns: Sequence[str],
    given: str | None = None,
    types: Mapping[str, str] | None = None,
) -> Iterator[RowWriter]:
    """A :class:`RowWriter` on ``path`` ('-': standard output), written beside its final name
    and renamed only when complete: an interrupted run leaves no half file that looks done."""
    fmt = output_format(path, given)
    if path == "-":
        if fmt == "parquet":
            raise LeadmatchError("Parquet cannot be written to standard output; name a file")
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        writer = RowWriter(stdout, None, columns, fmt, types)
        yield writer
        stdout.flush()
        stdout.detach()
        return
    part = Path(path + ".part")
    try:
        if fmt == "parquet":
            with part.open("wb") as binary:
                writer = RowWriter(None, binary, columns, fmt, types)
                yield writer
                writer.close()
        else:
            with part.open("w", encoding="utf-8", newline="") as out:
                yield RowWriter(out, None, columns, fmt, types)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


def read_records(path: str, given: str | None = None) -> tuple[list[str], Iterator[dict[str, str]]]:
    """A file's columns and its rows as they are (``{column: value}``, values as text, ''
    for empty): for the files the CLI reads whole (results, truth, targets)."""
    fmt = format_of(path, given)
    if fmt == "parquet":
        parquet = require("pyarrow.parquet", "arrow")
        try:
            table = parquet.read_table(path)
        except (OSError, ValueError) as exc:
            raise LeadmatchError(f"{path} is not a readable Parquet file: {exc}") from exc
        return list(table.column_names), (_as_text(r) for r in table.to_pylist())
    with open_text(path) as stream:
        text = stream.read()
    if fmt == "jsonl":
        try:
            records = [json.loads(line) for line in io.StringIO(text) if line.strip()]
        except ValueError as exc:
            raise LeadmatchError(f"{path} is not JSON Lines: {exc}") from exc
        if any(not isinstance(r, dict) for r in records):
            raise LeadmatchError(f"{path} is not JSON Lines of objects")
        headers = list(dict.fromkeys(k for r in records for k in r))
        return headers, (_as_text(r) for r in records)
    csv.field_size_limit(MAX_FIELD_BYTES)  # this may be the first CSV file the run reads
    reader = csv.DictReader(io.StringIO(text, newline=""))  # lines may end in a bare \r
    try:
        headers = list(reader.fieldnames or ())
    except csv.Error as exc:
        raise LeadmatchError(f"{path} is not readable CSV: {exc}") from exc
    return headers, _csv_records(path, reader)


def _csv_records(path: str, reader: csv.DictReader[str]) -> Iterator[dict[str, str]]:
    """The rows of :func:`read_records`'s CSV file; what the csv module cannot read stops the
    run with its line, as :func:`~leadmatch.io.columns.read_csv` does."""
    try:
        for record in reader:
            yield {k: unescaped(v) for k, v in _as_text(record).items()}
    except csv.Error as exc:
        raise LeadmatchError(
            f"{path} is not valid CSV at line {reader.reader.line_num}: {exc}"
        ) from exc


def _as_text(record: Mapping[str, Any]) -> dict[str, str]:
    """Values as a CSV file would hold them: text, '' for none."""
    return {str(k): "" if v is None else str(v) for k, v in record.items()}
