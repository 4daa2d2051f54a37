"""Calibration: ECE, temperature / Platt / isotonic fits, thresholds for a precision, JSON, calibrate()."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks._calibration_fit import fit_isotonic
from entailkit.tasks._calibration_protocol import Calibrator as CalibratorProtocol
from entailkit.tasks._calibration_protocol import apply_calibrator
from entailkit.tasks.calibration import Calibrator, calibrate, expected_calibration_error, fit_calibrator
from fakes import FakeScorer


def overconfident(n: int, temperature: float = 3.0, seed: int = 0) -> tuple[list[float], list[int]]:
    """Scores sigmoid(z) for labels drawn with probability sigmoid(z / temperature): over-confident."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 3.0, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z / temperature))).astype(int)
    return [float(v) for v in 1.0 / (1.0 + np.exp(-z))], [int(v) for v in y]


# -- expected calibration error -------------------------------------------------------------------------


def test_ece_of_hand_computed_bins() -> None:
    # bins of width 0.5: {0.2, 0.4} -> mean 0.3, positives 0.5; {0.6, 1.0} -> mean 0.8, positives 1.0
    ece = expected_calibration_error([0.2, 0.4, 0.6, 1.0], [0, 1, 1, 1], n_bins=2)
    assert ece == pytest.approx(0.5 * 0.2 + 0.5 * 0.2)


def test_ece_is_zero_when_scores_match_frequencies() -> None:
    assert expected_calibration_error([0.5, 0.5, 1.0, 0.0], [1, 0, 1, 0]) == pytest.approx(0.0)


def test_ece_accepts_bools_and_numpy() -> None:
    assert expected_calibration_error(np.array([0.9, 0.1]), [True, False]) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("probs", "labels", "n_bins", "message"),
    [
        ([0.5], [1, 0], 15, "same length"),
        ([0.5], [2], 15, r"labels\[0\] must be 0 or 1"),
        ([1.5], [1], 15, r"scores\[0\] must be a probability in \[0, 1\]"),
        ([math.nan], [1], 15, "probability"),
        (["0.5"], [1], 15, r"scores\[0\] must be a number"),
        ([], [], 15, "at least one score"),
        ([0.5], [1], 0, "n_bins must be a positive int"),
        ("0.5", [1], 15, "list of numbers"),
        ([0.5], "1", 15, "labels must be a list"),
    ],
)
def test_ece_errors(probs: object, labels: object, n_bins: int, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        expected_calibration_error(probs, labels, n_bins=n_bins)  # type: ignore[arg-type]


# -- fitting ----------------------------------------------------------------------------------------------


def test_temperature_recovers_the_true_temperature_and_lowers_ece() -> None:
    scores, labels = overconfident(4000, temperature=3.0)
    cal = fit_calibrator(scores, labels, "temperature")
    assert cal.temperature == pytest.approx(3.0, rel=0.15)
    assert cal.fit_report.ece_after < cal.fit_report.ece_before / 3


def test_platt_matches_a_logistic_regression_on_log_odds() -> None:
    scores, labels = overconfident(4000, temperature=2.0, seed=1)
    cal = fit_calibrator(scores, labels, "platt")
    assert cal.slope == pytest.approx(0.5, rel=0.15)
    assert abs(cal.intercept or 0.0) < 0.2
    assert cal.fit_report.ece_after < cal.fit_report.ece_before


def test_temperature_and_platt_keep_the_ranking() -> None:
    scores, labels = overconfident(500, seed=2)
    for method in ("temperature", "platt"):
        cal = fit_calibrator(scores, labels, method)  # type: ignore[arg-type]
        out = cal.transform(scores)
        assert np.array_equal(np.argsort(scores, kind="stable"), np.argsort(out, kind="stable"))


def test_pool_adjacent_violators_on_a_hand_example() -> None:
    xs, ys = fit_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([1.0, 0.0, 0.0, 1.0]))
    # 1, 0, 0 pool to 1/3 over x in [0.1, 0.3]; then 1 at 0.4
    assert xs == [0.1, 0.3, 0.4]
    assert ys == pytest.approx([1 / 3, 1 / 3, 1.0])


def test_isotonic_is_monotone_pools_ties_and_clips_outside() -> None:
    scores = [0.1, 0.1, 0.5, 0.9, 0.9, 0.7]
    labels = [0, 1, 0, 1, 1, 1]
    cal = fit_calibrator(scores, labels, "isotonic")
    grid = [i / 100 for i in range(101)]
    out = cal.transform(grid)
    assert all(b >= a for a, b in itertools.pairwise(out))
    # the tie at 0.1 (labels 0 and 1) pools with the 0 at 0.5 into 1/3; below the first knot: clipped
    assert cal.transform([0.0, 0.1, 0.5]) == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert cal.transform([1.0]) == pytest.approx([1.0])


