"""AccountIndex: the accounts, normalized once into arrays, with the lookup tables blocking needs.

Layout. Accounts are rows ``0..n_accounts``. Each account has one or more *names* (its name and
its aliases) as rows of the name table, each owned by one account. Domains and name tokens are
interned into vocabularies; per-row lists of them are CSR arrays (``ptr``, ``ids``). Everything
persisted is an array or a list of strings; the dictionaries used for lookups are derived from
them when the index is built or loaded, so a saved index holds no Python objects and needs no
pickle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from leadmatch import _store
from leadmatch._arrays import (
    FloatArray,
    IntArray,
    connected_components,
    first_of_groups,
    group_by,
    object_array,
    offsets,
)
from leadmatch.config import MatchConfig
from leadmatch.errors import IndexFormatError, InvalidAccountError
from leadmatch.models import Account, Lead, Match
from leadmatch.normalize import (
    DomainKey,
    NameKey,
    domain_key,
    is_hosting_domain,
    normalize_city,
    normalize_country,
    normalize_name,
    phone_key,
)
from leadmatch.normalize.names import NAME_NORMALIZER_VERSION, common_words, is_lossy_script

if TYPE_CHECKING:
    from leadmatch.records import LeadInput

log = logging.getLogger("leadmatch")

#: Parent chains longer than this are data errors (a loop), not hierarchies.
MAX_HIERARCHY_DEPTH = 64
#: Generic words (sector, filler) never weigh more than a word found in every account name.
GENERIC_IDF = 1.0
#: A token in at least this many accounts, and this share of them, is common, not distinctive.
COMMON_TOKEN_MIN_DF = 20
COMMON_TOKEN_SHARE = 0.002


@dataclass(frozen=True)
class IndexData:
    """The persisted columns of an index (see the module docstring for the layout)."""

    account_id: list[str]
    display_name: list[str]
    country: list[str]
    city: list[str]
    phone: list[str]
    parent_row: IntArray
    domain_ptr: IntArray
    domain_ids: IntArray
    domains: list[str]
    brands: list[str]
    name_owner: IntArray
    name_raw: list[str]
    name_ascii: list[str]
    name_legal: list[str]
    name_acronym: list[str]
    name_lossy: npt.NDArray[np.bool_]
    name_tok_ptr: IntArray
    name_tok_ids: IntArray
    tokens: list[str]


@dataclass(frozen=True)
class Lookups:
    """Tables derived from :class:`IndexData`; rebuilt on load, never saved."""

    row_of_id: dict[str, int]
    ultimate_row: IntArray
    depth: IntArray
    group: IntArray
    family_ptr: IntArray
    """Accounts grouped by company group (CSR with ``family_rows``), for the family blocker."""
    family_rows: IntArray
    id_rank: IntArray
    acct_name_ptr: IntArray
    acct_name_rows: IntArray
    domain_of: dict[str, int]
    domain_acct_ptr: IntArray
    domain_acct_rows: IntArray
    domain_first_owner: IntArray
    """First account owning each domain, -1 at the end for "no domain" (index -1)."""
    brand_of: dict[str, int]
    domain_brand: IntArray
    brand_acct_ptr: IntArray
    brand_acct_rows: IntArray
    acct_domain_keys: IntArray
    acct_brand_keys: IntArray
    token_of: dict[str, int]
    idf: FloatArray
    """Token weights (IDF over accounts), common words capped at :data:`GENERIC_IDF`."""
    idf_raw: FloatArray
    """Token weights without the cap."""
    unseen_idf: float
    token_df: IntArray
    token_rank: IntArray
    """Position of each token in alphabetical order: a tie-break independent of load order."""
    post_ptr: IntArray
    post_rows: IntArray
    name_compact_len: IntArray
    """Length of each name's ASCII key without spaces."""
    token_common: npt.NDArray[np.bool_]
    """Tokens too common to say which company: sector words, legal forms, frequent words."""
    name_generic: npt.NDArray[np.bool_]
    """Names that say little on their own: 3 characters or fewer, or only common words."""
    exact_names: dict[str, list[int]]
    acronyms: dict[str, list[int]]
    columns: dict[str, Any] = field(repr=False)
    """Object-array views of string columns (fancy-indexable by row), plus ``name_compact``."""
    typo_keys: dict[str, list[int]] = field(repr=False)


