"""AccountIndex: the engine. It builds, loads, saves and changes the tables of
:mod:`leadmatch.tables`, and hands one version of them with its config (an
:class:`~leadmatch.match.view.IndexView`) to the matching stages of :mod:`leadmatch.match`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from leadmatch.config import MatchConfig
from leadmatch.errors import InvalidAccountError
from leadmatch.io import frame_kind, frame_records, label_book
from leadmatch.match import Explanation, IndexView, explain_lead, match_leads, match_stream
from leadmatch.models import Account, Lead, Match
from leadmatch.tables import (
    IndexData,
    Lookups,
    RowValues,
    Tables,
    build_data,
    derive,
    fields_held,
)

if TYPE_CHECKING:
    from leadmatch.io import LeadInput

log = logging.getLogger("leadmatch")


def _account_records(
    accounts: Any, keep: Sequence[str] = (), columns: Mapping[str, str] | None = None
) -> Iterable[Mapping[str, Any] | Account]:
    if frame_kind(accounts) is not None:
        return frame_records(accounts, "account", keep, columns)
    if columns is not None:
        raise TypeError("columns= maps the columns of a DataFrame or Arrow table, not of records")
    return accounts  # type: ignore[no-any-return]


class _Shared:
    """What an index and its :meth:`AccountIndex.with_config` views share: the current
    version of the tables and the lock that lets one change or save run at a time."""

    def __init__(self, state: Tables) -> None:
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
        self._shared = _Shared(Tables(data, lookups or derive(data)))
        self.config = fields_held(data, config or MatchConfig())

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

    def view(self) -> IndexView:
        """What the matching stages read: the tables as they are now (later changes make new
        tables and leave these as they are) and this index's config."""
        return IndexView(self._shared.state, self.config)

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
        rows: list[RowValues] = []  # worked out in the workers, a chunk at a time
        data = build_data(records, config.strict, workers, config.account_fields, rows=rows)
        return cls(data, config, derive(data, rows=rows[0]))

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
        clone.config = fields_held(self.data, config)
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
            fields = state.data.field_names.tolist()
            added, updated = (
                [] if part is None else list(_account_records(_collection(part), fields, columns))
                for part in (add, update)
            )
            sources: list[int] = []
            repeated: list[str] = []
            new = build_data(
                added + updated, self.config.strict, 1, fields,
                whole=False, sources=sources, repeated=repeated,
            )  # fmt: skip
            if repeated:  # which record of an id should win is the caller's call, not ours
                raise InvalidAccountError(
                    f"given more than once (in add and update together): {_listed(repeated)}"
                )
            new_ids = new.account_id.tolist()
            adding = [i for i, at in zip(new_ids, sources) if at < len(added)]
            updating = [i for i, at in zip(new_ids, sources) if at >= len(added)]
            gone = _rows_to_change(state.row_of_id, adding, updating, remove, missing_ok)
            counts = {"added": len(adding), "updated": len(updating), "removed": len(gone)}
            if any(counts.values()):
                rows = np.array(gone + [state.row_of_id[i] for i in updating], dtype=np.int64)
                self._shared.state = state.changed(rows, new)  # held by no file yet
            return counts

    def account(self, account_id: str) -> dict[str, Any]:
        """What the index holds of one account (normalized), for inspection and debugging."""
        return self._shared.state.account(account_id)

    def match(self, lead: Lead | Mapping[str, Any], *, labels: Any = None) -> Match:
        """Match one lead: a batch of one, through the same code path as :meth:`match_many`
        (a service that gives ``labels`` builds a :class:`~leadmatch.LabelBook` once)."""
        results: list[Match] = self.match_many([lead], labels=labels)
        return results[0]

    def explain(self, lead: Lead | Mapping[str, Any], *, labels: Any = None) -> Explanation:
        """Why ``lead`` gets its result: every candidate blocking found with what each signal
        gave it, the rule that decided, and what would change the decision
        (``print(index.explain(lead).report())`` in a terminal)."""
        return explain_lead(self.view().with_labels(label_book(labels)), lead)

    def match_many(
        self, leads: LeadInput, *, columns: Mapping[str, str] | None = None, labels: Any = None
    ) -> Any:
        """Match many leads: a list in gives a list of :class:`Match` out, same order and length.

        A DataFrame or Arrow table in (pandas, polars, pyarrow ``Table`` or ``RecordBatch``)
        gives the same kind out, one row per input row in order (a pandas result keeps the
        input's index): the CLI's output columns, ``ultimate_parent_id`` and the account fields.
        An Arrow stream in (a ``RecordBatchReader``, or anything with ``__arrow_c_stream__``,
        such as a DuckDB relation) gives a ``RecordBatchReader`` out, matched as it is read.
        Its columns are read as the CLI reads a file's headers, or as ``columns`` maps them
        (``{"Work Email": "email"}``); a row that cannot be read gets decision ``error``.

        ``labels`` (a :class:`~leadmatch.Labels` file or its path, a
        :class:`~leadmatch.LabelBook`, or label records) win over the model: a lead a
        label finds (by lead id, email, or company and domain) gets decision ``labelled``.
        """
        return match_leads(self.view().with_labels(label_book(labels)), leads, columns)

    @overload
    def match_iter(
        self,
        leads: Iterable[Lead | Mapping[str, Any]],
        *,
        chunk_size: int = ...,
        progress: Callable[[int], None] | None = ...,
        workers: int = ...,
        rows: Literal[False] = ...,
        labels: Any = ...,
    ) -> Iterator[Match]: ...

    @overload
    def match_iter(
        self,
        leads: Iterable[Lead | Mapping[str, Any]],
        *,
        chunk_size: int = ...,
        progress: Callable[[int], None] | None = ...,
        workers: int = ...,
        rows: Literal[True],
        labels: Any = ...,
    ) -> Iterator[dict[str, Any]]: ...

    def match_iter(
        self,
        leads: Iterable[Lead | Mapping[str, Any]],
        *,
        chunk_size: int = 20_000,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
        rows: bool = False,
        labels: Any = None,
    ) -> Iterator[Match] | Iterator[dict[str, Any]]:
        """Match a stream of leads of any length, ``chunk_size`` at a time, yielding one
        :class:`Match` per lead in order; memory holds one chunk, not the stream.
        ``progress(n)`` is called with the number of leads done after each chunk. With
        ``rows``, each result comes as the flat row of a results file (the CLI's columns,
        ``ultimate_parent_id`` and the account fields; made in the workers, which is faster).

        ``workers > 1`` matches chunks in that many processes, each mapping the saved index
        file (an index built in memory is saved to a temporary file first): the same results
        in the same order, with up to ``2 * workers`` chunks in flight. It pays for streams
        of several chunks; a stream of one chunk is matched in this process. ``labels`` win
        as in :meth:`match_many`.

        >>> index = AccountIndex.build([{"account_id": "A1", "name": "Nordic Timber AB"}])
        >>> results = index.match_iter(iter([{"company": "Nordic Timber"}] * 3), chunk_size=2)
        >>> " ".join(m.account_id or "-" for m in results)
        'A1 A1 A1'
        """
        view = self.view().with_labels(label_book(labels))
        return match_stream(view, leads, chunk_size, progress, workers, rows)

    def save(self, path: str | Path) -> Path:
        """Write the index to one file (arrays + JSON in an uncompressed zip; no pickle),
        atomically: a crash while saving leaves any previous file at ``path`` intact."""
        shared = self._shared
        with shared.lock:  # the file and :attr:`path` then hold the same version
            written = shared.state.write(path)
            whole = shared.state.whole
            state = whole.shared(written)
            if whole is shared.state:  # the same rows: edits go on in place
                state.editor, shared.state.editor = shared.state.editor, None
            shared.state = state
        return written

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
        tables = Tables.load(path, mmap=mmap)
        index = cls(tables.data, config, tables.lookups)
        index._shared.state = tables
        return index

    def file_unchanged(self) -> bool:
        """Whether :attr:`path` still holds this index (not changed or replaced since load or
        save)."""
        return self._shared.state.file_unchanged()


