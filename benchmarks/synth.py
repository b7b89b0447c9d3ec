"""Synthetic CRM accounts and B2B leads with ground truth, to benchmark lead-to-account matching.

    python benchmarks/synth.py --accounts 10000 --seed 1 --out /tmp/synth10k
    python benchmarks/synth.py --accounts 1000000 --leads 3000000 --seed 1 --out /tmp/synth1m
    python benchmarks/synth.py --demo          # writes src/leadmatch/data/demo/{accounts,leads}.csv
    python benchmarks/synth.py --check DIR     # validates a generated directory, prints shares

Writes ``accounts.csv`` (account_id, name, domain, alias_domains, country, city, phone, parent_id,
type, owner) and ``leads.csv`` (lead_id, first_name, last_name, email, company, website, country,
phone, true_account_id, acceptable_account_ids). Word lists live in ``benchmarks/synth_data/``.
Standard library only and independent of leadmatch; deterministic for a given ``--seed``.

Truth: ``true_account_id`` is the account record the lead's company was generated from (for a
company entered twice: the first record; for a hierarchy: the member the lead works for, i.e. the
subsidiary of the lead's country), empty when the company is not among the accounts.
``acceptable_account_ids`` lists the other records that are also right: duplicate records of the
same company and, for a lead of a group brand, the parent and the same-brand siblings.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from random import Random
from typing import Generic, NamedTuple, TypeVar

HERE = Path(__file__).resolve().parent
DATA = HERE / "synth_data"
DEMO_OUT = HERE.parent / "src" / "leadmatch" / "data" / "demo"
DEMO_SEED = 4
DEMO_ACCOUNTS = 300
DEMO_LEADS = 1000

ACCOUNT_HEADER = [
    "account_id", "name", "domain", "alias_domains", "country", "city", "phone", "parent_id",
    "type", "owner",
]  # fmt: skip
LEAD_HEADER = [
    "lead_id", "first_name", "last_name", "email", "company", "website", "country", "phone",
    "true_account_id", "acceptable_account_ids",
]  # fmt: skip

# Shares (of account records / of leads).
P_DUPLICATE = 0.03
P_SUBSIDIARY = 0.075
P_PARENT = 0.025
P_NO_DOMAIN = 0.10
P_ALIAS = 0.12
P_NATIVE_DISPLAY = 0.5
P_JUNK = 0.01
P_ACCOUNT_LEAD = 0.70
P_EMPTY_COMPANY = 0.05

T = TypeVar("T")
NATIVE_LANGS = ("ja", "zh", "ko", "ru", "el")
SECTOR_LANG = {"in": "en", "ar": "en", "sg": "en", "no": "da", "za": "en"}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u3200-\u33ff]")
NON_ALNUM = re.compile(r"[^0-9a-z]+")
AND_WORD = {
    "en": "and", "de": "und", "fr": "et", "es": "y", "it": "e", "nl": "en", "pt": "e",
    "sv": "och", "da": "og", "fi": "ja", "pl": "i", "cs": "a", "tr": "ve", "id": "dan",
    "in": "and", "ar": "and",
}  # fmt: skip
STOP = {
    "and", "und", "et", "y", "e", "i", "a", "of", "the", "de", "do", "da", "di", "du", "des",
    "del", "la", "le", "en", "och", "og", "ve", "dan", "ja", "s",
}  # fmt: skip


class Pick(Generic[T]):
    """Weighted choice with precomputed cumulative weights (faster than Random.choices)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float] | None = None) -> None:
        if not items:
            raise ValueError("empty choice list")
        self.items = list(items)
        ws = list(weights) if weights is not None else [1.0] * len(self.items)
        acc = 0.0
        self.cum: list[float] = []
        for w in ws:
            acc += w
            self.cum.append(acc)
        self.total = acc

    def __call__(self, rng: Random) -> T:
        i = bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(i, len(self.items) - 1)]


def weighted(spec: str) -> Pick[str]:
    """``a:3,b:1`` or ``a*3|b`` lists into a Pick."""
    items: list[str] = []
    weights: list[float] = []
    sep = "|" if "|" in spec or ("*" in spec and "," not in spec) else ","
    for part in spec.split(sep):
        part = part.strip()
        if not part:
            continue
        w = 1.0
        if sep == "," and ":" in part:
            part, ws = part.rsplit(":", 1)
            w = float(ws)
        elif "*" in part and part.rsplit("*", 1)[1].isdigit():
            part, ws = part.rsplit("*", 1)
            w = float(ws)
        items.append(part)
        weights.append(w)
    return Pick(items, weights)


