"""GLiClassScorer equals gliclass's own pipelines (fp32, within 1e-5) on ModernBERT and DeBERTa-v3 backbones.

The method of ``test_gliclass_parity.py`` (and its helpers) on the backbones of knowledgator's released
checkpoints (``fixtures.tiny_gliclass.tiny_gliclass_backbone_path``), with English and multilingual texts:

- ``modernbert``: like gliclass-modern-base-v2.0: ModernBERT (rotary positions, global and sliding-window
  attention), a byte-level BPE tokenizer, labels first, first-token pooling, dot scorer;
- ``modernbert-text-first-mlp``: the text first, an MLP scorer and averaged label tokens;
- ``deberta-v3``: like gliclass-base-v1.0 (the RAC models' backbone too): DeBERTa-v3's relative attention,
  a Unigram ``DebertaV2Tokenizer`` with DeBERTa-v3's ids, the text first;
- ``deberta-v3-labels-first-weighted-dot``: labels first, a weighted-dot scorer.

Modes: multi-label (sigmoid) and single-label (softmax); shared and per-text labels; RAC and few-shot
examples; label chunks (gliclass's chunking pipeline). Texts longer than a pass: each label's score is
what gliclass's pipeline gives its best window's text (windows are cut between words).
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("gliclass")

from test_gliclass_parity import EXAMPLES, TOL, _assert_close, _rac_inputs
from test_gliclass_parity import LABELS as ENGLISH_LABELS
from test_gliclass_parity import TEXTS as ENGLISH_TEXTS

from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.types import LabelledExample
from fixtures.tiny_gliclass import (
    GLICLASS_BACKBONES,
    reference_pipeline,
    reference_scores,
    tiny_gliclass_backbone_path,
    tiny_gliclass_path,
)
from fixtures.tiny_multilingual import multilingual_text

VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "modernbert": ("modernbert", {}),
    "modernbert-text-first-mlp": (
        "modernbert",
        {"prompt_first": False, "scorer_type": "mlp", "class_token_pooling": "average"},
    ),
    "deberta-v3": ("deberta-v3", {}),
    "deberta-v3-labels-first-weighted-dot": ("deberta-v3", {"prompt_first": True, "scorer_type": "weighted-dot"}),
}
TEXTS = [
    *ENGLISH_TEXTS[:3],
    "Le professeur lit un livre à la maison, près de la rivière.",
    "Молодая женщина пьёт кофе утром на вокзале.",
    "我们的队伍在公园里踢足球。",
    "المعلم يقرأ كتابا في الحديقة.",
    "Der alte Mann kauft frisches Brot am Bahnhof.",
    "若い女性は駅でニュースを見ます。",
]
LABELS = [*ENGLISH_LABELS[:3], "politique", "体育", "погода"]
PER_TEXT_LABELS = [LABELS[i % 3 : i % 3 + 2 + i % 4] for i in range(len(TEXTS))]
MULTILINGUAL_EXAMPLES = [
    LabelledExample(text="Наша команда играет в футбол.", true_labels=("sports",), all_labels=("sports", "погода")),
    LabelledExample(text="我们的队伍在公园里踢足球。", true_labels=("体育",), all_labels=("体育", "business")),
]


def _path(variant: str) -> Any:
    backbone, options = VARIANTS[variant]
    return tiny_gliclass_backbone_path(backbone, **options)


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def pair(request: pytest.FixtureRequest) -> dict[str, Any]:
    path = _path(request.param)
    rac = GLiClassScorer.from_pretrained(str(path), batch_size=3)
    return {
        "variant": request.param,
        "rac": rac,
        "fewshot": GLiClassScorer.from_pretrained(str(path), batch_size=3, example_format="fewshot"),
        "pipe": reference_pipeline(path, max_length=rac.info.max_length),
    }


def test_backbone_and_options_are_the_released_models(pair: dict[str, Any]) -> None:
    backbone, options = VARIANTS[pair["variant"]]
    model = pair["rac"].model
    encoder = type(model.model.encoder_model).__name__
    assert encoder == {"modernbert": "ModernBertModel", "deberta-v3": "DebertaV2Model"}[backbone]
    assert pair["rac"].prompt_first is options.get("prompt_first", backbone == "modernbert")
    assert model.config.scorer_type == options.get("scorer_type", "simple")
    assert model.config.pooling_strategy == "first"
    tokenizer = pair["rac"].tokenizer
    if backbone == "deberta-v3":
        assert type(tokenizer).__name__ == "DebertaV2Tokenizer"
        assert model.model.encoder_model.config.position_buckets == 256
        assert not model.model.encoder_model.config.position_biased_input
    else:
        assert model.model.encoder_model.config.global_attn_every_n_layers == 3


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_without_examples(pair: dict[str, Any], multi_label: bool) -> None:
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label)
    _assert_close(ours, ref, [LABELS] * len(TEXTS))
    for item in ours:
        assert max(item.scores) - min(item.scores) > 1e-3, "scores must differ between labels"


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_per_text_labels(pair: dict[str, Any], multi_label: bool) -> None:
    ours = pair["rac"].score_labels(TEXTS, PER_TEXT_LABELS, multi_label=multi_label)
    ref = reference_scores(pair["pipe"], TEXTS, PER_TEXT_LABELS, multi_label)
    _assert_close(ours, ref, PER_TEXT_LABELS)


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_rac_examples(pair: dict[str, Any], multi_label: bool) -> None:
    ours_examples, their_examples = _rac_inputs([*EXAMPLES, *MULTILINGUAL_EXAMPLES])
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=ours_examples)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, rac_examples=[their_examples] * len(TEXTS))
    _assert_close(ours, ref, [LABELS] * len(TEXTS))
    plain = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label)
    moved = max(abs(a - b) for o, p in zip(ours, plain, strict=True) for a, b in zip(o.scores, p.scores, strict=True))
    assert moved > 1e-4, "the examples must change the scores for the parity to mean something"


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_per_text_rac_examples(pair: dict[str, Any], multi_label: bool) -> None:
    pool = [*MULTILINGUAL_EXAMPLES, *EXAMPLES]
    per_text = [_rac_inputs(pool[: i % 4]) for i in range(len(TEXTS))]
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=[o for o, _ in per_text])
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, rac_examples=[t for _, t in per_text])
    _assert_close(ours, ref, [LABELS] * len(TEXTS))


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_fewshot_examples(pair: dict[str, Any], multi_label: bool) -> None:
    examples = [*EXAMPLES, *MULTILINGUAL_EXAMPLES]
    dict_examples = [{"text": e.text, "true_labels": list(e.true_labels)} for e in examples]
    ours = pair["fewshot"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=examples)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, examples=dict_examples)
    _assert_close(ours, ref, [LABELS] * len(TEXTS))


@pytest.mark.parametrize("backbone", GLICLASS_BACKBONES)
@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_label_chunks_equal_gliclass_chunking_pipeline(backbone: str, multi_label: bool) -> None:
    """Labels split 3 + 3 + 2: the same scores as gliclass's ZeroShotClassificationWithChunkingPipeline."""
    path = tiny_gliclass_backbone_path(backbone)
    labels = [*LABELS, "Musik", "travel"]
    scorer = GLiClassScorer.from_pretrained(str(path), max_labels_per_pass=3)
    ours = scorer.score_labels(TEXTS, labels, multi_label=multi_label)
    ref = reference_scores(reference_pipeline(path, chunk_labels=3), TEXTS, labels, multi_label)
    _assert_close(ours, ref, [labels] * len(TEXTS))


