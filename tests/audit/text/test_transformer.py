"""Transformer checkpoints (issue 28): refusals before loading, the id swap, masking, attributions equal to a
direct Captum call on the Hugging Face model, and DP-LoRA's ε equal to Opacus's accountant.

Checkpoints are tiny random BERT / RoBERTa classifiers written by ``save_pretrained`` (``_tiny_hf.py``).
"""

from __future__ import annotations

import copy
import pickle
import socket

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("peft")

from audit.exceptions import ModelError  # noqa: E402
from audit.text._transformer import (  # noqa: E402
    TokenizerVocabulary,
    check_checkpoint,
    checkpoint_problems,
    load_tokenizer,
    load_transformer,
)

from ._tiny_hf import MAX_POSITIONS, build_checkpoint  # noqa: E402
from .conftest import make_corpus  # noqa: E402

TEXTS = ["good film", "a wonderful story about the women", "terrible acting by a man and it was boring",
         "the plot", "great lovely excellent film we saw really"]


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    return build_checkpoint(tmp_path_factory.mktemp("bert") / "ckpt", style="bert")


@pytest.fixture(scope="module")
def roberta(tmp_path_factory):
    return build_checkpoint(tmp_path_factory.mktemp("roberta") / "ckpt", style="roberta", layers=1)


@pytest.fixture(scope="module")
def roberta3(tmp_path_factory):
    return build_checkpoint(tmp_path_factory.mktemp("roberta3") / "ckpt", style="roberta", num_labels=3, layers=1)


@pytest.fixture
def no_unpickling(monkeypatch):
    """Unpickling (pickle or torch.load) is recorded and fails: pickle weights must never be loaded.

    Recorded as well as refused, since the loaders turn any exception into a ModelError.
    """
    calls: list[str] = []

    def refuse(name):
        def call(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return call

    for owner, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (torch, "load")):
        monkeypatch.setattr(owner, name, refuse(f"{owner.__name__}.{name}"))
    yield calls
    assert calls == [], f"a pickle was loaded: {calls}"


class _Blocked(BaseException):
    """Raised by the test's socket: not an Exception, so no loader turns it into an error message or retries it."""


