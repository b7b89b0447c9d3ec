"""Duplicate accounts: the same company recorded more than once in one CRM (clean-up before,
and beside, lead matching).

Two accounts are the same company when they share a registered domain (either one's domain or
alias domain) in the same country (an account without a country joins those of every
country, when the domain's other accounts have one country), or when they have the same
normalized name in the same country. A parent and its subsidiary (any ancestor and
descendant) are never duplicates, whatever they share: a hierarchy is not a duplicate, and an
account whose ancestor ends up in its group (through a third record) leaves the group (checked
in groups of up to :data:`ALL_PAIRS` accounts). Records joined by such links, directly or
through others, form one group; its survivor is chosen by the resolver's tie-break rule: the
account highest in its hierarchy, then the smallest id. All of it runs on the index's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from leadmatch._util.arrays import (
    BoolArray,
    IntArray,
    connected_components,
    first_of_groups,
    group_by,
    offsets,
)
from leadmatch._util.keys import hash_keys
from leadmatch.match import IndexView, view_of
from leadmatch.tables import MAX_HIERARCHY_DEPTH

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

#: Accounts sharing one domain or name in one country that are all paired with each other;
#: a larger run (a domain of 500 accounts) pairs each with the first only.
ALL_PAIRS = 50
#: Reasons listed per group (a group joined by hundreds of shared domains names the first few).
MAX_REASONS = 3


@dataclass(frozen=True)
class DuplicateGroup:
    """Accounts that are one company; ``survivor`` is the record to keep."""

    survivor: str
    accounts: tuple[str, ...]
    """All of the group's account ids, the survivor first, then by id."""
    reasons: tuple[str, ...]
    """What joined them: "same domain acme.com", "same name 'nexora' in SE"."""


def find_duplicate_accounts(index: AccountIndex) -> list[DuplicateGroup]:
    """Groups of accounts that are the same company, largest first, then by survivor id."""
    view = view_of(index).whole()  # one version of every live account
    d, lk = view.data, view.lookups
    n = len(d.account_id)
    left, right, reason = _domain_links(view)
    name_left, name_right, name_reason = _name_links(view)
    left = np.concatenate([left, name_left])
    right = np.concatenate([right, name_right])
    reason = np.concatenate([reason, name_reason])
    keep = ~_related(view, left, right)
    left, right, reason = left[keep], right[keep], reason[keep]
    if not len(left):
        return []
    label = connected_components(n, left, right)
    # A group joined through a third record may hold an account and its ancestor: the
    # descendant is part of the hierarchy, not a duplicate; it leaves the group (with its links).
    out = _descendants_in_groups(view, label)
    if len(out):
        kept = ~np.isin(left, out) & ~np.isin(right, out)
        left, right, reason = left[kept], right[kept], reason[kept]
        label = connected_components(n, left, right)
    members = np.flatnonzero(np.bincount(label, minlength=n)[label] > 1)
    # Survivor first (shallowest, then smallest id), then by id.
    order = members[np.lexsort((lk.id_rank[members], lk.depth[members], label[members]))]
    ptr, _ = group_by(label[order], n)
    starts = ptr[:-1][np.diff(ptr) > 0]
    ends = ptr[1:][np.diff(ptr) > 0]
    # Reasons per group, in order of the links' first member id.
    link_order = np.lexsort((reason, np.minimum(lk.id_rank[left], lk.id_rank[right]), label[left]))
    link_groups = label[left][link_order]
    ids = d.account_id.take(order)
    groups: list[DuplicateGroup] = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        group = int(label[order[start]])
        lo, hi = np.searchsorted(link_groups, [group, group + 1])
        texts = list(dict.fromkeys(reason[link_order[lo:hi]].tolist()))[:MAX_REASONS]
        members_ids = tuple(ids[start:end])
        groups.append(DuplicateGroup(members_ids[0], members_ids, tuple(texts)))
    groups.sort(key=lambda g: (-len(g.accounts), g.survivor))
    return groups


def _descendants_in_groups(index: IndexView, label: IntArray) -> IntArray:
    """Accounts of a group (of at most :data:`ALL_PAIRS`) that have an ancestor in it."""
    sizes = np.bincount(label, minlength=len(label))
    rows = np.flatnonzero((sizes[label] > 1) & (sizes[label] <= ALL_PAIRS))
    order = rows[np.argsort(label[rows], kind="stable")]
    a, b, _ = _run_pairs(order, first_of_groups(label[order]))
    related = _related(index, a, b)
    a, b = a[related], b[related]
    depth = index.lookups.depth
    return np.unique(np.where(depth[a] > depth[b], a, b))


