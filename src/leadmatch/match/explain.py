"""Evidence: the levels that decided a pair, as short sentences a CRM admin can read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from leadmatch._util.arrays import IntArray, expand, offsets
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


def shown(text: str) -> str:
    """``text`` as evidence quotes it: cut to :data:`ECHO_CHARS` with an ellipsis."""
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"


def _name_detail(
    level: str, batch: LeadBatch, f: Features, k: int, accounts: _Accounts, i: int
) -> str:
    lead = int(f.lead[k])
    typed = shown(batch.company[lead])
    account_name = shown(accounts.name[i])
    if level == "missing" and f.name_incomparable[k]:
        return f"'{typed}' and '{account_name}' are in scripts that cannot be compared"
    if level == "missing":
        return "lead gives no usable company name"
    score = round(float(f.name_sim[k]) * 100)
    legal = " after legal form" if batch.name[lead].legal_form or accounts.legal[i] else ""
    alias = " (alias)" if accounts.alias[i] else ""
    part = " (one part of the lead's name)" if f.name_part[k] else ""
    said = 100 if level == "exact" else score
    return f"name '{typed}' ~ '{account_name}'{alias}{legal}{part}: {said}"


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
        return f"country {shown(batch.country[lead])} {sign} {shown(theirs)}"
    if comparison == "city":
        return f"city {shown(batch.city[lead])} = account city"
    if comparison == "candidates":
        count = int(f.candidates[k])
        return f"{count} account{'s' if count > 1 else ''} of the index came near the lead"
    return "phone number = account phone"


#: Per comparison, in :data:`LEVELS`' order, the position of the level that says nothing.
_NEUTRAL_AT = np.array([names.index(NEUTRAL[c]) for c, names in LEVELS.items()], dtype=np.int64)
_NAME_AT = list(LEVELS).index("name")
#: Where each comparison's levels start in the flat list of every comparison's levels.
_LEVEL_START = offsets(np.array([len(names) for names in LEVELS.values()], dtype=np.int64))


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
    # Every comparison's levels as one (comparison, pair) table, so that what is said and how
    # strongly is found in a few NumPy calls whatever the number of pairs (one lead a call
    # made a dozen per comparison). A neutral level says nothing (a lead without a usable
    # name is worth saying); any other is said, even where the weights give it nothing.
    levels = np.stack([s.levels[comparison][pairs] for comparison in LEVELS])
    said = levels != _NEUTRAL_AT[:, None]
    said[_NAME_AT] |= f.name_missing[pairs]
    rank, every = said.nonzero()  # by comparison, then by pair: the order sentences are made
    level_of = levels[rank, every]
    by_level = [[float(getattr(weights, c)[name]) for name in names] for c, names in LEVELS.items()]
    strength = np.array([w for row in by_level for w in row])[_LEVEL_START[rank] + level_of]
    said_as = _said(index, batch, f, accounts, pairs, by_level, rank, every, level_of, as_text)
    # Strongest first; equally strong ones in the order of the comparisons (a stable sort).
    order = np.lexsort((rank, -np.abs(strength), every))
    cuts = offsets(np.bincount(every, minlength=len(pairs))).tolist()
    if as_text:
        texts = [said_as[k] for k in order.tolist()]
        return [texts[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    found = [
        trusted(Evidence, {"signal": c, "level": lv, "weight": w, "detail": text})
        for c, lv, w, text in (said_as[k] for k in order.tolist())
    ]
    return [found[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


def _said(
    index: IndexView,
    batch: LeadBatch,
    f: Features,
    accounts: _Accounts,
    pairs: IntArray,
    by_level: list[list[float]],
    rank: IntArray,
    every: IntArray,
    level_of: IntArray,
    as_text: bool,
) -> list[Any]:
    """Per level said (``rank``: its comparison's position, ``every``: its pair's, grouped by
    comparison), its sentence with its weight, or with ``as_text`` false its parts too."""
    said_as: list[Any] = []
    bounds = rank.searchsorted(np.arange(len(LEVELS) + 1)).tolist()
    for position, (comparison, names) in enumerate(LEVELS.items()):
        here = slice(bounds[position], bounds[position + 1])
        at, levels = every[here], level_of[here]
        if not len(at):
            continue
        weight = by_level[position]
        quoted = [f" [{w:+g}]" for w in weight]  # formatted once, not per pair
        said = zip(
            levels.tolist(),
            _details(comparison, names, levels, at, pairs, index, batch, f, accounts),
        )
        if as_text:  # a results file: the sentences alone
            said_as.extend([detail + quoted[level] for level, detail in said])
        else:
            said_as.extend(
                (comparison, names[level], weight[level], detail + quoted[level])
                for level, detail in said
            )
    return said_as


def _details(
    comparison: str,
    names: tuple[str, ...],
    levels: IntArray,
    at: IntArray,
    pairs: IntArray,
    index: IndexView,
    batch: LeadBatch,
    f: Features,
    accounts: _Accounts,
) -> list[str]:
    """The sentences of one comparison for the pairs ``pairs[at]`` (``at``: their positions
    among the pairs the accounts were read for), in levels ``levels``."""
    said = zip(levels.tolist(), at.tolist(), pairs[at].tolist())
    if comparison == "domain":
        lead = f.lead[pairs[at]].tolist()
        acct = f.account[pairs[at]].tolist()
        return [
            _domain_detail(names[level], index, batch, lead[n], acct[n], accounts.domains[i])
            for n, (level, i, _) in enumerate(said)
        ]
    if comparison in ("name", "name_at_domain"):
        return [_name_detail(names[level], batch, f, k, accounts, i) for level, i, k in said]
    theirs = accounts.country if comparison == "country" else accounts.legal
    return [_other_detail(comparison, names[level], batch, f, k, theirs[i]) for level, i, k in said]
