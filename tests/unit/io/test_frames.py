"""DataFrames in, DataFrames out: same index, same order, pandas' missing values understood."""

from __future__ import annotations

import pytest

from leadmatch import AccountIndex

pd = pytest.importorskip("pandas")


def test_frame_in_frame_out_keeps_the_index() -> None:
    accounts = pd.DataFrame(
        {
            "account_id": [101, 102],  # integer ids are read as text
            "name": ["Acme Robotics Ltd", "Nordic Timber AB"],
            "domain": ["acme-robotics.co.uk", None],
            "country": pd.Categorical(["GB", "SE"]),
        }
    )
    index = AccountIndex.build(accounts)
    leads = pd.DataFrame(
        {
            "lead_id": ["a", "b", "c"],
            "email": ["x@acme-robotics.co.uk", pd.NA, float("nan")],
            "company": [None, "Nordic Timber", 42],
        },
        index=[10, 5, 7],
    )
    out = index.match_many(leads)
    assert list(out.index) == [10, 5, 7]
    assert list(out.columns[:5]) == ["lead_id", "account_id", "confidence", "decision", "evidence"]
    assert list(out.account_id) == ["101", "102", ""]
    assert list(out.decision) == ["matched", "matched", "unmatched"]


def test_frames_with_salesforce_and_hubspot_headers() -> None:
    accounts = pd.DataFrame(
        {"Id": ["001A"], "Account Name": ["Nordic Timber AB"], "Website": ["nordictimber.se"]}
    )
    leads = pd.DataFrame({"Email": ["ann@nordictimber.se"], "Company Name": ["Nordic Timber"]})
    out = AccountIndex.build(accounts).match_many(leads)
    assert list(out.account_id) == ["001A"]
    assert list(out.lead_id) == ["0"]  # no id column: the frame's index
