"""GLiClassScorer equals gliclass's own pipelines (fp32, within 1e-5) wherever the input fits.

Model variants: the default uni-encoder (text first), ``prompt_first`` (labels first), a
``weighted-dot`` scorer head, and SentencePiece-style (unigram) and byte-level BPE tokenizers; modes: multi-label (sigmoid) and single-label (softmax); without
examples, with RAC examples (``rac_examples=``) and with few-shot examples (``examples=``).
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("gliclass")

from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.types import LabelledExample
from fixtures.tiny_gliclass import reference_pipeline, reference_scores, tiny_gliclass_path

TOL = 1e-5
TEXTS = [
    "The match ended with a late goal and the team won the league.",
    "Stocks fell as the central bank raised interest rates again.",
    "Rain is expected.",
    "The new phone has a faster chip and a better camera, and the film won three awards including best director.",
    "A billing error charged my card twice for one order.",
]
LABELS = ["sports", "business", "weather", "technology", "the senate and politics"]
VARIANTS = {
    "default": {},
    "prompt-first": {"prompt_first": True},
    "weighted-dot": {"scorer_type": "weighted-dot"},
    # A 400-word vocabulary cuts unseen words into many pieces: these need room for the RAC examples.
    "unigram-tokenizer": {"tokenizer_kind": "unigram", "max_position_embeddings": 512},
    "bpe-tokenizer-prompt-first": {"tokenizer_kind": "bpe", "prompt_first": True, "max_position_embeddings": 512},
}


def _false_first_order(true: list[str], all_labels: list[str]) -> list[str]:
    """all_labels ordered as gliclass renders the false ones (set order of this process), true first."""
    return true + list(set(all_labels) - set(true))


EXAMPLES = [
    LabelledExample(
        text="The coach praised the players after the football game.",
        true_labels=("sports",),
        all_labels=tuple(_false_first_order(["sports"], ["sports", "business", "weather"])),
    ),
    LabelledExample(text="Shares of the software company rose.", true_labels=("business",), all_labels=("business",)),
    LabelledExample(
        text="Scientists found water ice on the moon.",
        true_labels=("technology",),
        all_labels=("technology", "weather"),
    ),
]


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def pair(request: pytest.FixtureRequest) -> dict[str, Any]:
    path = tiny_gliclass_path(**VARIANTS[request.param])
    rac = GLiClassScorer.from_pretrained(str(path), batch_size=3)
    return {
        "rac": rac,
        "fewshot": GLiClassScorer.from_pretrained(str(path), batch_size=3, example_format="fewshot"),
        "pipe": reference_pipeline(path, max_length=rac.info.max_length),
    }


def _assert_close(ours: Any, ref: list[dict[str, float]], labels_per_text: list[list[str]]) -> None:
    assert len(ours) == len(ref)
    for item, expected, labels in zip(ours, ref, labels_per_text, strict=True):
        assert list(item.labels) == labels
        got = item.as_dict()
        assert set(expected) == set(labels)
        for label in labels:
            assert got[label] == pytest.approx(expected[label], abs=TOL), label


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_without_examples(pair: dict[str, Any], multi_label: bool) -> None:
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label)
    _assert_close(ours, ref, [LABELS] * len(TEXTS))
    spread = max(ours[0].scores) - min(ours[0].scores)
    assert spread > 1e-3, "scores must differ between labels for the parity to mean something"


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_per_text_labels(pair: dict[str, Any], multi_label: bool) -> None:
    per_text = [LABELS[: 2 + i % 3] for i in range(len(TEXTS))]
    ours = pair["rac"].score_labels(TEXTS, per_text, multi_label=multi_label)
    ref = reference_scores(pair["pipe"], TEXTS, per_text, multi_label)
    _assert_close(ours, ref, per_text)


@pytest.mark.xfail(reason="known open defect (issue 3): RAC example rendering differs from gliclass's pipeline", strict=False)
@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_rac_examples(pair: dict[str, Any], multi_label: bool) -> None:
    dict_examples = [e.model_dump() for e in EXAMPLES]
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=dict_examples)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, rac_examples=[dict_examples] * len(TEXTS))
    _assert_close(ours, ref, [LABELS] * len(TEXTS))
    plain = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label)
    assert any(abs(a - b) > 1e-4 for a, b in zip(ours[0].scores, plain[0].scores, strict=True))


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_per_text_rac_examples(pair: dict[str, Any], multi_label: bool) -> None:
    per_text = [[e.model_dump() for e in EXAMPLES[: i % 3]] for i in range(len(TEXTS))]
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=per_text)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, rac_examples=per_text)
    _assert_close(ours, ref, [LABELS] * len(TEXTS))


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_fewshot_examples(pair: dict[str, Any], multi_label: bool) -> None:
    dict_examples = [{"text": e.text, "true_labels": list(e.true_labels)} for e in EXAMPLES]
    ours = pair["fewshot"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=EXAMPLES)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, examples=dict_examples)
    _assert_close(ours, ref, [LABELS] * len(TEXTS))


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_label_chunks_equal_gliclass_chunking_pipeline(multi_label: bool) -> None:
    """Labels split 3 + 3 + 2: same scores as gliclass's ZeroShotClassificationWithChunkingPipeline."""
    path = tiny_gliclass_path()
    labels = [*LABELS, "health", "music", "travel"]
    scorer = GLiClassScorer.from_pretrained(str(path), max_labels_per_pass=3)
    ours = scorer.score_labels(TEXTS, labels, multi_label=multi_label)
    ref = reference_scores(reference_pipeline(path, chunk_labels=3), TEXTS, labels, multi_label)
    _assert_close(ours, ref, [labels] * len(TEXTS))
