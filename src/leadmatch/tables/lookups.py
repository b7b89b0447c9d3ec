"""The tables matching reads, derived from an index's columns once, when it is built.

They are saved with the index and mapped back on load, so that loading a million accounts
reads arrays instead of rebuilding dictionaries. String keys (domains, tokens, names) are
looked up through :class:`~leadmatch._util.keys.KeyTable` (sorted hashes), a batch at a time.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt

from leadmatch._util.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    connected_components,
    expand,
    first_of_groups,
    group_by,
    object_array,
    offsets,
)
from leadmatch._util.keys import EMPTY, KeyTable, U64Array, hash_keys
from leadmatch._util.strings import StringColumn
from leadmatch.normalize import common_words

if TYPE_CHECKING:
    from leadmatch.tables.data import IndexData

log = logging.getLogger("leadmatch")

#: Parent chains longer than this are data errors (a loop), not hierarchies.
MAX_HIERARCHY_DEPTH = 64
#: Generic words (sector, filler) never weigh more than a word found in every account name.
GENERIC_IDF = 1.0
#: A token in at least this many accounts, and this share of them, is common, not distinctive.
COMMON_TOKEN_MIN_DF = 20
COMMON_TOKEN_SHARE = 0.002
#: Tokens in more name rows than this (and at most :data:`PAIR_MAX_POSTINGS`) have a word-pair
#: table: blocking reaches their names that share another word of the lead through it, instead
#: of reaching all their names and keeping the few that do.
PAIR_MIN_POSTINGS = 48
PAIR_MAX_POSTINGS = 5_000
#: Words of a name that form pairs (a name of 40 words must not make 1,600 pairs).
PAIR_NAME_TOKENS = 8


@dataclass(frozen=True)
class Lookups:
    """Tables derived from :class:`~leadmatch.tables.data.IndexData` (see the module docstring)."""

    ultimate_row: IntArray
    depth: IntArray
    group: IntArray
    family_ptr: IntArray
    """Accounts grouped by company group (CSR with ``family_rows``), for the family blocker."""
    family_rows: IntArray
    id_rank: IntArray
    acct_name_ptr: IntArray
    acct_name_rows: IntArray
    domain_table: KeyTable
    """Domain -> domain id."""
    domain_acct_ptr: IntArray
    domain_acct_rows: IntArray
    domain_first_owner: IntArray
    """First account owning each domain, -1 at the end for "no domain" (index -1)."""
    brand_table: KeyTable
    """Brand label -> brand id."""
    domain_brand: IntArray
    brand_acct_ptr: IntArray
    brand_acct_rows: IntArray
    acct_domain_keys: IntArray
    acct_brand_keys: IntArray
    token_table: KeyTable
    """Token -> token id."""
    idf: FloatArray
    """Token weights (IDF over accounts), common words capped at :data:`GENERIC_IDF`."""
    idf_raw: FloatArray
    """Token weights without the cap."""
    token_df: IntArray
    token_rank: IntArray
    """Position of each token in alphabetical order: a tie-break independent of load order."""
    post_ptr: IntArray
    post_rows: IntArray
    """Name rows per token, in account id order (a capped read takes the same rows whatever
    the load order)."""
    pair_table: KeyTable
    """(token, other token of the same name) -> name rows in account id order, for tokens
    with more than :data:`PAIR_MIN_POSTINGS` name rows: see :func:`pair_keys`."""
    name_compact: StringColumn
    """Each name's ASCII key without spaces."""
    name_compact_len: IntArray
    token_common: BoolArray
    """Tokens too common to say which company: sector words, legal forms, frequent words."""
    name_generic: BoolArray
    """Names that say little on their own: 3 characters or fewer, or only common words."""
    exact_table: KeyTable
    """Compact name -> name rows (by account id order)."""
    acronym_table: KeyTable
    """Acronym of 3+ letters -> name rows (by account id order)."""
    typo_table: KeyTable
    """Token or one-deletion variant (tokens of 4+ letters) -> token ids."""
    country_hash: U64Array
    city_hash: U64Array
    phone_hash: U64Array
    legal_hash: U64Array
    """Per name row; the other three per account. Equal values have equal hashes."""
    acronym_hash: U64Array
    compact_hash: U64Array
    ascii_hash: U64Array
    """Each name's ASCII key (with its spaces): company groups join equal names."""

    @property
    def n_brands(self) -> int:
        return len(self.brand_acct_ptr) - 1

    def unseen_idf(self) -> float:
        """The weight of a token no account has."""
        return float(np.log(1.0 + self.n_accounts) + 1.0)

    @property
    def n_accounts(self) -> int:
        """Accounts in the index: every one is in one company family (rows an update removed
        are in none)."""
        return len(self.family_rows)

    def live(self) -> BoolArray:
        """Which rows are accounts (not left behind by a removal)."""
        alive = np.zeros(self.n_rows, dtype=bool)
        alive[self.family_rows] = True
        return alive

    @property
    def n_rows(self) -> int:
        """Account rows, those of accounts an update removed included (see
        :mod:`leadmatch.tables.edit_in_place`): the bound of a row number."""
        return len(self.id_rank)

    @classmethod
    def assembled(
        cls,
        accounts: AccountTables,
        domains: DomainTables,
        brands: BrandTables,
        words: WordTables,
        names: NameTables,
        rows: RowValues,
    ) -> Lookups:
        """The tables from their families: a build, an edit and a compaction each make every
        family once, and meet here. The fields stay flat: readers name them one by one, and
        the saved file holds one member per field, in the class's order."""
        return cls(**accounts, **domains, **brands, **words, **names, **rows)


