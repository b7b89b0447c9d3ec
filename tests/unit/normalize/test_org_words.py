"""Words for kinds of organisation read in English, list parts, and subdomains as domains."""

from __future__ import annotations

from leadmatch._util.resources import rows
from leadmatch.normalize import company_domains, domain_key, name_parts, normalize_name, parse_email


def test_org_words_file_is_sorted_unique_ascii_tokens() -> None:
    table = rows("org_words.tsv")
    variants = [variant for variant, _ in table]
    assert variants == sorted(variants) and len(set(variants)) == len(variants)
    for variant, english in table:
        for word in (variant, english):
            assert word.isascii() and word.isalpha() and word == word.lower(), word
        assert variant != english


def test_names_in_two_languages_share_their_words_and_keep_their_acronym() -> None:
    assert normalize_name("Universidade de Coimbra").ascii == "university de coimbra"
    assert normalize_name("Université de Lorraine").ascii == "university de lorraine"
    assert normalize_name("Technische Universität München").ascii == "technische university munchen"
    assert normalize_name("Ryūkyū Daigaku").ascii == "ryukyu university"
    assert normalize_name("Hôpital Européen Georges-Pompidou").ascii.startswith("hospital ")
    # The acronym is taken from the words as written, before they are put in English.
    assert normalize_name("Universidad Nacional Autónoma de México").acronym == "unam"
    assert normalize_name("Escuela Superior Politécnica del Litoral").acronym == "espl"


def test_an_affiliation_gives_its_parts_and_neighbours_joined() -> None:
    parts = name_parts("Department of Chemistry, University of California, Berkeley, CA, USA")
    assert "universityofcalifornia" in parts
    assert "universityofcaliforniaberkeley" in parts  # a name with a comma of its own
    assert "departmentofchemistry" in parts
    assert all(len(p) >= 4 for p in parts)  # "CA", "USA" are no parts
    assert name_parts("Acme Robotics GmbH") == ()


def test_a_subdomain_is_a_domain_of_its_own_and_comes_first() -> None:
    key = domain_key("https://www.lpp.cnrs.fr/equipes")
    assert (key.domain, key.brand, key.host) == ("cnrs.fr", "cnrs", "lpp.cnrs.fr")
    assert domain_key("www2.inria.fr").host == ""  # www, www2... are no subdomain
    found = company_domains(parse_email("marie@lpp.cnrs.fr"), domain_key("http://cnrs.fr"))
    assert [k.domain for k in found] == ["lpp.cnrs.fr", "cnrs.fr"]
