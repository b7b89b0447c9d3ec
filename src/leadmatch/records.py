"""Input adapters: lists of Lead/dicts and DataFrames become validated rows, one per input row.

A row that cannot be validated is kept as an error (its message travels to its result), so
every lead in gives exactly one result out, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from leadmatch.errors import InvalidLeadError, MissingExtraError
from leadmatch.models import Lead

LeadInput = Iterable[Lead | Mapping[str, Any]] | Any
"""Leads as accepted by ``match_many``: Lead objects, dicts, or a pandas DataFrame."""


def is_frame(obj: object) -> bool:
    """A pandas DataFrame (checked without importing pandas)."""
    return type(obj).__name__ == "DataFrame" and type(obj).__module__.startswith("pandas")


def require_pandas() -> Any:
    """Import pandas, or say which extra brings it."""
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("this needs pandas: pip install 'leadmatch[pandas]'") from exc
    return pandas


def frame_records(frame: Any, kind: str, keep: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """Rows of a pandas DataFrame as field dicts. Column names are read as the CLI reads
    headers (canonical, Salesforce, HubSpot); missing values (NaN, NA, NaT) become None.
    Columns named in ``keep`` (extra account fields) are kept under those names."""
    from leadmatch.columns import kept_columns, resolve_columns

    pandas = require_pandas()
    headers = [str(c) for c in frame.columns]
    mapping = resolve_columns(headers, kind, require_id=False)
    # (position, field) pairs: a column can be a built-in field and a kept one at once.
    positions = [(headers.index(h), f) for h, f in mapping.items()]
    positions += [(headers.index(h), name) for h, name in kept_columns(headers, keep)]
    for label, values in zip(frame.index, frame.itertuples(index=False, name=None)):
        row = {f: (None if _is_missing(pandas, values[i]) else values[i]) for i, f in positions}
        if kind == "lead" and row.get("lead_id") is None:
            row["lead_id"] = str(label)  # no id column: the frame's own index
        yield row


def _is_missing(pandas: Any, value: Any) -> bool:
    try:
        return bool(pandas.isna(value))
    except (TypeError, ValueError):  # list-like values: not a scalar missing value
        return False


def _error_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors()[:3]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            message = str(err.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
        return "; ".join(parts)
    return str(exc)


def validate_leads(
    items: Iterable[Lead | Mapping[str, Any]], *, strict: bool, offset: int = 0
) -> tuple[list[Lead | None], list[str], list[str | None]]:
    """Validated leads (None where invalid), their ids, and an error message per row; a lead
    without an id is named by its position, counted from ``offset``."""
    leads: list[Lead | None] = []
    ids: list[str] = []
    errors: list[str | None] = []
    for position, item in enumerate(items, start=offset):
        try:
            lead = item if isinstance(item, Lead) else Lead.model_validate(item)
        except Exception as exc:  # pydantic.ValidationError, or an item that is no mapping
            message = _error_text(exc)
            raw_id = item.get("lead_id") if isinstance(item, Mapping) else None
            if strict:
                which = f"lead {raw_id!r}" if raw_id else f"lead at position {position}"
                raise InvalidLeadError(f"{which}: {message}") from exc
            leads.append(None)
            ids.append(str(raw_id) if isinstance(raw_id, (str, int)) else str(position))
            errors.append(message)
            continue
        leads.append(lead)
        ids.append(lead.lead_id if lead.lead_id is not None else str(position))
        errors.append(None)
    return leads, ids, errors