class AccountTables(TypedDict):
    """:class:`Lookups`' account tables: parent chains, company groups, id order, names."""

    ultimate_row: IntArray
    depth: IntArray
    group: IntArray
    family_ptr: IntArray
    family_rows: IntArray
    id_rank: IntArray
    acct_name_ptr: IntArray
    acct_name_rows: IntArray


class DomainTables(TypedDict):
    """:class:`Lookups`' domain tables: the vocabulary, each domain's accounts, and back."""

    domain_table: KeyTable
    domain_acct_ptr: IntArray
    domain_acct_rows: IntArray
    domain_first_owner: IntArray
    acct_domain_keys: IntArray


class BrandTables(TypedDict):
    """:class:`Lookups`' brand tables: the brands of the domains, each brand's accounts, and
    back."""

    brand_table: KeyTable
    domain_brand: IntArray
    brand_acct_ptr: IntArray
    brand_acct_rows: IntArray
    acct_brand_keys: IntArray


class WordTables(TypedDict):
    """:class:`Lookups`' word tables: the vocabulary and its typos, postings, word pairs,
    weights."""

    token_table: KeyTable
    idf: FloatArray
    idf_raw: FloatArray
    token_df: IntArray
    token_rank: IntArray
    post_ptr: IntArray
    post_rows: IntArray
    pair_table: KeyTable
    token_common: BoolArray
    typo_table: KeyTable


class NameTables(TypedDict):
    """:class:`Lookups`' name tables: which names say little, and names by compact key and
    by acronym."""

    name_generic: BoolArray
    exact_table: KeyTable
    acronym_table: KeyTable


class RowValues(TypedDict):
    """:class:`Lookups`' keys of each account's and name's own values, computed value by value
    (:class:`RowKeys` holds them too): an update computes only its new rows'."""

    name_compact: StringColumn
    name_compact_len: IntArray
    country_hash: U64Array
    city_hash: U64Array
    phone_hash: U64Array
    legal_hash: U64Array
    acronym_hash: U64Array
    compact_hash: U64Array
    ascii_hash: U64Array


#: Longest word with typo keys: a longer "word" is not typed by hand, and its keys would cost
#: the square of its length (a 10,000-letter token, 10^8 characters of keys).
MAX_TYPO_LENGTH = 32


def deletion_keys(token: str) -> list[str]:
    """The token and every copy with one character deleted (for tokens of 4 to
    :data:`MAX_TYPO_LENGTH` characters).

    Two tokens within one edit (a substitution, insertion or deletion) share a key.
    """
    if not 4 <= len(token) <= MAX_TYPO_LENGTH:
        return [token]
    return [token, *(token[:i] + token[i + 1 :] for i in range(len(token)))]


def typo_variants_of(tokens: Sequence[str]) -> tuple[list[int], list[str]]:
    """Every :func:`deletion_keys` variant of the alphabetic tokens, with its token's
    position: the index stores them for its tokens, a batch looks up those of its leads'."""
    positions: list[int] = []
    variants: list[str] = []
    for position, token in enumerate(tokens):
        if token.isalpha():
            keys = deletion_keys(token)
            variants.extend(keys)
            positions.extend([position] * len(keys))
    return positions, variants


