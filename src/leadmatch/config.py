"""MatchConfig: thresholds, candidate limits and the weights of the confidence model.

Everything here is plain data (JSON in, JSON out), validated once when built, frozen after.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from leadmatch.errors import ConfigError

log = logging.getLogger("leadmatch")


class _Frozen(BaseModel):
    """A frozen model whose invalid values raise ConfigError (a LeadmatchError), not pydantic's."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(f"invalid {type(self).__name__}: {exc}") from exc


class Weights(_Frozen):
    """Log2 Bayes factors of each comparison level (Fellegi–Sunter match weights).

    The confidence of a (lead, account) pair is ``1 / (1 + 2 ** -(prior + sum of weights))``.
    A weight of +3 makes the pair 8 times likelier the same company; -3, 8 times less likely.
    The defaults are the developers' starting values, reasoned from how often each level occurs
    among true and false candidate pairs and checked on synthetic CRM data and real company
    names (``docs/scoring.md``); any set can be loaded with ``MatchConfig.from_json``.
    """

    prior: float = -4.0
    """Log2 odds that a candidate pair is a match before any evidence."""
    domain: Mapping[str, float] = Field(
        default_factory=lambda: {
            "exact": 10.0,  # lead's email or website domain is one of the account's domains
            "family": 6.0,  # ... of the account's parent, subsidiary or sibling
            "brand": 3.0,  # same brand label under another suffix (acme.de ~ acme.com)
            "conflict": -3.0,  # both have a company domain and they differ
            "unknown": 0.0,
        }
    )
    name: Mapping[str, float] = Field(
        default_factory=lambda: {
            "exact": 8.5,  # same name after legal forms, case, script and abbreviations
            "very_similar": 7.5,  # similarity >= 0.92: a typo or one extra word of little weight
            "similar": 5.0,  # >= 0.82
            "acronym": 4.0,  # one name is the other's acronym (3+ letters)
            "related": 2.0,  # >= 0.65: shares its distinctive words, differs in others
            "weak": -2.0,  # >= 0.45
            "different": -5.0,
            "missing": 0.0,  # the lead typed no usable company name
        }
    )
    name_generic: Mapping[str, float] = Field(
        default_factory=lambda: {
            "generic": -2.5,  # the agreeing name is short or made of common words only
            "specific": 0.0,
        }
    )
    legal_form: Mapping[str, float] = Field(
        default_factory=lambda: {"agree": 0.5, "conflict": -0.5, "unknown": 0.0}
    )
    country: Mapping[str, float] = Field(
        default_factory=lambda: {"agree": 1.0, "conflict": -1.0, "unknown": 0.0}
    )
    city: Mapping[str, float] = Field(default_factory=lambda: {"agree": 1.0, "unknown": 0.0})
    phone: Mapping[str, float] = Field(default_factory=lambda: {"agree": 5.0, "unknown": 0.0})
    calibration: tuple[tuple[float, float], ...] = ()
    """Points (summed weight, probability) of a monotone map from a pair's summed weight to the
    confidence reported, interpolated between points and flat beyond them; fitted on held-apart
    labelled leads by :func:`leadmatch.fit`. Empty: the Fellegi–Sunter probability
    ``1 / (1 + 2 ** -total)``, which overstates confidence where comparisons are not
    independent."""

    @field_validator("domain", "name", "name_generic", "legal_form", "country", "city", "phone")
    @classmethod
    def _read_only(cls, table: Mapping[str, float]) -> Mapping[str, float]:
        return MappingProxyType(dict(table))  # shared configs must not change under a service

    @field_serializer("domain", "name", "name_generic", "legal_form", "country", "city", "phone")
    def _plain(self, table: Mapping[str, float]) -> dict[str, float]:
        return dict(table)

    @model_validator(mode="after")
    def _levels_complete(self) -> Weights:
        for comparison, levels in LEVELS.items():
            table: dict[str, float] = getattr(self, comparison)
            missing = set(levels) - set(table)
            unknown = set(table) - set(levels)
            if missing or unknown:
                raise ConfigError(
                    f"weights[{comparison!r}] must have exactly the levels {list(levels)}; "
                    f"missing {sorted(missing)}, unknown {sorted(unknown)}"
                )
            bad = sorted(level for level, weight in table.items() if not math.isfinite(weight))
            if bad:
                raise ConfigError(f"weights[{comparison!r}] must be finite numbers: {bad}")
        if not math.isfinite(self.prior):
            raise ConfigError("weights.prior must be a finite number")
        xs = [x for x, _ in self.calibration]
        ys = [y for _, y in self.calibration]
        if not all(math.isfinite(x) for x in xs) or not all(0.0 <= y <= 1.0 for y in ys):
            raise ConfigError("weights.calibration: totals must be finite, probabilities in [0, 1]")
        if any(b <= a for a, b in zip(xs, xs[1:])) or any(b < a for a, b in zip(ys, ys[1:])):
            raise ConfigError(
                "weights.calibration must rise: totals strictly, probabilities never falling"
            )
        return self


