"""Results out of a batch's decisions: one :class:`~leadmatch.models.Match` per lead, or the
flat row of a results file (CSV, DataFrame) made straight from the arrays."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leadmatch._util.arrays import BoolArray, IntArray
from leadmatch._util.text import cell_text
from leadmatch.config import CONFIDENCE_PLACES
from leadmatch.errors import InvalidInputError
from leadmatch.io import Label
from leadmatch.match.blocking import blocker_names
from leadmatch.match.explain import evidence, shown
from leadmatch.match.features import Features
from leadmatch.match.resolve import Resolution
from leadmatch.match.scoring import Scores
from leadmatch.match.view import IndexView
from leadmatch.models import Alternative, Decision, Evidence, Match, trusted
from leadmatch.normalize import LeadBatch

log = logging.getLogger("leadmatch")

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
    "evidence, then the account's own domain, then the ultimate parent, then the smallest id"
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
    batch: LeadBatch,
    feats: Features,
    scores: Scores,
    decided: Resolution,
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
    scored = _Scored.of(index, batch, feats, scores, decided, rows, parents)
    out: list[Any] = []
    for row, lead_id in enumerate(ids):
        error = errors[row]
        k = scored.at.get(row)
        if error is not None:
            out.append(
                _row(lead_id, "error", "", 0.0, f"error: {error}", "")
                if rows
                else _match(lead_id, "error", error=error)
            )
        elif k is None:
            out.append(
                _row(lead_id, "unmatched", "", 0.0, _NO_CANDIDATE.detail, "")
                if rows
                else _match(lead_id, "unmatched", evidence=(_NO_CANDIDATE,))
            )
        elif rows:
            out.append(scored.flat(index, lead_id, row, k, parents))
        else:
            out.append(scored.record(index, lead_id, row, k))
    return out


@dataclass(frozen=True)
class _Alternatives:
    """The alternatives of all a batch's leads at once: lead row ``i`` has those from
    ``bounds[i]`` to ``bounds[i + 1]``."""

    bounds: list[int]
    acct: IntArray
    related: BoolArray
    """Of the winner's company group."""
    records: list[Alternative]
    """As records ([] for rows: a file has no column for them)."""

    @classmethod
    def of(
        cls, index: IndexView, feats: Features, scores: Scores, decided: Resolution, rows: bool
    ) -> _Alternatives:
        d, lk = index.data, index.lookups
        winners, alt_ptr, alt_pairs = decided.winner_pair, decided.alt_ptr, decided.alt_pairs
        acct = feats.account[alt_pairs]
        alt_lead = np.arange(len(winners)).repeat(alt_ptr[1:] - alt_ptr[:-1])
        related = lk.group[acct] == lk.group[feats.account[np.maximum(winners[alt_lead], 0)]]
        records = (
            []
            if rows
            else [
                _alternative(account_id, probability, rel)
                for account_id, probability, rel in zip(
                    d.account_id.take(acct),
                    scores.probability[alt_pairs].round(CONFIDENCE_PLACES).tolist(),
                    related.tolist(),
                )
            ]
        )
        return cls(alt_ptr.tolist(), acct, related, records)

    def of_lead(self, row: int) -> tuple[Alternative, ...]:
        return tuple(self.records[self.bounds[row] : self.bounds[row + 1]])

    def rival(self, index: IndexView, row: int) -> str:
        """The id of lead ``row``'s first alternative of another company group (rivals come
        first), ``?`` if none is listed."""
        span = slice(self.bounds[row], self.bounds[row + 1])
        others = self.acct[span][~self.related[span]]
        return index.data.account_id[int(others[0])] if len(others) else "?"


