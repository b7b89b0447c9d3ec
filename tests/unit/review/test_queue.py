"""The review queue: the most useful answer first, one question per company at its domains,
nothing asked twice or asked again once a label settles it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from leadmatch import AccountIndex, InvalidInputError, Label, Match
from leadmatch.match import result_row
from leadmatch.review import queue


def _result(lead_id: str, decision: str, confidence: float, account: str = "A1") -> Match:
    named = decision == "matched"
    return Match(
        lead_id=lead_id,
        account_id=account if named else None,
        candidate_id=account or None,
        confidence=confidence,
        decision=decision,  # type: ignore[arg-type]
    )


def _lead(lead_id: str, email: str, company: str, website: str | None = None) -> dict[str, Any]:
    return {"lead_id": lead_id, "email": email, "company": company, "website": website}


def test_the_likelier_answer_that_changes_something_comes_first() -> None:
    leads = [
        _lead("L1", "a@nordwind.de", "Nordwind Logistik"),
        _lead("L2", "b@tanaka-seiki.co.jp", "Tanaka Seiki"),
        _lead("L3", "c@fonseca.com.br", "Fonseca Comércio"),
    ]
    results = [_result("L1", "review", 0.55), _result("L2", "review", 0.85),
               _result("L3", "matched", 0.97)]  # fmt: skip
    items = queue(results, leads)
    assert [item.lead.lead_id for item in items] == ["L2", "L1"]
    assert [item.worth for item in items] == [0.85, 0.55]
    assert items[0].band == "review" and items[0].account_id == "A1"
    assert items[0].lead.company == "Tanaka Seiki"


def test_one_question_per_company_at_its_domains_and_it_counts_them_all() -> None:
    leads = [
        _lead("L1", "ana@stadtwerke-koeln.de", "Stadtwerke Köln"),
        _lead("L2", "bo@stadtwerke-koeln.de", "STADTWERKE KÖLN"),
        _lead("L3", "cy@stadtwerke-koeln.de", "Stadtwerke Köln"),
        _lead("L4", "dd@rheinenergie.com", "Stadtwerke Köln"),  # another domain: its own
        _lead("L5", "ed@gmail.com", "Stadtwerke Köln"),  # free mail: no company domain
    ]
    results = [_result("L1", "review", 0.6), _result("L2", "review", 0.7),
               _result("L3", "matched", 0.9), _result("L4", "review", 0.65),
               _result("L5", "review", 0.5)]  # fmt: skip
    items = queue(results, leads)
    first = items[0]
    assert first.lead.lead_id == "L2"  # the group's most telling lead in the band
    assert sorted(first.settles) == ["L1", "L3"]
    assert first.worth == pytest.approx(0.6 + 0.7 + 0.1)
    assert [(i.lead.lead_id, i.settles) for i in items[1:]] == [("L4", ()), ("L5", ())]


def test_leads_of_one_email_without_a_company_share_a_question() -> None:
    leads = [
        _lead("L1", "j.smith@acme-tools.co.uk", ""),
        _lead("L2", "J.Smith@ACME-TOOLS.CO.UK", ""),
    ]
    results = [_result("L1", "review", 0.6), _result("L2", "unmatched", 0.2)]
    (item,) = queue(results, leads)
    assert item.lead.lead_id == "L1" and item.settles == ("L2",)


def test_bands_unmatched_only_with_a_candidate_and_audit_a_seeded_sample() -> None:
    leads = [_lead(f"L{i}", f"p{i}@firm{i}.com.au", f"Firm {i}") for i in range(8)]
    results = [
        _result("L0", "unmatched", 0.3),
        _result("L1", "unmatched", 0.0, account=""),  # blocking found nothing: nothing to ask
        _result("L2", "review", 0.5),
        *(_result(f"L{i}", "matched", 0.9 + i / 100) for i in range(3, 8)),
    ]
    assert [i.lead.lead_id for i in queue(results, leads)] == ["L2"]
    assert [i.lead.lead_id for i in queue(results, leads, bands=["review", "unmatched"])] == [
        "L2",
        "L0",
    ]
    audited = queue(results, leads, bands=[], audit=3, seed=7)
    assert len(audited) == 3 and {i.band for i in audited} == {"audit"}
    assert [i.worth for i in audited] == sorted((i.worth for i in audited), reverse=True)
    assert audited[0].worth == pytest.approx(1 - audited[0].confidence)
    again = queue(results, leads, bands=[], audit=3, seed=7)
    assert [i.lead.lead_id for i in again] == [i.lead.lead_id for i in audited]
    assert len(queue(results, leads, bands=[], audit=50)) == 5  # no more than there are


def test_weights_put_a_target_account_first() -> None:
    leads = [_lead("L1", "a@one-bio.com", "One"), _lead("L2", "b@two-labs.io", "Two")]
    results = [_result("L1", "review", 0.8, "A1"), _result("L2", "review", 0.5, "T1")]
    items = queue(results, leads, weights={"T1": 5.0})
    assert [i.lead.lead_id for i in items] == ["L2", "L1"]
    assert items[0].worth == pytest.approx(2.5)
    with pytest.raises(InvalidInputError, match="weight of account 'T1'"):
        queue(results, leads, weights={"T1": -1.0})
    with pytest.raises(InvalidInputError, match="weight of account 'T1'"):
        queue(results, leads, weights={"T1": "lots"})  # type: ignore[dict-item]


def test_labelled_error_and_settled_leads_are_not_asked_again() -> None:
    leads = [
        _lead("L1", "a@one-bio.com", "One"),
        _lead("L2", "b@two-labs.io", "Two"),
        {"lead_id": "L3", "email": 42.5j},  # an error row: its result says so
        _lead("L4", "d@four-ag.ch", "Four"),
    ]
    results = [_result("L1", "review", 0.8), _result("L2", "labelled", 1.0),
               Match(lead_id="L3", account_id=None, confidence=0.0, decision="error",
                     error="email: must be text"),
               _result("L4", "review", 0.7)]  # fmt: skip
    label = Label(email="other.person@one-bio.com", company="One", account_id=None)
    assert [i.lead.lead_id for i in queue(results, leads)] == ["L1", "L4"]
    assert [i.lead.lead_id for i in queue(results, leads, labels=[label])] == ["L4"]


def test_rows_of_a_results_file_and_leads_without_ids() -> None:
    leads = [{"email": "a@one-bio.com", "company": "One"}, {"email": "b@two-labs.io"}]
    matches = [_result("0", "review", 0.6), _result("1", "review", 0.9)]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(result_row(matches[0])))
    writer.writeheader()
    writer.writerows(result_row(m) for m in matches)
    rows = list(csv.DictReader(io.StringIO(text.getvalue())))
    items = queue(rows, leads)
    assert [(i.lead.lead_id, i.confidence) for i in items] == [("1", 0.9), ("0", 0.6)]


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ([_result("L1", "review", 0.5)], "1 results for 2 leads"),
        ([_result("L2", "review", 0.5), _result("L1", "review", 0.5)], "stands where lead 'L1'"),
        ([{"lead_id": "L1", "confidence": "high"}, {"lead_id": "L2"}], "is not a number"),
    ],
)
def test_results_that_are_not_these_leads_are_refused(results: list[Any], message: str) -> None:
    leads = [_lead("L1", "a@one-bio.com", "One"), _lead("L2", "b@two-labs.io", "Two")]
    with pytest.raises(InvalidInputError, match=message):
        queue(results, leads)


def test_unknown_band_and_negative_audit_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown band 'matched'"):
        queue([], [], bands=["matched"])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="audit must be"):
        queue([], [], audit=-1)


def test_an_answer_from_the_queue_settles_its_lead_in_the_next_match() -> None:
    index = AccountIndex.build(
        [
            {"account_id": "FR-1", "name": "Société Générale", "domain": "socgen.com"},
            {"account_id": "FR-2", "name": "Générale de Santé", "domain": "gsante.fr"},
        ]
    )
    leads = [
        {"lead_id": "L1", "email": "m.dupont@gmail.com", "company": "Generale"},
        {"lead_id": "L2", "email": "a.roux@socgen.com", "company": "Société Générale"},
    ]
    results = index.match_many(leads)
    items = queue(results, leads, bands=["review", "unmatched"])
    assert items and all(i.lead.lead_id == "L1" for i in items)
    label = items[0].answer("FR-1", by="ana")
    assert (label.lead_id, label.model_decision, label.model_account_id) == (
        "L1",
        items[0].decision,
        items[0].account_id,
    )
    again = index.match_many(leads, labels=[label])
    assert again[0].decision == "labelled" and again[0].account_id == "FR-1"
    assert queue(again, leads, bands=["review", "unmatched"]) == []
