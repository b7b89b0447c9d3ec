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

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from leadmatch._util.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    expand,
    first_of_groups,
    group_by,
    offsets,
    rank_in_group,
)
from leadmatch._util.keys import hash_keys
from leadmatch.config import MatchConfig
from leadmatch.normalize import MAX_LEAD_DOMAINS, LeadBatch
from leadmatch.tables import (
    MAX_TYPO_LENGTH,
    PAIR_MAX_POSTINGS,
    PAIR_MIN_POSTINGS,
    deletion_keys,
    pair_keys,
    typo_variants_of,
    vocab_ids,
)

if TYPE_CHECKING:
    from leadmatch.match.view import IndexView

BLOCKERS = ("domain", "brand", "family", "token", "exact", "acronym")
_BIT = {name: 1 << i for i, name in enumerate(BLOCKERS)}
#: A brand label shared by more accounts than this is a common word, not a brand.
MAX_BRAND_ACCOUNTS = 50
#: Hierarchies larger than this are not expanded wholesale from one domain hit.
MAX_FAMILY_ACCOUNTS = 200
#: A typo-tolerant token match counts for this share of the token's weight.
TYPO_CREDIT = 0.8
#: A word of this many letters that has no exact or one-edit match looks for two-edit ones.
TWO_EDIT_MIN_LENGTH = 6
#: A two-edit token match counts for this share of the token's weight.
TWO_EDIT_CREDIT = 0.6
#: Turn-0 weights outrank any sum of later ones (a weight is at most ~21 bits).
FIRST_TURN_SCALE = 1024.0
#: Tokens per lead that generate candidates: its rarest ones carry nearly all the evidence.
BLOCKING_TOKENS = 4
#: Names re-ranked by all of a lead's words, as a multiple of ``max_candidates``.
RESCORED = 2
#: Postings expanded at once (bounds the memory of a large batch).
_SLICE = 1 << 21


def blocker_names(bits: int) -> list[str]:
    """Names of the blockers set in a candidate's bit mask."""
    return [name for name in BLOCKERS if bits & _BIT[name]]


def _gather(
    lead_rows: IntArray, keys: IntArray, ptr: IntArray, values: IntArray, cap: int
) -> tuple[IntArray, IntArray]:
    """Expand (lead, key) into (lead, value) through a CSR table, skipping keys over ``cap``."""
    keep = (ptr[keys + 1] - ptr[keys]) <= cap
    lead_rows, keys = lead_rows[keep], keys[keep]
    which, position = expand(ptr, keys)
    return lead_rows[which], values[position]


def _accounts_to_names(
    index: IndexView, leads: IntArray, accts: IntArray
) -> tuple[IntArray, IntArray]:
    lk = index.lookups
    which, position = expand(lk.acct_name_ptr, accts)
    return leads[which], lk.acct_name_rows[position]


def domain_ids(index: IndexView, domains: list[str]) -> IntArray:
    """Index domain id of each domain, ``-1`` where no account has it."""
    return vocab_ids(index.lookups.domain_table, index.data.domains, domains)


def token_ids(index: IndexView, tokens: list[str]) -> IntArray:
    """Index token id of each token, ``-1`` where no account name has it."""
    return vocab_ids(index.lookups.token_table, index.data.tokens, tokens)


@dataclass(frozen=True)
class BatchIds:
    """A batch's words and company domains as index ids, looked up once per batch by
    :func:`batch_ids` and handed to blocking and to the features, which read the same."""

    tokens: IntArray
    """Per token of the batch (``tok_str``): its :func:`token_ids` id."""
    domains: IntArray
    """Per lead, its company domains (``MAX_LEAD_DOMAINS`` at most) as index domain ids (-1
    where none)."""
    brands: IntArray
    """Per lead, the brands of those domains as index brand ids (-1 where none; a brand of
    fewer than 3 letters is no brand)."""
    has_domain: BoolArray
    """Whether the lead has a company domain at all (known to the index or not)."""


