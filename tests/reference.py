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
from leadmatch.match.features import (
    COMPACT_THRESHOLD,
    PREFIX_LETTERS,
    PREFIX_SHARE,
    TOKEN_SCORER,
    TOKEN_THRESHOLD,
    TYPO_LETTERS,
)
from leadmatch.match.scoring import (
    AGREEING_COVER,
    AGREEING_SIM,
    COVER_CUTS,
    DOMAIN_NAME_CUTS,
    FEW_CANDIDATES,
    GAP_CAP,
    NAME_CUTS,
    PART_CUT,
    SOME_CANDIDATES,
)
from leadmatch.normalize import (
    domain_key,
    is_hosting_domain,
    is_list,
    name_parts,
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


def token_sim(lead_word: str, name_word: str) -> float:
    """A lead's word against an account's: OSA (0 for a typo between words of under 5
    letters), or the threshold where one word is the start of the other (4+ letters, half
    the other's length or more)."""
    sim = float(TOKEN_SCORER(lead_word, name_word))
    if TOKEN_THRESHOLD <= sim < 1.0 and min(len(lead_word), len(name_word)) < TYPO_LETTERS:
        sim = 0.0
    short, long = sorted((lead_word, name_word), key=len)
    cut = (
        short != long
        and len(short) >= PREFIX_LETTERS
        and long.startswith(short)
        and len(short) >= PREFIX_SHARE * len(long)
    )
    return max(sim, TOKEN_THRESHOLD) if cut else sim


def soft_tfidf(index: AccountIndex, left: list[str], right: list[str]) -> float:
    """Capped weights, unless the lead has a word the account lacks: then also uncapped, min."""

    def lonely(a: list[str], b: list[str]) -> bool:
        return any(all(token_sim(t, u) < TOKEN_THRESHOLD for u in b) for t in a)

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

    def one_way(a: dict[str, float], b: dict[str, float], lead_first: bool) -> float:
        total = 0.0
        for token, weight in a.items():
            best = 0.0
            for other, other_weight in b.items():
                sim = token_sim(token, other) if lead_first else token_sim(other, token)
                if sim >= TOKEN_THRESHOLD:
                    best = max(best, other_weight * sim)
            total += weight * best
        return total

    return min(1.0, max(0.0, 0.5 * (one_way(wl, wr, True) + one_way(wr, wl, False)) / norm))


def _cover(index: AccountIndex, lead_tokens: list[str], name_tokens: list[str]) -> float:
    """Share of the name's (uncapped) weight whose words meet a word of the lead's."""
    whole = held = 0.0
    for token in name_tokens:
        weight = _weight(index, token, capped=False)
        sims = [token_sim(other, token) for other in lead_tokens]
        whole += weight
        held += weight if any(x >= TOKEN_THRESHOLD for x in sims) else 0.0
    return held / whole if whole > 0 else 0.0


def _own_domains(account: Account) -> list[str]:
    own: list[str] = []
    words = normalize_name(account.name).ascii.split()
    for raw in (account.domain, *account.alias_domains):
        key = domain_key(raw)
        platform = is_hosting_domain(key.domain)
        if not key.domain or (
            platform and key.brand.replace("-", "") not in {*words, "".join(words)}
        ):
            continue
        for variant in key.variants():
            if variant.domain not in own:
                own.append(variant.domain)
    return own


def _domain(index: AccountIndex, lead: Lead, account: Account) -> tuple[str, int]:
    """(domain level, accounts owning the lead's domain that gave it: 0 unless exact or
    family)."""
    lk = index.lookups
    lead_domains = company_domains(parse_email(lead.email), domain_key(lead.website))
    own = _own_domains(account)
    row = index.view().tables.row_of_id[account.account_id]
    ids = {d: i for i, d in enumerate(index.data.domains)}
    owners = [
        int(lk.domain_acct_ptr[ids[k.domain] + 1] - lk.domain_acct_ptr[ids[k.domain]])
        for k in lead_domains
        if k.domain in own
    ]
    if owners:
        return "exact", min(owners)
    in_group = []
    for key in lead_domains:
        dom = ids.get(key.domain)
        if dom is not None and lk.domain_acct_ptr[dom + 1] > lk.domain_acct_ptr[dom]:
            owner = lk.domain_acct_rows[lk.domain_acct_ptr[dom]]
            if lk.group[owner] == lk.group[row]:
                in_group.append(int(lk.domain_acct_ptr[dom + 1] - lk.domain_acct_ptr[dom]))
    if in_group:
        return "family", min(in_group)
    brands = {domain_key(d).brand for d in own}
    if any(len(k.brand) >= 3 and k.brand in set(index.data.brands) and k.brand in brands
           for k in lead_domains):  # fmt: skip
        return "brand", 0
    return ("conflict" if lead_domains and own else "unknown"), 0


def _cut(value: float, cuts: dict[str, float], below: str) -> str:
    return next((level for level, cut in cuts.items() if value >= cut), below)


def pair_total(
    index: AccountIndex,
    config: MatchConfig,
    lead: Lead,
    account: Account,
    name: str | None,
    candidates: int,
) -> tuple[float, bool]:
    """Summed log2 weight of one (lead, account name) pair, and whether countries agree
    (``candidates``: how many accounts blocking proposed for the lead)."""
    w = config.weights
    lk = index.lookups
    levels: dict[str, str] = {}
    domain, owners = _domain(index, lead, account)
    levels["domain"] = domain
    levels["domain_owners"] = (
        "unknown" if owners == 0 else "one" if owners == 1 else "few" if owners <= 3 else "many"
    )
    # name
    ln = company_name(lead.company)
    an = normalize_name(name)
    lc, ac = ln.ascii.replace(" ", ""), an.ascii.replace(" ", "")
    exact = bool(lc) and lc == ac
    lead_tokens = list(dict.fromkeys(ln.ascii.split()))
    name_tokens = list(dict.fromkeys(an.ascii.split()))
    soft = soft_tfidf(index, lead_tokens, name_tokens)
    compact = fuzz.ratio(lc, ac) / 100.0
    long_enough = len(ac) >= 6
    whole = max(soft, compact if long_enough and compact >= COMPACT_THRESHOLD else 0.0)
    parts = name_parts(lead.company or "") if lead.company else ()
    part = max((fuzz.ratio(p, ac) / 100.0 for p in parts), default=0.0)
    part = part if (long_enough and part >= COMPACT_THRESHOLD) or part >= 1.0 else 0.0
    from_part = not exact and part > whole
    sim = 1.0 if exact else max(whole, part)
    cover = _cover(index, lead_tokens, name_tokens) if lc else 0.0
    acronym = bool(lc) and (
        (lc.isalpha() and 3 <= len(lc) <= 8 and lc == an.acronym)
        or (len(ln.acronym) >= 3 and ln.acronym == ac)
    )
    missing = not lc or (not exact and is_lossy_script(ln.base) != is_lossy_script(an.base))
    by_domain = domain in ("exact", "family")
    elsewhere = missing or by_domain or acronym
    listed = bool(lead.company) and is_list(lead.company or "")
    if elsewhere or (listed and not from_part and not exact):
        levels["name"] = "missing"
    elif exact:
        levels["name"] = "exact"
    elif from_part and sim >= PART_CUT:
        levels["name"] = "part"
    else:
        levels["name"] = _cut(sim, NAME_CUTS, "different")
    one_word = len(name_tokens) == 1
    if elsewhere:
        levels["name_cover"] = "missing"
    elif one_word and cover >= COVER_CUTS["all"]:
        levels["name_cover"] = "one_word"
    else:
        levels["name_cover"] = _cut(cover, COVER_CUTS, "less")
    if not by_domain or missing or acronym:
        levels["name_at_domain"] = "missing"
    else:
        levels["name_at_domain"] = "exact" if exact else _cut(sim, DOMAIN_NAME_CUTS, "different")
    levels["acronym"] = "agree" if acronym else "unknown"
    row = index.view().tables.row_of_id[account.account_id]
    name_row = next(
        r
        for r in range(lk.acct_name_ptr[row], lk.acct_name_ptr[row + 1])
        if index.data.name_ascii[lk.acct_name_rows[r]] == an.ascii
    )
    generic = bool(lk.name_generic[lk.acct_name_rows[name_row]])
    agrees = exact or sim >= AGREEING_SIM or cover >= AGREEING_COVER
    levels["name_generic"] = "generic" if agrees and generic else "specific"
    # legal form, country, city, phone
    levels["legal_form"] = "unknown"
    if ln.legal_form and an.legal_form:
        levels["legal_form"] = "agree" if ln.legal_form == an.legal_form else "conflict"
    lcountry, acountry = normalize_country(lead.country), normalize_country(account.country)
    levels["country"] = "unknown"
    if lcountry and acountry:
        levels["country"] = "agree" if lcountry == acountry else "conflict"
    city = normalize_city(lead.city)
    levels["city"] = "agree" if city and city == normalize_city(account.city) else "unknown"
    phone = phone_key(lead.phone)
    levels["phone"] = "agree" if phone and phone == phone_key(account.phone) else "unknown"
    compared = not missing or by_domain  # else nothing for the count to amplify
    levels["candidates"] = (
        "many" if not compared else "one" if candidates == 1 else "two" if candidates == 2
        else "few" if candidates <= FEW_CANDIDATES else "some" if candidates <= SOME_CANDIDATES
        else "many"
    )  # fmt: skip
    total = w.prior + sum(getattr(w, c)[level] for c, level in levels.items())
    return total, bool(lcountry and lcountry == acountry)


def _confidence(config: MatchConfig, total: float) -> float:
    points = config.weights.calibration
    if not points:
        return 1.0 / (1.0 + 2.0**-total)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    if total <= xs[0]:
        return ys[0]
    if total >= xs[-1]:
        return ys[-1]
    k = next(i for i in range(1, len(xs)) if xs[i] >= total)
    return ys[k - 1] + (ys[k] - ys[k - 1]) * (total - xs[k - 1]) / (xs[k] - xs[k - 1])


def resolve_one(
    index: AccountIndex, accounts: list[Account], lead: Lead, seen: set[str] | None = None
) -> Expected:
    """Every account scored against the lead. ``seen``: the accounts blocking proposed, when
    given; a pair's lead over its rivals (``Weights.gap``) counts those rivals only, and the
    ``candidates`` level counts them, as the fast path does (whether blocking finds the
    winner is still checked: it is any account)."""
    config = index.config
    lk = index.lookups

    def group_of(account: Account) -> int:
        return int(lk.group[index.view().tables.row_of_id[account.account_id]])

    raw = []
    for account in accounts:
        names = [n for n in (account.name, *account.aliases) if normalize_name(n).ascii] or [""]
        # The count this pair would have had, had blocking proposed its account too.
        count = len(seen | {account.account_id}) if seen is not None else len(accounts)
        total, in_country = max(pair_total(index, config, lead, account, n, count) for n in names)
        raw.append((total, in_country, account))
    if not raw:
        return Expected(None, None, 0.0, "unmatched")
    scored = []
    alone: dict[str, float] = {}
    for total, in_country, account in raw:
        rival = max(
            [t for t, _, a in raw
             if group_of(a) != group_of(account) and (seen is None or a.account_id in seen)],
            default=-1e9,
        )  # fmt: skip
        gap = min(max(total - max(rival, config.weights.prior), -GAP_CAP), GAP_CAP)
        adjusted = total + config.weights.gap * gap
        scored.append((adjusted, _confidence(config, adjusted), in_country, account))
        ahead = min(max(total - config.weights.prior, -GAP_CAP), GAP_CAP)
        alone[account.account_id] = _confidence(config, total + config.weights.gap * ahead)
    top = min(scored, key=lambda s: (-s[0], s[3].account_id))

    def group(s: tuple[float, float, bool, Account]) -> int:
        return group_of(s[3])

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
    elif confidence >= config.review_threshold or (
        ambiguous and alone[winner[3].account_id] >= config.review_threshold
    ):
        decision = "review"
    else:
        decision = "unmatched"
    account_id = winner[3].account_id
    return Expected(
        None if decision == "unmatched" else account_id, account_id, confidence, decision
    )
