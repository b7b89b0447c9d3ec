"""leadmatch: tie each B2B lead to the CRM account it belongs to, with confidence and evidence.

>>> from leadmatch import AccountIndex, Lead
>>> index = AccountIndex.build([{"account_id": "A1", "name": "Acme Robotics Ltd",
...                              "domain": "acme-robotics.co.uk", "country": "GB"}])
>>> index.match(Lead(email="j.doe@acme-robotics.co.uk", company="ACME Robotics")).decision
'matched'
"""

from leadmatch.config import MatchConfig, Weights
from leadmatch.duplicates import DuplicateGroup, find_duplicate_accounts
from leadmatch.errors import (
    ConfigError,
    IndexFormatError,
    InvalidAccountError,
    InvalidInputError,
    InvalidLeadError,
    LeadmatchError,
    MissingColumnError,
    MissingExtraError,
)
from leadmatch.evaluation import Evaluation, evaluate, truth_from_rows
from leadmatch.fitting import Fit, fit
from leadmatch.index import AccountIndex
from leadmatch.models import Account, Alternative, Evidence, Lead, Match
from leadmatch.proposals import ProposedAccount, propose_accounts
from leadmatch.rollup import Coverage, coverage, rollup

__version__ = "0.1.0"

__all__ = [
    "Account",
    "AccountIndex",
    "Alternative",
    "ConfigError",
    "Coverage",
    "DuplicateGroup",
    "Evaluation",
    "Evidence",
    "Fit",
    "IndexFormatError",
    "InvalidAccountError",
    "InvalidInputError",
    "InvalidLeadError",
    "Lead",
    "LeadmatchError",
    "Match",
    "MatchConfig",
    "MissingColumnError",
    "MissingExtraError",
    "ProposedAccount",
    "Weights",
    "__version__",
    "coverage",
    "evaluate",
    "find_duplicate_accounts",
    "fit",
    "propose_accounts",
    "rollup",
    "truth_from_rows",
]
