"""Cells of files and DataFrames read as text."""

from __future__ import annotations


def cell_text(value: object) -> str:
    """A cell as text; a missing value (None, NaN from a DataFrame) as ``""``."""
    return (
        value if isinstance(value, str) else "" if value is None or value != value else str(value)
    )
