"""Matching examples: the cases the issue names, on a small CRM from many countries."""

from __future__ import annotations

import pytest

from leadmatch import AccountIndex, Lead, MatchConfig
from leadmatch.config import CONFIDENCE_PLACES
from leadmatch.match import scored_batches, view_of

ACCOUNTS = [
    {"account_id": "ACME-UK", "name": "ACME Robotics Limited", "domain": "acme-robotics.co.uk",
     "country": "GB", "city": "Leeds", "phone": "+44 113 496 0000"},
    {"account_id": "ACME-DE", "name": "ACME Robotics GmbH", "domain": "acme-robotics.de",
     "country": "DE", "parent_id": "ACME-UK"},
    {"account_id": "DELTA-AIR", "name": "Delta Air Lines, Inc.", "domain": "delta.com",
     "country": "US"},
    {"account_id": "DELTA-FAU", "name": "Delta Faucet Company", "domain": "deltafaucet.com",
     "country": "US"},
    {"account_id": "IBM", "name": "International Business Machines Corporation",
     "domain": "ibm.com", "country": "US"},
    {"account_id": "ROM", "name": "ООО «Ромашка»", "domain": "romashka.ru", "country": "RU"},
    {"account_id": "SAKURA", "name": "株式会社サクラ電機", "aliases": "Sakura Denki K.K.",
     "domain": "sakura-denki.co.jp", "country": "JP"},
    {"account_id": "MUELLER", "name": "Müller & Söhne GmbH", "domain": "mueller-soehne.de",
     "alias_domains": "muellersoehne.com; mueller-soehne.at", "country": "DE"},
    {"account_id": "NEXORA-1", "name": "Nexora AB", "domain": "nexora.se", "country": "SE"},
    {"account_id": "NEXORA-2", "name": "Nexora AB", "country": "SE"},
    {"account_id": "PACIFIC", "name": "Pacific Coast Logistics LLC", "domain": "pcl-freight.com",
     "country": "US"},
    {"account_id": "BIMBO", "name": "Panificadora Azteca S.A. de C.V.", "domain": "azteca.com.mx",
     "country": "MX"},
]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


def test_corporate_email_domain_matches_with_evidence(index: AccountIndex) -> None:
    m = index.match(Lead(email="j.doe@acme-robotics.co.uk", company="ACME Robotics Ltd"))
    assert (m.account_id, m.decision) == ("ACME-UK", "matched")
    assert m.confidence > 0.99
    signals = {e.signal: e for e in m.evidence}
    assert signals["domain"].level == "exact" and signals["domain"].weight > 0
    assert "acme-robotics.co.uk" in signals["domain"].detail
    # At the account's own domain the name is read on its own scale (an acronym or a
    # translation there is no evidence against the account).
    assert signals["name_at_domain"].level == "exact" and signals["name_at_domain"].weight > 0
    assert "name" not in signals and "name_cover" not in signals
    assert m.ultimate_parent_id == "ACME-UK"


def test_subdomain_and_alias_domain_count_as_the_account_domain(index: AccountIndex) -> None:
    assert index.match(Lead(email="x@sales.acme-robotics.co.uk")).account_id == "ACME-UK"
    m = index.match(Lead(email="anna@MuellerSoehne.com", company="Mueller und Soehne"))
    assert (m.account_id, m.decision) == ("MUELLER", "matched")
    assert "alias" in next(e.detail for e in m.evidence if e.signal == "domain")


def test_free_mail_never_matches_by_domain_but_the_company_name_decides(
    index: AccountIndex,
) -> None:
    m = index.match(Lead(email="pacific.fan@gmail.com", company="Pacific Coast Logistics"))
    assert (m.account_id, m.decision) == ("PACIFIC", "matched")
    assert all(e.signal != "domain" for e in m.evidence)
    unknown = index.match(Lead(email="someone@gmail.com"))
    assert unknown.decision == "unmatched" and unknown.account_id is None


