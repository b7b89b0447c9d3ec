"""What an index's tables say, written without row numbers or ids: accounts by account id,
names by (account id, name), words and domains by their text, and each look-up table by
looking up the keys of what is live.

An index changed in place (``tables/edit_in_place.py``: rows of removed accounts kept until
compaction, words and domains numbered in the order they came) and one built fresh from the
final accounts differ in every number, yet must say the same: ``canonical(edited) ==
canonical(fresh)``. What must hold in order (a word's names by account id, a domain's owners)
is compared in order; what has no order (a company group) as a set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leadmatch import AccountIndex
from leadmatch._util.keys import KeyTable, hash_keys
from leadmatch.tables import pair_keys, typo_variants_of
from leadmatch.tables.lookups import ID_BITS

Name = tuple[str, str]


def _row(ptr: Any, values: Any, i: int) -> list[int]:
    """Row ``i`` of a CSR table."""
    row: list[int] = values[ptr[i] : ptr[i + 1]].tolist()
    return row


class _Reader:
    """One index version's rows read back as ids and texts."""

    def __init__(self, index: AccountIndex) -> None:
        view = index.view()
        self.d, self.lk = view.data, view.lookups
        self.live = np.sort(self.lk.family_rows)
        self.ids = self.d.account_id.tolist()
        self.tokens = self.d.tokens.tolist()
        self.domains = self.d.domains.tolist()

    def name(self, row: int) -> Name:
        return self.ids[int(self.d.name_owner[row])], self.d.name_ascii[row]

    def names_of(self, rows: Any) -> list[Name]:
        return [self.name(int(r)) for r in rows]

    def account_names(self, row: int) -> list[int]:
        return _row(self.lk.acct_name_ptr, self.lk.acct_name_rows, row)

    def account_domains(self, row: int) -> list[str]:
        return [self.domains[k] for k in _row(self.d.domain_ptr, self.d.domain_ids, row)]

    def name_words(self, name_row: int) -> list[str]:
        return [self.tokens[t] for t in _row(self.d.name_tok_ptr, self.d.name_tok_ids, name_row)]

    def live_names(self) -> list[int]:
        return [n for row in self.live.tolist() for n in self.account_names(row)]

    def looked_up(self, table: KeyTable, keys: list[str]) -> dict[str, list[int]]:
        """Key -> the values the table holds for it (in order)."""
        rows, values = table.gather(np.arange(len(keys)), hash_keys(keys), 1 << 30)
        found: dict[str, list[int]] = {k: [] for k in keys}
        for row, value in zip(rows.tolist(), values.tolist()):
            found[keys[row]].append(value)
        return found


def _accounts(r: _Reader) -> dict[str, Any]:
    d, lk = r.d, r.lk
    fields = len(d.field_names)
    groups: dict[int, set[str]] = {}
    for row in r.live.tolist():
        groups.setdefault(int(lk.group[row]), set()).add(r.ids[row])
    out = {}
    for row in r.live.tolist():
        parent = int(d.parent_row[row])
        out[r.ids[row]] = {
            "record": (d.display_name[row], d.country[row], d.city[row], d.phone[row]),
            "parent": (d.parent_id[row], r.ids[parent] if parent >= 0 else None),
            "fields": d.field_values[row * fields : (row + 1) * fields],
            "domains": r.account_domains(row),
            "ultimate": r.ids[int(lk.ultimate_row[row])],
            "depth": int(lk.depth[row]),
            "group": frozenset(groups[int(lk.group[row])]),
            "hashes": (lk.country_hash[row], lk.city_hash[row], lk.phone_hash[row]),
            "names": [_name(r, n) for n in r.account_names(row)],
        }
    return out


def _name(r: _Reader, n: int) -> tuple[Any, ...]:
    d, lk = r.d, r.lk
    return (
        r.name(n), d.name_raw[n], d.name_legal[n], d.name_acronym[n], bool(d.name_lossy[n]),
        r.name_words(n), bool(lk.name_generic[n]), lk.name_compact[n], int(lk.name_compact_len[n]),
        lk.legal_hash[n], lk.acronym_hash[n], lk.compact_hash[n], lk.ascii_hash[n],
    )  # fmt: skip


def _families(r: _Reader) -> dict[str, frozenset[str]]:
    """Each account's family (the rows the family blocker expands a domain hit to)."""
    lk = r.lk
    out = {}
    for group in range(len(lk.family_ptr) - 1):
        members = _row(lk.family_ptr, lk.family_rows, group)
        for row in members:
            out[r.ids[row]] = frozenset(r.ids[k] for k in members)
    return out


