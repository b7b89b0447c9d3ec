"""Every candidate pair's name features against the reference's, computed one pair at a time
in plain Python (``tests/reference.py``), on names chosen for the rules a generated name seldom
reaches: a word cut short on either side, a shared start that is not a cut, typos between
short words, a lead that adds words, a lead word said twice, generic words no account has,
names in parts, acronyms, and pairs where one side has no words at all, also last in their
batch (issue 20: a mutation run showed these rules unchecked)."""

from __future__ import annotations

import numpy as np
import pytest

from leadmatch import Account, AccountIndex, Lead
from leadmatch.config import LEVELS
from leadmatch.match import Features, scored_batches, view_of
from leadmatch.match.features import _exact_elsewhere, accounts_per_lead
from tests.reference import (
    Company,
    Crm,
    LeadKeys,
    compare_names,
    domain_levels,
    owners_level,
)

ACCOUNTS = [
    Account(account_id="A1", name="Koninklijke Philips", country="NL"),
    Account(account_id="A2", name="Farm Direct", country="US"),
    Account(account_id="A3", name="Far Holdings", country="US"),
    Account(account_id="A4", name="Internal Systems", country="US"),
    Account(account_id="A5", name="State Logistics", country="US"),
    Account(account_id="A6", name="Globex Mining", country="CA"),
    Account(account_id="A7", name="Sunrise Industries", country="US"),
    Account(account_id="A8", name="Acme", country="DE"),
    Account(account_id="A9", name="International Business Machines", country="US"),
    Account(account_id="A10", name="Transfer Partners", country="GB"),
    Account(account_id="A11", name="", domain="nameless.io", country="US"),
    Account(account_id="A12", name="Globex", country="CA"),
    Account(account_id="A13", name="Koninklijke Ahold", country="NL", aliases=["Ahold Delhaize"]),
    Account(account_id="A14", name="Groupe", country="FR"),
    Account(account_id="A15", name="Alpha Beta Gamma Delta Epsilon Zeta Eta Theta", country="GR"),
    Account(
        account_id="A16",
        name="Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota",
        domain="abgdezeti.gr",
        country="GR",
    ),
    Account(account_id="N1", name="Nordwerk Bau", country="DE"),  # 11 letters, spaces removed
    Account(account_id="K1", name="Kodex", country="PL"),
    Account(account_id="P1", name="Umbrella Holdings", domain="umbrella.com", country="US"),
    Account(account_id="P2", name="Umbrella Pharma", domain="umbrellapharma.com", parent_id="P1"),
    Account(account_id="P3", name="Umbrella Foods", domain="umbrella.de", country="DE"),
]

LEADS = [
    Lead(lead_id="L1", company="Koninkl Philips", country="NL"),  # the lead's word is cut short
    Lead(lead_id="L2", company="Farms Direct", country="US"),  # the account's word is
    Lead(lead_id="L3", company="Farm Holdings", country="US"),  # "Far" is too short to be a cut
    Lead(lead_id="L4", company="Internet Systems", country="US"),  # a shared start, not a cut
    Lead(lead_id="L5", company="Tate Logistics", country="US"),  # no typo under 5 letters
    Lead(lead_id="L6", company="Globx Mining", country="CA"),  # a typo
    Lead(lead_id="L7", company="Sunrise Properties", country="US"),  # the lead adds a word
    Lead(lead_id="L8", company="Acme Holdings", country="DE"),  # a generic word no account has
    Lead(lead_id="L9", company="IBM", country="US"),  # an acronym
    Lead(lead_id="L10", company="Acme, Berlin, Germany", country="DE"),  # a name in parts
    Lead(lead_id="L11", company="Transport Partners", country="GB"),
    Lead(lead_id="L12", company="Globex Globx", country="CA"),  # one name word met twice
    Lead(lead_id="L13", company="Ahold Delhaize", country="NL"),  # an alias
    Lead(lead_id="L14", company="Koninklijke", country="NL"),
    Lead(lead_id="L15", company="Globex Globx Glbex", country="CA"),  # above 1 before the clip
    Lead(lead_id="L16", company="Gruppe", country="FR"),  # a weight of 1 on either side
    Lead(lead_id="L17", company="Nameless Corp", email="a@nameless.io"),  # an account of no name
    Lead(lead_id="L18", company="ABGDEZET", country="GR"),  # an acronym of 8 letters
    Lead(lead_id="L19", company="ABGDEZETI", email="e@abgdezeti.gr"),  # 9 letters: too many
    Lead(lead_id="L20", company="Umbrella Pharma", email="c@umbrella.com"),  # the parent's domain
    Lead(lead_id="L21", company="Umbrella Holdings", email="d@umbrella.com"),  # own and brand
    Lead(lead_id="L22", company="Globexx", country="CA"),  # 6 letters: long enough to compare whole
    Lead(lead_id="L23", company="Nordwerkb", country="DE"),  # exactly 0.9 of "nordwerkbau"
    Lead(lead_id="L24", company="Nordwerkb, Berlin", country="DE"),  # a part at exactly 0.9
    Lead(lead_id="L25", company="Ko Dex", country="PL"),  # equal without spaces, under 6 letters
    Lead(lead_id="L26", company="", email="b@nameless.io"),  # a lead of no name, last
]


