"""The token blocker (``match/blocking.py``) the slow, obvious way: one lead at a time, each of
its words against every word of every account name, in plain Python, from the reference's
:class:`~tests.reference.Crm` (its word counts, weights and common words).

The rules are those the blocker's docstrings state; the numbers are written here (read once
from ``match/blocking.py`` and ``tables/lookups.py``), never imported. It covers indexes where
no word is in more than :data:`PAIRED_FROM` names: past that, a word reaches its names through
the word-pair table, which ``tests/unit/match/test_blocking.py`` checks on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from tests.reference import Crm, LeadKeys, osa_distance

# Typo keys (lookups.py): an alphabetic word of 4 to 32 letters and each copy of it with one
# letter deleted; a shorter or longer one is only its own key; other words have none.
TYPO_KEY_LETTERS = (4, 32)
# Matches (blocking.py): one edit counts 0.8 of the matched word's weight; a word of 6+ letters
# with neither an exact nor a one-edit match looks two edits away, at 0.6.
TYPO_CREDIT = 0.8
TWO_EDIT_LETTERS = 6
TWO_EDIT_CREDIT = 0.6
# A lead's 4 first words (by turn, weight, rarity, spelling) block; a lead's own words (turn 0)
# count 1024 times their weight in ranking the names they reach; 2 x max_candidates names are
# compared on all the lead's words.
BLOCKING_WORDS = 4
FIRST_TURN_SCALE = 1024.0
RESCORED = 2
# A word in more than 48 names (and at least 2 x max_candidates) is read through word pairs.
PAIRED_FROM = 48
# The blocker ranks overlaps in fixed point: sums of the same weights in another order are equal.
OVERLAP_PLACES = 9


def _deletions(word: str) -> frozenset[str]:
    """Every copy of ``word`` with one letter deleted."""
    return frozenset(word[:i] + word[i + 1 :] for i in range(len(word)))


@cache
def typo_keys(word: str) -> frozenset[str]:
    """The keys under which a word is found within one edit."""
    if not word.isalpha():
        return frozenset()
    low, high = TYPO_KEY_LETTERS
    if not low <= len(word) <= high:
        return frozenset({word})
    return _deletions(word) | {word}


@dataclass(frozen=True)
class WordMatch:
    """A word of the index that a lead's word matches, with how many edits apart."""

    token: str
    edits: int
    weight: float


def word_matches(crm: Crm, word: str) -> list[WordMatch]:
    """Every word of the index that ``word`` matches: itself, those sharing a typo key with it,
    and (when there are none and it is long enough) those two edits away that share a key
    with one of its two-deletion copies."""
    vocabulary = sorted(crm.df)
    found = [WordMatch(word, 0, crm.weight(word, True))] if word in crm.df else []
    keys = typo_keys(word)
    found += [
        WordMatch(t, 1, TYPO_CREDIT * crm.weight(t, True))
        for t in vocabulary
        if t != word and keys & typo_keys(t)
    ]
    if found or not (TWO_EDIT_LETTERS <= len(word) <= TYPO_KEY_LETTERS[1] and word.isalpha()):
        return found
    twice = {k for once in _deletions(word) for k in _deletions(once)}
    return [
        WordMatch(t, 2, TWO_EDIT_CREDIT * crm.weight(t, True))
        for t in vocabulary
        if typo_keys(t) & twice and osa_distance(word, t) <= 2
    ]


def _turns(crm: Crm, matches: list[WordMatch]) -> list[tuple[WordMatch, int]]:
    """Each match of one word with its turn: fewest edits first; then, for a word the index
    has, the rarest look-alikes first; for one it has not, the most common; then spelling."""
    known = any(m.edits == 0 for m in matches)
    ordered = sorted(
        matches,
        key=lambda m: (m.edits, crm.df[m.token] if known else -crm.df[m.token], m.token),
    )
    return [(m, turn) for turn, m in enumerate(ordered)]


@dataclass(frozen=True)
class Best:
    """A lead's best match of one index word: fewest edits, then earliest turn."""

    edits: int
    turn: int
    weight: float


def best_matches(crm: Crm, lead: LeadKeys) -> dict[str, Best]:
    """Index word -> the lead's best match of it, over all the lead's words."""
    best: dict[str, Best] = {}
    for word in lead.name.tokens:
        for m, turn in _turns(crm, word_matches(crm, word)):
            seen = best.get(m.token)
            if seen is None or (m.edits, min(turn, 255)) < (seen.edits, min(seen.turn, 255)):
                best[m.token] = Best(m.edits, turn, m.weight)
    return best


def blocking_words(crm: Crm, best: dict[str, Best], max_block_size: int) -> list[str]:
    """The lead's words that look names up: common ones only when it has no other, none in
    more than ``max_block_size`` accounts; the first by turn, weight, rarity, spelling."""
    has_rare = any(not crm.common(t) for t in best)
    usable = [
        t for t in best if crm.df[t] <= max_block_size and (not crm.common(t) or not has_rare)
    ]
    usable.sort(key=lambda t: (best[t].turn, -best[t].weight, crm.df[t], t))
    return usable[:BLOCKING_WORDS]


def _score_ranks(priority: list[float]) -> dict[float, int]:
    """Each possible sum of some of the blocking words' priorities -> its dense rank (0 the
    highest; equal sums share a rank)."""
    sums = {
        sum((priority[i] for i in chosen), 0.0)
        for size in range(len(priority) + 1)
        for chosen in combinations(range(len(priority)), size)
    }
    return {s: rank for rank, s in enumerate(sorted(sums, reverse=True))}


def token_block(
    crm: Crm, lead: LeadKeys, max_candidates: int, max_block_size: int
) -> set[tuple[str, str]]:
    """(account id, name) of every name the token blocker proposes for ``lead``.

    The names holding a blocking word are ranked by the priorities of the blocking words they
    hold; the best ranks (whole ranks) until there are 2 x ``max_candidates`` names are then
    compared on all the lead's matched words (their summed weight), and the best
    ``max_candidates`` kept: highest overlap, then best rank, then smallest account id."""
    best = best_matches(crm, lead)
    words = blocking_words(crm, best, max_block_size)
    priority = [
        FIRST_TURN_SCALE * best[t].weight if best[t].turn == 0 else best[t].weight for t in words
    ]
    ranks = _score_ranks(priority)
    reached = []
    for account_id in sorted(crm.companies):
        for at, name in enumerate(crm.companies[account_id].names):
            held = [i for i, t in enumerate(words) if t in name.tokens]
            if held:
                rank = ranks[sum((priority[i] for i in held), 0.0)]
                overlap = sum((best[t].weight for t in name.tokens if t in best), 0.0)
                reached.append((rank, -round(overlap, OVERLAP_PLACES), account_id, at, name.ascii))
    wanted, kept = RESCORED * max_candidates, 0
    for last in sorted({r[0] for r in reached}):
        kept += sum(1 for r in reached if r[0] == last)
        if kept >= wanted:
            reached = [r for r in reached if r[0] <= last]
            break
    reached.sort(key=lambda r: (r[1], r[0], r[2], r[3]))
    return {(account_id, name) for _, _, account_id, _, name in reached[:max_candidates]}


def most_names_of_a_word(crm: Crm) -> int:
    """How many names the most frequent word is in (the reference covers up to
    :data:`PAIRED_FROM`)."""
    counts = Counter(t for c in crm.companies.values() for name in c.names for t in name.tokens)
    return max(counts.values(), default=0)
