"""The columns of an index after a large change: some accounts dropped, new ones appended,
for :func:`~leadmatch.tables.lookups.derive` to derive every table from (a small change edits
the tables instead: :mod:`leadmatch.tables.edit_in_place`).

An update normalizes only the accounts it is given (into a small
:class:`~leadmatch.tables.data.IndexData` of their own, by the build's own code) and joins that
to the kept rows of the current columns: strings are gathered as bytes, token and domain
vocabularies are merged through the index's hash tables and then stripped of entries no name or
account uses any more, and parent links are resolved again for the rows that name a parent id
the change added or removed. The result is what a build from the final accounts would hold, rows
in another order (the tables derived from it do not depend on row order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from leadmatch._util.arrays import BoolArray, IntArray, expand, offsets
from leadmatch._util.keys import KeyTable
from leadmatch._util.strings import StringColumn
from leadmatch.tables.data import IndexData
from leadmatch.tables.lookups import Lookups, RowKeys, merged_ids


class _Merged(NamedTuple):
    """Rows' vocabulary ids after a merge (:func:`_merged_vocab`): per-row ``counts`` and the
    ``ids``, numbered over the entries still used; and which entries those are."""

    counts: IntArray
    ids: IntArray
    old_used: IntArray
    """Positions in the old vocabulary."""
    new_used: IntArray
    """Positions in the new vocabulary."""


def _merged_vocab(
    table: KeyTable,
    old: tuple[StringColumn, IntArray, IntArray],
    kept: IntArray,
    new: tuple[StringColumn, IntArray, IntArray],
) -> _Merged:
    """The ids of the ``kept`` rows of ``old`` (a vocabulary, and per-row ``ptr`` and ``ids``
    of it), then those of every row of ``new``, over the two vocabularies merged through
    ``table`` (the old one's hashes), with the entries no row uses any more dropped."""
    (old_vocab, old_ptr, old_ids), (new_vocab, new_ptr, new_ids) = old, new
    of_new, added = merged_ids(table, old_vocab, new_vocab)
    _, position = expand(old_ptr, kept)
    ids = np.concatenate([old_ids[position], of_new[new_ids]])
    n_old = len(old_vocab)
    used = np.bincount(ids, minlength=n_old + len(added)) > 0
    final = np.cumsum(used) - 1
    counts = np.concatenate([old_ptr[kept + 1] - old_ptr[kept], np.diff(new_ptr)])
    return _Merged(counts, final[ids], np.flatnonzero(used[:n_old]), added[used[n_old:]])


def _join(old_column: StringColumn, old_rows: IntArray, new_column: StringColumn) -> StringColumn:
    """``old_column``'s ``old_rows``, then every value of ``new_column``."""
    return StringColumn.gathered(
        [(old_column, old_rows), (new_column, np.arange(len(new_column), dtype=np.int64))]
    )


def merged(
    old: IndexData,
    lookups: Lookups,
    keep: BoolArray,
    new: IndexData,
    row_of_id: Callable[[str], int | None],
) -> tuple[IndexData, RowKeys]:
    """The accounts of ``old`` where ``keep``, then those of ``new`` (whose ids are not kept),
    with their row keys (the kept rows' taken from ``lookups``, ``old``'s tables).

    ``row_of_id`` gives an id's row in ``old``.
    """
    kept = np.flatnonzero(keep)
    kept_names = np.flatnonzero(keep[old.name_owner])
    # Words and domains: old ids for kept rows, merged ids for new ones, then only the used.
    tokens = _merged_vocab(
        lookups.token_table,
        (old.tokens, old.name_tok_ptr, old.name_tok_ids),
        kept_names,
        (new.tokens, new.name_tok_ptr, new.name_tok_ids),
    )
    domains = _merged_vocab(
        lookups.domain_table,
        (old.domains, old.domain_ptr, old.domain_ids),
        kept,
        (new.domains, new.domain_ptr, new.domain_ids),
    )
    row_after = np.full(len(keep), -1, dtype=np.int64)
    row_after[kept] = np.arange(len(kept), dtype=np.int64)
    data = _joined(old, new, kept, kept_names, row_after, tokens, domains, row_of_id)
    keys = RowKeys.taken(
        lookups,
        (kept, kept_names, domains.old_used, tokens.old_used),
        RowKeys.of(new),
        (domains.new_used, tokens.new_used),
    )
    return data, keys


def _parent_rows(
    old: IndexData,
    new: IndexData,
    kept: IntArray,
    row_after: IntArray,
    parent_id: StringColumn,
    row_of_id: Callable[[str], int | None],
) -> IntArray:
    """Parent links: kept rows keep theirs unless the parent left; then every row that names
    a parent it is not linked to looks it up again (among the kept and the new accounts)."""
    n_kept = len(kept)
    old_parent = old.parent_row[kept]
    parent_row = np.concatenate(
        [
            np.where(old_parent >= 0, row_after[np.maximum(old_parent, 0)], -1),
            np.where(new.parent_row >= 0, new.parent_row + n_kept, -1),
        ]
    )
    named = parent_id.filled()
    new_row_of = {value: n_kept + row for row, value in enumerate(new.account_id)}
    for row in np.flatnonzero(named & (parent_row < 0)).tolist():
        wanted = parent_id[row]
        found = new_row_of.get(wanted)
        if found is None:
            before = row_of_id(wanted)
            found = -1 if before is None else int(row_after[before])
        parent_row[row] = found
    return parent_row


def _joined(
    old: IndexData,
    new: IndexData,
    kept: IntArray,
    kept_names: IntArray,
    row_after: IntArray,
    tokens: _Merged,
    domains: _Merged,
    row_of_id: Callable[[str], int | None],
) -> IndexData:
    """The columns of ``old``'s ``kept`` rows (``kept_names`` their names; ``row_after``, each
    old row's row after) then of ``new``'s, over the merged vocabularies."""
    n_kept, n_fields = len(kept), len(old.field_names)
    field_rows = (kept[:, None] * n_fields + np.arange(n_fields, dtype=np.int64)).reshape(-1)
    new_names = np.arange(len(new.name_owner), dtype=np.int64)
    parent_id = _join(old.parent_id, kept, new.parent_id)
    return IndexData(
        account_id=_join(old.account_id, kept, new.account_id),
        display_name=_join(old.display_name, kept, new.display_name),
        country=_join(old.country, kept, new.country),
        city=_join(old.city, kept, new.city),
        phone=_join(old.phone, kept, new.phone),
        parent_row=_parent_rows(old, new, kept, row_after, parent_id, row_of_id),
        parent_id=parent_id,
        domain_ptr=offsets(domains.counts),
        domain_ids=domains.ids,
        domains=StringColumn.gathered(
            [(old.domains, domains.old_used), (new.domains, domains.new_used)]
        ),
        brands=StringColumn.gathered(
            [(old.brands, domains.old_used), (new.brands, domains.new_used)]
        ),
        name_owner=np.concatenate([row_after[old.name_owner[kept_names]], new.name_owner + n_kept]),
        name_raw=_join(old.name_raw, kept_names, new.name_raw),
        name_ascii=_join(old.name_ascii, kept_names, new.name_ascii),
        name_legal=_join(old.name_legal, kept_names, new.name_legal),
        name_acronym=_join(old.name_acronym, kept_names, new.name_acronym),
        name_lossy=np.concatenate([old.name_lossy[kept_names], new.name_lossy[new_names]]),
        name_tok_ptr=offsets(tokens.counts),
        name_tok_ids=tokens.ids,
        tokens=StringColumn.gathered(
            [(old.tokens, tokens.old_used), (new.tokens, tokens.new_used)]
        ),
        field_names=old.field_names,
        field_values=_join(old.field_values, field_rows, new.field_values),
    )
