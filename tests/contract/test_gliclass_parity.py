"""GLiClassScorer equals gliclass's own pipelines (fp32, within 1e-5) wherever the input fits.

Model variants: the default uni-encoder (text first), ``prompt_first`` (labels first), a
``weighted-dot`` scorer head, and SentencePiece-style (unigram) and byte-level BPE tokenizers; modes: multi-label (sigmoid) and single-label (softmax); without
examples, with RAC examples (``rac_examples=``) and with few-shot examples (``examples=``).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("gliclass")

from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.types import LabelledExample
from entailkit.types.examples import as_example
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


EXAMPLES = [
    LabelledExample(
        text="The coach praised the players after the football game.",
        true_labels=("sports",),
        all_labels=("sports", "business", "weather"),
    ),
    LabelledExample(text="Shares of the software company rose.", true_labels=("business",), all_labels=("business",)),
    LabelledExample(
        text="Scientists found water ice on the moon.",
        true_labels=("technology",),
        all_labels=("technology", "weather"),
    ),
]


def _as_gliclass_renders(example: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``example`` whose labels are in the order gliclass renders them in this process.

    gliclass renders false labels as ``list(set(all_labels) - set(true_labels))``: an order that changes
    with the hash seed of the process; entailkit renders them in the given order (see
    test_false_label_order_*). Evaluating gliclass's own expression on the same input here, then giving
    entailkit that order, makes both render the same string, so the scores can be compared.
    """
    true = list(example["true_labels"])
    false = list(set(example["all_labels"]) - set(true))
    return {**example, "all_labels": [*true, *false]}