def batch_ids(index: IndexView, batch: LeadBatch) -> BatchIds:
    """The :class:`BatchIds` of ``batch``: what blocking and the features look up."""
    dom = np.full((len(batch), MAX_LEAD_DOMAINS), -1, dtype=np.int64)
    brand = np.full((len(batch), MAX_LEAD_DOMAINS), -1, dtype=np.int64)
    slots = [
        (row, k)
        for row, keys in enumerate(batch.company_domains)
        for k in range(len(keys[:MAX_LEAD_DOMAINS]))
    ]
    if slots:
        rows, ks = np.array(slots, dtype=np.int64).T
        keys = [batch.company_domains[row][k] for row, k in slots]
        dom[rows, ks] = domain_ids(index, [key.domain for key in keys])
        brands = [key.brand if len(key.brand) >= 3 else "" for key in keys]
        brand[rows, ks] = index.lookups.brand_table.first(hash_keys(brands))
    has = np.array([bool(keys) for keys in batch.company_domains], dtype=bool)
    return BatchIds(token_ids(index, batch.tok_str), dom, brand, has)


def _domain_candidates(
    index: IndexView, batch: LeadBatch, ids: BatchIds
) -> list[tuple[IntArray, IntArray, int]]:
    lk = index.lookups
    dom, brand = ids.domains, ids.brands
    usable = batch.usable[:, None]
    known = (dom >= 0) & usable
    d_leads, d_accts = _gather(
        known.nonzero()[0], dom[known], lk.domain_acct_ptr, lk.domain_acct_rows, 1 << 30
    )
    known = (brand >= 0) & usable
    b_leads, b_accts = _gather(
        known.nonzero()[0],
        brand[known],
        lk.brand_acct_ptr,
        lk.brand_acct_rows,
        MAX_BRAND_ACCOUNTS,
    )
    f_leads, f_accts = _gather(
        d_leads, lk.group[d_accts], lk.family_ptr, lk.family_rows, MAX_FAMILY_ACCOUNTS
    )
    return [
        (*_accounts_to_names(index, d_leads, d_accts), _BIT["domain"]),
        (*_accounts_to_names(index, b_leads, b_accts), _BIT["brand"]),
        (*_accounts_to_names(index, f_leads, f_accts), _BIT["family"]),
    ]


