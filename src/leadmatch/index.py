"""AccountIndex: the accounts, normalized once into arrays, and the tables matching reads.

Layout. Accounts are rows ``0..n_accounts``. Each account has one or more *names* (its name and
its aliases) as rows of the name table, each owned by one account. Domains and name tokens are
interned into vocabularies; per-row lists of them are CSR arrays (``ptr``, ``ids``). Strings are
:class:`~leadmatch._strings.StringColumn` (UTF-8 bytes and offsets). :class:`IndexData` holds
what the accounts said; :class:`~leadmatch.lookups.Lookups` what is derived from it. Both are
saved as plain arrays (no pickle) and mapped back on load.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from leadmatch import _store
from leadmatch._arrays import IntArray, offsets
from leadmatch._strings import StringColumn
from leadmatch.accounts import prepare_all
from leadmatch.config import MatchConfig
from leadmatch.errors import ConfigError, IndexFormatError, InvalidAccountError
from leadmatch.lookups import Lookups, check, derive

if TYPE_CHECKING:
    from leadmatch.edits import Editor
from leadmatch.models import Account, Lead, Match
from leadmatch.normalize.names import NAME_NORMALIZER_VERSION

if TYPE_CHECKING:
    from leadmatch.records import LeadInput

log = logging.getLogger("leadmatch")


@dataclass(frozen=True)
class IndexData:
    """The persisted columns of an index (see the module docstring for the layout)."""

    account_id: StringColumn
    display_name: StringColumn
    country: StringColumn
    city: StringColumn
    phone: StringColumn
    parent_row: IntArray
    parent_id: StringColumn
    """The parent id each account names ('' for none), kept so that an update can link a
    parent added later, as a build from the final accounts would."""
    domain_ptr: IntArray
    domain_ids: IntArray
    domains: StringColumn
    brands: StringColumn
    name_owner: IntArray
    name_raw: StringColumn
    name_ascii: StringColumn
    name_legal: StringColumn
    name_acronym: StringColumn
    name_lossy: npt.NDArray[np.bool_]
    name_tok_ptr: IntArray
    name_tok_ids: IntArray
    tokens: StringColumn
    field_names: StringColumn
    """The extra account fields kept (``MatchConfig.account_fields`` at build)."""
    field_values: StringColumn
    """Their values, account by account (``len(field_names)`` per account)."""


def _interned(values: Iterable[str], vocab: dict[str, int], strings: list[str]) -> list[int]:
    out = []
    for value in values:
        idx = vocab.get(value)
        if idx is None:
            idx = vocab[value] = len(strings)
            strings.append(value)
        out.append(idx)
    return out


def _account_records(
    accounts: Any, keep: Sequence[str] = (), columns: Mapping[str, str] | None = None
) -> Iterable[Mapping[str, Any] | Account]:
    from leadmatch.frames import frame_kind, frame_records

    if frame_kind(accounts) is not None:
        return frame_records(accounts, "account", keep, columns)
    if columns is not None:
        raise TypeError("columns= maps the columns of a DataFrame or Arrow table, not of records")
    return accounts  # type: ignore[no-any-return]


def _fields_held(data: IndexData, config: MatchConfig) -> MatchConfig:
    """``config``, if the index holds the account fields it asks results to carry."""
    held = set(data.field_names)
    missing = [name for name in config.account_fields if name not in held]
    if missing:
        raise ConfigError(
            f"the index holds no account field {', '.join(map(repr, missing))} (it holds "
            f"{sorted(held) or 'none'}): build it with MatchConfig(account_fields=...) naming it"
        )
    return config


def _field_values(record: Any, names: Sequence[str]) -> tuple[str, ...]:
    """A record's values of the extra fields, as text ('' where it has none)."""
    if isinstance(record, Mapping):
        return tuple(field_text(record.get(name)) for name in names)
    return tuple(field_text(getattr(record, name, None)) for name in names)


def field_text(value: Any) -> str:
    """An account field as it reads in a CSV cell: numbers as written (1001, not 1001.0),
    booleans as True/False, dates in ISO form; missing values (None, NaN, NaT) as ''."""
    if value is None or isinstance(value, str):
        return value or ""
    item = getattr(value, "item", None)  # a NumPy scalar: its Python value
    if callable(item) and not hasattr(value, "isoformat"):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        try:
            return "" if value != value else str(value.isoformat())  # NaT != NaT
        except (TypeError, ValueError):
            return ""
    text = str(value)
    return "" if text in ("nan", "<NA>", "NaT") else text


