"""Invariants of the resolver on generated CRMs, and agreement with the slow reference."""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.reference import resolve_one

from leadmatch import Account, AccountIndex, Lead, Match
from leadmatch.match import scored_batches, view_of

WORDS = ["acme", "nordic", "timber", "delta", "faucet", "air", "lines", "global", "energy",
         "solutions", "robotics", "müller", "söhne", "sakura", "denki", "apex", "logic",
         "logistics", "brightwell", "nexora", "pacific", "coast", "ромашка", "kraft"]  # fmt: skip
FORMS = ["", " Ltd", " GmbH", " Inc.", " S.A.", " AB", " Limited", " GmbH & Co. KG"]
SUFFIXES = ["com", "de", "co.uk", "fr", "com.br"]
COUNTRIES = ["", "DE", "GB", "US", "FR", "Germany", "UK"]


@st.composite
def crm(draw: st.DrawFn) -> tuple[list[Account], list[Lead]]:
    n = draw(st.integers(1, 12))
    accounts: list[Account] = []
    for i in range(n):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
        brand = "".join(words)[:14]
        accounts.append(
            Account(
                account_id=f"A{draw(st.integers(0, 999)):03d}-{i}",
                name=" ".join(w.title() for w in words) + draw(st.sampled_from(FORMS)),
                domain=draw(st.sampled_from([None, f"{brand}.{draw(st.sampled_from(SUFFIXES))}"])),
                country=draw(st.sampled_from(COUNTRIES)),
                parent_id=accounts[draw(st.integers(0, i - 1))].account_id
                if i and draw(st.booleans())
                else None,
            )
        )
    leads: list[Lead] = []
    for j in range(draw(st.integers(1, 10))):
        source = draw(st.sampled_from(accounts))
        name = source.name or ""
        words = name.split()
        cut = draw(st.integers(0, max(len(name) - 2, 0)))
        company = draw(
            st.sampled_from(
                [name, name.upper(), name[:-1], "",
                 name[:cut] + name[cut + 1 : cut + 2] + name[cut : cut + 1] + name[cut + 2 :],
                 " ".join(w for k, w in enumerate(words) if k != cut % max(len(words), 1)),
                 f"{name} {draw(st.sampled_from(WORDS))}",
                 f"Dept. of {draw(st.sampled_from(WORDS)).title()}, {name}, Berlin",
                 f"{name}, {draw(st.sampled_from(WORDS)).title()}",
                 " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2)))]
            )
        )  # fmt: skip
        domain = source.domain or "gmail.com"
        email = draw(st.sampled_from([f"j{j}@{domain}", f"x{j}@gmail.com", f"k{j}@lab.{domain}",
                                      None]))  # fmt: skip
        website = draw(st.sampled_from([None, f"https://www.{domain}/x", f"http://lab.{domain}"]))
        leads.append(
            Lead(lead_id=f"L{j}", company=company, email=email, website=website,
                 country=draw(st.sampled_from(COUNTRIES)))
        )  # fmt: skip
    return accounts, leads


def _candidates(index: AccountIndex, leads: list[Lead]) -> dict[str, set[str]]:
    """The accounts blocking proposed for each lead (by lead id)."""
    view = view_of(index)
    found: dict[str, set[str]] = {lead.lead_id or "": set() for lead in leads}
    for ids, feats, _, _ in scored_batches(view, leads, index.config):
        accounts = view.data.account_id.take(feats.account)
        for k, account in zip(feats.lead.tolist(), accounts):
            found[ids[k]].add(account)
    return found


def _generic(index: AccountIndex, account_id: str) -> bool:
    """Whether every name of the account is of common words only (or very short)."""
    lk = index.lookups
    row = index.view().tables.row_of_id[account_id]
    names = lk.acct_name_rows[lk.acct_name_ptr[row] : lk.acct_name_ptr[row + 1]]
    return bool(lk.name_generic[names].all())


def _key(m: Match) -> tuple[str, str | None, float, str]:
    return (m.lead_id, m.account_id, round(m.confidence, 6), m.decision)


SETTINGS = settings(max_examples=150)


@SETTINGS
@given(crm(), st.randoms(use_true_random=False))
def test_one_result_per_lead_in_order_whatever_the_order_of_inputs(
    data: tuple[list[Account], list[Lead]], rnd: random.Random
) -> None:
    accounts, leads = data
    index = AccountIndex.build(accounts)
    results = index.match_many(leads)
    assert [m.lead_id for m in results] == [lead.lead_id for lead in leads]
    assert all(0.0 <= m.confidence <= 1.0 for m in results)
    assert [_key(m) for m in index.match_many(leads)] == [_key(m) for m in results]

    shuffled_leads = leads[:]
    rnd.shuffle(shuffled_leads)
    again = {m.lead_id: _key(m) for m in index.match_many(shuffled_leads)}
    assert again == {m.lead_id: _key(m) for m in results}

    shuffled_accounts = accounts[:]
    rnd.shuffle(shuffled_accounts)
    other = AccountIndex.build(shuffled_accounts)
    assert {m.lead_id: _key(m) for m in other.match_many(leads)} == again

    for lead, match in zip(leads, results):
        assert _key(index.match(lead)) == _key(match)


_GENERIC_NAME = (
    [Account(account_id="A0", name="Acme"), Account(account_id="A1", name="Acme Ltd"),
     Account(account_id="A2", name="Global Ltd", country="DE"),
     Account(account_id="A3", name="Acme", parent_id="A2")],
    [Lead(lead_id="L0", email="j0@gmail.com", company="Dept. of Global, Acme Ltd, Berlin",
          country="DE")],
)  # fmt: skip


@SETTINGS
@given(crm())
@example(_GENERIC_NAME)  # blocking leaves "Global Ltd" out; the brute force would match it
def test_fast_resolver_agrees_with_brute_force(data: tuple[list[Account], list[Lead]]) -> None:
    accounts, leads = data
    # Duplicate ids are dropped by the index (first kept); the reference must see the same set.
    unique = list({a.account_id: a for a in reversed(accounts)}.values())[::-1]
    index = AccountIndex.build(unique)
    seen = _candidates(index, leads)
    for lead, fast in zip(leads, index.match_many(leads)):
        proposed = seen[lead.lead_id or ""]
        # Blocking may leave out an account whose names are of common words only ("Global
        # Ltd": a word in a lead's department is no reason to propose it), never another one
        # the brute force would match.
        every = resolve_one(index, unique, lead, proposed)
        if every.decision == "matched" and not _generic(index, every.account_id or ""):
            assert every.account_id in proposed, (lead, every)
        slow = resolve_one(index, [a for a in unique if a.account_id in proposed], lead, proposed)
        if slow.decision == "unmatched":
            assert fast.decision == "unmatched", (lead, fast, slow)
            continue
        assert fast.decision == slow.decision, (lead, fast, slow)
        assert fast.account_id == slow.account_id, (lead, fast, slow)
        assert fast.confidence == pytest.approx(slow.confidence, abs=1e-4), (lead, fast, slow)
