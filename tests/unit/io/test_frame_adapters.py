"""pandas, polars and pyarrow in and out: one result row per input row, in order, equal to
``match_many`` on the same leads as dicts; ids kept, bad rows reported, the dtypes users have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadmatch import AccountIndex, MatchConfig
from leadmatch.io import frames
from leadmatch.match import OUTPUT_COLUMNS, result_row

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

ACCOUNTS = {
    "account_id": ["DE-1", "JP-1", "BR-1", "US-1"],
    "name": ["Müller Maschinenbau GmbH", "株式会社 桜電機", "Construtora Horizonte Ltda",
             "Initech LLC"],
    "domain": ["mueller-mb.de", "sakura-denki.co.jp", "horizonte.com.br", None],
    "country": ["DE", "JP", "BR", "US"],
    "owner": ["ana", "bo", None, "cy"],
}  # fmt: skip
LEADS = {
    "lead_id": ["L1", "L2", None, "L4", "L5", "L6"],
    "email": ["k.weber@mueller-mb.de", None, "ana@horizonte.com.br", "bob@gmail.com",
              "x" * 10_001 + "@a.com", "t@sakura-denki.co.jp"],
    "company": ["Müller Maschinenbau", "Initech", None, "Nowhere Partners", "Big", "桜電機"],
    "country": ["Germany", "US", "Brazil", None, None, "JP"],
}  # fmt: skip

# Each library's frame of a dict of columns.
MAKERS: dict[str, Callable[[dict[str, list[Any]]], Any]] = {
    "pandas": lambda data: pd.DataFrame(data),
    "polars": lambda data: pl.DataFrame(data),
    "arrow-table": lambda data: pa.table(data),
    "arrow-batch": lambda data: pa.RecordBatch.from_pydict(data),
}


def _rows(out: Any) -> list[dict[str, Any]]:
    if frames.frame_kind(out) == "pandas":
        return list(out.to_dict("records"))
    if frames.frame_kind(out) == "polars":
        return list(out.to_dicts())
    return list(out.to_pylist())


def _index() -> AccountIndex:
    return AccountIndex.build(
        [dict(zip(ACCOUNTS, values)) for values in zip(*ACCOUNTS.values())],
        MatchConfig(account_fields=["owner"]),
    )


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_frame_matches_as_its_rows_do_and_comes_back_as_the_same_kind(kind: str) -> None:
    index = _index()
    frame = MAKERS[kind](LEADS)
    out = index.match_many(frame)
    assert frames.frame_kind(out) == kind
    rows = _rows(out)
    records = [dict(zip(LEADS, values)) for values in zip(*LEADS.values())]
    expected = [result_row(m) for m in index.match_many(records)]
    assert len(rows) == len(records)
    for row, want in zip(rows, expected):
        assert {c: row[c] for c in OUTPUT_COLUMNS} == {c: want[c] for c in OUTPUT_COLUMNS}
        assert row["owner"] == want.get("owner", "")
    assert [r["lead_id"] for r in rows] == ["L1", "L2", "2", "L4", "L5", "L6"]
    assert [r["decision"] for r in rows][4] == "error"  # reported, not dropped
    assert "10,000" in rows[4]["evidence"]
    assert [r["account_id"] for r in rows][:2] == ["DE-1", "US-1"]
    assert rows[0]["ultimate_parent_id"] == "DE-1"


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_accounts_from_any_frame_build_the_same_index(kind: str) -> None:
    index = AccountIndex.build(MAKERS[kind](ACCOUNTS), MatchConfig(account_fields=["owner"]))
    assert index.data.account_id.tolist() == ACCOUNTS["account_id"]
    assert index.data.field_values.tolist() == ["ana", "bo", "", "cy"]
    assert index.account("US-1") == _index().account("US-1")


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_columns_named_by_the_caller_and_by_crm_exports(kind: str) -> None:
    index = _index()
    frame = MAKERS[kind]({"Courriel": ["k@mueller-mb.de"], "Company Name": ["Müller"]})
    out = _rows(index.match_many(frame, columns={"Courriel": "email"}))
    assert [r["account_id"] for r in out] == ["DE-1"]
    with pytest.raises(KeyError, match="company or email"):
        index.match_many(MAKERS[kind]({"Courriel": ["k@mueller-mb.de"]}))


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_an_empty_frame_gives_an_empty_result_with_the_columns(kind: str) -> None:
    empty = {"lead_id": pa.array([], pa.string()), "email": pa.array([], pa.string())}
    frame = MAKERS[kind](empty) if kind.startswith("arrow") else MAKERS[kind]({
        "lead_id": [], "email": []})  # fmt: skip
    out = _index().match_many(frame)
    assert frames.frame_kind(out) == kind and len(out) == 0
    names = list(out.columns) if kind in ("pandas", "polars") else out.schema.names
    assert names[:6] == [
        "lead_id", "account_id", "confidence", "decision", "evidence", "candidate_id"
    ]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_long_frames_are_matched_in_slices_with_their_positions(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames, "SLICE_ROWS", 2)
    data = {"email": ["k@mueller-mb.de", None, "t@sakura-denki.co.jp", "x@horizonte.com.br", ""]}
    rows = _rows(_index().match_many(MAKERS[kind](data)))
    assert [r["lead_id"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert [r["account_id"] for r in rows] == ["DE-1", "", "JP-1", "BR-1", ""]


def test_pandas_dtypes_users_have() -> None:
    index = _index()
    leads = pd.DataFrame(
        {
            "lead_id": pd.array([1001, None, 1003], dtype="Int64"),  # nullable integers
            "email": pd.Categorical(["k@mueller-mb.de", None, "t@sakura-denki.co.jp"]),
            "company": ["Müller", ["not", "text"], 42],  # a mixed object column
            "phone": [4930123456.0, float("nan"), None],  # a number column read as floats
        },
        index=["a", "b", "c"],
    )
    out = index.match_many(leads)
    assert list(out.index) == ["a", "b", "c"]
    assert list(out.lead_id) == ["1001", "b", "1003"]
    assert list(out.decision)[1] == "error" and "company" in out.evidence.iloc[1]
    assert list(out.account_id) == ["DE-1", "", "JP-1"]


def test_polars_and_arrow_dtypes_users_have() -> None:
    index = _index()
    leads = pl.DataFrame(
        {"lead_id": [7, None], "email": ["k@mueller-mb.de", "t@sakura-denki.co.jp"]},
        schema={"lead_id": pl.Int64, "email": pl.Categorical},
    )
    assert [r["lead_id"] for r in _rows(index.match_many(leads))] == ["7", "1"]
    table = pa.table({"email": pa.array(["t@sakura-denki.co.jp", None]).dictionary_encode()})
    assert [r["account_id"] for r in _rows(index.match_many(table))] == ["JP-1", ""]


def test_columns_is_only_for_frames() -> None:
    with pytest.raises(TypeError, match="columns="):
        _index().match_many([{"email": "k@mueller-mb.de"}], columns={"Email": "email"})


def test_a_mapping_that_names_no_column_and_single_columns_are_refused() -> None:
    index = _index()
    frame = pd.DataFrame({"Org": ["Müller"], "email": ["k@mueller-mb.de"]})
    with pytest.raises(KeyError, match="'Organisation'"):
        index.match_many(frame, columns={"Organisation": "company"})
    for column in (frame["Org"], pl.Series(["a"]), pa.chunked_array([["a"]])):
        with pytest.raises(TypeError, match="not a table"):
            index.match_many(column)
    with pytest.raises(TypeError, match="collect"):
        index.match_many(pl.DataFrame({"email": ["a@b.de"]}).lazy())
