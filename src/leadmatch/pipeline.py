"""The one code path from leads to results: validate, prepare, block, score, resolve, explain.

``AccountIndex.match`` is a batch of one through here; ``match_many`` a batch of many.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

import numpy as np

from leadmatch import blocking, features, scoring
from leadmatch.config import MatchConfig
from leadmatch.explain import evidence
from leadmatch.frames import (
    arrow_schema,
    batches_of,
    frame_kind,
    read_frame,
    results_like,
    sliced,
)
from leadmatch.models import Alternative, Decision, Evidence, Lead, Match, trusted
from leadmatch.prepare import LeadBatch, prepare, prepare_columns
from leadmatch.records import validate_columns, validate_leads
from leadmatch.resolve import resolve

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

log = logging.getLogger("leadmatch")

#: Leads per batch of :func:`scored_batches` (memory stays bounded for any number of leads).
SCORED_BATCH = 20_000
#: Columns of a result table (CSV or DataFrame), in order. ``candidate_id`` is the best-scored
#: account whatever the decision (the nearest miss of an ``unmatched`` lead; what evaluation
#: ranks and calibrates).
OUTPUT_COLUMNS = ("lead_id", "account_id", "confidence", "decision", "evidence", "candidate_id")

_NO_CANDIDATE = Evidence(
    signal="candidates",
    level="none",
    weight=0.0,
    detail="no account shares a domain, a distinctive name word or an acronym with this lead",
)


def match_leads(index: AccountIndex, leads: Any, columns: Mapping[str, str] | None = None) -> Any:
    """Match a list of leads (list out), or a DataFrame or Arrow table (the same kind out)."""
    kind = frame_kind(leads)
    if kind == "arrow-stream":
        return match_arrow_stream(index, leads, columns)
    if kind is not None:
        return match_frame(index, leads, columns)
    if columns is not None:
        raise TypeError("columns= maps the columns of a DataFrame or Arrow table, not of records")
    if isinstance(leads, (Lead, Mapping)):
        raise TypeError("match_many takes a collection of leads; use match() for one lead")
    return match_records(index, leads)


def match_arrow_stream(index: AccountIndex, stream: Any, columns: Mapping[str, str] | None) -> Any:
    """A ``RecordBatchReader`` of the results of an Arrow stream's leads, matched a batch at a
    time as the reader is read (memory holds a batch, not the stream)."""
    reader = batches_of(stream)
    schema = arrow_schema(result_names(index.config.account_fields))

    def batches() -> Iterator[Any]:
        done = 0
        for batch in reader:
            yield match_frame(index, batch, columns, offset=done)
            done += batch.num_rows

    return type(reader).from_batches(schema, batches())


def match_frame(
    index: AccountIndex, frame: Any, columns: Mapping[str, str] | None, offset: int = 0
) -> Any:
    """Match a frame's leads a slice at a time, as columns; one result row per input row
    (a row without an id is named by its position, counted from ``offset``)."""
    config = index.config
    names = result_names(config.account_fields)
    out: dict[str, list[Any]] = {name: [] for name in names}
    for start, part in sliced(frame):
        read = read_frame(part, "lead", columns, offset=offset + start)
        clean, usable, ids, errors = validate_columns(
            read.fields, read.rows, strict=config.strict, labels=read.labels
        )
        batch = prepare_columns(clean, usable)
        feats, scores = _scored_batch(index, batch, config)
        decided = resolve(index, feats, scores, read.rows, config)
        rows = _results(index, batch, feats, scores, decided, ids, errors, True, True)
        for name in names:  # rows carry no key for what a lead has none of
            out[name] += [row.get(name, "") for row in rows]
    return results_like(frame, out)


def match_records(
    index: AccountIndex,
    items: Iterable[Lead | Mapping[str, Any]],
    offset: int = 0,
    rows: bool = False,
) -> list[Any]:
    """Match validated or raw lead records; one :class:`Match` per item, in order (with
    ``rows``: the row :func:`result_row` makes of it). A lead without an id is named by its
    position, counted from ``offset``."""
    config = index.config
    valid, ids, errors = validate_leads(items, strict=config.strict, offset=offset)
    batch, feats, scores = _scored(index, valid, config)
    decided = resolve(index, feats, scores, len(valid), config)
    return _results(index, batch, feats, scores, decided, ids, errors, rows)


def _scored(
    index: AccountIndex, valid: Sequence[Lead | None], config: MatchConfig
) -> tuple[Any, features.Features, scoring.Scores]:
    """Validated leads prepared, blocked, compared and scored: all but the decision."""
    batch = prepare(valid)
    return (batch, *_scored_batch(index, batch, config))


def _scored_batch(
    index: AccountIndex, batch: LeadBatch, config: MatchConfig
) -> tuple[features.Features, scoring.Scores]:
    lead_rows, name_rows, bits = blocking.candidates(index, batch, config)
    feats = features.compute(index, batch, lead_rows, name_rows, bits)
    return feats, scoring.score(feats, config.weights)


def scored_batches(
    index: AccountIndex, leads: Sequence[Lead | Mapping[str, Any]], config: MatchConfig
) -> Iterator[tuple[Sequence[str], features.Features, scoring.Scores, int]]:
    """Per batch of :data:`SCORED_BATCH` leads: their ids, the features and scores of their
    candidate pairs, and how many leads the batch had: what matching computes before it
    decides (fitting and proposals read it)."""
    for start in range(0, len(leads), SCORED_BATCH):
        valid, ids, _ = validate_leads(leads[start : start + SCORED_BATCH], strict=False)
        _, feats, scores = _scored(index, valid, config)
        yield ids, feats, scores, len(valid)


def result_rows(
    index: AccountIndex,
    leads: Iterable[Lead | Mapping[str, Any]],
    chunk_size: int,
    progress: Callable[[int], None] | None,
    workers: int = 1,
) -> Iterator[dict[str, Any]]:
    """:func:`match_stream` as the flat rows of a results file (what the CLI writes); with
    workers, the rows are made in the workers."""
    return match_stream(index, leads, chunk_size, progress, workers, rows=True)


def match_stream(
    index: AccountIndex,
    leads: Iterable[Lead | Mapping[str, Any]],
    chunk_size: int,
    progress: Callable[[int], None] | None,
    workers: int = 1,
    rows: bool = False,
) -> Iterator[Any]:
    """Match leads of any number in chunks: memory holds a few chunks, not the stream. One
    :class:`Match` per lead, or with ``rows`` the row :func:`result_row` makes of it."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    stream = iter(leads)
    first = list(islice(stream, chunk_size))
    if workers > 1 and len(first) == chunk_size:  # more than one chunk: worth the processes
        from leadmatch.parallel import match_parallel

        yield from match_parallel(index, chain(first, stream), chunk_size, progress, workers, rows)
        return
    done = 0
    chunk = first
    while chunk:
        yield from match_records(index, chunk, offset=done, rows=rows)
        done += len(chunk)
        if progress is not None:
            progress(done)
        chunk = list(islice(stream, chunk_size))