def deletion_keys(token: str) -> list[str]:
    """The token and every copy with one character deleted (for tokens of 4+ characters).

    Two tokens within one edit (a substitution, insertion or deletion) share a key.
    """
    if len(token) < 4:
        return [token]
    return [token, *(token[:i] + token[i + 1 :] for i in range(len(token)))]


def _interned(values: Iterable[str], vocab: dict[str, int], strings: list[str]) -> list[int]:
    out = []
    for value in values:
        idx = vocab.get(value)
        if idx is None:
            idx = vocab[value] = len(strings)
            strings.append(value)
        out.append(idx)
    return out


def _account_records(accounts: Any) -> Iterable[Mapping[str, Any] | Account]:
    if hasattr(accounts, "to_dict") and hasattr(accounts, "columns"):
        from leadmatch.records import frame_records

        return frame_records(accounts, "account")
    return accounts  # type: ignore[no-any-return]


def _build_data(accounts: Iterable[Mapping[str, Any] | Account], strict: bool) -> IndexData:
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

    for position, record in enumerate(accounts):
        try:
            account = record if isinstance(record, Account) else Account.model_validate(record)
        except Exception as exc:  # pydantic.ValidationError, or a non-mapping row
            problems += 1
            message = f"account record {position} cannot be used: {_first_error(exc)}"
            if strict:
                raise InvalidAccountError(message) from exc
            log.warning("%s; skipped", message)
            continue
        if account.account_id in seen:
            problems += 1
            message = f"account_id {account.account_id!r} appears more than once"
            if strict:
                raise InvalidAccountError(message)
            log.warning("%s; the first record is kept", message)
            continue
        seen.add(account.account_id)
        row = len(ids)
        ids.append(account.account_id)
        display.append(account.name or "")
        country.append(normalize_country(account.country))
        city.append(normalize_city(account.city))
        phone.append(phone_key(account.phone))
        parents.append(account.parent_id)

        keys: list[DomainKey] = []
        name_words = normalize_name(account.name).ascii.split()
        own_words = {*name_words, "".join(name_words)}
        for raw in (account.domain, *account.alias_domains):
            key = domain_key(raw)
            if key.domain and key not in keys and _own_domain(key, own_words):
                keys.append(key)
        new_ids = _interned((k.domain for k in keys), domain_vocab, domains)
        for key, idx in zip(keys, new_ids):
            if idx == len(brands):
                brands.append(key.brand)
        domain_ids.extend(new_ids)
        domain_counts.append(len(new_ids))

        names: list[tuple[str, NameKey]] = []
        for raw in (account.name, *account.aliases):
            name = normalize_name(raw)
            if name.ascii and name.ascii not in (n[1].ascii for n in names):
                names.append((raw or "", name))
        if not names:  # a nameless account stays findable by domain: give it an empty name row
            names.append(("", normalize_name("")))
        for raw_name, name in names:
            name_owner.append(row)
            name_raw.append(raw_name)
            name_ascii.append(name.ascii)
            name_legal.append(name.legal_form)
            name_acronym.append(name.acronym)
            name_lossy.append(is_lossy_script(name.base))
            distinct = list(dict.fromkeys(name.ascii.split()))
            tok_ids.extend(_interned(distinct, token_vocab, tokens))
            tok_counts.append(len(distinct))

    if problems:
        log.warning("%d account record(s) were not indexed; see the warnings above", problems)
    row_of = {value: row for row, value in enumerate(ids)}
    parent_row = np.array([row_of.get(p, -1) if p else -1 for p in parents], dtype=np.int64)
    dangling = sum(1 for p in parents if p and p not in row_of)
    if dangling:
        log.warning("%d account(s) name a parent_id that is not an account; ignored", dangling)
    return IndexData(
        account_id=ids,
        display_name=display,
        country=country,
        city=city,
        phone=phone,
        parent_row=parent_row,
        domain_ptr=offsets(np.array(domain_counts, dtype=np.int64)),
        domain_ids=np.array(domain_ids, dtype=np.int64),
        domains=domains,
        brands=brands,
        name_owner=np.array(name_owner, dtype=np.int64),
        name_raw=name_raw,
        name_ascii=name_ascii,
        name_legal=name_legal,
        name_acronym=name_acronym,
        name_lossy=np.array(name_lossy, dtype=bool),
        name_tok_ptr=offsets(np.array(tok_counts, dtype=np.int64)),
        name_tok_ids=np.array(tok_ids, dtype=np.int64),
        tokens=tokens,
    )


