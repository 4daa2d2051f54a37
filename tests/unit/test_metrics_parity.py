"""entailkit.metrics against the reference libraries (issue 16: one definition per metric).

Ranking: pytrec_eval (trec_eval itself) and ir-measures; classification: scikit-learn; calibration:
torchmetrics. Random and edge-case inputs, equal within 1e-6 (1e-9 where both sides compute in float64).
"""

from __future__ import annotations

import copy
import math
import random
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entailkit import metrics
from entailkit.errors import InvalidInputError

pytrec_eval = pytest.importorskip("pytrec_eval", reason="the dev extra (pytrec-eval-terrier) is not installed")
ir_measures = pytest.importorskip("ir_measures", reason="the dev extra (ir-measures) is not installed")
sk = pytest.importorskip("sklearn.metrics", reason="the dev extra (scikit-learn) is not installed")

CUTOFFS = (1, 3, 5, 10, 20)


def _random_collection(rng: random.Random, n_queries: int = 8) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run with tied scores (``{doc: score}``) and graded qrels with -1 / 0 grades, some queries unjudged."""
    docs = [f"d{i:02d}" for i in range(40)]
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for q in range(n_queries):
        qid = f"q{q}"
        retrieved = rng.sample(docs, rng.randint(1, 25))
        run[qid] = {doc: float(rng.randint(0, 6)) for doc in retrieved}  # few levels: many ties
        if rng.random() < 0.8:
            judged = rng.sample(docs, rng.randint(1, 15))
            qrels[qid] = {doc: rng.choice([-1, 0, 0, 1, 1, 2, 3]) for doc in judged}
    qrels["only_in_qrels"] = {"d00": 2}
    return run, qrels


def _trec(qrels: dict[str, Any], run: dict[str, Any], measures: set[str]) -> dict[str, dict[str, float]]:
    return dict(pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run))


@pytest.mark.parametrize("seed", range(12))
def test_ndcg_recall_mrr_match_trec_eval(seed: int) -> None:
    rng = random.Random(seed)
    run, qrels = _random_collection(rng)
    names = {f"ndcg_cut_{k}" for k in CUTOFFS} | {f"recall_{k}" for k in CUTOFFS}
    reference = _trec(qrels, run, names)
    for qid, values in reference.items():
        for k in CUTOFFS:
            assert metrics.ndcg_at_k(run[qid], qrels[qid], k) == pytest.approx(values[f"ndcg_cut_{k}"], abs=1e-9)
            assert metrics.recall_at_k(run[qid], qrels[qid], k) == pytest.approx(values[f"recall_{k}"], abs=1e-9)
    for k in CUTOFFS:
        mean_ref = float(np.mean([v[f"ndcg_cut_{k}"] for v in reference.values()]))
        assert metrics.mean_ndcg(run, qrels, k) == pytest.approx(mean_ref, abs=1e-9)
        all_ref = sum(v[f"ndcg_cut_{k}"] for v in reference.values()) / len(run)
        assert metrics.mean_ndcg(run, qrels, k, queries="all") == pytest.approx(all_ref, abs=1e-9)
        recall_ref = float(np.mean([v[f"recall_{k}"] for v in reference.values()]))
        assert metrics.mean_recall(run, qrels, k) == pytest.approx(recall_ref, abs=1e-9)
        # MRR@k: trec_eval's recip_rank on the run cut at k (in trec_eval's order), and ir-measures' RR@k
        cut = {
            q: dict(sorted(r.items(), key=lambda item: (item[1], item[0]), reverse=True)[:k]) for q, r in run.items()
        }
        rr = _trec(qrels, cut, {"recip_rank"})
        for qid in rr:
            assert metrics.mrr_at_k(run[qid], qrels[qid], k) == pytest.approx(rr[qid]["recip_rank"], abs=1e-9)
        assert metrics.mean_mrr(run, qrels, k) == pytest.approx(
            float(np.mean([v["recip_rank"] for v in rr.values()])), abs=1e-9
        )
        # ir-measures computes RR@k with the MS MARCO script, whose tie order is not trec_eval's: no ties here
        distinct = {q: {d: i + rng.random() for i, (d, _) in enumerate(r.items())} for q, r in run.items()}
        judged = {q: r for q, r in distinct.items() if q in qrels}
        ms_marco = {m.query_id: m.value for m in ir_measures.iter_calc([ir_measures.RR @ k], qrels, judged)}
        for qid in judged:
            assert metrics.mrr_at_k(distinct[qid], qrels[qid], k) == pytest.approx(ms_marco[qid], abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_a_ranked_list_is_the_run_with_descending_scores(seed: int) -> None:
    rng = random.Random(100 + seed)
    run, qrels = _random_collection(rng)
    for qid, scores in run.items():
        ranked = [doc for _, doc in sorted(((s, d) for d, s in scores.items()), reverse=True)]
        distinct = {doc: float(len(ranked) - i) for i, doc in enumerate(ranked)}
        reference = _trec(qrels, {qid: distinct}, {"ndcg_cut_10"}) if qid in qrels else {}
        if qid in reference:
            assert metrics.ndcg_at_k(ranked, qrels[qid]) == pytest.approx(reference[qid]["ndcg_cut_10"], abs=1e-9)
            assert metrics.ndcg_at_k(scores, qrels[qid]) == pytest.approx(reference[qid]["ndcg_cut_10"], abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_exponential_gains_match_ir_measures(seed: int) -> None:
    rng = random.Random(200 + seed)
    run, qrels = _random_collection(rng)
    gains = {-1: 0, 0: 0, 1: 1, 2: 3, 3: 7}
    for k in (5, 10):
        measure = ir_measures.nDCG(gains=gains) @ k
        per_query = {m.query_id: m.value for m in ir_measures.iter_calc([measure], qrels, run)}
        for qid in run:
            if qid in qrels:
                assert metrics.ndcg_at_k(run[qid], qrels[qid], k, gains="exponential") == pytest.approx(
                    per_query[qid], abs=1e-9
                )


@pytest.mark.parametrize("seed", range(6))
def test_a_pool_ideal_is_trec_eval_on_the_pool_judgments(seed: int) -> None:
    rng = random.Random(300 + seed)
    run, qrels = _random_collection(rng)
    pool = {q: list(r) for q, r in run.items()}
    pooled = {q: {d: g for d, g in qrels[q].items() if d in pool[q]} for q in run if q in qrels}
    pooled = {q: j for q, j in pooled.items() if j}
    reference = _trec(pooled, run, {"ndcg_cut_10"})
    for qid, values in reference.items():
        value = metrics.ndcg_at_k(run[qid], qrels[qid], ideal="pool", pool=pool[qid])
        assert value == pytest.approx(values["ndcg_cut_10"], abs=1e-9)
    assert metrics.mean_ndcg(run, qrels, ideal="pool", pool=pool, queries="all") == pytest.approx(
        sum(v["ndcg_cut_10"] for v in reference.values()) / len(run), abs=1e-9
    )


def test_trec_eval_edge_cases() -> None:
    qrels = {"q": {"a": 2, "b": 0, "c": 1, "z": 3}, "none": {"a": 0, "b": -1}}
    run = {"q": {"a": 3.0, "b": 2.0, "c": 2.0, "d": 1.0}, "none": {"a": 1.0}, "empty": {}}
    ref = _trec(qrels, run, {"ndcg_cut_10", "recip_rank", "recall_10"})
    # tie between b and c: trec_eval ranks the larger id first (c), so the value is not 2.5 / idcg
    assert metrics.ndcg_at_k(run["q"], qrels["q"]) == pytest.approx(ref["q"]["ndcg_cut_10"], abs=1e-12)
    assert metrics.ndcg_at_k(["a", "b", "c", "d"], qrels["q"]) < ref["q"]["ndcg_cut_10"]
    # a query judged only non-relevant counts 0 in trec_eval's mean
    assert ref["none"] == {"ndcg_cut_10": 0.0, "recip_rank": 0.0, "recall_10": 0.0}
    assert metrics.mean_ndcg(run, qrels) == pytest.approx((ref["q"]["ndcg_cut_10"] + 0.0) / 2, abs=1e-12)
    assert metrics.mrr_at_k(["x"], {"x": 1}) == 1.0 and metrics.mrr_at_k(["y", "x"], {"x": 1}, k=1) == 0.0


# -- classification, against scikit-learn ---------------------------------------------------------------

labels_strategy = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_classification_matches_scikit_learn(data: st.DataObject) -> None:
    y_true = data.draw(labels_strategy)
    y_pred = data.draw(st.lists(st.sampled_from(["a", "b", "c", "e"]), min_size=len(y_true), max_size=len(y_true)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert metrics.accuracy(y_true, y_pred) == pytest.approx(sk.accuracy_score(y_true, y_pred), abs=1e-12)
        assert metrics.macro_f1(y_true, y_pred) == pytest.approx(
            sk.f1_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-12
        )
        chosen = ["a", "b", "z"]
        assert metrics.macro_f1(y_true, y_pred, chosen) == pytest.approx(
            sk.f1_score(y_true, y_pred, labels=chosen, average="macro", zero_division=0), abs=1e-12
        )
        assert metrics.balanced_accuracy(y_true, y_pred) == pytest.approx(
            sk.balanced_accuracy_score(y_true, y_pred), abs=1e-12
        )
        b_true = [int(v == "a") for v in y_true]
        b_pred = [int(v == "a") for v in y_pred]
        for ours, theirs in (
            (metrics.precision, sk.precision_score),
            (metrics.recall, sk.recall_score),
            (metrics.f1, sk.f1_score),
        ):
            assert ours(b_true, b_pred) == pytest.approx(theirs(b_true, b_pred, zero_division=0), abs=1e-12)
            assert ours(y_true, y_pred, pos_label="a") == pytest.approx(
                theirs(b_true, b_pred, zero_division=0), abs=1e-12
            )


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(st.tuples(st.booleans(), st.integers(0, 8)), min_size=2, max_size=80),
    scale=st.sampled_from([1.0, 0.1, 1e-3]),
)
def test_auroc_matches_roc_auc_score_with_ties(data: list[tuple[bool, int]], scale: float) -> None:
    y = [t for t, _ in data]
    scores = [s * scale for _, s in data]  # few levels: many ties
    if len(set(y)) < 2:
        with pytest.raises(InvalidInputError, match="both classes"):
            metrics.auroc(y, scores)
        return
    assert metrics.auroc(y, scores) == pytest.approx(sk.roc_auc_score(y, scores), abs=1e-12)
    assert metrics.auroc(np.array(y, dtype=int), np.array(scores)) == pytest.approx(sk.roc_auc_score(y, scores))


def test_auroc_on_continuous_scores() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    scores = rng.normal(size=500) + y
    assert metrics.auroc(y, scores) == pytest.approx(sk.roc_auc_score(y, scores), abs=1e-12)


# -- calibration, against torchmetrics --------------------------------------------------------------------


def _torchmetrics() -> Any:
    return pytest.importorskip("torchmetrics.classification", reason="the dev extra (torchmetrics) is not installed")


@pytest.mark.parametrize("n_bins", [1, 2, 10, 15, 30])
@pytest.mark.parametrize("seed", range(4))
def test_binary_ece_matches_torchmetrics(n_bins: int, seed: int) -> None:
    torch = pytest.importorskip("torch")
    tm = _torchmetrics()
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    probs = rng.random(n)
    probs[rng.random(n) < 0.1] = 1.0  # exactly 1.0 has a bin of its own in torchmetrics
    probs[rng.random(n) < 0.05] = 0.0
    probs[rng.random(n) < 0.05] = 0.5
    labels = (rng.random(n) < probs ** (1 + seed)).astype(int)
    reference = tm.BinaryCalibrationError(n_bins=n_bins, norm="l1")(torch.tensor(probs), torch.tensor(labels))
    assert metrics.expected_calibration_error(probs, labels, n_bins) == pytest.approx(float(reference), abs=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("n_bins", [1, 10, 15])
@pytest.mark.parametrize("seed", range(4))
def test_top_label_ece_matches_torchmetrics(n_classes: int, n_bins: int, seed: int) -> None:
    torch = pytest.importorskip("torch")
    tm = _torchmetrics()
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    probs = rng.dirichlet(np.full(n_classes, 0.3), size=n).astype(np.float32)
    probs[: n // 10] = np.eye(n_classes, dtype=np.float32)[0]  # confidence exactly 1.0
    labels = rng.integers(0, n_classes, n)
    metric = tm.MulticlassCalibrationError(num_classes=n_classes, n_bins=n_bins, norm="l1")
    reference = float(metric(torch.tensor(probs), torch.tensor(labels)))
    ours = metrics.expected_calibration_error(probs, labels, n_bins, kind="top_label")
    assert ours == pytest.approx(reference, abs=1e-6)  # torchmetrics computes in float32


def test_ece_edge_cases() -> None:
    torch = pytest.importorskip("torch")
    tm = _torchmetrics()
    for probs, labels in (([0.95, 1.0], [1, 0]), ([0.0, 0.0], [0, 1]), ([0.5] * 4, [1, 1, 0, 1]), ([1.0], [1])):
        reference = tm.BinaryCalibrationError(n_bins=10)(torch.tensor(probs, dtype=torch.float64), torch.tensor(labels))
        assert metrics.expected_calibration_error(probs, labels, 10) == pytest.approx(float(reference), abs=1e-12)
    assert metrics.expected_calibration_error([0.95, 1.0], [1, 0], 10) == pytest.approx(0.525)


# -- the documented neutral values, the typed errors, and no input written -------------------------------


def test_empty_inputs_give_the_neutral_values() -> None:
    assert metrics.ndcg_at_k([], {"a": 1}) == 0.0 and metrics.ndcg_at_k(["a"], {}) == 0.0
    assert metrics.mean_ndcg({}, {}) == 0.0 and metrics.mean_mrr({}, {}) == 0.0 and metrics.mean_recall({}, {}) == 0.0
    assert metrics.mrr_at_k([], {}) == 0.0 and metrics.recall_at_k(["a"], {"a": 0}) == 0.0
    for fn in (metrics.accuracy, metrics.precision, metrics.recall, metrics.f1, metrics.macro_f1):
        assert fn([], []) == 0.0
    assert metrics.balanced_accuracy([], []) == 0.0 and metrics.auroc([], []) == 0.5
    assert metrics.expected_calibration_error([], []) == 0.0
    assert metrics.expected_calibration_error(np.zeros((0, 3)), [], kind="top_label") == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: metrics.ndcg_at_k(["a"], {"a": 1}, k=0),
        lambda: metrics.ndcg_at_k(["a"], {"a": 1}, k=True),
        lambda: metrics.ndcg_at_k(["a", "a"], {"a": 1}),
        lambda: metrics.ndcg_at_k(["a"], {"a": math.nan}),
        lambda: metrics.ndcg_at_k(["a"], {"a": 1}, gains="log"),  # type: ignore[arg-type]
        lambda: metrics.ndcg_at_k(["a"], {"a": 1}, ideal="pool"),
        lambda: metrics.ndcg_at_k(["a"], {"a": 1}, pool=["a"]),
        lambda: metrics.mean_ndcg({"q": ["a"]}, {"q": {"a": 1}}, queries="some"),  # type: ignore[arg-type]
        lambda: metrics.mrr_at_k("abc", {"a": 1}),
        lambda: metrics.accuracy([1, 2], [1]),
        lambda: metrics.macro_f1(["a"], ["a", "b"]),
        lambda: metrics.auroc([0, 1], [0.5]),
        lambda: metrics.auroc([0, 2], [0.5, 0.2]),
        lambda: metrics.auroc([1, 1], [0.5, 0.2]),
        lambda: metrics.auroc([0, 1], [0.5, math.inf]),
        lambda: metrics.expected_calibration_error([0.5], [1], n_bins=0),
        lambda: metrics.expected_calibration_error([0.5, 0.2], [1]),
        lambda: metrics.expected_calibration_error([1.5], [1]),
        lambda: metrics.expected_calibration_error([0.5], [2]),
        lambda: metrics.expected_calibration_error([[0.5, 0.5]], [2], kind="top_label"),
        lambda: metrics.expected_calibration_error([0.5], [0], kind="top_label"),
        lambda: metrics.expected_calibration_error([0.5], [0], kind="other"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_a_typed_error(call: Any) -> None:
    with pytest.raises(InvalidInputError):
        call()


def test_inputs_are_not_modified() -> None:
    run = {"q": {"a": 1.0, "b": 1.0}, "r": ["b", "a"]}
    qrels = {"q": {"a": 2, "b": 1}, "r": {"a": 1}}
    probs = np.array([[0.2, 0.8], [0.6, 0.4]])
    labels = np.array([1, 0])
    y_true, y_pred = ["a", "b"], ["b", "b"]
    saved = copy.deepcopy((run, qrels, probs, labels, y_true, y_pred))
    metrics.mean_ndcg(run, qrels, pool={"q": ["a"]}, ideal="pool")
    metrics.mean_mrr(run, qrels)
    metrics.expected_calibration_error(probs, labels, kind="top_label")
    metrics.expected_calibration_error(probs[:, 1], labels)
    metrics.macro_f1(y_true, y_pred)
    metrics.auroc(labels, probs[:, 1])
    assert (run, qrels, y_true, y_pred) == saved[:2] + saved[4:]
    assert np.array_equal(probs, saved[2]) and np.array_equal(labels, saved[3])
