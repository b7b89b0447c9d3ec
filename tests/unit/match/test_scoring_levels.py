"""The level each comparison picks at and around its cut-offs, written out, and the sums the
confidence is made of: a cut moved or a ``>=`` turned into ``>`` fails here.

The pairs are built by hand (``_pairs``): every feature neutral (no name, no domain, nothing
agreeing) but the ones a case sets.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from leadmatch import Weights
from leadmatch.config import LEVELS
from leadmatch.match.features import Features
from leadmatch.match.scoring import choose_levels, probability, rival_gap, score


def _pairs(n: int, **set_: Any) -> Features:
    """``n`` pairs of one lead each (lead i, account i), neutral but for ``set_`` (arrays)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Features):
        if field.name in ("lead", "name_row", "account"):
            values[field.name] = np.arange(n, dtype=np.int64)
        elif field.name in set_:
            values[field.name] = np.asarray(set_[field.name])
        elif field.name in ("name_sim", "name_cover"):
            values[field.name] = np.zeros(n)
        elif field.name in ("blockers", "domain_owners"):
            values[field.name] = np.zeros(n, dtype=np.int64)
        elif field.name == "candidates":
            values[field.name] = np.ones(n, dtype=np.int64)
        else:
            values[field.name] = np.zeros(n, dtype=bool)
    unknown = set(set_) - set(values)
    assert not unknown, unknown
    return Features(**values)


def _levels(features: Features, comparison: str) -> list[str]:
    return [LEVELS[comparison][k] for k in choose_levels(features)[comparison]]


SIMS = [1.0, 0.97, 0.9699, 0.93, 0.9, 0.86, 0.82, 0.8199, 0.76, 0.7, 0.65, 0.55, 0.45, 0.4499]


def test_name_similarity_levels_start_at_their_cuts() -> None:
    f = _pairs(len(SIMS), name_sim=SIMS)
    assert _levels(f, "name") == [
        "sim97", "sim97", "sim93", "sim93", "sim90", "sim86", "sim82", "sim76", "sim76",
        "sim70", "sim65", "sim55", "sim45", "different",
    ]  # fmt: skip


def test_a_part_of_a_listed_name_counts_from_0_97() -> None:
    f = _pairs(3, name_part=[True] * 3, name_sim=[0.97, 0.9699, 1.0])
    assert _levels(f, "name") == ["part", "sim93", "part"]


def test_name_cover_levels_start_at_their_cuts() -> None:
    # A lead that adds a word of its own: the share of the account's name alone speaks.
    covers = [1.0, 0.99, 0.9, 0.8999, 0.75, 0.7499, 0.5, 0.4999]
    f = _pairs(
        len(covers), name_cover=covers, name_one_word=[True] * 2 + [False] * 6,
        name_adds=[True] * len(covers),
    )  # fmt: skip
    assert _levels(f, "name_cover") == [
        "one_word", "one_word", "cover90", "cover75", "cover75", "cover50", "cover50", "less"
    ]  # fmt: skip
    many_words = _pairs(2, name_cover=[1.0, 0.99])
    assert _levels(many_words, "name_cover") == ["all", "all"]


def test_a_lead_adding_no_word_and_holding_half_the_name_is_shorter() -> None:
    covers = [1.0, 0.9899, 0.9, 0.5, 0.4999]
    alone = _pairs(len(covers), name_cover=covers)
    assert _levels(alone, "name_cover") == ["all", "shorter", "shorter", "shorter", "less"]
    adding = _pairs(len(covers), name_cover=covers, name_adds=[True] * len(covers))
    assert _levels(adding, "name_cover") == ["all", "cover90", "cover90", "cover50", "less"]
    # An account name of one word, held whole: "one_word" only beside words of the lead's own.
    one = _pairs(2, name_cover=[1.0, 1.0], name_one_word=[True, True], name_adds=[False, True])
    assert _levels(one, "name_cover") == ["all", "one_word"]


def test_the_name_at_the_accounts_own_domain_starts_at_its_cuts() -> None:
    sims = [0.9, 0.8999, 0.76, 0.7599, 0.55, 0.5499]
    f = _pairs(len(sims), name_sim=sims, domain_exact=[True] * len(sims))
    expected = ["sim90", "sim76", "sim76", "sim55", "sim55", "different"]
    assert _levels(f, "name_at_domain") == expected
    assert set(_levels(f, "name")) == {"missing"}  # the name itself is neutral at the domain


def test_an_unlike_name_says_less_where_the_domain_is_the_accounts_alone() -> None:
    # Own domain, one owner: "different"; shared by two accounts, or a group member's: "shared".
    f = _pairs(
        4, name_sim=[0.5] * 4, domain_exact=[True, True, False, True],
        domain_family=[False, False, True, False], domain_owners=[1, 2, 1, 0],
    )  # fmt: skip
    assert _levels(f, "name_at_domain") == ["different", "shared", "shared", "different"]
    near = _pairs(2, name_sim=[0.55, 0.55], domain_family=[True, True], domain_owners=[1, 4])
    assert _levels(near, "name_at_domain") == ["sim55", "sim55"]