def _token_matches(
    index: IndexView, tokens: list[str], exact: IntArray | None = None
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """(position in ``tokens``, index token id, weight, edits) for each token's matches in the
    index: exact (0 edits, the token's IDF); within one edit (:data:`TYPO_CREDIT` of the matched
    token's IDF); and, for a word of :data:`TWO_EDIT_MIN_LENGTH`+ letters that has neither,
    within two edits (:data:`TWO_EDIT_CREDIT`): "Domsnnt" finds "Domant". ``exact``: the
    tokens' :func:`token_ids`, when the caller has them."""
    idf = index.lookups.idf
    if exact is None:
        exact = token_ids(index, tokens)
    source, variants = typo_variants_of(tokens)
    typo_pos, typo_tok = index.lookups.typo_table.gather(
        np.array(source, dtype=np.int64), hash_keys(variants), 1 << 30
    )
    # A token shares several keys with a word (and the word's own token all of them): one
    # match per (word, token), and none of the word with itself.
    n_tok = max(len(index.lookups.token_df), 1)
    pairs = typo_pos * n_tok + typo_tok
    pairs.sort()
    pairs = pairs[first_of_groups(pairs)]  # np.unique, without its fixed costs
    typo_pos, typo_tok = pairs // n_tok, pairs % n_tok
    other = typo_tok != exact[typo_pos]
    typo_pos, typo_tok = typo_pos[other], typo_tok[other]
    found = np.zeros(len(tokens), dtype=bool)
    found[exact >= 0] = True
    found[typo_pos] = True
    lost = [
        k
        for k in (~found).nonzero()[0].tolist()
        if TWO_EDIT_MIN_LENGTH <= len(tokens[k]) <= MAX_TYPO_LENGTH and tokens[k].isalpha()
    ]
    none = np.zeros(0, dtype=np.int64)
    far_pos, far_tok = _two_edit_matches(index, tokens, lost) if lost else (none, none)
    hit = (exact >= 0).nonzero()[0]
    return (
        np.concatenate([hit, typo_pos, far_pos]),
        np.concatenate([exact[hit], typo_tok, far_tok]),
        np.concatenate(
            [idf[exact[hit]], TYPO_CREDIT * idf[typo_tok], TWO_EDIT_CREDIT * idf[far_tok]]
        ),
        np.array([0, 1, 2], dtype=np.int64).repeat([len(hit), len(typo_pos), len(far_pos)]),
    )


def _two_edit_matches(
    index: IndexView, tokens: list[str], positions: list[int]
) -> tuple[IntArray, IntArray]:
    """Index tokens two edits (optimal string alignment) from ``tokens[k]`` for each ``k`` in
    ``positions``, as far as the index's one-deletion keys reach them: the word's two-deletion
    variants are looked up among those keys (two letters too many, or one too many and one
    wrong; two wrong letters are not reached), then checked by distance (keys alone admit
    three edits)."""
    source: list[int] = []
    variants: list[str] = []
    for k in positions:
        keys = {v for once in deletion_keys(tokens[k])[1:] for v in deletion_keys(once)[1:]}
        variants.extend(sorted(keys))
        source.extend([k] * len(keys))
    pos, tok = index.lookups.typo_table.gather(
        np.array(source, dtype=np.int64), hash_keys(variants), 1 << 30
    )
    if len(pos) == 0:
        return pos, tok
    pairs = np.unique(np.stack([pos, tok], axis=1), axis=0)
    pos, tok = pairs[:, 0], pairs[:, 1]
    vocab = index.data.tokens.take(tok)
    near = cpdist([tokens[k] for k in pos.tolist()], vocab, scorer=OSA.distance, workers=1) <= 2
    return pos[near], tok[near]


def _token_candidates(
    index: IndexView, batch: LeadBatch, ids: BatchIds, config: MatchConfig
) -> tuple[IntArray, IntArray]:
    """Top-k name rows per lead by the summed IDF of shared (or one-edit) rare tokens."""
    lk = index.lookups
    tok_ptr = batch.tok_ptr
    tok_lead = np.arange(len(batch), dtype=np.int64).repeat(tok_ptr[1:] - tok_ptr[:-1])
    usable = batch.usable[tok_lead]
    # The distinct usable tokens, sorted (what np.unique gives, without its fixed costs).
    tokens = [t for t, ok in zip(batch.tok_str, usable.tolist()) if ok]
    distinct = sorted(set(tokens))
    slot_of = {t: k for k, t in enumerate(distinct)}
    inverse = np.fromiter(map(slot_of.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    exact = np.empty(len(distinct), dtype=np.int64)
    exact[inverse] = ids.tokens[usable]
    position, tok_arr, matched, edits = _token_matches(index, distinct, exact)
    # Each usable token occurrence takes every match of its distinct token.
    match_ptr, order = group_by(position, len(distinct))
    which, at = expand(match_ptr, inverse)
    lead_arr = tok_lead[usable][which]
    tok_arr, weight, edits = tok_arr[order][at], matched[order][at], edits[order][at]
    turn = _turns(index, which, tok_arr, edits)
    lead_arr, tok_arr, weight, turn = _best_matches(index, lead_arr, tok_arr, weight, turn, edits)
    n_tok = max(len(lk.token_df), 1)
    first_turn = lead_arr[turn == 0] * n_tok + tok_arr[turn == 0]
    every = lead_arr * n_tok + tok_arr, weight
    lead_arr, tok_arr, weight = _blocking_tokens(index, config, lead_arr, tok_arr, weight, turn)
    overlap = _Overlap(*every, (first_turn, lead_arr * n_tok + tok_arr))

    # Expand postings a slice of leads at a time so the pair arrays stay small.
    postings = lk.post_ptr[tok_arr + 1] - lk.post_ptr[tok_arr]
    wanted = RESCORED * config.max_candidates
    paired = (postings > max(wanted, PAIR_MIN_POSTINGS)) & (postings <= PAIR_MAX_POSTINGS)
    postings = np.where(paired, wanted, postings)  # what _reached reads of each token
    bounds = postings.cumsum().searchsorted(np.arange(1, 1 + postings.sum() // _SLICE) * _SLICE)
    if len(bounds) == 0:  # one slice: most batches, and every lead matched on its own
        return _top_names(index, config, lead_arr, tok_arr, weight, overlap)
    parts_lead: list[IntArray] = []
    parts_name: list[IntArray] = []
    for chunk in np.split(np.arange(len(tok_arr)), _lead_boundaries(lead_arr, bounds)):
        lead_of, name_of = _top_names(
            index, config, lead_arr[chunk], tok_arr[chunk], weight[chunk], overlap
        )
        parts_lead.append(lead_of)
        parts_name.append(name_of)
    return np.concatenate(parts_lead), np.concatenate(parts_name)


def _lead_boundaries(sorted_leads: IntArray, cuts: IntArray) -> IntArray:
    """Cut positions moved forward to the next change of lead (a lead is never split)."""
    if len(cuts) == 0:
        return cuts
    starts = first_of_groups(sorted_leads).nonzero()[0]
    return np.unique(starts[np.minimum(starts.searchsorted(cuts), len(starts) - 1)])[1:]


def _turns(index: IndexView, word: IntArray, tok: IntArray, edits: IntArray) -> IntArray:
    """Each match's turn among the matches of its lead's word (``word``: the word occurrence,
    grouped), so that turn 0 of every word blocks before turn 1 of any and one word's many
    look-alikes cannot crowd out the lead's other words.

    A word found in the index takes its turn 0 itself; its look-alikes follow, rarest first
    (the likeliest to be that word misspelled in an account: "Digtial"). A word not found
    (misspelled by the lead) takes its nearest look-alikes, the most common first (the likeliest
    meant: "Tian" is "Titan" before it is "Tiaz"). Ties go to the spelling.
    """
    lk = index.lookups
    n_tok = max(len(lk.token_df), 1)
    found = np.bincount(word[edits == 0], minlength=int(word.max(initial=-1)) + 1) > 0
    df, spelling = lk.token_df[tok], lk.token_rank[tok]
    most = len(lk.id_rank)  # no token is in more accounts than there are
    key = np.where(found[word], df, most - df) * n_tok + spelling
    key_bits = int(key.max(initial=0)).bit_length()
    if int(word.max(initial=0)).bit_length() + 2 + key_bits <= 63:
        order = ((word << (2 + key_bits)) | (edits << key_bits) | key).argsort(kind="stable")
    else:  # a batch of millions of words against millions of tokens
        order = np.lexsort((key, edits, word))
    turn = np.empty(len(word), dtype=np.int64)
    turn[order] = rank_in_group(word[order])
    return turn


def _best_matches(
    index: IndexView,
    lead: IntArray,
    tok: IntArray,
    weight: FloatArray,
    turn: IntArray,
    edits: IntArray,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """One match per (lead, token), sorted: a token reached both exactly and through a typo
    key counts once, at its fewest edits (its full weight) and earliest turn."""
    n_tok = max(len(index.lookups.token_df), 1)
    pair = lead * n_tok + tok  # under 2**53 for a batch of 10M leads and 16M tokens
    order = ((pair << 10) | (edits << 8) | np.minimum(turn, 255)).argsort(kind="stable")
    lead, tok, weight, turn = lead[order], tok[order], weight[order], turn[order]
    first = first_of_groups(pair[order])
    return lead[first], tok[first], weight[first], turn[first]


def _blocking_tokens(
    index: IndexView,
    config: MatchConfig,
    lead: IntArray,
    tok: IntArray,
    weight: FloatArray,
    turn: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Per lead, its :data:`BLOCKING_TOKENS` first usable tokens, sorted by lead, with the
    priority that ranks the names they reach.

    Earlier turns first (see :func:`_turns`), then the heaviest, ties to the rarer, then to the
    token's spelling — never to load order. Common words (sector words, legal forms) block only
    for a lead that has nothing else; tokens in more than ``max_block_size`` accounts never do.
    """
    lk = index.lookups
    n_tok = max(len(lk.token_df), 1)
    common = lk.token_common[tok]
    has_rare = np.bincount(lead, weights=~common, minlength=int(lead.max(initial=-1)) + 1) > 0
    keep = (lk.token_df[tok] <= config.max_block_size) & (~common | ~has_rare[lead])
    lead, tok, weight, turn = lead[keep], tok[keep], weight[keep], turn[keep]
    rarity = lk.token_df[tok] * n_tok + lk.token_rank[tok]
    order = np.lexsort((rarity, -weight, turn, lead))
    order = order[rank_in_group(lead[order]) < BLOCKING_TOKENS]
    # What ranks the names reached: the weight of the lead's own words (turn 0) before that of
    # look-alikes, so that "Tian" reaches "Titan" names before those of rarer "Tan" and "Ian".
    priority = np.where(turn[order] == 0, FIRST_TURN_SCALE * weight[order], weight[order])
    return lead[order], tok[order], priority


@dataclass(frozen=True)
class _Overlap:
    """Every token match of the batch's leads (``lead * n_tokens + token``, sorted) with its
    weight: what ranks the names that the blocking tokens reached; and the partners, the
    matches that look up word pairs (each word's first turn and the blocking tokens)."""

    keys: IntArray
    weight: FloatArray
    partner_parts: tuple[IntArray, IntArray]
    """Keys of each word's first turn, and of the blocking tokens (united when first needed)."""

    @cached_property
    def partners(self) -> IntArray:
        keys = np.concatenate(self.partner_parts)
        keys.sort()
        return keys[first_of_groups(keys)]  # np.union1d, without its fixed costs

    def score(self, index: IndexView, lead: IntArray, name: IntArray) -> FloatArray:
        """Summed weight of the lead's words (exact or one edit away, common ones included)
        found in each name."""
        d = index.data
        which, position = expand(d.name_tok_ptr, name)
        keys = lead[which] * max(len(index.lookups.token_df), 1) + d.name_tok_ids[position]
        at = np.minimum(self.keys.searchsorted(keys), max(len(self.keys) - 1, 0))
        found = self.keys[at] == keys if len(self.keys) else np.zeros(len(keys), dtype=bool)
        weights = np.where(found, self.weight[at] if len(self.keys) else 0.0, 0.0)
        return np.bincount(which, weights=weights, minlength=len(name)).astype(np.float64)

    def pairs(self, index: IndexView, lead: IntArray, tok: IntArray) -> tuple[IntArray, IntArray]:
        """(position in ``lead``, name row) for the names that hold ``tok[k]`` and another
        partner of ``lead[k]``, from the index's word-pair table."""
        n_tok = max(len(index.lookups.token_df), 1)
        lo = self.partners.searchsorted(lead * n_tok)
        hi = self.partners.searchsorted((lead + 1) * n_tok)
        which = np.arange(len(lead), dtype=np.int64).repeat(hi - lo)
        other = (
            self.partners[
                np.arange(len(which), dtype=np.int64) - (offsets(hi - lo)[:-1] - lo).repeat(hi - lo)
            ]
            % n_tok
        )
        keep = other != tok[which]
        which, other = which[keep], other[keep]
        return index.lookups.pair_table.gather(which, pair_keys(tok[which], other), 1 << 30)


#: Bit patterns of which of a lead's blocking tokens a name contains.
_MASKS = (np.arange(1 << BLOCKING_TOKENS)[:, None] >> np.arange(BLOCKING_TOKENS)) & 1


def _top_names(
    index: IndexView,
    config: MatchConfig,
    lead: IntArray,
    tok: IntArray,
    weight: FloatArray,
    overlap: _Overlap,
) -> tuple[IntArray, IntArray]:
    """The ``max_candidates`` name rows per lead that share the most weight of its words.

    The blocking tokens reach names; ``lead`` is sorted and has at most
    :data:`BLOCKING_TOKENS` of them per lead, so a name's blocking score is fixed by which of
    them it contains: a bit mask. Masks are OR-ed per (lead, name) over sorted integer keys and
    ranked by score (equal scores share a rank). The names in a lead's best ranks, up to
    :data:`RESCORED` times ``max_candidates`` of them (whole ranks), are then scored by all the
    lead's words, common words and typos included (:class:`_Overlap`), and the best are kept:
    "Riverbemd Consullting" reaches every "Riverbend", and its second word picks the right one.
    """
    lk = index.lookups
    which, rows = _reached(index, config, lead, tok, overlap)
    if len(which) == 0:
        return which, which.copy()
    slot = rank_in_group(lead)
    lead_of, name_of, mask = _name_masks(index, lead, slot, which, rows)
    leads, mask_rank = _mask_ranks(lead, slot, weight)
    # Keep the ranks a lead needs to reach max_candidates names, then sort only those.
    row_of_lead = np.zeros(int(leads[-1]) + 1, dtype=np.int64)  # leads: the batch's rows, sorted
    row_of_lead[leads] = np.arange(len(leads), dtype=np.int64)
    row = row_of_lead[lead_of]
    pair_rank = mask_rank[row, mask]
    keep = _needed_ranks(row, pair_rank, len(leads), RESCORED * config.max_candidates)
    lead_of, name_of, pair_rank = lead_of[keep], name_of[keep], pair_rank[keep]
    score = overlap.score(index, lead_of, name_of)
    id_rank = lk.id_rank[index.data.name_owner[name_of]]
    order = _best_first(row[keep], score, pair_rank, id_rank, len(leads), lk.n_accounts)
    top = order[rank_in_group(lead_of[order]) < config.max_candidates]
    return lead_of[top], name_of[top]


def _reached(
    index: IndexView, config: MatchConfig, lead: IntArray, tok: IntArray, overlap: _Overlap
) -> tuple[IntArray, IntArray]:
    """(position in ``tok``, name row) of the names the blocking tokens reach. A frequent
    token reaches its first names (by account id: they would win a tie) and, through the pair
    table, those that share another word of the lead; the others, all."""
    lk = index.lookups
    wanted = RESCORED * config.max_candidates
    postings = lk.post_ptr[tok + 1] - lk.post_ptr[tok]
    paired = (postings > max(wanted, PAIR_MIN_POSTINGS)) & (postings <= PAIR_MAX_POSTINGS)
    counts = np.where(paired, wanted, postings)
    which = np.arange(len(tok), dtype=np.int64).repeat(counts)
    position = np.arange(len(which), dtype=np.int64) - (
        offsets(counts)[:-1] - lk.post_ptr[tok]
    ).repeat(counts)
    rows = lk.post_rows[position]
    pair_at = paired.nonzero()[0]
    if len(pair_at):
        pair_which, pair_rows = overlap.pairs(index, lead[pair_at], tok[pair_at])
        which = np.concatenate([which, pair_at[pair_which]])
        rows = np.concatenate([rows, pair_rows])
    return which, rows


def _name_masks(
    index: IndexView, lead: IntArray, slot: IntArray, which: IntArray, rows: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """The distinct (lead, name row) pairs that :func:`_reached` found, each with the bit mask
    of its lead's blocking tokens (bit ``slot``) that reached it, OR-ed over sorted keys."""
    n_names = max(len(index.data.name_owner), 1)
    keys = ((lead[which] * n_names + rows) << BLOCKING_TOKENS) | (1 << slot[which])
    keys.sort()
    pairs = keys >> BLOCKING_TOKENS
    starts = first_of_groups(pairs).nonzero()[0]
    mask = np.bitwise_or.reduceat(keys & ((1 << BLOCKING_TOKENS) - 1), starts)
    pairs = pairs[starts]
    return pairs // n_names, pairs % n_names, mask


def _mask_ranks(lead: IntArray, slot: IntArray, weight: FloatArray) -> tuple[IntArray, IntArray]:
    """The distinct leads of ``lead`` (sorted), and per lead the score of every mask as its
    dense rank (0 = best; equal scores share a rank)."""
    new_lead = first_of_groups(lead)  # lead is sorted
    leads, lead_index = lead[new_lead], new_lead.cumsum() - 1
    slot_weight = np.zeros((len(leads), BLOCKING_TOKENS))
    slot_weight[lead_index.reshape(-1), slot] = weight
    mask_score = slot_weight @ _MASKS.T
    order = (-mask_score).argsort(axis=1, kind="stable")
    at = np.arange(len(leads), dtype=np.int64)[:, None]  # (take/put_along_axis cost more)
    ranked = mask_score[at, order]
    dense = np.zeros(ranked.shape, dtype=np.int64)
    dense[:, 1:] = (ranked[:, 1:] != ranked[:, :-1]).cumsum(axis=1)
    mask_rank = np.empty_like(dense)
    mask_rank[at, order] = dense
    return leads, mask_rank


def _needed_ranks(row: IntArray, rank: IntArray, n_rows: int, wanted: int) -> IntArray:
    """Positions of the pairs (of lead ``row[k]``, mask rank ``rank[k]``) in the best ranks
    of their lead that together hold ``wanted`` names (whole ranks; every rank where fewer)."""
    n_ranks = 1 << BLOCKING_TOKENS
    counts = np.bincount(row * n_ranks + rank, minlength=n_rows * n_ranks)
    enough = counts.reshape(n_rows, n_ranks).cumsum(axis=1) >= wanted
    last_rank = np.where(enough.any(axis=1), enough.argmax(axis=1), n_ranks - 1)
    return (rank <= last_rank[row]).nonzero()[0]


def _best_first(
    row: IntArray, score: FloatArray, rank: IntArray, id_rank: IntArray, n_rows: int, n_acct: int
) -> IntArray:
    """Order of the pairs: by lead row, then best overlap, then blocking rank, then account id
    (so that account order cannot matter), in one integer sort where the fields fit 63 bits
    with the overlap in units of at most 2**-12 bits of weight (finer than sums of IDFs differ
    by); else in two sorts at 2**-20."""
    row_bits, id_bits = int(n_rows).bit_length(), int(n_acct).bit_length()
    top = int(np.ceil(score.max(initial=0.0))) + 1
    fraction = 63 - row_bits - BLOCKING_TOKENS - id_bits - top.bit_length()
    if fraction >= 12:
        points = np.rint(score * (1 << fraction)).astype(np.int64)
        behind = (top << fraction) - points
        key = (row << (63 - row_bits)) | (behind << (BLOCKING_TOKENS + id_bits))
        key |= (rank << id_bits) | id_rank
        return key.argsort(kind="stable")
    order = (rank * max(n_acct, 1) + id_rank).argsort(kind="stable")
    points = np.rint(score[order] * (1 << 20)).astype(np.int64)
    return order[(row[order] * (1 << 40) - points).argsort(kind="stable")]


def _key_candidates(index: IndexView, batch: LeadBatch) -> list[tuple[IntArray, IntArray, int]]:
    """Exact compact-name look-ups (of the whole name and of each part of a name written as a
    list) and acronym look-ups."""
    lk = index.lookups
    n = len(batch)
    rows = np.arange(n, dtype=np.int64)
    compact = [
        key.ascii.replace(" ", "") if ok else "" for key, ok in zip(batch.name, batch.usable)
    ]
    word = ["" if not (c.isalpha() and 3 <= len(c) <= 8) else c for c in compact]
    acronym = [
        key.acronym if len(key.acronym) >= 3 and c else "" for key, c in zip(batch.name, compact)
    ]
    parts = [p if ok else () for p, ok in zip(batch.parts, batch.usable)]
    part_rows = rows.repeat([len(p) for p in parts])
    cap = MAX_FAMILY_ACCOUNTS
    # Compact names, acronyms and parts read the same table: one look-up, lead rows shifted
    # by n per kind (the found pairs come back in input order, so they split there).
    found_leads, found_names = lk.exact_table.gather(
        np.concatenate([rows, rows + n, part_rows + 2 * n]),
        hash_keys(compact + acronym + [q for p in parts for q in p]),
        cap,
    )
    cut, parts_at = (int(x) for x in found_leads.searchsorted([n, 2 * n]))
    word_leads, word_names = lk.acronym_table.gather(rows, hash_keys(word), cap)
    return [
        (
            np.concatenate([found_leads[:cut], found_leads[parts_at:] - 2 * n]),
            np.concatenate([found_names[:cut], found_names[parts_at:]]),
            _BIT["exact"],
        ),
        (
            np.concatenate([word_leads, found_leads[cut:parts_at] - n]),
            np.concatenate([word_names, found_names[cut:parts_at]]),
            _BIT["acronym"],
        ),
    ]


def candidates(
    index: IndexView, batch: LeadBatch, ids: BatchIds, config: MatchConfig
) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct (lead row, name row) pairs with a bit mask of the blockers that proposed them.
    ``ids``: the batch's :func:`batch_ids`."""
    parts = _domain_candidates(index, batch, ids)
    parts.append((*_token_candidates(index, batch, ids, config), _BIT["token"]))
    parts.extend(_key_candidates(index, batch))
    n_names = max(len(index.data.name_owner), 1)
    keys = np.concatenate([leads * n_names + names for leads, names, _ in parts])
    bits = np.concatenate([np.full(len(leads), bit, dtype=np.int64) for leads, _, bit in parts])
    if len(keys) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    order = keys.argsort(kind="stable")
    keys, bits = keys[order], bits[order]
    starts = first_of_groups(keys).nonzero()[0]
    merged_bits = np.bitwise_or.reduceat(bits, starts)
    unique = keys[starts]
    return unique // n_names, unique % n_names, merged_bits
