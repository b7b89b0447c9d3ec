"""Changing an index's tables in place of deriving them again: an update's cost follows the
accounts it changes, not the accounts the index holds.

A removed account keeps its row (and its names theirs) but leaves every look-up table, so no
lead can reach it; new accounts, names, words and domains get rows after the last. Each table
is edited where the change touches it:

* the per-row columns grow at their end, in spare room (:class:`~leadmatch._util.buffers.Buffers`);
* a grouped table (CSR, or sorted hashes over CSR) gets the touched groups rewritten and the
  rest copied across in one pass (copy-on-write: a match still reading the old tables reads
  them unchanged to its end);
* what depends on every account (word weights, which words are common) is recomputed from
  the kept counts, which is cheap; what depends on a neighbourhood (parent chains, company
  groups, word pairs) is recomputed for that neighbourhood.

Every table then holds what :func:`~leadmatch.tables.lookups.derive` would make of the live
accounts, with rows numbered otherwise (the property test checks this against fresh builds).
Saving writes the live rows only (:func:`compacted` renumbers them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal

import numpy as np

from leadmatch._util.arrays import (
    BoolArray,
    IntArray,
    expand,
    offsets,
    rank_in_group,
)
from leadmatch._util.buffers import Buffers
from leadmatch._util.keys import EMPTY, KeyTable, U64Array, hash_keys
from leadmatch._util.strings import StringColumn
from leadmatch.tables.data import IndexData
from leadmatch.tables.lookups import (
    ID_BITS,
    MAX_HIERARCHY_DEPTH,
    AccountTables,
    BrandTables,
    DomainTables,
    Lookups,
    NameTables,
    RowKeys,
    RowValues,
    WordTables,
    ancestors,
    company_groups,
    frequent_words,
    generic_words,
    merged_ids,
    pair_rows,
    per_value,
    typo_variants_of,
    word_weights,
)

#: Bits of a row below its sort rank in one int64 (rows and ranks stay below 2**31).
_ROW_BITS = 31


def incremental(changed: int, n_rows: int) -> bool:
    """Whether editing the tables beats deriving them again for a change of this many
    accounts: an edit costs about 150 µs per account changed (a Python step per group it
    touches), a derive about 3 µs per account of the index (``benchmarks/updates.py``)."""
    return changed <= max(64, n_rows // 50)


#: Removed accounts' rows are compacted away once there are more than this many of them and
#: more than a quarter of all rows (so that memory does not grow with churn).
COMPACT_AT = 1024


def worth_compacting(n_rows: int, n_accounts: int) -> bool:
    """Whether the rows removals left behind are enough to compact before the next change."""
    return n_rows - n_accounts > max(COMPACT_AT, n_rows // 4)


class Ids(Mapping[str, int]):
    """Account id -> row: a dictionary shared by versions, and the changes since it was made
    (an id mapped to ``-1`` was removed). Changes are folded in now and then, so a look-up
    stays two dictionary reads and a change does not copy a million entries."""

    __slots__ = ("_base", "_changes", "_size")

    def __init__(self, base: dict[str, int], changes: dict[str, int], size: int) -> None:
        self._base, self._changes, self._size = base, changes, size

    def changed(self, removed: Sequence[str], added: Mapping[str, int]) -> Ids:
        changes = dict(self._changes)
        changes.update(dict.fromkeys(removed, -1))
        changes.update(added)
        size = self._size - len(removed) + len(added)
        if len(changes) > max(4096, len(self._base) // 64):
            base = {**self._base, **changes}
            return Ids({k: v for k, v in base.items() if v >= 0}, {}, size)
        return Ids(self._base, changes, size)

    def __getitem__(self, key: str) -> int:
        row = self._changes.get(key)
        if row is None:
            return self._base[key]
        if row < 0:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        row = self._changes.get(key)  # type: ignore[call-overload]
        return key in self._base if row is None else row >= 0

    def __iter__(self) -> Iterator[str]:
        changes = self._changes
        yield from (k for k in self._base if k not in changes)
        yield from (k for k, v in changes.items() if v >= 0)

    def __len__(self) -> int:
        return self._size


def _by_value(values: IntArray) -> IntArray:
    """The order of a table whose values are ordered by themselves (a word's or domain's id)."""
    return values


def _packed(rank: IntArray, values: IntArray) -> IntArray:
    return (rank << _ROW_BITS) | values


def edit_groups(
    ptr: IntArray,
    values: IntArray,
    n_groups: int,
    removed: tuple[IntArray, IntArray],
    added: tuple[IntArray, IntArray],
    rank: Callable[[IntArray], IntArray],
) -> tuple[IntArray, IntArray]:
    """A CSR table with the ``removed`` (group, value) entries taken out and the ``added`` ones
    put in, each group kept in (``rank(value)``, value) order; ``n_groups`` may exceed the
    table's (new groups, empty before). Untouched groups are copied across in one pass."""
    if len(ptr) - 1 < n_groups:
        ptr = np.concatenate([ptr, np.full(n_groups + 1 - len(ptr), ptr[-1], dtype=np.int64)])
    (gone_group, gone), (new_group, new) = removed, added
    touched = np.union1d(gone_group, new_group)
    if not len(touched):
        return ptr, values
    gone_order, new_order = np.argsort(gone_group, kind="stable"), np.argsort(new_group)
    gone_group, gone = gone_group[gone_order], gone[gone_order]
    new_group, new = new_group[new_order], new[new_order]
    gone_at = np.searchsorted(gone_group, touched, side="left").tolist()
    gone_end = np.searchsorted(gone_group, touched, side="right").tolist()
    new_at = np.searchsorted(new_group, touched, side="left").tolist()
    new_end = np.searchsorted(new_group, touched, side="right").tolist()
    starts, ends = ptr[touched].tolist(), ptr[touched + 1].tolist()
    pieces, grown, last = [], [], 0
    for j in range(len(touched)):
        a, b = starts[j], ends[j]
        segment = values[a:b]
        if gone_end[j] > gone_at[j]:
            segment = segment[~np.isin(segment, gone[gone_at[j] : gone_end[j]])]
        if new_end[j] > new_at[j]:
            extra = new[new_at[j] : new_end[j]]
            extra_key = _packed(rank(extra), extra)
            extra = extra[np.argsort(extra_key, kind="stable")]
            extra_key.sort()
            at = np.searchsorted(_packed(rank(segment), segment), extra_key, side="right")
            segment = np.insert(segment, at, extra)
        pieces += [values[last:a], segment]
        grown.append(len(segment) - (b - a))
        last = b
    pieces.append(values[last:])
    return _shifted(ptr, touched + 1, grown), np.concatenate(pieces).astype(np.int64, copy=False)


