"""The one code path from leads to results: validate, prepare, block, score, resolve, explain.

``AccountIndex.match`` is a batch of one through here; ``match_many`` a batch of many.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from leadmatch.config import MatchConfig
from leadmatch.io import (
    Label,
    LabelBook,
    arrow_schema,
    batches_of,
    frame_kind,
    read_frame,
    results_like,
    sliced,
    validate_columns,
    validate_leads,
)
from leadmatch.match import blocking, features, scoring
from leadmatch.match.resolve import resolve
from leadmatch.match.results import assemble, result_names, with_labels
from leadmatch.match.view import IndexView
from leadmatch.models import Lead
from leadmatch.normalize import LeadBatch, prepare, prepare_columns

log = logging.getLogger("leadmatch")

#: Leads per batch of :func:`scored_batches` (memory stays bounded for any number of leads).
SCORED_BATCH = 20_000
#: Leads matched in one turn (see :data:`_TURN`): a thread matching many leads lets the others
#: in between its turns.
TURN_LEADS = 2_000
#: Threads of a process take turns through the stages, a chunk of leads at a time. The stages
#: are many short NumPy and rapidfuzz calls, each of which lets go of the GIL and takes it
#: back: threads matching at once hand the GIL to each other between every two calls, and four
#: threads did half the work of one (``benchmarks/threads.py``). Taking turns keeps the pace of
#: one thread whatever the number of threads. Re-entrant: a stage may match again.
_TURN = threading.RLock()


def match_leads(index: IndexView, leads: Any, columns: Mapping[str, str] | None = None) -> Any:
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


def match_arrow_stream(index: IndexView, stream: Any, columns: Mapping[str, str] | None) -> Any:
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
    index: IndexView, frame: Any, columns: Mapping[str, str] | None, offset: int = 0
) -> Any:
    """Match a frame's leads a slice at a time, as columns; one result row per input row
    (a row without an id is named by its position, counted from ``offset``)."""
    config = index.config
    names = result_names(config.account_fields)
    out: dict[str, list[Any]] = {name: [] for name in names}
    for start, part in sliced(frame):
        with _TURN:
            rows = _frame_slice(index, part, columns, offset + start)
        for name in names:  # rows carry no key for what a lead has none of
            out[name] += [row.get(name, "") for row in rows]
    return results_like(frame, out)


def _frame_slice(
    index: IndexView, part: Any, columns: Mapping[str, str] | None, offset: int
) -> list[dict[str, Any]]:
    """The result rows of one slice of a frame."""
    config = index.config
    read = read_frame(part, "lead", columns, offset=offset)
    clean, usable, ids, errors = validate_columns(
        read.fields, read.rows, strict=config.strict, labels=read.labels
    )
    batch = prepare_columns(clean, usable)
    feats, scores = _scored_batch(index, batch, config)
    decided = resolve(index, feats, scores, read.rows, config)
    rows = assemble(index, batch, feats, scores, decided, ids, errors, True, True)
    if index.labels:
        rows = with_labels(index, _found(index.labels, clean["lead_id"], batch), rows, True, True)
    return rows


def match_records(
    index: IndexView,
    items: Iterable[Lead | Mapping[str, Any]],
    offset: int = 0,
    rows: bool = False,
) -> list[Any]:
    """Match validated or raw lead records; one :class:`Match` per item, in order (with
    ``rows``: the row :func:`~leadmatch.match.results.result_row` makes of it). A lead without
    an id is named by its position, counted from ``offset``."""
    items = items if isinstance(items, Sequence) else list(items)
    out: list[Any] = []
    for start in range(0, len(items), TURN_LEADS):
        out += _in_turn(_Request(index, items[start : start + TURN_LEADS], offset + start, rows))
    return out


#: What requests matched as one batch share: tables, config, labels (ids) and kind of result.
_Key = tuple[int, int, int, bool]


class _Request:
    """Leads a thread waits to have matched; set ``done`` with their results or an error."""

    __slots__ = ("done", "error", "items", "offset", "results", "rows", "view")

    def __init__(self, view: IndexView, items: Sequence[Any], offset: int, rows: bool) -> None:
        self.view, self.items, self.offset, self.rows = view, items, offset, rows
        self.results: list[Any] = []
        self.error: BaseException | None = None
        self.done = False

    def key(self) -> _Key:
        """Requests of one key can be matched as one batch: the same tables, config, labels
        and kind of result (the objects stay alive while queued, so their ids stay theirs)."""
        view = self.view
        return id(view.tables), id(view.config), id(view.labels), self.rows


#: Requests waiting for the turn. The thread that gets the turn matches every request queued
#: by then, up to :data:`TURN_LEADS` leads, as one batch: a lead's cost is mostly the batch's
#: fixed cost, so four threads each matching one lead get four leads matched for little more
#: than the price of one, where taking turns alone gave them one thread's pace.
_QUEUE: deque[_Request] = deque()
_QUEUE_LOCK = threading.Lock()


def _in_turn(request: _Request) -> list[Any]:
    """``request``'s results, matched in this thread's turn or, together with it, in another's."""
    with _QUEUE_LOCK:
        _QUEUE.append(request)
    if threading.active_count() > 1:
        # Let the GIL go: threads about to ask can queue now and share the batch. Alone, a
        # thread has nobody to wait for, and the sleep's system call is not free (80 µs here,
        # a thirtieth of one lead's call). Only sharing depends on it, never a result: a
        # thread started outside `threading` (uncounted) merely shares less often.
        time.sleep(0)
    with _TURN:
        while not request.done:  # another thread may have taken it into its batch meanwhile
            _match_queued()
    if request.error is not None:
        raise request.error
    return request.results