def test_transform_keeps_order_length_and_empty() -> None:
    cal = fit_calibrator([0.2, 0.8, 0.6, 0.3], [0, 1, 1, 0], "temperature")
    assert cal.transform([]) == []
    out = cal.transform([0.9, 0.1, 0.5])
    assert len(out) == 3 and out[0] > out[2] > out[1]
    assert out[2] == pytest.approx(0.5)  # logit 0 stays 0 under any temperature


def test_transform_saturated_scores_stay_finite() -> None:
    cal = fit_calibrator([0.0, 1.0, 1.0, 0.0, 1.0], [0, 1, 0, 0, 1], "platt")
    assert all(0.0 < v < 1.0 for v in cal.transform([0.0, 1.0]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scores": [], "labels": []}, "at least one labelled score"),
        ({"scores": [0.2, 0.8], "labels": [1, 1]}, "both positive and negative labels"),
        ({"scores": [0.2, 0.8], "labels": [0, 1], "method": "beta"}, "method must be one of"),
        ({"scores": [0.2, 0.8], "labels": [0, 1], "target_precision": 1.5}, "target_precision must be"),
        ({"scores": [0.2, 0.8], "labels": [0, 1], "n_bins": -1}, "n_bins must be a positive int"),
        ({"scores": [0.2, 0.8], "labels": [0, 1], "held_out": [0.5]}, "held_out must be a"),
        ({"scores": [0.2, 0.8], "labels": [0]}, "same length"),
    ],
)
def test_fit_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        fit_calibrator(**kwargs)  # type: ignore[arg-type]


def test_transform_rejects_logits() -> None:
    cal = fit_calibrator([0.2, 0.8], [0, 1])
    with pytest.raises(InvalidInputError, match="not logits"):
        cal.transform([2.5])


# -- thresholds, held-out figures, persistence ------------------------------------------------------------


def test_threshold_for_precision_is_the_lowest_reaching_threshold() -> None:
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    labels = [0, 0, 1, 0, 1, 0, 1, 1, 1, 1]
    cal = fit_calibrator(scores, labels, "temperature", target_precision=0.8)
    t = cal.threshold_for_precision(0.8)
    assert t is not None and cal.threshold == t and cal.target_precision == 0.8
    calibrated = cal.transform(scores)
    kept = [y for s, y in zip(calibrated, labels, strict=True) if s >= t]
    assert sum(kept) / len(kept) >= 0.8
    # the next lower calibrated score would fall below the target
    lower = max(s for s in calibrated if s < t)
    kept_lower = [y for s, y in zip(calibrated, labels, strict=True) if s >= lower]
    assert sum(kept_lower) / len(kept_lower) < 0.8
    assert cal.threshold_for_precision(0.0) == pytest.approx(min(calibrated))


def test_unreachable_precision_gives_none() -> None:
    cal = fit_calibrator([0.9, 0.8, 0.1], [1, 0, 0], "temperature", target_precision=1.0)
    assert cal.threshold == cal.transform([0.9])[0]  # only the top item is precise
    cal = fit_calibrator([0.9, 0.1, 0.2], [0, 1, 0], "isotonic", target_precision=0.9)
    assert cal.threshold is None and cal.threshold_for_precision(0.9) is None


def test_held_out_report_is_measured_not_fitted() -> None:
    scores, labels = overconfident(3000, seed=3)
    cal = fit_calibrator(scores[:2000], labels[:2000], "isotonic", held_out=(scores[2000:], labels[2000:]))
    assert cal.held_out is not None and cal.held_out.split == "held_out" and cal.held_out.n == 1000
    assert cal.held_out.ece_after < cal.held_out.ece_before
    again = cal.evaluate(scores[2000:], labels[2000:])
    assert again == cal.held_out


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    scores, labels = overconfident(300, seed=4)
    for method in ("temperature", "platt", "isotonic"):
        cal = fit_calibrator(scores, labels, method, target_precision=0.7, model="m")  # type: ignore[arg-type]
        path = tmp_path / f"{method}.json"
        cal.save(path)
        assert json.loads(path.read_text())["format"] == "entailkit.calibrator"
        loaded = Calibrator.load(path)
        assert loaded == cal
        assert loaded.transform(scores[:5]) == cal.transform(scores[:5])


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read calibrator file"):
        Calibrator.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"method": "temperature"}')
    with pytest.raises(InvalidInputError, match="is not an entailkit calibrator"):
        Calibrator.load(bad)


