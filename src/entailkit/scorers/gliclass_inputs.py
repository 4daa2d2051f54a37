"""GLiClass uni-encoder inputs: markers, label sections, prompts, label chunks and text windows (no torch here).

The strings follow gliclass's ``UniEncoderZeroShotClassificationPipeline`` character for character, so an
input that fits gets exactly the token ids gliclass would give it. What differs is what happens when it
does not fit: gliclass cuts the end of the token sequence (the labels, when the text comes first); here
the text is windowed or cut and the labels are always kept, split into several passes if need be.
Labelled examples are rendered in gliclass_examples.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from entailkit.errors import InvalidInputError
from entailkit.scorers.batching import word_windows
from entailkit.scorers.pairs import WINDOW_OVERLAP
from entailkit.scorers.tokenizer_lock import tokenize
from entailkit.types import LabelledExample, Span, Truncation

__all__ = [
    "EXAMPLE_FORMATS",
    "EXAMPLE_TOKEN",
    "LABEL_TOKEN",
    "MARKERS",
    "SEP_TOKEN",
    "ExampleFormat",
    "Located",
    "Prompt",
    "Row",
    "build_prompt",
    "check_markers",
    "check_no_markers",
    "encode_prompts",
    "label_section",
    "locate_text",
    "make_rows",
    "plan_label_chunks",
    "rows_for",
]

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


# -- markers ----------------------------------------------------------------------------------------


def check_no_markers(value: str, where: str) -> None:
    """GLiClass marker strings inside user text would add or remove label slots: refuse them.

    Args:
        value: The text, label or rendered example.
        where: Its name in the message.

    Raises:
        InvalidInputError: ``value`` contains ``<<LABEL>>``, ``<<SEP>>`` or ``<<EXAMPLE>>``.
    """
    for marker in MARKERS:
        if marker in value:
            raise InvalidInputError(
                f"{where} contains the GLiClass marker {marker!r}, which would change the model's label slots; "
                "remove or rewrite it."
            )


# -- prompts ----------------------------------------------------------------------------------------


def label_section(labels: Sequence[str]) -> str:
    """``<<LABEL>>a<<LABEL>>b<<SEP>>``.

    Args:
        labels: The labels, in order.
    """
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
    """Text, label section and examples in gliclass's order (labels first when ``prompt_first``).

    Args:
        text: The text to classify.
        labels: Its labels (this pass's chunk).
        examples_block: The rendered examples (empty: none).
        example_format: ``"rac"`` (the block follows the text) or ``"fewshot"`` (it follows the labels).
        prompt_first: The model's ``prompt_first``: labels before the text.

    Returns:
        The input string and the character span of the text inside it.
    """
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
    """Consecutive label ranges ``[start, end)`` of at most ``max_per_pass`` labels and ``capacity`` tokens.

    Args:
        costs: Each label's tokens (its marker included).
        capacity: Label tokens per pass at most (a label costlier than that gets a pass of its own).
        max_per_pass: Labels per pass at most (None: no cap).
    """
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
    """A tokenised prompt with the token range ``[start, end)`` that holds the text.

    ``breaks`` are the text-relative token positions in ``(0, n_text)`` between two words of the text (its
    tokenizer's pre-tokenised words), where a window may be cut without splitting a word.
    """

    ids: list[int]
    offsets: list[tuple[int, int]]
    start: int
    end: int
    breaks: tuple[int, ...] = ()

    @property
    def n_text(self) -> int:
        return self.end - self.start

    @property
    def n_other(self) -> int:
        return len(self.ids) - self.n_text

    def window(self, start: int, end: int) -> list[int]:
        """Token ids with only text tokens ``[start, end)`` (relative to the text) kept.

        Args:
            start: The first text token kept.
            end: One past the last text token kept.
        """
        return self.ids[: self.start] + self.ids[self.start + start : self.start + end] + self.ids[self.end :]

    def span(self, start: int, end: int, text_start: int) -> Span:
        """Character span, in the text, of text tokens ``[start, end)``.

        Args:
            start: The first text token.
            end: One past the last text token.
            text_start: Where the text starts in the prompt string (``Prompt.text_start``).
        """
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
    word_ids: Sequence[int | None] | None = None,
) -> Located:
    """Find the text's tokens: non-special tokens whose offsets lie inside the text's character span.

    Args:
        ids: The prompt's token ids.
        offsets: Their character offsets in the prompt string.
        special: The special-tokens mask (1 for special tokens).
        text_start: Where the text starts in the prompt string.
        text_end: Where it ends.
        word_ids: Each token's word (``BatchEncoding.word_ids``); None: every token boundary is a break.
    """
    inside = [i for i, (s, e) in enumerate(offsets) if not special[i] and e > s and s >= text_start and e <= text_end]
    start, end = (inside[0], inside[-1] + 1) if inside else (0, 0)
    words: Sequence[int | None] = word_ids if word_ids is not None else range(len(ids))
    breaks = tuple(k - start for k in range(start + 1, end) if words[k] is None or words[k] != words[k - 1])
    return Located(list(ids), [(int(s), int(e)) for s, e in offsets], start, end, breaks)


def check_markers(
    texts: Sequence[str], label_lists: Sequence[Sequence[str]], example_lists: Sequence[tuple[LabelledExample, ...]]
) -> None:
    """No text, label or example may contain a GLiClass marker string.

    Args:
        texts: The texts.
        label_lists: Each text's labels.
        example_lists: Each text's examples.

    Raises:
        InvalidInputError: One of them contains a marker (the message names which).
    """
    for i, text in enumerate(texts):
        check_no_markers(text, f"texts[{i}]")
    for label in {label for ls in label_lists for label in ls}:
        check_no_markers(label, f"label {label!r}")
    for examples in set(example_lists):
        for e in examples:
            check_no_markers(" ".join((e.text, *e.true_labels, *e.all_labels)), "an example")


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
    """Tokenise prompts (with special tokens, no truncation) and locate each one's text tokens.

    Args:
        tokenizer: The GLiClass model's fast tokenizer.
        prompts: The prompts.
    """
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
            _word_ids(encoded, n),
        )
        for n, prompt in enumerate(prompts)
    ]


def _word_ids(encoded: Any, n: int) -> list[int | None] | None:
    """The words of input ``n``'s tokens, or None where the encoding has none (not a fast tokenizer's)."""
    try:
        return list(encoded.word_ids(n))
    except (AttributeError, ValueError):
        return None


def rows_for(
    located: Located,
    prompt: Prompt,
    owner: tuple[int, int, int],
    max_length: int,
    policy: Truncation,
) -> tuple[list[Row], bool]:
    """A prompt that fits is one row; a longer one windows (or is cut, or raises). Returns (rows, cut).

    Args:
        located: The tokenised prompt.
        prompt: The prompt (where its text starts).
        owner: ``(text item, first label, end label)`` the rows score.
        max_length: Tokens per row.
        policy: ``"window"``, ``"head"`` or ``"error"``.

    Raises:
        InvalidInputError: Labels and examples leave no room for the text, or the prompt is too long and
            ``policy`` is ``"error"``.
    """
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
    # Windows are cut between words: a window holding part of a word would hold tokens that are not the
    # tokenization of its text (the scored input would not be the reported window).
    stride = max(1, int(room * (1 - WINDOW_OVERLAP)))
    spans = word_windows(located.n_text, room, stride, located.breaks)
    if policy == "head":
        spans = spans[:1]
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

    Args:
        tokenizer: The GLiClass model's fast tokenizer.
        prompts: The prompts.
        owners: ``(text item, first label, end label)`` of each prompt.
        max_length: Tokens per row.
        policy: ``"window"``, ``"head"`` or ``"error"``.

    Raises:
        InvalidInputError: As ``rows_for``.
    """
    rows: list[Row] = []
    cuts: set[int] = set()
    for located, prompt, owner in zip(encode_prompts(tokenizer, prompts), prompts, owners, strict=True):
        more, cut = rows_for(located, prompt, owner, max_length, policy)
        rows.extend(more)
        if cut:
            cuts.add(owner[0])
    return rows, cuts
