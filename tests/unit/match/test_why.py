"""Explaining one lead: every candidate with what each signal gave it (adding up to its score),
the rule that decided, and what would change the decision."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from leadmatch import AccountIndex, Label, MatchConfig
from leadmatch.cli import main
from leadmatch.match import score_for
from leadmatch.match.scoring import probability

ACCOUNTS = [
    {"account_id": "BR-1", "name": "Grupo Goldpeak ME", "domain": "goldpeak.com.br",
     "country": "BR"},
    {"account_id": "ID-1", "name": "PT Goldpeak", "domain": "goldpeak.co.id", "country": "ID"},
    {"account_id": "FR-1", "name": "Goldpeak France SARL", "domain": "goldpeak.fr",
     "country": "FR"},
    {"account_id": "JP-1", "name": "株式会社田中精機", "domain": "tanaka-seiki.co.jp",
     "country": "JP"},
]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


@pytest.mark.parametrize(
    "lead",
    [
        {"email": "lucas@gmail.com", "company": "Grupo Goldpeak"},
        {"email": "a.dubois@goldpeak.fr", "company": "Goldpeak"},
        {"email": "k.sato@tanaka-seiki.co.jp", "company": "田中精機"},
    ],
)
def test_each_candidates_evidence_adds_up_to_its_score(
    index: AccountIndex, lead: dict[str, str]
) -> None:
    explained = index.explain(lead)
    assert explained.candidates
    prior = index.config.weights.prior
    for c in explained.candidates:
        said = sum(e.weight for e in c.evidence)
        assert prior + said + c.rivals == pytest.approx(c.score, abs=1e-3), c
        assert c.confidence == pytest.approx(
            float(probability(np.array([c.score]), index.config.weights)[0]),
            abs=1e-3,
        )
    scores = [c.score for c in explained.candidates]
    assert scores == sorted(scores, reverse=True)
    assert explained.match == index.match(lead)
    assert explained.candidates[0].account_id == explained.match.candidate_id


def test_the_notes_say_the_rule_and_what_would_change_it(index: AccountIndex) -> None:
    unsure = index.explain({"email": "lucas@gmail.com", "company": "Grupo Goldpeak"})
    config = index.config
    assert unsure.match.decision == "unmatched"
    assert unsure.notes[0].startswith(
        f"unmatched: confidence {unsure.match.confidence:.4f} is below the review threshold"
    )
    best = unsure.candidates[0]
    needed = score_for(config.match_threshold, config)
    assert needed is not None and needed > best.score
    assert (
        f"BR-1 would be matched at a score of {needed:+.2f} (confidence 0.90): "
        f"{needed - best.score:.2f} bits more evidence" in unsure.notes
    )
    sure = index.explain({"email": "a.dubois@goldpeak.fr", "company": "Goldpeak France"})
    assert sure.match.decision == "matched"
    assert sure.notes[0].startswith("matched: confidence")
    assert not any("would be" in note for note in sure.notes)


def test_score_for_is_the_lowest_score_that_reaches_a_confidence() -> None:
    config = MatchConfig()
    needed = score_for(0.9, config)
    assert needed is not None

    at = probability(np.array([needed, needed - 0.01]), config.weights)
    assert at[0] >= 0.9 > at[1]
    assert score_for(1.5, config) is None


def test_a_capped_candidate_list_says_so() -> None:
    names = ["Nordwind Logistik GmbH", "Nordwind Energie AG", "Nordwind Reisen KG"]
    nordwind = AccountIndex.build([{"account_id": f"DE-{n}", "name": name}
                                   for n, name in enumerate(names)])  # fmt: skip
    whole = nordwind.explain({"company": "Nordwind"})
    assert len(whole.candidates) == 3 and not any("max_candidates" in n for n in whole.notes)
    capped = nordwind.with_config(MatchConfig(max_candidates=2)).explain({"company": "Nordwind"})
    assert len(capped.candidates) == 2
    assert any("(max_candidates): other accounts may" in n for n in capped.notes)
    common = nordwind.with_config(MatchConfig(max_block_size=2)).explain(
        {"company": "Nordwind Reisen"}
    )
    assert [c.account_id for c in common.candidates] == ["DE-2"]  # found by "reisen" alone
    assert common.notes[-1] == (
        "words in more than 2 account names find no candidates (max_block_size): nordwind"
    )


def test_an_unreadable_lead_and_a_labelled_one(index: AccountIndex) -> None:
    broken = index.explain({"email": 5j})  # type: ignore[dict-item]
    assert broken.match.decision == "error" and broken.candidates == ()
    assert broken.notes[0].startswith("the lead cannot be read: email")
    label = Label(email="lucas@gmail.com", account_id="BR-1", by="ana")
    labelled = index.explain({"email": "lucas@gmail.com", "company": "Grupo Goldpeak"},
                             labels=[label])  # fmt: skip
    assert labelled.match.decision == "labelled" and labelled.match.account_id == "BR-1"
    assert labelled.notes[0].startswith("labelled: labelled BR-1 by ana")
    assert labelled.candidates[0].account_id == "BR-1"  # the model's view stays visible


def test_the_command_line_prints_the_report_or_json(
    index: AccountIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = str(index.save(tmp_path / "accounts.lmx"))
    lead = '{"email": "lucas@gmail.com", "company": "<img src=x onerror=alert(1)>"}'
    assert main(["explain", "--accounts", saved, "--lead", lead]) == 0
    assert capsys.readouterr().out.startswith("lead 0: unmatched")
    lead = '{"email": "lucas@gmail.com", "company": "Grupo Goldpeak"}'
    assert main(["explain", "--accounts", saved, "--lead", lead, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["match"]["candidate_id"] == "BR-1"
    assert [c["account_id"] for c in data["candidates"]][:1] == ["BR-1"]
    assert data["candidates"][0]["evidence"][0]["weight"] != 0
    assert main(["explain", "--accounts", saved, "--lead", "{not json"]) == 2
    assert "--lead is not JSON" in capsys.readouterr().err
    assert main(["explain", "--accounts", saved, "--lead", "[1]"]) == 2
