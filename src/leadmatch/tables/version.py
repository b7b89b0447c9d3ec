"""One version of an index's tables, and the file that holds them if one does.

A change makes a new version (edited in place by :mod:`leadmatch.tables.edit_in_place`, or
derived again by :mod:`leadmatch.tables.rebuild`) and the index swaps it in whole, so a match
that took the old one reads it to the end, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from leadmatch._util.arrays import IntArray
from leadmatch.errors import IndexFormatError
from leadmatch.normalize import NAME_NORMALIZER_VERSION
from leadmatch.tables import store
from leadmatch.tables.data import IndexData
from leadmatch.tables.edit_in_place import Editor, compacted, incremental, worth_compacting
from leadmatch.tables.lookups import Lookups, check, derive
from leadmatch.tables.rebuild import merged


def _check(data: IndexData, lookups: Lookups, path: Path) -> None:
    """Refuse loaded columns that do not fit together: lengths, offsets and row references.

    Checksums catch damage in transit; this catches a file that was edited or written by
    something else, before it could index out of range or name the wrong accounts.
    """
    problem = _columns_problem(data) or check(
        lookups, len(data.account_id), len(data.name_owner), len(data.domains), len(data.tokens)
    )
    if problem:
        raise IndexFormatError(f"{path}: {problem}; the file is not a consistent leadmatch index")


def _columns_problem(data: IndexData) -> str | None:
    """What does not fit in loaded columns (lengths, offsets, row references), or ``None``."""
    n_acct, n_names = len(data.account_id), len(data.name_owner)
    per_account = (data.display_name, data.country, data.city, data.phone, data.parent_row)
    if any(len(column) != n_acct for column in (*per_account, data.parent_id)):
        return "account columns differ in length"
    per_name = (data.name_raw, data.name_ascii, data.name_legal, data.name_acronym, data.name_lossy)
    if any(len(column) != n_names for column in per_name) or len(data.brands) != len(data.domains):
        return "name or domain columns differ in length"
    if data.name_lossy.dtype != np.bool_:
        return "name_lossy is not boolean"
    if len(data.field_values) != n_acct * len(data.field_names):
        return "account field values do not fit the accounts"
    return (
        _range_problem(data.parent_row, -1, n_acct, "parent rows")
        or _range_problem(data.name_owner, 0, n_acct, "name owners")
        or _csr_problem(data.domain_ptr, n_acct, data.domain_ids, len(data.domains), "domain")
        or _csr_problem(
            data.name_tok_ptr, n_names, data.name_tok_ids, len(data.tokens), "name token"
        )
    )


def _csr_problem(ptr: IntArray, rows: int, values: IntArray, limit: int, what: str) -> str | None:
    """What is wrong with a CSR array of ``rows`` rows of values below ``limit``, or ``None``."""
    if len(ptr) != rows + 1 or ptr[0] != 0 or ptr[-1] != len(values):
        return f"the {what} offsets do not fit"
    if (np.diff(ptr) < 0).any():
        return f"the {what} offsets decrease"
    return _range_problem(values, 0, limit, what)


def _range_problem(values: Any, low: int, high: int, what: str) -> str | None:
    """Whether ``values`` are integers from ``low`` to below ``high``, as a problem or ``None``."""
    if values.dtype.kind not in "iu":
        return f"{what} are not integers"
    if len(values) and (values.min() < low or values.max() >= high):
        return f"{what} point outside the index"
    return None


def stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells one content of a file from another without reading it: inode, size and
    modification time (``None`` for no file)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class Tables:
    """One version of an index's tables, and the file that holds them if one does. A change
    makes a new one and swaps it in whole, so a match that took the old one reads it to the
    end, unchanged, and never pairs the new tables with the old file.

    After changes made in place (:mod:`leadmatch.tables.edit_in_place`) the tables keep
    removed accounts' rows, unreachable; :attr:`whole` is the same accounts without them
    (what is saved)."""

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

    def shared(self, path: Path | None = None) -> Tables:
        """These tables as another version (without the editor), held by ``path`` if given."""
        if path is None:
            state = Tables(self.data, self.lookups, self.path, self.stamp)
        else:
            state = Tables(self.data, self.lookups, path, stamp(path))
        if "row_of_id" in self.__dict__:
            state.__dict__["row_of_id"] = self.__dict__["row_of_id"]
        return state

    @property
    def complete(self) -> bool:
        """Whether every row is a live account (no row left behind by a removal)."""
        return self.lookups.n_accounts == len(self.data.account_id)

    @cached_property
    def whole(self) -> Tables:
        """These accounts without the rows removals left behind."""
        if self.complete:
            return self
        return Tables(*compacted(self.data, self.lookups))

    @cached_property
    def row_of_id(self) -> Mapping[str, int]:
        return {value: row for row, value in enumerate(self.data.account_id)}

    def account(self, account_id: str) -> dict[str, Any]:
        """What the index holds of one account (normalized), for inspection and debugging."""
        row = self.row_of_id.get(account_id)
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
            "fields": self._fields_of(row),
        }

    def _fields_of(self, row: int) -> dict[str, str]:
        """The account fields the index holds (``MatchConfig.account_fields`` at build)."""
        names = self.data.field_names.objects() if len(self.data.field_names) else []
        width = len(names)
        return {name: self.data.field_values[row * width + i] for i, name in enumerate(names)}

    def file_unchanged(self) -> bool:
        """Whether :attr:`path` still holds these tables (not replaced since load or save)."""
        return self.path is not None and stamp(self.path) == self.stamp

    def write(self, path: str | Path) -> Path:
        """Save the live accounts' tables to ``path`` (atomically; see :func:`store.save`)."""
        whole = self.whole
        parts = {"data": whole.data, "lookups": whole.lookups}
        return store.save(path, parts, NAME_NORMALIZER_VERSION).resolve()

    @classmethod
    def load(
        cls, path: str | Path, *, mmap: bool = True, checked_at: tuple[int, int, int] | None = None
    ) -> Tables:
        """The tables a file written by :meth:`write` holds; a damaged or foreign file raises
        :class:`~leadmatch.errors.IndexFormatError`.

        ``checked_at``: the :func:`stamp` the file had when this program last checked or
        wrote it. If the file still has it, its checksums and bounds are not checked again:
        a worker process maps its parent's index in milliseconds, not seconds.
        """
        resolved = Path(path).resolve()
        checked = checked_at is None or stamp(resolved) != checked_at
        parts = store.load(
            path, {"data": IndexData, "lookups": Lookups}, NAME_NORMALIZER_VERSION,
            mapped=mmap, checked=checked,
        )  # fmt: skip
        if checked:
            _check(parts["data"], parts["lookups"], Path(path))
        return cls(parts["data"], parts["lookups"], resolved, stamp(resolved))

    def changed(self, gone: IntArray, new: IndexData) -> Tables:
        """A new version of these tables: accounts at rows ``gone`` removed, ``new`` added.

        A small change edits the tables (:mod:`leadmatch.tables.edit_in_place`); a large one
        derives them again (:mod:`leadmatch.tables.rebuild`). Either way, once removed
        accounts' rows pass a quarter of the rows, the tables are first compacted (as a save
        does), so that memory does not grow with churn.
        """
        state, lookups = self, self.lookups
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
            changed = Tables(after, derived, ids=editor.ids)
            changed.editor = editor
            return changed
        keep = np.ones(len(data.account_id), dtype=bool)
        keep[gone] = False
        after, keys = merged(data, lookups, keep, new, state.row_of_id.get)
        return Tables(after, derive(after, keys))
