"""A word vocabulary built from the training texts: tokenize, count, encode, decode.

Everything is built here from the caller's texts (nothing is downloaded). The
tokenizer lowercases and keeps runs of letters and digits, with apostrophes
inside words (``"don't"``, ``"o'neil"``). Ids are assigned in a deterministic
order: ``0`` is padding, ``1`` the unknown token, then tokens by count
(descending) and alphabetically among equal counts. The vocabulary is saved as
JSON (:meth:`Vocabulary.to_dict`), never pickled.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from audit.exceptions import DataError

__all__ = ["PAD", "PAD_ID", "UNK", "UNK_ID", "Vocabulary", "tokenize"]

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
_FORMAT = "rai-audit-vocabulary"
_VERSION = 1
# Letters and digits (any script), with apostrophes only between them: "don't", "o'neil", "1990s".
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

_NOT_FITTED = (
    "This Vocabulary has not been fitted: expected fit(texts) (or Vocabulary.from_dict) before {what}. "
    "Fix: call vocab.fit(train_texts) first."
)
_BAD_TEXTS = (
    "Expected a sequence of strings; found {what}. Fix: pass a list of str (e.g. df['text'].astype(str).tolist())."
)
_BAD_PARAM = "{name} must be an integer >= {low}; found {value!r}. Fix: pass e.g. {name}={example}."
_BAD_DICT = (
    "Not a saved vocabulary: {why}. Expected the dict written by Vocabulary.to_dict() "
    "(format {fmt!r}, version {version}). Fix: rebuild the vocabulary with Vocabulary().fit(texts)."
)
_BAD_IDS = (
    "Token ids must be integers in 0..{last} (the vocabulary's size minus one); found {what}. "
    "Fix: encode the texts with this vocabulary."
)


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens of ``text``: letters/digits, apostrophes inside words.

    Examples
    --------
    >>> tokenize("Don't PANIC: it's 42!")
    ["don't", 'panic', "it's", '42']
    """
    # ' and ’ are the same inside a word, so normalising first gives the same tokens; findall is 3x faster.
    return _TOKEN.findall(text.lower().replace("’", "'"))


def _check_texts(texts: Any) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Iterable):
        raise DataError(_BAD_TEXTS.format(what=f"a {type(texts).__name__}"))
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise DataError(_BAD_TEXTS.format(what=f"{len(bad)} non-string item(s), first at index {bad[0]} "
                                                f"({type(texts[bad[0]]).__name__})"))
    return texts