_TIE_RULE = (
    "chosen among records of one company group: the lead's country, then the strongest "
    "evidence, then the ultimate parent, then the smallest id"
)


def _match(
    lead_id: str,
    decision: Decision,
    account_id: str | None = None,
    confidence: float = 0.0,
    evidence: tuple[Evidence, ...] = (),
    alternatives: tuple[Alternative, ...] = (),
    ultimate_parent_id: str | None = None,
    candidate_id: str | None = None,
    found_by: tuple[str, ...] = (),
    error: str | None = None,
    account_fields: tuple[tuple[str, str], ...] = (),
) -> Match:
    values = {"lead_id": lead_id, "account_id": account_id, "confidence": confidence}
    return trusted(
        Match,
        {
            **values,
            "decision": decision,
            "evidence": evidence,
            "alternatives": alternatives,
            "ultimate_parent_id": ultimate_parent_id,
            "candidate_id": candidate_id,
            "found_by": found_by,
            "error": error,
            "account_fields": account_fields,
        },
    )


def _results(
    index: AccountIndex,
    batch: Any,
    feats: features.Features,
    scores: scoring.Scores,
    decided: Any,
    ids: Sequence[str],
    errors: Sequence[str | None],
    rows: bool = False,
    parents: bool = False,
) -> list[Any]:
    """One :class:`Match` per lead, or with ``rows`` the flat row :func:`result_row` would
    make of it, without the records (a file has no use for them, and they cost a fifth of
    the matching time): a test holds the two equal. With ``parents`` a row also has the
    ``ultimate_parent_id`` (for a frame's results)."""
    # Every value below comes from validated inputs and the matcher's arrays, so the records
    # are built without re-validation (see models.trusted).
    config = index.config
    d, lk = index.data, index.lookups
    winners = decided.winner_pair
    scored = (winners >= 0).nonzero()[0]
    won = winners[scored]
    reasons_of = dict(
        zip(scored.tolist(), evidence(index, batch, feats, scores, config.weights, won, rows))
    )
    # Per lead with a candidate, everything the record needs, gathered once per batch.
    acct = feats.account[won]
    confidence = decided.confidence[scored]
    decision = np.where(
        (confidence >= config.match_threshold) & ~decided.ambiguous[scored],
        "matched",
        np.where(confidence >= config.review_threshold, "review", "unmatched"),
    )
    chosen = decision != "unmatched"
    account_ids = d.account_id.take(acct)
    fields = _account_fields(index, acct)
    names = config.account_fields
    columns = field_columns(names)
    # What only records carry (a file has no column for them).
    parent_ids = d.account_id.take(lk.ultimate_row[acct]) if parents or not rows else []
    found_by = [] if rows else [blocking.blocker_names(b) for b in feats.blockers[won].tolist()]
    ambiguous = decided.ambiguous[scored] & (confidence >= config.review_threshold)
    tie_broken = decided.tie_broken[scored]
    # Alternatives of all leads at once; lead ``k`` of ``scored`` has alt_ptr[k]..alt_ptr[k+1].
    alt_ptr, alt_pairs = decided.alt_ptr, decided.alt_pairs
    alt_acct = feats.account[alt_pairs]
    alt_lead = np.arange(len(winners)).repeat(alt_ptr[1:] - alt_ptr[:-1])
    alt_related = lk.group[alt_acct] == lk.group[feats.account[np.maximum(winners[alt_lead], 0)]]
    alternatives_all = (
        []
        if rows
        else [
            _alternative(account_id, probability, related)
            for account_id, probability, related in zip(
                d.account_id.take(alt_acct),
                scores.probability[alt_pairs].round(4).tolist(),
                alt_related.tolist(),
            )
        ]
    )
    bounds = alt_ptr.tolist()
    at = dict(zip(scored.tolist(), range(len(scored))))

    out: list[Any] = []
    for row, lead_id in enumerate(ids):
        if errors[row] is not None:
            error = errors[row]
            out.append(
                _row(lead_id, "error", "", 0.0, f"error: {error}", "")
                if rows
                else _match(lead_id, "error", error=error)
            )
            continue
        k = at.get(row)
        if k is None:
            out.append(
                _row(lead_id, "unmatched", "", 0.0, _NO_CANDIDATE.detail, "")
                if rows
                else _match(lead_id, "unmatched", evidence=(_NO_CANDIDATE,))
            )
            continue
        lead_reasons = reasons_of[row]
        alternatives = tuple(alternatives_all[bounds[row] : bounds[row + 1]])
        if ambiguous[k]:
            # The rival: the first alternative of another company group (rivals come first).
            span = slice(bounds[row], bounds[row + 1])
            others = alt_acct[span][~alt_related[span]]
            rival = d.account_id[int(others[0])] if len(others) else "?"
            detail = f"another company scores alike ({rival})"
            lead_reasons.append(detail if rows else _evidence("tie_break", "ambiguous", detail))
        elif tie_broken[k]:
            lead_reasons.append(_TIE_RULE if rows else _evidence("tie_break", "rule", _TIE_RULE))
        picked = bool(chosen[k])
        if rows:  # the reasons are sentences already
            reasons = "; ".join(lead_reasons)
            chosen_id = account_ids[k] if picked else ""
            confidence_k = round(float(confidence[k]), 4)
            row_k = _row(
                lead_id, str(decision[k]), chosen_id, confidence_k, reasons, account_ids[k]
            )
            if parents:
                row_k["ultimate_parent_id"] = parent_ids[k] if picked else ""
            if picked and fields:
                row_k.update(zip(columns, fields[k]))
            out.append(row_k)
            continue
        out.append(
            _match(
                lead_id,
                str(decision[k]),  # type: ignore[arg-type]
                account_id=account_ids[k] if picked else None,
                confidence=round(float(confidence[k]), 4),
                evidence=tuple(lead_reasons),
                alternatives=alternatives,
                ultimate_parent_id=parent_ids[k] if picked else None,
                candidate_id=account_ids[k],
                found_by=tuple(found_by[k]),
                account_fields=tuple(zip(names, fields[k])) if picked and fields else (),
            )
        )
    return out


