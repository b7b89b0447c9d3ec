"""The columns of an index after a large change: some accounts dropped, new ones appended,
for :func:`~leadmatch.tables.lookups.derive` to derive every table from (a small change edits the
tables instead: :mod:`leadmatch.tables.edit_in_place`).

An update normalizes only the accounts it is given (into a small
:class:`~leadmatch.index.IndexData` of their own, by the build's own code) and joins that to the
kept rows of the current columns: strings are gathered as bytes, token and domain vocabularies
are merged through the index's hash tables and then stripped of entries no name or account uses
any more, and parent links are resolved again for the rows that name a parent id the change
added or removed. The result is what a build from the final accounts would hold, rows in
another order (the tables derived from it do not depend on row order).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from leadmatch._util.arrays import BoolArray, IntArray, expand, offsets
from leadmatch._util.keys import KeyTable
from leadmatch._util.strings import StringColumn
from leadmatch.tables.data import IndexData
from leadmatch.tables.lookups import Lookups, RowKeys, vocab_ids


class _Vocab:
    """An old vocabulary, the strings of a new one that it lacks, and which of all are used."""

    def __init__(self, old: StringColumn, table: KeyTable, new: StringColumn) -> None:
        ids = vocab_ids(table, old, new.tolist())
        self.n_old = len(old)
        self.added = np.flatnonzero(ids < 0)
        ids[self.added] = self.n_old + np.arange(len(self.added), dtype=np.int64)
        self.of_new = ids
        """Merged id of each new-vocabulary entry."""

    def compact(self, ids: IntArray) -> tuple[IntArray, BoolArray, IntArray]:
        """``ids`` renumbered over the used entries only, which old entries are used, and
        which added ones (as positions in the new vocabulary)."""
        used = np.bincount(ids, minlength=self.n_old + len(self.added)) > 0
        final = np.cumsum(used) - 1
        return final[ids], used[: self.n_old], self.added[used[self.n_old :]]


def _csr_take(ptr: IntArray, values: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Per-row counts and the values of ``rows`` of a CSR array."""
    _, position = expand(ptr, rows)
    return ptr[rows + 1] - ptr[rows], values[position]


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
    n_kept = len(kept)
    kept_names = np.flatnonzero(keep[old.name_owner])
    new_names = np.arange(len(new.name_owner), dtype=np.int64)

    def join(
        old_column: StringColumn, old_rows: IntArray, new_column: StringColumn
    ) -> StringColumn:
        return StringColumn.gathered(
            [(old_column, old_rows), (new_column, np.arange(len(new_column), dtype=np.int64))]
        )

    # Tokens: old ids for kept names, merged ids for new ones, then only the used ones.
    tokens = _Vocab(old.tokens, lookups.token_table, new.tokens)
    kept_counts, kept_tok = _csr_take(old.name_tok_ptr, old.name_tok_ids, kept_names)
    tok_ids, old_used, new_used = tokens.compact(
        np.concatenate([kept_tok, tokens.of_new[new.name_tok_ids]])
    )
    token_column = StringColumn.gathered(
        [(old.tokens, np.flatnonzero(old_used)), (new.tokens, new_used)]
    )

    domains = _Vocab(old.domains, lookups.domain_table, new.domains)
    kept_dom_counts, kept_dom = _csr_take(old.domain_ptr, old.domain_ids, kept)
    dom_ids, old_dom_used, new_dom_used = domains.compact(
        np.concatenate([kept_dom, domains.of_new[new.domain_ids]])
    )
    old_dom_rows = np.flatnonzero(old_dom_used)

    # Parent links: kept rows keep theirs unless the parent left; then every row that names a
    # parent it is not linked to looks it up again (among the kept and the new accounts).
    row_after = np.full(len(keep), -1, dtype=np.int64)
    row_after[kept] = np.arange(n_kept, dtype=np.int64)
    old_parent = old.parent_row[kept]
    parent_row = np.concatenate(
        [
            np.where(old_parent >= 0, row_after[np.maximum(old_parent, 0)], -1),
            np.where(new.parent_row >= 0, new.parent_row + n_kept, -1),
        ]
    )
    parent_id = join(old.parent_id, kept, new.parent_id)
    named = parent_id.filled()
    new_row_of = {value: n_kept + row for row, value in enumerate(new.account_id)}
    for row in np.flatnonzero(named & (parent_row < 0)).tolist():
        wanted = parent_id[row]
        found = new_row_of.get(wanted)
        if found is None:
            before = row_of_id(wanted)
            found = -1 if before is None else int(row_after[before])
        parent_row[row] = found

    n_fields = len(old.field_names)
    field_rows = (kept[:, None] * n_fields + np.arange(n_fields, dtype=np.int64)).reshape(-1)
    data = IndexData(
        account_id=join(old.account_id, kept, new.account_id),
        display_name=join(old.display_name, kept, new.display_name),
        country=join(old.country, kept, new.country),
        city=join(old.city, kept, new.city),
        phone=join(old.phone, kept, new.phone),
        parent_row=parent_row,
        parent_id=parent_id,
        domain_ptr=offsets(np.concatenate([kept_dom_counts, np.diff(new.domain_ptr)])),
        domain_ids=dom_ids,
        domains=StringColumn.gathered([(old.domains, old_dom_rows), (new.domains, new_dom_used)]),
        brands=StringColumn.gathered([(old.brands, old_dom_rows), (new.brands, new_dom_used)]),
        name_owner=np.concatenate([row_after[old.name_owner[kept_names]], new.name_owner + n_kept]),
        name_raw=join(old.name_raw, kept_names, new.name_raw),
        name_ascii=join(old.name_ascii, kept_names, new.name_ascii),
        name_legal=join(old.name_legal, kept_names, new.name_legal),
        name_acronym=join(old.name_acronym, kept_names, new.name_acronym),
        name_lossy=np.concatenate([old.name_lossy[kept_names], new.name_lossy[new_names]]),
        name_tok_ptr=offsets(np.concatenate([kept_counts, np.diff(new.name_tok_ptr)])),
        name_tok_ids=tok_ids,
        tokens=token_column,
        field_names=old.field_names,
        field_values=join(old.field_values, field_rows, new.field_values),
    )
    keys = RowKeys.taken(
        lookups,
        (kept, kept_names, old_dom_rows, np.flatnonzero(old_used)),
        RowKeys.of(new),
        (new_dom_used, new_used),
    )
    return data, keys
