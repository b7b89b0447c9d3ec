"""A slow, obvious resolver: a lead against each account name blocking proposed, one pair at a
time, in plain Python, from the raw ``Account`` and ``Lead`` records.

It shares with the package only the pure normalizers of :mod:`leadmatch.normalize` (names,
domains, emails, places: they have property tests of their own) and, from the caller, which
accounts, and which of their names, blocking proposed for the lead (blocking is an
approximation, checked apart: see :func:`best_anywhere`). Everything else is computed again
here the straightforward way, from the rules as the package's docstrings state them: the
records an index keeps, company groups, hierarchy depth, token weights (IDF) over the
accounts' names, which names are generic, every comparison and its level, scores, the rival
gap, the tie-break, decisions, alternatives and the notes on ties. The cut-offs are numbers
written here (read once from ``match/features.py``, ``match/scoring.py``, ``match/resolve.py``
and ``tables/lookups.py``), never imported: a constant changed there disagrees with this
module. The weights are the caller's (``config.weights``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from leadmatch import Account, Lead, MatchConfig
from leadmatch.normalize import (
    DomainKey,
    NameKey,
    common_words,
    company_domains,
    domain_key,
    is_hosting_domain,
    is_list,
    is_lossy_script,
    name_parts,
    normalize_city,
    normalize_country,
    normalize_name,
    parse_email,
    phone_key,
    qualifier_words,
)
from leadmatch.normalize.leads import company_name

#: Account id -> the ASCII keys of the names of it blocking proposed (what a lead is scored on).
Proposed = Mapping[str, Collection[str]]

# Words (features.py): the same word at an OSA similarity of 0.8 or more; a typo (similar, not
# equal) only between words of 5+ letters; a word cut short ("Farm" for "Farms") is the word it
# begins from 4 letters and half the whole word's length.
SAME_WORD = 0.8
TYPO_LETTERS = 5
CUT_SHORT_LETTERS = 4
# Whole names without spaces (features.py): taken from a similarity of 0.9, where the account's
# name has 6+ characters (a part of a lead's name equal to the account's name: any length).
SAME_COMPACT = 0.9
COMPACT_LETTERS = 6
# Acronyms: 3+ letters; a lead's name is looked up as one when it is a word of 3 to 8 letters.
ACRONYM_LETTERS = 3
ACRONYM_WORD = (3, 8)
# Levels (scoring.py and config.Weights).
NAME_CUTS = (
    ("sim97", 0.97), ("sim93", 0.93), ("sim90", 0.9), ("sim86", 0.86), ("sim82", 0.82),
    ("sim76", 0.76), ("sim70", 0.7), ("sim65", 0.65), ("sim55", 0.55), ("sim45", 0.45),
)  # fmt: skip
PART_CUT = 0.97
AT_DOMAIN_CUTS = (("sim90", 0.9), ("sim76", 0.76), ("sim55", 0.55))
COVER_CUTS = (("all", 0.99), ("cover90", 0.9), ("cover75", 0.75), ("cover50", 0.5))
SHORTER_COVER = 0.5  # name_cover "shorter": a lead adding no word, holding this much or more
AGREEING_SIM, AGREEING_COVER = 0.82, 0.9
FEW_OWNERS = 3  # domain owners: 1 one, 2-3 few, more many
FEW_CANDIDATES, SOME_CANDIDATES = 5, 12  # candidates: 1 one, 2 two, 3-5 few, 6-12 some
GAP_CAP = 8.0
# Brands (blocking.py): a brand of fewer than 3 letters is no brand.
BRAND_LETTERS = 3
# Alternatives (resolve.py): below this confidence not listed (a rival always is).
MIN_ALTERNATIVE = 0.01
# Results (results.py) show confidences to 4 decimal places, and decide on that value.
SHOWN_PLACES = 4
# The index's tables (lookups.py): parent chains longer than 64 are loops; a generic word
# weighs at most 1; a word in 20+ accounts and 0.2% of them is common; a name of 3 characters
# or fewer, or of common words only, is generic.
MAX_DEPTH = 64
GENERIC_WORD_CAP = 1.0
COMMON_DF, COMMON_SHARE = 20, 0.002
SHORT_NAME = 3
#: The level of each comparison that says nothing (left out of the evidence).
NEUTRAL = {
    "domain": "unknown", "domain_owners": "unknown", "name": "missing", "name_cover": "missing",
    "name_at_domain": "missing", "acronym": "unknown", "name_generic": "specific",
    "legal_form": "unknown", "country": "unknown", "city": "unknown", "phone": "unknown",
    "candidates": "many",
}  # fmt: skip


@cache
def osa_distance(a: str, b: str) -> int:
    """The optimal string alignment distance: a swap of neighbours is one edit, no substring
    is edited twice."""
    d = [[i + j if not i or not j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@cache
def osa_similarity(a: str, b: str) -> float:
    """1 - (optimal string alignment distance) / (longer length)."""
    longest = max(len(a), len(b))
    return 1.0 - osa_distance(a, b) / longest if longest else 1.0


@cache
def indel_similarity(a: str, b: str) -> float:
    """1 - (insertions and deletions to turn one into the other) / (both lengths)."""
    common = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            same = common[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else 0
            common[i][j] = max(common[i - 1][j], common[i][j - 1], same)
    both = len(a) + len(b)
    return 1.0 - (both - 2 * common[-1][-1]) / both if both else 1.0


@cache
def word_similarity(lead_word: str, name_word: str) -> float:
    """The lead's word against the account's: their OSA similarity where it says "the same
    word", else 0."""
    sim = osa_similarity(lead_word, name_word)
    if SAME_WORD <= sim < 1.0 and min(len(lead_word), len(name_word)) < TYPO_LETTERS:
        sim = 0.0  # "Tate" is not "State" misspelt
    short, long = sorted((lead_word, name_word), key=len)
    cut_short = (
        short != long
        and long.startswith(short)
        and len(short) >= CUT_SHORT_LETTERS
        and 2 * len(short) >= len(long)
    )
    if cut_short:
        sim = max(sim, SAME_WORD)
    return sim if sim >= SAME_WORD else 0.0