def _own_domain(key: DomainKey, name_words: set[str]) -> bool:
    """A hosting platform's domain (facebook.com, github.io) is an account's own only when the
    account is that platform ("Google LLC", "Facebook, Inc."): a CRM's "website" is often the
    company's page on one of them. The brand must be a word of the name, not a part of one
    ("t" of t.co is in "tesla")."""
    return not is_hosting_domain(key.domain) or key.brand.replace("-", "") in name_words


def _check(data: IndexData, path: Path) -> None:
    """Refuse loaded columns that do not fit together: lengths, offsets and row references.

    Checksums catch damage in transit; this catches a file that was edited or written by
    something else, before it could index out of range or name the wrong accounts.
    """

    def fail(what: str) -> IndexFormatError:
        return IndexFormatError(f"{path}: {what}; the file is not a consistent leadmatch index")

    def csr(ptr: IntArray, rows: int, values: IntArray, limit: int, what: str) -> None:
        if len(ptr) != rows + 1 or ptr[0] != 0 or ptr[-1] != len(values):
            raise fail(f"the {what} offsets do not fit")
        if (np.diff(ptr) < 0).any():
            raise fail(f"the {what} offsets decrease")
        in_range(values, 0, limit, what)

    def in_range(values: Any, low: int, high: int, what: str) -> None:
        if values.dtype.kind not in "iu":
            raise fail(f"{what} are not integers")
        if len(values) and (values.min() < low or values.max() >= high):
            raise fail(f"{what} point outside the index")

    n_acct, n_names = len(data.account_id), len(data.name_owner)
    for column in (data.display_name, data.country, data.city, data.phone, data.parent_row):
        if len(column) != n_acct:
            raise fail("account columns differ in length")
    per_name = (data.name_raw, data.name_ascii, data.name_legal, data.name_acronym, data.name_lossy)
    if any(len(column) != n_names for column in per_name) or len(data.brands) != len(data.domains):
        raise fail("name or domain columns differ in length")
    if data.name_lossy.dtype != np.bool_:
        raise fail("name_lossy is not boolean")
    in_range(data.parent_row, -1, n_acct, "parent rows")
    in_range(data.name_owner, 0, n_acct, "name owners")
    csr(data.domain_ptr, n_acct, data.domain_ids, len(data.domains), "domain")
    csr(data.name_tok_ptr, n_names, data.name_tok_ids, len(data.tokens), "name token")


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "record"
        return f"{where}: {first.get('msg', exc)}"
    return str(exc)


def _first_owner(ptr: IntArray, rows: IntArray) -> IntArray:
    first = np.full(len(ptr), -1, dtype=np.int64)
    owned = np.flatnonzero(np.diff(ptr) > 0)
    first[owned] = rows[ptr[owned]]
    return first


def _alphabetical_rank(values: list[str]) -> IntArray:
    """Each value's position in sorted order."""
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(object_array(values), kind="stable")] = np.arange(len(values))
    return rank