def _first_owner(ptr: IntArray, rows: IntArray) -> IntArray:
    first = np.full(len(ptr), -1, dtype=np.int64)
    owned = np.flatnonzero(np.diff(ptr) > 0)
    first[owned] = rows[ptr[owned]]
    return first


def _alphabetical_rank(values: npt.NDArray[np.object_]) -> IntArray:
    """Each value's position in sorted (code point) order."""
    rank = np.empty(len(values), dtype=np.int64)
    longest = max(map(len, values), default=0)
    # Fixed-width strings sort in C, several times faster than Python objects, in the same
    # order, except that they drop trailing NULs: values with a NUL sort as objects.
    short = 0 < longest <= 64 and "\x00" not in "".join(values)
    keys = values.astype(f"U{longest}") if short else values
    rank[np.argsort(keys, kind="stable")] = np.arange(len(values))
    return rank


def ancestors(parent_row: IntArray, rows: IntArray) -> tuple[IntArray, IntArray, int]:
    """Ultimate parent and depth of each of ``rows``, and how many of them are data errors.

    An account whose parent chain loops (A -> B -> A), or runs deeper than
    :data:`MAX_HIERARCHY_DEPTH`, is an error: it is treated as its own ultimate parent. An
    account that is its own parent is a root.
    """
    top, depth = rows.copy(), np.zeros(len(rows), dtype=np.int64)
    current = parent_row[rows]
    current[current == rows] = -1
    active = current >= 0
    for _ in range(MAX_HIERARCHY_DEPTH):
        at = np.flatnonzero(active)
        if not len(at):
            break
        top[at] = current[at]
        depth[at] += 1
        above = parent_row[current[at]]
        above[above == current[at]] = -1
        current[at] = above
        active[at] = above >= 0
    broken = np.flatnonzero(active)
    top[broken], depth[broken] = rows[broken], 0
    return top, depth, len(broken)


def company_groups(
    rows: IntArray,
    parent_row: IntArray,
    domain_ptr: IntArray,
    domain_ids: IntArray,
    acct_name_ptr: IntArray,
    acct_name_rows: IntArray,
    ascii_hash: U64Array,
    country_hash: U64Array,
) -> IntArray:
    """The company group (its smallest row) of each of ``rows`` (sorted, and holding every
    account any of them is linked to): accounts joined by a parent link, a shared domain, or
    the same primary name in the same country."""
    left: list[IntArray] = []
    right: list[IntArray] = []
    parent = parent_row[rows]
    linked = np.flatnonzero(parent >= 0)
    left.append(linked)
    right.append(np.searchsorted(rows, parent[linked]))
    which, at = expand(domain_ptr, rows)
    if len(at) > 1:
        dom = domain_ids[at]
        order = np.argsort(dom, kind="stable")
        shared = np.flatnonzero(~first_of_groups(dom[order]))
        left.append(which[order][shared - 1])
        right.append(which[order][shared])
    owners = np.flatnonzero(acct_name_ptr[rows + 1] > acct_name_ptr[rows])
    primary = acct_name_rows[acct_name_ptr[rows[owners]]]
    name_key, country_key = ascii_hash[primary], country_hash[rows[owners]]
    if len(owners) > 1:
        order = np.lexsort((owners, name_key, country_key))
        same = ~(first_of_groups(name_key[order]) | first_of_groups(country_key[order]))
        same &= name_key[order] != EMPTY
        at = np.flatnonzero(same)
        left.append(owners[order][at - 1])
        right.append(owners[order][at])
    label = connected_components(len(rows), np.concatenate(left), np.concatenate(right))
    return rows[label]


