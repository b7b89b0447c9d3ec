"""The review queue: the leads a person should settle, the most useful answer first.

An answer is worth what it changes in what the CRM receives, over every lead it settles:

- a lead in ``review`` or left ``unmatched`` changes when it does belong to an account, which
  its best candidate's confidence ``p`` estimates (the reviewer can also search any account);
- an audited ``matched`` lead changes when its account is wrong: ``1 - p``.

An answer settles every lead that finds its label (see :mod:`leadmatch.io.labels`): the same
company at the same company domains is asked once, as one item, and the answer is offered for
the rest. The item's worth sums its leads' chances, each times its account's weight (a target
account, a field the user names: ``weights``), so a question that settles many leads, or leads
of accounts that matter, comes first.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from leadmatch.errors import InvalidInputError
from leadmatch.io import Label, LabelBook, answer_key, label_book, lead_keys, validate_leads
from leadmatch.match import result_fields
from leadmatch.models import Lead, Match

Band = Literal["review", "unmatched", "audit"]
#: The bands a queue holds unless told: the leads the model left to a person.
DEFAULT_BANDS: tuple[Band, ...] = ("review",)
_ASKED_BY_DECISION = ("review", "unmatched")


@dataclass(frozen=True)
class Item:
    """One question for a reviewer: a lead, what the model said of it, and what its answer
    is worth."""

    lead: Lead
    """The lead asked about, as given (its ``lead_id`` is the result's)."""
    band: Band
    decision: str
    """The model's decision for the lead."""
    account_id: str | None
    """The model's account, else its best candidate; ``None`` when blocking found none."""
    confidence: float
    worth: float
    """Leads whose outcome the answer is expected to change, each counted by its account's
    weight (see the module's doc)."""
    settles: tuple[str, ...] = ()
    """The other leads of the batch the answer settles too (same company and domains)."""
    id_given: bool = True
    """The lead came with its ``lead_id`` (else it is named by its position in the batch,
    which names another lead in the next one: its answer then finds it by its fields)."""

    def answer(self, account_id: str | None, by: str = "") -> Label:
        """A person's answer to this question (``None``: none of the accounts), as a label
        that finds the lead again and keeps what the model said."""
        lead = self.lead
        return Label(
            lead_id=lead.lead_id if self.id_given else None,
            email=lead.email,
            company=lead.company,
            website=lead.website,
            account_id=account_id,
            by=by,
            model_account_id=self.account_id,
            model_confidence=self.confidence,
            model_decision=self.decision,
        )


@dataclass(frozen=True)
class _Row:
    """A lead of the batch with its result, and what settles it with others."""

    lead: Lead
    result: dict[str, Any]
    key: tuple[str, ...]
    weight: float
    id_given: bool

    @property
    def candidate(self) -> str:
        return str(self.result["account_id"] or self.result["candidate_id"])

    def chance(self) -> float:
        """The chance an answer changes what the CRM receives for this lead."""
        p = float(self.result["confidence"])
        decision = self.result["decision"]
        if decision == "matched":
            return 1.0 - p
        return p if decision in ("review", "unmatched") else 0.0


def queue(
    results: Iterable[Match | Mapping[str, Any]],
    leads: Iterable[Lead | Mapping[str, Any]],
    *,
    bands: Sequence[Band] = DEFAULT_BANDS,
    audit: int = 0,
    weights: Mapping[str, float] | None = None,
    labels: Any = None,
    seed: int = 0,
) -> list[Item]:
    """The questions a reviewer should answer about ``results`` (``Match`` records or rows of
    a results file) of ``leads`` (the leads matched, in the same order), the most worth first.

    ``bands``: ``review`` (the default) and ``unmatched`` (leads left unmatched that have a
    candidate); ``audit`` adds that many matched leads, a random sample drawn with ``seed``.
    ``weights``: account id -> how much a lead of that account counts (1 if absent); the lead's
    account, else its best candidate, is read. ``labels`` (what ``match_many`` takes): leads
    they settle are not asked about; neither are leads with a result of ``error`` or
    ``labelled``.
    """
    unknown = sorted(set(bands) - set(_ASKED_BY_DECISION))
    if unknown:
        raise InvalidInputError(
            f"unknown band {unknown[0]!r}: bands are {list(_ASKED_BY_DECISION)} (audit: a number)"
        )
    if audit < 0:
        raise InvalidInputError(f"audit must be a number of leads (0 or more), not {audit}")
    rows = _open_rows(results, leads, label_book(labels), weights or {})
    asked = _asked(rows, frozenset(bands), audit, seed)
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, row in enumerate(rows):
        groups.setdefault(row.key or ("lead", str(position)), []).append(position)
    items = [_item(rows, m, asked) for m in groups.values() if any(p in asked for p in m)]
    items.sort(key=lambda item: (-item.worth, abs(item.confidence - 0.5)))
    return items


def _open_rows(
    results: Iterable[Match | Mapping[str, Any]],
    leads: Iterable[Lead | Mapping[str, Any]],
    book: LabelBook | None,
    weights: Mapping[str, float],
) -> list[_Row]:
    """The leads still open (no error, no label), each beside its result."""
    found = [result_fields(result) for result in results]
    valid, ids, _ = validate_leads(leads, strict=False)
    if len(found) != len(ids):
        raise InvalidInputError(
            f"{len(found):,} results for {len(ids):,} leads: give the results of these leads, "
            "in their order"
        )
    rows = []
    for lead, lead_id, result in zip(valid, ids, found):
        if lead_id != result["lead_id"]:
            raise InvalidInputError(
                f"the result {result['lead_id']!r} stands where lead {lead_id!r} is: give the "
                "results of these leads, in their order"
            )
        if lead is None or result["decision"] in ("error", "labelled"):
            continue
        keys = lead_keys(lead.company, lead.email, lead.website)
        # Found by its own id only, as matching finds labels: a position names no lead.
        if book is not None and book.find_keys(lead.lead_id, *keys):
            continue
        candidate = result["account_id"] or result["candidate_id"]
        given = lead.lead_id is not None
        if not given:
            lead = lead.model_copy(update={"lead_id": lead_id})
        rows.append(_Row(lead, result, answer_key(keys), _weight(weights, candidate), given))
    return rows


def _weight(weights: Mapping[str, float], account_id: str) -> float:
    weight = weights.get(account_id, 1.0) if account_id else 1.0
    try:
        value = float(weight)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value < math.inf:
        raise InvalidInputError(
            f"the weight of account {account_id!r} is {weight!r}: a weight is a number, 0 or more"
        )
    return value


def _asked(rows: list[_Row], bands: frozenset[str], audit: int, seed: int) -> dict[int, Band]:
    """The band of each lead a question is about, by position."""
    asked: dict[int, Band] = {}
    matched = []
    for position, row in enumerate(rows):
        decision = row.result["decision"]
        if decision == "review" and "review" in bands:
            asked[position] = "review"
        elif decision == "unmatched" and row.candidate and "unmatched" in bands:
            asked[position] = "unmatched"
        elif decision == "matched":
            matched.append(position)
    for position in random.Random(seed).sample(matched, min(audit, len(matched))):
        asked[position] = "audit"
    return asked


def _item(rows: list[_Row], members: list[int], asked: dict[int, Band]) -> Item:
    """One question about a group of leads one answer settles, asked of its most telling lead
    in a band."""
    worth = {m: rows[m].chance() * rows[m].weight for m in members}
    first = max((m for m in members if m in asked), key=lambda m: (worth[m], -m))
    row = rows[first]
    return Item(
        lead=row.lead,
        band=asked[first],
        decision=row.result["decision"],
        account_id=row.candidate or None,
        confidence=float(row.result["confidence"]),
        worth=round(sum(worth.values()), 6),
        settles=tuple(str(rows[m].lead.lead_id) for m in members if m != first),
        id_given=row.id_given,
    )
