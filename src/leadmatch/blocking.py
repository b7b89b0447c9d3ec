"""Candidates: for a batch of leads, the few (lead, account-name) pairs worth scoring.

Each blocker is cheap and explainable and returns two integer arrays (lead row, name row); their
union is what the features are computed on. The blockers and what they catch:

``domain``   the lead's corporate email or website domain is an account's domain or alias
``brand``    the same brand under another suffix (acme.de ~ acme.com)
``family``   the company group (parent, subsidiaries, duplicates) of an account found by domain
``token``    rare name tokens, exact or within one edit (typos), top-k by summed IDF
``exact``    the same name with spaces removed ("Micro Soft" ~ "Microsoft")
``acronym``  one name is the other's acronym ("IBM" ~ "International Business Machines")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from leadmatch._arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    expand,
    first_of_groups,
    rank_in_group,
)
from leadmatch.config import MatchConfig
from leadmatch.index import deletion_keys
from leadmatch.prepare import LeadBatch

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

BLOCKERS = ("domain", "brand", "family", "token", "exact", "acronym")
_BIT = {name: 1 << i for i, name in enumerate(BLOCKERS)}
#: A brand label shared by more accounts than this is a common word, not a brand.
MAX_BRAND_ACCOUNTS = 50
#: Hierarchies larger than this are not expanded wholesale from one domain hit.
MAX_FAMILY_ACCOUNTS = 200
#: A typo-tolerant token match counts for this share of the token's weight.
TYPO_CREDIT = 0.8
#: Tokens per lead that generate candidates: its rarest ones carry nearly all the evidence.
BLOCKING_TOKENS = 4
#: Postings expanded at once (bounds the memory of a large batch).
_SLICE = 1 << 21


def blocker_names(bits: int) -> list[str]:
    """Names of the blockers set in a candidate's bit mask."""
    return [name for name in BLOCKERS if bits & _BIT[name]]


def _pairs(leads: list[int], values: list[int]) -> tuple[IntArray, IntArray]:
    return np.array(leads, dtype=np.int64), np.array(values, dtype=np.int64)


def _gather(
    lead_rows: IntArray, keys: IntArray, ptr: IntArray, values: IntArray, cap: int
) -> tuple[IntArray, IntArray]:
    """Expand (lead, key) into (lead, value) through a CSR table, skipping keys over ``cap``."""
    keep = (ptr[keys + 1] - ptr[keys]) <= cap
    lead_rows, keys = lead_rows[keep], keys[keep]
    which, position = expand(ptr, keys)
    return lead_rows[which], values[position]


def _accounts_to_names(
    index: AccountIndex, leads: IntArray, accts: IntArray
) -> tuple[IntArray, IntArray]:
    lk = index.lookups
    which, position = expand(lk.acct_name_ptr, accts)
    return leads[which], lk.acct_name_rows[position]


def lead_domain_ids(index: AccountIndex, batch: LeadBatch) -> tuple[IntArray, IntArray, BoolArray]:
    """Per lead, its (at most two) company domains as index domain ids and brand ids (-1 where
    the index has none; brands of fewer than 3 letters are not brands), and whether the lead
    has a company domain at all. Blocking and features read the same table."""
    lk = index.lookups
    dom = np.full((len(batch), 2), -1, dtype=np.int64)
    brand = np.full((len(batch), 2), -1, dtype=np.int64)
    for row, keys in enumerate(batch.company_domains):
        for k, key in enumerate(keys[:2]):
            dom[row, k] = lk.domain_of.get(key.domain, -1)
            brand[row, k] = lk.brand_of.get(key.brand, -1) if len(key.brand) >= 3 else -1
    has = np.array([bool(keys) for keys in batch.company_domains], dtype=bool)
    return dom, brand, has


