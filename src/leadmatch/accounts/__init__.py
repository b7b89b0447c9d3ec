"""What matched leads say about the accounts: :mod:`rollup` (leads per account or parent, and
coverage of target accounts), :mod:`proposals` (unmatched leads grouped into accounts to
create) and :mod:`duplicates` (accounts that are the same company)."""

from leadmatch.accounts.duplicates import DuplicateGroup, find_duplicate_accounts
from leadmatch.accounts.proposals import PROPOSAL_COLUMNS, ProposedAccount, propose_accounts
from leadmatch.accounts.rollup import (
    ROLLUP_COLUMNS,
    Coverage,
    TierCoverage,
    coverage,
    rollup,
    rollup_field_columns,
)

__all__ = [
    "PROPOSAL_COLUMNS",
    "ROLLUP_COLUMNS",
    "Coverage",
    "DuplicateGroup",
    "ProposedAccount",
    "TierCoverage",
    "coverage",
    "find_duplicate_accounts",
    "propose_accounts",
    "rollup",
    "rollup_field_columns",
]