@dataclass(frozen=True)
class RowKeys:
    """What :func:`derive` computes value by value (hashes of strings): an update carries the
    kept rows' and vocabulary entries' from the current tables (see :meth:`taken`) and
    computes only the new ones'."""

    rows: RowValues
    """Those :class:`Lookups` holds as they are."""
    domain_hash: U64Array
    brand_hash: U64Array
    """Per domain, the hash of its brand label."""
    token_hash: U64Array
    typo_hash: U64Array
    typo_token: IntArray
    """Every typo variant of the tokens (:func:`typo_variants_of`) and the token it is of."""

    @classmethod
    def of(cls, data: IndexData, rows: RowValues | None = None) -> RowKeys:
        """The keys of ``data``; ``rows``: its :func:`row_values` when the caller has them (a
        build computes them a chunk at a time, in its worker processes)."""
        tokens = data.tokens.tolist()
        with _helpers(len(data.account_id)) as helpers:
            domain_hash = helpers.submit(hash_keys, data.domains.tolist())
            brand_hash = helpers.submit(hash_keys, data.brands.tolist())
            typo_token, typo_variants = typo_variants_of(tokens)
            if rows is None:
                rows = row_values(
                    data.country.tolist(), data.city.tolist(), data.phone.tolist(),
                    data.name_ascii.tolist(), data.name_legal.tolist(), data.name_acronym.tolist(),
                )  # fmt: skip
            return cls(
                rows=rows,
                domain_hash=domain_hash.result(),
                brand_hash=brand_hash.result(),
                token_hash=hash_keys(tokens),
                typo_hash=hash_keys(typo_variants),
                typo_token=np.array(typo_token, dtype=np.int64),
            )

    @classmethod
    def taken(
        cls,
        old: Lookups,
        kept: tuple[IntArray, IntArray, IntArray, IntArray],
        new: RowKeys,
        added: tuple[IntArray, IntArray],
    ) -> RowKeys:
        """``old``'s keys of the ``kept`` (accounts, names, domains, tokens), then ``new``'s
        of all its accounts and names and of its ``added`` (domains, tokens)."""
        accounts, names, domains, tokens = kept
        new_domains, new_tokens = added
        brand_of = per_value(old.brand_table, old.n_brands)[old.domain_brand]
        token_after = np.full(len(old.idf) + 1, -1, dtype=np.int64)  # -1 -> -1 at the end
        token_after[tokens] = np.arange(len(tokens), dtype=np.int64)
        new_after = np.full(len(new.token_hash) + 1, -1, dtype=np.int64)
        new_after[new_tokens] = len(tokens) + np.arange(len(new_tokens), dtype=np.int64)
        typo = _expanded(old.typo_table)
        typo_token = np.concatenate([token_after[typo[1]], new_after[new.typo_token]])
        typo_hash = np.concatenate([typo[0], new.typo_hash])
        return cls(
            rows=_taken_rows(old, accounts, names, new.rows),
            domain_hash=_cat(
                per_value(old.domain_table, len(old.domain_first_owner) - 1),
                domains,
                new.domain_hash[new_domains],
            ),
            brand_hash=_cat(brand_of, domains, new.brand_hash[new_domains]),
            token_hash=_cat(
                per_value(old.token_table, len(old.idf)), tokens, new.token_hash[new_tokens]
            ),
            typo_hash=typo_hash[typo_token >= 0],
            typo_token=typo_token[typo_token >= 0],
        )


def row_values(
    country: list[str],
    city: list[str],
    phone: list[str],
    name_ascii: list[str],
    name_legal: list[str],
    name_acronym: list[str],
) -> RowValues:
    """The keys of accounts' own values (the first three lists, one value an account) and of
    names' (the others, one value a name)."""
    compact = [n.replace(" ", "") for n in name_ascii]
    return RowValues(
        name_compact=StringColumn.from_list(compact),
        name_compact_len=np.fromiter(map(len, compact), dtype=np.int64, count=len(compact)),
        country_hash=hash_keys(country),
        city_hash=hash_keys(city),
        phone_hash=hash_keys(phone),
        legal_hash=hash_keys(name_legal),
        acronym_hash=hash_keys([a if len(a) >= 3 else "" for a in name_acronym]),
        compact_hash=hash_keys(compact),
        ascii_hash=hash_keys(name_ascii),
    )


def joined_rows(parts: Sequence[RowValues]) -> RowValues:
    """The row values of accounts and names in parts (at least one), one part after another."""
    return RowValues(
        name_compact=StringColumn.gathered(
            [(p["name_compact"], np.arange(len(p["name_compact"]), dtype=np.int64)) for p in parts]
        ),
        name_compact_len=np.concatenate([p["name_compact_len"] for p in parts]),
        country_hash=np.concatenate([p["country_hash"] for p in parts]),
        city_hash=np.concatenate([p["city_hash"] for p in parts]),
        phone_hash=np.concatenate([p["phone_hash"] for p in parts]),
        legal_hash=np.concatenate([p["legal_hash"] for p in parts]),
        acronym_hash=np.concatenate([p["acronym_hash"] for p in parts]),
        compact_hash=np.concatenate([p["compact_hash"] for p in parts]),
        ascii_hash=np.concatenate([p["ascii_hash"] for p in parts]),
    )


def _cat(a: npt.NDArray[np.generic], rows: IntArray, b: npt.NDArray[np.generic]) -> Any:
    """``a``'s ``rows``, then ``b``."""
    return np.concatenate([a[rows], b])


