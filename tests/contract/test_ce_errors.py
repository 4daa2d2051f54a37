"""Every typed error of the core scorers and of load_scorer, on the tiny models."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from entailkit import load_scorer
from entailkit.errors import EntailkitError, InvalidInputError, ModelLoadError

torch = pytest.importorskip("torch")

# --- input errors ---------------------------------------------------------------------------------------

BAD_PAIRS = [
    pytest.param(None, ["a"], id="premises-None"),
    pytest.param(["a"], None, id="hypotheses-None"),
    pytest.param("a premise", ["a"], id="premises-str"),
    pytest.param(["a", None], ["a", "b"], id="None-item"),
    pytest.param(["a", 3], ["a", "b"], id="int-item"),
    pytest.param(["a"], [b"bytes"], id="bytes-item"),
    pytest.param(["a", "b"], ["a"], id="length-mismatch"),
    pytest.param(["a"], [], id="length-mismatch-empty"),
    pytest.param(42, [1], id="not-a-list"),
]


@pytest.mark.parametrize("name", ["bert-nli3-cen", "bert-rel1", "deberta-nli2-ent0", "bert-embed"])
@pytest.mark.parametrize(("premises", "hypotheses"), BAD_PAIRS)
def test_bad_pairs_raise_invalid_input(
    name: str, premises: Any, hypotheses: Any, load_tiny: Callable[..., Any]
) -> None:
    with pytest.raises(InvalidInputError):
        load_tiny(name).score_pairs(premises, hypotheses)


BAD_LABEL_CALLS = [
    pytest.param(["a text"], [], {}, id="empty-labels"),
    pytest.param(["a text"], ["x", "x"], {}, id="duplicate-labels"),
    pytest.param(["a text"], ["x", " "], {}, id="blank-label"),
    pytest.param(["a text"], "sports", {}, id="labels-str"),
    pytest.param(["a text"], None, {}, id="labels-None"),
    pytest.param(["a text"], ["x", 1], {}, id="label-int"),
    pytest.param(["a", "b"], [["x"], ["y"], ["z"]], {}, id="per-text-count"),
    pytest.param(["a", "b"], [["x"], []], {}, id="per-text-empty"),
    pytest.param(["a"], ["x"], {"hypothesis_template": "no placeholder"}, id="template-no-braces"),
    pytest.param(["a"], ["x"], {"hypothesis_template": "{} and {}"}, id="template-two-braces"),
    pytest.param(["a"], ["x"], {"hypothesis_template": None}, id="template-None"),
    pytest.param([None], ["x"], {}, id="text-None"),
    pytest.param("one text", ["x"], {}, id="texts-str"),
]


@pytest.mark.parametrize("name", ["bert-nli3-cen", "bert-rel1", "deberta-nli2-ent1", "bert-embed"])
@pytest.mark.parametrize(("texts", "labels", "kwargs"), BAD_LABEL_CALLS)
def test_bad_label_calls_raise_invalid_input(
    name: str, texts: Any, labels: Any, kwargs: dict[str, Any], load_tiny: Callable[..., Any]
) -> None:
    with pytest.raises(InvalidInputError):
        load_tiny(name).score_labels(texts, labels, **kwargs)


def test_invalid_input_error_is_a_value_error(load_tiny: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="same length"):
        load_tiny("bert-nli3-cen").score_pairs(["a", "b"], ["a"])


# --- loading errors -------------------------------------------------------------------------------------


def test_unmappable_labels_need_label_map(tiny_models: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="label_map"):
        load_scorer(tiny_models["bert-unmappable"])
    scorer = load_scorer(tiny_models["bert-unmappable"], label_map={"entailment": 2, "neutral": 0, "contradiction": 1})
    assert scorer.info.head == "nli3"
    assert scorer.info.label_map == {"entailment": 2, "neutral": 0, "contradiction": 1}
    item = scorer.score_pairs(["A man plays."], ["A person plays."]).items[0]
    z = torch.softmax(torch.tensor(item.logits, dtype=torch.float64), 0)
    assert abs(item.entailment - float(z[2])) <= 1e-6 and abs(item.contradiction - float(z[1])) <= 1e-6


@pytest.mark.parametrize(
    "label_map",
    [
        {"entailment": 0, "neutral": 0, "contradiction": 1},  # repeated index
        {"entailment": 0, "neutral": 1},  # missing role
        {"entailment": 0, "neutral": 1, "contradiction": 3},  # out of range
    ],
)
def test_bad_label_map_raises(label_map: dict[str, int], tiny_models: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError):
        load_scorer(tiny_models["bert-unmappable"], label_map=label_map)


def test_label_map_detected_from_id2label(load_tiny: Callable[..., Any]) -> None:
    assert load_tiny("bert-nli3-cen").info.label_map == {"entailment": 1, "neutral": 2, "contradiction": 0}
    assert load_tiny("deberta-nli3-enc").info.label_map == {"entailment": 0, "neutral": 1, "contradiction": 2}
    assert load_tiny("bert-nli2-ent0").info.label_map == {"entailment": 0, "not_entailment": 1}
    assert load_tiny("deberta-nli2-ent1").info.label_map == {"entailment": 1, "not_entailment": 0}
    assert load_tiny("bert-rel1").info.head == "relevance"
    assert load_tiny("deberta-nli2-ent1").info.id2label == {0: "NOT_ENTAILMENT", 1: "ENTAILMENT"}


def test_pickle_checkpoint_refused_unless_allowed(tiny_models: dict[str, Path]) -> None:
    path = tiny_models["bert-pickle"]
    with pytest.raises(ModelLoadError, match="allow_pickle"):
        load_scorer(path)
    scorer = load_scorer(path, allow_pickle=True)
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    ref_model = AutoModelForSequenceClassification.from_pretrained(path, use_safetensors=False).eval()
    tok = AutoTokenizer.from_pretrained(path)
    with torch.inference_mode():
        ref = ref_model(**tok(["A man plays."], ["A person plays."], return_tensors="pt")).logits[0]
    got = scorer.score_pairs(["A man plays."], ["A person plays."]).items[0].logits
    assert max(abs(a - float(b)) for a, b in zip(got, ref, strict=True)) <= 1e-5


def test_unknown_hub_id_offline_fails_fast_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError) as info:
        load_scorer("entailkit-tests-nonexistent-org/no-such-model-xyz")
    message = str(info.value)
    assert "HF_HUB_OFFLINE" in message or "local" in message
    assert "no-such-model-xyz" in message


@pytest.mark.parametrize("model", ["/nonexistent/entailkit/model-dir", "", "not a valid id!!"])
def test_missing_paths_raise_model_load_error(model: str) -> None:
    with pytest.raises(ModelLoadError):
        load_scorer(model)


def test_directory_without_config_or_weights(tmp_path: Path, tiny_models: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match=r"config\.json"):
        load_scorer(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["BertForSequenceClassification"]}))
    with pytest.raises(ModelLoadError):
        load_scorer(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(tiny_models["bert-nli3-cen"], broken)
    (broken / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError):
        load_scorer(broken)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_requested_without_cuda_raises(tiny_models: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="cuda"):
        load_scorer(tiny_models["bert-nli3-cen"], device="cuda")
    with pytest.raises(ModelLoadError):
        load_scorer(tiny_models["bert-nli3-cen"], device="cuda:3")


@pytest.mark.parametrize("device", ["tpu", "banana", 3.5])
def test_unsupported_device_raises(device: Any, tiny_models: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError):
        load_scorer(tiny_models["bert-nli3-cen"], device=device)


def test_bad_dtype_raises(tiny_models: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError):
        load_scorer(tiny_models["bert-nli3-cen"], dtype="int8")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "bogus"},
        {"batch_size": 0},
        {"batch_size": "8"},
        {"max_length": -1},
        {"token_budget": 0},
        {"truncation": "middle"},
    ],
)
def test_bad_load_options_raise_invalid_input(kwargs: dict[str, Any], tiny_models: dict[str, Path]) -> None:
    with pytest.raises(InvalidInputError):
        load_scorer(tiny_models["bert-nli3-cen"], **kwargs)


# --- dtype, device, kind ------------------------------------------------------------------------------


def test_fp16_checkpoint_loads_as_float32_on_cpu(tiny_models: dict[str, Path]) -> None:
    path = tiny_models["bert-fp16"]
    assert json.loads((path / "config.json").read_text())["dtype"] == "float16"
    scorer = load_scorer(path, device="cpu")
    assert scorer.info.dtype == "float32" and scorer.info.device == "cpu"
    assert {p.dtype for p in scorer.model.parameters()} == {torch.float32}
    # explicit half precision is honoured (slow on CPU, but asked for)
    half = load_scorer(path, device="cpu", dtype="float16")
    assert half.info.dtype == "float16"
    assert {p.dtype for p in half.model.parameters()} == {torch.float16}
    a = scorer.score_pairs(["A man plays."], ["A person plays."]).items[0]
    b = half.score_pairs(["A man plays."], ["A person plays."]).items[0]
    assert abs(a.score - b.score) <= 2e-2


def test_kind_detection_and_override(tiny_models: dict[str, Path]) -> None:
    from entailkit import CrossEncoderScorer, EmbeddingScorer, Scorer

    ce = load_scorer(tiny_models["deberta-nli3-cen"])
    assert isinstance(ce, CrossEncoderScorer) and ce.info.kind == "cross-encoder" and ce.info.head == "nli3"
    emb = load_scorer(tiny_models["bert-embed"])
    assert isinstance(emb, EmbeddingScorer) and emb.info.kind == "embedding" and emb.info.head == "cosine"
    # kind= wins over the config: the encoder of a cross-encoder used as an embedding model
    forced = load_scorer(tiny_models["bert-nli3-cen"], kind="embedding")
    assert isinstance(forced, EmbeddingScorer) and forced.info.kind == "embedding"
    assert forced.embed(["a text"]).shape == (1, 32)
    for scorer in (ce, emb, forced):
        assert isinstance(scorer, Scorer)


def test_max_length_option(tiny_models: dict[str, Path]) -> None:
    scorer = load_scorer(tiny_models["bert-nli3-cen"], max_length=64)
    assert scorer.info.max_length == 64
    default = load_scorer(tiny_models["bert-nli3-cen"])
    assert default.info.max_length == 128  # tokenizer limit, below the 512 position table
    text = " ".join(["a man is playing guitar in the park."] * 12)  # ~108 tokens
    assert scorer.score_pairs([text], ["claim"]).items[0].num_windows > 1
    assert default.score_pairs([text], ["claim"]).items[0].num_windows == 1


def test_errors_share_the_base_class() -> None:
    assert issubclass(InvalidInputError, EntailkitError) and issubclass(ModelLoadError, EntailkitError)