def test_parent_and_subsidiary_choose_the_one_in_the_lead_country(index: AccountIndex) -> None:
    de = index.match(Lead(company="ACME Robotics", email="k@acme-robotics.de", country="DE"))
    assert de.account_id == "ACME-DE"
    assert de.ultimate_parent_id == "ACME-UK"
    uk = index.match(Lead(company="Acme Robotics", email="x@gmail.com", country="United Kingdom"))
    assert uk.account_id == "ACME-UK"
    # No country: the ultimate parent wins the tie between the two records of one group.
    neither = index.match(Lead(company="Acme Robotics", email="x@gmail.com"))
    assert neither.account_id == "ACME-UK"
    assert any(a.account_id == "ACME-DE" and a.related for a in neither.alternatives)
    # The lead's country beats the parent's own domain; the subsidiary's own domain beats
    # the parent's rank in the hierarchy.
    at_parent = index.match(Lead(company="Acme Robotics", email="k@acme-robotics.co.uk",
                                 country="Germany"))  # fmt: skip
    assert at_parent.account_id == "ACME-DE"
    at_child = index.match(Lead(company="Acme Robotics", email="k@acme-robotics.de"))
    assert at_child.account_id == "ACME-DE"


def test_within_the_margin_the_accounts_own_domain_breaks_the_tie(index: AccountIndex) -> None:
    # A margin wide enough that parent and subsidiary are both near the top: no country, the
    # lead writes from one of their own domains, and that one wins over the hierarchy.
    wide = index.with_config(MatchConfig(tie_margin=30.0))
    at_child = wide.match(Lead(company="Acme Robotics", email="k@acme-robotics.de"))
    at_parent = wide.match(Lead(company="Acme Robotics", email="k@acme-robotics.co.uk"))
    assert (at_child.account_id, at_parent.account_id) == ("ACME-DE", "ACME-UK")
    assert all(any(e.signal == "tie_break" for e in m.evidence) for m in (at_child, at_parent))
    # Neither domain: the ultimate parent.
    assert wide.match(Lead(company="Acme Robotics", email="k@gmail.com")).account_id == "ACME-UK"


def test_duplicate_account_records_resolve_by_rule_not_by_luck(index: AccountIndex) -> None:
    m = index.match(Lead(company="Nexora", email="p@nexora.se", country="SE"))
    assert m.account_id == "NEXORA-1"  # the record with the lead's domain scores higher
    by_name = index.match(Lead(company="Nexora AB", email="p@gmail.com"))
    assert by_name.account_id == "NEXORA-1"  # equal scores: the smallest account id
    assert [a.account_id for a in by_name.alternatives if a.related] == ["NEXORA-2"]
    assert any(e.signal == "tie_break" for e in by_name.evidence)


def test_near_identical_names_of_different_companies_do_not_match(index: AccountIndex) -> None:
    m = index.match(Lead(company="Delta Faucet", email="p@deltafaucet.com"))
    assert m.account_id == "DELTA-FAU"
    other = index.match(Lead(company="Delta Dental", email="q@deltadental.com"))
    assert other.decision == "unmatched"


def test_acronym_and_legal_forms_of_other_jurisdictions(index: AccountIndex) -> None:
    assert index.match(Lead(company="IBM", email="a@ibm.com")).account_id == "IBM"
    acronym_only = index.match(Lead(company="IBM", country="US"))
    assert acronym_only.candidate_id == "IBM"
    assert any(e.signal == "acronym" and e.level == "agree_country" for e in acronym_only.evidence)
    abroad = index.match(Lead(company="IBM", country="France"))
    assert any(e.signal == "acronym" and e.level == "agree" for e in abroad.evidence)
    assert abroad.confidence < acronym_only.confidence
    m = index.match(Lead(company="Panificadora Azteca SA de CV", country="Mexico"))
    assert (m.account_id, m.decision) == ("BIMBO", "matched")


def test_other_scripts_match_their_transliteration(index: AccountIndex) -> None:
    m = index.match(Lead(company="OOO Romashka", country="Russia"))
    assert (m.account_id, m.decision) == ("ROM", "matched")
    jp = index.match(Lead(company="Sakura Denki", email="t@gmail.com", country="Japan"))
    assert jp.account_id == "SAKURA"
    assert "(alias)" in next(e.detail for e in jp.evidence if e.signal == "name")


def test_a_company_that_is_no_account_stays_unmatched(index: AccountIndex) -> None:
    for company in ("Acme Logistics", "Pacific Timber Works", "Brightwell Energy", "Apex Logic"):
        m = index.match(Lead(company=company, email="someone@gmail.com"))
        assert m.decision == "unmatched", (company, m)
        assert m.account_id is None


