"""Hosts, URLs and emails to registered domains, driven by tests/data/domains.csv."""

from __future__ import annotations

import csv

import pytest

from leadmatch.normalize import domain_key, is_hosting_domain, parse_email, registered_domain
from tests.conftest import TEST_DATA

with (TEST_DATA / "domains.csv").open(encoding="utf-8", newline="") as _f:
    DOMAINS = list(csv.DictReader(_f))


@pytest.mark.parametrize("row", DOMAINS, ids=[r["note"] for r in DOMAINS])
def test_domain_table(row: dict[str, str]) -> None:
    assert registered_domain(row["raw"]) == row["domain"]


def test_brand_label_is_the_same_across_suffixes() -> None:
    assert domain_key("acme.de").brand == domain_key("https://www.acme.co.uk").brand == "acme"


@pytest.mark.parametrize(
    ("email", "kind", "role"),
    [
        ("j.doe@acme-robotics.co.uk", "corporate", False),
        ("jane@gmail.com", "freemail", False),
        ("JANE@GoogleMail.com", "freemail", False),
        ("max@web.de", "freemail", False),
        ("ivan@yandex.ru", "freemail", False),
        ("x@mailinator.com", "disposable", False),
        ("info@acme.com", "corporate", True),
        ("sales+eu@acme.com", "corporate", True),
        ("vertrieb@mueller.de", "corporate", True),
        ("not-an-email", "invalid", False),
        ("@acme.com", "invalid", False),
        ("jane@", "invalid", False),
        ("jane@localhost", "invalid", False),
        ("", "missing", False),
    ],
)
def test_email_kinds(email: str, kind: str, role: bool) -> None:
    key = parse_email(email)
    assert (key.kind, key.role) == (kind, role)


def test_hosting_platforms_are_never_a_company_domain() -> None:
    for url in ("https://www.linkedin.com/company/acme", "acme.github.io", "acme.wixsite.com/x"):
        assert is_hosting_domain(registered_domain(url)), url
    assert not is_hosting_domain("acme.com")
