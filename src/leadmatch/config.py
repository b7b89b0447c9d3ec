"""MatchConfig: thresholds, candidate limits and the weights of the confidence model.

Everything here is plain data (JSON in, JSON out), validated once when built, frozen after.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
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


#: Decimal places of a confidence as results show it; the thresholds compare that same value,
#: so that a result shown at the threshold reads as one.
CONFIDENCE_PLACES = 4

#: The comparisons and their levels, in the order they are tested (the last is the fallback).
LEVELS: dict[str, tuple[str, ...]] = {
    "domain": ("exact", "family", "brand", "conflict", "unknown"),
    "domain_owners": ("one", "few", "many", "unknown"),
    "name": (
        "missing", "exact", "part", "sim97", "sim93", "sim90", "sim86", "sim82", "sim76", "sim70",
        "sim65", "sim55", "sim45", "different",
    ),
    "name_cover": (
        "missing", "one_word", "all", "shorter", "cover90", "cover75", "cover50", "less",
    ),
    "name_at_domain": ("missing", "exact", "sim90", "sim76", "sim55", "shared", "different"),
    "acronym": ("agree_country", "agree", "unknown"),
    "name_generic": ("generic", "specific"),
    "legal_form": ("agree", "conflict", "unknown"),
    "country": ("agree", "conflict", "unknown"),
    "city": ("agree", "unknown"),
    "phone": ("agree", "unknown"),
    "candidates": ("one", "two", "few", "some", "many"),
}  # fmt: skip

#: Per comparison, the level that says nothing (its weight is 0: evidence leaves it out), and
#: the levels in rising order of agreement: more agreement never weighs less.
NEUTRAL: dict[str, str] = {
    "domain": "unknown", "domain_owners": "unknown", "name": "missing", "name_cover": "missing",
    "name_at_domain": "missing", "acronym": "unknown", "name_generic": "specific",
    "legal_form": "unknown", "country": "unknown", "city": "unknown", "phone": "unknown",
    "candidates": "many",
}  # fmt: skip
RISING: dict[str, tuple[str, ...]] = {
    "domain": ("conflict", "unknown", "brand", "family", "exact"),
    "domain_owners": ("many", "few", "one"),
    "name": tuple(reversed([level for level in LEVELS["name"][1:] if level != "part"])),
    "name_cover": ("less", "cover50", "cover75", "cover90", "all"),
    "name_at_domain": ("different", "sim55", "sim76", "sim90", "exact"),
    "acronym": ("unknown", "agree", "agree_country"),
    "name_generic": ("generic", "specific"),
    "legal_form": ("conflict", "unknown", "agree"),
    "country": ("conflict", "unknown", "agree"),
    "city": ("unknown", "agree"),
    "phone": ("unknown", "agree"),
    "candidates": tuple(reversed(LEVELS["candidates"])),
}  # fmt: skip


@cache
def _shipped() -> dict[str, Any]:
    """The shipped weights (``leadmatch/data/weights.json``, fitted by ``benchmarks/train.py``)."""
    text = resources.files("leadmatch").joinpath("data").joinpath("weights.json").read_text("utf-8")
    values: dict[str, Any] = json.loads(text)
    return values


def _table(comparison: str) -> Any:
    return lambda: dict(_shipped()[comparison])


class Weights(_Frozen):
    """Log2 Bayes factors of each comparison level: the confidence model.

    The score of a (lead, account) pair is ``prior`` plus the weight of the level each
    comparison picks, plus ``gap`` times how far the pair leads its best rival;
    ``calibration`` maps it to the confidence reported (without one,
    ``1 / (1 + 2 ** -score)``). A weight of +3 makes the pair 8 times likelier the same
    company; -3, 8 times less likely. The shipped weights were fitted jointly (a logistic
    regression, monotone in each comparison) on real and synthetic labelled leads, see
    ``docs/scoring.md``; :func:`leadmatch.fit` refits them on a CRM's own, and any set can be
    loaded with ``MatchConfig.from_json``.
    """

    prior: float = Field(default_factory=lambda: float(_shipped()["prior"]))
    """Log2 odds that a candidate pair is a match before any evidence."""
    domain: Mapping[str, float] = Field(default_factory=_table("domain"))
    """Lead's email or website domain: the account's own (``exact``), a domain of its parent,
    subsidiary or sibling (``family``), the same brand under another suffix (``brand``), or
    another company domain (``conflict``)."""
    domain_owners: Mapping[str, float] = Field(default_factory=_table("domain_owners"))
    """Where the domain is the account's own or its group's: whether it has one owner
    (``one``), 2-3 (``few``) or more (``many``): a parent's domain shared by its labs."""
    name: Mapping[str, float] = Field(default_factory=_table("name"))
    """Name similarity (``exact`` after legal forms, case, script and abbreviations; ``part``:
    the name is one part of a lead's name written as a list; then ``simNN``: at least 0.NN),
    or ``missing`` when the lead gives no comparable name (or its name is a list of parts
    none of which is the account's name)."""
    name_cover: Mapping[str, float] = Field(default_factory=_table("name_cover"))
    """Share of the account name's weight that the lead's words hold (``one_word``: all of an
    account name of one word, by a lead with words of its own beside it; ``shorter``: half or
    more, by a lead with no word the account's name lacks but a country, region or part of a
    company: a shortened name rather than another company's)."""
    name_at_domain: Mapping[str, float] = Field(default_factory=_table("name_at_domain"))
    """Name similarity where the lead's domain is the account's own or its company group's:
    there ``name`` and ``name_cover`` stay neutral and this coarser scale applies, because at
    the right domain an acronym, alias or translation of the name is no evidence against the
    account. A name unlike the account's is ``different`` at the account's own domain and
    ``shared`` at its group's or at one several accounts share (where the name has to choose)."""
    acronym: Mapping[str, float] = Field(default_factory=_table("acronym"))
    """One name is the other's acronym (3+ letters), in the same country (``agree_country``:
    the country tells apart the many organisations an acronym names) or not."""
    name_generic: Mapping[str, float] = Field(default_factory=_table("name_generic"))
    """The agreeing name is short or made of common words only."""
    legal_form: Mapping[str, float] = Field(default_factory=_table("legal_form"))
    country: Mapping[str, float] = Field(default_factory=_table("country"))
    city: Mapping[str, float] = Field(default_factory=_table("city"))
    phone: Mapping[str, float] = Field(default_factory=_table("phone"))
    candidates: Mapping[str, float] = Field(default_factory=_table("candidates"))
    """How many accounts blocking proposed for the lead: 1 (``one``), 2, 3-5 (``few``), 6-12
    (``some``) or more (``many``). The same name similarity is likelier right where the index
    holds nothing else near it (a crowded name space lowers a name-only confidence); the
    count depends on ``max_candidates``, which the shipped weights were fitted at."""
    gap: float = Field(default_factory=lambda: float(_shipped()["gap"]), ge=0.0, le=4.0)
    """Bits added to a pair's score per bit it leads the best account of another company group
    by (up to 8): how the user's own index moves the confidence (see ``scoring.rival_gap``)."""
    calibration: tuple[tuple[float, float], ...] = Field(
        default_factory=lambda: tuple(tuple(p) for p in _shipped()["calibration"])
    )
    """Points (score, probability) of a monotone map from a pair's score to the confidence
    reported, interpolated between points and flat beyond them; fitted on held-apart labelled
    leads by :func:`leadmatch.fit`. Empty: the Fellegi–Sunter probability
    ``1 / (1 + 2 ** -score)``, which overstates confidence where comparisons are not
    independent."""

    @model_validator(mode="before")
    @classmethod
    def _not_from_before_candidates(cls, data: Any) -> Any:
        # A whole fitted set (every other table and a calibration) from before the candidates
        # comparison would take the shipped table of it, which its calibration never saw.
        earlier = set(LEVELS) - {"candidates"}
        if (
            isinstance(data, Mapping)
            and data.get("calibration")
            and earlier <= data.keys()
            and "candidates" not in data
        ):
            raise ValueError(
                "these weights carry a calibration but no 'candidates' table: they were fitted "
                "before that comparison existed; refit them (leadmatch fit) or drop 'weights'"
            )
        return data

    @field_validator(*LEVELS)
    @classmethod
    def _read_only(cls, table: Mapping[str, float]) -> Mapping[str, float]:
        return MappingProxyType(dict(table))  # shared configs must not change under a service

    @field_serializer(*LEVELS)
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

    def falling(self) -> list[str]:
        """Comparisons where more agreement weighs less (``"name: sim90 > sim93"``): what a
        hand-edited or badly fitted set shows, and what :func:`leadmatch.fit` never returns."""
        found = []
        for comparison, order in RISING.items():
            table = getattr(self, comparison)
            for low, high in zip(order, order[1:]):
                if table[low] > table[high] + 1e-9:
                    found.append(f"{comparison}: {low} > {high}")
        return found


class MatchConfig(_Frozen):
    """How leads are matched. Build one per service; it is immutable and safe to share."""

    match_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    """Confidence at or above which the decision is ``matched``."""
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Confidence at or above which the decision is ``review`` (else ``unmatched``)."""
    tie_margin: float = Field(default=2.0, ge=0.0, le=64.0)
    """Accounts within this many bits of the best score are weighed by the tie-break rule;
    another company within it makes the lead ambiguous (``review``). The score includes the
    gap term (``Weights.gap``), which multiplies a difference between two companies by
    ``1 + 2 * gap``: at the shipped gap (about 1.4), 2 bits of score are about half a bit of
    evidence (the default moves little: 0.5 to 3 give the same F1 on the real sets)."""
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