@dataclass(frozen=True)
class _Scored:
    """The leads of a batch that have a candidate, and everything their results read, gathered
    once per batch (so that the loop over leads only picks): the ``k``-th such lead is lead row
    ``row`` where ``at[row] == k``."""

    at: dict[int, int]
    reasons: list[list[Any]]
    """Evidence of the ``k``-th (sentences for rows, else :class:`Evidence`)."""
    as_text: bool
    decision: list[Decision]
    confidence: list[float]
    chosen: list[bool]
    account_ids: list[str]
    fields: list[tuple[str, ...]]
    """Values of ``config.account_fields`` ([] if none)."""
    columns: list[str]
    """Their result columns."""
    parent_ids: list[str]
    found_by: list[list[str]]
    ambiguous: list[bool]
    tie_broken: list[bool]
    alternatives: _Alternatives

    @classmethod
    def of(
        cls,
        index: IndexView,
        batch: LeadBatch,
        feats: Features,
        scores: Scores,
        decided: Resolution,
        rows: bool,
        parents: bool,
    ) -> _Scored:
        config, d, lk = index.config, index.data, index.lookups
        lead = (decided.winner_pair >= 0).nonzero()[0]
        won = decided.winner_pair[lead]
        acct = feats.account[won]
        # Decided on the confidence as shown, so that a result at the threshold reads as one.
        confidence = decided.confidence[lead].round(CONFIDENCE_PLACES)
        ambiguous = decided.ambiguous[lead]
        # An ambiguous lead is worth a person's look when one of its rivals is likely right:
        # two companies named alike each get about half the confidence.
        reviewable = (confidence >= config.review_threshold) | (
            ambiguous & (scores.alone[won] >= config.review_threshold)
        )
        decision = np.where(
            (confidence >= config.match_threshold) & ~ambiguous,
            "matched",
            np.where(reviewable, "review", "unmatched"),
        )
        return cls(
            at=dict(zip(lead.tolist(), range(len(lead)))),
            reasons=evidence(index, batch, feats, scores, config.weights, won, rows),
            as_text=rows,
            decision=decision.tolist(),
            confidence=confidence.tolist(),
            chosen=(decision != "unmatched").tolist(),
            account_ids=d.account_id.take(acct),
            fields=_account_fields(index, acct),
            columns=field_columns(config.account_fields),
            parent_ids=d.account_id.take(lk.ultimate_row[acct]) if parents or not rows else [],
            found_by=[] if rows else [blocker_names(b) for b in feats.blockers[won].tolist()],
            ambiguous=(ambiguous & reviewable).tolist(),
            tie_broken=decided.tie_broken[lead].tolist(),
            alternatives=_Alternatives.of(index, feats, scores, decided, rows),
        )

    def _reasons(self, index: IndexView, row: int, k: int) -> list[Any]:
        """The ``k``-th's evidence, and a note on a tie: another company scoring alike, or the
        rule that chose among records of one company group."""
        if self.ambiguous[k]:
            detail = f"another company scores alike ({self.alternatives.rival(index, row)})"
            note = detail if self.as_text else _evidence("tie_break", "ambiguous", detail)
        elif self.tie_broken[k]:
            note = _TIE_RULE if self.as_text else _evidence("tie_break", "rule", _TIE_RULE)
        else:
            return self.reasons[k]
        return [*self.reasons[k], note]

    def flat(
        self, index: IndexView, lead_id: str, row: int, k: int, parents: bool
    ) -> dict[str, Any]:
        """The flat row of lead ``row``, the ``k``-th (its reasons are sentences already)."""
        picked = self.chosen[k]
        reasons = "; ".join(self._reasons(index, row, k))
        chosen_id = self.account_ids[k] if picked else ""
        confidence = self.confidence[k]
        out = _row(lead_id, self.decision[k], chosen_id, confidence, reasons, self.account_ids[k])
        if parents:
            out["ultimate_parent_id"] = self.parent_ids[k] if picked else ""
        if picked and self.fields:
            out.update(zip(self.columns, self.fields[k]))
        return out

    def record(self, index: IndexView, lead_id: str, row: int, k: int) -> Match:
        """The :class:`Match` of lead ``row``, the ``k``-th."""
        picked = self.chosen[k]
        names = index.config.account_fields
        return _match(
            lead_id,
            self.decision[k],
            account_id=self.account_ids[k] if picked else None,
            confidence=self.confidence[k],
            evidence=tuple(self._reasons(index, row, k)),
            alternatives=self.alternatives.of_lead(row),
            ultimate_parent_id=self.parent_ids[k] if picked else None,
            candidate_id=self.account_ids[k],
            found_by=tuple(self.found_by[k]),
            account_fields=tuple(zip(names, self.fields[k])) if picked and self.fields else (),
        )


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
    values = {"account_id": account_id, "confidence": probability}  # rounded by the caller
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