def _check_int(name: str, value: Any, low: int, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise DataError(_BAD_PARAM.format(name=name, low=low, value=value, example=example))
    return int(value)


class Vocabulary:
    """A word vocabulary: ``fit`` on texts, then ``encode`` texts to padded id arrays.

    Parameters are given to :meth:`fit`; the constructor stores nothing, as in
    scikit-learn. After fitting, ``tokens_`` lists every token by id
    (``tokens_[0] == "<pad>"``, ``tokens_[1] == "<unk>"``).

    Examples
    --------
    >>> vocab = Vocabulary().fit(["a good film", "a bad film", "good"], min_count=2)
    >>> vocab.tokens_
    ['<pad>', '<unk>', 'a', 'film', 'good']
    >>> vocab.encode(["a bad film"], max_len=4).tolist()
    [[2, 1, 3, 0]]
    >>> vocab.decode([2, 1, 3, 0])
    'a <unk> film'
    """

    def __init__(self) -> None:
        self.tokens_: list[str] | None = None
        self.min_count_: int | None = None
        self.max_size_: int | None = None
        self._index: dict[str, int] = {}

    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` as this vocabulary sees them (see :func:`tokenize`)."""
        return tokenize(text)

    def fit(self, texts: Sequence[str], *, min_count: int = 2, max_size: int = 20000) -> Vocabulary:
        """Build the vocabulary from ``texts``: tokens seen at least ``min_count`` times.

        Parameters
        ----------
        texts : sequence of str
            The training texts (never the test texts: the vocabulary is part of the model).
        min_count : int
            Tokens seen fewer times become ``<unk>``.
        max_size : int
            At most this many ids in all, the two special tokens included.

        Returns
        -------
        Vocabulary
            ``self``, fitted.
        """
        texts = _check_texts(texts)
        min_count = _check_int("min_count", min_count, 1, 2)
        max_size = _check_int("max_size", max_size, 2, 20000)
        counts = Counter(tok for text in texts for tok in tokenize(text))
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        self._set([PAD, UNK, *kept[: max_size - 2]], min_count=min_count, max_size=max_size)
        return self

    def _set(self, tokens: list[str], *, min_count: int, max_size: int) -> None:
        self.tokens_ = tokens
        self.min_count_, self.max_size_ = min_count, max_size
        self._index = {tok: i for i, tok in enumerate(tokens)}

    def _fitted(self, what: str) -> list[str]:
        if self.tokens_ is None:
            raise DataError(_NOT_FITTED.format(what=what))
        return self.tokens_

    def __len__(self) -> int:
        return len(self._fitted("len(vocab)"))

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def token_to_id(self, token: str) -> int:
        """The id of ``token`` (``1``, the unknown id, if it is not in the vocabulary)."""
        self._fitted("token_to_id")
        return self._index.get(token, UNK_ID)

    def id_to_token(self, index: int) -> str:
        """The token with id ``index``."""
        return self._fitted("id_to_token")[int(index)]

    def encode(self, texts: Sequence[str], *, max_len: int = 64) -> np.ndarray:
        """Token ids of each text, truncated or padded with ``0`` to ``max_len``.

        Returns
        -------
        numpy.ndarray
            int64 array of shape ``(len(texts), max_len)``; unknown tokens are ``1``.
        """
        self._fitted("encode")
        texts = _check_texts(texts)
        max_len = _check_int("max_len", max_len, 1, 64)
        out = np.zeros((len(texts), max_len), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self._index.get(tok, UNK_ID) for tok in tokenize(text)[:max_len]]
            out[row, : len(ids)] = ids
        return out

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The tokens of one row of ids, space-separated, padding dropped."""
        tokens = self._fitted("decode")
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and (not np.all(np.mod(arr, 1) == 0) or arr.min() < 0 or arr.max() >= len(tokens))):
            raise DataError(_BAD_IDS.format(last=len(tokens) - 1, what=f"an array of shape {arr.shape} "
                                            f"with values {arr.min() if arr.size else None}..{arr.max() if arr.size else None}"))
        return " ".join(tokens[int(i)] for i in arr if int(i) != PAD_ID)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record of the vocabulary (the inverse of :meth:`from_dict`)."""
        tokens = self._fitted("to_dict")
        return {"format": _FORMAT, "version": _VERSION, "lowercase": True, "min_count": self.min_count_,
                "max_size": self.max_size_, "tokens": list(tokens)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        """Rebuild a vocabulary saved with :meth:`to_dict`.

        Examples
        --------
        >>> v = Vocabulary().fit(["x y", "x y"])
        >>> Vocabulary.from_dict(v.to_dict()).tokens_ == v.tokens_
        True
        """
        fail = lambda why: DataError(_BAD_DICT.format(why=why, fmt=_FORMAT, version=_VERSION))  # noqa: E731
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise fail("the 'format' key is missing or different")
        if data.get("version") != _VERSION:
            raise fail(f"version {data.get('version')!r} is not supported")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens) or tokens[:2] != [PAD, UNK]:
            raise fail(f"'tokens' must be a list of str starting with {PAD!r}, {UNK!r}")
        if len(set(tokens)) != len(tokens):
            raise fail("'tokens' has duplicates")
        vocab = cls()
        vocab._set(list(tokens), min_count=int(data.get("min_count", 1)), max_size=int(data.get("max_size", len(tokens))))
        return vocab
