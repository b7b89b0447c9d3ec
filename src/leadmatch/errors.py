"""Every error leadmatch raises, under one base class.

::

    LeadmatchError                  catch this to catch them all
    ├── InvalidInputError           a lead or account record that cannot be used (strict mode)
    │   ├── InvalidLeadError
    │   └── InvalidAccountError
    ├── MissingColumnError          a file or frame lacks a required column
    ├── IndexFormatError            a saved index that is damaged, foreign or of another version
    ├── ConfigError                 a MatchConfig or weights file that does not make sense
    └── MissingExtraError           an optional extra is not installed (also an ImportError)
"""

from __future__ import annotations


class LeadmatchError(Exception):
    """Base class of every error raised by leadmatch."""


class InvalidInputError(LeadmatchError, ValueError):
    """A record that cannot be used; raised only in strict mode, else reported per row."""


class InvalidLeadError(InvalidInputError):
    """A lead that cannot be matched (wrong type, oversized field, ...)."""


class InvalidAccountError(InvalidInputError):
    """An account record that cannot be indexed (no id, duplicate id, ...)."""


class MissingColumnError(LeadmatchError, KeyError):
    """A CSV file or DataFrame lacks a column leadmatch needs."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it readable
        return str(self.args[0]) if self.args else ""


class IndexFormatError(LeadmatchError):
    """A saved index file that is damaged, not an index, or written by an incompatible version."""


class ConfigError(LeadmatchError, ValueError):
    """A configuration or weights value that is out of range or inconsistent."""


class MissingExtraError(LeadmatchError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""
