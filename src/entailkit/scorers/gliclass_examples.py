"""GLiClass labelled examples: per-text example lists, rendered as gliclass renders them, fitted to a budget."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.gliclass_inputs import EXAMPLE_TOKEN, SEP_TOKEN, ExampleFormat
from entailkit.types import LabelledExample
from entailkit.types.examples import as_example

__all__ = ["fit_examples", "normalize_examples", "render_examples", "render_fewshot", "render_rac"]


def _is_example(item: Any) -> bool:
    return isinstance(item, (LabelledExample, Mapping))


def normalize_examples(examples: Any, n_texts: int) -> list[tuple[LabelledExample, ...]]:
    """``None``, one example list for all texts, or one list per text -> one tuple per text.

    Args:
        examples: None; one list of examples (``LabelledExample`` or mappings) shared by all texts; or one
            list (or None) per text.
        n_texts: How many texts there are.

    Raises:
        InvalidInputError: Not a list, per-text lists that do not match ``n_texts``, a mix of examples and
            lists, or a malformed example.
    """
    if examples is None:
        return [() for _ in range(n_texts)]
    if isinstance(examples, (str, Mapping, LabelledExample)) or not isinstance(examples, Sequence):
        raise InvalidInputError(
            f"examples must be a list of examples (or one list per text), got {type(examples).__name__}."
        )
    if len(examples) == 0:
        return [() for _ in range(n_texts)]
    if all(_is_example(x) for x in examples):
        shared = tuple(as_example(x, f"examples[{i}]") for i, x in enumerate(examples))
        return [shared for _ in range(n_texts)]
    if all(x is None or (isinstance(x, Sequence) and not isinstance(x, str)) for x in examples):
        if len(examples) != n_texts:
            raise InvalidInputError(
                f"per-text examples must have one list per text: got {len(examples)} lists for {n_texts} texts."
            )
        return [
            tuple(as_example(x, f"examples[{i}][{j}]") for j, x in enumerate(group or ()))
            for i, group in enumerate(examples)
        ]
    raise InvalidInputError("examples mixes single examples and lists; pass one flat list or one list per text.")


def render_rac(examples: Sequence[LabelledExample]) -> str:
    """gliclass's ``retrieval_augmented_text`` block; examples without true labels are skipped as there.

    False labels are ``all_labels`` minus the true ones in the given order (gliclass uses a set, whose
    order changes with PYTHONHASHSEED).

    Args:
        examples: The examples to render.
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
    """gliclass's ``format_examples_prompt``: ``<<EXAMPLE>>text \\nLabels:\\n a, b`` ..., then ``<<SEP>>``.

    Args:
        examples: The examples to render (empty: the empty string).
    """
    if not examples:
        return ""
    parts = [f"{EXAMPLE_TOKEN}{e.text} \nLabels:\n {', '.join(e.true_labels)}" for e in examples]
    return "".join(parts) + SEP_TOKEN


def render_examples(examples: Sequence[LabelledExample], example_format: ExampleFormat) -> str:
    """The examples block in ``example_format``: ``render_rac`` or ``render_fewshot``.

    Args:
        examples: The examples to render.
        example_format: ``"rac"`` or ``"fewshot"``.
    """
    return render_rac(examples) if example_format == "rac" else render_fewshot(examples)


def fit_examples(
    examples: Sequence[LabelledExample],
    example_format: ExampleFormat,
    count: Callable[[str], int],
    budget: int,
) -> tuple[str, int, int]:
    """The rendered block, its token cost and how many trailing examples were dropped to stay in ``budget``.

    Args:
        examples: The examples, most relevant first.
        example_format: ``"rac"`` or ``"fewshot"``.
        count: Counts the tokens of a string.
        budget: Tokens the block may take.
    """
    kept = list(examples)
    while True:
        block = render_examples(kept, example_format)
        cost = count(block) + 1 if block else 0
        if cost <= budget or not kept:
            return block, cost, len(examples) - len(kept)
        kept.pop()
