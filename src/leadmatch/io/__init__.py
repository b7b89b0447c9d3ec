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
from leadmatch.io.frames import (
    arrow_schema,
    batches_of,
    frame_kind,
    frame_records,
    read_frame,
    require,
    results_like,
    sliced,
)
from leadmatch.io.labels import (
    Label,
    LabelBook,
    Labels,
    LabelsFileError,
    LabelsInUseError,
    answer_key,
    book_of_text,
    label_book,
    labelled_leads,
)
from leadmatch.io.records import LeadInput, validate_columns, validate_leads

__all__ = [
    "DUPLICATE_TYPES",
    "FORMATS",
    "PROPOSAL_TYPES",
    "RESULT_TYPES",
    "ROLLUP_TYPES",
    "Label",
    "LabelBook",
    "Labels",
    "LabelsFileError",
    "LabelsInUseError",
    "LeadInput",
    "answer_key",
    "arrow_schema",
    "batches_of",
    "book_of_text",
    "check_named",
    "frame_kind",
    "frame_records",
    "header_key",
    "label_book",
    "labelled_leads",
    "open_rows",
    "open_text",
    "parse_map",
    "read_csv",
    "read_frame",
    "read_records",
    "require",
    "resolve_columns",
    "results_like",
    "row_writer",
    "sliced",
    "validate_columns",
    "validate_leads",
]
