"""Evidence: the levels that decided a pair, as short sentences a CRM admin can read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from leadmatch._util.arrays import IntArray, expand
from leadmatch.config import LEVELS, NEUTRAL, Weights
from leadmatch.match.blocking import domain_ids
from leadmatch.match.features import Features
from leadmatch.match.scoring import Scores
from leadmatch.models import Evidence, trusted
from leadmatch.normalize import LeadBatch

if TYPE_CHECKING:
    from leadmatch.match.view import IndexView


def _in_group(index: IndexView, domain: str, acct: int) -> bool:
    """Whether an account of ``acct``'s company group owns ``domain``."""
    lk = index.lookups
    dom = int(domain_ids(index, [domain])[0])
    if dom < 0:
        return False
    owners = lk.domain_acct_rows[lk.domain_acct_ptr[dom] : lk.domain_acct_ptr[dom + 1]]
    return bool((lk.group[owners] == lk.group[acct]).any())


@dataclass(frozen=True)
class _Accounts:
    """What the sentences quote of the accounts of a batch of pairs, read in one pass each."""

    domains: list[list[str]]
    name: list[str]
    legal: list[str]
    country: list[str]
    alias: list[bool]

    @classmethod
    def of(cls, index: IndexView, f: Features, pairs: IntArray) -> _Accounts:
        d, lk = index.data, index.lookups
        acct, name_row = f.account[pairs], f.name_row[pairs]
        which, position = expand(d.domain_ptr, acct)
        flat = d.domains.take(d.domain_ids[position])
        cuts = which.searchsorted(np.arange(1, len(pairs))).tolist()
        raw, display = d.name_raw.take(name_row), d.display_name.take(acct)
        return cls(
            domains=[flat[a:b] for a, b in zip([0, *cuts], [*cuts, len(flat)])],
            name=[r or n for r, n in zip(raw, display)],
            legal=d.name_legal.take(name_row),
            country=d.country.take(acct),
            alias=(name_row != lk.acct_name_rows[lk.acct_name_ptr[acct]]).tolist(),
        )


def _domain_detail(
    level: str, index: IndexView, batch: LeadBatch, lead: int, acct: int, own: list[str]
) -> str:
    keys = batch.company_domains[lead]
    email = batch.email[lead]
    from_email = {email.domain, email.host} - {""}
    source = {k.domain: ("email domain" if k.domain in from_email else "website") for k in keys}
    if level == "exact":
        hit = next((k.domain for k in keys if k.domain in own), keys[0].domain if keys else "")
        if own and own[0] == hit:
            which = "primary domain"
        elif own and own[0].endswith("." + hit):
            which = "primary domain's registered domain"  # lpp.cnrs.fr's cnrs.fr
        else:
            which = "alias domain"
        return f"{source.get(hit, 'domain')} {hit} = account's {which}"
    if level == "family":
        hit = next((k.domain for k in keys if _in_group(index, k.domain, acct)), "")
        return f"{source.get(hit, 'domain')} {hit} belongs to the same company group"
    if level == "brand":
        key = next((k for k in keys if any(o.startswith(k.brand + ".") for o in own)), keys[0])
        where = source.get(key.domain, "domain")
        return f"{where} {key.domain} shares brand '{key.brand}' with {', '.join(own[:3])}"
    lead_domains = ", ".join(k.domain for k in keys)
    return f"lead domain {lead_domains} is not among the account's ({', '.join(own[:3])})"


#: Longest input echoed in evidence: a sentence quotes a name, it does not carry a field.
ECHO_CHARS = 80


def _shown(text: str) -> str:
    """``text`` as evidence quotes it: cut to :data:`ECHO_CHARS` with an ellipsis."""
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"


