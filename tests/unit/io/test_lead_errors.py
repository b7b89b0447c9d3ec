"""What a lead that cannot be read becomes: its error text, written out, as rows of dicts and as
columns of a frame, in strict mode (an exception naming the lead) and not (a per-row error)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from leadmatch.errors import InvalidLeadError
from leadmatch.io.records import validate_columns, validate_leads

#: Four fields of the wrong type: the message names the first three pydantic reports.
FOUR_BAD = {"lead_id": "L9", "company": ["x"], "email": ["y"], "country": ["z"], "city": ["w"]}
THREE_OF_FOUR = (
    "email: email must be text, not list; company: company must be text, not list; "
    "country: country must be text, not list"
)


def test_a_bad_lead_is_a_row_error_with_at_most_three_reasons() -> None:
    leads, ids, errors = validate_leads([FOUR_BAD], strict=False)
    assert (leads, ids, errors) == ([None], ["L9"], [THREE_OF_FOUR])


def test_a_lead_without_an_id_is_named_by_its_position_from_the_offset() -> None:
    items = [{"company": ["x"]}, {"lead_id": 5, "company": {"a": 1}}, {"company": "Acme"}]
    leads, ids, errors = validate_leads(items, strict=False, offset=10)
    assert ids == ["10", "5", "12"] and leads[:2] == [None, None]
    assert errors == [
        "company: company must be text, not list",
        "company: company must be text, not dict",
        None,
    ]


def test_an_id_of_a_bad_lead_is_read_as_well_as_it_can_be() -> None:
    long_id = "L" * 300
    items = [{"lead_id": f"  {long_id} ", "company": ["x"]}, {"lead_id": "", "company": ["x"]}]
    assert validate_leads(items, strict=False)[1] == [long_id[:200], "1"]


def test_what_is_no_mapping_is_an_error_without_a_field_name() -> None:
    assert validate_leads(["nope"], strict=False) == (
        [None], ["0"], ["Input should be a valid dictionary or instance of Lead"]
    )  # fmt: skip


def test_strict_mode_names_the_lead_by_id_or_by_position() -> None:
    with pytest.raises(InvalidLeadError) as by_id:
        validate_leads([FOUR_BAD], strict=True)
    assert str(by_id.value) == f"lead 'L9': {THREE_OF_FOUR}"
    with pytest.raises(InvalidLeadError) as by_position:
        validate_leads([{"company": "Acme"}, {"company": ["x"]}], strict=True, offset=7)
    assert str(by_position.value) == "lead at position 8: company: company must be text, not list"


COLUMNS = {
    "lead_id": ["L1", None, "L3", 7, "L5"],
    "company": ["Acme", ["x"], "y" * 20_000, "ok", "Acme"],
    "email": [True, 1, 1.0, True, "a@b.de"],  # True == 1 == 1.0, but only numbers are text
}


def test_columns_give_the_errors_rows_give() -> None:
    clean, usable, ids, errors = validate_columns(
        COLUMNS, 5, strict=False, labels=["a", "b", "c", "d", "e"]
    )
    assert usable == [False, False, False, False, True]
    assert ids == ["L1", "b", "L3", "7", "L5"]
    assert errors == [
        "email: email must be text, not a boolean",
        "company: company must be text, not list",
        "company: company is 20,000 characters long; the limit is 10,000",
        "email: email must be text, not a boolean",  # True again, after 1 and 1.0 were read
        None,
    ]
    assert clean["email"] == [None, "1", "1", None, "a@b.de"]
    assert clean["company"] == ["Acme", None, None, "ok", "Acme"]
    assert clean["city"] == [None] * 5


def test_columns_keep_at_most_three_reasons_per_row() -> None:
    bad = {name: [["x"]] for name in ("company", "email", "country", "city")}
    errors = validate_columns(bad, 1, strict=False, labels=["a"])[3]
    assert errors == [THREE_OF_FOUR]  # in the order of the lead's fields, as rows give it


def test_columns_in_strict_mode_name_the_lead_by_id_or_by_position() -> None:
    with pytest.raises(InvalidLeadError) as by_id:
        validate_columns(COLUMNS, 5, strict=True, labels=["a", "b", "c", "d", "e"])
    assert str(by_id.value) == "lead 'L1': email: email must be text, not a boolean"
    with pytest.raises(InvalidLeadError) as by_position:
        validate_columns({"company": ["ok", ["x"]]}, 2, strict=True, labels=["a", "b"])
    assert str(by_position.value) == "lead at position 1: company: company must be text, not list"


class _ReadError(Exception):
    """An error of the kind pydantic raises, with its list of errors, from a dict-like source."""

    def errors(self) -> list[dict[str, Any]]:
        return [
            {"loc": ("company", 0), "msg": "Value error, not readable"},
            {"msg": "no place"},  # loc and msg are read where present
            {"loc": ("city",)},
        ]


class _Unreadable(Mapping[str, Any]):
    """A mapping whose company cannot be read: the error comes from the source, not pydantic."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def __getitem__(self, key: str) -> Any:
        if key == "company":
            raise self._error
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(["company"])

    def __len__(self) -> int:
        return 1


def test_an_error_of_any_kind_while_reading_a_lead_is_its_row_error() -> None:
    items = [_Unreadable(RuntimeError("the company cannot be read")), _Unreadable(_ReadError())]
    assert validate_leads(items, strict=False)[2] == [
        "the company cannot be read",
        "company.0: not readable; no place; city: ",
    ]


def test_an_id_that_cannot_be_written_leaves_the_position() -> None:
    huge = 10**5000  # more digits than Python writes as text
    leads, ids, _ = validate_leads([{"lead_id": huge, "company": "Acme"}], strict=False)
    assert (leads, ids) == ([None], ["0"])


class _Unhashable(str):
    __hash__ = None  # type: ignore[assignment]


def test_a_column_value_that_cannot_be_hashed_is_still_read() -> None:
    clean = validate_columns({"company": [_Unhashable(" Acme ")]}, 1, strict=False, labels=["a"])[0]
    assert clean["company"] == ["Acme"]
