"""Named data sets of the shared folder (SICK, RTE, the NLI jsonl files, AG News) as training rows.

Loaders read the shared data sets (see ``../shared/data/DATA.md``) and honour its split markings: the
evaluation files are never part of a training pool.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from entailkit._jsonl import read_jsonl
from entailkit.errors import InvalidInputError
from entailkit.train.data import ClassificationExample, NLIExample, normalize_label

__all__ = [
    "EVAL_SETS",
    "GENERAL_POOL",
    "TRAIN_SETS",
    "LabelConvention",
    "clean_mpe_premise",
    "load_ag_news",
    "load_named",
    "load_nli_jsonl",
    "load_qnli_train",
    "load_rte",
    "load_sick",
    "shared_dir",
]

_MPE_IMAGE_ID = re.compile(r"\d+jpg\d")


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
    return list(read_jsonl(_require_file(path)))


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


LabelConvention = Literal["mrpc", "glue"]
"""How integer labels of ``sentence1``/``sentence2`` rows read: ``"mrpc"`` 1 = entailment (a paraphrase),
``"glue"`` 0 = entailment (GLUE RTE, WNLI)."""

_PAIR_LABELS: dict[str, dict[int, str]] = {
    "mrpc": {1: "entailment", 0: "not_entailment"},
    "glue": {0: "entailment", 1: "not_entailment"},
}
_FOLDER_CONVENTIONS = {"mrpc": "mrpc", "rte": "glue", "glue_rte": "glue", "wnli": "glue"}


def load_nli_jsonl(
    path: str | os.PathLike[str], source: str = "", *, label_convention: LabelConvention | None = None
) -> list[NLIExample]:
    """An ``nli/`` jsonl file: premise/hypothesis, QNLI question/sentence or sentence1/sentence2 rows.

    Integer labels of ``sentence1``/``sentence2`` rows mean opposite things in MRPC (1 = entailment) and
    GLUE RTE (0 = entailment), so they are read by ``label_convention``, else by the file's folder
    (``mrpc/``; ``rte/``, ``glue_rte/``, ``wnli/``), and refused otherwise: a guess would load a data set
    inverted without a word. Label names ("entailment", "not_entailment") need no convention. MPE
    premises are cleaned (``clean_mpe_premise``).

    Args:
        path: The jsonl file.
        source: The rows' ``source`` (empty: the file's folder name).
        label_convention: ``"mrpc"`` or ``"glue"`` for integer ``sentence1``/``sentence2`` labels (None:
            from the folder name).

    Raises:
        InvalidInputError: The file does not exist, a label is not an NLI role, an integer label is not 0
            or 1, or integer ``sentence1``/``sentence2`` labels have no convention.
    """
    path = Path(path)
    if label_convention is not None and label_convention not in _PAIR_LABELS:
        raise InvalidInputError(f"label_convention must be one of {sorted(_PAIR_LABELS)}, got {label_convention!r}")
    convention: str | None = label_convention or next(
        (
            _FOLDER_CONVENTIONS[part.lower()]
            for part in reversed(path.parts[:-1])
            if part.lower() in _FOLDER_CONVENTIONS
        ),
        None,
    )
    out: list[NLIExample] = []
    is_mpe = "mpe" in path.parts
    for row in _read_jsonl(path):
        if "question" in row and "sentence" in row:
            premise, hypothesis = str(row["sentence"]), str(row["question"])
            label = normalize_label(row["label"])
        elif "sentence1" in row:
            premise, hypothesis = str(row["sentence1"]), str(row["sentence2"])
            label = _pair_label(row["label"], convention, path)
        else:
            premise, hypothesis = str(row["premise"]), str(row["hypothesis"])
            label = normalize_label(row["label"])
        if is_mpe:
            premise = clean_mpe_premise(premise)
        out.append(NLIExample(premise, hypothesis, label, source or path.parent.name))
    return out


def _pair_label(label: object, convention: str | None, path: Path) -> str:
    """The role of a ``sentence1``/``sentence2`` label: a name as spelled, an integer by ``convention``."""
    text = str(label).strip()
    if not text.lstrip("-").isdigit():
        return normalize_label(label)
    if convention is None:
        raise InvalidInputError(
            f"{path}: sentence1/sentence2 rows with integer labels are ambiguous (MRPC reads 1 as entailment, "
            "GLUE RTE reads 0); pass label_convention='mrpc' or 'glue', keep the file in a folder named mrpc/ "
            "or rte/, or write the labels as names ('entailment', 'not_entailment')."
        )
    role = _PAIR_LABELS[convention].get(int(text))
    if role is None:
        raise InvalidInputError(f"{path}: label {label!r} is not 0 or 1 ({convention} convention)")
    return role


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
