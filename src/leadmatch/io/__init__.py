"""Reading and writing rows: CSV columns found by their headers (:mod:`columns`), lead records
validated (:mod:`records`), DataFrames and Arrow (:mod:`frames`), and JSON Lines and Parquet
besides CSV (:mod:`fileformats`)."""

from leadmatch.io.columns import (
    check_named,
    header_key,
    open_text,
    parse_map,
    read_csv,
    resolve_columns,
)
from leadmatch.io.fileformats import (
    DUPLICATE_TYPES,
    FORMATS,
    PROPOSAL_TYPES,
    RESULT_TYPES,
    ROLLUP_TYPES,
    open_rows,
    read_records,
    row_writer,
)
from leadmatch.io.frames import require
from leadmatch.io.records import LeadInput, validate_leads

__all__ = [
    "DUPLICATE_TYPES",
    "FORMATS",
    "PROPOSAL_TYPES",
    "RESULT_TYPES",
    "ROLLUP_TYPES",
    "LeadInput",
    "check_named",
    "header_key",
    "open_rows",
    "open_text",
    "parse_map",
    "read_csv",
    "read_records",
    "require",
    "resolve_columns",
    "row_writer",
    "validate_leads",
]
