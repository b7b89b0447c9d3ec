"""Column names: the canonical fields, and the headers of Salesforce and HubSpot exports.

A header matches a field when they agree after case folding and dropping everything but letters
and digits ("Company Name", "company_name" and "CompanyName" are one header). An explicit
``--map column=field`` wins over the built-in names.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from leadmatch.errors import LeadmatchError, MissingColumnError
from leadmatch.models import ACCOUNT_FIELDS, LEAD_FIELDS

log = logging.getLogger("leadmatch")


# Built-in header names per field, besides the field's own name. Salesforce (API names and
# labels of Lead, Contact and Account exports) and HubSpot (contact and company exports).
_LEAD_HEADERS: dict[str, tuple[str, ...]] = {
    "lead_id": ("id", "leadid", "contactid", "recordid", "record id", "lead id"),
    "first_name": ("firstname", "first name", "given name"),
    "last_name": ("lastname", "last name", "surname", "family name"),
    "email": ("email", "email address", "e-mail", "work email"),
    "company": ("company", "company name", "company / account", "account name", "organization",
                "organisation", "associated company", "employer"),
    "website": ("website", "website url", "web site", "url", "company domain name", "domain"),
    "country": ("country", "country/region", "country code", "mailing country", "billing country"),
    "city": ("city", "mailing city", "town"),
    "phone": ("phone", "phone number", "mobile phone", "mobilephone", "business phone"),
}  # fmt: skip
_ACCOUNT_HEADERS: dict[str, tuple[str, ...]] = {
    "account_id": ("id", "accountid", "account id", "record id", "company id", "companyid"),
    "name": ("name", "account name", "company name", "company", "organization"),
    "domain": ("domain", "website", "company domain name", "website url", "url", "web site"),
    "alias_domains": ("alias domains", "additional domains", "other domains", "domains"),
    "aliases": ("aliases", "alternative names", "former names", "other names", "dba"),
    "country": ("country", "billing country", "country/region", "billingcountry", "country code"),
    "city": ("city", "billing city", "billingcity"),
    "phone": ("phone", "phone number", "main phone"),
    "parent_id": ("parent id", "parentid", "parent account id", "parent company id",
                  "parent company", "parent account"),
}  # fmt: skip

_KEY = re.compile(r"[^0-9a-z]+")
#: Largest CSV field read; larger ones are cut by the csv module's reader with an error.
MAX_FIELD_BYTES = 1 << 30
#: A quoted field may hold line breaks (notes, addresses); this many means a quote never closed.
#: The last record of a file gets less room: 3 lines or more there are read as an open quote.
MAX_RECORD_LINES = 100


#: A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _formula(text: str) -> bool:
    return text[:1] in _FORMULA_START and not _NUMBER.fullmatch(text)


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet opens as text: one that would start a formula (``=HYPERLINK(``,
    ``+``, ``-``, ``@``, a tab or a carriage return, from a lead's id, say) gets a leading
    ``'``, as OWASP advises (and so does one that starts with ``'``, so that the CLI reads
    every cell back as it was); plain numbers (``-12``, ``+4420``) are left alone."""
    if isinstance(value, str) and (_formula(value) or value[:1] == "'"):
        return "'" + value
    return value


def unescaped(value: str) -> str:
    """A cell as it was before :func:`spreadsheet_safe` (when the CLI reads its own files)."""
    if value[:1] == "'" and (_formula(value[1:]) or value[1:2] == "'"):
        return value[1:]
    return value


def header_key(header: str) -> str:
    """A header reduced to lower-case letters and digits."""
    return _KEY.sub("", header.casefold())


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """``["Org=company", ...]`` as ``{"Org": "company"}``; a malformed pair or an unknown field
    is an error."""
    out: dict[str, str] = {}
    fields = sorted(set(LEAD_FIELDS) | set(ACCOUNT_FIELDS))
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise LeadmatchError(f"--map takes column=field, got {pair!r}")
        if field.strip() not in fields:
            raise LeadmatchError(
                f"--map {pair!r}: unknown field {field.strip()!r}; fields: {fields}"
            )
        out[column.strip()] = field.strip()
    return out


