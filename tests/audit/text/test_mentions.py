"""Which matches are identity mentions: names and ambiguous words not about people are skipped, with a reason.

Hostile sentences: names built from identity words, colours, ages of things, figurative senses,
sentence starts, headlines, all capitals, possessives, honorifics.
"""

from __future__ import annotations

import pytest

from audit.text import SKIP_REASONS, counterfactual_fairness, identity_matches, mentions, substitute


def _reasons(text: str, category: str) -> list[tuple[str, str | None]]:
    return [(m.term, m.reason) for m in identity_matches(text, category)]


@pytest.mark.parametrize(("text", "category", "term"), [
    ("the White House said so", "ethnicity", "white"),
    ("The White House said so", "ethnicity", "white"),  # sentence-start "The" is not what makes it a name
    ("White House officials said", "ethnicity", "white"),  # the match starts the sentence, "House" follows
    ("I walked to the White House.", "ethnicity", "white"),  # punctuation after the name
    ("we met at the Old Post Office", "age", "old"),
    ("Black Friday deals are here", "ethnicity", "black"),
    ("a song by Jack White today", "ethnicity", "white"),  # a surname after a first name
    ("Mr. White said no", "ethnicity", "white"),  # honorific with a full stop
    ("Dr Black is here", "ethnicity", "black"),
    ("Women's March today", "gender", "women"),  # possessive inside a name
    ("Mother Teresa helped", "gender", "mother"),
    ("the Muslim Brotherhood said", "religion", "muslim"),
    ("sailing the Indian Ocean", "ethnicity", "indian"),
    ("a paper by He Jiankui", "gender", "he"),
    ("Black Lives Matter marched", "ethnicity", "black"),
])
def test_a_match_inside_a_capitalised_name_is_not_a_mention(text, category, term):
    assert (term, "proper_noun") in _reasons(text, category)


@pytest.mark.parametrize(("text", "category", "term"), [
    ("The white man walked in", "ethnicity", "white"),
    ("The White man walked in", "ethnicity", "white"),  # capitalised, but "man" is not part of a name
    ("Black people are here", "ethnicity", "black"),  # capital only because it starts the sentence
    ("Yesterday Black voters queued", "ethnicity", "black"),  # the capital of "Yesterday" starts the sentence
    ("White Americans voted", "ethnicity", "white"),  # a person noun after it is not a name
    ("I think Black women know", "ethnicity", "black"),  # "I" is not a name
    ("a Muslim teacher", "religion", "muslim"),
    ("He said no", "gender", "he"),
    ("BLACK MEN MATTER", "ethnicity", "black"),  # all capitals say nothing about names
])
def test_capitals_that_do_not_make_a_name_keep_the_mention(text, category, term):
    assert (term, None) in _reasons(text, category)


@pytest.mark.parametrize(("text", "category", "term", "reason"), [
    ("a black cat", "ethnicity", "black", "not_people"),
    ("the white house on the hill", "ethnicity", "white", "not_people"),  # lowercase: no name, and not people
    ("black and white photo", "ethnicity", "black", "not_people"),
    ("an old post office", "age", "old", "not_people"),
    ("my dad's old car", "age", "old", "not_people"),
    ("the house is old", "age", "old", "not_people"),
    ("a blind spot", "disability", "blind", "not_people"),
    ("it fell on deaf ears", "disability", "deaf", "not_people"),
    ("the disabled account", "disability", "disabled", "not_people"),
    ("black lives matter", "ethnicity", "black", "not_people"),  # a slogan, not a description of people
    ("Joe Biden Visits White House Today", "ethnicity", "white", "not_people"),  # headline: capitals uninformative
    ("he is 5 years old", "age", "old", "age_in_years"),
    ("a 5 year old boy", "age", "old", "age_in_years"),
    ("two female goats for sale", "gender", "female", "not_people"),  # farm ads: animals, not people
    ("a male connector", "gender", "male", "not_people"),
])
def test_an_ambiguous_word_that_does_not_describe_people_is_skipped(text, category, term, reason):
    assert (term, reason) in _reasons(text, category)


@pytest.mark.parametrize(("text", "category", "term"), [
    ("black women spoke", "ethnicity", "black"),
    ("old white men", "age", "old"),  # another identity term between it and the person noun
    ("old white men", "ethnicity", "white"),
    ("black and white people", "ethnicity", "white"),
    ("black and white people", "ethnicity", "black"),
    ("as a young customer I thought", "age", "young"),
    ("young adults are", "age", "young"),
    ("an old friend", "age", "old"),
    ("she is old", "age", "old"),  # said of a person
    ("he is getting old", "age", "old"),
    ("I'm deaf", "disability", "deaf"),
    ("she’s not deaf", "disability", "deaf"),  # curly apostrophe, a negation between
    ("my father was blind", "disability", "blind"),
    ("the blind and the deaf", "disability", "blind"),  # people nouns
    ("the blind and the deaf", "disability", "deaf"),
    ("the old and the young", "age", "young"),
    ("disabled people", "disability", "disabled"),
    ("the elderly", "age", "elderly"),  # not ambiguous: always about people
    ("a female doctor", "gender", "female"),
    ("male and female students", "gender", "male"),
])
def test_an_ambiguous_word_that_describes_people_is_a_mention(text, category, term):
    assert (term, None) in _reasons(text, category)


def test_one_text_can_hold_a_name_and_a_mention_and_only_the_mention_is_swapped():
    text = "The White House said white people and the Old Post Office"
    assert substitute(text, "ethnicity", "white", "asian") == "The White House said asian people and the Old Post Office"
    assert mentions([text, "the White House"], categories=["ethnicity"])["ethnicity"]["white"].tolist() == [True, False]


def test_texts_whose_only_matches_are_skipped_give_no_counterfactuals_and_the_record_says_why():
    texts = ["the White House said no", "the Old Post Office is shut", "a black cat", "old people vote", "Mr. Young spoke"]
    out = counterfactual_fairness(lambda ts: [0.5] * len(ts), texts, categories=["ethnicity", "age"])
    assert out["n_texts_with_terms"] == 1 and {p["from"] for p in out["pairs"]} == {"old"}
    matching = out["matching"]
    assert matching["skipped"] == {"proper_noun": 3, "not_people": 1}
    assert matching["n_matches"] == 5 and matching["n_mentions"] == 1 and matching["n_skipped"] == 4
    assert matching["skipped_by_category"] == {"ethnicity": {"proper_noun": 1, "not_people": 1},
                                               "age": {"proper_noun": 2}}
    assert set(matching["reasons"]) == set(SKIP_REASONS)
    example = next(e for e in matching["examples"] if e["reason"] == "proper_noun")
    assert example["match"] == "White" and "White House" in example["text"]
