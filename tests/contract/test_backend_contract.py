"""One contract over every backend (issue 21): what any Scorer must keep, whatever model family runs it.

Backends: BERT, DeBERTa-v2, XLM-R and ModernBERT cross-encoders with 1, 2 and 3-label heads (label orders
vary), the GLiClass uni-encoder, ONNX Runtime fp32 and int8, and the embedding scorer. Every backend runs
every check below; where one legitimately differs, its ``Backend`` row says how (``batch_tol``,
``label_order_free``, ``empty_hypothesis``), and the check is not loosened for the others.

1. ``info`` reports kind, head, native call and a label map consistent with the checkpoint's config.
2. Order is kept: a shuffled input gives the shuffled scores (``score_pairs`` and ``score_labels``).
3. Probabilities are finite and in [0, 1]; a 3-label softmax sums to 1; single-label label scores sum to 1.
4. Empty in, empty out (``score_pairs``, ``score_labels``, ``count_tokens``).
5. Bad input gets an ``InvalidInputError`` (lengths, non-str items, lone surrogates, labels, templates).
6. Long premises: ``window`` scores windows and names the span; ``window_spans`` lie inside the text and
   cover it, and each window fits max_length when scored alone; ``error`` raises; ``head`` marks the pair
   truncated and warns.
7. Batch independence: a pair or text scored alone equals the same one scored among others (padding).

Known library defects are listed in ``Backend.defects`` (test name -> reason), or on the test when every
backend has them, and run as strict xfails: a fix turns them into failures until the entry is removed.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from fixtures.tiny_models import corpus
from fixtures.tiny_multilingual import multilingual_text

pytest.importorskip("torch")

TOL = 1e-5

# --- the backends ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """One backend/head combination and what the contract expects of it."""

    id: str
    source: str  # "tiny" (fixtures.tiny_models), "multilingual" (fixtures.tiny_multilingual), "gliclass"
    model: str
    head: str
    kind: str = "cross-encoder"
    native: str = "pairs"
    dtype: str = "float32"
    options: tuple[tuple[str, Any], ...] = ()
    batch_tol: float = TOL
    """How far scores may move when the batch around an input changes (padding, neighbours)."""
    label_order_free: bool = True
    """Permuting the candidate labels permutes their scores (False: the model reads labels in order)."""
    empty_hypothesis: bool = True
    """An empty hypothesis is scored (False: refused with InvalidInputError)."""
    defects: tuple[tuple[str, str], ...] = ()
    """(test, reason): known library defects, run as strict xfails. ``test`` is a test function's name, or
    ``name[param]`` for one of its other parameters (e.g. ``test_bad_input_raises_a_typed_error[labels-empty-list]``)."""


def _ce(source: str, model: str, head: str) -> Backend:
    defects: tuple[tuple[str, str], ...] = ()
    return Backend(model, source, model, head, defects=defects)


BACKENDS: tuple[Backend, ...] = (
    _ce("tiny", "bert-rel1", "relevance"),
    _ce("tiny", "bert-nli2-ent1", "nli2"),
    _ce("tiny", "bert-nli3-nce", "nli3"),
    _ce("tiny", "deberta-rel1", "relevance"),
    _ce("tiny", "deberta-nli2-ent0", "nli2"),
    _ce("tiny", "deberta-nli3-cen", "nli3"),
    _ce("multilingual", "xlmr-rel1", "relevance"),
    _ce("multilingual", "xlmr-nli2-ent0", "nli2"),
    _ce("multilingual", "xlmr-nli3-cen", "nli3"),
    _ce("multilingual", "xlmr-nli3-nce", "nli3"),
    _ce("multilingual", "modernbert-rel1", "relevance"),
    _ce("multilingual", "modernbert-nli2-ent1", "nli2"),
    _ce("multilingual", "modernbert-nli3-enc", "nli3"),
    _ce("multilingual", "modernbert-nli3-nce", "nli3"),
    Backend(
        "gliclass",
        "gliclass",
        "tiny-gliclass",
        head="gliclass",
        kind="gliclass",
        native="labels",
        # GLiClass reads all labels of a text in one pass, in the order given: positions change scores.
        label_order_free=False,
        # A hypothesis is a label to GLiClass; an empty label is refused.
        empty_hypothesis=False,
    ),
    Backend(
        "onnx-fp32:bert-rel1", "tiny", "bert-rel1", "relevance", dtype="onnx-float32", options=(("backend", "onnx"),)
    ),
    Backend(
        "onnx-fp32:bert-nli3-cen", "tiny", "bert-nli3-cen", "nli3", dtype="onnx-float32", options=(("backend", "onnx"),)
    ),
    Backend(
        "onnx-fp32:xlmr-nli3-cen",
        "multilingual",
        "xlmr-nli3-cen",
        "nli3",
        dtype="onnx-float32",
        options=(("backend", "onnx"),),
    ),
    Backend(
        "onnx-fp32:modernbert-nli2-ent1",
        "multilingual",
        "modernbert-nli2-ent1",
        "nli2",
        dtype="onnx-float32",
        options=(("backend", "onnx"),),
    ),
    Backend(
        "onnx-int8:bert-nli3-cen",
        "tiny",
        "bert-nli3-cen",
        "nli3",
        dtype="onnx-int8",
        options=(("backend", "onnx"), ("quantize", "int8")),
        # Dynamic int8 quantization scales activations per tensor, i.e. over the whole padded batch, so the
        # neighbours of an input move it (measured: 0.06 in logits, 0.08 in multi-label probabilities).
        batch_tol=0.15,
    ),
    Backend(
        "embedding:bert-embed",
        "tiny",
        "bert-embed",
        head="cosine",
        kind="embedding",
    ),
)

# Each ONNX backend's tolerance on logits against the torch model it was exported from (x max(1, |logit|)).
ONNX_REFERENCES = {
    "onnx-fp32:bert-rel1": 1e-4,
    "onnx-fp32:bert-nli3-cen": 1e-4,
    "onnx-fp32:xlmr-nli3-cen": 1e-4,
    "onnx-fp32:modernbert-nli2-ent1": 1e-4,
    "onnx-int8:bert-nli3-cen": 0.25,
}

# --- data -----------------------------------------------------------------------------------------------

# Distinct premises: GLiClass groups pairs by premise (its hypotheses become one pass's labels).
PREMISES = [
    "A man is playing guitar in the park.",
    "The company sells the stock at the bank today.",
    "",
    "Le professeur lit un livre à la maison, près de la rivière.",
    "Молодая женщина пьёт кофе утром на вокзале.",
    "我们的队伍在公园里踢足球。",
    "المعلم يقرأ كتابا في الحديقة.",
    "Der alte Mann kauft frisches Brot am Bahnhof.",
    "ＦＵＬＬ-width letters, the ﬁne print and a café in Kraków.",
    "A student reads a book about science and technology in the morning. " * 4,
    "Is the price of coffee cheap? The customer said no.",
]
HYPOTHESES = [
    "A person plays music.",
    "The market is positive.",
    "This example is empty.",
    "Le professeur lit.",
    "спорт",
    "体育",
    "سياسة",
    "Die Nachrichten sind gut.",
    "A refund request",
    "A girl is reading.",
    "The customer is happy.",
]
TEXTS = [p for p in PREMISES if p]
LABELS = ["sports", "politics", "music", "business"]
PER_TEXT_LABELS = [
    ["sports", "politics", "music"],
    ["business"],
    ["world", "science"],
    ["santé", "voyage", "cuisine", "météo"],
    ["спорт", "политика"],
    ["体育"],
    ["رياضة", "سياسة", "موسيقى"],
    ["Sport", "Politik"],
    ["billing", "refund request"],
    ["technology", "education"],
]
# Several hundred tokens for every tokenizer (English, then 13 languages): windows for every backend.
# NFKC changes "ＦＵＬＬ" and "ﬁ" (XLM-R's normaliser): offsets must still point into the original text.
LONG = " ".join(corpus(200, seed=9)[0::4][:40]) + " ＦＵＬＬ-width ﬁne print. " + multilingual_text(26)
LONG_HYPOTHESIS = "The team wins the match."
SHORT = "A man is playing guitar in the park."

# --- loading --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tiny_models: dict[str, Path], tiny_multilingual_models: dict[str, Path]) -> Callable[[Backend], Path]:
    def find(backend: Backend) -> Path:
        if backend.source == "gliclass":
            pytest.importorskip("gliclass")
            from fixtures.tiny_gliclass import tiny_gliclass_path

            return tiny_gliclass_path()
        return (tiny_models if backend.source == "tiny" else tiny_multilingual_models)[backend.model]

    return find


@pytest.fixture(scope="module")
def load_backend(
    model_dir: Callable[[Backend], Path], load_tiny: Callable[..., Any], onnx_cache: Path
) -> Callable[[Backend], Any]:
    """``load(backend)`` -> its scorer, loaded once for the module (tiny torch models once a session)."""
    from entailkit import load_scorer

    cache: dict[str, Any] = {}

    def load(backend: Backend) -> Any:
        if backend.id not in cache:
            options = dict(backend.options)
            if options.get("backend") == "onnx":
                pytest.importorskip("onnxruntime")
            if backend.source == "tiny" and not options:
                cache[backend.id] = load_tiny(backend.model)
            else:
                cache[backend.id] = load_scorer(model_dir(backend), **options)
        return cache[backend.id]

    return load


@pytest.fixture(params=BACKENDS, ids=[b.id for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    """One backend; a known defect of it in this test (see ``Backend.defects``) makes the test a strict xfail."""
    node = request.node
    params = node.callspec.params if hasattr(node, "callspec") else {}
    keys = [node.originalname] + [f"{node.originalname}[{v}]" for k, v in params.items() if isinstance(v, str)]
    defects = dict(request.param.defects)
    for key in keys:
        if key in defects:
            request.applymarker(pytest.mark.xfail(strict=True, reason=defects[key]))
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def scorer(backend: Backend, load_backend: Callable[[Backend], Any]) -> Any:
    return load_backend(backend)


# --- helpers --------------------------------------------------------------------------------------------


def _logits(scores: Any) -> np.ndarray:
    return np.array([item.logits for item in scores], dtype=np.float64)


def _assert_close(got: Any, want: Any, tol: float, what: str) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    worst = float(np.max(np.abs(got - want))) if got.size else 0.0
    assert worst <= tol, f"{what}: max abs diff {worst:.3g} > {tol}"


def _assert_spread(values: Sequence[float], what: str) -> None:
    """The inputs give different numbers, so an order mix-up could not pass unnoticed."""
    assert np.ptp(np.asarray(values, dtype=np.float64)) > 1e-3, f"{what} hardly differ between inputs: {values}"


def _permutation(n: int, seed: int) -> list[int]:
    perm = random.Random(seed).sample(range(n), n)
    assert perm != list(range(n))
    return perm


def _probability(value: float | None, what: str) -> None:
    assert value is not None, f"{what} is None"
    assert math.isfinite(value) and 0.0 <= value <= 1.0, f"{what} = {value} is not a probability"


# --- 1. info --------------------------------------------------------------------------------------------

_ROLES = {
    "relevance": {"relevance"},
    "nli2": {"entailment", "not_entailment"},
    "nli3": {"entailment", "neutral", "contradiction"},
}


def test_info_matches_the_checkpoint(backend: Backend, scorer: Any, model_dir: Callable[[Backend], Path]) -> None:
    assert isinstance(scorer, Scorer)
    info = scorer.info
    assert (info.kind, info.head, info.native, info.device, info.dtype) == (
        backend.kind, backend.head, backend.native, "cpu", backend.dtype
    )  # fmt: skip
    assert scorer.native == backend.native
    path = model_dir(backend)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    tokenizer_config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert info.max_length == tokenizer_config["model_max_length"]
    if backend.kind != "cross-encoder":
        assert info.label_map == {} and info.id2label == {}
        return
    id2label = {int(k): v for k, v in config["id2label"].items()}
    assert info.id2label == id2label
    assert len(id2label) == {"relevance": 1, "nli2": 2, "nli3": 3}[info.head]
    assert set(info.label_map) == _ROLES[info.head]
    assert sorted(info.label_map.values()) == list(range(len(id2label))), "one role per output"
    if info.head != "relevance":
        for role, index in info.label_map.items():
            assert id2label[index].lower() == role, f"{role} read from output {index} ({id2label[index]!r})"


# --- 2. order -------------------------------------------------------------------------------------------


def test_score_pairs_keeps_order(backend: Backend, scorer: Any) -> None:
    ref = scorer.score_pairs(PREMISES, HYPOTHESES)
    assert len(ref) == len(PREMISES) and ref.head == backend.head
    _assert_spread(ref.scores if backend.head != "cosine" else _logits(ref)[:, 0], "pair scores")
    for seed in (1, 2):
        perm = _permutation(len(PREMISES), seed)
        got = scorer.score_pairs([PREMISES[i] for i in perm], [HYPOTHESES[i] for i in perm])
        _assert_close(_logits(got), _logits(ref)[perm], backend.batch_tol, "shuffled logits")
        _assert_close(got.scores, np.array(ref.scores)[perm], backend.batch_tol, "shuffled scores")


def test_score_labels_keeps_order(backend: Backend, scorer: Any) -> None:
    for labels in (LABELS, PER_TEXT_LABELS):
        per_text = labels if labels is PER_TEXT_LABELS else [LABELS] * len(TEXTS)
        for multi_label in (False, True):
            ref = scorer.score_labels(TEXTS, labels, multi_label=multi_label)
            assert [list(item.labels) for item in ref] == per_text
            if labels is LABELS:
                _assert_spread([item.scores[0] for item in ref], "label scores")
            perm = _permutation(len(TEXTS), 3)
            shuffled = labels if labels is LABELS else [labels[i] for i in perm]
            got = scorer.score_labels([TEXTS[i] for i in perm], shuffled, multi_label=multi_label)
            for item, i in zip(got, perm, strict=True):
                assert item.labels == ref[i].labels and item.multi_label is multi_label
                _assert_close(item.scores, ref[i].scores, backend.batch_tol, f"texts[{i}] label scores")


def test_permuted_labels(backend: Backend, scorer: Any) -> None:
    permuted = [LABELS[i] for i in (2, 0, 3, 1)]
    for multi_label in (False, True):
        ref = scorer.score_labels(TEXTS, LABELS, multi_label=multi_label)
        got = scorer.score_labels(TEXTS, permuted, multi_label=multi_label)
        for a, b in zip(got, ref, strict=True):
            assert list(a.labels) == permuted, "labels come back in the order given"
            if backend.label_order_free:
                _assert_close([a.as_dict()[x] for x in LABELS], b.scores, backend.batch_tol, "permuted labels")


# --- 3. probabilities -----------------------------------------------------------------------------------


@pytest.mark.parametrize("normalization", ["softmax", "entailment_vs_contradiction"])
def test_pair_scores_are_probabilities(backend: Backend, scorer: Any, normalization: str) -> None:
    premises, hypotheses = [*PREMISES, LONG], [*HYPOTHESES, LONG_HYPOTHESIS]
    got = scorer.score_pairs(premises, hypotheses, normalization=normalization)
    nli = backend.head in ("nli2", "nli3")
    assert got.normalization == (normalization if nli else None)
    width = {"nli2": 2, "nli3": 3}.get(backend.head, 1)
    for i, item in enumerate(got):
        assert len(item.logits) == width and all(math.isfinite(x) for x in item.logits), f"pair {i} logits"
        _probability(item.score, f"pair {i} score")
        for role in ("entailment", "neutral", "contradiction", "relevance"):
            value = getattr(item, role)
            if value is not None:
                _probability(value, f"pair {i} {role}")
        if backend.head == "relevance":
            assert item.relevance == item.score and item.entailment is None
            assert abs(item.score - 1 / (1 + math.exp(-item.logits[0]))) <= 1e-6
        elif backend.head == "cosine":
            assert item.score == min(max(item.logits[0], 0.0), 1.0)
        elif backend.head == "gliclass":
            assert item.entailment == item.score and abs(item.score - 1 / (1 + math.exp(-item.logits[0]))) <= 1e-6
        else:
            assert item.entailment == item.score
        if backend.head == "nli3" and normalization == "softmax":
            total = item.entailment + item.neutral + item.contradiction
            assert abs(total - 1.0) <= 1e-6, f"pair {i}: entailment + neutral + contradiction = {total}"
        if backend.head == "nli3" and normalization == "entailment_vs_contradiction":
            assert item.neutral is None and abs(item.entailment + item.contradiction - 1.0) <= 1e-6


def test_label_scores_are_probabilities(backend: Backend, scorer: Any) -> None:
    for multi_label in (False, True):
        got = scorer.score_labels(TEXTS, PER_TEXT_LABELS, multi_label=multi_label)
        for i, item in enumerate(got):
            for label, score in item.as_dict().items():
                _probability(score, f"texts[{i}] {label!r}")
            if not multi_label and len(item.labels) > 1:
                assert abs(sum(item.scores) - 1.0) <= 1e-6, f"texts[{i}]: single-label scores sum to {sum(item.scores)}"


# --- 4. empty in, empty out -----------------------------------------------------------------------------


def test_empty_in_empty_out(backend: Backend, scorer: Any) -> None:
    pairs = scorer.score_pairs([], [])
    assert pairs.items == () and pairs.head == backend.head
    for multi_label in (False, True):
        assert scorer.score_labels([], LABELS, multi_label=multi_label).items == ()
    assert scorer.count_tokens([]) == []
    # Empty strings are input, not errors.
    assert scorer.count_tokens(["", SHORT])[0] == 0
    _probability(scorer.score_pairs([""], [HYPOTHESES[0]]).items[0].score, "empty premise")
    if backend.empty_hypothesis:
        _probability(scorer.score_pairs([SHORT], [""]).items[0].score, "empty hypothesis")
    else:
        with pytest.raises(InvalidInputError, match="empty"):
            scorer.score_pairs([SHORT], [""])


# --- 5. typed errors ------------------------------------------------------------------------------------

_SURROGATE = "caf\ud800 text"
BAD_CALLS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "pairs-lengths-differ": (lambda s: s.score_pairs(["a", "b"], ["c"]), "same length"),
    "pairs-premise-not-str": (lambda s: s.score_pairs(["a", 3], ["c", "d"]), r"premises\[1\] must be a str"),
    "pairs-hypothesis-not-str": (lambda s: s.score_pairs(["a"], [None]), r"hypotheses\[0\] must be a str"),
    "pairs-single-str": (lambda s: s.score_pairs("a", "b"), "list of strings"),
    "pairs-surrogate-premise": (lambda s: s.score_pairs([SHORT, _SURROGATE], ["c", "d"]), r"premises\[1\].*surrogate"),
    "pairs-surrogate-hypothesis": (lambda s: s.score_pairs([SHORT], [_SURROGATE]), r"hypotheses\[0\].*surrogate"),
    "labels-text-not-str": (lambda s: s.score_labels(["a", b"bytes"], LABELS), r"texts\[1\] must be a str"),
    "labels-surrogate-text": (lambda s: s.score_labels([_SURROGATE], LABELS), "surrogate"),
    "labels-surrogate-label": (lambda s: s.score_labels([SHORT], ["sports", _SURROGATE]), "surrogate"),
    "labels-label-not-str": (lambda s: s.score_labels([SHORT], ["sports", 7]), r"labels\[1\] must be a str"),
    "labels-empty-list": (lambda s: s.score_labels([SHORT], []), "empty"),
    "labels-empty-list-for-one-text": (lambda s: s.score_labels([SHORT, "b"], [["x"], []]), "empty"),
    "labels-lists-per-text-differ": (lambda s: s.score_labels([SHORT, "b"], [["x"]]), "one list per text"),
    "template-without-field": (
        lambda s: s.score_labels([SHORT], LABELS, hypothesis_template="This example is a label."),
        "exactly one",
    ),
    "template-two-fields": (lambda s: s.score_labels([SHORT], LABELS, hypothesis_template="{} or {}"), "exactly one"),
    "labels-duplicate": (lambda s: s.score_labels([SHORT], ["sports", "sports"]), "duplicate"),
    "labels-blank-label": (lambda s: s.score_labels([SHORT], ["sports", "  "]), "blank"),
    "labels-single-str": (lambda s: s.score_labels([SHORT], "sports"), "single str"),
    "labels-multi-label-not-bool": (lambda s: s.score_labels([SHORT], LABELS, multi_label="yes"), "multi_label"),
    "pairs-unknown-truncation": (lambda s: s.score_pairs([SHORT], ["b"], truncation="cut"), "truncation"),
    "pairs-unknown-normalization": (lambda s: s.score_pairs([SHORT], ["b"], normalization="max"), "normalization"),
    "count-tokens-single-str": (lambda s: s.count_tokens(SHORT), "single str"),
    "count-tokens-not-str": (lambda s: s.count_tokens([SHORT, 1]), r"texts\[1\] must be a str"),
    "count-tokens-surrogate": (lambda s: s.count_tokens([_SURROGATE]), "surrogate"),
}


@pytest.mark.parametrize("bad", list(BAD_CALLS))
def test_bad_input_raises_a_typed_error(backend: Backend, scorer: Any, bad: str) -> None:
    call, message = BAD_CALLS[bad]
    with pytest.raises(InvalidInputError, match=message):
        call(scorer)


BAD_SPANS: dict[str, Callable[[Any], Any]] = {
    "text-surrogate": lambda s: s.window_spans(_SURROGATE),
    "hypothesis-surrogate": lambda s: s.window_spans(SHORT, _SURROGATE),
    "text-not-str": lambda s: s.window_spans(42),
    "hypothesis-not-str": lambda s: s.window_spans(SHORT, None),
}


@pytest.mark.parametrize("bad", list(BAD_SPANS))
def test_window_spans_refuses_bad_text(backend: Backend, scorer: Any, bad: str) -> None:
    with pytest.raises(InvalidInputError, match=r"surrogate|must be a str"):
        BAD_SPANS[bad](scorer)


# --- 6. long premises: windows, spans, error, head ------------------------------------------------------


def _long_enough(scorer: Any) -> None:
    n_tokens = scorer.count_tokens([LONG])[0]
    assert n_tokens > 2 * scorer.info.max_length, f"LONG is {n_tokens} tokens: too short for this test"


def test_window_policy_scores_windows(backend: Backend, scorer: Any) -> None:
    _long_enough(scorer)
    long_item, short_item = scorer.score_pairs([LONG, SHORT], [LONG_HYPOTHESIS] * 2, truncation="window").items
    assert long_item.num_windows > 1 and not long_item.truncated
    assert long_item.window is not None
    start, end = long_item.window
    assert 0 <= start < end <= len(LONG) and LONG[start:end].strip()
    spans = scorer.window_spans(LONG, LONG_HYPOTHESIS)
    assert long_item.num_windows == len(spans) and long_item.window in spans
    assert (short_item.num_windows, short_item.window, short_item.truncated) == (1, None, False)


@pytest.mark.parametrize("hypothesis", ["", LONG_HYPOTHESIS])
def test_window_spans_lie_inside_and_cover_the_text(backend: Backend, scorer: Any, hypothesis: str) -> None:
    _long_enough(scorer)
    spans = scorer.window_spans(LONG, hypothesis)
    assert len(spans) > 1
    assert spans[0][0] == 0 and spans[-1][1] == len(LONG), "the windows cover the text"
    for (s0, e0), (s1, e1) in itertools.pairwise(spans):
        assert s0 < s1 <= e0 < e1, f"windows {(s0, e0)} and {(s1, e1)} leave a gap or go backwards"
    for start, end in spans:
        assert 0 <= start < end <= len(LONG) and LONG[start:end].strip()
    assert scorer.window_spans(SHORT, hypothesis) == [(0, len(SHORT))]


def test_every_window_fits_the_model(backend: Backend, scorer: Any) -> None:
    """A window is scored as its own text: alone, with the same hypothesis, it fits max_length (no silent cut).

    GLiClass scores windows as slices of the whole text's token ids, not as re-tokenized strings, so a
    window's string alone may come out a token longer (a WordPiece continuation at its start) while the
    model still saw exactly the planned tokens; there, every window must be one scored row instead.
    """
    _long_enough(scorer)
    if backend.kind == "gliclass":
        spans = scorer.window_spans(LONG, LONG_HYPOTHESIS)
        item = scorer.score_pairs([LONG], [LONG_HYPOTHESIS], truncation="window")[0]
        assert item.num_windows == len(spans) > 1 and item.window in spans
        return
    over = []
    for start, end in scorer.window_spans(LONG, LONG_HYPOTHESIS):
        try:
            scorer.score_pairs([LONG[start:end]], [LONG_HYPOTHESIS], truncation="error")
        except InvalidInputError as exc:
            over.append(f"{(start, end)}: {str(exc).split(';')[0]}")
    assert not over, "windows over max_length when scored alone:\n" + "\n".join(over)


def test_error_policy_raises(backend: Backend, scorer: Any) -> None:
    _long_enough(scorer)
    with pytest.raises(InvalidInputError, match="max_length"):
        scorer.score_pairs([SHORT, LONG], [LONG_HYPOTHESIS] * 2, truncation="error")
    item = scorer.score_pairs([SHORT], [LONG_HYPOTHESIS], truncation="error").items[0]
    assert (item.num_windows, item.truncated) == (1, False)


def test_head_policy_marks_the_cut(backend: Backend, scorer: Any, caplog: pytest.LogCaptureFixture) -> None:
    _long_enough(scorer)
    with caplog.at_level(logging.WARNING, logger="entailkit"):
        long_item, short_item = scorer.score_pairs([LONG, SHORT], [LONG_HYPOTHESIS] * 2, truncation="head").items
    assert long_item.truncated and long_item.num_windows == 1
    assert long_item.window is not None
    start, end = long_item.window
    assert start == 0 and 0 < end < len(LONG)
    assert not short_item.truncated
    assert any(r.levelno == logging.WARNING and "cut" in r.getMessage() for r in caplog.records), "the cut is logged"


# --- 7. batch independence ------------------------------------------------------------------------------


def test_a_pair_alone_equals_the_pair_in_a_batch(backend: Backend, scorer: Any) -> None:
    premises, hypotheses = [*PREMISES, LONG], [*HYPOTHESES, LONG_HYPOTHESIS]
    batch = scorer.score_pairs(premises, hypotheses)
    for i, (premise, hypothesis) in enumerate(zip(premises, hypotheses, strict=True)):
        alone = scorer.score_pairs([premise], [hypothesis]).items[0]
        _assert_close(alone.logits, batch[i].logits, backend.batch_tol, f"pair {i} logits")
        _assert_close(alone.score, batch[i].score, backend.batch_tol, f"pair {i} score")
        assert (alone.num_windows, alone.window) == (batch[i].num_windows, batch[i].window)


def test_a_text_alone_equals_the_text_in_a_batch(backend: Backend, scorer: Any) -> None:
    for multi_label in (False, True):
        batch = scorer.score_labels(TEXTS, LABELS, multi_label=multi_label)
        for i, text in enumerate(TEXTS):
            alone = scorer.score_labels([text], LABELS, multi_label=multi_label).items[0]
            _assert_close(alone.scores, batch[i].scores, backend.batch_tol, f"texts[{i}] label scores")


# --- ONNX against the torch model it was exported from --------------------------------------------------

_ONNX = [b for b in BACKENDS if b.id in ONNX_REFERENCES]


@pytest.mark.parametrize("onnx_backend", _ONNX, ids=[b.id for b in _ONNX])
def test_onnx_matches_its_torch_model(onnx_backend: Backend, load_backend: Callable[[Backend], Any]) -> None:
    onnx_scorer = load_backend(onnx_backend)
    torch_scorer = load_backend(_ce(onnx_backend.source, onnx_backend.model, onnx_backend.head))
    assert onnx_scorer.info.label_map == torch_scorer.info.label_map
    premises, hypotheses = [*PREMISES, LONG], [*HYPOTHESES, LONG_HYPOTHESIS]
    got, ref = onnx_scorer.score_pairs(premises, hypotheses), torch_scorer.score_pairs(premises, hypotheses)
    a, b = _logits(got), _logits(ref)
    tol = ONNX_REFERENCES[onnx_backend.id] * max(1.0, float(np.abs(b).max()))
    _assert_close(a, b, tol, "ONNX logits vs torch")
    assert [i.num_windows for i in got] == [i.num_windows for i in ref]
    if onnx_backend.dtype == "onnx-int8":
        assert not np.array_equal(a, b), "int8 weights should move the logits a little"
