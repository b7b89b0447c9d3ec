"""leadmatch: tie each B2B lead to the CRM account it belongs to, with confidence and evidence.

>>> from leadmatch import AccountIndex, Lead
>>> index = AccountIndex.build([{"account_id": "A1", "name": "Acme Robotics Ltd",
...                              "domain": "acme-robotics.co.uk", "country": "GB"}])
>>> index.match(Lead(email="j.doe@acme-robotics.co.uk", company="ACME Robotics")).decision
'matched'
"""

from leadmatch import review
from leadmatch._version import __version__
from leadmatch.accounts import (
    Coverage,
    DuplicateGroup,
    ProposedAccount,
    coverage,
    find_duplicate_accounts,
    propose_accounts,
    rollup,
)
from leadmatch.config import MatchConfig, Weights
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
from leadmatch.index import AccountIndex
from leadmatch.io import Label, LabelBook, Labels, LabelsFileError, LabelsInUseError
from leadmatch.models import Account, Alternative, Evidence, Lead, Match
from leadmatch.quality import Evaluation, Fit, evaluate, fit, truth_from_rows

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
    "Label",
    "LabelBook",
    "Labels",
    "LabelsFileError",
    "LabelsInUseError",
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
    "review",
    "rollup",
    "truth_from_rows",
]