def _compared(accounts: list[Account], leads: list[Lead]) -> list[tuple[str, str, str]]:
    """Compare each pair's features with the reference's; return (lead, account, name) seen."""
    index, crm = AccountIndex.build(accounts), Crm(accounts)
    by_id = {lead.lead_id: lead for lead in leads}
    view = view_of(index)
    seen = []
    for ids, feats, _, _ in scored_batches(view, leads, index.config):
        accounts_of = view.data.account_id.take(feats.account)
        names_of = view.data.name_ascii.take(feats.name_row)
        for k, (lead_at, account_id, ascii_name) in enumerate(
            zip(feats.lead.tolist(), accounts_of, names_of)
        ):
            company: Company = crm.companies[account_id]
            name = next(n for n in company.names if n.ascii == ascii_name)
            lead = LeadKeys.of(by_id[ids[lead_at]])
            want = compare_names(crm, lead, name)
            got = (
                float(feats.name_sim[k]),
                float(feats.name_cover[k]),
                bool(feats.name_exact[k]),
                bool(feats.name_part[k]),
                bool(feats.acronym[k]),
                bool(feats.name_missing[k]),
                bool(feats.name_adds[k]),
            )
            expected = (
                want.sim,
                want.cover,
                want.exact,
                want.from_part,
                want.acronym,
                want.missing,
                want.adds,
            )
            where = (ids[lead_at], account_id, ascii_name)
            assert got == pytest.approx(expected, abs=1e-9), where
            assert _domain(feats, k) == domain_levels(crm, lead, company), where
            seen.append((ids[lead_at], account_id, ascii_name))
    return seen


def _domain(feats: Features, k: int) -> dict[str, str]:
    """The pair's domain features as the reference's levels: at most one of exact, family,
    brand and conflict holds (the most specific speaks), with the owners of the domain."""
    flags = {
        "exact": bool(feats.domain_exact[k]),
        "family": bool(feats.domain_family[k]),
        "brand": bool(feats.domain_brand[k]),
        "conflict": bool(feats.domain_conflict[k]),
    }
    held = [level for level, on in flags.items() if on]
    assert len(held) <= 1, held
    owners = owners_level(int(feats.domain_owners[k]))
    return {"domain": held[0] if held else "unknown", "domain_owners": owners}


def test_each_pairs_name_features_are_the_references() -> None:
    seen = _compared(ACCOUNTS, LEADS)
    # The pairs the rules are about were all proposed (and so compared above).
    for pair in [("L1", "A1"), ("L2", "A2"), ("L3", "A3"), ("L4", "A4"), ("L5", "A5"),
                 ("L6", "A6"), ("L7", "A7"), ("L8", "A8"), ("L9", "A9"), ("L10", "A8"),
                 ("L11", "A10"), ("L12", "A12"), ("L13", "A13"), ("L15", "A12"),
                 ("L16", "A14"), ("L17", "A11"), ("L18", "A15"), ("L19", "A16"),
                 ("L20", "P2"), ("L21", "P1"), ("L21", "P3"), ("L22", "A12"),
                 ("L23", "N1"), ("L24", "N1"), ("L25", "K1"), ("L26", "A11")]:  # fmt: skip
        assert pair in {(lead, account) for lead, account, _ in seen}, pair