def _name_detail(
    level: str, batch: LeadBatch, f: Features, k: int, accounts: _Accounts, i: int
) -> str:
    lead = int(f.lead[k])
    typed = _shown(batch.company[lead])
    account_name = _shown(accounts.name[i])
    if level == "missing" and f.name_incomparable[k]:
        return f"'{typed}' and '{account_name}' are in scripts that cannot be compared"
    if level == "missing":
        return "lead gives no usable company name"
    score = round(float(f.name_sim[k]) * 100)
    legal = " after legal form" if batch.name[lead].legal_form or accounts.legal[i] else ""
    alias = " (alias)" if accounts.alias[i] else ""
    part = " (one part of the lead's name)" if f.name_part[k] else ""
    shown = 100 if level == "exact" else score
    return f"name '{typed}' ~ '{account_name}'{alias}{legal}{part}: {shown}"


def _other_detail(
    comparison: str, level: str, batch: LeadBatch, f: Features, k: int, theirs: str
) -> str:
    """The sentence of a comparison other than domain and name (``theirs``: the account's
    value the comparison read, where it quotes one)."""
    lead = int(f.lead[k])
    sign = "=" if level == "agree" else "≠"
    if comparison == "domain_owners":
        owners = int(f.domain_owners[k])
        return f"the lead's domain has {owners} owner{'s' if owners > 1 else ''} among the accounts"
    if comparison == "name_cover":
        share = round(float(f.name_cover[k]) * 100)
        shorter = ", and no word it lacks" if level == "shorter" else ""
        return f"the lead's name holds {share}% of the account name's weight{shorter}"
    if comparison == "acronym":
        here = ", in the same country" if level == "agree_country" else ""
        return f"one name is the other's acronym{here}"
    if comparison == "name_generic":
        return "the agreeing name is short or made of common words"
    if comparison == "legal_form":
        return f"legal form {batch.name[lead].legal_form} {sign} {theirs}"
    if comparison == "country":
        return f"country {_shown(batch.country[lead])} {sign} {_shown(theirs)}"
    if comparison == "city":
        return f"city {_shown(batch.city[lead])} = account city"
    if comparison == "candidates":
        count = int(f.candidates[k])
        return f"{count} account{'s' if count > 1 else ''} of the index came near the lead"
    return "phone number = account phone"


def evidence(
    index: IndexView,
    batch: LeadBatch,
    f: Features,
    s: Scores,
    weights: Weights,
    pairs: IntArray,
    as_text: bool = False,
) -> list[list[Any]]:
    """For each of ``pairs``: every non-neutral level, strongest first, as :class:`Evidence`
    (or with ``as_text`` its sentence alone: what a results file writes)."""
    accounts = _Accounts.of(index, f, pairs)
    # Per comparison, the level of every pair and its weight, gathered in one step each.
    table = []
    for comparison, names in LEVELS.items():
        by_level = [float(getattr(weights, comparison)[name]) for name in names]
        table.append((comparison, names, by_level, s.levels[comparison][pairs].tolist()))
    out: list[list[Any]] = []
    for i, k in enumerate(pairs.tolist()):
        lead, acct = int(f.lead[k]), int(f.account[k])
        found: list[tuple[float, str, str, str]] = []
        for comparison, names, by_level, levels in table:
            level_index = levels[i]
            weight = by_level[level_index]
            level = names[level_index]
            # A neutral level says nothing (a lead without a usable name is worth saying); any
            # other is said, even where the weights give it nothing.
            said = level != NEUTRAL[comparison] or (
                comparison == "name" and bool(f.name_missing[k])
            )
            if not said:
                continue
            if comparison == "domain":
                detail = _domain_detail(level, index, batch, lead, acct, accounts.domains[i])
            elif comparison in ("name", "name_at_domain"):
                detail = _name_detail(level, batch, f, k, accounts, i)
            else:
                theirs = accounts.country[i] if comparison == "country" else accounts.legal[i]
                detail = _other_detail(comparison, level, batch, f, k, theirs)
            found.append((weight, comparison, level, f"{detail} [{weight:+g}]"))
        found.sort(key=lambda e: -abs(e[0]))
        if as_text:
            out.append([text for _, _, _, text in found])
        else:
            out.append(
                [
                    trusted(Evidence, {"signal": c, "level": lv, "weight": w, "detail": text})
                    for w, c, lv, text in found
                ]
            )
    return out
