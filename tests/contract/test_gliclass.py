"""GLiClassScorer mechanics: long texts, label chunks, pairs grouped by premise, loading, input checks.

Where gliclass's own pipeline goes wrong (long texts lose their labels, more labels than the model's
slots crash, a path string does not load), the tests show both its behaviour and ours.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gliclass")

from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.scorers.base import Scorer
from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.scorers.loading import load_scorer
from entailkit.types import LabelledExample
from fixtures.tiny_gliclass import reference_pipeline, reference_scores, tiny_gliclass_path

TOL = 1e-5
LABELS = ["sports", "business", "weather", "technology"]
# Whole-word tokens only, so a window's character span re-tokenises to exactly the window's tokens.
LONG = " ".join(["the team won the match and the coach praised the players after the game"] * 50)


@pytest.fixture(scope="module")
def path() -> Path:
    return tiny_gliclass_path()


@pytest.fixture(scope="module")
def scorer(path: Path) -> GLiClassScorer:
    return GLiClassScorer.from_pretrained(str(path), batch_size=4)


class _PassCounter:
    """Counts forward passes and rows through a forward pre-hook on the real model."""

    def __init__(self, scorer: GLiClassScorer) -> None:
        self.calls = 0
        self.rows = 0
        self.max_len = 0
        self._handle = scorer.model.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module: Any, args: Any, kwargs: Any) -> None:
        self.calls += 1
        self.rows += int(kwargs["input_ids"].shape[0])
        self.max_len = max(self.max_len, int(kwargs["input_ids"].shape[1]))

    def __enter__(self) -> _PassCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()


# -- protocol and loading ----------------------------------------------------------------------------


def test_follows_the_scorer_protocol(scorer: GLiClassScorer) -> None:
    assert isinstance(scorer, Scorer)
    assert scorer.native == "labels"
    info = scorer.info
    assert (info.kind, info.head, info.native, info.dtype, info.device) == (
        "gliclass", "gliclass", "labels", "float32", "cpu"
    )  # fmt: skip
    assert info.max_length == 256


def test_loading_from_a_path_string_works_where_gliclass_pipeline_fails(path: Path) -> None:
    from gliclass import ZeroShotClassificationPipeline
    from transformers import AutoTokenizer

    with pytest.raises(AttributeError):  # gliclass loads str models with GLiClassBiEncoder.from_pretrained
        ZeroShotClassificationPipeline(str(path), AutoTokenizer.from_pretrained(str(path)), device="cpu")
    for loaded in (load_scorer(str(path)), load_scorer(path, kind="gliclass"), GLiClassScorer.from_pretrained(path)):
        assert isinstance(loaded, GLiClassScorer)
        assert loaded.score_labels(["the team won"], LABELS).items[0].labels == tuple(LABELS)


def _copy(path: Path, tmp_path: Path, edit: dict[str, Any] | None = None) -> Path:
    target = tmp_path / "model"
    shutil.copytree(path, target)
    if edit:
        config = json.loads((target / "config.json").read_text())
        config.update(edit)
        (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"architecture_type": "bi-encoder"}, "uni-encoder"),
        ({"class_token_index": 5}, "do not match"),
        ({"model_type": "bert"}, "not a GLiClass"),
    ],
)
def test_bad_checkpoints_raise_model_load_error(path: Path, tmp_path: Path, edit: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        load_scorer(_copy(path, tmp_path, edit), kind="gliclass")


def test_pickle_only_checkpoint_is_refused(path: Path, tmp_path: Path) -> None:
    target = _copy(path, tmp_path)
    (target / "model.safetensors").rename(target / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="pickle"):
        load_scorer(target, kind="gliclass")


# -- long texts --------------------------------------------------------------------------------------


def test_long_text_keeps_all_labels_where_gliclass_pipeline_loses_them(scorer: GLiClassScorer, path: Path) -> None:
    assert scorer.count_tokens([LONG])[0] > 2 * scorer.info.max_length
    pipe = reference_pipeline(path)
    encoded = pipe.pipe.prepare_inputs([LONG], LABELS, same_labels=True)
    label_slots = int((encoded["input_ids"] == scorer.model.config.class_token_index).sum())
    assert label_slots == 0, "gliclass cuts the end of the sequence: the labels after the text are gone"
    theirs = reference_scores(pipe, [LONG], LABELS, True)[0]
    assert len({round(v, 6) for v in theirs.values()}) == 1, "without label tokens every label scores the same"

    with _PassCounter(scorer) as counter:
        ours = scorer.score_labels([LONG], LABELS, multi_label=True)[0]
    assert ours.labels == tuple(LABELS)
    assert len({round(v, 6) for v in ours.scores}) == len(LABELS)
    assert counter.rows > 1 and counter.max_len <= scorer.info.max_length


@pytest.mark.parametrize("kind", ["unigram", "bpe"])
@pytest.mark.parametrize("prompt_first", [False, True], ids=["text-first", "labels-first"])
def test_windows_with_other_tokenizers(kind: str, prompt_first: bool) -> None:
    """Metaspace and byte-level offsets: windows stay inside the text and every label is scored."""
    scorer = GLiClassScorer.from_pretrained(tiny_gliclass_path(tokenizer_kind=kind, prompt_first=prompt_first))
    text = LONG.replace("the game", "the game!") + " Final words."
    assert scorer.count_tokens([text])[0] > scorer.info.max_length
    with _PassCounter(scorer) as counter:
        pairs = scorer.score_pairs([text] * len(LABELS), LABELS)
    assert counter.rows > 1 and counter.max_len <= scorer.info.max_length
    for item in pairs:
        assert item.num_windows > 1 and item.window is not None
        start, end = item.window
        assert 0 <= start < end <= len(text)
    spans = scorer.window_spans(text, "sports")
    assert spans[0][0] <= 1 and spans[-1][1] == len(text)
    assert all(a[0] < b[0] < a[1] for a, b in itertools.pairwise(spans))


def test_window_scores_are_the_max_over_windows(scorer: GLiClassScorer) -> None:
    """Each label's score is its best window's; that window's text, scored alone, gives the same number."""
    pairs = scorer.score_pairs([LONG] * len(LABELS), LABELS)
    ours = scorer.score_labels([LONG], LABELS, multi_label=True)[0].scores
    windows = [item.window for item in pairs]
    assert all(w is not None for w in windows)
    alone = scorer.score_labels([LONG[w[0] : w[1]] for w in windows if w], LABELS, multi_label=True)
    for j, item in enumerate(pairs):
        assert item.num_windows > 1 and not item.truncated
        assert ours[j] == pytest.approx(item.score, abs=TOL)
        assert alone[j].scores[j] == pytest.approx(item.score, abs=TOL)
        assert all(other.scores[j] <= ours[j] + TOL for other in alone)