def rows(name: str) -> list[list[str]]:
    out = []
    with open(DATA / name, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                out.append(line.split("\t"))
    return out


# ----------------------------------------------------------------------------- text helpers

_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "ð": "d", "’": "'", "‘": "'"}
)  # fmt: skip
_DE_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def strip_accents(text: str) -> str:
    if text.isascii() or CJK.search(text):
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def ascii_fold(text: str) -> str:
    if text.isascii():
        return text
    return strip_accents(text.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")


def name_key(text: str) -> str:
    return NON_ALNUM.sub("", ascii_fold(text).lower())


_RU = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_EL = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
_EL_DI = (("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("γγ", "ng"), ("γκ", "gk"), ("αι", "ai"),
          ("ει", "ei"), ("οι", "oi"))  # fmt: skip
_WORD = re.compile(r"(\w+)")


def transliterate(text: str) -> str:
    """Russian (GOST-like, no diacritics) and Greek (ELOT-like) to Latin; others unchanged."""
    if text.isascii():
        return text
    parts = _WORD.split(text)
    out = []
    for part in parts:
        if not part or not part[0].isalpha():
            out.append(part)
            continue
        upper_word = part.isupper() and len(part) > 1
        low = part.lower()
        if any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in low):
            low = "".join(
                c for c in unicodedata.normalize("NFD", low) if not unicodedata.combining(c)
            )
            if low.startswith("μπ"):
                low = "b" + low[2:]
            elif low.startswith("ντ"):
                low = "d" + low[2:]
            for a, b in _EL_DI:
                low = low.replace(a, b)
            res = "".join(_EL.get(c, c) for c in low)
        elif any("\u0400" <= c <= "\u04ff" for c in low):
            res = "".join(_RU.get(c, c) for c in low)
        else:
            out.append(part)
            continue
        if upper_word:
            res = res.upper()
        elif part[0].isupper():
            # keep inner capitals of CamelCase words (УралСтрой -> UralStroy)
            chunks = re.split(r"(?=[А-ЯЁΑ-Ω])", part)
            if len([c for c in chunks if c]) > 1:
                res = "".join(transliterate(c.lower()).capitalize() for c in chunks if c)
            else:
                res = res[:1].upper() + res[1:]
        out.append(res)
    return "".join(out)


def female_surname(lang: str, sur: str) -> str:
    if lang == "ru":
        if sur.endswith(("ов", "ев", "ёв", "ин", "ын")):
            return sur + "а"
        if sur.endswith("ий"):
            return sur[:-2] + "ая"
        return sur
    if lang == "el":
        if sur.endswith("ος"):
            return sur[:-2] + "ου"
        if sur.endswith(("ης", "ής")):
            return sur[:-1]
        if sur.endswith(("ας", "άς")):
            return sur[:-1]
        return sur
    if lang == "pl" and sur.endswith(("ski", "cki", "dzki")):
        return sur[:-1] + "a"
    if lang == "cs":
        if sur.endswith("ý"):
            return sur[:-1] + "á"
        if sur.endswith("ek"):
            return sur[:-2] + "ková"
        if not sur.endswith(("á", "ová")):
            return sur + "ová"
    return sur


# ----------------------------------------------------------------------------- data model


class Country(NamedTuple):
    cc: str
    langs: Pick[str]
    people: Pick[str]
    name_en: str
    aliases: list[str]
    subsidiary: list[str]
    calling: str
    trunk: str
    nsn: str
    mobile: str
    tlds: Pick[str]
    freemail: Pick[str]
    cities: list[tuple[str, str, str]]  # latin, native, area


class LegalForm(NamedTuple):
    template: str
    variants: tuple[str, ...]
    latin: tuple[str, ...]


class Person(NamedTuple):
    first: str
    last: str
    first_latin: str
    last_latin: str


class Company(NamedTuple):
    """What leads need of a company (kept for every account company; compact)."""

    cc: str
    lang: str
    native: str  # core name in native script ("" when the name is Latin-only)
    latin: str  # core name in Latin script (without legal form)
    lf: int  # index into Data.forms
    domain: str
    aliases: str  # ";"-separated
    brand: str  # group brand for hierarchy members, else ""


class Data:
    def __init__(self) -> None:
        self.countries: dict[str, Country] = {}
        cities: dict[str, list[tuple[str, str, str]]] = {}
        for cc, spec in rows("cities.tsv"):
            lst = []
            for item in spec.split("|"):
                name, area = item.rsplit("=", 1)
                latin, _, native = name.partition("/")
                if cc in ("GR", "RU", "JP", "CN", "KR") and native:
                    lst.append((latin, native, area))
                else:
                    lst.append((name, "", area))
            cities[cc] = lst
        header = True
        weights: list[float] = []
        for r in rows("countries.tsv"):
            if header:
                header = False
                continue
            (cc, weight, langs, people, name_en, aliases, subsidiary, calling, trunk, nsn,
             mobile, tlds, freemail) = r  # fmt: skip
            self.countries[cc] = Country(
                cc, weighted(langs), weighted(people), name_en, aliases.split("|"),
                subsidiary.split("|"), calling, trunk, nsn, mobile, weighted(tlds),
                weighted(freemail), cities[cc],
            )  # fmt: skip
            weights.append(float(weight))
        self.country_pick = Pick(list(self.countries), weights)

        self.forms: list[LegalForm] = []
        lf_items: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for r in rows("legal_forms.tsv")[1:]:
            r += [""] * (6 - len(r))
            cc, lang, w, template, variants, latin = r[:6]
            idx = len(self.forms)
            self.forms.append(
                LegalForm(
                    template,
                    tuple(v for v in variants.split("|") if v),
                    tuple(v for v in latin.split("|") if v),
                )
            )
            lf_items.setdefault((cc, lang), []).append((idx, float(w)))
        self.form_pick: dict[tuple[str, str], Pick[int]] = {}
        self.blank_form: dict[str, int] = {}
        for cc, country in self.countries.items():
            for flang in [*country.langs.items, "*"]:
                fitems = lf_items.get((cc, "*"), []) + (
                    lf_items.get((cc, flang), []) if flang != "*" else []
                )
                if flang == "*":  # subsidiaries of foreign brands: the country's common forms
                    fitems = [x for k, v in lf_items.items() if k[0] == cc for x in v]
                self.form_pick[(cc, flang)] = Pick([i for i, _ in fitems], [w for _, w in fitems])
            blanks = [i for k, v in lf_items.items() if k[0] == cc for i, _ in v]
            blanks = [i for i in blanks if self.forms[i].template == "{}"]
            self.blank_form[cc] = blanks[0] if blanks else -1
        if "CN" in self.countries and self.blank_form["CN"] < 0:
            self.blank_form["CN"] = len(self.forms)
            self.forms.append(LegalForm("{}", (), ("{}",)))

        self.people: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for plang, kind, pitems in rows("people.tsv"):
            pairs = []
            for item in pitems.split("|"):
                if plang in ("ja", "zh", "ko"):
                    nat, _, lat = item.partition(":")
                    pairs.append((nat, lat))
                else:
                    pairs.append((item, transliterate(item)))
            self.people[(plang, kind)] = pairs

        sec = rows("sectors.tsv")
        langs_cols = sec[0][2:]
        self.sector_keys: list[str] = []
        sector_w: list[float] = []
        self.sectors: dict[str, list[list[tuple[str, str]]]] = {lang: [] for lang in langs_cols}
        for r in sec[1:]:
            self.sector_keys.append(r[0])
            sector_w.append(float(r[1]))
            for lang, cell in zip(langs_cols, r[2:]):
                syn = []
                for item in cell.split("|"):
                    if lang in ("ja", "zh", "ko"):
                        nat, _, lat = item.partition(":")
                        syn.append((nat, lat))
                    else:
                        syn.append((item, transliterate(item)))
                self.sectors[lang].append(syn)
        self.sector_pick = Pick(list(range(len(self.sector_keys))), sector_w)

        self.words: dict[tuple[str, str], Pick[str]] = {}
        self.abbr: dict[str, list[str]] = {}
        self.near_pair: dict[str, list[tuple[str, str]]] = {}
        for cat, wlang, witems in rows("words.tsv"):
            if cat == "abbr":
                for item in witems.split("|"):
                    full, _, abbrs = item.partition("=")
                    self.abbr[full] = abbrs.split("/")
            elif cat == "near_pair":
                self.near_pair[wlang] = [
                    (a, b) for a, _, b in (p.partition("/") for p in witems.split("|"))
                ]
            else:
                self.words[(cat, wlang)] = weighted(witems)
        self.reserved = {name_key(x) for x in self.words[("reserved", "*")].items}
        self.legal_tokens = {x.lower() for x in self.words[("legal_token", "*")].items}

    def form(self, rng: Random, cc: str, lang: str) -> int:
        pick = self.form_pick.get((cc, lang)) or self.form_pick[(cc, "*")]
        return pick(rng)

    def word(self, cat: str, lang: str, rng: Random) -> str:
        pick = self.words.get((cat, lang)) or self.words[(cat, "*")]
        return pick(rng)

    def has(self, cat: str, lang: str) -> bool:
        return (cat, lang) in self.words

    def sector(self, rng: Random, lang: str, idx: int | None = None) -> tuple[str, str, int]:
        """(native, latin, sector index) of an industry word in the naming language."""
        lang = SECTOR_LANG.get(lang, lang)
        if idx is None:
            idx = self.sector_pick(rng)
        syn = self.sectors[lang][idx]
        nat, lat = syn[0] if len(syn) == 1 or rng.random() < 0.6 else rng.choice(syn)
        return nat, lat, idx

    def person_lang(self, rng: Random, cc: str) -> str:
        return self.countries[cc].people(rng)

    def person(self, rng: Random, cc: str) -> Person:
        lang = self.person_lang(rng, cc)
        female = rng.random() < 0.45
        given = rng.choice(self.people[(lang, "f" if female else "m")])
        sur = rng.choice(self.people[(lang, "sur")])
        if female and lang in ("ru", "el", "pl", "cs"):
            fs = female_surname(lang, sur[0])
            sur = (fs, transliterate(fs))
        return Person(given[0], sur[0], given[1], sur[1])


# ----------------------------------------------------------------------------- names

LATIN_STYLES = {
    "en": "surname:20,brand:17,compound:13,place:9,generic:14,acronym:6,near:10,short:3",
    "de": "surname:30,brand:15,compound:4,place:16,generic:6,acronym:8,near:8,short:3",
    "fr": "surname:26,brand:17,compound:3,place:17,generic:5,acronym:10,near:8,short:4",
    "es": "surname:26,brand:16,compound:3,place:19,generic:6,acronym:8,near:8,short:4",
    "it": "surname:28,brand:16,compound:3,place:17,generic:5,acronym:9,near:8,short:4",
    "pt": "surname:26,brand:16,compound:3,place:19,generic:6,acronym:8,near:8,short:4",
    "nl": "surname:24,brand:18,compound:6,place:16,generic:8,acronym:8,near:8,short:4",
    "sv": "surname:24,brand:18,compound:5,place:18,generic:6,acronym:8,near:8,short:4",
    "da": "surname:24,brand:18,compound:5,place:18,generic:6,acronym:8,near:8,short:4",
    "fi": "surname:20,brand:18,compound:4,place:22,generic:6,acronym:8,near:8,short:4",
    "pl": "surname:22,brand:18,compound:3,place:20,generic:6,acronym:10,near:8,short:4",
    "cs": "surname:22,brand:18,compound:3,place:20,generic:6,acronym:10,near:8,short:4",
    "tr": "surname:26,brand:16,compound:3,place:22,generic:6,acronym:8,near:8,short:4",
    "in": "indian:34,surname:16,brand:12,generic:12,acronym:8,near:8,compound:5,place:5",
    "id": "indonesian:44,surname:8,brand:14,generic:8,acronym:8,near:6,place:12",
    "ar": "arabic:44,surname:12,brand:10,generic:12,acronym:6,near:8,compound:4,place:4",
    "ru": "ru_brand:34,ru_parts:34,surname:10,acronym:8,place:8,brand:6",
    "el": "el_brand:30,surname:30,place:20,acronym:10,brand:10",
    "ja": "ja_place:34,ja_surname:26,ja_brand:30,acronym:5,brand:5",
    "zh": "zh_chars:80,zh_city:20",
    "ko": "ko_brand:70,ko_sector:30",
}
STYLE_PICK = {lang: weighted(spec) for lang, spec in LATIN_STYLES.items()}
BRAND_STYLES = {
    "brand",
    "compound",
    "short",
    "ja_brand",
    "ja_place",
    "zh_chars",
    "ko_brand",
    "ko_sector",
    "el_brand",
    "ru_brand",
    "sub",
}
HOME = {
    "de": {"DE", "AT", "CH"},
    "fr": {"FR", "BE", "CH"},
    "es": {"ES"},
    "pt": {"PT"},
    "it": {"IT", "CH"},
    "nl": {"NL", "BE"},
}
SHORT_ENDS = ["a", "o", "i", "us", "ix", "on", "ex", "ra", "io"]
ROMAN_SWAP = {"Dianzi": "Electronics", "Jixie": "Machinery"}


class Core(NamedTuple):
    native: str
    latin: str
    sector: int
    style: str


class Namer:
    def __init__(self, data: Data) -> None:
        self.d = data

    def _people(self, rng: Random, cc: str, latin: bool) -> tuple[str, str, str]:
        """Surname, second surname and given name for connector templates."""
        d = self.d
        lang = d.person_lang(rng, cc)
        if lang in ("ja", "zh", "ko") and latin:
            lang = "en"
        idx = 1 if latin else 0
        a = rng.choice(d.people[(lang, "sur")])[idx]
        b = rng.choice(d.people[(lang, "sur")])[idx]
        while b == a:
            b = rng.choice(d.people[(lang, "sur")])[idx]
        g = rng.choice(d.people[(lang, rng.choice(("m", "f")))])[idx]
        return a, b, g

    def brand(self, rng: Random) -> str:
        d = self.d
        head = d.word("brand_head", "*", rng)
        tail = d.word("brand_tail", "*", rng)
        mid = ""
        if tail[0] not in "aeiouy" and rng.random() < 0.3:
            mid = d.word("brand_mid", "*", rng)
        word = head + mid + tail
        return word[0].upper() + word[1:].lower()

    def make(self, rng: Random, cc: str, lang: str, style: str | None = None) -> Core:
        d = self.d
        if style is None:
            style = STYLE_PICK.get(lang, STYLE_PICK["en"])(rng)
        slang = SECTOR_LANG.get(lang, lang)
        s_nat, s_lat, sidx = d.sector(rng, lang)
        romance = lang in ("fr", "es", "it", "pt")
        if style == "surname":
            tpl = d.word("connector", lang if d.has("connector", lang) else "en", rng)
            if "{a}" not in tpl:
                tpl = "{a} {s}"
            if lang == "ru":
                a, b, g = self._people(rng, cc, latin=False)
            elif lang == "el":
                a, b, g = self._people(rng, cc, latin=False)
                tpl = tpl.replace("{s}", s_nat)
            else:
                a, b, g = self._people(rng, cc, latin=True)
            text = (
                tpl.replace("{a}", a).replace("{b}", b).replace("{g}", g)
                .replace("{i}", g[:1]).replace("{s}", s_nat)
                .replace("{t}", d.word("in_tail", "in", rng))
            )  # fmt: skip
            if lang in ("ru", "el"):
                return Core(text, transliterate(text), sidx, style)
            return Core("", text, sidx, style)
        if style == "brand":
            b = self.brand(rng)
            r = rng.random()
            if r < 0.45:
                text = f"{s_nat} {b}" if romance and rng.random() < 0.3 else f"{b} {s_nat}"
            else:
                text = b
            return Core("", transliterate(text), sidx, style)
        if style == "compound":
            text = d.word("compound_a", "*", rng) + d.word("compound_b", "*", rng)
            if rng.random() < 0.5:
                text = f"{text} {s_nat if slang == 'en' or rng.random() < 0.5 else s_lat}"
            return Core("", text, sidx, style)
        if style == "place":
            key = cc if d.has("region", cc) else lang
            home = key == cc or cc in HOME.get(lang, {cc})
            if d.has("region", key) and home and rng.random() < 0.7:
                place = d.word("region", key, rng)
            else:
                city = rng.choice(d.countries[cc].cities)
                place = city[1] if lang in ("ru", "el") and city[1] else city[0]
            if romance:
                link = {"fr": "de", "es": "de", "it": "di", "pt": "de"}[lang]
                text = f"{s_nat} {link} {place}" if rng.random() < 0.35 else f"{s_nat} {place}"
            else:
                text = f"{place} {s_nat}"
            if lang in ("ru", "el"):
                return Core(text, transliterate(text), sidx, style)
            return Core("", text, sidx, style)
        if style == "generic":
            own = d.has("generic_adj", cc) and rng.random() < 0.3
            adj = d.word("generic_adj", cc if own else "en", rng)
            en_nat, _, _ = d.sector(rng, "en", sidx)
            r = rng.random()
            if r < 0.45:
                text = f"{adj} {en_nat} {d.word('generic_tail', 'en', rng)}"
            elif r < 0.8:
                text = f"{adj} {en_nat}"
            else:
                text = f"{adj} {d.word('generic_tail', 'en', rng)}"
            return Core("", text, sidx, style)
        if style == "acronym":
            letters = "ABCDEFGHIJKLMNOPRSTUVWZ"
            n = rng.choice((2, 3, 3, 3, 4))
            acro = "".join(rng.choice(letters) for _ in range(n))
            if rng.random() < 0.2:
                acro = acro[:-1] + rng.choice("&-") + acro[-1] if n == 3 else acro
            text = f"{acro} {s_lat if lang in ('ru', 'el', 'ja') else s_nat}"
            if rng.random() < 0.35:
                text = acro
            return Core("", text, sidx, style)
        if style == "near":
            head = d.word("near_head", "*", rng)
            text = f"{head} {s_nat}"
            return Core("", transliterate(text), sidx, style)
        if style == "short":
            h = d.word("brand_head", "*", rng)
            text = h if rng.random() < 0.4 else h + rng.choice(SHORT_ENDS)
            return Core("", text[0].upper() + text[1:].lower(), sidx, style)
        if style == "indian":
            r = rng.random()
            if r < 0.45:
                pre = d.word("in_prefix", "in", rng) + " " if rng.random() < 0.7 else ""
                text = f"{pre}{d.word('in_deity', 'in', rng)} {d.word('in_tail', 'in', rng)}"
            else:
                text = f"{d.word('in_word', 'in', rng)} {d.word('in_tail', 'in', rng)}"
            return Core("", text, sidx, style)
        if style == "indonesian":
            w1 = d.word("id_word", "id", rng)
            w2 = d.word("id_word", "id", rng)
            text = f"{w1} {w2}" if w1 != w2 else w1
            if rng.random() < 0.4:
                text = f"{text} {s_nat}" if rng.random() < 0.5 else f"{w1} {s_nat}"
            return Core("", text, sidx, style)
        if style == "arabic":
            text = f"{d.word('ar_word', 'ar', rng)} {d.word('ar_tail', 'ar', rng)}"
            return Core("", text, sidx, style)
        if style == "ru_brand":
            text = d.word("ru_brand", "ru", rng)
            if rng.random() < 0.3:
                text = f"{text}-{d.word('ru_part', 'ru', rng)}"
            return Core(text, transliterate(text), sidx, style)
        if style == "ru_parts":
            first = d.word("ru_region" if rng.random() < 0.5 else "ru_part", "ru", rng)
            parts = [first, d.word("ru_part", "ru", rng)]
            if rng.random() < 0.35:
                parts.append(d.word("ru_part", "ru", rng))
            if rng.random() < 0.4:
                text = "".join(p[0].upper() + p[1:].lower() for p in parts)
            else:
                text = parts[0] + "".join(p.lower() for p in parts[1:])
            return Core(text, transliterate(text), sidx, style)
        if style == "el_brand":
            text = d.word("el_brand", "el", rng)
            if rng.random() < 0.6:
                text = f"{text} {s_nat}"
            return Core(text, transliterate(text), sidx, style)
        if style in ("ja_place", "ja_surname", "ja_brand"):
            if style == "ja_place":
                nat, lat = d.word("ja_place", "ja", rng).split(":")
            elif style == "ja_surname":
                nat, lat = rng.choice(d.people[("ja", "sur")])
            else:
                nat, lat = d.word("ja_brand", "ja", rng).split(":")
            if style != "ja_brand" or rng.random() < 0.6:
                nat, lat = nat + s_nat, f"{lat} {s_lat}"
            if rng.random() < 0.75:
                lat = strip_accents(lat)
            return Core(nat, lat, sidx, style)
        if style in ("zh_chars", "zh_city"):
            c1 = d.word("zh_char", "zh", rng).split(":")
            c2 = d.word("zh_char", "zh", rng).split(":")
            nat, lat = c1[0] + c2[0], c1[1] + c2[1].lower()
            if style == "zh_city":
                city = rng.choice(d.countries["CN"].cities)
                nat, lat = city[1] + nat, f"{city[0]} {lat}"
            en = d.sectors["en"][sidx][0][0]
            lat2 = en if rng.random() < 0.5 else strip_accents(s_lat)
            return Core(nat + s_nat, f"{lat} {lat2}", sidx, style)
        if style in ("ko_brand", "ko_sector"):
            nat, lat = d.word("ko_brand", "ko", rng).split(":")
            if style == "ko_sector" or rng.random() < 0.5:
                en = d.sectors["en"][sidx][0][0]
                nat, lat = nat + s_nat, f"{lat} {en if rng.random() < 0.6 else s_lat}"
            return Core(nat, lat, sidx, style)
        raise ValueError(style)


# ----------------------------------------------------------------------------- phones


def digits(rng: Random, n: int) -> str:
    if n <= 0:
        return ""
    return str(rng.randrange(2 * 10 ** (n - 1), 10**n))


def group(sub: str, cc: str) -> str:
    if cc in ("FR", "BE", "CH", "NL", "DK") and len(sub) % 2 == 0:
        return " ".join(sub[i : i + 2] for i in range(0, len(sub), 2))
    if len(sub) <= 5:
        return sub
    if cc in ("DE", "AT"):
        return sub
    if len(sub) == 6:
        return f"{sub[:3]} {sub[3:]}"
    if len(sub) == 7:
        return f"{sub[:3]} {sub[3:]}"
    return f"{sub[:4]} {sub[4:]}" if len(sub) == 8 else f"{sub[:3]} {sub[3:6]} {sub[6:]}"


MOBILE_CUT = {"GB": 4, "IE": 2, "NZ": 2, "JP": 2, "BR": 2, "DK": 2, "NO": 3, "FR": 1, "BE": 3}


def phone(rng: Random, c: Country, area: str | None = None, mobile: bool = False) -> str:
    if c.calling == "1":
        a = area or rng.choice(c.cities)[2]
        x, y = digits(rng, 3), str(rng.randrange(10000)).zfill(4)
        return rng.choice(
            (f"({a}) {x}-{y}", f"{a}-{x}-{y}", f"+1 {a} {x} {y}", f"+1 ({a}) {x}-{y}",
             f"{a}.{x}.{y}", f"1-{a}-{x}-{y}", f"+1{a}{x}{y}")
        )  # fmt: skip
    if mobile and c.mobile != "-":
        pref_s, total_s = c.mobile.split("/")
        total = int(total_s)
        if pref_s.startswith("@"):
            a = area or rng.choice(c.cities)[2]
            prefix = a + pref_s[1:]
        else:
            prefix = rng.choice(pref_s.split(","))
        rest = total - len(prefix)
        nsn = prefix + str(rng.randrange(10**rest)).zfill(rest)
        cut = MOBILE_CUT.get(c.cc, 3)
        a, sub = nsn[:cut], nsn[cut:]
    else:
        a = area or rng.choice(c.cities)[2]
        n = int(c.nsn[1:]) if c.nsn.startswith("+") else int(c.nsn) - len(a)
        sub = digits(rng, max(n, 5))
    r = rng.random()
    grouped = group(sub, c.cc)
    trunk = "" if mobile and c.cc == "CN" else c.trunk + (" " if c.trunk == "8" else "")
    if r < 0.35:
        return f"+{c.calling} {a} {grouped}"
    if r < 0.45:
        return f"+{c.calling}{a}{sub}"
    if r < 0.5 and c.trunk == "0":
        return f"+{c.calling} (0){a} {grouped}"
    if r < 0.55:
        return f"00{c.calling} {a} {grouped}"
    if c.cc in ("FR", "BE", "CH", "NL") and len(a) == 1 and len(sub) % 2 == 0:
        return f"{trunk}{a} {grouped}"
    if r < 0.8:
        return f"{trunk}{a} {grouped}"
    if r < 0.9 and not mobile:
        return f"{trunk.strip()} ({a}) {grouped}" if c.trunk == "8" else f"({trunk}{a}) {grouped}"
    return f"{trunk}{a}-{sub}"


# ----------------------------------------------------------------------------- generator


class Stats:
    def __init__(self) -> None:
        self.acc: Counter[str] = Counter()
        self.lead: Counter[str] = Counter()


class Generator:
    def __init__(self, seed: int, data: Data | None = None) -> None:
        self.rng = Random(seed)
        self.d = data or Data()
        self.namer = Namer(self.d)
        self.names: set[str] = set()
        self.domains: dict[str, int] = {}  # domain -> company number (for the sharing check)
        self.companies: list[Company] = []
        self.ids: list[str] = []  # primary account id per account company
        self.dups: dict[int, list[str]] = {}  # company -> further record ids
        self.group_of: dict[int, int] = {}  # company -> group number (same-brand members only)
        self.groups: list[list[int]] = []  # group -> member companies (parent first)
        self.withheld_n = 0
        self.stats = Stats()

    # --- names and domains ----------------------------------------------------------------
    def free_name(self, core: Core) -> bool:
        keys = [name_key(core.latin)]
        if core.native:
            keys.append("n:" + core.native.lower())
        for k in keys:
            if not k or k in self.names or k in self.d.reserved:
                return False
        return name_key(core.latin.split(" ")[0]) not in self.d.reserved

    def claim_name(self, core: Core) -> None:
        self.names.add(name_key(core.latin))
        if core.native:
            self.names.add("n:" + core.native.lower())

    def new_core(self, cc: str, lang: str, style: str | None = None) -> Core:
        rng = self.rng
        core = base = self.namer.make(rng, cc, lang, style)
        tries = 0
        while not self.free_name(core):
            tries += 1
            if tries < 12 or name_key(base.latin.split(" ")[0]) in self.d.reserved:
                core = base = self.namer.make(rng, cc, lang, style if tries < 12 else None)
                continue
            # name space of this style is crowded: add a word, then a number
            extra_nat, extra_lat, _ = self.d.sector(rng, lang)
            if tries > 20:
                extra_nat = extra_lat = str(rng.randint(2, 99 + tries * 10))
            elif rng.random() < 0.5 and lang not in NATIVE_LANGS:
                extra_nat = extra_lat = self.d.word("generic_tail", "en", rng)
            sep = "" if lang in ("ja", "zh") else " "
            core = Core(
                base.native + sep + extra_nat if base.native else "",
                f"{base.latin} {extra_lat}",
                base.sector,
                base.style,
            )
            self.stats.acc["name_extended"] += tries == 12
        self.claim_name(core)
        return core

    def stems(self, latin: str, lang: str, style: str = "") -> list[str]:
        rng = self.rng
        text = latin.translate(_DE_FOLD) if lang == "de" and rng.random() < 0.6 else latin
        tokens = [t for t in NON_ALNUM.split(ascii_fold(text).lower()) if t and t not in STOP]
        if not tokens:
            tokens = ["co" + str(rng.randint(10, 999))]
        concat = "".join(tokens)
        cands: list[str] = []
        if (
            style in BRAND_STYLES
            and len(tokens) > 1
            and len(tokens[0]) >= 4
            and tokens[0] not in self.d.legal_tokens
            and rng.random() < 0.35
        ):
            cands.append(tokens[0])
        if len(concat) <= 18 or rng.random() < 0.3:
            cands.append(concat if rng.random() < 0.8 else "-".join(tokens))
        if len(tokens) > 1:
            cands.append("-".join(tokens[:3]))
            cands.append("".join(tokens[:2]))
            if len(tokens) >= 3:
                cands.append("".join(t[0] for t in tokens[:-1]) + tokens[-1])
                cands.append("".join(t[0] for t in tokens))
        cands.append(concat)
        out = [c[:40].strip("-") for c in cands if len(c) >= 3]
        return out or [(concat + "group")[:40]]

    def take_domain(self, stems: list[str], c: Country, owner: int, tld: str | None = None) -> str:
        rng = self.rng
        tld = tld or c.tlds(rng)
        for stem in stems:
            dom = f"{stem}.{tld}"
            if dom not in self.domains:
                self.domains[dom] = owner
                return dom
        stem = stems[0]
        extras = [
            f"{stem}-{c.cc.lower()}", f"{stem}{c.cc.lower()}", f"{stem}group", f"{stem}-group",
            f"get{stem}", f"{stem}hq", f"the{stem}", f"{stem}-online", f"{stem}global",
            f"my{stem}", f"{stem}-{name_key(rng.choice(c.cities)[0])[:10]}",
        ]  # fmt: skip
        rng.shuffle(extras)
        for stem2 in extras:
            dom = f"{stem2}.{tld}"
            if dom not in self.domains:
                self.domains[dom] = owner
                return dom
        while True:
            dom = f"{stem}{rng.randint(1, 9999)}.{tld}"
            if dom not in self.domains:
                self.domains[dom] = owner
                return dom

    def aliases(self, domain: str, latin: str, lang: str, c: Country, owner: int) -> str:
        rng = self.rng
        if not domain or rng.random() >= P_ALIAS:
            return ""
        stem, _, tld = domain.partition(".")
        out = []
        r = rng.random()
        if r < 0.45:  # same name, other TLD
            other = "com" if tld != "com" else rng.choice(("net", "de", "co.uk", "eu", "io", "biz"))
            dom = f"{stem}.{other}"
            if dom not in self.domains:
                self.domains[dom] = owner
                out.append(dom)
        elif r < 0.7:  # spelling variant
            alt = [s for s in self.stems(latin, lang) if s != stem]
            if alt:
                out.append(self.take_domain(alt, c, owner, tld))
        else:  # old brand
            old = self.namer.brand(rng).lower()
            out.append(self.take_domain([old, old + "-" + stem.split("-")[0]], c, owner))
        if rng.random() < 0.15:
            dom = f"{stem}.{rng.choice(('net', 'org', 'info', 'eu'))}"
            if dom not in self.domains and dom not in out:
                self.domains[dom] = owner
                out.append(dom)
        return ";".join(out)

    # --- companies ------------------------------------------------------------------------
    def company(self, owner: int, cc: str | None = None, style: str | None = None) -> Company:
        rng = self.rng
        cc = cc or self.d.country_pick(rng)
        c = self.d.countries[cc]
        lang = c.langs(rng)
        core = self.new_core(cc, lang, style)
        lf = self.d.form(rng, cc, lang)
        domain = ""
        if rng.random() >= P_NO_DOMAIN:
            domain = self.take_domain(self.stems(core.latin, lang, core.style), c, owner)
        aliases = self.aliases(domain, core.latin, lang, c, owner)
        return Company(cc, lang, core.native, core.latin, lf, domain, aliases, "")

    def subsidiary(self, parent: Company, owner: int) -> tuple[Company, bool]:
        """A subsidiary of ``parent`` in another country; (company, same brand?)."""
        rng = self.rng
        d = self.d
        group = self.groups[self.group_of[self.parent_company[owner]]]
        used = {self.companies[m].cc for m in group}
        ccs = [x for x in d.countries if x not in used]
        cc = d.country_pick(rng)
        if cc in used and ccs:
            cc = rng.choice(ccs) if rng.random() < 0.5 else d.country_pick(rng)
        c = d.countries[cc]
        if rng.random() < 0.2 or cc in used:  # acquired company keeping its own brand
            return self.company(owner, cc), False
        brand = parent.brand or parent.latin
        desig = rng.choice(c.subsidiary)
        lf = d.form(rng, cc, "*")
        if desig.endswith(("K.K.", "Inc", "FZE")):
            lf = d.blank_form[cc]
        if desig.startswith(("do ", "de ", "(")):
            latin = f"{brand} {desig}"
        elif rng.random() < 0.15:
            latin = brand
        else:
            latin = f"{brand} {desig}"
        core = Core("", latin, 0, "sub")
        if not self.free_name(core):
            core = Core("", f"{brand} {c.name_en}", 0, "sub")
            if not self.free_name(core):
                tail = d.word("generic_tail", "en", rng)
                core = Core("", f"{brand} {c.name_en} {tail}", 0, "sub")
                if not self.free_name(core):
                    return self.company(owner, cc), False
        self.claim_name(core)
        domain = ""
        if rng.random() < 0.7:
            pdom = parent.domain or ""
            stem = pdom.partition(".")[0] if pdom else self.stems(brand, "en")[0]
            tld = c.tlds(rng)
            if pdom and tld == pdom.partition(".")[2]:
                tld = c.tlds.items[0] if c.tlds.items[0] != tld else "com"
            cands = [stem, f"{stem}-{cc.lower()}", f"{stem}{name_key(c.name_en)}"]
            domain = self.take_domain(cands, c, owner, tld)
        return Company(cc, "en", "", latin, lf, domain, "", brand), True

    def display_name(self, comp: Company, native: bool) -> str:
        form = self.d.forms[comp.lf] if comp.lf >= 0 else LegalForm("{}", (), ())
        if native and comp.native:
            return form.template.replace("{}", comp.native)
        tpl = form.template
        if form.latin or comp.lang in NATIVE_LANGS or CJK.search(tpl):
            tpl = form.latin[0] if form.latin else "{}"
            if len(form.latin) > 1 and self.rng.random() < 0.3:
                tpl = self.rng.choice(form.latin)
        return tpl.replace("{}", comp.latin)

    def account_row(self, acc_id: str, comp: Company, parent_id: str, dup: bool) -> list[str]:
        rng = self.rng
        d = self.d
        c = d.countries[comp.cc]
        native = bool(comp.native) and rng.random() < P_NATIVE_DISPLAY
        name = self.display_name(comp, native)
        if dup:
            name = self.dup_name(comp, name, native)
        elif rng.random() < 0.02:
            name = name.upper()
        city = rng.choice(c.cities) if rng.random() < 0.85 else None
        city_s = "" if city is None else (city[1] if native and city[1] else city[0])
        ph = phone(rng, c, city[2] if city else None) if rng.random() < 0.7 else ""
        typ = rng.choices(("Customer", "Prospect", "Partner"), (45, 45, 10))[0]
        owner = d.word("owner", "*", rng)
        st = self.stats.acc
        st["records"] += 1
        st["native_script"] += native
        domain, aliases = comp.domain, comp.aliases
        if dup and rng.random() < 0.35:
            domain = aliases = ""
        st["no_domain"] += not domain
        return [acc_id, name, domain, aliases, comp.cc, city_s, ph, parent_id, typ, owner]

    def dup_name(self, comp: Company, name: str, native: bool) -> str:
        rng = self.rng
        form = self.d.forms[comp.lf] if comp.lf >= 0 else LegalForm("{}", (), ())
        r = rng.random()
        core = comp.native if native and comp.native else comp.latin
        if comp.native and r < 0.25:
            return self.display_name(comp, not native)
        pool = form_pool(form, native and bool(comp.native))
        if r < 0.45 and pool:
            return rng.choice(pool).replace("{}", core)
        if r < 0.6:
            return name.upper()
        if r < 0.7:
            return core
        if r < 0.8 and not name.isascii():
            return strip_accents(name)
        if r < 0.9:
            return abbreviate(self.d, rng, name, comp.lang) or name.lower()
        return typo(rng, name)

    def write_accounts(self, n: int, path: Path) -> None:
        rng = self.rng
        width = max(7, len(str(n * 10)))
        id_nums = rng.sample(range(10**width), n)
        self.parent_company: dict[int, int] = {}  # owner slot -> parent company (for subs)
        open_parents: list[tuple[int, int]] = []  # (company, remaining subsidiaries)
        parent_ids: dict[int, str] = {}  # company -> its parent's account id
        st = self.stats.acc
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(ACCOUNT_HEADER)
            for i in range(n):
                acc_id = f"ACC-{id_nums[i]:0{width}d}"
                r = rng.random()
                ncomp = len(self.companies)
                if ncomp > 20 and r < P_DUPLICATE:
                    k = rng.randrange(ncomp)
                    comp = self.companies[k]
                    self.dups.setdefault(k, []).append(acc_id)
                    pid = parent_ids.get(k, "") if rng.random() < 0.7 else ""
                    w.writerow(self.account_row(acc_id, comp, pid, dup=True))
                    st["duplicate"] += 1
                    st["hierarchy"] += bool(pid)
                    continue
                k = ncomp
                if open_parents and r < P_DUPLICATE + P_SUBSIDIARY:
                    j = rng.randrange(len(open_parents))
                    pk, left = open_parents[j]
                    if left <= 1:
                        open_parents[j] = open_parents[-1]
                        open_parents.pop()
                    else:
                        open_parents[j] = (pk, left - 1)
                    self.parent_company[k] = pk
                    comp, same = self.subsidiary(self.companies[pk], k)
                    if same:
                        self.group_of[k] = self.group_of[pk]
                        self.groups[self.group_of[pk]].append(k)
                    st["subsidiary"] += 1
                    st["subsidiary_other_brand"] += not same
                    st["hierarchy"] += 1
                    pid = self.ids[pk]
                    parent_ids[k] = pid
                elif r < P_DUPLICATE + P_SUBSIDIARY + P_PARENT:
                    comp = self.group_parent(k)
                    self.group_of[k] = len(self.groups)
                    self.groups.append([k])
                    open_parents.append((k, rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))))
                    st["parent"] += 1
                    pid = ""
                else:
                    comp = self.company(k)
                    pid = ""
                self.companies.append(comp)
                self.ids.append(acc_id)
                st["alias"] += bool(comp.aliases)
                w.writerow(self.account_row(acc_id, comp, pid, dup=False))
        # parents without any subsidiary are not hierarchies
        st["childless_parent"] = sum(1 for g in self.groups if len(g) == 1) - sum(
            1 for pk in self.parent_company.values() if len(self.groups[self.group_of[pk]]) == 1
        )

    def group_parent(self, owner: int) -> Company:
        rng = self.rng
        d = self.d
        cc = d.country_pick(rng)
        lang = d.countries[cc].langs(rng)
        style = rng.choice(("brand", "brand", "compound", "near", "acronym", "generic", None))
        if lang in NATIVE_LANGS or lang in ("in", "id", "ar"):
            style = None
        comp = self.company(owner, cc, style)
        if rng.random() < 0.3 and d.has("holding", lang):
            tpl = d.word("holding", lang, rng)
            brand = comp.latin
            if ":" in tpl:
                nat_t, lat_t = tpl.split(":")
                native = nat_t.replace("{}", comp.native) if comp.native else ""
                latin = lat_t.replace("{}", comp.latin)
            else:
                native = tpl.replace("{}", comp.native) if comp.native else ""
                latin = tpl.replace("{}", comp.latin)
                if comp.native:
                    latin = transliterate(native)
            core = Core(native, latin, 0, "holding")
            if self.free_name(core):
                self.claim_name(core)
                return comp._replace(native=native, latin=latin, brand=brand)
        return comp

    # --- leads ----------------------------------------------------------------------------
    def near_miss(self, owner: int) -> Company | None:
        """A company not among the accounts whose name shares the head word of an account."""
        rng = self.rng
        d = self.d
        base = self.companies[rng.randrange(len(self.companies))]
        if base.native or base.lang in NATIVE_LANGS:
            return None
        words = (base.brand or base.latin).split(" ")
        head = words[0]
        if len(head) < 3 or name_key(head) in d.legal_tokens:
            return None
        pairs = d.near_pair.get(base.lang, []) + d.near_pair["en"]
        swapped = ""
        rest = " ".join(words[1:])
        for a, b in pairs:
            if rest == a:
                swapped = b
            elif rest == b:
                swapped = a
        if swapped and rng.random() < 0.6:
            latin = f"{head} {swapped}"
        else:
            s_nat, _, _ = d.sector(rng, base.lang)
            latin = f"{head} {s_nat}"
        core = Core("", latin, 0, "near")
        if not self.free_name(core):
            return None
        self.claim_name(core)
        c = d.countries[base.cc]
        lf = d.form(rng, base.cc, base.lang)
        domain = ""
        if rng.random() >= P_NO_DOMAIN:
            domain = self.take_domain(self.stems(latin, base.lang), c, owner)
        return Company(base.cc, base.lang, "", latin, lf, domain, "", "")

    def lead_company_text(self, comp: Company, flags: set[str]) -> str:
        """The company as a person types it into a form."""
        rng = self.rng
        d = self.d
        form = d.forms[comp.lf] if comp.lf >= 0 else LegalForm("{}", (), ())
        native = bool(comp.native) and rng.random() < 0.45
        core = comp.native if native else comp.latin
        if not native and comp.lang == "ja" and rng.random() < 0.5:
            core = strip_accents(core)
        r = rng.random()
        if comp.brand and r < 0.3:
            c = d.countries[comp.cc]
            r2 = rng.random()
            if r2 < 0.35:
                core = comp.brand
                flags.add("brand_only")
            elif r2 < 0.6:
                core = f"{comp.brand} {c.name_en}"
            elif r2 < 0.8:
                tpl = d.forms[d.form(rng, comp.cc, "*")]
                t = tpl.latin[0] if tpl.latin else tpl.template
                return t.replace("{}", comp.brand)
            r = rng.random()
        if r < 0.3:
            text = self.display_name(comp, native)
        elif r < 0.46 and form_pool(form, native):
            text = rng.choice(form_pool(form, native)).replace("{}", core)
            flags.add("legal_changed")
        elif r >= 0.46 and r < 0.52 and form.template == "{}":
            other = d.forms[d.form(rng, comp.cc, comp.lang)]
            t = other.latin[0] if other.latin and not native else other.template
            text = t.replace("{}", core)
            flags.add("legal_added")
        elif r >= 0.52 and r < 0.56 and not native and len(sig_words(comp.latin)) >= 3:
            text = "".join(w[0].upper() for w in sig_words(comp.latin))
            if len(text) < 3:
                text = core
            else:
                flags.add("acronym")
        else:
            text = core
            flags.add("legal_dropped")
        # noise
        r = rng.random()
        if r < 0.06:
            a = abbreviate(d, rng, text, comp.lang)
            if a:
                text = a
                flags.add("abbreviation")
        if rng.random() < 0.07 and not CJK.search(text):
            text = typo(rng, text)
            if rng.random() < 0.15:
                text = typo(rng, text)
            flags.add("typo")
        if not text.isascii() and rng.random() < 0.25 and not CJK.search(text):
            text = strip_accents(text)
            flags.add("accents_dropped")
        r = rng.random()
        if r < 0.05:
            text = text.upper()
            flags.add("upper")
        elif r < 0.08:
            text = text.lower()
            flags.add("lower")
        if comp.lang == "en" and rng.random() < 0.02 and not text.lower().startswith("the "):
            text = "The " + text
            flags.add("the")
        if rng.random() < 0.02:
            text = d.word("division", "*", rng).replace("{}", text)
            flags.add("division")
        if rng.random() < 0.02:
            text = rng.choice((" ", "  ", "")) + text + rng.choice((" ", "  ", "."))
        return text

    def local_part(self, p: Person, freemail: bool) -> str:
        rng = self.rng
        f = NON_ALNUM.sub("", ascii_fold(p.first_latin).lower())
        l_ = NON_ALNUM.sub("", ascii_fold(p.last_latin).lower())
        f = f or "x"
        l_ = l_ or "x"
        r = rng.random()
        if r < 0.4:
            s = f"{f}.{l_}"
        elif r < 0.55:
            s = f"{f[0]}{l_}"
        elif r < 0.65:
            s = f"{f[0]}.{l_}"
        elif r < 0.73:
            s = f
        elif r < 0.79:
            s = f"{f}{l_}"
        elif r < 0.83:
            s = f"{l_}.{f}"
        elif r < 0.87:
            s = f"{f}_{l_}"
        elif r < 0.9:
            s = f"{f}-{l_}"
        elif r < 0.94:
            s = l_
        else:
            s = f"{f}{l_[0]}"
        if freemail and rng.random() < 0.45:
            s += str(rng.choice((rng.randint(1, 99), rng.randint(1955, 2005))))
        return s

    def lead_row(self, lead_id: str, comp: Company | None, k: int) -> list[str]:
        """One lead of company ``comp`` (account company number ``k``, or -1 if withheld)."""
        rng = self.rng
        d = self.d
        st = self.stats.lead
        flags: set[str] = set()
        c = d.countries[comp.cc] if comp else d.countries[d.country_pick(rng)]
        cc = c.cc
        if comp and not comp.brand and rng.random() < 0.03:
            cc = d.country_pick(rng)  # works abroad; truth unchanged (no group involved)
        p = d.person(rng, cc)
        native_person = p.first != p.first_latin and rng.random() < 0.35
        first = p.first if native_person else p.first_latin
        last = p.last if native_person else p.last_latin
        if not native_person and rng.random() < 0.08:
            first, last = strip_accents(first), strip_accents(last)
        if rng.random() < 0.03:
            last = last.upper()
        if rng.random() < 0.02:
            first, last = first.lower(), last.lower()
        # email
        group_domain = ""
        if comp and comp.brand and k >= 0:
            g = self.group_of.get(k)
            if g is not None:
                group_domain = self.companies[self.groups[g][0]].domain
        corp = comp.domain or group_domain if comp else ""
        r = rng.random()
        email = ""
        website_dom = ""
        if r < 0.03:
            flags.add("no_email")
        elif r < 0.22 or not corp:  # none 3%, free-mail 19% (+ companies without a domain)
            prov = (
                c.freemail(rng)
                if rng.random() < 0.7
                else rng.choices(
                    ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com"),
                    (50, 18, 12, 12, 8),
                )[0]
            )
            email = f"{self.local_part(p, True)}@{prov}"
            flags.add("freemail")
        else:
            dom = corp
            r2 = rng.random()
            if comp and comp.aliases and r2 < 0.12:
                dom = rng.choice(comp.aliases.split(";"))
                flags.add("alias_domain")
            elif group_domain and comp and comp.domain and r2 < 0.2:
                dom = group_domain
                flags.add("group_domain")
            elif r2 > 0.96:
                if group_domain and rng.random() < 0.6:
                    dom = f"{cc.lower()}.{group_domain}"
                else:
                    sub = d.word("subdomain", "*", rng)
                    if len(sub) == 2 and sub != cc.lower():
                        sub = "mail"
                    dom = f"{sub}.{dom}"
                flags.add("subdomain")
            website_dom = dom if "subdomain" not in flags else corp
            if rng.random() < 0.05:
                email = f"{d.word('role', comp.lang if comp else '*', rng)}@{dom}"
                flags.add("role")
            else:
                email = f"{self.local_part(p, False)}@{dom}"
            flags.add("corporate")
            if rng.random() < 0.02:
                email = email[:1].upper() + email[1:]
        # company field
        company = ""
        if comp:
            if "corporate" in flags and rng.random() < P_EMPTY_COMPANY / 0.64:
                flags.add("no_company")
            else:
                company = self.lead_company_text(comp, flags)
        website = ""
        if comp and (comp.domain or website_dom) and rng.random() < 0.3:
            dom = website_dom or comp.domain
            website = rng.choice(
                (f"https://www.{dom}", f"www.{dom}", dom, f"http://{dom}/", f"https://{dom}",
                 f"https://www.{dom}/", f"http://www.{dom}/en/", f"https://www.{dom}/contact",
                 f"WWW.{dom.upper()}", f"{dom}/")
            )  # fmt: skip
            flags.add("website")
        r = rng.random()
        if r < 0.4:
            country = cc
        elif r < 0.62:
            country = c.name_en if cc == c.cc else d.countries[cc].name_en
        elif r < 0.8:
            country = rng.choice(d.countries[cc].aliases)
        else:
            country = ""
            flags.add("no_country")
        ph = ""
        if rng.random() < 0.4:
            ph = phone(rng, d.countries[cc], mobile=rng.random() < 0.55)
            flags.add("phone")
        true_id, acceptable = self.truth(k)
        for f in flags:
            st[f] += 1
        st["leads"] += 1
        if not company:
            st["empty_company"] += 1
        return [lead_id, first, last, email, company, website, country, ph, true_id, acceptable]

    def truth(self, k: int) -> tuple[str, str]:
        if k < 0:
            return "", ""
        true_id = self.ids[k]
        others = list(self.dups.get(k, ()))
        g = self.group_of.get(k)
        if g is not None:
            for m in self.groups[g]:
                if m != k:
                    others.append(self.ids[m])
                    others.extend(self.dups.get(m, ()))
        return true_id, ";".join(others)

    def junk_row(self, lead_id: str) -> list[str]:
        rng = self.rng
        d = self.d
        st = self.stats.lead
        st["junk"] += 1
        st["leads"] += 1
        row = [lead_id] + [""] * 9
        r = rng.random()
        if r < 0.25:
            st["empty_company"] += 1
            return row
        junk = d.word("junk", "*", rng)
        row[4] = rng.choice((junk, junk, junk, " ", "   "))
        if rng.random() < 0.5:
            row[1] = rng.choice(("test", "Test", "x", "asdf", "-", "N/A", ""))
            row[2] = rng.choice(("test", "Test", "x", "asdf", "-", "N/A", ""))
        if rng.random() < 0.5:
            row[3] = d.word("junk_email", "*", rng)
        if rng.random() < 0.3:
            row[5] = d.word("junk_url", "*", rng)
        if rng.random() < 0.3:
            row[6] = rng.choice(("-", "N/A", "xx", "Other", "?", "none"))
        if self.companies and rng.random() < 0.3:
            k = rng.randrange(len(self.companies))
            comp = self.companies[k]
            if comp.domain:
                p = d.person(rng, comp.cc)
                row[3] = f"{self.local_part(p, False)}@{comp.domain}"
                row[8], row[9] = self.truth(k)
                st["junk_with_account"] += 1
        if not row[4].strip():
            st["empty_company"] += 1
        return row

    def write_leads(self, m: int, path: Path, unknown_path: Path | None = None) -> None:
        """Leads to ``path``; with ``unknown_path``, which company each lead of no account
        comes from (``lead_id,company``: the truth for grouping net-new accounts)."""
        rng = self.rng
        pool: list[Company] = []
        pool_keys: list[str] = []
        unknown: list[tuple[str, str]] = []
        n = len(self.companies)
        st = self.stats.lead
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(LEAD_HEADER)
            width = max(7, len(str(m)))
            for i in range(m):
                lead_id = f"L-{i + 1:0{width}d}"
                r = rng.random()
                if r < P_JUNK:
                    w.writerow(self.junk_row(lead_id))
                    continue
                if n and r < P_JUNK + P_ACCOUNT_LEAD * (1 - P_JUNK):
                    if rng.random() < 0.6:
                        k = rng.randrange(n)
                    else:  # older accounts collect more leads
                        k = min(n - 1, int(n * rng.random() ** 2.5))
                    w.writerow(self.lead_row(lead_id, self.companies[k], k))
                    st["with_account"] += 1
                    continue
                st["no_account"] += 1
                comp: Company | None = None
                if pool and rng.random() < 0.4:
                    at = rng.randrange(len(pool))
                    comp, key = pool[at], pool_keys[at]
                else:
                    owner = -1 - self.withheld_n
                    key = f"X{self.withheld_n}"
                    self.withheld_n += 1
                    if n and rng.random() < 0.3:
                        comp = self.near_miss(owner)
                        if comp:
                            st["no_account_near_miss"] += 1
                    if comp is None:
                        comp = self.company(owner)
                    if len(pool) < 50_000:
                        pool.append(comp)
                        pool_keys.append(key)
                    else:
                        at = rng.randrange(len(pool))
                        pool[at], pool_keys[at] = comp, key
                unknown.append((lead_id, key))
                w.writerow(self.lead_row(lead_id, comp, -1))
        if unknown_path is not None:
            with open(unknown_path, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["lead_id", "company"])
                w.writerows(unknown)