def _hierarchy(parent_row: IntArray) -> tuple[IntArray, IntArray]:
    """Ultimate parent and depth of every account.

    An account whose parent chain loops (A -> B -> A), or runs deeper than
    :data:`MAX_HIERARCHY_DEPTH`, is a data error: it is treated as its own ultimate parent.
    """
    n = len(parent_row)
    ultimate = np.arange(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    parent_row = np.where(parent_row == ultimate, -1, parent_row)  # its own parent: a root
    current = parent_row.copy()
    active = current >= 0
    for _ in range(MAX_HIERARCHY_DEPTH):
        rows = np.flatnonzero(active)
        if not len(rows):
            break
        ultimate[rows] = current[rows]
        depth[rows] += 1
        current[rows] = parent_row[current[rows]]
        active[rows] = current[rows] >= 0
    broken = np.flatnonzero(active)
    if len(broken):
        log.warning(
            "%d account(s) have a parent_id chain that loops; treated as roots", len(broken)
        )
        ultimate[broken] = broken
        depth[broken] = 0
    return ultimate, depth


def _derive(data: IndexData) -> Lookups:
    n_acct = len(data.account_id)
    n_names = len(data.name_owner)
    n_dom = len(data.domains)
    n_tok = len(data.tokens)

    ultimate, depth = _hierarchy(data.parent_row)
    id_rank = _alphabetical_rank(data.account_id)

    acct_name_ptr, acct_name_rows = group_by(data.name_owner, n_acct)

    dom_counts = np.diff(data.domain_ptr)
    dom_owner = np.repeat(np.arange(n_acct, dtype=np.int64), dom_counts)
    domain_acct_ptr, order = group_by(data.domain_ids, n_dom)
    domain_acct_rows = dom_owner[order]

    brand_of: dict[str, int] = {}
    domain_brand = np.array(
        [brand_of.setdefault(b, len(brand_of)) for b in data.brands], dtype=np.int64
    )
    acct_brand = domain_brand[data.domain_ids] if n_dom else data.domain_ids.copy()
    brand_acct_ptr, order = group_by(acct_brand, len(brand_of))
    brand_acct_rows = dom_owner[order]

    # Company groups: parent links, shared domains, and identical name + country.
    left = [np.flatnonzero(data.parent_row >= 0)]
    right = [data.parent_row[left[0]]]
    if len(domain_acct_rows) > 1:
        same = ~first_of_groups(data.domain_ids[np.argsort(data.domain_ids, kind="stable")])
        left.append(domain_acct_rows[np.flatnonzero(same) - 1])
        right.append(domain_acct_rows[same])
    primary = acct_name_rows[acct_name_ptr[:-1][np.diff(acct_name_ptr) > 0]]
    dup_key = np.array(
        [f"{data.country[data.name_owner[r]]}|{data.name_ascii[r]}" for r in primary], dtype=object
    )
    if len(dup_key) > 1:
        order = np.argsort(dup_key, kind="stable")
        same = ~first_of_groups(dup_key[order])
        keep = same & (np.array([bool(data.name_ascii[r]) for r in primary[order]]))
        left.append(data.name_owner[primary[order][np.flatnonzero(keep) - 1]])
        right.append(data.name_owner[primary[order][keep]])
    group = connected_components(n_acct, np.concatenate(left), np.concatenate(right))
    family_ptr, family_rows = group_by(group, n_acct)

    tok_owner = np.repeat(np.arange(n_names, dtype=np.int64), np.diff(data.name_tok_ptr))
    post_ptr, order = group_by(data.name_tok_ids, n_tok)
    post_rows = tok_owner[order]
    # Document frequency counts accounts, not name rows: aliases must not dilute a token.
    token_df = np.zeros(n_tok, dtype=np.int64)
    if n_tok:
        pairs = np.unique(data.name_tok_ids * max(n_acct, 1) + data.name_owner[tok_owner])
        token_df = np.bincount(pairs // max(n_acct, 1), minlength=n_tok)
    idf_raw = np.log((1.0 + n_acct) / (1.0 + token_df)) + 1.0
    generic = common_words()
    generic_mask = np.array([t in generic for t in data.tokens], dtype=bool)
    idf = np.where(generic_mask, np.minimum(idf_raw, GENERIC_IDF), idf_raw)
    unseen_idf = float(np.log(1.0 + n_acct) + 1.0)
    common = generic_mask | (token_df >= max(COMMON_TOKEN_MIN_DF, COMMON_TOKEN_SHARE * n_acct))
    uncommon_count = np.bincount(tok_owner, weights=~common[data.name_tok_ids], minlength=n_names)
    compact = [n.replace(" ", "") for n in data.name_ascii]
    compact_len = np.array([len(c) for c in compact], dtype=np.int64)
    short = compact_len <= 3
    name_generic = short | (uncommon_count == 0)

    exact_names: dict[str, list[int]] = {}
    acronyms: dict[str, list[int]] = {}
    for row, (ascii_name, acronym) in enumerate(zip(data.name_ascii, data.name_acronym)):
        if ascii_name:
            exact_names.setdefault(ascii_name.replace(" ", ""), []).append(row)
        if len(acronym) >= 3:
            acronyms.setdefault(acronym, []).append(row)
    for table in (exact_names, acronyms):  # capped look-ups must not depend on load order
        for rows in table.values():
            if len(rows) > 1:
                rows.sort(key=lambda r: int(id_rank[data.name_owner[r]]))
    typo_keys: dict[str, list[int]] = {}
    for tok_id, token in enumerate(data.tokens):
        if token.isalpha():
            for key in deletion_keys(token):
                typo_keys.setdefault(key, []).append(tok_id)

    columns = {
        name: object_array(getattr(data, name))
        for name in ("tokens", "name_acronym", "name_legal", "country", "city", "phone")
    }
    columns["name_compact"] = object_array(compact)
    return Lookups(
        columns=columns,
        row_of_id={value: row for row, value in enumerate(data.account_id)},
        ultimate_row=ultimate,
        depth=depth,
        group=group,
        family_ptr=family_ptr,
        family_rows=family_rows,
        id_rank=id_rank,
        acct_name_ptr=acct_name_ptr,
        acct_name_rows=acct_name_rows,
        domain_of={d: i for i, d in enumerate(data.domains)},
        domain_acct_ptr=domain_acct_ptr,
        domain_acct_rows=domain_acct_rows,
        domain_first_owner=_first_owner(domain_acct_ptr, domain_acct_rows),
        brand_of=brand_of,
        domain_brand=domain_brand,
        brand_acct_ptr=brand_acct_ptr,
        brand_acct_rows=brand_acct_rows,
        acct_domain_keys=np.sort(dom_owner * max(n_dom, 1) + data.domain_ids),
        acct_brand_keys=np.sort(dom_owner * max(len(brand_of), 1) + acct_brand),
        token_of={t: i for i, t in enumerate(data.tokens)},
        idf=idf,
        idf_raw=idf_raw,
        unseen_idf=unseen_idf,
        token_df=token_df,
        token_rank=_alphabetical_rank(data.tokens),
        post_ptr=post_ptr,
        post_rows=post_rows,
        name_compact_len=compact_len,
        token_common=common,
        name_generic=name_generic,
        exact_names=exact_names,
        acronyms=acronyms,
        typo_keys=typo_keys,
    )


class AccountIndex:
    """The accounts to match against, built once and reused for every lead.

    >>> index = AccountIndex.build([{"account_id": "A1", "name": "ACME Robotics Ltd",
    ...                              "domain": "acme-robotics.co.uk"}])
    >>> m = index.match(Lead(email="j.doe@acme-robotics.co.uk", company="Acme Robotics"))
    >>> m.account_id, m.decision
    ('A1', 'matched')

    An index is safe to share between threads for matching: nothing in it changes after build.
    """

    def __init__(self, data: IndexData, config: MatchConfig | None = None) -> None:
        self.data = data
        self.lookups = _derive(data)
        self.config = config or MatchConfig()

    @classmethod
    def build(
        cls,
        accounts: Iterable[Account | Mapping[str, Any]] | Any,
        config: MatchConfig | None = None,
    ) -> AccountIndex:
        """Normalize and index accounts: ``Account`` objects, dicts, or a pandas DataFrame.

        Unusable records (no id, duplicate id, wrong types) are logged and skipped, or raise
        :class:`~leadmatch.errors.InvalidAccountError` when ``config.strict`` is set.
        """
        config = config or MatchConfig()
        return cls(_build_data(_account_records(accounts), config.strict), config)

    def __len__(self) -> int:
        return len(self.data.account_id)

    def __repr__(self) -> str:
        return (
            f"AccountIndex({len(self):,} accounts, {len(self.data.name_owner):,} names, "
            f"{len(self.data.domains):,} domains)"
        )

    def with_config(self, config: MatchConfig) -> AccountIndex:
        """The same accounts matched under another config (the tables are shared, not copied)."""
        clone = object.__new__(AccountIndex)
        clone.data, clone.lookups, clone.config = self.data, self.lookups, config
        return clone

    def account(self, account_id: str) -> dict[str, Any]:
        """What the index holds of one account (normalized), for inspection and debugging."""
        row = self.lookups.row_of_id.get(account_id)
        if row is None:
            raise KeyError(account_id)
        d, lk = self.data, self.lookups
        names = lk.acct_name_rows[lk.acct_name_ptr[row] : lk.acct_name_ptr[row + 1]]
        return {
            "account_id": account_id,
            "name": d.display_name[row],
            "names": [d.name_ascii[r] for r in names],
            "legal_forms": [d.name_legal[r] for r in names],
            "domains": [
                d.domains[i] for i in d.domain_ids[d.domain_ptr[row] : d.domain_ptr[row + 1]]
            ],
            "country": d.country[row],
            "parent_id": None if d.parent_row[row] < 0 else d.account_id[d.parent_row[row]],
            "ultimate_parent_id": d.account_id[lk.ultimate_row[row]],
        }

    def match(self, lead: Lead | Mapping[str, Any]) -> Match:
        """Match one lead: a batch of one, through the same code path as :meth:`match_many`."""
        results: list[Match] = self.match_many([lead])
        return results[0]

    def match_many(self, leads: LeadInput) -> Any:
        """Match many leads: a list in gives a list of :class:`Match` out, same order and length;
        a pandas DataFrame in gives a DataFrame out (same index) with the output columns.
        """
        from leadmatch.pipeline import match_leads

        return match_leads(self, leads)

    def match_iter(
        self,
        leads: Iterable[Lead | Mapping[str, Any]],
        *,
        chunk_size: int = 20_000,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Match]:
        """Match a stream of leads of any length, ``chunk_size`` at a time, yielding one
        :class:`Match` per lead in order; memory holds one chunk, not the stream.
        ``progress(n)`` is called with the number of leads done after each chunk.

        >>> index = AccountIndex.build([{"account_id": "A1", "name": "Nordic Timber AB"}])
        >>> [m.account_id for m in index.match_iter(iter([{"company": "Nordic Timber"}] * 3),
        ...                                           chunk_size=2)]
        ['A1', 'A1', 'A1']
        """
        from leadmatch.pipeline import match_stream

        return match_stream(self, leads, chunk_size, progress)

    def save(self, path: str | Path) -> Path:
        """Write the index to one file (arrays + JSON in an uncompressed zip; no pickle)."""
        return _store.save(path, self.data, NAME_NORMALIZER_VERSION)

    @classmethod
    def load(cls, path: str | Path, config: MatchConfig | None = None) -> AccountIndex:
        """Read an index written by :meth:`save`; a damaged or foreign file raises
        :class:`~leadmatch.errors.IndexFormatError`."""
        data = _store.load(path, IndexData, NAME_NORMALIZER_VERSION)
        _check(data, Path(path))
        return cls(data, config)