def test_window_spans_cover_the_text(scorer: GLiClassScorer) -> None:
    spans = scorer.window_spans(LONG, "sports")
    assert len(spans) > 1
    assert spans[0][0] == 0 and spans[-1][1] == len(LONG)
    assert all(a[0] < b[0] < a[1] for a, b in itertools.pairwise(spans)), "windows overlap"
    assert scorer.window_spans("short text", "sports") == [(0, len("short text"))]


def test_truncation_policies(scorer: GLiClassScorer) -> None:
    with pytest.raises(InvalidInputError, match="max_length"):
        scorer.score_pairs([LONG], ["sports"], truncation="error")
    head = scorer.score_pairs([LONG], ["sports"], truncation="head")[0]
    assert head.truncated and head.num_windows == 1 and head.window is not None and head.window[0] == 0


# -- label chunks ------------------------------------------------------------------------------------

MANY = ["sports", "business", "weather", "technology", "politics", "health", "music", "travel"]
TEXTS = ["The coach praised the players after the football game.", "Stocks fell as the bank raised rates."]


def test_label_chunks_equal_one_pass_per_chunk(path: Path) -> None:
    chunked = GLiClassScorer.from_pretrained(path, max_labels_per_pass=3)
    whole = GLiClassScorer.from_pretrained(path)
    with _PassCounter(chunked) as counter:
        got = chunked.score_labels(TEXTS, MANY, multi_label=True)
    assert counter.rows == 3 * len(TEXTS)
    logits: list[list[float]] = [[] for _ in TEXTS]
    for lo, hi in [(0, 3), (3, 6), (6, 8)]:
        one_pass = whole.score_labels(TEXTS, MANY[lo:hi], multi_label=True)
        for n, (item, ref) in enumerate(zip(got, one_pass, strict=True)):
            assert item.scores[lo:hi] == pytest.approx(ref.scores, abs=TOL)
            logits[n].extend(math.log(p) - math.log1p(-p) for p in ref.scores)
    # Single-label across chunks: one softmax over the logits of all chunks (as gliclass's chunking pipeline).
    single = chunked.score_labels(TEXTS, MANY, multi_label=False)
    for item, row in zip(single, logits, strict=True):
        z = [math.exp(x - max(row)) for x in row]
        assert item.scores == pytest.approx([v / sum(z) for v in z], abs=TOL)


