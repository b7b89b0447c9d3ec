"""Why a lead went where it went: every candidate blocking found for one lead, what each signal
gave each of them, the rule that decided, and what would change the decision. Answers the
question a CRM admin asks most ("why did this lead go to this account?"); one lead at a time,
so plain Python where it reads best.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from leadmatch.config import CONFIDENCE_PLACES, MatchConfig
from leadmatch.match.blocking import blocker_names, token_ids
from leadmatch.match.explain import evidence
from leadmatch.match.pipeline import match_scored
from leadmatch.match.scoring import probability
from leadmatch.match.view import IndexView
from leadmatch.models import Evidence, Lead, Match

#: Scores searched for the one a threshold needs (log2 odds; calibrations are flat beyond).
_SCORES = np.linspace(-60.0, 60.0, 24_001)


@dataclass(frozen=True)
class Candidate:
    """One account blocking proposed for the lead, and how it scored."""

    account_id: str
    name: str
    domains: tuple[str, ...]
    country: str
    score: float
    """What the decision reads, in bits (log2 odds): the prior, plus each signal's weight (the
    evidence), plus ``rivals``."""
    rivals: float
    """Bits for how far the account is ahead of (or behind) the lead's best candidate of
    another company (``Weights.gap`` times that lead)."""
    confidence: float
    found_by: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Explanation:
    """A lead's result and the reasons behind it."""

    match: Match
    candidates: tuple[Candidate, ...]
    """Every candidate blocking found, highest score first."""
    notes: tuple[str, ...]
    """The rule that decided, and what would change the decision, as sentences."""

    def as_dict(self) -> dict[str, Any]:
        """The explanation as plain data (JSON-ready), for a page or a log."""
        return {
            "match": self.match.model_dump(mode="json"),
            "notes": list(self.notes),
            "candidates": [
                {**asdict(c), "evidence": [e.model_dump(mode="json") for e in c.evidence]}
                for c in self.candidates
            ],
        }

    def report(self) -> str:
        """The explanation as text for a terminal."""
        m = self.match
        lines = [f"lead {m.lead_id}: {m.decision} {m.account_id or ''} (confidence "
                 f"{m.confidence:.4f})".replace("  ", " ")]  # fmt: skip
        lines += [f"  {note}" for note in self.notes]
        for rank, c in enumerate(self.candidates, start=1):
            where = ", ".join(c.domains) or "no domain"
            lines.append(
                f"{rank}. {c.account_id} {c.name} ({where}; {c.country or 'no country'}): "
                f"score {c.score:+.2f}, confidence {c.confidence:.4f}, found by "
                f"{', '.join(c.found_by) or 'nothing'}"
            )
            lines += [f"     {e.detail}" for e in c.evidence]
            lines.append(f"     {c.rivals:+g} bits for its lead over other companies' candidates")
        return "\n".join(lines)


def explain_lead(index: IndexView, lead: Lead | Mapping[str, Any]) -> Explanation:
    """Every candidate of ``lead`` with its evidence, and why the decision is what it is."""
    scored = match_scored(index, [lead])
    match = scored.results[0]
    if scored.valid[0] is None:
        return Explanation(match, (), (f"the lead cannot be read: {scored.errors[0]}",))
    batch, feats, scores = scored.batch, scored.features, scored.scores
    order = np.argsort(-scores.total, kind="stable")
    said = evidence(index, batch, feats, scores, index.config.weights, order)
    d = index.data
    acct = feats.account[order]
    candidates = tuple(
        Candidate(
            account_id=account_id,
            name=name,
            domains=tuple(d.domains.take(d.domain_ids[d.domain_ptr[a] : d.domain_ptr[a + 1]])),
            country=country,
            score=round(float(scores.total[k]), 4),
            rivals=round(float(scores.total[k] - scores.raw[k]), 4),
            confidence=round(float(scores.probability[k]), CONFIDENCE_PLACES),
            found_by=tuple(blocker_names(int(feats.blockers[k]))),
            evidence=tuple(reasons),
        )
        for account_id, name, country, a, k, reasons in zip(
            d.account_id.take(acct), d.display_name.take(acct), d.country.take(acct),
            acct.tolist(), order.tolist(), said,
        )
    )  # fmt: skip
    notes = _notes(match, candidates, index.config) + _too_common(index, batch.tok_str)
    return Explanation(match, candidates, notes)


def _too_common(index: IndexView, words: list[str]) -> tuple[str, ...]:
    """The lead's words that blocking passes over: in too many account names to tell any."""
    cap = index.config.max_block_size
    df = index.lookups.token_df
    common = [w for w, t in zip(words, token_ids(index, words).tolist()) if t >= 0 and df[t] > cap]
    if not common:
        return ()
    return (f"words in more than {cap} account names find no candidates (max_block_size): "
            f"{', '.join(dict.fromkeys(common))}",)  # fmt: skip


def score_for(confidence: float, config: MatchConfig) -> float | None:
    """The lowest score (bits) whose confidence reaches ``confidence``; ``None`` if none does."""
    reached = np.nonzero(probability(_SCORES, config.weights) >= confidence)[0]
    return float(_SCORES[reached[0]]) if len(reached) else None


def _notes(match: Match, candidates: tuple[Candidate, ...], config: MatchConfig) -> tuple[str, ...]:
    notes = [_rule(match, config), f"every score starts at the prior, {config.weights.prior:+g}"]
    if match.decision in ("review", "unmatched") and candidates:
        best = candidates[0]
        for decision, threshold in (("review", config.review_threshold),
                                    ("matched", config.match_threshold)):  # fmt: skip
            needed = score_for(threshold, config)
            if needed is not None and best.score < needed and decision != match.decision:
                notes.append(
                    f"{best.account_id} would be {decision} at a score of {needed:+.2f} "
                    f"(confidence {threshold:.2f}): {needed - best.score:.2f} bits more evidence"
                )
    if sum("token" in c.found_by for c in candidates) >= config.max_candidates:
        notes.append(
            f"blocking by name words kept the {config.max_candidates} names sharing the most "
            "of the lead's words (max_candidates): other accounts may have been left out"
        )
    notes += [e.detail for e in match.evidence if e.signal == "tie_break"]
    return tuple(notes)


def _rule(match: Match, config: MatchConfig) -> str:
    """The decision rule the lead's confidence met."""
    c, hi, lo = match.confidence, config.match_threshold, config.review_threshold
    if match.decision == "matched":
        return f"matched: confidence {c:.4f} is at least the match threshold {hi:.2f}"
    if match.decision == "review":
        if c >= hi:
            return f"review: confidence {c:.4f} would match, but another company scores alike"
        return f"review: confidence {c:.4f} is between the thresholds {lo:.2f} and {hi:.2f}"
    if match.decision == "unmatched":
        if not match.candidate_id:
            return "unmatched: blocking found no candidate account"
        return f"unmatched: confidence {c:.4f} is below the review threshold {lo:.2f}"
    if match.decision == "labelled":
        return f"labelled: {match.evidence[0].detail}" if match.evidence else "labelled"
    return f"error: {match.error}"