def resolve_columns(
    headers: Sequence[str],
    kind: str,
    explicit: Mapping[str, str] | None = None,
    *,
    require_id: bool = True,
    check: bool = True,
) -> dict[str, str]:
    """Map a file's headers to fields: ``{header: field}`` for the headers that are used;
    without ``check``, headers that lack the required fields map what they have."""
    fields, builtin = (
        (LEAD_FIELDS, _LEAD_HEADERS) if kind == "lead" else (ACCOUNT_FIELDS, _ACCOUNT_HEADERS)
    )
    explicit = dict(explicit or {})
    unknown = sorted(set(explicit.values()) - set(fields))
    if unknown:
        raise LeadmatchError(f"--map names unknown {kind} fields {unknown}; fields: {list(fields)}")
    by_key = {header_key(h): h for h in reversed(headers)}  # first of equal keys wins
    mapping: dict[str, str] = {}
    header: str | None
    taken: set[str] = set()
    for column, field in explicit.items():
        header = by_key.get(header_key(column))  # as loose as the built-in names
        if header is not None:  # a --map pair may be meant for the other file
            mapping[header], taken = field, taken | {field}
    for field in fields:  # exact field names first, then the built-in alternatives
        if field in taken:
            continue
        for candidate in (field, *builtin.get(field, ())):
            header = by_key.get(header_key(candidate))
            if header is not None and header not in mapping:
                mapping[header] = field
                taken.add(field)
                break
    if check:
        _check_required(headers, kind, taken, require_id)
    return mapping


def _check_required(headers: Sequence[str], kind: str, taken: set[str], require_id: bool) -> None:
    """Refuse headers without a field no record can do without (an account's id and name; a
    lead's id, where required, and its company or email), and warn of leads without a company
    or an email column: they match on less than they could."""
    required = (("lead_id",) if require_id else ()) if kind == "lead" else ("account_id", "name")
    missing = [f for f in required if f not in taken]
    if kind == "lead" and not {"company", "email"} & taken:
        missing.append("company or email")
    if missing:
        raise MissingColumnError(
            f"the {kind}s have no column for {', '.join(missing)} (columns: "
            f"{', '.join(headers)}); rename one, or name it with --map column=field"
        )
    if kind == "lead":
        for field in ("company", "email"):
            if field not in taken:
                log.warning("the leads have no %s column (columns: %s)", field, ", ".join(headers))


def _delimiter(header: str) -> str:
    """The header's separator: European spreadsheets write ';', some exports tabs or '|'."""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def check_named(headers: Sequence[str], named: Mapping[str, str] | None) -> None:
    """Refuse a ``columns=`` mapping that names a column the data does not have (the CLI's
    ``--map`` may name a column of either file; a frame's mapping is about that frame)."""
    present = {header_key(h) for h in headers}
    missing = [column for column in named or {} if header_key(column) not in present]
    if missing:
        raise MissingColumnError(
            f"columns= names {', '.join(map(repr, missing))}, which the data does not have "
            f"(its columns: {', '.join(headers)})"
        )


def kept_columns(headers: Sequence[str], keep: Sequence[str]) -> list[tuple[str, str]]:
    """(header, name) for each extra field ``keep`` names (matched as loosely as the
    built-in column names); a name no header has raises :class:`MissingColumnError`."""
    by_key = {header_key(h): h for h in reversed(headers)}
    found = {name: by_key.get(header_key(name)) for name in keep}
    missing = [name for name, header in found.items() if header is None]
    if missing:
        raise MissingColumnError(
            f"no column for the account field(s) {', '.join(missing)} among {list(headers)}"
        )
    return [(header, name) for name, header in found.items() if header is not None]


