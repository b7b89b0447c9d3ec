"""Account records to an index's columns: each record prepared (maybe in worker processes),
then ids checked and domains and name words interned, in order, in this process."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from leadmatch._util.arrays import offsets
from leadmatch._util.strings import StringColumn
from leadmatch.errors import InvalidAccountError
from leadmatch.models import Account
from leadmatch.normalize import PreparedAccount, field_values, prepare_all
from leadmatch.tables.data import IndexData

log = logging.getLogger("leadmatch")


def build_data(
    accounts: Iterable[Mapping[str, Any] | Account],
    strict: bool,
    workers: int = 1,
    fields: Sequence[str] = (),
    *,
    whole: bool = True,
    sources: list[int] | None = None,
    repeated: list[str] | None = None,
) -> IndexData:
    """Columns of ``accounts``; ``whole`` when they are all the accounts (not an update's part,
    whose parents may be in the index: those are linked by :func:`leadmatch.tables.rebuild.merged`).
    ``sources`` receives the position in ``accounts`` of each account kept, ``repeated``
    the ids given more than once (the first record of an id is kept)."""
    columns = _Columns()
    seen: set[str] = set()
    problems = 0
    for position, (account, values) in enumerate(_prepared(accounts, workers, fields)):
        if isinstance(account, str):
            problems += 1
            _refuse(f"account record {position} cannot be used: {account}", strict, "%s; skipped")
            continue
        account_id = account[0]
        if account_id in seen:
            problems += 1
            if repeated is not None:
                repeated.append(account_id)
            message = f"account_id {account_id!r} appears more than once"
            _refuse(message, strict, "%s; the first record is kept")
            continue
        seen.add(account_id)
        if sources is not None:
            sources.append(position)
        columns.add(account, values)
    if problems:
        log.warning("%d account record(s) were not indexed; see the warnings above", problems)
    return columns.data(fields, whole)


def _prepared(
    accounts: Iterable[Any], workers: int, fields: Sequence[str]
) -> Iterator[tuple[PreparedAccount | str, tuple[str, ...]]]:
    """Each record prepared (see :func:`prepare_all`), with its values of the extra
    ``fields``: read here as records go to be prepared (in order, maybe in workers), and
    taken back as each prepared record comes out."""
    if not fields:
        for account in prepare_all(accounts, workers):
            yield account, ()
        return
    pending: deque[tuple[str, ...]] = deque()

    def tapped() -> Iterator[Any]:
        for record in accounts:
            pending.append(field_values(record, fields))
            yield record

    for account in prepare_all(tapped(), workers):
        yield account, pending.popleft()


def _refuse(message: str, strict: bool, logged: str) -> None:
    """Raise for an unusable record when ``strict``, else log it (``logged`` formats it)."""
    if strict:
        raise InvalidAccountError(message)
    log.warning(logged, message)


class _Columns:
    """The columns of the accounts kept so far, as lists: domains and name words are interned
    in the order they come, so that equal accounts make equal columns."""

    def __init__(self) -> None:
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

    def add(self, account: PreparedAccount, values: tuple[str, ...]) -> None:
        """One prepared account (a plain tuple, by position) and its extra fields' values."""
        account_id, display_name, country_key, city_key, phone_key_, parent_id, keys, names = (
            account  # by position: worker processes send plain tuples
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
