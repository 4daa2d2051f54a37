"""Evaluate trained scorers on NLI sets, reranking and classification (what `entailkit eval` prints)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from entailkit._validation import check_probability
from entailkit.errors import InvalidInputError
from entailkit.metrics import accuracy, auroc, balanced_accuracy, expected_calibration_error, macro_f1, mean_ndcg
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, Scorer
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.train.data import ClassificationExample, NLIExample, normalize_label
from entailkit.train.grounding_qa import QAExample
from entailkit.types import GroundednessReport

__all__ = [
    "claim_score",
    "evaluate_classification",
    "evaluate_groundedness",
    "evaluate_nli",
    "evaluate_reranking",
    "rerank_candidates",
]

logger = logging.getLogger(__name__)


def evaluate_nli(scorer: Scorer, examples: Sequence[NLIExample], *, show_progress: bool = False) -> dict[str, float]:
    """Accuracy, macro-F1 and ECE on NLI pairs.

    3-way sets on a 3-way head are scored 3-way (argmax). 2-way sets (or a 2-way head) are scored as
    entailment vs not: P(entailment) >= 0.5, i.e. neutral and contradiction are pooled.

    Args:
        scorer: An NLI scorer.
        examples: The labelled pairs.
        show_progress: Show a progress bar while scoring.

    Returns:
        ``accuracy``, ``macro_f1``, ``ece`` and ``n``; empty for no examples.
    """
    if not examples:
        return {}
    scores = scorer.score_pairs(
        [e.premise for e in examples], [e.hypothesis for e in examples], show_progress=show_progress
    )
    gold = [e.label for e in examples]
    three_way_data = all(g in ("entailment", "neutral", "contradiction") for g in gold)
    if three_way_data and scores.head == "nli3":
        probs = np.asarray([[s.entailment or 0.0, s.neutral or 0.0, s.contradiction or 0.0] for s in scores])
        names = ["entailment", "neutral", "contradiction"]
        pred = [names[i] for i in probs.argmax(axis=1)]
        y = [names.index(g) for g in gold]
        return {
            "accuracy": accuracy(gold, pred),
            "macro_f1": macro_f1(gold, pred, names),
            "ece": expected_calibration_error(probs, y, kind="top_label"),
            "n": float(len(examples)),
        }
    p_ent = np.asarray([s.entailment if s.entailment is not None else s.score for s in scores])
    gold2 = ["entailment" if g == "entailment" else "not_entailment" for g in gold]
    pred2 = ["entailment" if p >= 0.5 else "not_entailment" for p in p_ent]
    return {
        "accuracy": accuracy(gold2, pred2),
        "macro_f1": macro_f1(gold2, pred2, ["entailment", "not_entailment"]),
        # ECE of the predicted class (entailment or not), as in the 3-way branch
        "ece": expected_calibration_error(
            np.stack([1.0 - p_ent, p_ent], axis=1), [int(g == "entailment") for g in gold2], kind="top_label"
        ),
        "n": float(len(examples)),
    }


def evaluate_reranking(
    scorer: Scorer,
    queries: Mapping[str, str],
    corpus: Mapping[str, str],
    candidates: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, float]],
    *,
    k: int = 10,
    show_progress: bool = False,
    first_stage: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, float]:
    """nDCG@k of the scorer's reranking of each query's candidates (premise = passage, hypothesis = query).

    Args:
        scorer: The scorer whose ranking is measured.
        queries: Query id -> query text.
        corpus: Passage id -> passage text.
        candidates: Query id -> the passage ids to rerank.
        qrels: Query id -> passage id -> graded judgment.
        k: The nDCG cut-off.
        show_progress: Show a progress bar while scoring.
        first_stage: Query -> passage -> retriever score, fused for models trained on top of it.

    Returns:
        ``ndcg@<k>`` (trec_eval's ``ndcg_cut``: linear gains, mean over the judged queries) and ``queries``.

    Raises:
        InvalidInputError: As ``rerank_candidates``.
    """
    run = rerank_candidates(scorer, queries, corpus, candidates, show_progress=show_progress, first_stage=first_stage)
    if not run:
        return {f"ndcg@{k}": 0.0, "queries": 0.0}
    return {f"ndcg@{k}": mean_ndcg(run, qrels, k), "queries": float(len(run))}


def rerank_candidates(
    scorer: Scorer,
    queries: Mapping[str, str],
    corpus: Mapping[str, str],
    candidates: Mapping[str, Sequence[str]],
    *,
    show_progress: bool = False,
    first_stage: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, list[str]]:
    """Each query's candidate ids ordered by the scorer, best first (premise = passage, hypothesis = query).

    With ``first_stage`` (query -> passage -> retriever score) a model trained on top of the retriever
    (``scorer.info.first_stage``) ranks by its fused relevance, as ``Reranker(first_stage_scores=)`` does.
    The query is fed as it is (no template).

    Args:
        scorer: The scorer.
        queries: Query id -> query text.
        corpus: Passage id -> passage text.
        candidates: Query id -> the passage ids to rank.
        show_progress: Show a progress bar while scoring.
        first_stage: Query -> passage -> retriever score (every candidate needs one).

    Raises:
        InvalidInputError: A candidate names an unknown query, ``first_stage`` is given for a model without
            first-stage fusion, or lacks a candidate's score.
    """
    flat = [(qid, pid) for qid, pids in candidates.items() for pid in pids]
    if not flat:
        return {}
    unknown = [qid for qid, _ in flat if qid not in queries][:3]
    if unknown:
        raise InvalidInputError(f"candidates name queries that are not in `queries`: {unknown}")
    if first_stage is not None and scorer.info.first_stage is None:
        raise InvalidInputError(f"first_stage scores were given but {scorer.info.model} has no first-stage fusion")
    options: dict[str, Any] = {}
    if first_stage is not None:
        missing = [(qid, pid) for qid, pid in flat if pid not in first_stage.get(qid, {})][:3]
        if missing:
            raise InvalidInputError(f"first_stage has no score for these (query, passage) candidates: {missing}")
        options["first_stage_scores"] = [first_stage[qid][pid] for qid, pid in flat]
    pairs = scorer.score_pairs(
        [corpus[pid] for _, pid in flat], [queries[qid] for qid, _ in flat], show_progress=show_progress, **options
    )
    scores = pairs.scores
    per_query: dict[str, list[tuple[float, str]]] = {}
    for (qid, pid), score in zip(flat, scores, strict=True):
        per_query.setdefault(qid, []).append((score, pid))
    return {qid: [pid for _, pid in sorted(items, key=lambda t: -t[0])] for qid, items in per_query.items()}


def evaluate_classification(
    scorer: Scorer,
    examples: Sequence[ClassificationExample],
    label_names: Sequence[str],
    *,
    hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
    show_progress: bool = False,
) -> dict[str, float]:
    """Single-label accuracy and macro-F1 of ``score_labels`` (top label vs the first true label).

    Args:
        scorer: The scorer.
        examples: The labelled texts (each true label must be one of ``label_names``).
        label_names: The candidate labels of every text.
        hypothesis_template: How a label becomes the hypothesis, with one ``{}``.
        show_progress: Show a progress bar while scoring.

    Returns:
        ``accuracy``, ``macro_f1``, ``ece`` and ``n``; empty for no examples.
    """
    if not examples:
        return {}
    result = scorer.score_labels(
        [e.text for e in examples],
        list(label_names),
        hypothesis_template=hypothesis_template,
        show_progress=show_progress,
    )
    gold = [e.labels[0] for e in examples]
    pred = [item.top or "" for item in result]
    probs = np.asarray([item.scores for item in result])
    y = [list(label_names).index(g) for g in gold]
    return {
        "accuracy": accuracy(gold, pred),
        "macro_f1": macro_f1(gold, pred, list(label_names)),
        "ece": expected_calibration_error(probs, y, kind="top_label"),
        "n": float(len(examples)),
    }


def claim_score(report: GroundednessReport) -> float:
    """The number of a groundedness report that is read as P(supported): the one that decides ``grounded``.

    The one place the benchmark reads a report, so a renamed field is a one-line change here.

    Args:
        report: A ``GroundednessChecker`` report.
    """
    return report.score


def evaluate_groundedness(
    checker_or_scorer: GroundednessChecker | Scorer,
    examples: Sequence[NLIExample | QAExample],
    threshold: float = 0.5,
    *,
    show_progress: bool = False,
) -> dict[str, float]:
    """Balanced accuracy, AUROC and ECE of claim-level grounding: each claim checked against its passage.

    Every pair is checked as ``checker.check(hypothesis, [premise])`` (a ``QAExample`` as
    ``checker.check(answer, [passage], question=question)``, so the checker's ``question_mode`` applies;
    in shared batches: ``check_many``) and ``claim_score`` of the report is taken as the probability that the claim is supported (gold
    label ``entailment``; every other label is unsupported). Balanced accuracy is of ``score >=
    threshold``, so a checker that calls everything supported scores 0.5 whatever the label mix.

    Args:
        checker_or_scorer: A ``GroundednessChecker`` (its options apply, its threshold does not), or an
            NLI scorer (checked with a default checker).
        examples: The labelled pairs (premise = passage, hypothesis = claim), e.g.
            ``groundedness_dev_set(shared).examples``; both labels must be present.
        threshold: The score at which a claim counts as supported.
        show_progress: Show a progress bar while scoring (with a scorer; a checker keeps its own).

    Returns:
        ``balanced_accuracy``, ``auroc``, ``ece`` (binary, 15 bins), ``n``, ``supported`` (gold count),
        ``best_threshold`` and ``balanced_accuracy_at_best`` (the threshold these examples would pick,
        for judging a default: not to be reported as held-out), and ``accuracy:<source>`` for each source
        of the examples; empty for no examples.

    Raises:
        InvalidInputError: ``threshold`` is not in [0, 1], a label is not an NLI role, the examples hold
            one label only (AUROC is undefined), or the checker refuses the scorer.
    """
    value = check_probability(threshold, "threshold")
    if value is None:
        raise InvalidInputError("threshold must be a number in [0, 1], got None.")
    if not examples:
        return {}
    gold = [int(normalize_label(e.label) == "entailment") for e in examples]
    if len(set(gold)) < 2:
        raise InvalidInputError("evaluate_groundedness needs both supported and unsupported examples (for the AUROC).")
    checker = (
        checker_or_scorer
        if isinstance(checker_or_scorer, GroundednessChecker)
        else GroundednessChecker(checker_or_scorer, show_progress=show_progress)
    )
    reports = checker.check_many(
        [(e.answer, [e.passage], e.question) if isinstance(e, QAExample) else (e.hypothesis, [e.premise]) for e in examples]
    )
    scores = np.asarray([min(1.0, max(0.0, claim_score(r))) for r in reports], dtype=np.float64)
    pred = [int(s >= value) for s in scores]
    best_at, best = _best_threshold(gold, scores)
    out = {
        "balanced_accuracy": balanced_accuracy(gold, pred),
        "best_threshold": best_at,
        "balanced_accuracy_at_best": best,
        "auroc": auroc(gold, scores),
        "ece": expected_calibration_error(scores, gold, kind="binary"),
        "n": float(len(examples)),
        "supported": float(sum(gold)),
    }
    right: dict[str, list[int]] = {}
    for example, g, p in zip(examples, gold, pred, strict=True):
        right.setdefault(example.source, []).append(int(g == p))
    out.update({f"accuracy:{source}": float(np.mean(hits)) for source, hits in sorted(right.items())})
    return out


def _best_threshold(gold: Sequence[int], scores: np.ndarray) -> tuple[float, float]:
    """(threshold, balanced accuracy) of the cut ``score >= threshold`` that is best on these pairs."""
    best_at, best = 0.5, -1.0
    for cut in np.unique(np.round(scores, 3)):
        value = balanced_accuracy(gold, [int(s >= cut) for s in scores])
        if value > best:
            best_at, best = float(cut), value
    return best_at, best
