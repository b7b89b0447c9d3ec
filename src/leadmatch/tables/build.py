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
from leadmatch.normalize.accounts import field_values, prepare_all
from leadmatch.tables.data import IndexData

log = logging.getLogger("leadmatch")


def _interned(values: Iterable[str], vocab: dict[str, int], strings: list[str]) -> list[int]:
    out = []
    for value in values:
        idx = vocab.get(value)
        if idx is None:
            idx = vocab[value] = len(strings)
            strings.append(value)
        out.append(idx)
    return out


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
    ids: list[str] = []
    display: list[str] = []
    country: list[str] = []
    city: list[str] = []
    phone: list[str] = []
    parents: list[str | None] = []
    domain_counts: list[int] = []
    domain_ids: list[int] = []
    domains: list[str] = []
    brands: list[str] = []
    domain_vocab: dict[str, int] = {}
    name_owner: list[int] = []
    name_raw: list[str] = []
    name_ascii: list[str] = []
    name_legal: list[str] = []
    name_acronym: list[str] = []
    name_lossy: list[bool] = []
    tok_counts: list[int] = []
    tok_ids: list[int] = []
    tokens: list[str] = []
    token_vocab: dict[str, int] = {}
    seen: set[str] = set()
    problems = 0
    values_of_fields: list[str] = []
    # Extra fields are read here as records go to be prepared (in order, maybe in workers),
    # and taken back as each prepared record comes out.
    pending: deque[tuple[str, ...]] = deque()

    def tapped() -> Iterator[Any]:
        for record in accounts:
            pending.append(field_values(record, fields))
            yield record

    no_fields: tuple[str, ...] = ()
    source = tapped() if fields else accounts
    for position, account in enumerate(prepare_all(source, workers)):
        values = pending.popleft() if fields else no_fields
        if isinstance(account, str):
            problems += 1
            message = f"account record {position} cannot be used: {account}"
            if strict:
                raise InvalidAccountError(message)
            log.warning("%s; skipped", message)
            continue
        account_id, display_name, country_key, city_key, phone_key_, parent_id, keys, names = (
            account  # by position: worker processes send plain tuples
        )
        if account_id in seen:
            problems += 1
            if repeated is not None:
                repeated.append(account_id)
            message = f"account_id {account_id!r} appears more than once"
            if strict:
                raise InvalidAccountError(message)
            log.warning("%s; the first record is kept", message)
            continue
        seen.add(account_id)
        if sources is not None:
            sources.append(position)
        values_of_fields.extend(values)
        row = len(ids)
        ids.append(account_id)
        display.append(display_name)
        country.append(country_key)
        city.append(city_key)
        phone.append(phone_key_)
        parents.append(parent_id)
        new_ids = _interned((domain for domain, _ in keys), domain_vocab, domains)
        for (_, brand), idx in zip(keys, new_ids):
            if idx == len(brands):
                brands.append(brand)
        domain_ids.extend(new_ids)
        domain_counts.append(len(new_ids))
        for raw, ascii_name, legal, acronym, lossy in names:
            name_owner.append(row)
            name_raw.append(raw)
            name_ascii.append(ascii_name)
            name_legal.append(legal)
            name_acronym.append(acronym)
            name_lossy.append(lossy)
            distinct = list(dict.fromkeys(ascii_name.split()))
            tok_ids.extend(_interned(distinct, token_vocab, tokens))
            tok_counts.append(len(distinct))

    if problems:
        log.warning("%d account record(s) were not indexed; see the warnings above", problems)
    row_of = {value: row for row, value in enumerate(ids)}
    parent_row = np.array([row_of.get(p, -1) if p else -1 for p in parents], dtype=np.int64)
    dangling = sum(1 for p in parents if p and p not in row_of)
    if dangling and whole:
        log.warning("%d account(s) name a parent_id that is not an account; ignored", dangling)
    text = StringColumn.from_list
    return IndexData(
        account_id=text(ids),
        display_name=text(display),
        country=text(country),
        city=text(city),
        phone=text(phone),
        parent_row=parent_row,
        parent_id=text([p or "" for p in parents]),
        domain_ptr=offsets(np.array(domain_counts, dtype=np.int64)),
        domain_ids=np.array(domain_ids, dtype=np.int64),
        domains=text(domains),
        brands=text(brands),
        name_owner=np.array(name_owner, dtype=np.int64),
        name_raw=text(name_raw),
        name_ascii=text(name_ascii),
        name_legal=text(name_legal),
        name_acronym=text(name_acronym),
        name_lossy=np.array(name_lossy, dtype=bool),
        name_tok_ptr=offsets(np.array(tok_counts, dtype=np.int64)),
        name_tok_ids=np.array(tok_ids, dtype=np.int64),
        tokens=text(tokens),
        field_names=text(list(fields)),
        field_values=text(values_of_fields),
    )
