"""Parity of the XLM-R, ModernBERT and DeBERTa-v3 cross-encoders with the reference implementations, fp32, 1e-5.

The method of ``test_ce_parity.py`` (and its helpers), on multilingual text:

- sentence-transformers' ``CrossEncoder.predict``: raw logits for every head (1, 2 and 3 labels); a
  relevance model is fed (query, passage), an NLI model (premise, hypothesis); for a premise longer than
  a pass, the logits of its best window's text;
- transformers' ``pipeline("zero-shot-classification")`` for ``score_labels`` on the 2- and 3-label heads,
  shared and per-text labels, single- and multi-label, English and non-English templates. The
  {0: neutral, 1: contradiction, 2: entailment} heads ("nce") differ on purpose where the pipeline reads
  contradiction from a position (see ``test_ce_parity.test_pipeline_positional_contradiction_differs``).

And the DeBERTa-v3 tokenizer loads through ``AutoTokenizer`` as transformers loads microsoft/deberta-v3-*'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_ce_parity import TOL, assert_label_scores_close, pipeline_scores, st_cross_encoder

from fixtures.tiny_multilingual import DEBERTA_V3, MODERNBERT, XLMR, multilingual_text

torch = pytest.importorskip("torch")

NAMES = XLMR + MODERNBERT + DEBERTA_V3
REL1 = [n for n in NAMES if n.endswith("rel1")]
NLI = [n for n in NAMES if "-nli" in n]
PIPELINE_EXACT = [n for n in NLI if not n.endswith("nce")]
NCE = [n for n in NLI if n.endswith("nce")]

PREMISES = [
    "A man is playing guitar in the park.",
    "Le professeur lit un livre à la maison, près de la rivière.",
    "Молодая женщина пьёт кофе утром на вокзале.",
    "我们的队伍在公园里踢足球。",
    "المعلم يقرأ كتابا في الحديقة.",
    "Der alte Mann kauft frisches Brot am Bahnhof.",
    "若い女性は駅でニュースを見ます。",
    "ＦＵＬＬ-width letters, the ﬁne print and a café in Kraków.",
    "",
]
HYPOTHESES = [
    "A person plays music.",
    "Le professeur lit.",
    "спорт",
    "体育",
    "سياسة",
    "Die Nachrichten sind gut.",
    "",
    "Ο καιρός είναι καλός.",
    "मौसम",
]
TEXTS = [p for p in PREMISES if p]  # the pipeline refuses empty sequences
LABELS = ["sports", "politique", "Musik", "体育", "погода"]
TEMPLATES = ["This example is {}.", "Dieser Text handelt von {}.", "这段文字是关于{}的。"]
PER_TEXT_LABELS = [
    ["sports", "politics", "music"],
    ["santé"],  # one label among several-label texts: entailment vs contradiction
    ["спорт", "политика"],
    ["体育", "政治", "音乐", "天气"],
    ["رياضة", "سياسة"],
    ["Sport", "Wirtschaft", "Reisen"],
    ["スポーツ"],
    ["billing", "refund request"],
]


@pytest.fixture(scope="module")
def load(tiny_multilingual_models: dict[str, Path]) -> Callable[[str], Any]:
    from entailkit import load_scorer

    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            cache[name] = load_scorer(tiny_multilingual_models[name], device="cpu")
            assert cache[name].info.dtype == "float32"
        return cache[name]

    return get


# --- sentence-transformers CrossEncoder -----------------------------------------------------------------


@pytest.mark.parametrize("name", REL1)
def test_relevance_logits_match_sentence_transformers(
    name: str, tiny_multilingual_models: dict[str, Path], load: Callable[[str], Any]
) -> None:
    ours = load(name).score_pairs(PREMISES, HYPOTHESES)  # premise = passage, hypothesis = query
    assert ours.head == "relevance"
    model = st_cross_encoder(tiny_multilingual_models[name])
    queries_first = list(zip(HYPOTHESES, PREMISES, strict=True))
    raw = model.predict(queries_first, activation_fn=torch.nn.Identity())
    logits = np.array([item.logits[0] for item in ours])
    assert np.max(np.abs(logits - raw)) <= TOL
    # sentence-transformers' default for a 1-logit head is a sigmoid: our score
    assert np.max(np.abs(np.array(ours.scores) - model.predict(queries_first))) <= TOL
    # (passage, query) is another input: the comparison above can tell the order
    swapped = model.predict(list(zip(PREMISES, HYPOTHESES, strict=True)), activation_fn=torch.nn.Identity())
    assert np.max(np.abs(swapped - raw)) > 1e-4


@pytest.mark.parametrize("name", NLI)
def test_nli_logits_match_sentence_transformers(
    name: str, tiny_multilingual_models: dict[str, Path], load: Callable[[str], Any]
) -> None:
    scorer = load(name)
    ours = scorer.score_pairs(PREMISES, HYPOTHESES)
    ref = st_cross_encoder(tiny_multilingual_models[name]).predict(
        list(zip(PREMISES, HYPOTHESES, strict=True)), activation_fn=torch.nn.Identity()
    )
    logits = np.array([item.logits for item in ours])
    width = 3 if scorer.info.head == "nli3" else 2
    assert logits.shape == ref.shape == (len(PREMISES), width)
    assert np.max(np.abs(logits - ref)) <= TOL
    z = np.exp(ref - ref.max(axis=1, keepdims=True))
    probs = z / z.sum(axis=1, keepdims=True)
    assert np.max(np.abs(np.array(ours.scores) - probs[:, scorer.info.label_map["entailment"]])) <= TOL


@pytest.mark.parametrize("name", NAMES)
def test_window_logits_match_sentence_transformers_on_the_window_text(
    name: str, tiny_multilingual_models: dict[str, Path], load: Callable[[str], Any]
) -> None:
    """A premise longer than max_length: the pair's logits are sentence-transformers' logits for its best
    window's text (and the hypothesis, in the head's order)."""
    scorer = load(name)
    text = multilingual_text(15, seed=2)
    ours = scorer.score_pairs([text] * len(LABELS), LABELS)
    assert all(item.num_windows > 1 and item.window is not None for item in ours)
    spans = [item.window for item in ours if item.window]
    pairs = [
        (label, text[s:e]) if ours.head == "relevance" else (text[s:e], label)
        for label, (s, e) in zip(LABELS, spans, strict=True)
    ]
    ref = st_cross_encoder(tiny_multilingual_models[name]).predict(pairs, activation_fn=torch.nn.Identity())
    logits = np.array([item.logits for item in ours]).reshape(ref.shape)
    assert np.max(np.abs(logits - ref)) <= TOL


# --- transformers zero-shot pipeline --------------------------------------------------------------------


@pytest.mark.parametrize("name", PIPELINE_EXACT)
@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_pipeline_parity_shared_labels(
    name: str, multi_label: bool, tiny_multilingual_models: dict[str, Path], load: Callable[[str], Any]
) -> None:
    labels = [LABELS] * len(TEXTS)
    for template in TEMPLATES:
        ours = load(name).score_labels(TEXTS, LABELS, hypothesis_template=template, multi_label=multi_label)
        ref = pipeline_scores(tiny_multilingual_models[name], TEXTS, labels, template, multi_label)
        assert_label_scores_close(ours, ref, labels)


@pytest.mark.parametrize("name", PIPELINE_EXACT)
@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_pipeline_parity_per_text_labels(
    name: str, multi_label: bool, tiny_multilingual_models: dict[str, Path], load: Callable[[str], Any]
) -> None:
    texts = TEXTS[: len(PER_TEXT_LABELS)]
    ours = load(name).score_labels(texts, PER_TEXT_LABELS, multi_label=multi_label)
    ref = pipeline_scores(tiny_multilingual_models[name], texts, PER_TEXT_LABELS, "This example is {}.", multi_label)
    assert_label_scores_close(ours, ref, PER_TEXT_LABELS)


@pytest.mark.parametrize("name", NCE)
def test_pipeline_positional_contradiction_differs(
    name: str, tiny_multilingual_models: dict[str, Path], load: Callable[[str], Any]
) -> None:
    """{0: neutral, 1: contradiction, 2: entailment}: the softmax over labels matches the pipeline; with
    multi_label=True the pipeline pairs entailment with output 0 (neutral), entailkit with contradiction."""
    scorer = load(name)
    assert scorer.info.label_map == {"entailment": 2, "neutral": 0, "contradiction": 1}
    labels = [LABELS] * len(TEXTS)
    template = "This example is {}."
    path = tiny_multilingual_models[name]
    ours = scorer.score_labels(TEXTS, LABELS, multi_label=False)
    assert_label_scores_close(ours, pipeline_scores(path, TEXTS, labels, template, False), labels)

    ours = scorer.score_labels(TEXTS, LABELS, multi_label=True)
    pairs = scorer.score_pairs([t for t in TEXTS for _ in LABELS], [template.format(x) for _ in TEXTS for x in LABELS])
    logits = np.array([item.logits for item in pairs], dtype=np.float64)
    got = np.array([s for item in ours for s in item.scores])
    assert np.max(np.abs(got - 1.0 / (1.0 + np.exp(logits[:, 1] - logits[:, 2])))) <= TOL
    ref = pipeline_scores(path, TEXTS, labels, template, True)
    ref_flat = np.array([ref[i][x] for i in range(len(TEXTS)) for x in LABELS])
    assert np.max(np.abs(ref_flat - 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 2])))) <= TOL
    assert np.max(np.abs(ref_flat - got)) > 1e-3


# --- DeBERTa-v3's tokenizer, as transformers loads the real one ---------------------------------------


def test_deberta_v3_tokenizer_loads_like_the_real_one(tiny_multilingual_models: dict[str, Path]) -> None:
    """AutoTokenizer rebuilds a ``DebertaV2Tokenizer`` from the saved vocabulary, as for microsoft/deberta-v3-*:
    DeBERTa-v3's special ids, ``[CLS] A [SEP] B [SEP]``, SentencePiece pieces, and token type ids (1 for the
    second text) that the model, which has no token type embeddings, ignores."""
    import json

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = tiny_multilingual_models["deberta-v3-nli3-cen"]
    assert json.loads((path / "tokenizer_config.json").read_text())["tokenizer_class"] == "DebertaV2Tokenizer"
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    assert type(tokenizer).__name__ == "DebertaV2Tokenizer" and tokenizer.is_fast
    specials = [tokenizer.pad_token_id, tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.unk_token_id]
    assert specials == [0, 1, 2, 3] and tokenizer.mask_token_id == len(tokenizer) - 1
    encoded = tokenizer(PREMISES[1], HYPOTHESES[2])
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    first = tokens.index("[SEP]") + 1
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and tokens.count("[SEP]") == 2
    assert tokens[1].startswith("▁") and tokens[first].startswith("▁")
    assert encoded["token_type_ids"] == [0] * first + [1] * (len(tokens) - first)

    model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32).eval()
    assert model.config.type_vocab_size == 0 and model.config.relative_attention
    batch = tokenizer(PREMISES, HYPOTHESES, padding=True, return_tensors="pt")
    with torch.inference_mode():
        typed = model(**batch).logits
        untyped = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    assert torch.equal(typed, untyped)