# -- texts longer than a pass: windows cut between words, each one the tokens of its own text ----------

WINDOWED = {
    **{variant: lambda v=variant: _path(v) for variant in VARIANTS},
    # The BERT uni-encoders of test_gliclass_parity.py: WordPiece, SentencePiece-style and byte-level BPE.
    "bert-wordpiece": lambda: tiny_gliclass_path(),
    "bert-unigram": lambda: tiny_gliclass_path(tokenizer_kind="unigram", max_position_embeddings=512),
    "bert-bpe-prompt-first": lambda: tiny_gliclass_path(
        tokenizer_kind="bpe", prompt_first=True, max_position_embeddings=512
    ),
}


@pytest.mark.parametrize("model", list(WINDOWED))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_window_scores_are_gliclass_scores_of_the_window_texts(model: str, seed: int) -> None:
    """A label's score is gliclass's score for that label on its best window's text, and no other best
    window scores the label higher. (Windows cut inside words used to read pieces the tokenizer never
    gives for the window's text, e.g. a SentencePiece piece without its "▁": up to 0.5 off.)"""
    path = WINDOWED[model]()
    scorer = GLiClassScorer.from_pretrained(str(path))
    text = multilingual_text(40, seed=seed)
    assert scorer.count_tokens([text])[0] > scorer.info.max_length
    pairs = scorer.score_pairs([text] * len(LABELS), LABELS)
    windows = [item.window for item in pairs]
    assert all(item.num_windows > 1 and w is not None for item, w in zip(pairs, windows, strict=True))
    ref = reference_scores(
        reference_pipeline(path, max_length=scorer.info.max_length),
        [text[w[0] : w[1]] for w in windows if w],
        LABELS,
        True,
    )
    for j, (label, item) in enumerate(zip(LABELS, pairs, strict=True)):
        assert ref[j][label] == pytest.approx(item.score, abs=TOL), label
        assert all(other[label] <= item.score + TOL for other in ref), label
