"""Auditing text classifiers: vocabulary, a DP-trainable model, identity bias and token attributions.

- :class:`Vocabulary` and :class:`TextClassifier` (bag of embeddings, trains under
  :func:`audit.privacy.train_private`), :func:`text_predict_fn` for scoring raw texts;
- identity terms (:data:`IDENTITY_TERMS`, :data:`SWAP_GROUPS`, :data:`TEMPLATES`), :func:`mentions` and
  :func:`identity_matches` (which matches are identity mentions: not names, ambiguous words only about people);
- :func:`counterfactual_fairness` (Garg et al. 2019): swap identity terms, measure flips;
- :func:`identity_auc_metrics` (Borkan et al. 2019): subgroup, BPSN and BNSP AUCs, the Jigsaw score;
- :func:`token_attributions`: layer integrated gradients per token, with a deletion check;
- Hugging Face classifiers (``[model] kind = "transformers"``): :func:`check_checkpoint` (a local folder, safetensors
  only, checked before anything loads), :func:`load_tokenizer` and :class:`TokenizerVocabulary`,
  :func:`load_transformer` (LoRA adapters) and :class:`TransformerClassifier`.

Examples
--------
>>> from audit.text import Vocabulary, mentions
>>> Vocabulary().fit(["a b", "a b"]).tokens_
['<pad>', '<unk>', 'a', 'b']
>>> mentions(["A deaf man"], categories=["disability"])["disability"]["deaf"].tolist()
[True]
"""

from audit.data._vocab import PAD_ID, UNK_ID, Vocabulary, tokenize
from audit.text._attributions import token_attributions
from audit.text._bias_auc import identity_auc_metrics, power_mean
from audit.text._counterfactual import counterfactual_fairness, substitute, template_scores
from audit.text._identity import CATEGORIES, IDENTITY_TERMS, SWAP_GROUPS, TEMPLATE_TERMS, TEMPLATES, fill_template
from audit.text._mentions import SKIP_REASONS, identity_matches, mentions
from audit.text._model import TextClassifier, embedding_layer, text_predict_fn
from audit.text._transformer import (
    TokenizerVocabulary,
    TransformerClassifier,
    check_checkpoint,
    load_tokenizer,
    load_transformer,
)

__all__ = [
    "CATEGORIES",
    "IDENTITY_TERMS",
    "PAD_ID",
    "SKIP_REASONS",
    "SWAP_GROUPS",
    "TEMPLATES",
    "TEMPLATE_TERMS",
    "TextClassifier",
    "TokenizerVocabulary",
    "TransformerClassifier",
    "UNK_ID",
    "Vocabulary",
    "check_checkpoint",
    "counterfactual_fairness",
    "embedding_layer",
    "fill_template",
    "identity_auc_metrics",
    "identity_matches",
    "load_tokenizer",
    "load_transformer",
    "mentions",
    "power_mean",
    "substitute",
    "template_scores",
    "text_predict_fn",
    "token_attributions",
    "tokenize",
]
