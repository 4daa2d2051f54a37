"""Training data adapters: NLI pairs, classification examples, few-shot sampling and weighted mixing.

Loaders read the shared data sets (see ``../shared/data/DATA.md``) and honour its split markings: the
evaluation files are never part of a training pool.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from entailkit._validation import check_template
from entailkit.errors import InvalidInputError
from entailkit.types.nli import NLI_ROLES, nli_role

NLILabel = Literal["entailment", "neutral", "contradiction", "not_entailment"]
NLI3: tuple[str, str, str] = ("entailment", "neutral", "contradiction")
NLI2: tuple[str, str] = ("entailment", "not_entailment")
_MPE_IMAGE_ID = re.compile(r"\d+jpg\d")
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


def shared_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The shared folder: ``path``, else $ENTAILKIT_SHARED, else ``../shared`` from the working directory.

    Args:
        path: An explicit shared folder (None: the environment or the default).
    """
    if path is not None:
        return Path(path)
    return Path(os.environ.get("ENTAILKIT_SHARED", Path.cwd().parent / "shared"))


def _require_file(path: Path) -> Path:
    if not path.is_file():
        raise InvalidInputError(f"data file {path} does not exist; pass the shared folder or set ENTAILKIT_SHARED")
    return path


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    with _require_file(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def clean_mpe_premise(premise: str) -> str:
    """Strip the image ids glued to MPE captions (``3191828851jpg0A little boy``) and tidy spaces.

    Args:
        premise: An MPE premise.
    """
    return " ".join(_MPE_IMAGE_ID.sub(" ", premise).split())


def load_sick(path: str | os.PathLike[str], splits: Sequence[str] = ("TRAIN", "TRIAL")) -> list[NLIExample]:
    """SICK pairs of the given ``SemEval_set`` splits (TRAIN, TRIAL, TEST).

    Args:
        path: ``SICK.txt``.
        splits: The splits to keep (case-insensitive).

    Raises:
        InvalidInputError: The file does not exist, or a label is not an NLI role.
    """
    wanted = {split.upper() for split in splits}
    with _require_file(Path(path)).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [
        NLIExample(row["sentence_A"], row["sentence_B"], normalize_label(row["entailment_label"]), "sick")
        for row in rows
        if row["SemEval_set"].upper() in wanted
    ]


def load_rte(path: str | os.PathLike[str]) -> list[NLIExample]:
    """GLUE RTE TSV (label 0 = entailment, 1 = not_entailment, or the label names).

    Args:
        path: The TSV file (``train.tsv`` or ``dev.tsv``).

    Raises:
        InvalidInputError: The file does not exist, or a label is not an NLI role.
    """
    with _require_file(Path(path)).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    names = {"0": "entailment", "1": "not_entailment"}
    return [
        NLIExample(row["sentence1"], row["sentence2"], normalize_label(names.get(row["label"], row["label"])), "rte")
        for row in rows
    ]


def load_nli_jsonl(path: str | os.PathLike[str], source: str = "") -> list[NLIExample]:
    """An ``nli/`` jsonl file: premise/hypothesis, QNLI question/sentence or MRPC sentence1/sentence2.

    MRPC-style rows (``sentence1``, ``sentence2``) read label 1 as entailment, anything else as
    not_entailment; MPE premises are cleaned (``clean_mpe_premise``).

    Args:
        path: The jsonl file.
        source: The rows' ``source`` (empty: the file's folder name).

    Raises:
        InvalidInputError: The file does not exist, or a label is not an NLI role.
    """
    path = Path(path)
    out: list[NLIExample] = []
    is_mpe = "mpe" in path.parts
    for row in _read_jsonl(path):
        if "question" in row and "sentence" in row:
            premise, hypothesis = str(row["sentence"]), str(row["question"])
            label = normalize_label(row["label"])
        elif "sentence1" in row:
            premise, hypothesis = str(row["sentence1"]), str(row["sentence2"])
            label = "entailment" if int(str(row["label"])) == 1 else "not_entailment"
        else:
            premise, hypothesis = str(row["premise"]), str(row["hypothesis"])
            label = normalize_label(row["label"])
        if is_mpe:
            premise = clean_mpe_premise(premise)
        out.append(NLIExample(premise, hypothesis, label, source or path.parent.name))
    return out


def load_qnli_train(nli_dir: str | os.PathLike[str]) -> list[NLIExample]:
    """QNLI v1 overlap pairs minus those identical to the GLUE dev set (which stays for evaluation).

    Args:
        nli_dir: The shared ``data/nli`` folder.

    Raises:
        InvalidInputError: A QNLI file does not exist.
    """
    nli_dir = Path(nli_dir)
    held_out = {(ex.premise, ex.hypothesis) for ex in load_nli_jsonl(nli_dir / "qnli" / "dev_glue.jsonl")}
    pool = load_nli_jsonl(nli_dir / "qnli" / "dev_v1_overlaps_glue.jsonl", "qnli")
    return [ex for ex in pool if (ex.premise, ex.hypothesis) not in held_out]


# name -> (relative path or special loader key); evaluation sets are marked and never pooled for training.
TRAIN_SETS: dict[str, str] = {
    "sick:train": "sick",
    "rte:train": "glue_rte/train.tsv",
    "mnli:silver": "nli/mnli/dev_mismatched_silver.jsonl",
    "snli:dev": "nli/snli/snli_dev.jsonl",
    "snli:test": "nli/snli/snli_test.jsonl",
    "qnli:train": "qnli",
    "joci:train": "nli/joci/train.jsonl",
    "mpe:train": "nli/mpe/train.jsonl",
    "cb:train": "nli/cb/train.jsonl",
}
EVAL_SETS: dict[str, str] = {
    "sick:test": "sick",
    "rte:dev": "glue_rte/dev.tsv",
    "mnli:dev_matched": "nli/mnli/dev_matched_gold.jsonl",
    "qnli:dev": "nli/qnli/dev_glue.jsonl",
    "scitail:test": "nli/scitail/test.jsonl",
    "joci:dev": "nli/joci/dev.jsonl",
    "mpe:dev": "nli/mpe/dev.jsonl",
    "cb:dev": "nli/cb/dev.jsonl",
}
GENERAL_POOL: tuple[str, ...] = tuple(TRAIN_SETS)
"""The general checker's training pool: every NLI training file plus SICK TRAIN+TRIAL and RTE train."""


def load_named(name: str, shared: str | os.PathLike[str] | None = None) -> list[NLIExample]:
    """Load a named NLI set (``sick:train``, ``mnli:dev_matched``, ...; ``general`` = the training pool).

    Args:
        name: A key of ``TRAIN_SETS`` or ``EVAL_SETS``, or ``"general"`` (every training set).
        shared: The shared folder (None: see ``shared_dir``).

    Raises:
        InvalidInputError: An unknown name (the message lists the known ones) or a missing file.
    """
    data = shared_dir(shared) / "data"
    if name == "general":
        return [ex for part in GENERAL_POOL for ex in load_named(part, shared)]
    rel = TRAIN_SETS.get(name) or EVAL_SETS.get(name)
    if rel is None:
        known = ", ".join(["general", *TRAIN_SETS, *EVAL_SETS])
        raise InvalidInputError(f"unknown data set {name!r}; known names: {known}")
    if rel == "sick":
        splits = ("TEST",) if name == "sick:test" else ("TRAIN", "TRIAL")
        return load_sick(data / "sick" / "SICK.txt", splits)
    if rel == "qnli":
        return load_qnli_train(data / "nli")
    if rel.endswith(".tsv"):
        return load_rte(data / rel)
    return load_nli_jsonl(data / rel, name.split(":")[0])


def load_ag_news(path: str | os.PathLike[str]) -> tuple[list[ClassificationExample], list[str]]:
    """AG News CSV (label, title, description) -> examples and the label names in class order.

    Args:
        path: The CSV file (labels 1-4; the text is ``"<title>. <description>"``).

    Raises:
        InvalidInputError: The file does not exist.
    """
    names = ["World", "Sports", "Business", "Sci/Tech"]
    with _require_file(Path(path)).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    examples = [
        ClassificationExample(
            f"{row['title'].strip()}. {' '.join(row['description'].split())}", (names[int(row["label"]) - 1],)
        )
        for row in rows
    ]
    return examples, names


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
    template: str = "This example is {}.",
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
        template: How a label becomes the hypothesis, with one ``{}``.
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
