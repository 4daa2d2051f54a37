"""ZeroShotClassifier: labels for texts from any Scorer, optionally with (retrieved) labelled examples.

Labels may be names or ``{name: description}``: the description is what the model reads (inside the
hypothesis template), the name is what comes back. With an example store, the ``rac_k`` nearest
labelled examples of each text go to the scorer (GLiClass retrieval-augmented classification).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from entailkit._validation import (
    check_bool,
    check_example,
    check_finite,
    check_label_list,
    check_positive_int,
    check_probability,
    check_template,
    check_text,
    check_texts,
)
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, Scorer
from entailkit.tasks._calibration_protocol import Calibrator, apply_calibrator, check_calibrator
from entailkit.types import Classification, LabelledExample

logger = logging.getLogger(__name__)

MULTI_LABEL_THRESHOLD = 0.5
"""Threshold of multi-label predictions when none is given."""

LabelSpec = Sequence[str] | Mapping[str, str]
"""Label names, or ``{name: description}``."""


@runtime_checkable
class ExampleSource(Protocol):
    """Anything that returns the labelled examples nearest to a text (entailkit.index.ExampleStore).

    ``search`` returns LabelledExample objects, or hits carrying one in ``.example``, best first; a
    ``search_many(texts, k)`` method, when present, is used instead (one batched lookup).
    """

    def search(self, query: str, k: int = ...) -> Sequence[Any]: ...


class ZeroShotClassifier:
    """Classify texts into candidate labels with an NLI cross-encoder or a GLiClass model."""

    def __init__(
        self,
        scorer: Scorer,
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        calibrator: Calibrator | None = None,
        show_progress: bool = False,
    ) -> None:
        if not isinstance(scorer, Scorer):
            raise InvalidInputError(
                f"scorer must implement the entailkit Scorer protocol, got {type(scorer).__name__}; "
                "build one with entailkit.load_scorer(model)."
            )
        self.scorer = scorer
        self.hypothesis_template = check_template(hypothesis_template)
        self.calibrator = check_calibrator(calibrator)
        self.show_progress = check_bool(show_progress, "show_progress")

    def classify(
        self,
        texts: Sequence[str],
        labels: LabelSpec | Sequence[LabelSpec],
        *,
        multi_label: bool = False,
        threshold: float | None = None,
        hypothesis_template: str | None = None,
        examples: Sequence[LabelledExample] | Sequence[Sequence[LabelledExample]] | None = None,
        example_store: ExampleSource | None = None,
        rac_k: int = 2,
        rac_min_similarity: float | None = None,
    ) -> list[Classification]:
        """One Classification per text, labels sorted by descending score (ties keep the given order).

        ``labels``: one list (or ``{name: description}`` mapping) for all texts, or one per text.
        Single-label: scores sum to 1 and ``predicted`` is the top label (if it reaches ``threshold``).
        Multi-label: each label is scored on its own; ``predicted`` holds those at or above
        ``threshold`` (0.5 when None). ``examples`` (one list for all texts or one per text) or
        ``example_store`` (the ``rac_k`` nearest examples per text, only those at or above
        ``rac_min_similarity`` when given) feed few-shot models.
        """
        template = check_template(hypothesis_template) if hypothesis_template is not None else self.hypothesis_template
        cut = check_probability(threshold, "threshold")
        check_bool(multi_label, "multi_label")
        k = check_positive_int(rac_k, "rac_k", allow_none=False)
        assert k is not None
        min_similarity = check_finite(rac_min_similarity, "rac_min_similarity", allow_none=True)
        text_list = check_texts(texts)
        specs = _label_specs(labels, len(text_list))
        if examples is not None and example_store is not None:
            raise InvalidInputError("pass examples= or example_store=, not both.")
        if example_store is not None and not callable(getattr(example_store, "search", None)):
            raise InvalidInputError(
                f"example_store must have a search(text, k=...) method (an entailkit ExampleStore), "
                f"got {type(example_store).__name__}."
            )
        if not text_list:
            return []
        per_text_examples = _examples(examples, text_list, example_store, k, min_similarity)
        model_examples = (
            [[_describe_example(ex, names) for ex in exs] for exs, names in zip(per_text_examples, specs, strict=True)]
            if per_text_examples is not None
            else None
        )
        label_texts = [[description for description in names.values()] for names in specs]
        scored = self.scorer.score_labels(
            text_list,
            label_texts,
            hypothesis_template=template,
            multi_label=multi_label,
            examples=model_examples,
            show_progress=self.show_progress,
        )
        raw = [score for item in scored for score in item.scores]
        final = apply_calibrator(self.calibrator, [min(1.0, max(0.0, s)) for s in raw])
        effective = cut if cut is not None or not multi_label else MULTI_LABEL_THRESHOLD
        out: list[Classification] = []
        offset = 0
        for i, (text, names) in enumerate(zip(text_list, specs, strict=True)):
            ranked = sorted(zip(names, final[offset : offset + len(names)], strict=True), key=lambda pair: -pair[1])
            offset += len(names)
            if multi_label:
                predicted = tuple(name for name, score in ranked if score >= (effective or 0.0))
            else:
                top_name, top_score = ranked[0]
                predicted = (top_name,) if effective is None or top_score >= effective else ()
            out.append(
                Classification(
                    text=text,
                    labels=tuple(name for name, _ in ranked),
                    scores=tuple(score for _, score in ranked),
                    predicted=predicted,
                    multi_label=multi_label,
                    threshold=effective,
                    examples=tuple(per_text_examples[i]) if per_text_examples is not None else (),
                )
            )
        return out


def _label_specs(labels: Any, n_texts: int) -> list[dict[str, str]]:
    """One ``{name: text the model reads}`` dict per text."""
    if isinstance(labels, (str, bytes)):
        raise InvalidInputError(
            f"labels must be a list of label names or a {{name: description}} mapping, got a single str; "
            f"use [{labels!r}]."
        )
    if isinstance(labels, Mapping):
        shared = _one_spec(labels, "labels")
        return [shared for _ in range(n_texts)]
    if not isinstance(labels, Sequence):
        raise InvalidInputError(f"labels must be a list or a mapping, got {type(labels).__name__}.")
    if len(labels) > 0 and all(isinstance(x, (Mapping, Sequence)) and not isinstance(x, str) for x in labels):
        if len(labels) != n_texts:
            raise InvalidInputError(
                f"per-text labels must have one list (or mapping) per text: got {len(labels)} for {n_texts} texts."
            )
        return [_one_spec(x, f"labels[{i}]") for i, x in enumerate(labels)]
    shared = _one_spec(labels, "labels")
    return [shared for _ in range(n_texts)]


def _one_spec(spec: Any, name: str) -> dict[str, str]:
    if isinstance(spec, Mapping):
        names = check_label_list(list(spec.keys()), name)
        described: dict[str, str] = {}
        for label in names:
            description = spec[label]
            if not isinstance(description, str) or not description.strip():
                raise InvalidInputError(f"{name}[{label!r}] must be a non-empty description str, got {description!r}.")
            check_text(description, f"{name}[{label!r}]")
            described[label] = description
        seen: dict[str, str] = {}
        for label, description in described.items():
            if description in seen:
                raise InvalidInputError(
                    f"{name}: labels {seen[description]!r} and {label!r} have the same "
                    f"description {description!r}; "
                    "descriptions must be distinct."
                )
            seen[description] = label
        return described
    return {label: label for label in check_label_list(spec, name)}


def _examples(
    examples: Any, texts: list[str], store: ExampleSource | None, k: int, min_similarity: float | None = None
) -> list[list[LabelledExample]] | None:
    """One list of examples per text (given, shared, or retrieved), or None."""
    if store is not None:
        # min_similarity is passed only when set, so a store whose search takes only (text, k) still works.
        extra: dict[str, float] = {} if min_similarity is None else {"min_similarity": float(min_similarity)}
        search_many = getattr(store, "search_many", None)  # one embedding call for all texts
        found = (
            search_many(texts, k, **extra)
            if callable(search_many)
            else [store.search(text, k=k, **extra) for text in texts]
        )
        if len(found) != len(texts):
            raise InvalidInputError(f"example_store returned {len(found)} result lists for {len(texts)} texts.")
        return [
            [_as_example(hit, f"example_store.search({text[:30]!r})") for hit in hits][:k]
            for text, hits in zip(texts, found, strict=True)
        ]
    if examples is None:
        return None
    if isinstance(examples, (str, bytes, Mapping)) or not isinstance(examples, Sequence):
        raise InvalidInputError(f"examples must be a list of LabelledExample, got {type(examples).__name__}.")
    if len(examples) > 0 and all(isinstance(x, Sequence) and not isinstance(x, (str, Mapping)) for x in examples):
        if len(examples) != len(texts):
            raise InvalidInputError(
                f"per-text examples must have one list per text: got {len(examples)} lists for {len(texts)} texts."
            )
        return [[_as_example(x, f"examples[{i}][{j}]") for j, x in enumerate(xs)] for i, xs in enumerate(examples)]
    shared = [_as_example(x, f"examples[{j}]") for j, x in enumerate(examples)]
    return [shared for _ in texts]


def _as_example(value: Any, where: str) -> LabelledExample:
    """A LabelledExample (given, inside a search hit, or from a mapping) with valid text and labels."""
    return check_example(_to_example(value, where), where)


def _to_example(value: Any, where: str) -> LabelledExample:
    if isinstance(value, LabelledExample):
        return value
    inner = getattr(value, "example", None)
    if isinstance(inner, LabelledExample):
        return inner
    if isinstance(value, Mapping):
        try:
            return LabelledExample.model_validate(value)
        except Exception as exc:
            raise InvalidInputError(
                f"{where} is not a valid example: {exc}. Expected text, true_labels and optionally all_labels."
            ) from None
    raise InvalidInputError(
        f"{where} must be a LabelledExample (or a mapping with text and true_labels), got {type(value).__name__}."
    )


def _describe_example(example: LabelledExample, names: Mapping[str, str]) -> LabelledExample:
    """The example with label names replaced by the descriptions the model reads."""
    if all(names.get(label, label) == label for label in (*example.true_labels, *example.all_labels)):
        return example
    return LabelledExample(
        text=example.text,
        true_labels=tuple(names.get(label, label) for label in example.true_labels),
        all_labels=tuple(names.get(label, label) for label in example.all_labels),
    )