def _domain_candidates(
    index: AccountIndex, batch: LeadBatch
) -> list[tuple[IntArray, IntArray, int]]:
    lk = index.lookups
    dom, brand, _ = lead_domain_ids(index, batch)
    rows = np.broadcast_to(np.arange(len(batch), dtype=np.int64)[:, None], dom.shape)
    usable = batch.usable[:, None]
    known = (dom >= 0) & usable
    d_leads, d_accts = _gather(
        rows[known], dom[known], lk.domain_acct_ptr, lk.domain_acct_rows, 1 << 30
    )
    known = (brand >= 0) & usable
    b_leads, b_accts = _gather(
        rows[known], brand[known], lk.brand_acct_ptr, lk.brand_acct_rows, MAX_BRAND_ACCOUNTS
    )
    f_leads, f_accts = _gather(
        d_leads, lk.group[d_accts], lk.family_ptr, lk.family_rows, MAX_FAMILY_ACCOUNTS
    )
    return [
        (*_accounts_to_names(index, d_leads, d_accts), _BIT["domain"]),
        (*_accounts_to_names(index, b_leads, b_accts), _BIT["brand"]),
        (*_accounts_to_names(index, f_leads, f_accts), _BIT["family"]),
    ]


def _token_candidates(
    index: AccountIndex, batch: LeadBatch, config: MatchConfig
) -> tuple[IntArray, IntArray]:
    """Top-k name rows per lead by the summed IDF of shared (or one-edit) rare tokens."""
    lk = index.lookups
    leads: list[int] = []
    toks: list[int] = []
    credit: list[float] = []
    seen: dict[str, list[tuple[int, float]]] = {}
    tok_lead = np.repeat(np.arange(len(batch), dtype=np.int64), np.diff(batch.tok_ptr))
    for row, token in zip(tok_lead.tolist(), batch.tok_str):
        if not batch.usable[row]:
            continue
        matches = seen.get(token)
        if matches is None:
            exact = lk.token_of.get(token)
            found = {exact: 1.0} if exact is not None else {}
            if token.isalpha():
                for key in deletion_keys(token):
                    for tok in lk.typo_keys.get(key, ()):
                        found.setdefault(tok, TYPO_CREDIT)
            matches = seen[token] = sorted(found.items())
        for tok, share in matches:
            leads.append(row)
            toks.append(tok)
            credit.append(share)
    lead_arr, tok_arr = _pairs(leads, toks)
    weight = np.array(credit, dtype=np.float64) * lk.idf[tok_arr] if len(tok_arr) else np.zeros(0)
    lead_arr, tok_arr, weight = _blocking_tokens(index, config, lead_arr, tok_arr, weight)

    # Expand postings a slice of leads at a time so the pair arrays stay small.
    postings = lk.post_ptr[tok_arr + 1] - lk.post_ptr[tok_arr]
    bounds = np.searchsorted(
        np.cumsum(postings), np.arange(1, 1 + postings.sum() // _SLICE) * _SLICE
    )
    parts_lead: list[IntArray] = []
    parts_name: list[IntArray] = []
    for chunk in np.split(np.arange(len(tok_arr)), _lead_boundaries(lead_arr, bounds)):
        lead_of, name_of = _top_names(index, config, lead_arr[chunk], tok_arr[chunk], weight[chunk])
        parts_lead.append(lead_of)
        parts_name.append(name_of)
    return np.concatenate(parts_lead), np.concatenate(parts_name)


def _lead_boundaries(sorted_leads: IntArray, cuts: IntArray) -> IntArray:
    """Cut positions moved forward to the next change of lead (a lead is never split)."""
    if len(cuts) == 0:
        return cuts
    starts = np.flatnonzero(first_of_groups(sorted_leads))
    return np.unique(starts[np.minimum(np.searchsorted(starts, cuts), len(starts) - 1)])[1:]


def _blocking_tokens(
    index: AccountIndex, config: MatchConfig, lead: IntArray, tok: IntArray, weight: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Per lead, its :data:`BLOCKING_TOKENS` heaviest usable tokens, sorted by lead.

    A token reached both exactly and through a typo key counts once, at its better weight; the
    heaviest come first (an exact rare word before its misspelled look-alikes), ties go to the
    rarer, then to the token's spelling — never to load order. Common words (sector words,
    legal forms) block only for a lead that has nothing else; tokens in more than
    ``max_block_size`` accounts never do.
    """
    lk = index.lookups
    order = np.lexsort((-weight, tok, lead))  # best weight first within each (lead, token)
    lead, tok, weight = lead[order], tok[order], weight[order]
    first = first_of_groups(lead * max(len(lk.token_df), 1) + tok)
    lead, tok, weight = lead[first], tok[first], weight[first]
    common = lk.token_common[tok]
    has_rare = np.bincount(lead, weights=~common, minlength=int(lead.max(initial=-1)) + 1) > 0
    keep = (lk.token_df[tok] <= config.max_block_size) & (~common | ~has_rare[lead])
    lead, tok, weight = lead[keep], tok[keep], weight[keep]
    order = np.lexsort((lk.token_rank[tok], lk.token_df[tok], -weight, lead))
    order = order[rank_in_group(lead[order]) < BLOCKING_TOKENS]
    return lead[order], tok[order], weight[order]


def _top_names(
    index: AccountIndex, config: MatchConfig, lead: IntArray, tok: IntArray, weight: FloatArray
) -> tuple[IntArray, IntArray]:
    """The ``max_candidates`` name rows per lead with the highest summed token weight."""
    lk = index.lookups
    which, position = expand(lk.post_ptr, tok)
    if len(which) == 0:
        return which, which.copy()
    n_names = max(len(index.data.name_owner), 1)
    keys, inverse = np.unique(lead[which] * n_names + lk.post_rows[position], return_inverse=True)
    score = np.bincount(inverse, weights=weight[which])
    lead_of, name_of = keys // n_names, keys % n_names
    # Best first within each lead; ties broken by account id so account order cannot matter.
    rank = lk.id_rank[index.data.name_owner[name_of]]
    order = np.lexsort((name_of, rank, -score, lead_of))
    top = order[rank_in_group(lead_of[order]) < config.max_candidates]
    return lead_of[top], name_of[top]


def _key_candidates(index: AccountIndex, batch: LeadBatch) -> list[tuple[IntArray, IntArray, int]]:
    """Exact compact-name and acronym look-ups."""
    lk = index.lookups
    exact_leads: list[int] = []
    exact_names: list[int] = []
    acro_leads: list[int] = []
    acro_names: list[int] = []
    for row, key in enumerate(batch.name):
        if not batch.usable[row] or not key.ascii:
            continue
        compact = key.ascii.replace(" ", "")
        for name_row in lk.exact_names.get(compact, ())[:MAX_FAMILY_ACCOUNTS]:
            exact_leads.append(row)
            exact_names.append(name_row)
        if compact.isalpha() and 3 <= len(compact) <= 8:
            for name_row in lk.acronyms.get(compact, ())[:MAX_FAMILY_ACCOUNTS]:
                acro_leads.append(row)
                acro_names.append(name_row)
        if len(key.acronym) >= 3:
            for name_row in lk.exact_names.get(key.acronym, ())[:MAX_FAMILY_ACCOUNTS]:
                acro_leads.append(row)
                acro_names.append(name_row)
    return [
        (*_pairs(exact_leads, exact_names), _BIT["exact"]),
        (*_pairs(acro_leads, acro_names), _BIT["acronym"]),
    ]


def candidates(
    index: AccountIndex, batch: LeadBatch, config: MatchConfig
) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct (lead row, name row) pairs with a bit mask of the blockers that proposed them."""
    parts = _domain_candidates(index, batch)
    parts.append((*_token_candidates(index, batch, config), _BIT["token"]))
    parts.extend(_key_candidates(index, batch))
    n_names = max(len(index.data.name_owner), 1)
    keys = np.concatenate([leads * n_names + names for leads, names, _ in parts])
    bits = np.concatenate([np.full(len(leads), bit, dtype=np.int64) for leads, _, bit in parts])
    if len(keys) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    order = np.argsort(keys, kind="stable")
    keys, bits = keys[order], bits[order]
    starts = np.flatnonzero(first_of_groups(keys))
    merged_bits = np.bitwise_or.reduceat(bits, starts)
    unique = keys[starts]
    return unique // n_names, unique % n_names, merged_bits
