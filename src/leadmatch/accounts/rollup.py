"""Accounts, not leads: results rolled up per account (or per ultimate parent), and the
coverage of a target-account list.

Account-based marketing counts accounts: how many target accounts were reached, and through
whom. Both functions read match results (``Match`` records or the rows of a results file) and
the index the leads were matched against; the group-by is NumPy over integer account rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from leadmatch._util.arrays import BoolArray, IntArray
from leadmatch._util.keys import hash_keys
from leadmatch.errors import InvalidInputError
from leadmatch.match import IndexView, view_of
from leadmatch.models import Match
from leadmatch.normalize import as_text, fold, normalize_country

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

Level = Literal["account", "parent"]
#: Columns of a rollup row before the account fields.
ROLLUP_COLUMNS = (
    "account_id", "name", "matched_leads", "review_leads", "contacts", "countries",
    "first_lead_date", "last_lead_date",
)  # fmt: skip


def rollup(
    results: Iterable[Match | Mapping[str, Any]],
    index: AccountIndex,
    *,
    leads: Iterable[Mapping[str, Any]] | None = None,
    level: Level = "account",
    date_field: str | None = None,
) -> list[dict[str, Any]]:
    """One row per account with a ``matched`` or ``review`` lead (per ultimate parent with
    ``level="parent"``): its matched leads (those labelled with it too) and review leads,
    and, from the matched leads' fields when ``leads`` are given, distinct contacts (by
    normalized email, else first and last name), their countries and the first and last
    value of ``date_field``; then the account fields the index holds. Most matched leads
    first, then by account id; rows with the keys of :data:`ROLLUP_COLUMNS` and the field
    names (``pandas.DataFrame(rows)`` for a frame)."""
    view = view_of(index)  # one version of the accounts throughout
    rows, accounts, decisions = _resolved(results, view)
    key = _level_rows(view, accounts, level)
    matched = decisions == 1
    n = view.lookups.n_rows
    matched_n = np.bincount(key[matched], minlength=n)
    review_n = np.bincount(key[decisions == 2], minlength=n)
    keep = np.flatnonzero((matched_n + review_n) > 0)
    facts = (
        _LeadFacts(np.zeros(n, dtype=np.int64), {}, {}, {})
        if leads is None
        else _lead_facts(leads, rows, matched, key, n, date_field)
    )
    order = keep[np.lexsort((view.lookups.id_rank[keep], -matched_n[keep]))]
    return _rollup_rows(view, order, matched_n, review_n, facts)


@dataclass(frozen=True)
class _LeadFacts:
    """What the matched leads' fields tell of each account row (for a rollup)."""

    contacts: IntArray
    """Distinct contacts per row."""
    countries: dict[int, list[str]]
    """Their countries (distinct, sorted) by row, for rows where any is known."""
    first: dict[int, str]
    """The earliest ISO date of ``date_field`` by row, for rows where any is readable."""
    last: dict[int, str]
    """The latest, likewise."""


def _lead_facts(
    leads: Iterable[Mapping[str, Any]],
    rows: list[str],
    matched: BoolArray,
    key: IntArray,
    n: int,
    date_field: str | None,
) -> _LeadFacts:
    """The contacts, countries and date span of the matched leads (lead ids ``rows``, rolled up
    to rows ``key``) of each of ``n`` rows, from the leads' fields."""
    fields = {as_text(lead.get("lead_id")): lead for lead in leads}
    picked = [fields.get(lead_id, {}) for lead_id, m in zip(rows, matched.tolist()) if m]
    owner = key[matched]
    person = hash_keys([_contact(lead) for lead in picked])
    known = person != 0
    pairs = np.unique(np.stack([owner[known], person[known].view(np.int64)]), axis=1)
    contacts = np.bincount(pairs[0], minlength=n) if pairs.size else np.zeros(n, dtype=np.int64)
    countries: dict[int, list[str]] = {}
    country = [normalize_country(lead.get("country")) for lead in picked]
    for row, code in sorted(set(zip(owner.tolist(), country))):
        if code:
            countries.setdefault(row, []).append(code)
    first: dict[int, str] = {}
    last: dict[int, str] = {}
    if date_field:
        for row, lead in zip(owner.tolist(), picked):
            when = _date(lead.get(date_field))
            if when:
                first[row] = min(first.get(row, when), when)
                last[row] = max(last.get(row, when), when)
    return _LeadFacts(contacts, countries, first, last)


