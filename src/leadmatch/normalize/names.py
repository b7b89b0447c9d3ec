"""Company names: fold, tokenize, split off legal forms, expand abbreviations, derive keys.

A name becomes a :class:`NameKey`. ``ascii`` is the key names are compared on (transliterated,
so "ООО «Ромашка»" and "OOO Romashka" agree); ``base`` keeps the original script; the legal
form is kept as its own field ("gmbh co kg"), never just thrown away.

>>> key = normalize_name("The ACME Robotics Int'l G.m.b.H. & Co. KG")
>>> key.ascii, key.legal_form
('acme robotics international', 'gmbh co kg')
>>> normalize_name("International Business Machines Corp.").acronym
'ibm'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import NamedTuple

import jellyfish
from anyascii import anyascii

from leadmatch._util.resources import rows, word_set
from leadmatch.normalize.text import fold

#: Bump when a change to the normalizers changes any key: saved indexes record it (2: an
#: account's subdomain is a domain of its own; 3: Dutch legal forms written out in front, a
#: legal form said twice is one).
NAME_NORMALIZER_VERSION = 3

# Everything that is neither a letter, a digit nor a combining mark separates tokens.
_SEPARATOR = re.compile(r"[^\w]+|_")
# Letters each followed by a dot (a space may follow the dot), and a last letter glued to the
# final dot: "s. a.", "g.m.b.h.", "i.b.m" — but not the "a" in "N.V. a Dutch company".
_INITIALS = re.compile(r"(?<![^\W_])(?:[^\W\d_]\.\s?)*[^\W\d_]\.(?:[^\W\d_](?![^\W_]))?")
_APOSTROPHE_CHARS = "'’`´ʼ"
_APOSTROPHES = re.compile(rf"(?<=\w)[{_APOSTROPHE_CHARS}](?=\w)")
# Apostrophes that are letters too ("ʼ", U+02BC): words of them still need the full rules.
_LETTER_APOSTROPHES = frozenset(ch for ch in _APOSTROPHE_CHARS if ch.isalnum())
# A brand written as its web address: "Amazon.com, Inc.", "Booking.com B.V." -> the brand.
_WEB_SUFFIX = re.compile(r"(?<=\w\w)\.(?:com|net|org|io|ai|co|biz|info|app|de|fr|nl|uk|eu)\b")
# Words for "and". Single letters ("y", "e", "i") are left out: they are initials far more often.
_CONNECTORS = frozenset({"and", "und", "et", "en", "og", "och", "ve", "és"})
_LEADING_ARTICLES = frozenset({"the"})
_ACRONYM_SKIP = frozenset(
    {"and", "of", "the", "for", "de", "der", "des", "du", "la", "le", "von", "van", "del", "di"}
)
_MAX_TOKENS = 24
# Words repeat across names far more than names do: each word's code is worked out once.
_metaphone = lru_cache(maxsize=1 << 16)(jellyfish.metaphone)


class NameKey(NamedTuple):
    """The keys of one company name."""

    base: str
    """Name without legal form, in its own script, tokens joined by one space."""
    ascii: str
    """``base`` transliterated to lower-case ASCII: the key names are compared on."""
    legal_form: str
    """Canonical legal form(s), e.g. ``"gmbh co kg"``; ``""`` when none was found."""
    acronym: str
    """First letters of the significant words (``"ibm"``), ``""`` for one-word names."""

    @property
    def phonetic(self) -> str:
        """Metaphone of each alphabetic word of ``ascii``, space-separated. Worked out when
        asked for: the matcher never reads it, and it cost a tenth of normalizing a name."""
        return " ".join([_metaphone(t) for t in self.ascii.split() if t.isalpha()])


class _LegalForms(NamedTuple):
    suffix: dict[tuple[str, ...], str]
    prefix: dict[tuple[str, ...], str]
    glued: tuple[str, ...]  # forms in scripts written without spaces (株式会社), longest first
    jurisdictions: dict[str, frozenset[str]]
    # The sizes of the suffix forms that end in a word, and of the prefix forms that start with
    # one, longest first: most names end in none, and "inc" ends only a form of one word.
    suffix_sizes: dict[str, tuple[int, ...]]
    prefix_sizes: dict[str, tuple[int, ...]]


def _is_unspaced_script(text: str) -> bool:
    """True for CJK, kana and hangul text, where a legal form is glued to the name."""
    return bool(text) and all(
        unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))
        for ch in text
    )


def _tokens(folded: str) -> list[str]:
    """Split folded text into tokens. Dotted initials join ("G.m.b.H." -> "gmbh", "N.V. a" ->
    "nv a"), then so do runs of single letters ("D S M" -> "dsm")."""
    raw = folded.split() if _plain(folded) else _raw_words(folded)
    merged = _join_letters(raw) if min(map(len, raw), default=0) == 1 else raw
    if _CONNECTORS.isdisjoint(merged):  # most names: no word for "and" to rewrite
        return merged
    return ["and" if t in _CONNECTORS else t for t in merged]


def _plain(folded: str) -> bool:
    """Words and spaces only, with nothing to rewrite: what most names are. The full rules
    split such text on its spaces alone, as \\w is every character isalnum() accepts, and "_"."""
    return folded.replace(" ", "").isalnum() and _LETTER_APOSTROPHES.isdisjoint(folded)


def _raw_words(folded: str) -> list[str]:
    """The words of folded text: apostrophes dropped, initials joined, "&" and "+" as "and"."""
    text = _APOSTROPHES.sub("", folded)
    if "." in text:
        text = _INITIALS.sub(lambda m: re.sub(r"[.\s]", "", m.group()) + " ", text)
    text = text.replace("&", " and ").replace("+", " and ")
    return [t for t in _SEPARATOR.split(text) if t]


def _join_letters(raw: list[str]) -> list[str]:
    """Runs of one-letter tokens joined: "D S M" -> "dsm"."""
    merged: list[str] = []
    run: list[str] = []
    for token in [*raw, ""]:  # "" flushes the last run
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            merged.append("".join(run))
            run = []
        if token:
            merged.append(token)
    return merged


@cache
def _legal_forms() -> _LegalForms:
    suffix: dict[tuple[str, ...], str] = {}
    prefix: dict[tuple[str, ...], str] = {}
    glued: set[str] = set()
    jurisdictions: dict[str, set[str]] = {}
    for variant, canonical, where, position in rows("legal_forms.tsv"):
        tokens = tuple(_tokens(fold(variant)))
        if not tokens or tokens == ("and",):
            continue
        canonical_form = " ".join(_tokens(fold(canonical)))
        jurisdictions.setdefault(canonical_form, set()).update(
            code.strip().upper() for code in where.split(",") if code.strip()
        )
        if position in ("suffix", "both"):
            suffix.setdefault(tokens, canonical_form)
        if position in ("prefix", "both"):
            prefix.setdefault(tokens, canonical_form)
        compact = "".join(tokens)
        if len(compact) > 1 and _is_unspaced_script(compact):
            glued.add(compact)
    return _LegalForms(
        suffix,
        prefix,
        tuple(sorted(glued, key=lambda f: (-len(f), f))),
        {form: frozenset(codes) for form, codes in jurisdictions.items()},
        _sizes_by_word(suffix, -1),
        _sizes_by_word(prefix, 0),
    )


def _sizes_by_word(forms: dict[tuple[str, ...], str], end: int) -> dict[str, tuple[int, ...]]:
    """The sizes of ``forms`` by their word at ``end`` (0: first, -1: last), longest first."""
    sizes: dict[str, set[int]] = {}
    for tokens in forms:
        sizes.setdefault(tokens[end], set()).add(len(tokens))
    return {word: tuple(sorted(found, reverse=True)) for word, found in sizes.items()}


@cache
def _abbreviations() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for variant, expansion in rows("abbreviations.tsv"):
        source = _tokens(fold(variant))
        if len(source) == 1:
            table[source[0]] = tuple(_tokens(fold(expansion)))
    return table


def _unglue(tokens: list[str], glued: tuple[str, ...]) -> list[str]:
    """Split legal forms written without a space off CJK tokens ("株式会社サクラ" -> 2 tokens)."""
    if "".join(tokens).isascii():  # glued forms are all CJK, kana or hangul
        return tokens
    out: list[str] = []
    for token in tokens:
        if token.isascii():
            out.append(token)
            continue
        for form in glued:
            if len(token) > len(form) and token.startswith(form):
                out.extend((form, token[len(form) :]))
                break
            if len(token) > len(form) and token.endswith(form):
                out.extend((token[: -len(form)], form))
                break
        else:
            out.append(token)
    return out


def _strip_legal_forms(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Peel legal forms off both ends until none is left; the base never becomes empty."""
    forms = _legal_forms()
    found_front: list[str] = []
    found_back: list[str] = []
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        back = forms.suffix_sizes.get(tokens[-1], ())
        if not back and tokens[0] not in forms.prefix_sizes:
            break  # most names: neither end can be a legal form
        for size in back:  # a form that is the whole name leaves no name: _has_name refuses
            form = forms.suffix.get(tuple(tokens[-size:]))
            if form is None:
                continue
            rest = _trim_connectors(tokens[:-size])
            if _has_name(rest):
                found_back.insert(0, form)
                tokens, changed = rest, True
                break
        for size in forms.prefix_sizes.get(tokens[0], ()):
            form = forms.prefix.get(tuple(tokens[:size]))
            if form is None:
                continue
            rest = _drop_articles(_trim_connectors(tokens[size:]))
            if _has_name(rest):
                found_front.append(form)
                tokens, changed = rest, True
                break
    return tokens, list(dict.fromkeys(found_front + found_back))  # a form said twice is one