# ----------------------------------------------------------------------------- noise helpers

KEYBOARD_NEAR = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}  # fmt: skip


def form_pool(form: LegalForm, native: bool) -> tuple[str, ...]:
    """Other ways to write a legal form: native-script variants, or the Latin equivalents."""
    if native or not form.latin:
        return form.variants
    return form.latin


def sig_words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", text) if w and w[0].isalnum() and w.lower() not in STOP]


def typo(rng: Random, text: str) -> str:
    """One typing error on a letter: swap, drop, double or a neighbouring key."""
    pos = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(pos) < 4:
        return text
    i = rng.choice(pos[1:])
    r = rng.random()
    if r < 0.3 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if r < 0.55:
        return text[:i] + text[i + 1 :]
    if r < 0.8:
        return text[:i] + text[i] + text[i:]
    near = KEYBOARD_NEAR.get(text[i].lower())
    if not near:
        return text[:i] + text[i + 1 :]
    ch = rng.choice(near)
    return text[:i] + (ch.upper() if text[i].isupper() else ch) + text[i + 1 :]


def abbreviate(d: Data, rng: Random, text: str, lang: str) -> str:
    """Abbreviate a word (International -> Intl) or swap '&' and the word 'and'; '' if none."""
    words = text.split(" ")
    options = [i for i, w in enumerate(words) if w.strip(",.") in d.abbr or w in ("&", "+")]
    and_w = AND_WORD.get(lang, "and")
    options += [i for i, w in enumerate(words) if w == and_w]
    if not options:
        return ""
    i = rng.choice(options)
    w = words[i]
    if w in ("&", "+"):
        words[i] = and_w
    elif w == and_w:
        words[i] = "&"
    else:
        core = w.strip(",.")
        words[i] = w.replace(core, rng.choice(d.abbr[core]))
    return " ".join(words)