def _taken_rows(old: Lookups, accounts: IntArray, names: IntArray, new: RowValues) -> RowValues:
    """``old``'s row values of ``accounts`` and ``names``, then every one of ``new``."""
    compact = new["name_compact"]
    return RowValues(
        name_compact=StringColumn.gathered(
            [(old.name_compact, names), (compact, np.arange(len(compact)))]
        ),
        name_compact_len=_cat(old.name_compact_len, names, new["name_compact_len"]),
        country_hash=_cat(old.country_hash, accounts, new["country_hash"]),
        city_hash=_cat(old.city_hash, accounts, new["city_hash"]),
        phone_hash=_cat(old.phone_hash, accounts, new["phone_hash"]),
        legal_hash=_cat(old.legal_hash, names, new["legal_hash"]),
        acronym_hash=_cat(old.acronym_hash, names, new["acronym_hash"]),
        compact_hash=_cat(old.compact_hash, names, new["compact_hash"]),
        ascii_hash=_cat(old.ascii_hash, names, new["ascii_hash"]),
    )


def vocab_ids(table: KeyTable, vocab: StringColumn, values: list[str]) -> IntArray:
    """Each value's id in ``vocab`` (whose entries ``table`` hashes), -1 where it has none.
    The strings are compared, so a value that shares a hash with an entry is never taken
    for it. Blocking looks up a batch's words and domains with it, and a change the words
    and domains of the accounts it brings."""
    ids = table.first(hash_keys(values))
    found = (ids >= 0).nonzero()[0]
    if len(found):
        held = vocab.take_objects(ids[found])
        ids[found[held != object_array(values)[found]]] = -1
    return ids


def merged_ids(
    table: KeyTable, vocab: StringColumn, values: StringColumn
) -> tuple[IntArray, IntArray]:
    """Each value's id in ``vocab`` (see :func:`vocab_ids`), those it lacks numbered after its
    last, in order; and which those are (positions in ``values``). An update merges its
    accounts' words and domains into the index's vocabularies with it."""
    ids = vocab_ids(table, vocab, values.tolist())
    added = np.flatnonzero(ids < 0)
    ids[added] = len(vocab) + np.arange(len(added), dtype=np.int64)
    return ids, added


def per_value(table: KeyTable, size: int) -> U64Array:
    """The hash of each value ``0..size`` of a table that holds each value under one hash."""
    hashes = np.zeros(size, dtype=np.uint64)
    hashes[table.values] = np.repeat(table.keys, np.diff(table.ptr))
    return hashes


def _expanded(table: KeyTable) -> tuple[U64Array, IntArray]:
    """Every (hash, value) entry of a table."""
    return np.repeat(table.keys, np.diff(table.ptr)), table.values


def derive(data: IndexData, keys: RowKeys | None = None, rows: RowValues | None = None) -> Lookups:
    """The tables of ``data``; ``keys``: its :class:`RowKeys` when the caller has them, or
    ``rows``: their row values (see :meth:`RowKeys.of`)."""
    keys = keys or RowKeys.of(data, rows)
    accounts = _account_tables(data, keys.rows)
    id_rank = accounts["id_rank"]
    # Accounts of a domain or brand in account id order (as postings and families are):
    # capped reads then take the same accounts whatever the order the accounts were added in.
    owner = np.repeat(np.arange(len(data.account_id), dtype=np.int64), np.diff(data.domain_ptr))
    owner_rank = id_rank[owner]
    name_rank = id_rank[data.name_owner]
    tok_owner = np.repeat(
        np.arange(len(data.name_owner), dtype=np.int64), np.diff(data.name_tok_ptr)
    )
    post_ptr, _ = group_by(data.name_tok_ids, len(data.tokens))
    with _helpers(len(data.account_id)) as helpers:  # the longest first
        pairs = helpers.submit(_pair_table, data, post_ptr, name_rank)
        domains = helpers.submit(_domain_tables, data, keys.domain_hash, owner, owner_rank)
        brands = helpers.submit(_brand_tables, data, keys.brand_hash, owner, owner_rank)
        words = _word_tables(data, keys, tok_owner, name_rank, (post_ptr, pairs))
        names = _name_tables(data, keys.rows, words["token_common"], tok_owner, name_rank)
        return Lookups.assembled(
            accounts, domains.result(), brands.result(), words, names, keys.rows
        )


