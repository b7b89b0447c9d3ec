"""Hosts, URLs and emails to registered domains, with the provider lists that qualify them.

The registered domain comes from the Public Suffix List snapshot bundled with tldextract, never
fetched and never cached on disk, so ``uk.acme.co.uk`` and ``acme.co.uk`` agree and ``co.uk``
is not a company.

>>> registered_domain("HTTPS://WWW.Acme-Robotics.CO.UK:8443/about?x=1")
'acme-robotics.co.uk'
>>> parse_email("J.Doe@Sales.ACME.com.").domain
'acme.com'
>>> parse_email("jane@gmail.com").kind
'freemail'
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Literal, NamedTuple

import tldextract

from leadmatch._util.resources import word_set
from leadmatch.normalize.text import fold

EmailKind = Literal["corporate", "freemail", "disposable", "invalid", "missing"]

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:(//)?")
_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})
_HOST_CHARS = re.compile(r"^[a-z0-9\-._]+$")
_ANGLE = re.compile(r"<([^<>]*)>")
_WWW = re.compile(r"^www\d*(?:\.|$)")
_PATH = re.compile(r"[/?#\\\s]")  # what ends a host in a URL


class DomainKey(NamedTuple):
    """A registered domain and the brand label in front of its public suffix."""

    domain: str
    """``acme.co.uk``; ``""`` when the input names no registrable domain."""
    brand: str
    """``acme``: the same brand across TLDs (acme.de, acme.fr)."""
    host: str = ""
    """The whole host where it is a subdomain of ``domain`` (``lpp.cnrs.fr``; ``www.`` and
    ``www2.`` dropped), else ``""``: a lab or a country office has its own."""

    def variants(self) -> tuple[DomainKey, ...]:
        """The host (when there is one) as a key of its own, then the registered domain: the
        most specific first."""
        plain = DomainKey(self.domain, self.brand)
        return (DomainKey(self.host, self.brand), plain) if self.host else (plain,)


class EmailKey(NamedTuple):
    """What an email address says about a company."""

    domain: str
    """Registered domain of the address, ``""`` if none."""
    brand: str
    local: str
    """Local part, case-folded."""
    kind: EmailKind
    role: bool
    """A shared mailbox (info@, sales@) rather than a person."""
    host: str = ""
    """The whole host where it is a subdomain of ``domain`` (see :attr:`DomainKey.host`)."""


@cache
def _extractor() -> tldextract.TLDExtract:
    # Never the network (no suffix list URLs), never a cache on disk: the bundled snapshot only.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=False)  # fmt: skip


def _host(text: str) -> str:
    """The host part of a folded URL, host or email; '' when there is none."""
    if _HOST_CHARS.fullmatch(text):  # most values: a bare host, which every rule keeps
        text = text.strip(".")
        return text if "." in text else ""
    return _host_in(text)


def _host_in(text: str) -> str:
    """:func:`_host` by the full rules: angle brackets, schemes, paths, ports, IDNA."""
    angle = _ANGLE.search(text) if "<" in text else None  # "Jane Doe" <jane@acme.de>
    text = angle.group(1) if angle else text
    if not text.isascii():
        text = text.translate(_DOTS)
    text = text.strip().strip("<>\"'")
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    if "://" in text:
        text = _SCHEME.sub("", text)
    text = text.lstrip("/")  # protocol-relative: //cdn.acme.com
    text = _PATH.split(text, maxsplit=1)[0]
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = text.split(":", 1)[0].strip(".")
    if not text or "." not in text:
        return ""
    if not text.isascii():
        try:
            text = ".".join(label.encode("idna").decode("ascii") for label in text.split("."))
        except UnicodeError:
            return ""
    return text if _HOST_CHARS.match(text) else ""


#: A trie node's key marking the end of a rule (no label holds a dot).
_RULE_END = "."
_Node = dict[str, "_Node"]


@cache
def _suffix_trie() -> _Node:
    """The extractor's public suffix rules as a trie of labels read from the right (``*`` and
    ``!`` rules as labels of their own), walked as tldextract walks its own."""
    root: _Node = {}
    for rule in _extractor().tlds:
        node = root
        for label in reversed(rule.split(".")):
            node = node.setdefault(label, {})
        node[_RULE_END] = {}
    return root


def _suffix_start(labels: list[str]) -> int:
    """Where the public suffix of a host's labels starts, ``len(labels)`` if it has none: the
    longest rule that matches, a wildcard's label, an exception's parent. The rule of
    tldextract's lookup (``suffix_index``) for labels that need no IDNA decoding, in a few
    dictionary look-ups instead of its URL parsing and result objects."""
    node = _suffix_trie()
    start = at = len(labels)
    for label in reversed(labels):
        child = node.get(label)
        if child is not None:
            at -= 1
            node = child
            if _RULE_END in node:
                start = at
            continue
        if "*" in node:
            return at if "!" + label in node else at - 1
        break
    return start


def _split_host(host: str) -> tuple[str, str, str]:
    """A host's subdomain, domain label and public suffix; all ``""`` when it has no
    registrable domain (no suffix, or nothing in front of it)."""
    if "xn--" in host:  # labels tldextract decodes before looking them up: its own lookup
        parts = _extractor().extract_str(host)
        found = parts.subdomain, parts.domain, parts.suffix
        return found if parts.domain and parts.suffix else ("", "", "")
    labels = host.split(".")
    start = _suffix_start(labels)
    if start in (0, len(labels)) or not labels[start - 1]:
        return "", "", ""
    return ".".join(labels[: start - 1]), labels[start - 1], ".".join(labels[start:])


@lru_cache(maxsize=1 << 17)
def _domain_of_folded(folded: str) -> DomainKey:
    host = _host(folded)
    if not host:
        return DomainKey("", "")
    subdomain, label, suffix = _split_host(host)
    if not label:
        return DomainKey("", "")
    domain = f"{label}.{suffix}"
    sub = _WWW.sub("", subdomain)
    return DomainKey(domain, label, f"{sub}.{domain}" if sub else "")


def domain_key(value: object) -> DomainKey:
    """Registered domain and brand label of a URL, host or email address."""
    return _domain_of_folded(fold(value))


def registered_domain(value: object) -> str:
    """The registered domain of a URL, host or email address, ``""`` if it has none."""
    return domain_key(value).domain


def is_hosting_domain(domain: str) -> bool:
    """A platform (social network, site builder, shortener) that is never a company's own site."""
    return domain in word_set("hosting_domains.txt")


def email_domain_kind(domain: str) -> EmailKind:
    """Classify a registered domain as a mailbox provider."""
    if not domain:
        return "invalid"
    if domain in word_set("freemail_domains.txt"):
        return "freemail"
    if domain in word_set("disposable_domains.txt"):
        return "disposable"
    return "corporate"


@lru_cache(maxsize=1 << 17)
def _email_of_folded(folded: str) -> EmailKey:
    if not folded:
        return EmailKey("", "", "", "missing", False)
    angle = _ANGLE.search(folded)
    text = (angle.group(1) if angle else folded).strip()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, host = text.rpartition("@")
    local = local.strip().strip("\"'")
    if not at or not local or not host:
        return EmailKey("", "", local, "invalid", False)
    key = _domain_of_folded(host)
    kind = email_domain_kind(key.domain)
    base_local = local.split("+", 1)[0]
    return EmailKey(
        key.domain, key.brand, local, kind, base_local in word_set("role_mailboxes.txt"), key.host
    )


def parse_email(value: object) -> EmailKey:
    """Domain, provider kind and role flag of an email address; malformed gives ``invalid``."""
    return _email_of_folded(fold(value))
