"""Features: one vectorized pass over all candidate pairs into named arrays.

Name similarity is SoftTF-IDF (Cohen, Ravikumar & Fienberg, 2003): tokens weighted by their rarity
among the accounts, and a token counts as shared when its best counterpart is within
:data:`TOKEN_THRESHOLD` (optimal string alignment) — so "Roboticks" still meets "Robotics"
while "Energy" and "Production" shared by two different companies weigh little. All string
comparisons go through ``rapidfuzz.process.cpdist`` in one call per feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, Prefix

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray, expand, object_array, offsets
from leadmatch._util.keys import EMPTY, U64Array, hash_keys
from leadmatch.match.blocking import BatchIds
from leadmatch.normalize import LeadBatch, common_words, is_lossy_script, qualifier_words
from leadmatch.tables import GENERIC_IDF, ID_BITS

if TYPE_CHECKING:
    from leadmatch.match.view import IndexView

#: Two words are the same word at or above this similarity under :data:`TOKEN_SCORER`: one
#: typo (a wrong, missing, extra or swapped letter) in a word of 5 letters or more.
TOKEN_THRESHOLD = 0.8
#: Both words of a typo have at least this many letters: "Tate" is not "State" misspelt.
TYPO_LETTERS = 5
#: Optimal string alignment (Damerau–Levenshtein without repeated edits), normalized: a swap
#: of two letters is one edit, and "Electronics" / "Electric" (three edits) stay apart.
TOKEN_SCORER = OSA.normalized_similarity
#: A word cut short ("Koninkl" for "Koninklijke", "Technol" for "Technology", "Farm" for
#: "Farms", either side) is the word it begins, at :data:`TOKEN_THRESHOLD`, from this many
#: letters and this share of the whole word up: "Gene" is not "Generation", nor "Inte"
#: "International".
PREFIX_LETTERS, PREFIX_SHARE = 4, 0.5
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
    """The lead gives no usable company name, or names in scripts that cannot be compared."""
    name_incomparable: BoolArray
    """One name is in a script whose transliteration is not its Latin spelling, the other not."""
    name_exact: BoolArray
    name_sim: FloatArray
    """The best of the names' SoftTF-IDF, their similarity without spaces (0.9 and up) and
    that of the account's name to one part of a lead's name written as a list."""
    name_part: BoolArray
    """``name_sim`` is that of one part of the lead's name."""
    name_one_word: BoolArray
    """The account's name is one word: that a lead's words hold it says little."""
    name_listed: BoolArray
    """The lead's name is written as a list of three parts or more (``normalize.is_list``: an
    affiliation), so its similarity as a whole says little."""
    name_cover: FloatArray
    """Share of the account name's weight that the lead's words hold (typos allowed): 1 when
    the lead adds words ("Kyoto University Hospital, Dept. of ..." for "Kyoto University").
    Generic words weigh at most :data:`GENERIC_IDF`, so a lead that leaves out "Group" or
    "Holding" still holds most of the name."""
    name_elsewhere: BoolArray
    """Another account among the lead's candidates has exactly the lead's name: at an account's
    domain, a name unlike that account's then contradicts the domain (someone at Sakura Denki
    writing "Müller Maschinenbau", an account of its own, is no plain Sakura lead)."""
    name_adds: BoolArray
    """The lead's name has a word that meets no word of the account's, other than a country, a
    region or a part of a company (:func:`~leadmatch.normalize.qualifier_words`). A lead
    without one that holds half the account's name is a shorter form of it ("Navy General
    Hospital" for "PLA Navy General Hospital", "Whirlpool Europe" for "Whirlpool
    International"); one with such a word more often names another company."""
    acronym: BoolArray
    name_generic: BoolArray
    legal_agree: BoolArray
    legal_conflict: BoolArray
    domain_exact: BoolArray
    domain_family: BoolArray
    domain_brand: BoolArray
    domain_conflict: BoolArray
    domain_owners: IntArray
    """Accounts that own the lead's domain, where ``domain_exact`` or ``domain_family`` (0
    elsewhere): a parent's domain shared by its labs says less about which one is meant."""
    country_agree: BoolArray
    country_conflict: BoolArray
    city_agree: BoolArray
    phone_agree: BoolArray
    candidates: IntArray
    """Accounts among the pair's lead's candidates: a name that only one account of the index
    comes near says more than the same name among twenty near ones (a crowded name space)."""


