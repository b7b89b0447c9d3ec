"""Net-new accounts: the leads left ``unmatched`` grouped by the company they come from, each
group proposed as an account to create in the CRM.

The unmatched leads are indexed as if each were an account (its company name, its company
domain, its country) and matched against one another with the same blocking, features and
weights as leads against accounts: two leads whose pair reaches ``threshold`` are the same
company, and groups are what such pairs join. A free-mail address is never a company domain,
so free-mail alone never groups two leads; a shared company domain or an agreeing name does,
and never across a conflict of country or legal form (where both leads give one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from leadmatch._util.arrays import FloatArray, IntArray, connected_components
from leadmatch.config import MatchConfig
from leadmatch.match import IndexView, scored_batches
from leadmatch.models import Match
from leadmatch.normalize import as_text, company_domains, domain_key, normalize_country, parse_email
from leadmatch.tables import Tables, build_data, derive

#: Columns of a proposals file: those of an accounts file, then the evidence.
PROPOSAL_COLUMNS = (
    "account_id", "name", "domain", "alias_domains", "country", "city", "phone", "parent_id",
    "lead_ids", "leads", "confidence",
)  # fmt: skip


@dataclass(frozen=True)
class ProposedAccount:
    """A company that is not an account yet, as its unmatched leads show it."""

    account_id: str
    """``NEW-`` and the group's smallest lead id: stable from run to run."""
    name: str
    """The company as its leads typed it most often (white space tidied)."""
    domain: str
    country: str
    lead_ids: tuple[str, ...]
    confidence: float
    """The weakest pair that joined the group (1.0 for a group of one lead)."""

    def row(self) -> dict[str, Any]:
        """The proposal as a row of an accounts file (plus its leads and confidence)."""
        return {"account_id": self.account_id, "name": self.name, "domain": self.domain,
                "alias_domains": "", "country": self.country, "city": "", "phone": "",
                "parent_id": "", "lead_ids": ";".join(self.lead_ids),
                "leads": len(self.lead_ids), "confidence": self.confidence}  # fmt: skip


def propose_accounts(
    leads: Iterable[Mapping[str, Any]],
    results: Iterable[Match | Mapping[str, Any]],
    config: MatchConfig | None = None,
    *,
    threshold: float | None = None,
) -> list[ProposedAccount]:
    """Group the leads whose result is ``unmatched`` into proposed accounts, largest groups
    first. Leads with neither a company name nor a company domain propose nothing.
    ``threshold`` is the confidence a pair needs (default: the config's ``match_threshold``)."""
    config = config or MatchConfig()
    cut = config.match_threshold if threshold is None else threshold
    pseudo, records = _pseudo_accounts(leads, _unmatched_ids(results))
    if not pseudo:
        return []
    plain = MatchConfig.model_validate({**config.model_dump(), "account_fields": ()})
    data = build_data(pseudo, plain.strict)
    index = IndexView(Tables(data, derive(data)), plain)
    a, b, p = _same_company_pairs(index, records, plain, cut)
    n = index.lookups.n_accounts
    label = connected_components(n, a, b)
    weakest = np.ones(n)
    np.minimum.at(weakest, label[a], p)
    proposals = _grouped(label, weakest, list(index.data.account_id), pseudo)
    proposals.sort(key=lambda p: (-len(p.lead_ids), p.account_id))
    return proposals


def _unmatched_ids(results: Iterable[Match | Mapping[str, Any]]) -> set[str]:
    """The ids of the leads whose result is ``unmatched``, or labelled "none of the accounts"
    by a person: only they may propose accounts."""
    ids = set()
    decision: str
    for r in results:
        if isinstance(r, Match):
            lead, decision, account = r.lead_id, r.decision, r.account_id or ""
        else:
            lead, decision = as_text(r.get("lead_id")), as_text(r.get("decision"))
            account = as_text(r.get("account_id"))
        if decision == "unmatched" or (decision == "labelled" and not account):
            ids.add(lead)
    return ids


def _pseudo_accounts(
    leads: Iterable[Mapping[str, Any]], unmatched: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each unmatched lead with a company name or domain as an account (its lead id, company,
    company domain and country), so that the leads can be matched against one another; and
    the same leads as records to match, in the same order."""
    pending = set(unmatched)
    pseudo: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for lead in leads:
        lead_id = as_text(lead.get("lead_id"))
        if lead_id not in pending:
            continue
        keys = company_domains(parse_email(lead.get("email")), domain_key(lead.get("website")))
        company = " ".join(as_text(lead.get("company")).split())
        if not company and not keys:
            continue
        pending.discard(lead_id)  # a lead id twice: its first row speaks for it
        domain = keys[0].domain if keys else ""
        pseudo.append({"account_id": lead_id, "name": company, "domain": domain,
                       "country": lead.get("country")})  # fmt: skip
        records.append(dict(lead))
    return pseudo, records


def _same_company_pairs(
    index: IndexView, records: list[dict[str, Any]], plain: MatchConfig, cut: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """The pairs of leads (rows of ``index``) that are one company: scored at ``cut`` or more,
    two different leads, no conflict of country or legal form; and each pair's confidence."""
    left: list[IntArray] = []
    right: list[IntArray] = []
    weight: list[FloatArray] = []
    row_of = index.tables.row_of_id
    for ids, feats, scores, _ in scored_batches(index, records, plain):
        lead_rows = np.array([row_of[ids[int(k)]] for k in feats.lead.tolist()], dtype=np.int64)
        agree = ~feats.country_conflict & ~feats.legal_conflict  # where both are known
        # Each pair on its own evidence, as if it had no rival (``Scores.alone``): whether two
        # leads are one company does not depend on which other leads are like them.
        keep = (scores.alone >= cut) & (feats.account != lead_rows) & agree
        left.append(lead_rows[keep])
        right.append(feats.account[keep])
        weight.append(scores.alone[keep])
    return np.concatenate(left), np.concatenate(right), np.concatenate(weight)


def _grouped(
    label: IntArray, weakest: FloatArray, ids: list[str], pseudo: list[dict[str, Any]]
) -> list[ProposedAccount]:
    """One proposal per group of leads (rows with one ``label``): the name, domain and country
    its leads give most often, and the confidence of its weakest pair."""
    members: dict[int, list[int]] = {}
    for row, group in enumerate(label.tolist()):
        members.setdefault(group, []).append(row)
    proposals = []
    for group, rows in members.items():
        lead_ids = tuple(sorted(ids[r] for r in rows))
        names = Counter(pseudo[r]["name"] for r in rows if pseudo[r]["name"])
        domains = Counter(pseudo[r]["domain"] for r in rows if pseudo[r]["domain"])
        countries = Counter(c for r in rows if (c := normalize_country(pseudo[r]["country"])))
        proposals.append(
            ProposedAccount(
                account_id=f"NEW-{lead_ids[0]}",
                name=_most_common(names),
                domain=_most_common(domains),
                country=_most_common(countries),
                lead_ids=lead_ids,
                confidence=round(float(weakest[group]), 4),
            )
        )
    return proposals


def _most_common(counts: Counter[str]) -> str:
    """The most frequent value; ties to the first in sorted order (stable across runs)."""
    if not counts:
        return ""
    top = max(counts.values())
    return min(value for value, count in counts.items() if count == top)
