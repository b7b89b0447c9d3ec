"""A slow, obvious resolver: every lead against every account, one pair at a time, plain Python.

It shares only the pure normalizers and the index's token weights with the fast path; blocking,
the vectorized features, the level selection and the tie-break are written again here the
straightforward way, so that the fast resolver can be checked against it on small data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rapidfuzz import fuzz

from leadmatch import Account, AccountIndex, Lead, MatchConfig
from leadmatch.match.features import COMPACT_THRESHOLD, TOKEN_SCORER, TOKEN_THRESHOLD
from leadmatch.match.scoring import NAME_CUTS
from leadmatch.normalize import (
    domain_key,
    is_hosting_domain,
    normalize_city,
    normalize_country,
    normalize_name,
    parse_email,
    phone_key,
)
from leadmatch.normalize.leads import company_domains, company_name
from leadmatch.normalize.names import common_words, is_lossy_script
from leadmatch.tables.lookups import GENERIC_IDF


@dataclass
class Expected:
    account_id: str | None
    candidate_id: str | None
    confidence: float
    decision: str


def _weight(index: AccountIndex, token: str, capped: bool) -> float:
    lk = index.lookups
    tok = {t: i for i, t in enumerate(index.data.tokens)}.get(token)
    weight = lk.unseen_idf() if tok is None else float(lk.idf_raw[tok])
    return min(weight, GENERIC_IDF) if capped and token in common_words() else weight


def soft_tfidf(index: AccountIndex, left: list[str], right: list[str]) -> float:
    """Capped weights, unless the lead has a word the account lacks: then also uncapped, min."""

    def lonely(a: list[str], b: list[str]) -> bool:
        return any(all(TOKEN_SCORER(t, u) < TOKEN_THRESHOLD for u in b) for t in a)

    capped = _soft_tfidf(index, left, right, capped=True)
    if lonely(left, right):
        return min(capped, _soft_tfidf(index, left, right, capped=False))
    return capped


def _soft_tfidf(index: AccountIndex, left: list[str], right: list[str], capped: bool) -> float:
    wl = {t: _weight(index, t, capped) for t in left}
    wr = {t: _weight(index, t, capped) for t in right}
    norm = math.sqrt(sum(w * w for w in wl.values())) * math.sqrt(sum(w * w for w in wr.values()))
    if norm == 0:
        return 0.0

    def one_way(a: dict[str, float], b: dict[str, float]) -> float:
        total = 0.0
        for token, weight in a.items():
            best = 0.0
            for other, other_weight in b.items():
                sim = TOKEN_SCORER(token, other)
                if sim >= TOKEN_THRESHOLD:
                    best = max(best, other_weight * sim)
            total += weight * best
        return total

    return min(1.0, max(0.0, 0.5 * (one_way(wl, wr) + one_way(wr, wl)) / norm))


def _level(weights: dict[str, float], level: str) -> float:
    return weights[level]


def pair_total(
    index: AccountIndex, config: MatchConfig, lead: Lead, account: Account, name: str | None
) -> tuple[float, bool]:
    """Summed log2 weight of one (lead, account name) pair, and whether countries agree."""
    w = config.weights
    lk = index.lookups
    total = w.prior
    # domain
    lead_domains = company_domains(parse_email(lead.email), domain_key(lead.website))
    own = []
    for raw in (account.domain, *account.alias_domains):
        key = domain_key(raw)
        platform = is_hosting_domain(key.domain)
        words = normalize_name(account.name).ascii.split()
        if platform and key.brand.replace("-", "") not in {*words, "".join(words)}:
            continue
        if key.domain and key not in own:
            own.append(key)
    row = index.view().tables.row_of_id[account.account_id]
    family = False
    for key in lead_domains[:2]:
        dom = {d: i for i, d in enumerate(index.data.domains)}.get(key.domain)
        if dom is not None and lk.domain_acct_ptr[dom + 1] > lk.domain_acct_ptr[dom]:
            owner = lk.domain_acct_rows[lk.domain_acct_ptr[dom]]
            family |= bool(lk.group[owner] == lk.group[row])
    if any(k.domain in {o.domain for o in own} for k in lead_domains[:2]):
        total += w.domain["exact"]
    elif family:
        total += w.domain["family"]
    elif any(
        len(k.brand) >= 3
        and k.brand in set(index.data.brands)
        and k.brand in {o.brand for o in own}
        for k in lead_domains[:2]
    ):
        total += w.domain["brand"]
    elif lead_domains and own:
        total += w.domain["conflict"]
    # name
    ln = company_name(lead.company)
    an = normalize_name(name)
    lc, ac = ln.ascii.replace(" ", ""), an.ascii.replace(" ", "")
    exact = bool(lc) and lc == ac
    soft = soft_tfidf(
        index, list(dict.fromkeys(ln.ascii.split())), list(dict.fromkeys(an.ascii.split()))
    )
    compact = fuzz.ratio(lc, ac) / 100.0
    sim = (
        1.0
        if exact
        else max(soft, compact if len(ac) >= 6 and compact >= COMPACT_THRESHOLD else 0.0)
    )
    acronym = bool(lc) and (
        (lc.isalpha() and 3 <= len(lc) <= 8 and lc == an.acronym)
        or (len(ln.acronym) >= 3 and ln.acronym == ac)
    )
    if not lc or (not exact and is_lossy_script(ln.base) != is_lossy_script(an.base)):
        level = "missing"
    elif exact:
        level = "exact"
    elif sim >= NAME_CUTS["very_similar"]:
        level = "very_similar"
    elif sim >= NAME_CUTS["similar"]:
        level = "similar"
    elif acronym:
        level = "acronym"
    elif sim >= NAME_CUTS["related"]:
        level = "related"
    elif sim >= NAME_CUTS["weak"]:
        level = "weak"
    else:
        level = "different"
    total += w.name[level]
    name_row = next(
        r
        for r in range(lk.acct_name_ptr[row], lk.acct_name_ptr[row + 1])
        if index.data.name_ascii[lk.acct_name_rows[r]] == an.ascii
    )
    generic = bool(lk.name_generic[lk.acct_name_rows[name_row]])
    agrees = bool(lc) and (exact or sim >= NAME_CUTS["similar"])
    total += w.name_generic["generic" if agrees and generic else "specific"]
    # legal form, country, city, phone
    if ln.legal_form and an.legal_form:
        total += w.legal_form["agree" if ln.legal_form == an.legal_form else "conflict"]
    lcountry, acountry = normalize_country(lead.country), normalize_country(account.country)
    if lcountry and acountry:
        total += w.country["agree" if lcountry == acountry else "conflict"]
    if normalize_city(lead.city) and normalize_city(lead.city) == normalize_city(account.city):
        total += w.city["agree"]
    if phone_key(lead.phone) and phone_key(lead.phone) == phone_key(account.phone):
        total += w.phone["agree"]
    return total, bool(lcountry and lcountry == acountry)


def resolve_one(index: AccountIndex, accounts: list[Account], lead: Lead) -> Expected:
    config = index.config
    lk = index.lookups
    scored = []
    for account in accounts:
        names = [n for n in (account.name, *account.aliases) if normalize_name(n).ascii] or [""]
        total, in_country = max(pair_total(index, config, lead, account, n) for n in names)
        scored.append((total, 1.0 / (1.0 + 2.0**-total), in_country, account))
    if not scored:
        return Expected(None, None, 0.0, "unmatched")
    top = min(scored, key=lambda s: (-s[0], s[3].account_id))

    def group(s: tuple[float, float, bool, Account]) -> int:
        return int(lk.group[index.view().tables.row_of_id[s[3].account_id]])

    near = [s for s in scored if s[0] >= top[0] - config.tie_margin]
    plausible = [s for s in scored if s[1] >= min(top[1], config.match_threshold)]
    contenders = [s for s in scored if group(s) == group(top) and (s in near or s in plausible)]
    winner = min(
        contenders,
        key=lambda s: (
            not s[2],
            s not in near,
            lk.depth[index.view().tables.row_of_id[s[3].account_id]],
            s[3].account_id,
        ),
    )
    ambiguous = any(group(s) != group(top) for s in near)
    confidence = winner[1]
    if confidence >= config.match_threshold and not ambiguous:
        decision = "matched"
    elif confidence >= config.review_threshold:
        decision = "review"
    else:
        decision = "unmatched"
    account_id = winner[3].account_id
    return Expected(
        None if decision == "unmatched" else account_id, account_id, confidence, decision
    )
