"""Every normalizer is total (any input, no exception) and idempotent on its own output."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.budget import examples

from leadmatch.normalize import (
    DomainKey,
    EmailKey,
    NameKey,
    domain_key,
    fold,
    name_parts,
    normalize_city,
    normalize_country,
    normalize_name,
    parse_email,
    phone_key,
    registered_domain,
)
from leadmatch.normalize import domains as domains_module
from leadmatch.normalize.names import (
    _APOSTROPHE_CHARS,
    MAX_NAME_PARTS,
    _part_keys,
    _plain,
    _raw_words,
    _tokens,
)

# Text from every script, with control characters, marks and odd spacing.
any_text = st.text(st.characters(codec="utf-8"), max_size=80)
anything = st.one_of(
    any_text, st.none(), st.integers(), st.floats(), st.booleans(), st.lists(st.integers())
)
company_words = st.sampled_from(
    ["acme", "Müller", "&", "GmbH", "S.A.", "de", "C.V.", "Ltd", "株式会社", "ООО", "The",
     "Intl", "co.", "Sp.", "z", "o.o.", "Kabushiki", "Kaisha", "-", "'", "Pty", "PT", "3M"]
)  # fmt: skip
company_names = st.one_of(any_text, st.lists(company_words, max_size=7).map(" ".join))
labels = st.from_regex(r"[a-z0-9]([a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True)
suffixes = st.sampled_from(["com", "co.uk", "de", "com.br", "com.au", "fr", "co.jp", "io"])
domains = st.builds(lambda a, b: f"{a}.{b}", labels, suffixes)


EMPTY = {
    fold: "",
    normalize_name: NameKey(base="", ascii="", legal_form="", acronym=""),
    domain_key: DomainKey(domain="", brand="", host=""),
    parse_email: EmailKey(domain="", brand="", local="", kind="missing", role=False, host=""),
    normalize_country: "",
    normalize_city: "",
    phone_key: "",
}
KINDS = {"corporate", "freemail", "disposable", "invalid", "missing"}


@given(anything)
def test_every_normalizer_is_total(value: object) -> None:
    """Any value gives a value of the promised type; no value at all gives the empty one."""
    out = {normalizer: normalizer(value) for normalizer in EMPTY}
    for normalizer, empty in EMPTY.items():
        assert type(out[normalizer]) is type(empty), normalizer
    assert out[parse_email].kind in KINDS
    assert out[normalize_name].ascii.isascii() and out[domain_key].domain.isascii()
    missing = value is None or isinstance(value, (bool, list)) or value != value  # NaN
    if missing or (isinstance(value, str) and not value.strip()):
        assert out == EMPTY, value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert (
            out[parse_email].kind in ("invalid", "missing") and out[domain_key] == EMPTY[domain_key]
        )


@given(company_names)
@settings(max_examples=examples(300))
def test_name_normalizer_is_idempotent(raw: str) -> None:
    key = normalize_name(raw)
    assert normalize_name(key.base).base == key.base
    assert normalize_name(key.ascii).ascii == key.ascii
    assert key.ascii.isascii()
    assert key.ascii == key.ascii.strip() and "  " not in key.ascii


@given(company_names)
def test_a_name_never_loses_its_whole_base_to_legal_forms(raw: str) -> None:
    key = normalize_name(raw)
    words = set(_tokens(fold(raw))) - {"the", "and"}  # an article or "&" alone is no name
    if words:
        assert key.base, f"{raw!r} normalized to an empty base name"


@given(
    st.sampled_from(["Heijmans Bouw", "Acme Robotics", "Nordwerk", "Kowalski i Synowie"]),
    st.sampled_from(["N.V.", "NV", "Naamloze Vennootschap", "Naamlooze Vennootschap", "B.V.",
                     "Besloten Vennootschap", "GmbH", "Ltd", "S.A."]),
    st.booleans(),
)  # fmt: skip
def test_a_legal_form_before_after_or_twice_is_the_same_form(
    name: str, form: str, before: bool
) -> None:
    """Dutch forms written out are read as their abbreviations, before a name or after it;
    a form said twice is one."""
    once = normalize_name(f"{name} {form}")
    placed = normalize_name(
        f"{form} {name}" if before and "Vennootschap" in form else f"{name} {form}"
    )
    # Dotted forms twice are another word: "N.V. N.V." reads as the initials "nvnv", as
    # "I.B.M." reads as "ibm".
    twice = normalize_name(f"{name} {form} {form.replace('.', '')}")
    assert once.legal_form and " " not in once.legal_form
    assert (placed.ascii, placed.legal_form) == (once.ascii, once.legal_form)
    assert (twice.ascii, twice.legal_form) == (once.ascii, once.legal_form)


@given(any_text)
def test_fold_is_idempotent(raw: str) -> None:
    assert fold(fold(raw)) == fold(raw)


# ASCII text of every kind: letters of both cases, digits, punctuation, spaces, tabs, newlines
# and the other control characters.
ascii_text = st.text(st.characters(max_codepoint=127), max_size=80)


@given(ascii_text)
def test_fold_of_ascii_follows_the_unicode_rules(raw: str) -> None:
    """The short path for printable ASCII gives what NFKC, case folding, control characters
    as spaces and collapsed white space give."""
    text = unicodedata.normalize("NFKC", raw).casefold()
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    assert fold(raw) == " ".join(text.split())


# Letters, marks, digits, punctuation and symbols of every script, apostrophes of every kind,
# joined by spaces.
word_chars = st.one_of(
    st.characters(categories=("L", "M", "N", "P", "S"), exclude_characters=" "),
    st.sampled_from(_APOSTROPHE_CHARS),
)
spaced_words = st.lists(st.text(word_chars, min_size=1, max_size=8), max_size=6).map(" ".join)


@given(spaced_words)
@example("Фонд досліджень наук про здоровʼя")  # a modifier letter apostrophe: a letter too
@example("acme robotics 3m")
def test_plain_text_splits_as_the_full_rules_split_it(text: str) -> None:
    """Text the tokenizer takes as plain words and spaces is split on its spaces alone, as
    the full rules (apostrophes, initials, separators) would split it."""
    folded = fold(text)
    if _plain(folded):
        assert folded.split() == _raw_words(folded)


@given(st.text(alphabet="ab.-_09:/@<\n \tA。é", max_size=12))
@example("acme.com\n")  # "$" matches before a last newline: the host is "acme.com"
@example(".acme.com.")
def test_a_bare_host_is_read_as_the_full_rules_read_it(text: str) -> None:
    """Text of host characters only takes a short path; it reads as the full rules read it."""
    assert domains_module._host(text) == domains_module._host_in(text)


@given(domains, st.sampled_from(["", "www.", "WWW.", "mail.", "uk.sales."]),
       st.sampled_from(["", "https://", "HTTP://", "//"]),
       st.sampled_from(["", "/", "/about?x=1", ":8080/path", "#top", "."]))  # fmt: skip
def test_url_decorations_do_not_change_the_domain(
    domain: str, sub: str, scheme: str, tail: str
) -> None:
    assert registered_domain(f"{scheme}{sub}{domain}{tail}") == registered_domain(domain)
    assert registered_domain(f"  {scheme}{sub}{domain.upper()}{tail} ") == registered_domain(domain)


@given(st.from_regex(r"[a-z][a-z0-9.]{0,12}", fullmatch=True), domains,
       st.sampled_from(["", " ", "\t"]))  # fmt: skip
def test_email_case_and_white_space_do_not_change_the_domain(
    local: str, domain: str, pad: str
) -> None:
    plain = parse_email(f"{local}@{domain}")
    assert parse_email(f"{pad}{local.upper()}@{domain.upper()}{pad}").domain == plain.domain
    assert parse_email(f"mailto:{local}@{domain}").domain == plain.domain
    assert plain.domain == registered_domain(domain)


@given(any_text)
def test_domain_normalizer_is_idempotent(raw: str) -> None:
    domain = registered_domain(raw)
    assert registered_domain(domain) == domain


@given(any_text)
def test_country_and_city_keys_are_idempotent(raw: str) -> None:
    code = normalize_country(raw)
    assert code == "" or normalize_country(code) == code
    city = normalize_city(raw)
    assert normalize_city(city) == city


@given(st.one_of(any_text, st.lists(company_names, max_size=12).map(", ".join)))
def test_name_parts_are_compact_distinct_and_bounded(value: str) -> None:
    parts = name_parts(value)
    assert len(parts) == len(set(parts))
    assert all(len(p) >= 4 and " " not in p for p in parts)
    # At most 8 parts (MAX_NAME_PARTS) and the 7 pairs of neighbours joined.
    assert len(parts) <= 15
    # The same answer every time: the parts are cached, so compute them afresh to compare.
    _part_keys.cache_clear()
    assert name_parts(value) == parts


@given(st.lists(st.from_regex(r"[A-Z][a-z]{3,9}( [A-Z][a-z]{3,9})?", fullmatch=True),
                min_size=2, max_size=MAX_NAME_PARTS))  # fmt: skip
def test_each_part_of_a_list_is_found_as_its_name_would_be(names: list[str]) -> None:
    parts = name_parts(", ".join(names))
    for name in names:
        compact = normalize_name(name).ascii.replace(" ", "")
        if len(compact) >= 4:
            assert compact in parts, (name, parts)
    assert name_parts(names[0]) == ()  # one part: not a list


def test_a_long_list_keeps_its_first_eight_parts() -> None:
    """Ten parts: the first eight are kept (a hostile string of thousands of commas costs no
    more), each with its neighbour joined: 8 + 7 = 15, the bound above."""
    parts = name_parts(", ".join(f"Company{c}" for c in "ABCDEFGHIJ"))
    firsts = [f"company{c}" for c in "abcdefgh"]
    assert parts == (*firsts, *(a + b for a, b in zip(firsts, firsts[1:])))


_RULES = sorted(rule for rule in domains_module._extractor().tlds if rule.isascii())
# A host as the domain normalizer hands it to the suffix look-up: labels of letters, digits,
# "-" and "_" (empty ones too), ending in a rule's labels (its "*" a label, its "!" dropped),
# a rule's last labels, or no rule at all.
_host_labels = st.from_regex(r"[a-z0-9_\-]{0,6}", fullmatch=True)
_rule_tails = st.sampled_from(_RULES).flatmap(
    lambda rule: st.builds(
        lambda label, cut: ".".join(rule.lstrip("!").replace("*", label).split(".")[cut:]),
        _host_labels.filter(bool), st.integers(0, 2),
    )
)  # fmt: skip
_hosts = st.builds(
    lambda head, tail: ".".join([*head, tail]).strip("."),
    st.lists(_host_labels, max_size=3), st.one_of(_rule_tails, _host_labels),
).filter(bool)  # fmt: skip


@given(_hosts)
@settings(max_examples=examples(1000))
def test_the_suffix_look_up_splits_a_host_as_tldextract_does(host: str) -> None:
    parts = domains_module._extractor().extract_str(host)
    expected = (parts.subdomain, parts.domain, parts.suffix)
    if not parts.domain or not parts.suffix:  # no registrable domain, either way
        expected = ("", "", "")
    assert domains_module._split_host(host) == expected


def test_the_suffix_look_up_follows_wildcards_and_their_exceptions() -> None:
    split = domains_module._split_host
    assert split("shop.acme.co.uk") == ("shop", "acme", "co.uk")
    assert split("acme.foo.bd") == ("", "acme", "foo.bd")  # *.bd: any label under bd
    assert split("www.ck") == ("", "www", "ck")  # !www.ck: www.ck is not a suffix
    assert split("a.city.kawasaki.jp") == ("a", "city", "kawasaki.jp")
    assert split("co.uk") == split("uk") == split("acme.nosuchtld") == ("", "", "")
    assert split("xn--bcher-kva.xn--tckwe") == ("", "xn--bcher-kva", "xn--tckwe")  # コム
