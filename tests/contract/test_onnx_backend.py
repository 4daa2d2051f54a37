"""ONNX Runtime backend: parity with the torch scorer, int8, the export cache, and clear errors."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from entailkit import load_scorer
from entailkit.errors import InvalidInputError, MissingDependencyError, ModelLoadError
from entailkit.scorers.onnx_export import export_key

PREMISES = [
    "A man is playing a guitar in the park.",
    "The company sells software to banks.",
    " ".join(["the team wins the match in the stadium today"] * 30),  # longer than 128 tokens: windows
    "Nobody eats.",
]
HYPOTHESES = ["A person plays music.", "The bank buys a program.", "The team wins.", "Someone eats an apple."]


def _logits(scorer: object, premises: list[str], hypotheses: list[str]) -> np.ndarray:
    scores = scorer.score_pairs(premises, hypotheses)  # type: ignore[attr-defined]
    return np.array([item.logits for item in scores.items])


@pytest.mark.parametrize("name", ["bert-rel1", "bert-nli2-ent1", "bert-nli3-nce", "deberta-nli3-cen"])
def test_onnx_fp32_matches_torch(name: str, tiny_models: dict[str, Path], onnx_cache: Path) -> None:
    torch_scorer = load_scorer(tiny_models[name], device="cpu")
    onnx_scorer = load_scorer(tiny_models[name], backend="onnx")
    assert type(onnx_scorer).__name__ == "OnnxCrossEncoderScorer"
    assert onnx_scorer.info.dtype == "onnx-float32" and onnx_scorer.info.head == torch_scorer.info.head
    ref = torch_scorer.score_pairs(PREMISES, HYPOTHESES)
    got = onnx_scorer.score_pairs(PREMISES, HYPOTHESES)
    np.testing.assert_allclose(
        _logits(onnx_scorer, PREMISES, HYPOTHESES), _logits(torch_scorer, PREMISES, HYPOTHESES), atol=1e-4
    )
    assert [i.num_windows for i in got.items] == [i.num_windows for i in ref.items]
    assert got.items[2].num_windows > 1
    np.testing.assert_allclose([i.score for i in got.items], [i.score for i in ref.items], atol=1e-4)
    if torch_scorer.info.head != "relevance":
        labels = ["sports", "business", "music"]
        ref_labels = torch_scorer.score_labels(PREMISES, labels)
        got_labels = onnx_scorer.score_labels(PREMISES, labels)
        for a, b in zip(got_labels.items, ref_labels.items, strict=True):
            np.testing.assert_allclose(a.scores, b.scores, atol=1e-4)
    assert onnx_scorer.score_pairs([], []).items == ()


def test_int8_runs_close_and_cache_is_reused(tiny_models: dict[str, Path], onnx_cache: Path) -> None:
    path = tiny_models["bert-nli3-cen"]
    fp32 = load_scorer(path, backend="onnx")
    int8 = load_scorer(path, backend="onnx", quantize="int8")
    assert int8.info.dtype == "onnx-int8"
    assert int8.runner.path != fp32.runner.path  # type: ignore[attr-defined]
    assert int8.runner.path.stat().st_size < fp32.runner.path.stat().st_size  # type: ignore[attr-defined]
    a, b = _logits(fp32, PREMISES, HYPOTHESES), _logits(int8, PREMISES, HYPOTHESES)
    assert np.all(np.isfinite(b)) and not np.array_equal(a, b)
    assert np.abs(a - b).max() < 0.25 * max(1.0, float(np.abs(a).max()))
    exports = sorted(p.name for p in onnx_cache.iterdir() if not p.name.startswith("."))
    mtime = fp32.runner.path.stat().st_mtime_ns  # type: ignore[attr-defined]
    again = load_scorer(path, backend="onnx")
    assert again.runner.path == fp32.runner.path  # type: ignore[attr-defined]
    assert again.runner.path.stat().st_mtime_ns == mtime  # type: ignore[attr-defined]
    assert sorted(p.name for p in onnx_cache.iterdir() if not p.name.startswith(".")) == exports


def test_cache_key_follows_weights_and_options(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    copy = shutil.copytree(tiny_models["bert-nli3-cen"], tmp_path / "copy")
    base = export_key(copy, revision=None, quantize=None, opset=17)
    assert export_key(copy, revision=None, quantize="int8", opset=17) != base
    assert export_key(copy, revision="abc", quantize=None, opset=17) != base
    weights = next(copy.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert export_key(copy, revision=None, quantize=None, opset=17) != base


def test_onnx_errors(tiny_models: dict[str, Path], onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tiny_models["bert-nli3-cen"]
    with pytest.raises(InvalidInputError, match="backend"):
        load_scorer(path, backend="tensorrt")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="needs backend='onnx'"):
        load_scorer(path, quantize="int8")
    with pytest.raises(InvalidInputError, match="quantize"):
        load_scorer(path, backend="onnx", quantize="int4")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="cross-encoders only"):
        load_scorer(tiny_models["bert-embed"], backend="onnx")
    with pytest.raises(ModelLoadError, match="float32"):
        load_scorer(path, backend="onnx", dtype="float16")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r"entailkit\[onnx\]"):
        load_scorer(path, backend="onnx")
