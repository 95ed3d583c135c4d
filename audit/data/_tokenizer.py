"""Hugging Face checkpoint folders and their tokenizers as the text inputs of an audit.

A local folder saved by ``save_pretrained`` (the model's ``config.json`` and ``*.safetensors``
weights, its tokenizer's ``tokenizer.json``) is checked first (:func:`check_checkpoint`: every
problem at once, before any training); its tokenizer is loaded offline (``local_files_only``, no
remote code). Nothing is ever downloaded: a name that is not a folder is refused with how to get
the files. The model itself is loaded by :func:`audit.text.load_transformer`.

The rest of the audit passes token ids as float32 arrays in which 0 is padding (the convention of
the built-in vocabulary). :class:`TokenizerVocabulary` keeps it for any tokenizer by swapping the
tokenizer's padding id with 0 (a permutation of the ids, so nothing is lost).

Examples
--------
>>> problems = checkpoint_problems("bert-base-uncased", n_outputs=1)
>>> "not a folder" in problems[0]
True
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audit.data._vocab import PAD_ID
from audit.exceptions import ModelError

__all__ = ["GET_FILES", "CheckpointInfo", "TokenizerVocabulary", "check_checkpoint", "checkpoint_problems",
           "load_tokenizer", "need_transformers", "offline", "require_folder"]

#: How to get a checkpoint's files onto the machine, said with every refusal of ``model.path``.
GET_FILES = (
    "Fix: point model.path (relative to the config) at a folder written by model.save_pretrained(DIR) and "
    "tokenizer.save_pretrained(DIR); to audit a model from the Hub, download it once yourself "
    "(hf download NAME --local-dir DIR; huggingface-cli download with huggingface_hub before 1.0); rai-audit never "
    "downloads."
)
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
_TOKENIZER_FILES = ("tokenizer.json",)
#: Files a checkpoint folder may not exceed together: the weights' limit (RAI_AUDIT_MAX_WEIGHTS_BYTES).
_LIMIT = "WEIGHTS"


@dataclass(frozen=True)
class CheckpointInfo:
    """What the checkpoint folder's files say, read before anything is loaded."""

    path: Path
    model_type: str
    num_labels: int
    weights: tuple[str, ...]
    weights_bytes: int
    n_parameters: int | None = None


def _looks_like_a_name(text: str) -> bool:
    return re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text) is not None and not text.startswith(".")


