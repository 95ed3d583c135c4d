"""Identity terms: whole-word case-insensitive mentions, longest match first, templates."""

from __future__ import annotations

import pytest

from audit.exceptions import DataError
from audit.text import CATEGORIES, IDENTITY_TERMS, SWAP_GROUPS, TEMPLATE_TERMS, TEMPLATES, fill_template, mentions


def test_the_five_categories_are_covered():
    assert set(CATEGORIES) == {"gender", "ethnicity", "religion", "age", "disability"}


def test_every_swap_and_template_term_is_an_identity_term_of_its_category():
    for cat, groups in SWAP_GROUPS.items():
        for group in groups:
            assert len(group) >= 2 and len(set(group)) == len(group)
            assert set(group) <= set(IDENTITY_TERMS[cat])
        assert set(TEMPLATE_TERMS[cat]) <= set(IDENTITY_TERMS[cat])


def test_no_term_belongs_to_two_categories():
    seen: dict[str, str] = {}
    for cat, terms in IDENTITY_TERMS.items():
        for term in terms:
            assert term not in seen, f"{term!r} in {seen.get(term)} and {cat}"
            seen[term] = cat


def test_mentions_match_whole_words_case_insensitively():
    texts = ["SHE is here", "shelter for the homeless", "she's late", "Her brother-in-law"]
    gender = mentions(texts, categories=["gender"])["gender"]
    assert gender["she"].tolist() == [True, False, True, False]  # "she's": a contraction still mentions her
    assert gender["her"].tolist() == [False, False, False, True]
    assert not gender["brother"].any()  # part of a hyphenated word, not the word itself


def test_possessives_are_mentions_and_keep_their_s_when_swapped():
    from audit.text import substitute

    texts = ["Women's rights matter", "the womens' team", "a woman’s view"]
    gender = mentions(texts, categories=["gender"])["gender"]
    assert gender["women"].tolist() == [True, False, False]
    assert gender["woman"].tolist() == [False, False, True]
    assert substitute(texts[0], "gender", "women", "men") == "Men's rights matter"


def test_multi_word_terms_are_matched_longest_first():
    out = mentions(["An African  American writer", "An African writer", "a wheelchair user"])
    assert out["ethnicity"]["african american"].tolist() == [True, False, False]
    assert out["ethnicity"]["african"].tolist() == [False, True, False]
    assert out["disability"]["wheelchair user"].tolist() == [False, False, True]


def test_unknown_category_is_refused_with_the_valid_names():
    with pytest.raises(DataError, match="gender"):
        mentions(["x"], categories=["nationality"])


def test_templates_are_filled_with_articles_and_capitals():
    assert fill_template("I am {a_term} person.", "asian") == "I am an Asian person."
    assert fill_template("{term} people live here.", "deaf") == "Deaf people live here."
    assert {label for _, label in TEMPLATES} == {"positive", "negative", "neutral"}
    for template, _ in TEMPLATES:
        for cat in CATEGORIES:
            for term in TEMPLATE_TERMS[cat]:
                assert "{" not in fill_template(template, term)
