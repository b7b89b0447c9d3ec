"""Rows of plain text (what CSV readers give) take a shortcut past pydantic's validators: the
leads it makes must be the leads validation makes, field for field."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.budget import examples

from leadmatch.io.records import validate_leads
from leadmatch.models import LEAD_FIELDS, MAX_INPUT_CHARS, Lead

TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "  Acme GmbH \t", "\u00a0x\u2003", "a@b.de", "株式会社"]),
    st.just("x" * (MAX_INPUT_CHARS + 1)),  # too long: an error row, as validation says
    st.just(" " * (MAX_INPUT_CHARS + 1)),
)
VALUE = st.one_of(TEXT, st.none(), st.integers(), st.floats(), st.booleans())
ROW = st.dictionaries(st.sampled_from([*LEAD_FIELDS, "extra"]), VALUE, max_size=10)


def _validated(item: Any) -> Lead | None:
    try:
        return Lead.model_validate(item)
    except ValueError:
        return None


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, max_size=6))
def test_leads_of_plain_rows_are_the_validated_leads(rows: list[dict[str, Any]]) -> None:
    leads, ids, errors = validate_leads(rows, strict=False)
    for position, (row, lead, error) in enumerate(zip(rows, leads, errors)):
        expected = _validated(row)
        assert lead == expected
        assert (error is None) == (expected is not None)
        if lead is not None:
            assert {name: getattr(lead, name) for name in LEAD_FIELDS} == expected.model_dump()
            assert ids[position] == (lead.lead_id or str(position))


def test_plain_rows_are_stripped_and_empty_text_is_missing() -> None:
    (lead,), _, _ = validate_leads(
        [{"lead_id": " 7 ", "company": "  Nordwind AG ", "email": "   ", "extra": "x"}],
        strict=False,
    )
    assert lead is not None
    fields = (lead.lead_id, lead.company, lead.email, lead.website)
    assert fields == ("7", "Nordwind AG", None, None)