def _read_config(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    from audit.records.files import load_json

    try:
        config = load_json(path / "config.json", what="model config", fix=GET_FILES, error=ModelError, limit="CONFIG")
    except ModelError as exc:
        return None, str(exc)
    if not isinstance(config, dict):
        return None, f"{path / 'config.json'} holds {type(config).__name__}, expected a JSON object. {GET_FILES}"
    return config, None


def _num_labels(config: Mapping[str, Any]) -> int:
    labels = config.get("id2label")
    if isinstance(labels, dict) and labels:
        return len(labels)
    value = config.get("num_labels")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 2


def _labels_problem(path: str, num_labels: int, n_outputs: int | None) -> str | None:
    if n_outputs is None:
        return None
    wanted = (1, 2) if n_outputs == 1 else (n_outputs,)
    if num_labels in wanted:
        return None
    task = "a binary task needs 1 or 2" if n_outputs == 1 else f"this task has {n_outputs} classes and needs {n_outputs}"
    return (f"{path}: the model has {num_labels} output labels (config.json's id2label/num_labels); {task}. "
            "Fix: audit a checkpoint fine-tuned for this task's labels, or re-create its head with "
            f"from_pretrained(DIR, num_labels={max(wanted)}, ignore_mismatched_sizes=True) and save_pretrained it.")


def _weight_problems(path: str, files: list[Path]) -> tuple[list[str], tuple[str, ...], int]:
    safe = sorted(f.name for f in files if f.name.endswith(".safetensors"))
    pickles = sorted(f.name for f in files if f.suffix.lower() in _PICKLE_SUFFIXES)
    size = sum(f.stat().st_size for f in files if f.name.endswith(".safetensors"))
    if safe:
        return [], tuple(safe), size
    if pickles:
        return [(f"{path}: the weights are pickle files ({', '.join(pickles[:3])}), which can run code when loaded; "
                 "they were not loaded. Fix: load the model once where you trust the file and save it with "
                 "model.save_pretrained(DIR) (safetensors is the default), then point model.path at DIR.")], (), 0
    return [f"{path}: no weights found (expected model.safetensors or sharded *.safetensors). {GET_FILES}"], (), 0


def checkpoint_problems(path: str | os.PathLike[str], *, n_outputs: int | None, shown: str | None = None) -> list[str]:
    """Every problem of the checkpoint folder ``path``, without loading anything (empty: it can be loaded).

    ``n_outputs`` is the task's output width (1: binary; k: k classes; None: not checked).
    ``shown`` is how to name the folder in messages (default: the path).
    """
    return _inspect(Path(path), n_outputs=n_outputs, shown=shown)[1]


def _positions(config: Mapping[str, Any]) -> int | None:
    """The longest input the model numbers positions for (RoBERTa-style models start after the padding id)."""
    most = config.get("max_position_embeddings")
    if not isinstance(most, int) or isinstance(most, bool):
        return None
    if "roberta" in str(config.get("model_type", "")) or config.get("model_type") == "camembert":
        most -= int(config.get("pad_token_id") or 1) + 1
    return most


def _tensor_shapes(path: Path, weights: tuple[str, ...]) -> dict[str, list[int]]:
    """Every tensor's name and shape, from the safetensors headers only (nothing is loaded)."""
    from safetensors import safe_open

    shapes: dict[str, list[int]] = {}
    for name in weights:
        with safe_open(str(path / name), framework="pt") as fh:
            shapes.update({key: list(fh.get_slice(key).get_shape()) for key in fh.keys()})
    return shapes


def _fit_problems(label: str, config: Mapping[str, Any], shapes: dict[str, list[int]], *,
                  max_length: int | None, lora_targets: list[str] | None) -> list[str]:
    """What of the audit's settings the checkpoint cannot take: a text longer than its positions, unknown targets."""
    problems = []
    most = _positions(config)
    if max_length is not None and most is not None and max_length > most:
        problems.append(f"text.max_length = {max_length} is more than the {most} token positions the model {label} has "
                        f"(config.json's max_position_embeddings). Fix: set text.max_length to at most {most}.")
    if lora_targets:
        modules = {key.rsplit(".", 1)[0] for key in shapes}
        unknown = [t for t in lora_targets if not any(m == t or m.endswith("." + t) for m in modules)]
        if unknown:
            leaves = sorted({m.rsplit(".", 1)[-1] for m in modules if not m.rsplit(".", 1)[-1].isdigit()})
            problems.append(f"model.lora_targets names {unknown}, which no module of {label} is called. Modules "
                            f"found: {leaves[:20]}. Fix: name the attention projections (e.g. query, value for BERT; "
                            "q_lin, v_lin for DistilBERT), or leave lora_targets out for peft's choice.")
    return problems


def _inspect(path: Path, *, n_outputs: int | None, shown: str | None, max_length: int | None = None,
             lora_targets: list[str] | None = None) -> tuple[CheckpointInfo | None, list[str]]:
    label = shown or str(path)
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "does not exist"
        name = _looks_like_a_name(label) and not path.exists()
        hint = " It looks like a model name: rai-audit never downloads models." if name else ""
        return None, [f"model.path {label!r} is not a folder ({what}).{hint} {GET_FILES}"]
    problems: list[str] = []
    files = [f for f in path.iterdir() if f.is_file()]
    config, error = _read_config(path)
    if error:
        problems.append(error)
    architectures = (config or {}).get("architectures") or []
    if config is not None and architectures and not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        problems.append(f"{label}: the model is a {architectures[0]}, not a sequence classifier (expected an "
                        "*ForSequenceClassification architecture in config.json). Fix: save the fine-tuned classifier "
                        "(AutoModelForSequenceClassification) rather than its base model.")
    weight_problems, weights, size = _weight_problems(label, files)
    problems += weight_problems
    names = {f.name for f in files}
    if not any(name in names for name in _TOKENIZER_FILES):
        problems.append(f"{label}: no tokenizer found (expected tokenizer.json, written by a fast tokenizer's "
                        "save_pretrained). Fix: tokenizer = AutoTokenizer.from_pretrained(...); "
                        "tokenizer.save_pretrained(DIR) into the model's folder.")
    num_labels = _num_labels(config or {})
    problem = _labels_problem(label, num_labels, n_outputs) if config is not None else None
    if problem:
        problems.append(problem)
    # the headers are read once, when the targets need checking or the parameters counting (as before: not otherwise)
    readable = config is not None and not weight_problems
    shapes = _tensor_shapes(path, weights) if readable and (lora_targets or not problems) else {}
    if config is not None and not weight_problems:
        problems += _fit_problems(label, config, shapes, max_length=max_length, lora_targets=lora_targets)
    if problems or config is None:
        return None, problems
    n_parameters = sum(int(np.prod(shape)) for shape in shapes.values())
    return CheckpointInfo(path, str(config.get("model_type", "unknown")), num_labels, weights, size, n_parameters), []


def check_checkpoint(path: str | os.PathLike[str], *, n_outputs: int | None = None, shown: str | None = None,
                     max_length: int | None = None, lora_targets: list[str] | None = None) -> CheckpointInfo:
    """What the checkpoint folder holds, or one :class:`ModelError` listing every problem found.

    ``max_length`` (the audit's tokens per text) and ``lora_targets`` (module names to adapt) are checked
    against the model's positions and modules, read from config.json and the safetensors headers.
    """
    info, problems = _inspect(Path(path), n_outputs=n_outputs, shown=shown, max_length=max_length,
                              lora_targets=lora_targets)
    if problems or info is None:
        body = "\n".join(f"  - {p}" for p in problems)
        raise ModelError(f"The transformer checkpoint cannot be audited ({len(problems)} problem"
                         f"{'s' if len(problems) != 1 else ''}); nothing was trained:\n{body}")
    return info


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """Hugging Face libraries offline and quiet: nothing downloaded, no progress bars, no telemetry."""
    keys = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def need_transformers() -> None:
    try:
        import peft  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelError(f"model.kind = \"transformers\" needs the transformers extra ({exc.name} is not installed). "
                         "Fix: pip install 'rai-audit[transformers]'.") from None


def require_folder(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder, or the :class:`ModelError` that says it is none (a name is never looked up online).

    The loaders check this themselves: ``HF_HUB_OFFLINE`` is read once, when huggingface_hub is imported, so
    setting it around a call does not stop a name from being resolved on the Hub.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ModelError(_inspect(folder, n_outputs=None, shown=None)[1][0])
    return folder


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    """The checkpoint's fast tokenizer, loaded offline from its folder (checked first by :func:`check_checkpoint`)."""
    path = require_folder(path)
    need_transformers()
    from transformers import AutoTokenizer

    with offline():
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
        except Exception as exc:
            raise ModelError(f"{path}: the tokenizer could not be loaded ({type(exc).__name__}: {exc}). {GET_FILES}") from None
    if tokenizer.pad_token_id is None:  # GPT-style tokenizers have none: pad with the end-of-text token, masked anyway
        if tokenizer.eos_token_id is None:
            raise ModelError(f"{path}: the tokenizer has neither a padding nor an end token to pad with. Fix: set "
                             "tokenizer.pad_token and save_pretrained it.")
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


class TokenizerVocabulary:
    """A Hugging Face tokenizer with the interface of :class:`audit.data._vocab.Vocabulary`.

    Ids are the tokenizer's, with its padding id and 0 swapped, so that 0 is padding as everywhere
    in the audit. ``encode`` adds the model's special tokens, truncates and pads to ``max_len``.

    Parameters
    ----------
    tokenizer : PreTrainedTokenizerBase
        A loaded tokenizer (:func:`load_tokenizer`).
    name : str
        How records name it (the checkpoint folder as the config gives it).
    """

    def __init__(self, tokenizer: Any, name: str = "") -> None:
        self.tokenizer = tokenizer
        self.name = name
        self.pad_token_id = int(tokenizer.pad_token_id)
        unk = tokenizer.unk_token_id
        self.unknown_id = None if unk is None else self.swap(int(unk))

    def swap(self, index: int) -> int:
        """The tokenizer's id for an audit id, or the audit's for a tokenizer id (the swap is its own inverse)."""
        return self.pad_token_id if index == PAD_ID else PAD_ID if index == self.pad_token_id else index

    def __len__(self) -> int:
        return len(self.tokenizer)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token in self.tokenizer.get_vocab()

    def tokens(self, text: str) -> list[str]:
        """The sub-word tokens of ``text`` (special tokens not included)."""
        return list(self.tokenizer.tokenize(text))

    def token_to_id(self, token: str) -> int:
        return self.swap(int(self.tokenizer.convert_tokens_to_ids(token)))

    def id_to_token(self, index: int) -> str:
        return str(self.tokenizer.convert_ids_to_tokens(self.swap(int(index))))

    def encode(self, texts: Sequence[str], *, max_len: int = 64) -> np.ndarray:
        """Audit ids of shape ``(len(texts), max_len)``: special tokens added, truncated, padded with 0."""
        if not len(texts):
            return np.zeros((0, max_len), dtype=np.int64)
        ids = np.asarray(self.tokenizer(list(texts), padding="max_length", truncation=True, max_length=max_len,
                                        return_attention_mask=False)["input_ids"], dtype=np.int64)
        pad, zero = ids == self.pad_token_id, ids == PAD_ID
        ids[pad], ids[zero] = PAD_ID, self.pad_token_id
        return ids

    @property
    def special_tokens(self) -> frozenset[str]:
        """The tokenizer's special tokens ([CLS], [SEP], <s>, ...)."""
        return frozenset(str(t) for t in self.tokenizer.all_special_tokens)

    @property
    def special_ids(self) -> frozenset[int]:
        """The audit ids of the special tokens, padding excluded."""
        return frozenset(self.swap(int(i)) for i in self.tokenizer.all_special_ids) - {PAD_ID}

    def words(self, ids: np.ndarray, values: np.ndarray) -> list[tuple[str, float]]:
        """The words of one encoded text with the sum of their sub-words' ``values``, padding left out.

        A sub-word starts a new word when the tokenizer joins it to the previous one with a space (WordPiece
        ``##``, byte-level ``Ġ`` and SentencePiece ``▁`` conventions alike); a special token is a word of its own.

        Examples
        --------
        For a WordPiece tokenizer, ids of ``["[CLS]", "play", "##ing", "[SEP]"]`` give
        ``[("[CLS]", a0), ("playing", a1 + a2), ("[SEP]", a3)]``.
        """
        keep = np.flatnonzero(np.asarray(ids) != PAD_ID)
        pieces = self.tokenizer.convert_ids_to_tokens([self.swap(int(i)) for i in np.asarray(ids)[keep]])
        special = self.special_tokens
        groups: list[tuple[list[str], float]] = []
        for j, piece in enumerate(pieces):
            value = float(values[keep[j]])
            joined = j > 0 and piece not in special and pieces[j - 1] not in special and \
                " " not in self.tokenizer.convert_tokens_to_string([pieces[j - 1], piece]).strip()
            if joined:
                groups[-1][0].append(piece)
                groups[-1] = (groups[-1][0], groups[-1][1] + value)
            else:
                groups.append(([piece], value))
        return [(p[0] if p[0] in special else str(self.tokenizer.convert_tokens_to_string(p)).strip(), v)
                for p, v in groups]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        kept = [self.swap(int(i)) for i in np.asarray(ids).reshape(-1) if int(i) != PAD_ID]
        return str(self.tokenizer.decode(kept, skip_special_tokens=True)).strip()

    def to_dict(self) -> dict[str, Any]:
        """What a record keeps: the tokenizer's identity, not its files (they stay in the checkpoint folder)."""
        return {"kind": "huggingface-tokenizer", "checkpoint": self.name, "class": type(self.tokenizer).__name__,
                "size": len(self), "pad_token_id": self.pad_token_id}
