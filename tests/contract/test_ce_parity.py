"""Parity of CrossEncoderScorer with the reference implementations, fp32, max abs diff <= 1e-5.

- transformers' ``pipeline("zero-shot-classification")`` for score_labels (NLI heads, 2 and 3 labels);
- sentence-transformers' ``CrossEncoder.predict`` for score_pairs (1-logit relevance and 3-label heads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from contract_data import HYPOTHESES, NLI2, NLI3, REL1, TEXTS

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOL = 1e-5
LABELS = ["sports", "politics", "music", "business"]
TEMPLATES = ["This example is {}.", "The topic of this text is {}!"]
PIPELINE_TEXTS = [t for t in TEXTS if t]  # the pipeline refuses empty sequences

# Label orders the pipeline gets right: its multi_label / single-label branch takes contradiction_id =
# (-1 if entailment_id == 0 else 0), a position. That is the real contradiction (or not_entailment) output
# for {0:c,1:e,2:n}, {0:e,1:n,2:c} and both 2-way orders, but NOT for {0:n,1:c,2:e} ("nce"), where it
# reads "neutral" (index 0). entailkit reads the contradiction index from id2label instead; see
# test_pipeline_positional_contradiction_differs below.
PIPELINE_EXACT = [m for m in NLI3 if not m.endswith("nce")] + NLI2


_PIPELINES: dict[str, Any] = {}


def zero_shot_pipeline(path: Path) -> Any:
    key = str(path)
    if key not in _PIPELINES:
        _PIPELINES[key] = transformers.pipeline(
            "zero-shot-classification", model=key, tokenizer=key, device=-1, dtype=torch.float32
        )
        assert next(_PIPELINES[key].model.parameters()).dtype == torch.float32
    return _PIPELINES[key]


def pipeline_scores(
    path: Path, texts: Sequence[str], labels: Sequence[Sequence[str]], template: str, multi_label: bool
) -> list[dict[str, float]]:
    """The reference: the pipeline called once per text with that text's labels."""
    pipe = zero_shot_pipeline(path)
    out = []
    for text, ls in zip(texts, labels, strict=True):
        res = pipe(text, candidate_labels=list(ls), hypothesis_template=template, multi_label=multi_label)
        out.append(dict(zip(res["labels"], res["scores"], strict=True)))
    return out


def assert_label_scores_close(ours: Any, ref: list[dict[str, float]], labels: Sequence[Sequence[str]]) -> None:
    assert len(ours) == len(ref)
    worst = 0.0
    for item, ref_scores, ls in zip(ours, ref, labels, strict=True):
        assert list(item.labels) == list(ls), "labels must come back in the order given"
        for label, score in item.as_dict().items():
            worst = max(worst, abs(score - ref_scores[label]))
    assert worst <= TOL, f"max abs diff {worst:.3g} > {TOL}"