def _rollup_rows(
    view: IndexView, order: IntArray, matched_n: IntArray, review_n: IntArray, facts: _LeadFacts
) -> list[dict[str, Any]]:
    """The rollup's rows, one per account row of ``order``: its counts and lead facts, then
    the account fields the index holds (taken for all rows at once)."""
    d = view.data
    names = list(d.field_names)
    columns = rollup_field_columns(names)
    width = len(names)
    at = np.repeat(order * width, width) + np.tile(np.arange(width, dtype=np.int64), len(order))
    values = d.field_values.take(at)
    out: list[dict[str, Any]] = []
    for k, (row, account_id, name) in enumerate(
        zip(order.tolist(), d.account_id.take(order), d.display_name.take(order))
    ):
        out.append(
            {
                "account_id": account_id,
                "name": name,
                "matched_leads": int(matched_n[row]),
                "review_leads": int(review_n[row]),
                "contacts": int(facts.contacts[row]),
                "countries": ";".join(facts.countries.get(row, [])),
                "first_lead_date": facts.first.get(row, ""),
                "last_lead_date": facts.last.get(row, ""),
                **dict(zip(columns, values[k * width : (k + 1) * width])),
            }
        )
    return out


@dataclass(frozen=True)
class TierCoverage:
    """The coverage of the targets of one tier (``tier`` is ``""`` for untiered targets)."""

    tier: str
    targets: int
    engaged: int

    @property
    def share(self) -> float:
        return self.engaged / self.targets if self.targets else 0.0


@dataclass(frozen=True)
class Coverage:
    """How many target accounts the leads reached, overall and per tier."""

    overall: TierCoverage
    tiers: tuple[TierCoverage, ...]
    uncovered: tuple[tuple[str, str], ...]
    """(account id, tier) of the targets not engaged, by tier then id."""
    engaged_non_targets: tuple[tuple[str, int], ...]
    """(account id, matched leads) of engaged accounts that are not targets, most leads first."""
    min_leads: int
    level: Level

    def summary(self) -> str:
        """A few readable lines."""
        where = "accounts" if self.level == "account" else "accounts (counted at parent level)"
        lines = [
            f"{self.overall.engaged:,} of {self.overall.targets:,} target {where} engaged "
            f"({self.overall.share:.1%}) with at least {self.min_leads} matched lead(s)"
        ]
        if len(self.tiers) > 1 or (self.tiers and self.tiers[0].tier):
            lines += [
                f"  tier {t.tier or '(none)'}: {t.engaged:,} of {t.targets:,} ({t.share:.1%})"
                for t in self.tiers
            ]
        lines.append(
            f"{len(self.uncovered):,} targets not engaged; "
            f"{len(self.engaged_non_targets):,} engaged accounts are not targets"
        )
        return "\n".join(lines)


def coverage(
    results: Iterable[Match | Mapping[str, Any]],
    index: AccountIndex,
    targets: Iterable[str | Mapping[str, Any]],
    *,
    min_leads: int = 1,
    level: Level = "account",
) -> Coverage:
    """Coverage of a target list: account ids, or rows with ``account_id`` and optionally
    ``tier``. A target is engaged with ``min_leads`` or more ``matched`` leads; with
    ``level="parent"``, the leads of its whole hierarchy count (each account's leads roll up
    to its ultimate parent). A target id that is no account raises
    :class:`InvalidInputError`, naming it."""
    view = view_of(index)  # one version of the accounts throughout
    if min_leads < 1:
        raise InvalidInputError("min_leads must be at least 1")
    _, accounts, decisions = _resolved(results, view)
    key = _level_rows(view, accounts[decisions == 1], level)
    counts = np.bincount(key, minlength=view.lookups.n_rows)
    tiers = _target_tiers(targets, view)
    row_of = view.tables.row_of_id
    target_rows = np.array([row_of[t] for t in tiers], dtype=np.int64)
    target_key = _level_rows(view, target_rows, level)
    engaged = counts[target_key] >= min_leads
    return Coverage(
        overall=TierCoverage("", len(tiers), int(engaged.sum())),
        tiers=_tier_coverage(tiers, engaged),
        uncovered=_uncovered(tiers, engaged),
        engaged_non_targets=_engaged_non_targets(view, counts, target_key, min_leads),
        min_leads=min_leads,
        level=level,
    )