def test_label_chunking_equals_one_pass_where_all_labels_fit(path: Path) -> None:
    limited = GLiClassScorer.from_pretrained(path, max_labels_per_pass=len(MANY))
    whole = GLiClassScorer.from_pretrained(path)
    for multi in (True, False):
        a = limited.score_labels(TEXTS, MANY, multi_label=multi)
        b = whole.score_labels(TEXTS, MANY, multi_label=multi)
        for x, y in zip(a, b, strict=True):
            assert x.scores == pytest.approx(y.scores, abs=TOL)


def test_more_labels_than_fixed_slots_are_chunked_where_gliclass_crashes() -> None:
    path = tiny_gliclass_path(max_labels_alloc="fixed")  # 8 label slots
    labels = [*MANY, "science", "food"]
    with pytest.raises(ValueError):
        reference_scores(reference_pipeline(path), TEXTS, labels, True)
    scorer = GLiClassScorer.from_pretrained(path)
    assert scorer.max_labels_per_pass == 8
    got = scorer.score_labels(TEXTS, labels, multi_label=True)
    first = scorer.score_labels(TEXTS, labels[:8], multi_label=True)
    rest = scorer.score_labels(TEXTS, labels[8:], multi_label=True)
    for item, a, b in zip(got, first, rest, strict=True):
        assert item.scores == pytest.approx(a.scores + b.scores, abs=TOL)


def test_long_labels_are_split_by_tokens_not_dropped(scorer: GLiClassScorer) -> None:
    labels = [f"the {w} {v} team won the match and the coach praised the players" for w in MANY for v in MANY[:3]]
    with _PassCounter(scorer) as counter:
        got = scorer.score_labels(["the team won"], labels, multi_label=True)[0]
    assert len(got.scores) == len(labels)
    assert counter.rows > 1 and counter.max_len <= scorer.info.max_length
    with pytest.raises(InvalidInputError, match="too long"):
        scorer.score_labels(["x"], [" ".join(["team"] * 300)])


# -- pairs -------------------------------------------------------------------------------------------


def test_hypotheses_sharing_a_premise_cost_one_pass(scorer: GLiClassScorer) -> None:
    context = "The team won the match and the coach praised the players."
    claims = [f"claim {i}: the {w} was good" for i, w in enumerate(["team", "coach", "match", "game", "player"] * 2)]
    with _PassCounter(scorer) as counter:
        pairs = scorer.score_pairs([context] * len(claims), claims)
    assert counter.calls == 1 and counter.rows == 1
    labels = scorer.score_labels([context], claims, multi_label=True)[0]
    assert pairs.scores == pytest.approx(list(labels.scores), abs=TOL)
    assert pairs.head == "gliclass" and all(p.entailment == p.score for p in pairs)


