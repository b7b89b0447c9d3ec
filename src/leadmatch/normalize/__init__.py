"""Pure normalizers: a raw field in, comparable keys out; no state beyond caches."""

from leadmatch.normalize.domains import (
    DomainKey,
    EmailKey,
    domain_key,
    is_hosting_domain,
    parse_email,
    registered_domain,
)
from leadmatch.normalize.names import NameKey, normalize_name
from leadmatch.normalize.places import normalize_city, normalize_country, phone_key
from leadmatch.normalize.text import fold

__all__ = [
    "DomainKey",
    "EmailKey",
    "NameKey",
    "domain_key",
    "fold",
    "is_hosting_domain",
    "normalize_city",
    "normalize_country",
    "normalize_name",
    "parse_email",
    "phone_key",
    "registered_domain",
]
