"""The texts of a text audit as model inputs: a vocabulary fitted on the training texts, token ids per row.

The ids travel through the pipeline as float32 arrays, like encoded table features (exact for any
vocabulary below 2**24 tokens); the text model casts them back to integers. The vocabulary plays
the part of the tabular preprocessor: fitted on the training split only, saved as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.exceptions import DataError

if TYPE_CHECKING:
    from audit.config import TextSection
    from audit.data._vocab import Vocabulary

__all__ = ["TextFeatures", "text_features"]

_NOT_TEXT = ("text column {column!r} of the {label} holds {what}; expected texts (strings). Fix: name the column of texts "
             "in data.text_column.")


@dataclass
class TextFeatures:
    """A fitted vocabulary, with the attributes the pipeline reads from a tabular preprocessor."""

    vocabulary: Vocabulary
    column: str
    max_length: int

    @property
    def columns_(self) -> list[str]:
        return [self.column]

    @property
    def feature_names_(self) -> list[str]:
        return [f"{self.column}[{i}]" for i in range(self.max_length)]

    @property
    def feature_groups_(self) -> dict[str, list[int]]:
        return {self.column: list(range(self.max_length))}

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Token ids (0 = padding, 1 = unknown), shape (rows, max_length), as float32."""
        texts = frame[self.column].fillna("").astype(str).tolist()
        return self.vocabulary.encode(texts, max_len=self.max_length).astype(np.float32)

    def save(self, path: str | Path) -> None:
        """Write the vocabulary and the settings as JSON (never a pickle)."""
        import json

        Path(path).write_text(json.dumps({"column": self.column, "max_length": self.max_length,
                                          "vocabulary": self.vocabulary.to_dict()}, ensure_ascii=False))


def _check_texts(frame: pd.DataFrame, column: str, label: str) -> None:
    if column not in frame.columns:
        close = [c for c in frame.columns if str(c).lower() == column.lower()]
        hint = f" (a column {close[0]!r} exists: names are case-sensitive)" if close else ""
        raise DataError(f"data.text_column: expected a column {column!r} of texts in the {label}, found none{hint}. "
                        f"Columns found: {list(frame.columns)[:30]}. Fix: set data.text_column to the column of texts.")
    values = frame[column].dropna()
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise DataError(_NOT_TEXT.format(column=column, label=label, what=f"{values.dtype} values"))
    if values.empty:
        raise DataError(_NOT_TEXT.format(column=column, label=label, what="no values at all"))


def text_features(section: TextSection, *, column: str, train: pd.DataFrame, test: pd.DataFrame,
                  vocabulary: Any = None) -> tuple[TextFeatures, dict[str, Any]]:
    """Fit the vocabulary on the training texts; the features and a summary for ``audit.json`` (``data.text``).

    ``section`` is the config's :class:`~audit.config.TextSection`. ``vocabulary`` is a model's own
    (a transformer's tokenizer, :class:`audit.text.TokenizerVocabulary`): used as it is, fitted on nothing.
    """
    from audit.data._vocab import Vocabulary

    _check_texts(train, column, "training data")
    _check_texts(test, column, "test data")
    texts = train[column].fillna("").astype(str).tolist()
    vocab = vocabulary if vocabulary is not None else \
        Vocabulary().fit(texts, min_count=section.min_count, max_size=section.max_vocabulary)
    features = TextFeatures(vocab, column, section.max_length)
    lengths = np.array([len(vocab.tokens(t)) for t in texts])
    ids = features.transform(test)
    kept = ids[ids > 0]
    unknown = getattr(vocab, "unknown_id", 1)  # the built-in vocabulary's unknown id is 1; a tokenizer says its own
    summary = {
        "vocabulary_size": len(vocab), "max_length": section.max_length, "min_count": section.min_count,
        "tokens_per_text_median": float(np.median(lengths)) if len(lengths) else 0.0,
        "texts_truncated_share": float((lengths > section.max_length).mean()) if len(lengths) else 0.0,
        "test_unknown_token_share": float((kept == unknown).mean()) if kept.size and unknown is not None else None,
        "empty_test_texts": int((ids.max(axis=1) == 0).sum()) if len(ids) else 0,
    }
    if vocabulary is not None:  # a model's own tokenizer: min_count fitted nothing
        del summary["min_count"]
    return features, summary