def _domain_links(index: IndexView) -> tuple[IntArray, IntArray, np.ndarray]:
    """Pairs of accounts that share a domain, in the same country or one without a country."""
    d, lk = index.data, index.lookups
    owner = np.repeat(np.arange(len(d.account_id), dtype=np.int64), np.diff(d.domain_ptr))
    country = lk.country_hash[owner]  # "" hashes to 0: first within a domain
    order = np.lexsort((lk.id_rank[owner], country, d.domain_ids))
    dom, country, acct = d.domain_ids[order], country[order], owner[order]
    # Within a (domain, country), the accounts in pairs. Accounts without a country sort
    # first in their domain; they pair with every country's first account.
    run_start = first_of_groups(dom) | first_of_groups(country)
    left, right, later = _run_pairs(acct, run_start)
    domain_first = _first_of_runs(acct, first_of_groups(dom))
    no_country = (country == 0).astype(np.int64)
    countryless_first = _first_of_runs(no_country, first_of_groups(dom)) == 1
    # ... when the domain's accounts with a country have one country (else it would join
    # the subsidiaries of several countries into one "company").
    domain_start = np.flatnonzero(first_of_groups(dom))
    domain_size = np.diff(np.append(domain_start, len(dom)))
    runs = np.add.reduceat(run_start.astype(np.int64), domain_start) if len(dom) else domain_size
    countries = runs - no_country[domain_start]  # the country-less run is not a country
    one_country = np.repeat(countries, domain_size)
    bridge = run_start & countryless_first & (one_country == 1)
    left = np.concatenate([left, domain_first[bridge]])
    right = np.concatenate([right, acct[bridge]])
    via = np.concatenate([dom[later], dom[bridge]])
    pair = left != right
    left, right, via = left[pair], right[pair], via[pair]
    reason = np.array([f"same domain {name}" for name in d.domains.take(via)], dtype=object)
    return left, right, reason


def _first_of_runs(values: IntArray, starts: BoolArray) -> IntArray:
    """For each element, the value at the start of its run (``starts`` marks run starts)."""
    at = np.flatnonzero(starts)
    return np.repeat(values[at], np.diff(np.append(at, len(values))))


def _run_pairs(values: IntArray, starts: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Pairs of values within each run: every pair in a run of at most :data:`ALL_PAIRS`
    (a link excluded as a hierarchy must not cut the others off), else each value with the
    run's first. Returns (earlier, later, position of the later in ``values``)."""
    at = np.flatnonzero(starts)
    sizes = np.diff(np.append(at, len(values)))
    run_start = np.repeat(at, sizes)
    offset = np.arange(len(values), dtype=np.int64) - run_start
    small = np.repeat(sizes <= ALL_PAIRS, sizes)
    count = np.where(small, offset, np.minimum(offset, 1))
    later = np.repeat(np.arange(len(values), dtype=np.int64), count)
    earlier = run_start[later] + (
        np.arange(len(later), dtype=np.int64) - np.repeat(offsets(count)[:-1], count)
    )
    return values[earlier], values[later], later


def _name_links(index: IndexView) -> tuple[IntArray, IntArray, np.ndarray]:
    """Pairs of accounts with the same normalized primary name in the same country."""
    d, lk = index.data, index.lookups
    has_name = np.diff(lk.acct_name_ptr) > 0
    owners = np.flatnonzero(has_name)
    primary = lk.acct_name_rows[lk.acct_name_ptr[:-1][has_name]]
    names = d.name_ascii.take(primary)
    countries = d.country.take(owners)
    usable = np.array([bool(n) and bool(c) for n, c in zip(names, countries)], dtype=bool)
    owners, primary = owners[usable], primary[usable]
    keys = hash_keys([f"{c}|{n}" for c, n, u in zip(countries, names, usable) if u])
    order = np.lexsort((lk.id_rank[owners], keys))
    keys, owners, primary = keys[order], owners[order], primary[order]
    left, right, later = _run_pairs(owners, first_of_groups(keys))
    text = [
        f"same name '{name}' in {country}"
        for name, country in zip(d.name_ascii.take(primary[later]), d.country.take(right))
    ]
    return left, right, np.array(text, dtype=object)


def _related(index: IndexView, left: IntArray, right: IntArray) -> BoolArray:
    """Whether one account of each pair is an ancestor of the other."""
    lk, parent = index.lookups, index.data.parent_row
    same_tree = lk.ultimate_row[left] == lk.ultimate_row[right]
    deep = np.where(lk.depth[left] >= lk.depth[right], left, right)
    shallow = np.where(lk.depth[left] >= lk.depth[right], right, left)
    climb = deep.copy()
    for _ in range(MAX_HIERARCHY_DEPTH):
        up = same_tree & (lk.depth[climb] > lk.depth[shallow])
        if not up.any():
            break
        climb[up] = parent[climb[up]]
    return np.asarray(same_tree & (climb == shallow), dtype=bool)
