"""GLiClass uni-encoder inputs: label sections, examples, label chunks and text windows (no torch here).

The strings follow gliclass's ``UniEncoderZeroShotClassificationPipeline`` character for character, so an
input that fits gets exactly the token ids gliclass would give it. What differs is what happens when it
does not fit: gliclass cuts the end of the token sequence (the labels, when the text comes first); here
the text is windowed or cut and the labels are always kept, split into several passes if need be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from entailkit.errors import InvalidInputError
from entailkit.scorers.batching import token_windows
from entailkit.scorers.pairs import WINDOW_OVERLAP
from entailkit.scorers.tokenizer_lock import tokenize
from entailkit.types import LabelledExample, Span, Truncation

logger = logging.getLogger(__name__)

LABEL_TOKEN = "<<LABEL>>"
SEP_TOKEN = "<<SEP>>"
EXAMPLE_TOKEN = "<<EXAMPLE>>"
MARKERS = (LABEL_TOKEN, SEP_TOKEN, EXAMPLE_TOKEN)

ExampleFormat = Literal["rac", "fewshot"]
"""``rac``: ``<<EXAMPLE>> text <<TRUE_LABEL>> a <<FALSE_LABEL>> b <</EXAMPLE>>`` after the text (the RAC
models, gliclass's ``rac_examples=``); ``fewshot``: ``<<EXAMPLE>>text \\nLabels:\\n a, b`` ... ``<<SEP>>``
after the labels (gliclass's newer ``examples=``)."""
EXAMPLE_FORMATS: tuple[str, ...] = ("rac", "fewshot")


# -- examples ---------------------------------------------------------------------------------------


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInputError(f"{where} must be a list of label strings, got {type(value).__name__}.")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidInputError(f"{where}[{i}] must be a str, got {type(item).__name__}.")
    return tuple(value)


def to_example(item: Any, where: str) -> LabelledExample:
    """A LabelledExample, or a dict with ``text``, ``true_labels`` (or ``labels``), optional ``all_labels``."""
    if isinstance(item, LabelledExample):
        return item
    if not isinstance(item, Mapping):
        raise InvalidInputError(
            f"{where} must be a LabelledExample or a dict with 'text', 'true_labels' and 'all_labels', "
            f"got {type(item).__name__}."
        )
    text = item.get("text")
    if not isinstance(text, str):
        raise InvalidInputError(f"{where}['text'] must be a str, got {type(text).__name__}.")
    true = item.get("true_labels", item.get("labels"))
    if true is None:
        raise InvalidInputError(f"{where} has no 'true_labels'; give the labels that apply to its text.")
    return LabelledExample(
        text=text,
        true_labels=_str_list(true, f"{where}['true_labels']"),
        all_labels=_str_list(item.get("all_labels", ()), f"{where}['all_labels']"),
    )


def _is_example(item: Any) -> bool:
    return isinstance(item, (LabelledExample, Mapping))


def normalize_examples(examples: Any, n_texts: int) -> list[tuple[LabelledExample, ...]]:
    """``None``, one example list for all texts, or one list per text -> one tuple per text."""
    if examples is None:
        return [() for _ in range(n_texts)]
    if isinstance(examples, (str, Mapping, LabelledExample)) or not isinstance(examples, Sequence):
        raise InvalidInputError(
            f"examples must be a list of examples (or one list per text), got {type(examples).__name__}."
        )
    if len(examples) == 0:
        return [() for _ in range(n_texts)]
    if all(_is_example(x) for x in examples):
        shared = tuple(to_example(x, f"examples[{i}]") for i, x in enumerate(examples))
        return [shared for _ in range(n_texts)]
    if all(x is None or (isinstance(x, Sequence) and not isinstance(x, str)) for x in examples):
        if len(examples) != n_texts:
            raise InvalidInputError(
                f"per-text examples must have one list per text: got {len(examples)} lists for {n_texts} texts."
            )
        return [
            tuple(to_example(x, f"examples[{i}][{j}]") for j, x in enumerate(group or ()))
            for i, group in enumerate(examples)
        ]
    raise InvalidInputError("examples mixes single examples and lists; pass one flat list or one list per text.")


def check_no_markers(value: str, where: str) -> None:
    """GLiClass marker strings inside user text would add or remove label slots: refuse them."""
    for marker in MARKERS:
        if marker in value:
            raise InvalidInputError(
                f"{where} contains the GLiClass marker {marker!r}, which would change the model's label slots; "
                "remove or rewrite it."
            )


def render_rac(examples: Sequence[LabelledExample]) -> str:
    """gliclass's ``retrieval_augmented_text`` block; examples without true labels are skipped as there.

    False labels are ``all_labels`` minus the true ones in the given order (gliclass uses a set, whose
    order changes with PYTHONHASHSEED).
    """
    parts = []
    for example in examples:
        if not example.true_labels:
            continue
        true = " ".join(f"<<TRUE_LABEL>> {label}" for label in example.true_labels)
        false = " ".join(
            f"<<FALSE_LABEL>> {label}"
            for label in dict.fromkeys(example.all_labels)
            if label not in example.true_labels
        )
        parts.append(f"{EXAMPLE_TOKEN} {example.text} {true} {false} <</EXAMPLE>>")
    return " ".join(parts)


def render_fewshot(examples: Sequence[LabelledExample]) -> str:
    """gliclass's ``format_examples_prompt``: ``<<EXAMPLE>>text \\nLabels:\\n a, b`` ..., then ``<<SEP>>``."""
    if not examples:
        return ""
    parts = [f"{EXAMPLE_TOKEN}{e.text} \nLabels:\n {', '.join(e.true_labels)}" for e in examples]
    return "".join(parts) + SEP_TOKEN


def render_examples(examples: Sequence[LabelledExample], example_format: ExampleFormat) -> str:
    return render_rac(examples) if example_format == "rac" else render_fewshot(examples)


# -- prompts ----------------------------------------------------------------------------------------


def label_section(labels: Sequence[str]) -> str:
    """``<<LABEL>>a<<LABEL>>b<<SEP>>``."""
    return "".join(f"{LABEL_TOKEN}{label}" for label in labels) + SEP_TOKEN


@dataclass(frozen=True)
class Prompt:
    """The model's input string and the character span of the text inside it."""

    string: str
    text_start: int
    text_end: int


def build_prompt(
    text: str,
    labels: Sequence[str],
    examples_block: str,
    *,
    example_format: ExampleFormat,
    prompt_first: bool,
) -> Prompt:
    """Text, label section and examples in gliclass's order (labels first when ``prompt_first``)."""
    section = label_section(labels)
    body, tail = text, ""
    if examples_block:
        if example_format == "rac":
            body = f"{text} {examples_block}"
        else:
            tail = examples_block
    if prompt_first:
        return Prompt(section + body + tail, len(section), len(section) + len(text))
    return Prompt(body + section + tail, 0, len(text))


# -- label chunks -----------------------------------------------------------------------------------


def plan_label_chunks(costs: Sequence[int], capacity: int, max_per_pass: int | None) -> list[tuple[int, int]]:
    """Consecutive label ranges ``[start, end)`` of at most ``max_per_pass`` labels and ``capacity`` tokens."""
    chunks: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, cost in enumerate(costs):
        full = max_per_pass is not None and i - start >= max_per_pass
        if i > start and (full or used + cost > capacity):
            chunks.append((start, i))
            start, used = i, 0
        used += cost
    if costs:
        chunks.append((start, len(costs)))
    return chunks


# -- text location and windows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """A tokenised prompt with the token range ``[start, end)`` that holds the text."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    start: int
    end: int

    @property
    def n_text(self) -> int:
        return self.end - self.start

    @property
    def n_other(self) -> int:
        return len(self.ids) - self.n_text

    def window(self, start: int, end: int) -> list[int]:
        """Token ids with only text tokens ``[start, end)`` (relative to the text) kept."""
        return self.ids[: self.start] + self.ids[self.start + start : self.start + end] + self.ids[self.end :]

    def span(self, start: int, end: int, text_start: int) -> Span:
        """Character span, in the text, of text tokens ``[start, end)``."""
        return (
            self.offsets[self.start + start][0] - text_start,
            self.offsets[self.start + end - 1][1] - text_start,
        )


def locate_text(
    ids: Sequence[int],
    offsets: Sequence[Sequence[int]],
    special: Sequence[int],
    text_start: int,
    text_end: int,
) -> Located:
    """Find the text's tokens: non-special tokens whose offsets lie inside the text's character span."""
    inside = [i for i, (s, e) in enumerate(offsets) if not special[i] and e > s and s >= text_start and e <= text_end]
    start, end = (inside[0], inside[-1] + 1) if inside else (0, 0)
    return Located(list(ids), [(int(s), int(e)) for s, e in offsets], start, end)


def check_markers(
    texts: Sequence[str], label_lists: Sequence[Sequence[str]], example_lists: Sequence[tuple[LabelledExample, ...]]
) -> None:
    """No text, label or example may contain a GLiClass marker string."""
    for i, text in enumerate(texts):
        check_no_markers(text, f"texts[{i}]")
    for label in {label for ls in label_lists for label in ls}:
        check_no_markers(label, f"label {label!r}")
    for examples in set(example_lists):
        for e in examples:
            check_no_markers(" ".join((e.text, *e.true_labels, *e.all_labels)), "an example")


def fit_examples(
    examples: Sequence[LabelledExample],
    example_format: ExampleFormat,
    count: Callable[[str], int],
    budget: int,
) -> tuple[str, int, int]:
    """The rendered block, its token cost and how many trailing examples were dropped to stay in ``budget``."""
    kept = list(examples)
    while True:
        block = render_examples(kept, example_format)
        cost = count(block) + 1 if block else 0
        if cost <= budget or not kept:
            return block, cost, len(examples) - len(kept)
        kept.pop()


# -- rows ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One forward-pass input: a window of text ``item`` with the labels ``[lo, hi)`` of its label list."""

    item: int
    lo: int
    hi: int
    ids: list[int]
    span: Span | None


def encode_prompts(tokenizer: Any, prompts: Sequence[Prompt]) -> list[Located]:
    """Tokenise prompts (with special tokens, no truncation) and locate each one's text tokens."""
    if not prompts:
        return []
    encoded = tokenize(
        tokenizer,
        [p.string for p in prompts],
        add_special_tokens=True,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        truncation=False,
    )
    return [
        locate_text(
            encoded["input_ids"][n],
            encoded["offset_mapping"][n],
            encoded["special_tokens_mask"][n],
            prompt.text_start,
            prompt.text_end,
        )
        for n, prompt in enumerate(prompts)
    ]


def rows_for(
    located: Located,
    prompt: Prompt,
    owner: tuple[int, int, int],
    max_length: int,
    policy: Truncation,
) -> tuple[list[Row], bool]:
    """A prompt that fits is one row; a longer one windows (or is cut, or raises). Returns (rows, cut)."""
    item, lo, hi = owner
    if len(located.ids) <= max_length:
        return [Row(item, lo, hi, located.ids, None)], False
    room = max_length - located.n_other
    if room < 1 or located.n_text == 0:
        raise InvalidInputError(
            f"the labels and examples of texts[{item}] leave no room for its text within "
            f"max_length={max_length}; pass fewer or shorter examples, or a lower max_labels_per_pass."
        )
    if policy == "error":
        raise InvalidInputError(
            f"texts[{item}] with its labels is {len(located.ids)} tokens, over max_length={max_length}; "
            "shorten it, or use truncation='window' (score every window) or 'head' (cut)."
        )
    if policy == "head":
        spans = [(0, room)]
    else:
        spans = token_windows(located.n_text, room, max(1, int(room * (1 - WINDOW_OVERLAP))))
    rows = [Row(item, lo, hi, located.window(s, e), located.span(s, e, prompt.text_start)) for s, e in spans]
    return rows, policy == "head"


def make_rows(
    tokenizer: Any,
    prompts: Sequence[Prompt],
    owners: Sequence[tuple[int, int, int]],
    max_length: int,
    policy: Truncation,
) -> tuple[list[Row], set[int]]:
    """Tokenise prompts once; one that fits is one row, a longer one windows (or a cut, or an error).

    Returns the rows and the items that were cut (``head`` policy).
    """
    rows: list[Row] = []
    cuts: set[int] = set()
    for located, prompt, owner in zip(encode_prompts(tokenizer, prompts), prompts, owners, strict=True):
        more, cut = rows_for(located, prompt, owner, max_length, policy)
        rows.extend(more)
        if cut:
            cuts.add(owner[0])
    return rows, cuts