def _match_queued() -> None:
    """Match the requests queued now (one turn's worth), a batch per key; each request
    gets its results, or the error its leads raised (a strict run's invalid lead)."""
    with _QUEUE_LOCK:
        taken = [_QUEUE.popleft()]
        total = len(taken[0].items)
        while _QUEUE and total + len(_QUEUE[0].items) <= TURN_LEADS:
            total += len(_QUEUE[0].items)
            taken.append(_QUEUE.popleft())
    groups: dict[_Key, list[_Request]] = {}
    for request in taken:
        groups.setdefault(request.key(), []).append(request)
    try:
        for group in groups.values():
            _match_group(group)
    finally:  # interrupted (Ctrl-C): no request is left waiting forever
        for request in taken:
            if not request.done:
                request.error = request.error or RuntimeError("matching was interrupted")
                request.done = True


def _match_group(group: list[_Request]) -> None:
    """Requests of one key matched as one batch, each validated on its own (its positions,
    its strict-mode error), their results handed back in their order."""
    view = group[0].view
    valid: list[Lead | None] = []
    ids: list[str] = []
    errors: list[str | None] = []
    sizes: list[tuple[_Request, int]] = []
    for request in group:
        try:
            found = validate_leads(request.items, strict=view.config.strict, offset=request.offset)
        except Exception as exc:  # the asking thread raises it
            request.error, request.done = exc, True
            continue
        valid += found[0]
        ids += found[1]
        errors += found[2]
        sizes.append((request, len(found[0])))
    if not sizes:
        return
    try:
        results = _decided(view, valid, ids, errors, group[0].rows).results
    except Exception as exc:  # each asking thread raises it
        for request, _ in sizes:
            request.error, request.done = exc, True
        return
    start = 0
    for request, size in sizes:
        request.results, request.done = results[start : start + size], True
        start += size


class Scored(NamedTuple):
    """Leads matched, with what matching computed on the way to their results."""

    results: list[Any]
    valid: list[Lead | None]
    errors: list[str | None]
    batch: LeadBatch
    features: features.Features
    scores: scoring.Scores


def match_scored(index: IndexView, items: Sequence[Lead | Mapping[str, Any]]) -> Scored:
    """:func:`match_records` of a few leads (one turn), keeping the candidate pairs' features
    and scores: what an explanation reads beside the results."""
    with _TURN:
        return _records(index, items, 0, False)


def _records(
    index: IndexView, items: Sequence[Lead | Mapping[str, Any]], offset: int, rows: bool
) -> Scored:
    valid, ids, errors = validate_leads(items, strict=index.config.strict, offset=offset)
    return _decided(index, valid, ids, errors, rows)


def _decided(
    index: IndexView,
    valid: list[Lead | None],
    ids: list[str],
    errors: list[str | None],
    rows: bool,
) -> Scored:
    """Validated leads matched: the results, with what was computed on the way."""
    config = index.config
    batch, feats, scores = _scored(index, valid, config)
    decided = resolve(index, feats, scores, len(valid), config)
    out = assemble(index, batch, feats, scores, decided, ids, errors, rows)
    if index.labels:
        own_ids = [None if lead is None else lead.lead_id for lead in valid]
        out = with_labels(index, _found(index.labels, own_ids, batch), out, rows, False)
    return Scored(out, valid, errors, batch, feats, scores)


def _found(
    book: LabelBook, own_ids: Sequence[str | None], batch: LeadBatch
) -> list[tuple[Label, str] | None]:
    """Per lead, its label and what found it (``None`` for none, and for an unusable row),
    from the keys the batch holds already (``own_ids``: the leads' own ids, not positions)."""
    return [
        book.find_keys(own, batch.email[i], batch.name[i].ascii, batch.company_domains[i])
        if batch.usable[i]
        else None
        for i, own in enumerate(own_ids)
    ]


def _scored(
    index: IndexView, valid: Sequence[Lead | None], config: MatchConfig
) -> tuple[Any, features.Features, scoring.Scores]:
    """Validated leads prepared, blocked, compared and scored: all but the decision."""
    batch = prepare(valid)
    return (batch, *_scored_batch(index, batch, config))


def _scored_batch(
    index: IndexView, batch: LeadBatch, config: MatchConfig
) -> tuple[features.Features, scoring.Scores]:
    ids = blocking.batch_ids(index, batch)
    lead_rows, name_rows, bits = blocking.candidates(index, batch, ids, config)
    feats = features.compute(index, batch, ids, lead_rows, name_rows, bits)
    group = index.lookups.group[feats.account]
    return feats, scoring.score(feats, config.weights, group)


def scored_batches(
    index: IndexView, leads: Sequence[Lead | Mapping[str, Any]], config: MatchConfig
) -> Iterator[tuple[Sequence[str], features.Features, scoring.Scores, int]]:
    """Per batch of :data:`SCORED_BATCH` leads: their ids, the features and scores of their
    candidate pairs, and how many leads the batch had: what matching computes before it
    decides (fitting and proposals read it)."""
    for start in range(0, len(leads), SCORED_BATCH):
        valid, ids, _ = validate_leads(leads[start : start + SCORED_BATCH], strict=False)
        _, feats, scores = _scored(index, valid, config)
        yield ids, feats, scores, len(valid)
