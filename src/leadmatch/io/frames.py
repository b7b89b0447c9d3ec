"""DataFrames and Arrow data in and out: pandas, polars, pyarrow ``Table`` and ``RecordBatch``.

A frame is read a column at a time (one list per field the columns name, found as the CLI
finds a file's headers, or by the caller's ``columns`` mapping) and matched as columns: no
record per row stands between the user's data and the matcher. The results come back as the
same kind of frame, one row per input row, in order. The frame libraries are optional extras,
imported only when a frame of theirs is handed over (recognized by type, without importing).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadmatch.errors import MissingExtraError
from leadmatch.io.columns import check_named, kept_columns, resolve_columns
from leadmatch.models import is_missing

#: Rows matched at a time (memory holds one slice's candidate pairs, not the frame's).
SLICE_ROWS = 20_000


def frame_kind(obj: object) -> str | None:
    """``"pandas"``, ``"polars"``, ``"arrow-table"``, ``"arrow-batch"``, ``"arrow-stream"``
    (a ``RecordBatchReader``, or anything with ``__arrow_c_stream__``: a DuckDB relation),
    or ``None``."""
    cls = type(obj)
    module, name = cls.__module__, cls.__name__
    if name == "DataFrame" and module.startswith("pandas"):
        return "pandas"
    if name == "DataFrame" and module.startswith("polars"):
        return "polars"
    if module.startswith("pyarrow") and name in ("Table", "RecordBatch"):
        return "arrow-table" if name == "Table" else "arrow-batch"
    if module.startswith("pyarrow") and name == "RecordBatchReader":
        return "arrow-stream"
    if module.split(".")[0] in ("pyarrow", "pandas", "polars"):
        if name in ("Series", "LazyFrame") or name.endswith("Array"):
            raise TypeError(
                f"a {name} is not a table of leads or accounts: pass a DataFrame or Arrow table"
                + (" (collect() the LazyFrame first)" if name == "LazyFrame" else "")
            )
        return None
    if hasattr(obj, "__arrow_c_stream__"):
        return "arrow-stream"  # DuckDB relations and other Arrow streams
    return None


def batches_of(stream: Any) -> Any:
    """An Arrow stream as a ``pyarrow.RecordBatchReader``."""
    arrow = require("pyarrow", "arrow")
    if isinstance(stream, arrow.RecordBatchReader):
        return stream
    return arrow.RecordBatchReader.from_stream(stream)


def arrow_schema(columns: Sequence[str]) -> Any:
    """The Arrow schema of result columns: ``confidence`` a double, the rest strings."""
    arrow = require("pyarrow", "arrow")
    return arrow.schema([(name, _arrow_type(arrow, name)) for name in columns])


def require(module: str, extra: str) -> Any:
    """Import a frame library, or say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(f"this needs {module}: pip install 'leadmatch[{extra}]'") from exc


def _headers(frame: Any, kind: str) -> list[str]:
    if kind.startswith("arrow"):
        return [str(name) for name in frame.schema.names]
    return [str(name) for name in frame.columns]


def _column(frame: Any, kind: str, position: int) -> list[Any]:
    """One column as Python values (nulls as ``None``, or as NaN / NA / NaT from pandas)."""
    if kind == "pandas":
        return list(frame.iloc[:, position].tolist())
    if kind == "polars":
        return list(frame.to_series(position).to_list())
    return list(frame.column(position).to_pylist())


@dataclass(frozen=True)
class FrameColumns:
    """A frame's columns by field, and what its rows are called when they carry no id."""

    rows: int
    fields: dict[str, list[Any]]
    labels: list[str]
    """The pandas index labels, or positions for the libraries that have no index."""


def read_frame(
    frame: Any,
    record: str,
    columns: Mapping[str, str] | None = None,
    keep: Sequence[str] = (),
    offset: int = 0,
) -> FrameColumns:
    """The fields of ``record`` (``"lead"`` or ``"account"``) a frame holds. ``columns`` maps
    the frame's column names to fields (as the CLI's ``--map``); columns named in ``keep``
    (extra account fields) are read under those names. Rows without an index are called by
    their position, counted from ``offset``."""
    kind = frame_kind(frame)
    if kind is None:
        raise TypeError(f"not a DataFrame or Arrow table: {type(frame).__name__}")
    headers = _headers(frame, kind)
    check_named(headers, columns)
    mapping = resolve_columns(headers, record, columns, require_id=False)
    fields = {f: _column(frame, kind, headers.index(h)) for h, f in mapping.items()}
    for header, name in kept_columns(headers, keep):
        fields[name] = _column(frame, kind, headers.index(header))
    rows = len(frame)
    labels = (
        [str(label) for label in frame.index.tolist()]
        if kind == "pandas"
        else [str(offset + i) for i in range(rows)]
    )
    return FrameColumns(rows, fields, labels)


def frame_records(
    frame: Any, record: str, keep: Sequence[str] = (), columns: Mapping[str, str] | None = None
) -> Iterator[dict[str, Any]]:
    """A frame's rows as field dicts (for building an index, which reads account by account).
    Missing values (NaN, NA, NaT, null) become ``None``. An Arrow stream is read a batch at
    a time."""
    if frame_kind(frame) == "arrow-stream":
        for batch in batches_of(frame):
            yield from frame_records(batch, record, keep, columns)
        return
    read = read_frame(frame, record, columns, keep)
    names = list(read.fields)
    for values in zip(*(read.fields[n] for n in names)) if names else iter(()):
        yield {n: (None if is_missing(v) else v) for n, v in zip(names, values)}
    if not names:
        yield from ({} for _ in range(read.rows))


def sliced(frame: Any) -> Iterator[tuple[int, Any]]:
    """(first row, slice) pairs of at most :data:`SLICE_ROWS` rows (views, not copies)."""
    kind, size = frame_kind(frame), SLICE_ROWS
    rows = len(frame)
    for start in range(0, rows, size) if rows else range(1):
        if kind == "pandas":
            yield start, frame.iloc[start : start + size]
        else:
            yield start, frame.slice(start, size)


def results_like(frame: Any, columns: dict[str, list[Any]]) -> Any:
    """Result columns as the kind of ``frame`` (a pandas result keeps the input's index)."""
    kind = frame_kind(frame)
    if kind == "pandas":
        pandas = require("pandas", "pandas")
        return pandas.DataFrame(columns, index=frame.index)
    if kind == "polars":
        polars = require("polars", "polars")
        return polars.DataFrame(
            columns, schema={name: _polars_type(polars, name) for name in columns}
        )
    arrow = require("pyarrow", "arrow")
    schema = arrow_schema(list(columns))
    if kind == "arrow-batch":
        return arrow.RecordBatch.from_pydict(columns, schema=schema)
    return arrow.table(columns, schema=schema)


def _polars_type(polars: Any, column: str) -> Any:
    return polars.Float64 if column == "confidence" else polars.String


def _arrow_type(arrow: Any, column: str) -> Any:
    return arrow.float64() if column == "confidence" else arrow.string()