def _build_data(
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
    whose parents may be in the index: those are linked by :func:`leadmatch.updates.merged`).
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
    field_values: list[str] = []
    # Extra fields are read here as records go to be prepared (in order, maybe in workers),
    # and taken back as each prepared record comes out.
    pending: deque[tuple[str, ...]] = deque()

    def tapped() -> Iterator[Any]:
        for record in accounts:
            pending.append(_field_values(record, fields))
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
        field_values.extend(values)
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
        field_values=text(field_values),
    )


def _check(data: IndexData, lookups: Lookups, path: Path) -> None:
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
    per_account = (data.display_name, data.country, data.city, data.phone, data.parent_row)
    for column in (*per_account, data.parent_id):
        if len(column) != n_acct:
            raise fail("account columns differ in length")
    per_name = (data.name_raw, data.name_ascii, data.name_legal, data.name_acronym, data.name_lossy)
    if any(len(column) != n_names for column in per_name) or len(data.brands) != len(data.domains):
        raise fail("name or domain columns differ in length")
    if data.name_lossy.dtype != np.bool_:
        raise fail("name_lossy is not boolean")
    if len(data.field_values) != n_acct * len(data.field_names):
        raise fail("account field values do not fit the accounts")
    in_range(data.parent_row, -1, n_acct, "parent rows")
    in_range(data.name_owner, 0, n_acct, "name owners")
    csr(data.domain_ptr, n_acct, data.domain_ids, len(data.domains), "domain")
    csr(data.name_tok_ptr, n_names, data.name_tok_ids, len(data.tokens), "name token")
    problem = check(lookups, n_acct, n_names, len(data.domains), len(data.tokens))
    if problem:
        raise fail(problem)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class _State:
    """One version of an index's tables, and the file that holds them if one does. A change
    makes a new one and swaps it in whole, so a match that took the old one reads it to the
    end, unchanged, and never pairs the new tables with the old file.

    After changes made in place (:mod:`leadmatch.edits`) the tables keep removed accounts'
    rows, unreachable; :attr:`whole` is the same accounts without them (what is saved)."""

    def __init__(
        self,
        data: IndexData,
        lookups: Lookups,
        path: Path | None = None,
        stamp: Any = None,
        ids: Mapping[str, int] | None = None,
    ) -> None:
        self.data, self.lookups = data, lookups
        self.path: Path | None = path
        self.stamp: tuple[int, int, int] | None = stamp
        self.editor: Editor | None = None
        """What changes these tables in place; only the newest version of an index has one."""
        if ids is not None:
            self.__dict__["row_of_id"] = ids
        # Decoded once here, not on the first lead: the columns matching reads pair by pair.
        data.tokens.objects()
        lookups.name_compact.objects()

    def shared(self, path: Path | None = None) -> _State:
        """These tables as another version (without the editor), held by ``path`` if given."""
        if path is None:
            state = _State(self.data, self.lookups, self.path, self.stamp)
        else:
            state = _State(self.data, self.lookups, path, _stamp(path))
        if "row_of_id" in self.__dict__:
            state.__dict__["row_of_id"] = self.__dict__["row_of_id"]
        return state

    @property
    def complete(self) -> bool:
        """Whether every row is a live account (no row left behind by a removal)."""
        return self.lookups.n_accounts == len(self.data.account_id)

    @cached_property
    def whole(self) -> _State:
        """These accounts without the rows removals left behind."""
        if self.complete:
            return self
        from leadmatch.edits import compacted

        return _State(*compacted(self.data, self.lookups))

    @cached_property
    def row_of_id(self) -> Mapping[str, int]:
        return {value: row for row, value in enumerate(self.data.account_id)}


