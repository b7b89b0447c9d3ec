"""Input adapters: lists of Lead/dicts and DataFrames become validated rows, one per input row.

A row that cannot be validated is kept as an error (its message travels to its result), so
every lead in gives exactly one result out, in order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadmatch.errors import InvalidLeadError
from leadmatch.models import LEAD_FIELDS, MAX_INPUT_CHARS, Lead, text_or_none, trusted

LeadInput = Iterable[Lead | Mapping[str, Any]] | Any
"""Leads as accepted by ``match_many``: Lead objects, dicts, or a DataFrame or Arrow table
(pandas, polars, pyarrow)."""


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
            lead = item if isinstance(item, Lead) else _plain(item) or Lead.model_validate(item)
        except Exception as exc:  # pydantic.ValidationError, or an item that is no mapping
            message = _error_text(exc)
            raw_id = item.get("lead_id") if isinstance(item, Mapping) else None
            if strict:
                which = f"lead {raw_id!r}" if raw_id else f"lead at position {position}"
                raise InvalidLeadError(f"{which}: {message}") from exc
            leads.append(None)
            ids.append(_raw_id(raw_id) or str(position))
            errors.append(message)
            continue
        leads.append(lead)
        ids.append(lead.lead_id if lead.lead_id is not None else str(position))
        errors.append(None)
    return leads, ids, errors


def _plain(item: Any) -> Lead | None:
    """The lead of a row whose fields are all text within bounds or missing, as CSV readers
    give them, as validation would make it but without a validator call per field (which cost
    a tenth of a batch); ``None`` for any other row, which is validated the long way."""
    if not isinstance(item, dict):
        return None
    values: dict[str, str | None] = {}
    for name in LEAD_FIELDS:
        value = item.get(name)
        if value is not None:
            if type(value) is not str or len(value) > MAX_INPUT_CHARS:
                return None
            value = value.strip() or None
        values[name] = value
    return trusted(Lead, values)


def validate_columns(
    fields: Mapping[str, Sequence[Any]],
    rows: int,
    *,
    strict: bool,
    labels: Sequence[str],
) -> tuple[dict[str, list[str | None]], list[bool], list[str], list[str | None]]:
    """:func:`validate_leads` for leads given as columns (a frame's): the cleaned columns,
    which rows are usable, their ids (``labels`` where a row has none) and an error per row,
    each as a :class:`Lead` of the same row would give them, without making one."""
    clean: dict[str, list[str | None]] = {}
    problems: dict[int, list[str]] = {}
    for name in LEAD_FIELDS:
        values = fields.get(name)
        if values is None:
            clean[name] = [None] * rows
            continue
        out: list[str | None] = []
        seen: dict[tuple[type, Any], str | None] = {}  # by type too: True == 1, 1.0 == 1
        for row, value in enumerate(values):
            key = (type(value), value)
            try:
                out.append(seen[key])
                continue
            except (KeyError, TypeError):  # not seen yet, or unhashable (a list)
                pass
            try:
                text = text_or_none(value, name)
            except ValueError as exc:
                problems.setdefault(row, []).append(f"{name}: {exc}")
                out.append(None)
                continue
            out.append(text)
            with contextlib.suppress(TypeError):  # an unhashable value is not kept
                seen[key] = text
        clean[name] = out
    usable = [True] * rows
    errors: list[str | None] = [None] * rows
    raw_ids = fields.get("lead_id")
    ids = [
        value if value is not None else labels[row] for row, value in enumerate(clean["lead_id"])
    ]
    for row, found in problems.items():
        message = "; ".join(found[:3])
        raw = raw_ids[row] if raw_ids is not None else None
        if strict:
            which = f"lead {raw!r}" if raw else f"lead at position {row}"
            raise InvalidLeadError(f"{which}: {message}")
        usable[row], errors[row] = False, message
        ids[row] = _raw_id(raw) or labels[row]
    return clean, usable, ids, errors


def _raw_id(value: Any) -> str:
    """The id of a row that failed validation, as well as it can be read ('' if it cannot:
    an integer of more digits than Python writes, say)."""
    if not isinstance(value, (str, int)):
        return ""
    try:
        return str(value).strip()[:200]
    except ValueError:
        return ""