# ----------------------------------------------------------------------------- checks


def check(out: Path) -> dict[str, float]:
    """Validate a generated directory; return shares (also printed by main)."""
    with open(out / "accounts.csv", encoding="utf-8", newline="") as fh:
        accounts = list(csv.DictReader(fh))
    ids = [a["account_id"] for a in accounts]
    assert len(ids) == len(set(ids)), "account_id not unique"
    idset = set(ids)
    parent = {a["account_id"]: a["parent_id"] for a in accounts}
    for a in accounts:
        assert not a["parent_id"] or a["parent_id"] in idset, "dangling parent_id"
        seen = {a["account_id"]}
        cur = a["parent_id"]
        while cur:
            assert cur not in seen, "parent cycle"
            seen.add(cur)
            cur = parent[cur]
    children = Counter(a["parent_id"] for a in accounts if a["parent_id"])
    n = len(accounts)
    hier = sum(1 for a in accounts if a["parent_id"] or children[a["account_id"]])
    native = sum(1 for a in accounts if not ascii_fold(a["name"]).strip() or CJK.search(a["name"])
                 or re.search(r"[\u0370-\u03ff\u0400-\u04ff]", a["name"]))  # fmt: skip
    leads = 0
    shares: Counter[str] = Counter()
    together: dict[str, set[str]] = {}  # account -> accounts accepted together with it
    with open(out / "leads.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            leads += 1
            t = row["true_account_id"]
            acc = [x for x in row["acceptable_account_ids"].split(";") if x]
            assert not t or t in idset, "unknown true_account_id"
            assert all(x in idset for x in acc), "unknown acceptable id"
            assert t or not acc, "acceptable ids without a true id"
            if t:
                together.setdefault(t, set()).update(acc)
            shares["no_account"] += not t
            shares["no_company"] += not row["company"].strip()
            shares["no_email"] += not row["email"]
            shares["acceptable_nonempty"] += bool(acc)
    by_domain: dict[str, list[str]] = {}
    for a in accounts:
        for dom in [a["domain"], *a["alias_domains"].split(";")]:
            if dom:
                by_domain.setdefault(dom, []).append(a["account_id"])
    # a domain may only be shared by records of one company (duplicates): records that are
    # accepted together for a lead and are not parent/child of each other
    shared = unconfirmed = 0
    for dom, owners in by_domain.items():
        if len(owners) > 1:
            shared += 1
            first = owners[0]
            for o in owners[1:]:
                linked = o in together.get(first, set()) or first in together.get(o, set())
                if not linked and not (together.get(first) or together.get(o)):
                    unconfirmed += 1  # no lead names either record: cannot tell from the CSVs
                    continue
                assert linked, f"domain {dom} shared by unrelated accounts"
                assert parent[o] != first and parent[first] != o, f"{dom}: parent and child"
    return {
        "accounts": n,
        "leads": leads,
        "hierarchy accounts": hier / n,
        "native-script accounts": native / n,
        "accounts without domain": sum(1 for a in accounts if not a["domain"]) / n,
        "accounts with alias domains": sum(1 for a in accounts if a["alias_domains"]) / n,
        "accounts with phone": sum(1 for a in accounts if a["phone"]) / n,
        "domains shared by duplicate records": shared,
        "  of which without a lead to confirm": unconfirmed,
        "leads without account": shares["no_account"] / max(leads, 1),
        "leads without company": shares["no_company"] / max(leads, 1),
        "leads without email": shares["no_email"] / max(leads, 1),
        "leads with acceptable ids": shares["acceptable_nonempty"] / max(leads, 1),
    }


def print_stats(g: Generator, seconds: float) -> None:
    a = g.stats.acc
    ld = g.stats.lead
    n = max(a["records"], 1)
    m = max(ld["leads"], 1)
    out = sys.stderr
    print(f"synth: {a['records']} accounts, {ld['leads']} leads in {seconds:.1f}s", file=out)
    acc_rows = [
        ("duplicate records", a["duplicate"]), ("subsidiaries", a["subsidiary"]),
        ("  of another brand", a["subsidiary_other_brand"]), ("group parents", a["parent"]),
        ("native-script names", a["native_script"]), ("without domain", a["no_domain"]),
        ("with alias domains", a["alias"]), ("names with an extra word", a["name_extended"]),
    ]  # fmt: skip
    for label, v in acc_rows:
        print(f"  accounts {label:<28} {v / n:7.2%}", file=out)
    for key in ("with_account", "no_account", "no_account_near_miss", "junk",
                "junk_with_account", "freemail", "corporate", "alias_domain", "group_domain",
                "subdomain", "role", "no_email", "empty_company", "no_company", "typo",
                "abbreviation", "acronym", "legal_dropped", "legal_changed", "legal_added",
                "brand_only", "accents_dropped", "upper", "lower", "the", "division",
                "website", "phone", "no_country"):  # fmt: skip
        print(f"  leads    {key:<28} {ld[key] / m:7.2%}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--accounts", type=int)
    ap.add_argument("--leads", type=int, help="default: 3 x accounts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--demo", action="store_true", help="write the packaged demo data")
    ap.add_argument("--check", type=Path, metavar="DIR", help="validate DIR and print shares")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.check:
        for k, v in check(args.check).items():
            print(f"{k:<36} {v:.2%}" if isinstance(v, float) else f"{k:<36} {v}")
        return 0
    if args.demo:
        n, m, seed, out = DEMO_ACCOUNTS, DEMO_LEADS, DEMO_SEED, DEMO_OUT
    else:
        if args.accounts is None or args.out is None:
            ap.error("--accounts and --out are required (or --demo)")
        n, seed, out = args.accounts, args.seed, args.out
        m = args.leads if args.leads is not None else 3 * n
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    g = Generator(seed)
    g.write_accounts(n, out / "accounts.csv")
    g.write_leads(m, out / "leads.csv", None if args.demo else out / "unknown_companies.csv")
    if not args.quiet:
        print_stats(g, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