def accounts_per_lead(lead: IntArray, acct: IntArray) -> IntArray:
    """Per pair, how many distinct accounts its lead's pairs reach (an account's several names
    count once)."""
    if len(lead) == 0:
        return np.zeros(0, dtype=np.int64)
    width = int(acct.max()) + 1
    distinct = np.unique(lead.astype(np.int64) * width + acct)
    counts = np.bincount(distinct // width, minlength=int(lead.max()) + 1)
    return counts[lead].astype(np.int64)


def _member(keys: IntArray, sorted_keys: IntArray) -> BoolArray:
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(sorted_keys.searchsorted(keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys  # type: ignore[no-any-return]


def _similarity(left: Any, right: Any, scorer: Any = Indel.normalized_similarity) -> FloatArray:
    """Pairwise similarity in [0, 1] of two equally long string sequences, in one batch call.

    No ``score_cutoff``: rapidfuzz turns it into a whole number of edits and rounds a
    similarity of exactly the cutoff away ('edlta' ~ 'delta' is 0.8, and 0 with a cutoff of
    0.8); thresholds are applied here, on the exact values."""
    if len(left) == 0:
        return np.zeros(0)
    workers = -1 if len(left) >= _PARALLEL_PAIRS else 1
    scores = process.cpdist(
        list(left),
        list(right),
        scorer=scorer,
        workers=workers,
        dtype=np.float64,
    )
    return np.asarray(scores, dtype=np.float64)


def _in_words(tokens: Sequence[str], words: frozenset[str]) -> BoolArray:
    """Per token of the batch, whether it is one of ``words``."""
    return np.fromiter((t in words for t in tokens), dtype=bool, count=len(tokens))


def _lead_token_weights(
    index: IndexView, batch: LeadBatch, ids: BatchIds
) -> tuple[FloatArray, FloatArray]:
    """IDF weights of the batch's tokens: capped for common words (at :data:`GENERIC_IDF`, as
    the index caps its own), and uncapped."""
    lk = index.lookups
    common = common_words()
    tok = ids.tokens
    known, unseen = tok >= 0, lk.unseen_idf()
    raw = (
        np.where(known, lk.idf_raw[np.maximum(tok, 0)], unseen)
        if len(lk.idf_raw)
        else np.full(len(tok), unseen)
    )
    generic = _in_words(batch.tok_str, common)
    return np.where(generic, np.minimum(raw, GENERIC_IDF), raw), raw


@dataclass(frozen=True)
class _Alignment:
    """Every (lead token, name token) combination of the candidate pairs, and its similarity."""

    n_pairs: int
    lead_tok: IntArray  # per combination: position in the batch's tokens
    name_tok: IntArray  # per combination: position in the index's name tokens
    slot_a: IntArray  # per combination: its (pair, lead token) slot
    slot_b: IntArray  # per combination: its (pair, name token) slot
    sim: FloatArray  # 0 below TOKEN_THRESHOLD
    pair_a: IntArray  # per (pair, lead token) slot: the pair
    tok_a: IntArray  # ... and the token (position in the batch's tokens)
    pair_b: IntArray  # per (pair, name token) slot: the pair
    tok_b: IntArray  # ... and the token (position in the index's name tokens)
    held_a: BoolArray  # per (pair, lead token) slot: it meets a word of the name
    held_b: BoolArray  # per (pair, name token) slot: a word of the lead's meets it


def _lengths(words: Any) -> IntArray:
    return np.fromiter(map(len, words), dtype=np.int64, count=len(words))


def _word_similarity(sim: FloatArray, left: Any, right: Any, left_len: IntArray) -> FloatArray:
    """``sim`` (:data:`TOKEN_SCORER` of the lead's words ``left`` and the account's ``right``)
    where it says "the same word": 0 for a typo between words shorter than
    :data:`TYPO_LETTERS`, and at least :data:`TOKEN_THRESHOLD` where one word is the start of
    the other (see :data:`PREFIX_LETTERS`: "Koninkl" and "Koninklijke", "Farm" and "Farms")."""
    out: FloatArray = sim.copy()
    typo = ((sim >= TOKEN_THRESHOLD) & (sim < 1.0)).nonzero()[0]
    if len(typo):
        out[typo[np.minimum(left_len[typo], _lengths(right[typo])) < TYPO_LETTERS]] = 0.0
    # A word that begins another is as many edits from it as the other has more letters, so
    # its similarity is its share of the other's length: only those pairs are read again.
    maybe = ((sim >= PREFIX_SHARE) & (sim < 1.0) & (left_len >= PREFIX_LETTERS)).nonzero()[0]
    if len(maybe):
        shared = _similarity(left[maybe], right[maybe], scorer=Prefix.similarity)
        lead_begins = (shared >= PREFIX_LETTERS) & (shared == left_len[maybe])
        other = (shared >= PREFIX_LETTERS) & ~lead_begins  # the account's word may begin the lead's
        account_begins = maybe[other][_lengths(right[maybe[other]]) == shared[other]]
        cut = np.concatenate([maybe[lead_begins], account_begins])
        out[cut] = np.maximum(out[cut], TOKEN_THRESHOLD)
    return out


def _align(index: IndexView, batch: LeadBatch, lead: IntArray, name_row: IntArray) -> _Alignment:
    d = index.data
    a = batch.tok_ptr[lead + 1] - batch.tok_ptr[lead]
    b = d.name_tok_ptr[name_row + 1] - d.name_tok_ptr[name_row]  # O(pairs), not O(names)
    combos = a * b
    pair = np.arange(len(lead), dtype=np.int64).repeat(combos)
    within = np.arange(len(pair), dtype=np.int64) - offsets(combos)[:-1].repeat(combos)
    b_of = np.maximum(b[pair], 1)
    i, j = within // b_of, within % b_of
    lead_tok = batch.tok_ptr[lead[pair]] + i
    name_tok = d.name_tok_ptr[name_row[pair]] + j
    left = object_array(batch.tok_str)[lead_tok]
    right = d.tokens.objects()[d.name_tok_ids[name_tok]]
    sim = _similarity(left, right, scorer=TOKEN_SCORER)
    sim = _word_similarity(sim, left, right, _lengths(batch.tok_str)[lead_tok])
    pair_a, tok_a = expand(batch.tok_ptr, lead)
    pair_b, tok_b = expand(d.name_tok_ptr, name_row)
    slot_a, slot_b = offsets(a)[:-1][pair] + i, offsets(b)[:-1][pair] + j
    meets = sim >= TOKEN_THRESHOLD
    held_a = np.zeros(len(pair_a), dtype=bool)
    held_a[slot_a[meets]] = True
    held_b = np.zeros(len(pair_b), dtype=bool)
    held_b[slot_b[meets]] = True
    return _Alignment(
        n_pairs=len(lead),
        lead_tok=lead_tok,
        name_tok=name_tok,
        slot_a=slot_a,
        slot_b=slot_b,
        sim=np.where(meets, sim, 0.0),
        pair_a=pair_a,
        tok_a=tok_a,
        pair_b=pair_b,
        tok_b=tok_b,
        held_a=held_a,
        held_b=held_b,
    )


def _positive_or_inf(denominator: FloatArray | IntArray) -> FloatArray:
    """A denominator that makes a share 0 where there is nothing to share (x / inf = 0)."""
    return np.where(denominator > 0, denominator, np.inf)


def _soft(
    al: _Alignment, lead_w: FloatArray, combo_w: FloatArray, slot_w: FloatArray
) -> FloatArray:
    """SoftTF-IDF of an alignment under one choice of token weights (symmetric mean).

    ``combo_w`` and ``slot_w`` are the name tokens' weights per combination and per (pair,
    name token) slot: gathered for the pairs at hand only, never for the whole index.
    """
    n = al.n_pairs
    best_a = np.zeros(len(al.pair_a))
    np.maximum.at(best_a, al.slot_a, combo_w * al.sim)
    best_b = np.zeros(len(al.pair_b))
    np.maximum.at(best_b, al.slot_b, lead_w[al.lead_tok] * al.sim)
    num_a = np.bincount(al.pair_a, weights=lead_w[al.tok_a] * best_a, minlength=n)
    num_b = np.bincount(al.pair_b, weights=slot_w * best_b, minlength=n)
    norm_a = np.sqrt(np.bincount(al.pair_a, weights=lead_w[al.tok_a] ** 2, minlength=n))
    norm_b = np.sqrt(np.bincount(al.pair_b, weights=slot_w**2, minlength=n))
    # 0 where either side has no weight (x / inf), then clipped to [0, 1] in place: the values
    # of np.clip without its wrapper's fixed cost. (Not np.divide's where=: the entries it skips
    # hold whatever the new array's memory held.)
    score: FloatArray = 0.5 * (num_a + num_b) / _positive_or_inf(norm_a * norm_b)
    np.maximum(score, 0.0, out=score)
    np.minimum(score, 1.0, out=score)
    return score


def _lead_adds_words(al: _Alignment, qualifier: BoolArray) -> tuple[BoolArray, BoolArray]:
    """Pairs where the lead's name has a word the account's lacks: any word, and any but a
    qualifier (``qualifier``: per (pair, lead word) slot, see :func:`_qualifiers`).

    People shorten company names ("Cisco" for "Cisco Systems, Inc."); they rarely lengthen them.
    A word of the lead's that the account lacks ("Sunrise Properties" against "Sunrise
    Industries", "Mossway Properties" against "Mossway") more often names another company;
    a country, a region or a department ("Whirlpool Europe", "Acme IT Dept") does not.
    """
    lacked = ~al.held_a
    n = al.n_pairs
    return (
        np.bincount(al.pair_a, weights=lacked, minlength=n) > 0,
        np.bincount(al.pair_a, weights=lacked & ~qualifier, minlength=n) > 0,
    )


def _qualifiers(
    index: IndexView, batch: LeadBatch, al: _Alignment, lead: IntArray, slot_ids: IntArray
) -> BoolArray:
    """Per (pair, lead word) slot, whether the word only qualifies the name
    (:func:`~leadmatch.normalize.qualifier_words`): not the lead's first word ("American
    Express", "China Mobile" are names), and not where the account's name lacks a qualifier of
    its own ("Air China" for "Air India" swaps a country, it does not add one)."""
    words = qualifier_words()
    first = al.tok_a == batch.tok_ptr[lead[al.pair_a]]
    lead_word = _in_words(batch.tok_str, words)[al.tok_a] & ~first
    distinct, slot_of = np.unique(slot_ids, return_inverse=True)
    account_word = _in_words(index.data.tokens.objects()[distinct], words)[slot_of]
    swapped = np.bincount(al.pair_b, weights=~al.held_b & account_word, minlength=al.n_pairs)
    return lead_word & (swapped[al.pair_a] == 0)  # type: ignore[no-any-return]


def _cover(al: _Alignment, slot_w: FloatArray) -> FloatArray:
    """Per pair, the weighted share of the name's words that meet a word of the lead's (at
    :data:`TOKEN_THRESHOLD` or more)."""
    # A word met with a typo is held whole: "Globx" holds all of "Globex".
    held = np.bincount(al.pair_b, weights=slot_w * al.held_b, minlength=al.n_pairs)
    whole = np.bincount(al.pair_b, weights=slot_w, minlength=al.n_pairs)
    share: FloatArray = held / _positive_or_inf(whole)
    return share


def soft_tfidf(
    index: IndexView, batch: LeadBatch, ids: BatchIds, lead: IntArray, name_row: IntArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Symmetric SoftTF-IDF cosine of each (lead, name) pair, in [0, 1], and the share of the
    name's weight the lead's words hold (:attr:`Features.name_cover`), and whether the lead
    has a word the account's name lacks (:attr:`Features.name_adds`).

    Common words weigh little when the account's name merely adds them ("Cisco" ~ "Cisco
    Systems"); when the lead's name has words the account's lacks, every word counts at its
    full rarity, so that two companies sharing only a distinctive first word stay apart.
    """
    lk = index.lookups
    al = _align(index, batch, lead, name_row)
    lead_capped, lead_raw = _lead_token_weights(index, batch, ids)
    combo_ids = index.data.name_tok_ids[al.name_tok]
    slot_ids = index.data.name_tok_ids[al.tok_b]
    capped = _soft(al, lead_capped, lk.idf[combo_ids], lk.idf[slot_ids])
    cover = _cover(al, lk.idf[slot_ids])
    adds, adds_beyond = _lead_adds_words(al, _qualifiers(index, batch, al, lead, slot_ids))
    if not adds.any():
        return capped, cover, adds_beyond
    raw = _soft(al, lead_raw, lk.idf_raw[combo_ids], lk.idf_raw[slot_ids])
    return np.where(adds, np.minimum(capped, raw), capped), cover, adds_beyond


def _domain_features(
    index: IndexView, ids: BatchIds, lead: IntArray, acct: IntArray
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray, IntArray]:
    d, lk = index.data, index.lookups
    dom, brand, has = ids.domains, ids.brands, ids.has_domain
    first_owner = lk.domain_first_owner
    owners = np.full(len(lead), np.iinfo(np.int64).max, dtype=np.int64)
    owners_in_group = owners.copy()
    exact = np.zeros(len(lead), dtype=bool)
    family = np.zeros(len(lead), dtype=bool)
    brand_hit = np.zeros(len(lead), dtype=bool)
    # Both domain slots of a lead at once: (pair, slot) where the lead's slot is a known domain;
    # a pair holds when either slot does.
    lead_dom = dom[lead]
    known, slot = (lead_dom >= 0).nonzero()
    if len(known):
        lead_dom = lead_dom[known, slot]
        hit = _member((acct[known] << ID_BITS) + lead_dom, lk.acct_domain_keys)
        exact[known[hit]] = True
        count = lk.domain_acct_ptr[lead_dom + 1] - lk.domain_acct_ptr[lead_dom]
        owner = first_owner[lead_dom]
        # Owners of one domain share a company group, so any owner's group is the domain's.
        in_group = (owner >= 0) & (lk.group[owner] == lk.group[acct[known]])
        family[known[in_group]] = True
        # The most specific domain speaks: an exact one, else one of the group's.
        np.minimum.at(owners, known[hit], count[hit])
        np.minimum.at(owners_in_group, known[in_group], count[in_group])
    lead_brand = brand[lead]
    known, slot = (lead_brand >= 0).nonzero()
    if len(known):
        lead_brand = lead_brand[known, slot]
        brand_hit[known[_member((acct[known] << ID_BITS) + lead_brand, lk.acct_brand_keys)]] = True
    family &= ~exact
    brand_hit &= ~(exact | family)
    acct_has = d.domain_ptr[acct + 1] > d.domain_ptr[acct]
    conflict = has[lead] & acct_has & ~(exact | family | brand_hit)
    owners = np.where(exact, owners, np.where(family, owners_in_group, 0))
    return exact, family, brand_hit, conflict, owners


def _agree(
    left: list[str], right: U64Array, lead: IntArray, row: IntArray
) -> tuple[BoolArray, BoolArray]:
    """(agree, conflict) of a categorical key where both sides are known (compared by hash)."""
    lo, ro = hash_keys(left)[lead], right[row]
    known = (lo != EMPTY) & (ro != EMPTY)
    same = lo == ro
    return known & same, known & ~same


def _acronym(
    index: IndexView,
    batch: LeadBatch,
    compact_of_lead: list[str],
    lead: IntArray,
    name_row: IntArray,
) -> BoolArray:
    """Pairs where one name is the other's acronym, either way round ("IBM" ~ "International
    Business Machines"): the lead's name, a short word, is the name's acronym, or the lead's
    acronym is the name with spaces removed."""
    lk = index.lookups
    lead_acronym = hash_keys([k.acronym for k in batch.name])[lead]
    lead_compact_hash = hash_keys(compact_of_lead)[lead]
    is_word = np.array([s.isalpha() and 3 <= len(s) <= 8 for s in compact_of_lead], dtype=bool)
    has_acronym = np.array([len(k.acronym) >= 3 for k in batch.name], dtype=bool)
    acronym: BoolArray = (is_word[lead] & (lead_compact_hash == lk.acronym_hash[name_row])) | (
        has_acronym[lead] & (lead_acronym == lk.compact_hash[name_row])
    )
    return acronym


def _part_similarity(
    index: IndexView, batch: LeadBatch, lead: IntArray, name_row: IntArray
) -> FloatArray:
    """Per pair, the best similarity of the name (without spaces) to one part of the lead's
    name written as a list (0 where it is not)."""
    n_parts = np.array([len(p) for p in batch.parts], dtype=np.int64)
    best = np.zeros(len(lead))
    if not n_parts.any():
        return best
    pair, position = expand(offsets(n_parts), lead)
    if len(pair) == 0:
        return best
    flat = object_array([part for parts in batch.parts for part in parts])
    sim = _similarity(flat[position], index.lookups.name_compact.objects()[name_row[pair]])
    np.maximum.at(best, pair, sim)
    return best


class _Names(NamedTuple):
    """The name features of the pairs (see :class:`Features`)."""

    missing: BoolArray
    incomparable: BoolArray
    exact: BoolArray
    sim: FloatArray
    part: BoolArray
    acronym: BoolArray
    cover: FloatArray
    adds: BoolArray


def _name_features(
    index: IndexView, batch: LeadBatch, ids: BatchIds, lead: IntArray, name_row: IntArray
) -> _Names:
    d, lk = index.data, index.lookups
    # Per-lead and per-name values are computed once and gathered per pair.
    compact_of_lead = [k.ascii.replace(" ", "") for k in batch.name]
    lead_compact = object_array(compact_of_lead)[lead]
    name_compact = lk.name_compact.objects()[name_row]
    missing = lead_compact == ""
    exact = ~missing & (lead_compact == name_compact)
    soft, cover, adds = soft_tfidf(index, batch, ids, lead, name_row)
    compact = _similarity(lead_compact, name_compact)
    long_enough = lk.name_compact_len[name_row] >= 6
    whole = np.maximum(soft, np.where(long_enough & (compact >= COMPACT_THRESHOLD), compact, 0.0))
    part = _part_similarity(index, batch, lead, name_row)
    # A part the account's name equals counts whatever its length ("Acme" in "Acme, Berlin,
    # Germany"); a near one from 6 characters, as whole names.
    part = np.where((long_enough & (part >= COMPACT_THRESHOLD)) | (part >= 1.0), part, 0.0)
    from_part = ~exact & (part > whole)
    sim = np.where(exact, 1.0, np.maximum(whole, part))
    lead_lossy = np.array([is_lossy_script(k.base) for k in batch.name], dtype=bool)[lead]
    incomparable = ~missing & ~exact & (lead_lossy != d.name_lossy[name_row])
    acronym = ~missing & _acronym(index, batch, compact_of_lead, lead, name_row)
    cover = np.where(missing, 0.0, cover)
    return _Names(missing, incomparable, exact, sim, from_part, acronym, cover, adds)


def _exact_elsewhere(lead: IntArray, acct: IntArray, exact: BoolArray) -> BoolArray:
    """Per pair, whether another account among its lead's candidates has the lead's exact name."""
    n_leads = int(lead.max()) + 1 if len(lead) else 0
    # Per lead, the smallest and the largest account with an exact name: another one exists
    # where either differs from the pair's own account.
    none = np.iinfo(np.int64).max
    low = np.full(n_leads, none, dtype=np.int64)
    high = np.full(n_leads, -1, dtype=np.int64)
    np.minimum.at(low, lead[exact], acct[exact])
    np.maximum.at(high, lead[exact], acct[exact])
    found = high[lead] >= 0
    return found & ((low[lead] != acct) | (high[lead] != acct))  # type: ignore[no-any-return]


def compute(
    index: IndexView,
    batch: LeadBatch,
    ids: BatchIds,
    lead: IntArray,
    name_row: IntArray,
    blockers: IntArray,
) -> Features:
    """All features of the candidate pairs ``(lead[k], name_row[k])``; ``ids``: the batch's
    ``blocking.batch_ids`` (those blocking read)."""
    lk = index.lookups
    acct = index.data.name_owner[name_row]
    names = _name_features(index, batch, ids, lead, name_row)
    listed = np.array(batch.listed, dtype=bool)[lead]
    ptr = index.data.name_tok_ptr
    one_word = (ptr[name_row + 1] - ptr[name_row]) == 1
    generic = lk.name_generic[name_row]
    legal_agree, legal_conflict = _agree(
        [k.legal_form for k in batch.name], lk.legal_hash, lead, name_row
    )
    dom_exact, dom_family, dom_brand, dom_conflict, owners = _domain_features(
        index, ids, lead, acct
    )
    country_agree, country_conflict = _agree(batch.country, lk.country_hash, lead, acct)
    city_agree, _ = _agree(batch.city, lk.city_hash, lead, acct)
    phone_agree, _ = _agree(batch.phone, lk.phone_hash, lead, acct)
    return Features(
        lead=lead,
        name_row=name_row,
        account=acct,
        blockers=blockers,
        name_missing=names.missing | names.incomparable,
        name_incomparable=names.incomparable,
        name_exact=names.exact,
        name_sim=names.sim,
        name_part=names.part,
        name_one_word=one_word,
        name_listed=listed,
        name_cover=names.cover,
        name_elsewhere=_exact_elsewhere(lead, acct, names.exact),
        name_adds=names.adds,
        acronym=names.acronym,
        name_generic=generic,
        legal_agree=legal_agree,
        legal_conflict=legal_conflict,
        domain_exact=dom_exact,
        domain_family=dom_family,
        domain_brand=dom_brand,
        domain_conflict=dom_conflict,
        domain_owners=owners,
        country_agree=country_agree,
        country_conflict=country_conflict,
        city_agree=city_agree,
        phone_agree=phone_agree,
        candidates=accounts_per_lead(lead, acct),
    )
