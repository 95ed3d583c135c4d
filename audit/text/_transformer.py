"""Hugging Face sequence classifiers as text models of the audit: ``[model] kind = "transformers"``.

:func:`load_transformer` loads a checkpoint folder (checked first by
:func:`audit.data._tokenizer.check_checkpoint`) offline, safetensors only, no remote code, and adds
LoRA adapters (``peft``) to the attention projections; they train with the classification head while
the base weights stay frozen, so Opacus clips and noises adapters and head only.
:class:`TransformerClassifier` reads the audit's token ids (0: padding, see
:class:`audit.data._tokenizer.TokenizerVocabulary`), swaps the tokenizer's padding id back and
masks padding in attention.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from audit.data._tokenizer import (
    GET_FILES,
    CheckpointInfo,
    TokenizerVocabulary,
    check_checkpoint,
    checkpoint_problems,
    load_tokenizer,
    need_transformers,
    offline,
    require_folder,
)
from audit.data._vocab import PAD_ID
from audit.exceptions import ModelError

__all__ = ["CheckpointInfo", "TokenizerVocabulary", "TransformerClassifier", "check_checkpoint",
           "checkpoint_problems", "load_tokenizer", "load_transformer"]


class TransformerClassifier(nn.Module):
    """A Hugging Face sequence classifier that reads the audit's token ids (0: padding) and returns logits.

    Parameters
    ----------
    model : PreTrainedModel
        An ``AutoModelForSequenceClassification`` (with LoRA adapters or not).
    pad_token_id : int
        The tokenizer's padding id (swapped with 0 in the audit's ids).
    """

    def __init__(self, model: nn.Module, pad_token_id: int) -> None:
        super().__init__()
        self.model = model
        self.pad_token_id = int(pad_token_id)

    @property
    def embedding(self) -> nn.Embedding:
        """The token-embedding layer (what token attributions integrate along)."""
        layer = self.model.get_input_embeddings()  # type: ignore[operator]
        if not isinstance(layer, nn.Embedding):
            raise ModelError(f"The model's input embeddings are a {type(layer).__name__}, not an nn.Embedding.")
        return layer

    def trained_state_dict(self) -> dict[str, torch.Tensor]:
        """The tensors training changes (the adapters and the head; every weight without adapters): what a run saves."""
        trained = {name for name, p in self.named_parameters() if p.requires_grad}
        return {name: t for name, t in self.state_dict().items() if name in trained}

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(n, num_labels)`` for audit ids ``x`` ``(n, max_len)``; padding (0) is not attended to.

        ``attention_mask`` overrides the mask (token attributions keep the input's mask on their baseline).
        With it, the token embeddings are passed as ``inputs_embeds``: some models (RoBERTa) number positions from
        the ids, skipping padding, so the all-padding baseline would otherwise sit at other positions than the
        text it is compared with; from embeddings every model numbers positions by place alone (padding comes
        last, so the text's tokens keep their positions).
        """
        ids = x if x.dtype == torch.long else x.round().long()
        mask = (ids != PAD_ID) if attention_mask is None else attention_mask
        if self.pad_token_id != PAD_ID:
            pad, zero = ids == PAD_ID, ids == self.pad_token_id
            ids = ids.masked_fill(pad, self.pad_token_id).masked_fill(zero, PAD_ID)
        if attention_mask is None:
            out = self.model(input_ids=ids, attention_mask=mask.long())
        else:
            out = self.model(inputs_embeds=self.embedding(ids), attention_mask=mask.long())
        logits: torch.Tensor = out.logits if hasattr(out, "logits") else out[0]
        return logits


def _lora(model: nn.Module, rank: int, targets: list[str] | None) -> nn.Module:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=targets, task_type="SEQ_CLS")
    try:
        return get_peft_model(model, config)
    except ValueError as exc:  # peft cannot guess the target modules of this architecture, or a name is wrong
        raise ModelError(f"LoRA adapters could not be added ({exc}). Fix: name the attention projections in "
                         "model.lora_targets (e.g. [\"query\", \"value\"] for BERT, [\"q_lin\", \"v_lin\"] for "
                         "DistilBERT).") from None


def load_transformer(path: str | os.PathLike[str], *, pad_token_id: int, lora_rank: int = 8,
                     lora_targets: list[str] | None = None) -> TransformerClassifier:
    """The checkpoint's classifier, offline, safetensors only, with LoRA adapters of rank ``lora_rank`` (0: none).

    With adapters only they and the classification head train; with ``lora_rank = 0`` every weight but the
    embeddings does. The
    adapters' initial values come from torch's random state (seed it first, as ``build_model`` does).
    """
    path = require_folder(path)
    need_transformers()
    from transformers import AutoModelForSequenceClassification

    with offline():
        try:
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path), local_files_only=True, use_safetensors=True, trust_remote_code=False)
        except Exception as exc:
            raise ModelError(f"{path}: the model could not be loaded ({type(exc).__name__}: {exc}). {GET_FILES}") from None
    model.config.pad_token_id = int(pad_token_id)  # models that need it to find the last token (GPT-style heads)
    if lora_rank > 0:
        model = _lora(model, lora_rank, lora_targets)
    else:  # every weight but the embeddings: per-example gradients of BERT's position and token-type tables (shared
        # buffers of batch 1) break every Opacus mode, and DP fine-tuning leaves embeddings frozen anyway
        for module in model.modules():
            if isinstance(module, nn.Embedding):
                module.weight.requires_grad_(False)
    return TransformerClassifier(model, pad_token_id).train()