@dataclass(frozen=True)
class Name:
    """One name's keys, as compared."""

    ascii: str
    compact: str
    tokens: tuple[str, ...]
    legal: str
    acronym: str
    lossy: bool

    @classmethod
    def of(cls, key: NameKey) -> Name:
        return cls(
            ascii=key.ascii,
            compact=key.ascii.replace(" ", ""),
            tokens=tuple(dict.fromkeys(key.ascii.split())),
            legal=key.legal_form,
            acronym=key.acronym,
            lossy=is_lossy_script(key.base),
        )


@dataclass(frozen=True)
class Company:
    """One account record, normalized."""

    account_id: str
    names: tuple[Name, ...]
    """Its name and aliases (distinct, non-empty; one empty name if it has none)."""
    domains: tuple[str, ...]
    """Its own domains: each domain and alias domain, its host first where it has one;
    a hosting platform's only for the platform itself (its brand a word of the name)."""
    brands: frozenset[str]
    country: str
    city: str
    phone: str
    parent_id: str | None

    @classmethod
    def of(cls, account: Account) -> Company:
        primary = normalize_name(account.name)
        words = primary.ascii.split()
        own_words = {*words, "".join(words)}
        keys: list[DomainKey] = []
        for raw in (account.domain, *account.alias_domains):
            key = domain_key(raw)
            platform = is_hosting_domain(key.domain)
            if key.domain and (not platform or key.brand.replace("-", "") in own_words):
                keys += [k for k in key.variants() if k not in keys]
        names: list[Name] = []
        for raw in (account.name, *account.aliases):
            name = Name.of(normalize_name(raw))
            if name.ascii and name.ascii not in [n.ascii for n in names]:
                names.append(name)
        return cls(
            account_id=account.account_id,
            names=tuple(names) or (Name("", "", (), "", "", False),),
            domains=tuple(dict.fromkeys(k.domain for k in keys)),
            brands=frozenset(k.brand for k in keys),
            country=normalize_country(account.country),
            city=normalize_city(account.city),
            phone=phone_key(account.phone),
            parent_id=account.parent_id,
        )


