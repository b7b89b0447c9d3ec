"""Precision and recall of results against known answers (demo, benchmarks, users' checks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from leadmatch.models import Match


@dataclass(frozen=True)
class Quality:
    """How results compare with the truth; ``precision`` and ``recall`` are of ``matched``."""

    leads: int
    with_account: int
    matched: int
    matched_right: int
    review: int
    review_right: int
    no_account_unmatched: int
    decisions: dict[str, int]

    @property
    def precision(self) -> float:
        return self.matched_right / self.matched if self.matched else 1.0

    @property
    def recall(self) -> float:
        return self.matched_right / self.with_account if self.with_account else 1.0

    @property
    def no_account_accuracy(self) -> float:
        """Share of leads that belong to no account whose decision is ``unmatched``."""
        none = self.leads - self.with_account
        return self.no_account_unmatched / none if none else 1.0

    def summary(self) -> str:
        return (
            f"precision {self.precision:.3f}, recall {self.recall:.3f} of 'matched' "
            f"({self.matched_right}/{self.matched} right, {self.with_account} leads have an "
            f"account); review {self.review} ({self.review_right} right); leads of no account "
            f"left unmatched {self.no_account_accuracy:.3f}"
        )


def assess(results: Iterable[Match], truth: Mapping[str, frozenset[str]]) -> Quality:
    """Compare results with ``truth``: lead id -> the account ids that are right (empty: none).

    Several ids are right when the truth is a company recorded more than once.
    """
    leads = with_account = matched = matched_right = review = review_right = none_unmatched = 0
    decisions: Counter[str] = Counter()
    for match in results:
        right = truth.get(match.lead_id, frozenset())
        leads += 1
        decisions[match.decision] += 1
        with_account += bool(right)
        hit = match.account_id in right
        if match.decision == "matched":
            matched += 1
            matched_right += hit
        elif match.decision == "review":
            review += 1
            review_right += hit
        if not right and match.decision == "unmatched":
            none_unmatched += 1
    return Quality(
        leads, with_account, matched, matched_right, review, review_right, none_unmatched,
        dict(decisions),
    )  # fmt: skip


def truth_from_rows(rows: Iterable[Mapping[str, str | None]]) -> dict[str, frozenset[str]]:
    """Truth from rows with ``lead_id``, ``true_account_id`` and optional
    ``acceptable_account_ids`` (``;``-separated)."""
    truth: dict[str, frozenset[str]] = {}
    for row in rows:
        ids = {_text(row.get("true_account_id"))}
        ids.update(_text(row.get("acceptable_account_ids")).split(";"))
        truth[_text(row.get("lead_id"))] = frozenset(i.strip() for i in ids if i.strip())
    return truth


def _text(value: object) -> str:
    """Cells as text; missing values (None, NaN from a DataFrame) as ''."""
    return (
        value if isinstance(value, str) else "" if value is None or value != value else str(value)
    )