#: Accounts from which :func:`derive` builds its independent tables on two more threads:
#: NumPy's sorts and gathers let go of the GIL, so a million accounts' tables take a second
#: or two less. Below, the gain is a tenth of a second or less, and the threads' own arenas
#: would raise the peak memory (by 10 MB at 100,000 accounts).
THREADS_FROM = 250_000

R = TypeVar("R")


class _Here(Executor):
    """Runs what it is given at once, in this thread: an executor for small inputs."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        done: Future[R] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:  # met where the result is read, as from a thread
            done.set_exception(exc)
        return done


@contextlib.contextmanager
def _helpers(accounts: int) -> Iterator[Executor]:
    """Two threads for the tables of :data:`THREADS_FROM` accounts or more, else this one."""
    if accounts < THREADS_FROM:
        yield _Here()
        return
    with ThreadPoolExecutor(2, thread_name_prefix="leadmatch-derive") as pool:
        yield pool
    _release_freed_memory()


def _release_freed_memory() -> None:
    """Hand the memory other threads freed back to the system. glibc keeps what a thread frees
    in that thread's own arena: after 100,000 accounts' tables, 33 MB that a service matching
    for days would otherwise carry (its RSS after the build: 388 MB, 334 MB trimmed, against
    352 MB for the tables built in one thread). Elsewhere (macOS, musl, Windows) nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def _account_tables(data: IndexData, rows: RowValues) -> AccountTables:
    """Parent chains, names, id order and company groups of every account."""
    n_acct = len(data.account_id)
    every = np.arange(n_acct, dtype=np.int64)
    ultimate, depth, loops = ancestors(data.parent_row, every)
    if loops:
        log.warning("%d account(s) have a parent_id chain that loops; treated as roots", loops)
    id_rank = _alphabetical_rank(data.account_id.objects())
    acct_name_ptr, acct_name_rows = group_by(data.name_owner, n_acct)
    group = company_groups(
        every, data.parent_row, data.domain_ptr, data.domain_ids, acct_name_ptr,
        acct_name_rows, rows["ascii_hash"], rows["country_hash"],
    )  # fmt: skip
    family_ptr, family_rows = group_by(group, n_acct, id_rank)
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


def _domain_tables(
    data: IndexData, domain_hash: U64Array, owner: IntArray, owner_rank: IntArray
) -> DomainTables:
    """The domain tables; ``owner`` is the account of each of ``data.domain_ids``."""
    n_dom = len(data.domains)
    ptr, order = group_by(data.domain_ids, n_dom, owner_rank)
    rows = owner[order]
    return DomainTables(
        domain_table=KeyTable.build(domain_hash, np.arange(n_dom)),
        domain_acct_ptr=ptr,
        domain_acct_rows=rows,
        domain_first_owner=_first_owner(ptr, rows),
        acct_domain_keys=np.sort((owner << ID_BITS) + data.domain_ids),
    )


def _brand_tables(
    data: IndexData, brand_hash: U64Array, owner: IntArray, owner_rank: IntArray
) -> BrandTables:
    """The brand tables; ``owner`` is the account of each of ``data.domain_ids``."""
    unique_brands, domain_brand = np.unique(brand_hash, return_inverse=True)
    domain_brand = domain_brand.astype(np.int64).reshape(-1)
    acct_brand = domain_brand[data.domain_ids] if len(data.domains) else data.domain_ids.copy()
    ptr, order = group_by(acct_brand, len(unique_brands), owner_rank)
    return BrandTables(
        brand_table=KeyTable.build(unique_brands, np.arange(len(unique_brands))),
        domain_brand=domain_brand,
        brand_acct_ptr=ptr,
        brand_acct_rows=owner[order],
        acct_brand_keys=np.sort((owner << ID_BITS) + acct_brand),
    )


