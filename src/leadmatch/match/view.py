"""What the matching stages read of an index: one version of its tables and a config."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadmatch.config import MatchConfig
from leadmatch.io import LabelBook
from leadmatch.tables import IndexData, Lookups, Tables, fields_held

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex


@dataclass(frozen=True)
class IndexView:
    """A read-only view of an index, taken once per call: a batch reads one version of the
    tables to its end, whatever changes the index meanwhile. ``AccountIndex.view()`` makes
    one; the stages never see ``AccountIndex`` itself, which sits above them and calls them.
    """

    tables: Tables
    config: MatchConfig
    labels: LabelBook | None = None
    """People's answers, which win over the model for the leads they find (see
    :mod:`leadmatch.io.labels`)."""

    @property
    def data(self) -> IndexData:
        return self.tables.data

    @property
    def lookups(self) -> Lookups:
        return self.tables.lookups

    def with_config(self, config: MatchConfig) -> IndexView:
        """These tables under another config, if they hold the account fields it asks for."""
        return IndexView(self.tables, fields_held(self.data, config), self.labels)

    def with_labels(self, labels: LabelBook | None) -> IndexView:
        """These tables and config, with ``labels`` winning over the model."""
        return IndexView(self.tables, self.config, labels)

    def holds(self, account_ids: Iterable[str]) -> list[bool]:
        """Per id, whether this version of the index holds the account (not removed)."""
        live, row_of_id = self.lookups.live(), self.tables.row_of_id
        return [(row := row_of_id.get(i)) is not None and bool(live[row]) for i in account_ids]

    def whole(self) -> IndexView:
        """This view without the rows removed accounts leave behind, for code that reads
        every account (duplicates, evaluation) rather than looking leads up."""
        return IndexView(self.tables.whole.shared(), self.config, self.labels)


def view_of(index: AccountIndex | IndexView) -> IndexView:
    """One version of ``index`` to read throughout a call, whatever changes it meanwhile."""
    return index if isinstance(index, IndexView) else index.view()
