"""Account records to normalized keys, one record at a time.

Building an index is mostly this: validating each record and normalizing its names, domains,
country, city and phone, which is pure Python and independent from record to record, so it can
run in worker processes (``AccountIndex.build(..., workers=N)``, see
:mod:`leadmatch.tables.build`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from leadmatch.models import Account, account_row
from leadmatch.normalize.domains import DomainKey, domain_key, is_hosting_domain
from leadmatch.normalize.names import NameKey, is_lossy_script, normalize_name
from leadmatch.normalize.places import normalize_city, normalize_country, phone_key


class NameRow(NamedTuple):
    raw: str
    ascii: str
    legal_form: str
    acronym: str
    lossy: bool


class PreparedAccount(NamedTuple):
    """An account's fields after validation and normalization."""

    account_id: str
    display_name: str
    country: str
    city: str
    phone: str
    parent_id: str | None
    domains: tuple[DomainKey, ...]
    names: tuple[NameRow, ...]


_country = lru_cache(maxsize=1 << 12)(normalize_country)
_city = lru_cache(maxsize=1 << 14)(normalize_city)


def own_domain(key: DomainKey, ascii_name: str) -> bool:
    """A hosting platform's domain (facebook.com, github.io) is an account's own only when the
    account is that platform ("Google LLC", "Facebook, Inc."): a CRM's "website" is often the
    company's page on one of them. The brand must be a word of the name, or the name without
    spaces, not a part of one ("t" of t.co is in "tesla"); most domains are no platform's, so
    the name's words are gathered only for those that are."""
    if not is_hosting_domain(key.domain):
        return True
    words = ascii_name.split()
    return key.brand.replace("-", "") in {*words, "".join(words)}


def prepare_account(record: Mapping[str, Any] | Account) -> PreparedAccount:
    """Validate and normalize one record; raises ``ValueError`` (or pydantic's) if unusable."""
    account = account_row(record)
    primary = normalize_name(account.name)
    keys: list[DomainKey] = []
    for raw in (account.domain, *account.alias_domains):
        found = domain_key(raw)
        if not found.domain or not own_domain(found, primary.ascii):
            continue
        for key in found.variants():
            if key not in keys:
                keys.append(key)
    names = [_name_row(account.name, primary)] if primary.ascii else []
    for raw in account.aliases:
        name = normalize_name(raw)
        if name.ascii and all(name.ascii != n.ascii for n in names):
            names.append(_name_row(raw, name))
    if not names:  # a nameless account stays findable by domain: give it an empty name row
        names.append(NameRow("", "", "", "", False))
    return PreparedAccount(
        account.account_id,
        account.name or "",
        _country(account.country),
        _city(account.city),
        phone_key(account.phone),
        account.parent_id,
        tuple(keys),
        tuple(names),
    )


def _name_row(raw: str | None, name: NameKey) -> NameRow:
    """What the index keeps of one of an account's names: the name as written and its keys."""
    return NameRow(raw or "", name.ascii, name.legal_form, name.acronym,
                   is_lossy_script(name.base))  # fmt: skip


def first_error(exc: Exception) -> str:
    """The first problem of a validation error, as ``field: message``."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "record"
        return f"{where}: {first.get('msg', exc)}"
    return str(exc)


def prepared_or_reason(record: Any) -> PreparedAccount | str:
    """:func:`prepare_account`, or the reason the record cannot be used."""
    try:
        return prepare_account(record)
    except Exception as exc:  # pydantic.ValidationError, ValueError, or a non-mapping row
        return first_error(exc)


def field_values(record: Any, names: Sequence[str]) -> tuple[str, ...]:
    """A record's values of the extra fields, as text ('' where it has none)."""
    if not names:  # the default: no account fields copied into results
        return ()
    if isinstance(record, Mapping):
        return tuple(field_text(record.get(name)) for name in names)
    return tuple(field_text(getattr(record, name, None)) for name in names)


def field_text(value: Any) -> str:
    """An account field as it reads in a CSV cell: numbers as written (1001, not 1001.0),
    booleans as True/False, dates in ISO form; missing values (None, NaN, NaT, pandas' NA,
    Arrow's nulls) as ''."""
    if value is None or isinstance(value, str):
        return value or ""
    item = getattr(value, "item", None)  # a NumPy scalar: its Python value
    if callable(item):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if value is None:  # NumPy's NaT reads as None
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        try:
            return "" if value != value else str(value.isoformat())  # NaT != NaT
        except (TypeError, ValueError):
            return ""
    text = str(value)  # a missing Arrow scalar reads as "None" (a string "None" is kept above)
    return "" if text in ("nan", "<NA>", "None") else text