def _word_tables(
    data: IndexData,
    keys: RowKeys,
    tok_owner: IntArray,
    name_rank: IntArray,
    postings: tuple[IntArray, Future[KeyTable]],
) -> WordTables:
    """The word tables; ``tok_owner`` is the name of each of ``data.name_tok_ids``,
    ``postings`` their CSR index by token and the word pairs' table being built from it."""
    n_tok = len(data.tokens)
    post_ptr, pairs = postings
    post_rows = tok_owner[np.lexsort((name_rank[tok_owner], data.name_tok_ids))]
    # Document frequency counts accounts, not name rows: aliases must not dilute a token. A
    # token's names are in account id order, so an account's names of it are neighbours.
    post_tok = np.repeat(np.arange(n_tok, dtype=np.int64), np.diff(post_ptr))
    post_owner = data.name_owner[post_rows]
    new_account = first_of_groups(post_tok) | first_of_groups(post_owner)
    token_df = np.bincount(post_tok[new_account], minlength=n_tok).astype(np.int64)
    tokens = data.tokens.tolist()
    idf_raw, idf, common = word_weights(token_df, len(data.account_id), generic_words(tokens))
    return WordTables(
        token_table=KeyTable.build(keys.token_hash, np.arange(n_tok)),
        idf=idf,
        idf_raw=idf_raw,
        token_df=token_df,
        token_rank=_alphabetical_rank(object_array(tokens)),
        post_ptr=post_ptr,
        post_rows=post_rows,
        token_common=common,
        typo_table=KeyTable.build(keys.typo_hash, keys.typo_token),
        pair_table=pairs.result(),  # last: it may still be in the making
    )


def _name_tables(
    data: IndexData, rows: RowValues, common: BoolArray, tok_owner: IntArray, name_rank: IntArray
) -> NameTables:
    """The name tables; ``common``: which words are common (:func:`word_weights`)."""
    n_names = len(data.name_owner)
    uncommon_count = np.bincount(tok_owner, weights=~common[data.name_tok_ids], minlength=n_names)
    names = np.arange(n_names, dtype=np.int64)
    return NameTables(
        name_generic=(rows["name_compact_len"] <= 3) | (uncommon_count == 0),
        exact_table=_rows_by_key(rows["compact_hash"], names, name_rank),
        acronym_table=_rows_by_key(rows["acronym_hash"], names, name_rank),
    )


#: Keys that pack a row or id above another id shift it by this many bits: fixed, not the
#: vocabulary's size, so that an update that adds words or domains keeps every other key.
ID_BITS = 32


def generic_words(tokens: Sequence[str]) -> BoolArray:
    """Which tokens are sector words, legal forms or filler (:func:`common_words`)."""
    generic = common_words()
    return np.array([t in generic for t in tokens], dtype=bool)


