"""MatchConfig: thresholds, candidate limits and the weights of the confidence model.

Everything here is plain data (JSON in, JSON out), validated once when built, frozen after.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadmatch.errors import ConfigError


class Weights(BaseModel):
    """Log2 Bayes factors of each comparison level (Fellegi–Sunter match weights).

    The confidence of a (lead, account) pair is ``1 / (1 + 2 ** -(prior + sum of weights))``.
    A weight of +3 makes the pair 8 times likelier the same company; -3, 8 times less likely.
    The defaults are set from how often each level occurs among true and false pairs of
    realistic CRM data (documented in ``docs/scoring.md``); :meth:`MatchConfig.from_json`
    loads fitted ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prior: float = -4.0
    """Log2 odds that a candidate pair is a match before any evidence."""
    domain: dict[str, float] = Field(
        default_factory=lambda: {
            "exact": 10.0,  # lead's email or website domain is one of the account's domains
            "family": 6.0,  # ... of the account's parent, subsidiary or sibling
            "brand": 3.0,  # same brand label under another suffix (acme.de ~ acme.com)
            "conflict": -3.0,  # both have a company domain and they differ
            "unknown": 0.0,
        }
    )
    name: dict[str, float] = Field(
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
    name_generic: dict[str, float] = Field(
        default_factory=lambda: {
            "generic": -2.5,  # the agreeing name is short or made of common words only
            "specific": 0.0,
        }
    )
    legal_form: dict[str, float] = Field(
        default_factory=lambda: {"agree": 0.5, "conflict": -0.5, "unknown": 0.0}
    )
    country: dict[str, float] = Field(
        default_factory=lambda: {"agree": 1.0, "conflict": -1.0, "unknown": 0.0}
    )
    city: dict[str, float] = Field(default_factory=lambda: {"agree": 1.0, "unknown": 0.0})
    phone: dict[str, float] = Field(default_factory=lambda: {"agree": 5.0, "unknown": 0.0})

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
        return self


#: The comparisons and their levels, in the order they are tested.
LEVELS: dict[str, tuple[str, ...]] = {
    "domain": ("exact", "family", "brand", "conflict", "unknown"),
    "name": (
        "exact",
        "very_similar",
        "similar",
        "acronym",
        "related",
        "weak",
        "different",
        "missing",
    ),
    "name_generic": ("generic", "specific"),
    "legal_form": ("agree", "conflict", "unknown"),
    "country": ("agree", "conflict", "unknown"),
    "city": ("agree", "unknown"),
    "phone": ("agree", "unknown"),
}


class MatchConfig(BaseModel):
    """How leads are matched. Build one per service; it is immutable and safe to share."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    match_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    """Confidence at or above which the decision is ``matched``."""
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    """Confidence at or above which the decision is ``review`` (else ``unmatched``)."""
    tie_margin: float = Field(default=2.0, ge=0.0, le=64.0)
    """Accounts within this many bits (log2 odds) of the best are weighed by the tie-break rule;
    another company within it makes the lead ambiguous (``review``)."""
    max_candidates: int = Field(default=40, ge=1, le=10_000)
    """Name candidates kept per lead after blocking (domain candidates are always kept)."""
    max_block_size: int = Field(default=2_000, ge=1)
    """A name token shared by more accounts than this is too common to generate candidates."""
    max_alternatives: int = Field(default=3, ge=0, le=100)
    strict: bool = False
    """Raise on the first unusable lead instead of returning an ``error`` result for it."""
    weights: Weights = Field(default_factory=Weights)

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> MatchConfig:
        if self.review_threshold > self.match_threshold:
            raise ConfigError(
                f"review_threshold ({self.review_threshold}) must not exceed "
                f"match_threshold ({self.match_threshold})"
            )
        return self

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
        return cls.model_validate_json(text)
