"""Per-token int8 (``entailkit.scorers.onnx_int8``): the rewrite's arithmetic, every architecture, batch independence.

- On a one-MatMul graph the rewritten model equals a NumPy reference of per-token asymmetric uint8
  activations times per-channel symmetric int8 weights (opset 17 and 18: ``ReduceMin``'s axes moved).
- On each tiny architecture (BERT, DeBERTa-v2, DeBERTa-v3, XLM-R, ModernBERT) the fp32 export matches
  torch and the int8 export is close to fp32, has no float weight MatMul left, and scores a pair the same
  alone or in a batch of longer pairs (each token is quantized by its own range).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

import onnx

from entailkit import load_scorer
from entailkit.scorers import onnx_int8
from entailkit.scorers.onnx_backend import make_session
from entailkit.scorers.onnx_export import export_key
from fixtures.tiny_multilingual import DEBERTA_V3, MODERNBERT, XLMR

PREMISES = [
    "A man is playing a guitar in the park.",
    "Le professeur lit un livre à la maison.",
    "我们的队伍在公园里踢足球。",
    " ".join(["the team wins the match in the stadium today"] * 30),  # windows
]
HYPOTHESES = ["A person plays music.", "Le professeur lit.", "体育", "The team wins."]
ARCHITECTURES = ["bert-nli3-cen", "deberta-nli3-enc", XLMR[2], MODERNBERT[2], DEBERTA_V3[3], DEBERTA_V3[0]]


@pytest.fixture(scope="module")
def models(tiny_models: dict[str, Path], tiny_multilingual_models: dict[str, Path]) -> dict[str, Path]:
    """Every tiny cross-encoder by name."""
    return {**tiny_models, **tiny_multilingual_models}


def _one_matmul(path: Path, weight: np.ndarray, bias: np.ndarray, opset: int) -> Path:
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("MatMul", ["x", "w"], ["t"]), helper.make_node("Add", ["t", "b"], ["y"])]
    graph = helper.make_graph(
        nodes,
        "one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", weight.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "tokens", weight.shape[1]])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _reference(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, bits: int) -> np.ndarray:
    """Per-token asymmetric uint8 activations, per-output-channel symmetric weights, float accumulation."""
    qmax = 2 ** (bits - 1) - 1
    w_scale = np.abs(weight).max(axis=0) / qmax
    w_deq = np.clip(np.round(weight / w_scale), -qmax, qmax) * w_scale
    low = np.minimum(x.min(axis=-1, keepdims=True), 0)
    span = np.maximum(x.max(axis=-1, keepdims=True), 0) - low
    x_deq = np.round((x - low) / span * 255) / 255 * span + low
    return x_deq @ w_deq + bias


@pytest.mark.parametrize("opset", [17, 18])
@pytest.mark.parametrize("bits", [8, 7])
def test_rewrite_equals_per_token_reference(tmp_path: Path, opset: int, bits: int) -> None:
    rng = np.random.default_rng(opset + bits)
    weight = rng.normal(0, 0.2, (48, 40)).astype(np.float32)
    bias = rng.normal(0, 0.1, 40).astype(np.float32)
    x = rng.normal(0, 1, (3, 7, 48)).astype(np.float32)
    x[0, 2, 5] = 40.0  # an outlier token: per-tensor quantization would coarsen every other token
    x[2] = np.abs(x[2]) + 1.0  # a positive-only sequence (range clamped to include 0)
    source = _one_matmul(tmp_path / "fp32.onnx", weight, bias, opset)
    dest = onnx_int8.quantize_per_token(source, tmp_path / "int8.onnx", weight_bits=bits)
    nodes = onnx.load(str(dest)).graph.node
    assert "DynamicQuantizeMatMul" in [node.op_type for node in nodes]
    assert all(node.input[1].startswith("ek_shift_bias") for node in nodes if node.op_type == "MatMul")
    (got,) = make_session(dest, threads=1).run(None, {"x": x})
    want = _reference(x.astype(np.float64), weight.astype(np.float64), bias, bits)
    np.testing.assert_allclose(got, want, atol=2e-4, rtol=1e-4)
    fp32 = x @ weight + bias
    low, high = min(float(x.min()), 0.0), max(float(x.max()), 0.0)  # what one scale for the batch would do
    x_tensor = np.round((x - low) / (high - low) * 255) / 255 * (high - low) + low
    beside = np.abs(got - fp32)[0, [0, 1, 3, 4]].max()  # the outlier's own sequence, other tokens
    assert beside < np.abs(x_tensor @ weight + bias - fp32)[0, [0, 1, 3, 4]].max() / 3


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_int8_per_architecture(name: str, models: dict[str, Path], onnx_cache: Path) -> None:
    path = models[name]
    torch_scorer = load_scorer(path, device="cpu")
    fp32 = load_scorer(path, backend="onnx")
    int8 = load_scorer(path, backend="onnx", quantize="int8")
    ref = _scores(torch_scorer, PREMISES, HYPOTHESES)
    np.testing.assert_allclose(_scores(fp32, PREMISES, HYPOTHESES), ref, atol=1e-4)
    got = _scores(int8, PREMISES, HYPOTHESES)
    assert np.all(np.isfinite(got)) and not np.array_equal(got, ref)
    assert np.abs(got - ref).max() < 0.1
    graph = onnx.load(str(int8.runner.path)).graph  # type: ignore[attr-defined]
    weights = {init.name for init in graph.initializer if len(init.dims) == 2}
    left = [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    assert all(n.input[1].startswith("ek_shift_bias") for n in left)  # only the [m, 1] @ [colsum; b] products
    alone = [_scores(int8, [p], [h])[0] for p, h in zip(PREMISES, HYPOTHESES, strict=True)]
    np.testing.assert_allclose(got, alone, atol=2e-5)  # no other pair of the batch moves a score


def _scores(scorer: object, premises: list[str], hypotheses: list[str]) -> np.ndarray:
    return np.array([item.score for item in scorer.score_pairs(premises, hypotheses).items])  # type: ignore[attr-defined]


def test_weight_bits_follow_the_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vnni, plain = tmp_path / "vnni", tmp_path / "plain"
    vnni.write_text("flags\t: fpu sse avx2 avx512f avx512_vnni\n")
    plain.write_text("flags\t: fpu sse avx2 fma\n")
    monkeypatch.setattr(onnx_int8.platform, "machine", lambda: "x86_64")
    assert onnx_int8.int8_weight_bits(vnni) == 8
    assert onnx_int8.int8_weight_bits(plain) == 7
    assert onnx_int8.int8_weight_bits(tmp_path / "missing") == 7
    monkeypatch.setattr(onnx_int8.platform, "machine", lambda: "arm64")
    assert onnx_int8.int8_weight_bits(plain) == 8


def test_int8_cache_key_follows_weight_bits(models: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = models["bert-nli3-cen"]
    monkeypatch.setattr(onnx_int8, "int8_weight_bits", lambda: 8)
    eight = export_key(path, revision=None, quantize="int8", opset=17)
    fp32 = export_key(path, revision=None, quantize=None, opset=17)
    monkeypatch.setattr(onnx_int8, "int8_weight_bits", lambda: 7)
    assert export_key(path, revision=None, quantize="int8", opset=17) != eight
    assert export_key(path, revision=None, quantize=None, opset=17) == fp32