def test_no_pairs_give_no_counts_of_accounts() -> None:
    counted = accounts_per_lead(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert counted.dtype == np.int64 and counted.shape == (0,)
    # Lead 0 reaches account 3 by two names and account 1; lead 2 reaches account 3: the
    # counts are per pair, as integers.
    counted = accounts_per_lead(np.array([0, 0, 0, 2]), np.array([3, 3, 1, 3]))
    assert counted.dtype == np.int64 and counted.tolist() == [2, 2, 2, 1]


def test_an_index_of_no_named_account_compares_names_too() -> None:
    # No account has a word: every lead word is unseen, weighed as a word of no account.
    accounts = [
        Account(account_id="D1", name="", domain="acme.com"),
        Account(account_id="D2", name="", domain="globex.com"),
    ]
    leads = [
        Lead(lead_id="M1", company="Acme Holdings", email="x@acme.com"),
        Lead(lead_id="M2", company="", email="y@globex.com"),
    ]
    assert {(lead, account) for lead, account, _ in _compared(accounts, leads)} == {
        ("M1", "D1"),
        ("M2", "D2"),
    }


def test_a_domain_whose_only_owner_was_removed_matches_no_account() -> None:
    # The index still knows the domain's name, and no account holds it any more.
    index = AccountIndex.build(
        [
            Account(account_id="A", name="Acme", domain="acme.com"),
            Account(account_id="B", name="Acme Robotics", country="US"),
        ]
    )
    index.remove(["A"])
    view = view_of(index)
    lead = Lead(lead_id="x", company="Acme Robotics", email="j@acme.com")
    ((_, feats, _, _),) = list(scored_batches(view, [lead], index.config))
    assert view.data.account_id.take(feats.account) == ["B"]
    assert feats.domain_exact.dtype == bool
    assert _domain(feats, 0) == {"domain": "unknown", "domain_owners": "unknown"}


def test_a_generic_word_the_lead_leaves_out_weighs_at_most_the_cap() -> None:
    """The lead "Umbrella" holds ln(4/3) + 1 of "Umbrella Holdings", whose "Holdings" adds
    the capped 1.0 (in two names of three, its uncapped weight would equal Umbrella's: a cover
    of one half)."""
    index = AccountIndex.build([
        Account(account_id="U1", name="Umbrella Holdings"),
        Account(account_id="U2", name="Umbrella Pharma"),
        Account(account_id="K", name="Kodex Holdings"),
    ])  # fmt: skip
    view = view_of(index)
    ((_, feats, _, _),) = list(scored_batches(view, [Lead(company="Umbrella")], index.config))
    umbrella = np.log(4 / 3) + 1
    assert view.data.account_id.take(feats.account) == ["U1", "U2"]
    assert feats.name_cover.tolist() == pytest.approx([umbrella / (umbrella + 1.0)] * 2)


def test_a_lead_named_exactly_as_another_candidate_says_so_on_every_other_pair() -> None:
    # Lead 0: the exact name is account 3's; lead 1: accounts 2 and 4 both carry it; lead 2:
    # two names of account 6 are exact, and no other account's.
    lead = np.array([0, 0, 1, 1, 2, 2, 2])
    acct = np.array([3, 5, 2, 4, 6, 6, 7])
    exact = np.array([True, False, True, True, True, True, False])
    got = _exact_elsewhere(lead, acct, exact)
    assert got.tolist() == [False, True, True, True, False, False, True]
    assert _exact_elsewhere(lead[:0], acct[:0], exact[:0]).tolist() == []


def test_at_a_domain_a_name_that_is_another_accounts_contradicts_it() -> None:
    index = AccountIndex.build([
        Account(account_id="DE-1", name="Müller Maschinenbau GmbH", domain="mueller-mb.de",
                country="DE"),
        Account(account_id="JP-1", name="Sakura Denki", domain="sakura-denki.co.jp",
                country="JP"),
    ])  # fmt: skip
    other = index.match(Lead(company="Müller Maschinenbau", email="p@sakura-denki.co.jp"))
    assert other.decision != "matched"
    acronym = index.match(Lead(company="SD", email="p@sakura-denki.co.jp"))
    assert (acronym.account_id, acronym.decision) == ("JP-1", "matched")
    view = view_of(index)
    leads = [
        Lead(lead_id="other", company="Müller Maschinenbau", email="p@sakura-denki.co.jp"),
        Lead(lead_id="unlike", company="Denki Holdings", email="p@sakura-denki.co.jp"),
    ]
    ((ids, feats, scores, _),) = list(scored_batches(view, leads, index.config))
    at_jp = view.data.account_id.take(feats.account) == np.array("JP-1", dtype=object)
    levels = {
        ids[int(feats.lead[k])]: LEVELS["name_at_domain"][scores.levels["name_at_domain"][k]]
        for k in at_jp.nonzero()[0]
    }
    assert levels == {"other": "shared", "unlike": "different"}
