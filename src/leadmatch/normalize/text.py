"""Text cleaning shared by every normalizer: Unicode folding, control characters, length caps."""

from __future__ import annotations

import math
import re
import unicodedata

#: Longest field a normalizer reads. A company name, email or URL longer than this is not one;
#: capping keeps a hostile 10 MB string from costing 10 MB of work per key.
MAX_FIELD_CHARS = 1_000

_SPACE = re.compile(r"\s+")
# Control characters separate words; format characters (zero-width, bidi marks), surrogates,
# private-use and unassigned code points are dropped.
_DROPPED = frozenset({"Cf", "Cs", "Co", "Cn"})


def as_text(value: object) -> str:
    """A field as a string: None, NaN, pandas NA and non-scalar values give ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else repr(value)
    return ""


def fold(value: object) -> str:
    """NFKC, case-folded, with invisible characters removed and white space collapsed.

    >>> fold("  ＡＣＭＥ\u200b  Straße ")
    'acme strasse'
    """
    text = as_text(value)[:MAX_FIELD_CHARS]
    if text.isascii() and text.isprintable():  # most fields: three string methods
        # ASCII is its own NFKC form, lower() is its case folding, and " " its only printable
        # white space.
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii() or not text.isprintable():
        text = "".join(_visible(ch) for ch in text)
        # Case folding can produce characters NFKC would compose again (e.g. 'ǰ').
        text = unicodedata.normalize("NFKC", text)
    return _SPACE.sub(" ", text).strip()


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "
    return "" if category in _DROPPED else ch