@pytest.fixture
def no_network(monkeypatch):
    """Connections are recorded and blocked (each test asserts there were none): rai-audit never downloads."""
    calls: list[tuple] = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise _Blocked(f"network connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


def _problems(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "cannot be audited" in text and "nothing was trained" in text
    return text


# --- refusals -----------------------------------------------------------------------------------------------------


def test_a_good_checkpoint_passes_with_what_it_holds(bert, roberta):
    info = check_checkpoint(bert, n_outputs=1)
    assert (info.model_type, info.num_labels, info.weights) == ("bert", 2, ("model.safetensors",))
    assert info.weights_bytes > 0
    assert check_checkpoint(roberta, n_outputs=1).model_type == "roberta"
    assert checkpoint_problems(bert, n_outputs=None) == []


def test_a_missing_tokenizer_is_refused(tmp_path):
    path = build_checkpoint(tmp_path / "ckpt", tokenizer=False)
    with pytest.raises(ModelError) as exc:
        check_checkpoint(path, n_outputs=1, shown="models/mine")
    text = _problems(exc)
    assert "(1 problem)" in text and "models/mine: no tokenizer found" in text and "tokenizer.save_pretrained" in text


def test_pickle_weights_are_refused_and_never_loaded(tmp_path, no_unpickling):
    path = build_checkpoint(tmp_path / "ckpt", pickle_weights=True)
    assert (path / "pytorch_model.bin").exists() and not (path / "model.safetensors").exists()
    with pytest.raises(ModelError) as exc:
        check_checkpoint(path, n_outputs=1)
    text = _problems(exc)
    assert "pickle files (pytorch_model.bin)" in text and "they were not loaded" in text
    # loading it directly (past the check) refuses too: safetensors only, nothing unpickled
    with pytest.raises(ModelError, match="could not be loaded"):
        load_transformer(path, pad_token_id=0, lora_rank=0)


HUB_NAMES = ["bert-base-uncased", "org/name", "FacebookAI/roberta-base"]


@pytest.mark.parametrize("name", HUB_NAMES)
def test_a_hub_name_is_refused_and_nothing_is_downloaded(name, tmp_path, monkeypatch, no_network):
    monkeypatch.chdir(tmp_path)  # the name is not a folder here
    with pytest.raises(ModelError) as exc:
        check_checkpoint(name, n_outputs=1)
    text = _problems(exc)
    assert "It looks like a model name: rai-audit never downloads models." in text
    assert "huggingface-cli download" in text and "does not exist" in text
    assert no_network == []


@pytest.mark.parametrize("loader", ["tokenizer", "model"])
def test_the_loaders_given_a_name_stay_offline(loader, tmp_path, monkeypatch, no_network):
    monkeypatch.chdir(tmp_path)
    load = load_tokenizer if loader == "tokenizer" else (lambda name: load_transformer(name, pad_token_id=0))
    # HF_HUB_OFFLINE is read when huggingface_hub is imported, so the loaders refuse a non-folder themselves
    with pytest.raises(ModelError, match="never downloads"):
        load("org/name")
    assert no_network == []


def test_loading_a_folder_opens_no_connection(bert, no_network):
    tokenizer = load_tokenizer(bert)
    load_transformer(bert, pad_token_id=tokenizer.pad_token_id, lora_rank=4)
    assert no_network == []


def test_a_missing_folder_given_as_a_path_is_not_called_a_model_name(tmp_path):
    problems = checkpoint_problems(tmp_path / "build" / "checkpoint", n_outputs=1)
    assert len(problems) == 1 and "does not exist" in problems[0] and "looks like a model name" not in problems[0]


def test_a_file_is_not_a_folder(tmp_path):
    file = tmp_path / "model.safetensors"
    file.write_bytes(b"x")
    assert "is a file, not a folder" in checkpoint_problems(file, n_outputs=1)[0]


@pytest.mark.parametrize(("num_labels", "n_outputs", "ok"), [
    (2, 1, True), (1, 1, True), (3, 1, False),     # binary task: 1 or 2 labels
    (3, 3, True), (2, 3, False), (4, 3, False),    # 3 classes: exactly 3
])
def test_the_number_of_labels_must_fit_the_task(tmp_path, num_labels, n_outputs, ok):
    path = build_checkpoint(tmp_path / "ckpt", num_labels=num_labels, hidden=16, layers=1)
    problems = checkpoint_problems(path, n_outputs=n_outputs)
    if ok:
        assert problems == []
        return
    assert len(problems) == 1 and f"the model has {num_labels} output labels" in problems[0]
    wanted = "a binary task needs 1 or 2" if n_outputs == 1 else f"this task has {n_outputs} classes and needs {n_outputs}"
    assert wanted in problems[0] and "ignore_mismatched_sizes=True" in problems[0]


def test_a_base_model_is_not_a_classifier(tmp_path):
    path = build_checkpoint(tmp_path / "ckpt", base_model=True, hidden=16, layers=1)
    with pytest.raises(ModelError) as exc:
        check_checkpoint(path, n_outputs=1)
    assert "the model is a BertModel, not a sequence classifier" in _problems(exc)


def test_every_problem_is_reported_at_once(tmp_path, no_unpickling):
    path = build_checkpoint(tmp_path / "ckpt", style="roberta", base_model=True, pickle_weights=True, tokenizer=False,
                            num_labels=5, hidden=16, layers=1)
    with pytest.raises(ModelError) as exc:
        check_checkpoint(path, n_outputs=1, shown="ckpt")
    text = _problems(exc)
    assert "(4 problems)" in text
    for part in ("RobertaModel, not a sequence classifier", "pickle files", "no tokenizer found", "5 output labels"):
        assert part in text
    assert text.count("\n  - ") == 4


def test_every_problem_names_the_folder_as_the_config_does(tmp_path):
    path = build_checkpoint(tmp_path / "ckpt", pickle_weights=True, tokenizer=False, num_labels=3, hidden=16, layers=1)
    problems = checkpoint_problems(path, n_outputs=1, shown="models/mine")
    assert len(problems) == 3
    assert all(p.startswith("models/mine: ") and str(tmp_path) not in p for p in problems), problems


def test_a_broken_config_is_a_problem_not_a_crash(tmp_path):
    path = build_checkpoint(tmp_path / "ckpt", hidden=16, layers=1)
    (path / "config.json").write_text("[1, 2]", encoding="utf-8")
    assert "expected a JSON object" in checkpoint_problems(path, n_outputs=1)[0]
    (path / "config.json").write_text("{not json", encoding="utf-8")
    assert checkpoint_problems(path, n_outputs=1)
    (path / "config.json").unlink()
    assert checkpoint_problems(path, n_outputs=1)


# --- the tokenizer as the audit's vocabulary ------------------------------------------------------------------------


def test_roberta_padding_becomes_zero_and_the_swap_round_trips(roberta):
    tokenizer = load_tokenizer(roberta)
    assert tokenizer.pad_token_id == 1 and tokenizer.convert_tokens_to_ids("<s>") == 0
    vocab = TokenizerVocabulary(tokenizer, name="ckpt")
    assert all(vocab.swap(vocab.swap(i)) == i for i in range(len(vocab)))
    assert sorted(vocab.swap(i) for i in range(len(vocab))) == list(range(len(vocab)))  # a permutation
    assert vocab.id_to_token(0) == "<pad>" and vocab.token_to_id("<pad>") == 0 and vocab.token_to_id("<s>") == 1
    assert all(vocab.id_to_token(vocab.token_to_id(t)) == t for t in tokenizer.get_vocab())
    ids = vocab.encode(TEXTS, max_len=16)
    direct = np.asarray(tokenizer(TEXTS, padding="max_length", truncation=True, max_length=16)["input_ids"])
    np.testing.assert_array_equal(ids == 0, direct == 1)  # padding, and only padding, is 0
    np.testing.assert_array_equal(ids[:, 0], 1)  # <s> (the tokenizer's 0) starts every text
    np.testing.assert_array_equal(np.vectorize(vocab.swap)(ids), direct)
    assert [vocab.decode(row).strip() for row in ids[:1]] == ["good film"]
    assert vocab.to_dict()["pad_token_id"] == 1 and vocab.unknown_id == vocab.token_to_id("<unk>")


def test_bert_ids_are_the_tokenizers(bert):
    tokenizer = load_tokenizer(bert)
    vocab = TokenizerVocabulary(tokenizer)
    assert vocab.pad_token_id == 0
    direct = tokenizer(TEXTS, padding="max_length", truncation=True, max_length=12)["input_ids"]
    np.testing.assert_array_equal(vocab.encode(TEXTS, max_len=12), direct)
    assert "film" in vocab and vocab.tokens("good film") == ["good", "film"]
    assert vocab.encode([], max_len=7).shape == (0, 7)


# --- the classifier: masking and equality with the Hugging Face model ----------------------------------------------


def _classifier(path, lora_rank=0):
    vocab = TokenizerVocabulary(load_tokenizer(path))
    torch.manual_seed(0)
    return load_transformer(path, pad_token_id=vocab.pad_token_id, lora_rank=lora_rank).eval(), vocab


@pytest.mark.parametrize("style", ["bert", "roberta"])
def test_logits_do_not_depend_on_the_padding_length(style, bert, roberta):
    model, vocab = _classifier(bert if style == "bert" else roberta)
    with torch.no_grad():
        short = model(torch.as_tensor(vocab.encode(TEXTS, max_len=16), dtype=torch.float32))
        long = model(torch.as_tensor(vocab.encode(TEXTS, max_len=34), dtype=torch.float32))
    torch.testing.assert_close(short, long, rtol=1e-5, atol=1e-5)
    assert short.shape == (len(TEXTS), 2)


@pytest.mark.parametrize("style", ["bert", "roberta"])
def test_logits_equal_the_hugging_face_model_on_its_own_tokenizer(style, bert, roberta):
    path = bert if style == "bert" else roberta
    model, vocab = _classifier(path)
    enc = vocab.tokenizer(TEXTS, padding="max_length", truncation=True, max_length=20, return_tensors="pt")
    with torch.no_grad():
        direct = model.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
        ours = model(torch.as_tensor(vocab.encode(TEXTS, max_len=20)))
    torch.testing.assert_close(ours, direct, rtol=0, atol=0)
    assert model.embedding is model.model.get_input_embeddings()


def test_lora_adapters_start_as_the_base_model(bert):
    base, vocab = _classifier(bert)
    adapted, _ = _classifier(bert, lora_rank=4)
    ids = torch.as_tensor(vocab.encode(TEXTS, max_len=16))
    with torch.no_grad():
        torch.testing.assert_close(adapted(ids), base(ids))  # lora_B starts at zero
    trainable = [n for n, p in adapted.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or "classifier" in n for n in trainable)


# --- token attributions equal a direct Captum call on the HF model ---------------------------------------------------


def _direct_captum(hf, vocab, ids, *, target, n_steps, method):
    """What token_attributions must equal: Captum on the HF model's word embeddings, padding row zeroed,
    baseline all padding, the input's attention mask on both ends of the path."""
    from captum.attr import LayerIntegratedGradients

    from audit.models import positive_logit

    hf = copy.deepcopy(hf).eval()
    pad = vocab.pad_token_id
    with torch.no_grad():
        hf.get_input_embeddings().weight[pad].zero_()
    input_ids = torch.as_tensor(np.vectorize(vocab.swap)(ids))  # the tokenizer's ids
    mask = (input_ids != pad).long()

    def forward(x, attention_mask):
        logits = hf(input_ids=x, attention_mask=attention_mask).logits
        return positive_logit(logits) if target is None else logits

    lig = LayerIntegratedGradients(forward, hf.get_input_embeddings())
    attr = lig.attribute(input_ids, baselines=torch.full_like(input_ids, pad), additional_forward_args=(mask,),
                         target=target, n_steps=n_steps, method=method)
    return attr.sum(dim=-1).detach().double().numpy()


@pytest.mark.parametrize("case", ["bert-binary", "roberta-binary", "roberta-3-classes"])
def test_token_attributions_equal_a_direct_captum_call(case, bert, roberta, roberta3):
    from audit.text import token_attributions

    path = {"bert-binary": bert, "roberta-binary": roberta, "roberta-3-classes": roberta3}[case]
    model, vocab = _classifier(path)
    with torch.no_grad():  # HF initialises the padding row to zero; a fine-tuned one need not be, and padding is masked
        model.embedding.weight[vocab.pad_token_id].normal_()
    kept = copy.deepcopy(model.state_dict())
    texts, _ = make_corpus(12, seed=3)
    ids = vocab.encode(texts, max_len=18)
    out = token_attributions(model, ids, vocab=vocab, n_steps=16, method="gausslegendre", min_count=1,
                             return_attributions=True)
    target = None
    if case.endswith("classes"):
        with torch.no_grad():
            target = model(torch.as_tensor(ids)).argmax(dim=1)  # the default: each row's predicted class
        assert [e["target"] for e in out["examples"]] == target[:len(out["examples"])].tolist()
    direct = _direct_captum(model.model, vocab, ids, target=target, n_steps=16, method="gausslegendre")
    np.testing.assert_allclose(out["attributions"], direct, atol=1e-5, rtol=0)
    assert np.abs(out["attributions"]).sum() > 0 and np.all(out["attributions"][ids == 0] == 0)
    # the model passed in is untouched (a copy's padding row was zeroed)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in kept.items())


@pytest.mark.parametrize("style", [
    "bert",
    # RoBERTa numbers positions from input_ids != pad: the model reads embeddings when given a mask (as attributions
    # do), so the all-padding baseline sits at the text's positions
    "roberta",
])
def test_attributions_are_complete_against_the_baseline_with_the_inputs_mask(style, bert, roberta):
    from audit.models import positive_logit
    from audit.text import token_attributions

    model, vocab = _classifier(bert if style == "bert" else roberta)
    ids = vocab.encode(make_corpus(12, seed=3)[0], max_len=18)
    out = token_attributions(model, ids, vocab=vocab, n_steps=32, min_count=1, return_attributions=True)
    x = torch.as_tensor(ids)
    with torch.no_grad():
        work = copy.deepcopy(model)
        work.embedding.weight[vocab.pad_token_id].zero_()
        gap = (positive_logit(work(x)) - positive_logit(work(torch.zeros_like(x), attention_mask=x != 0))).double()
    assert out["convergence_delta"]["mean_abs_output_change"] == pytest.approx(gap.abs().mean().item(), rel=1e-6)
    np.testing.assert_allclose(out["attributions"].sum(axis=1), gap.numpy(), atol=1e-5)
    assert out["convergence_delta"]["max_relative"] < 1e-3


# --- DP fine-tuning with LoRA -------------------------------------------------------------------------------------


@pytest.mark.parametrize("accountant", ["rdp", "prv"])
def test_dp_lora_epsilon_is_opacus_accountants_and_only_adapters_and_head_change(accountant, bert):
    from opacus.accountants import PRVAccountant, RDPAccountant

    from audit.privacy import train_private

    model, vocab = _classifier(bert, lora_rank=4)
    model.train()
    before = {n: v.detach().clone() for n, v in model.state_dict().items()}
    texts, y = make_corpus(200, seed=0)
    X = vocab.encode(texts, max_len=16).astype(np.float32)
    res = train_private(model, X, y, epsilon=4.0, epochs=2, batch_size=50, accountant=accountant, seed=0)

    opacus = {"rdp": RDPAccountant, "prv": PRVAccountant}[accountant]()
    opacus.history = [(res.noise_multiplier, res.sample_rate, res.steps)]
    assert res.steps == 2 * round(1 / res.sample_rate) == 8
    assert res.epsilon_spent == pytest.approx(opacus.get_epsilon(delta=res.delta), rel=1e-9)
    assert res.epsilon_spent <= 4.0 and len(res.epsilon_history) == 2

    after = res.model.state_dict()
    assert set(after) == set(before)
    changed = {n for n in before if not torch.equal(before[n], after[n])}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert changed and changed <= trainable  # only LoRA adapters and the head moved
    assert all("lora_" in n or "classifier" in n for n in changed)
    frozen = [n for n in before if n not in trainable]
    assert any("word_embeddings" in n for n in frozen) and any("attention.self.query.base_layer" in n for n in frozen)
    assert all(torch.equal(before[n], after[n]) for n in frozen)  # bit-identical base weights


# lora_rank = 0 under DP failed on BERT in every Opacus mode (the position and token-type tables are shared buffers of
# batch 1): the embeddings stay frozen, as DP fine-tuning leaves them, and every other weight trains.
@pytest.mark.parametrize("style", ["bert", "roberta"])
def test_dp_full_fine_tuning_trains_every_weight_but_the_embeddings(style, bert, roberta):
    from audit.privacy import train_private

    model, vocab = _classifier(bert if style == "bert" else roberta, lora_rank=0)
    model.train()
    texts, y = make_corpus(100, seed=0)
    res = train_private(model, vocab.encode(texts, max_len=16).astype(np.float32), y, epsilon=4.0, epochs=1,
                        batch_size=50, seed=0)
    assert 0 < res.epsilon_spent <= 4.0
    embeddings = {id(m.weight) for m in res.model.modules() if isinstance(m, torch.nn.Embedding)}
    assert all(p.requires_grad == (id(p) not in embeddings) for p in res.model.parameters())


def test_settings_the_checkpoint_cannot_take_are_refused_before_anything_loads(bert, roberta):
    # Before: a max_length past the model's positions failed in training ("Expected forward(x) with x of shape ..."),
    # and unknown LoRA targets only when the first model was built.
    with pytest.raises(ModelError) as info:
        check_checkpoint(bert, n_outputs=1, shown="ckpt", max_length=500, lora_targets=["query", "q_proj"])
    text = str(info.value)
    assert f"text.max_length = 500 is more than the {MAX_POSITIONS} token positions" in text
    assert "['q_proj']" in text and "'query'" in text and "Modules found" in text
    check_checkpoint(bert, n_outputs=1, max_length=MAX_POSITIONS, lora_targets=["query", "value"])
    # RoBERTa numbers positions after its padding id: two fewer
    with pytest.raises(ModelError, match=f"at most {MAX_POSITIONS - 2}"):
        check_checkpoint(roberta, n_outputs=1, max_length=MAX_POSITIONS)