def test_an_acronym_in_the_accounts_country() -> None:
    f = _pairs(
        4, acronym=[True, True, True, False], country_agree=[True, False, False, True],
        country_conflict=[False, True, False, False],
    )  # fmt: skip
    assert _levels(f, "acronym") == ["agree_country", "agree", "agree", "unknown"]


def test_owners_of_the_leads_domain() -> None:
    f = _pairs(5, domain_owners=[0, 1, 2, 3, 4])
    assert _levels(f, "domain_owners") == ["unknown", "one", "few", "few", "many"]


def test_candidates_count_levels() -> None:
    counts = [1, 2, 3, 5, 6, 12, 13, 40]
    f = _pairs(len(counts), candidates=counts, name_sim=[0.5] * len(counts))
    assert _levels(f, "candidates") == ["one", "two", "few", "few", "some", "some", "many", "many"]
    # A lead without a comparable name, off the account's domain, gets the neutral level.
    bare = _pairs(2, candidates=[1, 1], name_missing=[True, True], domain_exact=[False, True])
    assert _levels(bare, "candidates") == ["many", "one"]


def test_a_generic_name_is_penalised_where_the_names_agree() -> None:
    # Agreeing: exactly the name, a similarity of 0.82 or more, or a cover of 0.9 or more.
    f = _pairs(
        6,
        name_generic=[True] * 6,
        name_exact=[True, False, False, False, False, False],
        name_sim=[0.0, 0.82, 0.8199, 0.0, 0.0, 0.0],
        name_cover=[0.0, 0.0, 0.0, 0.9, 0.8999, 0.0],
    )
    assert _levels(f, "name_generic") == [
        "generic", "generic", "specific", "generic", "specific", "specific"
    ]  # fmt: skip


def test_the_logistic_confidence_without_a_calibration() -> None:
    got = probability(np.array([0.0, 1.0, -1.0, 3.0]), Weights(calibration=()))
    assert got.tolist() == pytest.approx([0.5, 2 / 3, 1 / 3, 8 / 9])


def test_a_calibration_is_read_between_its_points() -> None:
    weights = Weights(calibration=((-2.0, 0.1), (2.0, 0.9)))
    got = probability(np.array([-5.0, -2.0, 0.0, 1.0, 2.0, 7.0]), weights)
    assert got.tolist() == pytest.approx([0.1, 0.1, 0.5, 0.7, 0.9, 0.9])


def test_a_lead_without_rivals_has_the_confidence_it_would_have_alone() -> None:
    """One candidate per lead: the gap is the lead over the prior, capped at 8 bits either way,
    and ``alone`` (no rivals) is the same sum. Three strengths: more than 8 bits under the
    prior, near it, more than 8 bits over it."""
    domain = {**Weights().domain, "conflict": -12.0}  # a conflict far below the prior
    weights = Weights(calibration=(), gap=0.5, prior=-4.0, domain=domain)
    f = _pairs(
        3,
        name_exact=[False, False, True],
        name_sim=[0.0, 0.86, 1.0],
        name_cover=[0.0, 0.9, 1.0],
        domain_exact=[False, False, True],
        domain_conflict=[True, False, False],
        legal_conflict=[True, False, False],
        country_conflict=[True, False, False],
        legal_agree=[False, False, True],
        country_agree=[False, False, True],
        phone_agree=[False, False, True],
    )
    s = score(f, weights, group=np.arange(3, dtype=np.int64))
    gap = np.clip(s.raw - weights.prior, -8.0, 8.0)
    assert gap.tolist() == s.gap.tolist()
    assert gap[0] == -8.0 and gap[2] == 8.0 and -8.0 < gap[1] < 8.0  # the premise
    assert s.total.tolist() == pytest.approx((s.raw + 0.5 * gap).tolist())
    assert s.alone.tolist() == pytest.approx(s.probability.tolist())
    assert s.probability.tolist() == pytest.approx((1 / (1 + 2.0**-s.total)).tolist())


def test_the_rival_gap_of_pairs_not_sorted_by_lead_is_the_sorted_ones_in_place() -> None:
    # Lead 0's pairs on either side of lead 1's (every later lead >= the first, yet unsorted):
    # lead 0 has groups 7 (score 3) and 8 (score 1), lead 1 one group (score 2, no rival: the
    # floor of 0 is its rival).
    lead = np.array([0, 1, 0])
    group = np.array([7, 9, 8])
    raw = np.array([3.0, 2.0, 1.0])
    assert rival_gap(lead, group, raw, 0.0).tolist() == [2.0, 2.0, -2.0]
