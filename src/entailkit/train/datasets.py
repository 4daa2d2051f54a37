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

from entailkit._jsonl import read_jsonl
from entailkit.errors import InvalidInputError
from entailkit.train.data import ClassificationExample, NLIExample, normalize_label

__all__ = [
    "EVAL_SETS",
    "GENERAL_POOL",
    "TRAIN_SETS",
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