def result_fields(result: Match | Mapping[str, Any]) -> dict[str, Any]:
    """What a result says about its lead, from a record or a row of a results file: its
    ``lead_id``, ``account_id`` and ``candidate_id`` (``""`` for none), ``confidence`` and
    ``decision``."""
    if isinstance(result, Match):
        return {
            "lead_id": result.lead_id,
            "account_id": result.account_id or "",
            "candidate_id": result.candidate_id or "",
            "confidence": result.confidence,
            "decision": result.decision,
        }
    try:
        confidence = float(cell_text(result.get("confidence")) or 0.0)
    except ValueError as exc:
        raise InvalidInputError(
            f"result {result.get('lead_id')!r}: confidence {result.get('confidence')!r} is not "
            "a number"
        ) from exc
    return {
        "lead_id": cell_text(result.get("lead_id")),
        "account_id": cell_text(result.get("account_id")),
        "candidate_id": cell_text(result.get("candidate_id")),
        "confidence": confidence,
        "decision": cell_text(result.get("decision")),
    }


def result_names(fields: Sequence[str]) -> list[str]:
    """The columns of a result table: :data:`OUTPUT_COLUMNS`, ``ultimate_parent_id``, then
    the account fields."""
    return [*OUTPUT_COLUMNS, "ultimate_parent_id", *field_columns(fields)]


def with_labels(
    index: IndexView,
    found: Sequence[tuple[Label, str] | None],
    out: list[Any],
    rows: bool,
    parents: bool,
) -> list[Any]:
    """``out`` (one result per lead, as :func:`assemble` made them, ``rows`` or records) with
    each labelled lead's result made its label's: decision ``labelled``, the label's account
    at confidence 1, or no account at 0 for "none of them" (as for a lead without candidates).
    A label that names an account the index does not hold is not applied: the model's result
    stays and says so, and a warning counts them."""
    if not any(found):
        return out
    live, row_of_id = index.lookups.live(), index.tables.row_of_id
    missing = 0
    for i, hit in enumerate(found):
        if hit is None:
            continue
        label, how = hit
        said = (
            f"labelled {shown(label.account_id or 'none of the accounts')} by "
            f"{shown(label.by) or 'a reviewer'} on {shown(label.at[:10])} (found by {how})"
        )
        row = row_of_id.get(label.account_id) if label.account_id else None
        if label.account_id and (row is None or not live[row]):
            missing += 1
            out[i] = _noted(out[i], f"{said}: no such account in the index, not applied", rows)
        else:
            out[i] = _labelled(index, out[i], label.account_id, row, said, rows, parents)
    if missing:
        log.warning("%s labels name accounts the index does not hold: not applied", missing)
    return out


def _labelled(
    index: IndexView,
    model: Any,
    account_id: str | None,
    row: int | None,
    said: str,
    rows: bool,
    parents: bool,
) -> Any:
    """The result of a lead its label settles (``model``: the model's, quoted as evidence)."""
    before = result_row(model) if not rows else model
    answer = before["account_id"] or before["candidate_id"] or "no account"
    quoted = f"the model said {before['decision']} {answer} at {before['confidence']:.2f}"
    confidence = 1.0 if account_id else 0.0
    fields = _account_fields(index, np.array([row])) if row is not None else []
    names = index.config.account_fields
    if rows:
        out = _row(before["lead_id"], "labelled", account_id or "", confidence,
                   f"{said}; {quoted}", account_id or "")  # fmt: skip
        if parents:
            out["ultimate_parent_id"] = _parent_id(index, row)
        if fields:
            out.update(zip(field_columns(names), fields[0]))
        return out
    return _match(
        before["lead_id"],
        "labelled",
        account_id=account_id,
        confidence=confidence,
        evidence=(_evidence("label", "labelled", said), _evidence("model", "quoted", quoted)),
        ultimate_parent_id=_parent_id(index, row) or None,
        candidate_id=account_id,
        account_fields=tuple(zip(names, fields[0])) if fields else (),
    )


def _parent_id(index: IndexView, row: int | None) -> str:
    return "" if row is None else str(index.data.account_id[index.lookups.ultimate_row[row]])


def _noted(result: Any, note: str, rows: bool) -> Any:
    """``result`` with ``note`` added to its evidence."""
    if rows:
        return {**result, "evidence": f"{result['evidence']}; {note}"}
    noted = (*result.evidence, _evidence("label", "unknown_account", note))
    return result.model_copy(update={"evidence": noted})
