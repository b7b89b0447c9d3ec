"""Results are built without re-validation; they must equal validated records in every way."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from pydantic import ValidationError

from leadmatch import AccountIndex, Lead, Match
from leadmatch._util.resources import demo_text
from leadmatch.config import LEVELS
from leadmatch.models import trusted

ACCOUNTS = [
    {"account_id": "A1", "name": "Acme Robotics GmbH", "domain": "acme-robotics.de",
     "country": "DE"},
    {"account_id": "A2", "name": "Acme Robotics Inc", "domain": "acme-robotics.com",
     "country": "US", "parent_id": "A1"},
    {"account_id": "B1", "name": "Acme Robotic Systems", "country": "US"},
]  # fmt: skip
LEADS: list[Lead | dict[str, str]] = [
    Lead(lead_id="L1", email="k@acme-robotics.de", company="Acme Robotics", country="DE"),
    Lead(lead_id="L2", company="Acme Robotics", country="US"),
    Lead(lead_id="L3", company="Nothing Alike Ltd"),
    {"lead_id": "L4", "company": "x" * 20_000},
]


def test_results_equal_their_validated_copies() -> None:
    results = AccountIndex.build(ACCOUNTS).match_many(LEADS)
    assert [m.decision for m in results][2:] == ["unmatched", "error"]
    for match in results:
        validated = Match.model_validate(match.model_dump())
        assert validated == match
        assert validated.model_dump_json() == match.model_dump_json()
        assert Match.model_validate_json(match.model_dump_json()) == match
        assert json.loads(match.model_dump_json())["lead_id"] == match.lead_id
        assert match.model_fields_set == validated.model_fields_set
        assert all(type(e).__name__ == "Evidence" for e in match.evidence)
        changed = match.model_copy(update={"decision": "review"})
        assert changed.decision == "review" and changed.lead_id == match.lead_id
        assert copy.deepcopy(match) == match
        if match.evidence:
            assert match.evidence[0].model_copy(update={"weight": 1.0}).weight == 1.0


def test_trusted_records_are_frozen_and_hashable_like_models() -> None:
    values = {"lead_id": "L1", "account_id": None, "confidence": 0.0, "decision": "unmatched",
              "evidence": (), "alternatives": (), "ultimate_parent_id": None,
              "candidate_id": None, "found_by": (), "error": None,
              "account_fields": ()}  # fmt: skip
    fast, slow = trusted(Match, dict(values)), Match(**values)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(ValidationError, match="frozen"):
        fast.decision = "matched"  # type: ignore[misc]


def test_rows_made_without_records_equal_the_rows_of_the_records() -> None:
    """The CLI's rows skip the records; they must say exactly what the records say, on the
    demo data (matched, review with a rival, unmatched, no candidate) and on bad rows."""
    from leadmatch.match import match_records, result_row

    accounts = list(csv.DictReader(io.StringIO(demo_text("accounts.csv"))))
    leads: list[object] = list(csv.DictReader(io.StringIO(demo_text("leads.csv"))))
    leads += [{"lead_id": "bad", "company": "x" * 20_000}, {"lead_id": "none"},
              {"lead_id": "twin", "company": "Nordwind Logistik"}]  # fmt: skip
    accounts += [{"account_id": "T1", "name": "Nordwind Logistik GmbH", "country": "DE"},
                 {"account_id": "T2", "name": "Nordwind Logistik AG", "country": "CH"}]  # fmt: skip
    index = AccountIndex.build(accounts).view()
    records = match_records(index, leads)  # type: ignore[arg-type]
    rows = match_records(index, leads, rows=True)  # type: ignore[arg-type]
    assert rows == [result_row(m) for m in records]
    decisions = {m.decision for m in records}
    assert decisions == {"matched", "review", "unmatched", "error"}
    bad, none, twin = records[-3:]
    assert (bad.decision, none.decision, none.candidate_id) == ("error", "unmatched", None)
    assert (twin.decision, twin.account_id) == ("review", "T1")  # a tie: the smaller id first
    assert [(a.account_id, a.related) for a in twin.alternatives] == [("T2", False)]
    assert twin.reasons().endswith("another company scores alike (T2)")
    assert rows[-1]["account_id"] == "T1" and rows[-1]["decision"] == "review"


def test_evidence_weighs_each_level_as_the_weights_say_strongest_first() -> None:
    """Each piece of evidence carries its own comparison's weight for its level; the strongest
    (for or against) comes first, and equally strong ones in the order of the comparisons.
    The demo data give evidence for and against, and equally strong pieces of two comparisons."""
    accounts = list(csv.DictReader(io.StringIO(demo_text("accounts.csv"))))
    leads = list(csv.DictReader(io.StringIO(demo_text("leads.csv"))))
    index = AccountIndex.build(accounts)
    weights = index.config.weights
    comparisons = list(LEVELS)
    mixed = ties = 0
    for match in index.match_many(leads):
        # The notes on a tie and on a lead without candidates aside: they are no level.
        said = [e for e in match.evidence if e.level in LEVELS.get(e.signal, ())]
        assert [e.weight for e in said] == [getattr(weights, e.signal)[e.level] for e in said]
        keys = [(-abs(e.weight), comparisons.index(e.signal)) for e in said]
        assert keys == sorted(keys)
        mixed += min(e.weight for e in said) < 0 < max(e.weight for e in said) if said else 0
        ties += len({abs(e.weight) for e in said}) < len(said)
    assert mixed and ties  # the order was tested where it matters
