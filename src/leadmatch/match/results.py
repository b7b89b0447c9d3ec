"""Results out of a batch's decisions: one :class:`~leadmatch.models.Match` per lead, or the
flat row of a results file (CSV, DataFrame) made straight from the arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from leadmatch.match import blocking
from leadmatch.match.explain import evidence
from leadmatch.match.features import Features
from leadmatch.match.scoring import Scores
from leadmatch.match.view import IndexView
from leadmatch.models import Alternative, Decision, Evidence, Match, trusted

#: Columns of a result table (CSV or DataFrame), in order. ``candidate_id`` is the best-scored
#: account whatever the decision (the nearest miss of an ``unmatched`` lead; what evaluation
#: ranks and calibrates).
OUTPUT_COLUMNS = ("lead_id", "account_id", "confidence", "decision", "evidence", "candidate_id")

_NO_CANDIDATE = Evidence(
    signal="candidates",
    level="none",
    weight=0.0,
    detail="no account shares a domain, a distinctive name word or an acronym with this lead",
)


_TIE_RULE = (
    "chosen among records of one company group: the lead's country, then the strongest "
    "evidence, then the ultimate parent, then the smallest id"
)


def _match(
    lead_id: str,
    decision: Decision,
    account_id: str | None = None,
    confidence: float = 0.0,
    evidence: tuple[Evidence, ...] = (),
    alternatives: tuple[Alternative, ...] = (),
    ultimate_parent_id: str | None = None,
    candidate_id: str | None = None,
    found_by: tuple[str, ...] = (),
    error: str | None = None,
    account_fields: tuple[tuple[str, str], ...] = (),
) -> Match:
    values = {"lead_id": lead_id, "account_id": account_id, "confidence": confidence}
    return trusted(
        Match,
        {
            **values,
            "decision": decision,
            "evidence": evidence,
            "alternatives": alternatives,
            "ultimate_parent_id": ultimate_parent_id,
            "candidate_id": candidate_id,
            "found_by": found_by,
            "error": error,
            "account_fields": account_fields,
        },
    )


def assemble(
    index: IndexView,
    batch: Any,
    feats: Features,
    scores: Scores,
    decided: Any,
    ids: Sequence[str],
    errors: Sequence[str | None],
    rows: bool = False,
    parents: bool = False,
) -> list[Any]:
    """One :class:`Match` per lead, or with ``rows`` the flat row :func:`result_row` would
    make of it, without the records (a file has no use for them, and they cost a fifth of
    the matching time): a test holds the two equal. With ``parents`` a row also has the
    ``ultimate_parent_id`` (for a frame's results)."""
    # Every value below comes from validated inputs and the matcher's arrays, so the records
    # are built without re-validation (see models.trusted).
    config = index.config
    d, lk = index.data, index.lookups
    winners = decided.winner_pair
    scored = (winners >= 0).nonzero()[0]
    won = winners[scored]
    reasons_of = dict(
        zip(scored.tolist(), evidence(index, batch, feats, scores, config.weights, won, rows))
    )
    # Per lead with a candidate, everything the record needs, gathered once per batch.
    acct = feats.account[won]
    confidence = decided.confidence[scored]
    decision = np.where(
        (confidence >= config.match_threshold) & ~decided.ambiguous[scored],
        "matched",
        np.where(confidence >= config.review_threshold, "review", "unmatched"),
    )
    chosen = decision != "unmatched"
    account_ids = d.account_id.take(acct)
    fields = _account_fields(index, acct)
    names = config.account_fields
    columns = field_columns(names)
    # What only records carry (a file has no column for them).
    parent_ids = d.account_id.take(lk.ultimate_row[acct]) if parents or not rows else []
    found_by = [] if rows else [blocking.blocker_names(b) for b in feats.blockers[won].tolist()]
    ambiguous = decided.ambiguous[scored] & (confidence >= config.review_threshold)
    tie_broken = decided.tie_broken[scored]
    # Alternatives of all leads at once; lead ``k`` of ``scored`` has alt_ptr[k]..alt_ptr[k+1].
    alt_ptr, alt_pairs = decided.alt_ptr, decided.alt_pairs
    alt_acct = feats.account[alt_pairs]
    alt_lead = np.arange(len(winners)).repeat(alt_ptr[1:] - alt_ptr[:-1])
    alt_related = lk.group[alt_acct] == lk.group[feats.account[np.maximum(winners[alt_lead], 0)]]
    alternatives_all = (
        []
        if rows
        else [
            _alternative(account_id, probability, related)
            for account_id, probability, related in zip(
                d.account_id.take(alt_acct),
                scores.probability[alt_pairs].round(4).tolist(),
                alt_related.tolist(),
            )
        ]
    )
    bounds = alt_ptr.tolist()
    at = dict(zip(scored.tolist(), range(len(scored))))

    out: list[Any] = []
    for row, lead_id in enumerate(ids):
        if errors[row] is not None:
            error = errors[row]
            out.append(
                _row(lead_id, "error", "", 0.0, f"error: {error}", "")
                if rows
                else _match(lead_id, "error", error=error)
            )
            continue
        k = at.get(row)
        if k is None:
            out.append(
                _row(lead_id, "unmatched", "", 0.0, _NO_CANDIDATE.detail, "")
                if rows
                else _match(lead_id, "unmatched", evidence=(_NO_CANDIDATE,))
            )
            continue
        lead_reasons = reasons_of[row]
        alternatives = tuple(alternatives_all[bounds[row] : bounds[row + 1]])
        if ambiguous[k]:
            # The rival: the first alternative of another company group (rivals come first).
            span = slice(bounds[row], bounds[row + 1])
            others = alt_acct[span][~alt_related[span]]
            rival = d.account_id[int(others[0])] if len(others) else "?"
            detail = f"another company scores alike ({rival})"
            lead_reasons.append(detail if rows else _evidence("tie_break", "ambiguous", detail))
        elif tie_broken[k]:
            lead_reasons.append(_TIE_RULE if rows else _evidence("tie_break", "rule", _TIE_RULE))
        picked = bool(chosen[k])
        if rows:  # the reasons are sentences already
            reasons = "; ".join(lead_reasons)
            chosen_id = account_ids[k] if picked else ""
            confidence_k = round(float(confidence[k]), 4)
            row_k = _row(
                lead_id, str(decision[k]), chosen_id, confidence_k, reasons, account_ids[k]
            )
            if parents:
                row_k["ultimate_parent_id"] = parent_ids[k] if picked else ""
            if picked and fields:
                row_k.update(zip(columns, fields[k]))
            out.append(row_k)
            continue
        out.append(
            _match(
                lead_id,
                str(decision[k]),  # type: ignore[arg-type]
                account_id=account_ids[k] if picked else None,
                confidence=round(float(confidence[k]), 4),
                evidence=tuple(lead_reasons),
                alternatives=alternatives,
                ultimate_parent_id=parent_ids[k] if picked else None,
                candidate_id=account_ids[k],
                found_by=tuple(found_by[k]),
                account_fields=tuple(zip(names, fields[k])) if picked and fields else (),
            )
        )
    return out


def _account_fields(index: IndexView, acct: Any) -> list[tuple[str, ...]]:
    """Per account row of ``acct``, the values of ``config.account_fields`` ([] if none)."""
    names = index.config.account_fields
    if not names:
        return []
    held = list(index.data.field_names)
    width = len(held)
    at = np.array([held.index(name) for name in names], dtype=np.int64)
    values = index.data.field_values.take((acct[:, None] * width + at[None, :]).reshape(-1))
    return [tuple(values[i : i + len(names)]) for i in range(0, len(values), len(names))]


def field_columns(names: Sequence[str]) -> list[str]:
    """The result columns of account fields: their names, ``account_``-prefixed where a name
    is a result column already."""
    taken = {*OUTPUT_COLUMNS, "ultimate_parent_id"}
    return [f"account_{name}" if name in taken else name for name in names]


def _row(
    lead_id: str, decision: str, account_id: str, confidence: float, reasons: str, candidate: str
) -> dict[str, Any]:
    return {"lead_id": lead_id, "account_id": account_id, "confidence": confidence,
            "decision": decision, "evidence": reasons, "candidate_id": candidate}  # fmt: skip


def _alternative(account_id: str, probability: float, related: Any) -> Alternative:
    values = {"account_id": account_id, "confidence": round(probability, 4)}
    return trusted(Alternative, {**values, "related": bool(related)})


def _evidence(signal: str, level: str, detail: str) -> Evidence:
    return trusted(Evidence, {"signal": signal, "level": level, "weight": 0.0, "detail": detail})


def result_row(match: Match) -> dict[str, Any]:
    """A result as the flat row written to CSV files and DataFrames."""
    return {
        "lead_id": match.lead_id,
        "account_id": match.account_id or "",
        "confidence": match.confidence,
        "decision": match.decision,
        "evidence": match.reasons(),
        "candidate_id": match.candidate_id or "",
        **dict(
            zip(
                field_columns([n for n, _ in match.account_fields]),
                [v for _, v in match.account_fields],
            )
        ),
    }


def result_names(fields: Sequence[str]) -> list[str]:
    """The columns of a result table: :data:`OUTPUT_COLUMNS`, ``ultimate_parent_id``, then
    the account fields."""
    return [*OUTPUT_COLUMNS, "ultimate_parent_id", *field_columns(fields)]