#: The comparisons and their levels, in the order they are tested.
LEVELS: dict[str, tuple[str, ...]] = {
    "domain": ("exact", "family", "brand", "conflict", "unknown"),
    "name": (
        "missing",
        "exact",
        "very_similar",
        "similar",
        "acronym",
        "related",
        "weak",
        "different",
    ),
    "name_generic": ("generic", "specific"),
    "legal_form": ("agree", "conflict", "unknown"),
    "country": ("agree", "conflict", "unknown"),
    "city": ("agree", "unknown"),
    "phone": ("agree", "unknown"),
}


class MatchConfig(_Frozen):
    """How leads are matched. Build one per service; it is immutable and safe to share."""

    match_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    """Confidence at or above which the decision is ``matched``."""
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Confidence at or above which the decision is ``review`` (else ``unmatched``)."""
    tie_margin: float = Field(default=2.0, ge=0.0, le=64.0)
    """Accounts within this many bits (log2 odds) of the best are weighed by the tie-break rule;
    another company within it makes the lead ambiguous (``review``)."""
    max_candidates: int = Field(default=20, ge=1, le=10_000)
    """Name candidates kept per lead after blocking (domain candidates are always kept)."""
    max_block_size: int = Field(default=1_000, ge=1)
    """A name token shared by more accounts than this is too common to generate candidates."""
    max_alternatives: int = Field(default=3, ge=0, le=100)
    strict: bool = False
    """Raise on the first unusable lead instead of returning an ``error`` result for it."""
    weights: Weights = Field(default_factory=Weights)
    account_fields: tuple[str, ...] = ()
    """Extra account columns (owner, type, tier...) kept by :meth:`AccountIndex.build` and
    copied into each result of a ``matched`` or ``review`` lead (``Match.account_fields``), so
    that a router knows "existing customer, owned by X" without a join."""

    @field_validator("account_fields")
    @classmethod
    def _field_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(name.strip() for name in names)
        if any(not name for name in cleaned) or len(set(cleaned)) != len(cleaned):
            raise ConfigError(f"account_fields must be distinct, non-empty names: {names}")
        return cleaned

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> MatchConfig:
        if self.review_threshold > self.match_threshold:
            raise ConfigError(
                f"review_threshold ({self.review_threshold}) must not exceed "
                f"match_threshold ({self.match_threshold})"
            )
        return self

    def for_precision(self, target: float) -> MatchConfig:
        """This config with ``match_threshold`` at ``target``: with calibrated weights (see
        :func:`leadmatch.fit`) the leads matched at or above it are right at least that often.
        (:meth:`leadmatch.quality.fitting.Fit.for_precision` picks a lower threshold where the
        labelled leads show it still holds.)"""
        if not 0.0 < target <= 1.0:
            raise ConfigError("target precision must be in (0, 1]")
        if not self.weights.calibration:
            log.warning("for_precision on uncalibrated weights: the confidence overstates")
        review = min(self.review_threshold, target)
        return self.model_copy(update={"match_threshold": target, "review_threshold": review})

    def to_json(self, path: str | Path | None = None) -> str:
        """The config as JSON; written to ``path`` too when one is given."""
        text = self.model_dump_json(indent=2)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> MatchConfig:
        """A config from JSON text or a JSON file."""
        text = str(text_or_path)
        if isinstance(text_or_path, Path) or not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text(encoding="utf-8")
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise ConfigError(f"invalid MatchConfig JSON: {exc}") from exc