def _rac_inputs(examples: list[LabelledExample]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(entailkit's examples, gliclass's examples) for one text: the same examples, rendered alike."""
    theirs = [e.model_dump() for e in examples]
    return [_as_gliclass_renders(e) for e in theirs], theirs


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


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_rac_examples(pair: dict[str, Any], multi_label: bool) -> None:
    ours_examples, their_examples = _rac_inputs(EXAMPLES)
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=ours_examples)
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, rac_examples=[their_examples] * len(TEXTS))
    _assert_close(ours, ref, [LABELS] * len(TEXTS))
    plain = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label)
    moved = max(abs(a - b) for o, p in zip(ours, plain, strict=True) for a, b in zip(o.scores, p.scores, strict=True))
    assert moved > 1e-4, "the examples must change the scores for the parity to mean something"


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_per_text_rac_examples(pair: dict[str, Any], multi_label: bool) -> None:
    per_text = [_rac_inputs(EXAMPLES[: i % 3]) for i in range(len(TEXTS))]
    ours = pair["rac"].score_labels(TEXTS, LABELS, multi_label=multi_label, examples=[o for o, _ in per_text])
    ref = reference_scores(pair["pipe"], TEXTS, LABELS, multi_label, rac_examples=[t for _, t in per_text])
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


# -- inputs that fit but fill max_length: gliclass keeps everything in one pass, and so must we --------


@pytest.fixture(scope="module")
def default_pair() -> dict[str, Any]:
    path = tiny_gliclass_path()
    scorer = GLiClassScorer.from_pretrained(str(path))
    return {"ours": scorer, "pipe": reference_pipeline(path, max_length=scorer.info.max_length)}


def _prompt_length(scorer: GLiClassScorer, text: str, labels: list[str], examples: list[dict[str, Any]]) -> int:
    from entailkit.scorers import gliclass_inputs as gi
    from entailkit.scorers.gliclass_examples import render_rac

    block = render_rac([as_example(e, "e") for e in examples])
    prompt = gi.build_prompt(text, labels, block, example_format="rac", prompt_first=False)
    return len(scorer.tokenizer(prompt.string)["input_ids"])


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_when_examples_nearly_fill_max_length(
    default_pair: dict[str, Any], multi_label: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A short text with examples filling most of max_length: all examples kept, one pass, as gliclass.

    (Reserving a quarter of max_length for the text whatever its length used to drop examples here.)
    """
    scorer: GLiClassScorer = default_pair["ours"]
    text, labels = "Rain is expected.", LABELS[:4]
    sentence = "The coach praised the players after the football game."
    examples: list[dict[str, Any]] = []
    while True:
        more = [*examples, {"text": sentence, "true_labels": ["sports"], "all_labels": ["sports"]}]
        if _prompt_length(scorer, text, labels, more) > scorer.info.max_length:
            break
        examples = more
    used = _prompt_length(scorer, text, labels, examples)
    assert used > 0.85 * scorer.info.max_length, "the examples must fill most of max_length"
    with caplog.at_level("WARNING", logger="entailkit.scorers.gliclass"), _RowCounter(scorer) as rows:
        ours = scorer.score_labels([text], labels, multi_label=multi_label, examples=examples)
    assert "dropped" not in caplog.text and rows == [1]
    ref = reference_scores(default_pair["pipe"], [text], labels, multi_label, rac_examples=[examples])
    _assert_close(ours, ref, [labels])


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_parity_with_many_labels_that_fit_in_one_pass(default_pair: dict[str, Any], multi_label: bool) -> None:
    """40 labels (over half of max_length in tokens) and a short text fit in one pass: one row, as gliclass."""
    scorer: GLiClassScorer = default_pair["ours"]
    labels = [f"{a} and {b}" for a in ("sports", "business", "weather", "technology", "music") for b in _WORDS]
    assert sum(scorer.count_tokens(labels)) + len(labels) > scorer.info.max_length // 2
    with _RowCounter(scorer) as rows:
        ours = scorer.score_labels(TEXTS[:2], labels, multi_label=multi_label)
    assert rows == [2]
    ref = reference_scores(default_pair["pipe"], TEXTS[:2], labels, multi_label)
    _assert_close(ours, ref, [labels] * 2)


_WORDS = ("team", "bank", "rain", "phone", "film", "game", "card", "moon")


class _RowCounter:
    """Rows per forward pass, through a forward pre-hook on the real model."""

    def __init__(self, scorer: GLiClassScorer) -> None:
        self.rows: list[int] = []
        self._handle = scorer.model.register_forward_pre_hook(
            lambda _m, _a, kw: self.rows.append(int(kw["input_ids"].shape[0])), with_kwargs=True
        )

    def __enter__(self) -> list[int]:
        return self.rows

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()


# -- the one deliberate difference: false labels in the given order, not in hash-seed set order --------

_ALL = ["sports", "business", "weather", "technology", "music", "travel"]


def test_false_label_order_of_gliclass_depends_on_the_hash_seed() -> None:
    """gliclass's own ``retrieval_augmented_text``, run under several PYTHONHASHSEEDs, renders the same
    example differently; entailkit's rendering is the given order whatever the seed."""
    from gliclass.utils import retrieval_augmented_text

    example = {"text": "A late goal.", "true_labels": ["sports"], "all_labels": _ALL}
    theirs = inspect.getsource(retrieval_augmented_text) + f"\nprint(retrieval_augmented_text('x', [{example!r}]))"
    ours = (
        "from entailkit.scorers.gliclass_examples import render_rac\n"
        "from entailkit.types.examples import as_example\n"
        f"print(render_rac([as_example({example!r}, 'e')]))"
    )

    def run(code: str, seed: int, *flags: str) -> str:
        env = {"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    renderings = {run(theirs, seed, "-S") for seed in range(6)}
    assert len(renderings) > 1, "gliclass's false-label order changes with the hash seed"
    false = " ".join(f"<<FALSE_LABEL>> {x}" for x in _ALL[1:])
    expected = f"<<EXAMPLE>> A late goal. <<TRUE_LABEL>> sports {false} <</EXAMPLE>>"
    from entailkit.scorers.gliclass_examples import render_rac

    assert render_rac([as_example(example, "e")]) == expected  # this process's (random) hash seed
    assert run(ours, 0) == expected  # and another one


def test_false_label_order_changes_the_scores(default_pair: dict[str, Any]) -> None:
    """Why the order matters: the same example with its false labels reordered scores differently, so
    gliclass's pipeline gives different scores for one input from one process to the next."""
    scorer: GLiClassScorer = default_pair["ours"]
    given = {"text": "The coach praised the players.", "true_labels": ["sports"], "all_labels": _ALL}
    flipped = {**given, "all_labels": [_ALL[0], *reversed(_ALL[1:])]}
    a = scorer.score_labels(TEXTS[:1], LABELS, multi_label=True, examples=[given])[0]
    b = scorer.score_labels(TEXTS[:1], LABELS, multi_label=True, examples=[flipped])[0]
    assert max(abs(x - y) for x, y in zip(a.scores, b.scores, strict=True)) > 1e-6
