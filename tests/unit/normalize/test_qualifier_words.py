"""Words that say which part or place of a company is meant (issue 17): the list, and what a
lead adding only such words to an account's name is read as."""

from __future__ import annotations

from typing import Any

import numpy as np

from leadmatch import Account, AccountIndex, Lead
from leadmatch._util.resources import word_set
from leadmatch.config import LEVELS
from leadmatch.match import scored_batches, view_of
from leadmatch.normalize import normalize_name, qualifier_words


def test_the_list_is_sorted_unique_tokens_as_names_write_them() -> None:
    listed = word_set("qualifier_words.txt")
    assert {"hq", "dept"} <= listed  # read as names write them: headquarters, department
    for word in qualifier_words():
        assert word.isascii() and word.isalpha() and word == word.lower(), word
        assert normalize_name(word).ascii == word, word  # a name's token, as leads give it


def test_countries_of_four_letters_or_more_regions_and_parts_but_no_codes() -> None:
    words = qualifier_words()
    assert {"germany", "deutschland", "nederland", "japan", "brasil", "uk", "usa"} <= words
    assert {"europe", "emea", "department", "sales", "headquarters"} <= words
    assert not {"de", "it", "can", "per", "gab"} & words  # country codes that are words too
    # A code the name normalizer would write out ("fin" as "financial") is no country either.
    assert "financial" not in words and "finland" in words
    assert not {"acme", "philips", "university"} & words


def _scored(names: dict[str, str], leads: list[Lead]) -> tuple[AccountIndex, Any, Any, Any]:
    """The index of ``names`` (with an unrelated account beside them), and the leads' one
    scored batch: (index, lead ids, features, scores)."""
    accounts = [Account(account_id=i, name=n) for i, n in {**names, "K": "Kodex Holdings"}.items()]
    index = AccountIndex.build(accounts)
    ((ids, feats, scores, _),) = list(scored_batches(view_of(index), leads, index.config))
    return index, ids, feats, scores


def test_a_lead_adding_a_place_or_a_department_is_the_name_shortened() -> None:
    leads = [Lead(lead_id="place", company="Whirlpool Europe B.V."),
             Lead(lead_id="dept", company="Whirlpool IT Dept"),
             Lead(lead_id="word", company="Whirlpool Kitchens"),
             Lead(lead_id="other", company="Sunrise Properties")]  # fmt: skip
    names = {"W": "Whirlpool International B.V.", "S": "Sunrise Industries"}
    _, ids, feats, scores = _scored(names, leads)
    got = {
        ids[int(feats.lead[k])]: (
            bool(feats.name_adds[k]),
            LEVELS["name_cover"][scores.levels["name_cover"][k]],
        )
        for k in range(len(feats.lead))
    }
    # "IT" is a word no account has, not a qualifier: it still adds.
    assert got == {
        "place": (False, "shorter"),
        "dept": (True, "cover50"),
        "word": (True, "cover50"),
        "other": (True, "cover50"),
    }
    assert np.all(feats.name_cover[feats.lead == 0] >= 0.5)


def test_a_country_first_or_in_place_of_the_accounts_own_is_a_word_of_the_name() -> None:
    leads = [Lead(lead_id="swap", company="Air China Limited"),
             Lead(lead_id="first", company="American Express")]  # fmt: skip
    index, ids, feats, scores = _scored({"IN": "Air India Limited", "ES": "Express Scripts"}, leads)
    got = {ids[int(feats.lead[k])]: bool(feats.name_adds[k]) for k in range(len(feats.lead))}
    assert got == {"swap": True, "first": True}
    assert "shorter" not in {LEVELS["name_cover"][x] for x in scores.levels["name_cover"]}
    assert all(m.decision != "matched" for m in index.match_many(leads))
