"""One example per rule of the decision (``leadmatch.match.resolve`` and the thresholds), each
with literal expectations, so that a changed comparison or a dropped rule fails here.

The tie-break steps among records of one company group (country, strongest evidence, own domain,
ultimate parent, smallest id) have their examples in ``test_matching.py``; this file holds the rules
between companies, the thresholds, the margin and the alternatives.
"""

from __future__ import annotations

import math

import pytest

from leadmatch import AccountIndex, Lead, Match, MatchConfig, Weights
from leadmatch.config import LEVELS
from leadmatch.match import scored_batches, view_of

#: Two companies of one name in two countries (not one group: the same name in another country
#: is another company), and a third whose legal form differs.
NAMESAKES = [
    {"account_id": "Z-2", "name": "Nordlicht Solar AB", "country": "SE"},
    {"account_id": "A-1", "name": "Nordlicht Solar AB", "country": "NO"},
    {"account_id": "M-3", "name": "Nordlicht Solar Oy", "country": "FI"},
]
#: Two records of one company (same name, same country) and a namesake abroad.
DUPLICATES_AND_RIVAL = [
    {"account_id": "A-1", "name": "Nordlicht Solar AB", "country": "SE"},
    {"account_id": "B-1", "name": "Nordlicht Solar AB", "country": "SE"},
    {"account_id": "Z-2", "name": "Nordlicht Solar AS", "country": "NO"},
]
#: A parent in Sweden, its German subsidiary, and two other companies.
GROUP = [
    {"account_id": "P", "name": "Vindkraft Holding AB", "domain": "vindkraft.se", "country": "SE"},
    {"account_id": "C", "name": "Vindkraft GmbH", "domain": "vindkraft.de", "country": "DE",
     "parent_id": "P"},
    {"account_id": "R", "name": "Vindkraft Turbines Inc", "domain": "vindkraft-systems.com",
     "country": "US"},
    {"account_id": "Q", "name": "Vind Foods Ltd", "domain": "vindfoods.co.uk", "country": "GB"},
]  # fmt: skip


def _pairs(index: AccountIndex, lead: Lead) -> dict[str, tuple[float, float]]:
    """(probability, total) of each candidate account of one lead, as scoring gave them."""
    view = view_of(index)
    (_, feats, scores, _), *_ = scored_batches(view, [lead], index.config)
    ids = view.data.account_id.take(feats.account)
    return {str(i): (float(p), float(t)) for i, p, t in zip(ids, scores.probability, scores.total)}


def _alts(m: Match) -> list[tuple[str, bool]]:
    return [(a.account_id, a.related) for a in m.alternatives]


@pytest.mark.parametrize("order", [1, -1], ids=["as-given", "reversed"])
def test_an_exact_tie_between_two_companies_is_review_and_the_smallest_id_leads(
    order: int,
) -> None:
    index = AccountIndex.build(NAMESAKES[::order])
    m = index.match(Lead(lead_id="t", company="Nordlicht Solar AB"))
    assert (m.decision, m.account_id, m.candidate_id) == ("review", "A-1", "A-1")
    assert _alts(m) == [("Z-2", False), ("M-3", False)]
    assert m.alternatives[0].confidence == m.confidence  # an exact tie
    assert "another company scores alike (Z-2)" in m.reasons()


def test_the_confidence_is_the_chosen_accounts_not_the_top_pairs() -> None:
    """At the parent's domain from the subsidiary's country, the subsidiary wins the tie-break
    although the parent's pair scores higher: the confidence reported is the subsidiary's."""
    index = AccountIndex.build(GROUP[:2])
    lead = Lead(lead_id="b", company="Vindkraft Holding", email="a@vindkraft.se", country="DE")
    pairs = _pairs(index, lead)
    assert pairs["P"][1] > pairs["C"][1] and pairs["P"][0] > pairs["C"][0]  # the premise
    m = index.match(lead)
    assert (m.account_id, m.decision) == ("C", "matched")
    assert m.confidence == pytest.approx(pairs["C"][0], abs=1e-4)
    assert _alts(m) == [("P", True)]
    assert m.alternatives[0].confidence > m.confidence
    assert any(e.signal == "tie_break" for e in m.evidence)


def test_tie_margin_decides_whether_a_weaker_namesake_is_a_rival() -> None:
    """The namesake abroad is a rival exactly when it is within ``tie_margin`` bits of the
    best: then the lead goes to review and the rival is listed first, before a record of the
    chosen company that scores higher."""
    index = AccountIndex.build(DUPLICATES_AND_RIVAL)
    lead = Lead(lead_id="c", company="Nordlicht Solar AB")
    pairs = _pairs(index, lead)
    gap = pairs["A-1"][1] - pairs["Z-2"][1]
    assert pairs["A-1"] == pairs["B-1"] and gap > 1.0  # the premise: a weaker namesake
    outside = index.with_config(MatchConfig(tie_margin=gap - 1e-6)).match(lead)
    assert (outside.decision, outside.account_id) == ("matched", "A-1")
    assert _alts(outside) == [("B-1", True), ("Z-2", False)]
    inside = index.with_config(MatchConfig(tie_margin=gap + 1e-6)).match(lead)
    assert (inside.decision, inside.account_id) == ("review", "A-1")
    assert _alts(inside) == [("Z-2", False), ("B-1", True)]
    assert inside.alternatives[0].confidence < inside.alternatives[1].confidence
    assert "another company scores alike (Z-2)" in inside.reasons()