def _header_line(stream: IO[str], kind: str) -> str:
    """A CSV file's first line, refused if blank or missing: the csv module reads either as a
    header of no columns, which would be reported as every required column missing."""
    first = stream.readline()
    if not first.strip("\ufeff \t\r\n"):
        raise MissingColumnError(
            f"the {kind}s file's first line is blank (the header row belongs there)"
            if first
            else f"the {kind}s file is empty (no header row)"
        )
    return first


def read_csv(
    stream: IO[str],
    kind: str,
    explicit: Mapping[str, str] | None = None,
    keep: Sequence[str] = (),
) -> tuple[dict[str, str], Iterator[dict[str, Any]]]:
    """The column mapping and the rows of a CSV file as field dicts, read lazily.

    A field of any length is read (an oversized one becomes that row's error, not the file's);
    a record spanning more than :data:`MAX_RECORD_LINES` lines stops the run with the line
    where it began, since an unclosed quote would otherwise swallow every row after it.
    """
    csv.field_size_limit(MAX_FIELD_BYTES)
    first = _header_line(stream, kind)
    reader = csv.reader(itertools.chain([first], stream), delimiter=_delimiter(first))
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise LeadmatchError(f"the {kind}s file is not readable CSV: {exc}") from exc
    headers = [h.lstrip("\ufeff").strip() for h in headers]
    mapping = resolve_columns(headers, kind, explicit)
    positions = [(headers.index(h), f) for h, f in mapping.items()]
    positions += [(headers.index(h), name) for h, name in kept_columns(headers, keep)]

    def unclosed(start: int) -> LeadmatchError:
        return LeadmatchError(
            f"the {kind}s file has a record running from line {start} to line "
            f"{reader.line_num}: a quote opened there is probably never closed"
        )

    def rows() -> Iterator[dict[str, Any]]:
        line = span = reader.line_num
        overlong = 0
        try:
            for values in reader:
                span, start, line = reader.line_num - line, line + 1, reader.line_num
                if span > MAX_RECORD_LINES:
                    raise unclosed(start)
                overlong += len(values) > len(headers)
                if values:
                    yield {
                        f: (unescaped(values[i]) if i < len(values) else None) for i, f in positions
                    }
            if span >= 3:  # the last record swallowed the lines after it up to the end
                raise unclosed(start)
            if overlong:
                log.warning(
                    "%d %s row(s) have more values than the header has columns (an unquoted "
                    "separator inside a value?); the extra values were not read",
                    overlong,
                    kind,
                )
        except csv.Error as exc:
            where = f"line {reader.line_num}"
            raise LeadmatchError(f"the {kind}s file is not valid CSV at {where}: {exc}") from exc

    return mapping, rows()


def open_text(path: str) -> IO[str]:
    """A text file opened for CSV reading: UTF-8 with or without BOM, any newline convention."""
    if path == "-":
        return io.TextIOWrapper(
            sys.stdin.buffer, encoding="utf-8-sig", errors="replace", newline=""
        )
    # Undecodable bytes become U+FFFD rather than stopping the run: every row still gets a result.
    return open(path, encoding=_encoding(path), errors="replace", newline="")


def _encoding(path: str) -> str:
    """UTF-16 where the file starts with its BOM (Excel's "Unicode Text"); else UTF-8 (with or
    without BOM), unless the file's first megabyte is not: then Windows-1252, the Latin-1
    superset that spreadsheets on Windows write, with a warning."""
    with open(path, "rb") as raw:
        head = raw.read(1 << 20)
        cut = bool(raw.read(1))  # the file goes on after the sample
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # as Windows-1252 it would be letters between NULs
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not cut or exc.start < len(head) - 4:  # not just a character cut by the sample's end
            log.warning("%s is not UTF-8; reading it as Windows-1252 (Latin-1)", path)
            return "cp1252"
    return "utf-8-sig"
