"""Leads to columns: normalize each distinct value once, then hand arrays to the matcher."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from leadmatch._util.arrays import BoolArray, IntArray, offsets
from leadmatch.models import Lead
from leadmatch.normalize.domains import (
    DomainKey,
    EmailKey,
    domain_key,
    email_domain_kind,
    is_hosting_domain,
    parse_email,
)
from leadmatch.normalize.names import NameKey, is_list, name_parts, normalize_name
from leadmatch.normalize.places import normalize_city, normalize_country, phone_key

# What people type in a required "company" field when they have none to give.
_PLACEHOLDER_COMPANIES = frozenset(
    {
        "", "na", "n a", "none", "null", "nil", "unknown", "test", "testing", "private",
        "self", "self employed", "individual", "personal", "student", "retired", "home",
        "freelance", "freelancer", "no company", "not applicable", "x", "xx", "xxx", "asdf",
        "company", "company name", "your company", "none given", "not given", "not provided",
        "unknown company", "na na", "tbd", "n/a",
    }
)  # fmt: skip

T = TypeVar("T")


def _per_distinct(values: Sequence[str | None], fn: Callable[[str | None], T]) -> list[T]:
    """``fn`` over values, computed once per distinct value (leads repeat domains and names)."""
    cache: dict[str | None, T] = {}
    out = []
    for value in values:
        if value not in cache:
            cache[value] = fn(value)
        out.append(cache[value])
    return out


@dataclass(frozen=True)
class LeadBatch:
    """The normalized columns of a batch of leads (row ``i`` is the ``i``-th lead)."""

    usable: BoolArray
    company: list[str]
    name: list[NameKey]
    tok_ptr: IntArray
    tok_str: list[str]
    email: list[EmailKey]
    website: list[DomainKey]
    parts: list[tuple[str, ...]]
    """The name's parts when it is written as a list (``names.name_parts``), else ``()``."""
    listed: list[bool]
    """The name is a list of three parts or more (``names.is_list``)."""
    company_domains: list[tuple[DomainKey, ...]]
    """Domains that may name the lead's company: corporate email domain, then website."""
    country: list[str]
    city: list[str]
    phone: list[str]

    def __len__(self) -> int:
        return len(self.usable)


def company_name(value: str | None) -> NameKey:
    key = normalize_name(value)
    if key.ascii in _PLACEHOLDER_COMPANIES or not any(map(str.isalnum, key.ascii)):
        return normalize_name("")
    return key


#: Most company domains of one lead: its email's host and domain, its website's host and domain.
MAX_LEAD_DOMAINS = 4


def company_domains(email: EmailKey, website: DomainKey) -> tuple[DomainKey, ...]:
    """Domains that may name the lead's company, the most telling first: the email's host
    (a subdomain) and registered domain, then the website's."""
    found: list[DomainKey] = []
    if email.kind == "corporate":
        found.extend(DomainKey(email.domain, email.brand, email.host).variants())
    if (
        website.domain
        and email_domain_kind(website.domain) == "corporate"
        and not is_hosting_domain(website.domain)
    ):
        found.extend(key for key in website.variants() if key not in found)
    return tuple(found)


def prepare(leads: Sequence[Lead | None]) -> LeadBatch:
    """Normalize leads (``None`` marks a row already known to be unusable)."""
    fields = ("company", "email", "website", "country", "city", "phone")
    columns = {f: [None if lead is None else getattr(lead, f) for lead in leads] for f in fields}
    return prepare_columns(columns, [lead is not None for lead in leads])


def prepare_columns(
    columns: Mapping[str, Sequence[str | None]], usable: Sequence[bool]
) -> LeadBatch:
    """Normalize validated lead columns (as :class:`Lead` holds its fields: stripped text or
    ``None``); rows not ``usable`` are left empty."""
    n = len(usable)

    def column(name: str) -> Sequence[str | None]:
        values = columns.get(name)
        if values is None:
            return [None] * n
        return [v if ok else None for v, ok in zip(values, usable)] if not all(usable) else values

    company = column("company")
    names = _per_distinct(company, company_name)
    emails = _per_distinct(column("email"), parse_email)
    websites = _per_distinct(column("website"), domain_key)
    token_lists = [list(dict.fromkeys(key.ascii.split())) for key in names]
    return LeadBatch(
        usable=np.array(usable, dtype=bool).reshape(-1),
        company=[c or "" for c in company],
        name=names,
        tok_ptr=offsets(np.array([len(t) for t in token_lists], dtype=np.int64)),
        tok_str=[t for tokens in token_lists for t in tokens],
        email=emails,
        website=websites,
        parts=_per_distinct(company, lambda c: name_parts(c) if c else ()),
        listed=_per_distinct(company, lambda c: is_list(c) if c else False),
        company_domains=[company_domains(e, w) for e, w in zip(emails, websites)],
        country=_per_distinct(column("country"), normalize_country),
        city=_per_distinct(column("city"), normalize_city),
        phone=_per_distinct(column("phone"), phone_key),
    )