def test_typos_in_a_distinctive_name_still_find_the_account(index: AccountIndex) -> None:
    m = index.match(Lead(company="Pacfic Coast Logistcs", country="US"))
    assert m.account_id == "PACIFIC"
    assert m.decision in ("matched", "review")


def test_thresholds_come_from_the_config(index: AccountIndex) -> None:
    lead = Lead(company="Nexora", email="x@gmail.com")
    shown = index.match(lead).confidence  # on either side of it, by a step of what results show
    step = 10.0**-CONFIDENCE_PLACES
    decisions = [
        index.with_config(MatchConfig(match_threshold=m, review_threshold=r)).match(lead).decision
        for m, r in [(shown, shown - step), (shown + step, shown), (shown + 2 * step, shown + step)]
    ]
    assert decisions == ["matched", "review", "unmatched"]


def test_a_platform_domain_belongs_only_to_the_platform_itself() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "G", "name": "Google LLC", "domain": "google.com"},
            {"account_id": "P", "name": "Pizza Roma", "domain": "facebook.com/pizzaroma"},
        ]
    )
    assert index.account("G")["domains"] == ["google.com"]
    assert index.account("P")["domains"] == []
    assert index.match(Lead(email="x@google.com")).account_id == "G"
    assert index.match(Lead(email="y@facebook.com")).decision == "unmatched"


def test_aliases_split_on_semicolons_only() -> None:
    index = AccountIndex.build(
        [{"account_id": "S", "name": "SJ Holdings", "aliases": "Smith, Jones & Co; S&J"}]
    )
    assert index.account("S")["names"] == ["sj holdings", "smith jones", "s and j"]


def test_names_in_scripts_that_transliterate_badly_are_not_held_against_the_domain() -> None:
    index = AccountIndex.build(
        [{"account_id": "DAITO", "name": "大東運輸株式会社", "domain": "daito.co.jp"}]
    )
    m = index.match(Lead(company="Daito Un'yu K.K.", email="ikeda@daito.co.jp", country="Japan"))
    assert (m.account_id, m.decision) == ("DAITO", "matched")
    assert "cannot be compared" in next(e.detail for e in m.evidence if e.signal == "name")
    # Without the domain the romanized name alone proves nothing either way.
    assert index.match(Lead(company="Daito Un'yu", email="x@gmail.com")).decision == "unmatched"


def test_a_shared_domain_gives_the_same_answer_whatever_the_account_order() -> None:
    a = {"account_id": "A", "name": "Acme Tools", "domain": "acme.com", "country": "US"}
    x = {"account_id": "X", "name": "Acme Holdings Corp", "domain": "acme.com", "country": "DE"}
    xs = {"account_id": "XS", "name": "Zentrix Fabrik", "parent_id": "X", "country": "DE"}
    lead = Lead(email="j@acme.com", company="Zentrix Fabrik", country="DE")
    answers = {
        AccountIndex.build(order).match(lead).account_id for order in ([a, x, xs], [x, a, xs])
    }
    assert answers == {"XS"}


def test_misspelled_look_alikes_do_not_crowd_out_a_rare_word() -> None:
    noise = [
        {"account_id": f"N{i}", "name": name}
        for i, name in enumerate(["Marketinq Ltd", "Markting Ltd", "Marketin Ltd", "Narketing Ltd"])
    ]
    zorbax = {"account_id": "Z1", "name": "Zorbax Marketing Solutions"}
    lead = Lead(company="Zorbax Marketing")
    for accounts in ([*noise, zorbax], [zorbax, *noise]):
        # Blocking must propose Z1 (which account then scores best, in an index of five whose
        # word weights are all alike, is the model's business).
        index = AccountIndex.build(accounts)
        view = view_of(index)
        (_, feats, _, _), *_ = scored_batches(view, [lead], index.config)
        assert "Z1" in view.data.account_id.take(feats.account)


def test_a_link_shortener_is_nobodys_domain() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "T", "name": "Tesla Motors", "domain": "https://t.co/x"},
            {"account_id": "W", "name": "Walmart", "domain": "wa.me/123"},
        ]
    )
    assert index.account("T")["domains"] == []
    assert index.account("W")["domains"] == []


def test_family_evidence_names_the_domain_that_made_the_link() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "P", "name": "Parentco Holdings", "domain": "parentco.com"},
            {"account_id": "S", "name": "Subsidiary Consulting GmbH", "parent_id": "P"},
        ]
    )
    m = index.match(
        Lead(company="Subsidiary Consulting", email="a@gmx-consulting.de", website="parentco.com")
    )
    detail = next(e.detail for e in m.evidence if e.signal == "domain")
    assert "parentco.com" in detail