def test_calibrator_satisfies_the_task_protocol() -> None:
    cal = fit_calibrator([0.2, 0.8, 0.7], [0, 1, 0], "platt")
    assert isinstance(cal, CalibratorProtocol)
    assert apply_calibrator(cal, [0.3, 0.9]) == cal.transform([0.3, 0.9])


def test_inputs_are_not_mutated() -> None:
    scores, labels = [0.9, 0.1, 0.6], [1, 0, 1]
    cal = fit_calibrator(scores, labels, "isotonic")
    cal.transform(scores)
    assert scores == [0.9, 0.1, 0.6] and labels == [1, 0, 1]


# -- calibrate() on scorers and tasks ---------------------------------------------------------------------


def nli_fake() -> FakeScorer:
    table = {
        ("man plays guitar", "A person plays music."): 0.99,
        ("man plays piano", "A person plays music."): 0.97,
        ("dog runs", "A person plays music."): 0.95,
        ("cat sleeps", "A person plays music."): 0.02,
        ("girl sings", "A person plays music."): 0.9,
        ("boy reads", "A person plays music."): 0.05,
    }
    return FakeScorer(table, head="nli3", model="fake-nli")


def test_calibrate_a_scorer_on_pairs() -> None:
    fake = nli_fake()
    premises = ["man plays guitar", "man plays piano", "dog runs", "cat sleeps", "girl sings", "boy reads"]
    inputs = [(p, "A person plays music.") for p in premises]
    labels = [1, 1, 0, 0, 1, 0]
    cal = calibrate(fake, inputs, labels, "platt", held_out=(inputs[:3], labels[:3]))
    assert cal.model == "fake-nli" and cal.method == "platt"
    assert cal.fit_report.n == 6 and cal.fit_report.positives == 3
    assert cal.held_out is not None and cal.held_out.n == 3
    assert fake.calls[0].premises == premises


def test_calibrate_relevance_head() -> None:
    fake = FakeScorer({("refund policy", "how do refunds work"): 0.8}, head="relevance", default=0.3)
    cal = calibrate(fake, [("refund policy text", "how do refunds work"), ("weather", "how do refunds work")], [1, 0])
    assert cal.fit_report.n == 2


@pytest.mark.parametrize(
    ("inputs", "labels", "message"),
    [
        ([("a", "b", "c")], [1], r"inputs\[0\] must be a \(premise, hypothesis\) pair"),
        (["ab"], [1], r"inputs\[0\] must be a \(premise, hypothesis\) pair"),
        ("ab", [1], "list of \\(premise, hypothesis\\) pairs"),
        ([("a", 3)], [1], r"hypotheses\[0\] must be a str"),
        ([("a", "b")], [1, 0], "same length"),
        ([("a", "b"), ("c", "d")], [1, "yes"], r"labels\[1\] must be 0 or 1"),
        ([], [], "at least one labelled score"),
    ],
)
def test_calibrate_errors(inputs: object, labels: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        calibrate(nli_fake(), inputs, labels)  # type: ignore[arg-type]


def test_calibrate_rejects_objects_without_scores() -> None:
    with pytest.raises(InvalidInputError, match="needs a Scorer or a task with calibration_data"):
        calibrate(object(), [("a", "b")], [1])


def test_calibrate_held_out_must_be_a_pair() -> None:
    with pytest.raises(InvalidInputError, match="held_out must be an"):
        calibrate(nli_fake(), [("man plays guitar", "x"), ("cat sleeps", "x")], [1, 0], held_out=[1])  # type: ignore[arg-type]


def test_calibrate_a_reranker_on_query_document_pairs() -> None:
    from entailkit.tasks.rerank import Reranker

    scorer = FakeScorer(
        {("refund policy", "This passage answers: how do refunds work"): 0.9},
        head="nli3",
        default=0.2,
        model="fake-nli",
    )
    reranker = Reranker(scorer, query_template="This passage answers: {}", normalization="entailment_vs_contradiction")
    inputs = [("how do refunds work", "our refund policy"), ("how do refunds work", "opening hours")]
    cal = calibrate(reranker, inputs, [1, 0], "platt")
    call = scorer.calls[-1]
    assert call.premises == ["our refund policy", "opening hours"]
    assert call.hypotheses == ["This passage answers: how do refunds work"] * 2
    assert call.normalization == "entailment_vs_contradiction" and cal.model == "fake-nli"
    with pytest.raises(InvalidInputError, match=r"inputs\[0\] must be a \(query, document\) pair"):
        calibrate(reranker, [("q",)], [1])


def test_importing_tasks_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, entailkit.tasks; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
