"""The vocabulary: tokenizer, deterministic ids, encoding, JSON round trip, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audit.exceptions import DataError
from audit.text import PAD_ID, UNK_ID, Vocabulary, tokenize


def test_tokenizer_lowercases_and_keeps_inner_apostrophes_and_numbers():
    assert tokenize("Don't STOP: it's 1990's 'quoted' x_y") == ["don't", "stop", "it's", "1990's", "quoted", "x", "y"]


def test_ids_are_ordered_by_count_then_token():
    vocab = Vocabulary().fit(["b a c", "a b", "a d", "c b"], min_count=2)
    assert vocab.tokens_ == ["<pad>", "<unk>", "a", "b", "c"]


def test_min_count_and_max_size_limit_the_vocabulary():
    texts = ["x y z", "x y", "x"]
    assert Vocabulary().fit(texts, min_count=3).tokens_ == ["<pad>", "<unk>", "x"]
    assert len(Vocabulary().fit(texts, min_count=1, max_size=4)) == 4


def test_encode_pads_truncates_and_marks_unknown_tokens():
    vocab = Vocabulary().fit(["good film", "good film"])
    ids = vocab.encode(["good unseen film", "film good film good"], max_len=3)
    assert ids.dtype == np.int64 and ids.shape == (2, 3)
    good, film = vocab.token_to_id("good"), vocab.token_to_id("film")
    assert ids.tolist() == [[good, UNK_ID, film], [film, good, film]]
    assert vocab.encode([""], max_len=2).tolist() == [[PAD_ID, PAD_ID]]
    assert vocab.decode(ids[0]) == "good <unk> film"


def test_json_round_trip_gives_the_same_encoding():
    vocab = Vocabulary().fit(["the cat sat", "the cat ran", "a dog sat"], min_count=1)
    again = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    texts = ["the dog sat on a cat"]
    assert again.tokens_ == vocab.tokens_
    assert np.array_equal(again.encode(texts, max_len=8), vocab.encode(texts, max_len=8))


@pytest.mark.parametrize("data", [{}, {"format": "rai-audit-vocabulary", "version": 9, "tokens": []},
                                  {"format": "rai-audit-vocabulary", "version": 1, "tokens": ["a", "b"]},
                                  {"format": "rai-audit-vocabulary", "version": 1, "tokens": ["<pad>", "<unk>", "a", "a"]}])
def test_a_dict_that_is_not_a_saved_vocabulary_is_refused(data):
    with pytest.raises(DataError, match="Not a saved vocabulary"):
        Vocabulary.from_dict(data)


def test_using_an_unfitted_vocabulary_says_to_fit_it():
    with pytest.raises(DataError, match="fit"):
        Vocabulary().encode(["x"])


def test_bad_texts_and_parameters_are_refused():
    with pytest.raises(DataError, match="sequence of strings"):
        Vocabulary().fit("just one string")
    with pytest.raises(DataError, match="min_count"):
        Vocabulary().fit(["a"], min_count=0)
    with pytest.raises(DataError, match="non-string"):
        Vocabulary().fit(["a", 3])