def _rows_to_change(
    row_of: Mapping[str, int],
    adding: list[str],
    updating: list[str],
    remove: Iterable[str],
    missing_ok: bool,
) -> list[int]:
    """The rows of the accounts to remove, once every id of a change is known to fit the
    index: nothing changes unless all of them do."""
    removing = list(dict.fromkeys(remove))
    held = [i for i in adding if i in row_of]
    if held:
        raise InvalidAccountError(f"already in the index (update them instead): {_listed(held)}")
    absent = [i for i in updating if i not in row_of]
    if absent:
        raise InvalidAccountError(f"not in the index (add them instead): {_listed(absent)}")
    unknown = [i for i in removing if not isinstance(i, str) or i not in row_of]
    if unknown and not missing_ok:
        raise KeyError(f"not in the index: {_listed(unknown)}")
    twice = sorted(set(removing) & {*adding, *updating})
    if twice:
        raise InvalidAccountError(f"both removed and added or updated: {_listed(twice)}")
    return [row_of[i] for i in removing if isinstance(i, str) and i in row_of]


def _collection(accounts: Any) -> Any:
    """One account record as a collection of one (a dict is a record, not its keys)."""
    return [accounts] if isinstance(accounts, (Account, Mapping)) else accounts


def _listed(ids: Sequence[object], most: int = 10) -> str:
    shown = ", ".join(map(repr, ids[:most]))
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")
