"""ZeroShotClassifier: labels for texts from any Scorer, optionally with (retrieved) labelled examples.

Labels may be names or ``{name: description}``: the description is what the model reads (inside the
hypothesis template), the name is what comes back. With an example store, the ``rac_k`` nearest
labelled examples of each text go to the scorer (GLiClass retrieval-augmented classification).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from entailkit._labels import check_described_labels
from entailkit._validation import (
    check_bool,
    check_finite,
    check_positive_int,
    check_probability,
    check_template,
    check_texts,
)
from entailkit.batching.aio import async_method
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks._calibration_protocol import Calibrator, apply_calibrator, check_calibrator
from entailkit.tasks.templates import check_template_options, template_for
from entailkit.types import Classification, LabelledExample
from entailkit.types.examples import as_example

__all__ = ["MULTI_LABEL_THRESHOLD", "ExampleSource", "LabelSpec", "ZeroShotClassifier"]

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

    def search(self, query: str, k: int = ...) -> Sequence[Any]:
        """The labelled examples nearest to ``query``, best first.

        Args:
            query: The text to classify.
            k: How many examples to return at most.

        Returns:
            ``LabelledExample`` objects, or hits carrying one in ``.example`` (``ExampleHit``).
        """
        ...


class ZeroShotClassifier:
    """Classify texts into candidate labels with an NLI cross-encoder or a GLiClass model."""

    def __init__(
        self,
        scorer: Scorer,
        *,
        hypothesis_template: str | None = None,
        language: str | None = None,
        calibrator: Calibrator | None = None,
        show_progress: bool = False,
    ) -> None:
        """Check the scorer and the options once.

        Args:
            scorer: Any Scorer; NLI cross-encoders and GLiClass models are the ones made for it.
            hypothesis_template: How a label (or its description) becomes the hypothesis, with one ``{}``
                (None: the built-in template of ``language``); it wins over ``language``, and
                ``classify(hypothesis_template=)`` overrides it per call.
            language: ISO 639-1 code of the texts (``"de"``, ``"pt-BR"``) whose built-in template is used
                when no ``hypothesis_template`` is given (``entailkit.template_for("classify", language)``);
                None: English, ``"This example is {}."``.
            calibrator: Maps raw label scores to calibrated probabilities; ranking, ``predicted`` and the
                threshold then use the calibrated scores.
            show_progress: Show a progress bar while scoring.

        Raises:
            InvalidInputError: ``scorer`` is not a Scorer, the template has not exactly one ``{}``, ``language``
                is not a code (or has no built-in template, when none is given), the calibrator has no
                ``transform``, or ``show_progress`` is not a bool.
        """
        if not isinstance(scorer, Scorer):
            raise InvalidInputError(
                f"scorer must implement the entailkit Scorer protocol, got {type(scorer).__name__}; "
                "build one with entailkit.load_scorer(model)."
            )
        self.scorer = scorer
        self.hypothesis_template, self.language = check_template_options(
            hypothesis_template, language, "classify", "hypothesis_template"
        )
        """As given: None means the built-in template of ``language`` (so a spec read back keeps that link)."""
        self.calibrator = check_calibrator(calibrator)
        self.show_progress = check_bool(show_progress, "show_progress")

    @property
    def template(self) -> str:
        """The template in force: ``hypothesis_template`` if given, else the built-in one of ``language``."""
        return self.hypothesis_template or template_for("classify", self.language)

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

        Single-label: scores sum to 1 and ``predicted`` is the top label (if it reaches ``threshold``).
        Multi-label: each label is scored on its own; ``predicted`` holds those at or above
        ``threshold`` (0.5 when None).

        Args:
            texts: The texts to classify (a list of str).
            labels: One list of distinct label names (or a ``{name: description}`` mapping: the model reads
                the description, the name comes back) for all texts, or one such list or mapping per text.
            multi_label: Score each label on its own (several may apply) instead of one softmax over them.
            threshold: The score a label needs to be predicted, in [0, 1]; None: 0.5 for multi-label, and
                the top label is always predicted for single-label.
            hypothesis_template: This call's template, with one ``{}`` (None: the instance's ``template``).
            examples: Labelled examples for few-shot models (GLiClass): one list for all texts or one list
                per text; other scorers ignore them.
            example_store: Where to retrieve the ``rac_k`` nearest labelled examples of each text instead
                (an ``ExampleStore``, or anything with ``search(text, k=)``); not together with ``examples``.
            rac_k: How many examples to retrieve per text (a positive int).
            rac_min_similarity: Keep only retrieved examples at least this similar (None: keep the ``rac_k``).

        Returns:
            One ``Classification`` per text, in input order (empty for no texts).

        Raises:
            InvalidInputError: ``texts`` is not a list of str; a label list is empty, has duplicates or blank
                descriptions, or per-text labels or examples do not match the number of texts; both
                ``examples`` and ``example_store`` are given; or an option is out of range.
        """
        template = check_template(hypothesis_template) if hypothesis_template is not None else self.template
        cut = check_probability(threshold, "threshold")
        check_bool(multi_label, "multi_label")
        k = check_positive_int(rac_k, "rac_k", allow_none=False)
        assert k is not None
        min_similarity = check_finite(rac_min_similarity, "rac_min_similarity", allow_none=True)
        text_list = check_texts(texts)
        specs = check_described_labels(labels, len(text_list))
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

    aclassify = async_method(classify, items="texts")


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
            [as_example(hit, f"example_store.search({text[:30]!r})") for hit in hits][:k]
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
        return [[as_example(x, f"examples[{i}][{j}]") for j, x in enumerate(xs)] for i, xs in enumerate(examples)]
    shared = [as_example(x, f"examples[{j}]") for j, x in enumerate(examples)]
    return [shared for _ in texts]


def _describe_example(example: LabelledExample, names: Mapping[str, str]) -> LabelledExample:
    """The example with label names replaced by the descriptions the model reads."""
    if all(names.get(label, label) == label for label in (*example.true_labels, *example.all_labels)):
        return example
    return LabelledExample(
        text=example.text,
        true_labels=tuple(names.get(label, label) for label in example.true_labels),
        all_labels=tuple(names.get(label, label) for label in example.all_labels),
    )