class Crm:
    """The accounts as the reference sees them: the first record of each id, company groups,
    parent chains, owners of each domain, and the number of accounts holding each word."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self.companies: dict[str, Company] = {}
        for account in accounts:
            self.companies.setdefault(account.account_id, Company.of(account))
        self.owners: dict[str, list[str]] = {}
        self.df: Counter[str] = Counter()
        for company in self.companies.values():
            for domain in company.domains:
                self.owners.setdefault(domain, []).append(company.account_id)
            self.df.update({t for name in company.names for t in name.tokens})
        self.group = self._groups()

    def parent(self, account_id: str) -> str | None:
        """The parent record, if ``parent_id`` names another account."""
        parent = self.companies[account_id].parent_id
        return parent if parent in self.companies and parent != account_id else None

    def chain(self, account_id: str) -> list[str]:
        """The account and its ancestors, nearest first; just the account where the chain loops
        or runs deeper than ``MAX_DEPTH`` (a data error: treated as a root)."""
        chain = [account_id]
        while (parent := self.parent(chain[-1])) is not None:
            if len(chain) > MAX_DEPTH:
                return [account_id]
            chain.append(parent)
        return chain

    def _groups(self) -> dict[str, str]:
        """Each account's company group (named by one member): accounts are joined by a parent
        link, a shared own domain, or the same first name in the same country (duplicates)."""
        label = {account_id: account_id for account_id in self.companies}

        def root(account_id: str) -> str:
            while label[account_id] != account_id:
                account_id = label[account_id]
            return account_id

        def join(a: str, b: str) -> None:
            label[root(a)] = root(b)

        first_of: dict[tuple[str, str], str] = {}
        for company in self.companies.values():
            account_id = company.account_id
            if (parent := self.parent(account_id)) is not None:
                join(account_id, parent)
            for domain in company.domains:
                join(account_id, self.owners[domain][0])
            if company.names[0].ascii:
                key = (company.names[0].ascii, company.country)
                join(account_id, first_of.setdefault(key, account_id))
        return {account_id: root(account_id) for account_id in self.companies}

    def weight(self, token: str, capped: bool) -> float:
        """The token's IDF over the accounts (a word no account has: as if in none); a generic
        word at most ``GENERIC_WORD_CAP`` where ``capped``."""
        idf = math.log((1 + len(self.companies)) / (1 + self.df[token])) + 1.0
        return min(idf, GENERIC_WORD_CAP) if capped and token in common_words() else idf

    def common(self, token: str) -> bool:
        """A word too common to say which company: generic, or in many accounts."""
        return token in common_words() or self.df[token] >= max(
            COMMON_DF, COMMON_SHARE * len(self.companies)
        )

    def generic(self, name: Name) -> bool:
        """A name that says little: short, or of common words only."""
        return len(name.compact) <= SHORT_NAME or all(self.common(t) for t in name.tokens)


@dataclass(frozen=True)
class LeadKeys:
    """One lead, normalized."""

    name: Name
    parts: tuple[str, ...]
    listed: bool
    domains: tuple[DomainKey, ...]
    country: str
    city: str
    phone: str

    @classmethod
    def of(cls, lead: Lead) -> LeadKeys:
        company = lead.company or ""
        return cls(
            name=Name.of(company_name(lead.company)),
            parts=name_parts(company) if company else (),
            listed=is_list(company) if company else False,
            domains=company_domains(parse_email(lead.email), domain_key(lead.website)),
            country=normalize_country(lead.country),
            city=normalize_city(lead.city),
            phone=phone_key(lead.phone),
        )


def soft_tfidf(crm: Crm, left: tuple[str, ...], right: tuple[str, ...], capped: bool) -> float:
    """SoftTF-IDF cosine of two token lists, the mean of both directions: each word times the
    best weighted similarity of a word of the other name."""
    wl = [crm.weight(t, capped) for t in left]
    wr = [crm.weight(t, capped) for t in right]
    norm = math.sqrt(sum(w * w for w in wl)) * math.sqrt(sum(w * w for w in wr))
    if norm == 0:
        return 0.0
    sims = [[word_similarity(a, b) for b in right] for a in left]
    one = sum(wl[i] * max([wr[j] * s for j, s in enumerate(row)], default=0.0)
              for i, row in enumerate(sims))  # fmt: skip
    other = sum(wr[j] * max([wl[i] * sims[i][j] for i in range(len(left))], default=0.0)
                for j in range(len(right)))  # fmt: skip
    return min(1.0, max(0.0, 0.5 * (one + other) / norm))


@dataclass(frozen=True)
class NameMatch:
    """What the name comparison found for one (lead, account name) pair."""

    missing: bool
    """The lead gives no comparable name (none, or one in a script the other's is not)."""
    exact: bool
    sim: float
    from_part: bool
    cover: float
    adds: bool
    """The lead's name has a word that meets no word of the account's name, other than a
    qualifier (a country, a region, a part of a company)."""
    acronym: bool
    one_word: bool
    listed: bool


def _adds(lt: tuple[str, ...], nt: tuple[str, ...], lacked: list[str]) -> bool:
    """Whether the lead adds a word the account's name lacks other than a qualifier: a country,
    region or part of a company, not the lead's first word, where the account's name lacks no
    qualifier of its own."""
    words = qualifier_words()
    swapped = any(b in words and all(word_similarity(a, b) == 0 for a in lt) for b in nt)
    return any(a not in words or a == lt[0] or swapped for a in lacked)


def compare_names(crm: Crm, lead: LeadKeys, name: Name) -> NameMatch:
    """The name features of one pair, each rule as the features module states it."""
    lc, nc, lt, nt = lead.name.compact, name.compact, lead.name.tokens, name.tokens
    missing = not lc
    exact = not missing and lc == nc
    soft = soft_tfidf(crm, lt, nt, capped=True)
    lacked = [a for a in lt if all(word_similarity(a, b) == 0 for b in nt)]
    if lacked:
        soft = min(soft, soft_tfidf(crm, lt, nt, capped=False))  # the lead adds a word
    long_enough = len(nc) >= COMPACT_LETTERS
    compact = indel_similarity(lc, nc)
    whole = max(soft, compact if long_enough and compact >= SAME_COMPACT else 0.0)
    part = max((indel_similarity(p, nc) for p in lead.parts), default=0.0)
    part = part if (long_enough and part >= SAME_COMPACT) or part >= 1.0 else 0.0
    held = whole_weight = 0.0
    for b in nt:
        weight = crm.weight(b, capped=True)
        whole_weight += weight
        held += weight if any(word_similarity(a, b) > 0 for a in lt) else 0.0
    low, high = ACRONYM_WORD  # (the lead's word is 3+ letters: so is an acronym it equals)
    acronym = not missing and (
        (lc.isalpha() and low <= len(lc) <= high and lc == name.acronym)
        or (len(lead.name.acronym) >= ACRONYM_LETTERS and lead.name.acronym == nc)
    )
    return NameMatch(
        missing=missing or (not exact and lead.name.lossy != name.lossy),
        exact=exact,
        sim=1.0 if exact else max(whole, part),
        from_part=not exact and part > whole,
        cover=held / whole_weight if whole_weight > 0 and not missing else 0.0,
        adds=_adds(lead.name.tokens, nt, lacked),
        acronym=acronym,
        one_word=len(nt) == 1,
        listed=lead.listed,
    )


def _cut(value: float, cuts: tuple[tuple[str, float], ...], below: str) -> str:
    return next((level for level, cut in cuts if value >= cut), below)


def name_levels(
    m: NameMatch, domain: dict[str, str], generic: bool, same_country: bool, elsewhere: bool
) -> dict[str, str]:
    """The name comparisons' levels (``domain``: the pair's domain levels; ``elsewhere``:
    another candidate account has exactly the lead's name). At the account's own or group's
    domain, and where one name is the other's acronym, name and cover say nothing
    (name_at_domain speaks there)."""
    by_domain = domain["domain"] in ("exact", "family")
    neutral = m.missing or by_domain or m.acronym
    if neutral or (m.listed and not m.from_part and not m.exact):
        name = "missing"
    elif m.exact:
        name = "exact"
    elif m.from_part and m.sim >= PART_CUT:
        name = "part"
    else:
        name = _cut(m.sim, NAME_CUTS, "different")
    if neutral:
        cover = "missing"
    elif m.one_word and m.adds and m.cover >= COVER_CUTS[0][1]:
        cover = "one_word"  # the lead's own words hold the one word: the name says little
    elif m.cover < COVER_CUTS[0][1] and not m.adds and m.cover >= SHORTER_COVER:
        cover = "shorter"
    else:
        cover = _cut(m.cover, COVER_CUTS, "less")
    # A name unlike the account's at a domain the account alone owns says little against it,
    # unless it is exactly another candidate's name.
    alone = domain["domain"] == "exact" and domain["domain_owners"] == "one" and not elsewhere
    if not by_domain or m.missing or m.acronym:
        at_domain = "missing"
    else:
        unlike = "different" if alone else "shared"
        at_domain = "exact" if m.exact else _cut(m.sim, AT_DOMAIN_CUTS, unlike)
    agrees = m.exact or m.sim >= AGREEING_SIM or m.cover >= AGREEING_COVER
    return {
        "name": name,
        "name_cover": cover,
        "name_at_domain": at_domain,
        "acronym": ("agree_country" if same_country else "agree") if m.acronym else "unknown",
        "name_generic": "generic" if agrees and generic else "specific",
    }


def domain_levels(crm: Crm, lead: LeadKeys, company: Company) -> dict[str, str]:
    """The lead's domains against the account's: its own (and how many accounts own it), one
    of its company group's, the same brand, another company's, or nothing to compare."""
    group = crm.group[company.account_id]
    own = [len(crm.owners[k.domain]) for k in lead.domains if k.domain in company.domains]
    family = [
        len(crm.owners[k.domain])
        for k in lead.domains
        if any(crm.group[o] == group for o in crm.owners.get(k.domain, ()))
    ]
    owners = min(own or family or [0])
    if own or family:
        level = "exact" if own else "family"
    elif any(len(k.brand) >= BRAND_LETTERS and k.brand in company.brands for k in lead.domains):
        level = "brand"
    else:
        level = "conflict" if lead.domains and company.domains else "unknown"
    return {"domain": level, "domain_owners": owners_level(owners)}


def owners_level(owners: int) -> str:
    """How many accounts own the domain that linked a pair (0: none did)."""
    return (
        "unknown" if not owners else "one" if owners == 1
        else "few" if owners <= FEW_OWNERS else "many"
    )  # fmt: skip


def _agree(lead_value: str, account_value: str, conflict: str = "unknown") -> str:
    if not lead_value or not account_value:
        return "unknown"
    return "agree" if lead_value == account_value else conflict


def pair_levels(
    crm: Crm, lead: LeadKeys, company: Company, name: Name, candidates: int, elsewhere: bool
) -> tuple[dict[str, str], bool]:
    """Every comparison's level for one (lead, account name) pair, and whether the lead's name
    was missing (``candidates``: how many accounts blocking proposed for the lead;
    ``elsewhere``: another of them has exactly the lead's name)."""
    levels = domain_levels(crm, lead, company)
    by_domain = levels["domain"] in ("exact", "family")
    m = compare_names(crm, lead, name)
    levels["country"] = _agree(lead.country, company.country, "conflict")
    same_country = levels["country"] == "agree"
    levels.update(name_levels(m, levels, crm.generic(name), same_country, elsewhere))
    levels["legal_form"] = _agree(lead.name.legal, name.legal, "conflict")
    levels["city"] = _agree(lead.city, company.city)
    levels["phone"] = _agree(lead.phone, company.phone)
    count = candidates if not m.missing or by_domain else SOME_CANDIDATES + 1
    levels["candidates"] = (
        "one" if count == 1 else "two" if count == 2 else "few" if count <= FEW_CANDIDATES
        else "some" if count <= SOME_CANDIDATES else "many"
    )  # fmt: skip
    return levels, m.missing


def probability(config: MatchConfig, total: float) -> float:
    """The calibration's points joined by straight lines, flat beyond them; without any,
    ``1 / (1 + 2 ** -total)``."""
    points = config.weights.calibration
    if not points:
        return 1.0 / (1.0 + math.pow(2.0, -total))
    if total <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if total < x1:
            return y0 + (y1 - y0) / (x1 - x0) * (total - x0)
    return points[-1][1]


@dataclass(frozen=True)
class Scored:
    """One account for a lead: its best name's levels and scores."""

    company: Company
    group: str
    levels: dict[str, str]
    said_missing: bool
    """The name comparison is missing because the lead's name is (evidence says so)."""
    raw: float
    total: float
    prob: float
    alone: float

    @property
    def account_id(self) -> str:
        return self.company.account_id


def score_accounts(
    crm: Crm, config: MatchConfig, lead: Lead, pool: Proposed, proposed: Collection[str]
) -> list[Scored]:
    """Each account of ``pool`` scored against the lead by the best of its names there; the
    candidates level counts the ``proposed`` accounts (and the pair's own), the rival gap
    reads the proposed accounts."""
    w = config.weights
    keys = LeadKeys.of(lead)
    lead_name = keys.name.compact
    exact_at = {
        a for a in {*proposed} & pool.keys()
        if lead_name and any(n.compact == lead_name for n in crm.companies[a].names
                             if n.ascii in pool[a])
    }  # fmt: skip
    per_name: dict[str, list[tuple[float, dict[str, str], bool]]] = {}
    for account_id, wanted in pool.items():
        company = crm.companies[account_id]
        count = len({*proposed, account_id})
        elsewhere = bool(exact_at - {account_id})
        per_name[account_id] = []
        for name in (n for n in company.names if n.ascii in wanted):
            levels, missing = pair_levels(crm, keys, company, name, count, elsewhere)
            raw = w.prior + sum(getattr(w, c)[level] for c, level in levels.items())
            per_name[account_id].append((raw, levels, missing))
    best_raw = {a: max(r for r, _, _ in pairs) for a, pairs in per_name.items()}
    out = []
    for account_id, pairs in per_name.items():
        group = crm.group[account_id]
        rivals = [best_raw[a] for a in proposed if a in best_raw and crm.group[a] != group]
        rival = max([*rivals, w.prior])
        scored = []
        for raw, levels, missing in pairs:
            gap = min(max(raw - rival, -GAP_CAP), GAP_CAP)
            ahead = min(max(raw - w.prior, -GAP_CAP), GAP_CAP)
            total = raw + w.gap * gap
            alone = probability(config, raw + w.gap * ahead)
            scored.append((total, raw, levels, missing, alone))
        total, raw, levels, missing, alone = max(scored, key=lambda s: s[0])  # first of ties
        out.append(
            Scored(
                crm.companies[account_id], group, levels, missing, raw, total,
                probability(config, total), alone,
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Expected:
    """What the fast path must return for a lead."""

    account_id: str | None
    candidate_id: str | None
    confidence: float
    decision: str
    alternatives: tuple[tuple[str, bool, float], ...]
    """(account id, of the winner's company group, confidence)."""
    tie_note: bool
    """Evidence carries a ``tie_break`` note (a rival, or the rule among one group's records)."""
    rival_note: str | None
    """The id quoted by "another company scores alike (...)", when that note is given."""
    ultimate_parent_id: str | None
    evidence: frozenset[tuple[str, str]]
    """(signal, level) of the chosen pair's evidence, the tie-break note left out."""


def _decide(config: MatchConfig, winner: Scored, ambiguous: bool) -> str:
    """matched / review / unmatched on the confidence as results show it (rounded): a result
    shown at the threshold is decided as at the threshold. An ambiguous lead is reviewed when
    the winner alone (without its rival) would be."""
    shown = round(winner.prob, SHOWN_PLACES)
    if shown >= config.match_threshold and not ambiguous:
        return "matched"
    reviewable = shown >= config.review_threshold or (
        ambiguous and winner.alone >= config.review_threshold
    )
    return "review" if reviewable else "unmatched"


def resolve_one(crm: Crm, config: MatchConfig, lead: Lead, proposed: Proposed) -> Expected:
    """The lead's result among the account names blocking ``proposed``."""
    return _resolve(crm, config, lead, proposed, proposed)


def best_anywhere(crm: Crm, config: MatchConfig, lead: Lead, proposed: Proposed) -> str:
    """The account the lead would be ``matched`` to had blocking proposed every name of every
    account (each scored as if proposed beside those that were), or ``""``: blocking must not
    leave it out."""
    every_name = {a: {n.ascii for n in c.names} for a, c in crm.companies.items()}
    every = _resolve(crm, config, lead, every_name, proposed)
    return every.account_id or "" if every.decision == "matched" else ""


def _resolve(
    crm: Crm, config: MatchConfig, lead: Lead, pool: Proposed, proposed: Collection[str]
) -> Expected:
    """The rule of resolve.py over the accounts of ``pool``: the top account (highest score,
    then smallest id); its contenders (same company group, within ``tie_margin`` of it, as
    likely as it, or ``matched`` on their own: shown at the threshold or above); the winner by
    the lead's country, within the margin, the lead's domain its own, highest in its
    hierarchy, smallest id; a rival
    (another group within the margin) makes the lead ambiguous, and is listed first among the
    alternatives."""
    scored = score_accounts(crm, config, lead, pool, proposed)
    if not scored:
        nothing = frozenset({("candidates", "none")})
        return Expected(None, None, 0.0, "unmatched", (), False, None, None, nothing)
    top = min(scored, key=lambda s: (-s.total, s.account_id))
    near = {s.account_id for s in scored if s.total >= top.total - config.tie_margin}
    plausible = {
        s.account_id
        for s in scored
        if s.prob >= top.prob or round(s.prob, SHOWN_PLACES) >= config.match_threshold
    }
    contenders = [s for s in scored if s.group == top.group and s.account_id in near | plausible]
    rivals = {s.account_id for s in scored if s.account_id in near and s.group != top.group}
    winner = min(
        contenders,
        key=lambda s: (
            s.levels["country"] != "agree",
            s.account_id not in near,
            s.levels["domain"] != "exact",
            len(crm.chain(s.account_id)) - 1,
            s.account_id,
        ),
    )
    decision = _decide(config, winner, bool(rivals))
    listed = [s for s in scored if s.prob >= MIN_ALTERNATIVE or s.account_id in rivals]
    others = [s for s in listed if s is not winner]
    others.sort(key=lambda s: (s.account_id not in rivals, -s.total, s.account_id))
    alternatives = tuple(
        (s.account_id, s.group == winner.group, s.prob) for s in others[: config.max_alternatives]
    )
    rival_note = None
    if rivals and decision == "review":
        rival_note = next((a for a, related, _ in alternatives if not related), "?")
    picked = decision != "unmatched"
    return Expected(
        account_id=winner.account_id if picked else None,
        candidate_id=winner.account_id,
        confidence=winner.prob,
        decision=decision,
        alternatives=alternatives,
        tie_note=rival_note is not None or len(contenders) > 1,
        rival_note=rival_note,
        ultimate_parent_id=crm.chain(winner.account_id)[-1] if picked else None,
        evidence=frozenset(
            (c, level)
            for c, level in winner.levels.items()
            if level != NEUTRAL[c] or (c == "name" and winner.said_missing)
        ),
    )
