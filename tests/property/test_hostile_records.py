"""Whole hostile records, generated: every lead in gets exactly one result out, in order, as a
list, a DataFrame or a CSV file; accounts that cannot be used are skipped, never fatal."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.budget import examples

from leadmatch import AccountIndex, Match
from leadmatch.cli import main
from leadmatch.models import ACCOUNT_FIELDS, LEAD_FIELDS

# Text from every corner: controls, bidi marks, combining marks, surrogates' neighbours,
# right-to-left and CJK scripts, and whatever hypothesis finds.
NASTY = st.text(
    st.characters(codec="utf-8")
    | st.sampled_from(
        ["\x00", "\x1b", "\u202e", "\u200f", "\u200b", "\ufeff", "\u0301", "\u0336", "ا", "ש",
         "株", "会", "社", "Ω", "ß", "İ", "ﬁ", "\n", "\r", "\t", '"', ",", ";", "=", "@"]
    ),
    max_size=40,
)  # fmt: skip
ALMOST_EMAILS = st.sampled_from(
    ["a@b", "@acme.com", "a@@acme.com", "a@acme..com", "a@-acme.com", "a@acme.com.", "a b@acme.com",
     "ü@例え.jp", "x@xn--80ak6aa92e.com", "root@[127.0.0.1]", "a@acme.c", "a@" + "a" * 300 + ".com",
     "mailto:a@acme.com", "<a@acme.com>", "a@gmail.com", "a@acme.co.uk\x00"]
)  # fmt: skip
ALMOST_URLS = st.sampled_from(
    ["http://", "https://exa mple.com", "ftp://acme.com", "www.", "http://xn--", "//acme.com",
     "http://192.168.0.1/x", "acme", "http://acme.com:99999", "https://acme.com/" + "a" * 500]
)  # fmt: skip
VALUES = st.one_of(
    st.none(),
    NASTY,
    ALMOST_EMAILS,
    ALMOST_URLS,
    st.just(math.nan),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.just(10**5000),  # more digits than Python writes as text
    st.booleans(),
    st.lists(NASTY, max_size=2),
    st.dictionaries(NASTY, NASTY, max_size=1),
    st.binary(max_size=5),
    st.just("x" * 1_000_000),  # a megabyte in one field
)


def records(fields: tuple[str, ...], id_field: str) -> Any:
    ids = st.one_of(
        st.none(),
        st.sampled_from(["1", "2", "1", "", " "]),
        NASTY,
        st.integers(),
        st.just(10**5000),
    )
    return st.lists(
        st.fixed_dictionaries(
            {id_field: ids},
            optional={**{f: VALUES for f in fields if f != id_field}, "extra": VALUES},
        ),
        max_size=12,
    )


SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(records(ACCOUNT_FIELDS, "account_id"), records(LEAD_FIELDS, "lead_id"))
def test_hostile_records_in_memory(
    accounts: list[dict[str, Any]], leads: list[dict[str, Any]]
) -> None:
    index = AccountIndex.build(accounts)  # unusable accounts are skipped with a warning
    results = index.match_many(leads)
    _one_result_per_lead(results, leads)


@SETTINGS
@given(records(ACCOUNT_FIELDS, "account_id"), records(LEAD_FIELDS, "lead_id"))
def test_hostile_records_as_a_dataframe(
    accounts: list[dict[str, Any]], leads: list[dict[str, Any]]
) -> None:
    import pandas as pd

    index = AccountIndex.build(accounts)
    # As object columns: pandas' own type inference overflows on 10**5000 before we see it.
    columns = ["lead_id", "email", "company", "website", "country"]
    frame = pd.DataFrame(leads, columns=columns, dtype=object)
    out = index.match_many(frame)
    assert len(out) == len(frame) and list(out.index) == list(frame.index)
    assert set(out.decision) <= {"matched", "review", "unmatched", "error"}


@settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(records(ACCOUNT_FIELDS, "account_id"), records(LEAD_FIELDS, "lead_id"))
def test_hostile_records_as_csv_files(
    tmp_path_factory: Any, accounts: list[dict[str, Any]], leads: list[dict[str, Any]]
) -> None:
    folder: Path = tmp_path_factory.mktemp("hostile")
    accounts_csv = _csv(folder / "accounts.csv", ACCOUNT_FIELDS, accounts)
    leads_csv = _csv(folder / "leads.csv", LEAD_FIELDS, leads)
    out = folder / "matches.csv"
    code = main(["match", "--accounts", str(accounts_csv), "--leads", str(leads_csv),
                 "--out", str(out), "--quiet"])  # fmt: skip
    if code != 0:  # only a clear refusal of the whole file: no usable account at all
        assert not out.exists()
        return
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with leads_csv.open(encoding="utf-8", newline="") as f:
        read_back = list(csv.DictReader(f))
    assert len(rows) == len(read_back)  # every row of the file, blank rows aside


def _csv(path: Path, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:  # every value as text, as a CSV file holds it; no blank rows
            cells = {k: _text(v) for k, v in row.items()}
            if any(cells.get(k) for k in fields):
                writer.writerow(cells)
    return path


def _text(value: Any) -> str:
    """A value as a CSV cell holds it (a number of 5,000 digits as 10,001 nines: text too long)."""
    if value is None:
        return ""
    try:
        return str(value)[:20_000]
    except ValueError:  # more digits than Python writes as text
        return "9" * 10_001


def _one_result_per_lead(results: list[Match], leads: list[dict[str, Any]]) -> None:
    assert len(results) == len(leads)
    for position, (match, lead) in enumerate(zip(results, leads)):
        assert match.decision in ("matched", "review", "unmatched", "error")
        assert (match.decision == "error") == (match.error is not None)
        assert isinstance(match.lead_id, str) and match.lead_id
        if match.decision != "error" and lead.get("lead_id") in (None, ""):
            assert match.lead_id == str(position)
        assert 0.0 <= match.confidence <= 1.0
        assert len(match.reasons()) < 2_000  # evidence never echoes a field whole
