"""Records at the edges: what goes in (Lead, Account) and what comes out (Match).

They validate and document the data a user hands over; the matching itself works on columns,
never on these objects. All are frozen: a result cannot be changed by accident after the fact.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: A field longer than this is not a name, an email or a URL: the row is reported as an error.
MAX_INPUT_CHARS = 10_000

Decision = Literal["matched", "review", "unmatched", "error", "labelled"]
M = TypeVar("M", bound=BaseModel)


@cache
def _all_fields(cls: type[BaseModel]) -> frozenset[str]:
    # Every field is given, so every field is "set"; each record gets its own copy.
    return frozenset(cls.model_fields)


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """A model from a complete set of values that are valid by construction (the matcher's own
    results), without validation. ``model_construct`` does the same at several times the cost,
    which a million results feel; a test holds the two to equal, serializable records."""
    record = cls.__new__(cls)
    object.__setattr__(record, "__dict__", values)
    object.__setattr__(record, "__pydantic_fields_set__", set(_all_fields(cls)))
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def is_missing(value: Any) -> bool:
    """A missing value as readers and DataFrames give it: None, NaN, pandas' NA and NaT."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def text_or_none(value: Any, field: str) -> str | None:
    """Accept what CSV readers and DataFrames hand over; refuse what cannot be text."""
    if type(value) is str and len(value) <= MAX_INPUT_CHARS:  # what a CSV reader gives
        return value.strip() or None
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{field} must be text, not a boolean")
    if isinstance(value, float):  # an id or phone read into a float column: 1001.0 is 1001
        value = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{field} must be text, not {type(value).__name__}")
    if len(value) > MAX_INPUT_CHARS:
        raise ValueError(
            f"{field} is {len(value):,} characters long; the limit is {MAX_INPUT_CHARS:,}"
        )
    value = value.strip()
    return value or None


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _coerce_text(cls, value: Any, info: Any) -> Any:
        name = info.field_name
        if name in ("alias_domains", "aliases"):
            # Domains never hold commas, names may ("Smith, Jones & Co"): only ';' splits names.
            return _split_list(value, name, ",;" if name == "alias_domains" else ";")
        return text_or_none(value, name)


def _split_list(value: Any, field: str, separators: str) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        if not value:  # most accounts have no aliases
            return ()
        for separator in separators[:-1]:
            value = value.replace(separator, separators[-1])
        value = value.split(separators[-1])
    items = value
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{field} must be text separated by ';' or a list of text")
    out = [text_or_none(item, field) for item in items]
    return tuple(item for item in out if item)


class Lead(_Record):
    """A person who showed interest, as a form or an import gave them. All fields are optional."""

    lead_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    website: str | None = None
    country: str | None = None
    city: str | None = None
    phone: str | None = None


class Account(_Record):
    """A company in the CRM. Only ``account_id`` is required; a name or domain makes it findable."""

    account_id: str
    name: str | None = None
    domain: str | None = None
    alias_domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    """Other names of the company: former names, brands, acronyms."""
    country: str | None = None
    city: str | None = None
    phone: str | None = None
    parent_id: str | None = None


#: The fields of a lead and of an account, in order: what files' columns are read as, and the
#: order a row's errors are reported in.
LEAD_FIELDS = tuple(Lead.model_fields)
ACCOUNT_FIELDS = tuple(Account.model_fields)


class AccountRow(NamedTuple):
    """An account's validated fields, as :func:`account_row` gives them: :data:`ACCOUNT_FIELDS`
    in order (a test holds the two equal), as a tuple, which costs a fraction of a model."""

    account_id: str
    name: str | None
    domain: str | None
    alias_domains: tuple[str, ...]
    aliases: tuple[str, ...]
    country: str | None
    city: str | None
    phone: str | None
    parent_id: str | None


def account_row(record: Any) -> Account | AccountRow:
    """An account record validated by :class:`Account`'s rules.

    Plain dicts (what CSV readers and DataFrames give) take a direct path through the same
    field rules, a fraction of the cost of building a model per row: index builds of millions
    of accounts spend their time here. A test holds the two paths to the same answers.
    """
    if isinstance(record, Account):
        return record
    if not isinstance(record, dict):
        return Account.model_validate(record)
    get = record.get
    account_id = text_or_none(get("account_id"), "account_id")
    if account_id is None:
        raise ValueError("account_id: an account needs a non-empty account_id")
    return AccountRow(
        account_id,
        text_or_none(get("name"), "name"),
        text_or_none(get("domain"), "domain"),
        _split_list(get("alias_domains"), "alias_domains", ",;"),
        _split_list(get("aliases"), "aliases", ";"),
        text_or_none(get("country"), "country"),
        text_or_none(get("city"), "city"),
        text_or_none(get("phone"), "phone"),
        text_or_none(get("parent_id"), "parent_id"),
    )


class Evidence(BaseModel):
    """One signal behind a confidence: what agreed or disagreed, and how much it weighed."""

    model_config = ConfigDict(frozen=True)

    signal: str
    """Comparison name: ``domain``, ``name``, ``country``, ..."""
    level: str
    """Which level of the comparison applied: ``exact``, ``similar``, ``conflict``, ..."""
    weight: float
    """Log2 Bayes factor this level adds to the match odds (negative speaks against)."""
    detail: str
    """A sentence a CRM admin can read."""


class Alternative(BaseModel):
    """Another account the lead could belong to, with its own confidence."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    confidence: float
    related: bool
    """Same company group as the chosen account (duplicate record, parent or subsidiary)."""


class Match(BaseModel):
    """The one result every lead gets."""

    model_config = ConfigDict(frozen=True)

    lead_id: str
    account_id: str | None
    """The account the lead belongs to; ``None`` when unmatched or on error."""
    confidence: float = Field(ge=0.0, le=1.0)
    """Probability that ``account_id`` (or, when unmatched, the best candidate) is right."""
    decision: Decision
    evidence: tuple[Evidence, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    ultimate_parent_id: str | None = None
    candidate_id: str | None = None
    """The best-scoring account even when the decision is ``unmatched``."""
    found_by: tuple[str, ...] = ()
    """The blockers that proposed ``candidate_id``: ``domain``, ``brand``, ``family``,
    ``token``, ``exact``, ``acronym`` (see ``leadmatch.match.blocking``)."""
    error: str | None = None
    account_fields: tuple[tuple[str, str], ...] = ()
    """(name, value) of the account's fields named by ``MatchConfig.account_fields`` (owner,
    type...), for a ``matched`` or ``review`` lead; empty otherwise. ``dict(m.account_fields)``
    for a mapping (a tuple keeps the record hashable)."""

    def reasons(self) -> str:
        """The evidence as one line, strongest first, for CSV files and logs."""
        if self.error:
            return f"error: {self.error}"
        return "; ".join(e.detail for e in self.evidence)