def _words(r: _Reader) -> dict[str, Any]:
    lk = r.lk
    live = sorted({w for n in r.live_names() for w in r.name_words(n)})
    at = r.looked_up(lk.token_table, live)
    out: dict[str, Any] = {}
    for word in live:
        (t,) = at[word]
        assert r.tokens[t] == word
        postings = _row(lk.post_ptr, lk.post_rows, t)
        out[word] = (int(lk.token_df[t]), float(lk.idf[t]), float(lk.idf_raw[t]),
                     bool(lk.token_common[t]), r.names_of(postings))  # fmt: skip
    # The words' alphabetical ranks, in the order of the words.
    ranks = [int(lk.token_rank[at[w][0]]) for w in live]
    out["(rank order)"] = ranks == sorted(ranks)
    positions, variants = typo_variants_of(live)
    found = r.looked_up(lk.typo_table, variants)
    typos: dict[str, set[str]] = {}
    for k, v in zip(positions, variants):
        typos.setdefault(live[k], set()).update(r.tokens[t] for t in found[v])
    out["(typos)"] = typos
    return out


def _domains(r: _Reader) -> dict[str, Any]:
    d, lk = r.d, r.lk
    live = sorted({domain for row in r.live.tolist() for domain in r.account_domains(row)})
    at = r.looked_up(lk.domain_table, live)
    out: dict[str, Any] = {}
    brand_text: dict[int, str] = {}
    for domain in live:
        (k,) = at[domain]
        owners = _row(lk.domain_acct_ptr, lk.domain_acct_rows, k)
        brand_text[int(lk.domain_brand[k])] = d.brands[k]
        first = int(lk.domain_first_owner[k])
        out[domain] = ([r.ids[o] for o in owners], r.ids[first], d.brands[k])
    brands = sorted(set(brand_text.values()) - {""})
    ids = r.looked_up(lk.brand_table, brands)
    for brand in brands:
        (b,) = ids[brand]
        out["brand " + brand] = [r.ids[o] for o in _row(lk.brand_acct_ptr, lk.brand_acct_rows, b)]
    mask = (1 << ID_BITS) - 1
    out["(account domains)"] = sorted(
        (r.ids[key >> ID_BITS], r.domains[key & mask]) for key in lk.acct_domain_keys.tolist()
    )
    out["(account brands)"] = sorted(
        (r.ids[key >> ID_BITS], brand_text.get(key & mask, "?"))
        for key in lk.acct_brand_keys.tolist()
    )
    return out


def _name_tables(r: _Reader) -> dict[str, Any]:
    lk, d = r.lk, r.d
    names = r.live_names()
    compact = sorted({lk.name_compact[n] for n in names} - {""})
    acronyms = sorted({d.name_acronym[n] for n in names} - {""})
    exact = r.looked_up(lk.exact_table, compact)
    acronym = r.looked_up(lk.acronym_table, acronyms)
    out: dict[str, Any] = {"exact " + k: r.names_of(rows) for k, rows in exact.items()}
    out.update({"acronym " + k: r.names_of(rows) for k, rows in acronym.items()})
    words = r.looked_up(lk.token_table, sorted({w for n in names for w in r.name_words(n)}))
    pairs = sorted({(a, b) for n in names for a in r.name_words(n) for b in r.name_words(n)
                    if a != b})  # fmt: skip
    if pairs:
        first = np.array([words[a][0] for a, _ in pairs], dtype=np.int64)
        second = np.array([words[b][0] for _, b in pairs], dtype=np.int64)
        rows, values = lk.pair_table.gather(
            np.arange(len(pairs)), pair_keys(first, second), 1 << 30
        )
        for k, v in zip(rows.tolist(), values.tolist()):
            out.setdefault(f"pair {pairs[k]}", []).append(r.name(v))
    return out


def canonical(index: AccountIndex) -> dict[str, Any]:
    """Everything the index's tables say, by id and text (see the module docstring)."""
    r = _Reader(index)
    return {
        "accounts": _accounts(r),
        "families": _families(r),
        "id order": [r.ids[k] for k in sorted(r.live.tolist(), key=lambda k: r.lk.id_rank[k])],
        "fields": list(r.d.field_names),
        "words": _words(r),
        "domains": _domains(r),
        "names": _name_tables(r),
        "rows": len(r.live),
    }