def _has_name(tokens: list[str]) -> bool:
    return tokens.count("and") < len(tokens)


def _trim_connectors(tokens: list[str]) -> list[str]:
    """Drop an "and" left dangling at either end ("Smith & Co" -> "smith")."""
    start, end = 0, len(tokens)
    while end - start > 1 and tokens[end - 1] == "and":
        end -= 1
    while end - start > 1 and tokens[start] == "and":
        start += 1
    return tokens[start:end]


@cache
def _org_words() -> dict[str, str]:
    return dict(rows("org_words.tsv"))  # type: ignore[arg-type]


def _in_english(tokens: list[str]) -> list[str]:
    """Words for kinds of organisation (universidad, Institut, hôpital...) as their English
    word (``data/org_words.tsv``): names in two languages then share them."""
    table = _org_words()
    if table.keys().isdisjoint(tokens):
        return tokens
    return [table.get(token, token) for token in tokens]


def _expand(tokens: list[str]) -> list[str]:
    table = _abbreviations()
    if table.keys().isdisjoint(tokens):
        return tokens
    out: list[str] = []
    for token in tokens:
        out.extend(table.get(token, (token,)))
    return out


def _drop_articles(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and tokens[0] in _LEADING_ARTICLES:
        tokens = tokens[1:]
    return tokens


def _clean_tokens(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Legal forms off, abbreviations expanded, leading articles dropped: the base tokens."""
    tokens, legal = _strip_legal_forms(_drop_articles(tokens))
    tokens = _drop_articles(_expand(tokens))
    return (tokens if _has_name(tokens) else []), legal  # "&" alone is no name


def _ascii_tokens(tokens: list[str]) -> list[str]:
    if "".join(tokens).isascii():
        return tokens
    return _tokens(fold(anyascii(" ".join(tokens))))


def _acronym(tokens: list[str]) -> str:
    words = [t for t in tokens if t not in _ACRONYM_SKIP and not t.isdigit()]
    if len(words) < 2:
        return ""
    return "".join(w[0] for w in words)


def _name_tokens(text: str) -> list[str]:
    if "." in text:  # a web suffix has a dot
        text = _WEB_SUFFIX.sub("", text)
    return _unglue(_tokens(text), _legal_forms().glued)[:_MAX_TOKENS]


def _drop_address(folded: str) -> str:
    """Cut a seat or country after a legal form: "Cargill B.V., Bergen op Zoom" -> "Cargill B.V."

    Registers and patent offices append seats and countries that way; "Acme, Inc." and
    "Smith, Jones & Co" keep their commas because no legal form comes before them.
    """
    segments = folded.split(",", 8)  # a name has a few commas; a hostile string, thousands
    head = segments[0]
    for segment in segments[1:]:
        if _strip_legal_forms(_name_tokens(head))[1]:
            return head
        head = f"{head},{segment}"
    return head


_TRAILING_NOTE = re.compile(r"\s*\(([^()]*)\)$")


def _drop_trailing_note(folded: str) -> str:
    """Drop a parenthesized note that ends a name: "Schlumberger Technology B.V. (STBV)",
    "Acme Ltd (in liquidation)". A legal form in brackets, "サクラ電機(株)", is kept."""
    match = _TRAILING_NOTE.search(folded)
    if match is None or not any(ch.isalnum() for ch in folded[: match.start()]):
        return folded
    note = _name_tokens(match.group(1))
    forms = _legal_forms()
    if tuple(note) in forms.suffix or tuple(note) in forms.prefix:
        return folded
    return folded[: match.start()]


@lru_cache(maxsize=1 << 17)
def _normalize_folded(folded: str) -> NameKey:
    if "," in folded:
        folded = _drop_address(folded)
    if folded.endswith(")"):
        folded = _drop_trailing_note(folded)
    tokens = _name_tokens(folded)
    tokens, legal = _clean_tokens(tokens)
    ascii_tokens = _ascii_tokens(tokens)
    if ascii_tokens is not tokens:  # transliteration can reveal a legal form: "ООО" -> "ooo"
        ascii_tokens, more = _clean_tokens(ascii_tokens)
        legal.extend(form for form in more if form not in legal)
    acronym = _acronym(ascii_tokens)  # from the words as written: UNAM, not UNAM's English
    ascii_tokens = _in_english(ascii_tokens)
    return NameKey(
        base=" ".join(tokens),
        ascii=" ".join(ascii_tokens),
        legal_form=" ".join(legal),
        acronym=acronym,
    )


def is_lossy_script(text: str) -> bool:
    """True if ``text`` is written in a script whose transliteration does not give the name's
    Latin spelling (Han, kana, hangul, Thai, Arabic, Hebrew, Indic...): "大東運輸" becomes
    "dadongyunshu", never "Daito Un'yu". Greek and Cyrillic transliterate well enough."""
    if text.isascii():
        return False
    return any(
        "\u0590" <= ch <= "\u0dff" or "\u0e00" <= ch <= "\u0e7f" or ch >= "\u2e80"
        for ch in text
        if not ch.isascii()
    )


#: Shortest one-word country name read as a qualifier: codes ("de", "it", "can") are words too.
COUNTRY_WORD_LETTERS = 4


@cache
def common_words() -> frozenset[str]:
    """Tokens that say little about which company is meant: sector and filler words, and
    one-word legal forms wherever they stand ("Bosch GmbH Robert"). Their weight is capped."""
    words: set[str] = set()
    for word in word_set("generic_words.txt"):
        words.update(_expand(_tokens(fold(word))))
    forms = _legal_forms()
    words.update(t[0] for t in (*forms.suffix, *forms.prefix) if len(t) == 1 and t[0].isascii())
    return frozenset(words)


@cache
def qualifier_words() -> frozenset[str]:
    """Tokens that say which part or place of a company is meant (a country, a region, a
    department, a site) rather than which company: a lead that adds only these to an account's
    name still writes that account's name, shortened (``qualifier_words.txt``, and every
    one-word country name of 4 letters or more in ``countries.tsv``)."""
    # Each as the name normalizer writes it ("HQ" as "headquarters"), as leads' words are.
    words = {_normalize_folded(fold(word)).ascii for word in word_set("qualifier_words.txt")}
    for alias, _ in rows("countries.tsv"):
        folded = fold(alias)
        if len(folded) < COUNTRY_WORD_LETTERS or not folded.isalpha():
            continue  # a code ("fin" would be read as "financial"), or several words
        tokens = _normalize_folded(folded).ascii.split()
        if len(tokens) == 1 and tokens[0].isalpha():
            words.add(tokens[0])
    return frozenset(words)


def normalize_name(value: object) -> NameKey:
    """The keys of a company name; any input gives a result (``""`` fields when unusable)."""
    return _normalize_folded(fold(value))


_PART_SEPARATOR = re.compile(r"[,;|]|\s[-–—]\s")
#: Most parts of one name compared on their own: an affiliation names a department, an
#: institution, a city and a country; a hostile string, thousands of commas.
MAX_NAME_PARTS = 8


@lru_cache(maxsize=1 << 16)
def _part_keys(value: str) -> tuple[str, ...]:
    """The non-empty parts of a name written as a list, each normalized without spaces."""
    pieces = _PART_SEPARATOR.split(fold(value), MAX_NAME_PARTS * 4)
    if len(pieces) < 2:
        return ()
    compacts = (_normalize_folded(piece.strip()).ascii.replace(" ", "") for piece in pieces)
    return tuple(c for c in compacts if c)[:MAX_NAME_PARTS]


def name_parts(value: str) -> tuple[str, ...]:
    """The parts of a name written as a list ("Dept. of Physics, Kyoto University, Kyoto,
    Japan"), each normalized and without spaces (as names are compared whole), 4 characters or
    longer; ``()`` for a name of one part. An account's name can then be found as one part of
    an affiliation or a form's "company" field that adds a department or a site. Each two
    neighbouring parts are also given joined."""
    compacts = _part_keys(value)
    if len(compacts) < 2:
        return ()
    # Two neighbours joined too: a name with a comma of its own ("University of California,
    # Berkeley") is two parts of the list.
    joined = [a + b for a, b in zip(compacts, compacts[1:])]
    return tuple(dict.fromkeys(c for c in (*compacts, *joined) if len(c) >= 4))


def is_list(value: str) -> bool:
    """A name written as a list of three parts or more (an affiliation: department,
    institution, city, country), whose similarity as a whole says little; "Acme, Inc." and
    "Skadden, Arps, Slate, Meagher & Flom" are names, not lists, when an account bears them
    whole (the name comparison checks that first)."""
    return len(_part_keys(value)) >= 3


def legal_form_jurisdictions(legal_form: str) -> frozenset[str]:
    """Countries (ISO alpha-2) where a canonical legal form is used; ``*`` means anywhere."""
    return _legal_forms().jurisdictions.get(legal_form, frozenset())