@pytest.mark.parametrize("name", PIPELINE_EXACT)
@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_pipeline_parity_shared_labels(
    name: str, multi_label: bool, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    scorer = load_tiny(name)
    for template in TEMPLATES:
        ours = scorer.score_labels(PIPELINE_TEXTS, LABELS, hypothesis_template=template, multi_label=multi_label)
        labels = [LABELS] * len(PIPELINE_TEXTS)
        ref = pipeline_scores(tiny_models[name], PIPELINE_TEXTS, labels, template, multi_label)
        assert_label_scores_close(ours, ref, labels)
        assert all(item.multi_label is multi_label for item in ours)


@pytest.mark.parametrize("name", PIPELINE_EXACT)
@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_pipeline_parity_single_label(
    name: str, multi_label: bool, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    # One candidate label: the pipeline uses entailment vs contradiction whatever multi_label says.
    scorer = load_tiny(name)
    ours = scorer.score_labels(PIPELINE_TEXTS, ["music"], multi_label=multi_label)
    labels = [["music"]] * len(PIPELINE_TEXTS)
    ref = pipeline_scores(tiny_models[name], PIPELINE_TEXTS, labels, "This example is {}.", multi_label)
    assert_label_scores_close(ours, ref, labels)


PER_TEXT_LABELS = [
    ["sports", "politics", "music"],
    ["business"],  # a single label among multi-label texts: still entailment vs contradiction
    ["world", "science"],
    ["health", "food", "travel", "weather"],
    ["billing", "refund request"],
    ["technology"],
]


@pytest.mark.parametrize("name", PIPELINE_EXACT)
@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_pipeline_parity_per_text_labels(
    name: str, multi_label: bool, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    texts = PIPELINE_TEXTS[: len(PER_TEXT_LABELS)]
    ours = load_tiny(name).score_labels(texts, PER_TEXT_LABELS, multi_label=multi_label)
    ref = pipeline_scores(tiny_models[name], texts, PER_TEXT_LABELS, "This example is {}.", multi_label)
    assert_label_scores_close(ours, ref, PER_TEXT_LABELS)


@pytest.mark.parametrize("name", ["bert-nli3-nce", "deberta-nli3-nce"])
def test_pipeline_positional_contradiction_differs(
    name: str, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    """id2label {0: neutral, 1: contradiction, 2: entailment}: a deliberate difference from the pipeline.

    With multi_label=True the pipeline softmaxes logits[[0, 2]] = (neutral, entailment) because it
    assumes contradiction is index 0 whenever entailment is not; entailkit softmaxes the real
    (contradiction=1, entailment=2). The multi_label=False softmax over entailment logits is unaffected.
    """
    scorer = load_tiny(name)
    assert scorer.info.label_map == {"entailment": 2, "neutral": 0, "contradiction": 1}
    texts = PIPELINE_TEXTS
    labels = [LABELS] * len(texts)

    # Softmax over labels reads only the entailment logit: identical to the pipeline.
    ours = scorer.score_labels(texts, LABELS, multi_label=False)
    assert_label_scores_close(
        ours, pipeline_scores(tiny_models[name], texts, labels, "This example is {}.", False), labels
    )

    # multi_label: ours = softmax over (true contradiction, entailment) logits of each (text, label) pair.
    ours = scorer.score_labels(texts, LABELS, multi_label=True)
    pairs = scorer.score_pairs(
        [t for t in texts for _ in LABELS], [f"This example is {label}." for _ in texts for label in LABELS]
    )
    logits = np.array([item.logits for item in pairs], dtype=np.float64)
    expected = 1.0 / (1.0 + np.exp(logits[:, 1] - logits[:, 2]))
    got = np.array([s for item in ours for s in item.scores])
    assert np.max(np.abs(got - expected)) <= TOL
    # ... and the pipeline's positional (neutral, entailment) pair gives other numbers.
    ref = pipeline_scores(tiny_models[name], texts, labels, "This example is {}.", True)
    ref_flat = np.array([ref[i][label] for i in range(len(texts)) for label in LABELS])
    positional = 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 2]))
    assert np.max(np.abs(ref_flat - positional)) <= TOL
    assert np.max(np.abs(ref_flat - got)) > 1e-3


# --- sentence-transformers CrossEncoder -------------------------------------------------------------

_CROSS_ENCODERS: dict[str, Any] = {}


def st_cross_encoder(path: Path) -> Any:
    st = pytest.importorskip("sentence_transformers")
    key = str(path)
    if key not in _CROSS_ENCODERS:
        model = st.CrossEncoder(key, device="cpu", model_kwargs={"dtype": torch.float32})
        assert next(model.model.parameters()).dtype == torch.float32
        _CROSS_ENCODERS[key] = model
    return _CROSS_ENCODERS[key]


@pytest.mark.parametrize("name", REL1)
def test_relevance_head_matches_sentence_transformers(
    name: str, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    passages, queries = TEXTS, HYPOTHESES
    ours = load_tiny(name).score_pairs(passages, queries)  # premise = passage, hypothesis = query
    assert ours.head == "relevance"
    # sentence-transformers is fed (query, passage) and applies a sigmoid to 1-logit heads.
    ref = st_cross_encoder(tiny_models[name]).predict(list(zip(queries, passages, strict=True)))
    got = np.array(ours.scores)
    assert np.max(np.abs(got - ref)) <= TOL
    assert np.max(np.abs(np.array([i.relevance for i in ours]) - ref)) <= TOL
    # the logit is the raw model output: sigmoid(logit) == score
    logits = np.array([i.logits[0] for i in ours])
    assert np.max(np.abs(1 / (1 + np.exp(-logits)) - got)) <= TOL
    # feeding (passage, query) would be a different input: make sure the order test can tell
    swapped = st_cross_encoder(tiny_models[name]).predict(list(zip(passages, queries, strict=True)))
    assert np.max(np.abs(swapped - ref)) > 1e-4


@pytest.mark.parametrize("name", NLI3)
def test_nli3_logits_match_sentence_transformers(
    name: str, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    scorer = load_tiny(name)
    ours = scorer.score_pairs(TEXTS, HYPOTHESES)
    # sentence-transformers returns raw logits for multi-label heads, fed (premise, hypothesis).
    ref = st_cross_encoder(tiny_models[name]).predict(list(zip(TEXTS, HYPOTHESES, strict=True)))
    logits = np.array([item.logits for item in ours])
    assert logits.shape == ref.shape == (len(TEXTS), 3)
    assert np.max(np.abs(logits - ref)) <= TOL
    z = np.exp(ref - ref.max(axis=1, keepdims=True))
    probs = z / z.sum(axis=1, keepdims=True)
    lm = scorer.info.label_map
    for role in ("entailment", "neutral", "contradiction"):
        got = np.array([getattr(item, role) for item in ours])
        assert np.max(np.abs(got - probs[:, lm[role]])) <= TOL, role
    assert np.max(np.abs(np.array(ours.scores) - probs[:, lm["entailment"]])) <= TOL


@pytest.mark.parametrize("name", NLI3[:3])
def test_entailment_vs_contradiction_normalization(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    lm = scorer.info.label_map
    ours = scorer.score_pairs(TEXTS, HYPOTHESES, normalization="entailment_vs_contradiction")
    assert ours.normalization == "entailment_vs_contradiction"
    logits = np.array([item.logits for item in ours], dtype=np.float64)
    expected = 1 / (1 + np.exp(logits[:, lm["contradiction"]] - logits[:, lm["entailment"]]))
    assert np.max(np.abs(np.array(ours.scores) - expected)) <= TOL
    for item in ours:
        assert item.contradiction is not None and abs(item.entailment + item.contradiction - 1) <= 1e-6


@pytest.mark.parametrize("name", NLI2)
def test_nli2_logits_match_sentence_transformers(
    name: str, tiny_models: dict[str, Path], load_tiny: Callable[..., Any]
) -> None:
    scorer = load_tiny(name)
    ours = scorer.score_pairs(TEXTS, HYPOTHESES)
    ref = st_cross_encoder(tiny_models[name]).predict(list(zip(TEXTS, HYPOTHESES, strict=True)))
    assert np.max(np.abs(np.array([item.logits for item in ours]) - ref)) <= TOL
    ent = scorer.info.label_map["entailment"]
    z = np.exp(ref - ref.max(axis=1, keepdims=True))
    assert np.max(np.abs(np.array(ours.scores) - (z / z.sum(axis=1, keepdims=True))[:, ent])) <= TOL


# --- the real SICK model -------------------------------------------------------------------------------


@pytest.mark.real
@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_pipeline_parity_sick(multi_label: bool, sick_model_path: Path) -> None:
    from entailkit import load_scorer

    scorer = load_scorer(sick_model_path, device="cpu")
    assert scorer.info.dtype == "float32"
    texts = ["A man is playing guitar.", "A woman is slicing an onion.", "Two dogs are running in the snow."]
    labels = ["music", "cooking", "animals", "sports"]
    for template in TEMPLATES[:1]:
        ours = scorer.score_labels(texts, labels, hypothesis_template=template, multi_label=multi_label)
        ref = pipeline_scores(sick_model_path, texts, [labels] * len(texts), template, multi_label)
        assert_label_scores_close(ours, ref, [labels] * len(texts))
    ours = scorer.score_labels(texts, PER_TEXT_LABELS[:3], multi_label=multi_label)
    ref = pipeline_scores(sick_model_path, texts, PER_TEXT_LABELS[:3], "This example is {}.", multi_label)
    assert_label_scores_close(ours, ref, PER_TEXT_LABELS[:3])