def _account_fields(index: AccountIndex, acct: Any) -> list[tuple[str, ...]]:
    """Per account row of ``acct``, the values of ``config.account_fields`` ([] if none)."""
    names = index.config.account_fields
    if not names:
        return []
    held = list(index.data.field_names)
    width = len(held)
    at = np.array([held.index(name) for name in names], dtype=np.int64)
    values = index.data.field_values.take((acct[:, None] * width + at[None, :]).reshape(-1))
    return [tuple(values[i : i + len(names)]) for i in range(0, len(values), len(names))]


def field_columns(names: Sequence[str]) -> list[str]:
    """The result columns of account fields: their names, ``account_``-prefixed where a name
    is a result column already."""
    taken = {*OUTPUT_COLUMNS, "ultimate_parent_id"}
    return [f"account_{name}" if name in taken else name for name in names]


def _row(
    lead_id: str, decision: str, account_id: str, confidence: float, reasons: str, candidate: str
) -> dict[str, Any]:
    return {"lead_id": lead_id, "account_id": account_id, "confidence": confidence,
            "decision": decision, "evidence": reasons, "candidate_id": candidate}  # fmt: skip


def _alternative(account_id: str, probability: float, related: Any) -> Alternative:
    values = {"account_id": account_id, "confidence": round(probability, 4)}
    return trusted(Alternative, {**values, "related": bool(related)})


def _evidence(signal: str, level: str, detail: str) -> Evidence:
    return trusted(Evidence, {"signal": signal, "level": level, "weight": 0.0, "detail": detail})


def result_row(match: Match) -> dict[str, Any]:
    """A result as the flat row written to CSV files and DataFrames."""
    return {
        "lead_id": match.lead_id,
        "account_id": match.account_id or "",
        "confidence": match.confidence,
        "decision": match.decision,
        "evidence": match.reasons(),
        "candidate_id": match.candidate_id or "",
        **dict(
            zip(
                field_columns([n for n, _ in match.account_fields]),
                [v for _, v in match.account_fields],
            )
        ),
    }


def result_names(fields: Sequence[str]) -> list[str]:
    """The columns of a result table: :data:`OUTPUT_COLUMNS`, ``ultimate_parent_id``, then
    the account fields."""
    return [*OUTPUT_COLUMNS, "ultimate_parent_id", *field_columns(fields)]
