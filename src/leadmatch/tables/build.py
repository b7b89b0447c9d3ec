"""Account records to an index's columns: a chunk of records at a time prepared into columns
of its own (maybe in worker processes), then ids checked and the chunk's columns appended, its
domains and name words numbered as the whole's, in order, in this process."""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from typing import Any

import numpy as np

from leadmatch._util.arrays import offsets
from leadmatch._util.processes import chunked
from leadmatch._util.strings import StringColumn
from leadmatch.errors import InvalidAccountError
from leadmatch.models import Account
from leadmatch.normalize import field_values, prepared_or_reason
from leadmatch.tables.data import IndexData
from leadmatch.tables.lookups import RowValues, joined_rows, row_values

log = logging.getLogger("leadmatch")


#: Records prepared at a time (a worker process's task, with ``workers > 1``).
CHUNK = 10_000


def build_data(
    accounts: Iterable[Mapping[str, Any] | Account],
    strict: bool,
    workers: int = 1,
    fields: Sequence[str] = (),
    *,
    whole: bool = True,
    sources: list[int] | None = None,
    repeated: list[str] | None = None,
    rows: list[RowValues] | None = None,
) -> IndexData:
    """Columns of ``accounts``; ``whole`` when they are all the accounts (not an update's part,
    whose parents may be in the index: those are linked by :func:`leadmatch.tables.rebuild.merged`).
    ``sources`` receives the position in ``accounts`` of each account kept, ``repeated``
    the ids given more than once (the first record of an id is kept), ``rows`` the columns'
    :func:`~leadmatch.tables.lookups.row_values` (for :func:`~leadmatch.tables.derive`).

    Records are prepared a chunk at a time into columns of their own (see :func:`part_of`), in
    worker processes with ``workers > 1``; here the chunks' ids are checked and their columns
    appended, in order."""
    columns = _Columns()
    seen: set[str] = set()
    problems = 0
    start = 0
    for size, part in chunked(part_of, accounts, workers, CHUNK, tuple(fields)):
        refused = [
            (position, f"account record {start + position} cannot be used: {reason}", "skipped")
            for position, reason in part.unusable
        ]
        repeats = _repeats(part.ids, seen)
        for k in repeats:
            if repeated is not None:
                repeated.append(part.ids[k])
            message = f"account_id {part.ids[k]!r} appears more than once"
            refused.append((part.positions[k], message, "the first record is kept"))
        for _, message, outcome in sorted(refused):
            _refuse(message, strict, outcome)
        problems += len(refused)
        if repeats:
            part = part.without(repeats)
        if sources is not None:
            sources.extend(start + position for position in part.positions)
        columns.merge(part)
        start += size
    if problems:
        log.warning("%d account record(s) were not indexed; see the warnings above", problems)
    if rows is not None:
        rows.append(joined_rows(columns.rows))
    return columns.data(fields, whole)


def part_of(records: list[Any], fields: tuple[str, ...]) -> _Columns:
    """The columns of a chunk of records, with domains and name words numbered within it (in
    the order first seen), and the reason for each record that cannot be used. Worker
    processes run this; :meth:`_Columns.merge` appends it to the whole."""
    part = _Columns()
    for position, record in enumerate(records):
        account = prepared_or_reason(record)
        if isinstance(account, str):
            part.unusable.append((position, account))
            continue
        part.positions.append(position)
        part.add(account, field_values(record, fields))
    part.rows.append(part.row_values())
    return part


def _repeats(ids: list[str], seen: set[str]) -> list[int]:
    """Which of ``ids`` were ``seen`` before (or earlier in ``ids``); the others join ``seen``."""
    if seen.isdisjoint(ids) and len(set(ids)) == len(ids):  # most chunks
        seen.update(ids)
        return []
    repeats: list[int] = []
    for k, account_id in enumerate(ids):
        if account_id in seen:
            repeats.append(k)
        else:
            seen.add(account_id)
    return repeats


