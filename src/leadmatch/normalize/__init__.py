"""Pure normalizers: a raw field in, comparable keys out; no state beyond caches.

:mod:`text`, :mod:`names`, :mod:`domains` and :mod:`places` normalize one field;
:mod:`leads` and :mod:`accounts` prepare whole records with them, leads a batch at a time into
the arrays matching reads, accounts one at a time (in worker processes too) for the index.
"""

from leadmatch.normalize.accounts import (
    PreparedAccount,
    field_text,
    field_values,
    prepared_or_reason,
)
from leadmatch.normalize.domains import (
    DomainKey,
    EmailKey,
    domain_key,
    is_hosting_domain,
    parse_email,
    registered_domain,
)
from leadmatch.normalize.leads import (
    MAX_LEAD_DOMAINS,
    LeadBatch,
    company_domains,
    company_name,
    prepare,
    prepare_columns,
)
from leadmatch.normalize.names import (
    NAME_NORMALIZER_VERSION,
    NameKey,
    common_words,
    is_list,
    is_lossy_script,
    name_parts,
    normalize_name,
    qualifier_words,
)
from leadmatch.normalize.places import normalize_city, normalize_country, phone_key
from leadmatch.normalize.text import as_text, fold

__all__ = [
    "MAX_LEAD_DOMAINS",
    "NAME_NORMALIZER_VERSION",
    "DomainKey",
    "EmailKey",
    "LeadBatch",
    "NameKey",
    "PreparedAccount",
    "as_text",
    "common_words",
    "company_domains",
    "company_name",
    "domain_key",
    "field_text",
    "field_values",
    "fold",
    "is_hosting_domain",
    "is_list",
    "is_lossy_script",
    "name_parts",
    "normalize_city",
    "normalize_country",
    "normalize_name",
    "parse_email",
    "phone_key",
    "prepare",
    "prepare_columns",
    "prepared_or_reason",
    "qualifier_words",
    "registered_domain",
]
