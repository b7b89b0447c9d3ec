"""Countries, cities and phone numbers reduced to keys that compare by equality."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from anyascii import anyascii

from leadmatch._util.resources import rows
from leadmatch.normalize.text import fold

_NON_WORD = re.compile(r"[^\w]+|_")
_NON_DIGIT = re.compile(r"\D+")

#: Digits of a phone number compared: the subscriber part survives any national or
#: international way of writing the prefix ("+49 (0)30 1234567" vs "030 1234567").
PHONE_DIGITS = 8
_RUNS = "01234567890123456789 98765432109876543210"


def _loose(text: str) -> str:
    return " ".join(t for t in _NON_WORD.split(text) if t)


@cache
def _country_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for alias, code in rows("countries.tsv"):
        code = code.strip().upper()
        folded = fold(alias)
        for key in (folded, _loose(folded), _loose(anyascii(folded).casefold())):
            table.setdefault(key, code)
    return table


@lru_cache(maxsize=4096)
def _country_of_folded(folded: str) -> str:
    if not folded:
        return ""
    table = _country_aliases()
    for key in (folded, _loose(folded), _loose(anyascii(folded).casefold())):
        code = table.get(key)
        if code:
            return code
    return ""


def normalize_country(value: object) -> str:
    """ISO 3166-1 alpha-2 code of a country code or name in many languages, ``""`` if unknown.

    >>> normalize_country("Deutschland"), normalize_country("u.s.a."), normalize_country("JPN")
    ('DE', 'US', 'JP')
    """
    return _country_of_folded(fold(value))


def normalize_city(value: object) -> str:
    """A city name folded and transliterated (``"München"`` -> ``"munchen"``)."""
    folded = fold(value)
    if not folded:
        return ""
    return _loose(anyascii(folded).casefold() if not folded.isascii() else folded)


def phone_key(value: object) -> str:
    """The last :data:`PHONE_DIGITS` digits of a phone number; ``""`` if it has fewer, or if
    they are a placeholder such as 000-000-0000 or 12345678 that many records share."""
    digits = _NON_DIGIT.sub("", fold(value))
    key = digits[-PHONE_DIGITS:]
    if len(key) < PHONE_DIGITS or len(set(key)) == 1 or key in _RUNS:
        return ""
    return key
