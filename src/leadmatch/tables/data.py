"""The columns an index holds of its accounts, as the accounts said them.

Layout. Accounts are rows ``0..n_accounts``. Each account has one or more *names* (its name and
its aliases) as rows of the name table, each owned by one account. Domains and name tokens are
interned into vocabularies; per-row lists of them are CSR arrays (``ptr``, ``ids``). Strings are
:class:`~leadmatch._util.strings.StringColumn` (UTF-8 bytes and offsets). :class:`IndexData`
holds what the accounts said; :class:`~leadmatch.tables.lookups.Lookups` what is derived from
it. Both are saved as plain arrays (no pickle) and mapped back on load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from leadmatch._util.arrays import IntArray
from leadmatch._util.strings import StringColumn
from leadmatch.config import MatchConfig
from leadmatch.errors import ConfigError


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


def fields_held(data: IndexData, config: MatchConfig) -> MatchConfig:
    """``config``, if the index holds the account fields it asks results to carry."""
    held = set(data.field_names)
    missing = [name for name in config.account_fields if name not in held]
    if missing:
        raise ConfigError(
            f"the index holds no account field {', '.join(map(repr, missing))} (it holds "
            f"{sorted(held) or 'none'}): build it with MatchConfig(account_fields=...) naming it"
        )
    return config
