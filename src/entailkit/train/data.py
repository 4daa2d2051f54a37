"""Training data adapters: NLI pairs, classification examples, few-shot sampling and weighted mixing.

The named data sets of the shared folder are read by train/datasets.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from entailkit._validation import check_template
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE
from entailkit.types.nli import NLI_ROLES, nli_role

__all__ = [
    "NLI2",
    "NLI3",
    "ClassificationExample",
    "NLIExample",
    "NLILabel",
    "RelevanceExample",
    "classification_to_nli",
    "count_labels",
    "few_shot",
    "holdout_split",
    "mix",
    "nli_to_classification",
    "normalize_label",
    "split_dev",
]

NLILabel = Literal["entailment", "neutral", "contradiction", "not_entailment"]
NLI3: tuple[str, str, str] = ("entailment", "neutral", "contradiction")
NLI2: tuple[str, str] = ("entailment", "not_entailment")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NLIExample:
    """One (premise, hypothesis, label) pair; ``label`` is an NLI role, 2-way or 3-way."""

    premise: str
    hypothesis: str
    label: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class RelevanceExample:
    """One (query, passage, relevance) pair; ``label`` in [0, 1] (graded judgments are scaled).

    ``first_stage`` is the retriever's score for the pair (e.g. the dense cosine): when every row has one,
    the cross-encoder is trained on top of it (see ``train_cross_encoder``), else it is None.
    """

    query: str
    passage: str
    label: float
    source: str = ""
    first_stage: float | None = None


@dataclass(frozen=True, slots=True)
class ClassificationExample:
    """One text with its true labels (one for single-label data) and, optionally, its own candidate labels.

    ``candidates`` (GLiClass training) are the labels shown with this text when they differ from text to
    text, as in NLI data turned into classification (``nli_to_classification``); None: the run's labels.
    """

    text: str
    labels: tuple[str, ...]
    candidates: tuple[str, ...] | None = None


def normalize_label(label: object) -> str:
    """Map a data set's label spelling onto an NLI role name (``types.nli``), or raise InvalidInputError.

    Args:
        label: The label as the data set spells it (``"ENTAILMENT"``, ``"not entailment"``, ...).

    Raises:
        InvalidInputError: The spelling is not one of an NLI role.
    """
    role = nli_role(label)
    if role is None:
        raise InvalidInputError(f"unknown NLI label {label!r}; expected one of {sorted(NLI_ROLES)}")
    return role


def holdout_split(rows: Sequence[T], n_eval: int, *, seed: int = 0) -> tuple[list[T], list[T]]:
    """(evaluation rows, the other rows): a seeded draw of ``n_eval`` rows kept apart from any training.

    The AG News figures use ``holdout_split(rows, 1000, seed=0)``: few-shot examples are drawn from the
    second part only, and ``entailkit eval --data ag_news`` scores the first.

    Args:
        rows: The rows to split.
        n_eval: How many rows to hold out (all of them when there are fewer).
        seed: Seeds the draw.

    Raises:
        InvalidInputError: ``n_eval`` is negative.
    """
    if n_eval < 0:
        raise InvalidInputError(f"n_eval must be >= 0, got {n_eval}")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    return [rows[i] for i in order[:n_eval]], [rows[i] for i in order[n_eval:]]


def few_shot(
    examples: Sequence[ClassificationExample], n_per_label: int, *, seed: int = 0
) -> list[ClassificationExample]:
    """N examples per label (the first true label counts), drawn with a fixed seed, in a shuffled order.

    Args:
        examples: The pool to draw from (examples without labels are skipped).
        n_per_label: Examples per label (all of a label's examples when it has fewer).
        seed: Seeds the draw and the order.

    Raises:
        InvalidInputError: ``n_per_label`` is below 1.
    """
    if n_per_label < 1:
        raise InvalidInputError(f"n_per_label must be >= 1, got {n_per_label}")
    rng = random.Random(seed)
    by_label: dict[str, list[ClassificationExample]] = {}
    for ex in examples:
        if ex.labels:
            by_label.setdefault(ex.labels[0], []).append(ex)
    picked: list[ClassificationExample] = []
    for label in sorted(by_label):
        pool = by_label[label]
        picked.extend(rng.sample(pool, min(n_per_label, len(pool))))
    rng.shuffle(picked)
    return picked


def classification_to_nli(
    examples: Iterable[ClassificationExample],
    label_names: Sequence[str],
    *,
    template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
    negatives: int | None = None,
    seed: int = 0,
    three_way: bool = False,
) -> list[NLIExample]:
    """Turn (text, labels) into NLI pairs: true label -> entailment, sampled false labels -> not entailment.

    ``negatives`` false labels are sampled per text (None: all of them). With ``three_way`` the false labels
    become ``contradiction`` (single-label data: the true topic rules the others out).

    Args:
        examples: The classification examples.
        label_names: Every label of the data set.
        template: How a label becomes the hypothesis, with one ``{}`` (for texts in another language, the
            classifier's: e.g. ``entailkit.template_for("classify", "de")``).
        negatives: False labels sampled per text (None: all of them).
        seed: Seeds the sampling.
        three_way: Label false labels ``contradiction`` instead of ``not_entailment``.

    Raises:
        InvalidInputError: The template has not exactly one ``{}``.
    """
    template = check_template(template, "template")
    rng = random.Random(seed)
    negative_label = "contradiction" if three_way else "not_entailment"
    out: list[NLIExample] = []
    for ex in examples:
        true = set(ex.labels)
        false = [name for name in label_names if name not in true]
        if negatives is not None:
            false = rng.sample(false, min(negatives, len(false)))
        out.extend(NLIExample(ex.text, template.format(name), "entailment", "classification") for name in ex.labels)
        out.extend(NLIExample(ex.text, template.format(name), negative_label, "classification") for name in false)
    return out


def nli_to_classification(pairs: Iterable[NLIExample]) -> list[ClassificationExample]:
    """Group NLI pairs by premise: the premise is the text, its hypotheses the candidate labels, the
    entailed ones the true labels (GLiClass pretraining on NLI data, as knowledgator's models are trained).

    Texts keep the order of their first pair; a hypothesis given twice for one premise counts once (true
    if any of its pairs is entailment).

    Args:
        pairs: The NLI pairs.
    """
    hypotheses: dict[str, dict[str, bool]] = {}
    for pair in pairs:
        entailed = hypotheses.setdefault(pair.premise, {})
        entailed[pair.hypothesis] = entailed.get(pair.hypothesis, False) or pair.label == "entailment"
    return [
        ClassificationExample(text, tuple(h for h, e in entailed.items() if e), tuple(entailed))
        for text, entailed in hypotheses.items()
    ]


def mix(parts: Mapping[str, tuple[Sequence[T], float]], *, seed: int = 0) -> list[T]:
    """Mix data sets with weights: weight w keeps round(w * len) rows (w < 1 subsamples, w > 1 repeats).

    Args:
        parts: Name -> (rows, weight).
        seed: Seeds the subsampling and the final shuffle.

    Raises:
        InvalidInputError: A negative weight.
    """
    rng = random.Random(seed)
    out: list[T] = []
    for name in sorted(parts):
        rows, weight = parts[name]
        if weight < 0:
            raise InvalidInputError(f"weight of {name!r} must be >= 0, got {weight}")
        want = round(weight * len(rows))
        whole, rest = divmod(want, len(rows)) if rows else (0, 0)
        out.extend(row for _ in range(whole) for row in rows)
        out.extend(rng.sample(list(rows), rest))
    rng.shuffle(out)
    return out


def split_dev(
    rows: Sequence[T], fraction: float = 0.05, *, seed: int = 0, max_dev: int = 2000
) -> tuple[list[T], list[T]]:
    """Split a training pool into (train, dev) with a fixed seed; the dev split drives early stopping.

    Args:
        rows: The pool.
        fraction: The share of rows for dev (at least one row when there are two or more).
        seed: Seeds the draw.
        max_dev: The most dev rows.

    Returns:
        ``(train rows in input order, dev rows)``.

    Raises:
        InvalidInputError: ``fraction`` is not in (0, 1).
    """
    if not 0.0 < fraction < 1.0:
        raise InvalidInputError(f"dev fraction must be in (0, 1), got {fraction}")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_dev = min(max_dev, max(1, round(fraction * len(rows)))) if len(rows) > 1 else 0
    dev_idx = set(order[:n_dev])
    return [r for i, r in enumerate(rows) if i not in dev_idx], [rows[i] for i in order[:n_dev]]


def count_labels(rows: Iterable[NLIExample]) -> dict[str, int]:
    """Label counts (for model cards and logs).

    Args:
        rows: The NLI rows.
    """
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.label] = counts.get(row.label, 0) + 1
    return counts