def test_a_confidence_equal_to_a_threshold_reaches_it() -> None:
    """Thresholds compare the confidence as results show it (4 places), so a result shown at
    the threshold is decided as at the threshold."""
    index = AccountIndex.build(GROUP)
    lead = Lead(lead_id="v", company="Vindkraft")
    raw = _pairs(index, lead)["C"][0]
    conf = round(raw, 4)
    assert conf != raw  # the premise: the shown value differs from the probability
    above = math.nextafter(conf, 1.0)
    decisions = [
        index.with_config(MatchConfig(match_threshold=m, review_threshold=r)).match(lead)
        for m, r in [(conf, 0.5), (above, 0.5), (1.0, conf), (1.0, above)]
    ]
    assert [d.decision for d in decisions] == ["matched", "review", "review", "unmatched"]
    assert [d.account_id for d in decisions] == ["C", "C", "C", None]
    assert [d.candidate_id for d in decisions] == ["C", "C", "C", "C"]
    assert {d.confidence for d in decisions} == {conf}  # also unmatched: its candidate's


@pytest.mark.parametrize(
    ("most", "expected"), [(3, ["Z-2", "M-3"]), (1, ["Z-2"]), (0, [])], ids=["3", "1", "0"]
)
def test_max_alternatives_caps_the_list_and_keeps_the_rival(most: int, expected: list[str]) -> None:
    index = AccountIndex.build(NAMESAKES, MatchConfig(max_alternatives=most))
    m = index.match(Lead(lead_id="t", company="Nordlicht Solar AB"))
    assert [a.account_id for a in m.alternatives] == expected
    assert m.decision == "review"  # the rival still makes it ambiguous when not listed


def test_a_candidate_under_one_percent_is_no_alternative() -> None:
    index = AccountIndex.build(GROUP)
    lead = Lead(lead_id="d", company="Vindkraft", country="DE")
    pairs = _pairs(index, lead)
    assert pairs["R"][0] < 0.01 < pairs["P"][0]  # the premise: R was a candidate, below 1%
    m = index.match(lead)
    assert m.account_id == "C"
    assert _alts(m) == [("P", True)]
    # The parent is no contender (far below, and unlikely): no tie was broken.
    assert not any(e.signal == "tie_break" for e in m.evidence)


def test_a_generic_name_is_penalised_from_a_similarity_of_0_82() -> None:
    """``name_generic`` applies to a generic account name the lead's name agrees with: from a
    similarity of 0.82 (or an exact name, or a cover of 0.9); this pair sits at 0.866."""
    index = AccountIndex.build(
        [{"account_id": "K", "name": "International Trading and Marketing Company"}]
    )
    view = view_of(index)
    leads = [Lead(lead_id="near", company="Trading and Marketing Company"),
             Lead(lead_id="far", company="International Marketing Company")]  # fmt: skip
    (_, feats, scores, _), *_ = scored_batches(view, leads, index.config)
    assert feats.lead.tolist() == [0, 1] and bool(feats.name_generic.all())
    sims, covers = feats.name_sim.round(3).tolist(), feats.name_cover.round(3).tolist()
    assert (sims, covers) == ([0.866, 0.707], [0.75, 0.5])  # the premise
    levels = [LEVELS["name_generic"][k] for k in scores.levels["name_generic"]]
    assert levels == ["generic", "specific"]


def test_an_exact_tie_is_a_tie_even_with_no_margin() -> None:
    index = AccountIndex.build(NAMESAKES, MatchConfig(tie_margin=0.0))
    m = index.match(Lead(lead_id="t", company="Nordlicht Solar AB"))
    assert (m.decision, m.account_id) == ("review", "A-1")
    assert _alts(m)[0] == ("Z-2", False)


def test_a_relative_exactly_as_likely_as_the_best_still_contends() -> None:
    """With no margin the parent is not near the subsidiary's higher total (the lead writes
    from the subsidiary's domain), but its confidence equals the subsidiary's (a calibration
    flat at 0.9): it contends, and the lead's country picks it."""
    flat = Weights().model_copy(update={"calibration": ((-50.0, 0.9), (50.0, 0.9))})
    config = MatchConfig(tie_margin=0.0, match_threshold=1.0, weights=flat)
    index = AccountIndex.build(GROUP[:2], config)
    lead = Lead(lead_id="b", company="Vindkraft", email="a@vindkraft.de", country="SE")
    pairs = _pairs(index, lead)
    assert pairs["C"][1] > pairs["P"][1] and pairs["P"][0] == pairs["C"][0]  # the premise
    m = index.match(lead)
    assert (m.account_id, m.decision) == ("P", "review")
    assert any(e.signal == "tie_break" for e in m.evidence)


def test_each_account_is_scored_by_its_best_name_and_every_candidate_kept() -> None:
    """The account's alias beats its own name; the next account's only name ties with that
    alias. Both accounts are weighed, each once: a tie between two companies."""
    index = AccountIndex.build([
        {"account_id": "A1", "name": "Barx Foods Oy", "aliases": "Barx Tech", "country": "FI"},
        {"account_id": "A2", "name": "Barx Technologies Ltd", "country": "GB"},
    ])  # fmt: skip
    m = index.match(Lead(lead_id="x", company="Barx Tech"))
    assert (m.decision, m.account_id) == ("review", "A1")
    assert _alts(m) == [("A2", False)] and m.alternatives[0].confidence == m.confidence
    assert "(alias)" in m.reasons() and "another company scores alike (A2)" in m.reasons()
