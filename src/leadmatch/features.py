"""Features: one vectorized pass over all candidate pairs into named arrays.

Name similarity is SoftTF-IDF (Cohen, Ravikumar & Fienberg, 2003): tokens weighted by their rarity
among the accounts, and a token counts as shared when its best counterpart is within
:data:`TOKEN_THRESHOLD` (rapidfuzz Indel similarity) — so "Roboticks" still meets "Robotics"
while "Energy" and "Production" shared by two different companies weigh little. All string
comparisons go through ``rapidfuzz.process.cpdist`` in one call per feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz, process

from leadmatch._arrays import BoolArray, FloatArray, IntArray, offsets
from leadmatch.index import GENERIC_IDF, _objects
from leadmatch.normalize.names import common_words
from leadmatch.prepare import LeadBatch

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

#: Two tokens count as the same word at or above this similarity (one edit in 5+ letters).
TOKEN_THRESHOLD = 0.8
#: A whole-name similarity (spaces removed) at or above this is taken even if tokens differ.
COMPACT_THRESHOLD = 0.9
#: Below this many pairs rapidfuzz runs on one thread (threads cost more than they save).
_PARALLEL_PAIRS = 20_000


@dataclass(frozen=True)
class Features:
    """Named feature arrays, one entry per candidate pair."""

    lead: IntArray
    name_row: IntArray
    account: IntArray
    blockers: IntArray
    name_missing: BoolArray
    name_exact: BoolArray
    name_soft: FloatArray
    name_compact: FloatArray
    name_sim: FloatArray
    acronym: BoolArray
    name_generic: BoolArray
    legal_agree: BoolArray
    legal_conflict: BoolArray
    domain_exact: BoolArray
    domain_family: BoolArray
    domain_brand: BoolArray
    domain_conflict: BoolArray
    country_agree: BoolArray
    country_conflict: BoolArray
    city_agree: BoolArray
    phone_agree: BoolArray


def _member(keys: IntArray, sorted_keys: IntArray) -> BoolArray:
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys  # type: ignore[no-any-return]


def _ratio(left: Any, right: Any) -> FloatArray:
    if len(left) == 0:
        return np.zeros(0)
    workers = -1 if len(left) >= _PARALLEL_PAIRS else 1
    scores = process.cpdist(list(left), list(right), scorer=fuzz.ratio, workers=workers)
    return np.asarray(scores, dtype=np.float64) / 100.0


def _lead_token_weights(index: AccountIndex, batch: LeadBatch) -> FloatArray:
    lk = index.lookups
    generic = common_words()
    weights = np.empty(len(batch.tok_str))
    for k, token in enumerate(batch.tok_str):
        tok = lk.token_of.get(token)
        weight = lk.unseen_idf if tok is None else float(lk.idf[tok])
        weights[k] = min(weight, GENERIC_IDF) if token in generic else weight
    return weights


def soft_tfidf(
    index: AccountIndex, batch: LeadBatch, lead: IntArray, name_row: IntArray
) -> FloatArray:
    """Symmetric SoftTF-IDF cosine of each (lead, name) pair, in [0, 1]."""
    d, lk = index.data, index.lookups
    lead_w = _lead_token_weights(index, batch)
    name_w = lk.idf[d.name_tok_ids]
    a = np.diff(batch.tok_ptr)[lead]
    b = np.diff(d.name_tok_ptr)[name_row]
    combos = a * b
    pair = np.repeat(np.arange(len(lead), dtype=np.int64), combos)
    within = np.arange(len(pair), dtype=np.int64) - np.repeat(offsets(combos)[:-1], combos)
    b_of = b[pair]
    i = within // np.maximum(b_of, 1)
    j = within % np.maximum(b_of, 1)
    lt = batch.tok_ptr[lead[pair]] + i
    nt = d.name_tok_ptr[name_row[pair]] + j
    tokens = lk.columns["tokens"]
    sim = _ratio(_objects(batch.tok_str)[lt], tokens[d.name_tok_ids[nt]])
    sim = np.where(sim >= TOKEN_THRESHOLD, sim, 0.0)

    slot_a = offsets(a)[:-1][pair] + i  # (pair, lead token) slots
    best_a = np.zeros(int(a.sum()))
    np.maximum.at(best_a, slot_a, name_w[nt] * sim)
    slot_b = offsets(b)[:-1][pair] + j  # (pair, name token) slots
    best_b = np.zeros(int(b.sum()))
    np.maximum.at(best_b, slot_b, lead_w[lt] * sim)

    pair_a = np.repeat(np.arange(len(lead), dtype=np.int64), a)
    lead_slot_tok = batch.tok_ptr[lead[pair_a]] + (
        np.arange(len(pair_a)) - np.repeat(offsets(a)[:-1], a)
    )
    pair_b = np.repeat(np.arange(len(lead), dtype=np.int64), b)
    name_slot_tok = d.name_tok_ptr[name_row[pair_b]] + (
        np.arange(len(pair_b)) - np.repeat(offsets(b)[:-1], b)
    )
    num_a = np.bincount(pair_a, weights=lead_w[lead_slot_tok] * best_a, minlength=len(lead))
    num_b = np.bincount(pair_b, weights=name_w[name_slot_tok] * best_b, minlength=len(lead))

    lead_norm = np.sqrt(
        np.bincount(
            np.repeat(np.arange(len(batch), dtype=np.int64), np.diff(batch.tok_ptr)),
            weights=lead_w**2,
            minlength=len(batch),
        )
    )[lead]
    denom = lead_norm * lk.name_norm[name_row]
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(denom > 0, 0.5 * (num_a + num_b) / denom, 0.0)
    return np.clip(score, 0.0, 1.0)


def _lead_domains(index: AccountIndex, batch: LeadBatch) -> tuple[IntArray, IntArray, BoolArray]:
    """Per lead, up to two (domain id, brand id) and whether it has a company domain at all."""
    lk = index.lookups
    dom = np.full((len(batch), 2), -1, dtype=np.int64)
    brand = np.full((len(batch), 2), -1, dtype=np.int64)
    for row, keys in enumerate(batch.company_domains):
        for k, key in enumerate(keys[:2]):
            dom[row, k] = lk.domain_of.get(key.domain, -1)
            brand[row, k] = lk.brand_of.get(key.brand, -1) if len(key.brand) >= 3 else -1
    has = np.array([bool(keys) for keys in batch.company_domains], dtype=bool)
    return dom, brand, has


def _domain_features(
    index: AccountIndex, batch: LeadBatch, lead: IntArray, acct: IntArray
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    d, lk = index.data, index.lookups
    dom, brand, has = _lead_domains(index, batch)
    n_dom = max(len(d.domains), 1)
    n_brand = max(len(lk.brand_of), 1)
    first_owner = np.full(len(d.domains) + 1, -1, dtype=np.int64)
    owned = np.diff(lk.domain_acct_ptr) > 0
    first_owner[:-1][owned] = lk.domain_acct_rows[lk.domain_acct_ptr[:-1][owned]]
    exact = np.zeros(len(lead), dtype=bool)
    family = np.zeros(len(lead), dtype=bool)
    brand_hit = np.zeros(len(lead), dtype=bool)
    for k in range(2):
        lead_dom = dom[lead, k]
        exact |= (lead_dom >= 0) & _member(acct * n_dom + lead_dom, lk.acct_domain_keys)
        owner = first_owner[lead_dom]  # -1 index maps to the sentinel slot
        family |= (owner >= 0) & (lk.ultimate_row[np.maximum(owner, 0)] == lk.ultimate_row[acct])
        lead_brand = brand[lead, k]
        brand_hit |= (lead_brand >= 0) & _member(acct * n_brand + lead_brand, lk.acct_brand_keys)
    family &= ~exact
    brand_hit &= ~(exact | family)
    acct_has = np.diff(d.domain_ptr)[acct] > 0
    conflict = has[lead] & acct_has & ~(exact | family | brand_hit)
    return exact, family, brand_hit, conflict


def _agree(
    left: list[str], right: Any, lead: IntArray, acct: IntArray
) -> tuple[BoolArray, BoolArray]:
    """(agree, conflict) of a categorical key where both sides are known."""
    lo, ro = _objects(left)[lead], right[acct]
    known = (lo != "") & (ro != "")
    same = lo == ro
    return known & same, known & ~same


def compute(
    index: AccountIndex, batch: LeadBatch, lead: IntArray, name_row: IntArray, blockers: IntArray
) -> Features:
    """All features of the candidate pairs ``(lead[k], name_row[k])``."""
    d, lk = index.data, index.lookups
    acct = d.name_owner[name_row]
    lead_compact = _objects([k.ascii.replace(" ", "") for k in batch.name])[lead]
    name_compact = lk.columns["name_compact"][name_row]
    missing = lead_compact == ""
    exact = ~missing & (lead_compact == name_compact)
    soft = soft_tfidf(index, batch, lead, name_row)
    compact = _ratio(lead_compact, name_compact)
    long_enough = np.array([len(s) >= 6 for s in name_compact], dtype=bool)
    sim = np.where(
        exact,
        1.0,
        np.maximum(soft, np.where(long_enough & (compact >= COMPACT_THRESHOLD), compact, 0.0)),
    )
    lead_acronym = _objects([k.acronym for k in batch.name])[lead]
    name_acronym = lk.columns["name_acronym"][name_row]
    is_word = np.array([s.isalpha() and 3 <= len(s) <= 8 for s in lead_compact], dtype=bool)
    acronym = ~missing & (
        (is_word & (lead_compact == name_acronym))
        | (
            (np.array([len(s) >= 3 for s in lead_acronym], dtype=bool))
            & (lead_acronym == name_compact)
        )
    )
    generic = lk.name_generic[name_row]
    legal_agree, legal_conflict = _agree(
        [k.legal_form for k in batch.name], lk.columns["name_legal"], lead, name_row
    )
    dom_exact, dom_family, dom_brand, dom_conflict = _domain_features(index, batch, lead, acct)
    country_agree, country_conflict = _agree(batch.country, lk.columns["country"], lead, acct)
    city_agree, _ = _agree(batch.city, lk.columns["city"], lead, acct)
    phone_agree, _ = _agree(batch.phone, lk.columns["phone"], lead, acct)
    return Features(
        lead=lead,
        name_row=name_row,
        account=acct,
        blockers=blockers,
        name_missing=missing,
        name_exact=exact,
        name_soft=soft,
        name_compact=compact,
        name_sim=sim,
        acronym=acronym,
        name_generic=generic,
        legal_agree=legal_agree,
        legal_conflict=legal_conflict,
        domain_exact=dom_exact,
        domain_family=dom_family,
        domain_brand=dom_brand,
        domain_conflict=dom_conflict,
        country_agree=country_agree,
        country_conflict=country_conflict,
        city_agree=city_agree,
        phone_agree=phone_agree,
    )