def word_weights(
    token_df: IntArray, n_acct: int, generic: BoolArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Each token's weight (IDF over ``n_acct`` accounts), the weight with generic words
    capped at :data:`GENERIC_IDF`, and whether the token is common."""
    idf_raw = np.log((1.0 + n_acct) / (1.0 + token_df)) + 1.0
    idf = np.where(generic, np.minimum(idf_raw, GENERIC_IDF), idf_raw)
    common = generic | (token_df >= max(COMMON_TOKEN_MIN_DF, COMMON_TOKEN_SHARE * n_acct))
    return idf_raw, idf, common


def frequent_words(post_ptr: IntArray) -> BoolArray:
    """Tokens with a word-pair table: in more than :data:`PAIR_MIN_POSTINGS` name rows and at
    most :data:`PAIR_MAX_POSTINGS`."""
    postings = np.diff(post_ptr)
    return (postings > PAIR_MIN_POSTINGS) & (postings <= PAIR_MAX_POSTINGS)


def pair_keys(first: IntArray, second: IntArray) -> U64Array:
    """The key of each (token, other token) pair: never :data:`~leadmatch._util.keys.EMPTY`."""
    return ((first << ID_BITS) + second + 1).astype(np.uint64)


#: Names whose word pairs are found at a time: all at once, a million names' took 270 MB of
#: temporary arrays (a tenth of that is kept), while other tables are built beside them.
PAIR_BLOCK = 200_000


def _pair_table(data: IndexData, post_ptr: IntArray, name_rank: IntArray) -> KeyTable:
    """Every (frequent token, other token) pair of every name (see :func:`pair_rows`), found
    a block of names at a time: the same pairs in the same order."""
    keys, rows = _pairs_by_block(data, frequent_words(post_ptr))
    return KeyTable.build(keys, rows, name_rank[rows])


def _pairs_by_block(data: IndexData, frequent: BoolArray) -> tuple[U64Array, IntArray]:
    """:func:`pair_rows` of every name, :data:`PAIR_BLOCK` names at a time (the blocks' own
    arrays are gone when this returns)."""
    n_names = len(data.name_owner)
    found = []
    for start in range(0, n_names, PAIR_BLOCK):
        names = np.arange(start, min(start + PAIR_BLOCK, n_names), dtype=np.int64)
        found.append(pair_rows(data.name_tok_ptr, data.name_tok_ids, names, frequent))
    if not found:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate([k for k, _ in found]), np.concatenate([r for _, r in found])


def pair_rows(
    ptr: IntArray, ids: IntArray, names: IntArray, frequent: BoolArray
) -> tuple[U64Array, IntArray]:
    """The pair keys of ``names`` (rows of the CSR ``ptr``, ``ids`` of tokens) and their name
    rows: each (frequent token, other token) pair among a name's first
    :data:`PAIR_NAME_TOKENS` words (a word twice in a name gives its pairs twice: harmless)."""
    owner, at = expand(ptr, names)
    starts = ptr[names]
    within = at - starts[owner]
    tok = ids[at]
    chosen = np.flatnonzero(frequent[tok] & (within < PAIR_NAME_TOKENS))
    # Each frequent occurrence against every occurrence of its name's first words.
    ends = np.minimum(ptr[names + 1], starts + PAIR_NAME_TOKENS)
    counts = (ends - starts)[owner[chosen]]
    which = np.repeat(chosen, counts)
    other = np.arange(len(which), dtype=np.int64) - np.repeat(offsets(counts)[:-1], counts)
    other += starts[owner[which]]
    keep = tok[which] != ids[other]
    rows = names[owner[which][keep]]
    return pair_keys(tok[which][keep], ids[other][keep]), rows


def _rows_by_key(hashes: U64Array, rows: IntArray, rank: IntArray) -> KeyTable:
    """Rows grouped by a non-empty key, in ``rank`` order within a key."""
    keep = hashes != 0
    return KeyTable.build(hashes[keep], rows[keep], rank[keep])


def check(lookups: Lookups, n_acct: int, n_names: int, n_dom: int, n_tok: int) -> str | None:
    """What does not fit in loaded tables (lengths, offsets, references), or ``None``."""
    lk = lookups
    n_brand = lk.n_brands
    sized = (
        (n_acct, (lk.ultimate_row, lk.depth, lk.group, lk.id_rank, lk.country_hash,
                  lk.city_hash, lk.phone_hash)),
        (n_names, (lk.name_compact_len, lk.name_generic, lk.legal_hash, lk.acronym_hash,
                   lk.compact_hash, lk.ascii_hash)),
        (n_tok, (lk.idf, lk.idf_raw, lk.token_df, lk.token_rank, lk.token_common)),
        (n_dom, (lk.domain_brand,)),
        (n_dom + 1, (lk.domain_first_owner,)),
    )  # fmt: skip
    for size, arrays in sized:
        if any(len(a) != size for a in arrays) or len(lk.name_compact) != n_names:
            return "derived columns differ in length"
    csr = (
        (lk.family_ptr, lk.family_rows, n_acct, n_acct),
        (lk.acct_name_ptr, lk.acct_name_rows, n_acct, n_names),
        (lk.domain_acct_ptr, lk.domain_acct_rows, n_dom, n_acct),
        (lk.brand_acct_ptr, lk.brand_acct_rows, n_brand, n_acct),
        (lk.post_ptr, lk.post_rows, n_tok, n_names),
    )
    for ptr, values, rows, limit in csr:
        if len(ptr) != rows + 1 or ptr[0] != 0 or ptr[-1] != len(values):
            return "derived offsets do not fit"
        if (np.diff(ptr) < 0).any() or not _within(values, 0, limit):
            return "derived offsets or rows point outside the index"
    ranges = (
        (lk.ultimate_row, 0, n_acct), (lk.group, 0, n_acct), (lk.id_rank, 0, n_acct),
        (lk.depth, 0, 1 + MAX_HIERARCHY_DEPTH), (lk.domain_first_owner, -1, n_acct),
        (lk.domain_brand, 0, n_brand), (lk.token_rank, 0, n_tok),
        (lk.name_compact_len, 0, 1 << 31),
    )  # fmt: skip
    if not all(_within(values, low, high) for values, low, high in ranges):
        return "derived rows point outside the index"
    tables = (
        (lk.domain_table, n_dom), (lk.brand_table, n_brand), (lk.token_table, n_tok),
        (lk.exact_table, n_names), (lk.acronym_table, n_names), (lk.typo_table, n_tok),
        (lk.pair_table, n_names),
    )  # fmt: skip
    for table, limit in tables:
        problem = table.problem(limit)
        if problem:
            return f"a look-up table {problem}"
    return None


def _within(values: npt.NDArray[np.integer], low: int, high: int) -> bool:
    if values.dtype.kind not in "iu":
        return False
    return not len(values) or (int(values.min()) >= low and int(values.max()) < high)