def _refuse(message: str, strict: bool, outcome: str) -> None:
    """Raise for an unusable record when ``strict``, else log it and what became of it."""
    if strict:
        raise InvalidAccountError(message)
    log.warning("%s; %s", message, outcome)


class _Columns:
    """The columns of the accounts kept so far, as lists: domains and name words are interned
    in the order they come, so that equal accounts make equal columns. A chunk's columns
    (:func:`part_of`) also hold where in the chunk each account was and why the records left
    out could not be used."""

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.unusable: list[tuple[int, str]] = []
        self.rows: list[RowValues] = []  # a chunk's own, or each chunk's appended so far
        self.ids: list[str] = []
        self.display: list[str] = []
        self.country: list[str] = []
        self.city: list[str] = []
        self.phone: list[str] = []
        self.parents: list[str | None] = []
        self.domain_counts: list[int] = []
        self.domain_ids: list[int] = []
        self.brands: list[str] = []
        self.domain_vocab: dict[str, int] = {}
        self.name_owner: list[int] = []
        self.name_raw: list[str] = []
        self.name_ascii: list[str] = []
        self.name_legal: list[str] = []
        self.name_acronym: list[str] = []
        self.name_lossy: list[bool] = []
        self.tok_counts: list[int] = []
        self.tok_ids: list[int] = []
        self.token_vocab: dict[str, int] = {}
        self.field_values: list[str] = []

    def add(self, account: Sequence[Any], values: tuple[str, ...]) -> None:
        """One prepared account (a :class:`PreparedAccount`, or a plain tuple read by the same
        positions) and its extra fields' values."""
        account_id, display_name, country_key, city_key, phone_key_, parent_id, keys, names = (
            account
        )
        self.field_values.extend(values)
        row = len(self.ids)
        self.ids.append(account_id)
        self.display.append(display_name)
        self.country.append(country_key)
        self.city.append(city_key)
        self.phone.append(phone_key_)
        self.parents.append(parent_id)
        # Keys are DomainKeys, or plain tuples in the same order from worker processes.
        # Interned in the order first seen (a dict keeps it): a new value gets the next id.
        vocab = self.domain_vocab
        new_ids = [vocab.setdefault(key[0], len(vocab)) for key in keys]
        for key, idx in zip(keys, new_ids):
            if idx == len(self.brands):
                self.brands.append(key[1])
        self.domain_ids.extend(new_ids)
        self.domain_counts.append(len(new_ids))
        for raw, ascii_name, legal, acronym, lossy in names:
            self.name_owner.append(row)
            self.name_raw.append(raw)
            self.name_ascii.append(ascii_name)
            self.name_legal.append(legal)
            self.name_acronym.append(acronym)
            self.name_lossy.append(lossy)
            distinct = list(dict.fromkeys(ascii_name.split()))
            vocab = self.token_vocab
            self.tok_ids.extend([vocab.setdefault(t, len(vocab)) for t in distinct])
            self.tok_counts.append(len(distinct))

    def merge(self, part: _Columns) -> None:
        """Append ``part``'s accounts; its domains and words new to these columns get the next
        ids, in the order the part first saw them (as adding its accounts one by one would)."""
        rows = len(self.ids)
        pairs: tuple[tuple[list[Any], list[Any]], ...] = (
            (self.ids, part.ids), (self.display, part.display), (self.country, part.country),
            (self.city, part.city), (self.phone, part.phone), (self.parents, part.parents),
            (self.domain_counts, part.domain_counts), (self.name_raw, part.name_raw),
            (self.name_ascii, part.name_ascii), (self.name_legal, part.name_legal),
            (self.name_acronym, part.name_acronym), (self.name_lossy, part.name_lossy),
            (self.tok_counts, part.tok_counts), (self.field_values, part.field_values),
        )  # fmt: skip
        for mine, theirs in pairs:
            mine.extend(theirs)
        known = len(self.brands)
        domain_ids = _interned(self.domain_vocab, part.domain_vocab)
        self.brands.extend(b for d, b in zip(domain_ids, part.brands) if d >= known)
        self.domain_ids.extend(map(domain_ids.__getitem__, part.domain_ids))
        self.name_owner.extend(rows + owner for owner in part.name_owner)
        token_ids = _interned(self.token_vocab, part.token_vocab)
        self.tok_ids.extend(map(token_ids.__getitem__, part.tok_ids))
        self.rows.extend(part.rows)

    def row_values(self) -> RowValues:
        """The keys of these accounts' and names' own values."""
        return row_values(self.country, self.city, self.phone,
                          self.name_ascii, self.name_legal, self.name_acronym)  # fmt: skip

    def without(self, rows: list[int]) -> _Columns:
        """These columns less the accounts at ``rows``, added again from the others: domains
        and words are then numbered as if those accounts had never come."""
        part = _Columns()
        dropped = set(rows)
        domains, brands = list(self.domain_vocab), self.brands
        domain_ptr = list(accumulate(self.domain_counts, initial=0))
        name_ptr = [bisect_left(self.name_owner, k) for k in range(len(self.ids) + 1)]
        width = len(self.field_values) // max(len(self.ids), 1)
        for k in range(len(self.ids)):
            if k in dropped:
                continue
            held = self.domain_ids[domain_ptr[k] : domain_ptr[k + 1]]
            keys = [(domains[d], brands[d]) for d in held]
            names = [
                (self.name_raw[n], self.name_ascii[n], self.name_legal[n],
                 self.name_acronym[n], self.name_lossy[n])
                for n in range(name_ptr[k], name_ptr[k + 1])
            ]  # fmt: skip
            account = (self.ids[k], self.display[k], self.country[k], self.city[k],
                       self.phone[k], self.parents[k], keys, names)  # fmt: skip
            part.positions.append(self.positions[k])
            part.add(account, tuple(self.field_values[k * width : (k + 1) * width]))
        part.rows.append(part.row_values())
        return part

    def data(self, fields: Sequence[str], whole: bool) -> IndexData:
        """The columns, parents linked to the accounts named (see :func:`build_data`)."""
        parents = self.parents
        row_of = {value: row for row, value in enumerate(self.ids)}
        parent_row = np.array([row_of.get(p, -1) if p else -1 for p in parents], dtype=np.int64)
        dangling = sum(1 for p in parents if p and p not in row_of)
        if dangling and whole:
            log.warning("%d account(s) name a parent_id that is not an account; ignored", dangling)
        text = StringColumn.from_list
        return IndexData(
            account_id=text(self.ids),
            display_name=text(self.display),
            country=text(self.country),
            city=text(self.city),
            phone=text(self.phone),
            parent_row=parent_row,
            parent_id=text([p or "" for p in parents]),
            domain_ptr=offsets(np.array(self.domain_counts, dtype=np.int64)),
            domain_ids=np.array(self.domain_ids, dtype=np.int64),
            domains=text(list(self.domain_vocab)),
            brands=text(self.brands),
            name_owner=np.array(self.name_owner, dtype=np.int64),
            name_raw=text(self.name_raw),
            name_ascii=text(self.name_ascii),
            name_legal=text(self.name_legal),
            name_acronym=text(self.name_acronym),
            name_lossy=np.array(self.name_lossy, dtype=bool),
            name_tok_ptr=offsets(np.array(self.tok_counts, dtype=np.int64)),
            name_tok_ids=np.array(self.tok_ids, dtype=np.int64),
            tokens=text(list(self.token_vocab)),
            field_names=text(list(fields)),
            field_values=text(self.field_values),
        )


def _interned(vocab: dict[str, int], values: Iterable[str]) -> list[int]:
    """The id of each of ``values`` in ``vocab``, those it lacks added with the next ids."""
    return [vocab.setdefault(value, len(vocab)) for value in values]
