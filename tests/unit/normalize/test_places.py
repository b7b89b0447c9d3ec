from __future__ import annotations

import pytest

from leadmatch.normalize import normalize_city, normalize_country, phone_key


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("DE", "DE"), ("deu", "DE"), ("Germany", "DE"), ("Deutschland", "DE"),
        ("United Kingdom", "GB"), ("UK", "GB"), ("England", "GB"), ("u.s.a.", "US"),
        ("United States", "US"), ("España", "ES"), ("Espana", "ES"), ("Россия", "RU"),
        ("日本", "JP"), ("Brasil", "BR"), ("Côte d'Ivoire", "CI"), ("Türkiye", "TR"),
        ("South Korea", "KR"), ("the Netherlands", "NL"), ("Atlantis", ""), ("", ""),
    ],
)  # fmt: skip
def test_countries_to_iso_alpha2(raw: str, code: str) -> None:
    assert normalize_country(raw) == code


def test_city_key_folds_case_accents_and_script() -> None:
    assert normalize_city("München") == normalize_city("MUNCHEN") == "munchen"
    assert normalize_city("  São   Paulo ") == "sao paulo"


def test_phone_key_ignores_the_way_the_prefix_is_written() -> None:
    key = phone_key("+49 (0)30 7285 4913")
    assert key == phone_key("030 72854913") == phone_key("0049 30 7285-4913") == "72854913"
    assert phone_key("12 34") == ""


@pytest.mark.parametrize(
    "placeholder", ["000-000-0000", "+1 999 999 9999", "12345678", "0987654321"]
)
def test_placeholder_phone_numbers_give_no_key(placeholder: str) -> None:
    assert phone_key(placeholder) == ""
