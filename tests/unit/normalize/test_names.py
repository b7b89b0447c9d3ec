"""Company names from many countries and scripts, driven by tests/data/names.csv."""

from __future__ import annotations

import csv

import pytest

from leadmatch.normalize import normalize_name
from leadmatch.normalize.names import legal_form_jurisdictions
from tests.conftest import TEST_DATA

with (TEST_DATA / "names.csv").open(encoding="utf-8", newline="") as _f:
    NAMES = list(csv.DictReader(_f))


@pytest.mark.parametrize("row", NAMES, ids=[r["raw"] for r in NAMES])
def test_name_table(row: dict[str, str]) -> None:
    key = normalize_name(row["raw"])
    assert (key.ascii, key.legal_form) == (row["ascii"], row["legal_form"])
    if row["legal_form"] and " " not in row["legal_form"]:
        codes = legal_form_jurisdictions(row["legal_form"])
        assert row["country"] in codes or "*" in codes, codes


def test_the_original_script_is_kept_beside_the_transliteration() -> None:
    key = normalize_name("ООО «Ромашка»")
    assert (key.base, key.ascii) == ("ромашка", "romashka")


@pytest.mark.parametrize(
    ("raw", "acronym"),
    [
        ("International Business Machines Corp.", "ibm"),
        ("Bank of America", "ba"),
        ("Express Logistics & Transport Ltd", "elt"),
        ("Siemens AG", ""),
    ],
)
def test_acronym_key(raw: str, acronym: str) -> None:
    assert normalize_name(raw).acronym == acronym


def test_phonetic_key_groups_spelling_variants() -> None:
    assert normalize_name("Philips").phonetic == normalize_name("Phillips").phonetic
    assert normalize_name("Smith").phonetic != normalize_name("Jones").phonetic
    # A code per word of the ASCII key; words with digits have none.
    assert normalize_name("Müller 3M Technik GmbH").phonetic == "MLR TXNK"
    assert normalize_name("ООО «Ромашка»").phonetic == "RMXK"


def test_unusable_values_give_empty_keys() -> None:
    for value in (None, float("nan"), "", "   ", "&", "...", ["x"]):
        assert normalize_name(value).ascii == ""
