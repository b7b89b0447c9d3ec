"""The queue's promises over any batch: every review lead is asked about exactly once (itself or
as one its question settles), questions come most worth first, and an answer to a question
does find every lead the question says it settles."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadmatch import Label, LabelBook, Match
from leadmatch.review import queue

COMPANIES = ["Nordwind Logistik GmbH", "NORDWIND LOGISTIK", "Tanaka Seiki", "株式会社田中精機",
             "Fonseca Comércio Ltda", "", "  "]  # fmt: skip
EMAILS = ["", "ana@nordwind.de", "bo@nordwind.de", "ana@gmail.com", "k.sato@tanaka-seiki.co.jp",
          "info@fonseca.com.br", "not an email"]  # fmt: skip
WEBSITES = [None, "https://www.nordwind.de/kontakt", "fonseca.com.br", "linkedin.com/company/x"]

rows = st.tuples(
    st.sampled_from(COMPANIES),
    st.sampled_from(EMAILS),
    st.sampled_from(WEBSITES),
    st.sampled_from(["matched", "review", "unmatched", "error"]),
    st.floats(0.0, 1.0),
    st.sampled_from(["A1", "A2", ""]),
)


def _batch(drawn: list[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], list[Match]]:
    leads, results = [], []
    for n, (company, email, website, decision, confidence, account) in enumerate(drawn):
        lead_id = f"L{n}"
        leads.append({"lead_id": lead_id, "company": company, "email": email, "website": website})
        named = decision == "matched" and account
        results.append(
            Match(
                lead_id=lead_id,
                account_id=account if named else None,
                candidate_id=account or None,
                confidence=confidence,
                decision=decision if named or decision != "matched" else "unmatched",
                error="bad" if decision == "error" else None,
            )
        )
    return leads, results


@given(st.lists(rows, max_size=25), st.integers(0, 5))
def test_every_review_lead_is_asked_once_most_worth_first(
    drawn: list[tuple[Any, ...]], audit: int
) -> None:
    leads, results = _batch(drawn)
    items = queue(results, leads, bands=["review", "unmatched"], audit=audit)
    seen = [i.lead.lead_id for i in items] + [s for i in items for s in i.settles]
    assert len(seen) == len(set(seen))
    review = {r.lead_id for r in results if r.decision == "review"}
    assert review <= set(seen)
    assert all(r.decision != "error" for r in results if r.lead_id in seen)
    worths = [i.worth for i in items]
    assert worths == sorted(worths, reverse=True)
    assert all(i.worth >= 0 for i in items)


@given(st.lists(rows, min_size=1, max_size=25))
def test_an_answer_finds_every_lead_its_question_settles(drawn: list[tuple[Any, ...]]) -> None:
    leads, results = _batch(drawn)
    by_id = {lead["lead_id"]: lead for lead in leads}
    for item in queue(results, leads, bands=["review", "unmatched"]):
        lead = item.lead
        book = LabelBook.of([Label(lead_id=lead.lead_id, email=lead.email, company=lead.company,
                                   website=lead.website, account_id="A9")])  # fmt: skip
        for other in item.settles:
            fields = by_id[other]
            found = book.find(None, fields["email"], fields["company"], fields["website"])
            assert found is not None, (item, fields)
