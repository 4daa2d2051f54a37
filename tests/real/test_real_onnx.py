"""The ONNX backend on the real SICK cross-encoder: fp32 parity with torch, int8 agreement, fp32 by default."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.real

pytest.importorskip("onnxruntime")


def _sick_test(shared_dir: Path, n: int) -> tuple[list[str], list[str], np.ndarray]:
    path = shared_dir / "data" / "sick" / "SICK.txt"
    if not path.is_file():
        pytest.skip(f"SICK absent: {path}")
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["SemEval_set"] == "TEST"][:n]
    labels = np.array([r["entailment_label"].lower() for r in rows])
    return [r["sentence_A"] for r in rows], [r["sentence_B"] for r in rows], labels


def test_sick_onnx_fp32_matches_torch_and_int8_agrees(
    sick_model_path: Path, shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entailkit import load_scorer

    monkeypatch.setenv("ENTAILKIT_CACHE_DIR", str(tmp_path))
    premises, hypotheses, gold = _sick_test(shared_dir, 96)
    torch_scorer = load_scorer(sick_model_path, device="cpu")
    assert torch_scorer.info.dtype == "float32"  # stored float16, runs float32 on CPU by default
    fp32 = load_scorer(sick_model_path, backend="onnx")
    int8 = load_scorer(sick_model_path, backend="onnx", quantize="int8")
    ref = torch_scorer.score_pairs(premises, hypotheses)
    got = fp32.score_pairs(premises, hypotheses)
    q = int8.score_pairs(premises, hypotheses)
    ref_logits = np.array([i.logits for i in ref.items])
    np.testing.assert_allclose(np.array([i.logits for i in got.items]), ref_logits, atol=1e-4)
    np.testing.assert_allclose([i.score for i in got.items], [i.score for i in ref.items], atol=1e-4)
    id2label = torch_scorer.info.id2label
    predicted = np.array([id2label[int(k)] for k in ref_logits.argmax(axis=1)])
    q_predicted = np.array([id2label[int(k)] for k in np.array([i.logits for i in q.items]).argmax(axis=1)])
    assert (predicted == gold).mean() > 0.75  # the checkpoint scores 0.855 on all of SICK TEST
    assert (q_predicted == predicted).mean() >= 0.9
    assert abs((q_predicted == gold).mean() - (predicted == gold).mean()) <= 0.05
