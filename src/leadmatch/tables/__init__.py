"""The index's tables: the columns the accounts said (:class:`IndexData`), the look-up tables
derived from them (:class:`Lookups`), one version of both and its file (:class:`Tables`), and
how they are built, edited in place (small changes), derived again (large changes) and stored in
a file.

Imports run down: :mod:`version` over :mod:`edit_in_place` and :mod:`rebuild`, over
:mod:`lookups`, over :mod:`data` and :mod:`store`; :mod:`build` turns account records into
:class:`IndexData` through :mod:`leadmatch.normalize.accounts`, a chunk at a time (in worker
processes too), with the keys of each chunk's own values (:class:`RowValues`).
"""

from leadmatch.tables.build import build_data
from leadmatch.tables.data import IndexData, fields_held
from leadmatch.tables.lookups import (
    GENERIC_IDF,
    ID_BITS,
    MAX_HIERARCHY_DEPTH,
    MAX_TYPO_LENGTH,
    PAIR_MAX_POSTINGS,
    PAIR_MIN_POSTINGS,
    Lookups,
    RowValues,
    deletion_keys,
    derive,
    pair_keys,
    typo_variants_of,
    vocab_ids,
)
from leadmatch.tables.version import Tables, stamp

__all__ = [
    "GENERIC_IDF",
    "ID_BITS",
    "MAX_HIERARCHY_DEPTH",
    "MAX_TYPO_LENGTH",
    "PAIR_MAX_POSTINGS",
    "PAIR_MIN_POSTINGS",
    "IndexData",
    "Lookups",
    "RowValues",
    "Tables",
    "build_data",
    "deletion_keys",
    "derive",
    "fields_held",
    "pair_keys",
    "stamp",
    "typo_variants_of",
    "vocab_ids",
]