def test_a_result_says_which_blockers_found_its_account(index: AccountIndex) -> None:
    by_domain = index.match(Lead(email="j.doe@acme-robotics.co.uk", company="ACME Robotics"))
    # Its own domain (so its brand, and its group's domain), its words, its exact name.
    assert by_domain.found_by == ("domain", "brand", "family", "token", "exact")
    by_acronym = index.match(Lead(company="IBM", country="US"))
    assert by_acronym.found_by == ("acronym",)
    assert index.match(Lead(company="Nothing Like It")).found_by == ()


def test_a_number_in_a_name_is_not_a_common_word() -> None:
    """'Company 1 Widgets' among thirty numbered companies: the exact name wins, not
    'Company 10 Widgets' (a one-character token must not make the exact name 'generic')."""
    index = AccountIndex.build(
        [{"account_id": f"A{i}", "name": f"Company {i} Widgets"} for i in range(30)]
    )
    match = index.match({"company": "Company 1 Widgets"})
    assert (match.account_id, match.decision) == ("A1", "matched")


def test_a_word_exactly_at_the_typo_threshold_counts_as_the_same_word() -> None:
    """'edlta' ~ 'delta' is one swap in five letters: a similarity of exactly 0.8, which a
    rapidfuzz score_cutoff of 0.8 rounds to 0 (found by the brute-force property test)."""
    accounts = [{"account_id": f"A{i}", "name": "Acme"} for i in range(7)]
    index = AccountIndex.build([*accounts, {"account_id": "D", "name": "Delta Delta"}])
    match = index.match({"company": "eDlta Delta", "email": "j0@gmail.com"})
    assert match.candidate_id == "D"
    cover = next(e for e in match.evidence if e.signal == "name_cover")
    assert "holds 100%" in cover.detail and cover.weight > 0  # 'edlta' holds 'delta


def test_a_name_with_commas_of_its_own_is_still_compared_whole() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "SK", "name": "Skadden, Arps, Slate, Meagher & Flom", "country": "US"},
            {"account_id": "AC", "name": "Acme Robotics", "country": "DE"},
            {"account_id": "AX", "name": "Axiom Partners", "country": "DE"},
        ]
    )
    law = index.match(Lead(company="Skadden, Arps, Slate, Meagher & Flom", email="a@gmail.com"))
    assert (law.account_id, law.decision) == ("SK", "matched")
    assert next(e.level for e in law.evidence if e.signal == "name") == "exact"
    # Separators around one name make no list: the name is compared as usual.
    stray = index.match(Lead(company=",,,Acme Robotics", email="b@gmail.com"))
    assert next(e.level for e in stray.evidence if e.signal == "name") == "exact"
    # A short name that is one part of a list still counts as that part.
    listed = index.match(Lead(company="Sales Dept, Acme Robotics, Berlin, Germany"))
    assert next(e.level for e in listed.evidence if e.signal == "name") == "part"


def test_evidence_counts_the_owners_of_a_shared_domain() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "U", "name": "Université de Bordeaux", "domain": "u-bordeaux.fr"},
            {"account_id": "L1", "name": "Institut de Recherche Montesquieu",
             "domain": "irm.u-bordeaux.fr", "parent_id": "U"},
            {"account_id": "L2", "name": "Interactions Culturelles et Discursives",
             "domain": "u-bordeaux.fr", "parent_id": "U"},
        ]
    )  # fmt: skip
    lab = index.match(Lead(email="a@irm.u-bordeaux.fr", company="IRM"))
    assert lab.account_id == "L1"  # the lab's own subdomain, not the university's domain
    owners = next(e.detail for e in lab.evidence if e.signal == "domain_owners")
    assert owners.startswith("the lead's domain has 1 owner")
    shared = index.match(Lead(email="b@u-bordeaux.fr"))
    owners = next(e.detail for e in shared.evidence if e.signal == "domain_owners")
    # The three own u-bordeaux.fr: the lab on irm.u-bordeaux.fr owns its registered domain too.
    assert owners.startswith("the lead's domain has 3 owners")
    assert shared.account_id == "U"  # nothing else speaks: the parent