def _shifted(ptr: IntArray, at: IntArray, grown: list[int]) -> IntArray:
    """``ptr`` with ``grown[j]`` added from ``at[j]`` on (``at`` ascending): one pass."""
    out: IntArray = ptr.copy()
    bounds, total = at.tolist(), 0
    for j, start in enumerate(bounds):
        total += grown[j]
        if total:
            end = bounds[j + 1] if j + 1 < len(bounds) else len(out)
            out[start:end] += total
    return out


def edit_table(
    table: KeyTable,
    removed: tuple[U64Array, IntArray],
    added: tuple[U64Array, IntArray],
    rank: Callable[[IntArray], IntArray],
) -> KeyTable:
    """:func:`edit_groups` on a table keyed by hash: hashes new to it get a group, and hashes
    left with no value leave it."""
    keys, ptr, values = table.keys, table.ptr, table.values
    (gone_hash, gone), (new_hash, new) = removed, added
    if not len(gone_hash) and not len(new_hash):
        return table
    fresh = np.unique(new_hash)
    fresh = fresh[table.slots(fresh) < 0]
    if len(fresh):
        at = keys.searchsorted(fresh)
        keys = np.insert(keys, at, fresh)
        ptr = np.insert(ptr, at, ptr[at])
    gone_slot = keys.searchsorted(gone_hash)
    ptr, values = edit_groups(
        ptr, values, len(keys), (gone_slot, gone), (keys.searchsorted(new_hash), new), rank
    )
    if len(gone_slot):
        empty = np.unique(gone_slot)
        empty = empty[ptr[empty + 1] == ptr[empty]]
        if len(empty):
            keys = np.delete(keys, empty)
            ptr = np.delete(ptr, empty)
    return KeyTable(keys, ptr, values)


def _edit_sorted(keys: IntArray, removed: IntArray, added: IntArray) -> IntArray:
    """A sorted array less ``removed`` (each present as often as it is removed: an account with
    two domains of one brand holds its brand key twice) and with ``added``, still sorted."""
    if len(removed):
        removed = np.sort(removed)
        keys = np.delete(keys, keys.searchsorted(removed) + rank_in_group(removed))
    if len(added):
        added = np.sort(added)
        keys = np.insert(keys, keys.searchsorted(added), added)
    return keys