class _Shared:
    """What an index and its :meth:`AccountIndex.with_config` views share: the current
    version of the tables and the lock that lets one change or save run at a time."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.lock = threading.Lock()


class AccountIndex:
    """The accounts to match against, built once and reused for every lead.

    >>> index = AccountIndex.build([{"account_id": "A1", "name": "ACME Robotics Ltd",
    ...                              "domain": "acme-robotics.co.uk"}])
    >>> m = index.match(Lead(email="j.doe@acme-robotics.co.uk", company="Acme Robotics"))
    >>> m.account_id, m.decision
    ('A1', 'matched')

    Threads: any number may match while one changes the index (:meth:`add`, :meth:`update`,
    :meth:`remove`). A change builds new tables beside the current ones and swaps them in with
    one assignment (copy-on-write); each call that reads the index takes the tables current
    when it starts and reads those to its end, so a batch is never matched half against the
    old accounts and half against the new. Changes run one at a time (a lock).
    """

    def __init__(
        self, data: IndexData, config: MatchConfig | None = None, lookups: Lookups | None = None
    ) -> None:
        self._shared = _Shared(_State(data, lookups or derive(data)))
        self.config = _fields_held(data, config or MatchConfig())

    @property
    def data(self) -> IndexData:
        return self._shared.state.data

    @property
    def lookups(self) -> Lookups:
        return self._shared.state.lookups

    @property
    def path(self) -> Path | None:
        """The file this index was loaded from or last saved to, while it still holds what the
        index holds (worker processes map it); ``None`` after a change until the next save."""
        return self._shared.state.path

    def snapshot(self) -> AccountIndex:
        """This index as it is now, unaffected by later changes (the tables are shared, not
        copied): what to hand to code that reads the index several times and must see one
        version of it."""
        clone = object.__new__(AccountIndex)
        clone._shared = _Shared(self._shared.state.shared())
        clone.config = self.config
        return clone

    def _whole(self) -> AccountIndex:
        """:meth:`snapshot` without the rows removed accounts leave behind, for code that
        reads every account (duplicates, evaluation) rather than looking leads up."""
        clone = object.__new__(AccountIndex)
        clone._shared = _Shared(self._shared.state.whole.shared())
        clone.config = self.config
        return clone

    @classmethod
    def build(
        cls,
        accounts: Iterable[Account | Mapping[str, Any]] | Any,
        config: MatchConfig | None = None,
        *,
        workers: int = 1,
        columns: Mapping[str, str] | None = None,
    ) -> AccountIndex:
        """Normalize and index accounts: ``Account`` objects, dicts, or a DataFrame or Arrow
        table (pandas, polars, pyarrow), whose columns are found by name as the CLI finds a
        file's (canonical, Salesforce, HubSpot) or named by ``columns`` (``{column: field}``).

        Unusable records (no id, duplicate id, wrong types) are logged and skipped, or raise
        :class:`~leadmatch.errors.InvalidAccountError` when ``config.strict`` is set.
        ``workers > 1`` normalizes records in that many processes (for hundreds of thousands
        of accounts; the index is the same).
        """
        if workers < 1:
            raise ValueError("workers must be at least 1")
        config = config or MatchConfig()
        records = _account_records(accounts, config.account_fields, columns)
        return cls(_build_data(records, config.strict, workers, config.account_fields), config)

    def __contains__(self, account_id: object) -> bool:
        """Whether an account of this id is in the index."""
        return isinstance(account_id, str) and account_id in self._row_of_id

    def __len__(self) -> int:
        return self.lookups.n_accounts

    def __repr__(self) -> str:
        lk = self.lookups
        return f"AccountIndex({len(self):,} accounts, {len(lk.domain_table):,} domains)"

    def with_config(self, config: MatchConfig) -> AccountIndex:
        """The same accounts matched under another config: a view that shares the tables (and
        sees later changes to them), not a copy."""
        clone = object.__new__(AccountIndex)
        clone._shared = self._shared
        clone.config = _fields_held(self.data, config)
        return clone

    @property
    def _row_of_id(self) -> Mapping[str, int]:
        return self._shared.state.row_of_id

    def add(
        self,
        accounts: Iterable[Account | Mapping[str, Any]] | Any,
        *,
        columns: Mapping[str, str] | None = None,
    ) -> int:
        """Index more accounts without a rebuild: records as :meth:`build` takes them (one
        record, a collection, a DataFrame or Arrow table, read with ``columns`` as there).

        An id the index holds already raises :class:`~leadmatch.errors.InvalidAccountError`
        (use :meth:`update`) and nothing changes. Unusable records are skipped with a warning,
        or raise under ``config.strict``, as in :meth:`build`. Returns the accounts added.
        """
        return self.apply(add=accounts, columns=columns)["added"]

    def update(
        self,
        accounts: Iterable[Account | Mapping[str, Any]] | Any,
        *,
        columns: Mapping[str, str] | None = None,
    ) -> int:
        """Replace accounts by new versions of them (all their fields: a record is the whole
        account, as in :meth:`build`). An id the index does not hold raises
        :class:`~leadmatch.errors.InvalidAccountError` (use :meth:`add`) and nothing changes.
        Returns the accounts updated."""
        return self.apply(update=accounts, columns=columns)["updated"]

    def remove(self, account_ids: Iterable[str], *, missing_ok: bool = False) -> int:
        """Take accounts out of the index by id. An id it does not hold raises ``KeyError``
        (nothing changes) unless ``missing_ok``. Accounts that named a removed one as their
        parent become roots, and are linked again if it is added back. Returns the accounts
        removed."""
        return self.apply(remove=account_ids, missing_ok=missing_ok)["removed"]

    def apply(
        self,
        *,
        add: Any = None,
        update: Any = None,
        remove: Iterable[str] = (),
        missing_ok: bool = False,
        columns: Mapping[str, str] | None = None,
    ) -> dict[str, int]:
        """:meth:`add`, :meth:`update` and :meth:`remove` in one change (a CRM sync's new,
        changed and deleted accounts): one new version of the tables, edited where the
        changed accounts are (or derived again when they are more than a fiftieth of the
        index). Every check runs before anything changes. Returns how many accounts were
        ``added``, ``updated`` and ``removed``.

        >>> index = AccountIndex.build([{"account_id": "A1", "name": "Nordic Timber AB"}])
        >>> index.apply(add=[{"account_id": "A2", "name": "Sakura Denki KK"}], remove=["A1"])
        {'added': 1, 'updated': 0, 'removed': 1}
        """
        if isinstance(remove, str):
            remove = [remove]
        with self._shared.lock:
            state = self._shared.state
            data, row_of = state.data, state.row_of_id
            fields = data.field_names.tolist()
            added, updated = (
                [] if part is None else list(_account_records(_collection(part), fields, columns))
                for part in (add, update)
            )
            records = added + updated
            sources: list[int] = []
            repeated: list[str] = []
            new = _build_data(
                records,
                self.config.strict,
                1,
                fields,
                whole=False,
                sources=sources,
                repeated=repeated,
            )
            if repeated:  # which record of an id should win is the caller's call, not ours
                raise InvalidAccountError(
                    f"given more than once (in add and update together): {_listed(repeated)}"
                )
            new_ids = new.account_id.tolist()
            adding = [i for i, at in zip(new_ids, sources) if at < len(added)]
            updating = [i for i, at in zip(new_ids, sources) if at >= len(added)]
            removing = list(dict.fromkeys(remove))
            held = [i for i in adding if i in row_of]
            if held:
                raise InvalidAccountError(
                    f"already in the index (update them instead): {_listed(held)}"
                )
            absent = [i for i in updating if i not in row_of]
            if absent:
                raise InvalidAccountError(f"not in the index (add them instead): {_listed(absent)}")
            unknown = [i for i in removing if not isinstance(i, str) or i not in row_of]
            if unknown and not missing_ok:
                raise KeyError(f"not in the index: {_listed(unknown)}")
            twice = sorted(set(removing) & set(new_ids))
            if twice:
                raise InvalidAccountError(f"both removed and added or updated: {_listed(twice)}")
            gone = [row_of[i] for i in removing if isinstance(i, str) and i in row_of]
            counts = {"added": len(adding), "updated": len(updating), "removed": len(gone)}
            if not any(counts.values()):
                return counts
            rows = np.array(gone + [row_of[i] for i in updating], dtype=np.int64)
            self._shared.state = _changed(state, rows, new)  # held by no file yet
            return counts

    def account(self, account_id: str) -> dict[str, Any]:
        """What the index holds of one account (normalized), for inspection and debugging."""
        state = self._shared.state
        row = state.row_of_id.get(account_id)
        if row is None:
            raise KeyError(account_id)
        d, lk = state.data, state.lookups
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

    def match_many(self, leads: LeadInput, *, columns: Mapping[str, str] | None = None) -> Any:
        """Match many leads: a list in gives a list of :class:`Match` out, same order and length.

        A DataFrame or Arrow table in (pandas, polars, pyarrow ``Table`` or ``RecordBatch``)
        gives the same kind out, one row per input row in order (a pandas result keeps the
        input's index): the CLI's output columns, ``ultimate_parent_id`` and the account fields.
        An Arrow stream in (a ``RecordBatchReader``, or anything with ``__arrow_c_stream__``,
        such as a DuckDB relation) gives a ``RecordBatchReader`` out, matched as it is read.
        Its columns are read as the CLI reads a file's headers, or as ``columns`` maps them
        (``{"Work Email": "email"}``); a row that cannot be read gets decision ``error``.
        """
        from leadmatch.pipeline import match_leads

        return match_leads(self.snapshot(), leads, columns)

    def match_iter(
        self,
        leads: Iterable[Lead | Mapping[str, Any]],
        *,
        chunk_size: int = 20_000,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
    ) -> Iterator[Match]:
        """Match a stream of leads of any length, ``chunk_size`` at a time, yielding one
        :class:`Match` per lead in order; memory holds one chunk, not the stream.
        ``progress(n)`` is called with the number of leads done after each chunk.

        ``workers > 1`` matches chunks in that many processes, each mapping the saved index
        file (an index built in memory is saved to a temporary file first): the same results
        in the same order, with up to ``2 * workers`` chunks in flight. It pays for streams
        of several chunks; a stream of one chunk is matched in this process.

        >>> index = AccountIndex.build([{"account_id": "A1", "name": "Nordic Timber AB"}])
        >>> results = index.match_iter(iter([{"company": "Nordic Timber"}] * 3), chunk_size=2)
        >>> " ".join(m.account_id or "-" for m in results)
        'A1 A1 A1'
        """
        from leadmatch.pipeline import match_stream

        return match_stream(self.snapshot(), leads, chunk_size, progress, workers)

    def save(self, path: str | Path) -> Path:
        """Write the index to one file (arrays + JSON in an uncompressed zip; no pickle),
        atomically: a crash while saving leaves any previous file at ``path`` intact."""
        shared = self._shared
        with shared.lock:  # the file and :attr:`path` then hold the same version
            written = self._write(path)
            whole = shared.state.whole
            state = whole.shared(written)
            if whole is shared.state:  # the same rows: edits go on in place
                state.editor, shared.state.editor = shared.state.editor, None
            shared.state = state
        return written

    def _write(self, path: str | Path) -> Path:
        """:meth:`save` without making ``path`` this index's file (for temporary copies)."""
        state = self._shared.state.whole
        parts = {"data": state.data, "lookups": state.lookups}
        return _store.save(path, parts, NAME_NORMALIZER_VERSION).resolve()

    @classmethod
    def load(
        cls, path: str | Path, config: MatchConfig | None = None, *, mmap: bool = True
    ) -> AccountIndex:
        """Read an index written by :meth:`save`; a damaged or foreign file raises
        :class:`~leadmatch.errors.IndexFormatError`.

        With ``mmap`` (the default) the arrays are mapped from the file, not copied: processes
        that load the same file share its pages. Replace the file only by renaming a new one
        over it (as :meth:`save` does), never by writing into it.
        """
        parts = _store.load(
            path, {"data": IndexData, "lookups": Lookups}, NAME_NORMALIZER_VERSION, mapped=mmap
        )
        _check(parts["data"], parts["lookups"], Path(path))
        index = cls(parts["data"], config, parts["lookups"])
        index._shared.state = index._shared.state.shared(Path(path).resolve())
        return index

    def file_unchanged(self) -> bool:
        """Whether :attr:`path` still holds this index (not changed or replaced since load or
        save)."""
        state = self._shared.state
        return state.path is not None and _stamp(state.path) == state.stamp


def _changed(state: _State, gone: IntArray, new: IndexData) -> _State:
    """A new version of ``state``'s tables: accounts at rows ``gone`` removed, ``new`` added.

    A small change edits the tables (:mod:`leadmatch.edits`); a large one derives them again.
    Either way, once removed accounts' rows pass a quarter of the rows, the tables are first
    compacted (as :meth:`AccountIndex.save` does), so that memory does not grow with churn.
    """
    from leadmatch.edits import Editor, incremental, worth_compacting
    from leadmatch.updates import merged

    lookups = state.lookups
    small = incremental(len(gone) + len(new.account_id), lookups.n_rows)
    if not small or worth_compacting(lookups.n_rows, lookups.n_accounts):
        whole = state.whole
        if whole is not state:  # renumber the rows to remove in the compacted tables
            row_of = whole.row_of_id
            ids = state.data.account_id.take(gone)
            gone = np.array([row_of[i] for i in ids], dtype=np.int64)
            state = whole
    data, lookups = state.data, state.lookups
    if small:
        editor = state.editor or Editor(data, lookups, state.row_of_id)
        state.editor = None  # if the change fails half-way, the next one starts afresh
        after, derived = editor.change(data, lookups, gone, new)
        changed = _State(after, derived, ids=editor.ids)
        changed.editor = editor
        return changed
    keep = np.ones(len(data.account_id), dtype=bool)
    keep[gone] = False
    after, keys = merged(data, lookups, keep, new, state.row_of_id.get)
    return _State(after, derive(after, keys))


def _collection(accounts: Any) -> Any:
    """One account record as a collection of one (a dict is a record, not its keys)."""
    return [accounts] if isinstance(accounts, (Account, Mapping)) else accounts


def _listed(ids: Sequence[object], most: int = 10) -> str:
    shown = ", ".join(map(repr, ids[:most]))
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")