def _target_tiers(targets: Iterable[str | Mapping[str, Any]], view: IndexView) -> dict[str, str]:
    """Each target's tier by account id, in the order first given (a later repeat of an id is
    ignored); a target the index does not hold raises :class:`InvalidInputError`."""
    tiers: dict[str, str] = {}
    for target in targets:
        account_id, tier = (
            (as_text(target), "")
            if isinstance(target, str)
            else (as_text(target.get("account_id")), as_text(target.get("tier")))
        )
        if account_id:
            tiers.setdefault(account_id, tier.strip())
    unknown = [t for t in tiers if t not in view.tables.row_of_id]
    if unknown:
        raise InvalidInputError(
            f"{len(unknown):,} target(s) are not accounts of the index (first: {unknown[0]!r})"
        )
    return tiers


def _tier_coverage(tiers: dict[str, str], engaged: BoolArray) -> tuple[TierCoverage, ...]:
    """Targets and engaged targets per tier, by tier."""
    by_tier: dict[str, list[bool]] = {}
    for tier, hit in zip(tiers.values(), engaged.tolist()):
        by_tier.setdefault(tier, []).append(hit)
    return tuple(TierCoverage(tier, len(hits), sum(hits)) for tier, hits in sorted(by_tier.items()))


def _uncovered(tiers: dict[str, str], engaged: BoolArray) -> tuple[tuple[str, str], ...]:
    """(account id, tier) of the targets not engaged, by tier then id."""
    return tuple(
        sorted(((t, tier) for (t, tier), hit in zip(tiers.items(), engaged.tolist()) if not hit),
               key=lambda pair: (pair[1], pair[0]))
    )  # fmt: skip


def _engaged_non_targets(
    view: IndexView, counts: IntArray, target_key: IntArray, min_leads: int
) -> tuple[tuple[str, int], ...]:
    """(account id, matched leads) of the rows with ``min_leads`` or more that no target rolls
    up to, most leads first, then by id."""
    covered_keys = set(target_key.tolist())
    reached = np.flatnonzero(counts >= min_leads)
    outside = [int(r) for r in reached if int(r) not in covered_keys]
    ids = view.data.account_id.take(np.array(outside, dtype=np.int64))
    return tuple(
        sorted(((i, int(counts[r])) for i, r in zip(ids, outside)), key=lambda p: (-p[1], p[0]))
    )


def rollup_field_columns(names: Iterable[str]) -> list[str]:
    """Rollup columns of account fields: ``account_``-prefixed where a name is a rollup
    column already."""
    return [f"account_{name}" if name in ROLLUP_COLUMNS else name for name in names]


def _resolved(
    results: Iterable[Match | Mapping[str, Any]], index: IndexView
) -> tuple[list[str], IntArray, IntArray]:
    """Lead ids, account rows and decisions (1 matched, 2 review) of the results that name an
    account; an account id the index does not know raises :class:`InvalidInputError`."""
    row_of = index.tables.row_of_id
    leads: list[str] = []
    rows: list[int] = []
    decisions: list[int] = []
    unknown: list[str] = []
    for result in results:
        decision: str
        if isinstance(result, Match):
            lead_id, account_id, decision = result.lead_id, result.account_id, result.decision
        else:
            lead_id = as_text(result.get("lead_id"))
            account_id = as_text(result.get("account_id"))
            decision = as_text(result.get("decision"))
        code = {"matched": 1, "labelled": 1, "review": 2}.get(decision)
        if code is None or not account_id:
            continue
        row = row_of.get(account_id)
        if row is None:
            unknown.append(account_id)
            continue
        leads.append(lead_id)
        rows.append(row)
        decisions.append(code)
    if unknown:
        raise InvalidInputError(
            f"{len(unknown):,} results name accounts the index does not hold (first: "
            f"{unknown[0]!r}): were they matched against other accounts?"
        )
    return leads, np.array(rows, dtype=np.int64), np.array(decisions, dtype=np.int64)


def _level_rows(index: IndexView, rows: IntArray, level: Level) -> IntArray:
    if level == "parent":
        return index.lookups.ultimate_row[rows]
    if level != "account":
        raise InvalidInputError(f"level must be 'account' or 'parent', not {level!r}")
    return rows


def _contact(lead: Mapping[str, Any]) -> str:
    """A person's key: the folded email address, else first and last name ('' if neither)."""
    email = fold(lead.get("email"))
    if "@" in email:
        return f"@{email}"
    name = " ".join(fold(lead.get(f)) for f in ("first_name", "last_name")).strip()
    return f"n:{name}" if name else ""


def _date(value: Any) -> str:
    """An ISO date (YYYY-MM-DD) from a date, datetime or ISO-like text; '' if unreadable."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = as_text(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return ""