def _entries(ptr: IntArray, values: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """Every value of ``rows`` of a CSR table, and the row it is of."""
    which, at = expand(ptr, rows)
    return values[at], rows[which]


def _first_in_groups(ptr: IntArray, rows: IntArray, groups: IntArray) -> IntArray:
    """The first row of each of ``groups`` (-1 for an empty one)."""
    start = ptr[groups]
    if not len(rows):
        return np.full(len(groups), -1, dtype=np.int64)
    return np.where(ptr[groups + 1] > start, rows[np.minimum(start, len(rows) - 1)], -1)


def _bisect(order: IntArray, value: str, text: Callable[[int], str]) -> int:
    """Where ``value`` goes in ``order`` (rows sorted by ``text(row)``)."""
    lo, hi = 0, len(order)
    while lo < hi:
        mid = (lo + hi) // 2
        if text(int(order[mid])) < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _ranked(
    rank: IntArray, order: IntArray, values: list[str], text: Callable[[int], str], first: int
) -> tuple[IntArray, IntArray]:
    """``rank`` (row -> place in text order, ``0..`` over the live rows) and ``order`` (its
    inverse: live rows in text order) with rows ``first, first + 1, ...`` of text ``values``
    put in their places."""
    if not values:
        return rank, order
    sorted_at = sorted(range(len(values)), key=values.__getitem__)
    places = np.array([_bisect(order, values[i], text) for i in sorted_at], dtype=np.int64)
    rows = first + np.array(sorted_at, dtype=np.int64)
    shifted = rank + _passed(rank, places, "right")
    shifted_places = places + np.arange(len(places))
    new_rank = np.empty(len(values), dtype=np.int64)
    new_rank[rows - first] = shifted_places
    return np.concatenate([shifted, new_rank]), np.insert(order, places, rows)


def _passed(rank: IntArray, places: IntArray, side: Literal["left", "right"]) -> IntArray:
    """How many of ``places`` (sorted) each rank is at or past (``right``) or past (``left``)."""
    if len(places) > 8:
        counts: IntArray = np.searchsorted(places, rank, side=side)
        return counts
    counts = np.zeros(len(rank), dtype=np.int64)  # a few passes beat a search per rank
    for place in places.tolist():
        counts += (rank >= place) if side == "right" else (rank > place)
    return counts


def _unranked(rank: IntArray, order: IntArray, gone: IntArray) -> tuple[IntArray, IntArray]:
    """``rank`` and ``order`` (as in :func:`_ranked`) without the rows ``gone``: the live rows'
    ranks stay ``0..`` as a build of the live accounts would number them (so that nothing
    read from them depends on the rows removals left behind). Removed rows keep stale ranks,
    which may equal a live row's: nothing reads a removed row's rank."""
    if not len(gone):
        return rank, order
    places = np.sort(rank[gone])
    lowered = rank - _passed(rank, places, "left")
    return lowered, np.delete(order, places)


class _Change:
    """One change as each table family's edit reads it: the tables before it, the part's
    accounts (normalized on their own) and where their rows, names, words and domains go."""

    def __init__(
        self, data: IndexData, lk: Lookups, gone: IntArray, part: IndexData, alive: BoolArray
    ) -> None:
        self.data, self.lk, self.gone, self.part, self.alive = data, lk, gone, part, alive
        self.keys = RowKeys.of(part)
        self.new_ids = part.account_id.tolist()
        self.new_rows = len(data.account_id) + np.arange(len(self.new_ids), dtype=np.int64)
        self.new_names = len(data.name_owner) + np.arange(len(part.name_owner), dtype=np.int64)
        # The removed accounts' names, and their domains (with the account of each).
        self.gone_names = lk.acct_name_rows[expand(lk.acct_name_ptr, gone)[1]]
        self.gone_dom, self.gone_dom_owner = _entries(data.domain_ptr, data.domain_ids, gone)
        # Vocabularies: the part's words and domains as the index's, new ones after the last.
        self.tok_map, self.new_tok = merged_ids(lk.token_table, data.tokens, part.tokens)
        self.new_tok_text = part.tokens.take(self.new_tok)
        self.dom_map, self.new_dom = merged_ids(lk.domain_table, data.domains, part.domains)
        self.brand_of_new, self.fresh_brands = _brands_of(
            lk.brand_table, lk.n_brands, self.keys.brand_hash[self.new_dom]
        )
        # The part's words (with the name of each) and domains (with the account of each).
        self.part_tok = self.tok_map[part.name_tok_ids]
        self.part_tok_name = np.repeat(self.new_names, np.diff(part.name_tok_ptr))
        self.part_dom = self.dom_map[part.domain_ids]
        self.part_dom_owner = np.repeat(self.new_rows, np.diff(part.domain_ptr))


def _brands_of(table: KeyTable, n_brand: int, hashes: U64Array) -> tuple[IntArray, U64Array]:
    """The brand of each of the new domains' brand ``hashes``, brands new to ``table`` numbered
    after its ``n_brand``; and the new brands' hashes."""
    brand_of = table.first(hashes)
    fresh, fresh_at = np.unique(hashes[brand_of < 0], return_inverse=True)
    brand_of[brand_of < 0] = n_brand + fresh_at.reshape(-1)
    return brand_of, fresh


def _rankers(
    id_rank: IntArray, name_owner: IntArray
) -> tuple[Callable[[IntArray], IntArray], Callable[[IntArray], IntArray]]:
    """The order of accounts' rows and of names' rows in grouped tables: by (owner's) id."""

    def account_rank(rows: IntArray) -> IntArray:
        ranks: IntArray = id_rank[rows]
        return ranks

    def name_rank(rows: IntArray) -> IntArray:
        ranks: IntArray = id_rank[name_owner[rows]]
        return ranks

    return account_rank, name_rank


class Editor:
    """What changing the tables in place needs beyond the tables: which rows live, rows and
    words in text order, the parent ids not yet accounts, and the growing buffers. One
    editor belongs to one index's newest version; it is made from the tables when first
    needed (about a second for a million accounts) and dropped if a change fails."""

    def __init__(self, data: IndexData, lk: Lookups, ids: Mapping[str, int]) -> None:
        self.alive = lk.live()
        live = lk.family_rows
        self.by_id = np.empty(len(live), dtype=np.int64)
        self.by_id[lk.id_rank[live]] = live  # live rows' ranks are 0.. in id order
        self.by_text = np.empty(len(lk.token_rank), dtype=np.int64)
        self.by_text[lk.token_rank] = np.arange(len(lk.token_rank), dtype=np.int64)
        self.generic = generic_words(data.tokens.objects())
        self.orphans: dict[str, list[int]] = {}
        waiting = data.parent_id.filled() & (data.parent_row < 0) & self.alive
        for row in np.flatnonzero(waiting).tolist():
            self.orphans.setdefault(data.parent_id[row], []).append(row)
        self.buffers = Buffers()
        self.ids = ids if isinstance(ids, Ids) else Ids(dict(ids), {}, len(ids))

    def change(
        self, data: IndexData, lk: Lookups, gone: IntArray, part: IndexData
    ) -> tuple[IndexData, Lookups]:
        """The tables with accounts at rows ``gone`` removed and those of ``part`` (normalized
        on their own, ids not in the index after the removal) added: each family of tables
        edited where the change touches it."""
        alive = self.buffers.extend("alive", self.alive, np.ones(len(part.account_id), dtype=bool))
        alive[gone] = False
        c = _Change(data, lk, gone, part, alive)
        id_rank, by_id, ids = self._ids(c)
        parent_row, changed = self._link_parents(c, ids)
        after = self._columns(c, parent_row)
        account_rank, name_rank = _rankers(id_rank, after.name_owner)
        domains = _domains(c, account_rank)
        brands = self._brands(c, account_rank)
        words, by_text, generic = self._words(c, after, name_rank)
        values = self._row_values(c)
        names = self._names(c, after, words, values, name_rank)
        accounts = self._accounts(c, after, id_rank, changed, domains, names, values, account_rank)
        lookups = Lookups.assembled(accounts, domains, brands, words, names, values)
        self.alive, self.by_id, self.by_text = alive, by_id, by_text
        self.generic, self.ids = generic, ids
        return after, lookups

    def _ids(self, c: _Change) -> tuple[IntArray, IntArray, Ids]:
        """The rows' places in id order after the change, the rows in that order, and the map
        from id to row."""
        old = c.data.account_id
        id_rank, by_id = _unranked(c.lk.id_rank, self.by_id, c.gone)
        # The rows in id order so far are old ones: the old column holds their ids.
        id_rank, by_id = _ranked(id_rank, by_id, c.new_ids, old.__getitem__, len(old))
        ids = self.ids.changed(old.take(c.gone), dict(zip(c.new_ids, c.new_rows.tolist())))
        return id_rank, by_id, ids

    def _columns(self, c: _Change, parent_row: IntArray) -> IndexData:
        """The accounts' own columns, grown at the end (``parent_row``: the links after)."""
        data, part, grow = c.data, c.part, self.buffers.extend
        text = {
            f.name: getattr(data, f.name).extended(getattr(part, f.name), self.buffers, f.name)
            for f in dataclasses.fields(IndexData)
            if f.name not in ("tokens", "domains", "brands", "field_names")
            and isinstance(getattr(data, f.name), type(data.account_id))
        }
        dom_ptr, tok_ptr = data.domain_ptr, data.name_tok_ptr
        return dataclasses.replace(
            data,
            **text,
            parent_row=parent_row,
            domain_ptr=grow("domain_ptr", dom_ptr, dom_ptr[-1] + part.domain_ptr[1:]),
            domain_ids=grow("domain_ids", data.domain_ids, c.part_dom),
            domains=data.domains.extended(part.domains.take(c.new_dom), self.buffers, "domains"),
            brands=data.brands.extended(part.brands.take(c.new_dom), self.buffers, "brands"),
            name_owner=grow("name_owner", data.name_owner, part.name_owner + len(data.account_id)),
            name_lossy=grow("name_lossy", data.name_lossy, part.name_lossy),
            name_tok_ptr=grow("tok_ptr", tok_ptr, tok_ptr[-1] + part.name_tok_ptr[1:]),
            name_tok_ids=grow("tok_ids", data.name_tok_ids, c.part_tok),
            tokens=data.tokens.extended(c.new_tok_text, self.buffers, "tokens"),
        )

    def _link_parents(self, c: _Change, ids: Ids) -> tuple[IntArray, IntArray]:
        """Parent rows after the change, and the rows whose link changed (new ones included):
        children of a removed account become roots, waiting for its id to come back; a new
        account links to its parent and takes in the rows that named its id."""
        data, gone, alive, new_rows = c.data, c.gone, c.alive, c.new_rows
        n_acct = len(data.parent_row)
        named = c.part.parent_id.tolist()
        links = np.array([ids.get(p, -1) if p else -1 for p in named], dtype=np.int64)
        parent_row = self.buffers.extend("parent_row", data.parent_row, links)
        changed = [new_rows]
        if len(gone):
            children = np.flatnonzero(np.isin(parent_row[:n_acct], gone) & alive[:n_acct])
            if len(children):
                parent_row = parent_row.copy()
                parent_row[children] = -1
                for child in children.tolist():
                    self.orphans.setdefault(data.parent_id[child], []).append(child)
                changed.append(children)
        relinked = []
        for row, account_id in zip(new_rows.tolist(), c.new_ids):
            waiting = self.orphans.pop(account_id, None)
            if waiting:
                relinked += [(w, row) for w in waiting if alive[w] and parent_row[w] < 0]
        if relinked:
            if parent_row.base is not None:  # in the growing buffer: older versions read it
                parent_row = parent_row.copy()
            child, parent = np.array(relinked, dtype=np.int64).T
            parent_row[child] = parent
            changed.append(child)
        for row, parent_id, link in zip(new_rows.tolist(), named, links.tolist()):
            if parent_id and link < 0:
                self.orphans.setdefault(parent_id, []).append(row)
        return parent_row, np.unique(np.concatenate(changed))

    def _brands(self, c: _Change, account_rank: Callable[[IntArray], IntArray]) -> BrandTables:
        """The brands of the domains, each brand's accounts, the live brands' table."""
        lk, n_brand = c.lk, c.lk.n_brands
        domain_brand = self.buffers.extend("domain_brand", lk.domain_brand, c.brand_of_new)
        gone_brand, part_brand = domain_brand[c.gone_dom], domain_brand[c.part_dom]
        ptr, rows = edit_groups(
            lk.brand_acct_ptr,
            lk.brand_acct_rows,
            n_brand + len(c.fresh_brands),
            (gone_brand, c.gone_dom_owner),
            (part_brand, c.part_dom_owner),
            account_rank,
        )
        touched = np.unique(gone_brand)
        dead = touched[ptr[touched + 1] == ptr[touched]]
        brand_table = edit_table(
            lk.brand_table,
            (per_value(lk.brand_table, n_brand)[dead], dead),
            (c.fresh_brands, n_brand + np.arange(len(c.fresh_brands), dtype=np.int64)),
            _by_value,
        )
        acct_brand_keys = _edit_sorted(
            lk.acct_brand_keys, (c.gone_dom_owner << ID_BITS) + gone_brand,
            (c.part_dom_owner << ID_BITS) + part_brand,
        )  # fmt: skip
        return BrandTables(
            brand_table=brand_table,
            domain_brand=domain_brand,
            brand_acct_ptr=ptr,
            brand_acct_rows=rows,
            acct_brand_keys=acct_brand_keys,
        )

    def _words(
        self, c: _Change, after: IndexData, name_rank: Callable[[IntArray], IntArray]
    ) -> tuple[WordTables, IntArray, BoolArray]:
        """Postings, document frequencies, weights, the live words' tables; and the words in
        text order and which are generic (what the editor keeps of them)."""
        lk, data, grow, n_tok = c.lk, c.data, self.buffers.extend, len(c.data.tokens)
        gone_tok, gone_tok_name = _entries(data.name_tok_ptr, data.name_tok_ids, c.gone_names)
        post_ptr, post_rows = edit_groups(
            lk.post_ptr,
            lk.post_rows,
            len(after.tokens),
            (gone_tok, gone_tok_name),
            (c.part_tok, c.part_tok_name),
            name_rank,
        )
        token_df = grow("token_df", lk.token_df, np.zeros(len(c.new_tok), dtype=np.int64)).copy()
        np.subtract.at(token_df, *_account_words(gone_tok, data.name_owner[gone_tok_name]))
        np.add.at(token_df, *_account_words(c.part_tok, after.name_owner[c.part_tok_name]))
        touched_tok = np.union1d(gone_tok, c.part_tok)
        dead_tok = touched_tok[post_ptr[touched_tok + 1] == post_ptr[touched_tok]]
        token_table, typo_table = _vocabulary_tables(c, dead_tok)
        token_rank, by_text = _ranked(
            lk.token_rank, self.by_text, c.new_tok_text, after.tokens.__getitem__, n_tok
        )
        generic = grow("generic", self.generic, generic_words(c.new_tok_text))
        n_live = len(lk.family_rows) - len(c.gone) + len(c.new_rows)
        idf_raw, idf, common = word_weights(token_df, n_live, generic)
        words = WordTables(
            token_table=token_table,
            idf=idf,
            idf_raw=idf_raw,
            token_df=token_df,
            token_rank=token_rank,
            post_ptr=post_ptr,
            post_rows=post_rows,
            pair_table=_pairs(c, after, post_ptr, post_rows, name_rank),
            token_common=common,
            typo_table=typo_table,
        )
        return words, by_text, generic

    def _row_values(self, c: _Change) -> RowValues:
        """The keys of the accounts' and names' own values, grown at the end."""
        lk, new, grow = c.lk, c.keys.rows, self.buffers.extend
        return RowValues(
            name_compact=lk.name_compact.extended(
                new["name_compact"].tolist(), self.buffers, "name_compact"
            ),
            name_compact_len=grow("compact_len", lk.name_compact_len, new["name_compact_len"]),
            country_hash=grow("country_hash", lk.country_hash, new["country_hash"]),
            city_hash=grow("city_hash", lk.city_hash, new["city_hash"]),
            phone_hash=grow("phone_hash", lk.phone_hash, new["phone_hash"]),
            legal_hash=grow("legal_hash", lk.legal_hash, new["legal_hash"]),
            acronym_hash=grow("acronym_hash", lk.acronym_hash, new["acronym_hash"]),
            compact_hash=grow("compact_hash", lk.compact_hash, new["compact_hash"]),
            ascii_hash=grow("ascii_hash", lk.ascii_hash, new["ascii_hash"]),
        )

    def _names(
        self,
        c: _Change,
        after: IndexData,
        words: WordTables,
        values: RowValues,
        name_rank: Callable[[IntArray], IntArray],
    ) -> NameTables:
        """Names: which say little (graded again where a word became, or stopped being,
        common), exact compact names and acronyms."""
        lk, common = c.lk, words["token_common"]
        common_before = np.concatenate([lk.token_common, np.zeros(len(c.new_tok), dtype=bool)])
        flipped = np.flatnonzero(common != common_before)
        _, at = expand(words["post_ptr"], flipped)
        regraded = np.union1d(words["post_rows"][at], c.new_names)
        which, at = expand(after.name_tok_ptr, regraded)
        uncommon = np.bincount(
            which, weights=~common[after.name_tok_ids[at]], minlength=len(regraded)
        )
        compact_len = values["name_compact_len"]
        no_names = np.zeros(len(c.new_names), dtype=bool)
        name_generic = self.buffers.extend("name_generic", lk.name_generic, no_names).copy()
        name_generic[regraded] = (compact_len[regraded] <= 3) | (uncommon == 0)
        compact_hash, acronym_hash = values["compact_hash"], values["acronym_hash"]
        return NameTables(
            name_generic=name_generic,
            exact_table=edit_table(
                lk.exact_table,
                _named(compact_hash, c.gone_names),
                _named(compact_hash, c.new_names),
                name_rank,
            ),
            acronym_table=edit_table(
                lk.acronym_table,
                _named(acronym_hash, c.gone_names),
                _named(acronym_hash, c.new_names),
                name_rank,
            ),
        )

    def _accounts(
        self,
        c: _Change,
        after: IndexData,
        id_rank: IntArray,
        changed: IntArray,
        domains: DomainTables,
        names: NameTables,
        values: RowValues,
        account_rank: Callable[[IntArray], IntArray],
    ) -> AccountTables:
        """Ultimate parents and depths below every link that ``changed``, the accounts' names,
        then company groups around the change."""
        lk, grow = c.lk, self.buffers.extend
        ultimate, depth = self._hierarchy(lk, after.parent_row, changed, c.alive, len(c.new_rows))
        acct_name_ptr = grow(
            "acct_name_ptr", lk.acct_name_ptr, lk.acct_name_ptr[-1] + _name_ends(c.part)
        )
        acct_name_rows = grow("acct_name_rows", lk.acct_name_rows, c.new_names)
        group, family_ptr, family_rows = _groups(
            c, after, changed, domains, (acct_name_ptr, acct_name_rows), values,
            names["exact_table"], account_rank,
        )  # fmt: skip
        return AccountTables(
            ultimate_row=ultimate,
            depth=depth,
            group=group,
            family_ptr=family_ptr,
            family_rows=family_rows,
            id_rank=id_rank,
            acct_name_ptr=acct_name_ptr,
            acct_name_rows=acct_name_rows,
        )

    def _hierarchy(
        self, lk: Lookups, parent_row: IntArray, changed: IntArray, alive: BoolArray, k: int
    ) -> tuple[IntArray, IntArray]:
        """Ultimate parents and depths, computed again for ``changed`` and their descendants
        as :func:`~leadmatch.tables.lookups.derive` computes them for all."""
        affected = [changed]
        frontier, seen = changed, set(changed.tolist())
        for _ in range(MAX_HIERARCHY_DEPTH + 1):
            children = np.flatnonzero(np.isin(parent_row, frontier) & alive)
            frontier = np.array([c for c in children.tolist() if c not in seen], dtype=np.int64)
            if not len(frontier):
                break
            seen.update(frontier.tolist())
            affected.append(frontier)
        rows = np.unique(np.concatenate(affected))
        ultimate = np.concatenate([lk.ultimate_row, np.arange(k, dtype=np.int64) + len(alive) - k])
        depth = np.concatenate([lk.depth, np.zeros(k, dtype=np.int64)])
        top, steps, _ = ancestors(parent_row, rows)
        ultimate[rows], depth[rows] = top, steps
        return ultimate, depth


def _domains(c: _Change, account_rank: Callable[[IntArray], IntArray]) -> DomainTables:
    """Domains: their accounts, first owners, and the live ones' table."""
    lk, data = c.lk, c.data
    ptr, rows = edit_groups(
        lk.domain_acct_ptr,
        lk.domain_acct_rows,
        len(data.domains) + len(c.new_dom),
        (c.gone_dom, c.gone_dom_owner),
        (c.part_dom, c.part_dom_owner),
        account_rank,
    )
    touched = np.union1d(c.gone_dom, c.part_dom)
    first_owner = np.concatenate(
        [lk.domain_first_owner[:-1], np.full(len(c.new_dom) + 1, -1, dtype=np.int64)]
    )
    first_owner[touched] = _first_in_groups(ptr, rows, touched)
    dead = touched[ptr[touched + 1] == ptr[touched]]
    domain_table = edit_table(
        lk.domain_table,
        (hash_keys(data.domains.take(dead)), dead),
        (c.keys.domain_hash[c.new_dom], c.dom_map[c.new_dom]),
        _by_value,
    )
    acct_domain_keys = _edit_sorted(
        lk.acct_domain_keys, (c.gone_dom_owner << ID_BITS) + c.gone_dom,
        (c.part_dom_owner << ID_BITS) + c.part_dom,
    )  # fmt: skip
    return DomainTables(
        domain_table=domain_table,
        domain_acct_ptr=ptr,
        domain_acct_rows=rows,
        domain_first_owner=first_owner,
        acct_domain_keys=acct_domain_keys,
    )


def _vocabulary_tables(c: _Change, dead_tok: IntArray) -> tuple[KeyTable, KeyTable]:
    """The word table and the typo table, less the words no name holds any more
    (``dead_tok``) and with the new words."""
    data, lk, keys = c.data, c.lk, c.keys
    token_table = edit_table(
        lk.token_table,
        (hash_keys(data.tokens.take(dead_tok)), dead_tok),
        (keys.token_hash[c.new_tok], c.tok_map[c.new_tok]),
        _by_value,
    )
    dead_at, dead_variants = typo_variants_of(data.tokens.take(dead_tok))
    new_typo = np.isin(keys.typo_token, c.new_tok)
    typo_table = edit_table(
        lk.typo_table,
        (hash_keys(dead_variants), dead_tok[np.array(dead_at, dtype=np.int64)]),
        (keys.typo_hash[new_typo], c.tok_map[keys.typo_token[new_typo]]),
        _by_value,
    )
    return token_table, typo_table


def _pairs(
    c: _Change,
    after: IndexData,
    post_ptr: IntArray,
    post_rows: IntArray,
    name_rank: Callable[[IntArray], IntArray],
) -> KeyTable:
    """Word pairs: names whose pairs may differ are the changed ones and those holding a word
    that became, or stopped being, frequent (``post_ptr`` and ``post_rows``: the postings
    after the change)."""
    lk, data = c.lk, c.data
    freq_before, freq_after = frequent_words(lk.post_ptr), frequent_words(post_ptr)
    swapped = np.flatnonzero(freq_before != freq_after[: len(data.tokens)])
    _, before_at = expand(lk.post_ptr, swapped)
    _, after_at = expand(post_ptr, swapped)
    before = np.union1d(c.gone_names, lk.post_rows[before_at])
    now = np.union1d(c.new_names, post_rows[after_at])
    old_keys, old_rows = pair_rows(data.name_tok_ptr, data.name_tok_ids, before, freq_before)
    new_keys, new_rows = pair_rows(after.name_tok_ptr, after.name_tok_ids, now, freq_after)
    return edit_table(lk.pair_table, (old_keys, old_rows), (new_keys, new_rows), name_rank)


def _named(hashes: U64Array, rows: IntArray) -> tuple[U64Array, IntArray]:
    """The non-empty ``hashes`` of ``rows``, and their rows."""
    keep = hashes[rows] != EMPTY
    return hashes[rows][keep], rows[keep]


def _groups(
    c: _Change,
    after: IndexData,
    changed: IntArray,
    domains: DomainTables,
    acct_names: tuple[IntArray, IntArray],
    values: RowValues,
    exact_table: KeyTable,
    account_rank: Callable[[IntArray], IntArray],
) -> tuple[IntArray, IntArray, IntArray]:
    """Company groups computed again over the groups the change touches: those of removed
    accounts, of accounts whose parent link ``changed``, and of every account a new one is
    linked to (by parent, domain, or name and country)."""
    lk, new_rows = c.lk, c.new_rows
    acct_name_ptr, acct_name_rows = acct_names
    ascii_hash, country_hash = values["ascii_hash"], values["country_hash"]
    n_old = len(lk.group)
    group = np.concatenate([lk.group, new_rows])
    primary = acct_name_rows[acct_name_ptr[new_rows]]
    has_name = acct_name_ptr[new_rows + 1] > acct_name_ptr[new_rows]
    linked = [changed, after.parent_row[new_rows]]
    _, at = expand(after.domain_ptr, new_rows)
    _, owners = expand(domains["domain_acct_ptr"], after.domain_ids[at])
    linked.append(domains["domain_acct_rows"][owners])
    primary = primary[has_name & (ascii_hash[primary] != EMPTY)]
    if len(primary):
        _, names = exact_table.gather(
            np.arange(len(primary), dtype=np.int64), values["compact_hash"][primary], 1 << 30
        )
        linked.append(after.name_owner[names])
    near = np.concatenate(linked)
    near = near[(near >= 0) & (near < n_old)]
    old_groups = np.unique(np.concatenate([lk.group[near], lk.group[c.gone]]))
    _, at = expand(lk.family_ptr, old_groups)
    members = lk.family_rows[at]
    rows = np.union1d(members[c.alive[members]], new_rows)
    label = company_groups(
        rows, after.parent_row, after.domain_ptr, after.domain_ids, acct_name_ptr,
        acct_name_rows, ascii_hash, country_hash,
    )  # fmt: skip
    group[rows] = label
    family_ptr, family_rows = edit_groups(
        lk.family_ptr,
        lk.family_rows,
        len(group),
        (lk.group[members], members),
        (label, rows),
        account_rank,
    )
    return group, family_ptr, family_rows


def _account_words(tok: IntArray, owner: IntArray) -> tuple[IntArray, IntArray]:
    """(word, 1) once per account holding it, for counting document frequencies."""
    if not len(tok):
        return tok, tok
    pairs = np.unique((owner << ID_BITS) + tok)
    return pairs & ((1 << ID_BITS) - 1), np.ones(len(pairs), dtype=np.int64)


def _name_ends(part: IndexData) -> IntArray:
    """Each new account's names' end, counted from the part's first name."""
    counts = np.bincount(part.name_owner, minlength=len(part.account_id))
    return np.cumsum(counts).astype(np.int64)


def compacted(data: IndexData, lk: Lookups) -> tuple[IndexData, Lookups]:
    """The tables without the rows removals left behind (what is saved): rows, names, words,
    domains and brands renumbered in their order. Every renumbering keeps order, so no table
    is sorted again: values are mapped, and sorted keys made of them stay sorted."""
    kept = _Kept(data, lk)
    lookups = Lookups.assembled(
        kept.account_tables(lk),
        kept.domain_tables(lk),
        kept.brand_tables(lk),
        kept.word_tables(lk),
        kept.name_tables(lk),
        kept.row_values(lk),
    )
    return kept.columns(data), lookups


class _Kept:
    """What :func:`compacted` keeps of the rows, names, words, domains and brands (ascending),
    each one's new number (``-1`` for those dropped), and each family of tables of them."""

    def __init__(self, data: IndexData, lk: Lookups) -> None:
        alive = lk.live()
        self.rows = np.flatnonzero(alive)
        self.names = np.flatnonzero(alive[data.name_owner])
        self.toks = np.flatnonzero(np.diff(lk.post_ptr) > 0)
        self.doms = np.flatnonzero(np.diff(lk.domain_acct_ptr) > 0)
        self.brands = np.flatnonzero(np.diff(lk.brand_acct_ptr) > 0)
        self.row_to = _renumbered(len(alive), self.rows)
        self.name_to = _renumbered(len(data.name_owner), self.names)
        self.tok_to = _renumbered(len(data.tokens), self.toks)
        self.dom_to = _renumbered(len(data.domains), self.doms)
        self.brand_to = _renumbered(lk.n_brands, self.brands)

    def columns(self, data: IndexData) -> IndexData:
        """The kept rows' columns; the family methods below give their tables."""
        rows, names = self.rows, self.names
        n_fields = len(data.field_names)
        field_rows = (rows[:, None] * n_fields + np.arange(n_fields, dtype=np.int64)).reshape(-1)
        dom_ptr, dom_ids = _kept_groups(data.domain_ptr, data.domain_ids, rows)
        tok_ptr, tok_ids = _kept_groups(data.name_tok_ptr, data.name_tok_ids, names)
        parent = data.parent_row[rows]
        text = {
            f.name: _gathered(getattr(data, f.name), names if f.name.startswith("name_") else rows)
            for f in dataclasses.fields(IndexData)
            if f.name not in ("tokens", "domains", "brands", "field_names", "field_values")
            and isinstance(getattr(data, f.name), StringColumn)
        }
        return dataclasses.replace(
            data,
            **text,
            parent_row=np.where(parent >= 0, self.row_to[np.maximum(parent, 0)], -1),
            domain_ptr=dom_ptr,
            domain_ids=self.dom_to[dom_ids],
            domains=_gathered(data.domains, self.doms),
            brands=_gathered(data.brands, self.doms),
            name_owner=self.row_to[data.name_owner[names]],
            name_lossy=data.name_lossy[names],
            name_tok_ptr=tok_ptr,
            name_tok_ids=self.tok_to[tok_ids],
            tokens=_gathered(data.tokens, self.toks),
            field_values=_gathered(data.field_values, field_rows),
        )

    def account_tables(self, lk: Lookups) -> AccountTables:
        rows, row_to = self.rows, self.row_to
        family_ptr, family_rows = _kept_groups(lk.family_ptr, lk.family_rows, rows)
        acct_name_ptr, acct_name_rows = _kept_groups(lk.acct_name_ptr, lk.acct_name_rows, rows)
        return AccountTables(
            ultimate_row=row_to[lk.ultimate_row[rows]],
            depth=lk.depth[rows],
            group=row_to[lk.group[rows]],
            family_ptr=family_ptr,
            family_rows=row_to[family_rows],
            id_rank=_dense(lk.id_rank, rows),
            acct_name_ptr=acct_name_ptr,
            acct_name_rows=self.name_to[acct_name_rows],
        )

    def domain_tables(self, lk: Lookups) -> DomainTables:
        ptr, rows = _kept_groups(lk.domain_acct_ptr, lk.domain_acct_rows, self.doms)
        first_owner = lk.domain_first_owner[np.append(self.doms, -1)]
        return DomainTables(
            domain_table=_renumbered_table(lk.domain_table, self.dom_to),
            domain_acct_ptr=ptr,
            domain_acct_rows=self.row_to[rows],
            domain_first_owner=np.where(first_owner >= 0, self.row_to[first_owner], -1),
            acct_domain_keys=_repacked(lk.acct_domain_keys, self.row_to, self.dom_to),
        )

    def brand_tables(self, lk: Lookups) -> BrandTables:
        ptr, rows = _kept_groups(lk.brand_acct_ptr, lk.brand_acct_rows, self.brands)
        return BrandTables(
            brand_table=_renumbered_table(lk.brand_table, self.brand_to),
            domain_brand=self.brand_to[lk.domain_brand[self.doms]],
            brand_acct_ptr=ptr,
            brand_acct_rows=self.row_to[rows],
            acct_brand_keys=_repacked(lk.acct_brand_keys, self.row_to, self.brand_to),
        )

    def word_tables(self, lk: Lookups) -> WordTables:
        toks, tok_to = self.toks, self.tok_to
        post_ptr, post_rows = _kept_groups(lk.post_ptr, lk.post_rows, toks)
        pair = lk.pair_table
        pair_keys = _repacked((pair.keys - 1).astype(np.int64), tok_to, tok_to) + 1
        return WordTables(
            token_table=_renumbered_table(lk.token_table, tok_to),
            idf=lk.idf[toks],
            idf_raw=lk.idf_raw[toks],
            token_df=lk.token_df[toks],
            token_rank=_dense(lk.token_rank, toks),
            post_ptr=post_ptr,
            post_rows=self.name_to[post_rows],
            pair_table=KeyTable(pair_keys.astype(np.uint64), pair.ptr, self.name_to[pair.values]),
            token_common=lk.token_common[toks],
            typo_table=_renumbered_table(lk.typo_table, tok_to),
        )

    def name_tables(self, lk: Lookups) -> NameTables:
        return NameTables(
            name_generic=lk.name_generic[self.names],
            exact_table=_renumbered_table(lk.exact_table, self.name_to),
            acronym_table=_renumbered_table(lk.acronym_table, self.name_to),
        )

    def row_values(self, lk: Lookups) -> RowValues:
        rows, names = self.rows, self.names
        return RowValues(
            name_compact=_gathered(lk.name_compact, names),
            name_compact_len=lk.name_compact_len[names],
            country_hash=lk.country_hash[rows],
            city_hash=lk.city_hash[rows],
            phone_hash=lk.phone_hash[rows],
            legal_hash=lk.legal_hash[names],
            acronym_hash=lk.acronym_hash[names],
            compact_hash=lk.compact_hash[names],
            ascii_hash=lk.ascii_hash[names],
        )


def _gathered(column: StringColumn, kept: IntArray) -> StringColumn:
    """The ``kept`` values of a column, in a buffer of their own."""
    return StringColumn.gathered([(column, kept)])


def _kept_groups(ptr: IntArray, values: IntArray, kept: IntArray) -> tuple[IntArray, IntArray]:
    """A CSR table keeping the groups ``kept`` (values as they are)."""
    _, at = expand(ptr, kept)
    return offsets(ptr[kept + 1] - ptr[kept]), values[at]


def _renumbered_table(keys: KeyTable, to: IntArray) -> KeyTable:
    """A table whose values are renumbered by ``to`` (in order: the groups stay sorted)."""
    return KeyTable(keys.keys, keys.ptr, to[keys.values])


def _dense(rank: IntArray, kept: IntArray) -> IntArray:
    """The ``kept`` rows' ranks, renumbered ``0..`` in the same order."""
    live = np.zeros(len(rank), dtype=bool)
    live[rank[kept]] = True
    out: IntArray = (np.cumsum(live) - 1)[rank[kept]]
    return out


def _repacked(keys: IntArray, high: IntArray, low: IntArray) -> IntArray:
    """Keys packing two numbers (see :data:`~leadmatch.tables.lookups.ID_BITS`), each
    renumbered: by ``high`` and ``low``."""
    out: IntArray = (high[keys >> ID_BITS] << ID_BITS) | low[keys & ((1 << ID_BITS) - 1)]
    return out


def _renumbered(size: int, kept: IntArray) -> IntArray:
    """Old number -> new number of the ``kept`` ones (ascending), -1 for the others."""
    to = np.full(size, -1, dtype=np.int64)
    to[kept] = np.arange(len(kept), dtype=np.int64)
    return to