def test_pairs_keep_input_order_across_premises_and_duplicates(scorer: GLiClassScorer) -> None:
    premises = ["a match", "stocks fell", "a match", "stocks fell", "a match"]
    hypotheses = ["sports", "business", "weather", "business", "sports"]
    got = scorer.score_pairs(premises, hypotheses)
    assert got[0].score == got[4].score and got[1].score == got[3].score
    for p, h, item in zip(premises, hypotheses, got, strict=True):
        alone = scorer.score_pairs([p], [h])[0]
        assert isinstance(alone.score, float) and 0.0 <= item.score <= 1.0
    a_match = scorer.score_labels(["a match"], ["sports", "weather"], multi_label=True)[0].as_dict()
    assert got[0].score == pytest.approx(a_match["sports"], abs=TOL)
    assert got[2].score == pytest.approx(a_match["weather"], abs=TOL)


def test_results_do_not_depend_on_batch_size(path: Path) -> None:
    texts = [LONG[: 40 * (i + 1)] for i in range(7)]
    small = GLiClassScorer.from_pretrained(path, batch_size=1).score_labels(texts, LABELS)
    large = GLiClassScorer.from_pretrained(path, batch_size=32).score_labels(texts, LABELS)
    for a, b in zip(small, large, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=TOL)
        assert sum(a.scores) == pytest.approx(1.0)


# -- examples and input checks -----------------------------------------------------------------------


def test_examples_accept_models_and_dicts_and_drop_what_does_not_fit(
    scorer: GLiClassScorer, caplog: pytest.LogCaptureFixture
) -> None:
    example = LabelledExample(text="The coach praised the players.", true_labels=("sports",), all_labels=LABELS)
    as_dict = {"text": example.text, "true_labels": ["sports"], "all_labels": LABELS}
    a = scorer.score_labels(["the team won"], LABELS, examples=[example])
    b = scorer.score_labels(["the team won"], LABELS, examples=[as_dict])
    assert a == b
    many = [example.model_copy(update={"text": f"{example.text} {i}"}) for i in range(30)]
    with caplog.at_level(logging.WARNING, logger="entailkit.scorers.gliclass"):
        scorer.score_labels(["the team won"], LABELS, examples=many)
    assert "dropped the last" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"texts": ["a <<LABEL>> b"], "labels": LABELS}, "marker"),
        ({"texts": ["a"], "labels": ["x<<SEP>>"]}, "marker"),
        ({"texts": ["a"], "labels": LABELS, "examples": [{"text": "x"}]}, "true_labels"),
        ({"texts": ["a"], "labels": LABELS, "examples": [{"text": 1, "true_labels": []}]}, "text"),
        ({"texts": ["a", "b"], "labels": LABELS, "examples": [[], [], []]}, "one list per text"),
        ({"texts": "a", "labels": LABELS}, "single str"),
        ({"texts": ["a"], "labels": ["x", "x"]}, "duplicate"),
    ],
)
def test_bad_inputs_raise_typed_errors(scorer: GLiClassScorer, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        scorer.score_labels(**kwargs)


def test_bad_pairs_and_empty_inputs(scorer: GLiClassScorer) -> None:
    with pytest.raises(InvalidInputError, match="blank"):
        scorer.score_pairs(["a"], [" "])
    with pytest.raises(InvalidInputError, match="truncation"):
        scorer.score_pairs(["a"], ["b"], truncation="middle")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="example_format"):
        GLiClassScorer(scorer.model, scorer.tokenizer, info=scorer.info, example_format="other")  # type: ignore[arg-type]
    assert len(scorer.score_labels([], LABELS)) == 0
    assert len(scorer.score_pairs([], [])) == 0
    assert scorer.count_tokens([]) == []
