"""Normalizer rules a mutation run found unpinned, each with its literal expectation: the host
read out of a URL, an email or a quoted address; account fields as CSV text; the first error
of a rejected record; the bounds of the scripts whose transliteration loses the name; names
in unspaced scripts with a legal form glued on; what an account and a column of leads are
prepared into (issue 20)."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pydantic
import pytest

from leadmatch.models import Account
from leadmatch.normalize import domain_key, is_list, is_lossy_script, names, normalize_name
from leadmatch.normalize.accounts import (
    NameRow,
    field_text,
    field_values,
    first_error,
    prepare_account,
)
from leadmatch.normalize.domains import DomainKey
from leadmatch.normalize.leads import prepare_columns

# --- the host of a URL, an email address or a quoted value -----------------------------------


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("<https://www.acme.com>", "acme.com"),
        ("'acme.com'", "acme.com"),  # quotes around a value copied from a sheet
        ('"acme.com"', "acme.com"),
        ("mailto:info@acme.com", "acme.com"),
        ("//cdn.acme.com/x", "acme.com"),  # protocol-relative
        ("user:pw@acme.com:8080/x", "acme.com"),  # credentials and a port
        ("acme.com:8080:1", "acme.com"),  # the host ends at the first colon
        ("a@b@acme.com", "acme.com"),  # the host follows the last @
        ("acme.com.", "acme.com"),  # the root's trailing dot
        ("bücher.de", "xn--bcher-kva.de"),  # IDNA, label by label
        ("localhost", ""),  # no dot: no registrable domain
        ("ac$me.com", ""),  # a character no host has
        ("ü" * 70 + ".de", ""),  # a label too long for IDNA
    ],
)
def test_the_host_of_a_value(value: str, domain: str) -> None:
    assert domain_key(value).domain == domain


# --- account fields as the text of a CSV cell --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("", ""),
        ("nan", "nan"),  # a string is kept as written
        (1001, "1001"),
        (1001.0, "1001"),  # a whole number read as a float
        (1.5, "1.5"),
        (float("nan"), ""),
        (float("inf"), ""),
        (float("-inf"), ""),
        (True, "True"),
        (np.int64(7), "7"),
        (np.float64(2.0), "2"),
        (np.float32(0.5), "0.5"),
        (np.float32(2.0), "2"),  # a NumPy scalar read as its Python value
        (np.array([1, 2]), "[1 2]"),  # no single value: its text
        (np.datetime64("NaT"), ""),
        (pa.scalar(float("nan")), ""),
        (pa.scalar(None, type=pa.int64()), ""),  # Arrow's null
        (pa.scalar(1.5), "1.5"),
        (np.bool_(True), "True"),
        (datetime.date(2024, 1, 2), "2024-01-02"),
        (datetime.datetime(2024, 1, 2, 3, 4), "2024-01-02T03:04:00"),
        (pd.Timestamp("2024-01-02"), "2024-01-02T00:00:00"),
        (np.datetime64("2024-01-02"), "2024-01-02"),
        (pd.NaT, ""),
        (pd.NA, ""),
        (decimal.Decimal("1.50"), "1.50"),
    ],
    ids=repr,
)
def test_a_field_as_csv_text(value: Any, text: str) -> None:
    assert field_text(value) == text


def test_field_values_read_a_mapping_or_an_object() -> None:
    names = ("tier", "owner", "missing")
    assert field_values({"tier": 1.0, "owner": "Ana"}, names) == ("1", "Ana", "")

    class Row:
        tier = np.int64(2)
        owner = None

    assert field_values(Row(), names) == ("2", "", "")


# --- the first error of a rejected record ------------------------------------------------------


def _rejected(record: Any) -> pydantic.ValidationError:
    with pytest.raises(pydantic.ValidationError) as raised:
        Account.model_validate(record)
    return raised.value


def test_the_first_error_names_its_field_and_says_what_is_wrong() -> None:
    assert first_error(_rejected({"name": "Acme"})) == "account_id: Field required"
    both = _rejected({"account_id": None, "aliases": 5, "name": "Acme"})
    assert len(both.errors()) == 2  # only the first is reported
    assert first_error(both) == "account_id: Input should be a valid string"


def test_an_error_of_the_whole_record_is_the_records() -> None:
    assert first_error(_rejected("not a mapping")) == (
        "record: Input should be a valid dictionary or instance of Account"
    )


def test_an_error_that_is_not_a_validation_error_is_its_text() -> None:
    assert first_error(ValueError("boom")) == "boom"


# --- scripts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lossy"),
    [
        ("\u058f", False),  # the last Armenian sign
        ("\u0590", True),  # where Hebrew begins
        ("\u05d0", True),
        ("\u0dff", True),  # the end of Sinhala
        ("\u0e00", True),  # Thai
        ("\u0e7f", True),
        ("\u0e80", False),  # Lao is not in the range
        ("\u2e7f", False),
        ("\u2e80", True),  # where the CJK radicals begin
        ("Crème Brûlée", False),
        ("Ωmega", False),
        ("acme \u05d0", True),  # one character of such a script is enough
    ],
    ids=repr,
)
def test_scripts_whose_transliteration_loses_the_name(text: str, lossy: bool) -> None:
    assert is_lossy_script(text) is lossy


@pytest.mark.parametrize(
    ("raw", "ascii_key", "legal_form", "base"),
    [
        ("さくら株式会社", "sakura", "kk", "さくら"),  # hiragana
        ("トヨタ株式会社", "toyota", "kk", "トヨタ"),  # katakana
        ("삼성전자주식회사", "samseongjeonja", "co ltd", "삼성전자"),  # hangul
        ("华为技术有限公司", "huaweijishu", "co ltd", "华为技术"),  # han
    ],
)
def test_a_legal_form_glued_to_a_name_in_an_unspaced_script(
    raw: str, ascii_key: str, legal_form: str, base: str
) -> None:
    key = normalize_name(raw)
    assert (key.ascii, key.legal_form, key.base) == (ascii_key, legal_form, base)


@pytest.mark.parametrize(
    ("value", "listed"),
    [
        ("Dept of Physics, MIT", False),
        ("Dept of Physics, MIT, Cambridge", True),  # three parts make a list
        ("Dept of Physics, MIT, Cambridge, USA", True),
    ],
)
def test_a_list_has_three_parts_or_more(value: str, listed: bool) -> None:
    assert is_list(value) is listed


# --- an account prepared -----------------------------------------------------------------------


def test_an_account_is_prepared_with_its_distinct_names_and_normalized_fields() -> None:
    prepared = prepare_account(
        {
            "account_id": "A1",
            "name": "Acme Robotics",
            "aliases": ["ACME ROBOTICS", "Acme Bots"],  # the first is the name again
            "country": "Deutschland",
            "city": "München",
            "phone": "+49 89 2419 7731",
            "domain": "acme-robotics.de",
            "parent_id": "G1",
        }
    )
    assert prepared.account_id == "A1" and prepared.display_name == "Acme Robotics"
    assert (prepared.country, prepared.city, prepared.phone) == ("DE", "munchen", "24197731")
    assert prepared.parent_id == "G1"
    assert prepared.domains == (DomainKey("acme-robotics.de", "acme-robotics", ""),)
    assert prepared.names == (
        NameRow("Acme Robotics", "acme robotics", "", "ar", False),
        NameRow("Acme Bots", "acme bots", "", "ab", False),
    )


def test_a_platform_domain_is_its_own_where_the_name_spells_it_in_words() -> None:
    # "Face Book" is facebook.com's own name, its words joined; "Acme" merely links to it.
    platform = prepare_account(
        {"account_id": "F", "name": "Face Book Inc", "domain": "facebook.com"}
    )
    assert [d.domain for d in platform.domains] == ["facebook.com"]
    linked = prepare_account({"account_id": "G", "name": "Acme", "domain": "facebook.com"})
    assert linked.domains == ()
    # A platform's brand with a hyphen is its name's words joined too.
    hyphen = prepare_account({"account_id": "K", "name": "Ko-fi", "domain": "ko-fi.com"})
    assert [d.domain for d in hyphen.domains] == ["ko-fi.com"]


def test_an_account_without_a_name_has_one_empty_name() -> None:
    prepared = prepare_account({"account_id": "E", "name": "", "domain": "x.com"})
    assert prepared.display_name == ""
    assert prepared.names == (NameRow("", "", "", "", False),)


# --- a column of leads prepared -----------------------------------------------------------------


def test_lead_columns_are_prepared_row_by_row_and_unusable_rows_left_empty() -> None:
    batch = prepare_columns(
        {
            "company": ["Acme, Berlin, Germany", "n/a", "Globex", "Acme"],
            "email": [None, "x@gmail.com", None, "j@acme.de"],
            "website": ["www.acme.de", "facebook.com/acme", "globex.com", "gmail.com"],
            "country": ["Germany", None, "FR", "Italia"],
            "city": ["Köln", None, "Paris", "Roma"],
            "phone": ["+49 221 7731 9902", None, "+33 1 42 68 53 00", "06 71 83 92 45"],
        },
        [True, True, False, True],  # the third row is unusable: read as empty
    )
    assert batch.usable.tolist() == [True, True, False, True]
    assert batch.company == ["Acme, Berlin, Germany", "n/a", "", "Acme"]
    assert [key.ascii for key in batch.name] == ["acme berlin germany", "", "", "acme"]
    assert batch.tok_ptr.tolist() == [0, 3, 3, 3, 4] and batch.tok_ptr.dtype == np.int64
    assert batch.tok_str == ["acme", "berlin", "germany", "acme"]
    assert batch.listed == [True, False, False, False]
    assert batch.parts[1:] == [(), (), ()]
    assert [w.domain for w in batch.website] == ["acme.de", "facebook.com", "", "gmail.com"]
    # A free-mail or platform website names no company; a corporate email does.
    assert [[d.domain for d in found] for found in batch.company_domains] == [
        ["acme.de"],
        [],
        [],
        ["acme.de"],
    ]
    assert batch.country == ["DE", "", "", "IT"]
    assert batch.city == ["koln", "", "", "roma"]
    assert batch.phone == ["77319902", "", "", "71839245"]


def test_columns_a_batch_lacks_are_empty() -> None:
    batch = prepare_columns({"company": ["Acme"]}, [True])
    assert (batch.city, batch.phone, batch.country, batch.listed) == ([""], [""], [""], [False])


@pytest.mark.parametrize(
    ("text", "unspaced"),
    [
        ("株式会社", True),  # han
        ("かぶしきがいしゃ", True),  # hiragana
        ("カブシキガイシャ", True),  # katakana
        ("주식회사", True),  # hangul
        ("有限会社ab", False),  # every character must be of those scripts
        ("gmbh", False),
        ("", False),
    ],
)
def test_the_scripts_written_without_spaces(text: str, unspaced: bool) -> None:
    # Read once per process, when the legal forms are loaded (glued forms are these): tested
    # here directly, since the forms are cached before any test can change the rule.
    assert names._is_unspaced_script(text) is unspaced
