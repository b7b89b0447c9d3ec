"""The fast path for account dicts applies exactly the rules of the Account model."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadmatch.models import ACCOUNT_FIELDS, Account, AccountRow, account_row

FIELDS = ("account_id", "name", "domain", "alias_domains", "aliases", "country", "city",
          "phone", "parent_id", "owner")  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["", "  ", " Acme ", "a;b", "x.com, y.com", "Smith, Jones & Co"]),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers()), max_size=3),
    st.builds(object),
)


def _outcome(fn: Any, record: dict[str, Any]) -> tuple[str, Any]:
    try:
        value = fn(record)
    except ValueError:  # pydantic's ValidationError is a ValueError
        return ("error", None)
    return ("ok", tuple(getattr(value, name) for name in FIELDS[:-1]))


@given(st.dictionaries(st.sampled_from(FIELDS), VALUES))
def test_fast_path_agrees_with_the_model(record: dict[str, Any]) -> None:
    assert _outcome(account_row, record) == _outcome(Account.model_validate, record)


def test_models_pass_through_and_other_mappings_use_the_model() -> None:
    account = Account(account_id="A1", name="Acme")
    assert account_row(account) is account
    assert account_row({"account_id": 7, "aliases": "Acme; ACME Corp"}).aliases == (
        "Acme",
        "ACME Corp",
    )


def test_the_fast_row_has_the_account_fields_in_order() -> None:
    assert AccountRow._fields == ACCOUNT_FIELDS == FIELDS[:-1]
